-- assess: automl_assess answers "is ML the right tool for this table?"
-- Budgets are small and outputs are verdicts, booleans and thresholds:
-- the search is timed, so exact scores may differ from run to run.
SET automl.progress = off;
SET client_min_messages = warning;
CREATE TEMP TABLE models_before AS SELECT count(*) AS n FROM automl.models;

-- a deterministic sample of the churn table, and the same rows with the
-- target shuffled (a seeded permutation: no signal left)
CREATE TABLE churn_sample AS
SELECT * FROM customers ORDER BY md5(customers::text) LIMIT 1500;
CREATE TABLE churn_shuffled AS
SELECT c.state, c.account_length, c.international_plan, c.voice_mail_plan, c.total_day_minutes,
	   c.total_eve_minutes, c.total_intl_calls, c.number_customer_service_calls, t.churn
  FROM (SELECT *, row_number() OVER (ORDER BY md5(s::text)) AS k FROM churn_sample s) c
  JOIN (SELECT churn, row_number() OVER (ORDER BY md5('a' || s::text)) AS k FROM churn_sample s) t USING (k);
-- the same sample with a copy of the target under an innocent name
CREATE TABLE churn_leaky AS
SELECT *, CASE churn WHEN 'yes' THEN 'closed' ELSE 'open' END AS account_status FROM churn_sample;

-- real signal: strong (or at least promising), the interval holds the score
SELECT verdict IN ('strong', 'promising') AS signal, task, metric, score > baseline AS beats_baseline,
	   score_low <= score AND score <= score_high AS interval_holds_score, score_low > baseline AS interval_clear,
	   lift >= 0.2 AS lift_ok, round(baseline::numeric, 4) AS baseline, rows_usable,
	   cardinality(reasons) >= 2 AS has_reasons, assessment_id IS NOT NULL AS recorded
  FROM automl_assess('churn_sample', 'churn', '8 seconds');
-- what details holds
SELECT jsonb_object_keys(details) AS key FROM automl.assessments
 WHERE id = (SELECT max(id) FROM automl.assessments) ORDER BY 1;
SELECT details->'thresholds' AS thresholds FROM automl.assessments ORDER BY id DESC LIMIT 1;
SELECT (p->>'fraction')::float8 AS fraction, (p->>'rows')::int AS rows,
	   p->>'score' IS NOT NULL AS scored
  FROM automl.assessments a, jsonb_array_elements(a.details->'learning_curve'->'points') p
 WHERE a.id = (SELECT max(id) FROM automl.assessments) ORDER BY 1;
SELECT details->'readiness'->'rows' AS rows, details->'readiness'->'target_nulls' AS target_nulls,
	   details->'readiness'->'test_rows' AS test_rows, details->'readiness'->'minority_class' AS minority,
	   details->'readiness'->'classes' AS classes, details->'interval'->'resamples' AS resamples,
	   details->'leakage'->'checked' AS leak_checked, details->'leakage'->'suspects' AS suspects
  FROM automl.assessments ORDER BY id DESC LIMIT 1;
SELECT c->>'name' AS col, c->>'kind' AS kind, c->>'role' AS role, c->>'missing_rate' AS missing,
	   (c->>'distinct')::int > 1 AS varies
  FROM automl.assessments a, jsonb_array_elements(a.details->'readiness'->'columns') c
 WHERE a.id = (SELECT max(id) FROM automl.assessments) AND c->>'name' IN ('state', 'account_length', 'churn')
 ORDER BY 1;

-- regression: a strong signal, rmse below the baseline's
SELECT verdict IN ('strong', 'promising') AS signal, task, metric, score < baseline AS beats_baseline,
	   score_high < baseline AS interval_clear, rows_usable
  FROM automl_assess('concrete', 'compressive_strength', '4 seconds');
-- real duplicates in the concrete data are found and said
SELECT w FROM automl.assessments a, unnest(a.warnings) w
 WHERE a.id = (SELECT max(id) FROM automl.assessments) AND w LIKE '%repeat another row%';

