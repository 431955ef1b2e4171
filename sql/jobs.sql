-- jobs: automl_train_start runs automl_train in a background worker
\set VERBOSITY default

-- the test waits (at most 30 s) until a job's state is want, or with
-- leaving, is no longer want; it says whether that came
CREATE FUNCTION job_reaches(m text, want text, leaving boolean DEFAULT false) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1..600 LOOP
		IF ((SELECT state FROM automl.job_status WHERE model = m) = want) <> leaving THEN
			RETURN true;
		END IF;
		PERFORM pg_sleep(0.05);
	END LOOP;
	RETURN false;
END $$;

-- a job as a plain LOGIN role: the worker connects as that role, reads with
-- its privileges, and the model is that role's
CREATE ROLE automl_job_analyst LOGIN;
CREATE ROLE automl_job_other LOGIN;
GRANT SELECT ON penguins, customers TO automl_job_analyst;
SET ROLE automl_job_analyst;
SET automl.threads = 1;
SELECT automl_train_start('penguins', 'species', name => 'penguins_bg', budget => '5 seconds') AS job \gset
-- queued until this statement's transaction committed, then running or done
SELECT state IN ('queued', 'running', 'done') AS started, model, owner FROM automl.job_status WHERE id = :job;
SELECT id = :job AS same_job, model, state, version, result->>'task' AS task,
       result->>'model' AS result_model, error, sqlstate,
       'task: multiclass (target "species" has 3 classes)' = ANY (notices) AS notice_kept,
       finished_at >= started_at AS ordered
  FROM automl_job_wait(:job);
-- the session's settings went with it
SELECT settings->>'automl.threads' AS threads, settings ? 'search_path' AS has_search_path,
       args->>'source' AS source, args->>'budget' AS budget
  FROM automl.jobs WHERE id = :job;
-- the model, its audit row: the job's role trained it
SELECT name, version, created_by FROM automl.models WHERE name = 'penguins_bg';
SELECT role, action, model, version FROM automl.audit WHERE model = 'penguins_bg';
RESET ROLE;

-- other roles see none of it
SET ROLE automl_job_other;
SELECT count(*) AS jobs_seen FROM automl.job_status;
SELECT count(*) AS rows_seen FROM automl.jobs;
SELECT automl_job_cancel(:job);
SELECT * FROM automl_job_wait(:job);
RESET ROLE;

-- a job whose training fails: the error is on record, nothing else is stored
CREATE TABLE job_one_class AS SELECT i AS x, 'a'::text AS y FROM generate_series(1, 50) i;
SELECT automl_train_start('job_one_class', 'y') AS bad_job \gset
SELECT state, version, result, error, error_detail, error_hint, sqlstate
  FROM automl_job_wait(:bad_job);
SELECT count(*) AS job_one_class_models FROM automl.models WHERE name = 'job_one_class_y';

-- cancel a running job: it ends as 'cancelled' within a second, and no model
-- is stored
SELECT automl_train_start('customers', 'churn', name => 'churn_bg', budget => '5 minutes') AS long_job \gset
SELECT job_reaches('churn_bg', 'queued', leaving => true) AS left_queue;
SELECT state, budget, ends_by BETWEEN started_at + interval '5 minutes' AND started_at + interval '6 minutes' AS ends_by_budget
  FROM automl.job_status WHERE id = :long_job;
SELECT pg_sleep(1);		-- well into the search
SELECT clock_timestamp() AS cancelled_at \gset
SELECT automl_job_cancel(:long_job);
SELECT state, error, sqlstate, finished_at - :'cancelled_at'::timestamptz < interval '1 second' AS within_a_second
  FROM automl_job_wait(:long_job, '30 seconds');
SELECT count(*) AS churn_bg_models FROM automl.models WHERE name = 'churn_bg';
-- cancelling an ended job does nothing
SELECT automl_job_cancel(:long_job);

-- the session's statement_timeout goes with the job, as it caps automl_train:
-- the budget ends before it, and the job keeps the NOTICE that says so
SET statement_timeout = '6s';
SELECT automl_train_start('customers', 'churn', name => 'timeout_bg', budget => '5 minutes') AS to_job \gset
RESET statement_timeout;
SELECT state, settings->>'statement_timeout' AS statement_timeout, (result->>'seconds')::float8 < 6 AS within_timeout,
	   EXISTS (SELECT 1 FROM unnest(notices) n WHERE n LIKE 'the budget ends before statement_timeout%') AS told
  FROM automl_job_wait(:to_job, '60 seconds');
-- one too short to leave a budget cancels the job, as it would the call
SET statement_timeout = '1s';
SELECT automl_train_start('customers', 'churn', name => 'timeout_bg', budget => '5 minutes') AS to_job \gset
RESET statement_timeout;
SELECT state, error, sqlstate FROM automl_job_wait(:to_job, '60 seconds');

