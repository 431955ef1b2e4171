#!/bin/bash
# jobs_cap.sh: automl.max_jobs holds for starts in concurrent transactions.
# Session A starts a job in an open transaction; session B starts one
# meanwhile with automl.max_jobs = 1.  B must wait for A's commit, then be
# refused; without the wait, both would count no live job and both start.
# Two sessions at once, which is why this is not a regression test.
# Expects PGHOST/PGPORT/PGUSER of a running cluster with automl installed;
# run from the repository root.
set -euo pipefail

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
db=automl_cap_test
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

psql_q -d postgres -c "DROP DATABASE IF EXISTS $db"
psql_q -d postgres -c "CREATE DATABASE $db"
psql_q -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE t AS SELECT i % 10 AS x, (i % 10 < 4) AS y FROM generate_series(1, 3000) i;
SQL

# A: start, then hold the transaction open for 3 s
PGAPPNAME=cap_a psql_q -d "$db" >"$tmp/a.out" 2>&1 <<'SQL' &
SET automl.max_jobs = 1;
SET client_min_messages = warning;
BEGIN;
SELECT automl_train_start('t', 'y', name => 'a', budget => '5 minutes') > 0 AS started;
SELECT pg_sleep(3);
COMMIT;
SQL
apid=$!
# until A sleeps inside its transaction
for _ in $(seq 1 200); do
	n=$(psql_q -d "$db" -Atc "SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'cap_a' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'")
	[ "$n" = 1 ] && break
	sleep 0.05
done
[ "$n" = 1 ] || { echo "session A did not reach its sleep"; cat "$tmp/a.out"; exit 1; }

# B: started while A's job is uncommitted
start=$(date +%s.%N)
PGAPPNAME=cap_b psql -X -q -d "$db" >"$tmp/b.out" 2>&1 <<'SQL' || true
SET automl.max_jobs = 1;
SET client_min_messages = warning;
SELECT automl_train_start('t', 'y', name => 'b', budget => '5 minutes') > 0 AS started;
SQL
end=$(date +%s.%N)
wait "$apid"

# stop A's job before the database goes
psql_q -d "$db" -Atc "SELECT automl_job_cancel(id) FROM automl.jobs WHERE model = 'a'" >/dev/null
psql_q -d "$db" -Atc "SELECT w.state FROM automl.jobs j, automl_job_wait(j.id) w WHERE j.model = 'a'" >/dev/null
jobs=$(psql_q -d "$db" -Atc "SELECT string_agg(model, ',' ORDER BY id) FROM automl.jobs")
psql_q -d postgres -c "DROP DATABASE $db"

echo "A:"; cat "$tmp/a.out"
echo "B (returned after $(echo "$end - $start" | bc) s):"; cat "$tmp/b.out"
echo "jobs recorded: $jobs"
grep -q 'ERROR:  too many background trainings' "$tmp/b.out"
grep -q 'DETAIL:  1 job is queued or running in this database; automl.max_jobs is 1.' "$tmp/b.out"
[ "$jobs" = a ]
