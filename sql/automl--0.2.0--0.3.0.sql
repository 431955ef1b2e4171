/* automl--0.2.0--0.3.0.sql: explanations, fairness, assessment and reports */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.3.0'" to load this file. \quit

-- What the test split showed at training time (importance, bias tables,
-- curves for the report): computed once, never by re-reading the source.
ALTER TABLE automl.models ADD COLUMN IF NOT EXISTS diagnostics jsonb NOT NULL DEFAULT '{}';
COMMENT ON COLUMN automl.models.diagnostics IS 'what the test split showed at training time: importance, bias, curves';

-- ---------------------------------------------------------------- explanations

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

-- ---------------------------------------------------------------- report
