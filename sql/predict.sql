-- predict: labels, probabilities, values, column matching, deployments
SET automl.progress = off;

-- labels come back exactly as the target's text form
SELECT DISTINCT automl_predict('customers_churn', c) AS label FROM customers c ORDER BY 1;
SELECT DISTINCT automl_predict('penguins_species', p) AS label FROM penguins p ORDER BY 1;
SELECT DISTINCT automl_predict('kinds_flag', k) AS label FROM kinds k ORDER BY 1;
SELECT DISTINCT automl_predict('kinds_small', k)::int AS label FROM kinds k ORDER BY 1;

-- accuracy over the whole table (training rows included) is high
SELECT avg((automl_predict('customers_churn', c) = churn)::int) > 0.9 AS accurate FROM customers c;
SELECT avg((automl_predict('penguins_species', p) = species)::int) > 0.9 AS accurate FROM penguins p;

-- regression values cast to float8
SELECT sqrt(avg((automl_predict('concrete_compressive_strength', c)::float8 - compressive_strength) ^ 2)) < 12 AS rmse_ok
  FROM concrete c;

-- probabilities: positive class by default, any class by name, they add up
SELECT bool_and(p BETWEEN 0 AND 1) AS in_range,
	   bool_and((p >= 0.5) = (automl_predict('customers_churn', c) = 'yes')) AS consistent
  FROM (SELECT c, automl_predict_proba('customers_churn', c) AS p FROM customers c) s;
SELECT bool_and(abs(automl_predict_proba('customers_churn', c, 'yes') + automl_predict_proba('customers_churn', c, 'no') - 1) < 1e-12) AS sums_to_one
  FROM customers c;
SELECT bool_and(abs(automl_predict_proba('penguins_species', p, 'Adelie') + automl_predict_proba('penguins_species', p, 'Chinstrap')
					+ automl_predict_proba('penguins_species', p, 'Gentoo') - 1) < 1e-9) AS sums_to_one,
	   bool_and(automl_predict_proba('penguins_species', p) >= 1.0 / 3) AS predicted_is_max
  FROM penguins p;

-- columns are matched by name: extra columns ignored, order irrelevant
SELECT automl_predict('concrete_compressive_strength', c) = automl_predict('concrete_compressive_strength', r) AS same
  FROM concrete c,
	   LATERAL (SELECT c.age, 'extra' AS note, c.water, c.fine_aggregate, c.coarse_aggregate, c.superplasticizer,
					   c.fly_ash, c.blast_furnace_slag, c.cement) r
 LIMIT 3;

-- NULLs and categories never seen in training are missing / "other", not errors
SELECT automl_predict('customers_churn', r) IS NOT NULL AS scored
  FROM (SELECT 'ZZ' AS state, NULL::int AS account_length, 'area_code_999' AS area_code, NULL::text AS international_plan,
			   'yes' AS voice_mail_plan, 3 AS number_vmail_messages, 300.5 AS total_day_minutes, 100 AS total_day_calls,
			   51.1 AS total_day_charge, NULL::float8 AS total_eve_minutes, 90 AS total_eve_calls, 17.2 AS total_eve_charge,
			   200.0 AS total_night_minutes, 95 AS total_night_calls, 9.0 AS total_night_charge, 10.0 AS total_intl_minutes,
			   4 AS total_intl_calls, 2.7 AS total_intl_charge, 4 AS number_customer_service_calls) r;

-- an integer where the model saw text, a numeric where it saw float
SELECT automl_predict('concrete_compressive_strength', r) IS NOT NULL AS scored
  FROM (SELECT 540::numeric AS cement, 0::int AS blast_furnace_slag, 0::float4 AS fly_ash, 162::int8 AS water,
			   2.5 AS superplasticizer, 1040 AS coarse_aggregate, 676 AS fine_aggregate, 28::int2 AS age) r;

-- every supported type scores, and the same row gives the same answer twice
SELECT count(*) AS scored, count(DISTINCT automl_predict('kinds_label', k)) AS labels FROM kinds k;

