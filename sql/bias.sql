-- bias: automl_bias on a hand-built table whose every metric is recomputed
-- here in SQL from the raw rows (predictions from automl_predict_proba /
-- automl_predict, labels, groups), for each task; bins, reference,
-- threshold, positive class, no target column, small groups; the bias
-- table stored at training time with "sensitive"; and every error.
SET automl.progress = off;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- 400 people: the label depends on sex (a built-in disparity), on x, which
-- the model sees, and on u, which it does not; 20 have no sex (a small
-- group), 18 no label and 10 no age
CREATE TABLE bias_people AS
SELECT i AS id, sex, age, x,
	   CASE WHEN i % 23 = 4 THEN NULL
			WHEN (CASE sex WHEN 'f' THEN 0.0 WHEN 'm' THEN 0.25 ELSE 0.1 END) + 0.5 * x + 0.5 * u > 0.6
			THEN 'yes' ELSE 'no' END AS label,
	   DATE '2020-01-01' + i AS joined,
	   'same'::text AS constant_col
  FROM (SELECT i,
			   CASE WHEN i % 20 = 0 THEN NULL WHEN i % 5 < 2 THEN 'f' ELSE 'm' END AS sex,
			   CASE WHEN i % 37 = 0 THEN NULL ELSE 18 + (i * 7) % 53 END AS age,
			   ((i * 7919) % 1000) / 1000.0::float8 AS x,
			   ((i * 104729) % 997) / 997.0::float8 AS u
		  FROM generate_series(1, 400) i) s;
SELECT sex, count(*), count(label) AS labelled, count(*) FILTER (WHERE label = 'yes') AS yes
  FROM bias_people GROUP BY sex ORDER BY sex COLLATE "C" NULLS LAST;

SET client_min_messages = warning;
SELECT model, task, algorithm FROM automl_train('bias_people', 'label', name => 'bias_bin',
	exclude => ARRAY['id', 'joined'],
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 20, "max_leaves": 8}, "seed": 3}');
RESET client_min_messages;

-- tolerance for a float8 recomputed in SQL: equal, or both undefined
CREATE FUNCTION bias_same(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS
$$ SELECT (a IS NULL AND b IS NULL) OR abs(a - b) <= 1e-9 * greatest(1, abs(b)) $$;

-- the binary table by hand: positive class pos, threshold thr, reference
-- ref_group (NULL: the group with the most rows, first in C order)
CREATE FUNCTION bias_expected_binary(src text, thr float8, pos text, ref_group text)
RETURNS TABLE(group_value text, rows bigint, share float8, label_positive_rate float8,
	predicted_positive_rate float8, accuracy float8, tpr float8, fpr float8, prec float8,
	disparate_impact float8, demographic_parity_difference float8,
	equal_opportunity_difference float8, average_odds_difference float8,
	is_reference boolean, flagged boolean)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
	WITH s AS (
		SELECT sex AS g, CASE WHEN label IS NULL THEN NULL ELSE label = %2$L END AS lab,
			   CASE WHEN %2$L = 'yes' THEN automl_predict_proba('bias_bin', p)
					ELSE 1 - automl_predict_proba('bias_bin', p) END >= %1$s AS pred
		  FROM %3$s p),
	per AS (
		SELECT g, count(*) AS n,
			   avg(lab::int)::float8 AS lpr,
			   avg(pred::int)::float8 AS ppr,
			   avg((lab = pred)::int)::float8 AS acc,
			   count(*) FILTER (WHERE lab AND pred)::float8 / nullif(count(*) FILTER (WHERE lab), 0) AS tpr,
			   count(*) FILTER (WHERE NOT lab AND pred)::float8 / nullif(count(*) FILTER (WHERE NOT lab), 0) AS fpr,
			   count(*) FILTER (WHERE lab AND pred)::float8
				 / nullif(count(*) FILTER (WHERE pred AND lab IS NOT NULL), 0) AS prec
		  FROM s GROUP BY g),
	ref AS (
		SELECT * FROM per WHERE %4$L::text IS NULL OR g = %4$L
		 ORDER BY n DESC, g COLLATE "C" NULLS LAST LIMIT 1),
	cmp AS (
		SELECT per.*, per.n::float8 / sum(per.n) OVER () AS share,
			   per.ppr / nullif(ref.ppr, 0) AS di,
			   per.ppr - ref.ppr AS dpd,
			   per.tpr - ref.tpr AS eod,
			   ((per.fpr - ref.fpr) + (per.tpr - ref.tpr)) / 2 AS aod,
			   per.g IS NOT DISTINCT FROM ref.g AS is_ref
		  FROM per, ref)
	SELECT g, n, share, lpr, ppr, acc, tpr, fpr, prec, di, dpd, eod, aod, is_ref,
		   n >= 30 AND NOT is_ref AND coalesce(di < 0.8 OR di > 1.25 OR abs(eod) > 0.1 OR abs(aod) > 0.1, false)
	  FROM cmp$q$, thr, pos, src, ref_group);
