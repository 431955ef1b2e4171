/* automl--0.2.0--0.3.0.sql: explanations, fairness, assessment and reports */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.3.0'" to load this file. \quit

-- What the test split showed at training time (importance, bias tables,
-- curves for the report): computed once, never by re-reading the source.
ALTER TABLE automl.models ADD COLUMN IF NOT EXISTS diagnostics jsonb NOT NULL DEFAULT '{}';
COMMENT ON COLUMN automl.models.diagnostics IS 'what the test split showed at training time: importance, bias, curves';

-- ---------------------------------------------------------------- explanations

-- ---------------------------------------------------------------- fairness

-- ---------------------------------------------------------------- assessment

-- ---------------------------------------------------------------- report

-- One self-contained XHTML page per model version (the deployed one by
-- default, else the latest), drawn from the catalog: no source re-read.
CREATE OR REPLACE FUNCTION automl_report(model text, version integer DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_report'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION automl_report(text, integer)
	IS 'a self-contained HTML report of a model version (default: the deployed one, else the latest): summary, test-split charts, importance, search, preprocessing';