-- deployments: the best version is deployed; a manual deploy is used by the next statement
SELECT name, version, reason FROM automl.deployments WHERE name = 'customers_churn' ORDER BY id;
CREATE TEMP TABLE v1 AS SELECT row_number() OVER () AS i, automl_predict_proba('customers_churn', c) AS p FROM customers c LIMIT 50;
SELECT automl_deploy('customers_churn', 2);
SELECT version, reason FROM automl.deployed_models WHERE name = 'customers_churn';
SELECT bool_or(b.p <> a.p) AS v2_differs
  FROM v1 b JOIN (SELECT row_number() OVER () AS i, automl_predict_proba('customers_churn', c) AS p FROM customers c LIMIT 50) a USING (i);
SELECT automl_deploy('customers_churn', 1);
SELECT bool_and(b.p = a.p) AS same_as_v1
  FROM v1 b JOIN (SELECT row_number() OVER () AS i, automl_predict_proba('customers_churn', c) AS p FROM customers c LIMIT 50) a USING (i);

-- another session deploys: this session sees it at its next statement
SELECT automl_predict_proba('churn_tree', c) IS NOT NULL AS cached FROM customers c LIMIT 1;
\! psql -X -q -c "SELECT automl_train('customers', 'churn', name => 'churn_tree', options => '{\"algorithm\": \"linear\"}') IS NOT NULL AS trained_elsewhere" contrib_regression 2>&1 | grep -v NOTICE
\! psql -X -q -At -c "SELECT 'deployed elsewhere: ' || automl_deploy('churn_tree', 2)" contrib_regression
SELECT algorithm FROM automl.deployed_models WHERE name = 'churn_tree';
SELECT count(DISTINCT round(automl_predict_proba('churn_tree', c)::numeric, 6)) > 10 AS linear_now FROM customers c;

-- the batch path scores a whole source in blocks and agrees with the per-row path
SELECT count(*) AS rows, count(DISTINCT b.id) AS states,
	   bool_and(b.prediction IN ('yes', 'no')) AS labels, bool_and(b.probability >= 0.5) AS prob_of_predicted
  FROM automl_predict_batch('customers_churn', 'customers', id => 'state') b;
SELECT bool_and(b.prediction = r.prediction AND abs(b.probability - r.p) < 1e-12) AS batch_equals_per_row
  FROM (SELECT row_number() OVER () AS i, * FROM automl_predict_batch('customers_churn', 'SELECT * FROM customers ORDER BY state, account_length, total_day_minutes')) b
  JOIN (SELECT row_number() OVER (ORDER BY state, account_length, total_day_minutes) AS i, automl_predict('customers_churn', c) AS prediction,
			   greatest(automl_predict_proba('customers_churn', c), 1 - automl_predict_proba('customers_churn', c)) AS p
		  FROM customers c) r USING (i);
SELECT id IS NULL AS no_id, round(prediction::float8) >= 0 AS value, probability IS NULL AS no_probability
  FROM automl_predict_batch('concrete_compressive_strength', 'concrete') LIMIT 1;
SELECT bool_and(b.prediction = r.prediction) AS regression_batch_equals_per_row, count(*) AS rows
  FROM (SELECT row_number() OVER () AS i, * FROM automl_predict_batch('concrete_compressive_strength', 'SELECT * FROM concrete ORDER BY cement, water, age, fine_aggregate')) b
  JOIN (SELECT row_number() OVER (ORDER BY cement, water, age, fine_aggregate) AS i, automl_predict('concrete_compressive_strength', c) AS prediction
		  FROM concrete c) r USING (i);
SELECT bool_and(b.prediction = r.prediction AND b.probability = r.p) AS multiclass_batch_equals_per_row, count(*) AS rows
  FROM (SELECT row_number() OVER () AS i, * FROM automl_predict_batch('penguins_species', 'SELECT * FROM penguins ORDER BY island, year, bill_length_mm, body_mass_g')) b
  JOIN (SELECT row_number() OVER (ORDER BY island, year, bill_length_mm, body_mass_g) AS i, automl_predict('penguins_species', p) AS prediction,
			   automl_predict_proba('penguins_species', p) AS p
		  FROM penguins p) r USING (i);
