/*-------------------------------------------------------------------------
 *
 * jobs.c
 *	  Training in a background worker.
 *
 *	  automl_train_start checks its arguments exactly as automl_train does,
 *	  records the call and the session's settings in automl.jobs and starts
 *	  a dynamic background worker (no shared_preload_libraries needed),
 *	  then returns the job's id.  The worker connects as the calling role,
 *	  waits until the starting transaction has committed (and quits if it
 *	  rolled back), takes the job, and runs the same automl_train call in
 *	  one transaction: the model, its candidates, its audit row and the
 *	  job's "done" are committed together.  An error, or a cancel, is
 *	  recorded on the job in a transaction of its own.
 *
 *	  Progress: each line the search would show as a NOTICE becomes the
 *	  worker's activity in pg_stat_activity (automl.job_status shows it),
 *	  and the NOTICEs an interactive call would show are kept with the job.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_train_start);
PG_FUNCTION_INFO_V1(automl_job_wait_until);
PG_FUNCTION_INFO_V1(automl_job_cancel);
PG_FUNCTION_INFO_V1(automl_job_alive);
PG_FUNCTION_INFO_V1(automl_jobs_purge);

PGDLLEXPORT void automl_job_main(Datum main_arg);

int			automl_max_jobs = 2;

/* what the worker needs before it can read anything */
typedef struct JobExtra
{
	Oid			db;
	Oid			role;
	TransactionId xid;			/* the transaction that queued the job */
} JobExtra;

/*
 * The settings a job runs under, taken from the session that starts it.
 * statement_timeout goes too: it caps a job as it caps automl_train (the
 * budget ends before it, or it cancels the job).
 */
static const char *const job_settings[] = {
	"search_path", "TimeZone", "statement_timeout", "automl.work_mem", "automl.threads",
	"automl.seed", "automl.max_model_size", "automl.require_approval", NULL
};

#define JOB_MAX_NOTICES 200

/* worker state: the job it runs, and the NOTICEs kept for it */
static int64 job_running = 0;
static char job_model[NAMEDATALEN * 4 + 64];
static MemoryContext job_cxt = NULL;
static List *job_notices = NIL;
static int	job_dropped = 0;
static emit_log_hook_type prev_emit_log_hook = NULL;

