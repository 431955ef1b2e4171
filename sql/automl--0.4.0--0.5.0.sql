/* automl--0.4.0--0.5.0.sql: importance by gain lists generated features */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.5.0'" to load this file. \quit

-- automl_importance: as in 0.3.0, but the learner's split gain also lists
-- the generated features the model reads (sums of columns, such as
-- total_*_charge) under their own names, so the gain shares add up to 1
-- again.  The shap and permutation methods stay per source column.
CREATE OR REPLACE FUNCTION automl_importance(model text, version integer DEFAULT NULL)
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
		 WHERE f ->> 'role' IN ('feature', 'generated') AND f ? 'importance'
	)
	SELECT r.feature, r.importance,
		   (rank() OVER (PARTITION BY r.method ORDER BY r.importance DESC NULLS LAST))::integer,
		   r.method
	  FROM r
	 ORDER BY r.ord, 3, r.feature
$$ LANGUAGE sql STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_importance(text, integer)
	IS 'global importance per source column: mean |contribution|, permutation; split gain per column and generated feature';