END $$;

-- automl_bias's table against the one by hand: one line per group, with
-- how many of its 10 classification values are defined (not NULL)
CREATE FUNCTION bias_check_binary(a_src text, e_src text, thr float8, pos text, ref_group text, opts jsonb)
RETURNS TABLE(group_value text, rows bigint, defined int, is_reference boolean, flagged boolean, all_match boolean)
LANGUAGE sql AS $$
	SELECT coalesce(a.group_value, e.group_value), a.rows,
		   num_nonnulls(a.label_positive_rate, a.predicted_positive_rate, a.accuracy, a.tpr, a.fpr, a."precision",
						a.disparate_impact, a.demographic_parity_difference, a.equal_opportunity_difference,
						a.average_odds_difference),
		   a.is_reference, a.flagged,
		   a.rows = e.rows AND bias_same(a.share, e.share)
		   AND bias_same(a.label_positive_rate, e.label_positive_rate)
		   AND bias_same(a.predicted_positive_rate, e.predicted_positive_rate)
		   AND bias_same(a.accuracy, e.accuracy) AND bias_same(a.tpr, e.tpr)
		   AND bias_same(a.fpr, e.fpr) AND bias_same(a."precision", e.prec)
		   AND bias_same(a.disparate_impact, e.disparate_impact)
		   AND bias_same(a.demographic_parity_difference, e.demographic_parity_difference)
		   AND bias_same(a.equal_opportunity_difference, e.equal_opportunity_difference)
		   AND bias_same(a.average_odds_difference, e.average_odds_difference)
		   AND a.is_reference = e.is_reference AND a.flagged = e.flagged
		   AND a.class IS NULL AND a.mean_prediction IS NULL AND a.mae_difference IS NULL
	  FROM automl_bias('bias_bin', a_src, 'sex', ref_group, opts) a
	  FULL JOIN bias_expected_binary(e_src, thr, pos, ref_group) e
		ON coalesce(a.group_value, '(null)') = coalesce(e.group_value, '(null)')
	 ORDER BY coalesce(a.group_value, e.group_value) COLLATE "C" NULLS LAST
$$;

-- 1. binary, defaults: threshold 0.5, positive "yes", reference the largest
-- group; the NULL group is small (NOTICE) and never flagged
SELECT * FROM bias_check_binary('bias_people', 'bias_people', 0.5, 'yes', NULL, '{}');
-- the same rows and sizes as counted directly
SELECT group_value, rows, round(share::numeric, 4) AS share, is_reference
  FROM automl_bias('bias_bin', 'bias_people', 'sex') ORDER BY group_value COLLATE "C" NULLS LAST;
-- 2. threshold, positive class, reference
SELECT * FROM bias_check_binary('bias_people', 'bias_people', 0.3, 'yes', NULL, '{"threshold": 0.3}');
SELECT * FROM bias_check_binary('bias_people', 'bias_people', 0.5, 'no', NULL, '{"positive": "no"}');
SELECT * FROM bias_check_binary('bias_people', 'bias_people', 0.6, 'no', NULL, '{"positive": "no", "threshold": 0.6}');
SELECT * FROM bias_check_binary('bias_people', 'bias_people', 0.5, 'yes', 'f', '{}');
-- a query as the source, and a view
SELECT * FROM bias_check_binary('SELECT * FROM bias_people WHERE id > 100', '(SELECT * FROM bias_people WHERE id > 100)',
	0.5, 'yes', NULL, '{}');
