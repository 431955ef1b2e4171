/* automl--0.1.0--0.2.0.sql: collaboration and the approval gate (governance) */

\echo Use "ALTER EXTENSION automl UPDATE TO '0.2.0'" to load this file. \quit

-- Every model name has an owner (the role that trained its first version)
-- and an approval policy.  The gate is on for a name when require_approval
-- is set here or automl.require_approval is on.
CREATE TABLE IF NOT EXISTS automl.policies (
	model			text PRIMARY KEY,
	owner			regrole NOT NULL,
	require_approval boolean NOT NULL DEFAULT false,
	changed_at		timestamptz NOT NULL DEFAULT now(),
	changed_by		name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE automl.policies IS 'owner and approval policy of every model name';

-- Per-model privileges given by the owner: use, review or train.
CREATE TABLE IF NOT EXISTS automl.shares (
	model			text NOT NULL,
	grantee			regrole NOT NULL,
	privilege		text NOT NULL CHECK (privilege IN ('use', 'review', 'train')),
	granted_by		name NOT NULL,
	granted_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (model, grantee, privilege)
);
COMMENT ON TABLE automl.shares IS 'privileges on models shared with other roles (membership counts); each role sees the shares it may see';

-- The append-only audit trail, written in the transaction of each action.
CREATE TABLE IF NOT EXISTS automl.audit (
	id				bigserial PRIMARY KEY,
	at				timestamptz NOT NULL DEFAULT now(),
	role			name NOT NULL,
	action			text NOT NULL CHECK (action IN ('train', 'share', 'unshare', 'policy', 'approve',
													'reject', 'deploy', 'rollback', 'drop')),
	model			text NOT NULL,
	version			integer,
	detail			jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_model_idx ON automl.audit (model, id);
COMMENT ON TABLE automl.audit IS 'who trained, shared, approved, rejected, deployed, rolled back or dropped which model version, and when';

-- review state of each version
ALTER TABLE automl.models ADD COLUMN IF NOT EXISTS reviewed_by name;
ALTER TABLE automl.models ADD COLUMN IF NOT EXISTS reviewed_at timestamptz;
ALTER TABLE automl.models ADD COLUMN IF NOT EXISTS review_comment text;
ALTER TABLE automl.models DROP CONSTRAINT IF EXISTS models_status_check;
ALTER TABLE automl.models ADD CONSTRAINT models_status_check
	CHECK (status IN ('ready', 'pending', 'approved', 'rejected'));
COMMENT ON COLUMN automl.models.status IS
	'ready (trained without the gate), pending (waits for approval), approved or rejected';

-- names trained before 0.2.0 belong to the role that trained version 1
-- (the extension owner when that role no longer exists)
INSERT INTO automl.policies (model, owner, changed_by)
SELECT DISTINCT ON (m.name) m.name,
	   coalesce((SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = m.created_by),
				(SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'automl'))::regrole,
	   m.created_by
  FROM automl.models m
 ORDER BY m.name, m.version
ON CONFLICT (model) DO NOTHING;

SELECT pg_catalog.pg_extension_config_dump('automl.policies', '');
SELECT pg_catalog.pg_extension_config_dump('automl.shares', '');
SELECT pg_catalog.pg_extension_config_dump('automl.audit', '');
SELECT pg_catalog.pg_extension_config_dump('automl.audit_id_seq', '');

-- automl.has_privilege decides every row-level policy below.
CREATE OR REPLACE FUNCTION automl.has_privilege(model text, privilege text DEFAULT 'use')
RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_has_privilege'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION automl.has_privilege(text, text)
	IS 'whether the current role may use, review, train or own (share, drop) a model';

-- Only automl's functions (running as the extension owner) write the
-- catalog; the audit trail is append-only.  Privileges stop other roles;
-- these triggers stop other superusers too.
CREATE OR REPLACE FUNCTION automl.catalog_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'automl_catalog_guard'
LANGUAGE C;
COMMENT ON FUNCTION automl.catalog_guard()
	IS 'refuses writes to the automl catalog by anyone but the extension owner';
DROP TRIGGER IF EXISTS catalog_guard ON automl.models;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.models
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.models;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.models
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard ON automl.candidates;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.candidates
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.candidates;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.candidates
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard ON automl.deployments;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.deployments
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.deployments;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.deployments
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard ON automl.policies;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.policies
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.policies;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.policies
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard ON automl.shares;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.shares
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.shares;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.shares
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard ON automl.audit;
CREATE TRIGGER catalog_guard BEFORE INSERT OR UPDATE OR DELETE ON automl.audit
	FOR EACH ROW EXECUTE FUNCTION automl.catalog_guard();
DROP TRIGGER IF EXISTS catalog_guard_truncate ON automl.audit;
CREATE TRIGGER catalog_guard_truncate BEFORE TRUNCATE ON automl.audit
	FOR EACH STATEMENT EXECUTE FUNCTION automl.catalog_guard();

-- The catalog belongs to the extension owner.  Other roles read it through
-- row-level security and never write it: automl's functions write it as
-- the owner.
GRANT USAGE ON SCHEMA automl TO PUBLIC;
REVOKE ALL ON automl.models, automl.candidates, automl.deployments, automl.policies,
	automl.shares, automl.audit FROM PUBLIC;
REVOKE ALL ON SEQUENCE automl.models_id_seq, automl.deployments_id_seq, automl.audit_id_seq FROM PUBLIC;
GRANT SELECT ON automl.models, automl.candidates, automl.deployments, automl.policies,
	automl.shares, automl.audit TO PUBLIC;

ALTER TABLE automl.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.candidates ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.audit ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS visible ON automl.models;
CREATE POLICY visible ON automl.models FOR SELECT
	USING (automl.has_privilege(name, 'use'));
DROP POLICY IF EXISTS visible ON automl.candidates;
CREATE POLICY visible ON automl.candidates FOR SELECT
	USING (EXISTS (SELECT 1 FROM automl.models m
					WHERE m.id = model_id AND automl.has_privilege(m.name, 'review')));
DROP POLICY IF EXISTS visible ON automl.deployments;
CREATE POLICY visible ON automl.deployments FOR SELECT
	USING (automl.has_privilege(name, 'use'));
DROP POLICY IF EXISTS visible ON automl.policies;
CREATE POLICY visible ON automl.policies FOR SELECT
	USING (automl.has_privilege(model, 'use'));
DROP POLICY IF EXISTS visible ON automl.shares;
CREATE POLICY visible ON automl.shares FOR SELECT
	USING (automl.has_privilege(model, 'own')
		   OR pg_catalog.pg_has_role(grantee::oid, 'MEMBER'));
DROP POLICY IF EXISTS visible ON automl.audit;
CREATE POLICY visible ON automl.audit FOR SELECT
	USING (automl.has_privilege(model, 'use') OR role = current_user);

-- The views belong to the extension owner, who bypasses row-level
-- security: they filter themselves (security barrier, so no leaky
-- function sees a hidden row).
CREATE OR REPLACE VIEW automl.leaderboard WITH (security_barrier) AS
	SELECT m.name AS model, m.version, c.rank, c.learner, c.score, m.metric,
		   c.hyperparameters, round(c.fit_seconds::numeric, 3) AS fit_seconds,
		   c.sample_rows
	  FROM automl.candidates c
	  JOIN automl.models m ON m.id = c.model_id
	 WHERE automl.has_privilege(m.name, 'review');
COMMENT ON VIEW automl.leaderboard IS 'candidates of every model version the current role may review, with their rank';

CREATE OR REPLACE VIEW automl.deployed_models WITH (security_barrier) AS
	SELECT m.id, m.name, m.version, m.task, m.target, m.algorithm, m.metric,
		   m.test_score, m.baseline_score, m.rows, d.deployed_at, d.deployed_by,
		   d.reason
	  FROM (SELECT DISTINCT ON (name) name, model_id, deployed_at, deployed_by, reason
			  FROM automl.deployments
			 ORDER BY name, id DESC) d
	  JOIN automl.models m ON m.id = d.model_id
	 WHERE automl.has_privilege(m.name, 'use');
COMMENT ON VIEW automl.deployed_models IS 'the deployed version of every model name the current role may use';

REVOKE ALL ON automl.leaderboard, automl.deployed_models FROM PUBLIC;
GRANT SELECT ON automl.leaderboard, automl.deployed_models TO PUBLIC;

-- the database-wide gate (PGC_SUSET): ALTER DATABASE prod SET automl.require_approval = on

CREATE OR REPLACE FUNCTION automl_share(model text, grantee regrole, privilege text DEFAULT 'review')
RETURNS void
AS 'MODULE_PATHNAME', 'automl_share'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_share(text, regrole, text)
	IS 'gives a role (and its members) use, review or train on a model (owner or superuser)';

CREATE OR REPLACE FUNCTION automl_unshare(model text, grantee regrole, privilege text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'automl_unshare'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_unshare(text, regrole, text)
	IS 'takes a privilege on a model back from a role (NULL: every privilege)';

CREATE OR REPLACE FUNCTION automl_set_policy(model text, require_approval boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'automl_set_policy'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_set_policy(text, boolean)
	IS 'turns the approval gate on or off for a model (owner or superuser)';

CREATE OR REPLACE FUNCTION automl_approve(model text, version integer, comment text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'automl_approve'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_approve(text, integer, text)
	IS 'approves a model version (review privilege; never the role that trained it)';

CREATE OR REPLACE FUNCTION automl_reject(model text, version integer, comment text)
RETURNS void
AS 'MODULE_PATHNAME', 'automl_reject'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_reject(text, integer, text)
	IS 'rejects a model version with a required comment; a rejected version is never deployed';

CREATE OR REPLACE FUNCTION automl_review(model text, version integer DEFAULT NULL)
RETURNS TABLE ("check" text, status text, detail text)
AS 'MODULE_PATHNAME', 'automl_review'
LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_review(text, integer)
	IS 'the reviewer''s checklist of a model version (default: the latest): one row per check, pass, warn or fail';

CREATE OR REPLACE FUNCTION automl_rollback(model text)
RETURNS integer
AS 'MODULE_PATHNAME', 'automl_rollback'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_rollback(text)
	IS 'redeploys the previously deployed version of a model; returns it';

CREATE OR REPLACE FUNCTION automl_drop(model text, version integer DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'automl_drop'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION automl_drop(text, integer)
	IS 'drops one version of a model, or the whole model (owner or superuser); returns the versions dropped';
