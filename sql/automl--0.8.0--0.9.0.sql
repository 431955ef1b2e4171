/* automl--0.8.0--0.9.0.sql: per-group models */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.9.0'" to load this file. \quit

-- automl_train(..., options => '{"group_by": "region"}') searches one model
-- per value of a column; each candidate of the leaderboard names the group
-- value its model is for (NULL: the model of every row, or no groups).
ALTER TABLE automl.candidates ADD COLUMN IF NOT EXISTS group_value text;
COMMENT ON COLUMN automl.candidates.group_value IS 'per-group training: the group value this candidate''s model is for (NULL: the model of every row)';

CREATE OR REPLACE VIEW automl.leaderboard WITH (security_barrier) AS
	SELECT m.name AS model, m.version, c.rank, c.learner, c.score, m.metric,
		   c.hyperparameters, round(c.fit_seconds::numeric, 3) AS fit_seconds,
		   c.sample_rows, c.group_value
	  FROM automl.candidates c
	  JOIN automl.models m ON m.id = c.model_id
	 WHERE automl.has_privilege(m.name, 'review');
COMMENT ON VIEW automl.leaderboard IS 'candidates of every model version the current role may review, with their rank (per-group models: by group, then score)';
