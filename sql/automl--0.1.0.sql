/* automl--0.1.0.sql: the base install script (frozen once released) */

\echo Use "CREATE EXTENSION automl" to load this file. \quit

CREATE SCHEMA IF NOT EXISTS automl;
COMMENT ON SCHEMA automl IS 'automl catalog: models, candidates, deployments';

-- Every training stores a new version of a model name.  Rows are never
-- updated in place (a deploy changes automl.deployments only).
CREATE TABLE IF NOT EXISTS automl.models (
	id				bigserial PRIMARY KEY,
	name			text NOT NULL,
	version			integer NOT NULL,
	task			text NOT NULL,
	target			text NOT NULL,
	source			text NOT NULL,
	algorithm		text NOT NULL,
	metric			text NOT NULL,
	test_score		float8,
	baseline_score	float8,
	hyperparameters jsonb NOT NULL,
	features		jsonb NOT NULL,
	metrics			jsonb NOT NULL,
	baseline		jsonb NOT NULL,
	options			jsonb NOT NULL,
	rows			bigint NOT NULL,
	test_rows		bigint NOT NULL,
	seconds			float8 NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	created_by		name NOT NULL DEFAULT current_user,
	status			text NOT NULL DEFAULT 'ready',
	model			bytea NOT NULL,
	UNIQUE (name, version)
);
ALTER TABLE automl.models ALTER COLUMN model SET STORAGE EXTERNAL;
COMMENT ON TABLE automl.models IS 'every trained model version, with its metrics and its serialized model';

-- The leaderboard: every configuration the search tried.
CREATE TABLE IF NOT EXISTS automl.candidates (
	model_id		bigint NOT NULL REFERENCES automl.models (id) ON DELETE CASCADE,
	rank			integer NOT NULL,
	learner			text NOT NULL,
	hyperparameters jsonb NOT NULL,
	score			float8,
	fit_seconds		float8 NOT NULL,
	sample_rows		bigint NOT NULL,
	PRIMARY KEY (model_id, rank)
);
COMMENT ON TABLE automl.candidates IS 'every candidate the search evaluated, ranked by validation score';

-- Deployment history: the latest row per name is the deployed version.
CREATE TABLE IF NOT EXISTS automl.deployments (
	id				bigserial PRIMARY KEY,
	name			text NOT NULL,
	version			integer NOT NULL,
	model_id		bigint NOT NULL REFERENCES automl.models (id) ON DELETE CASCADE,
	reason			text NOT NULL,
	deployed_at		timestamptz NOT NULL DEFAULT now(),
	deployed_by		name NOT NULL DEFAULT current_user
);
CREATE INDEX IF NOT EXISTS deployments_name_idx ON automl.deployments (name, id DESC);
COMMENT ON TABLE automl.deployments IS 'deployment history; the latest row per model name is deployed';

SELECT pg_catalog.pg_extension_config_dump('automl.models', '');
SELECT pg_catalog.pg_extension_config_dump('automl.models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.candidates', '');
SELECT pg_catalog.pg_extension_config_dump('automl.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('automl.deployments_id_seq', '');

CREATE OR REPLACE VIEW automl.leaderboard AS
	SELECT m.name AS model, m.version, c.rank, c.learner, c.score, m.metric,
		   c.hyperparameters, round(c.fit_seconds::numeric, 3) AS fit_seconds,
		   c.sample_rows
	  FROM automl.candidates c
	  JOIN automl.models m ON m.id = c.model_id;
COMMENT ON VIEW automl.leaderboard IS 'candidates of every model version, with their rank';

CREATE OR REPLACE VIEW automl.deployed_models AS
	SELECT m.id, m.name, m.version, m.task, m.target, m.algorithm, m.metric,
		   m.test_score, m.baseline_score, m.rows, d.deployed_at, d.deployed_by,
		   d.reason
	  FROM (SELECT DISTINCT ON (name) name, model_id, deployed_at, deployed_by, reason
			  FROM automl.deployments
			 ORDER BY name, id DESC) d
	  JOIN automl.models m ON m.id = d.model_id;
COMMENT ON VIEW automl.deployed_models IS 'the deployed version of every model name';

CREATE TYPE automl.train_result AS (
	model			text,
	version			integer,
	task			text,
	algorithm		text,
	metric			text,
	test_score		float8,
	baseline_score	float8,
	rows			bigint,
	seconds			float8
);

CREATE FUNCTION automl_train(
	source text,
	target text,
	name text DEFAULT NULL,
	task text DEFAULT 'auto',
	budget interval DEFAULT '1 minute',
	metric text DEFAULT 'auto',
	exclude text[] DEFAULT NULL,
	options jsonb DEFAULT '{}')
RETURNS automl.train_result
AS 'MODULE_PATHNAME', 'automl_train'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_train(text, text, text, text, interval, text, text[], jsonb)
	IS 'trains the best model found within the budget and stores it as a new version';

CREATE FUNCTION automl_predict(model text, features anyelement)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict(text, anyelement)
	IS 'predicts the class label (as text) or the regression value for a row';

CREATE FUNCTION automl_predict_proba(model text, features anyelement, class text DEFAULT NULL)
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_proba'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_proba(text, anyelement, text)
	IS 'probability of a class (default: the positive class of a binary model, the predicted class otherwise)';

CREATE FUNCTION automl_deploy(model text, version integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'automl_deploy'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_deploy(text, integer)
	IS 'makes a version the one automl_predict uses for the model name';

-- automl_model_check deserializes a stored model version (for diagnosis).
CREATE FUNCTION automl_model_info(model text, version integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_model_info'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_model_info(text, integer)
	IS 'reads a stored model and describes its inputs, classes and size';

CREATE FUNCTION automl_scan(source text, target text,
	OUT rows bigint, OUT columns integer, OUT frame_bytes bigint,
	OUT float32_bytes bigint, OUT seconds float8)
AS 'MODULE_PATHNAME', 'automl_scan'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_scan(text, text)
	IS 'reads a source into the training frame and reports rows, memory and time (no training)';

CREATE TYPE automl.batch_prediction AS (
	id				text,
	prediction		text,
	probability		float8
);

CREATE FUNCTION automl_predict_batch(model text, source text, id text DEFAULT NULL)
RETURNS SETOF automl.batch_prediction
AS 'MODULE_PATHNAME', 'automl_predict_batch'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl_predict_batch(text, text, text)
	IS 'scores every row of a table, view or query in blocks: (id, prediction, probability of the predicted class)';
