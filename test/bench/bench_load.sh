#!/bin/bash
# bench_load.sh: the data-loading benchmark.  Times automl_scan (which reads
# a table through SPI into the training frame exactly as automl_train does)
# against an aggregate scan that deforms every column of the same table
# (avg() of each numeric column, count() of each text/boolean column), and
# compares the frame's memory with the float32 size of the data.
#
# Targets (from the issue): the load costs at most 2x the aggregate scan,
# and the frame takes at most 1.25x the float32 size of the data.
#
# Usage, as root from the repository root:
#
#   test/bench/bench_load.sh
#
# installs the dependencies if missing, builds and installs automl if
# automl_scan is not installed yet (BENCH_BUILD=1 always rebuilds,
# BENCH_BUILD=0 never does), starts a throwaway PostgreSQL 15 cluster
# (test/scripts/common.sh; stopped and removed however the script ends),
# generates the table, runs the repetitions and prints the results.
#
# Environment:
#
#   BENCH_ROWS=1000000     rows of the generated table
#   BENCH_REPS=5           timed repetitions (medians are reported)
#   BENCH_WARMUP=1         untimed runs of each statement before them
#   BENCH_PARALLEL=2       max_parallel_workers_per_gather of the side-note
#                          parallel aggregate (0: do not run it)
#   BENCH_USE_EXISTING=1   use the server that PGHOST/PGPORT (and PGUSER)
#                          point at instead of a throwaway cluster; automl
#                          must be installed there.  Database BENCH_DB is
#                          created if missing and dropped at the end if this
#                          script created it (BENCH_KEEP=1 keeps it).
#   BENCH_DB=automl_bench  the benchmark database
#   BENCH_JIT=on|off       sets jit for every session (default: the
#                          server's setting); the header says whether the
#                          serial aggregate scan is JIT-compiled (at 1M rows
#                          its plan cost exceeds the default jit_above_cost)
#
# Each repetition runs the serial aggregate (max_parallel_workers_per_gather
# = 0: the load is single-process), the load, and the parallel aggregate,
# in an order that rotates between repetitions, each in its own psql
# session.  Every statement is timed with clock_timestamp() around it inside
# a plpgsql function (test/bench/bench_load.sql), so planning is included
# for both and client round trips for neither; automl_scan's own seconds
# column is reported too.  The load/aggregate ratio that is checked uses the
# elapsed (wall) times of both.
#
# A benchmark is not a test: the exit status is 0 whether the targets are
# met or not (PASS/FAIL is printed), and nonzero only if something failed.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$AUTOML_ROOT"

BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_REPS=${BENCH_REPS:-5}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BENCH_PARALLEL=${BENCH_PARALLEL:-2}
BENCH_USE_EXISTING=${BENCH_USE_EXISTING:-0}
BENCH_BUILD=${BENCH_BUILD:-auto}
BENCH_DB=${BENCH_DB:-automl_bench}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_JIT=${BENCH_JIT:-}
BENCH_SQL="$AUTOML_ROOT/test/bench/bench_load.sql"

LOAD_TARGET=2.0
MEM_TARGET=1.25

for v in BENCH_ROWS BENCH_REPS BENCH_WARMUP BENCH_PARALLEL; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]]; then
		echo "error: $v must be a non-negative integer (got '${!v}')" >&2
		exit 1
	fi
done
if [ "$BENCH_ROWS" -lt 1 ] || [ "$BENCH_REPS" -lt 1 ]; then
	echo "error: BENCH_ROWS and BENCH_REPS must be at least 1" >&2
	exit 1
fi

case $BENCH_JIT in
	'') ;;
	on | off) export PGOPTIONS="${PGOPTIONS:+$PGOPTIONS }-c jit=$BENCH_JIT" ;;
	*) echo "error: BENCH_JIT must be on or off (got '$BENCH_JIT')" >&2; exit 1 ;;
esac