-- the batch path scores blocks on automl.threads threads: one or several, the same scores
SET automl.threads = 1;
CREATE TEMP TABLE batch1 AS
SELECT row_number() OVER () AS i, * FROM automl_predict_batch('customers_churn', 'SELECT * FROM customers ORDER BY state, account_length, total_day_minutes');
SET automl.threads = 3;
SELECT bool_and(b.prediction = o.prediction AND b.probability = o.probability) AS threads_agree, count(*) AS rows
  FROM (SELECT row_number() OVER () AS i, * FROM automl_predict_batch('customers_churn', 'SELECT * FROM customers ORDER BY state, account_length, total_day_minutes')) b
  JOIN batch1 o USING (i);
RESET automl.threads;
-- the per-row path reads the row in place: a dropped column, columns the
-- model does not use and NULLs (numeric and categorical) are stepped over
-- as the batch path's executor deforms them
CREATE TEMP TABLE inplace AS
SELECT row_number() OVER (ORDER BY state, account_length, total_day_minutes) AS k, 'pad'::text AS pad, 1.5::float8 AS x, c.*
  FROM customers c;
ALTER TABLE inplace DROP COLUMN x;
UPDATE inplace SET total_day_minutes = NULL WHERE k % 5 = 0;
UPDATE inplace SET state = NULL WHERE k % 7 = 0;
SELECT bool_and(b.prediction = automl_predict('customers_churn', t)
				AND abs(b.probability - greatest(automl_predict_proba('customers_churn', t), 1 - automl_predict_proba('customers_churn', t))) < 1e-12)
		 AS in_place_equals_batch, count(*) AS rows
  FROM (SELECT row_number() OVER () AS i, * FROM automl_predict_batch('customers_churn', 'SELECT * FROM inplace ORDER BY k')) b
  JOIN (SELECT k AS i, t FROM inplace t OFFSET 0) r USING (i);