CREATE VIEW bias_people_v AS SELECT * FROM bias_people WHERE age < 60;
SELECT * FROM bias_check_binary('bias_people_v', 'bias_people_v', 0.5, 'yes', NULL, '{}');

-- 3. no target column in the source: label-based columns are NULL, the rest
-- as before
SELECT a.group_value, a.rows,
	   a.label_positive_rate IS NULL AND a.accuracy IS NULL AND a.tpr IS NULL AND a.fpr IS NULL
	   AND a."precision" IS NULL AND a.equal_opportunity_difference IS NULL
	   AND a.average_odds_difference IS NULL AS label_columns_null,
	   bias_same(a.predicted_positive_rate, e.predicted_positive_rate)
	   AND bias_same(a.disparate_impact, e.disparate_impact)
	   AND bias_same(a.demographic_parity_difference, e.demographic_parity_difference) AS rates_match,
	   a.flagged = coalesce(e.rows >= 30 AND NOT e.is_reference
							AND (e.disparate_impact < 0.8 OR e.disparate_impact > 1.25), false) AS flag_match
  FROM automl_bias('bias_bin', 'SELECT id, sex, age, x, constant_col FROM bias_people', 'sex') a
  JOIN bias_expected_binary('bias_people', 0.5, 'yes', NULL) e ON a.group_value IS NOT DISTINCT FROM e.group_value
 ORDER BY a.group_value COLLATE "C" NULLS LAST;

-- 4. a numeric sensitive column: 4 quantile bins by default, the NULL group
-- last; bins and their sizes recomputed here (edges at the sorted values
-- floor(k * m / 4), k = 1..3, that exceed the minimum)
WITH v AS (SELECT age FROM bias_people WHERE age IS NOT NULL),
	 s AS (SELECT age, row_number() OVER (ORDER BY age) - 1 AS pos, count(*) OVER () AS m FROM v),
	 e AS (SELECT array_agg(DISTINCT age ORDER BY age) AS edges FROM s
			WHERE pos IN (SELECT floor(k * m / 4.0) FROM generate_series(1, 3) k)
			  AND age > (SELECT min(age) FROM v)),
	 b AS (SELECT p.age, (SELECT count(*) FROM unnest(e.edges) x WHERE x <= p.age) AS bin, e.edges
			 FROM bias_people p, e),
	 expected AS (
		SELECT CASE WHEN age IS NULL THEN NULL
					ELSE format('[%s, %s%s',
								CASE WHEN bin = 0 THEN (SELECT min(age) FROM v) ELSE edges[bin] END,
								CASE WHEN bin = cardinality(edges) THEN (SELECT max(age) FROM v) ELSE edges[bin + 1] END,
								CASE WHEN bin = cardinality(edges) THEN ']' ELSE ')' END) END AS group_value,
			   bin, count(*) AS rows
		  FROM b GROUP BY 1, 2)
SELECT a.group_value, a.rows, e.rows = a.rows AS rows_match
  FROM automl_bias('bias_bin', 'bias_people', 'age') WITH ORDINALITY a
  FULL JOIN expected e ON coalesce(a.group_value, '(null)') = coalesce(e.group_value, '(null)')
 ORDER BY a.ordinality;
-- explicit edges and a number of bins
SELECT group_value, rows,
	   rows = (SELECT count(*) FROM bias_people
				WHERE CASE group_value WHEN '[18, 30)' THEN age < 30 WHEN '[30, 50)' THEN age >= 30 AND age < 50
									   WHEN '[50, 70]' THEN age >= 50 ELSE age IS NULL END) AS rows_match
  FROM automl_bias('bias_bin', 'bias_people', 'age', options => '{"bins": [30, 50]}') WITH ORDINALITY
 ORDER BY ordinality;
