/*-------------------------------------------------------------------------
 *
 * automl_pg.h
 *	  Declarations shared by the PostgreSQL glue files.
 *
 * Only the backend's main thread runs this code.  Core objects are
 * malloc'd; every one is tied to a memory context through a reset
 * callback so an ERROR never leaks it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOML_PG_H
#define AUTOML_PG_H

#include "postgres.h"

#include <math.h>


#include "access/tupdesc.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "aml.h"

/* GUCs */
extern int	automl_work_mem;	/* kB */
extern int	automl_max_model_size;	/* kB */
extern int	automl_threads;
extern int	automl_seed;
extern bool automl_progress;

/* automl.c */
extern void AmlEnvInit(aml_env *env);
extern aml_env *AmlEnvCreate(MemoryContext cxt);
extern int	AmlOwnerExec(const char *sql, int nargs, Oid *types, Datum *vals, const char *nulls,
						 long count);
extern int	AmlOwnerExecLatest(const char *sql, long count);
extern char *AmlExtensionSchema(void);
extern void AmlThrow(aml_status status, const aml_error *err) pg_attribute_noreturn();
extern void AmlRegisterFree(MemoryContext cxt, void (*fn) (void *), void *ptr);
extern void AmlPreventReadOnly(const char *fn, const char *detail);

/* automl.c: set-returning functions that materialize their rows */
extern TupleDesc AmlSrfCheck(FunctionCallInfo fcinfo, const char *fn, int ncols);
extern Tuplestorestate *AmlSrfStore(FunctionCallInfo fcinfo, TupleDesc *desc);

/* a float8 result column: NULL for NaN and infinities */
static inline Datum
AmlFloat8OrNull(double v, bool *isnull)
{
	*isnull = !isfinite(v);
	return Float8GetDatum(isfinite(v) ? v : 0.0);
}

/* train.c: a table/view name or query as a query, and a name stem */
extern char *AmlResolveSource(const char *source, char **stem);
extern bool AmlSourceIsTemp(void);

/* train.c: the arguments of automl_train, parsed */
typedef struct AmlTrainArgs
{
	char	   *source;
	char	   *target;
	char	   *name;
	aml_task	task;
	double		budget;
	double		budget_cut;		/* the budget statement_timeout left (seconds;
								 * 0: not cut) */
	char	   *metric;
	List	   *exclude;		/* of char * */
	List	   *sensitive;		/* of char *, option "sensitive" */
	aml_train_options opts;
	char	   *options_text;
	bool		columns_only;	/* AmlReadSource: check the columns, read no row */
} AmlTrainArgs;

/* jobs.c: training in a background worker */
extern int	automl_max_jobs;
extern void AmlJobsInit(void);
extern bool AmlJobActive(void);
extern void AmlJobProgress(const char *msg);

/* train.c: automl_train's arguments checked and parsed; returns the source query */
extern char *AmlTrainArgsParse(FunctionCallInfo fcinfo, const char *fn, const char *detail,
							   AmlTrainArgs *a);

/* train.c: the options jsonb, the task name, the source read into a frame */
extern void AmlParseOptions(Jsonb *jb, aml_train_options *o, List **sensitive);
extern aml_task AmlParseTask(const char *t);
extern void AmlSetColumns(aml_train_options *o, int target_col, List *exclude_cols,
						  List *sensitive_cols);
extern aml_frame *AmlReadSource(aml_env *env, const char *query, AmlTrainArgs *a,
								MemoryContext keep, int *target_col, List **exclude_cols,
								List **sensitive_cols);

#define AML_PREDICT_BLOCK 256

/* governance.c: ownership, sharing, the approval gate, audit */
typedef enum AmlGovPriv
{
	AML_GOV_USE,
	AML_GOV_REVIEW,
	AML_GOV_TRAIN
} AmlGovPriv;

typedef struct AmlOwnerSwitch
{
	Oid			save_user;
	int			save_sec;
	int			nest;
} AmlOwnerSwitch;

extern bool automl_require_approval;
extern void AmlGovInit(void);
extern Oid	AmlGovCaller(void);
extern char *AmlGovCallerName(void);
extern void AmlAsOwnerBegin(AmlOwnerSwitch *s);
extern void AmlAsOwnerEnd(AmlOwnerSwitch *s);
extern void AmlGovCheck(const char *name, AmlGovPriv priv);
extern const char *AmlGovTrainBegin(const char *name);
extern void AmlGovAuditTrain(int64 model_id, double budget_seconds, double budget_cut);
extern bool AmlGovPendingNotice(const char *name, int version, const char *status);
extern void AmlGovDeploy(const char *name, int version, int64 model_id, const char *reason, bool automatic);

/* model cache (predict.c) */
extern aml_model *AmlModelLoad(const char *name, int version, int64 *model_id);

/* predict.c: a row type's columns mapped by name to a model's inputs */
typedef struct RowMapper RowMapper;
extern RowMapper *MapperCreate(aml_model *m, TupleDesc desc, MemoryContext cxt, const char *name);
extern void MapperConvert(const RowMapper *rm, const Datum *values, const bool *nulls, double *in);

/* bias.c: a source read and scored by a model (automl_bias, automl_evaluate) */
typedef struct AmlScored
{
	int64		n;				/* rows read */
	double	   *pred;			/* n x the model's outputs */
	double	   *y;				/* n labels: class index or value, NaN for a
								 * NULL or an unknown class; NULL when the
								 * source has no target column */
	int64		unknown_labels; /* labels not among the model's classes */
	char	   *target;			/* the model's target column */
} AmlScored;

/* the caller's own columns: the row type, capacity growth, each row */
typedef struct AmlScanHooks
{
	void		(*setup) (void *arg, TupleDesc desc, MemoryContext cxt);
	void		(*grow) (void *arg, int64 cap, MemoryContext cxt);
	void		(*row) (void *arg, int64 i, Datum *values, bool *nulls, MemoryContext cxt);
	/* rows first .. first + n - 1 as the model reads them (n x inputs) */
	void		(*block) (void *arg, int64 first, int n, const double *in);
	bool		no_predict;		/* only the inputs: neither score nor read labels */
} AmlScanHooks;

/* evaluate.c: the (model, source, version) arguments, the model loaded */
extern aml_model *AmlModelSourceArgs(FunctionCallInfo fcinfo, char **name, char **source,
									 int64 *model_id);
extern void AmlScoreSource(aml_model *m, const char *name, int64 model_id, const char *query,
						   const char *fn, bool need_target, const AmlScanHooks *hooks,
						   void *arg, AmlScored *out);

#endif							/* AUTOML_PG_H */
