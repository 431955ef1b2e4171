/*-------------------------------------------------------------------------
 *
 * governance.c
 *	  Who may do what: model ownership, sharing (use, review, train), the
 *	  approval gate, review and approval, rollback, drop, and the
 *	  append-only audit trail.
 *
 * Privileges are PostgreSQL's own roles and membership.  The catalog
 * belongs to the extension's owner; other roles read it through row-level
 * security (automl.has_privilege) and never write it.  Every catalog write
 * runs as the extension owner (AmlAsOwnerBegin/End, the equivalent of a
 * SECURITY DEFINER function with search_path = pg_catalog), while every
 * check is made for the caller (AmlGovCaller), who is remembered across
 * the switch.  Names are always passed to SQL as parameters.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_has_privilege);
PG_FUNCTION_INFO_V1(automl_catalog_guard);
PG_FUNCTION_INFO_V1(automl_share);
PG_FUNCTION_INFO_V1(automl_unshare);
PG_FUNCTION_INFO_V1(automl_set_policy);
PG_FUNCTION_INFO_V1(automl_approve);
PG_FUNCTION_INFO_V1(automl_reject);
PG_FUNCTION_INFO_V1(automl_review);
PG_FUNCTION_INFO_V1(automl_rollback);
PG_FUNCTION_INFO_V1(automl_drop);

bool		automl_require_approval = false;

/* the caller, remembered while automl runs as the extension owner */
static Oid	gov_caller = InvalidOid;
static int	gov_depth = 0;

#if PG_VERSION_NUM >= 170000
#define CURRENT_LXID (MyProc->vxid.lxid)
#else
#define CURRENT_LXID (MyProc->lxid)
#endif

/* ---------------------------------------------------------------- setup */

static void
GovXactCallback(XactEvent event, void *arg)
{
	(void) arg;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		gov_depth = 0;
		gov_caller = InvalidOid;
	}
}

/*
 * AmlGovInit defines automl.require_approval; called from _PG_init.
 */
void
AmlGovInit(void)
{
	DefineCustomBoolVariable("automl.require_approval",
							 "Require approval of every new model version before it is deployed.",
							 "Only superusers can change it, e.g. ALTER DATABASE prod SET automl.require_approval = on.",
							 &automl_require_approval, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	RegisterXactCallback(GovXactCallback, NULL);
}

/*
 * ExtOwner returns the owner of the automl extension (cached per
 * transaction: DROP/CREATE EXTENSION may change it).
 */
static Oid
ExtOwner(void)
{
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	static Oid	cached_owner = InvalidOid;
	Oid			extoid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	if (cached_lxid == CURRENT_LXID && OidIsValid(cached_owner))
		return cached_owner;
	extoid = get_extension_oid("automl", false);
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "automl: extension %u not found", extoid);
	cached_owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	cached_lxid = CURRENT_LXID;
	return cached_owner;
}

/*
 * AmlGovCaller is the role automl acts for: the current user, or the one
 * that was current when automl switched to the extension owner.
 */
Oid
AmlGovCaller(void)
{
	return gov_depth > 0 ? gov_caller : GetUserId();
}

char *
AmlGovCallerName(void)
{
	return GetUserNameFromId(AmlGovCaller(), false);
}

/*
 * AmlAsOwnerBegin switches to the extension owner, as a SECURITY DEFINER
 * function with SET search_path = pg_catalog, pg_temp would.  Pair it
 * with AmlAsOwnerEnd in PG_FINALLY so every path restores the caller.
 */
void
AmlAsOwnerBegin(AmlOwnerSwitch *s)
{
	Oid			owner = ExtOwner();

	GetUserIdAndSecContext(&s->save_user, &s->save_sec);
	if (gov_depth == 0)
		gov_caller = s->save_user;
	gov_depth++;
	s->nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	SetUserIdAndSecContext(owner, s->save_sec | SECURITY_LOCAL_USERID_CHANGE);
}

void
AmlAsOwnerEnd(AmlOwnerSwitch *s)
{
	SetUserIdAndSecContext(s->save_user, s->save_sec);
	AtEOXact_GUC(true, s->nest);
	if (gov_depth > 0)
		gov_depth--;
}

/* ---------------------------------------------------------------- helpers */

#define GOV_USE		1
#define GOV_REVIEW	2
#define GOV_TRAIN	4
#define GOV_OWN		8
#define GOV_ALL		(GOV_USE | GOV_REVIEW | GOV_TRAIN | GOV_OWN)

static const char *
PrivName(int priv)
{
	switch (priv)
	{
		case GOV_USE:
			return "use";
		case GOV_REVIEW:
			return "review";
		case GOV_TRAIN:
			return "train";
		default:
			return "own";
	}
}

static void
Exec(const char *sql, int nargs, Oid *types, Datum *vals, const char *nulls, int expect)
{
	/* reads in a parallel worker (row-level policies, predict) must be read-only */
	bool		read_only = expect == SPI_OK_SELECT && IsInParallelMode();
	int			ret = SPI_execute_with_args(sql, nargs, types, vals, nulls, read_only, 0);

	if (ret != expect)
		elog(ERROR, "automl: catalog statement failed (%s): %s", SPI_result_code_string(ret), sql);
}

static char *
GetText(int row, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);

	return *isnull ? NULL : TextDatumGetCString(d);
}

static double
GetFloat(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NAN : DatumGetFloat8(d);
}

