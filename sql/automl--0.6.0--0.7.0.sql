/* automl--0.6.0--0.7.0.sql: training in a background worker; scoring with a model row; drift history */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.7.0'" to load this file. \quit

-- One row per background training: the call, the settings it runs under,
-- and what came of it.  Written only by automl's functions (as the
-- extension owner); each role sees the jobs of the roles it is a member of.
CREATE TABLE IF NOT EXISTS automl.jobs (
	id				bigserial PRIMARY KEY,
	owner			name NOT NULL,
	state			text NOT NULL DEFAULT 'queued'
					CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
	model			text NOT NULL,	-- the name trained (given, or source_target)
	args			jsonb NOT NULL,	-- the call's other arguments
	settings		jsonb NOT NULL DEFAULT '{}',
	pid				integer,
	submitted_at	timestamptz NOT NULL DEFAULT now(),
	started_at		timestamptz,
	finished_at		timestamptz,
	version			integer,
	result			jsonb,
	notices			text[],
	error			text,
	error_detail	text,
	error_hint		text,
	sqlstate		text
);
CREATE INDEX IF NOT EXISTS jobs_owner_idx ON automl.jobs (owner, id);
SELECT pg_catalog.pg_extension_config_dump('automl.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('automl.jobs_id_seq', '');
COMMENT ON TABLE automl.jobs IS 'background trainings started by automl_train_start: the call, its settings, its outcome';

DROP TRIGGER IF EXISTS catalog_guard ON automl.jobs;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.jobs
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.jobs;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.jobs
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();

REVOKE ALL ON automl.jobs FROM PUBLIC;
REVOKE ALL ON SEQUENCE automl.jobs_id_seq FROM PUBLIC;
GRANT SELECT ON automl.jobs TO PUBLIC;
ALTER TABLE automl.jobs ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS visible ON automl.jobs;
CREATE POLICY visible ON automl.jobs FOR SELECT
	USING (pg_catalog.pg_has_role(owner, 'MEMBER'));

CREATE FUNCTION automl.job_alive(pid integer)
RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_job_alive'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION automl.job_alive(integer)
	IS 'whether a background training''s worker process is still there';

-- The live view: a queued or running job whose worker is gone (terminated,
-- or the server restarted) is 'lost'; a running one shows its latest
-- progress line.  Owned by the extension owner, filtered by itself.
CREATE OR REPLACE VIEW automl.job_status WITH (security_barrier) AS
	SELECT j.id, j.owner, j.model,
		   CASE WHEN j.state IN ('queued', 'running') AND NOT automl.job_alive(j.pid) THEN 'lost'
				ELSE j.state END AS state,
		   CASE WHEN j.state = 'running' THEN a.query END AS progress,
		   j.submitted_at, j.started_at, j.finished_at,
		   round(extract(epoch FROM coalesce(j.finished_at, now()) - coalesce(j.started_at, j.submitted_at))::numeric, 1)
			   AS seconds,
		   coalesce((j.args->>'budget')::interval, interval '1 minute') AS budget,
		   -- the latest a running job ends: its budget, 10% and 2 s of grace,
		   -- or its statement_timeout when that is sooner
		   CASE WHEN j.state = 'running' AND automl.job_alive(j.pid) THEN
				j.started_at + least(coalesce((j.args->>'budget')::interval, interval '1 minute') * 1.1
									 + interval '2 seconds',
									 CASE WHEN (j.settings->>'statement_timeout')::bigint > 0
										  THEN (j.settings->>'statement_timeout')::bigint * interval '1 millisecond' END)
		   END AS ends_by,
		   j.version, j.result, j.notices, j.error, j.error_detail, j.error_hint, j.sqlstate,
		   j.pid, j.args, j.settings
	  FROM automl.jobs j
	  LEFT JOIN pg_catalog.pg_stat_activity a
		ON a.pid = j.pid AND a.backend_type = 'automl training'
	 WHERE pg_catalog.pg_has_role(j.owner, 'MEMBER');
COMMENT ON VIEW automl.job_status IS 'background trainings of the current role, with their live state and progress';
REVOKE ALL ON automl.job_status FROM PUBLIC;
GRANT SELECT ON automl.job_status TO PUBLIC;

-- automl_train_start: the same call as automl_train, run by a background
-- worker as the calling role; returns at once with the job's id.
CREATE FUNCTION automl_train_start(
	source text,
	target text,
	name text DEFAULT NULL,
	task text DEFAULT 'auto',
	budget interval DEFAULT '1 minute',
	metric text DEFAULT 'auto',
	exclude text[] DEFAULT NULL,
	options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_train_start'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_train_start(text, text, text, text, interval, text, text[], jsonb)
	IS 'starts automl_train in a background worker and returns the job id (see automl.job_status)';

-- automl_job_wait: waits until a job has ended (or the timeout), then
-- returns its automl.job_status row.
CREATE FUNCTION automl.job_wait_until(job bigint, timeout interval)
RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_job_wait_until'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl.job_wait_until(bigint, interval)
	IS 'waits until a background training has ended (true) or the timeout has passed (false)';

CREATE FUNCTION automl_job_wait(job bigint, timeout interval DEFAULT NULL)
RETURNS automl.job_status
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$
	SELECT automl.job_wait_until(job, timeout);
	SELECT * FROM automl.job_status s WHERE s.id = job;
$$;
COMMENT ON FUNCTION automl_job_wait(bigint, interval)
	IS 'waits until a background training has ended (or the timeout) and returns its status';

-- automl_job_cancel: a queued job never starts; a running one is cancelled
-- as a statement is (within a second) and ends as 'cancelled'.
CREATE FUNCTION automl_job_cancel(job bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_job_cancel'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_job_cancel(bigint)
	IS 'cancels a queued or running background training';

-- automl_jobs_purge: deletes the records of the caller's jobs that ended
-- longer ago than older_than (the models they trained stay)
CREATE FUNCTION automl_jobs_purge(older_than interval DEFAULT '30 days')
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_jobs_purge'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_jobs_purge(interval)
	IS 'deletes the records of the caller''s background trainings that ended longer ago than older_than';

-- automl_predict and automl_predict_proba given the model's catalog row
-- instead of its name: they read nothing (the row carries the model), so
-- they are IMMUTABLE in their arguments and run wherever the rows are.  The
-- row is best passed once per query, as an InitPlan:
--   SELECT automl_predict((SELECT m FROM automl.models m WHERE id = 42), t) FROM t;
CREATE FUNCTION automl_predict(model automl.models, features anyelement)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_model'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict(automl.models, anyelement)
	IS 'predicted label or value of a row, with the model given as its automl.models row';

CREATE FUNCTION automl_predict_proba(model automl.models, features anyelement, class text DEFAULT NULL)
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_proba_model'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_proba(automl.models, anyelement, text)
	IS 'probability of a class, with the model given as its automl.models row';

-- their columns forms, which the planner support function writes for a
-- call over a table's whole row (as for the name forms since 0.4.0)
CREATE FUNCTION automl_predict_columns(model automl.models, row_type oid, VARIADIC columns "any")
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_model_columns'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_columns(automl.models, oid, "any")
	IS 'automl_predict with the model as its row and the row passed as its columns (written by the planner)';

CREATE FUNCTION automl_predict_proba_columns(model automl.models, class text, row_type oid, VARIADIC columns "any")
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_proba_model_columns'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_proba_columns(automl.models, text, oid, "any")
	IS 'automl_predict_proba with the model as its row and the row passed as its columns (written by the planner)';

ALTER FUNCTION automl_predict(automl.models, anyelement) SUPPORT automl_predict_support;
ALTER FUNCTION automl_predict_proba(automl.models, anyelement, text) SUPPORT automl_predict_support;

-- Drift history: automl_drift_record runs automl_drift as the caller and
-- keeps its rows here, one check id per call.  Written only by automl's
-- functions; a role sees the checks of the models it may use.
CREATE SEQUENCE IF NOT EXISTS automl.drift_history_check_id_seq;
CREATE TABLE IF NOT EXISTS automl.drift_history (
	check_id		bigint NOT NULL,
	checked_at		timestamptz NOT NULL DEFAULT now(),
	checked_by		name NOT NULL,
	model			text NOT NULL,
	version			integer NOT NULL,
	source			text NOT NULL,
	feature			text NOT NULL,
	kind			text,
	psi				float8,
	drift			text,
	missing_rate	float8,
	training_missing_rate float8,
	largest_change	text,
	PRIMARY KEY (check_id, feature)
);
CREATE INDEX IF NOT EXISTS drift_history_model_idx ON automl.drift_history (model, check_id);
COMMENT ON TABLE automl.drift_history IS 'every automl_drift_record check: per column, the population stability index of a source against the training rows';
SELECT pg_catalog.pg_extension_config_dump('automl.drift_history', '');
SELECT pg_catalog.pg_extension_config_dump('automl.drift_history_check_id_seq', '');

DROP TRIGGER IF EXISTS catalog_guard ON automl.drift_history;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.drift_history
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.drift_history;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.drift_history
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();
REVOKE ALL ON automl.drift_history FROM PUBLIC;
REVOKE ALL ON SEQUENCE automl.drift_history_check_id_seq FROM PUBLIC;
GRANT SELECT ON automl.drift_history TO PUBLIC;
ALTER TABLE automl.drift_history ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS visible ON automl.drift_history;
CREATE POLICY visible ON automl.drift_history FOR SELECT
	USING (automl.has_privilege(model, 'use'));

CREATE FUNCTION automl_drift_record(model text, source text, version integer DEFAULT NULL,
	OUT check_id bigint, OUT compared_version integer, OUT features integer, OUT moderate integer,
	OUT major integer)
AS 'MODULE_PATHNAME', 'automl_drift_record'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_drift_record(text, text, integer)
	IS 'runs automl_drift and keeps its rows in automl.drift_history; returns the check id and how many columns moved';
