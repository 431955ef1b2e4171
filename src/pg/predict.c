/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  automl_predict / automl_predict_proba, the per-backend model cache,
 *	  automl_deploy and automl_model_info.
 *
 * Resolution: each call site (FmgrInfo) resolves the deployed version of
 * a model name once per statement, with one catalog read.  Model rows are
 * immutable, so deserialized models are cached per backend keyed by
 * (model id, row xmin) and a deploy in another session is seen by the
 * next statement.  Column mapping is done once per row type.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_predict);
PG_FUNCTION_INFO_V1(automl_predict_proba);
PG_FUNCTION_INFO_V1(automl_deploy);
PG_FUNCTION_INFO_V1(automl_model_info);

/* ---------------------------------------------------------------- cache */

#define CACHE_SLOTS 16

typedef struct CachedModel
{
	int64		id;
	TransactionId xmin;
	aml_model  *model;
	uint64		last_used;
} CachedModel;

static CachedModel cache[CACHE_SLOTS];
static uint64 cache_clock = 0;

static void
ModelNotFound(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("model \"%s\" does not exist", name),
			 errhint("Train one with automl_train, or list models with SELECT DISTINCT name FROM automl.models.")));
}

/*
 * AmlModelLoad returns the deserialized model for a name and version
 * (version <= 0: the deployed one), reading the catalog once and the blob
 * only when the cache does not hold it.
 */
aml_model *
AmlModelLoad(const char *name, int version, int64 *model_id)
{
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		vals[2];
	int			ret;
	bool		isnull;
	int64		id;
	TransactionId xmin;
	CachedModel *slot = NULL;
	aml_model  *model = NULL;

	vals[0] = CStringGetTextDatum(name);
	vals[1] = Int32GetDatum(version);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (version > 0)
		ret = SPI_execute_with_args("SELECT id, xmin FROM automl.models WHERE name = $1 AND version = $2",
									2, types, vals, NULL, true, 1);
	else
		ret = SPI_execute_with_args("SELECT m.id, m.xmin FROM automl.models m WHERE m.id = "
									"(SELECT d.model_id FROM automl.deployments d WHERE d.name = $1 ORDER BY d.id DESC LIMIT 1)",
									1, types, vals, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the model catalog");
	if (SPI_processed == 0)
	{
		/* tell "no such model" from "no such version" and "not deployed" */
		ret = SPI_execute_with_args("SELECT max(version) FROM automl.models WHERE name = $1",
									1, types, vals, NULL, true, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "automl: could not read the model catalog");
		SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (isnull)
			ModelNotFound(name);
		if (version > 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("version %d of model \"%s\" does not exist", version, name)));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no deployed version", name),
				 errhint("Deploy one with automl_deploy('%s', version).", name)));
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	*model_id = id;

	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].model && cache[i].id == id && cache[i].xmin == xmin)
		{
			slot = &cache[i];
			model = slot->model;
			break;
		}
	if (model == NULL)
	{
		Oid			t1[1] = {INT8OID};
		Datum		v1[1];
		bytea	   *blob;
		aml_env		env;
		aml_error	err;
		aml_status	st;

		v1[0] = Int64GetDatum(id);
		ret = SPI_execute_with_args("SELECT model FROM automl.models WHERE id = $1",
									1, t1, v1, NULL, true, 1);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "automl: could not read model %lld", (long long) id);
		blob = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		AmlEnvInit(&env);
		env.mem_budget = 0;
		env.log = NULL;
		memset(&err, 0, sizeof(err));
		st = aml_model_deserialize(&env, (const uint8_t *) VARDATA_ANY(blob),
								   VARSIZE_ANY_EXHDR(blob), &model, &err);
		if (st != AML_OK)
		{
			char		hint[256];

			snprintf(hint, sizeof(hint), "Model \"%s\" (id %lld) must be retrained or dropped.", name, (long long) id);
			if (err.hint[0] == '\0')
				strlcpy(err.hint, hint, sizeof(err.hint));
			AmlThrow(st, &err);
		}
		/* evict the least recently used slot */
		slot = &cache[0];
		for (int i = 1; i < CACHE_SLOTS; i++)
			if (cache[i].model == NULL ||
				(slot->model != NULL && cache[i].last_used < slot->last_used))
				slot = &cache[i];
		if (slot->model)
			aml_model_free(slot->model);
		slot->id = id;
		slot->xmin = xmin;
		slot->model = model;
	}
	slot->last_used = ++cache_clock;
	SPI_finish();
	return model;
}

