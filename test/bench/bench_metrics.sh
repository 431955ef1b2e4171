#!/bin/bash
# bench_metrics.sh: the metric aggregates against what a user would write
# otherwise, in one run on one generated table (BENCH_ROWS rows: a score,
# a boolean label, a prediction and an actual value), in a throwaway
# cluster.  Timed, serially unless said otherwise (medians of BENCH_REPS,
# each statement inside a plpgsql function with clock_timestamp around
# it):
#
#   floor        SELECT count(score), count(label), count(pred), count(actual)
#   roc_auc      SELECT automl.roc_auc(score, label)
#   roc_auc SQL  the same AUC written in SQL: the rank-sum (Mann-Whitney)
#                formula with tied scores at their average rank (two
#                window sorts)
#   roc_auc py   PL/Python: array_agg of both columns handed to
#                scikit-learn's roc_auc_score (Debian's python3-sklearn)
#   roc_auc par  automl.roc_auc with 2 parallel workers
#   compare      automl.roc_auc_compare(score, score2, label): DeLong's test
#                of two scores (score2, a second score of the rows), against
#                the two AUCs alone (info: no peer computes it in SQL)
#   rmse         SELECT automl.rmse(pred, actual)
#   rmse SQL     SELECT sqrt(avg((pred - actual) ^ 2))
#
# and prints the times, the ratios to the peers and to the floor, and
# whether the values agree (1e-9).
#
# Usage, as root from the repository root:
#
#   test/bench/bench_metrics.sh
#
# Environment: BENCH_ROWS (1000000), BENCH_REPS (5).  Installs
# postgresql-plpython3-15 and python3-sklearn if missing (the peers only).
# A benchmark is not a test: the exit status is nonzero only if something
# failed.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$AUTOML_ROOT"

BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_REPS=${BENCH_REPS:-5}

