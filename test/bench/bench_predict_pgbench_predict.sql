-- pgbench script of bench_predict.sh: one row's probability through the
-- index on id (run with -M prepared -D rows=N)
\set id random(1, :rows)
SELECT automl_predict_proba('m', t) FROM bench_t t WHERE id = :id;