static int64
GetInt64(int row, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

/* 'name' as a SQL literal, for hints: automl_share('my model', ...) */
static char *
Lit(const char *s)
{
	return quote_literal_cstr(s);
}

/* a role name as a regrole literal: '"App User"' */
static char *
RoleLit(const char *role)
{
	return quote_literal_cstr(quote_identifier(role));
}

static char *
RoleName(Oid role)
{
	char	   *n = GetUserNameFromId(role, true);

	return n ? n : psprintf("%u", role);
}

/*
 * ModelOwner reads the owner of a model name (InvalidOid: no such model).
 * Runs as the extension owner (the caller holds an SPI connection).
 */
static Oid
ModelOwner(const char *name, bool *require_approval)
{
	Oid			t[1] = {TEXTOID};
	Datum		v[1];
	bool		isnull;
	Oid			owner;

	v[0] = CStringGetTextDatum(name);
	Exec("SELECT owner::oid, require_approval FROM automl.policies WHERE model = $1",
		 1, t, v, NULL, SPI_OK_SELECT);
	if (require_approval)
		*require_approval = false;
	if (SPI_processed == 0)
		return InvalidOid;
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (require_approval)
		*require_approval = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	return owner;
}

/*
 * PrivsAsOwner computes what role may do with a model: a mask of GOV_*.
 * Owners (and members with its privileges), superusers and the extension
 * owner may do everything; shares count through membership; review and
 * train include use.  *exists says whether the model name exists.
 */
static int
PrivsAsOwner(const char *name, Oid role, bool *exists, Oid *owner_out)
{
	Oid			t[1] = {TEXTOID};
	Datum		v[1];
	int			mask = 0;
	Oid			owner;

	owner = ModelOwner(name, NULL);
	if (owner_out)
		*owner_out = owner;
	*exists = OidIsValid(owner);
	if (superuser_arg(role) || role == ExtOwner())
		return GOV_ALL;
	if (!*exists)
		return 0;
	if (has_privs_of_role(role, owner))
		return GOV_ALL;
	v[0] = CStringGetTextDatum(name);
	Exec("SELECT grantee::oid, privilege FROM automl.shares WHERE model = $1",
		 1, t, v, NULL, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			grantee = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *p = GetText(i, 2, &isnull);

		if (!is_member_of_role(role, grantee))
			continue;
		if (strcmp(p, "review") == 0)
			mask |= GOV_REVIEW | GOV_USE;
		else if (strcmp(p, "train") == 0)
			mask |= GOV_TRAIN | GOV_USE;
		else if (strcmp(p, "use") == 0)
			mask |= GOV_USE;
	}
	return mask;
}

/* a one-entry cache for row-level policies: valid within one statement */
static struct
{
	bool		valid;
	LocalTransactionId lxid;
	TimestampTz stmt;
	CommandId	cid;
	Oid			role;
	char		name[NAMEDATALEN * 4 + 1];
	int			mask;
	bool		exists;
	Oid			owner;
}			priv_cache;

static void
InvalidatePrivCache(void)
{
	priv_cache.valid = false;
}

/*
 * Privs computes the privileges of role on a model, connecting to SPI and
 * switching to the extension owner to read the catalog.
 */
static int
Privs(const char *name, Oid role, bool *exists, Oid *owner)
{
	AmlOwnerSwitch sw;
	int			mask = 0;
	bool		ex = false;
	Oid			own = InvalidOid;
	bool		cacheable = strlen(name) < sizeof(priv_cache.name);

	if (cacheable && priv_cache.valid && priv_cache.role == role &&
		priv_cache.lxid == CURRENT_LXID &&
		priv_cache.stmt == GetCurrentStatementStartTimestamp() &&
		priv_cache.cid == GetCurrentCommandId(false) &&
		strcmp(priv_cache.name, name) == 0)
	{
		*exists = priv_cache.exists;
		if (owner)
			*owner = priv_cache.owner;
		return priv_cache.mask;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	AmlAsOwnerBegin(&sw);
	PG_TRY();
	{
		mask = PrivsAsOwner(name, role, &ex, &own);
	}
	PG_FINALLY();
	{
		AmlAsOwnerEnd(&sw);
	}
	PG_END_TRY();
	SPI_finish();
	if (cacheable)
	{
		priv_cache.valid = true;
		priv_cache.role = role;
		priv_cache.lxid = CURRENT_LXID;
		priv_cache.stmt = GetCurrentStatementStartTimestamp();
		priv_cache.cid = GetCurrentCommandId(false);
		strcpy(priv_cache.name, name);
		priv_cache.mask = mask;
		priv_cache.exists = ex;
		priv_cache.owner = own;
	}
	*exists = ex;
	if (owner)
		*owner = own;
	return mask;
}

static void
ModelNotFound(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("model \"%s\" does not exist", name),
			 errhint("Train one with automl_train, or list models with SELECT DISTINCT name FROM automl.models.")));
}

/*
 * Refuse raises the permission error for an action the caller may not do.
 */
static void
Refuse(const char *name, const char *action, int priv, Oid owner)
{
	char	   *caller = AmlGovCallerName();

	if (priv == GOV_OWN)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s model \"%s\"", action, name),
				 errdetail("Only its owner, role \"%s\", or a superuser may %s it.", RoleName(owner), action),
				 errhint("Ask role \"%s\" to do it.", RoleName(owner))));
	if (priv == GOV_USE)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for model \"%s\"", name),
				 errdetail("Role \"%s\" has no use privilege on it.", caller),
				 errhint("Its owner, role \"%s\", can share it: SELECT automl_share(%s, %s, 'use');",
						 RoleName(owner), Lit(name), RoleLit(caller))));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s model \"%s\"", action, name),
			 errdetail("Role \"%s\" has no %s privilege on it.", caller, PrivName(priv)),
			 errhint("Its owner, role \"%s\", can share it: SELECT automl_share(%s, %s, '%s');",
					 RoleName(owner), Lit(name), RoleLit(caller), PrivName(priv))));
}

/*
 * AmlGovCheck raises 42501 unless the caller has the privilege on an
 * existing model; a model that does not exist passes (the caller then
 * reports it, or creates it).  Superusers pass without a catalog read.
 */
void
AmlGovCheck(const char *name, AmlGovPriv priv)
{
	Oid			role = AmlGovCaller();
	bool		exists;
	Oid			owner;
	int			want = priv == AML_GOV_USE ? GOV_USE : priv == AML_GOV_TRAIN ? GOV_TRAIN : GOV_REVIEW;

	if (superuser_arg(role))
		return;
	if ((Privs(name, role, &exists, &owner) & want) == 0 && exists)
		Refuse(name, priv == AML_GOV_USE ? "use" : priv == AML_GOV_TRAIN ? "train" : "deploy", want, owner);
}

/*
 * CheckPriv is AmlGovCheck for the governance functions (inside their SPI
 * connection, already as the owner): the model must exist.
 */
static Oid
CheckPriv(const char *name, int priv, const char *action)
{
	bool		exists;
	Oid			owner;
	int			mask = PrivsAsOwner(name, AmlGovCaller(), &exists, &owner);

	if (!exists)
		ModelNotFound(name);
	if ((mask & priv) == 0)
		Refuse(name, action, priv, owner);
	return owner;
}

