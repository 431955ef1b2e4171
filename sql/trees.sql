-- trees: gbdt, random_forest and extra_trees in manual mode; the forests'
-- out-of-bag estimate, Huber loss, split-count importance, bad parameters
SET automl.progress = off;
SET automl.threads = 2;

-- each tree learner trains exactly its configuration, deterministically
SELECT model, algorithm, test_score > 0.88 AS good, test_score > baseline_score AS lift
  FROM automl_train('customers', 'churn', name => 'tr_gbdt',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 60, "learning_rate": 0.1, "max_leaves": 15}}');
SELECT model, algorithm, test_score > 0.88 AS good
  FROM automl_train('customers', 'churn', name => 'tr_rf',
	options => '{"algorithm": "random_forest", "params": {"n_estimators": 40, "min_samples_leaf": 2}}');
SELECT model, algorithm, test_score > 0.85 AS good
  FROM automl_train('customers', 'churn', name => 'tr_et',
	options => '{"algorithm": "extra_trees", "params": {"n_estimators": 40}}');
SELECT model, algorithm, test_score > 0.85 AS good
  FROM automl_train('customers', 'churn', name => 'tr_et_bag',
	options => '{"algorithm": "extra_trees", "params": {"n_estimators": 40, "bootstrap": 1}}');
SELECT name, hyperparameters FROM automl.models WHERE name LIKE 'tr\_%' ORDER BY name;
-- the same call gives the same model, byte for byte
SELECT model FROM automl_train('customers', 'churn', name => 'tr_gbdt',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 60, "learning_rate": 0.1, "max_leaves": 15}}');
SELECT count(DISTINCT model) = 1 AS same_blob FROM automl.models WHERE name = 'tr_gbdt';

-- out-of-bag estimate: bootstrap forests only, in the search metric, near the test score (with 40
-- trees a row is out of bag in about 15 of them: the estimate is a few hundredths pessimistic)
SELECT name, metrics ? 'oob_score' AS has_oob, metrics->>'oob_metric' AS oob_metric,
	   (metrics->>'oob_rows')::int BETWEEN rows * 0.99 AND rows AS oob_rows,
	   abs((metrics->>'oob_score')::float8 - test_score) < 0.06 AS oob_near_test
  FROM automl.models WHERE name IN ('tr_gbdt', 'tr_rf', 'tr_et', 'tr_et_bag') AND version = 1
 ORDER BY name;
-- regression forest: rmse; with no test split the estimate is the only score
SELECT metric, round(test_score::numeric, 0) > 0 AS scored FROM automl_train('concrete', 'compressive_strength',
	name => 'tr_concrete_rf', options => '{"algorithm": "random_forest", "params": {"n_estimators": 50}}');
SELECT metrics->>'oob_metric' AS oob_metric,
	   abs((metrics->>'oob_score')::float8 - test_score) / test_score < 0.15 AS oob_near_test
  FROM automl.models WHERE name = 'tr_concrete_rf';
SELECT test_score IS NULL AS no_test_score FROM automl_train('concrete', 'compressive_strength',
	name => 'tr_tr_concrete_rf_all', options => '{"algorithm": "random_forest", "params": {"n_estimators": 50}, "test_fraction": 0}');
SELECT array(SELECT jsonb_object_keys(metrics) ORDER BY 1) AS metric_keys,
	   (metrics->>'oob_score')::float8 BETWEEN 3 AND 8 AS plausible_rmse, rows, test_rows
  FROM automl.models WHERE name = 'tr_tr_concrete_rf_all';
-- multiclass (log_loss), and the metric named in automl_train
SELECT metric FROM automl_train('penguins', 'species', name => 'tr_penguins_rf',
	options => '{"algorithm": "random_forest", "params": {"n_estimators": 30}}');
SELECT metrics->>'oob_metric' AS oob_metric, (metrics->>'oob_score')::float8 < 0.3 AS low_log_loss
  FROM automl.models WHERE name = 'tr_penguins_rf';
SELECT metric FROM automl_train('penguins', 'species', name => 'tr_penguins_acc', metric => 'accuracy',
	options => '{"algorithm": "random_forest", "params": {"n_estimators": 30}}');