-- a queued job cancelled before its transaction commits never starts
BEGIN;
SELECT automl_train_start('penguins', 'species', name => 'never_bg') AS q_job \gset
SELECT automl_job_cancel(:q_job);
-- waiting in the transaction that started it would wait forever
SELECT state FROM automl.job_status WHERE id = :q_job;
COMMIT;
SELECT state, error, sqlstate FROM automl_job_wait(:q_job, '10 seconds');
SELECT count(*) AS never_bg_models FROM automl.models WHERE name = 'never_bg';

-- a rolled-back start leaves no job; its worker finds none and quits
BEGIN;
SELECT automl_train_start('penguins', 'species', name => 'rolled_back_bg') AS rb_job \gset
SELECT * FROM automl_job_wait(:rb_job);
ROLLBACK;
SELECT count(*) AS rolled_back_jobs FROM automl.jobs WHERE model = 'rolled_back_bg';

-- a worker that is terminated leaves its job 'lost'
SELECT automl_train_start('customers', 'churn', name => 'lost_bg', budget => '5 minutes') AS lost_job \gset
SELECT job_reaches('lost_bg', 'running') AS reached;
SELECT pg_terminate_backend(pid) FROM automl.jobs WHERE id = :lost_job;
SELECT job_reaches('lost_bg', 'lost') AS reached;
SELECT state, progress, error FROM automl.job_status WHERE id = :lost_job;
SELECT state FROM automl_job_wait(:lost_job, '1 second');

-- what the caller is told before anything runs
SELECT automl_train_start('penguins', 'nope');
SELECT automl_train_start('penguins', 'species', exclude => '{nope}');
SELECT automl_train_start('penguins', 'species', options => '{"bogus": 1}');
SELECT automl_train_start('no_such_table', 'species');
SELECT automl_train_start(NULL, 'species');
CREATE TEMP TABLE penguins_tmp AS SELECT * FROM penguins;
SELECT automl_train_start('penguins_tmp', 'species');
CREATE ROLE automl_job_nologin;
GRANT SELECT ON penguins TO automl_job_nologin;
SET ROLE automl_job_nologin;
SELECT automl_train_start('penguins', 'species', name => 'nologin_bg');
RESET ROLE;
SET automl.max_jobs = 0;
SELECT automl_train_start('penguins', 'species');
RESET automl.max_jobs;
BEGIN READ ONLY;
SELECT automl_train_start('penguins', 'species');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM automl_job_wait(:job);
ROLLBACK;
SELECT * FROM automl_job_wait(:job, '-1 second');
SELECT automl_job_cancel(-1);
-- the cap counts the jobs queued or running in this database
SET automl.max_jobs = 1;
SELECT automl_train_start('customers', 'churn', name => 'capped_bg', budget => '5 minutes') AS cap_job \gset
SELECT automl_train_start('penguins', 'species', name => 'over_cap_bg');
SELECT automl_job_cancel(:cap_job);
SELECT state FROM automl_job_wait(:cap_job, '30 seconds');
RESET automl.max_jobs;
-- only superusers set the cap
SET ROLE automl_job_analyst;
SET automl.max_jobs = 10;
RESET ROLE;

-- every ended job, as its owner sees them
SELECT id - :job AS n, model, state, sqlstate FROM automl.job_status ORDER BY id;

-- purging the records of ended jobs: each role its own, a superuser any
SET ROLE automl_job_other;
SELECT automl_jobs_purge('0') AS purged_by_other;
RESET ROLE;
SET ROLE automl_job_analyst;
SELECT automl_jobs_purge('1 hour') AS purged_older_than_an_hour;
SELECT automl_jobs_purge('0') AS purged_own;
RESET ROLE;
SELECT count(*) AS jobs_left FROM automl.jobs;
-- a running job is not purged
SELECT automl_train_start('customers', 'churn', name => 'running_bg', budget => '5 minutes') AS run_job \gset
SELECT job_reaches('running_bg', 'running') AS reached;
SELECT automl_jobs_purge('0') AS purged_by_superuser;
SELECT model, state FROM automl.job_status;
SELECT automl_job_cancel(:run_job);
SELECT state FROM automl_job_wait(:run_job, '30 seconds');
SELECT automl_jobs_purge('0') AS purged_by_superuser;
SELECT count(*) AS jobs_left FROM automl.jobs;
-- the models the jobs trained stay
SELECT count(*) AS models_kept FROM automl.models WHERE name IN ('penguins_bg', 'timeout_bg');
SELECT automl_jobs_purge(NULL);
SELECT automl_jobs_purge('-1 day');

SELECT automl_drop('penguins_bg');
DROP TABLE job_one_class;
DROP FUNCTION job_reaches(text, text, boolean);
REVOKE ALL ON penguins, customers FROM automl_job_analyst, automl_job_nologin;
DROP ROLE automl_job_analyst, automl_job_other, automl_job_nologin;