SELECT group_value, rows FROM automl_bias('bias_bin', 'bias_people', 'age', options => '{"bins": 2}') WITH ORDINALITY
 ORDER BY ordinality;
-- a bin as the reference
SELECT group_value, is_reference FROM automl_bias('bias_bin', 'bias_people', 'age', '[30, 50)', '{"bins": [30, 50]}')
 WITH ORDINALITY ORDER BY ordinality;
-- a float column: bins of x; edges outside the data leave empty bins out
SELECT group_value, rows FROM automl_bias('bias_bin', 'bias_people', 'x', options => '{"bins": [-5, 0.5, 7]}')
 WITH ORDINALITY ORDER BY ordinality;
-- booleans group as true/false, like training reads them
SELECT group_value, rows FROM automl_bias('bias_bin', 'SELECT *, age > 40 AS older FROM bias_people', 'older')
 ORDER BY 1 NULLS LAST;

-- 5. multiclass: penguins by island, one-vs-rest for every class, by hand
SET client_min_messages = warning;
SELECT model, task FROM automl_train('penguins', 'species', name => 'bias_multi',
	exclude => ARRAY['island'], options => '{"algorithm": "decision_tree", "params": {"max_depth": 3}}');
RESET client_min_messages;
WITH s AS (
	SELECT p.island AS g, c.cls, p.species IS NULL AS unlabelled, p.species = c.cls AS lab,
		   automl_predict('bias_multi', p) = c.cls AS pred
	  FROM penguins p, (VALUES ('Adelie'), ('Chinstrap'), ('Gentoo')) c(cls)),
per AS (
	SELECT g, cls, count(*) AS n, avg(lab::int)::float8 AS lpr, avg(pred::int)::float8 AS ppr,
		   avg((lab = pred)::int)::float8 AS acc,
		   count(*) FILTER (WHERE lab AND pred)::float8 / nullif(count(*) FILTER (WHERE lab), 0) AS tpr,
		   count(*) FILTER (WHERE NOT lab AND pred)::float8 / nullif(count(*) FILTER (WHERE NOT lab), 0) AS fpr,
		   count(*) FILTER (WHERE lab AND pred)::float8 / nullif(count(*) FILTER (WHERE pred AND lab IS NOT NULL), 0) AS prec
	  FROM s GROUP BY g, cls),
ref AS (SELECT DISTINCT ON (cls) * FROM per ORDER BY cls, n DESC, g COLLATE "C"),
e AS (
	SELECT per.*, per.ppr / nullif(ref.ppr, 0) AS di, per.ppr - ref.ppr AS dpd, per.tpr - ref.tpr AS eod,
		   ((per.fpr - ref.fpr) + (per.tpr - ref.tpr)) / 2 AS aod, per.g = ref.g AS is_ref
	  FROM per JOIN ref USING (cls))
SELECT a.group_value, a.class, a.rows, a.is_reference, a.flagged,
	   a.rows = e.n AND bias_same(a.label_positive_rate, e.lpr) AND bias_same(a.predicted_positive_rate, e.ppr)
	   AND bias_same(a.accuracy, e.acc) AND bias_same(a.tpr, e.tpr) AND bias_same(a.fpr, e.fpr)
	   AND bias_same(a."precision", e.prec) AND bias_same(a.disparate_impact, e.di)
	   AND bias_same(a.demographic_parity_difference, e.dpd)
	   AND bias_same(a.equal_opportunity_difference, e.eod) AND bias_same(a.average_odds_difference, e.aod)
	   AND a.is_reference = e.is_ref
	   AND a.flagged = (e.n >= 30 AND NOT e.is_ref
						AND coalesce(e.di < 0.8 OR e.di > 1.25 OR abs(e.eod) > 0.1 OR abs(e.aod) > 0.1, false)) AS all_match
  FROM automl_bias('bias_multi', 'penguins', 'island') a
  FULL JOIN e ON e.g = a.group_value AND e.cls = a.class
 ORDER BY 1, 2;
