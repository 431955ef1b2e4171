-- drift: the training distributions stored in the feature profile, and
-- automl_drift on sources that match them, shift a number, a category or a
-- date, add missing values and unseen levels; a read-only transaction, a
-- model trained before the distributions were stored, and every error.
SET automl.progress = off;
\set VERBOSITY default
\set SHOW_CONTEXT never

SET client_min_messages = warning;
SELECT model, task, algorithm FROM automl_train('customers', 'churn', name => 'dr_churn',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 30}}');
RESET client_min_messages;

-- every column the model reads has a distribution: shares of at most 10
-- bins between increasing edges, or of at most 20 levels and "other", and
-- "missing", adding up to 1 (each rounded to 6 digits)
SELECT f ->> 'kind' AS kind, count(*) AS columns,
	   bool_and(abs((SELECT sum(s::float8) FROM jsonb_array_elements_text(f -> 'distribution' -> 'shares') s)
					+ coalesce((f -> 'distribution' ->> 'other')::float8, 0)
					+ (f -> 'distribution' ->> 'missing')::float8 - 1) < 1e-5) AS shares_add_up,
	   bool_and(jsonb_array_length(f -> 'distribution' -> 'shares') <= CASE f ->> 'kind' WHEN 'categorical' THEN 20 ELSE 10 END) AS bins_bounded,
	   bool_and(f ->> 'kind' = 'categorical' OR
				(SELECT bool_and(e2.e::float8 > e1.e::float8)
				   FROM jsonb_array_elements_text(f -> 'distribution' -> 'edges') WITH ORDINALITY e1(e, o)
				   JOIN jsonb_array_elements_text(f -> 'distribution' -> 'edges') WITH ORDINALITY e2(e, o) ON e2.o = e1.o + 1)
				IS NOT FALSE) AS edges_increase,
	   bool_and((f -> 'distribution' ->> 'missing')::float8 = (f ->> 'missing_rate')::float8) AS missing_matches
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'dr_churn' AND f ->> 'role' = 'feature'
 GROUP BY 1 ORDER BY 1;
-- the 51 states: the 20 most frequent, then the rest as "other"
SELECT jsonb_array_length(f -> 'distribution' -> 'levels') AS levels, (f -> 'distribution' ->> 'other')::float8 > 0.4 AS other_large
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'dr_churn' AND f ->> 'name' = 'state';

-- the whole table (training rows and the test split): nothing moved
SELECT count(*) AS columns, max(psi) < 0.01 AS all_small, bool_and(drift = 'none') AS none,
	   bool_and(missing_rate = 0 AND training_missing_rate = 0) AS no_missing
  FROM automl_drift('dr_churn', 'customers');

-- the customers who talk more than 200 minutes a day: the day minutes and
-- their charge move the most, and the calls to customer service hardly
SELECT feature, kind, round(psi::numeric, 2) AS psi, drift, largest_change
  FROM automl_drift('dr_churn', 'SELECT * FROM customers WHERE total_day_minutes > 200')
 ORDER BY psi DESC LIMIT 2;
SELECT drift FROM automl_drift('dr_churn', 'SELECT * FROM customers WHERE total_day_minutes > 200')
 WHERE feature = 'number_customer_service_calls';
-- a category: only the customers with an international plan
SELECT feature, round(psi::numeric, 2) AS psi, drift, largest_change
  FROM automl_drift('dr_churn', 'SELECT * FROM customers WHERE international_plan = ''yes''')
 ORDER BY psi DESC LIMIT 1;
