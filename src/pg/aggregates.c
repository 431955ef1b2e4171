/*-------------------------------------------------------------------------
 *
 * aggregates.c
 *	  The metric aggregates: automl.rmse, automl.mae, automl.r2,
 *	  automl.log_loss, automl.roc_auc and automl.pr_auc over any predictions
 *	  and labels, with GROUP BY, FILTER and parallel scans; and
 *	  automl.roc_auc_compare, DeLong's test of two scores on the same rows.
 *
 * States are bytea, not internal: a plain state needs no serialize and
 * deserialize functions to cross from a parallel worker to the leader,
 * and Citus pushes an aggregate with a plain state down to its workers
 * (an internal one ships every row to the coordinator; DESIGN.md).
 *
 * - The moment metrics (rmse, mae, r2, log_loss) keep the core's streaming
 *	 accumulator (aml_metric_acc): a fixed-size state updated in place.
 * - The ranking metrics (roc_auc, pr_auc) need every (score, label) pair,
 *	 the comparison every (score a, score b, label) triple: the state is a
 *	 buffer of such rows that doubles when full.  The final function hands
 *	 them to aml_metric_compute, as automl_evaluate does, or to
 *	 aml_metric_roc_auc_compare.
 *
 * A transition function updates its state in place, which PostgreSQL
 * allows only when it is called as an aggregate (the state then lives in
 * the aggregate's memory context).  A grown buffer is built in the
 * per-call context and returned: the executor copies it into the
 * aggregate's context and frees the old state.  Rows with a NULL input are
 * skipped, as every SQL aggregate skips them; no rows give NULL, as does a
 * metric that is undefined on the rows (AUC of one class, r2 of a constant
 * target).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_metric_accum);
PG_FUNCTION_INFO_V1(automl_metric_prob_accum);
PG_FUNCTION_INFO_V1(automl_metric_binary_prob_accum);
PG_FUNCTION_INFO_V1(automl_metric_combine);
PG_FUNCTION_INFO_V1(automl_metric_rmse_final);
PG_FUNCTION_INFO_V1(automl_metric_mae_final);
PG_FUNCTION_INFO_V1(automl_metric_r2_final);
PG_FUNCTION_INFO_V1(automl_metric_log_loss_final);
PG_FUNCTION_INFO_V1(automl_metric_rank_accum);
PG_FUNCTION_INFO_V1(automl_metric_rank_combine);
PG_FUNCTION_INFO_V1(automl_metric_roc_auc_final);
PG_FUNCTION_INFO_V1(automl_metric_pr_auc_final);
PG_FUNCTION_INFO_V1(automl_metric_compare_accum);
PG_FUNCTION_INFO_V1(automl_metric_compare_final);

/* the moment state: a varlena around the core's accumulator */
typedef struct MomentState
{
	int32		vl_len_;
	int32		magic;
	aml_metric_acc acc;
} MomentState;

/*
 * the ranking state: n rows of `width` doubles each, (score, label) for
 * the metrics or (score a, score b, label) for the comparison; VARSIZE is
 * the whole buffer, so the rows it has room for are RankCap's
 */
typedef struct RankState
{
	int32		vl_len_;
	int32		magic;
	int32		width;
	int32		pad;
	int64		n;
	double		v[FLEXIBLE_ARRAY_MEMBER];
} RankState;

#define MOMENT_MAGIC 0x6D6D6C31	/* state layouts, checked on every use */
#define RANK_MAGIC 0x726D6C31
#define RANK_FIRST_CAP 64

/* AggOnly refuses a transition or combine call outside an aggregate. */
static void
AggOnly(FunctionCallInfo fcinfo, const char *fn)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called by an automl metric aggregate", fn),
				 errhint("Call the aggregate, e.g. SELECT automl.rmse(prediction, actual) FROM t.")));
}

/* BadState refuses a bytea that is not a state of the expected layout. */
static void
pg_attribute_noreturn()
BadState(const char *fn)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s was given a state that is not its own", fn),
			 errdetail("The state of an automl metric aggregate is made only by its transition function."),
			 errhint("Call the aggregate, e.g. SELECT automl.rmse(prediction, actual) FROM t.")));
}

