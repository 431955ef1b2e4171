#!/bin/bash
# test.sh: runs automl's whole test suite on a Debian 12 machine, as root,
# from anywhere (it works in the repository root):
#
#   1. installs the build dependencies when missing
#   2. builds with warnings as errors and installs the extension
#   3. the core's C unit tests (make unittest), then again under
#      AddressSanitizer and UndefinedBehaviorSanitizer
#   4. starts a throwaway PostgreSQL 15 cluster and runs the regression
#      tests against it (make installcheck)
#      then the browser test: the demo model's report rendered by headless
#      Chromium (installed when missing) without console errors, and a
#      screenshot that is not blank
#   5. source checks: the core includes no PostgreSQL header and calls no
#      exit/printf/rand/setlocale
#
# Every unit-test case, every regression test and every script-level check
# counts once.  A stage that fails or cannot run does not stop the suite:
# it is reported, and what depends on it is counted as failed (never
# silently skipped).  The last line printed is "N passed, N failed"; the
# exit status is nonzero when anything failed.

set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PASSED=0
FAILED=0

# check_result records one script-level check: name and exit status.
check_result() {
	local name=$1
	local rc=$2

	if [ "$rc" -eq 0 ]; then
		echo "ok - check: $name"
		PASSED=$((PASSED + 1))
	else
		echo "not ok - check: $name"
		FAILED=$((FAILED + 1))
	fi
}

# count_failed counts n things as failed because a stage could not run.
count_failed() {
	local n=$1
	local why=$2

	echo "not ok - $why ($n counted as failed)"
	FAILED=$((FAILED + n))
}

# finish stops the cluster, prints the summary as the very last line and
# exits with the suite's status.
finish() {
	automl_cleanup
	echo
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ] && exit 0
	exit 1
}

# make_var prints the value of a variable of the Makefile (e.g. REGRESS).
make_var() {
	printf 'print-var:\n\t@echo $(%s)\n' "$1" >"$AUTOML_TMP/print.mk"
	make -s --no-print-directory -f Makefile -f "$AUTOML_TMP/print.mk" \
		print-var PG_CONFIG="$AUTOML_PG_CONFIG" 2>/dev/null
}

# run_unit runs "make unittest" with extra make arguments and adds the
# counts of its "unit: N passed, N failed" line.  When that line is missing
# (a test did not compile), every test program counts as one failure.
run_unit() {
	local label=$1
	shift
	local log="$AUTOML_TMP/unit.log"
	local rc=0
	local line p f n

	automl_log "$label"
	if make --no-print-directory unittest PG_CONFIG="$AUTOML_PG_CONFIG" "$@" 2>&1 |
		tee "$log"; then
		rc=0
	else
		rc=$?
	fi
	line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)
	if [ -n "$line" ]; then
		p=${line#unit: }
		p=${p%% passed*}
		f=${line#*, }
		f=${f%% failed}
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
		# a nonzero status without a failed case is still a failure
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			count_failed 1 "$label: make exited with status $rc"
		fi
	else
		n=$(find test/unit -maxdepth 1 -name 'test_*.c' | wc -l)
		[ "$n" -gt 0 ] || n=1
		count_failed "$n" "$label: the unit tests did not build or run"
	fi
}

# run_installcheck runs the regression tests and counts each test named in
# the Makefile's REGRESS: ok passes; FAILED, or not reported at all
# (pg_regress stopped early), fails.  On failure it prints regression.diffs.
run_installcheck() {
	local log="$AUTOML_TMP/installcheck.log"
	local rc=0
	local n_failed=0
	local t status
	local -A result=()

	automl_log "regression tests (make installcheck)"
	if make --no-print-directory installcheck PG_CONFIG="$AUTOML_PG_CONFIG" 2>&1 |
		tee "$log"; then
		rc=0
	else
		rc=$?
	fi

	# PostgreSQL <= 15: "test name ... ok" or, in a parallel group,
	# "     name ... FAILED"; PostgreSQL >= 16: "ok 1 - name" / "not ok 2 - name"
	while read -r t status; do
		result[$t]=$status
	done < <(sed -nE \
		-e 's/^(test )? *([A-Za-z0-9_.-]+) +\.\.\. +(ok|FAILED|failed \(ignored\)).*/\2 \3/p' \
		-e 's/^(not ok|ok) +[0-9]+ +[-+] +([A-Za-z0-9_.-]+).*/\2 \1/p' "$log")

	for t in "${REGRESS_TESTS[@]}"; do
		status=${result[$t]:-}
		unset "result[$t]"
		if [ "$status" = ok ]; then
			PASSED=$((PASSED + 1))
		else
			[ -n "$status" ] || echo "not ok - regress: $t gave no result (pg_regress stopped early)"
			FAILED=$((FAILED + 1))
			n_failed=$((n_failed + 1))
		fi
	done
	# tests reported but not in REGRESS (should not happen) count as well
	for t in "${!result[@]}"; do
		if [ "${result[$t]}" = ok ]; then
			PASSED=$((PASSED + 1))
		else
			FAILED=$((FAILED + 1))
			n_failed=$((n_failed + 1))
		fi
	done

	if [ "$rc" -ne 0 ]; then
		if [ -s regression.diffs ]; then
			echo "---- regression.diffs (first 2000 lines) ----"
			head -n 2000 regression.diffs
			echo "---- end of regression.diffs ----"
		fi
		# pg_regress failed, yet no test failed: count the run itself
		if [ "$n_failed" -eq 0 ]; then
			count_failed 1 "make installcheck exited with status $rc"
		fi
	fi
}

# check_core_headers checks that src/core includes no PostgreSQL header.
check_core_headers() {
	local hits

	hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](postgres\.h|postgres_ext\.h|postgres_fe\.h|fmgr\.h|funcapi\.h|miscadmin\.h|pg_config[a-z_]*\.h|utils/|catalog/|access/|executor/|nodes/|storage/|lib/|commands/|mb/|port/|libpq/|common/)' \
		src/core/*.c src/core/*.h 2>/dev/null || true)
	if [ -n "$hits" ]; then
		echo "src/core must not include PostgreSQL headers:"
		echo "$hits"
		return 1
	fi
}

