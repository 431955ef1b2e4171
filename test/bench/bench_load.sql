-- bench_load.sql: the objects of the data-loading benchmark (run by
-- bench_load.sh; see there).  Run with psql in the bench database:
--
--   psql -X -v ON_ERROR_STOP=1 -v rows=1000000 -f test/bench/bench_load.sql
--
-- It (re)creates, in the current database:
--
--   bench_t            the generated table: :rows rows x 50 columns
--                      f01..f30 float8  (about 2% NULL each; uniform,
--                                        sum-of-uniforms and exponential)
--                      i01..i10 integer (int4 x6, int8 x2, int2 x2; the odd
--                                        ones about 1% NULL)
--                      t01..t08 text    categorical, 5..50 distinct values,
--                                        about 3% NULL each
--                      b01      boolean about 1% NULL
--                      target   text    'yes' / 'no', never NULL
--   bench_results      one row per timed statement
--   bench_agg_query()  the aggregate scan: avg() of every numeric column,
--                      count() of every text/boolean column, so that every
--                      column of every row is deformed
--   bench_time_agg(rep, workers [, label])  runs the aggregate scan with
--                      max_parallel_workers_per_gather = workers, records
--                      and returns its elapsed seconds (clock_timestamp)
--   bench_agg_jit(workers)  whether that aggregate scan is JIT-compiled
--   bench_time_load(rep [, label])  runs automl_scan('bench_t', 'target'), records
--                      its elapsed seconds (measured the same way) with what
--                      automl_scan reported, and returns the elapsed seconds
--
-- The data is generated with a fixed seed, so every run loads the same
-- table.

SET client_min_messages = warning;

DROP TABLE IF EXISTS bench_t;
DROP TABLE IF EXISTS bench_results;
DROP FUNCTION IF EXISTS bench_generate;
DROP FUNCTION IF EXISTS bench_agg_query;
DROP FUNCTION IF EXISTS bench_time_agg;
DROP FUNCTION IF EXISTS bench_time_load;
DROP FUNCTION IF EXISTS bench_agg_jit;

CREATE EXTENSION IF NOT EXISTS automl;

CREATE TABLE bench_results (
	rep integer NOT NULL,
	kind text NOT NULL,			-- 'agg', 'agg_parallel', 'load', or 'warmup_*'
	wall float8 NOT NULL,		-- elapsed seconds around the statement
	reported float8,			-- automl_scan's own seconds column
	rows bigint,
	columns integer,
	frame_bytes bigint,
	float32_bytes bigint
);

