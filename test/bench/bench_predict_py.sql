-- bench_predict_py.sql: the PL/Python peer of the scoring benchmark (run by
-- bench_predict.sh; see there).  Run with psql in the bench database, after
-- bench_predict.sql, with the path of the model that bench_predict_xgb.py
-- saved (readable by the server's operating-system user):
--
--   psql -X -v ON_ERROR_STOP=1 -v model=/path/model.json -f test/bench/bench_predict_py.sql
--
-- It creates py_predict(c1, ..., c50), a plpython3u function with the
-- types of bench_t's feature columns that scores one row per call the way
-- PostgresML-style extensions do: the xgboost model is loaded once per
-- session into GD (single-threaded, to compare one core with one core),
-- the arguments become a 1 x 50 numpy array (NULL and unseen categories
-- are NaN, categories their training codes) and Booster.inplace_predict
-- (xgboost's fastest per-row call, no DMatrix) returns the probability.

SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS plpython3u;

DROP FUNCTION IF EXISTS py_predict;

SET bench.model_path = :'model';

DO $do$
DECLARE
	args text;
	vals text;
	body text;
BEGIN
	SELECT string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum),
		string_agg(CASE WHEN atttypid = 'text'::regtype
				THEN format('codes.get(%s, {}).get(%s, nan)', attnum - 2, attname)
				ELSE format('nan if %1$s is None else %1$s', attname) END,
			', ' ORDER BY attnum)
		INTO args, vals
		FROM pg_attribute
		WHERE attrelid = 'bench_t'::regclass AND attnum > 0 AND NOT attisdropped
			AND attname ~ '^c[0-9]+$';
	-- attnum - 2: id is attribute 1, so c1 is feature 0
	body := format($py$
m = GD.get('bench_xgb')
if m is None:
    import json, numpy, xgboost
    b = xgboost.Booster(model_file=%L)
    b.set_param({'nthread': 1})
    codes = {j: c for j, c in json.loads(b.attr('bench_cats'))}
    m = GD['bench_xgb'] = (b, codes, numpy, float('nan'))
b, codes, np, nan = m
x = np.array([[%s]], dtype=np.float64)
return float(b.inplace_predict(x)[0])
$py$, current_setting('bench.model_path'), vals);
	EXECUTE format('CREATE FUNCTION py_predict(%s) RETURNS float8 LANGUAGE plpython3u AS %L',
		args, body);
END
$do$;
