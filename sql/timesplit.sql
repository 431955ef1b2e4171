-- timesplit: option time_column orders the split by time (automl_train and
-- automl_assess).  Outputs are row counts, split boundaries computed
-- independently in SQL, and sentences: never raw scores.
SET automl.progress = off;
SET client_min_messages = warning;

-- visits: four rows a day over 100 days, a target that drifts upwards with
-- time, and some rows without a day (they always train)
CREATE TABLE visits AS
SELECT CASE WHEN i % 50 = 0 THEN NULL ELSE '2023-01-01'::date + i / 4 END AS day,
	   (i * 7919 % 100) / 10.0 AS x,
	   (ARRAY['a', 'b', 'c'])[i % 3 + 1] AS channel,
	   2 * ((i * 7919 % 100) / 10.0) + i / 40.0 + (i % 7) / 7.0 AS amount
  FROM generate_series(1, 400) i;

-- automl_train: 20% of 400 labelled rows are the test split, the rest train
SELECT model, task, rows, test_score < baseline_score AS beats_baseline
  FROM automl_train('visits', 'amount', budget => '5 seconds',
					options => '{"time_column": "day", "algorithms": ["linear"]}');
-- the catalog records the option
SELECT name, version, options FROM automl.models WHERE name = 'visits_amount';
-- the column stays a feature (its date parts) unless excluded
SELECT f->>'name' AS name, f->>'role' AS role
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'visits_amount' AND f->>'name' = 'day';
SELECT rows FROM automl_train('visits', 'amount', name => 'visits_no_day', budget => '5 seconds',
							   exclude => ARRAY['day'],
							   options => '{"time_column": "day", "algorithms": ["linear"]}');
SELECT f->>'name' AS name, f->>'role' AS role
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'visits_no_day' AND f->>'name' = 'day';
-- a numeric column (a year, with many ties) orders the split too
SELECT model, task, rows
  FROM automl_train('penguins', 'species', budget => '5 seconds',
					options => '{"time_column": "year", "algorithms": ["decision_tree"]}');

-- automl_assess without the option: the date warning points to it
SELECT w FROM automl_assess('visits', 'amount', '4 seconds',
							options => '{"algorithms": ["linear"]}') a, unnest(a.warnings) w
 WHERE w LIKE '%day%';
SELECT details->'split' AS split FROM automl.assessments ORDER BY id DESC LIMIT 1;

-- with the option: no date warning; the rows without a day are said
SELECT w FROM automl_assess('visits', 'amount', '4 seconds',
							options => '{"time_column": "day", "algorithms": ["linear"]}') a,
			  unnest(a.warnings) w
 WHERE w LIKE '%day%';
-- the reasons say the test rows are the latest
SELECT r LIKE 'On 80 held-out rows (the latest by "day") the best model%' AS latest
  FROM automl.assessments a, unnest(a.reasons) r
 WHERE a.id = (SELECT max(id) FROM automl.assessments) AND r LIKE 'On %';
-- details say which split: the test rows are exactly the 80 latest dated rows
SELECT s - 'test_from' - 'test_to' AS split,
	   s->>'test_from' = (SELECT to_char(min(day), 'YYYY-MM-DD')
							FROM (SELECT day FROM visits WHERE day IS NOT NULL
								   ORDER BY day DESC LIMIT 80) l) AS test_from_ok,
	   s->>'test_to' = (SELECT to_char(max(day), 'YYYY-MM-DD') FROM visits) AS test_to_ok
  FROM (SELECT details->'split' AS s FROM automl.assessments ORDER BY id DESC LIMIT 1) d;
SELECT options FROM automl.assessments ORDER BY id DESC LIMIT 1;

-- errors, as the user sees them
\set VERBOSITY default
SELECT * FROM automl_train('visits', 'amount', options => '{"time_column": "visit_day"}');
SELECT * FROM automl_train('visits', 'amount', options => '{"time_column": "channel"}');
SELECT * FROM automl_train('visits', 'amount', options => '{"time_column": "amount"}');
SELECT * FROM automl_train('visits', 'amount', options => '{"time_column": 2023}');
SELECT * FROM automl_train('SELECT day, day, amount FROM visits', 'amount',
						   options => '{"time_column": "day"}');
SELECT * FROM automl_train('SELECT NULL::date AS day, x, amount FROM visits', 'amount',
						   options => '{"time_column": "day"}');
SELECT * FROM automl_assess('visits', 'amount', options => '{"time_column": "channel"}');
SELECT * FROM automl_assess('visits', 'amount', options => '{"time_kolumn": "day"}');
-- an empty source: the hint names the function called
SELECT * FROM automl_assess('SELECT * FROM visits WHERE false', 'amount');
SELECT * FROM automl_train('SELECT * FROM visits WHERE false', 'amount');
\set VERBOSITY terse
-- nothing was written by the failed calls
SELECT count(*) AS models FROM automl.models WHERE name LIKE 'visits%' OR name = 'query_amount';

-- a target of coin flips over 400 days: no learner beats the class shares
-- on the later time blocks (no fresh folds here), so the model is the
-- baseline, and the record says what it was up against
SELECT setseed(0.42);
CREATE TABLE coin_days AS
SELECT '2024-01-01'::date + i AS day, random() AS x1, random() AS x2,
	   CASE WHEN random() < 0.4 THEN 'yes' ELSE 'no' END AS y
  FROM generate_series(1, 400) i;
SELECT algorithm FROM automl_train('coin_days', 'y', metric => 'log_loss', budget => '20 seconds',
								   options => '{"time_column": "day"}');
SELECT d->>'scored_on' AS scored_on, d->>'metric' AS metric, d ? 'over' AS has_over,
	   (d->>'score')::float8 >= (d->>'baseline_score')::float8 AS not_better, d->'se' AS se
  FROM (SELECT diagnostics->'baseline_kept' AS d FROM automl.models WHERE name = 'coin_days_y') x;
SELECT status, detail LIKE 'the model is the baseline (test log_loss %): no learner beat it in the search (the best: %' AS says_why
  FROM automl_review('coin_days_y') WHERE "check" = 'lift';
-- with "algorithms" naming the learners (no "baseline"), the best of them
-- stays the model (a NOTICE says so; test_baseline_kept checks its words)
SELECT algorithm IN ('linear', 'decision_tree') AS named_learner
  FROM automl_train('coin_days', 'y', name => 'coin_days_named', metric => 'log_loss',
								   budget => '20 seconds',
								   options => '{"time_column": "day", "algorithms": ["linear", "decision_tree"]}');
SELECT diagnostics ? 'baseline_kept' AS recorded FROM automl.models WHERE name = 'coin_days_named';
SELECT automl_drop('coin_days_named');
SELECT automl_drop('coin_days_y');
DROP TABLE coin_days;

DROP TABLE visits;
RESET client_min_messages;
RESET automl.progress;
