-- pgbench script of bench_predict.sh: the same index lookup without the
-- predict call, returning one float8 column (run with -M prepared -D rows=N)
\set id random(1, :rows)
SELECT t.c1 FROM bench_t t WHERE id = :id;