PSQL=("$AUTOML_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1)

# psql_bench runs psql in the benchmark database; psql_val prints one value.
psql_bench() {
	"${PSQL[@]}" -d "$BENCH_DB" "$@"
}
psql_val() {
	psql_bench -At -c "$1"
}

# automl_scan_installed says whether the installed extension has automl_scan.
automl_scan_installed() {
	local share
	share=$("$AUTOML_PG_CONFIG" --sharedir 2>/dev/null) || return 1
	grep -qs 'automl_scan' "$share"/extension/automl--*.sql
}

CREATED_DB=0

# bench_cleanup drops the benchmark database on an existing server if this
# script created it.
bench_cleanup() {
	if [ "$BENCH_USE_EXISTING" = 1 ] && [ "$CREATED_DB" = 1 ] && [ "$BENCH_KEEP" != 1 ]; then
		"${PSQL[@]}" -d "${PGDATABASE:-postgres}" \
			-c "DROP DATABASE IF EXISTS \"$BENCH_DB\"" >/dev/null 2>&1 || true
	fi
}

if [ "$BENCH_USE_EXISTING" = 1 ]; then
	if [ -z "${PGHOST:-}" ] || [ -z "${PGPORT:-}" ]; then
		echo "error: BENCH_USE_EXISTING=1 needs PGHOST and PGPORT" >&2
		exit 1
	fi
	if [ "$BENCH_BUILD" = 1 ]; then
		automl_tmpdir
		automl_build >"$AUTOML_TMP/build.log" 2>&1 ||
			{ cat "$AUTOML_TMP/build.log" >&2; echo "error: the build failed" >&2; exit 1; }
	fi
	trap 'bench_cleanup; automl_cleanup' EXIT
	automl_log "using the existing server at PGHOST=$PGHOST PGPORT=$PGPORT"
else
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench_load.sh must run as root (it may install packages and the" \
			"extension, and runs PostgreSQL as the postgres user); or set" \
			"BENCH_USE_EXISTING=1 with PGHOST/PGPORT" >&2
		exit 1
	fi
	automl_install_deps
	if [ "$BENCH_BUILD" = 1 ] || { [ "$BENCH_BUILD" = auto ] && ! automl_scan_installed; }; then
		automl_tmpdir
		if ! automl_build >"$AUTOML_TMP/build.log" 2>&1; then
			cat "$AUTOML_TMP/build.log" >&2
			echo "error: the build failed" >&2
			exit 1
		fi
		automl_log "automl built and installed"
	elif ! automl_scan_installed; then
		echo "error: automl (with automl_scan) is not installed and BENCH_BUILD=0" >&2
		exit 1
	else
		automl_log "using the installed automl (BENCH_BUILD=1 rebuilds it)"
	fi
	automl_cluster_start
fi

# the benchmark database
if [ "$("${PSQL[@]}" -d "${PGDATABASE:-postgres}" -At \
	-c "SELECT count(*) FROM pg_database WHERE datname = '$BENCH_DB'")" = 0 ]; then
	"${PSQL[@]}" -d "${PGDATABASE:-postgres}" -c "CREATE DATABASE \"$BENCH_DB\""
	CREATED_DB=1
fi

automl_log "generating bench_t: $BENCH_ROWS rows x 50 columns, then VACUUM (FREEZE, ANALYZE)"
gen_start=$(date +%s.%N)
psql_bench -v rows="$BENCH_ROWS" -f "$BENCH_SQL" >/dev/null
gen_end=$(date +%s.%N)
# flush the generated data now rather than during a timed run (needs
# superuser or pg_checkpoint; harmless to skip)
psql_bench -c "CHECKPOINT" >/dev/null 2>&1 || true
automl_log "generated in $(awk -v a="$gen_start" -v b="$gen_end" 'BEGIN { printf "%.1f", b - a }') s;" \
	"table size $(psql_val "SELECT pg_size_pretty(pg_table_size('bench_t'))")"

# one timed statement, in its own session; prints its elapsed seconds
run_agg() {
	psql_val "SELECT round(bench_time_agg($1, 0)::numeric, 3)"
}
run_agg_parallel() {
	psql_val "SELECT round(bench_time_agg($1, $BENCH_PARALLEL)::numeric, 3)"
}
run_load() {
	psql_val "SELECT round(bench_time_load($1)::numeric, 3)"
}

if [ "$BENCH_WARMUP" -gt 0 ]; then
	automl_log "warm-up ($BENCH_WARMUP untimed run(s) of each statement)"
	for ((w = 1; w <= BENCH_WARMUP; w++)); do
		psql_val "SELECT bench_time_agg(0, 0, 'warmup_agg')" >/dev/null
		psql_val "SELECT bench_time_load(0, 'warmup_load')" >/dev/null
	done
fi

order=(agg load)
if [ "$BENCH_PARALLEL" -gt 0 ]; then
	order+=(agg_parallel)
fi
n=${#order[@]}
for ((rep = 1; rep <= BENCH_REPS; rep++)); do
	line="rep $rep/$BENCH_REPS:"
	# rotate the order so that no statement always runs first or last
	for ((k = 0; k < n; k++)); do
		what=${order[$(((rep - 1 + k) % n))]}
		case $what in
			agg) line+=" aggregate $(run_agg "$rep") s," ;;
			load) line+=" load $(run_load "$rep") s," ;;
			agg_parallel) line+=" parallel aggregate $(run_agg_parallel "$rep") s," ;;
		esac
	done
	automl_log "${line%,}"
done

