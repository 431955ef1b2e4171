/*-------------------------------------------------------------------------
 *
 * automl.c
 *	  Module entry: magic block, settings, the core environment as the
 *	  backend sees it, and the one place that maps core status codes to
 *	  PostgreSQL errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <unistd.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "automl_pg.h"

PG_MODULE_MAGIC;

int			automl_work_mem = 2 * 1024 * 1024;	/* kB: 2 GB */
int			automl_threads = 0;
int			automl_seed = 42;
bool		automl_progress = true;
int			automl_max_model_size = 512 * 1024;	/* kB: 512 MB */

void		_PG_init(void);

/*
 * _PG_init defines the automl.* settings.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("automl.work_mem",
							"Memory budget of one automl training.",
							"Training that needs more fails with a clear error.",
							&automl_work_mem, 2 * 1024 * 1024, 1024, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("automl.max_model_size",
							"Largest model automl_train stores.",
							"A final fit over it gives way to the next best model. "
							"pg_dump writes a bytea as text of twice its size, "
							"so 512MB is the most PostgreSQL can store and dump.",
							&automl_max_model_size, 512 * 1024, 64, 512 * 1024,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("automl.threads",
							"Worker threads automl training may use (0 = one per core).",
							NULL, &automl_threads, 0, 0, 256,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("automl.seed",
							"Default random seed of automl training.",
							NULL, &automl_seed, 42, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("automl.progress",
							 "Report each candidate of the search as a NOTICE.",
							 NULL, &automl_progress, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	AmlGovInit();				/* automl.require_approval (governance.c) */
	AmlJobsInit();				/* automl.max_jobs (jobs.c) */
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("automl");
#else
	EmitWarningsOnPlaceholders("automl");
#endif
}

/*
 * AmlLog passes core messages on as NOTICE (or DEBUG1 for progress when
 * automl.progress is off).  In a background training each line is also
 * the worker's activity, and progress lines go no further.  Called from
 * the main thread only.
 */
static void
AmlLog(void *ctx, aml_log_level level, const char *msg)
{
	(void) ctx;
	if (AmlJobActive())
	{
		AmlJobProgress(msg);
		if (level == AML_LOG_INFO)
		{
			ereport(DEBUG1, (errmsg_internal("%s", msg)));
			return;
		}
	}
	if (level == AML_LOG_NOTICE || (level == AML_LOG_INFO && automl_progress))
		ereport(NOTICE, (errmsg_internal("%s", msg)));
	else
		ereport(DEBUG1, (errmsg_internal("%s", msg)));
}

/*
 * AmlShouldCancel tells the core to stop when a cancel or terminate is
 * pending; the caller then runs CHECK_FOR_INTERRUPTS to raise it.
 */
