-- metrics: the metric aggregates (automl.rmse, mae, r2, log_loss,
-- roc_auc, pr_auc) against automl_evaluate on the same rows and against
-- plain SQL; per group; in a parallel plan; NULLs, undefined metrics and
-- every error.
SET automl.progress = off;
\set VERBOSITY default
\set SHOW_CONTEXT never

SET client_min_messages = warning;
SELECT model FROM automl_train('customers', 'churn', name => 'mt_bin',
	options => '{"algorithm": "gbdt", "params": {"n_estimators": 30}}');
SELECT model FROM automl_train('concrete', 'compressive_strength', name => 'mt_reg',
	options => '{"algorithm": "linear"}');
SELECT model FROM automl_train('penguins', 'species', name => 'mt_multi',
	options => '{"algorithm": "linear"}');
RESET client_min_messages;

-- binary: the aggregates give automl_evaluate's values on the same rows
CREATE TEMP TABLE mt_b AS
SELECT state, churn = 'yes' AS actual, automl_predict_proba('mt_bin', c) AS p FROM customers c;
SELECT e.metric,
	   abs(e.value - CASE e.metric WHEN 'roc_auc' THEN (SELECT automl.roc_auc(p, actual) FROM mt_b)
								   WHEN 'log_loss' THEN (SELECT automl.log_loss(p, actual) FROM mt_b) END) < 1e-12 AS same_as_evaluate
  FROM automl_evaluate('mt_bin', 'customers') e WHERE e.metric IN ('roc_auc', 'log_loss');
-- ... and what SQL computes: AUC as the share of (positive, negative) pairs
-- ranked right (ties half), average precision from the ranking
SELECT abs((SELECT automl.roc_auc(p, actual) FROM mt_b WHERE state < 'C') -
		   (SELECT avg(CASE WHEN a.p > b.p THEN 1.0 WHEN a.p = b.p THEN 0.5 ELSE 0.0 END)
			  FROM mt_b a, mt_b b WHERE a.actual AND NOT b.actual AND a.state < 'C' AND b.state < 'C')) < 1e-12 AS auc_as_sql,
	   abs((SELECT automl.pr_auc(p, actual) FROM mt_b WHERE state < 'C') -
		   (SELECT sum(prec) / count(*) FROM (
				SELECT a.actual, (SELECT avg(b.actual::int) FROM mt_b b WHERE b.state < 'C' AND b.p >= a.p) AS prec
				  FROM mt_b a WHERE a.state < 'C') r WHERE actual)) < 1e-12 AS pr_auc_as_sql;

-- two scores of the same rows: DeLong's test (the model against a rule)
CREATE TEMP TABLE mt_c AS
SELECT state, churn = 'yes' AS actual, automl_predict_proba('mt_bin', c) AS a,
	   number_customer_service_calls::float8 AS b
  FROM customers c;
SELECT r ->> 'rows' AS rows, r ->> 'positives' AS positives,
	   abs((r ->> 'auc_a')::float8 - (SELECT automl.roc_auc(a, actual) FROM mt_c)) < 1e-12 AS auc_a_is_roc_auc,
	   abs((r ->> 'auc_b')::float8 - (SELECT automl.roc_auc(b, actual) FROM mt_c)) < 1e-12 AS auc_b_is_roc_auc,
	   abs((r ->> 'difference')::float8 - ((r ->> 'auc_b')::float8 - (r ->> 'auc_a')::float8)) < 1e-12 AS difference,
	   (r ->> 'z')::float8 < -10 AS rule_far_below, (r ->> 'p_value')::float8 < 1e-6 AS significant
  FROM (SELECT automl.roc_auc_compare(a, b, actual) AS r FROM mt_c) x;
-- ... and its standard error is DeLong's, written out pair by pair in SQL
-- on the states before C
WITH d AS (SELECT row_number() OVER () AS k, * FROM mt_c WHERE state < 'C'),
	 psi AS (SELECT p.k AS pi, n.k AS ni,
					CASE WHEN p.a > n.a THEN 1.0 WHEN p.a = n.a THEN 0.5 ELSE 0 END AS sa,
					CASE WHEN p.b > n.b THEN 1.0 WHEN p.b = n.b THEN 0.5 ELSE 0 END AS sb
			   FROM d p, d n WHERE p.actual AND NOT n.actual),
	 v10 AS (SELECT avg(sb - sa) AS v FROM psi GROUP BY pi),
	 v01 AS (SELECT avg(sb - sa) AS v FROM psi GROUP BY ni)