# check_core_calls checks that src/core never prints, exits, aborts, uses
# rand() or setlocale (DESIGN.md: the core is a library).
check_core_calls() {
	local hits

	hits=$(grep -nE '(^|[^A-Za-z0-9_])(printf|fprintf|puts|fputs|perror|exit|_exit|abort|rand|srand|setlocale)[[:space:]]*\(|(^|[^A-Za-z0-9_>.])(stdout|stderr)([^A-Za-z0-9_]|$)' \
		src/core/*.c src/core/*.h 2>/dev/null || true)
	if [ -n "$hits" ]; then
		echo "src/core must not print, exit, abort or use rand/setlocale:"
		echo "$hits"
		return 1
	fi
}

# main runs the stages in order and ends with the summary line.
main() {
	local rc

	cd "$AUTOML_ROOT"
	if [ "$(id -u)" -ne 0 ]; then
		echo "test.sh must run as root (it installs packages and the extension," \
			"and runs PostgreSQL as the postgres user)" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi

	automl_tmpdir

	# 1. dependencies
	if automl_install_deps; then rc=0; else rc=$?; fi
	check_result "dependencies installed" "$rc"

	# 2. build with warnings as errors, and install
	BUILD_OK=0
	if automl_build; then rc=0; else rc=$?; fi
	check_result "build (warnings are errors) and install" "$rc"
	if [ "$rc" -eq 0 ]; then BUILD_OK=1; fi

	# 3. unit tests of the core, plain and sanitized (these compile the core
	# themselves, so they run even when the extension failed to build)
	run_unit "unit tests (make unittest)"
	run_unit "unit tests under ASan/UBSan (make unittest SANITIZE=1)" SANITIZE=1

	# 4. regression tests on a throwaway cluster
	read -r -a REGRESS_TESTS <<<"$(make_var REGRESS || true)"
	if [ ${#REGRESS_TESTS[@]} -eq 0 ]; then
		count_failed 1 "could not read REGRESS from the Makefile"
	fi
	if automl_cluster_start; then rc=0; else rc=$?; fi
	check_result "throwaway PostgreSQL 15 cluster starts" "$rc"
	if [ "$rc" -ne 0 ]; then
		count_failed ${#REGRESS_TESTS[@]} "regression tests: no cluster"
	elif [ "$BUILD_OK" -ne 1 ]; then
		count_failed ${#REGRESS_TESTS[@]} "regression tests: the build failed"
	else
		run_installcheck
		automl_log "pg_dump / restore of the catalog"
		if PATH="$AUTOML_PG_BINDIR:$PATH" bash test/scripts/dump_restore.sh; then rc=0; else rc=$?; fi
		check_result "catalog survives pg_dump and restore" "$rc"
		automl_log "background trainings notify LISTEN automl_jobs"
		if PATH="$AUTOML_PG_BINDIR:$PATH" bash test/scripts/jobs_notify.sh; then rc=0; else rc=$?; fi
		check_result "a background training's end reaches LISTEN automl_jobs" "$rc"
		automl_log "automl.max_jobs holds for starts in concurrent transactions"
		if PATH="$AUTOML_PG_BINDIR:$PATH" bash test/scripts/jobs_cap.sh; then rc=0; else rc=$?; fi
		check_result "automl.max_jobs holds for concurrent starts" "$rc"
		automl_log "browser test: the model report in headless Chromium"
		if PATH="$AUTOML_PG_BINDIR:$PATH" bash test/scripts/browser_test.sh; then rc=0; else rc=$?; fi
		check_result "the model report renders in a browser" "$rc"
	fi

	# 5. source checks
	automl_log "source checks"
	if check_core_headers; then rc=0; else rc=$?; fi
	check_result "src/core includes no PostgreSQL header" "$rc"
	if check_core_calls; then rc=0; else rc=$?; fi
	check_result "src/core calls no printf/exit/abort/rand/setlocale" "$rc"

	finish
}

# run the suite when executed (sourcing only defines the functions, for
# testing this script itself)
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
