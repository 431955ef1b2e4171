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
-- rows whose group is NULL train the model of every row only, wherever they sort
CREATE TEMP TABLE customers_some_areas AS
SELECT c.*, CASE WHEN account_length % 7 = 0 THEN NULL ELSE area_code END AS area
  FROM customers c;
SELECT model, algorithm
  FROM automl_train('customers_some_areas', 'churn', name => 'churn_by_some_areas', exclude => '{state, area_code}',
		options => '{"group_by": "area", "algorithm": "decision_tree", "params": {"max_depth": 4}, "test_fraction": 0}');
SELECT model FROM automl_train('SELECT * FROM customers_some_areas WHERE area = ''area_code_415''', 'churn',
		name => 'churn_some_415', exclude => '{state, area_code, area}',
		options => '{"algorithm": "decision_tree", "params": {"max_depth": 4}, "test_fraction": 0}');
SELECT count(*) AS rows,
	   max(abs(automl_predict_proba('churn_by_some_areas', c) - automl_predict_proba('churn_some_415', c))) AS max_difference
  FROM customers_some_areas c WHERE area = 'area_code_415';

-- the leaderboard names each manual candidate's group
SELECT rank, learner, group_value FROM automl.leaderboard WHERE model = 'churn_by_area' ORDER BY rank;

-- the search per group: the model of every row first, then each group's;
-- a group keeps its own model only when it scores the group's rows better
-- out of fold than the model of every row does.  Sales in three regions:
-- the north buys the other way round, the east like the south but noisily
-- and with few rows; linear models only (one line cannot fit both ways),
-- one thread, so that the searches converge the same way every run
CREATE TEMP TABLE shops AS
SELECT i, region, x1, x2,
	   CASE WHEN region = 'north' THEN x1 < 0.5
			WHEN region = 'east' THEN (x1 > 0.5) <> (r < 0.3)
			ELSE x1 > 0.5 END::text AS bought
  FROM (SELECT i, CASE WHEN i % 20 < 3 THEN 'north' WHEN i % 20 < 19 THEN 'south' ELSE 'east' END AS region,
			   (i::bigint * 7919 % 1000) / 1000.0 AS x1, (i::bigint * 104729 % 997) / 997.0 AS x2,
			   (i::bigint * 15485863 % 1009) / 1009.0 AS r
		  FROM generate_series(1, 1500) i) s;
SET automl.threads = 1;
SELECT model, algorithm, seconds < 30 AS within_budget, test_score > 0.95 AS good
  FROM automl_train('shops', 'bought', name => 'shops_by_region', budget => '30 seconds',
					options => '{"group_by": "region", "algorithms": ["linear"]}');
SELECT c->>'value' AS region, c->>'train_rows' AS train_rows, c->>'kept' AS kept,
	   round((c->>'out_of_fold_score')::numeric, 3) AS own_model, round((c->>'every_row_model_out_of_fold_score')::numeric, 3) AS every_row_model
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'groups'->'checked') c
 WHERE m.name = 'shops_by_region' ORDER BY 1;
SELECT g->>'value' AS region, g->>'learner' AS learner
  FROM automl.models m, jsonb_array_elements(m.hyperparameters->'groups') g
 WHERE m.name = 'shops_by_region' ORDER BY g->>'value' NULLS LAST;
-- the model of every row is the one the same search finds without groups
-- (it converges, so its smaller share of the budget does not matter)
SELECT model, algorithm FROM automl_train('shops', 'bought', name => 'shops_plain', budget => '30 seconds',
										  options => '{"algorithms": ["linear"]}');
-- the east, without a model of its own, and a region never seen are scored by it ...
SELECT region, count(*) AS rows,
	   max(abs(automl_predict_proba('shops_by_region', s) - automl_predict_proba('shops_plain', s))) AS max_difference
  FROM (SELECT i, CASE WHEN region = 'east' THEN region ELSE 'west' END AS region, x1, x2, bought
		  FROM shops WHERE region <> 'north' AND i % 3 = 0) s GROUP BY 1 ORDER BY 1;