SELECT abs((SELECT (automl.roc_auc_compare(a, b, actual) ->> 'standard_error')::float8 FROM d) -
		   sqrt((SELECT var_samp(v) / count(*) FROM v10) + (SELECT var_samp(v) / count(*) FROM v01))) < 1e-12 AS se_as_sql;
-- the same scores twice: no difference and no standard error; one class: NULL
SELECT r ->> 'difference' AS difference, r ->> 'standard_error' AS standard_error, r ->> 'p_value' AS p_value
  FROM (SELECT automl.roc_auc_compare(a, a, actual) AS r FROM mt_c) x;
SELECT automl.roc_auc_compare(a, b, true) IS NULL AS one_class FROM mt_c;

-- regression: rmse, mae, r2
CREATE TEMP TABLE mt_r AS
SELECT compressive_strength AS y, automl_predict('mt_reg', c)::float8 AS f, age FROM concrete c;
SELECT e.metric,
	   abs(e.value - CASE e.metric WHEN 'rmse' THEN (SELECT automl.rmse(f, y) FROM mt_r)
								   WHEN 'mae' THEN (SELECT automl.mae(f, y) FROM mt_r)
								   WHEN 'r2' THEN (SELECT automl.r2(f, y) FROM mt_r) END) < 1e-9 AS same_as_evaluate
  FROM automl_evaluate('mt_reg', 'concrete') e;

-- every version of a name on the same rows, with the model-row form
SET client_min_messages = warning;
SELECT version FROM automl_train('concrete', 'compressive_strength', name => 'mt_reg',
	options => '{"algorithm": "linear", "params": {"alpha": 1000}}');
RESET client_min_messages;
SELECT v.version, abs(automl.rmse(automl_predict(v, c)::float8, c.compressive_strength) -
					  (SELECT e.value FROM automl_evaluate('mt_reg', 'concrete', v.version) e WHERE e.metric = 'rmse')) < 1e-9 AS same_as_evaluate
  FROM concrete c CROSS JOIN automl.models v
 WHERE v.name = 'mt_reg'
 GROUP BY v.version ORDER BY v.version;

-- multiclass: log loss of the probability each row's species was given
SELECT abs(e.value - (SELECT automl.log_loss(automl_predict_proba('mt_multi', p, species)) FROM penguins p)) < 1e-12 AS same_as_evaluate
  FROM automl_evaluate('mt_multi', 'penguins') e WHERE e.metric = 'log_loss';

-- per group, and with FILTER
SELECT state, count(*) AS rows, round(automl.roc_auc(p, actual)::numeric, 4) AS auc,
	   round(automl.log_loss(p, actual)::numeric, 4) AS log_loss
  FROM mt_b WHERE state IN ('CA', 'NJ', 'TX') GROUP BY state ORDER BY state;
-- as a window function: each row gets its state's AUC
SELECT count(*) AS states, bool_and(w.auc IS NOT DISTINCT FROM g.auc) AS same_as_group_by
  FROM (SELECT DISTINCT state, automl.roc_auc(p, actual) OVER (PARTITION BY state) AS auc FROM mt_b) w
  JOIN (SELECT state, automl.roc_auc(p, actual) AS auc FROM mt_b GROUP BY state) g USING (state);
SELECT round(automl.rmse(f, y) FILTER (WHERE age < 28)::numeric, 3) AS young,
	   round(automl.rmse(f, y) FILTER (WHERE age >= 28)::numeric, 3) AS old,
	   round(sqrt(avg((f - y) ^ 2) FILTER (WHERE age < 28))::numeric, 3) AS young_sql
  FROM mt_r;

-- many groups in a hash aggregate that spills to disk (work_mem 64kB)
-- give the sorted plan's values
CREATE TEMP TABLE mt_g AS
SELECT i % 20000 AS grp, (i % 7 = 0) AS lab, ((i::bigint * 7919) % 1000) / 1000.0 + (i % 7 = 0)::int * 0.2 AS s
  FROM generate_series(1, 200000) i;