static bool
GateOn(const char *name)
{
	bool		req;

	(void) ModelOwner(name, &req);
	return automl_require_approval || req;
}

/*
 * Audit appends one row to automl.audit (as the extension owner).
 * detail is a JSON object's text (NULL: {}).
 */
static void
Audit(const char *action, const char *name, int version, const char *detail)
{
	Oid			t[5] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID};
	Datum		v[5];
	char		n[5] = "     ";

	v[0] = CStringGetTextDatum(AmlGovCallerName());
	v[1] = CStringGetTextDatum(action);
	v[2] = CStringGetTextDatum(name);
	v[3] = Int32GetDatum(version);
	if (version <= 0)
		n[3] = 'n';
	v[4] = CStringGetTextDatum(detail ? detail : "{}");
	Exec("INSERT INTO automl.audit (role, action, model, version, detail) VALUES ($1::name, $2, $3, $4, $5::jsonb)",
		 5, t, v, n, SPI_OK_INSERT);
}

/* JSON building for audit details */
static void
JKey(StringInfo s, const char *key)
{
	appendStringInfoString(s, s->len > 1 ? ", " : "");
	escape_json(s, key);
	appendStringInfoString(s, ": ");
}

static void
JStr(StringInfo s, const char *key, const char *val)
{
	JKey(s, key);
	if (val)
		escape_json(s, val);
	else
		appendStringInfoString(s, "null");
}

static void
JRaw(StringInfo s, const char *key, const char *raw)
{
	JKey(s, key);
	appendStringInfoString(s, raw);
}

static void
JBegin(StringInfo s)
{
	initStringInfo(s);
	appendStringInfoChar(s, '{');
}

static char *
JEnd(StringInfo s)
{
	appendStringInfoChar(s, '}');
	return s->data;
}

/* ---------------------------------------------------------------- hooks */

/*
 * AmlGovTrainBegin runs in StoreModel (as the owner, under the model
 * name's lock): the caller must own the name, have train on it, or be a
 * superuser; a new name becomes the caller's.  Returns the new version's
 * status: "pending" under the approval gate, else "ready".
 */
const char *
AmlGovTrainBegin(const char *name)
{
	Oid			role = AmlGovCaller();
	bool		exists;
	Oid			owner;
	int			mask;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	mask = PrivsAsOwner(name, role, &exists, &owner);
	if (exists && (mask & GOV_TRAIN) == 0)
		Refuse(name, "train", GOV_TRAIN, owner);
	if (!exists)
	{
		Oid			t[3] = {TEXTOID, OIDOID, TEXTOID};
		Datum		v[3];

		v[0] = CStringGetTextDatum(name);
		v[1] = ObjectIdGetDatum(role);
		v[2] = CStringGetTextDatum(AmlGovCallerName());
		Exec("INSERT INTO automl.policies (model, owner, changed_by) VALUES ($1, $2::regrole, $3::name)",
			 3, t, v, NULL, SPI_OK_INSERT);
		InvalidatePrivCache();
	}
	{
		const char *status = GateOn(name) ? "pending" : "ready";

		SPI_finish();
		return status;
	}
}

/*
 * AmlGovAuditTrain records the training of a version (by its catalog id):
 * the budget asked for and, when statement_timeout cut it (budget_cut > 0),
 * what was left of it.
 */
void
AmlGovAuditTrain(int64 model_id, double budget_seconds, double budget_cut)
{
	Oid			t[4] = {INT8OID, FLOAT8OID, TEXTOID, FLOAT8OID};
	Datum		v[4];
	char		nulls[4] = {' ', ' ', ' ', budget_cut > 0 ? ' ' : 'n'};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	v[0] = Int64GetDatum(model_id);
	v[1] = Float8GetDatum(budget_seconds);
	v[2] = CStringGetTextDatum(AmlGovCallerName());
	v[3] = Float8GetDatum(budget_cut);
	Exec("INSERT INTO automl.audit (role, action, model, version, detail) "
		 "SELECT $3::name, 'train', m.name, m.version, jsonb_build_object("
		 "'status', m.status, 'source', m.source, 'target', m.target, 'task', m.task, "
		 "'algorithm', m.algorithm, 'metric', m.metric, 'test_score', m.test_score, "
		 "'baseline_score', m.baseline_score, 'rows', m.rows, 'budget_seconds', $2) "
		 "|| CASE WHEN $4 IS NULL THEN '{}'::jsonb "
		 "        ELSE jsonb_build_object('budget_cut_seconds', round($4::numeric, 1)) END "
		 "FROM automl.models m WHERE m.id = $1",
		 4, t, v, nulls, SPI_OK_INSERT);
	SPI_finish();
}

/*
 * AmlGovPendingNotice says (and returns true) when a new version waits for
 * approval, so StoreModel never deploys it automatically.
 */
bool
AmlGovPendingNotice(const char *name, int version, const char *status)
{
	if (strcmp(status, "pending") != 0)
		return false;
	ereport(NOTICE,
			(errmsg("model \"%s\" version %d is pending approval and is not deployed", name, version),
			 errhint("A role with review on the model, other than the one that trained it, approves it with SELECT automl_approve(%s, %d);",
					 Lit(name), version)));
	return true;
}

/*
 * Deployable refuses a version that may not be deployed: a rejected one
 * never, a pending one while the gate is on.
 */
static void
Deployable(const char *name, int version, const char *status, const char *action)
{
	if (strcmp(status, "rejected") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s version %d of model \"%s\"", action, version, name),
				 errdetail("Version %d was rejected; a rejected version is never deployed.", version),
				 errhint("Train a new version, or deploy another one.")));
	if (strcmp(status, "pending") == 0 && GateOn(name))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s version %d of model \"%s\"", action, version, name),
				 errdetail("Version %d is pending: the approval gate is on for this model.", version),
				 errhint("It needs approval first: a role with review on the model, other than the one that trained it, runs SELECT automl_approve(%s, %d);",
						 Lit(name), version)));
}

/*
 * DeployAsOwner records a deployment and its audit row.
 */