-- one class
SELECT group_value, class, rows FROM automl_bias('bias_multi', 'penguins', 'island', options => '{"class": "Gentoo"}')
 ORDER BY 1;

-- 6. regression: concrete strength by age (quantile bins), by hand
SET client_min_messages = warning;
SELECT model, task FROM automl_train('concrete', 'compressive_strength', name => 'bias_reg',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 20}}');
RESET client_min_messages;
WITH a AS (SELECT * FROM automl_bias('bias_reg', 'concrete', 'age')),
s AS (
	SELECT a.group_value AS g, c.compressive_strength AS y, automl_predict('bias_reg', c)::float8 AS p
	  FROM concrete c JOIN a ON a.group_value =
		   (SELECT a2.group_value FROM a a2
			 WHERE c.age >= substring(a2.group_value FROM '^\[([0-9.]+),')::float8
			   AND (c.age < substring(a2.group_value FROM ', ([0-9.]+)\)$')::float8
					OR c.age <= substring(a2.group_value FROM ', ([0-9.]+)\]$')::float8))),
per AS (
	SELECT g, count(*) AS n, avg(p) AS mp, avg(y) AS ma, avg(abs(y - p)) AS mae,
		   sqrt(avg((y - p) ^ 2)) AS rmse, avg(y - p) AS mr
	  FROM s GROUP BY g),
ref AS (SELECT * FROM per ORDER BY n DESC LIMIT 1)
SELECT a.group_value, a.rows, a.is_reference, a.flagged,
	   a.rows = per.n AND bias_same(a.mean_prediction, per.mp) AND bias_same(a.mean_actual, per.ma)
	   AND bias_same(a.mae, per.mae) AND bias_same(a.rmse, per.rmse) AND bias_same(a.mean_residual, per.mr)
	   AND bias_same(a.mean_prediction_difference, per.mp - ref.mp) AND bias_same(a.mae_difference, per.mae - ref.mae)
	   AND bias_same(a.rmse_difference, per.rmse - ref.rmse) AND bias_same(a.mean_residual_difference, per.mr - ref.mr)
	   AND a.is_reference = (per.g = ref.g)
	   AND a.flagged = (per.n >= 30 AND per.g <> ref.g AND (per.mae / ref.mae < 0.8 OR per.mae / ref.mae > 1.25))
	   AND a.predicted_positive_rate IS NULL AND a.disparate_impact IS NULL AS all_match
  FROM a JOIN per ON per.g = a.group_value, ref
 ORDER BY a.rows DESC, 1;
SELECT sum(rows) = (SELECT count(*) FROM concrete) AS every_row FROM automl_bias('bias_reg', 'concrete', 'age');

-- 7. at training time: sensitive columns are left out of the features and
-- the test split's bias table is stored with the model
SET client_min_messages = warning;
SELECT model, version FROM automl_train('bias_people', 'label', name => 'bias_fair',
	exclude => ARRAY['id', 'joined'],
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 20}, "sensitive": ["sex", "age"]}');
RESET client_min_messages;
SELECT f->>'name' AS name, f->>'role' AS role, f->>'reason' AS reason, f->'sensitive' AS sensitive
  FROM automl.models m, jsonb_array_elements(m.features) f WHERE m.name = 'bias_fair' ORDER BY 1;
SELECT options FROM automl.models WHERE name = 'bias_fair';
SELECT b->>'sensitive' AS sensitive, b->>'reference' AS reference, b->'used_as_feature' AS used_as_feature,
	   b->'threshold' AS threshold, b->>'positive' AS positive, jsonb_array_length(b->'groups') AS groups,
	   (SELECT sum((g->>'rows')::int) FROM jsonb_array_elements(b->'groups') g) = m.test_rows AS every_test_row,
	   (SELECT count(*) FROM jsonb_array_elements(b->'groups') g WHERE (g->>'is_reference')::boolean) AS references
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'bias') b
 WHERE m.name = 'bias_fair' ORDER BY 1;
