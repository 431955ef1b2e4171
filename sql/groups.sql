-- groups: one model per value of a column (options "group_by")
SET client_min_messages = warning;

-- a fixed configuration per group, every row trained on (test_fraction 0),
-- so that each group's model can be checked against the same configuration
-- trained on that group's rows alone ("state" is left out: its rare levels
-- pool differently on a group's rows than on every row)
SELECT model, version, algorithm, test_score IS NULL AS no_test_rows
  FROM automl_train('customers', 'churn', name => 'churn_by_area', exclude => '{state}',
		options => '{"group_by": "area_code", "algorithm": "decision_tree", "params": {"max_depth": 4}, "test_fraction": 0}');
SELECT g->>'value' AS group_value, g->>'learner' AS learner, g->'params' AS params
  FROM automl.models m, jsonb_array_elements(m.hyperparameters->'groups') g
 WHERE m.name = 'churn_by_area' ORDER BY g->>'value' NULLS LAST;
SELECT m.hyperparameters->>'group_by' AS group_by FROM automl.models m WHERE m.name = 'churn_by_area';
SELECT model FROM automl_train('SELECT * FROM customers WHERE area_code = ''area_code_408''', 'churn',
		name => 'churn_408', exclude => '{state}',
		options => '{"algorithm": "decision_tree", "params": {"max_depth": 4}, "test_fraction": 0}');
SELECT model FROM automl_train('SELECT * FROM customers WHERE area_code = ''area_code_510''', 'churn',
		name => 'churn_510', exclude => '{state}',
		options => '{"algorithm": "decision_tree", "params": {"max_depth": 4}, "test_fraction": 0}');
SELECT model FROM automl_train('customers', 'churn', name => 'churn_all', exclude => '{state}',
		options => '{"algorithm": "decision_tree", "params": {"max_depth": 4}, "test_fraction": 0}');
-- a row is scored by its group's model ...
SELECT area_code, count(*) AS rows,
	   max(abs(automl_predict_proba('churn_by_area', c) - automl_predict_proba('churn_' || right(area_code, 3), c))) AS max_difference
  FROM customers c WHERE area_code IN ('area_code_408', 'area_code_510') GROUP BY 1 ORDER BY 1;
-- ... and the groups' models differ from the model of every row
SELECT count(*) FILTER (WHERE abs(automl_predict_proba('churn_by_area', c) - automl_predict_proba('churn_all', c)) > 1e-6) > 100 AS differ
  FROM customers c;
-- a value without a model of its own, or a missing one, is scored by the model of every row
CREATE TEMP TABLE other_areas AS SELECT * FROM customers ORDER BY total_day_minutes LIMIT 200;
UPDATE other_areas SET area_code = CASE WHEN total_day_calls % 2 = 0 THEN 'area_code_999' ELSE NULL END;
SELECT area_code, count(*) AS rows,
	   max(abs(automl_predict_proba('churn_by_area', c) - automl_predict_proba('churn_all', c))) AS max_difference
  FROM other_areas c GROUP BY 1 ORDER BY 1;
-- the batch path routes as the row path does
CREATE TEMP TABLE numbered AS SELECT row_number() OVER (ORDER BY total_day_minutes, total_eve_minutes) AS id, * FROM customers;
SELECT count(*) AS rows, count(*) FILTER (WHERE b.prediction IS DISTINCT FROM automl_predict('churn_by_area', n)) AS different_labels
  FROM automl_predict_batch('churn_by_area', 'numbered', 'id') b JOIN numbered n ON n.id::text = b.id;
-- explanations add up, the group column carrying its model's difference in expectation
SELECT count(*) AS rows,
	   max(abs((e->>'base')::float8 + (SELECT sum((x->>'contribution')::float8) FROM jsonb_array_elements(e->'contributions') x)
			   - automl_predict_proba('churn_by_area', c))) < 1e-9 AS additive
  FROM (SELECT c, automl_explain('churn_by_area', c) AS e FROM customers c ORDER BY total_day_minutes LIMIT 300) s;
-- the leaderboard names each manual candidate's group
SELECT rank, learner, group_value FROM automl.leaderboard WHERE model = 'churn_by_area' ORDER BY rank;

-- the search per group, within the budget: the model of every row first,
-- then each group; the report compares each group's model with the model
-- of every row on the group's test rows
SELECT model, algorithm, seconds < 8 * 1.1 + 1 AS within_budget, test_score > 0.85 AS good
  FROM automl_train('customers', 'churn', name => 'churn_areas', budget => '8 seconds',
					options => '{"group_by": "area_code"}');
