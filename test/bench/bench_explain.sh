#!/bin/bash
# bench_explain.sh: the explanation benchmark.  On a generated table of
# BENCH_TRAIN_ROWS rows x 50 numeric columns (NULLs included, a nonlinear
# binary target) it trains a 100-tree, 31-leaf gbdt in manual mode and the
# same shape of model with Debian's python3-xgboost (hist, lossguide,
# max_leaves 31, eta 0.1, 100 rounds), then times explaining the first
# BENCH_ROWS rows:
#
#   automl  SELECT sum(jsonb_array_length(automl_explain('m', t) -> 'contributions'))
#             FROM (SELECT * FROM bench_x ORDER BY id LIMIT BENCH_ROWS) t
#           the whole SQL call: scan, row mapping, TreeSHAP, folding, jsonb
#   xgboost booster.predict(DMatrix(X), pred_contribs=True), nthread = 1,
#           on the same rows already in memory as a numpy array
#
# Medians of BENCH_REPS runs each (after one untimed warm-up run); prints
# wall and CPU times (the backend's from /proc/PID/stat, Python's
# process_time: on a shared machine CPU time is the steadier measure),
# the ratios automl / xgboost (target <= 1.0), the load average and the
# largest additivity error seen on the automl side.
#
# Usage, as root from the repository root:
#
#   test/bench/bench_explain.sh
#   BENCH_ROWS=2000 test/bench/bench_explain.sh
#
# Environment: BENCH_ROWS=10000, BENCH_TRAIN_ROWS=50000, BENCH_REPS=3,
# BENCH_PYTHON=/usr/bin/python3 (Debian's, where python3-xgboost is),
# PG_BINDIR (another PostgreSQL installation), BENCH_BUILD=1 (rebuild and
# install automl first; default: only when automl_explain is missing).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/common.sh
source "$BENCH_DIR/../scripts/common.sh"

BENCH_ROWS=${BENCH_ROWS:-10000}
BENCH_TRAIN_ROWS=${BENCH_TRAIN_ROWS:-50000}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_PYTHON=${BENCH_PYTHON:-/usr/bin/python3}
BENCH_BUILD=${BENCH_BUILD:-auto}

cd "$AUTOML_ROOT"
automl_tmpdir
AUTOML_DEPS+=(python3-xgboost)
automl_install_deps
if [ "$BENCH_BUILD" = 1 ] || ! grep -qs automl_explain "$("$AUTOML_PG_CONFIG" --sharedir)"/extension/automl--*.sql; then
	automl_build >/dev/null
fi
automl_cluster_start

psql_q() {
	psql -X -q -v ON_ERROR_STOP=1 "$@"
}

automl_log "generating $BENCH_TRAIN_ROWS rows x 50 columns"
psql_q <<SQL
CREATE EXTENSION automl;
SELECT setseed(0.42);
CREATE TABLE bench_x AS
SELECT i AS id, $(for j in $(seq 1 50); do printf "CASE WHEN random() < 0.02 THEN NULL ELSE (random() * 4 - 2)::float8 END AS c%d, " "$j"; done) 0 AS target
  FROM generate_series(1, $BENCH_TRAIN_ROWS) i;
UPDATE bench_x SET target = (sin(coalesce(c1, 0) * 2) + coalesce(c2, 0) * coalesce(c3, 0)
	+ CASE WHEN c4 > 0.5 THEN 1 ELSE 0 END - coalesce(c5, 0) ^ 2 / 2 + (random() - 0.5) > 0)::int;
ANALYZE bench_x;
SQL

automl_log "training automl's gbdt (manual mode, 100 trees, 31 leaves)"
psql_q -c "SET automl.progress = off" -c "SELECT algorithm, round(test_score::numeric, 4) AS auc
	FROM automl_train('SELECT * FROM bench_x', 'target', name => 'm', exclude => ARRAY['id'],
	options => '{\"algorithm\": \"gbdt\", \"params\": {\"n_estimators\": 100, \"max_leaves\": 31, \"learning_rate\": 0.1}}')"