SELECT metrics->>'oob_metric' AS oob_metric, (metrics->>'oob_score')::float8 > 0.9 AS accurate
  FROM automl.models WHERE name = 'tr_penguins_acc';

-- Huber loss: robust regression; its test error is close to squared error's on clean data
SELECT metric, test_score < baseline_score * 0.5 AS lift FROM automl_train('concrete', 'compressive_strength',
	name => 'tr_huber', options => '{"algorithm": "gbdt", "params": {"huber_delta": 5}}');
SELECT hyperparameters FROM automl.models WHERE name = 'tr_huber';
-- ... and far better when some training targets are wildly wrong
CREATE TABLE tr_concrete_bad AS
SELECT c.*, CASE WHEN n % 10 = 3 THEN 'test' ELSE 'train' END AS part,
	   CASE WHEN n % 10 IN (1, 6) THEN compressive_strength + 300 ELSE compressive_strength END AS noisy
  FROM (SELECT row_number() OVER (ORDER BY cement, water, age, compressive_strength, blast_furnace_slag,
								  fly_ash, superplasticizer, coarse_aggregate, fine_aggregate) AS n, *
		  FROM concrete) c;
SELECT model FROM automl_train('SELECT cement, blast_furnace_slag, fly_ash, water, superplasticizer, coarse_aggregate, fine_aggregate, age, noisy FROM tr_concrete_bad WHERE part = ''train''',
	'noisy', name => 'tr_bad_l2', options => '{"algorithm": "gbdt", "test_fraction": 0}');
SELECT model FROM automl_train('SELECT cement, blast_furnace_slag, fly_ash, water, superplasticizer, coarse_aggregate, fine_aggregate, age, noisy FROM tr_concrete_bad WHERE part = ''train''',
	'noisy', name => 'tr_bad_huber', options => '{"algorithm": "gbdt", "params": {"huber_delta": 5}, "test_fraction": 0}');
SELECT avg(abs(automl_predict('tr_bad_huber', c)::float8 - compressive_strength)) * 2
		< avg(abs(automl_predict('tr_bad_l2', c)::float8 - compressive_strength)) AS huber_twice_as_close
  FROM tr_concrete_bad c WHERE part = 'test';

-- importance: split gain and share of splits per column, each summing to 1
SELECT name, round(sum((f->>'importance')::numeric), 3) AS gain_sum,
	   round(sum((f->>'importance_count')::numeric), 3) AS count_sum,
	   count(*) FILTER (WHERE (f->>'importance_count')::float8 > 0) > 3 AS several_columns_split
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE name IN ('tr_gbdt', 'tr_rf', 'tr_huber', 'tr_penguins_rf') AND version = 1 AND f->>'role' = 'feature'
 GROUP BY name ORDER BY name;
SELECT f->>'name' AS col FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE name = 'tr_gbdt' AND version = 1 AND f->>'role' = 'feature'
 ORDER BY (f->>'importance_count')::float8 DESC, f->>'name' LIMIT 1;
-- linear models have no splits
SELECT algorithm FROM automl_train('customers', 'churn', name => 'tr_lin', options => '{"algorithm": "linear"}');
SELECT count(*) FILTER (WHERE f ? 'importance') > 0 AS has_importance,
	   count(*) FILTER (WHERE f ? 'importance_count') AS with_count
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'tr_lin' AND f->>'role' = 'feature';

-- bad parameters name the parameter and its valid range
SELECT automl_train('concrete', 'compressive_strength', options => '{"algorithm": "gbdt", "params": {"huber_delta": -1}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "gbdt", "params": {"huber_delta": 1}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "gbdt", "params": {"learning_rate": 0}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "gbdt", "params": {"n_estimators": 2.5}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "gbdt", "params": {"max_features": 0.5}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "random_forest", "params": {"max_features": 1.5}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "random_forest", "params": {"learning_rate": 0.1}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "extra_trees", "params": {"bootstrap": 2}}');
SELECT automl_train('customers', 'churn', options => '{"algorithm": "extra_trees", "params": {"n_estimators": 0}}');
RESET automl.threads;
RESET automl.progress;