static void
DeployAsOwner(const char *name, int version, int64 id, const char *reason,
			  const char *action, const char *detail)
{
	Oid			t[5] = {TEXTOID, INT4OID, INT8OID, TEXTOID, TEXTOID};
	Datum		v[5];

	v[0] = CStringGetTextDatum(name);
	v[1] = Int32GetDatum(version);
	v[2] = Int64GetDatum(id);
	v[3] = CStringGetTextDatum(reason);
	v[4] = CStringGetTextDatum(AmlGovCallerName());
	Exec("INSERT INTO automl.deployments (name, version, model_id, reason, deployed_by) VALUES ($1, $2, $3, $4, $5::name)",
		 5, t, v, NULL, SPI_OK_INSERT);
	Audit(action, name, version, detail);
}

/*
 * AmlGovDeploy deploys a version: automatically after training (the
 * caller has checked the rules), or manually (automl_deploy: review
 * privilege, and the version must be deployable).  Writes the deployment
 * and its audit row as the extension owner.
 */
void
AmlGovDeploy(const char *name, int version, int64 model_id, const char *reason, bool automatic)
{
	AmlOwnerSwitch sw;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	AmlAsOwnerBegin(&sw);
	PG_TRY();
	{
		StringInfoData d;

		if (!automatic)
		{
			Oid			t[1] = {INT8OID};
			Datum		v[1];
			bool		isnull;

			CheckPriv(name, GOV_REVIEW, "deploy");
			v[0] = Int64GetDatum(model_id);
			Exec("SELECT status FROM automl.models WHERE id = $1", 1, t, v, NULL, SPI_OK_SELECT);
			if (SPI_processed == 1)
				Deployable(name, version, GetText(0, 1, &isnull), "deploy");
		}
		JBegin(&d);
		JStr(&d, "reason", reason);
		JRaw(&d, "automatic", automatic ? "true" : "false");
		DeployAsOwner(name, version, model_id, reason, "deploy", JEnd(&d));
	}
	PG_FINALLY();
	{
		AmlAsOwnerEnd(&sw);
	}
	PG_END_TRY();
	SPI_finish();
}

/* ---------------------------------------------------------------- SQL: helpers */

typedef struct GovCall
{
	FunctionCallInfo fcinfo;
	char	   *name;
	Datum		result;
} GovCall;

/*
 * RunAsOwner runs body inside an SPI connection as the extension owner,
 * restoring the caller on every path.
 */
static Datum
RunAsOwner(FunctionCallInfo fcinfo, void (*body) (GovCall *))
{
	GovCall		c;
	AmlOwnerSwitch sw;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	c.fcinfo = fcinfo;
	c.name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	c.result = (Datum) 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	AmlAsOwnerBegin(&sw);
	PG_TRY();
	{
		body(&c);
	}
	PG_FINALLY();
	{
		AmlAsOwnerEnd(&sw);
	}
	PG_END_TRY();
	SPI_finish();
	InvalidatePrivCache();
	return c.result;
}

static int
ParsePriv(const char *p)
{
	if (strcmp(p, "use") == 0)
		return GOV_USE;
	if (strcmp(p, "review") == 0)
		return GOV_REVIEW;
	if (strcmp(p, "train") == 0)
		return GOV_TRAIN;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown model privilege \"%s\"", p),
			 errhint("Valid privileges are: use, review, train.")));
	return 0;
}

/*
 * automl.has_privilege(model, privilege): the row-level policies' test,
 * for the current role.  Privileges: use, review, train, own.
 */
Datum
automl_has_privilege(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *p = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			want = strcmp(p, "own") == 0 ? GOV_OWN : ParsePriv(p);
	Oid			role = GetUserId();
	bool		exists;

	if (superuser_arg(role))
		PG_RETURN_BOOL(true);
	PG_RETURN_BOOL((Privs(name, role, &exists, NULL) & want) != 0);
}

/*
 * automl_catalog_guard: the catalog is written only by automl's functions,
 * which run as the extension owner; anyone else (superusers included) is
 * refused.  automl.audit is append-only.
 */
Datum
automl_catalog_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "automl_catalog_guard must be called as a trigger");
	if (GetUserId() != ExtOwner())
	{
		if (strcmp(RelationGetRelationName(td->tg_relation), "audit") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("automl.audit is append-only"),
					 errdetail("automl's functions add audit rows; only the extension owner, role \"%s\", may change or delete them.",
							   RoleName(ExtOwner())),
					 errhint("Read the trail with SELECT * FROM automl.audit.")));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", RelationGetRelationName(td->tg_relation)),
				 errdetail("The automl catalog is written only by automl's functions."),
				 errhint("Use automl_train, automl_deploy, automl_share, automl_approve, automl_drop and the other automl functions.")));
	}
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		return PointerGetDatum(td->tg_newtuple);
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event))
		return PointerGetDatum(td->tg_trigtuple);
	return PointerGetDatum(NULL);
}

/* ---------------------------------------------------------------- sharing */

static void
ShareBody(GovCall *c)
{
	FunctionCallInfo fcinfo = c->fcinfo;
	Oid			grantee;
	char	   *priv;
	Oid			t[4] = {TEXTOID, OIDOID, TEXTOID, TEXTOID};
	Datum		v[4];
	StringInfoData d;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("grantee and privilege must not be NULL")));
	grantee = PG_GETARG_OID(1);
	priv = text_to_cstring(PG_GETARG_TEXT_PP(2));
	(void) ParsePriv(priv);
	CheckPriv(c->name, GOV_OWN, "share");
	v[0] = CStringGetTextDatum(c->name);
	v[1] = ObjectIdGetDatum(grantee);
	v[2] = CStringGetTextDatum(priv);
	v[3] = CStringGetTextDatum(AmlGovCallerName());
	Exec("INSERT INTO automl.shares (model, grantee, privilege, granted_by) VALUES ($1, $2::regrole, $3, $4::name) "
		 "ON CONFLICT (model, grantee, privilege) DO NOTHING",
		 4, t, v, NULL, SPI_OK_INSERT);
	if (SPI_processed == 0)
		ereport(NOTICE,
				(errmsg("role \"%s\" already has %s on model \"%s\"", RoleName(grantee), priv, c->name)));
	JBegin(&d);
	JStr(&d, "grantee", RoleName(grantee));
	JStr(&d, "privilege", priv);
	Audit("share", c->name, 0, JEnd(&d));
}