static void
StateCheck(bytea *b, Size min_size, int32 magic, const char *fn)
{
	if (VARATT_IS_EXTENDED(b) || VARSIZE(b) < min_size || ((MomentState *) b)->magic != magic)
		BadState(fn);
}

static MomentState *
MomentArg(FunctionCallInfo fcinfo, int arg, const char *fn)
{
	MomentState *st;

	if (PG_ARGISNULL(arg))
	{
		st = palloc0(sizeof(MomentState));
		SET_VARSIZE(st, sizeof(MomentState));
		st->magic = MOMENT_MAGIC;
		return st;
	}
	st = (MomentState *) PG_GETARG_BYTEA_P(arg);
	StateCheck((bytea *) st, sizeof(MomentState), MOMENT_MAGIC, fn);
	if (VARSIZE(st) != sizeof(MomentState))
		BadState(fn);
	return st;
}

/* automl.metric_accum(state, prediction, actual): rmse, mae, r2 */
Datum
automl_metric_accum(PG_FUNCTION_ARGS)
{
	MomentState *st;

	AggOnly(fcinfo, "automl.metric_accum");
	st = MomentArg(fcinfo, 0, "automl.metric_accum");
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
		aml_metric_acc_add(&st->acc, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2));
	PG_RETURN_BYTEA_P(st);
}

/* automl.metric_prob_accum(state, probability of the actual class) */
Datum
automl_metric_prob_accum(PG_FUNCTION_ARGS)
{
	MomentState *st;

	AggOnly(fcinfo, "automl.metric_prob_accum");
	st = MomentArg(fcinfo, 0, "automl.metric_prob_accum");
	if (!PG_ARGISNULL(1))
		aml_metric_acc_add_prob(&st->acc, PG_GETARG_FLOAT8(1));
	PG_RETURN_BYTEA_P(st);
}

/* automl.metric_prob_accum(state, probability of true, actual boolean) */
Datum
automl_metric_binary_prob_accum(PG_FUNCTION_ARGS)
{
	MomentState *st;

	AggOnly(fcinfo, "automl.metric_prob_accum");
	st = MomentArg(fcinfo, 0, "automl.metric_prob_accum");
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		double		p = PG_GETARG_FLOAT8(1);

		aml_metric_acc_add_prob(&st->acc, PG_GETARG_BOOL(2) ? p : 1.0 - p);
	}
	PG_RETURN_BYTEA_P(st);
}

/* automl.metric_combine(a, b): the moment states of two parts of the rows */
Datum
automl_metric_combine(PG_FUNCTION_ARGS)
{
	MomentState *a,
			   *b;

	AggOnly(fcinfo, "automl.metric_combine");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	a = MomentArg(fcinfo, 0, "automl.metric_combine");
	b = MomentArg(fcinfo, 1, "automl.metric_combine");
	aml_metric_acc_merge(&a->acc, &b->acc);
	PG_RETURN_BYTEA_P(a);
}

static Datum
MomentFinal(FunctionCallInfo fcinfo, const char *metric)
{
	MomentState *st;
	double		v;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (MomentState *) PG_GETARG_BYTEA_P(0);
	StateCheck((bytea *) st, sizeof(MomentState), MOMENT_MAGIC, psprintf("automl.%s", metric));
	/* undefined (no rows, a constant target) is NULL; NaN inputs give NaN */
	if (st->acc.n == 0 || (strcmp(metric, "r2") == 0 && !(st->acc.m2 > 0.0) && !isnan(st->acc.m2)))
		PG_RETURN_NULL();
	v = aml_metric_acc_result(&st->acc, metric);
	PG_RETURN_FLOAT8(v);
}

Datum
automl_metric_rmse_final(PG_FUNCTION_ARGS)
{
	return MomentFinal(fcinfo, "rmse");
}

Datum
automl_metric_mae_final(PG_FUNCTION_ARGS)
{
	return MomentFinal(fcinfo, "mae");
}

Datum
automl_metric_r2_final(PG_FUNCTION_ARGS)
{
	return MomentFinal(fcinfo, "r2");
}

Datum
automl_metric_log_loss_final(PG_FUNCTION_ARGS)
{
	return MomentFinal(fcinfo, "log_loss");
}

