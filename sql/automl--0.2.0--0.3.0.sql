/* automl--0.2.0--0.3.0.sql: explanations, fairness, assessment and reports */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.3.0'" to load this file. \quit

-- What the test split showed at training time (importance, bias tables,
-- curves for the report): computed once, never by re-reading the source.
ALTER TABLE automl.models ADD COLUMN IF NOT EXISTS diagnostics jsonb NOT NULL DEFAULT '{}';
COMMENT ON COLUMN automl.models.diagnostics IS 'what the test split showed at training time: importance, bias, curves';

-- ---------------------------------------------------------------- explanations

-- automl_explain: one row's prediction taken apart per source column (exact
-- TreeSHAP for trees, centred coefficients for linear models).
CREATE FUNCTION automl_explain(model text, features anyelement,
	top_k integer DEFAULT NULL, class text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_explain'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_explain(text, anyelement, integer, text)
	IS 'explains one prediction: expected output, each source column''s contribution, the row''s output';

-- automl_importance: per source column, from what training stored (no
-- source re-read): mean absolute contribution and permutation importance
-- on the test split, and the learner's own split gain (|coefficients| for
-- linear models).
CREATE FUNCTION automl_importance(model text, version integer DEFAULT NULL)
RETURNS TABLE (feature text, importance float8, rank integer, method text)
AS $$
	WITH m AS (
		SELECT mm.algorithm, mm.features, mm.diagnostics
		  FROM automl.models mm
		 WHERE mm.id = (automl_model_info($1, $2) ->> 'id')::bigint
	), r AS (
		SELECT f ->> 'feature' AS feature, (f ->> 'shap')::float8 AS importance,
			   'shap' AS method, 1 AS ord
		  FROM m, jsonb_array_elements(m.diagnostics -> 'importance' -> 'features') f
		UNION ALL
		SELECT f ->> 'feature', (f ->> 'permutation')::float8, 'permutation', 2
		  FROM m, jsonb_array_elements(m.diagnostics -> 'importance' -> 'features') f
		UNION ALL
		SELECT f ->> 'name', (f ->> 'importance')::float8,
			   CASE m.algorithm WHEN 'linear' THEN 'coefficient' ELSE 'gain' END, 3
		  FROM m, jsonb_array_elements(m.features) f
		 WHERE f ->> 'role' = 'feature' AND f ? 'importance'
	)
	SELECT r.feature, r.importance,
		   (rank() OVER (PARTITION BY r.method ORDER BY r.importance DESC NULLS LAST))::integer,
		   r.method
	  FROM r
	 ORDER BY r.ord, 3, r.feature
$$ LANGUAGE sql STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_importance(text, integer)
	IS 'global importance per source column: mean |contribution|, permutation, split gain';

-- ---------------------------------------------------------------- fairness

-- automl_bias: the bias table of a model across the groups of a sensitive
-- column, on any table, view or query read with the caller's privileges.
CREATE OR REPLACE FUNCTION automl_bias(model text, source text, sensitive text,
	reference text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS TABLE(group_value text, class text, rows bigint, share float8, is_reference boolean,
	label_positive_rate float8, predicted_positive_rate float8, accuracy float8,
	tpr float8, fpr float8, "precision" float8,
	disparate_impact float8, demographic_parity_difference float8,
	equal_opportunity_difference float8, average_odds_difference float8,
	mean_prediction float8, mean_actual float8, mae float8, rmse float8, mean_residual float8,
	mean_prediction_difference float8, mae_difference float8, rmse_difference float8,
	mean_residual_difference float8, flagged boolean)
AS 'MODULE_PATHNAME', 'automl_bias'
LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_bias(text, text, text, text, jsonb)
	IS 'per-group rates, errors and their differences against a reference group (four-fifths rule), of a model on a source';

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

-- One self-contained XHTML page per model version (the deployed one by
-- default, else the latest), drawn from the catalog: no source re-read.
CREATE OR REPLACE FUNCTION automl_report(model text, version integer DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_report'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION automl_report(text, integer)
	IS 'a self-contained HTML report of a model version (default: the deployed one, else the latest): summary, test-split charts, importance, search, preprocessing';

-- The same kind of page for one assessment the caller may see.
CREATE OR REPLACE FUNCTION automl_report_assessment(id bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_report_assessment'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION automl_report_assessment(bigint)
	IS 'a self-contained HTML report of one assessment (automl.assessments): verdict and reasons, score against the baseline with its interval, learning curve, leakage check, data readiness, warnings, thresholds';