/*
 * automl_share(model, grantee, privilege): owner or superuser.
 */
Datum
automl_share(PG_FUNCTION_ARGS)
{
	RunAsOwner(fcinfo, ShareBody);
	PG_RETURN_VOID();
}

static void
UnshareBody(GovCall *c)
{
	FunctionCallInfo fcinfo = c->fcinfo;
	Oid			grantee;
	Oid			t[3] = {TEXTOID, OIDOID, TEXTOID};
	Datum		v[3];
	char		n[3] = "   ";
	StringInfoData d;
	StringInfoData removed;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("grantee must not be NULL")));
	grantee = PG_GETARG_OID(1);
	if (!PG_ARGISNULL(2))
		(void) ParsePriv(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	CheckPriv(c->name, GOV_OWN, "unshare");
	v[0] = CStringGetTextDatum(c->name);
	v[1] = ObjectIdGetDatum(grantee);
	if (PG_ARGISNULL(2))
	{
		n[2] = 'n';
		v[2] = (Datum) 0;
	}
	else
		v[2] = PG_GETARG_DATUM(2);
	Exec("DELETE FROM automl.shares WHERE model = $1 AND grantee = $2::regrole AND (privilege = $3 OR $3 IS NULL) "
		 "RETURNING privilege",
		 3, t, v, n, SPI_OK_DELETE_RETURNING);
	initStringInfo(&removed);
	appendStringInfoChar(&removed, '[');
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		if (i)
			appendStringInfoString(&removed, ", ");
		escape_json(&removed, GetText(i, 1, &isnull));
	}
	appendStringInfoChar(&removed, ']');
	if (SPI_processed == 0)
		ereport(NOTICE,
				(errmsg("role \"%s\" has no %s on model \"%s\"", RoleName(grantee),
						PG_ARGISNULL(2) ? "privilege" : text_to_cstring(PG_GETARG_TEXT_PP(2)), c->name)));
	JBegin(&d);
	JStr(&d, "grantee", RoleName(grantee));
	JRaw(&d, "removed", removed.data);
	Audit("unshare", c->name, 0, JEnd(&d));
}

/*
 * automl_unshare(model, grantee, privilege): NULL removes every privilege.
 */
Datum
automl_unshare(PG_FUNCTION_ARGS)
{
	RunAsOwner(fcinfo, UnshareBody);
	PG_RETURN_VOID();
}

static void
SetPolicyBody(GovCall *c)
{
	FunctionCallInfo fcinfo = c->fcinfo;
	bool		req;
	Oid			t[3] = {TEXTOID, BOOLOID, TEXTOID};
	Datum		v[3];
	StringInfoData d;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("require_approval must not be NULL")));
	req = PG_GETARG_BOOL(1);
	CheckPriv(c->name, GOV_OWN, "set the policy of");
	v[0] = CStringGetTextDatum(c->name);
	v[1] = BoolGetDatum(req);
	v[2] = CStringGetTextDatum(AmlGovCallerName());
	Exec("UPDATE automl.policies SET require_approval = $2, changed_at = now(), changed_by = $3::name WHERE model = $1",
		 3, t, v, NULL, SPI_OK_UPDATE);
	if (!req && automl_require_approval)
		ereport(NOTICE,
				(errmsg("the approval gate stays on for model \"%s\": automl.require_approval is on", c->name)));
	JBegin(&d);
	JRaw(&d, "require_approval", req ? "true" : "false");
	Audit("policy", c->name, 0, JEnd(&d));
}

/*
 * automl_set_policy(model, require_approval): owner or superuser.
 */
Datum
automl_set_policy(PG_FUNCTION_ARGS)
{
	RunAsOwner(fcinfo, SetPolicyBody);
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------- review */

/*
 * ReadVersion loads a version's id, status and trainer; errors when it
 * does not exist.
 */
static int64
ReadVersion(const char *name, int version, char **status, char **trainer)
{
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		v[2];
	bool		isnull;
	int64		id;

	v[0] = CStringGetTextDatum(name);
	v[1] = Int32GetDatum(version);
	Exec("SELECT id, status, created_by::text FROM automl.models WHERE name = $1 AND version = $2",
		 2, t, v, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version %d of model \"%s\" does not exist", version, name),
				 errhint("List its versions with SELECT version, status FROM automl.models WHERE name = %s;", Lit(name))));
	id = GetInt64(0, 1, &isnull);
	*status = GetText(0, 2, &isnull);
	*trainer = GetText(0, 3, &isnull);
	return id;
}

static int
DeployedVersion(const char *name)
{
	Oid			t[1] = {TEXTOID};
	Datum		v[1];
	bool		isnull;

	v[0] = CStringGetTextDatum(name);
	Exec("SELECT version FROM automl.deployments WHERE name = $1 ORDER BY id DESC LIMIT 1",
		 1, t, v, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return 0;
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

static void
Decide(GovCall *c, bool approve)
{
	FunctionCallInfo fcinfo = c->fcinfo;
	const char *verb = approve ? "approve" : "reject";
	int			version;
	char	   *comment = NULL;
	char	   *status;
	char	   *trainer;
	Oid			trainer_role;
	Oid			caller = AmlGovCaller();
	int64		id;
	Oid			t[4] = {INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		v[4];
	char		n[4] = "    ";
	StringInfoData d;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version must not be NULL")));
	version = PG_GETARG_INT32(1);
	if (!PG_ARGISNULL(2))
		comment = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!approve)
	{
		const char *p = comment;

		while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p == NULL || *p == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a rejection needs a comment"),
					 errhint("Say why, e.g. SELECT automl_reject(%s, %d, 'the test split is too small');",
							 Lit(c->name), version)));
	}
	CheckPriv(c->name, GOV_REVIEW, verb);
	id = ReadVersion(c->name, version, &status, &trainer);
	trainer_role = get_role_oid(trainer, true);
	if (OidIsValid(trainer_role) && is_member_of_role_nosuper(caller, trainer_role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s version %d of model \"%s\"", verb, version, c->name),
				 errdetail("Role \"%s\" trained this version; separation of duties requires another role to %s it.",
						   trainer, verb),
				 errhint("Share the model with a reviewer, who then decides: SELECT automl_share(%s, 'reviewer_role', 'review');",
						 Lit(c->name))));
	if (strcmp(status, "rejected") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("version %d of model \"%s\" was already rejected", version, c->name),
				 errhint("A rejection is final; train a new version.")));
	if (approve && strcmp(status, "approved") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("version %d of model \"%s\" is already approved", version, c->name)));
	if (!approve && DeployedVersion(c->name) == version)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("version %d of model \"%s\" is deployed", version, c->name),
				 errhint("Roll back or deploy another version first: SELECT automl_rollback(%s);", Lit(c->name))));
	v[0] = Int64GetDatum(id);
	v[1] = CStringGetTextDatum(approve ? "approved" : "rejected");
	v[2] = CStringGetTextDatum(AmlGovCallerName());
	if (comment)
		v[3] = CStringGetTextDatum(comment);
	else
		n[3] = 'n';
	Exec("UPDATE automl.models SET status = $2, reviewed_by = $3::name, reviewed_at = now(), review_comment = $4 WHERE id = $1",
		 4, t, v, n, SPI_OK_UPDATE);
	JBegin(&d);
	JStr(&d, "comment", comment);
	JStr(&d, "previous_status", status);
	JStr(&d, "trained_by", trainer);
	Audit(verb, c->name, version, JEnd(&d));
}

