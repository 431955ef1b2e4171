#!/bin/bash
# bench_groups.sh: per-group models (options "group_by") against one model of
# every row, automl and scikit-learn's HistGradientBoosting side by side, on
# real tables with a natural grouping column.
#
# For every DATASET:GROUP of BENCH_CONFIGS: bench_search.py's seeded 80/20
# split (stratified for classification); automl_train on the training rows
# twice with the same budget (test_fraction 0), once plain and once with
# group_by; both scored on the test rows with the metric aggregates (ROC AUC
# or RMSE); HistGradientBoosting's defaults on the same rows, one model and
# one per group with automl's eligibility rule (at least BENCH_MIN_ROWS
# training rows and, binary, 5 of each class; the rest scored by the model
# of every row).  Then the per-row scoring time of every row of the table
# through each automl model (median of 3): routing rows to their group's
# model costs what?
#
# Usage, as root from the repository root (the extension installed):
#
#   test/bench/bench_groups.sh                      # ~6 min
#   BENCH_BUDGET=10 BENCH_CONFIGS=telecom_churn:area_code test/bench/bench_groups.sh
#
# Environment: BENCH_BUDGET (30), BENCH_CONFIGS, BENCH_MIN_ROWS (50),
# BENCH_SEED (42), BENCH_THREADS (2), BENCH_DIR (/tmp/automl-bench-groups),
# BENCH_DATA (/work/shared/data).  A benchmark is not a test: the exit status
# is nonzero only if something failed.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$AUTOML_ROOT"

BENCH_BUDGET=${BENCH_BUDGET:-30}
BENCH_CONFIGS=${BENCH_CONFIGS:-telecom_churn:area_code,telecom_churn:state,ames_housing:neighborhood,diamonds:cut,gss_vocab:year}
BENCH_MIN_ROWS=${BENCH_MIN_ROWS:-50}
BENCH_SEED=${BENCH_SEED:-42}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_DIR=${BENCH_DIR:-/tmp/automl-bench-groups}
export BENCH_DATA=${BENCH_DATA:-/work/shared/data}
export OMP_NUM_THREADS=$BENCH_THREADS OMP_WAIT_POLICY=passive
PY=/usr/bin/python3
SEARCH_PY="$AUTOML_ROOT/test/bench/bench_search.py"
GROUPS_PY="$AUTOML_ROOT/test/bench/bench_groups.py"

for v in BENCH_BUDGET BENCH_MIN_ROWS BENCH_SEED BENCH_THREADS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "error: $v must be a non-negative integer" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench_groups.sh must run as root (the throwaway cluster runs as postgres)" >&2; exit 1; }
"$PY" -c 'import sklearn' 2>/dev/null || { echo "error: $PY lacks sklearn (apt-get install python3-sklearn)" >&2; exit 1; }

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"
chmod 755 "$BENCH_DIR"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
SECONDS=0

automl_install_deps
automl_cluster_start
PSQL=("$AUTOML_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At)
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS automl" \
	-c "CREATE SCHEMA IF NOT EXISTS bench_search"
ext_version=$("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'automl'")
automl_log "automl $ext_version; budget $BENCH_BUDGET s per call; load $load0"

declare -A PREPARED
IFS=, read -ra CONFIGS <<<"$BENCH_CONFIGS"
for cfg in "${CONFIGS[@]}"; do
	ds=${cfg%%:*}
	grp=${cfg#*:}
	if [ -z "${PREPARED[$ds]:-}" ]; then
		PREPARED[$ds]=$("$PY" "$SEARCH_PY" prep "$BENCH_DIR" "$ds" "$BENCH_SEED" 5)
		chmod 644 "$BENCH_DIR/$ds".*
		"${PSQL[@]}" -c 'SET client_min_messages = warning' -f "$BENCH_DIR/$ds.sql"
	fi
	read -r target task pos <<<"${PREPARED[$ds]}"
	# a numeric group column is loaded as float8: group by its integer copy
	coltype=$("${PSQL[@]}" -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'bench_search.\"$ds\"'::regclass AND attname = '$grp'")
	if [ "$coltype" = "double precision" ]; then
		src="SELECT t.*, \"$grp\"::int AS \"${grp}_int\" FROM bench_search.\"$ds\" t"
		exclude="ARRAY['row_id', 'split', 'fold', '$grp']"
		gcol="${grp}_int"
	else
		src="SELECT t.* FROM bench_search.\"$ds\" t"
		exclude="ARRAY['row_id', 'split', 'fold']"
		gcol=$grp
	fi
	if [ "$task" = binary ]; then
		metric=roc_auc
		score="automl.roc_auc(automl_predict_proba('@M@', s, '$pos'), s.\"$target\" = '$pos')"
		each="automl_predict_proba('@M@', s, '$pos')"
	else
		metric=rmse
		score="automl.rmse(automl_predict('@M@', s)::float8, s.\"$target\")"
		each="automl_predict('@M@', s)::float8"
	fi
	for mode in single per_group; do
		model="bg_${ds}_${grp}_${mode}"
		if [ "$mode" = per_group ]; then
			opts="{\"test_fraction\": 0, \"group_by\": \"$gcol\", \"group_min_rows\": $BENCH_MIN_ROWS}"
		else
			opts='{"test_fraction": 0}'
		fi
		automl_log "$ds by $grp: automl $mode"
		out=$("${PSQL[@]}" 2>"$BENCH_DIR/$model.log" <<-EOF
			SET automl.threads = $BENCH_THREADS;
			CREATE FUNCTION pg_temp.bench_time(q text) RETURNS float8 LANGUAGE plpgsql AS \$f\$
				DECLARE t0 timestamptz := clock_timestamp();
				BEGIN EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0); END \$f\$;
			SELECT seconds FROM automl_train(\$q\$$src WHERE split = 'train'\$q\$, '$target', name => '$model',
				budget => '$BENCH_BUDGET seconds', exclude => $exclude, options => '$opts');
			CREATE TEMP VIEW s AS $src WHERE split = 'test';
			SELECT ${score//@M@/$model} FROM s;
			SELECT coalesce(jsonb_array_length(hyperparameters->'groups') - 1, 0) FROM automl.models WHERE name = '$model';
			CREATE TEMP VIEW s_all AS $src;
			SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY secs) FROM (
				SELECT pg_temp.bench_time(\$q\$SELECT sum(${each//@M@/$model}) FROM s_all s\$q\$) AS secs
				  FROM generate_series(1, 3)) x;
		EOF
		) || { cat "$BENCH_DIR/$model.log" >&2; exit 1; }
		mapfile -t r <<<"$out"
		printf '{"kind": "automl", "dataset": "%s", "group": "%s", "mode": "%s", "seconds": %s, "score": %s, "metric": "%s", "groups": %s, "score_seconds": %s}\n' \
			"$ds" "$grp" "$mode" "${r[0]}" "${r[1]}" "$metric" "${r[2]}" "${r[3]}" >>"$BENCH_DIR/results.jsonl"
	done
	automl_log "$ds by $grp: HistGradientBoosting"
	"$PY" "$GROUPS_PY" peers "$BENCH_DIR" "$ds" "$grp" "$BENCH_MIN_ROWS" "$BENCH_THREADS"
done

echo
echo "per-group benchmark: automl $ext_version; seed $BENCH_SEED; $started, $((SECONDS / 60)) min; 2 threads;" \
	"load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
"$PY" "$GROUPS_PY" report "$BENCH_DIR" "$BENCH_BUDGET"
echo "files: $BENCH_DIR (results.jsonl, training logs)"
