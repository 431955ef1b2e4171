/* automl--0.2.0--0.3.0.sql: explanations, fairness, assessment and reports */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.3.0'" to load this file. \quit

-- What the test split showed at training time (importance, bias tables,
-- curves for the report): computed once, never by re-reading the source.
ALTER TABLE automl.models ADD COLUMN IF NOT EXISTS diagnostics jsonb NOT NULL DEFAULT '{}';
COMMENT ON COLUMN automl.models.diagnostics IS 'what the test split showed at training time: importance, bias, curves';

-- ---------------------------------------------------------------- explanations

-- ---------------------------------------------------------------- fairness

-- ---------------------------------------------------------------- assessment

-- One row per automl_assess call: who asked, about which source and target,
-- and the answer (the details hold the interval, the learning curve, the
-- leakage checks, the readiness tables and the thresholds).  No model is
-- stored.
CREATE TABLE IF NOT EXISTS automl.assessments (
	id				bigserial PRIMARY KEY,
	created_at		timestamptz NOT NULL DEFAULT now(),
	created_by		name NOT NULL,
	source			text NOT NULL,
	target			text NOT NULL,
	exclude			text[],
	options			jsonb NOT NULL DEFAULT '{}',
	budget_seconds	float8 NOT NULL,
	verdict			text NOT NULL CHECK (verdict IN ('strong', 'promising', 'weak', 'not_applicable',
													 'data_not_ready')),
	reasons			text[] NOT NULL,
	task			text,
	metric			text,
	score			float8,
	baseline		float8,
	lift			float8,
	score_low		float8,
	score_high		float8,
	more_data_helps	boolean,
	rows_usable		bigint,
	warnings		text[] NOT NULL,
	details			jsonb NOT NULL,
	seconds			float8 NOT NULL
);
CREATE INDEX IF NOT EXISTS assessments_created_by_idx ON automl.assessments (created_by, id);
COMMENT ON TABLE automl.assessments IS 'every automl_assess call: who, when, source, target and the verdict with its evidence; each role sees its own';
SELECT pg_catalog.pg_extension_config_dump('automl.assessments', '');
SELECT pg_catalog.pg_extension_config_dump('automl.assessments_id_seq', '');

DROP TRIGGER IF EXISTS catalog_guard ON automl.assessments;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.assessments
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.assessments;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.assessments
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();
REVOKE ALL ON automl.assessments FROM PUBLIC;
REVOKE ALL ON SEQUENCE automl.assessments_id_seq FROM PUBLIC;
GRANT SELECT ON automl.assessments TO PUBLIC;
ALTER TABLE automl.assessments ENABLE ROW LEVEL SECURITY;
-- a role sees its own assessments (members of a role act as that role)
DROP POLICY IF EXISTS visible ON automl.assessments;
CREATE POLICY visible ON automl.assessments FOR SELECT
	USING (created_by = current_user
		   OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
					   WHERE r.rolname = created_by AND pg_catalog.pg_has_role(r.oid, 'MEMBER')));

DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
					WHERE n.nspname = 'automl' AND t.typname = 'assess_result') THEN
		CREATE TYPE automl.assess_result AS (
			verdict			text,
			reasons			text[],
			task			text,
			metric			text,
			score			float8,
			baseline		float8,
			lift			float8,
			score_low		float8,
			score_high		float8,
			more_data_helps	boolean,
			rows_usable		bigint,
			warnings		text[],
			details			jsonb,
			assessment_id	bigint
		);
	END IF;
END $$;

CREATE OR REPLACE FUNCTION automl_assess(
	source text,
	target text,
	budget interval DEFAULT '1 minute',
	task text DEFAULT 'auto',
	exclude text[] DEFAULT NULL,
	options jsonb DEFAULT '{}')
RETURNS automl.assess_result
AS 'MODULE_PATHNAME', 'automl_assess'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_assess(text, text, interval, text, text[], jsonb)
	IS 'is machine learning the right tool for this table and target: a verdict with reasons, the lift over the baseline with a bootstrap interval, a learning curve, leakage and readiness checks; stores no model';

-- ---------------------------------------------------------------- report
