-- train: automl_train on every supported type, task detection, options
SET automl.progress = off;

-- binary, task detected; the result row reads as columns
SELECT model, version, task, metric, test_score > 0.8 AS good, test_score > baseline_score AS lift,
	   rows, seconds < 60 AS fast
  FROM automl_train('customers', 'churn');

-- a second training is a new version of the same name
SELECT model, version FROM automl_train('customers', 'churn', options => '{"seed": 7}');
SELECT name, version, task, target, source, metric, rows, test_rows, status
  FROM automl.models ORDER BY id;

-- regression and multiclass (NULL features are missing values)
SELECT model, task, metric, test_score < baseline_score AS lift FROM automl_train('concrete', 'compressive_strength');
SELECT model, task, metric, test_score < baseline_score AS lift FROM automl_train('penguins', 'species');

-- every type: id and constant columns dropped, jsonb skipped, NULL targets counted
SELECT model, task FROM automl_train('kinds', 'label', name => 'kinds_label');
SELECT f->>'name' AS col, f->>'kind' AS kind, f->>'role' AS role, f->>'reason' AS reason
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'kinds_label' ORDER BY f->>'name';

-- a numeric target with few integer values is classified; task can be forced
SELECT task FROM automl_train('kinds', 'small', name => 'kinds_small', exclude => ARRAY['id']);
SELECT task FROM automl_train('kinds', 'small', name => 'kinds_small_reg', task => 'regression');
SELECT task FROM automl_train('kinds', 'flag', name => 'kinds_flag');

-- query sources, exclude, an explicit name, schema-qualified and quoted names
SELECT model, rows FROM automl_train('SELECT * FROM customers WHERE state <> ''KS''', 'churn',
									 name => 'churn no KS', exclude => ARRAY['state', 'area_code']);
SELECT jsonb_agg(f->>'name' ORDER BY f->>'name') FILTER (WHERE f->>'role' = 'dropped') AS dropped
  FROM automl.models m, jsonb_array_elements(m.features) f WHERE m.name = 'churn no KS';
CREATE SCHEMA "Sales Data";
CREATE TABLE "Sales Data"."Mixed Case" AS SELECT cement AS "Cement", age AS "Age", compressive_strength AS "Strength" FROM concrete;
SELECT model, task FROM automl_train('"Sales Data"."Mixed Case"', 'Strength');

-- manual mode trains exactly one configuration
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_tree',
	options => '{"algorithm": "decision_tree", "params": {"max_depth": 3}}');
SELECT learner, hyperparameters FROM automl.leaderboard WHERE model = 'churn_tree';
SELECT algorithm, hyperparameters FROM automl.models WHERE name = 'churn_tree';
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_linear',
	options => '{"algorithm": "linear", "params": {"alpha": 0.5}}');

-- algorithms subset, folds, test_fraction, metric
SELECT model FROM automl_train('customers', 'churn', name => 'churn_lin_only',
								options => '{"algorithms": ["linear"], "folds": 3, "test_fraction": 0.3}');
SELECT learner, count(*) FROM automl.leaderboard WHERE model = 'churn_lin_only' GROUP BY 1 ORDER BY 1;
SELECT metric, test_rows FROM automl.models WHERE name = 'churn_lin_only';
SELECT metric FROM automl_train('customers', 'churn', name => 'churn_f1', metric => 'f1');

-- the same seed gives the same model
SELECT a.test_score = b.test_score AS same
  FROM automl_train('penguins', 'species', name => 'p1', options => '{"seed": 3}') a,
	   automl_train('penguins', 'species', name => 'p2', options => '{"seed": 3}') b;
SELECT (SELECT model FROM automl.models WHERE name = 'p1') = (SELECT model FROM automl.models WHERE name = 'p2') AS same_blob;

-- a tiny budget still returns a model (with a notice saying where it stopped)
SET client_min_messages = warning;
SELECT model, algorithm IS NOT NULL AS has_model FROM automl_train('customers', 'churn', name => 'churn_quick', budget => '1 millisecond');
RESET client_min_messages;
RESET automl.progress;

-- automl_scan reads the source like automl_train, without training
SELECT rows, columns, frame_bytes BETWEEN float32_bytes AND float32_bytes * 1.25 AS compact, seconds >= 0 AS timed
  FROM automl_scan('customers', 'churn');
SELECT rows, columns FROM automl_scan('SELECT state, churn FROM customers WHERE churn = ''yes''', 'churn');
