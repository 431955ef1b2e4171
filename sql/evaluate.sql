-- evaluate: automl_evaluate on labelled rows of a table, view or query, for
-- each task; every metric is recomputed here in SQL from automl_predict /
-- automl_predict_proba on the same rows; NULL and unknown labels, the
-- model's own metric first, an explicit version, a read-only transaction,
-- and every error.
SET automl.progress = off;
\set VERBOSITY default
\set SHOW_CONTEXT never

SET client_min_messages = warning;
SELECT model, task, algorithm FROM automl_train('customers', 'churn', name => 'ev_bin',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 30}}');
SELECT model, task, algorithm FROM automl_train('concrete', 'compressive_strength', name => 'ev_reg',
	options => '{"algorithm": "linear"}');
SELECT model, task, algorithm FROM automl_train('penguins', 'species', name => 'ev_multi',
	options => '{"algorithm": "linear"}');
RESET client_min_messages;

-- binary, on the customers of states before M: the model's metric
-- (roc_auc) first, then the others; test_value is the test split's at
-- training (automl.models.metrics)
SELECT e.metric, e.value BETWEEN 0 AND 1 AS in_range,
	   e.test_value = (SELECT (m.metrics ->> e.metric)::float8 FROM automl.models m WHERE m.name = 'ev_bin') AS test_value_stored,
	   e.rows
  FROM automl_evaluate('ev_bin', 'SELECT * FROM customers WHERE state < ''M''') e;
-- ... and each value is what SQL computes from the predictions
CREATE TEMP TABLE ev_b AS
SELECT churn = 'yes' AS pos, automl_predict_proba('ev_bin', c) AS p, automl_predict('ev_bin', c) AS pred,
	   churn
  FROM customers c WHERE state < 'M';
WITH e AS (SELECT metric, value FROM automl_evaluate('ev_bin', 'SELECT * FROM customers WHERE state < ''M''')),
	 s AS (
	SELECT (SELECT avg(CASE WHEN a.p > b.p THEN 1.0 WHEN a.p = b.p THEN 0.5 ELSE 0.0 END)
			  FROM ev_b a, ev_b b WHERE a.pos AND NOT b.pos) AS roc_auc,
		   (SELECT avg((pred = churn)::int) FROM ev_b) AS accuracy,
		   (SELECT -avg(ln(CASE WHEN pos THEN p ELSE 1 - p END)) FROM ev_b) AS log_loss,
		   (SELECT count(*) FILTER (WHERE pos AND pred = 'yes')::float8 / nullif(count(*) FILTER (WHERE pred = 'yes'), 0) FROM ev_b) AS "precision",
		   (SELECT count(*) FILTER (WHERE pos AND pred = 'yes')::float8 / nullif(count(*) FILTER (WHERE pos), 0) FROM ev_b) AS recall)
SELECT e.metric, abs(e.value - CASE e.metric WHEN 'roc_auc' THEN s.roc_auc WHEN 'accuracy' THEN s.accuracy
									WHEN 'log_loss' THEN s.log_loss WHEN 'precision' THEN s."precision"
									WHEN 'recall' THEN s.recall
									WHEN 'f1' THEN 2 * s."precision" * s.recall / (s."precision" + s.recall) END) < 1e-9 AS same_as_sql
  FROM e, s;

-- regression: rmse, mae, r2 on the whole table
WITH e AS (SELECT metric, value, rows FROM automl_evaluate('ev_reg', 'concrete')),
	 p AS (SELECT compressive_strength AS y, automl_predict('ev_reg', c)::float8 AS f FROM concrete c),
	 s AS (SELECT sqrt(avg((f - y) ^ 2)) AS rmse, avg(abs(f - y)) AS mae,
				  1 - sum((y - f) ^ 2) / (SELECT sum((y - m) ^ 2) FROM p, (SELECT avg(y) AS m FROM p) a) AS r2,
				  count(*) AS n FROM p)
SELECT e.metric, abs(e.value - CASE e.metric WHEN 'rmse' THEN s.rmse WHEN 'mae' THEN s.mae ELSE s.r2 END) < 1e-9 AS same_as_sql,
	   e.rows = s.n AS all_rows
  FROM e, s;

-- multiclass: the model's metric (log_loss) first, then accuracy, f1_macro
WITH e AS (SELECT metric, value FROM automl_evaluate('ev_multi', 'SELECT * FROM penguins WHERE island = ''Dream''')),
	 p AS (SELECT species, automl_predict('ev_multi', t) AS pred,
				  automl_predict_proba('ev_multi', t, species) AS p_true
			 FROM penguins t WHERE island = 'Dream')