ANALYZE mt_g;
SET work_mem = '64kB';
SET enable_sort = off;
CREATE FUNCTION pg_temp.mt_batches(q text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ' || q LOOP
		IF l ~ 'Batches: ' THEN
			RETURN substring(l FROM 'Batches: ([0-9]+)')::integer;
		END IF;
	END LOOP;
	RETURN 0;
END $$;
SELECT pg_temp.mt_batches('SELECT grp, automl.roc_auc(s, lab), automl.rmse(s, lab::int) FROM mt_g GROUP BY grp') > 1 AS spilled;
CREATE TEMP TABLE mt_hashed AS
SELECT grp, automl.roc_auc(s, lab) AS auc, automl.rmse(s, lab::int) AS rmse FROM mt_g GROUP BY grp;
RESET enable_sort;
RESET work_mem;
SET enable_hashagg = off;
SELECT count(*) AS groups,
	   count(*) FILTER (WHERE h.auc IS NOT DISTINCT FROM o.auc AND abs(h.rmse - o.rmse) < 1e-12) AS same
  FROM mt_hashed h
  JOIN (SELECT grp, automl.roc_auc(s, lab) AS auc, automl.rmse(s, lab::int) AS rmse FROM mt_g GROUP BY grp) o USING (grp);
RESET enable_hashagg;
DROP TABLE mt_g, mt_hashed;

-- a parallel plan (partial aggregates in the workers, combined in the
-- leader) gives the serial result
CREATE TABLE mt_big AS
SELECT i, (i % 7 = 0 OR i % 5 = 1) AS actual, ((i * 7919) % 1000) / 1000.0 + (i % 7 = 0)::int * 0.3 AS score
  FROM generate_series(1, 200000) i;
ANALYZE mt_big;
CREATE TEMP TABLE mt_serial AS
SELECT automl.roc_auc_compare(score, (i % 13)::float8, actual) AS cmp,
	   automl.roc_auc(score, actual) AS auc, automl.pr_auc(score, actual) AS ap,
	   automl.rmse(score, actual::int) AS rmse, automl.r2(score, actual::int) AS r2,
	   automl.log_loss(least(score, 1), actual) AS ll FROM mt_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT automl.roc_auc(score, actual), automl.rmse(score, actual::int) FROM mt_big;
SELECT (SELECT bool_and(abs((s.cmp ->> k)::float8 - (p.cmp ->> k)::float8) < 1e-12)
		  FROM unnest(ARRAY['auc_a', 'auc_b', 'difference', 'standard_error', 'p_value']) k) AS compare,
	   s.auc = p.auc AS auc, s.ap = p.ap AS ap, abs(s.rmse - p.rmse) < 1e-12 AS rmse,
	   abs(s.r2 - p.r2) < 1e-12 AS r2, abs(s.ll - p.ll) < 1e-12 AS log_loss
  FROM mt_serial s,
	   (SELECT automl.roc_auc_compare(score, (i % 13)::float8, actual) AS cmp,
			   automl.roc_auc(score, actual) AS auc, automl.pr_auc(score, actual) AS ap,
			   automl.rmse(score, actual::int) AS rmse, automl.r2(score, actual::int) AS r2,
			   automl.log_loss(least(score, 1), actual) AS ll FROM mt_big) p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE mt_big;

-- NULL inputs are skipped; no rows, one class, a constant target: NULL;
-- a NaN score or prediction: NaN
SELECT automl.roc_auc(s, a) AS auc, round(automl.rmse(s, y)::numeric, 6) AS rmse,
	   round(automl.log_loss(s, a)::numeric, 6) AS log_loss
  FROM (VALUES (0.9::float8, true, 1::float8), (0.2, false, 0), (NULL, true, 1), (0.4, NULL, NULL)) v(s, a, y);
SELECT automl.roc_auc(s, a) IS NULL AS auc_none, automl.rmse(s, 1) IS NULL AS rmse_none,
	   automl.log_loss(s) IS NULL AS log_loss_none
  FROM (VALUES (0.5::float8, true)) v(s, a) WHERE false;
SELECT automl.roc_auc(s, a) IS NULL AS one_class, automl.r2(s, 3) IS NULL AS constant_target,
	   automl.mae(s, 3) AS mae
  FROM (VALUES (0.5::float8, true), (0.7, true)) v(s, a);
SELECT automl.roc_auc(s, a) AS auc_nan, automl.rmse(s, 1) AS rmse_nan
  FROM (VALUES (0.5::float8, true), ('NaN', false)) v(s, a);

-- errors
-- a transition or combine function called on its own
SELECT automl.metric_accum(NULL, 1, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT automl.metric_rank_combine(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT automl.metric_compare_accum(NULL, 1, 2, true);
\echo :LAST_ERROR_SQLSTATE
-- a final function given a bytea that is not its state
SELECT automl.metric_rmse_final('\x00010203');
\echo :LAST_ERROR_SQLSTATE
SELECT automl.metric_roc_auc_final(decode(repeat('00', 64), 'hex'));
\echo :LAST_ERROR_SQLSTATE
SELECT automl.metric_compare_final(decode(repeat('00', 64), 'hex'));
\echo :LAST_ERROR_SQLSTATE

SELECT automl_drop(name) FROM (VALUES ('mt_bin'), ('mt_reg'), ('mt_multi')) v(name);
