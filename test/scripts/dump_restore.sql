-- dump_restore.sql: state that must survive pg_dump / restore (run by test.sh)
SET automl.progress = off;
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE concrete (
	cement float8, blast_furnace_slag float8, fly_ash float8, water float8,
	superplasticizer float8, coarse_aggregate float8, fine_aggregate float8,
	age int, compressive_strength float8);
\copy concrete FROM 'test/data/concrete.csv' CSV HEADER
SELECT version FROM automl_train('concrete', 'compressive_strength', options => '{"algorithm": "linear"}');
SELECT version FROM automl_train('concrete', 'compressive_strength', options => '{"algorithm": "decision_tree"}');
SELECT automl_deploy('concrete_compressive_strength', 1);
-- governance state: a share, a policy, an approval, and the audit trail
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'automl_dump_reviewer') THEN
		CREATE ROLE automl_dump_reviewer;
	END IF;
END $$;
SELECT automl_share('concrete_compressive_strength', 'automl_dump_reviewer', 'review');
SELECT automl_set_policy('concrete_compressive_strength', true);
-- an assessment (ordered by a numeric column with option time_column)
SELECT verdict IS NOT NULL AS assessed FROM automl_assess('concrete', 'compressive_strength', '3 seconds',
	options => '{"algorithms": ["linear"], "time_column": "age"}');
-- a background training's job record
SELECT automl_train_start('concrete', 'compressive_strength', name => 'concrete_bg', budget => '3 seconds',
	options => '{"algorithms": ["linear"]}') AS job \gset
SELECT state FROM automl_job_wait(:job);
-- a drift check on record
SELECT features FROM automl_drift_record('concrete_compressive_strength', 'concrete');