/* ---------------------------------------------------------------- predict */

typedef enum InRead
{
	IN_NUMBER,					/* int, float, numeric, bool */
	IN_TEXT,					/* text-like: the string */
	IN_OUTPUT,					/* other types: the output function */
	IN_DATE,
	IN_TIMESTAMP
} InRead;

typedef struct PredictState
{
	char	   *name;			/* model name resolved this statement */
	int64		model_id;
	aml_model  *model;
	/* row type mapping */
	Oid			tuptype;
	int32		tuptypmod;
	TupleDesc	desc;
	int		   *attno;			/* per model input: 0-based attribute */
	InRead	   *read;
	Oid		   *atttype;
	FmgrInfo   *out;
	Datum	   *values;
	bool	   *nulls;
	/* buffers */
	double	   *in;
	double	   *outv;
	void	   *scratch;
} PredictState;

static InRead
InputRead(Oid type)
{
	switch (getBaseType(type))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case BOOLOID:
			return IN_NUMBER;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			return IN_TEXT;
		case DATEOID:
			return IN_DATE;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return IN_TIMESTAMP;
		default:
			return IN_OUTPUT;
	}
}

/*
 * MapRowType matches the model's inputs to the row's columns by name.
 */
static void
MapRowType(PredictState *ps, HeapTupleHeader row, MemoryContext cxt, const char *name)
{
	Oid			tuptype = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	desc;
	aml_model  *m = ps->model;
	int			ni = aml_model_n_inputs(m);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	desc = lookup_rowtype_tupdesc(tuptype, typmod);
	ps->desc = CreateTupleDescCopy(desc);
	ReleaseTupleDesc(desc);
	ps->tuptype = tuptype;
	ps->tuptypmod = typmod;
	ps->attno = palloc(sizeof(int) * (ni + 1));
	ps->read = palloc(sizeof(InRead) * (ni + 1));
	ps->atttype = palloc(sizeof(Oid) * (ni + 1));
	ps->out = palloc0(sizeof(FmgrInfo) * (ni + 1));
	ps->values = palloc(sizeof(Datum) * (ps->desc->natts + 1));
	ps->nulls = palloc(sizeof(bool) * (ps->desc->natts + 1));
	for (int i = 0; i < ni; i++)
	{
		const char *iname = aml_model_input_name(m, i);
		aml_col_kind kind = aml_model_input_kind(m, i);
		int			found = -1;

		for (int a = 0; a < ps->desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(ps->desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), iname) == 0)
			{
				found = a;
				break;
			}
		}
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" required by model \"%s\" is missing from the input row", iname, name),
					 errhint("Pass a row that has every column the model was trained on; extra columns are ignored.")));
		ps->attno[i] = found;
		ps->atttype[i] = TupleDescAttr(ps->desc, found)->atttypid;
		ps->read[i] = InputRead(ps->atttype[i]);
		if (kind == AML_COL_CATEGORICAL && ps->read[i] != IN_TEXT)
			ps->read[i] = IN_OUTPUT;
		if ((kind == AML_COL_NUMERIC && ps->read[i] != IN_NUMBER) ||
			(kind == AML_COL_DATETIME && ps->read[i] != IN_DATE && ps->read[i] != IN_TIMESTAMP))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has type %s, but model \"%s\" was trained on a %s column",
							iname, format_type_be(ps->atttype[i]), name,
							kind == AML_COL_NUMERIC ? "numeric" : "date or timestamp")));
		if (ps->read[i] == IN_OUTPUT)
		{
			Oid			fn;
			bool		isvarlena;

			getTypeOutputInfo(ps->atttype[i], &fn, &isvarlena);
			fmgr_info_cxt(fn, &ps->out[i], cxt);
		}
	}
	MemoryContextSwitchTo(old);
}

static double
NumberOf(Datum d, Oid type)
{
	switch (getBaseType(type))
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
		case BOOLOID:
			return DatumGetBool(d) ? 1.0 : 0.0;
		default:
			return NAN;
	}
}

/*
 * PredictRow scores one row and returns a pointer to its outputs.
 */