-- the target shuffled: not_applicable, with an interval that includes the baseline
SELECT verdict, round(baseline::numeric, 4) AS baseline,
	   score_low <= baseline AND baseline <= score_high AS interval_includes_baseline,
	   reasons[2] AS why
  FROM automl_assess('churn_shuffled', 'churn', '4 seconds', options => '{"algorithms": ["linear", "decision_tree"]}');

-- a planted copy of the target: named in the warnings, the verdict says not yet
SELECT verdict, details->'leakage'->'suspects' AS suspects, w AS warning
  FROM automl_assess('churn_leaky', 'churn', '4 seconds'), unnest(warnings) w
 WHERE w LIKE '%account_status%';
SELECT reasons[1] AS why FROM automl.assessments ORDER BY id DESC LIMIT 1;
-- with the suspect excluded, as the reason advises, the honest verdict
SELECT verdict IN ('strong', 'promising') AS signal, details->'leakage'->'suspects' AS suspects
  FROM automl_assess('churn_leaky', 'churn', '4 seconds', exclude => ARRAY['account_status']);

-- 20 rows: data_not_ready
SELECT verdict, rows_usable, reasons[1] AS why
  FROM automl_assess('SELECT * FROM churn_sample ORDER BY md5(churn_sample::text) LIMIT 20', 'churn', '2 seconds');
-- data that cannot be trained on at all: data_not_ready with the reason, not an error
CREATE TABLE no_target AS SELECT i AS x, NULL::text AS y FROM generate_series(1, 60) i;
SELECT verdict, reasons, task, score IS NULL AS no_score FROM automl_assess('no_target', 'y', '2 seconds');
CREATE TABLE one_class_t AS SELECT i AS x, 'a'::text AS y FROM generate_series(1, 60) i;
SELECT verdict, reasons FROM automl_assess('one_class_t', 'y', '2 seconds');
-- NULL targets are counted and said
CREATE TABLE half_null AS
SELECT i % 17 AS x, (i % 5) * 1.5 AS z,
	   CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 17 + 2 * (i % 5) + i * 7919 % 11 > 18) END AS y
  FROM generate_series(1, 400) i;
SELECT rows_usable, details->'readiness'->'target_nulls' AS target_nulls, w AS warning
  FROM automl_assess('half_null', 'y', '2 seconds'), unnest(warnings) w
 WHERE w LIKE '%no target%';
-- date columns: the random-split warning
SELECT w FROM automl_assess('kinds', 'label', '3 seconds', exclude => ARRAY['at', 'at_tz']) a, unnest(a.warnings) w
 WHERE w LIKE '%date%' OR w LIKE '%identifier%';

-- the budget is honoured (a generous bound: budget + 3 s, reading included;
-- without the budget this search runs on for longer)
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
SELECT verdict IS NOT NULL AS answered FROM automl_assess('customers', 'churn', '3 seconds');
SELECT clock_timestamp() - t < interval '6 seconds' AS within_budget FROM t0;
SELECT seconds < 6 AS recorded_within_budget, budget_seconds FROM automl.assessments ORDER BY id DESC LIMIT 1;

-- over a table of candidate projects, with LATERAL
CREATE TABLE projects (name text, source text, target text);
INSERT INTO projects VALUES ('penguin species', 'penguins', 'species'),
	('churn', 'churn_sample', 'churn'),
	('random churn', 'churn_shuffled', 'churn'),
	('tiny', 'SELECT * FROM penguins LIMIT 20', 'species');
SELECT p.name, a.verdict, a.task
  FROM projects p, LATERAL automl_assess(p.source, p.target, '2 seconds',
										 options => '{"algorithms": ["linear", "decision_tree"]}') a
 ORDER BY p.name;

-- every call left one row, and no model
SELECT count(*) AS assessments, count(DISTINCT id) AS ids, bool_and(created_by = current_user) AS mine,
	   bool_and(verdict IS NOT NULL AND reasons IS NOT NULL AND details ? 'verdict') AS complete
  FROM automl.assessments;
