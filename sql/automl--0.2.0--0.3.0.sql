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
$$ LANGUAGE sql STABLE;
COMMENT ON FUNCTION automl_importance(text, integer)
	IS 'global importance per source column: mean |contribution|, permutation, split gain';

-- ---------------------------------------------------------------- fairness

-- ---------------------------------------------------------------- assessment

-- ---------------------------------------------------------------- report
