#!/bin/bash
# jobs_notify.sh: checks that the end of a background training reaches
# LISTEN automl_jobs (done, cancelled while running, cancelled while
# queued), with the job's id and state as the payload.  The payload's
# sender PID changes from run to run, which is why this is not a
# regression test.  Expects PGHOST/PGPORT/PGUSER of a running cluster with
# automl installed; run from the repository root.
set -euo pipefail

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
db=automl_notify_test

psql_q -d postgres -c "DROP DATABASE IF EXISTS $db"
psql_q -d postgres -c "CREATE DATABASE $db"
out=$(psql_q -d "$db" 2>&1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE t AS SELECT i % 10 AS x, (i % 10 < 4) AS y FROM generate_series(1, 3000) i;
LISTEN automl_jobs;
SELECT automl_train_start('t', 'y', name => 'quick', budget => '2 seconds') AS job \gset
SELECT state FROM automl_job_wait(:job);
SELECT automl_train_start('t', 'y', name => 'long', budget => '5 minutes') AS job \gset
DO $$ BEGIN
	FOR i IN 1..600 LOOP
		EXIT WHEN (SELECT state FROM automl.job_status WHERE model = 'long') = 'running';
		PERFORM pg_sleep(0.05);
	END LOOP;
END $$;
SELECT automl_job_cancel(:job);
SELECT state FROM automl_job_wait(:job);
BEGIN;
SELECT automl_train_start('t', 'y', name => 'never') AS job \gset
SELECT automl_job_cancel(:job);
COMMIT;
SELECT 1;
SQL
)
psql_q -d postgres -c "DROP DATABASE $db"
echo "$out" | grep 'Asynchronous notification' | sed 's/ received from server process with PID [0-9]*\././'
want='Asynchronous notification "automl_jobs" with payload "{"id" : 1, "state" : "done"}".
Asynchronous notification "automl_jobs" with payload "{"id" : 2, "state" : "cancelled"}".
Asynchronous notification "automl_jobs" with payload "{"id" : 3, "state" : "cancelled"}".'
got=$(echo "$out" | grep 'Asynchronous notification' | sed 's/ received from server process with PID [0-9]*\././')
[ "$got" = "$want" ]