static double *
PredictRow(FunctionCallInfo fcinfo, const char *name, HeapTupleHeader row)
{
	PredictState *ps = fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	HeapTupleData tup;
	aml_model  *m;
	int			ni;

	if (ps == NULL)
	{
		ps = MemoryContextAllocZero(cxt, sizeof(PredictState));
		fcinfo->flinfo->fn_extra = ps;
	}
	if (ps->name == NULL || strcmp(ps->name, name) != 0)
	{
		int64		id;
		aml_model  *model = AmlModelLoad(name, 0, &id);

		if (ps->name)
			pfree(ps->name);
		ps->name = MemoryContextStrdup(cxt, name);
		if (ps->model != model)
		{
			ps->model = model;
			ps->model_id = id;
			ps->tuptype = InvalidOid;
			if (ps->scratch)
				pfree(ps->scratch);
			ps->in = MemoryContextAlloc(cxt, sizeof(double) * (aml_model_n_inputs(model) + 1));
			ps->outv = MemoryContextAlloc(cxt, sizeof(double) * (aml_model_n_outputs(model) + 1));
			ps->scratch = MemoryContextAlloc(cxt, aml_model_scratch_size(model));
		}
	}
	else
	{
		/* the cache may have evicted our model for another call site's */
		bool		ok = false;

		for (int i = 0; i < CACHE_SLOTS; i++)
			if (cache[i].model == ps->model && cache[i].id == ps->model_id)
				ok = true;
		if (!ok)
		{
			pfree(ps->name);
			ps->name = NULL;
			return PredictRow(fcinfo, name, row);
		}
	}
	m = ps->model;
	if (ps->tuptype != HeapTupleHeaderGetTypeId(row) || ps->tuptypmod != HeapTupleHeaderGetTypMod(row))
		MapRowType(ps, row, cxt, name);

	tup.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = row;
	heap_deform_tuple(&tup, ps->desc, ps->values, ps->nulls);

	ni = aml_model_n_inputs(m);
	for (int i = 0; i < ni; i++)
	{
		int			a = ps->attno[i];
		Datum		d = ps->values[a];
		double		v;

		if (ps->nulls[a])
		{
			ps->in[i] = NAN;
			continue;
		}
		switch (ps->read[i])
		{
			case IN_NUMBER:
				v = NumberOf(d, ps->atttype[i]);
				break;
			case IN_TEXT:
				{
					text	   *tx = DatumGetTextPP(d);
					size_t		len = VARSIZE_ANY_EXHDR(tx);
					const char *s = VARDATA_ANY(tx);

					if (getBaseType(ps->atttype[i]) == BPCHAROID)
						while (len > 0 && s[len - 1] == ' ')
							len--;
					v = aml_model_input_code(m, i, s, len);
					break;
				}
			case IN_OUTPUT:
				{
					char	   *s;

					if (getBaseType(ps->atttype[i]) == BOOLOID)
						s = DatumGetBool(d) ? "true" : "false";
					else
						s = OutputFunctionCall(&ps->out[i], d);
					v = aml_model_input_code(m, i, s, strlen(s));
					break;
				}
			case IN_DATE:
				{
					DateADT		dt = DatumGetDateADT(d);

					v = DATE_NOT_FINITE(dt) ? NAN : (double) dt * 86400.0;
					break;
				}
			case IN_TIMESTAMP:
				{
					Timestamp	ts = DatumGetTimestamp(d);

					v = TIMESTAMP_NOT_FINITE(ts) ? NAN : (double) ts / 1e6;
					break;
				}
			default:
				v = NAN;
		}
		ps->in[i] = v;
	}
	aml_model_predict(m, 1, ps->in, ps->outv, ps->scratch);
	return ps->outv;
}

/*
 * automl_predict(model, row) returns the predicted class label or the
 * regression value, as text.
 */
Datum
automl_predict(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	HeapTupleHeader row;
	double	   *o;
	PredictState *ps;
	int			k;

	if (!type_is_rowtype(get_fn_expr_argtype(fcinfo->flinfo, 1)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("automl_predict needs a row as its second argument"),
				 errhint("Pass the table alias, e.g. SELECT automl_predict('m', t) FROM t.")));
	row = PG_GETARG_HEAPTUPLEHEADER(1);
	o = PredictRow(fcinfo, name, row);
	ps = fcinfo->flinfo->fn_extra;
	k = aml_model_decide(ps->model, o);
	if (k < 0)
		PG_RETURN_DATUM(DirectFunctionCall1(textin, DirectFunctionCall1(float8out, Float8GetDatum(o[0]))));
	PG_RETURN_TEXT_P(cstring_to_text(aml_model_class_label(ps->model, k)));
}

/*
 * automl_predict_proba(model, row, class) returns a class probability.
 */