static void
ApproveBody(GovCall *c)
{
	Decide(c, true);
}

static void
RejectBody(GovCall *c)
{
	Decide(c, false);
}

Datum
automl_approve(PG_FUNCTION_ARGS)
{
	RunAsOwner(fcinfo, ApproveBody);
	PG_RETURN_VOID();
}

Datum
automl_reject(PG_FUNCTION_ARGS)
{
	RunAsOwner(fcinfo, RejectBody);
	PG_RETURN_VOID();
}

/* the checklist */

typedef struct Checklist
{
	Tuplestorestate *ts;
	TupleDesc	desc;
} Checklist;

static void
Check(Checklist *cl, const char *check, const char *status, const char *fmt,...) pg_attribute_printf(4, 5);

static void
Check(Checklist *cl, const char *check, const char *status, const char *fmt,...)
{
	Datum		v[3];
	bool		n[3] = {false, false, false};
	StringInfoData s;

	initStringInfo(&s);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&s, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&s, needed);
	}
	v[0] = CStringGetTextDatum(check);
	v[1] = CStringGetTextDatum(status);
	v[2] = CStringGetTextDatum(s.data);
	tuplestore_putvalues(cl->ts, cl->desc, v, n);
}

static const char *const review_sql =
"SELECT m.version, m.status, m.created_by::text, m.task, m.metric, m.test_score, m.baseline_score, "
"       m.test_rows, m.rows, m.seconds, m.algorithm, "
"       (SELECT count(*) FROM automl.candidates c WHERE c.model_id = m.id), "
"       (m.baseline->>'accuracy')::float8, "
"       (SELECT string_agg(format('%s (%s)', x.f->>'name', x.f->>'reason'), ', ' ORDER BY x.o) "
"          FROM jsonb_array_elements(m.features) WITH ORDINALITY x(f, o) WHERE x.f->>'role' = 'dropped'), "
"       (SELECT count(*) FROM jsonb_array_elements(m.features) f "
"         WHERE f->>'role' = 'dropped' AND f->>'reason' = 'all_missing'), "
"       (SELECT string_agg(format('%s (%s%%)', x.f->>'name', round((x.f->>'missing_rate')::numeric * 100)), ', ' ORDER BY x.o) "
"          FROM jsonb_array_elements(m.features) WITH ORDINALITY x(f, o) "
"         WHERE x.f->>'role' = 'feature' AND (x.f->>'missing_rate')::float8 > 0.5), "
"       top.name, top.share, "
"       (SELECT (a.detail->>'budget_seconds')::float8 FROM automl.audit a "
"         WHERE a.model = m.name AND a.version = m.version AND a.action = 'train' ORDER BY a.id DESC LIMIT 1), "
"       m.reviewed_by::text, m.review_comment, "
"       (SELECT string_agg(x.b->>'sensitive', ', ' ORDER BY x.o) "
"          FROM jsonb_array_elements(m.diagnostics->'bias') WITH ORDINALITY x(b, o)), "
"       (SELECT string_agg(format('%s = %s%s', x.b->>'sensitive', coalesce(g.g->>'group_value', 'NULL'), "
"                                 coalesce(' (class ' || (g.g->>'class') || ')', '')), ', ' ORDER BY x.o, g.o) "
"          FROM jsonb_array_elements(m.diagnostics->'bias') WITH ORDINALITY x(b, o), "
"               jsonb_array_elements(x.b->'groups') WITH ORDINALITY g(g, o) "
"         WHERE (g.g->>'flagged')::boolean), "
"       (SELECT (a.detail->>'budget_cut_seconds')::float8 FROM automl.audit a "
"         WHERE a.model = m.name AND a.version = m.version AND a.action = 'train' ORDER BY a.id DESC LIMIT 1), "
"       m.diagnostics->'baseline_kept'->>'over' "
"  FROM automl.models m "
"  LEFT JOIN LATERAL ("
"       SELECT f->>'name' AS name, "
"              (f->>'importance')::float8 / nullif(sum((f->>'importance')::float8) OVER (), 0) AS share "
"         FROM jsonb_array_elements(m.features) f WHERE f->>'role' IN ('feature', 'generated') "
"        ORDER BY (f->>'importance')::float8 DESC NULLS LAST LIMIT 1) top ON true "
" WHERE m.name = $1 AND (m.version = $2 OR $2 IS NULL) "
" ORDER BY m.version DESC LIMIT 1";

