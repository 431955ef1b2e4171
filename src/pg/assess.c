/*-------------------------------------------------------------------------
 *
 * assess.c
 *	  automl_assess: is machine learning the right tool for this table and
 *	  target?  Reads the source as automl_train does (same resolution,
 *	  privileges, options), trains in the core's assessment mode (a
 *	  smaller search share, then aml_diag_assess), records one row in
 *	  automl.assessments and returns it.  No model is stored.
 *
 *	  When the data itself makes training impossible (every target NULL,
 *	  one class, too few rows, no usable column) the verdict is
 *	  data_not_ready with the reason, not an error, so an assessment over
 *	  a table of candidate projects never stops at one of them.  Mistakes
 *	  in the call (unknown source or column, bad options) are errors, as in
 *	  automl_train.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_assess);

#define N_RESULT 14

static void
ModelFree(void *p)
{
	aml_model_free((aml_model *) p);
}

static void
ReportFree(void *p)
{
	aml_report_free((aml_report *) p);
}

/*
 * NotReadyDetails is the details object of an assessment the core could
 * not train on: the verdict, the error as reasons, and the error itself.
 */
static char *
NotReadyDetails(const aml_error *err, double budget)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"verdict\": \"data_not_ready\", \"reasons\": [");
	escape_json(&s, err->msg);
	if (err->detail[0])
	{
		appendStringInfoString(&s, ", ");
		escape_json(&s, err->detail);
	}
	if (err->hint[0])
	{
		appendStringInfoString(&s, ", ");
		escape_json(&s, err->hint);
	}
	appendStringInfoString(&s, "], \"warnings\": [], \"error\": {\"message\": ");
	escape_json(&s, err->msg);
	appendStringInfoString(&s, ", \"detail\": ");
	escape_json(&s, err->detail);
	appendStringInfoString(&s, ", \"hint\": ");
	escape_json(&s, err->hint);
	appendStringInfo(&s, "}, \"budget_seconds\": %.17g}", budget);
	return s.data;
}

/*
 * AssessmentSection returns the "assessment" object of the report's
 * diagnostics as JSON text.
 */
static char *
AssessmentSection(const aml_report *rep)
{
	size_t		n = aml_report_json(rep, "diagnostics", NULL, 0);
	char	   *buf = palloc(n + 1);
	Jsonb	   *jb;
	JsonbValue *v;

	aml_report_json(rep, "diagnostics", buf, n + 1);
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf)));
	v = getKeyJsonValueFromContainer(&jb->root, "assessment", strlen("assessment"), NULL);
	if (v == NULL)
		elog(ERROR, "automl: the assessment section is missing from the diagnostics");
	return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
}

/*
 * StoreAssessment inserts the row (as the extension owner) and returns its
 * result columns, read back from the stored row, as the function's tuple.
 */
static HeapTuple
StoreAssessment(AmlTrainArgs *a, Datum exclude, bool exclude_null,
				const char *details, double seconds, TupleDesc rdesc,
				MemoryContext result_cxt)
{
	Oid			types[9] = {TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID, FLOAT8OID,
	TEXTOID, FLOAT8OID, TEXTOID, FLOAT8OID};
	Datum		vals[9];
	char		nulls[9] = "         ";
	Datum		rv[N_RESULT];
	bool		rn[N_RESULT];
	AmlOwnerSwitch sw;
	HeapTuple	tup;
	MemoryContext old;
	int			ret;

	vals[0] = CStringGetTextDatum(a->source);
	vals[1] = CStringGetTextDatum(a->target);
	vals[2] = exclude;
	nulls[2] = exclude_null ? 'n' : ' ';
	vals[3] = CStringGetTextDatum(a->options_text);
	vals[4] = Float8GetDatum(a->budget);
	vals[5] = CStringGetTextDatum(details);
	vals[6] = Float8GetDatum(round(seconds * 100) / 100);
	vals[7] = CStringGetTextDatum(AmlGovCallerName());
	/* what statement_timeout left of the budget, when it cut it */
	vals[8] = Float8GetDatum(a->budget_cut);
	nulls[8] = a->budget_cut > 0 ? ' ' : 'n';

	AmlAsOwnerBegin(&sw);
	PG_TRY();
	{
		ret = SPI_execute_with_args(
									"INSERT INTO automl.assessments (source, target, exclude, options, budget_seconds, "
									"verdict, reasons, task, metric, score, baseline, lift, score_low, score_high, "
									"more_data_helps, rows_usable, warnings, details, seconds, created_by) "
									"SELECT $1, $2, $3, $4::jsonb, $5, d->>'verdict', "
									"ARRAY(SELECT pg_catalog.jsonb_array_elements_text(d->'reasons')), "
									"d->>'task', d->>'metric', "
									"round((d->>'score')::numeric, 4)::float8, round((d->>'baseline')::numeric, 4)::float8, "
									"round((d->>'lift')::numeric, 4)::float8, round((d->>'score_low')::numeric, 4)::float8, "
									"round((d->>'score_high')::numeric, 4)::float8, (d->>'more_data_helps')::boolean, "
									"(d->>'rows_usable')::bigint, "
									"ARRAY(SELECT pg_catalog.jsonb_array_elements_text(d->'warnings')), d, $7, $8::name "
									"FROM (SELECT $6::jsonb || CASE WHEN $9 IS NULL THEN '{}'::jsonb "
									"       ELSE jsonb_build_object('budget_cut_seconds', round($9::numeric, 1)) END AS d) s "
									"RETURNING verdict, reasons, task, metric, score, baseline, lift, score_low, score_high, "
									"more_data_helps, rows_usable, warnings, details, id",
									9, types, vals, nulls, false, 0);
	}
	PG_FINALLY();
	{
		AmlAsOwnerEnd(&sw);
	}
	PG_END_TRY();
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "automl: could not store the assessment");
	for (int i = 0; i < N_RESULT; i++)
		rv[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &rn[i]);
	/* formed (and so copied) outside SPI's memory, which SPI_finish frees */
	old = MemoryContextSwitchTo(result_cxt);
	tup = heap_form_tuple(rdesc, rv, rn);
	MemoryContextSwitchTo(old);
	return tup;
}

