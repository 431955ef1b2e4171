-- explain: per-row explanations that add up, folded per source column;
-- global importance; their errors
SET automl.progress = off;
SET client_min_messages = warning;

-- one small model per learner and task, manual mode
CREATE TEMP TABLE learners AS
SELECT unnest(ARRAY['baseline', 'linear', 'decision_tree', 'gbdt', 'random_forest', 'extra_trees']) AS a;
CREATE TEMP VIEW learner_options AS
SELECT a, jsonb_build_object('algorithm', a, 'params',
		CASE WHEN a = 'gbdt' THEN '{"n_estimators": 20}'::jsonb
			 WHEN a IN ('random_forest', 'extra_trees') THEN '{"n_estimators": 20, "max_depth": 10}'::jsonb
			 ELSE '{}'::jsonb END) AS o
  FROM learners;
SELECT a, (automl_train('customers', 'churn', name => 'ex_churn_' || a, options => o)).algorithm
  FROM learner_options ORDER BY a;
SELECT a, (automl_train('penguins', 'species', name => 'ex_peng_' || a, options => o)).algorithm
  FROM learner_options ORDER BY a;
SELECT a, (automl_train('concrete', 'compressive_strength', name => 'ex_conc_' || a, options => o)).algorithm
  FROM learner_options ORDER BY a;
RESET client_min_messages;

-- a helper: does base + sum(contributions) = prediction (relative 1e-6)?
CREATE FUNCTION pg_temp.adds_up(x jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT abs((x ->> 'base')::float8
			   + coalesce((SELECT sum((q ->> 'contribution')::float8)
							 FROM jsonb_array_elements(x -> 'contributions') q), 0)
			   - (x ->> 'prediction')::float8)
		   <= 1e-6 * greatest(1, abs((x ->> 'prediction')::float8))
$$;

-- binary: additive, and the prediction is the probability automl_predict_proba
-- returns (directly, or through the logistic function of the log-odds)
WITH e AS (
	SELECT l.a, automl_explain('ex_churn_' || l.a, c) AS x,
		   automl_predict_proba('ex_churn_' || l.a, c) AS p
	  FROM learners l, (SELECT * FROM customers LIMIT 200) c)
SELECT a, min(x ->> 'output') AS output, min(x ->> 'class') AS class,
	   bool_and(pg_temp.adds_up(x)) AS additive,
	   max(abs(CASE x ->> 'output' WHEN 'log_odds' THEN 1 / (1 + exp(-(x ->> 'prediction')::float8))
			   ELSE (x ->> 'prediction')::float8 END - p)) < 1e-9 AS is_predict_proba,
	   min(jsonb_array_length(x -> 'contributions')) AS columns
  FROM e GROUP BY a ORDER BY a;

-- multiclass: every class explained; margins' softmax (or the probability
-- itself) is automl_predict_proba of that class
WITH r AS (SELECT row_number() OVER () AS rid, p FROM penguins p),
e AS (
	SELECT l.a, r.rid, cl, automl_explain('ex_peng_' || l.a, r.p, NULL, cl) AS x,
		   automl_predict_proba('ex_peng_' || l.a, r.p, cl) AS p
	  FROM learners l, r, unnest(ARRAY['Adelie', 'Chinstrap', 'Gentoo']) cl),
m AS (
	SELECT a, x, p,
		   CASE x ->> 'output' WHEN 'margin'
				THEN exp((x ->> 'prediction')::float8) / sum(exp((x ->> 'prediction')::float8)) OVER (PARTITION BY a, rid)
				ELSE (x ->> 'prediction')::float8 END AS prob
	  FROM e)
SELECT a, min(x ->> 'output') AS output, bool_and(pg_temp.adds_up(x)) AS additive,
	   max(abs(prob - p)) < 1e-9 AS is_predict_proba
  FROM m GROUP BY a ORDER BY a;

-- without a class, multiclass explains the predicted class
SELECT bool_and(automl_explain('ex_peng_gbdt', p) ->> 'class' = automl_predict('ex_peng_gbdt', p)) AS predicted_class
  FROM penguins p;

-- regression: the prediction is automl_predict's value
WITH e AS (
	SELECT l.a, automl_explain('ex_conc_' || l.a, c) AS x,
		   automl_predict('ex_conc_' || l.a, c)::float8 AS v
	  FROM learners l, (SELECT * FROM concrete LIMIT 200) c)
