-- pgbench script of bench_predict.sh: the round-trip floor
SELECT 1;