SELECT (SELECT count(*) FROM automl.models) - n AS new_models FROM models_before;
SELECT source, target, exclude, options, verdict FROM automl.assessments WHERE exclude IS NOT NULL ORDER BY id;

-- a role sees its own assessments only, and cannot write the table
CREATE ROLE automl_assessor;
GRANT USAGE ON SCHEMA automl TO automl_assessor;
GRANT SELECT ON half_null TO automl_assessor;
SET ROLE automl_assessor;
SELECT count(*) AS visible_before FROM automl.assessments;
SELECT verdict IS NOT NULL AS answered FROM automl_assess('half_null', 'y', '2 seconds');
SELECT count(*) AS visible_after, bool_and(created_by = 'automl_assessor') AS own FROM automl.assessments;
\set VERBOSITY terse
DELETE FROM automl.assessments;
INSERT INTO automl.assessments (created_by, source, target, budget_seconds, verdict, reasons, warnings, details, seconds)
VALUES ('x', 'x', 'x', 1, 'strong', '{}', '{}', '{}', 1);
-- the source is read with the caller's own privileges
SELECT verdict FROM automl_assess('customers', 'churn', '2 seconds');
\set VERBOSITY default
RESET ROLE;
SELECT count(*) AS assessor_rows FROM automl.assessments WHERE created_by = 'automl_assessor';

-- errors, as automl_train's
\set VERBOSITY default
SELECT automl_assess(NULL, 'churn');
SELECT automl_assess('no_such_table', 'churn');
SELECT automl_assess('customers', 'no_such_column');
SELECT automl_assess('customers', 'churn', exclude => ARRAY['churn']);
SELECT automl_assess('customers', 'churn', exclude => ARRAY['nope']);
SELECT automl_assess('customers', 'churn', task => 'clustering');
SELECT automl_assess('customers', 'churn', budget => '0 seconds');
SELECT automl_assess('customers', 'churn', options => '{"colour": "blue"}');
SELECT automl_assess('customers', 'churn', options => '{"test_fraction": 0}');
SELECT automl_assess('customers', 'churn', options => '{"seed": -1}');
SELECT automl_assess('customers; DROP TABLE customers', 'churn');
SELECT automl_assess('kinds', 'day');
CREATE TABLE empty_assess (x int, y text);
SELECT automl_assess('empty_assess', 'y');
CREATE TABLE nan_assess AS SELECT i AS x, CASE WHEN i = 7 THEN 'NaN'::float8 ELSE i * 1.5 END AS y FROM generate_series(1, 60) i;
SELECT automl_assess('nan_assess', 'y');
-- a forced task the data does not fit is not an error: the data is not ready for it
SELECT verdict, reasons FROM automl_assess('penguins', 'species', '2 seconds', task => 'binary');
-- a cancel (statement_timeout here) stops an assessment promptly and writes nothing
SET statement_timeout = '1500ms';
DO $$
DECLARE
	t0			timestamptz := clock_timestamp();
BEGIN
	PERFORM automl_assess('customers', 'churn', '60 seconds');
EXCEPTION WHEN query_canceled THEN
	RAISE WARNING 'canceled within a second of the timeout: %', clock_timestamp() - t0 < interval '2.5 seconds';
END
$$;
RESET statement_timeout;
-- errors and the cancel wrote nothing
SELECT count(*) AS assessments FROM automl.assessments;
-- a statement_timeout shorter than the budget cuts the budget instead of
-- cancelling: the assessment is stored with what was left of it (seconds
-- vary: only their order is shown), and its report says so
SET statement_timeout = '6s';
SELECT verdict IS NOT NULL AS has_verdict,
	   (details ->> 'budget_cut_seconds')::float8 BETWEEN 1 AND 6 AS cut_before_timeout
  FROM automl_assess('concrete', 'compressive_strength', '1 hour');
RESET statement_timeout;
SELECT automl_report_assessment(max(id)) ~ 'cut to [0-9.]+ s by statement_timeout' AS report_says_cut
  FROM automl.assessments;

DROP OWNED BY automl_assessor;
DROP ROLE automl_assessor;
RESET client_min_messages;
RESET automl.progress;