-- missing values and a level training never saw
SELECT feature, drift, round(missing_rate::numeric, 3) AS missing_rate, training_missing_rate, largest_change
  FROM automl_drift('dr_churn',
	'SELECT state, CASE WHEN account_length % 2 = 0 THEN NULL ELSE account_length END AS account_length,
			area_code, international_plan, voice_mail_plan, number_vmail_messages, total_day_minutes,
			total_day_calls, total_day_charge, total_eve_minutes, total_eve_calls, total_eve_charge,
			total_night_minutes, total_night_calls, total_night_charge, total_intl_minutes,
			total_intl_calls, total_intl_charge, number_customer_service_calls
	   FROM customers')
 WHERE feature = 'account_length';
SELECT feature, drift, largest_change
  FROM automl_drift('dr_churn', 'SELECT c.*, ''ZZ'' AS state FROM (SELECT account_length, area_code,
	international_plan, voice_mail_plan, number_vmail_messages, total_day_minutes, total_day_calls,
	total_day_charge, total_eve_minutes, total_eve_calls, total_eve_charge, total_night_minutes,
	total_night_calls, total_night_charge, total_intl_minutes, total_intl_calls, total_intl_charge,
	number_customer_service_calls FROM customers) c')
 WHERE feature = 'state';

-- a date: the same rows a year later
SET client_min_messages = warning;
SELECT model, algorithm FROM automl_train('SELECT day, amount, label FROM kinds', 'label', name => 'dr_days',
	options => '{"algorithm": "decision_tree"}');
RESET client_min_messages;
SELECT feature, kind, drift FROM automl_drift('dr_days', 'SELECT day, amount FROM kinds') ORDER BY feature;
SELECT feature, kind, drift, largest_change
  FROM automl_drift('dr_days', 'SELECT day + 365 AS day, amount FROM kinds') WHERE feature = 'day';

-- no label is read: a source's target column, whatever its type, is ignored
SET client_min_messages = warning;
SELECT model FROM automl_train('concrete', 'compressive_strength', name => 'dr_reg',
	options => '{"algorithm": "linear"}');
RESET client_min_messages;
SELECT count(*) AS columns, bool_and(drift = 'none') AS none
  FROM automl_drift('dr_reg', 'SELECT cement, blast_furnace_slag, fly_ash, water, superplasticizer,
	coarse_aggregate, fine_aggregate, age, compressive_strength::text AS compressive_strength FROM concrete');

-- it only reads: a read-only transaction is fine
BEGIN TRANSACTION READ ONLY;
SELECT count(*) AS columns FROM automl_drift('dr_churn', 'customers');
COMMIT;

-- the history the extension keeps: automl_drift_record runs automl_drift as
-- the caller and keeps its rows under one check id (a scheduler such as
-- pg_cron would run it); it returns how many columns moved
SELECT compared_version, features, moderate, major FROM automl_drift_record('dr_churn', 'customers');
-- one check is a row of the report's table, not yet a chart
SELECT automl_report('dr_churn') ~ '<h3>Drift checks of this version</h3>' AS has_section,
	   position('Drift over the checks' IN automl_report('dr_churn')) = 0 AS no_chart;
SELECT compared_version, features, moderate, major
  FROM automl_drift_record('dr_churn', 'SELECT * FROM customers WHERE total_day_minutes > 200', 1);
SELECT dense_rank() OVER (ORDER BY check_id) AS check_no, model, version, source, count(*) AS columns,
	   count(*) FILTER (WHERE drift <> 'none') AS moved, bool_and(checked_by = current_user) AS by_caller
  FROM automl.drift_history WHERE model = 'dr_churn'
 GROUP BY check_id, model, version, source ORDER BY 1;
-- the kept rows are automl_drift's
SELECT count(*) AS rows_differ FROM (
	SELECT feature, kind, psi, drift, missing_rate, training_missing_rate, largest_change
	  FROM automl.drift_history WHERE check_id = (SELECT max(check_id) FROM automl.drift_history)
	EXCEPT
	SELECT * FROM automl_drift('dr_churn', 'SELECT * FROM customers WHERE total_day_minutes > 200')) d;
-- the model report lists the checks of its version, newest first
WITH r AS (SELECT substring(automl_report('dr_churn') FROM '<h3>Drift checks of this version</h3>.*?</table>') AS t)
SELECT t IS NOT NULL AS has_section,
	   t ~ 'WHERE total_day_minutes &gt; 200</code></td><td class="n">0</td><td class="n">2</td><td class="n">19</td>' AS shows_moved,
	   position('total_day_minutes &gt; 200' IN t) < position('<code>customers</code>' IN t) AS newest_first
  FROM r;
-- from the second check on, a chart follows them: the PSI of the columns
-- that moved the most, one line each, against the moderate and major lines
WITH r AS (SELECT substring(automl_report('dr_churn') FROM '<figcaption>Drift over the checks</figcaption>.*?</figure>') AS t)
SELECT substring(t FROM 'The 2 latest drift checks of version [0-9]+') AS described,
	   (SELECT count(*) FROM regexp_matches(t, '<path d="M[0-9.]+ [0-9.]+L[0-9.]+ [0-9.]+" fill="none"', 'g')) AS column_lines,
	   (SELECT string_agg(m[1], ', ') FROM regexp_matches(t, '<text [^>]*>([a-z_]+)</text>', 'g') m) AS legend,
	   t ~ 'major \(0\.25\)' AND t ~ 'moderate \(0\.10\)' AS reference_lines
  FROM r;
-- it writes: not in a read-only transaction
BEGIN TRANSACTION READ ONLY;
SELECT * FROM automl_drift_record('dr_churn', 'customers');
ROLLBACK;
SELECT * FROM automl_drift_record(NULL, 'customers');
-- automl_drift's errors are its errors, and nothing is kept
SELECT * FROM automl_drift_record('dr_churn', 'customers', 7);
SELECT count(DISTINCT check_id) AS checks_kept FROM automl.drift_history;

-- errors
-- a version trained before distributions were stored (0.5.0 and earlier)
UPDATE automl.models SET features = (SELECT jsonb_agg(f - 'distribution' ORDER BY o)
									   FROM jsonb_array_elements(features) WITH ORDINALITY x(f, o))
 WHERE name = 'dr_days';
SELECT * FROM automl_drift('dr_days', 'SELECT day, amount FROM kinds');
\echo :LAST_ERROR_SQLSTATE
-- a source without a column the model reads
SELECT * FROM automl_drift('dr_churn', 'SELECT state, account_length FROM customers');
\echo :LAST_ERROR_SQLSTATE
-- no rows
SELECT * FROM automl_drift('dr_churn', 'SELECT * FROM customers WHERE false');
\echo :LAST_ERROR_SQLSTATE
-- NULL arguments, an unknown model, an unknown version
SELECT * FROM automl_drift('dr_churn', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_drift('dr_nope', 'customers');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_drift('dr_churn', 'customers', 7);
\echo :LAST_ERROR_SQLSTATE
-- a model the caller may not use
CREATE ROLE automl_drift_outsider;
SET ROLE automl_drift_outsider;
SELECT * FROM automl_drift('dr_churn', 'customers');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_drift_record('dr_churn', 'customers');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS history_rows_seen FROM automl.drift_history;
RESET ROLE;
DROP ROLE automl_drift_outsider;
SELECT automl_drop(name) FROM (VALUES ('dr_churn'), ('dr_days'), ('dr_reg')) v(name);