static int
AmlShouldCancel(void *ctx)
{
	(void) ctx;
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

/*
 * AmlEnvInit prepares a core environment for this backend: malloc, the
 * automl.work_mem budget, NOTICE logging, interrupt polling, threads.
 */
void
AmlEnvInit(aml_env *env)
{
	long		cores = sysconf(_SC_NPROCESSORS_ONLN);

	aml_env_init(env);
	env->mem_budget = (size_t) automl_work_mem * 1024;
	env->log = AmlLog;
	env->should_cancel = AmlShouldCancel;
	env->n_threads = automl_threads > 0 ? automl_threads : (cores > 0 ? (int) cores : 1);
	env->seed = (uint64_t) automl_seed;
}

/*
 * AmlEnvCreate makes a core environment in cxt.  Frames and reports keep a
 * pointer to their environment, and the callbacks that free them when cxt
 * goes (AmlRegisterFree) run during an error's cleanup too, when the
 * raising function's stack is gone: the environment must live in cxt,
 * not on that stack.
 */
aml_env *
AmlEnvCreate(MemoryContext cxt)
{
	aml_env    *env = MemoryContextAlloc(cxt, sizeof(aml_env));

	AmlEnvInit(env);
	return env;
}

/*
 * OwnerExec runs sql as the extension owner (the catalog's only writer):
 * with the current snapshot, or with latest the latest committed state
 * (what concurrent transactions committed since this one's snapshot).
 */
static int
OwnerExec(const char *sql, int nargs, Oid *types, Datum *vals, const char *nulls, long count,
		  bool latest)
{
	AmlOwnerSwitch sw;
	volatile int ret = 0;

	AmlAsOwnerBegin(&sw);
	PG_TRY();
	{
		if (latest)
		{
			SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

			if (plan == NULL)
				elog(ERROR, "automl: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
			ret = SPI_execute_snapshot(plan, vals, nulls, GetLatestSnapshot(), InvalidSnapshot,
									   false, false, count);
		}
		else
			ret = SPI_execute_with_args(sql, nargs, types, vals, nulls, false, count);
	}
	PG_FINALLY();
	{
		AmlAsOwnerEnd(&sw);
	}
	PG_END_TRY();
	return ret;
}

/* AmlOwnerExec: SPI_execute_with_args as the extension owner */
int
AmlOwnerExec(const char *sql, int nargs, Oid *types, Datum *vals, const char *nulls, long count)
{
	return OwnerExec(sql, nargs, types, vals, nulls, count, false);
}

/* AmlOwnerExecLatest: the same, reading the latest committed state */
int
AmlOwnerExecLatest(const char *sql, long count)
{
	return OwnerExec(sql, 0, NULL, NULL, NULL, count, true);
}

/* AmlExtensionSchema: the schema of automl's functions (SPI must be connected) */
char *
AmlExtensionSchema(void)
{
	if (SPI_execute("SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n "
					"ON n.oid = e.extnamespace WHERE e.extname = 'automl'", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "automl: extension automl not found");
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * AmlThrow raises the PostgreSQL error that corresponds to a core status.
 */
void
AmlThrow(aml_status status, const aml_error *err)
{
	int			code;

	switch (status)
	{
		case AML_EINVAL:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case AML_ENOMEM:
		case AML_ETOOLARGE:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case AML_EFORMAT:
			code = ERRCODE_DATA_CORRUPTED;
			break;
		case AML_ENUMERIC:
			code = ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
			break;
		case AML_ECANCELED:
			CHECK_FOR_INTERRUPTS();
			code = ERRCODE_QUERY_CANCELED;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s", err->msg[0] ? err->msg : aml_status_name(status)),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

typedef struct AmlFreeCb
{
	MemoryContextCallback cb;
	void		(*fn) (void *);
	void	   *ptr;
} AmlFreeCb;

static void
AmlFreeCallback(void *arg)
{
	AmlFreeCb  *f = arg;

	if (f->ptr)
		f->fn(f->ptr);
	f->ptr = NULL;
}

/*
 * AmlRegisterFree frees a core object when cxt is reset or deleted (on
 * success or error alike).
 */
void
AmlRegisterFree(MemoryContext cxt, void (*fn) (void *), void *ptr)
{
	AmlFreeCb  *f = MemoryContextAllocZero(cxt, sizeof(AmlFreeCb));

	f->fn = fn;
	f->ptr = ptr;
	f->cb.func = AmlFreeCallback;
	f->cb.arg = f;
	MemoryContextRegisterResetCallback(cxt, &f->cb);
}

/*
 * AmlPreventReadOnly stops a call that stores its result in the catalog
 * (detail says where) before its expensive part, in a read-only
 * transaction or on a standby, rather than at the INSERT after the whole
 * budget.
 */
void
AmlPreventReadOnly(const char *fn, const char *detail)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s during recovery", fn),
				 errdetail("%s", detail),
				 errhint("Run it on the primary; the result reaches this standby by replication.")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s in a read-only transaction", fn),
				 errdetail("%s", detail),
				 errhint("Run it in a read-write transaction.")));
}

/*
 * AmlSrfCheck checks a call of fn, a set-returning function of ncols
 * columns that materializes its result: it must be called where a set is
 * allowed (in FROM, or a select list: every SQL call is).  Returns the result type, for
 * AmlSrfStore.
 */
TupleDesc
AmlSrfCheck(FunctionCallInfo fcinfo, const char *fn, int ncols)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	desc;

	/* PostgreSQL's own wording (InitMaterializedSRF); no SQL call gets here */
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function %s called in context that cannot accept a set", fn)));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s must return a composite type", fn);
	if (desc->natts != ncols)
		elog(ERROR, "%s: result type has %d columns, expected %d", fn, desc->natts, ncols);
	return desc;
}

/*
 * AmlSrfStore starts the materialized result of a call that passed
 * AmlSrfCheck: a tuplestore in the query's memory, of the result type
 * AmlSrfCheck returned (*desc, replaced by its copy there), already handed
 * to the executor; the caller fills it.
 */
Tuplestorestate *
AmlSrfStore(FunctionCallInfo fcinfo, TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	Tuplestorestate *store;

	*desc = CreateTupleDescCopy(*desc);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *desc;
	MemoryContextSwitchTo(old);
	return store;
}