void
AmlJobsInit(void)
{
	DefineCustomIntVariable("automl.max_jobs",
							"Background trainings that may be queued or running at once in a database.",
							"0 turns automl_train_start off.  Each job is a background worker: "
							"max_worker_processes bounds them too.",
							&automl_max_jobs, 2, 0, 64,
							PGC_SUSET, 0, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- worker side */

/*
 * AmlJobActive: whether this backend is a background training; then
 * AmlJobProgress shows a line of the search as its activity.
 */
bool
AmlJobActive(void)
{
	return job_running != 0;
}

void
AmlJobProgress(const char *msg)
{
	char	   *line = psprintf("automl_train job %lld (%s): %s",
								(long long) job_running, job_model, msg);

	pgstat_report_activity(STATE_RUNNING, line);
	pfree(line);
}

/* JobLogHook keeps the job's NOTICEs (they go to no client) off the server log */
static void
JobLogHook(ErrorData *edata)
{
	if (job_running != 0 && edata->elevel == NOTICE && job_cxt != NULL)
	{
		if (list_length(job_notices) < JOB_MAX_NOTICES)
		{
			MemoryContext old = MemoryContextSwitchTo(job_cxt);

			job_notices = lappend(job_notices, pstrdup(edata->message ? edata->message : ""));
			MemoryContextSwitchTo(old);
		}
		else
			job_dropped++;
		edata->output_to_server = false;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* the kept NOTICEs as a text[] (NULL when none) */
static Datum
NoticesArray(bool *isnull)
{
	int			n = list_length(job_notices) + (job_dropped > 0 ? 1 : 0);
	Datum	   *elems;
	int			i = 0;
	ListCell   *lc;

	*isnull = n == 0;
	if (n == 0)
		return (Datum) 0;
	elems = palloc(n * sizeof(Datum));
	foreach(lc, job_notices)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	if (job_dropped > 0)
		elems[i++] = CStringGetTextDatum(psprintf("(%d more notices not kept)", job_dropped));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static void
XactBegin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

static void
XactEnd(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * JobWaitQueued waits until the job's row is visible, that is until the
 * transaction that queued it (xid) has committed; false when it rolled
 * back (the row never appears).
 */
static bool
JobWaitQueued(int64 job, TransactionId xid)
{
	bool		ended = false;

	for (;;)
	{
		Oid			types[1] = {INT8OID};
		Datum		vals[1] = {Int64GetDatum(job)};
		bool		found;
		bool		in_progress;

		XactBegin();
		if (AmlOwnerExec("SELECT 1 FROM automl.jobs WHERE id = $1", 1, types, vals, NULL, 1) != SPI_OK_SELECT)
			elog(ERROR, "automl: could not read job %lld", (long long) job);
		found = SPI_processed > 0;
		in_progress = TransactionIdIsInProgress(xid);
		XactEnd();
		if (found)
			return true;
		if (!in_progress)
		{
			/* one more look, with a snapshot taken after it ended */
			if (ended)
				return false;
			ended = true;
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 50L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * JobClaim marks a queued job running (committed, so others see it) and
 * returns its settings as a list of name, value pairs; false when the job
 * is no longer queued (cancelled before it started).
 */
static bool
JobClaim(int64 job, List **settings)
{
	Oid			types[1] = {INT8OID};
	Datum		vals[1] = {Int64GetDatum(job)};
	bool		claimed;

	XactBegin();
	if (AmlOwnerExec("UPDATE automl.jobs SET state = 'running', started_at = pg_catalog.clock_timestamp(), "
				  "pid = pg_catalog.pg_backend_pid() WHERE id = $1 AND state = 'queued' RETURNING model",
				  1, types, vals, NULL, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "automl: could not claim job %lld", (long long) job);
	claimed = SPI_processed == 1;
	if (claimed)
	{
		MemoryContext old;
		char	   *model = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		snprintf(job_model, sizeof(job_model), "%s", model);
		if (AmlOwnerExec("SELECT s.key, s.value FROM automl.jobs j, pg_catalog.jsonb_each_text(j.settings) s "
					  "WHERE j.id = $1 ORDER BY s.key", 1, types, vals, NULL, 0) != SPI_OK_SELECT)
			elog(ERROR, "automl: could not read the settings of job %lld", (long long) job);
		old = MemoryContextSwitchTo(job_cxt);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			char	   *k = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

			if (k != NULL && v != NULL)
				*settings = lappend(lappend(*settings, pstrdup(k)), pstrdup(v));
		}
		MemoryContextSwitchTo(old);
	}
	XactEnd();
	return claimed;
}

/*
 * JobNotify tells listeners on channel automl_jobs that a job ended, when
 * this transaction commits.  The payload names the job and its state only
 * (any role may listen); automl.job_status tells its owner the rest.
 */
static void
JobNotify(int64 job, const char *state)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		vals[2] = {Int64GetDatum(job), CStringGetTextDatum(state)};

	if (SPI_execute_with_args("SELECT pg_catalog.pg_notify('automl_jobs', "
							  "pg_catalog.json_build_object('id', $1, 'state', $2)::text)",
							  2, types, vals, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not notify the end of job %lld", (long long) job);
}

/* JobFailed records how a job ended without a model (its own transaction) */
static void
JobFailed(int64 job, ErrorData *ed)
{
	Oid			types[8] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID};
	Datum		vals[8];
	char		nulls[8] = "       ";
	bool		nn;
	bool		cancelled = ed->sqlerrcode == ERRCODE_QUERY_CANCELED;

	XactBegin();
	vals[0] = Int64GetDatum(job);
	vals[1] = CStringGetTextDatum(cancelled ? "cancelled" : "failed");
	vals[2] = CStringGetTextDatum(ed->message ? ed->message : "unknown error");
	vals[3] = ed->detail ? CStringGetTextDatum(ed->detail) : (Datum) 0;
	nulls[3] = ed->detail ? ' ' : 'n';
	vals[4] = ed->hint ? CStringGetTextDatum(ed->hint) : (Datum) 0;
	nulls[4] = ed->hint ? ' ' : 'n';
	vals[5] = CStringGetTextDatum(unpack_sql_state(ed->sqlerrcode));
	vals[6] = NoticesArray(&nn);
	nulls[6] = nn ? 'n' : ' ';
	if (AmlOwnerExec("UPDATE automl.jobs SET state = $2, finished_at = pg_catalog.clock_timestamp(), "
				  "error = $3, error_detail = $4, error_hint = $5, sqlstate = $6, notices = $7 WHERE id = $1",
				  7, types, vals, nulls, 0) != SPI_OK_UPDATE)
		elog(ERROR, "automl: could not record the end of job %lld", (long long) job);
	JobNotify(job, cancelled ? "cancelled" : "failed");
	XactEnd();
}

/*
 * JobRun runs the job's automl_train call and records its result in the
 * same transaction; on an error, rolls back and records the error.
 */
static void
JobRun(int64 job, List *settings)
{
	MemoryContext run_cxt = CurrentMemoryContext;

	PG_TRY();
	{
		Oid			types[3] = {INT8OID, TEXTOID, TEXTARRAYOID};
		Datum		vals[3];
		char		nulls[3] = "   ";
		char	   *sql;
		char	   *result;
		char	   *extschema;
		bool		nn;

		XactBegin();
		for (ListCell *lc = list_head(settings); lc != NULL; lc = lnext(settings, lnext(settings, lc)))
			SetConfigOption((char *) lfirst(lc), (char *) lfirst(lnext(settings, lc)),
							PGC_SUSET, PGC_S_SESSION);
		extschema = AmlExtensionSchema();
		if (StatementTimeout > 0)
			enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
		AmlJobProgress("reading the source");
		sql = psprintf("SELECT pg_catalog.to_jsonb(r)::text FROM automl.jobs j, "
					   "LATERAL %s.automl_train(j.args->>'source', j.args->>'target', j.model, "
					   "j.args->>'task', (j.args->>'budget')::pg_catalog.interval, j.args->>'metric', "
					   "CASE WHEN pg_catalog.jsonb_typeof(j.args->'exclude') = 'array' THEN "
					   "ARRAY(SELECT pg_catalog.jsonb_array_elements_text(j.args->'exclude')) END, "
					   "NULLIF(j.args->'options', 'null'::pg_catalog.jsonb)) r WHERE j.id = $1",
					   quote_identifier(extschema));
		vals[0] = Int64GetDatum(job);
		if (SPI_execute_with_args(sql, 1, types, vals, NULL, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "automl: job %lld has no call to run", (long long) job);
		result = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		AmlJobProgress("storing the result");
		vals[1] = CStringGetTextDatum(result);
		vals[2] = NoticesArray(&nn);
		nulls[2] = nn ? 'n' : ' ';
		if (AmlOwnerExec("UPDATE automl.jobs SET state = 'done', finished_at = pg_catalog.clock_timestamp(), "
					  "result = $2::pg_catalog.jsonb, version = ($2::pg_catalog.jsonb->>'version')::integer, "
					  "notices = $3 WHERE id = $1", 3, types, vals, nulls, 0) != SPI_OK_UPDATE)
			elog(ERROR, "automl: could not record the result of job %lld", (long long) job);
		JobNotify(job, "done");
		disable_timeout(STATEMENT_TIMEOUT, false);
		XactEnd();
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(run_cxt);
		ed = CopyErrorData();
		FlushErrorState();
		disable_timeout(STATEMENT_TIMEOUT, false);
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		JobFailed(job, ed);
	}
	PG_END_TRY();
}

/*
 * automl_job_main is the background worker: connect as the role that
 * started the job, wait for the job to be committed, run it.
 */
void
automl_job_main(Datum main_arg)
{
	int64		job = DatumGetInt64(main_arg);
	JobExtra	ex;
	List	   *settings = NIL;

	memcpy(&ex, MyBgworkerEntry->bgw_extra, sizeof(ex));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(ex.db, ex.role, 0);

	job_cxt = AllocSetContextCreate(TopMemoryContext, "automl job", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(job_cxt);
	SetConfigOption("application_name", psprintf("automl job %lld", (long long) job),
					PGC_USERSET, PGC_S_SESSION);
	/* NOTICEs reach the hook only when the server would log them */
	SetConfigOption("log_min_messages", "notice", PGC_SUSET, PGC_S_OVERRIDE);
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = JobLogHook;

	if (!JobWaitQueued(job, ex.xid))
		proc_exit(0);			/* the starting transaction rolled back */
	if (!JobClaim(job, &settings))
		proc_exit(0);			/* cancelled before it started */
	job_running = job;
	JobRun(job, settings);
	job_running = 0;
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

/* ---------------------------------------------------------------- caller side */

/* the session's job settings as a JSON object */
static char *
SettingsJson(void)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (int i = 0; job_settings[i] != NULL; i++)
	{
		const char *v = GetConfigOption(job_settings[i], true, false);

		if (v == NULL)
			continue;
		if (s.len > 1)
			appendStringInfoString(&s, ", ");
		escape_json(&s, job_settings[i]);
		appendStringInfoString(&s, ": ");
		escape_json(&s, v);
	}
	appendStringInfoChar(&s, '}');
	return s.data;
}

/* whether pid is a background worker's process (set up, not yet gone) */
static bool
WorkerAlive(int pid)
{
	PGPROC	   *proc = BackendPidGetProc(pid);

	return proc != NULL && proc->isBackgroundWorker;
}

/*
 * automl.job_alive(pid): whether a job's worker is still there; a queued
 * or running job without one is lost (terminated, or the server restarted).
 */
Datum
automl_job_alive(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(WorkerAlive(PG_GETARG_INT32(0)));
}

/*
 * The number of jobs of this database whose worker is alive.  Starts are
 * serialized: the first takes a transaction-level lock that the others
 * wait on until it commits or rolls back, and the count reads the latest
 * committed state (not the transaction's snapshot, which under REPEATABLE
 * READ would miss a job committed meanwhile).  Without both, two starts in
 * concurrent transactions could each see room for one more job.  The lock
 * is an advisory lock tag in a class (field 4 = 3) that the SQL advisory
 * functions, which use 1 and 2, cannot take.
 */
static int64
LiveJobs(void)
{
	LOCKTAG		tag;
	bool		isnull;
	Datum		d;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0x61756d6c, 1, 3);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	if (AmlOwnerExecLatest("SELECT count(*) FROM automl.jobs j "
						   "WHERE j.state IN ('queued', 'running') AND automl.job_alive(j.pid)",
						   0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "automl: could not count jobs");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * automl_train_start(source, target, name, task, budget, metric, exclude,
 * options) checks the call as automl_train would, queues it and starts
 * its worker; returns the job id.
 */
Datum
automl_train_start(PG_FUNCTION_ARGS)
{
	AmlTrainArgs a;
	Oid			role = GetUserId();
	HeapTuple	rt;
	bool		can_login;
	Oid			types[10];
	Datum		vals[10];
	char		nulls[10];
	int64		job;
	int64		live;
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid;
	JobExtra	ex;
	char	   *query;

	query = AmlTrainArgsParse(fcinfo, "automl_train_start()",
							  "It records the job in automl.jobs, and the job stores its model in automl.models.",
							  &a);
	if (AmlSourceIsTemp())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a background training cannot read temporary table \"%s\"", a.source),
				 errdetail("The job runs in a session of its own, which does not see this session's temporary tables."),
				 errhint("Copy the rows into a regular table, or call automl_train.")));
	rt = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	if (!HeapTupleIsValid(rt))
		elog(ERROR, "automl: role %u not found", role);
	can_login = ((Form_pg_authid) GETSTRUCT(rt))->rolcanlogin;
	ReleaseSysCache(rt);
	if (!can_login)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot log in, so it cannot run a background training",
						GetUserNameFromId(role, false)),
				 errdetail("The job's worker connects as the role that starts it."),
				 errhint("Start the job as a role with LOGIN, or call automl_train.")));
	AmlGovCheck(a.name, AML_GOV_TRAIN);
	if (automl_max_jobs == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("background training is turned off"),
				 errdetail("automl.max_jobs is 0."),
				 errhint("A superuser can turn it on, e.g. ALTER DATABASE ... SET automl.max_jobs = 2; or call automl_train.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the target, exclude, time and sensitive columns, as the job will see them */
	{
		aml_env    *env;
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "automl check",
												  ALLOCSET_DEFAULT_SIZES);
		int			target_col;
		List	   *ex_cols = NIL;
		List	   *sens_cols = NIL;

		env = AmlEnvCreate(cxt);
		a.columns_only = true;
		(void) AmlReadSource(env, query, &a, cxt, &target_col, &ex_cols, &sens_cols);
		MemoryContextDelete(cxt);
	}
	live = LiveJobs();
	if (live >= automl_max_jobs)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many background trainings"),
				 errdetail_plural("%lld job is queued or running in this database; automl.max_jobs is %d.",
								  "%lld jobs are queued or running in this database; automl.max_jobs is %d.",
								  (unsigned long) live, (long long) live, automl_max_jobs),
				 errhint("Wait for one to end (automl_job_wait), or ask a superuser to raise automl.max_jobs.")));

	for (int i = 0; i < 10; i++)
	{
		types[i] = TEXTOID;
		nulls[i] = ' ';
		vals[i] = (Datum) 0;
	}
	vals[0] = CStringGetTextDatum(GetUserNameFromId(role, false));
	vals[1] = CStringGetTextDatum(a.name);
	vals[2] = PG_GETARG_DATUM(0);
	vals[3] = PG_GETARG_DATUM(1);
	if (PG_ARGISNULL(3))
		nulls[4] = 'n';
	else
		vals[4] = PG_GETARG_DATUM(3);
	types[5] = INTERVALOID;
	if (PG_ARGISNULL(4))
		nulls[5] = 'n';
	else
		vals[5] = PG_GETARG_DATUM(4);
	if (PG_ARGISNULL(5))
		nulls[6] = 'n';
	else
		vals[6] = PG_GETARG_DATUM(5);
	types[7] = TEXTARRAYOID;
	if (PG_ARGISNULL(6))
		nulls[7] = 'n';
	else
		vals[7] = PG_GETARG_DATUM(6);
	types[8] = JSONBOID;
	if (PG_ARGISNULL(7))
		nulls[8] = 'n';
	else
		vals[8] = PG_GETARG_DATUM(7);
	vals[9] = CStringGetTextDatum(SettingsJson());
	if (AmlOwnerExec("INSERT INTO automl.jobs (owner, model, args, settings) VALUES ($1, $2, "
				  "pg_catalog.jsonb_build_object('source', $3, 'target', $4, 'task', $5, "
				  "'budget', $6, 'metric', $7, 'exclude', $8, 'options', $9), $10::pg_catalog.jsonb) "
				  "RETURNING id", 10, types, vals, nulls, 0) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "automl: could not queue the job");
	{
		bool		isnull;

		job = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, "automl");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "automl_job_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "automl training job %lld", (long long) job);
	snprintf(w.bgw_type, BGW_MAXLEN, "automl training");
	w.bgw_main_arg = Int64GetDatum(job);
	w.bgw_notify_pid = MyProcPid;
	ex.db = MyDatabaseId;
	ex.role = role;
	ex.xid = GetTopTransactionId();
	memcpy(w.bgw_extra, &ex, sizeof(ex));
	if (!RegisterDynamicBackgroundWorker(&w, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker for the training"),
				 errdetail("All max_worker_processes (%d) background worker slots are in use.",
						   max_worker_processes),
				 errhint("Wait for a background job to end, or raise max_worker_processes (this needs a restart).")));
	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status != BGWH_STARTED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("the background worker for the training did not start"),
				 errhint("The server log may say why.")));
	/* until its process is set up, automl.job_status would call it lost */
	for (int i = 0; i < 5000 && !WorkerAlive(pid); i++)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	types[0] = INT8OID;
	vals[0] = Int64GetDatum(job);
	types[1] = INT4OID;
	vals[1] = Int32GetDatum((int32) pid);
	if (AmlOwnerExec("UPDATE automl.jobs SET pid = $2 WHERE id = $1", 2, types, vals, NULL, 0) != SPI_OK_UPDATE)
		elog(ERROR, "automl: could not record the job's worker");
	SPI_finish();
	ereport(NOTICE,
			(errmsg("training \"%s\" in the background as job %lld", a.name, (long long) job),
			 errdetail("It starts when this transaction commits."),
			 errhint("Follow it in automl.job_status; SELECT * FROM automl_job_wait(%lld) waits for it.",
					 (long long) job)));
	PG_RETURN_INT64(job);
}

/* the caller's view of a job: state and whether this transaction queued it */
static void
JobLook(int64 job, char **state, bool *mine, int *pid)
{
	Oid			types[1] = {INT8OID};
	Datum		vals[1] = {Int64GetDatum(job)};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT s.state, j.xmin, j.pid FROM automl.job_status s "
							  "JOIN automl.jobs j ON j.id = s.id WHERE s.id = $1",
							  1, types, vals, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read job %lld", (long long) job);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("background training job %lld does not exist", (long long) job),
				 errhint("automl.job_status lists the jobs of your roles.")));
	*state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	*mine = !isnull && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(d));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
	*pid = isnull ? 0 : DatumGetInt32(d);
}

