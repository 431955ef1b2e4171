#!/bin/bash
# bench_jobs.sh: what training in a background worker costs.  In one run,
# on one generated table (BENCH_ROWS x 20 numeric features, binary target),
# the same manual gbdt configuration is trained alternately
#
#   foreground  SELECT automl_train(...)
#   background  SELECT automl_train_start(...), then automl_job_wait(job)
#
# BENCH_REPS times each in a throwaway cluster; it prints the medians of the
# wall time the caller waits (for the background: from the start call to
# automl_job_wait's return, so the worker's start-up and the job's
# bookkeeping are included) and of the training's own seconds, and the
# ratio background / foreground, and checks that both stored the same
# model (same test score).
#
# Usage, as root from the repository root:
#
#   test/bench/bench_jobs.sh
#
# Environment: BENCH_ROWS (200000), BENCH_REPS (3), BENCH_THREADS (2).
# A benchmark is not a test: the exit status is nonzero only if something
# failed.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
cd "$AUTOML_ROOT"

BENCH_ROWS=${BENCH_ROWS:-200000}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_THREADS=${BENCH_THREADS:-2}
PARAMS='{"algorithm": "gbdt", "params": {"n_estimators": 100, "learning_rate": 0.1, "max_leaves": 31}}'

automl_cluster_start
PSQL=("$AUTOML_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At)
automl_log "generating $BENCH_ROWS rows"
"${PSQL[@]}" <<-EOF
	SET client_min_messages = warning;
	CREATE EXTENSION automl;
	SELECT setseed(0.42);
	CREATE TABLE bench_jobs AS
	SELECT x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15, x16, x17, x18, x19,
	       (x0 * x1 + sin(3 * x2) + x3 * x3 - x4 + 0.5 * random() > 0.6) AS y
	  FROM (SELECT random() AS x0, random() AS x1, random() AS x2, random() AS x3, random() AS x4,
	               random() AS x5, random() AS x6, random() AS x7, random() AS x8, random() AS x9,
	               random() AS x10, random() AS x11, random() AS x12, random() AS x13, random() AS x14,
	               random() AS x15, random() AS x16, random() AS x17, random() AS x18, random() AS x19
	          FROM generate_series(1, $BENCH_ROWS)) r;
	VACUUM (FREEZE, ANALYZE) bench_jobs;
	ALTER DATABASE postgres SET automl.threads = $BENCH_THREADS;
EOF

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

fg_wall=() fg_secs=() bg_wall=() bg_secs=() fg_score="" bg_score=""
for ((r = 1; r <= BENCH_REPS; r++)); do
	read -r wall secs score <<<"$("${PSQL[@]}" -F ' ' <<-EOF
		SET client_min_messages = warning;
		SELECT clock_timestamp() AS t0 \gset
		SELECT seconds, test_score FROM automl_train('bench_jobs', 'y', name => 'fg', budget => '1 hour',
			options => '$PARAMS') \gset
		SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), :seconds, :test_score;
	EOF
	)"
	fg_wall+=("$wall") fg_secs+=("$secs") fg_score=$score
	automl_log "rep $r foreground: waited $wall s, training $secs s, test AUC $score"
	read -r wall secs score state <<<"$("${PSQL[@]}" -F ' ' <<-EOF
		SET client_min_messages = warning;
		SELECT clock_timestamp() AS t0 \gset
		SELECT automl_train_start('bench_jobs', 'y', name => 'bg', budget => '1 hour',
			options => '$PARAMS') AS job \gset
		SELECT state, result->>'seconds' AS seconds, result->>'test_score' AS test_score
		  FROM automl_job_wait(:job) \gset
		SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), :seconds, :test_score, :'state';
	EOF
	)"
	[ "$state" = done ] || { echo "error: background job ended '$state'" >&2; exit 1; }
	bg_wall+=("$wall") bg_secs+=("$secs") bg_score=$score
	automl_log "rep $r background: waited $wall s, training $secs s, test AUC $score"
done

fw=$(printf '%s\n' "${fg_wall[@]}" | median)
fs=$(printf '%s\n' "${fg_secs[@]}" | median)
bw=$(printf '%s\n' "${bg_wall[@]}" | median)
bs=$(printf '%s\n' "${bg_secs[@]}" | median)
echo
echo "background training benchmark: automl $("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'automl'"); $BENCH_ROWS rows x 20, gbdt 100 rounds, $BENCH_THREADS threads, medians of $BENCH_REPS; $(date -u +%FT%RZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %12s %12s %10s\n' "" "waited s" "training s" "test AUC"
printf '%-12s %12.3f %12.3f %10s\n' foreground "$fw" "$fs" "$fg_score"
printf '%-12s %12.3f %12.3f %10s\n' background "$bw" "$bs" "$bg_score"
awk -v a="$bw" -v b="$fw" -v c="$bs" -v d="$fs" 'BEGIN { printf "ratio background / foreground: waited %.3f, training %.3f (extra wait %.3f s)\n", a / b, c / d, a - b }'
[ "$fg_score" = "$bg_score" ] && echo "same model: yes (test AUC $fg_score)" || echo "same model: NO ($fg_score vs $bg_score)"