SELECT a, min(x ->> 'output') AS output, bool_and(pg_temp.adds_up(x)) AS additive,
	   max(abs((x ->> 'prediction')::float8 - v)) < 1e-9 * 100 AS is_predict,
	   bool_and(NOT x ? 'class') AS no_class
  FROM e GROUP BY a ORDER BY a;

-- the baseline explains nothing: its prediction is its expectation
SELECT x ->> 'base' = x ->> 'prediction' AS base_is_prediction,
	   (SELECT bool_and((q ->> 'contribution')::float8 = 0) FROM jsonb_array_elements(x -> 'contributions') q) AS all_zero
  FROM (SELECT automl_explain('ex_churn_baseline', c) AS x FROM customers c LIMIT 1) s;

-- folding: one contribution per source column, whatever the encoding
-- (one-hot levels for linear models, date and timestamp parts)
SET client_min_messages = warning;
SELECT (automl_train('kinds', 'label', name => 'ex_kinds_' || a,
		exclude => ARRAY['id', 'amount'], options => o)).algorithm
  FROM learner_options WHERE a IN ('linear', 'gbdt') ORDER BY a;
RESET client_min_messages;
SELECT a,
	   (SELECT array_agg(q ->> 'feature' ORDER BY q ->> 'feature') FROM jsonb_array_elements(x -> 'contributions') q)
	   = (SELECT array_agg(i ->> 'name' ORDER BY i ->> 'name') FROM jsonb_array_elements(automl_model_info('ex_kinds_' || a) -> 'inputs') i)
		 AS one_per_source_column,
	   (SELECT string_agg(q ->> 'feature', ', ' ORDER BY q ->> 'feature') FROM jsonb_array_elements(x -> 'contributions') q) AS columns,
	   pg_temp.adds_up(x) AS additive
  FROM (SELECT a, automl_explain('ex_kinds_' || a, k) AS x FROM learners, kinds k
		 WHERE a IN ('linear', 'gbdt') AND k.id = 10) s ORDER BY a;
-- values come back in their source form
SELECT q ->> 'feature' AS feature, q -> 'value' AS value
  FROM kinds k, jsonb_array_elements(automl_explain('ex_kinds_gbdt', k) -> 'contributions') q
 WHERE k.id = 10 AND q ->> 'feature' IN ('day', 'at', 'color', 'feeling', 'flag', 'num', 'f4')
 ORDER BY 1;

-- top_k keeps the largest contributions, ordered by absolute value
SELECT jsonb_array_length(x -> 'contributions') AS kept,
	   (SELECT bool_and(abs((q.v ->> 'contribution')::float8) >= abs((q2.v ->> 'contribution')::float8))
		  FROM jsonb_array_elements(x -> 'contributions') WITH ORDINALITY q(v, i)
		  JOIN jsonb_array_elements(x -> 'contributions') WITH ORDINALITY q2(v, i) ON q2.i = q.i + 1) AS ordered,
	   (x ->> 'base')::float8 = (full_x ->> 'base')::float8 AS same_base
  FROM (SELECT automl_explain('ex_churn_gbdt', c, 3) AS x, automl_explain('ex_churn_gbdt', c) AS full_x
		  FROM customers c LIMIT 1) s;
SELECT jsonb_array_length(automl_explain('ex_churn_gbdt', c, 1000) -> 'contributions') AS capped_at_columns
  FROM customers c LIMIT 1;

-- the other binary class: the same explanation with the opposite sign
SELECT abs((y ->> 'base')::float8 + (x ->> 'base')::float8) < 1e-12 AS base_negated,
	   abs((y ->> 'prediction')::float8 + (x ->> 'prediction')::float8) < 1e-12 AS prediction_negated,
	   y ->> 'class' AS class
  FROM (SELECT automl_explain('ex_churn_gbdt', c) AS x, automl_explain('ex_churn_gbdt', c, NULL, 'no') AS y
		  FROM customers c LIMIT 1) s;
SELECT abs((y ->> 'prediction')::float8 - automl_predict_proba('ex_churn_random_forest', c, 'no')) < 1e-9 AS probability_of_no
  FROM (SELECT c, automl_explain('ex_churn_random_forest', c, NULL, 'no') AS y FROM customers c LIMIT 1) s;