static void
ReviewBody(GovCall *c)
{
	FunctionCallInfo fcinfo = c->fcinfo;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Checklist	cl;
	MemoryContext old;
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		v[2];
	char		n[2] = "  ";
	bool		isnull;
	int			version;
	char	   *status,
			   *trainer,
			   *task,
			   *metric,
			   *algorithm,
			   *dropped,
			   *missing,
			   *top,
			   *reviewer,
			   *comment,
			   *bias_cols,
			   *bias_flagged,
			   *baseline_over;
	double		score,
				base,
				seconds,
				majority,
				top_share,
				budget,
				budget_cut,
				gain;
	int64		test_rows,
				rows,
				candidates,
				all_missing;
	bool		hib;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || (rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("automl_review must be called in a context that accepts a set")));
	CheckPriv(c->name, GOV_REVIEW, "review");
	v[0] = CStringGetTextDatum(c->name);
	if (PG_ARGISNULL(1))
		n[1] = 'n';
	else
		v[1] = Int32GetDatum(PG_GETARG_INT32(1));
	Exec(review_sql, 2, t, v, n, SPI_OK_SELECT);
	if (SPI_processed == 0)
	{
		if (PG_ARGISNULL(1))
			ModelNotFound(c->name);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version %d of model \"%s\" does not exist", PG_GETARG_INT32(1), c->name)));
	}
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	status = GetText(0, 2, &isnull);
	trainer = GetText(0, 3, &isnull);
	task = GetText(0, 4, &isnull);
	metric = GetText(0, 5, &isnull);
	score = GetFloat(0, 6);
	base = GetFloat(0, 7);
	test_rows = GetInt64(0, 8, &isnull);
	rows = GetInt64(0, 9, &isnull);
	seconds = GetFloat(0, 10);
	algorithm = GetText(0, 11, &isnull);
	candidates = GetInt64(0, 12, &isnull);
	majority = GetFloat(0, 13);
	dropped = GetText(0, 14, &isnull);
	all_missing = GetInt64(0, 15, &isnull);
	missing = GetText(0, 16, &isnull);
	top = GetText(0, 17, &isnull);
	top_share = GetFloat(0, 18);
	budget = GetFloat(0, 19);
	reviewer = GetText(0, 20, &isnull);
	comment = GetText(0, 21, &isnull);
	bias_cols = GetText(0, 22, &isnull);
	bias_flagged = GetText(0, 23, &isnull);
	budget_cut = GetFloat(0, 24);
	baseline_over = GetText(0, 25, &isnull);
	hib = aml_metric_higher_is_better(metric) != 0;	/* the core's list */

	/* the result set lives in the per-query context */
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	cl.desc = CreateTemplateTupleDesc(3);
	TupleDescInitEntry(cl.desc, 1, "check", TEXTOID, -1, 0);
	TupleDescInitEntry(cl.desc, 2, "status", TEXTOID, -1, 0);
	TupleDescInitEntry(cl.desc, 3, "detail", TEXTOID, -1, 0);
	cl.ts = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = cl.ts;
	rsinfo->setDesc = cl.desc;
	MemoryContextSwitchTo(old);

	/* approval state */
	if (strcmp(status, "pending") == 0)
		Check(&cl, "approval", "warn", "version %d is pending: trained by %s, waiting for a reviewer's approval",
			  version, trainer);
	else if (strcmp(status, "approved") == 0 || strcmp(status, "rejected") == 0)
		Check(&cl, "approval", strcmp(status, "approved") == 0 ? "pass" : "fail",
			  "version %d was %s by %s%s%s", version, status, reviewer ? reviewer : "?",
			  comment ? ": " : "", comment ? comment : "");
	else
		Check(&cl, "approval", "pass", "version %d was trained by %s without the approval gate", version, trainer);

	/* lift over the baseline on the test split */
	if (isnan(score) || isnan(base))
		Check(&cl, "lift", "fail", "no test score: the model was not scored on held-out rows");
	else if (baseline_over)
		Check(&cl, "lift", "fail", "the model is the baseline (test %s %.4f): no learner beat it in the search (the best: %s%s); the columns may not carry what decides the target",
			  metric, score, strcmp(baseline_over, "ensemble") == 0 ? "an " : "", baseline_over);
	else if (hib)
	{
		gain = base < 1 ? (score - base) / (1 - base) : 0;
		Check(&cl, "lift", gain <= 0 ? "fail" : gain < 0.1 ? "warn" : "pass",
			  "test %s %.4f vs baseline %.4f: %s %.0f%% of the gap to a perfect score",
			  metric, score, base, gain >= 0 ? "closes" : "widens", fabs(gain) * 100);
	}
	else
	{
		gain = base > 0 ? (base - score) / base : 0;
		Check(&cl, "lift", gain <= 0 ? "fail" : gain < 0.1 ? "warn" : "pass",
			  "test %s %.4f vs baseline %.4f: %.0f%% %s", metric, score, base,
			  fabs(gain) * 100, gain >= 0 ? "lower" : "higher");
	}

	/* held-out rows */
	if (test_rows == 0)
		Check(&cl, "test_rows", "fail", "no rows were held out: the test score is not an honest estimate");
	else
		Check(&cl, "test_rows", test_rows < 100 ? "warn" : "pass", "%lld test rows of %lld%s",
			  (long long) test_rows, (long long) (rows + test_rows),
			  test_rows < 100 ? ": the test score is noisy" : "");

	/* class balance (classification) */
	if (strcmp(task, "regression") != 0 && !isnan(majority))
		Check(&cl, "class_balance", majority >= 0.9 ? "warn" : "pass",
			  majority >= 0.9 ? "the majority class is %.0f%% of the test rows: accuracy alone is misleading"
			  : "the majority class is %.0f%% of the test rows", majority * 100);

	/* columns not used */
	Check(&cl, "dropped_columns", all_missing > 0 ? "warn" : "pass", "%s",
		  dropped ? psprintf("not used: %s", dropped) : "every column is used");
	Check(&cl, "missing_values", missing ? "warn" : "pass", "%s",
		  missing ? psprintf("mostly missing in training: %s", missing)
		  : "no feature is missing in more than half of the training rows");

	/* leakage suspects: one feature carries the model and the score is near perfect */
	if (top == NULL || isnan(top_share))
		Check(&cl, "leakage", "pass", "no feature importance to inspect (algorithm %s)", algorithm);
	else if (top_share >= 0.8 && !isnan(score) &&
			 (hib ? score >= 0.99 : (base > 0 && score / base <= 0.01)))
		Check(&cl, "leakage", "warn",
			  "column \"%s\" carries %.0f%% of the importance and the test score is near perfect: check that it is known before the target",
			  top, top_share * 100);
	else
		Check(&cl, "leakage", "pass", "the most important column, \"%s\", carries %.0f%% of the importance",
			  top, top_share * 100);

	/* bias across the sensitive columns named at training (test split) */
	if (bias_cols && bias_flagged)
		Check(&cl, "bias", "warn",
			  "flagged on the test split (four-fifths rule, or an odds difference over 0.1): %s; see diagnostics->'bias'",
			  bias_flagged);
	else if (bias_cols)
		Check(&cl, "bias", "pass", "no group of %s is flagged on the test split", bias_cols);

	/* training time */
	if (!isnan(budget) && !isnan(budget_cut))
		Check(&cl, "training_time", "warn",
			  "%.2f s of a %.0f s budget that statement_timeout cut to %.1f s, %lld candidate%s compared (%s won): a longer statement_timeout may find a better model",
			  seconds, budget, budget_cut, (long long) candidates, candidates == 1 ? "" : "s", algorithm);
	else if (isnan(budget))
		Check(&cl, "training_time", "pass", "%.2f s, %lld candidate%s compared (%s won)",
			  seconds, (long long) candidates, candidates == 1 ? "" : "s", algorithm);
	else
		Check(&cl, "training_time", seconds >= budget * 0.98 ? "warn" : "pass",
			  "%.2f s of a %.0f s budget, %lld candidate%s compared (%s won)%s",
			  seconds, budget, (long long) candidates, candidates == 1 ? "" : "s", algorithm,
			  seconds >= budget * 0.98 ? ": the budget ran out, a longer one may find a better model" : "");
}

