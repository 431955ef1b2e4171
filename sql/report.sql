-- report: automl_report renders one self-contained XHTML page per model
-- version, for every task and learner, from the catalog alone.
SET automl.progress = off;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- checks one report: well-formed XML, its charts (each with a title and a
-- description for screen readers), nothing to fetch or run, and the only
-- URIs the two namespace names
CREATE FUNCTION pg_temp.report_checks(r text)
RETURNS TABLE (well_formed boolean, charts int, titled int, described int, scripts int,
			   uris text, csp boolean, style_attrs int, bytes_ok boolean)
LANGUAGE sql AS $$
	SELECT xml_is_well_formed_document(r),
		   (length(r) - length(replace(r, '<svg ', ''))) / 5,
		   (length(r) - length(replace(r, '<title id="c', ''))) / 12,
		   (length(r) - length(replace(r, '<desc id="c', ''))) / 11,
		   (length(r) - length(replace(lower(r), '<script', ''))) / 7,
		   (SELECT string_agg(DISTINCT u[1], ' ' ORDER BY u[1])
			  FROM regexp_matches(r, '((?:https?|ftp|file|data|javascript):[^"''<> ]*)', 'gi') u),
		   r LIKE '%<meta http-equiv="Content-Security-Policy" content="default-src ''none''; style-src ''sha256-%',
		   (length(r) - length(replace(r, ' style="', ''))) / 8,
		   length(r) BETWEEN 10000 AND 2000000
$$;

-- one model per learner and task (manual mode, shipped data)
CREATE TEMP TABLE learners (algo text);
INSERT INTO learners VALUES ('baseline'), ('linear'), ('decision_tree'), ('gbdt'),
	('random_forest'), ('extra_trees');
CREATE TEMP TABLE trained AS
SELECT t.model, t.task, t.algorithm
  FROM learners l,
	   LATERAL (VALUES ('customers', 'churn'), ('penguins', 'species'),
					   ('concrete', 'compressive_strength')) d(src, target),
	   LATERAL automl_train(d.src, d.target, name => 'rep_' || d.target || '_' || l.algo,
							options => jsonb_build_object('algorithm', l.algo, 'params',
								CASE WHEN l.algo IN ('gbdt', 'random_forest', 'extra_trees')
									 THEN '{"n_estimators": 10}'::jsonb ELSE '{}'::jsonb END)) t;
SELECT task, count(*) AS models, string_agg(algorithm, ', ' ORDER BY algorithm) AS learners
  FROM trained GROUP BY task ORDER BY task;

-- binary: ROC, precision-recall, confusion, calibration, trajectory and
-- importance (the baseline has no importance); multiclass: confusion and
-- per-class AUC; regression: predicted vs actual and residuals
SELECT t.task, t.algorithm, c.*
  FROM trained t, LATERAL pg_temp.report_checks(automl_report(t.model)) c
 ORDER BY t.task, t.algorithm;

-- what each task's summary says, in words
SELECT t.task,
	   substring(r FROM '<p class="headline">([^<]*)<b>') AS headline
  FROM trained t, LATERAL automl_report(t.model) r
 WHERE t.algorithm = 'gbdt' ORDER BY t.task;
SELECT position('The search optimized log_loss' IN automl_report('rep_species_linear')) > 0 AS names_the_metric,
	   position('It explains <b>' IN automl_report('rep_compressive_strength_linear')) > 0 AS explains_variance,
	   position('What drives the predictions' IN automl_report('rep_churn_gbdt')) > 0 AS has_importance,
	   position('stores no feature importance' IN automl_report('rep_churn_baseline')) > 0 AS baseline_says_none;
-- a category's distribution: its most frequent levels with their shares
SELECT substring(automl_report('rep_churn_gbdt') FROM 'most frequent: no [0-9]+%, yes [0-9]+%') AS international_plan_first;

-- the stored diagnostics the charts come from
SELECT m.task,
	   jsonb_array_length(m.diagnostics->'trajectory'->'trials') AS trials,
	   (m.diagnostics->'curves'->>'n')::int = m.test_rows AS all_test_rows,
	   jsonb_array_length(m.diagnostics->'curves'->'roc'->'fpr') <= 200 AS roc_thinned,
	   round((m.diagnostics->'curves'->'roc'->>'auc')::numeric, 4) = round(m.test_score::numeric, 4) AS auc_is_test_score,
	   jsonb_array_length(m.diagnostics->'curves'->'calibration') AS calibration_bins,
	   m.diagnostics->'curves'->'confusion'->'labels' AS labels,
	   jsonb_array_length(m.diagnostics->'curves'->'class_auc') AS class_aucs,
	   jsonb_array_length(m.diagnostics->'curves'->'scatter'->'actual') AS scatter_points,
	   jsonb_array_length(m.diagnostics->'curves'->'residuals'->'counts') <= 30 AS residual_bins_ok
  FROM automl.models m WHERE m.name LIKE 'rep\_%\_linear' ORDER BY m.task;