# medians and the frame's size (the same in every repetition)
IFS='|' read -r med_agg med_load med_reported med_par min_agg max_agg min_load max_load \
	frame_rows frame_cols frame_bytes f32_bytes n_sizes <<<"$(psql_val "
	SELECT
		percentile_cont(0.5) WITHIN GROUP (ORDER BY wall) FILTER (WHERE kind = 'agg'),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY wall) FILTER (WHERE kind = 'load'),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY reported) FILTER (WHERE kind = 'load'),
		coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY wall)
			FILTER (WHERE kind = 'agg_parallel'), 0),
		min(wall) FILTER (WHERE kind = 'agg'), max(wall) FILTER (WHERE kind = 'agg'),
		min(wall) FILTER (WHERE kind = 'load'), max(wall) FILTER (WHERE kind = 'load'),
		max(rows) FILTER (WHERE kind = 'load'), max(columns) FILTER (WHERE kind = 'load'),
		max(frame_bytes) FILTER (WHERE kind = 'load'),
		max(float32_bytes) FILTER (WHERE kind = 'load'),
		count(DISTINCT (rows, columns, frame_bytes)) FILTER (WHERE kind = 'load')
	FROM bench_results WHERE rep > 0")"

if [ "$frame_rows" != "$BENCH_ROWS" ]; then
	echo "error: automl_scan read $frame_rows rows, the table has $BENCH_ROWS" >&2
	exit 1
fi
if [ "$frame_cols" != 50 ]; then
	echo "warning: the frame has $frame_cols columns, not 50" >&2
fi
if [ "$n_sizes" != 1 ]; then
	echo "warning: the frame's size differed between repetitions (largest shown)" >&2
fi

pg_version=$(psql_val "SHOW server_version")
jit=$(psql_val "SELECT CASE
	WHEN NOT current_setting('jit')::boolean THEN 'off'
	WHEN NOT pg_jit_available() THEN 'on (but LLVM is unavailable)'
	WHEN bench_agg_jit(0) THEN 'on (the aggregate is JIT-compiled)'
	ELSE 'on (the aggregate is not JIT-compiled)' END")
table_size=$(psql_val "SELECT pg_size_pretty(pg_table_size('bench_t'))")
shared_buffers=$(psql_val "SHOW shared_buffers")

awk -v rows="$BENCH_ROWS" -v cols="$frame_cols" -v reps="$BENCH_REPS" \
	-v agg="$med_agg" -v load="$med_load" -v reported="$med_reported" -v par="$med_par" \
	-v workers="$BENCH_PARALLEL" \
	-v min_agg="$min_agg" -v max_agg="$max_agg" -v min_load="$min_load" -v max_load="$max_load" \
	-v fb="$frame_bytes" -v f32="$f32_bytes" -v lt="$LOAD_TARGET" -v mt="$MEM_TARGET" \
	-v pgv="$pg_version" -v jit="$jit" -v tsize="$table_size" -v sb="$shared_buffers" \
	-v cpus="$(nproc 2>/dev/null || echo '?')" '
function verdict(x, t) { return (x <= t + 1e-9) ? "PASS" : "FAIL" }
BEGIN {
	rl = load / agg; rr = reported / agg; rm = fb / f32
	print ""
	printf "automl load benchmark: %d rows x %d columns (30 float8, 10 int, 8 text, 1 boolean, text target)\n", rows, cols
	printf "PostgreSQL %s, table %s, shared_buffers %s, %s CPUs\n", pgv, tsize, sb, cpus
	printf "jit %s; %d repetition%s, medians\n", jit, reps, (reps == 1 ? "" : "s")
	print ""
	printf "%-44s %10s %10s %10s\n", "timing (seconds)", "median", "min", "max"
	printf "%-44s %10.3f %10.3f %10.3f\n", "aggregate scan, serial (baseline)", agg, min_agg, max_agg
	printf "%-44s %10.3f %10.3f %10.3f\n", "automl_scan, elapsed", load, min_load, max_load
	printf "%-44s %10.3f\n", "automl_scan, its own seconds column", reported
	if (workers > 0)
		printf "%-44s %10.3f   (side note)\n", "aggregate scan, parallel (" workers " workers)", par
	print ""
	printf "%-44s %14s %10s %8s\n", "result", "value", "target", ""
	printf "%-44s %14.2f %10s %8s\n", "load / aggregate (elapsed)", rl, "<= " sprintf("%.2f", lt), verdict(rl, lt)
	printf "%-44s %14.2f %10s\n", "load / aggregate (automl_scan seconds)", rr, "(info)"
	if (workers > 0)
		printf "%-44s %14.2f %10s\n", "load / parallel aggregate", load / par, "(info)"
	printf "%-44s %14d\n", "frame_bytes", fb
	printf "%-44s %14d\n", "float32_bytes (rows x columns x 4)", f32
	printf "%-44s %14.3f %10s %8s\n", "memory ratio frame / float32", rm, "<= " sprintf("%.2f", mt), verdict(rm, mt)
}'
