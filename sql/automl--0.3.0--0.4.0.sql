/* automl--0.3.0--0.4.0.sql: per-row scoring reads the row's columns */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.4.0'" to load this file. \quit

-- The columns form of automl_predict and automl_predict_proba: the row
-- passed as its type and every column's value.  The planner writes these
-- calls (see automl_predict_support); they are not meant to be called by
-- hand, and say so when their arguments do not match the row type.
CREATE FUNCTION automl_predict_columns(model text, row_type oid, VARIADIC columns "any")
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_columns'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_columns(text, oid, "any")
	IS 'automl_predict with the row passed as its columns (written by the planner)';

CREATE FUNCTION automl_predict_proba_columns(model text, class text, row_type oid, VARIADIC columns "any")
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_proba_columns'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_proba_columns(text, text, oid, "any")
	IS 'automl_predict_proba with the row passed as its columns (written by the planner)';

-- The planner support function: a call over a table's whole row becomes
-- the columns form, so no whole-row value is built per row.
CREATE FUNCTION automl_predict_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'automl_predict_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_support(internal)
	IS 'planner support of automl_predict and automl_predict_proba: passes a table row''s columns';

ALTER FUNCTION automl_predict(text, anyelement) SUPPORT automl_predict_support;
ALTER FUNCTION automl_predict_proba(text, anyelement, text) SUPPORT automl_predict_support;
