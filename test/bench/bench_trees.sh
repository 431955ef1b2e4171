#!/bin/bash
# bench_trees.sh: the tree-ensemble benchmark of the issue "tree ensembles at
# XGBoost's speed and accuracy".  In one run, on the same synthetic binary
# table (BENCH_ROWS x 50, nonlinear signal, some missing values) and the same
# 80/20 split:
#
#   peers      XGBoost (hist, max_bin 255, lossguide, 31 leaves, eta 0.1,
#              100 rounds) fit on data already in memory and its
#              inplace_predict of every row; sklearn RandomForestClassifier
#              (100 trees); both with BENCH_THREADS threads
#              (test/bench/bench_trees.py, Debian's /usr/bin/python3)
#   core       the same fits through automl's learner ops, no PostgreSQL
#              (test/bench/bench_trees.c, gcc -O2 against src/core), and
#              block prediction of every row
#   end-to-end automl_train in manual mode in a throwaway PostgreSQL cluster
#              (reading the table included; test_fraction 0, the training
#              rows chosen by WHERE split = 'train'), test AUC from
#              automl_predict_proba over the test rows, and the training
#              backend's peak memory: VmHWM of pg_backend_pid() (which
#              counts the shared buffers the scan touched) and its peak
#              private memory (RssAnon, and smaps_rollup's Private_Clean +
#              Private_Dirty, sampled every 50 ms in one more, untimed, automl_train)
#
# and prints one table: times (medians), ratios automl / peer, test AUCs.
#
# Usage, as root from the repository root:
#
#   test/bench/bench_trees.sh
#
# Environment:
#
#   BENCH_ROWS=1000000    rows of the generated table
#   BENCH_REPS=3          repetitions of the peer and core fits (medians)
#   BENCH_E2E_REPS        timed repetitions of automl_train (default 3, or 1
#                         when BENCH_ROWS > 300000); one more, untimed,
#                         samples the backend's memory
#   BENCH_RF_REPS         repetitions of the random-forest fits, peer and
#                         core (default BENCH_REPS, or 1 when BENCH_ROWS >
#                         300000: sklearn's full-depth forest is slow there)
#   BENCH_THREADS=2       threads of every learner (automl.threads, nthread,
#                         n_jobs)
#   BENCH_LEARNERS="gbdt random_forest"   which comparisons to run
#   BENCH_PARTS="peers core e2e"   which parts to run
#   BENCH_DIR             where the data is generated and kept for reuse
#                         (default /tmp/automl-bench-trees-$BENCH_ROWS)
#   BENCH_BUILD=0         1 runs make and make install first, and installs
#                         this tree's automl.so again before each
#                         automl_train when the installed one differs (others
#                         may install their builds on a shared machine)
#   BENCH_CORE_DIR=src/core  the core sources the driver is built from (to
#                         compare an older copy of the engine)
#   BENCH_OMP_WAIT=passive  OMP_WAIT_POLICY of the peers: on a machine shared
#                         with other jobs XGBoost's spinning OpenMP threads
#                         are several times slower than passive ones, so the
#                         default is the peers' better time
#
# A benchmark is not a test: the exit status is 0 whether the targets are
# met or not, and nonzero only if something failed.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$AUTOML_ROOT"

BENCH_ROWS=${BENCH_ROWS:-1000000}
BENCH_REPS=${BENCH_REPS:-3}
if [ "$BENCH_ROWS" -gt 300000 ]; then
	BENCH_E2E_REPS=${BENCH_E2E_REPS:-1}
	BENCH_RF_REPS=${BENCH_RF_REPS:-1}
else
	BENCH_E2E_REPS=${BENCH_E2E_REPS:-3}
	BENCH_RF_REPS=${BENCH_RF_REPS:-$BENCH_REPS}