-- over a table, the planner passes the row's columns instead of building
-- the row (automl_predict_support); both forms give the same answers
CREATE FUNCTION rewritten(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	l text;
	cols boolean := false;
	row_form boolean := false;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
		cols := cols OR l ~ 'automl_predict(_proba)?_columns\(';
		row_form := row_form OR l ~ 'automl_predict(_proba)?\((''|\$)';
	END LOOP;
	RETURN CASE WHEN cols AND NOT row_form THEN 'columns' WHEN row_form AND NOT cols THEN 'row' ELSE 'both' END;
END $$;
SELECT rewritten('SELECT automl_predict_proba(''customers_churn'', c) FROM customers c') AS table_proba,
	   rewritten('SELECT automl_predict(''customers_churn'', c) FROM customers c') AS table_label,
	   rewritten('SELECT automl_predict_proba(''customers_churn'', c, ''no'') FROM customers c JOIN penguins p ON true') AS inner_join,
	   rewritten('SELECT automl_predict(''customers_churn'', c) FROM (SELECT * FROM customers OFFSET 0) c') AS subquery_row,
	   rewritten('SELECT automl_predict(''customers_churn'', c) FROM penguins p LEFT JOIN customers c ON false') AS outer_join,
	   rewritten('SELECT automl_predict(''customers_churn'', c) FROM customers c GROUP BY c') AS grouped_row;
SELECT bool_and(r.label = c.label AND r.p = c.p AND r.p_no = c.p_no) AS same_answers, count(*) AS rows
  FROM (SELECT k, automl_predict('customers_churn', t) AS label, automl_predict_proba('customers_churn', t) AS p,
			   automl_predict_proba('customers_churn', t, 'no') AS p_no FROM inplace t) c
  JOIN (SELECT k, automl_predict('customers_churn', t) AS label, automl_predict_proba('customers_churn', t) AS p,
			   automl_predict_proba('customers_churn', t, 'no') AS p_no FROM (SELECT * FROM inplace OFFSET 0) t) r USING (k);
-- a row on the nullable side of an outer join is NULL, not a row of NULLs
SELECT automl_predict('customers_churn', c) IS NULL AS null_row FROM penguins p LEFT JOIN customers c ON false LIMIT 1;
-- a grouped whole row keeps the row form
SELECT count(*) AS groups, count(DISTINCT l) AS labels
  FROM (SELECT automl_predict('customers_churn', c) AS l FROM customers c GROUP BY c) g;
-- a table too wide to pass as arguments (over 97 columns) keeps the row form
DO $$
BEGIN
	EXECUTE 'CREATE TEMP TABLE wide AS SELECT c.*, ' ||
		(SELECT string_agg(format('%s AS w%s', i, i), ', ') FROM generate_series(1, 90) i) ||
		' FROM customers c';
END $$;
SELECT rewritten('SELECT automl_predict(''customers_churn'', w) FROM wide w') AS wide_table,
	   (SELECT sum(automl_predict_proba('customers_churn', w)) FROM wide w)
	   = (SELECT sum(automl_predict_proba('customers_churn', c)) FROM customers c) AS same_sum;
-- a partitioned table and UPDATE ... SET score = automl_predict_proba(...)
CREATE TEMP TABLE parted (LIKE inplace, score float8) PARTITION BY LIST (international_plan);
CREATE TEMP TABLE parted_yes PARTITION OF parted FOR VALUES IN ('yes');
CREATE TEMP TABLE parted_other (score float8, LIKE inplace);
ALTER TABLE parted ATTACH PARTITION parted_other DEFAULT;
INSERT INTO parted SELECT *, NULL FROM inplace;
SELECT rewritten('UPDATE parted t SET score = automl_predict_proba(''customers_churn'', t)') AS update_parted;
UPDATE parted t SET score = automl_predict_proba('customers_churn', t);
SELECT bool_and(p.score = automl_predict_proba('customers_churn', i)) AS update_equals_select, count(*) AS rows
  FROM parted p JOIN (SELECT * FROM inplace OFFSET 0) i USING (k);
-- the columns form checks what it is given (it is the planner's, not for calls by hand)
SELECT automl_predict_columns('customers_churn', 'customers'::regtype, 'CA');
SELECT automl_predict_proba_columns('penguins_species', NULL, 'penguins'::regtype, 1, 2, 3, 4, 5, 6, 7, 8);
SELECT automl_predict_columns(NULL, 'customers'::regtype, 'CA') IS NULL AS null_model;
-- ids of any type come back as their text (char(n) keeps its padding, long
-- compressed text is read whole); a NULL id is NULL
CREATE TEMP TABLE batch_ids AS
SELECT row_number() OVER (ORDER BY state, account_length, total_day_minutes) AS i, c.*,
	   nullif(account_length, 100) AS k_int, state::varchar(10) AS k_varchar, state::char(4) AS k_char,
	   date '2024-01-01' + account_length AS k_date, (total_day_minutes / 7)::numeric(10, 3) AS k_numeric,
	   CASE WHEN churn = 'no' THEN repeat(state, 2000) END AS k_text
  FROM customers c;
SELECT k.col AS id_column, bool_and(b.id IS NOT DISTINCT FROM k.expected) AS same_text, count(b.id) AS ids, count(*) AS rows
  FROM (SELECT 'k_int' AS col UNION ALL SELECT 'k_varchar' UNION ALL SELECT 'k_char' UNION ALL SELECT 'k_date'
		UNION ALL SELECT 'k_numeric' UNION ALL SELECT 'k_text') c,
	   LATERAL (SELECT row_number() OVER () AS i, id FROM automl_predict_batch('customers_churn', 'SELECT * FROM batch_ids ORDER BY i', id => c.col)) b,
	   LATERAL (SELECT c.col, CASE c.col WHEN 'k_int' THEN t.k_int::text WHEN 'k_varchar' THEN t.k_varchar::text
					WHEN 'k_char' THEN t.k_char::text || repeat(' ', 4 - length(t.k_char)) WHEN 'k_date' THEN t.k_date::text
					WHEN 'k_numeric' THEN t.k_numeric::text ELSE t.k_text END AS expected
			  FROM batch_ids t WHERE t.i = b.i) k
 GROUP BY k.col ORDER BY k.col;
-- a view is a source like a table
CREATE TEMP VIEW churned AS SELECT * FROM customers WHERE churn = 'yes';
SELECT count(*) = (SELECT count(*) FROM churned) AS all_rows,
	   abs(sum(CASE WHEN prediction = 'yes' THEN probability ELSE 1 - probability END)
		   - (SELECT sum(automl_predict_proba('customers_churn', v)) FROM churned v)) < 1e-9 AS same_sum
  FROM automl_predict_batch('customers_churn', 'churned');
-- a source without every column the model needs is an error, even with no rows
SELECT * FROM automl_predict_batch('customers_churn', 'SELECT state, churn FROM customers WHERE false');

-- parallel workers score the same as one process
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE par AS SELECT sum(automl_predict_proba('customers_churn', c)) AS s, count(*) FILTER (WHERE automl_predict('customers_churn', c) = 'yes') AS yes FROM customers c;
SET max_parallel_workers_per_gather = 0;
SELECT abs(p.s - q.s) < 1e-9 AS same_sum, p.yes = q.yes AS same_labels
  FROM par p, (SELECT sum(automl_predict_proba('customers_churn', c)) AS s, count(*) FILTER (WHERE automl_predict('customers_churn', c) = 'yes') AS yes FROM customers c) q;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- the model given as its catalog row: the same predictions, with nothing
-- read from the catalog per call (an InitPlan passes the row once)
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE automl_predict((SELECT m FROM automl.models m JOIN automl.deployed_models d USING (id)
												WHERE d.name = 'customers_churn'), c)
							  IS DISTINCT FROM automl_predict('customers_churn', c)) AS labels_differ,
	   max(abs(automl_predict_proba((SELECT m FROM automl.models m JOIN automl.deployed_models d USING (id)
									 WHERE d.name = 'customers_churn'), c, 'no')
			   - automl_predict_proba('customers_churn', c, 'no'))) < 1e-12 AS same_proba
  FROM customers c;
-- over a table the planner passes the columns here too; a subquery row keeps the row form
SELECT rewritten('SELECT automl_predict_proba((SELECT m FROM automl.models m WHERE name = ''customers_churn'' AND version = 1), c) FROM customers c') AS model_row_table,
	   rewritten('SELECT automl_predict((SELECT m FROM automl.models m WHERE name = ''customers_churn'' AND version = 1), c) FROM (SELECT * FROM customers OFFSET 0) c') AS model_row_subquery;
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE automl_predict((SELECT m FROM automl.models m JOIN automl.deployed_models d USING (id)
												WHERE d.name = 'customers_churn'), c)
							  IS DISTINCT FROM automl_predict('customers_churn', c)) AS row_form_labels_differ
  FROM (SELECT * FROM customers OFFSET 0) c;