/* ---------------------------------------------------------------- ranking */

static Size
RankSize(int64 cap, int width)
{
	return offsetof(RankState, v) + (Size) cap * width * sizeof(double);
}

static int64
RankCap(const RankState *st)
{
	return (int64) ((VARSIZE(st) - offsetof(RankState, v)) / (st->width * sizeof(double)));
}

/*
 * RankRoom returns a state that holds st's pairs with room for `more`:
 * st itself when it has it, else a copy with twice the room (in the
 * current, per-call context: the executor keeps its own copy).
 */
static RankState *
RankRoom(RankState *st, int64 more, int width)
{
	int64		cap = st ? RankCap(st) : 0,
				n = st ? st->n : 0;
	RankState  *ns;

	if (st && n + more <= cap)
		return st;
	cap = Max(Max(cap * 2, n + more), RANK_FIRST_CAP);
	if (RankSize(cap, width) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for an automl ranking metric in one group"),
				 errdetail("The state of automl.roc_auc, automl.pr_auc and automl.roc_auc_compare holds %d bytes a row, at most 1 GB.",
						   (int) (width * sizeof(double))),
				 errhint("Compute it on a sample of the rows, or per group.")));
	ns = palloc(RankSize(cap, width));
	SET_VARSIZE(ns, RankSize(cap, width));
	ns->magic = RANK_MAGIC;
	ns->width = width;
	ns->pad = 0;
	ns->n = n;
	if (n > 0)
		memcpy(ns->v, st->v, (Size) n * width * sizeof(double));
	return ns;
}

static RankState *
RankArg(FunctionCallInfo fcinfo, int arg, int width, const char *fn)
{
	RankState  *st;

	if (PG_ARGISNULL(arg))
		return NULL;
	st = (RankState *) PG_GETARG_BYTEA_P(arg);
	StateCheck((bytea *) st, offsetof(RankState, v), RANK_MAGIC, fn);
	if (st->width != width || st->n < 0 || st->n > RankCap(st) || RankSize(RankCap(st), width) != VARSIZE(st))
		BadState(fn);
	return st;
}

/*
 * RankAppend adds a row of `width` values (the arguments after the state,
 * the last a boolean label) to the state; a row with a NULL is skipped.
 */
static Datum
RankAppend(FunctionCallInfo fcinfo, int width, const char *fn)
{
	RankState  *st;
	double	   *row;

	AggOnly(fcinfo, fn);
	st = RankArg(fcinfo, 0, width, fn);
	for (int k = 1; k <= width; k++)
		if (PG_ARGISNULL(k))
		{
			if (st == NULL)
				PG_RETURN_NULL();
			PG_RETURN_BYTEA_P(st);
		}
	st = RankRoom(st, 1, width);
	row = st->v + st->n * width;
	for (int k = 1; k < width; k++)
		row[k - 1] = PG_GETARG_FLOAT8(k);
	row[width - 1] = PG_GETARG_BOOL(width) ? 1.0 : 0.0;
	st->n++;
	PG_RETURN_BYTEA_P(st);
}

/* automl.metric_rank_accum(state, score, actual boolean) */
Datum
automl_metric_rank_accum(PG_FUNCTION_ARGS)
{
	return RankAppend(fcinfo, 2, "automl.metric_rank_accum");
}

/* automl.metric_compare_accum(state, score a, score b, actual boolean) */
Datum
automl_metric_compare_accum(PG_FUNCTION_ARGS)
{
	return RankAppend(fcinfo, 3, "automl.metric_compare_accum");
}

/* automl.metric_rank_combine(a, b): the pairs of both parts */
Datum
automl_metric_rank_combine(PG_FUNCTION_ARGS)
{
	RankState  *a,
			   *b;

	int			width = 0;

	AggOnly(fcinfo, "automl.metric_rank_combine");
	/* both parts are states of one aggregate: rows of the same width */
	for (int arg = 0; arg < 2 && width == 0; arg++)
		if (!PG_ARGISNULL(arg))
		{
			RankState  *st = (RankState *) PG_GETARG_BYTEA_P(arg);

			StateCheck((bytea *) st, offsetof(RankState, v), RANK_MAGIC, "automl.metric_rank_combine");
			width = st->width;
		}
	if (width == 0)
		PG_RETURN_NULL();
	a = RankArg(fcinfo, 0, width, "automl.metric_rank_combine");
	b = RankArg(fcinfo, 1, width, "automl.metric_rank_combine");
	if (b == NULL || b->n == 0)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_BYTEA_P(a);
	}
	a = RankRoom(a, b->n, width);
	memcpy(a->v + a->n * width, b->v, (Size) b->n * width * sizeof(double));
	a->n += b->n;
	PG_RETURN_BYTEA_P(a);
}

