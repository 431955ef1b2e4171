-- train: automl_train on every supported type, task detection, options
SET automl.progress = off;

-- binary, task detected; the result row reads as columns
SELECT model, version, task, metric, test_score > 0.8 AS good, test_score > baseline_score AS lift,
	   rows, seconds < 60 AS fast
  FROM automl_train('customers', 'churn', budget => '8 seconds');

-- a second training is a new version of the same name; a weaker one is not deployed
SET client_min_messages = warning;
SELECT model, version, algorithm FROM automl_train('customers', 'churn', options => '{"algorithm": "linear"}');
RESET client_min_messages;
SELECT name, version, task, target, source, metric, rows, test_rows, status
  FROM automl.models ORDER BY id;

-- regression and multiclass (NULL features are missing values)
SELECT model, task, metric, test_score < baseline_score AS lift FROM automl_train('concrete', 'compressive_strength', budget => '6 seconds');
SELECT model, task, metric, test_score < baseline_score AS lift FROM automl_train('penguins', 'species', budget => '4 seconds');

-- every type: id and constant columns dropped, jsonb skipped, NULL targets counted
SELECT model, task FROM automl_train('kinds', 'label', name => 'kinds_label', budget => '3 seconds');
SELECT f->>'name' AS col, f->>'kind' AS kind, f->>'role' AS role, f->>'reason' AS reason
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'kinds_label' ORDER BY f->>'name';

-- a numeric target with few integer values is classified; task can be forced
SELECT task FROM automl_train('kinds', 'small', name => 'kinds_small', exclude => ARRAY['id'], budget => '3 seconds');
SELECT task FROM automl_train('kinds', 'small', name => 'kinds_small_reg', task => 'regression', budget => '3 seconds');
SELECT task FROM automl_train('kinds', 'flag', name => 'kinds_flag', budget => '3 seconds');

-- query sources, exclude, an explicit name, schema-qualified and quoted names
SELECT model, rows FROM automl_train('SELECT * FROM customers WHERE state <> ''KS''', 'churn',
									 name => 'churn no KS', exclude => ARRAY['state', 'area_code'], budget => '3 seconds');
SELECT jsonb_agg(f->>'name' ORDER BY f->>'name') FILTER (WHERE f->>'role' = 'dropped') AS dropped
  FROM automl.models m, jsonb_array_elements(m.features) f WHERE m.name = 'churn no KS';
CREATE SCHEMA "Sales Data";
CREATE TABLE "Sales Data"."Mixed Case" AS SELECT cement AS "Cement", age AS "Age", compressive_strength AS "Strength" FROM concrete;
SELECT model, task FROM automl_train('"Sales Data"."Mixed Case"', 'Strength', budget => '3 seconds');

-- manual mode trains exactly one configuration
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_tree',
	options => '{"algorithm": "decision_tree", "params": {"max_depth": 3}}');
SELECT learner, hyperparameters FROM automl.leaderboard WHERE model = 'churn_tree';
SELECT algorithm, hyperparameters FROM automl.models WHERE name = 'churn_tree';
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_linear',
	options => '{"algorithm": "linear", "params": {"alpha": 0.5}}');

-- class weights: "balanced" makes churners (14% of the rows) weigh as much in
-- total as the rest, so their probabilities rise from about their share to
-- about a half; the weighting is recorded with the hyperparameters
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_linear_cw',
	options => '{"algorithm": "linear", "params": {"alpha": 0.5, "class_weight": "balanced"}}');
SELECT name, hyperparameters FROM automl.models WHERE name LIKE 'churn\_linear%' ORDER BY name;
SELECT avg(automl_predict_proba('churn_linear', c, 'yes')) < 0.2 AS plain_near_share,
	   avg(automl_predict_proba('churn_linear_cw', c, 'yes')) BETWEEN 0.3 AND 0.7 AS balanced_near_half
  FROM customers c;
-- the search tries each learner's incumbent once with balanced weights (the
-- linear model's comes within its first three trials, whatever the timing)
SELECT count(*) FILTER (WHERE hyperparameters ? 'class_weight') > 0 AS linear_tried_weights
  FROM automl.leaderboard WHERE model = 'customers_churn' AND version = 1 AND learner = 'linear';

