#!/bin/bash
# bench_bias.sh: the cost of a bias table, of an evaluation and of a drift
# check (the three functions that read a whole source for a model through
# the same scan, AmlScoreSource).  On the scoring benchmark's
# generated table (test/bench/bench_predict.sql: BENCH_ROWS rows x 50
# feature columns, an int 0/1 target) with a 100-tree gbdt model (manual
# mode, trained on a sample), it times, serially
# (max_parallel_workers_per_gather = 0 for every statement):
#
#   (a) score     SELECT sum(automl_predict_proba('m', t)) FROM bench_t t
#   (b) bias      SELECT sum(rows) FROM automl_bias('m', 'bench_t', 'c45'):
#                 a text sensitive column (5 values and NULL), labels read too
#   (c) bias_num  SELECT sum(rows) FROM automl_bias('m', 'bench_t', 'c1'):
#                 a float8 sensitive column cut into 4 quantile bins
#   (d) evaluate  SELECT sum(value) FROM automl_evaluate('m', 'bench_t'):
#                 the six binary metrics on every row
#   (e) drift     SELECT sum(psi) FROM automl_drift('m', 'bench_t'): the
#                 50 columns counted into their training bins, no scoring
#   (f) floor     SELECT count(*) FROM bench_t t WHERE t IS NOT NULL: the
#                 scan that forms and tests every row, nothing of automl
#
# and prints medians and the ratios b/a and c/a against the issue's target
# (at most 1.5), and d/a, e/a and e/f.  Medians of BENCH_REPS repetitions, each statement in its
# own session after an untimed statement that loads the model, in an order
# that rotates between repetitions; timed with clock_timestamp() around the
# statement inside a plpgsql function (bench_time in bench_predict.sql).
#
# Usage, as root from the repository root (hold the benchmark lock on a
# shared machine):
#
#   flock /tmp/automl-bench.lock test/bench/bench_bias.sh
#   BENCH_ROWS=100000 BENCH_REPS=3 test/bench/bench_bias.sh
#
# It builds and installs automl if automl_bias is not installed
# (BENCH_BUILD=1 always rebuilds, BENCH_BUILD=0 never does), starts a
# throwaway PostgreSQL 15 cluster (test/scripts/common.sh; PG_BINDIR
# selects another installation; removed however the script ends),
# generates the table, trains the model and runs the repetitions.
#
# Environment:
#
#   BENCH_ROWS=1000000        rows of the generated table
#   BENCH_REPS=3              timed repetitions (medians are reported)
#   BENCH_TRAIN_ROWS=100000   the model is trained on every k-th row so that
#                             about this many rows are used
#
# A benchmark is not a test: the exit status is 0 whether the target is met
# or not (PASS/FAIL is printed), and nonzero only if something failed.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$AUTOML_ROOT"

BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_TRAIN_ROWS=${BENCH_TRAIN_ROWS:-100000}
BENCH_BUILD=${BENCH_BUILD:-auto}
BENCH_DB=automl_bench_bias
BENCH_DIR="$AUTOML_ROOT/test/bench"

for v in BENCH_ROWS BENCH_REPS BENCH_TRAIN_ROWS; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "error: $v must be a positive integer (got '${!v}')" >&2
		exit 1
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "bench_bias.sh must run as root (it may install the extension, and runs" \
		"PostgreSQL as the postgres user)" >&2
	exit 1
fi
export PGOPTIONS="${PGOPTIONS:+$PGOPTIONS }-c jit=off"