-- a join passes the row of each version it matches
SELECT m.version, count(*) FILTER (WHERE automl_predict(m, p) = p.species) > 300 AS mostly_right
  FROM automl.models m, penguins p WHERE m.name = 'penguins_species' GROUP BY m.version ORDER BY 1;
SELECT automl_predict(NULL::automl.models, p) IS NULL AS null_model FROM penguins p LIMIT 1;
SELECT automl_predict_proba((SELECT m FROM automl.models m WHERE name = 'penguins_species' AND version = 1), p, 'Emu')
  FROM penguins p LIMIT 1;
SELECT automl_predict((SELECT m FROM automl.models m WHERE name = 'penguins_species' AND version = 1), 1);
SELECT automl_predict(jsonb_populate_record(m, '{"id": null}'), p)
  FROM automl.models m, penguins p WHERE m.name = 'penguins_species' AND m.version = 1 LIMIT 1;
SELECT automl_predict(jsonb_populate_record(m, '{"id": -1, "model": "\\x00"}'), p)
  FROM automl.models m, penguins p WHERE m.name = 'penguins_species' AND m.version = 1 LIMIT 1;

-- model info reads the stored model
SELECT automl_model_info('penguins_species') - 'id' - 'bytes' - 'algorithm' AS info;
SELECT (automl_model_info('customers_churn', 1)->>'bytes')::int > 0 AS has_bytes;
RESET automl.progress;
