#!/usr/bin/python3
"""bench_trees.py: the Python side of the tree benchmark (bench_trees.sh).

Run with Debian's /usr/bin/python3 (python3-xgboost, python3-sklearn,
python3-numpy).  Subcommands:

  gen DIR ROWS     generate the synthetic binary table (seeded): DIR/data.npz
                   (X float32 rows x 50 with NaN = missing, y, is_test) and
                   DIR/data.csv (id, is_test, y, x0..x49; missing = "nan")
  peers DIR REPS THREADS [xgb|rf|all]
                   time XGBoost (hist, lossguide, 31 leaves, eta 0.1, 100
                   rounds) and sklearn's RandomForestClassifier(100 trees)
                   on the training rows (data already in memory), score all
                   rows, and print "key value" lines (medians of REPS runs)
  auc FILE         ROC AUC of a headerless CSV of (label, score) lines

The signal is nonlinear (sine, products, thresholds, squares, an
interaction gated by a uniform feature) in 12 of the 50 columns; 10
columns have 5% missing values and one has 20%.  20% of the rows are test
rows (a seeded random split).
"""
import sys
import time

import numpy as np

N_FEAT = 50
SEED = 20261127


def gen(d, rows):
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((rows, N_FEAT))
    X[:, 40:] = rng.random((rows, 10))
    X = np.round(X, 4)
    x = X.T
    logit = (1.5 * np.sin(2 * x[0]) + x[1] * x[2] + 1.2 * (x[3] > 0.5)
             - 0.8 * x[4] ** 2 + 0.8 + 0.6 * np.abs(x[5]) * np.sign(x[6])
             + 0.5 * x[7] + 0.4 * np.maximum(x[8], 0) * x[9]
             + 1.0 * (x[40] > 0.7) * x[10] - 0.7 * (x[41] < 0.2)
             + 0.3 * np.cos(3 * x[11]))
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    for j in range(10):
        X[rng.random(rows) < 0.05, j] = np.nan
    X[rng.random(rows) < 0.20, 45] = np.nan
    is_test = rng.random(rows) < 0.2
    X32 = X.astype(np.float32)
    np.savez(f"{d}/data.npz", X=X32, y=y, is_test=is_test)
    cols = np.column_stack([np.arange(rows), is_test.astype(np.int64), y,
                            X])
    fmt = ["%d", "%d", "%d"] + ["%.4f"] * N_FEAT
    header = "id,is_test,y," + ",".join(f"x{j}" for j in range(N_FEAT))
    np.savetxt(f"{d}/data.csv", cols, fmt=fmt, delimiter=",",
               header=header, comments="")


def auc(y, s):
    """ROC AUC with tied scores given their average rank."""
    y = np.asarray(y)
    s = np.asarray(s, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    ss = s[order]
    ranks = np.empty(len(s))
    i = 0
    n = len(s)
    # average ranks over ties
    starts = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])
    ends = np.r_[starts[1:], n]
    avg = (starts + ends + 1) / 2.0
    r = np.repeat(avg, ends - starts)
    ranks[order] = r
    npos = int((y == 1).sum())
    nneg = n - npos
    return (ranks[y == 1].sum() - npos * (npos + 1) / 2.0) / (npos * nneg)


def med(v):
    return float(np.median(v))


def peers(d, reps, threads, which):
    z = np.load(f"{d}/data.npz")
    X, y, te = z["X"], z["y"], z["is_test"]
    Xtr, ytr = X[~te], y[~te]
    print(f"rows {len(y)} train {len(ytr)} test {int(te.sum())}")
    if which in ("xgb", "all"):
        import xgboost as xgb
        params = {"objective": "binary:logistic", "tree_method": "hist",
                  "max_bin": 255, "grow_policy": "lossguide",
                  "max_leaves": 31, "max_depth": 0, "eta": 0.1,
                  "nthread": threads, "verbosity": 0}
        fit, pred, a = [], [], None
        for _ in range(reps):
            t0 = time.perf_counter()
            dtr = xgb.DMatrix(Xtr, label=ytr, nthread=threads)
            bst = xgb.train(params, dtr, num_boost_round=100)
            fit.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            p = bst.inplace_predict(X)
            pred.append(time.perf_counter() - t0)
            a = auc(y[te], p[te])
            del dtr, bst
        print(f"xgb_fit {med(fit):.4f}")
        print(f"xgb_predict {med(pred):.4f}")
        print(f"xgb_auc {a:.5f}")
    if which in ("rf", "all"):
        from sklearn.ensemble import RandomForestClassifier
        # sklearn 1.2 has no missing-value support: a sentinel below every
        # value lets the trees isolate missing values
        Xs = np.where(np.isnan(X), np.float32(-1e9), X)
        Xstr = Xs[~te]
        fit, pred, a = [], [], None
        for _ in range(reps):
            rf = RandomForestClassifier(n_estimators=100, n_jobs=threads,
                                        random_state=0)
            t0 = time.perf_counter()
            rf.fit(Xstr, ytr)
            fit.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            p = rf.predict_proba(Xs)[:, 1]
            pred.append(time.perf_counter() - t0)
            a = auc(y[te], p[te])
            del rf
        print(f"rf_fit {med(fit):.4f}")
        print(f"rf_predict {med(pred):.4f}")
        print(f"rf_auc {a:.5f}")


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    elif cmd == "peers":
        peers(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
              sys.argv[5] if len(sys.argv) > 5 else "all")
    elif cmd == "auc":
        v = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
        print(f"{auc(v[:, 0].astype(int), v[:, 1]):.5f}")
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