fi
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_LEARNERS=${BENCH_LEARNERS:-gbdt random_forest}
BENCH_PARTS=${BENCH_PARTS:-peers core e2e}
BENCH_DIR=${BENCH_DIR:-/tmp/automl-bench-trees-$BENCH_ROWS}
BENCH_BUILD=${BENCH_BUILD:-0}
BENCH_CORE_DIR=${BENCH_CORE_DIR:-src/core}
export OMP_WAIT_POLICY=${BENCH_OMP_WAIT:-passive}

PY=/usr/bin/python3
PYBENCH="$AUTOML_ROOT/test/bench/bench_trees.py"
N_FEAT=50

# the parameters of each comparison (automl's and the peer's agree)
GBDT_PARAMS='"n_estimators": 100, "learning_rate": 0.1, "max_leaves": 31, "max_depth": 0, "max_bins": 255, "min_child_samples": 20, "reg_lambda": 1.0, "subsample": 1.0, "colsample": 1.0'
GBDT_CORE=(n_estimators=100 learning_rate=0.1 max_leaves=31 max_depth=0 max_bins=255 min_child_samples=20 reg_lambda=1 subsample=1 colsample=1)
RF_PARAMS='"n_estimators": 100'
RF_CORE=(n_estimators=100)

for v in BENCH_ROWS BENCH_REPS BENCH_E2E_REPS BENCH_RF_REPS BENCH_THREADS; do
	if ! [[ ${!v} =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then
		echo "error: $v must be a positive integer (got '${!v}')" >&2
		exit 1
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "bench_trees.sh must run as root (PostgreSQL runs as the postgres user)" >&2
	exit 1
fi

declare -A R
# collect reads "key value" lines into R
collect() {
	local k v
	while read -r k v; do
		echo "$k $v" >&2
		[ -n "$k" ] && R[$k]=$v
	done
}

automl_tmpdir
mkdir -p "$BENCH_DIR"

# ---------------------------------------------------------------- data
if [ ! -s "$BENCH_DIR/data.csv" ] || [ ! -s "$BENCH_DIR/data.npz" ]; then
	automl_log "generating $BENCH_ROWS rows x $N_FEAT columns in $BENCH_DIR"
	"$PY" "$PYBENCH" gen "$BENCH_DIR" "$BENCH_ROWS"
else
	automl_log "reusing the data in $BENCH_DIR"
fi

has() { [[ " $BENCH_LEARNERS " == *" $1 "* ]]; }
part() { [[ " $BENCH_PARTS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- peers
if part peers && has gbdt; then
	automl_log "XGBoost: $BENCH_REPS fit(s), $BENCH_THREADS threads (OMP_WAIT_POLICY=$OMP_WAIT_POLICY)"
	collect < <("$PY" "$PYBENCH" peers "$BENCH_DIR" "$BENCH_REPS" "$BENCH_THREADS" xgb)
fi
if part peers && has random_forest; then
	automl_log "sklearn RandomForestClassifier: $BENCH_RF_REPS fit(s), $BENCH_THREADS jobs"
	collect < <("$PY" "$PYBENCH" peers "$BENCH_DIR" "$BENCH_RF_REPS" "$BENCH_THREADS" rf)
fi

# ---------------------------------------------------------------- core
if part core; then
	automl_log "building the core driver (gcc -O2)"
	gcc -O2 -std=c11 -D_GNU_SOURCE -Wall -I"$BENCH_CORE_DIR" -o "$AUTOML_TMP/bench_trees" \
		test/bench/bench_trees.c "$BENCH_CORE_DIR"/[a-z]*.c -lopenblas -lpthread -lm
fi
if part core && has gbdt; then
	automl_log "core gbdt: $BENCH_REPS fit(s)"
	collect < <("$AUTOML_TMP/bench_trees" "$BENCH_DIR/data.csv" gbdt "$BENCH_REPS" \
		"$BENCH_THREADS" "${GBDT_CORE[@]}")
fi
if part core && has random_forest; then
	automl_log "core random_forest: $BENCH_RF_REPS fit(s)"
	collect < <("$AUTOML_TMP/bench_trees" "$BENCH_DIR/data.csv" random_forest \
		"$BENCH_RF_REPS" "$BENCH_THREADS" "${RF_CORE[@]}")
fi

# ---------------------------------------------------------------- end to end
# sample_private PIDFILE OUT waits for a backend pid in PIDFILE, then samples
# its RssAnon and private memory (smaps_rollup Private_Clean + Private_Dirty,
# kB) every 50 ms until PIDFILE.done exists, and writes the two peaks to OUT;
# with BENCH_MEM_TRACE=FILE it also appends "seconds RssAnon private" lines
# to FILE.  Bash builtins only: the sampling forks nothing but the sleep.
sample_private() {
	local pidf=$1 out=$2 pid="" anon=0 priv=0 k v p a t0=$EPOCHREALTIME
	while [ ! -s "$pidf" ] && [ ! -e "$pidf.done" ]; do sleep 0.05; done
	read -r pid <"$pidf" || true
	while [ -n "$pid" ] && [ ! -e "$pidf.done" ] && [ -r "/proc/$pid/status" ]; do
		a=0
		while read -r k v _; do
			if [ "$k" = RssAnon: ]; then a=$v; fi
		done <"/proc/$pid/status" 2>/dev/null || true
		if [ "$a" -gt "$anon" ]; then anon=$a; fi
		p=0
		while read -r k v _; do
			case $k in Private_Clean: | Private_Dirty:) p=$((p + v)) ;; esac
		done <"/proc/$pid/smaps_rollup" 2>/dev/null || true
		if [ "$p" -gt "$priv" ]; then priv=$p; fi
		if [ -n "${BENCH_MEM_TRACE:-}" ]; then
			echo "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') $a $p" >>"$BENCH_MEM_TRACE"
		fi
		sleep 0.05
	done
	echo "$anon $priv" >"$out"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

if part e2e; then
	if [ "$BENCH_BUILD" = 1 ]; then
		automl_log "building and installing automl"
		make -j2 WERROR=-Werror PG_CONFIG="$AUTOML_PG_CONFIG" >"$AUTOML_TMP/build.log" 2>&1 &&
			make install PG_CONFIG="$AUTOML_PG_CONFIG" >>"$AUTOML_TMP/build.log" 2>&1 ||
			{ cat "$AUTOML_TMP/build.log" >&2; exit 1; }
	fi
	automl_cluster_start
	PSQL=("$AUTOML_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At)
	cols="" defs=""
	for ((j = 0; j < N_FEAT; j++)); do
		cols+="${cols:+, }x$j"
		defs+=", x$j real"
	done
	automl_log "loading the table"
	"${PSQL[@]}" <<-EOF
		CREATE EXTENSION automl;
		CREATE TABLE bench_trees (id int, is_test int, y int $defs,
			split text GENERATED ALWAYS AS (CASE WHEN is_test = 1 THEN 'test' ELSE 'train' END) STORED);
		\\copy bench_trees (id, is_test, y, $cols) FROM '$BENCH_DIR/data.csv' WITH (FORMAT csv, HEADER true, NULL 'nan')
		VACUUM (FREEZE, ANALYZE) bench_trees;
		CHECKPOINT;
	EOF
	automl_log "table size $("${PSQL[@]}" -c "SELECT pg_size_pretty(pg_table_size('bench_trees'))")"

	for learner in $BENCH_LEARNERS; do
		case $learner in
			gbdt) params=$GBDT_PARAMS ;;
			random_forest) params=$RF_PARAMS ;;
			*) echo "error: unknown learner $learner" >&2; exit 1 ;;
		esac
		walls="" hwms="" anons="" privs="" aucs="" preds=""
		# The timed repetitions run alone; one more, untimed, samples the
		# backend's memory: reading smaps_rollup every 50 ms slowed the
		# 1M-row gbdt fit from 10.5 s to 14 s on two cores.
		for ((rep = 1; rep <= BENCH_E2E_REPS + 1; rep++)); do
			name="bt_${learner}_$rep"
			memrep=$((rep > BENCH_E2E_REPS))
			if [ "$BENCH_BUILD" = 1 ] &&
				! cmp -s automl.so "$("$AUTOML_PG_CONFIG" --pkglibdir)/automl.so"; then
				automl_log "the installed automl.so is not this tree's: installing it again"
				make install PG_CONFIG="$AUTOML_PG_CONFIG" >>"$AUTOML_TMP/build.log" 2>&1
			fi
			pidf="$AUTOML_TMP/pid.$learner.$rep"
			rm -f "$pidf" "$pidf.done" "$pidf.peak"
			if [ "$memrep" = 1 ]; then
				sample_private "$pidf" "$pidf.peak" &
			else
				(while [ ! -e "$pidf.done" ]; do sleep 0.05; done; echo "0 0" >"$pidf.peak") &
			fi
			sampler=$!
			out=$("${PSQL[@]}" <<-EOF
				SET automl.threads = $BENCH_THREADS;
				SET client_min_messages = warning;
				SELECT pg_backend_pid() AS pid \\gset
				\\setenv BENCH_BACKEND_PID :pid
				\\! echo "\$BENCH_BACKEND_PID" >'$pidf'
				SELECT pg_sleep(0.2);
				SELECT clock_timestamp() AS t0 \\gset
				SELECT seconds FROM automl_train('SELECT y, $cols FROM bench_trees WHERE split = ''train''',
					'y', name => '$name', budget => '10 hours',
					options => '{"algorithm": "$learner", "params": {$params}, "test_fraction": 0}') \\gset
				SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS wall \\gset
				SELECT (regexp_match(pg_read_file('/proc/' || :pid || '/status'), 'VmHWM:\\s+(\\d+)'))[1] AS hwm \\gset
				SELECT (regexp_match(pg_read_file('/proc/' || :pid || '/status'), 'RssShmem:\\s+(\\d+)'))[1] AS shm \\gset
				\\echo :wall :hwm :shm :seconds
			EOF
			)
			touch "$pidf.done"
			wait "$sampler"
			read -r anon priv <"$pidf.peak"
			read -r wall hwm shm secs <<<"$(tail -n 1 <<<"$out")"
			t0=$(date +%s.%N)
			"${PSQL[@]}" -c "\\copy (SELECT y, automl_predict_proba('$name', t) FROM bench_trees t WHERE split = 'test') TO '$AUTOML_TMP/pred.csv' WITH (FORMAT csv)"
			t1=$(date +%s.%N)
			pred=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
			auc=$("$PY" "$PYBENCH" auc "$AUTOML_TMP/pred.csv")
			if [ "$memrep" = 1 ]; then
				echo "e2e $learner memory rep (sampled, not timed): automl_train ${wall} s, backend VmHWM $((hwm / 1024)) MB (RssShmem $((shm / 1024)) MB at the end), peak RssAnon $((anon / 1024)) MB, peak private $((priv / 1024)) MB, test AUC $auc" >&2
				hwms=$hwm anons=$anon privs=$priv
				continue
			fi
			echo "e2e $learner rep $rep: automl_train ${wall} s (core ${secs} s), SQL scoring of the test rows $pred s, test AUC $auc" >&2
			walls+=" $wall" preds+=" $pred"
			aucs=$auc
		done
		R[e2e_${learner}_fit]=$(echo "$walls" | median)
		R[e2e_${learner}_hwm_mb]=$(echo "$hwms" | median | awk '{ printf "%.0f", $1 / 1024 }')
		R[e2e_${learner}_anon_mb]=$(echo "$anons" | median | awk '{ printf "%.0f", $1 / 1024 }')
		R[e2e_${learner}_priv_mb]=$(echo "$privs" | median | awk '{ printf "%.0f", $1 / 1024 }')
		R[e2e_${learner}_sqlpred]=$(echo "$preds" | median)
		R[e2e_${learner}_auc]=$aucs
	done
fi

# ---------------------------------------------------------------- report
ntrain=$(awk -F, 'NR > 1 && $2 == 0 { n++ } END { print n }' "$BENCH_DIR/data.csv")
f32_mb=$(awk -v n="$ntrain" -v f="$N_FEAT" 'BEGIN { printf "%.0f", n * f * 4 / 1048576 }')

v() { echo "${R[$1]:-}"; }
row() {
	# row LABEL PEER_TIME AUTOML_TIME PEER_AUC AUTOML_AUC
	awk -v l="$1" -v p="$2" -v a="$3" -v pa="$4" -v aa="$5" 'BEGIN {
		r = (p > 0 && a != "") ? sprintf("%.2f", a / p) : "-"
		printf "%-34s %10s %10s %7s %9s %9s\n", l, (p == "" ? "-" : p), (a == "" ? "-" : a), r,
			(pa == "" ? "-" : pa), (aa == "" ? "-" : aa) }'
}

echo
echo "tree benchmark: $BENCH_ROWS rows x $N_FEAT features ($ntrain training rows), $BENCH_THREADS threads," \
	"medians of $BENCH_REPS (end to end $BENCH_E2E_REPS, forests $BENCH_RF_REPS); $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-34s %10s %10s %7s %9s %9s\n" "learner" "peer s" "automl s" "ratio" "AUC peer" "AUC automl"
if has gbdt; then
	row "gbdt fit, automl_train (e2e)" "$(v xgb_fit)" "$(v e2e_gbdt_fit)" "$(v xgb_auc)" "$(v e2e_gbdt_auc)"
	row "gbdt fit, core" "$(v xgb_fit)" "$(v core_gbdt_fit)" "$(v xgb_auc)" "$(v core_gbdt_auc)"
	row "gbdt predict all rows, core" "$(v xgb_predict)" "$(v core_gbdt_predict)" "" ""
	row "gbdt predict all rows, core 1 thr" "$(v xgb_predict)" "$(v core_gbdt_predict1)" "" ""
fi
if has random_forest; then
	row "random_forest fit, automl_train" "$(v rf_fit)" "$(v e2e_random_forest_fit)" "$(v rf_auc)" "$(v e2e_random_forest_auc)"
	row "random_forest fit, core" "$(v rf_fit)" "$(v core_random_forest_fit)" "$(v rf_auc)" "$(v core_random_forest_auc)"
	row "random_forest predict all, core" "$(v rf_predict)" "$(v core_random_forest_predict)" "" ""
fi
echo "peers: XGBoost $("$PY" -c 'import xgboost; print(xgboost.__version__)'), scikit-learn $("$PY" -c 'import sklearn; print(sklearn.__version__)'); ratio = automl / peer (targets: gbdt e2e <= 1.0, forest <= 0.5, predict <= 1.0)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }
for learner in $BENCH_LEARNERS; do
	if [ -n "$(v e2e_${learner}_hwm_mb)" ]; then
		echo "$learner: training backend peak memory vs the float32 feature matrix ($f32_mb MB; target <= 1.5x):" \
			"private (smaps_rollup) $(v e2e_${learner}_priv_mb) MB = $(ratio "$(v e2e_${learner}_priv_mb)" "$f32_mb")x," \
			"RssAnon $(v e2e_${learner}_anon_mb) MB = $(ratio "$(v e2e_${learner}_anon_mb)" "$f32_mb")x," \
			"VmHWM (with shared buffers) $(v e2e_${learner}_hwm_mb) MB = $(ratio "$(v e2e_${learner}_hwm_mb)" "$f32_mb")x;" \
			"core accounted peak $(v core_${learner}_peak_mb) MB; SQL scoring of the test rows $(v e2e_${learner}_sqlpred) s"
	fi
done