-- missing values and categories never seen in training are explained
CREATE TEMP TABLE odd AS SELECT * FROM customers LIMIT 3;
UPDATE odd SET state = 'Atlantis', total_day_minutes = NULL, international_plan = NULL;
SELECT a, bool_and(pg_temp.adds_up(x)) AS additive,
	   min((SELECT q ->> 'value' FROM jsonb_array_elements(x -> 'contributions') q WHERE q ->> 'feature' = 'state')) AS state,
	   bool_and((SELECT q -> 'value' = 'null' FROM jsonb_array_elements(x -> 'contributions') q WHERE q ->> 'feature' = 'total_day_minutes')) AS null_value
  FROM (SELECT l.a, automl_explain('ex_churn_' || l.a, o) AS x FROM learners l, odd o) s
 GROUP BY a ORDER BY a;

-- global importance: three methods, every source column ranked, stored at
-- training time
SELECT method, count(*) AS columns, min(rank) AS first_rank,
	   bool_and(importance IS NOT NULL) AS all_valued
  FROM automl_importance('ex_churn_gbdt') GROUP BY method ORDER BY method;
SELECT method, count(*) AS columns FROM automl_importance('ex_churn_linear') GROUP BY method ORDER BY method;
-- the strongest churn signals lead the model-agnostic rankings
SELECT method, bool_or(feature IN ('total_day_minutes', 'number_customer_service_calls', 'international_plan',
								   'total_day_charge')) AS known_driver_on_top
  FROM automl_importance('ex_churn_gbdt') WHERE rank <= 2 GROUP BY method ORDER BY method;
-- what training stored: how many test rows were explained (at least 50,
-- more when the model is cheap to explain), in which space, for which metric
SELECT (diagnostics -> 'importance' ->> 'shap_rows')::int BETWEEN 50 AND test_rows AS rows_explained,
	   diagnostics -> 'importance' ->> 'output' AS output,
	   diagnostics -> 'importance' ->> 'metric' AS metric,
	   jsonb_array_length(diagnostics -> 'examples') AS examples
  FROM automl.models WHERE name = 'ex_churn_gbdt';
-- a version by number
SELECT count(*) = (SELECT count(*) FROM automl_importance('ex_churn_gbdt')) AS same_rows
  FROM automl_importance('ex_churn_gbdt', 1);