-- generated features: the search tries each learner's incumbent once with
-- them (the table has some: see below), right after the class-weight trial,
-- so every learner with four configurations or more has tried them, whatever
-- the timing (configurations, not rows: a finalist's confirmation on fresh
-- folds repeats one of its trials)
SELECT count(*) > 0 AND bool_and(tried) AS tried_generated_by_fourth_trial
  FROM (SELECT count(*) FILTER (WHERE hyperparameters ? 'gen_features') > 0 AS tried
		  FROM automl.leaderboard
		 WHERE model = 'customers_churn' AND version = 1 AND learner <> 'baseline'
		 GROUP BY learner HAVING count(DISTINCT hyperparameters) >= 4) s;
-- and the model keeps them exactly when a member reads them
SELECT bool_and((hyperparameters::text LIKE '%gen_features%') =
				(features @> '[{"role": "generated"}]')) AS kept_when_read
  FROM automl.models WHERE name = 'customers_churn';
-- a fixed gbdt that reads them: the day, evening, night and international
-- minutes, calls and charges add up to three totals (names the same but for
-- one part), and it gains the most on the total charge
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_gbdt_gen',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 50, "gen_features": true}}');
SELECT g ->> 'name' AS generated, g ->> 'encoding' AS encoding, (g ->> 'importance')::float8 > 0 AS used
  FROM automl.models, jsonb_array_elements(features) g
 WHERE name = 'churn_gbdt_gen' AND g ->> 'role' = 'generated' ORDER BY 1;
SELECT (SELECT f ->> 'name' FROM jsonb_array_elements(features) f
		 WHERE f ? 'importance' ORDER BY (f ->> 'importance')::float8 DESC LIMIT 1) AS top_gain
  FROM automl.models WHERE name = 'churn_gbdt_gen';
-- a fixed configuration that does not read them, or the option
-- generated_features => false, makes none; a model with generated features
-- is stored in format version 2, one without in version 1
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_gbdt_nogen',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 50}}');
SELECT algorithm FROM automl_train('customers', 'churn', name => 'churn_gbdt_gen_off',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 50, "gen_features": true}, "generated_features": false}');
SELECT name, (SELECT count(*) FROM jsonb_array_elements(features) f WHERE f ->> 'role' = 'generated') AS generated,
	   get_byte(model, 4) AS format_version
  FROM automl.models WHERE name LIKE 'churn\_gbdt\_%gen%' ORDER BY name;

-- algorithms subset, folds, test_fraction, metric
SELECT model FROM automl_train('customers', 'churn', name => 'churn_lin_only',
								options => '{"algorithms": ["linear"], "folds": 3, "test_fraction": 0.3}');
SELECT learner, count(*) > 0 AS tried FROM automl.leaderboard WHERE model = 'churn_lin_only' GROUP BY 1 ORDER BY 1;

-- the search: every trial is a leaderboard row; without an ensemble the winner is rank 1, or a
-- finalist confirmed on fresh folds (two to four rows: its trial and one to three confirmations)
SELECT model FROM automl_train('customers', 'churn', name => 'churn_search', budget => '6 seconds',
							   options => '{"ensemble": false}');
SELECT count(DISTINCT learner) >= 5 AS all_learners_tried, count(*) >= 6 AS trials,
	   count(*) FILTER (WHERE sample_rows > 0) = count(*) AS rows_recorded
  FROM automl.leaderboard WHERE model = 'churn_search';
SELECT m.algorithm = l.learner AND m.hyperparameters = l.hyperparameters OR
	   (SELECT count(*) FROM automl.leaderboard f
		 WHERE f.model = m.name AND f.version = m.version AND f.learner = m.algorithm
		   AND f.hyperparameters = m.hyperparameters) BETWEEN 2 AND 4 AS winner_is_rank_1_or_confirmed
  FROM automl.models m JOIN automl.leaderboard l ON l.model = m.name AND l.version = m.version AND l.rank = 1
 WHERE m.name = 'churn_search';
