-- governance: an analyst trains, shares with a data scientist who reviews
-- and approves, an application scores; an outsider sees and does nothing.
-- Every refusal shows its message, detail, hint and SQLSTATE.
SET automl.progress = off;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE automl_gov_analyst;
CREATE ROLE automl_gov_scientist;
CREATE ROLE automl_gov_app;
CREATE ROLE automl_gov_outsider;
CREATE ROLE "automl_gov_Review Team";		-- a group role: quotes, space, mixed case
CREATE ROLE automl_gov_carol;
CREATE ROLE automl_gov_dba SUPERUSER;		-- a superuser that is not the extension owner
GRANT SELECT ON customers TO automl_gov_analyst, automl_gov_scientist, automl_gov_app, automl_gov_carol;

-- the catalog: readable through row-level security, never writable
SELECT c.relname, c.relrowsecurity,
	   has_table_privilege('automl_gov_outsider', c.oid, 'SELECT') AS can_select,
	   has_table_privilege('automl_gov_outsider', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS can_write
  FROM pg_class c WHERE c.relnamespace = 'automl'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;

-- 1. the analyst trains; a new name belongs to the role that trains it
SET ROLE automl_gov_analyst;
SELECT model, version, algorithm FROM automl_train('customers', 'churn', name => 'Churn "Q3" model',
	options => '{"algorithm": "linear"}');
SELECT name, version, status, created_by FROM automl.models ORDER BY name, version;
SELECT name, version, reason, deployed_by FROM automl.deployed_models;
SELECT model, owner, require_approval FROM automl.policies;
SELECT current_user;

-- 2. the outsider sees nothing and can do nothing
SET ROLE automl_gov_outsider;
SELECT (SELECT count(*) FROM automl.models) AS models, (SELECT count(*) FROM automl.candidates) AS candidates,
	   (SELECT count(*) FROM automl.deployments) AS deployments, (SELECT count(*) FROM automl.leaderboard) AS leaderboard,
	   (SELECT count(*) FROM automl.deployed_models) AS deployed, (SELECT count(*) FROM automl.audit) AS audit,
	   (SELECT count(*) FROM automl.shares) AS shares, (SELECT count(*) FROM automl.policies) AS policies;
SELECT automl_predict('Churn "Q3" model', r) FROM (SELECT 'KS' AS state) r;
\echo :LAST_ERROR_SQLSTATE
SELECT automl_predict_proba('Churn "Q3" model', r) FROM (SELECT 'KS' AS state) r;
\echo :LAST_ERROR_SQLSTATE
SELECT automl_model_info('Churn "Q3" model');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_train('SELECT i AS x, i % 2 = 0 AS churn FROM generate_series(1, 60) i', 'churn',
	name => 'Churn "Q3" model', options => '{"algorithm": "linear"}');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_deploy('Churn "Q3" model', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_share('Churn "Q3" model', 'automl_gov_outsider', 'use');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM automl_review('Churn "Q3" model');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_drop('Churn "Q3" model');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO automl.shares (model, grantee, privilege, granted_by)
	VALUES ('Churn "Q3" model', 'automl_gov_outsider', 'use', 'automl_gov_outsider');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_predict('no such model', r) FROM (SELECT 1 AS x) r;
\echo :LAST_ERROR_SQLSTATE

-- 3. the analyst shares (review for the data scientist, use for the
-- application) and turns the approval gate on
SET ROLE automl_gov_analyst;
SELECT automl_share('Churn "Q3" model', 'automl_gov_scientist');
SELECT automl_share('Churn "Q3" model', 'automl_gov_app', 'use');
SELECT automl_share('Churn "Q3" model', 'automl_gov_app', 'use');
SELECT automl_share('Churn "Q3" model', 'automl_gov_app', 'admin');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_set_policy('Churn "Q3" model', true);
SELECT model, grantee, privilege, granted_by FROM automl.shares ORDER BY grantee::text, privilege;

-- 4. under the gate a new version waits: not deployed, not deployable,
-- and never approved by the role that trained it
SELECT model, version, algorithm FROM automl_train('customers', 'churn', name => 'Churn "Q3" model',
	options => '{"algorithm": "decision_tree", "params": {"max_depth": 4}}');
SELECT version, status, created_by FROM automl.models WHERE name = 'Churn "Q3" model' ORDER BY version;
SELECT version FROM automl.deployed_models WHERE name = 'Churn "Q3" model';
SELECT automl_deploy('Churn "Q3" model', 2);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_approve('Churn "Q3" model', 2);
\echo :LAST_ERROR_SQLSTATE
-- the same refusal caught in a PL/pgSQL block: the caller's role and search_path are back
DO $$
BEGIN
	PERFORM automl_approve('Churn "Q3" model', 2);
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'caught %: current_user is %, search_path is %', SQLSTATE, current_user, current_setting('search_path');
END$$;

-- 5. the data scientist pops the hood, approves and deploys
SET ROLE automl_gov_scientist;
SELECT name, version, status FROM automl.models ORDER BY version;
SELECT version, rank, learner FROM automl.leaderboard WHERE model = 'Churn "Q3" model' ORDER BY version, rank;
SELECT "check", status, CASE WHEN "check" = 'training_time' THEN regexp_replace(detail, '^[0-9.]+ s', 'N s') ELSE detail END AS detail
  FROM automl_review('Churn "Q3" model');
SELECT automl_approve('Churn "Q3" model', 2, 'clear lift over the baseline; no leakage');
SELECT automl_approve('Churn "Q3" model', 2);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_deploy('Churn "Q3" model', 2);
SELECT version, status, reviewed_by, review_comment FROM automl.models WHERE name = 'Churn "Q3" model' ORDER BY version;
SELECT automl_share('Churn "Q3" model', 'automl_gov_outsider', 'use');
\echo :LAST_ERROR_SQLSTATE

-- 6. the application scores with it and can do nothing else
SET ROLE automl_gov_app;
SELECT churn, automl_predict('Churn "Q3" model', c) AS predicted,
	   round(automl_predict_proba('Churn "Q3" model', c)::numeric, 3) AS p_yes
  FROM (SELECT * FROM customers LIMIT 3) c;
SELECT name, version, status FROM automl.models ORDER BY version;
SELECT count(*) AS leaderboard_rows FROM automl.leaderboard;
SELECT model, grantee, privilege FROM automl.shares;
SELECT automl_deploy('Churn "Q3" model', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_rollback('Churn "Q3" model');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_train('customers', 'churn', name => 'Churn "Q3" model', options => '{"algorithm": "linear"}');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_review('Churn "Q3" model');
\echo :LAST_ERROR_SQLSTATE
UPDATE automl.models SET model = '\x00'::bytea WHERE name = 'Churn "Q3" model';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM automl.deployments;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE automl.candidates;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM automl.audit;
\echo :LAST_ERROR_SQLSTATE
SET automl.require_approval = off;
\echo :LAST_ERROR_SQLSTATE

-- 7. a superuser that is not the extension owner cannot write the
-- catalog directly or edit the audit trail either
SET ROLE automl_gov_dba;
UPDATE automl.models SET model = '\x00'::bytea WHERE name = 'Churn "Q3" model';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM automl.audit WHERE model = 'Churn "Q3" model';
\echo :LAST_ERROR_SQLSTATE
UPDATE automl.audit SET role = 'nobody' WHERE model = 'Churn "Q3" model';
\echo :LAST_ERROR_SQLSTATE
TRUNCATE automl.audit;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO automl.audit (role, action, model) VALUES ('nobody', 'train', 'forged');
\echo :LAST_ERROR_SQLSTATE

-- 8. rejection needs a comment and is final; rollback passes over it
SET ROLE automl_gov_analyst;
SELECT model, version FROM automl_train('customers', 'churn', name => 'Churn "Q3" model',
	options => '{"algorithm": "decision_tree", "params": {"max_depth": 2}}');
SET ROLE automl_gov_scientist;
SELECT automl_reject('Churn "Q3" model', 3, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_reject('Churn "Q3" model', 3, '  ');
\echo :LAST_ERROR_SQLSTATE
SELECT automl_reject('Churn "Q3" model', 3, 'depth 2 underfits: worse than version 2');
SELECT automl_approve('Churn "Q3" model', 3);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_deploy('Churn "Q3" model', 3);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_reject('Churn "Q3" model', 2, 'changed my mind');
\echo :LAST_ERROR_SQLSTATE
SELECT "check", status FROM automl_review('Churn "Q3" model', 3) WHERE "check" = 'approval';
-- automl_predict given the rejected version's catalog row refuses it too
SELECT automl_predict(m, c) FROM automl.models m, customers c
 WHERE m.name = 'Churn "Q3" model' AND m.version = 3 LIMIT 1;
SELECT automl_rollback('Churn "Q3" model');
SELECT automl_rollback('Churn "Q3" model');
SELECT version, reason, deployed_by FROM automl.deployments WHERE name = 'Churn "Q3" model' ORDER BY id;
SELECT automl_approve('Churn "Q3" model', 99);
\echo :LAST_ERROR_SQLSTATE

-- 9. a superuser is no exception to separation of duties
SET ROLE automl_gov_dba;
SELECT model, version FROM automl_train('customers', 'churn', name => 'Churn "Q3" model',
	options => '{"algorithm": "linear", "params": {"alpha": 10}}');
SELECT automl_approve('Churn "Q3" model', 4);
\echo :LAST_ERROR_SQLSTATE
-- but it may turn the gate off (audited), and then a pending version deploys
SELECT automl_set_policy('Churn "Q3" model', false);
SELECT automl_deploy('Churn "Q3" model', 4);
SELECT automl_deploy('Churn "Q3" model', 3);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_deploy('Churn "Q3" model', 2);

-- 10. the database-wide gate: only a superuser sets it
SET automl.require_approval = on;
SET ROLE automl_gov_analyst;
SHOW automl.require_approval;
SELECT model, version FROM automl_train('customers', 'churn', name => 'analyst''s "other" model',
	options => '{"algorithm": "linear"}');
SELECT name, version, status FROM automl.models WHERE name = 'analyst''s "other" model';
SELECT count(*) AS deployed FROM automl.deployed_models WHERE name = 'analyst''s "other" model';
SELECT automl_set_policy('analyst''s "other" model', false);
RESET ROLE;
RESET automl.require_approval;

-- 11. sharing with a group role shares with its members; revoking the
-- membership revokes the access
SET ROLE automl_gov_analyst;
SELECT automl_share('analyst''s "other" model', '"automl_gov_Review Team"', 'review');
RESET ROLE;
GRANT "automl_gov_Review Team" TO automl_gov_carol;
SET ROLE automl_gov_carol;
SELECT automl.has_privilege('analyst''s "other" model', 'use') AS can_use,
	   automl.has_privilege('analyst''s "other" model', 'review') AS can_review,
	   automl.has_privilege('analyst''s "other" model', 'train') AS can_train,
	   automl.has_privilege('Churn "Q3" model', 'use') AS can_use_churn;
SELECT name, version, status FROM automl.models;
SELECT automl_approve('analyst''s "other" model', 1, 'fine for the pilot');
SELECT automl_deploy('analyst''s "other" model', 1);
SELECT count(*) AS scored FROM customers c WHERE automl_predict('analyst''s "other" model', c) IS NOT NULL;
RESET ROLE;
REVOKE "automl_gov_Review Team" FROM automl_gov_carol;
SET ROLE automl_gov_carol;
SELECT count(*) AS models FROM automl.models;
SELECT automl_predict('analyst''s "other" model', c) FROM customers c LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
-- train on a shared name; unshare takes one privilege or all
SET ROLE automl_gov_analyst;
SELECT automl_share('analyst''s "other" model', 'automl_gov_scientist', 'train');
SET ROLE automl_gov_scientist;
SELECT model, version FROM automl_train('customers', 'churn', name => 'analyst''s "other" model',
	options => '{"algorithm": "decision_tree", "params": {"max_depth": 3}}');
SET ROLE automl_gov_analyst;
SELECT automl_unshare('analyst''s "other" model', 'automl_gov_scientist', 'train');
SELECT automl_unshare('analyst''s "other" model', 'automl_gov_scientist');
SELECT automl_unshare('analyst''s "other" model', '"automl_gov_Review Team"');
SELECT model, grantee, privilege FROM automl.shares WHERE model = 'analyst''s "other" model';

-- 12. an error inside automl_train run by a non-owner: the caller's role,
-- security context and search_path come back, and nothing is written
RESET ROLE;
CREATE FUNCTION gov_fail() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'injected failure while writing the catalog as %', current_user; END$$;
CREATE TRIGGER gov_fail BEFORE INSERT ON automl.audit FOR EACH ROW
	WHEN (NEW.role = 'automl_gov_scientist') EXECUTE FUNCTION gov_fail();
SET ROLE automl_gov_scientist;
SET search_path = public;
SELECT automl_train('customers', 'churn', name => 'Scientist''s Model', options => '{"algorithm": "linear"}');
SELECT current_user, session_user, current_setting('search_path') AS search_path;
SET ROLE automl_gov_analyst;	-- SET ROLE works: no security-restricted context left behind
RESET ROLE;
RESET search_path;
SELECT (SELECT count(*) FROM automl.models WHERE name = 'Scientist''s Model') AS models,
	   (SELECT count(*) FROM automl.policies WHERE model = 'Scientist''s Model') AS policies,
	   (SELECT count(*) FROM automl.audit WHERE model = 'Scientist''s Model') AS audit;
DROP TRIGGER gov_fail ON automl.audit;
DROP FUNCTION gov_fail();

-- 13. drop: one version (never the deployed one), or the whole model
SET ROLE automl_gov_scientist;
SELECT automl_drop('Churn "Q3" model', 3);
\echo :LAST_ERROR_SQLSTATE
SET ROLE automl_gov_analyst;
SELECT automl_drop('Churn "Q3" model', 2);
\echo :LAST_ERROR_SQLSTATE
SELECT automl_drop('Churn "Q3" model', 3);
SELECT version, status FROM automl.models WHERE name = 'Churn "Q3" model' ORDER BY version;

-- 14. the audit trail: every step, by whom, in order
SET ROLE automl_gov_analyst;
SELECT role, action, version,
	   detail - 'test_score' - 'baseline_score' - 'source' - 'target' - 'task' - 'rows' - 'metric' - 'budget_seconds' AS detail
  FROM automl.audit WHERE model = 'Churn "Q3" model' ORDER BY id;
SELECT detail->>'source' AS source, detail->>'metric' AS metric, detail->>'budget_seconds' AS budget
  FROM automl.audit WHERE model = 'Churn "Q3" model' AND action = 'train' ORDER BY id LIMIT 1;
SELECT role, action, version, detail FROM automl.audit WHERE model = 'analyst''s "other" model' ORDER BY id;
RESET ROLE;

-- clean up: the whole models, then the roles
SELECT automl_drop('Churn "Q3" model');
SELECT automl_drop('analyst''s "other" model');
SELECT automl_drop('Churn "Q3" model');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM automl.models WHERE name IN ('Churn "Q3" model', 'analyst''s "other" model')) AS models,
	   (SELECT count(*) FROM automl.shares) AS shares,
	   (SELECT count(*) FROM automl.policies WHERE model IN ('Churn "Q3" model', 'analyst''s "other" model')) AS policies,
	   (SELECT count(*) FROM automl.audit WHERE action = 'drop' AND model IN ('Churn "Q3" model', 'analyst''s "other" model')) AS drops;
DROP OWNED BY automl_gov_analyst, automl_gov_scientist, automl_gov_app, automl_gov_outsider,
	"automl_gov_Review Team", automl_gov_carol, automl_gov_dba;
DROP ROLE automl_gov_analyst, automl_gov_scientist, automl_gov_app, automl_gov_outsider,
	"automl_gov_Review Team", automl_gov_carol, automl_gov_dba;
RESET automl.progress;
