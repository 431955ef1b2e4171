-- bench_predict.sql: the objects of the scoring benchmark (run by
-- bench_predict.sh; see there).  Run with psql in the bench database:
--
--   psql -X -v ON_ERROR_STOP=1 -v rows=1000000 -f test/bench/bench_predict.sql
--
-- It (re)creates, in the current database:
--
--   bench_t            the generated table: :rows rows, id bigint (primary
--                      key), 50 feature columns and a binary target:
--                      c1..c30  float8  (about 2% NULL each; sum-of-uniforms,
--                                        exponential and uniform)
--                      c31..c44 integer (int4 x8, int8 x3, int2 x3; the odd
--                                        ones about 1% NULL)
--                      c45..c50 text    categorical, 5..50 distinct values,
--                                        about 3% NULL each
--                      target   int4    0 / 1, drawn from a logistic function
--                                        of a few columns (about 35% ones)
--   bench_results      one row per timed statement
--   bench_floor_query()  the scan-and-deform floor: avg() of every numeric
--                      feature column, count() of every text one
--   bench_time(kind, rep, workers, query, warm)  runs query with
--                      max_parallel_workers_per_gather = workers after the
--                      untimed statement warm (NULL: none) in the same
--                      session, records its elapsed seconds, the backend's
--                      CPU seconds (bench_cpu) and its first column's
--                      value, and returns the elapsed seconds
--   bench_plan(query, workers)  EXPLAIN (ANALYZE) summary of a query: the
--                      workers planned and launched, and whether it was
--                      JIT-compiled
--
-- The data is generated with a fixed seed, so every run scores the same
-- table.

SET client_min_messages = warning;

DROP TABLE IF EXISTS bench_t CASCADE;
DROP TABLE IF EXISTS bench_results;
DROP FUNCTION IF EXISTS bench_generate;
DROP FUNCTION IF EXISTS bench_floor_query;
DROP FUNCTION IF EXISTS bench_time;
DROP FUNCTION IF EXISTS bench_cpu;
DROP FUNCTION IF EXISTS bench_plan;

CREATE EXTENSION IF NOT EXISTS automl;

CREATE TABLE bench_results (
	rep integer NOT NULL,
	kind text NOT NULL,
	wall float8 NOT NULL,		-- elapsed seconds around the statement
	value float8,				-- the statement's first column (a checksum)
	cpu float8					-- CPU seconds of the backend (its parallel
								-- workers not included); NULL off Linux
);