-- generated features: a gbdt that reads churn's totals still explains per
-- source column (a total's share split equally among the columns it sums),
-- and the explanations still add up to the prediction
SELECT (automl_train('customers', 'churn', name => 'ex_churn_gen',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 20, "gen_features": true}}')).algorithm;
SELECT bool_and(pg_temp.adds_up(x)) AS additive,
	   max(abs(1 / (1 + exp(-(x ->> 'prediction')::float8)) - p)) < 1e-9 AS matches_predict,
	   min(jsonb_array_length(x -> 'contributions')) AS columns,
	   bool_and(NOT (x -> 'contributions')::text LIKE '%*%') AS no_generated_names
  FROM (SELECT automl_explain('ex_churn_gen', c) AS x, automl_predict_proba('ex_churn_gen', c) AS p
		  FROM (SELECT * FROM customers LIMIT 200) c) s;
-- while the learner's own view, the split gain, lists the totals it splits
-- on under their names, and the gain shares add up to 1
SELECT count(*) FILTER (WHERE feature LIKE '%*%') AS generated_rows,
	   abs(sum(importance) - 1) < 1e-4 AS shares_add_up
  FROM automl_importance('ex_churn_gen') WHERE method = 'gain';
SELECT feature FROM automl_importance('ex_churn_gen') WHERE method = 'gain' AND rank = 1;

-- calibrated members (multiclass): the search fits each finalist a
-- temperature on its fresh out-of-fold predictions.  A forest's votes are
-- under-confident, so its temperature is below 1 (sharper); the model is
-- stored in format version 4.  Its explanation is rescaled to the
-- calibrated probability (additive, in probability); a linear model's
-- margins are divided by its temperature (exact, in margin)
SET automl.threads = 1;
SET client_min_messages = warning;
SELECT a, (automl_train('penguins', 'species', name => 'peng_cal_' || a, budget => '5 seconds',
						options => jsonb_build_object('algorithms', ARRAY[a], 'seed', 7, 'ensemble', false))).algorithm
  FROM unnest(ARRAY['extra_trees', 'linear']) a ORDER BY a;
-- a search on a sample confirms no finalists: the kept candidates'
-- predictions of the search are calibrated instead
SELECT algorithm FROM automl_train('penguins', 'species', name => 'peng_cal_sampled', budget => '5 seconds',
	options => '{"algorithms": ["extra_trees"], "seed": 7, "max_rows": 200}');
RESET client_min_messages;
RESET automl.threads;
SELECT name, (hyperparameters ->> 'temperature')::float8 BETWEEN 0.05 AND 0.99 AS sharpened,
	   get_byte(model, 4) AS format_version
  FROM automl.models WHERE name LIKE 'peng\_cal\_%' ORDER BY name;
-- the search scores each multiclass candidate at the temperature fitted to
-- its out-of-fold predictions, as it would be served: every scored row of
-- the leaderboard but the baseline's lists one (the search's rows and the
-- fresh folds'); the baseline's class shares are not calibrated
SELECT m.name, c.learner,
	   count(*) FILTER (WHERE c.hyperparameters ? 'temperature') > 0 AS calibrated,
	   count(*) FILTER (WHERE NOT c.hyperparameters ? 'temperature') AS plain,
	   bool_and((c.hyperparameters ->> 'temperature')::float8 BETWEEN 0.05 AND 20) AS in_range
  FROM automl.models m JOIN automl.candidates c ON c.model_id = m.id
 WHERE m.name IN ('peng_cal_extra_trees', 'peng_cal_linear') AND c.score IS NOT NULL
 GROUP BY 1, 2 ORDER BY 1, 2;
-- the report says what the temperature is, for a calibrated model only
SELECT n, position('calibrates the learner''s class probabilities' IN automl_report(n)) > 0 AS report_explains_it
  FROM unnest(ARRAY['peng_cal_extra_trees', 'ex_peng_extra_trees']) n ORDER BY n;
WITH r AS (SELECT row_number() OVER () AS rid, p FROM penguins p),
e AS (
	SELECT a, r.rid, cl, automl_explain('peng_cal_' || a, r.p, NULL, cl) AS x,
		   automl_predict_proba('peng_cal_' || a, r.p, cl) AS p
	  FROM unnest(ARRAY['extra_trees', 'linear']) a, r, unnest(ARRAY['Adelie', 'Chinstrap', 'Gentoo']) cl),
m AS (
	SELECT a, rid, x, p,
		   CASE x ->> 'output' WHEN 'margin'
				THEN exp((x ->> 'prediction')::float8) / sum(exp((x ->> 'prediction')::float8)) OVER (PARTITION BY a, rid)
				ELSE (x ->> 'prediction')::float8 END AS prob
	  FROM e)
SELECT a, min(x ->> 'output') AS output, bool_and(pg_temp.adds_up(x)) AS additive,
	   max(abs(prob - p)) < 1e-9 AS is_predict_proba,
	   max(abs(s - 1)) < 1e-9 AS sums_to_one
  FROM m JOIN (SELECT a, rid, sum(p) AS s FROM m GROUP BY a, rid) t USING (a, rid)
 GROUP BY a ORDER BY a;

-- errors
SELECT automl_explain('no_such_model', c) FROM customers c LIMIT 1;
SELECT automl_explain('ex_churn_gbdt', c, 0) FROM customers c LIMIT 1;
SELECT automl_explain('ex_churn_gbdt', c, NULL, 'maybe') FROM customers c LIMIT 1;
SELECT automl_explain('ex_conc_gbdt', c, NULL, 'yes') FROM concrete c LIMIT 1;
SELECT automl_explain('ex_churn_gbdt', 42);
SELECT automl_explain('ex_churn_gbdt', r) FROM (SELECT 1 AS x) r;
SELECT * FROM automl_importance('no_such_model');
SELECT * FROM automl_importance('ex_churn_gbdt', 99);
SELECT automl_explain(NULL, c) IS NULL AS null_model FROM customers c LIMIT 1;
-- a role that may not use the model sees neither explanations nor importance
CREATE ROLE automl_explain_outsider;
GRANT SELECT ON customers TO automl_explain_outsider;
SET ROLE automl_explain_outsider;
SELECT automl_explain('ex_churn_gbdt', c) FROM customers c LIMIT 1;
SELECT * FROM automl_importance('ex_churn_gbdt');
RESET ROLE;
DROP OWNED BY automl_explain_outsider;
DROP ROLE automl_explain_outsider;