/*
 * automl_review(model, version): the reviewer's checklist (default: the
 * latest version).  Needs review.
 */
Datum
automl_review(PG_FUNCTION_ARGS)
{
	RunAsOwner(fcinfo, ReviewBody);
	return (Datum) 0;
}

/* ---------------------------------------------------------------- rollback, drop */

static void
RollbackBody(GovCall *c)
{
	Oid			t[1] = {TEXTOID};
	Datum		v[1];
	bool		isnull;
	bool		gate;
	int			current;
	char	   *skipped = NULL;

	CheckPriv(c->name, GOV_REVIEW, "roll back");
	gate = GateOn(c->name);
	v[0] = CStringGetTextDatum(c->name);
	Exec("SELECT d.version, d.model_id, m.status FROM automl.deployments d "
		 "JOIN automl.models m ON m.id = d.model_id WHERE d.name = $1 ORDER BY d.id DESC",
		 1, t, v, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no deployed version", c->name),
				 errhint("Deploy one with SELECT automl_deploy(%s, version);", Lit(c->name))));
	current = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	for (uint64 i = 1; i < SPI_processed; i++)
	{
		int			ver = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		int64		id = GetInt64(i, 2, &isnull);
		char	   *st = GetText(i, 3, &isnull);
		StringInfoData d;

		if (ver == current)
			continue;
		if (strcmp(st, "rejected") == 0 || (gate && strcmp(st, "pending") == 0))
		{
			skipped = psprintf("version %d is %s", ver, st);
			continue;
		}
		JBegin(&d);
		JRaw(&d, "from", psprintf("%d", current));
		JRaw(&d, "to", psprintf("%d", ver));
		DeployAsOwner(c->name, ver, id, "rollback", "rollback", JEnd(&d));
		ereport(NOTICE,
				(errmsg("model \"%s\" rolled back from version %d to version %d", c->name, current, ver)));
		c->result = Int32GetDatum(ver);
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("model \"%s\" has no earlier deployed version to roll back to", c->name),
			 skipped ? errdetail("Version %d is deployed; %s.", current, skipped)
			 : errdetail("Version %d is the only version ever deployed.", current),
			 errhint("Deploy a version explicitly with SELECT automl_deploy(%s, version);", Lit(c->name))));
}

/*
 * automl_rollback(model): redeploys the previously deployed version
 * (review or owner; rejected versions, and pending ones under the gate,
 * are passed over).
 */
Datum
automl_rollback(PG_FUNCTION_ARGS)
{
	return RunAsOwner(fcinfo, RollbackBody);
}

static void
DropBody(GovCall *c)
{
	FunctionCallInfo fcinfo = c->fcinfo;
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		v[2];
	int			dropped;
	StringInfoData d;

	CheckPriv(c->name, GOV_OWN, "drop");
	v[0] = CStringGetTextDatum(c->name);
	JBegin(&d);
	if (!PG_ARGISNULL(1))
	{
		int			version = PG_GETARG_INT32(1);
		char	   *status,
				   *trainer;

		(void) ReadVersion(c->name, version, &status, &trainer);
		if (DeployedVersion(c->name) == version)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("version %d of model \"%s\" is deployed", version, c->name),
					 errhint("Deploy or roll back to another version first, or drop the whole model with SELECT automl_drop(%s);",
							 Lit(c->name))));
		v[1] = Int32GetDatum(version);
		Exec("DELETE FROM automl.models WHERE name = $1 AND version = $2", 2, t, v, NULL, SPI_OK_DELETE);
		dropped = (int) SPI_processed;
		JStr(&d, "status", status);
		Exec("SELECT 1 FROM automl.models WHERE name = $1 LIMIT 1", 1, t, v, NULL, SPI_OK_SELECT);
		if (SPI_processed == 0)
			JRaw(&d, "last_version", "true");
	}
	else
	{
		Exec("DELETE FROM automl.models WHERE name = $1", 1, t, v, NULL, SPI_OK_DELETE);
		dropped = (int) SPI_processed;
	}
	Exec("SELECT 1 FROM automl.models WHERE name = $1 LIMIT 1", 1, t, v, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
	{
		/* the name is free again: its shares and policy go with it */
		Exec("DELETE FROM automl.shares WHERE model = $1", 1, t, v, NULL, SPI_OK_DELETE);
		Exec("DELETE FROM automl.policies WHERE model = $1", 1, t, v, NULL, SPI_OK_DELETE);
	}
	JRaw(&d, "versions_dropped", psprintf("%d", dropped));
	Audit("drop", c->name, PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1), JEnd(&d));
	c->result = Int32GetDatum(dropped);
}

/*
 * automl_drop(model, version): drops one version (never the deployed one)
 * or, without a version, the whole model, its shares and its policy.
 * Owner or superuser.  Returns the number of versions dropped.
 */
Datum
automl_drop(PG_FUNCTION_ARGS)
{
	return RunAsOwner(fcinfo, DropBody);
}