psql_q -c "\\copy (SELECT * FROM bench_x ORDER BY id) TO '$AUTOML_TMP/x.csv' CSV HEADER"

automl_log "timing automl_explain on $BENCH_ROWS rows ($BENCH_REPS runs)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
sql="SELECT sum(jsonb_array_length(automl_explain('m', t) -> 'contributions'))
	   FROM (SELECT * FROM bench_x ORDER BY id LIMIT $BENCH_ROWS) t"
times=()
cpus=()
for _ in $(seq 1 "$BENCH_REPS"); do
	# one session per run: warm the model cache untimed, then time the
	# statement (wall) and read the backend's CPU ticks around it
	out=$(psql -X -At <<PSQL
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\o /dev/null
$sql;
\o
\! awk '{print \$14 + \$15}' /proc/\$BPID/stat > $AUTOML_TMP/cpu0
\timing on
$sql;
\timing off
\! awk '{print \$14 + \$15}' /proc/\$BPID/stat > $AUTOML_TMP/cpu1
PSQL
)
	times+=("$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')")
	cpus+=("$(awk -v t="$(getconf CLK_TCK)" 'NR == FNR {a = $1; next} {print ($1 - a) * 1000 / t}' "$AUTOML_TMP/cpu0" "$AUTOML_TMP/cpu1")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
automl_ms=$(median "${times[@]}")
automl_cpu=$(median "${cpus[@]}")
err=$(psql -X -At -c "SELECT max(abs((x ->> 'base')::float8 + (SELECT sum((q ->> 'contribution')::float8)
	FROM jsonb_array_elements(x -> 'contributions') q) - (x ->> 'prediction')::float8))
	FROM (SELECT automl_explain('m', t) AS x FROM (SELECT * FROM bench_x ORDER BY id LIMIT 1000) t) s")

automl_log "training and timing xgboost pred_contribs ($BENCH_PYTHON)"
read -r xgb_ms xgb_cpu < <("$BENCH_PYTHON" - "$AUTOML_TMP/x.csv" "$BENCH_ROWS" "$BENCH_REPS" <<'PY'
import sys, time
import numpy as np
import xgboost as xgb

src, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = np.genfromtxt(src, delimiter=",", skip_header=1, missing_values="", filling_values=np.nan)
X, y = data[:, 1:51], data[:, 51]
params = {"objective": "binary:logistic", "tree_method": "hist", "max_bin": 255,
          "grow_policy": "lossguide", "max_leaves": 31, "max_depth": 0, "eta": 0.1,
          "nthread": 2, "seed": 1}
bst = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=100)
bst.set_param({"nthread": 1})
d = xgb.DMatrix(X[:n])
bst.predict(d, pred_contribs=True)
ts, cs = [], []
for _ in range(reps):
    t, c0 = time.perf_counter(), time.process_time()
    c = bst.predict(d, pred_contribs=True)
    ts.append((time.perf_counter() - t) * 1000)
    cs.append((time.process_time() - c0) * 1000)
print(sorted(ts)[len(ts) // 2], sorted(cs)[len(cs) // 2])
PY
)

awk -v a="$automl_ms" -v x="$xgb_ms" -v ac="$automl_cpu" -v xc="$xgb_cpu" -v n="$BENCH_ROWS" -v e="$err" \
	-v l0="$load0" -v l1="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
	printf "\nexplaining %d rows, 100-tree 31-leaf gbdt, 50 features (medians; load %s -> %s)\n", n, l0, l1
	printf "  %-46s %12s %12s\n", "", "wall", "CPU"
	printf "  %-46s %9.1f ms %9.1f ms\n", "automl_explain, whole SQL call (backend)", a, ac
	printf "  %-46s %9.1f ms %9.1f ms\n", "xgboost predict(pred_contribs=True), 1 thread", x, xc
	printf "  %-46s %12.2f %12.2f   (target <= 1.0)\n", "ratio automl / xgboost", a / x, (xc > 0 ? ac / xc : 0)
	printf "  %-46s %12.2g\n", "largest |base + sum - prediction| (1000 rows)", e
}'