-- a search: a trajectory of many trials, each with its time
SELECT model, task FROM automl_train('penguins', 'species', name => 'rep_search', budget => '5 seconds');
SELECT jsonb_array_length(d->'trials') = (SELECT count(*) FROM automl.leaderboard WHERE model = 'rep_search') AS every_trial,
	   (SELECT bool_and((t->>'seconds')::float8 >= 0) FROM jsonb_array_elements(d->'trials') t) AS timed,
	   (SELECT bool_and((t->>'best')::float8 <= coalesce((t->>'score')::float8, 'Infinity'))
		  FROM jsonb_array_elements(d->'trials') t WHERE t->>'best' IS NOT NULL) AS best_is_the_lowest_log_loss
  FROM (SELECT diagnostics->'trajectory' AS d FROM automl.models WHERE name = 'rep_search') s;
SELECT c.charts, c.well_formed FROM pg_temp.report_checks(automl_report('rep_search')) c;

-- user-supplied names are escaped: table, columns, classes, role
CREATE ROLE "rep <&'""> analyst";
CREATE TABLE "Tricky <&> 'table'" AS
SELECT i AS "size <cm> & ""width""",
	   CASE WHEN i % 3 = 0 THEN 'red & <blue>' ELSE 'it''s "green"' END AS "colour's",
	   CASE WHEN (i % 7) + (i % 3) * 2 > 4 THEN 'yes <b>' ELSE 'no & "maybe"' END AS "label</td>"
  FROM generate_series(1, 300) i;
GRANT SELECT ON "Tricky <&> 'table'" TO "rep <&'""> analyst";
SET ROLE "rep <&'""> analyst";
SELECT model FROM automl_train('"Tricky <&> ''table''"', 'label</td>', name => 'rep <tricky> & "model"',
	options => '{"algorithm": "decision_tree"}');
RESET ROLE;
SELECT c.well_formed, c.charts, c.uris
  FROM pg_temp.report_checks(automl_report('rep <tricky> & "model"')) c;
SELECT position('rep <&' IN r) = 0 AS no_raw_role,
	   position('rep &lt;&amp;&#39;&quot;&gt; analyst' IN r) > 0 AS escaped_role,
	   position('<tricky>' IN r) = 0 AS no_raw_model_name,
	   position('rep &lt;tricky&gt; &amp; &quot;model&quot;' IN r) > 0 AS escaped_model_name,
	   position('Tricky &lt;&amp;&gt; &#39;table&#39;' IN r) > 0 AS escaped_table,
	   position('size &lt;cm&gt; &amp; &quot;width&quot;' IN r) > 0 AS escaped_column,
	   position('label&lt;/td&gt;' IN r) > 0 AS escaped_target,
	   position('yes &lt;b&gt;' IN r) > 0 AS escaped_class
  FROM automl_report('rep <tricky> & "model"') r;

-- the deployed version by default, else the latest; an explicit version
SET client_min_messages = warning;
SELECT model, version FROM automl_train('customers', 'churn', name => 'rep_churn_linear',
	options => '{"algorithm": "linear", "params": {"alpha": 1000}}');
RESET client_min_messages;
SELECT automl_deploy('rep_churn_linear', 1);
SELECT position('<span class="ver">version 1</span>' IN automl_report('rep_churn_linear')) > 0 AS default_is_deployed,
	   position('<span class="ver">version 2</span>' IN automl_report('rep_churn_linear', 2)) > 0 AS explicit_version,
	   position('not deployed (version 1 is)' IN automl_report('rep_churn_linear', 2)) > 0 AS says_not_deployed;

-- no test rows: no test-split charts, the rest of the page
SELECT model, test_score FROM automl_train('concrete', 'compressive_strength', name => 'rep_no_test',
	options => '{"algorithm": "linear", "test_fraction": 0}');
SELECT c.well_formed, c.charts,
	   position('No test rows were held out' IN r) > 0 AS says_why
  FROM automl_report('rep_no_test') r, LATERAL pg_temp.report_checks(r) c;
-- each feature's training distribution under its profile: one bar line per
-- numeric column (8 on concrete), its edges and shares in the title
SELECT (SELECT count(*) FROM regexp_matches(r, 'class="spark" title="[0-9]+ quantile bins of the training rows, edges ', 'g')) AS bar_lines,
	   (SELECT count(*) FROM automl.models m, jsonb_array_elements(m.features) f
		 WHERE m.name = 'rep_no_test' AND f ->> 'role' = 'feature' AND f ->> 'kind' = 'numeric') AS numeric_features
  FROM automl_report('rep_no_test') r;