-- bench_generate creates and fills bench_t with nrows rows; the 50 column
-- expressions are built here rather than written out by hand.
CREATE FUNCTION bench_generate(nrows bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
	defs text[] := '{}';
	exprs text[] := '{}';
	levels integer[] := '{5,8,12,16,20,30,40,50}';
	e text;
BEGIN
	FOR i IN 1..30 LOOP
		e := CASE i % 3
			WHEN 0 THEN format('random() * %s - %s', i * 100, i * 50)
			WHEN 1 THEN format('(random() + random() + random() + random() - 2.0) * %s', i)
			ELSE format('-ln(1.0 - random()) * %s', i)
		END;
		defs := defs || format('f%s float8', lpad(i::text, 2, '0'));
		exprs := exprs || format('CASE WHEN random() < 0.02 THEN NULL ELSE %s END', e);
	END LOOP;
	FOR i IN 1..10 LOOP
		e := CASE
			WHEN i <= 6 THEN format('floor(random() * %s)::int4', 10 * 10 ^ (i % 4))
			WHEN i <= 8 THEN 'floor(random() * 1e12)::int8'
			ELSE 'floor(random() * 100)::int2'
		END;
		defs := defs || format('i%s %s', lpad(i::text, 2, '0'),
			CASE WHEN i <= 6 THEN 'int4' WHEN i <= 8 THEN 'int8' ELSE 'int2' END);
		IF i % 2 = 1 THEN
			e := format('CASE WHEN random() < 0.01 THEN NULL ELSE %s END', e);
		END IF;
		exprs := exprs || e;
	END LOOP;
	FOR i IN 1..8 LOOP
		defs := defs || format('t%s text', lpad(i::text, 2, '0'));
		exprs := exprs || format(
			'CASE WHEN random() < 0.03 THEN NULL ELSE %L || floor(random() * %s)::int END',
			(ARRAY['red_', 'region_', 'plan_', 'cat_', 'segment_', 'code_', 'city_', 'product_'])[i],
			levels[i]);
	END LOOP;
	defs := defs || 'b01 boolean'::text || 'target text'::text;
	exprs := exprs
		|| 'CASE WHEN random() < 0.01 THEN NULL ELSE random() < 0.3 END'::text
		|| $$CASE WHEN random() < 0.35 THEN 'yes' ELSE 'no' END$$::text;

	EXECUTE format('CREATE TABLE bench_t (%s)', array_to_string(defs, ', '));
	PERFORM setseed(0.4242);
	EXECUTE format('INSERT INTO bench_t SELECT %s FROM generate_series(1, %s)',
		array_to_string(exprs, ', '), nrows);
END
$fn$;

-- bench_agg_query returns the aggregate scan over every column of bench_t.
CREATE FUNCTION bench_agg_query() RETURNS text
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
	RETURN (SELECT 'SELECT ' || string_agg(
			CASE WHEN atttypid IN ('float8'::regtype, 'float4'::regtype, 'int2'::regtype,
				'int4'::regtype, 'int8'::regtype, 'numeric'::regtype)
				THEN format('avg(%I)', attname)
				ELSE format('count(%I)', attname) END,
			', ' ORDER BY attnum) || ' FROM bench_t'
		FROM pg_attribute
		WHERE attrelid = 'bench_t'::regclass AND attnum > 0 AND NOT attisdropped);
END
$fn$;

-- bench_time_agg times one aggregate scan.  EXECUTE without INTO runs the
-- query to completion (and may use parallel workers when workers > 0).
CREATE FUNCTION bench_time_agg(rep integer, workers integer, label text DEFAULT NULL)
RETURNS float8
LANGUAGE plpgsql AS $fn$
DECLARE
	q text := bench_agg_query();
	t0 timestamptz;
	s float8;
BEGIN
	PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
	t0 := clock_timestamp();
	EXECUTE q;
	s := extract(epoch FROM clock_timestamp() - t0);
	INSERT INTO bench_results (rep, kind, wall)
		VALUES (rep, coalesce(label, CASE WHEN workers > 0 THEN 'agg_parallel' ELSE 'agg' END), s);
	RETURN s;
END
$fn$;

-- bench_agg_jit says whether the planner JIT-compiles the aggregate scan
-- with that many parallel workers (EXPLAIN shows a "JIT" section then).
CREATE FUNCTION bench_agg_jit(workers integer) RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
	plan json;
BEGIN
	PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
	EXECUTE 'EXPLAIN (FORMAT JSON) ' || bench_agg_query() INTO plan;
	RETURN (plan -> 0)::jsonb ? 'JIT';
END
$fn$;

-- bench_time_load times one automl_scan of bench_t.
CREATE FUNCTION bench_time_load(rep integer, label text DEFAULT 'load')
RETURNS float8
LANGUAGE plpgsql AS $fn$
DECLARE
	r record;
	t0 timestamptz;
	s float8;
BEGIN
	t0 := clock_timestamp();
	SELECT * INTO STRICT r FROM automl_scan('bench_t', 'target');
	s := extract(epoch FROM clock_timestamp() - t0);
	INSERT INTO bench_results
		VALUES (rep, label, s, r.seconds, r.rows, r.columns, r.frame_bytes, r.float32_bytes);
	RETURN s;
END
$fn$;

SELECT bench_generate(:rows);

-- set hint bits and the visibility map now, so no timed scan writes pages
VACUUM (FREEZE, ANALYZE) bench_t;