-- the budget is honoured: the call returns within it plus 10% (or 2 s)
SELECT seconds < 6 * 1.1 + 2 AS within_budget FROM automl.models WHERE name = 'churn_search';
-- an ensemble, when chosen, is stored and served as one model
SELECT model FROM automl_train('customers', 'churn', name => 'churn_ens', budget => '6 seconds');
SELECT CASE WHEN algorithm = 'ensemble' THEN jsonb_array_length(hyperparameters->'members') >= 2 ELSE true END AS members_listed
  FROM automl.models WHERE name = 'churn_ens';
SELECT count(*) = 5000 AS scored FROM customers c WHERE automl_predict('churn_ens', c) IN ('yes', 'no');
SELECT model FROM automl_train('customers', 'churn', name => 'churn_max_rows', budget => '4 seconds',
							   options => '{"max_rows": 1000, "algorithms": ["gbdt"]}');
SELECT max(sample_rows) <= 1000 AS sampled, (SELECT rows FROM automl.models WHERE name = 'churn_max_rows') = 4000 AS final_fit_on_all
  FROM automl.leaderboard WHERE model = 'churn_max_rows' AND learner NOT IN ('baseline', 'ensemble');
SELECT metric, test_rows FROM automl.models WHERE name = 'churn_lin_only';
SELECT metric FROM automl_train('customers', 'churn', name => 'churn_f1', metric => 'f1', budget => '3 seconds');

-- the same seed gives the same model
SELECT a.test_score = b.test_score AS same
  FROM automl_train('penguins', 'species', name => 'p1', options => '{"seed": 3, "algorithms": ["linear", "decision_tree"]}') a,
	   automl_train('penguins', 'species', name => 'p2', options => '{"seed": 3, "algorithms": ["linear", "decision_tree"]}') b;
SELECT (SELECT model FROM automl.models WHERE name = 'p1') = (SELECT model FROM automl.models WHERE name = 'p2') AS same_blob;

-- a tiny budget still returns a model (with a notice saying where it stopped)
SET client_min_messages = warning;
SELECT model, algorithm IS NOT NULL AS has_model FROM automl_train('customers', 'churn', name => 'churn_quick', budget => '1 millisecond');
RESET client_min_messages;
-- a statement_timeout shorter than the budget: the budget ends before it (a
-- NOTICE; its detail, the seconds left, is hidden here), and the training
-- returns its best model instead of being cancelled with the search lost
SET statement_timeout = '8s';
\set VERBOSITY terse
SELECT model, seconds < 8 AS before_timeout
  FROM automl_train('customers', 'churn', name => 'churn_timeout', budget => '10 minutes');
\set VERBOSITY default
RESET statement_timeout;
-- the record keeps both budgets, and the review and the report say the
-- timeout cut it (the seconds vary: only their order is shown)
SELECT (detail->>'budget_seconds')::float8 AS asked,
	   (detail->>'budget_cut_seconds')::float8 BETWEEN 1 AND 8 AS cut_before_timeout
  FROM automl.audit WHERE model = 'churn_timeout' AND action = 'train';
SELECT status, detail ~ '^[0-9.]+ s of a 600 s budget that statement_timeout cut to [0-9.]+ s, [0-9]+ candidates compared \([a-z_]+ won\): a longer statement_timeout may find a better model$' AS says_cut
  FROM automl_review('churn_timeout') WHERE "check" = 'training_time';
SELECT automl_report('churn_timeout') ~ 'candidates in a 10 min 00 s budget, cut to [0-9.]+ s by statement_timeout' AS report_says_cut;
SELECT automl_drop('churn_timeout');
RESET automl.progress;

-- automl_scan reads the source like automl_train, without training
SELECT rows, columns, frame_bytes BETWEEN float32_bytes AND float32_bytes * 1.25 AS compact, seconds >= 0 AS timed
  FROM automl_scan('customers', 'churn');
SELECT rows, columns FROM automl_scan('SELECT state, churn FROM customers WHERE churn = ''yes''', 'churn');