PSQL=("$AUTOML_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1)
psql_bench() {
	"${PSQL[@]}" -d "$BENCH_DB" "$@"
}
psql_val() {
	psql_bench -At -c "$1"
}
automl_drift_installed() {
	local share
	share=$("$AUTOML_PG_CONFIG" --sharedir 2>/dev/null) || return 1
	grep -qs 'automl_drift' "$share"/extension/automl--*.sql
}

automl_install_deps
automl_tmpdir
if [ "$BENCH_BUILD" = 1 ] || { [ "$BENCH_BUILD" = auto ] && ! automl_drift_installed; }; then
	if ! automl_build >"$AUTOML_TMP/build.log" 2>&1; then
		cat "$AUTOML_TMP/build.log" >&2
		echo "error: the build failed" >&2
		exit 1
	fi
	automl_log "automl built and installed"
elif ! automl_drift_installed; then
	echo "error: automl (with automl_drift) is not installed and BENCH_BUILD=0" >&2
	exit 1
fi
automl_cluster_start
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $BENCH_DB"

automl_log "generating bench_t: $BENCH_ROWS rows x 50 feature columns"
psql_bench -v rows="$BENCH_ROWS" -f "$BENCH_DIR/bench_predict.sql" >/dev/null
automl_log "table size $(psql_val "SELECT pg_size_pretty(pg_table_size('bench_t'))")"

k=$(((BENCH_ROWS + BENCH_TRAIN_ROWS - 1) / BENCH_TRAIN_ROWS))
if [ "$k" -le 1 ]; then
	train_src="bench_t"
else
	train_src="SELECT * FROM bench_t WHERE id % $k = 0"
fi
automl_log "training automl gbdt (100 trees, 31 leaves) on: $train_src"
psql_bench -At -v src="$train_src" >/dev/null <<-'EOF'
	SET client_min_messages = warning;
	SELECT automl_train(:'src', 'target', name => 'm', exclude => ARRAY['id'],
		options => '{"algorithm": "gbdt", "params": {"n_estimators": 100, "learning_rate": 0.1, "max_leaves": 31}}');
EOF

Q_SCORE="SELECT sum(automl_predict_proba('m', t)) FROM bench_t t"
Q_BIAS="SELECT sum(rows) FROM automl_bias('m', 'bench_t', 'c45')"
Q_BIAS_NUM="SELECT sum(rows) FROM automl_bias('m', 'bench_t', 'c1')"
Q_EVAL="SELECT sum(value) FROM automl_evaluate('m', 'bench_t')"
Q_DRIFT="SELECT sum(psi) FROM automl_drift('m', 'bench_t')"
Q_FLOOR="SELECT count(*) FROM bench_t t WHERE t IS NOT NULL"
W_AUTOML="SELECT automl_predict_proba('m', t) FROM bench_t t LIMIT 1"

# run_kind KIND REP: one timed statement in its own session, serial
run_kind() {
	local q
	case $1 in
		score) q=$Q_SCORE ;;
		bias) q=$Q_BIAS ;;
		bias_num) q=$Q_BIAS_NUM ;;
		evaluate) q=$Q_EVAL ;;
		drift) q=$Q_DRIFT ;;
		floor) q=$Q_FLOOR ;;
	esac
	psql_bench -At -v q="$q" -v w="$W_AUTOML" <<-EOF
		SET client_min_messages = warning;
		SELECT round(bench_time('$1', $2, 0, :'q', :'w')::numeric, 3);
	EOF
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
automl_log "warm-up (one untimed run of each statement); load average $load_start"
for what in score bias bias_num evaluate drift floor; do
	run_kind "$what" 0 >/dev/null
done
order=(score bias bias_num evaluate drift floor)
n=${#order[@]}
for ((rep = 1; rep <= BENCH_REPS; rep++)); do
	line="rep $rep/$BENCH_REPS:"
	for ((j = 0; j < n; j++)); do
		what=${order[$(((rep - 1 + j) % n))]}
		line+=" $what $(run_kind "$what" "$rep") s,"
	done
	automl_log "${line%,}"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

median() {
	psql_val "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wall) FROM bench_results WHERE rep > 0 AND kind = '$1'"
}
a=$(median score)
b=$(median bias)
c=$(median bias_num)
d=$(median evaluate)
e=$(median drift)
f=$(median floor)
groups=$(psql_val "SELECT count(*) FROM automl_bias('m', 'bench_t', 'c45')")
awk -v rows="$BENCH_ROWS" -v reps="$BENCH_REPS" -v a="$a" -v b="$b" -v c="$c" -v groups="$groups" \
	-v d="$d" -v e="$e" -v f="$f" \
	-v l0="$load_start" -v l1="$load_end" 'BEGIN {
	print ""
	printf "automl_bias benchmark: %d rows x 50 feature columns, gbdt 100 trees (31 leaves), serial\n", rows
	printf "load average %s before, %s after; %d repetitions, medians\n\n", l0, l1, reps
	printf "%-62s %8s %8s\n", "statement", "seconds", "us/row"
	printf "%-62s %8.3f %8.2f\n", "(a) sum(automl_predict_proba(m, t))", a, a * 1e6 / rows
	printf "%-62s %8.3f %8.2f\n", sprintf("(b) automl_bias, text column c45 (%d groups), labels", groups), b, b * 1e6 / rows
	printf "%-62s %8.3f %8.2f\n", "(c) automl_bias, float8 column c1 (4 quantile bins), labels", c, c * 1e6 / rows
	printf "%-62s %8.3f %8.2f\n", "(d) automl_evaluate, six metrics on every row", d, d * 1e6 / rows
	printf "%-62s %8.3f %8.2f\n", "(e) automl_drift, 50 columns, no scoring", e, e * 1e6 / rows
	printf "%-62s %8.3f %8.2f\n", "(f) floor: count(*) WHERE t IS NOT NULL (forms every row)", f, f * 1e6 / rows
	printf "\nratio b/a %.2f, c/a %.2f (target <= 1.5): %s\n", b / a, c / a, (b / a <= 1.5 && c / a <= 1.5) ? "PASS" : "FAIL"
	printf "ratio d/a %.2f (evaluate against scoring), e/a %.2f and e/f %.2f (drift against scoring and the scan)\n", d / a, e / a, e / f
}'
