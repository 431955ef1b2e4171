#!/bin/bash
# dump_restore.sh: checks that automl's catalog (models, leaderboard,
# deployments, governance, assessments, background jobs, drift checks and the sequences) survives pg_dump
# and restore, and that a restored model scores exactly as before.  Expects PGHOST/PGPORT/PGUSER
# of a running cluster with automl installed; run from the repository root.
set -euo pipefail

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

snapshot() {
	psql_q -At -d "$1" -c "
		SELECT (SELECT count(*) FROM automl.models) || ' models, ' ||
			   (SELECT count(*) FROM automl.candidates) || ' candidates, ' ||
			   (SELECT string_agg(name || ':' || version || ':' || reason, ',' ORDER BY id) FROM automl.deployments) || ', blobs ' ||
			   (SELECT md5(string_agg(model::text, ',' ORDER BY id)) FROM automl.models) || ', predictions ' ||
			   (SELECT md5(string_agg(automl_predict('concrete_compressive_strength', c), ',')) FROM concrete c) || ', last id ' ||
			   (SELECT last_value FROM automl.models_id_seq) || ', shares ' ||
			   (SELECT count(*) FROM automl.shares) || ', policies ' ||
			   (SELECT count(*) FROM automl.policies) || ', audit ' ||
			   (SELECT md5(string_agg(action || ':' || model || ':' || coalesce(version, 0), ',' ORDER BY id)) FROM automl.audit) || ', statuses ' ||
			   (SELECT string_agg(status, ',' ORDER BY id) FROM automl.models) || ', assessments ' ||
			   (SELECT count(*) FROM automl.assessments) || ' ' ||
			   (SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM automl.assessments a) || ', last assessment id ' ||
			   (SELECT last_value FROM automl.assessments_id_seq) || ', jobs ' ||
			   (SELECT string_agg(model || ':' || state, ',' ORDER BY id) FROM automl.jobs) || ' ' ||
			   (SELECT md5(string_agg(j::text, ',' ORDER BY id)) FROM automl.jobs j) || ', last job id ' ||
			   (SELECT last_value FROM automl.jobs_id_seq) || ', drift history ' ||
			   (SELECT count(*) FROM automl.drift_history) || ' ' ||
			   (SELECT md5(string_agg(h::text, ',' ORDER BY check_id, feature)) FROM automl.drift_history h) || ', last check id ' ||
			   (SELECT last_value FROM automl.drift_history_check_id_seq)"
}

for db in automl_dump_src automl_dump_dst; do
	psql_q -d postgres -c "DROP DATABASE IF EXISTS $db"
	psql_q -d postgres -c "CREATE DATABASE $db"
done
psql_q -d automl_dump_src -f test/scripts/dump_restore.sql >/dev/null
before=$(snapshot automl_dump_src)
pg_dump -d automl_dump_src -Fc -f "${TMPDIR:-/tmp}/automl_dump.$$"
pg_restore --exit-on-error -d automl_dump_dst "${TMPDIR:-/tmp}/automl_dump.$$"
rm -f "${TMPDIR:-/tmp}/automl_dump.$$"
after=$(snapshot automl_dump_dst)
echo "before:  $before"
echo "after:   $after"
for db in automl_dump_src automl_dump_dst; do
	psql_q -d postgres -c "DROP DATABASE $db"
done
psql_q -d postgres -c "DROP ROLE IF EXISTS automl_dump_reviewer"
[ -n "$before" ] && [ "$before" = "$after" ]
