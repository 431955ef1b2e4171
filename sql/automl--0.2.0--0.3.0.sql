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