Datum
automl_predict_proba(PG_FUNCTION_ARGS)
{
	char	   *name;
	HeapTupleHeader row;
	double	   *o;
	PredictState *ps;
	aml_model  *m;
	int			k = -1;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (!type_is_rowtype(get_fn_expr_argtype(fcinfo->flinfo, 1)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("automl_predict_proba needs a row as its second argument"),
				 errhint("Pass the table alias, e.g. SELECT automl_predict_proba('m', t) FROM t.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	row = PG_GETARG_HEAPTUPLEHEADER(1);
	o = PredictRow(fcinfo, name, row);
	ps = fcinfo->flinfo->fn_extra;
	m = ps->model;
	if (aml_model_task(m) == AML_TASK_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a regression model and has no class probabilities", name),
				 errhint("Use automl_predict for its predicted value.")));
	if (!PG_ARGISNULL(2))
	{
		char	   *cls = text_to_cstring(PG_GETARG_TEXT_PP(2));

		for (int c = 0; c < aml_model_n_classes(m); c++)
			if (strcmp(aml_model_class_label(m, c), cls) == 0)
				k = c;
		if (k < 0)
		{
			StringInfoData all;

			initStringInfo(&all);
			for (int c = 0; c < aml_model_n_classes(m); c++)
				appendStringInfo(&all, "%s%s", c ? ", " : "", aml_model_class_label(m, c));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model \"%s\" has no class \"%s\"", name, cls),
					 errdetail("Its classes are: %s.", all.data)));
		}
	}
	if (aml_model_task(m) == AML_TASK_BINARY)
		PG_RETURN_FLOAT8(k == 0 ? 1.0 - o[0] : o[0]);
	if (k < 0)
		k = aml_model_decide(m, o);
	PG_RETURN_FLOAT8(o[k]);
}

/* ---------------------------------------------------------------- deploy */

/*
 * automl_deploy(model, version) records a manual deployment.
 */
Datum
automl_deploy(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		version = PG_GETARG_INT32(1);
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		vals[2];
	int			ret;
	bool		isnull;
	int64		id;

	vals[0] = CStringGetTextDatum(name);
	vals[1] = Int32GetDatum(version);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT id FROM automl.models WHERE name = $1 AND version = $2",
								2, types, vals, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the model catalog");
	if (SPI_processed == 0)
	{
		ret = SPI_execute_with_args("SELECT 1 FROM automl.models WHERE name = $1",
									1, types, vals, NULL, false, 1);
		if (SPI_processed == 0)
			ModelNotFound(name);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version %d of model \"%s\" does not exist", version, name),
				 errhint("List its versions with SELECT version FROM automl.models WHERE name = '%s'.", name)));
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	{
		Oid			it[3] = {TEXTOID, INT4OID, INT8OID};
		Datum		iv[3];

		iv[0] = vals[0];
		iv[1] = vals[1];
		iv[2] = Int64GetDatum(id);
		ret = SPI_execute_with_args("INSERT INTO automl.deployments (name, version, model_id, reason) VALUES ($1, $2, $3, 'manual')",
									3, it, iv, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "automl: could not deploy the model");
	}
	SPI_finish();
	PG_RETURN_INT32(version);
}

/*
 * automl_model_info(model, version) reads a stored model and describes it.
 */
Datum
automl_model_info(PG_FUNCTION_ARGS)
{
	char	   *name;
	int			version = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1);
	int64		id;
	aml_model  *m;
	StringInfoData s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	m = AmlModelLoad(name, version, &id);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"id\": %lld, \"task\": \"%s\", \"algorithm\": \"%s\", \"bytes\": %zu, \"inputs\": [",
					 (long long) id, aml_task_name(aml_model_task(m)), aml_algo_name(aml_model_algo(m)),
					 aml_model_serialized_size(m));
	for (int i = 0; i < aml_model_n_inputs(m); i++)
	{
		aml_col_kind k = aml_model_input_kind(m, i);

		if (i)
			appendStringInfoString(&s, ", ");
		appendStringInfoString(&s, "{\"name\": ");
		escape_json(&s, aml_model_input_name(m, i));
		appendStringInfo(&s, ", \"kind\": \"%s\"}",
						 k == AML_COL_NUMERIC ? "numeric" : k == AML_COL_CATEGORICAL ? "categorical" : "datetime");
	}
	appendStringInfoString(&s, "], \"classes\": [");
	for (int c = 0; c < aml_model_n_classes(m); c++)
	{
		if (c)
			appendStringInfoString(&s, ", ");
		escape_json(&s, aml_model_class_label(m, c));
	}
	appendStringInfoString(&s, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}
