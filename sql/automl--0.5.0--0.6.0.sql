/* automl--0.5.0--0.6.0.sql: automl_evaluate and automl_drift */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.6.0'" to load this file. \quit

-- automl_evaluate: the metrics of a model (the deployed version by default)
-- on the labelled rows of any table, view or query, read with the caller's
-- privileges, next to the same metrics on its test split at training.
-- Reads only: it writes nothing, so it runs in read-only transactions and
-- on standbys.
CREATE FUNCTION automl_evaluate(model text, source text, version integer DEFAULT NULL)
RETURNS TABLE (metric text, value float8, test_value float8, rows bigint)
AS 'MODULE_PATHNAME', 'automl_evaluate'
LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_evaluate(text, text, integer)
	IS 'metrics of a model on labelled rows of a source, next to its test-split metrics at training';

-- automl_drift: for every column a model reads, the population stability
-- index of its distribution on a source (no labels needed) against the
-- training rows', over the bins training stored in automl.models.features
-- ("distribution", since 0.6.0).  Reads only.
CREATE FUNCTION automl_drift(model text, source text, version integer DEFAULT NULL)
RETURNS TABLE (feature text, kind text, psi float8, drift text, missing_rate float8,
	training_missing_rate float8, largest_change text)
AS 'MODULE_PATHNAME', 'automl_drift'
LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_drift(text, text, integer)
	IS 'per column a model reads: population stability index of a source against the training rows';