AUTOML_DEPS+=(postgresql-plpython3-15 python3-sklearn)
automl_install_deps
automl_cluster_start
PSQL=("$AUTOML_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At)
automl_log "generating $BENCH_ROWS rows"
"${PSQL[@]}" <<-EOF
	SET client_min_messages = warning;
	CREATE EXTENSION automl;
	CREATE EXTENSION plpython3u;
	SELECT setseed(0.42);
	CREATE TABLE bench_m AS
	SELECT round((random() + lab::int * 0.4)::numeric, 3)::float8 AS score, lab AS label,
	       a + 0.3 * (random() - 0.5) AS pred, a AS actual,
	       round((random() + lab::int * 0.3)::numeric, 3)::float8 AS score2
	  FROM (SELECT random() < 0.3 AS lab, 10 * random() AS a FROM generate_series(1, $BENCH_ROWS)) r;
	VACUUM (FREEZE, ANALYZE) bench_m;
	CREATE FUNCTION py_auc(s float8[], l boolean[]) RETURNS float8 LANGUAGE plpython3u AS \$\$
	from sklearn.metrics import roc_auc_score
	import numpy as np
	return float(roc_auc_score(np.array(l, dtype=bool), np.array(s, dtype=float)))
	\$\$;
	CREATE FUNCTION bench_time(q text, OUT seconds float8, OUT value float8) LANGUAGE plpgsql AS \$\$
	DECLARE t0 timestamptz;
	BEGIN
		t0 := clock_timestamp();
		EXECUTE q INTO value;
		seconds := extract(epoch FROM clock_timestamp() - t0);
	END \$\$;
EOF

declare -A Q=(
	[floor]="SELECT count(score) + count(label) + count(pred) + count(actual) FROM bench_m"
	[auc]="SELECT automl.roc_auc(score, label) FROM bench_m"
	[auc_sql]="SELECT (sum(r) FILTER (WHERE label) - np * (np + 1) / 2.0) / (np * (n - np))
		FROM (SELECT label, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS r,
		             count(*) FILTER (WHERE label) OVER () AS np, count(*) OVER () AS n FROM bench_m) x
		GROUP BY np, n"
	[auc_py]="SELECT py_auc(array_agg(score), array_agg(label)) FROM bench_m"
	[auc_par]="SELECT automl.roc_auc(score, label) FROM bench_m"
	[compare]="SELECT (automl.roc_auc_compare(score, score2, label) ->> 'difference')::float8 FROM bench_m"
	[rmse]="SELECT automl.rmse(pred, actual) FROM bench_m"
	[rmse_sql]="SELECT sqrt(avg((pred - actual) ^ 2)) FROM bench_m"
)
KINDS=(floor auc auc_sql auc_py auc_par compare rmse rmse_sql)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A T V
for k in "${KINDS[@]}"; do T[$k]=""; done
for ((r = 1; r <= BENCH_REPS; r++)); do
	for k in "${KINDS[@]}"; do
		if [ "$k" = auc_par ]; then
			set_par="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;"
		else
			set_par="SET max_parallel_workers_per_gather = 0;"
		fi
		read -r secs value <<<"$("${PSQL[@]}" -F ' ' -c "SET jit = off; $set_par" \
			-c "SELECT seconds, value FROM bench_time(\$q\$${Q[$k]}\$q\$)")"
		T[$k]+="$secs "
		V[$k]=$value
	done
	automl_log "rep $r done"
done
plan=$("${PSQL[@]}" -c "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;" \
	-c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${Q[auc_par]}" | grep -o 'Workers Launched: [0-9]*' || true)

declare -A M
for k in "${KINDS[@]}"; do M[$k]=$(printf '%s\n' ${T[$k]} | median); done
echo
echo "metric aggregates benchmark: automl $("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'automl'"); $BENCH_ROWS rows; medians of $BENCH_REPS; $(date -u +%FT%RZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %14s\n' "statement" "seconds" "value"
printf '%-44s %10.3f %14s\n' "floor: count() of the four columns" "${M[floor]}" "${V[floor]}"
printf '%-44s %10.3f %14.10f\n' "automl.roc_auc(score, label)" "${M[auc]}" "${V[auc]}"
printf '%-44s %10.3f %14.10f\n' "the same AUC in SQL (ranks, two window sorts)" "${M[auc_sql]}" "${V[auc_sql]}"
printf '%-44s %10.3f %14.10f\n' "PL/Python scikit-learn roc_auc_score" "${M[auc_py]}" "${V[auc_py]}"
printf '%-44s %10.3f %14.10f\n' "automl.roc_auc, 2 parallel workers (${plan:-?})" "${M[auc_par]}" "${V[auc_par]}"
printf '%-44s %10.3f %14.10f\n' "automl.roc_auc_compare (value: the difference)" "${M[compare]}" "${V[compare]}"
printf '%-44s %10.3f %14.10f\n' "automl.rmse(pred, actual)" "${M[rmse]}" "${V[rmse]}"
printf '%-44s %10.3f %14.10f\n' "sqrt(avg((pred - actual) ^ 2))" "${M[rmse_sql]}" "${V[rmse_sql]}"
awk -v a="${M[auc]}" -v s="${M[auc_sql]}" -v p="${M[auc_py]}" -v q="${M[auc_par]}" -v f="${M[floor]}" \
	-v r="${M[rmse]}" -v rs="${M[rmse_sql]}" -v c="${M[compare]}" 'BEGIN {
	printf "roc_auc: SQL / automl %.2f, PL/Python / automl %.2f, serial / parallel %.2f, automl / floor %.2f\n", s / a, p / a, a / q, a / f
	printf "roc_auc_compare / roc_auc %.2f (two scores sorted, the components of each row)\n", c / a
	printf "rmse: SQL / automl %.2f, automl / floor %.2f\n", rs / r, r / f
}'
awk -v a="${V[auc]}" -v s="${V[auc_sql]}" -v p="${V[auc_py]}" -v q="${V[auc_par]}" -v r="${V[rmse]}" -v rs="${V[rmse_sql]}" 'BEGIN {
	d = a - s; if (d < 0) d = -d; e = a - p; if (e < 0) e = -e; g = a - q; if (g < 0) g = -g; h = r - rs; if (h < 0) h = -h
	printf "values agree (1e-9): roc_auc vs SQL %s, vs scikit-learn %s, vs parallel %s; rmse vs SQL %s\n",
		d < 1e-9 ? "yes" : "NO", e < 1e-9 ? "yes" : "NO", g < 1e-9 ? "yes" : "NO", h < 1e-9 ? "yes" : "NO"
}'
