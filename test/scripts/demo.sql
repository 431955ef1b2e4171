-- demo.sql: the quick start's tour of automl, run by demo.sh against a table
-- customers (telecom churn: one row per customer, churn = 'yes' / 'no').

\echo
\echo '== 1. Train: one call finds the task, the features and the best model'
\echo
SELECT * FROM automl_train('customers', 'churn');

\echo
\echo '== 2. The leaderboard: the ten best of every candidate the search tried'
\echo
SELECT rank, learner, round(score::numeric, 4) AS score, metric, hyperparameters, fit_seconds, sample_rows
  FROM automl.leaderboard WHERE model = 'customers_churn' ORDER BY rank LIMIT 10;
SELECT count(*) AS candidates_tried, string_agg(DISTINCT learner, ', ') AS learners
  FROM automl.leaderboard WHERE model = 'customers_churn';

\echo
\echo '== 3. The stored model: a versioned catalog row with its test metrics'
\echo
SELECT name, version, task, algorithm, jsonb_pretty(metrics) AS metrics, rows
  FROM automl.models;

\echo
\echo '== 4. Scoring inside a query: the predicted label and P(churn = yes)'
\echo
SELECT churn AS actual,
       automl_predict('customers_churn', c) AS predicted,
       round(automl_predict_proba('customers_churn', c)::numeric, 3) AS p_yes
  FROM customers c
 LIMIT 10;

\echo
\echo '== 5. Confusion counts over all rows (the model saw 80% of them in training)'
\echo
SELECT churn AS actual,
       automl_predict('customers_churn', c)::text AS predicted,
       count(*) AS customers
  FROM customers c
 GROUP BY 1, 2
 ORDER BY 1, 2;

\echo
\echo '== 5b. Metric aggregates: how well it ranks churners in each area code, in plain SQL'
\echo
SELECT area_code, count(*) AS customers,
       round(automl.roc_auc(p, churn = 'yes')::numeric, 4) AS auc,
       round(automl.log_loss(p, churn = 'yes')::numeric, 4) AS log_loss
  FROM (SELECT area_code, churn, automl_predict_proba('customers_churn', c) AS p FROM customers c) s
 GROUP BY area_code
 ORDER BY area_code;

\echo
\echo '== 6. Why: the three columns that moved one customer''s prediction most'
\echo
SELECT e ->> 'output' AS output, round((e ->> 'base')::numeric, 3) AS base,
       round((e ->> 'prediction')::numeric, 3) AS prediction,
       q ->> 'feature' AS feature, q ->> 'value' AS value,
       round((q ->> 'contribution')::numeric, 3) AS contribution
  FROM (SELECT automl_explain('customers_churn', c, 3) AS e FROM customers c WHERE churn = 'yes' LIMIT 1) s,
       jsonb_array_elements(e -> 'contributions') q;

\echo
\echo '== 7. What matters overall (stored at training time, test rows)'
\echo
SELECT method, feature, round(importance::numeric, 4) AS importance
  FROM automl_importance('customers_churn') WHERE rank <= 3 ORDER BY method, rank;

\echo
\echo '== 8. Monitoring: have the inputs moved? (the customers who called support 3+ times,'
\echo '      against the training rows: population stability index per column, no labels needed)'
\echo
SELECT feature, round(psi::numeric, 3) AS psi, drift, largest_change
  FROM automl_drift('customers_churn', 'SELECT * FROM customers WHERE number_customer_service_calls >= 3')
 LIMIT 3;
-- the same check, kept on record (a scheduler would run this nightly)
SELECT * FROM automl_drift_record('customers_churn',
    'SELECT * FROM customers WHERE number_customer_service_calls >= 3');

\echo
\echo '== 8b. Training in the background: the call returns a job id at once, the job shows'
\echo '       its progress in automl.job_status, and automl_job_wait waits for its end'
\echo
SELECT automl_train_start('customers', 'churn', name => 'customers_churn_bg', budget => '10 seconds') AS job \gset
SELECT pg_sleep(3);
SELECT id, state, seconds, budget, left(progress, 90) AS progress FROM automl.job_status WHERE id = :job;
SELECT state, seconds, version, result->>'algorithm' AS algorithm, result->>'test_score' AS test_score
  FROM automl_job_wait(:job);
