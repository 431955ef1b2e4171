#!/usr/bin/python3
"""bench_groups.py: the peers' side of bench_groups.sh (per-group models).

  bench_groups.py peers OUT DATASET GROUP MIN_ROWS THREADS
      HistGradientBoosting with its defaults on the split that
      bench_search.py prep wrote: one model of every training row, then one
      per value of GROUP with at least MIN_ROWS training rows (and, for a
      binary target, 5 of each class: automl's rule), the model of every row
      scoring the other values.  Appends both test metrics to
      OUT/results.jsonl.
  bench_groups.py report OUT BUDGET
      prints the table.

Debian's /usr/bin/python3 (python3-sklearn).  Reuses bench_search.py's
split, features and peer fitting, so the rows and the peer are the issue 4
benchmark's.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_search as bs  # noqa: E402


def peers(out, name, group, min_rows, threads):
    meta = bs.load_meta(out, name)
    xn, xc, levels, y = bs.features(name, meta)
    task = meta["task"]
    split = np.array(meta["split"])
    tr, te = split == "train", split == "test"
    d = bs.manifest(name)
    header = [c for c in meta["header"] if c != meta["target"]]
    num = [c for c in header if d["column_types"][c] == "numeric"]
    cat = [c for c in header if d["column_types"][c] != "numeric"]
    g = xn[:, num.index(group)] if group in num else xc[:, cat.index(group)]

    t0 = time.perf_counter()
    pred, proba, _ = bs.fit_peer("hgb", task, xn, xc, levels, y, tr, te, threads)
    single = time.perf_counter() - t0
    gpred = np.array(pred, dtype=object if bs.is_classification(task) else float)
    gproba = None if proba is None else np.array(proba, dtype=float)
    test_pos = np.where(te)[0]
    at = {r: i for i, r in enumerate(test_pos)}
    n_groups = 0
    t0 = time.perf_counter()
    for v in sorted({x for x in g[tr] if x is not None and x == x}, key=str):
        gtr = tr & (g == v)
        gte = te & (g == v)
        if gtr.sum() < min_rows or gte.sum() == 0:
            continue
        if task == "binary":
            ys = y[gtr]
            if min((ys == c).sum() for c in meta["classes"]) < 5:
                continue
        n_groups += 1
        p, pr, _ = bs.fit_peer("hgb", task, xn, xc, levels, y, gtr, gte, threads)
        idx = [at[r] for r in np.where(gte)[0]]
        gpred[idx] = p
        if gproba is not None:
            gproba[idx] = pr
    per_group = single + time.perf_counter() - t0
    rec = {"kind": "peer", "dataset": name, "group": group, "groups": n_groups,
           "single": bs.metrics(task, y[te], pred, proba, meta["classes"]),
           "per_group": bs.metrics(task, y[te], gpred, gproba, meta["classes"]),
           "single_seconds": single, "per_group_seconds": per_group}
    bs.append(out, rec)


def report(out, budget):
    recs = [json.loads(line) for line in open(os.path.join(out, "results.jsonl"))]
    peer = {(r["dataset"], r["group"]): r for r in recs if r["kind"] == "peer"}
    auto = {}
    for r in recs:
        if r["kind"] == "automl":
            auto.setdefault((r["dataset"], r["group"]), {})[r["mode"]] = r
    head = ("dataset", "group_by", "metric", "groups", "automl", "automl/group", "gain",
            "HistGB", "HistGB/group", "gain", "automl s", "automl/group s", "score s", "score/group s")
    fmt = "%-14s %-13s %-7s %6s %8s %12s %8s %8s %12s %8s %8s %14s %8s %13s"
    print(fmt % head)
    print(fmt % tuple("-" * len(h) for h in head))
    for key, a in auto.items():
        if "single" not in a or "per_group" not in a:
            continue
        p = peer.get(key, {})
        metric = a["single"]["metric"]
        lower = metric in ("rmse", "log_loss")

        def gain(x, y):
            if x is None or y is None:
                return ""
            if metric == "rmse":
                return "%+.2f%%" % (100.0 * (x - y) / x)
            return "%+.4f" % ((x - y) if lower else (y - x))

        ps = p.get("single", {}).get(metric)
        pg = p.get("per_group", {}).get(metric)
        print(fmt % (key[0], key[1], metric, a["per_group"].get("groups", ""),
                     "%.4f" % a["single"]["score"] if metric != "rmse" else "%.4g" % a["single"]["score"],
                     "%.4f" % a["per_group"]["score"] if metric != "rmse" else "%.4g" % a["per_group"]["score"],
                     gain(a["single"]["score"], a["per_group"]["score"]),
                     "" if ps is None else ("%.4f" % ps if metric != "rmse" else "%.4g" % ps),
                     "" if pg is None else ("%.4f" % pg if metric != "rmse" else "%.4g" % pg),
                     gain(ps, pg),
                     "%.1f" % a["single"]["seconds"], "%.1f" % a["per_group"]["seconds"],
                     "%.3f" % a["single"]["score_seconds"], "%.3f" % a["per_group"]["score_seconds"]))
    print("gain: positive = the per-group models better (AUC: absolute; RMSE: %% of the single model's).  "
          "automl budget %s s per call; score s: median of 3 runs of per-row scoring of every row of the table "
          "(automl_predict in a SELECT)." % budget)


def main():
    if len(sys.argv) >= 7 and sys.argv[1] == "peers":
        peers(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