-- a stored group row has every column automl_bias returns (no class: binary)
SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(m.diagnostics->'bias'->0->'groups'->0) k)
	   = (SELECT array_agg(c.n ORDER BY c.n) FROM pg_proc p, unnest(p.proargnames, p.proargmodes) c(n, mode)
		   WHERE p.proname = 'automl_bias' AND c.mode = 't' AND c.n <> 'class') AS same_columns,
	   m.diagnostics->'bias'->0->'groups'->0 ? 'flagged' AS has_flagged
  FROM automl.models m WHERE m.name = 'bias_fair';
-- the shares of the stored table add up to one
SELECT b->>'sensitive' AS sensitive, round(sum((g->>'share')::numeric), 4) AS shares
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'bias') b, jsonb_array_elements(b->'groups') g
 WHERE m.name = 'bias_fair' GROUP BY 1 ORDER BY 1;
-- the bias check in the review checklist
SELECT "check", status FROM automl_review('bias_fair') WHERE "check" = 'bias';
-- with "use_sensitive" the column stays a feature and the catalog says so
SET client_min_messages = warning;
SELECT model, version FROM automl_train('bias_people', 'label', name => 'bias_fair',
	exclude => ARRAY['id', 'joined'],
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 20}, "sensitive": ["sex"], "use_sensitive": true}');
RESET client_min_messages;
SELECT f->>'name' AS name, f->>'role' AS role, f->'sensitive' AS sensitive
  FROM automl.models m, jsonb_array_elements(m.features) f
 WHERE m.name = 'bias_fair' AND m.version = 2 AND f->>'name' IN ('sex', 'age') ORDER BY 1;
SELECT b->>'sensitive' AS sensitive, b->'used_as_feature' AS used_as_feature
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'bias') b WHERE m.name = 'bias_fair' AND m.version = 2;
-- option "version": version 1 reads only x, version 2 also sex and age
SELECT group_value, rows FROM automl_bias('bias_fair', 'SELECT id, sex, x, label FROM bias_people', 'sex',
	options => '{"version": 1}') ORDER BY group_value COLLATE "C" NULLS LAST;
SELECT group_value, rows FROM automl_bias('bias_fair', 'SELECT id, sex, x, label FROM bias_people', 'sex',
	options => '{"version": 2}');
-- regression: the stored table has the regression columns
SET client_min_messages = warning;
SELECT model FROM automl_train('concrete', 'compressive_strength', name => 'bias_reg_fair',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 20}, "sensitive": ["age"]}');
RESET client_min_messages;
SELECT b->>'sensitive' AS sensitive, b->'threshold' AS threshold, b->'positive' AS positive,
	   count(*) AS groups, bool_and(g->'mae' <> 'null' AND g->'rmse' <> 'null') AS errors_defined,
	   bool_and(g->'predicted_positive_rate' = 'null') AS no_rates
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'bias') b, jsonb_array_elements(b->'groups') g
 WHERE m.name = 'bias_reg_fair' GROUP BY 1, 2, 3;
-- multiclass: a "class" in every stored group row
SET client_min_messages = warning;
SELECT model FROM automl_train('penguins', 'species', name => 'bias_multi_fair',
	options => '{"algorithm": "decision_tree", "sensitive": ["island", "sex"]}');
RESET client_min_messages;
SELECT b->>'sensitive' AS sensitive, b->'threshold' AS threshold, b->'positive' AS positive,
	   count(*) AS group_rows, count(DISTINCT g->>'class') AS classes, bool_and(g ? 'class') AS every_row_has_class
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'bias') b, jsonb_array_elements(b->'groups') g
 WHERE m.name = 'bias_multi_fair' GROUP BY 1, 2, 3 ORDER BY 1;
-- a flagged group is a warning in the review (a model that uses sex, which
-- drives the label)
SET client_min_messages = warning;
SELECT model FROM automl_train('bias_people', 'label', name => 'bias_unfair',
	exclude => ARRAY['id', 'joined'],
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 20}, "sensitive": ["sex"], "use_sensitive": true, "test_fraction": 0.5}');
RESET client_min_messages;
SELECT g->>'group_value' AS group_value, (g->>'flagged')::boolean AS flagged
  FROM automl.models m, jsonb_array_elements(m.diagnostics->'bias'->0->'groups') g
 WHERE m.name = 'bias_unfair' ORDER BY g->>'group_value' COLLATE "C" NULLS LAST;
