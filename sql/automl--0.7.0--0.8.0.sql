/* automl--0.7.0--0.8.0.sql: metric aggregates */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.8.0'" to load this file. \quit

-- Metric aggregates over any predictions and labels (a model's, another
-- system's, a rule's), with GROUP BY, FILTER and parallel scans.  The
-- states are bytea (not internal), so that a partial aggregate crosses
-- from a parallel worker, or a Citus worker, as a plain value.  Rows with
-- a NULL input are skipped; no rows, or a metric undefined on the rows
-- (AUC with one class, r2 of a constant target), give NULL.

CREATE FUNCTION automl.metric_accum(state bytea, prediction float8, actual float8)
RETURNS bytea AS 'MODULE_PATHNAME', 'automl_metric_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_prob_accum(state bytea, probability float8)
RETURNS bytea AS 'MODULE_PATHNAME', 'automl_metric_prob_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_prob_accum(state bytea, probability float8, actual boolean)
RETURNS bytea AS 'MODULE_PATHNAME', 'automl_metric_binary_prob_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'automl_metric_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_rmse_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'automl_metric_rmse_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_mae_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'automl_metric_mae_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_r2_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'automl_metric_r2_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_log_loss_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'automl_metric_log_loss_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_rank_accum(state bytea, score float8, actual boolean)
RETURNS bytea AS 'MODULE_PATHNAME', 'automl_metric_rank_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_rank_combine(a bytea, b bytea)
RETURNS bytea AS 'MODULE_PATHNAME', 'automl_metric_rank_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_compare_accum(state bytea, score_a float8, score_b float8, actual boolean)
RETURNS bytea AS 'MODULE_PATHNAME', 'automl_metric_compare_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_compare_final(state bytea)
RETURNS jsonb AS 'MODULE_PATHNAME', 'automl_metric_compare_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_roc_auc_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'automl_metric_roc_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION automl.metric_pr_auc_final(state bytea)
RETURNS float8 AS 'MODULE_PATHNAME', 'automl_metric_pr_auc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE automl.rmse(prediction float8, actual float8) (
	SFUNC = automl.metric_accum, STYPE = bytea, FINALFUNC = automl.metric_rmse_final,
	COMBINEFUNC = automl.metric_combine, PARALLEL = SAFE);
CREATE AGGREGATE automl.mae(prediction float8, actual float8) (
	SFUNC = automl.metric_accum, STYPE = bytea, FINALFUNC = automl.metric_mae_final,
	COMBINEFUNC = automl.metric_combine, PARALLEL = SAFE);
CREATE AGGREGATE automl.r2(prediction float8, actual float8) (
	SFUNC = automl.metric_accum, STYPE = bytea, FINALFUNC = automl.metric_r2_final,
	COMBINEFUNC = automl.metric_combine, PARALLEL = SAFE);
CREATE AGGREGATE automl.log_loss(probability float8, actual boolean) (
	SFUNC = automl.metric_prob_accum, STYPE = bytea, FINALFUNC = automl.metric_log_loss_final,
	COMBINEFUNC = automl.metric_combine, PARALLEL = SAFE);
CREATE AGGREGATE automl.log_loss(probability_of_actual float8) (
	SFUNC = automl.metric_prob_accum, STYPE = bytea, FINALFUNC = automl.metric_log_loss_final,
	COMBINEFUNC = automl.metric_combine, PARALLEL = SAFE);
CREATE AGGREGATE automl.roc_auc(score float8, actual boolean) (
	SFUNC = automl.metric_rank_accum, STYPE = bytea, FINALFUNC = automl.metric_roc_auc_final,
	COMBINEFUNC = automl.metric_rank_combine, PARALLEL = SAFE);
CREATE AGGREGATE automl.pr_auc(score float8, actual boolean) (
	SFUNC = automl.metric_rank_accum, STYPE = bytea, FINALFUNC = automl.metric_pr_auc_final,
	COMBINEFUNC = automl.metric_rank_combine, PARALLEL = SAFE);
CREATE AGGREGATE automl.roc_auc_compare(score_a float8, score_b float8, actual boolean) (
	SFUNC = automl.metric_compare_accum, STYPE = bytea, FINALFUNC = automl.metric_compare_final,
	COMBINEFUNC = automl.metric_rank_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE automl.rmse(float8, float8) IS 'root mean squared error of predictions against actual values';
COMMENT ON AGGREGATE automl.mae(float8, float8) IS 'mean absolute error of predictions against actual values';
COMMENT ON AGGREGATE automl.r2(float8, float8) IS 'coefficient of determination of predictions against actual values';
COMMENT ON AGGREGATE automl.log_loss(float8, boolean) IS 'binary log loss of the probability of true against the actual boolean';
COMMENT ON AGGREGATE automl.log_loss(float8) IS 'log loss of the probability each row''s actual class was given (multiclass)';
COMMENT ON AGGREGATE automl.roc_auc(float8, boolean) IS 'area under the ROC curve of scores against the actual boolean (ties count half)';
COMMENT ON AGGREGATE automl.pr_auc(float8, boolean) IS 'average precision of scores against the actual boolean';
COMMENT ON AGGREGATE automl.roc_auc_compare(float8, float8, boolean) IS 'DeLong''s test of two scores'' AUCs on the same rows: both AUCs, the difference, its standard error, z and p-value (jsonb)';