SELECT count(DISTINCT coalesce(group_value, '(every row)')) AS searches,
	   bool_and(group_value IS NULL) FILTER (WHERE rank <= (SELECT count(*) FROM automl.leaderboard
															WHERE model = 'churn_areas' AND group_value IS NULL)) AS every_row_first
  FROM automl.leaderboard WHERE model = 'churn_areas';
-- within a group, ranks follow the validation score
SELECT bool_and(ordered) AS ranked_by_score FROM (
	SELECT score <= lag(score) OVER (PARTITION BY group_value ORDER BY rank) OR lag(score) OVER (PARTITION BY group_value ORDER BY rank) IS NULL
		   OR score IS NULL AS ordered
	  FROM automl.leaderboard WHERE model = 'churn_areas') s;
SELECT d->>'group_by' AS group_by, d->>'metric' AS metric, jsonb_array_length(d->'groups') AS entries,
	   (SELECT sum((g->>'test_rows')::int) FROM jsonb_array_elements(d->'groups') g) = m.test_rows AS test_rows_add_up,
	   (SELECT sum((g->>'train_rows')::int) FROM jsonb_array_elements(d->'groups') g) = m.rows AS train_rows_add_up,
	   abs((d->>'test_score')::float8 - m.test_score) < 1e-12 AS same_test_score,
	   (d->>'every_row_model_test_score')::float8 > 0.8 AS every_row_model_scored
  FROM automl.models m, LATERAL (SELECT m.diagnostics->'groups' AS d) x WHERE m.name = 'churn_areas';
SELECT g->>'value' AS group_value, (g->>'test_rows')::int > 0 AS has_test_rows,
	   (g->>'test_score')::float8 > 0.8 AS scored, g ? 'every_row_model_test_score' AS compared
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'groups'->'groups') g
 WHERE m.name = 'churn_areas' ORDER BY g->>'value' NULLS LAST;
-- the report lists the groups
SELECT position('One model per value of <code>area_code</code>' IN r) > 0 AS groups_described,
	   position('other values: the model of every row' IN r) > 0 AS other_values_row
  FROM automl_report('churn_areas') r;

-- a group needs group_min_rows training rows and, for classification, 5 of every class
SELECT model, algorithm FROM automl_train('customers', 'churn', name => 'churn_big_areas', exclude => '{state}',
		options => '{"group_by": "area_code", "group_min_rows": 1500, "algorithm": "linear", "test_fraction": 0}');
SELECT g->>'value' AS group_value FROM automl.models m, jsonb_array_elements(m.hyperparameters->'groups') g
 WHERE m.name = 'churn_big_areas' ORDER BY g->>'value' NULLS LAST;

-- errors; each leaves the catalog as it was
SELECT count(*) AS models_before FROM automl.models;
SELECT automl_train('customers', 'churn', options => '{"group_by": "region"}');
SELECT automl_train('customers', 'churn', options => '{"group_by": "churn"}');
SELECT automl_train('customers', 'churn', options => '{"group_by": "total_day_charge"}');
SELECT automl_train('customers', 'churn', exclude => '{area_code}', options => '{"group_by": "area_code"}');
SELECT automl_train('customers', 'churn', options => '{"group_by": "area_code", "sensitive": ["area_code"]}');
SELECT automl_train('customers', 'churn', options => '{"group_by": 3}');
SELECT automl_train('customers', 'churn', options => '{"group_by": "area_code", "group_min_rows": 5}');
SELECT automl_train('customers', 'churn', options => '{"group_by": "area_code", "group_min_rows": 100000}');
SELECT automl_train('penguins', 'species', options => '{"group_by": "island"}');
CREATE TEMP TABLE visits AS SELECT i, i % 1100 AS shop, (i * 7919 % 1000) / 10.0 AS amount, date '2026-01-01' + i % 300 AS day
  FROM generate_series(1, 22000) i;
SELECT automl_train('visits', 'amount', options => '{"group_by": "shop", "group_min_rows": 10}');
SELECT automl_train('visits', 'amount', options => '{"group_by": "day"}');
SELECT automl_train('visits', 'amount', options => '{"group_by": "shop", "time_column": "day"}');
SELECT automl_assess('customers', 'churn', options => '{"group_by": "area_code"}');
SELECT count(*) AS models_after FROM automl.models;