SELECT e.metric, abs(e.value - CASE e.metric WHEN 'accuracy' THEN (SELECT avg((pred = species)::int) FROM p)
									WHEN 'log_loss' THEN (SELECT -avg(ln(p_true)) FROM p) END) < 1e-9 AS same_as_sql
  FROM e WHERE e.metric <> 'f1_macro';

-- rows without a label are left out, with a NOTICE; a class the model does
-- not know counts as unlabelled too
SELECT metric, rows FROM automl_evaluate('ev_bin',
	'SELECT state, account_length, area_code, international_plan, voice_mail_plan, number_vmail_messages,
			total_day_minutes, total_day_calls, total_day_charge, total_eve_minutes, total_eve_calls,
			total_eve_charge, total_night_minutes, total_night_calls, total_night_charge,
			total_intl_minutes, total_intl_calls, total_intl_charge, number_customer_service_calls,
			CASE WHEN account_length % 10 = 0 THEN NULL WHEN account_length % 10 = 1 THEN ''maybe'' ELSE churn END AS churn
	   FROM customers') WHERE metric = 'roc_auc';
SELECT count(*) FILTER (WHERE account_length % 10 NOT IN (0, 1)) AS expected_rows FROM customers;

-- an explicit version; the deployed one by default
SET client_min_messages = warning;
SELECT version FROM automl_train('concrete', 'compressive_strength', name => 'ev_reg',
	options => '{"algorithm": "linear", "params": {"alpha": 1000}}');
RESET client_min_messages;
SELECT v1.value = d.value AS default_is_deployed_v1, v2.value > v1.value AS v2_worse
  FROM automl_evaluate('ev_reg', 'concrete') d,
	   automl_evaluate('ev_reg', 'concrete', 1) v1,
	   automl_evaluate('ev_reg', 'concrete', 2) v2
 WHERE d.metric = 'rmse' AND v1.metric = 'rmse' AND v2.metric = 'rmse';

-- it only reads: a read-only transaction is fine
BEGIN TRANSACTION READ ONLY;
SELECT count(*) AS metrics FROM automl_evaluate('ev_multi', 'penguins');
COMMIT;

-- errors
-- a source without the target column
CREATE TEMP TABLE ev_unlabelled AS SELECT * FROM customers LIMIT 20;
CREATE TEMP TABLE ev_no_target AS SELECT * FROM ev_unlabelled;
ALTER TABLE ev_no_target DROP COLUMN churn;
SELECT * FROM automl_evaluate('ev_bin', 'ev_no_target');
\echo :LAST_ERROR_SQLSTATE
-- a source without a feature the model needs
SELECT * FROM automl_evaluate('ev_bin', 'SELECT state, account_length, churn FROM customers');
\echo :LAST_ERROR_SQLSTATE
-- no labelled row
UPDATE ev_unlabelled SET churn = NULL;
SELECT * FROM automl_evaluate('ev_bin', 'ev_unlabelled');
\echo :LAST_ERROR_SQLSTATE
-- no rows at all
SELECT * FROM automl_evaluate('ev_bin', 'SELECT * FROM customers WHERE false');
\echo :LAST_ERROR_SQLSTATE
-- a regression target of the wrong type
SELECT * FROM automl_evaluate('ev_reg', 'SELECT cement, blast_furnace_slag, fly_ash, water, superplasticizer,
	coarse_aggregate, fine_aggregate, age, compressive_strength::text AS compressive_strength FROM concrete');
\echo :LAST_ERROR_SQLSTATE
-- NULL arguments, an unknown model, an unknown version
SELECT * FROM automl_evaluate(NULL, 'customers');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_evaluate('ev_nope', 'customers');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_evaluate('ev_reg', 'concrete', 9);
\echo :LAST_ERROR_SQLSTATE
-- a model the caller may not use, then a source the caller may not read
CREATE ROLE automl_eval_outsider;
SET ROLE automl_eval_outsider;
SELECT * FROM automl_evaluate('ev_reg', 'concrete');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT automl_share('ev_reg', 'automl_eval_outsider', 'use');
SET ROLE automl_eval_outsider;
SELECT * FROM automl_evaluate('ev_reg', 'concrete');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT automl_drop(name) FROM (VALUES ('ev_bin'), ('ev_reg'), ('ev_multi')) v(name);
DROP ROLE automl_eval_outsider;