-- ... while the north's own model reverses it
SELECT count(*) AS north_rows,
	   avg(abs(automl_predict_proba('shops_by_region', s) - automl_predict_proba('shops_plain', s))) > 0.5 AS reversed
  FROM shops s WHERE region = 'north';
-- the leaderboard: the model of every row's search first, then each group's, each ranked by score
SELECT count(DISTINCT coalesce(group_value, '(every row)')) AS searches,
	   bool_and(group_value IS NULL) FILTER (WHERE rank <= (SELECT count(*) FROM automl.leaderboard
															WHERE model = 'shops_by_region' AND group_value IS NULL)) AS every_row_first
  FROM automl.leaderboard WHERE model = 'shops_by_region';
SELECT bool_and(ordered) AS ranked_by_score FROM (
	SELECT score <= lag(score) OVER (PARTITION BY group_value ORDER BY rank) OR lag(score) OVER (PARTITION BY group_value ORDER BY rank) IS NULL
		   OR score IS NULL AS ordered
	  FROM automl.leaderboard WHERE model = 'shops_by_region') s;
-- the test split, per group and against the model of every row alone
SELECT d->>'group_by' AS group_by, d->>'metric' AS metric, jsonb_array_length(d->'groups') AS entries,
	   (SELECT sum((g->>'test_rows')::int) FROM jsonb_array_elements(d->'groups') g) = m.test_rows AS test_rows_add_up,
	   (SELECT sum((g->>'train_rows')::int) FROM jsonb_array_elements(d->'groups') g) = m.rows AS train_rows_add_up,
	   abs((d->>'test_score')::float8 - m.test_score) < 1e-12 AS same_test_score,
	   (d->>'test_score')::float8 > (d->>'every_row_model_test_score')::float8 AS groups_better
  FROM automl.models m, LATERAL (SELECT m.diagnostics->'groups' AS d) x WHERE m.name = 'shops_by_region';
SELECT g->>'value' AS region, (g->>'test_rows')::int > 0 AS has_test_rows,
	   g ? 'every_row_model_test_score' AS compared
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'groups'->'groups') g
 WHERE m.name = 'shops_by_region' ORDER BY g->>'value' NULLS LAST;
-- explanations add up
SELECT count(*) AS rows,
	   max(abs((e->>'base')::float8 + (SELECT sum((x->>'contribution')::float8) FROM jsonb_array_elements(e->'contributions') x)
			   - automl_predict_proba('shops_by_region', s))) < 1e-9 AS additive
  FROM (SELECT s, automl_explain('shops_by_region', s) AS e FROM shops s WHERE i % 7 = 0) q;
-- the report lists the groups and each search's best
SELECT position('One model per value of <code>region</code>' IN r) > 0 AS groups_described,
	   position('other values: the model of every row' IN r) > 0 AS other_values_row,
	   position('<th>Group</th>' IN r) > 0 AS leaderboard_by_group
  FROM automl_report('shops_by_region') r;
-- when no group's model does better, the model of every row is the model
SELECT model, algorithm
  FROM automl_train('SELECT *, i / 20 % 2 AS half FROM shops WHERE region = ''south''', 'bought', name => 'shops_by_half',
					options => '{"group_by": "half", "group_min_rows": 20, "algorithms": ["linear"]}');
RESET automl.threads;
SELECT c->>'value' AS half, c->>'kept' AS kept
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'groups'->'checked') c
 WHERE m.name = 'shops_by_half' ORDER BY 1;

-- a group needs group_min_rows training rows and, for classification, 5 of every class
SELECT model, algorithm FROM automl_train('customers', 'churn', name => 'churn_big_areas', exclude => '{state}',
		options => '{"group_by": "area_code", "group_min_rows": 1500, "algorithm": "linear", "test_fraction": 0}');
SELECT g->>'value' AS group_value FROM automl.models m, jsonb_array_elements(m.hyperparameters->'groups') g
 WHERE m.name = 'churn_big_areas' ORDER BY g->>'value' NULLS LAST;

-- errors; each leaves the catalog as it was
SELECT count(*) AS models_before FROM automl.models \gset
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
SELECT count(*) = :models_before AS catalog_unchanged FROM automl.models;