-- a manual configuration had no search: the search section says so, with
-- no trajectory chart, and its one leaderboard row was not validated
SELECT position('Manual mode: training fit the configuration it was given' IN r) > 0 AS says_manual,
	   position('no test split was held out, so nothing scores it' IN r) > 0 AS no_test,
	   position('>Search trajectory</title>' IN r) = 0 AS no_chart,
	   position('>not validated<' IN r) > 0 AS not_validated,
	   position('cut short' IN r) = 0 AS none_cut
  FROM automl_report('rep_no_test') r;

-- what later sections add when the diagnostics carry them (written here
-- as the extension owner, in the formats of the explanations and bias
-- features): global importance, bias tables, explanation examples
UPDATE automl.models SET diagnostics = diagnostics || $j${
  "importance": {"output": "probability", "class": "yes", "metric": "roc_auc", "shap_rows": 50,
	"permutation_rows": 1000, "permutation_repeats": 3, "features": [
	{"feature": "total_day_minutes", "shap": 0.042, "permutation": 0.051},
	{"feature": "international_plan", "shap": 0.031, "permutation": 0.034},
	{"feature": "state", "shap": 0.005, "permutation": -0.001}]},
  "bias": [{"sensitive": "area_code", "reference": "area_code_415", "groups": [
	{"group_value": "area_code_408", "rows": 250, "disparate_impact": 0.72, "flagged": true},
	{"group_value": "area <510> & co", "rows": 245, "disparate_impact": 1.02, "flagged": false}]}],
  "examples": [{"row": "highest", "class": "yes", "output": "probability", "prediction": 0.83,
	"base": 0.14, "contributions": [
	{"feature": "total_day_minutes", "value": 301.2, "contribution": 0.52},
	{"feature": "voice_mail_plan", "value": "no", "contribution": 0.21},
	{"feature": "number_vmail_messages", "value": null, "contribution": -0.04}]}]
}$j$ WHERE name = 'rep_churn_gbdt';
SELECT c.well_formed, c.charts,
	   position('Three measures of importance per column' IN r) > 0 AS measure_panels,
	   position('<td class="n">0.051</td>' IN r) > 0 AS permutation_column,
	   substring(r FROM '<h3>Every measure</h3>.*?</table>') !~ '<td class="n">\u2013</td></tr>' AS gain_from_catalog,
	   position('Fairness across groups' IN r) > 0 AS bias_section,
	   position('<span class="flag">' IN r) > 0 AS flagged_group,
	   position('area &lt;510&gt; &amp; co' IN r) > 0 AS escaped_group,
	   position('Highest prediction: P(churn = yes) = 0.83 (average 0.14)' IN r) > 0 AS example
  FROM automl_report('rep_churn_gbdt') r, LATERAL pg_temp.report_checks(r) c;

-- a 100-column model renders in well under a second
CREATE TEMP TABLE wide AS
SELECT i AS row_no, (i * 7919 % 1000)::float8 / 1000 AS x0
  FROM generate_series(1, 600) i;
DO $$
BEGIN
	FOR k IN 1..99 LOOP
		EXECUTE format('ALTER TABLE wide ADD COLUMN x%s float8', k);
	END LOOP;
	EXECUTE 'UPDATE wide SET ' || (SELECT string_agg(format('x%s = ((row_no * %s + %s) %% 97) / 97.0', k, k * 31 + 7, k), ', ')
									 FROM generate_series(1, 99) k);
END $$;
ALTER TABLE wide ADD COLUMN y text;
UPDATE wide SET y = CASE WHEN x0 + x1 > 1 THEN 'a' ELSE 'b' END;
SELECT model, rows FROM automl_train('wide', 'y', exclude => '{row_no}', options => '{"algorithm": "decision_tree"}');
SELECT clock_timestamp() AS t0 \gset
SELECT c.well_formed, c.charts FROM pg_temp.report_checks(automl_report('wide_y')) c;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 second' AS under_a_second,
	   (SELECT count(*) FROM regexp_matches(automl_report('wide_y'), '<tr><td>x[0-9]+</td>', 'g')) AS column_rows;

-- a role that may use the model sees the report without the leaderboard;
-- one that may not gets no report
CREATE ROLE rep_user;
CREATE ROLE rep_outsider;
SELECT automl_share('rep_churn_linear', 'rep_user', 'use');
SET ROLE rep_user;
SELECT c.well_formed,
	   position('shown to roles with the review privilege' IN r) > 0 AS leaderboard_hidden
  FROM automl_report('rep_churn_linear') r, LATERAL pg_temp.report_checks(r) c;
SET ROLE rep_outsider;
SELECT automl_report('rep_churn_linear');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- errors
SELECT automl_report('no such model');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_report('rep_churn_linear', 99);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_report(NULL);
\echo :LAST_ERROR_SQLSTATE

-- clean up
SELECT sum(automl_drop(name)) AS versions_dropped
  FROM (SELECT DISTINCT name FROM automl.models WHERE name LIKE 'rep%' OR name = 'wide_y') n;
DROP TABLE "Tricky <&> 'table'";
DROP ROLE rep_user, rep_outsider, "rep <&'""> analyst";