static bool
JobEnded(const char *state)
{
	return strcmp(state, "queued") != 0 && strcmp(state, "running") != 0;
}

/*
 * automl.job_wait_until(job, timeout) waits until the job has ended (true)
 * or the timeout (NULL: none) has passed (false).
 */
Datum
automl_job_wait_until(PG_FUNCTION_ARGS)
{
	int64		job;
	TimestampTz deadline = 0;
	bool		ended = false;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("job must not be NULL")));
	job = PG_GETARG_INT64(0);
	if (!PG_ARGISNULL(1))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(1);
		double		secs = iv->time / 1e6 + (double) iv->day * 86400.0 + (double) iv->month * 30 * 86400.0;

		if (secs < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("timeout must not be negative")));
		deadline = GetCurrentTimestamp() + (TimestampTz) Min(secs * 1e6, (double) PG_INT64_MAX / 2);
	}
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("automl_job_wait cannot wait in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("Such a transaction never sees the job end."),
				 errhint("Call it in a READ COMMITTED transaction.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (;;)
	{
		char	   *state;
		bool		mine;
		int			pid;

		JobLook(job, &state, &mine, &pid);
		if (JobEnded(state))
		{
			ended = true;
			break;
		}
		if (mine && strcmp(state, "queued") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("job %lld was started in this transaction", (long long) job),
					 errdetail("Its worker waits for this transaction to commit."),
					 errhint("Commit first, then wait for the job.")));
		if (deadline != 0 && GetCurrentTimestamp() >= deadline)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	PG_RETURN_BOOL(ended);
}

/*
 * automl_job_cancel(job): a queued job is marked cancelled and never
 * starts; a running one gets a cancel request, as pg_cancel_backend
 * sends, and ends as 'cancelled' within about a second.  False (with a
 * NOTICE) when the job had already ended.
 */
Datum
automl_job_cancel(PG_FUNCTION_ARGS)
{
	int64		job = PG_GETARG_INT64(0);
	char	   *state;
	bool		mine;
	int			pid;
	bool		done = false;

	AmlPreventReadOnly("automl_job_cancel()", "It records the cancel in automl.jobs.");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	JobLook(job, &state, &mine, &pid);
	if (strcmp(state, "queued") == 0)
	{
		Oid			types[1] = {INT8OID};
		Datum		vals[1] = {Int64GetDatum(job)};

		if (AmlOwnerExec("UPDATE automl.jobs SET state = 'cancelled', finished_at = pg_catalog.clock_timestamp(), "
					  "error = 'cancelled before it started', sqlstate = '57014' "
					  "WHERE id = $1 AND state = 'queued'", 1, types, vals, NULL, 0) != SPI_OK_UPDATE)
			elog(ERROR, "automl: could not cancel job %lld", (long long) job);
		done = SPI_processed == 1;
		if (done)
			JobNotify(job, "cancelled");
		if (!done)
			JobLook(job, &state, &mine, &pid);	/* its worker took it meanwhile */
	}
	if (!done && strcmp(state, "running") == 0 && pid != 0)
		done = DatumGetBool(DirectFunctionCall1(pg_cancel_backend, Int32GetDatum(pid)));
	else if (!done)
		ereport(NOTICE,
				(errmsg("job %lld has already ended (%s)", (long long) job, state)));
	SPI_finish();
	PG_RETURN_BOOL(done);
}

/*
 * automl_jobs_purge(older_than) deletes the records of the caller's jobs
 * (those of the roles it is a member of; every job for a superuser) that
 * ended more than older_than ago: done, failed, cancelled, and lost ones
 * (their worker is gone) by the time they were submitted.  Queued and
 * running jobs stay.  Returns how many were deleted.  The models the jobs
 * trained, and their audit rows, stay.
 */
Datum
automl_jobs_purge(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {INTERVALOID, OIDOID};
	Datum		vals[2];
	int64		n;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("older_than must not be NULL"),
				 errhint("For example: automl_jobs_purge('30 days'); '0' purges every ended job.")));
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(0);

		if (iv->time < 0 || iv->day < 0 || iv->month < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("older_than must not be negative")));
	}
	AmlPreventReadOnly("automl_jobs_purge()", "It deletes rows of automl.jobs.");
	vals[0] = PG_GETARG_DATUM(0);
	vals[1] = ObjectIdGetDatum(GetUserId());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (AmlOwnerExec("DELETE FROM automl.jobs j "
				  "WHERE pg_catalog.pg_has_role($2, j.owner, 'MEMBER') "
				  "AND (CASE WHEN j.state IN ('queued', 'running') "
				  "          THEN NOT automl.job_alive(j.pid) AND j.submitted_at < pg_catalog.now() - $1 "
				  "          ELSE j.finished_at < pg_catalog.now() - $1 END)",
				  2, types, vals, NULL, 0) != SPI_OK_DELETE)
		elog(ERROR, "automl: could not purge jobs");
	n = (int64) SPI_processed;
	SPI_finish();
	PG_RETURN_INT64(n);
}
