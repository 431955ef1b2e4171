-- upgrade: DROP EXTENSION removes everything; the versioned script installs
DROP EXTENSION automl CASCADE;
SELECT count(*) AS automl_schemas FROM pg_namespace WHERE nspname = 'automl';
SELECT count(*) AS automl_functions FROM pg_proc WHERE proname LIKE 'automl%';
CREATE EXTENSION automl VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')
 ORDER BY pg_describe_object(classid, objid, objsubid) COLLATE "C";
-- a model trained under 0.1.0 (row written directly: 0.1.0 had no guard)
INSERT INTO automl.models (name, version, task, target, source, algorithm, metric, hyperparameters,
	features, metrics, baseline, options, rows, test_rows, seconds, model)
VALUES ('Old "0.1" model', 1, 'binary', 'y', 't', 'baseline', 'roc_auc', '{}', '[]', '{}', '{}', '{}', 10, 2, 0.1, '\x00');
-- 0.1.0 -> 0.2.0: governance
ALTER EXTENSION automl UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')
 ORDER BY pg_describe_object(classid, objid, objsubid) COLLATE "C";
-- names trained before the upgrade belong to the role that trained version 1
SELECT p.model, p.owner::text = m.created_by::text AS owned_by_trainer, p.require_approval
  FROM automl.policies p JOIN automl.models m ON m.name = p.model AND m.version = 1;
SELECT name, version, status FROM automl.models;
-- 0.2.0 -> 0.3.0: explanations, fairness, assessment, reports
ALTER EXTENSION automl UPDATE TO '0.3.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT name, version, diagnostics FROM automl.models;
-- 0.3.0 -> 0.4.0: per-row scoring over a table passes the row's columns
ALTER EXTENSION automl UPDATE TO '0.4.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT p.oid::regprocedure AS function, p.prosupport AS support
  FROM pg_proc p WHERE p.prosupport <> 0 AND p.proname LIKE 'automl%' ORDER BY p.oid::regprocedure::text COLLATE "C";
-- 0.4.0 -> 0.5.0: importance by gain lists generated features
ALTER EXTENSION automl UPDATE TO '0.5.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT obj_description('automl_importance(text, integer)'::regprocedure, 'pg_proc') AS importance_comment;
-- 0.5.0 -> 0.6.0: automl_evaluate, automl_drift
ALTER EXTENSION automl UPDATE TO '0.6.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p WHERE p.proname IN ('automl_evaluate', 'automl_drift') ORDER BY p.oid::regprocedure::text COLLATE "C";
-- 0.6.0 -> 0.7.0: training in a background worker
ALTER EXTENSION automl UPDATE TO '0.7.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p WHERE p.proname IN ('automl_train_start', 'automl_job_wait', 'automl_job_cancel',
								   'job_wait_until', 'job_alive', 'automl_jobs_purge', 'automl_drift_record') ORDER BY p.oid::regprocedure::text COLLATE "C";
SELECT count(*) AS jobs FROM automl.jobs;
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p WHERE p.proname LIKE 'automl_predict%' AND p.proargtypes[0] = 'automl.models'::regtype
 ORDER BY p.oid::regprocedure::text COLLATE "C";
-- 0.7.0 -> 0.8.0: metric aggregates
ALTER EXTENSION automl UPDATE TO '0.8.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT p.oid::regprocedure AS aggregate, a.aggtranstype::regtype AS state, a.aggcombinefn <> 0 AS combines,
	   p.proparallel, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
 WHERE p.pronamespace = 'automl'::regnamespace ORDER BY p.oid::regprocedure::text COLLATE "C";
-- per-group models need the 0.9.0 catalog: a newer library says so
SELECT automl_train('customers', 'churn', options => '{"group_by": "area_code"}');
-- 0.8.0 -> 0.9.0: per-group models; the leaderboard names each candidate's group
ALTER EXTENSION automl UPDATE TO '0.9.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute WHERE attrelid = 'automl.leaderboard'::regclass AND attnum > 0 ORDER BY attnum;
SELECT model, version, rank, group_value FROM automl.leaderboard;
-- every catalog table has its row-level policy
SELECT tablename, policyname, cmd FROM pg_policies WHERE schemaname = 'automl' ORDER BY 1;
-- a fresh install of the default version has the same objects as the upgrade
CREATE TEMP TABLE upgraded AS
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl');
DROP EXTENSION automl CASCADE;
CREATE EXTENSION automl;
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT (SELECT count(*) FROM upgraded) AS upgraded_members,
	   (SELECT count(*) FROM (
			SELECT member FROM upgraded EXCEPT
			SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
			 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
			   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')) d) AS missing_in_fresh;
