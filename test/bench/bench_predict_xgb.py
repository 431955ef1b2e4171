#!/usr/bin/python3
"""bench_predict_xgb.py: trains the PL/Python peer of the scoring benchmark
(run by bench_predict.sh; see there).

    /usr/bin/python3 test/bench/bench_predict_xgb.py TRAIN.csv MODEL.json

TRAIN.csv is a CSV export of bench_t (COPY ... CSV HEADER) with the feature
columns c1..c50 and the 0/1 column target; text columns are categories and
an empty field is NULL.  It trains the same model family as the automl
model (gradient-boosted trees, 100 trees, learning rate 0.1, at most 31
leaves grown leaf-wise, histogram splits) with Debian's python3-xgboost and
saves it as JSON.  Categories become integer codes (their rank among the
training levels; NULL and unseen levels are missing); the code tables are
stored in the model's attribute "bench_cats" as a JSON list of
[column index, {level: code}] pairs, for the scoring function to use.
Prints one line: rows, features, trees and seconds.
"""
import csv
import json
import math
import sys
import time

import numpy as np
import xgboost as xgb


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        data = list(rows)
    target = header.index("target")
    feats = [i for i, h in enumerate(header) if i != target]
    # a column is categorical when some non-empty value is not a number
    cat_cols = []
    for i in feats:
        for r in data:
            v = r[i]
            if v == "":
                continue
            try:
                float(v)
            except ValueError:
                cat_cols.append(i)
            break
    codes = {}
    for i in cat_cols:
        levels = sorted({r[i] for r in data if r[i] != ""})
        codes[i] = {lv: float(k) for k, lv in enumerate(levels)}
    nan = math.nan
    X = np.empty((len(data), len(feats)), dtype=np.float64)
    y = np.empty(len(data), dtype=np.float64)
    for n, r in enumerate(data):
        for j, i in enumerate(feats):
            v = r[i]
            if v == "":
                X[n, j] = nan
            elif i in codes:
                X[n, j] = codes[i].get(v, nan)
            else:
                X[n, j] = float(v)
        y[n] = float(r[target])
    t0 = time.time()
    booster = xgb.train(
        {
            "objective": "binary:logistic",
            "tree_method": "hist",
            "grow_policy": "lossguide",
            "max_leaves": 31,
            "max_depth": 0,
            "eta": 0.1,
            "max_bin": 255,
            "nthread": 2,
            "seed": 42,
        },
        xgb.DMatrix(X, label=y, missing=nan),
        num_boost_round=100,
    )
    secs = time.time() - t0
    booster.set_attr(bench_cats=json.dumps([[feats.index(i), codes[i]] for i in cat_cols]))
    booster.save_model(dst)
    print(f"xgboost {xgb.__version__}: {len(data)} rows, {len(feats)} features "
          f"({len(cat_cols)} categorical), {len(booster.get_dump())} trees, {secs:.1f} s")


if __name__ == "__main__":
    main()
