-- report_assessment: automl_report_assessment renders one row of
-- automl.assessments as a self-contained XHTML page; the model report shows
-- the learning curve of an assessment of the model's source and target.
-- Budgets are small: outputs are booleans, counts and fixed texts.
SET automl.progress = off;
SET client_min_messages = warning;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- checks one page: well-formed XML, its charts (each titled and described
-- for screen readers), nothing to fetch or run, the only URIs the two
-- namespace names
CREATE FUNCTION pg_temp.page_checks(r text)
RETURNS TABLE (well_formed boolean, charts int, titled int, described int, scripts int,
			   uris text, csp boolean, style_attrs int)
LANGUAGE sql AS $$
	SELECT xml_is_well_formed_document(r),
		   (length(r) - length(replace(r, '<svg ', ''))) / 5,
		   (length(r) - length(replace(r, '<title id="c', ''))) / 12,
		   (length(r) - length(replace(r, '<desc id="c', ''))) / 11,
		   (length(r) - length(replace(lower(r), '<script', ''))) / 7,
		   (SELECT string_agg(DISTINCT u[1], ' ' ORDER BY u[1])
			  FROM regexp_matches(r, '((?:https?|ftp|file|data|javascript):[^"''<> ]*)', 'gi') u),
		   r LIKE '%<meta http-equiv="Content-Security-Policy" content="default-src ''none''; style-src ''sha256-%',
		   (length(r) - length(replace(r, ' style="', ''))) / 8
$$;

-- a full assessment on shipped data: score, learning curve and leakage
-- charts; every section there
CREATE TABLE ra_churn AS
SELECT * FROM customers ORDER BY md5(customers::text) LIMIT 1200;
SELECT assessment_id AS churn_id FROM automl_assess('ra_churn', 'churn', '4 seconds') \gset
SELECT c.* FROM pg_temp.page_checks(automl_report_assessment(:churn_id)) c;
SELECT s AS section, position('<section id="' || s || '">' IN r) > 0 AS present
  FROM automl_report_assessment(:churn_id) r,
	   unnest(ARRAY['verdict', 'score', 'learning', 'leakage', 'readiness', 'warnings', 'thresholds']) s;
-- the verdict and every reason of the row are on the page, escaped as text
SELECT position('<span class="badge good">' || a.verdict || '</span>' IN r) > 0 AS verdict_badge,
	   (SELECT bool_and(position(replace(replace(x, '&', '&amp;'), '''', '&#39;') IN r) > 0)
		  FROM unnest(a.reasons) x) AS every_reason,
	   position('95% interval' IN r) > 0 AS interval_said,
	   (SELECT count(*) FROM jsonb_array_elements(a.details->'readiness'->'columns')) =
	   (SELECT count(*) FROM regexp_matches(substring(r FROM '<h3>Columns</h3>.*?</table>'), '<tr( class="muted")?><td>', 'g'))
		AS a_row_per_column
  FROM automl.assessments a, automl_report_assessment(a.id) r
 WHERE a.id = :churn_id;

-- names with <, &, " and ' are escaped everywhere (table, target, columns)
CREATE TABLE "ra <&""'> table" AS
SELECT churn AS "churn <&""'>", total_day_minutes AS "minutes <&""'>", international_plan,
	   number_customer_service_calls
  FROM ra_churn;
SELECT assessment_id AS odd_id
  FROM automl_assess('"ra <&""''> table"', 'churn <&"''>', '3 seconds') \gset
SELECT c.well_formed, c.charts, c.scripts, c.uris, c.style_attrs,
	   position('churn <&' IN r) = 0 AS no_raw_name,
	   position('churn &lt;&amp;&quot;&#39;&gt;' IN r) > 0 AS escaped_target,
	   position('minutes &lt;&amp;&quot;&#39;&gt;' IN r) > 0 AS escaped_column,
	   position('&quot;ra &lt;&amp;&quot;&quot;&#39;&gt; table&quot;' IN r) > 0 AS escaped_source
  FROM automl_report_assessment(:odd_id) r, LATERAL pg_temp.page_checks(r) c;

-- a planted copy of the target: the page names the suspect
CREATE TABLE ra_leaky AS
SELECT *, CASE churn WHEN 'yes' THEN 'closed' ELSE 'open' END AS account_status FROM ra_churn;
SELECT assessment_id AS leaky_id FROM automl_assess('ra_leaky', 'churn', '3 seconds') \gset
SELECT c.well_formed, c.charts,
	   r ~ '<p class="flag">[^<]*1 suspect: <code>account_status</code>' AS suspect_named,
	   r ~ '>account_status</text>' AS in_chart
  FROM automl_report_assessment(:leaky_id) r, LATERAL pg_temp.page_checks(r) c;

-- data that cannot be trained on: no chart, the reason and the error said
CREATE TABLE ra_no_target AS SELECT i AS x, NULL::text AS y FROM generate_series(1, 60) i;
SELECT assessment_id AS not_ready_id FROM automl_assess('ra_no_target', 'y', '2 seconds') \gset
SELECT c.well_formed, c.charts, c.scripts,
	   position('Data not ready' IN r) > 0 AS verdict_said,
	   position('<section id="score">' IN r) = 0 AS no_score_section,
	   position('<tr><td><code>error</code></td>' IN r) > 0 AS error_in_table
  FROM automl_report_assessment(:not_ready_id) r, LATERAL pg_temp.page_checks(r) c;

-- the model report shows the learning curve of an assessment of its source
-- and target, and only then
SELECT model FROM automl_train('ra_churn', 'churn', name => 'ra_assessed',
							   options => '{"algorithm": "linear"}');
CREATE TABLE ra_other AS SELECT * FROM ra_churn;
SELECT model FROM automl_train('ra_other', 'churn', name => 'ra_unassessed',
							   options => '{"algorithm": "linear"}');
SELECT m AS model, c.well_formed, c.charts,
	   position('<section id="learning">' IN r) > 0 AS learning_curve,
	   position(format('From assessment %s of the same table', :churn_id) IN r) > 0 AS names_assessment
  FROM unnest(ARRAY['ra_assessed', 'ra_unassessed']) m, automl_report(m) r,
	   LATERAL pg_temp.page_checks(r) c
 ORDER BY 1;

-- another role sees neither the assessment's page nor its curve in the
-- model report (row-level security): the same error as a missing id
CREATE ROLE ra_other_role;
SELECT automl_share('ra_assessed', 'ra_other_role', 'use');
SET ROLE ra_other_role;
\set VERBOSITY sqlstate
SELECT automl_report_assessment(:churn_id);
\set VERBOSITY default
SELECT position('<section id="learning">' IN automl_report('ra_assessed')) = 0 AS curve_hidden;
RESET ROLE;

-- errors
SELECT automl_report_assessment(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_report_assessment(NULL);
\echo :LAST_ERROR_SQLSTATE

-- clean up
SELECT sum(automl_drop(name)) AS versions_dropped
  FROM (SELECT DISTINCT name FROM automl.models WHERE name LIKE 'ra\_%') n;
DROP ROLE ra_other_role;
DROP TABLE ra_churn, "ra <&""'> table", ra_leaky, ra_no_target, ra_other;