/*
 * automl_assess(source, target, budget, task, exclude, options) assesses
 * whether ML can predict target from source; returns
 * automl.assess_result.
 */
Datum
automl_assess(PG_FUNCTION_ARGS)
{
	AmlTrainArgs a;
	MemoryContext cxt;
	MemoryContext result_cxt = CurrentMemoryContext;
	aml_env    *env;
	aml_error	err;
	aml_frame  *frame;
	aml_model  *model = NULL;
	aml_report *rep = NULL;
	aml_status	st;
	char	   *query;
	char	   *stem;
	char	   *details;
	int			target_col;
	List	   *exclude_cols = NIL;
	List	   *sensitive_cols = NIL;
	TimestampTz start = GetCurrentTimestamp();
	TupleDesc	rdesc;
	HeapTuple	tup;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source and target must not be NULL")));
	AmlPreventReadOnly("automl_assess()", "It records the assessment in automl.assessments.");
	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_assess must return a composite type");
	rdesc = BlessTupleDesc(rdesc);
	if (rdesc->natts != N_RESULT)
		elog(ERROR, "automl_assess: the result type has %d columns, expected %d", rdesc->natts, N_RESULT);

	memset(&a, 0, sizeof(a));
	aml_train_options_init(&a.opts);
	a.opts.seed = (uint64_t) automl_seed;
	a.source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	a.target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (PG_ARGISNULL(2))
		a.budget = 60.0;
	else
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(2);

		a.budget = iv->time / 1e6 + (double) iv->day * 86400.0 + (double) iv->month * 30 * 86400.0;
		if (!(a.budget > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("budget must be positive"),
					 errhint("For example: budget => '30 seconds'.")));
	}
	a.task = PG_ARGISNULL(3) ? AML_TASK_AUTO : AmlParseTask(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	if (!PG_ARGISNULL(4))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(4);
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				a.exclude = lappend(a.exclude, TextDatumGetCString(elems[i]));
	}
	a.metric = "auto";
	a.opts.task = a.task;
	a.opts.metric = a.metric;
	a.opts.budget_seconds = a.budget;
	a.opts.assess = 1;
	if (!PG_ARGISNULL(5))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(5);

		AmlParseOptions(jb, &a.opts, &a.sensitive);
		a.options_text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
	else
		a.options_text = "{}";
	if (a.opts.group_column)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"group_by\" does not apply to automl_assess"),
				 errhint("Assess the whole table; automl_train(..., options => '{\"group_by\": ...}') then reports each group's test score next to the model of every row's.")));
	if (!(a.opts.test_fraction > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"test_fraction\" must be greater than 0 for automl_assess"),
				 errdetail("The assessment scores the model on a test split it never saw.")));

	query = AmlResolveSource(a.source, &stem);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "automl assess", ALLOCSET_DEFAULT_SIZES);
	env = AmlEnvCreate(cxt);
	memset(&err, 0, sizeof(err));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	frame = AmlReadSource(env, query, &a, cxt, &target_col, &exclude_cols, &sensitive_cols);
	/* sensitive columns are left out of the assessed features too */
	AmlSetColumns(&a.opts, target_col, exclude_cols, sensitive_cols);

	st = aml_train(env, frame, &a.opts, &model, &rep, &err);
	if (st == AML_EINVAL)
		details = NotReadyDetails(&err, a.budget);	/* the data, not the call */
	else if (st != AML_OK)
		AmlThrow(st, &err);
	else
	{
		AmlRegisterFree(cxt, ModelFree, model);
		AmlRegisterFree(cxt, ReportFree, rep);
		details = AssessmentSection(rep);
	}

	tup = StoreAssessment(&a, PG_ARGISNULL(4) ? (Datum) 0 : PG_GETARG_DATUM(4), PG_ARGISNULL(4),
						  details, (double) (GetCurrentTimestamp() - start) / 1e6, rdesc, result_cxt);
	SPI_finish();
	MemoryContextDelete(cxt);
	PG_RETURN_DATUM(HeapTupleGetDatum(tup));
}