-- bench_generate creates and fills bench_t with nrows rows; the column
-- expressions are built here rather than written out by hand.
CREATE FUNCTION bench_generate(nrows bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
	defs text[] := '{id bigint}';
	exprs text[] := '{g AS id}';
	cols text[] := '{id}';
	levels integer[] := '{5,8,12,20,30,50}';
	prefix text[] := '{red_,region_,plan_,cat_,segment_,city_}';
	e text;
	t text;
BEGIN
	FOR i IN 1..30 LOOP
		e := CASE i % 3
			WHEN 1 THEN format('(random() + random() + random() + random() - 2.0) * %s', i)
			WHEN 2 THEN format('-ln(1.0 - random()) * %s', i)
			ELSE format('random() * %s - %s', i * 100, i * 50)
		END;
		defs := defs || format('c%s float8', i);
		exprs := exprs || format('CASE WHEN random() < 0.02 THEN NULL ELSE %s END AS c%s', e, i);
		cols := cols || format('c%s', i);
	END LOOP;
	FOR i IN 31..44 LOOP
		IF i <= 38 THEN
			t := 'int4';
			e := format('floor(random() * %s)::int4', 10 * 10 ^ (i % 4));
		ELSIF i <= 41 THEN
			t := 'int8';
			e := 'floor(random() * 1e12)::int8';
		ELSE
			t := 'int2';
			e := 'floor(random() * 100)::int2';
		END IF;
		IF i % 2 = 1 THEN
			e := format('CASE WHEN random() < 0.01 THEN NULL ELSE %s END', e);
		END IF;
		defs := defs || format('c%s %s', i, t);
		exprs := exprs || format('%s AS c%s', e, i);
		cols := cols || format('c%s', i);
	END LOOP;
	FOR i IN 45..50 LOOP
		defs := defs || format('c%s text', i);
		exprs := exprs || format(
			'CASE WHEN random() < 0.03 THEN NULL ELSE %L || floor(random() * %s)::int END AS c%s',
			prefix[i - 44], levels[i - 44], i);
		cols := cols || format('c%s', i);
	END LOOP;
	defs := defs || 'target int4'::text;

	EXECUTE format('CREATE TABLE bench_t (%s)', array_to_string(defs, ', '));
	PERFORM setseed(0.4242);
	-- the target: a logistic function of a few columns (numbers,
	-- an interaction, an integer and a category; NULL counts as 0)
	EXECUTE format($q$
		INSERT INTO bench_t
		SELECT %s,
			(random() < 1.0 / (1.0 + exp(-(
				2.0 * coalesce(c1, 0)
				+ 0.6 * (coalesce(c2, 2) - 2.0)
				+ coalesce(c3, 0) / 100.0
				+ 0.3 * coalesce(c4, 0) * (coalesce(c6, 0) > 0)::int
				- 0.02 * coalesce(c8, 8)
				+ 0.8 * coalesce(c45 IN ('red_1', 'red_2'), false)::int
				- 0.6 * (coalesce(c31, 0) %% 7 = 0)::int
				- 0.7))))::int
		FROM (SELECT %s FROM generate_series(1, %s) g OFFSET 0) s
		$q$, array_to_string(cols, ', '), array_to_string(exprs, ', '), nrows);
	ALTER TABLE bench_t ADD PRIMARY KEY (id);
END
$fn$;

-- bench_floor_query returns the floor: an aggregate over every feature
-- column of bench_t, so that every column of every row is deformed.
CREATE FUNCTION bench_floor_query() RETURNS text
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
	RETURN (SELECT 'SELECT ' || string_agg(
			CASE WHEN atttypid = 'text'::regtype
				THEN format('count(%I)', attname)
				ELSE format('avg(%I)', attname) END,
			', ' ORDER BY attnum) || ' FROM bench_t'
		FROM pg_attribute
		WHERE attrelid = 'bench_t'::regclass AND attnum > 0 AND NOT attisdropped
			AND attname ~ '^c[0-9]+$');
END
$fn$;

-- bench_cpu returns the CPU seconds (user + system) the backend has used,
-- from /proc/self/stat (clock ticks of 1/100 s), or NULL where that cannot
-- be read.  On a shared machine the CPU time moves less with the load
-- than the wall time.
CREATE FUNCTION bench_cpu() RETURNS float8
LANGUAGE plpgsql AS $fn$
DECLARE
	f text[];
BEGIN
	-- the fields after the command name: state is 3, utime 14, stime 15
	f := regexp_split_to_array(trim(regexp_replace(pg_read_file('/proc/self/stat'), '^.*\)', '')), ' ');
	RETURN (f[12]::float8 + f[13]::float8) / 100.0;
EXCEPTION WHEN OTHERS THEN
	RETURN NULL;
END
$fn$;

-- bench_time times one statement.  EXECUTE ... INTO runs the query to
-- completion (the queries return one row) and may use parallel workers.
CREATE FUNCTION bench_time(kind text, rep integer, workers integer, q text, warm text DEFAULT NULL)
RETURNS float8
LANGUAGE plpgsql AS $fn$
DECLARE
	t0 timestamptz;
	c0 float8;
	s float8;
	v text;
BEGIN
	PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
	IF warm IS NOT NULL THEN
		EXECUTE warm;
	END IF;
	c0 := bench_cpu();
	t0 := clock_timestamp();
	EXECUTE q INTO v;
	s := extract(epoch FROM clock_timestamp() - t0);
	INSERT INTO bench_results VALUES (rep, kind, s, v::float8, bench_cpu() - c0);
	RETURN s;
END
$fn$;

-- bench_plan runs a query under EXPLAIN (ANALYZE, TIMING OFF) and says how
-- many parallel workers were planned and launched and whether it was JIT
-- compiled, as "planned|launched|jit".
CREATE FUNCTION bench_plan(q text, workers integer) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
	plan jsonb;
	planned integer;
	launched integer;
BEGIN
	PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
	EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || q INTO plan;
	SELECT max((p ->> 'Workers Planned')::int), max((p ->> 'Workers Launched')::int)
		INTO planned, launched
		FROM jsonb_path_query(plan, 'strict $.**') p
		WHERE jsonb_typeof(p) = 'object' AND p ? 'Workers Planned';
	RETURN format('%s|%s|%s', coalesce(planned, 0), coalesce(launched, 0),
		(plan -> 0) ? 'JIT');
END
$fn$;

SELECT bench_generate(:rows);

-- set hint bits and the visibility map now, so no timed scan writes pages
VACUUM (FREEZE, ANALYZE) bench_t;