SELECT "check", status, detail FROM automl_review('bias_unfair') WHERE "check" = 'bias';
-- models trained without "sensitive" have no bias check and no bias section
SELECT count(*) AS bias_checks FROM automl_review('bias_bin') WHERE "check" = 'bias';
SELECT diagnostics ? 'bias' AS has_bias FROM automl.models WHERE name = 'bias_bin';

-- 8. errors
-- unknown sensitive column
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'gender');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_train('bias_people', 'label', name => 'bias_err', options => '{"sensitive": ["gender"]}');
\echo :LAST_ERROR_SQLSTATE
-- the target as a sensitive column
SELECT automl_train('bias_people', 'label', name => 'bias_err', options => '{"sensitive": ["label"]}');
\echo :LAST_ERROR_SQLSTATE
-- a column with a single value
SELECT * FROM automl_bias('bias_bin', 'SELECT * FROM bias_people WHERE sex = ''f''', 'sex');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'constant_col');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_train('bias_people', 'label', name => 'bias_err', options => '{"sensitive": ["constant_col"]}');
\echo :LAST_ERROR_SQLSTATE
-- a date as a sensitive column at training
SELECT automl_train('bias_people', 'label', name => 'bias_err', options => '{"sensitive": ["joined"]}');
\echo :LAST_ERROR_SQLSTATE
-- bad training options
SELECT automl_train('bias_people', 'label', name => 'bias_err', options => '{"sensitive": "sex"}');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_train('bias_people', 'label', name => 'bias_err', options => '{"sensitive": ["sex", "sex"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_train('bias_people', 'label', name => 'bias_err', options => '{"use_sensitive": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS bias_err_versions FROM automl.models WHERE name = 'bias_err';
-- bad options of automl_bias
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '{"treshold": 0.3}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '[]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '{"threshold": 1.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '{"threshold": "high"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'age', options => '{"bins": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'age', options => '{"bins": [50, 30]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '{"bins": 3}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '{"positive": "maybe"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '{"class": "yes"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_multi', 'penguins', 'island', options => '{"threshold": 0.3}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_reg', 'concrete', 'age', options => '{"positive": "yes"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', options => '{"version": 9}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'age', '[30, 40)');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'bias_people', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'SELECT * FROM bias_people WHERE false', 'sex');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('bias_bin', 'no_such_table', 'sex');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_bias('no such model', 'bias_people', 'sex');
\echo :LAST_ERROR_SQLSTATE
-- a source without a column the model needs
SELECT * FROM automl_bias('bias_bin', 'SELECT sex FROM bias_people', 'sex');
\echo :LAST_ERROR_SQLSTATE
-- a model the caller may not use, and a source the caller may not read
CREATE ROLE automl_bias_outsider;
GRANT SELECT ON bias_people TO automl_bias_outsider;
SET ROLE automl_bias_outsider;
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE SELECT ON bias_people FROM automl_bias_outsider;
SELECT automl_share('bias_bin', 'automl_bias_outsider', 'use');
SET ROLE automl_bias_outsider;
SELECT * FROM automl_bias('bias_bin', 'bias_people', 'sex');
\echo :LAST_ERROR_SQLSTATE
SELECT group_value, rows FROM automl_bias('bias_bin', 'SELECT 0.5::float8 AS x, 30 AS age, ''f'' AS sex UNION ALL SELECT 0.2, 40, ''m''', 'sex')
 ORDER BY 1;
RESET ROLE;
SELECT automl_drop(name) FROM (VALUES ('bias_bin'), ('bias_multi'), ('bias_reg'), ('bias_fair'),
	('bias_reg_fair'), ('bias_multi_fair'), ('bias_unfair')) v(name);
DROP ROLE automl_bias_outsider;
DROP VIEW bias_people_v;
DROP TABLE bias_people;