/*
 * RankFinal computes roc_auc or pr_auc of the pairs, in the order the rows
 * came (ties are handled by the metric, so the order does not matter).
 */
static Datum
RankFinal(FunctionCallInfo fcinfo, const char *metric)
{
	RankState  *st;
	double	   *y,
			   *p;
	double		v;

	st = RankArg(fcinfo, 0, 2, psprintf("automl.%s", metric));
	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	y = palloc((Size) st->n * sizeof(double));
	p = palloc((Size) st->n * sizeof(double));
	for (int64 i = 0; i < st->n; i++)
	{
		y[i] = st->v[i * 2 + 1];
		p[i] = st->v[i * 2];
		/* a NaN score has no rank: the metric is NaN, as avg() of a NaN is */
		if (isnan(p[i]))
			PG_RETURN_FLOAT8(get_float8_nan());
	}
	v = aml_metric_compute(metric, AML_TASK_BINARY, 2, st->n, y, p);
	pfree(y);
	pfree(p);
	if (isnan(v))
		PG_RETURN_NULL();		/* one class only: undefined */
	PG_RETURN_FLOAT8(v);
}

Datum
automl_metric_roc_auc_final(PG_FUNCTION_ARGS)
{
	return RankFinal(fcinfo, "roc_auc");
}

Datum
automl_metric_pr_auc_final(PG_FUNCTION_ARGS)
{
	return RankFinal(fcinfo, "pr_auc");
}

/* JsonNum appends "key": value, a NaN as null */
static void
JsonNum(StringInfo s, const char *key, double v)
{
	appendStringInfo(s, "%s\"%s\": ", s->len > 1 ? ", " : "", key);
	if (isnan(v) || isinf(v))
		appendStringInfoString(s, "null");
	else
		appendStringInfo(s, "%.15g", v);
}

/*
 * automl.roc_auc_compare's final function: DeLong's test of the two
 * scores' AUCs on the same rows, as jsonb; NULL without rows or with one
 * class only.
 */
Datum
automl_metric_compare_final(PG_FUNCTION_ARGS)
{
	RankState  *st;
	double	   *y,
			   *a,
			   *b,
				out[6];
	int64		pos = 0;
	StringInfoData js;

	st = RankArg(fcinfo, 0, 3, "automl.roc_auc_compare");
	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	y = palloc((Size) st->n * sizeof(double));
	a = palloc((Size) st->n * sizeof(double));
	b = palloc((Size) st->n * sizeof(double));
	for (int64 i = 0; i < st->n; i++)
	{
		a[i] = st->v[i * 3];
		b[i] = st->v[i * 3 + 1];
		y[i] = st->v[i * 3 + 2];
		pos += y[i] == 1.0;
	}
	if (pos == 0 || pos == st->n)
		PG_RETURN_NULL();		/* one class only: undefined */
	if (aml_metric_roc_auc_compare(st->n, y, a, b, out) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("automl.roc_auc_compare needs about %lld MB for its %lld rows.",
						   (long long) (st->n * 64 / 1048576 + 1), (long long) st->n)));
	initStringInfo(&js);
	appendStringInfoChar(&js, '{');
	JsonNum(&js, "auc_a", out[0]);
	JsonNum(&js, "auc_b", out[1]);
	JsonNum(&js, "difference", out[2]);
	JsonNum(&js, "standard_error", out[3]);
	JsonNum(&js, "z", out[4]);
	JsonNum(&js, "p_value", out[5]);
	JsonNum(&js, "rows", (double) st->n);
	JsonNum(&js, "positives", (double) pos);
	appendStringInfoChar(&js, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(js.data)));
}
