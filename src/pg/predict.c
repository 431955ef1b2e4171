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
#include "executor/tuptable.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/tuplestore.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_predict);
PG_FUNCTION_INFO_V1(automl_predict_proba);
PG_FUNCTION_INFO_V1(automl_predict_model);
PG_FUNCTION_INFO_V1(automl_predict_proba_model);
PG_FUNCTION_INFO_V1(automl_predict_model_columns);
PG_FUNCTION_INFO_V1(automl_predict_proba_model_columns);
PG_FUNCTION_INFO_V1(automl_predict_columns);
PG_FUNCTION_INFO_V1(automl_predict_proba_columns);
PG_FUNCTION_INFO_V1(automl_deploy);
PG_FUNCTION_INFO_V1(automl_predict_batch);
PG_FUNCTION_INFO_V1(automl_model_info);
PG_FUNCTION_INFO_V1(automl_explain);

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

/* plans of the per-statement catalog reads, prepared once per backend */
static SPIPlanPtr plan_deployed = NULL;
static SPIPlanPtr plan_version = NULL;

/*
 * KeptPlan prepares a query once per backend and keeps the plan (the plan
 * cache revalidates it after DDL such as DROP/CREATE EXTENSION).
 */
static SPIPlanPtr
KeptPlan(SPIPlanPtr *plan, const char *query, int nargs, Oid *types)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(query, nargs, types);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "automl: could not prepare \"%s\": %s", query, SPI_result_code_string(SPI_result));
		*plan = p;
	}
	return *plan;
}

/* ModelDeserialize turns a stored blob into a model (an error names the model) */
static aml_model *
ModelDeserialize(bytea *blob, const char *name)
{
	aml_env		env;
	aml_error	err;
	aml_status	st;
	aml_model  *model = NULL;

	AmlEnvInit(&env);
	env.mem_budget = 0;
	env.log = NULL;
	memset(&err, 0, sizeof(err));
	st = aml_model_deserialize(&env, (const uint8_t *) VARDATA_ANY(blob),
							   VARSIZE_ANY_EXHDR(blob), &model, &err);
	if (st != AML_OK)
	{
		char		hint[256];

		snprintf(hint, sizeof(hint), "Model \"%s\" must be retrained, or the version dropped.", name);
		if (err.hint[0] == '\0')
			strlcpy(err.hint, hint, sizeof(err.hint));
		AmlThrow(st, &err);
	}
	return model;
}

/* CacheInsert keeps a model in the least recently used slot */
static CachedModel *
CacheInsert(int64 id, TransactionId xmin, aml_model *model)
{
	CachedModel *slot = &cache[0];

	for (int i = 1; i < CACHE_SLOTS; i++)
		if (cache[i].model == NULL ||
			(slot->model != NULL && cache[i].last_used < slot->last_used))
			slot = &cache[i];
	if (slot->model)
		aml_model_free(slot->model);
	slot->id = id;
	slot->xmin = xmin;
	slot->model = model;
	return slot;
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

	AmlGovCheck(name, AML_GOV_USE);	/* 42501 unless the caller may use it */
	vals[0] = CStringGetTextDatum(name);
	vals[1] = Int32GetDatum(version);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (version > 0)
		ret = SPI_execute_plan(KeptPlan(&plan_version,
										"SELECT id, xmin FROM automl.models WHERE name = $1 AND version = $2",
										2, types),
							   vals, NULL, true, 1);
	else
		ret = SPI_execute_plan(KeptPlan(&plan_deployed,
										"SELECT m.id, m.xmin FROM automl.deployments d JOIN automl.models m ON m.id = d.model_id "
										"WHERE d.name = $1 ORDER BY d.id DESC LIMIT 1",
										1, types),
							   vals, NULL, true, 1);
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
				 errhint("Deploy one with automl_deploy(%s, version).", quote_literal_cstr(name))));
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

		v1[0] = Int64GetDatum(id);
		ret = SPI_execute_with_args("SELECT model FROM automl.models WHERE id = $1",
									1, t1, v1, NULL, true, 1);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "automl: could not read model %lld", (long long) id);
		blob = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		model = ModelDeserialize(blob, name);
		slot = CacheInsert(id, xmin, model);
	}
	slot->last_used = ++cache_clock;
	SPI_finish();
	return model;
}

/* ---------------------------------------------------------------- predict */

/* How one row column becomes a model input value. */
typedef enum InRead
{
	IN_INT2,
	IN_INT4,
	IN_INT8,
	IN_FLOAT4,
	IN_FLOAT8,
	IN_NUMERIC,
	IN_BOOL,					/* numeric input: 0/1; categorical: "true"/"false" */
	IN_TEXT,					/* text, varchar, name: the string */
	IN_BPCHAR,					/* char(n): the string without trailing blanks */
	IN_OUTPUT,					/* other types: the output function's text */
	IN_DATE,
	IN_TIMESTAMP
} InRead;

/*
 * RowMapper maps a row type's columns to a model's inputs, once per row
 * type: the attribute of each input and how to convert it.
 */
typedef struct RowMapper
{
	aml_model  *model;
	int			n_inputs;
	int			natts;
	int		   *attno;			/* per model input: 0-based attribute */
	InRead	   *read;
	FmgrInfo   *out;
	int		   *input_of;		/* per attribute: its model input, or -1 */
	int			last_att;		/* attributes 0..last_att-1 hold every input */
	bool		one_per_att;	/* no attribute feeds two inputs */
} RowMapper;

static InRead
InputRead(Oid type)
{
	switch (getBaseType(type))
	{
		case INT2OID:
			return IN_INT2;
		case INT4OID:
			return IN_INT4;
		case INT8OID:
			return IN_INT8;
		case FLOAT4OID:
			return IN_FLOAT4;
		case FLOAT8OID:
			return IN_FLOAT8;
		case NUMERICOID:
			return IN_NUMERIC;
		case BOOLOID:
			return IN_BOOL;
		case TEXTOID:
		case VARCHAROID:
		case NAMEOID:
			return IN_TEXT;
		case BPCHAROID:
			return IN_BPCHAR;
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
 * MapperCreate matches the model's inputs to the columns of desc by name;
 * a missing column or an incompatible type is an error.
 */
RowMapper *
MapperCreate(aml_model *m, TupleDesc desc, MemoryContext cxt, const char *name)
{
	int			ni = aml_model_n_inputs(m);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	RowMapper  *rm = palloc0(sizeof(RowMapper));

	rm->model = m;
	rm->n_inputs = ni;
	rm->natts = desc->natts;
	rm->attno = palloc(sizeof(int) * (ni + 1));
	rm->read = palloc(sizeof(InRead) * (ni + 1));
	rm->out = palloc0(sizeof(FmgrInfo) * (ni + 1));
	for (int i = 0; i < ni; i++)
	{
		const char *iname = aml_model_input_name(m, i);
		aml_col_kind kind = aml_model_input_kind(m, i);
		int			found = -1;
		Oid			type;
		InRead		r;

		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

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
		type = TupleDescAttr(desc, found)->atttypid;
		r = InputRead(type);
		if (kind == AML_COL_CATEGORICAL && r != IN_TEXT && r != IN_BPCHAR && r != IN_BOOL)
			r = IN_OUTPUT;
		if ((kind == AML_COL_NUMERIC && r > IN_BOOL) ||
			(kind == AML_COL_DATETIME && r != IN_DATE && r != IN_TIMESTAMP))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has type %s, but model \"%s\" was trained on a %s column",
							iname, format_type_be(type), name,
							kind == AML_COL_NUMERIC ? "numeric" : "date or timestamp")));
		if (r == IN_OUTPUT)
		{
			Oid			fn;
			bool		isvarlena;

			getTypeOutputInfo(type, &fn, &isvarlena);
			fmgr_info_cxt(fn, &rm->out[i], cxt);
		}
		rm->attno[i] = found;
		rm->read[i] = r;
	}
	rm->input_of = palloc(sizeof(int) * (desc->natts + 1));
	for (int a = 0; a < desc->natts; a++)
		rm->input_of[a] = -1;
	rm->last_att = 0;
	rm->one_per_att = true;
	for (int i = 0; i < ni; i++)
	{
		if (rm->input_of[rm->attno[i]] >= 0)
			rm->one_per_att = false;
		rm->input_of[rm->attno[i]] = i;
		rm->last_att = Max(rm->last_att, rm->attno[i] + 1);
	}
	MemoryContextSwitchTo(old);
	return rm;
}

/*
 * ConvertValue turns the non-null value d of model input i into its raw
 * input value.
 */
static pg_attribute_always_inline double
ConvertValue(const RowMapper *rm, int i, Datum d)
{
	aml_model  *m = rm->model;
	double		v;

	switch (rm->read[i])
	{
		case IN_INT2:
			v = DatumGetInt16(d);
			break;
		case IN_INT4:
			v = DatumGetInt32(d);
			break;
		case IN_INT8:
			v = (double) DatumGetInt64(d);
			break;
		case IN_FLOAT4:
			v = DatumGetFloat4(d);
			break;
		case IN_FLOAT8:
			v = DatumGetFloat8(d);
			break;
		case IN_NUMERIC:
			v = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
			break;
		case IN_BOOL:
			if (aml_model_input_kind(m, i) == AML_COL_CATEGORICAL)
				v = DatumGetBool(d) ? aml_model_input_code(m, i, "true", 4)
					: aml_model_input_code(m, i, "false", 5);
			else
				v = DatumGetBool(d) ? 1.0 : 0.0;
			break;
		case IN_TEXT:
		case IN_BPCHAR:
			{
				text	   *tx = DatumGetTextPP(d);
				size_t		len = VARSIZE_ANY_EXHDR(tx);
				const char *s = VARDATA_ANY(tx);

				if (rm->read[i] == IN_BPCHAR)
					while (len > 0 && s[len - 1] == ' ')
						len--;
				v = aml_model_input_code(m, i, s, len);
				if ((Pointer) tx != DatumGetPointer(d))
					pfree(tx);
				break;
			}
		case IN_OUTPUT:
			{
				char	   *s = OutputFunctionCall((FmgrInfo *) &rm->out[i], d);

				v = aml_model_input_code(m, i, s, strlen(s));
				pfree(s);
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
	return v;
}

/*
 * MapperConvert turns one deformed row into the model's raw inputs.
 */
void
MapperConvert(const RowMapper *rm, const Datum *values, const bool *nulls, double *in)
{
	for (int i = 0; i < rm->n_inputs; i++)
	{
		int			a = rm->attno[i];

		in[i] = nulls[a] ? NAN : ConvertValue(rm, i, values[a]);
	}
}

/*
 * MapperConvertTuple reads the model's raw inputs straight from a composite
 * datum (a row of desc's type), walking its attributes once, up to the
 * last one the model uses, as heap_deform_tuple would but converting only
 * the attributes the model uses and storing nothing else.  False (nothing
 * read) when the datum has fewer attributes than that (older rows of a
 * type that gained columns): the caller then deforms it in full.
 */
static bool
MapperConvertTuple(const RowMapper *rm, TupleDesc desc, HeapTupleHeader tup, double *in)
{
	bool		hasnulls = (tup->t_infomask & HEAP_HASNULL) != 0;
	bits8	   *bp = tup->t_bits;
	char	   *tp = (char *) tup + tup->t_hoff;
	uint32		off = 0;

	if (!rm->one_per_att || HeapTupleHeaderGetNatts(tup) < rm->last_att)
		return false;
	for (int a = 0; a < rm->last_att; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		int			i = rm->input_of[a];

		if (hasnulls && att_isnull(a, bp))
		{
			if (i >= 0)
				in[i] = NAN;
			continue;
		}
		if (att->attlen == -1)
			off = att_align_pointer(off, att->attalign, -1, tp + off);
		else
			off = att_align_nominal(off, att->attalign);
		if (i >= 0)
			in[i] = ConvertValue(rm, i, fetchatt(att, tp + off));
		off = att_addlength_pointer(off, att->attlen, tp + off);
	}
	return true;
}

/* Per call site state of automl_predict / automl_predict_proba. */
typedef struct PredictState
{
	char	   *name;			/* model name resolved this statement */
	int			name_len;
	int64		model_id;
	aml_model  *model;
	Oid			tuptype;
	int32		tuptypmod;
	TupleDesc	desc;
	RowMapper  *mapper;
	Datum	   *values;
	bool	   *nulls;
	double	   *in;
	double	   *outv;
	void	   *scratch;
	Oid			args_checked;	/* PredictColumns: row type whose argument
								 * types were checked */
	bool		by_row;			/* the model came from a catalog row */
	Oid			mrow_type;		/* that row's type, its descriptor, and */
	TupleDesc	mrow_desc;
	int			mrow_id_att;	/* the attribute number of its id */
} PredictState;

static bool
ModelStillCached(aml_model *m, int64 id)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].model == m && cache[i].id == id)
			return true;
	return false;
}

/* PredictStateOf returns the call site's state, made on first use. */
static PredictState *
PredictStateOf(FunctionCallInfo fcinfo)
{
	PredictState *ps = fcinfo->flinfo->fn_extra;

	if (ps == NULL)
	{
		ps = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredictState));
		fcinfo->flinfo->fn_extra = ps;
	}
	return ps;
}

/*
 * PredictSetModel makes model (catalog id id; name for messages) the call
 * site's, with its scratch space.
 */
static void
PredictSetModel(PredictState *ps, MemoryContext cxt, aml_model *model, int64 id, const char *name)
{
	if (ps->name)
		pfree(ps->name);
	ps->name = MemoryContextStrdup(cxt, name);
	ps->name_len = strlen(name);
	if (ps->model != model)
	{
		ps->model = model;
		ps->model_id = id;
		ps->tuptype = InvalidOid;
		ps->in = MemoryContextAlloc(cxt, sizeof(double) * (aml_model_n_inputs(model) + 1));
		ps->outv = MemoryContextAlloc(cxt, sizeof(double) * (aml_model_n_outputs(model) + 1));
		ps->scratch = MemoryContextAlloc(cxt, aml_model_scratch_size(model));
	}
}

/* PredictSetRowType maps row type (typid, typmod) to the model's inputs, once per type. */
static void
PredictSetRowType(PredictState *ps, MemoryContext cxt, Oid typid, int32 typmod)
{
	if (ps->tuptype != typid || ps->tuptypmod != typmod)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(typid, typmod);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		ps->desc = CreateTupleDescCopy(desc);
		ReleaseTupleDesc(desc);
		ps->values = palloc(sizeof(Datum) * (ps->desc->natts + 1));
		ps->nulls = palloc(sizeof(bool) * (ps->desc->natts + 1));
		MemoryContextSwitchTo(old);
		ps->mapper = MapperCreate(ps->model, ps->desc, cxt, ps->name);
		ps->tuptype = typid;
		ps->tuptypmod = typmod;
	}
}

/*
 * PredictPrepare resolves the call site's model by name (once per
 * statement and call site) and maps the row type (typid, typmod) to its
 * inputs (once per row type); it returns the call site's state.
 */
static PredictState *
PredictPrepare(FunctionCallInfo fcinfo, text *name_t, Oid typid, int32 typmod)
{
	PredictState *ps = PredictStateOf(fcinfo);
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	const char *nm = VARDATA_ANY(name_t);
	int			nlen = VARSIZE_ANY_EXHDR(name_t);

	if (ps->name == NULL || ps->by_row || ps->name_len != nlen || memcmp(ps->name, nm, nlen) != 0 ||
		!ModelStillCached(ps->model, ps->model_id))
	{
		int64		id;
		char	   *name = text_to_cstring(name_t);
		aml_model  *model = AmlModelLoad(name, 0, &id);

		ps->by_row = false;
		PredictSetModel(ps, cxt, model, id, name);
	}
	PredictSetRowType(ps, cxt, typid, typmod);
	return ps;
}

/*
 * PredictRow scores one row and returns a pointer to its outputs.  The
 * inputs are read from the datum in place unless keep_values asks for the
 * row's deformed values in ps->values and ps->nulls (automl_explain prints
 * them).
 */
static double *PredictRowWith(PredictState *ps, HeapTupleHeader row, bool keep_values);

static double *
PredictRow(FunctionCallInfo fcinfo, text *name_t, HeapTupleHeader row, bool keep_values)
{
	return PredictRowWith(PredictPrepare(fcinfo, name_t, HeapTupleHeaderGetTypeId(row),
										 HeapTupleHeaderGetTypMod(row)),
						  row, keep_values);
}

/* PredictRowWith scores one row with a prepared call site (see PredictRow). */
static double *
PredictRowWith(PredictState *ps, HeapTupleHeader row, bool keep_values)
{
	HeapTupleData tup;

	if (keep_values || !MapperConvertTuple(ps->mapper, ps->desc, row, ps->in))
	{
		tup.t_len = HeapTupleHeaderGetDatumLength(row);
		ItemPointerSetInvalid(&tup.t_self);
		tup.t_tableOid = InvalidOid;
		tup.t_data = row;
		heap_deform_tuple(&tup, ps->desc, ps->values, ps->nulls);
		MapperConvert(ps->mapper, ps->values, ps->nulls, ps->in);
	}
	aml_model_predict(ps->model, 1, ps->in, ps->outv, ps->scratch);
	return ps->outv;
}

/*
 * PredictColumns scores one row passed as columns: the arguments from
 * first on are the values of every attribute of row type typid, in order
 * (a dropped attribute's is a null), as the planner support function
 * automl_predict_support writes calls of automl_predict_columns and
 * automl_predict_proba_columns.  Nothing is copied: the values are read
 * from the call's arguments.
 */
static double *PredictColumnsWith(FunctionCallInfo fcinfo, PredictState *ps, Oid typid, int first);

static double *
PredictColumns(FunctionCallInfo fcinfo, text *name_t, Oid typid, int first)
{
	return PredictColumnsWith(fcinfo, PredictPrepare(fcinfo, name_t, typid, -1), typid, first);
}

/* PredictColumnsWith scores one row passed as columns with a prepared call site */
static double *
PredictColumnsWith(FunctionCallInfo fcinfo, PredictState *ps, Oid typid, int first)
{
	int			natts = ps->desc->natts;

	if (PG_NARGS() != first + natts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wrong number of column values for row type %s", format_type_be(typid)),
				 errdetail("%d given, %d expected.", PG_NARGS() - first, natts),
				 errhint("These functions are the planner's rewrite of automl_predict and automl_predict_proba; call those instead.")));
	if (ps->args_checked != typid)
	{
		for (int a = 0; a < natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(ps->desc, a);
			Oid			t = get_fn_expr_argtype(fcinfo->flinfo, first + a);

			if (!att->attisdropped && t != att->atttypid)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column value %d has type %s, but column \"%s\" of %s has type %s",
								a + 1, format_type_be(t), NameStr(att->attname),
								format_type_be(typid), format_type_be(att->atttypid)),
						 errhint("These functions are the planner's rewrite of automl_predict and automl_predict_proba; call those instead.")));
		}
		ps->args_checked = typid;
	}
	for (int a = 0; a < natts; a++)
	{
		ps->values[a] = fcinfo->args[first + a].value;
		ps->nulls[a] = fcinfo->args[first + a].isnull;
	}
	MapperConvert(ps->mapper, ps->values, ps->nulls, ps->in);
	aml_model_predict(ps->model, 1, ps->in, ps->outv, ps->scratch);
	return ps->outv;
}

/*
 * FeaturesRow returns the features argument (the second) of fn, which
 * must be a row; model is how the error's example names the model.
 */
static HeapTupleHeader
FeaturesRow(FunctionCallInfo fcinfo, const char *fn, const char *model)
{
	if (fcinfo->flinfo->fn_extra == NULL && !type_is_rowtype(get_fn_expr_argtype(fcinfo->flinfo, 1)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s needs a row as its second argument", fn),
				 errhint("Pass the table alias, e.g. SELECT %s(%s, t) FROM t.", fn, model)));
	return PG_GETARG_HEAPTUPLEHEADER(1);
}

/* PredictLabel returns the predicted label, or the value as text. */
static Datum
PredictLabel(PredictState *ps, const double *o)
{
	int			k = aml_model_decide(ps->model, o);

	if (k < 0)
		return DirectFunctionCall1(textin, DirectFunctionCall1(float8out, Float8GetDatum(o[0])));
	return PointerGetDatum(cstring_to_text(aml_model_class_label(ps->model, k)));
}

/*
 * automl_predict(model, row) returns the predicted class label or the
 * regression value, as text.
 */
Datum
automl_predict(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	HeapTupleHeader row;
	double	   *o;

	row = FeaturesRow(fcinfo, "automl_predict", "'m'");
	o = PredictRow(fcinfo, name, row, false);
	PG_RETURN_DATUM(PredictLabel(fcinfo->flinfo->fn_extra, o));
}

/*
 * automl_predict_columns(model, rowtype, VARIADIC columns) is
 * automl_predict(model, row) with the row passed as its columns.
 */
Datum
automl_predict_columns(PG_FUNCTION_ARGS)
{
	double	   *o;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	o = PredictColumns(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_OID(1), 2);
	PG_RETURN_DATUM(PredictLabel(fcinfo->flinfo->fn_extra, o));
}

/*
 * ClassIndex returns the index of a class label of a classification model;
 * an unknown label is an error listing the classes.
 */
static int
ClassIndex(aml_model *m, const char *name, const char *cls)
{
	StringInfoData all;

	for (int c = 0; c < aml_model_n_classes(m); c++)
		if (strcmp(aml_model_class_label(m, c), cls) == 0)
			return c;
	initStringInfo(&all);
	for (int c = 0; c < aml_model_n_classes(m); c++)
		appendStringInfo(&all, "%s%s", c ? ", " : "", aml_model_class_label(m, c));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("model \"%s\" has no class \"%s\"", name, cls),
			 errdetail("Its classes are: %s.", all.data)));
	return -1;					/* not reached */
}

/*
 * PredictProba returns the probability of class cls (NULL: the predicted
 * class) from a row's outputs.
 */
static Datum
PredictProba(PredictState *ps, const double *o, text *cls)
{
	aml_model  *m = ps->model;
	int			k = -1;

	if (aml_model_task(m) == AML_TASK_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a regression model and has no class probabilities", ps->name),
				 errhint("Use automl_predict for its predicted value.")));
	if (cls != NULL)
		k = ClassIndex(m, ps->name, text_to_cstring(cls));
	if (aml_model_task(m) == AML_TASK_BINARY)
		return Float8GetDatum(k == 0 ? 1.0 - o[0] : o[0]);
	if (k < 0)
		k = aml_model_decide(m, o);
	return Float8GetDatum(o[k]);
}

/*
 * automl_predict_proba(model, row, class) returns a class probability.
 */
Datum
automl_predict_proba(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row;
	double	   *o;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	row = FeaturesRow(fcinfo, "automl_predict_proba", "'m'");
	o = PredictRow(fcinfo, PG_GETARG_TEXT_PP(0), row, false);
	PG_RETURN_DATUM(PredictProba(fcinfo->flinfo->fn_extra, o,
								 PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2)));
}

/*
 * automl_predict_proba_columns(model, class, rowtype, VARIADIC columns) is
 * automl_predict_proba(model, row, class) with the row passed as its
 * columns.
 */
Datum
automl_predict_proba_columns(PG_FUNCTION_ARGS)
{
	double	   *o;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	o = PredictColumns(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_OID(2), 3);
	PG_RETURN_DATUM(PredictProba(fcinfo->flinfo->fn_extra, o,
								 PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1)));
}

/* ---------------------------------------------------------------- model row */

/* an attribute of an automl.models row (an error when it is NULL) */
static Datum
ModelRowAttr(HeapTupleHeader mrow, const char *att)
{
	bool		isnull;
	Datum		d = GetAttributeByName(mrow, att, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the model row has no %s", att),
				 errhint("Pass a whole row of automl.models, e.g. (SELECT m FROM automl.models m WHERE name = '...' AND version = 1).")));
	return d;
}

/*
 * PredictPrepareRow is PredictPrepare for a model given as its catalog row
 * (automl.models): nothing is read from the catalog.  The row's model is
 * deserialized once and kept in the cache by the row's id (a version's
 * model never changes): each call reads only the row's id.  A version
 * waiting for approval, or rejected, is refused as automl_deploy would
 * refuse it.
 */
static PredictState *
PredictPrepareRow(FunctionCallInfo fcinfo, HeapTupleHeader mrow, Oid typid, int32 typmod)
{
	PredictState *ps = PredictStateOf(fcinfo);
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	int64		id;

	/* the row's id, by a cached attribute number (this runs for every row) */
	if (ps->mrow_type != HeapTupleHeaderGetTypeId(mrow))
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(mrow),
												  HeapTupleHeaderGetTypMod(mrow));
		MemoryContext old = MemoryContextSwitchTo(cxt);

		ps->mrow_desc = CreateTupleDescCopy(desc);
		ReleaseTupleDesc(desc);
		MemoryContextSwitchTo(old);
		ps->mrow_id_att = 0;
		for (int i = 0; i < ps->mrow_desc->natts; i++)
			if (!TupleDescAttr(ps->mrow_desc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(ps->mrow_desc, i)->attname), "id") == 0)
				ps->mrow_id_att = i + 1;
		if (ps->mrow_id_att == 0)
			(void) ModelRowAttr(mrow, "id");	/* raises the error */
		ps->mrow_type = HeapTupleHeaderGetTypeId(mrow);
	}
	{
		HeapTupleData tup;
		bool		isnull;
		Datum		d;

		tup.t_len = HeapTupleHeaderGetDatumLength(mrow);
		ItemPointerSetInvalid(&tup.t_self);
		tup.t_tableOid = InvalidOid;
		tup.t_data = mrow;
		d = heap_getattr(&tup, ps->mrow_id_att, ps->mrow_desc, &isnull);
		if (isnull)
			(void) ModelRowAttr(mrow, "id");	/* raises the error */
		id = DatumGetInt64(d);
	}

	if (!ps->by_row || id != ps->model_id || !ModelStillCached(ps->model, id))
	{
		char	   *name = TextDatumGetCString(ModelRowAttr(mrow, "name"));
		int32		version = DatumGetInt32(ModelRowAttr(mrow, "version"));
		char	   *status = TextDatumGetCString(ModelRowAttr(mrow, "status"));
		aml_model  *model = NULL;
		CachedModel *slot = NULL;

		if (strcmp(status, "pending") == 0 || strcmp(status, "rejected") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("version %d of model \"%s\" is %s", version, name, status),
					 errdetail("A version that waits for approval, or was rejected, is not scored."),
					 errhint("Pass the row of the deployed version: automl.deployed_models has its id.")));
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (cache[i].model && cache[i].id == id)
			{
				slot = &cache[i];
				model = slot->model;
				break;
			}
		if (model == NULL)
		{
			model = ModelDeserialize(DatumGetByteaPP(ModelRowAttr(mrow, "model")), name);
			slot = CacheInsert(id, InvalidTransactionId, model);
		}
		slot->last_used = ++cache_clock;
		PredictSetModel(ps, cxt, model, id, name);
		ps->by_row = true;
	}
	PredictSetRowType(ps, cxt, typid, typmod);
	return ps;
}

/*
 * automl_predict(model automl.models, row): automl_predict with the model
 * given as its catalog row, e.g. an InitPlan's
 * (SELECT m FROM automl.models m WHERE id = ...): reads nothing, so it runs
 * wherever the rows are.
 */
Datum
automl_predict_model(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row = FeaturesRow(fcinfo, "automl_predict", "m");
	HeapTupleHeader mrow = PG_GETARG_HEAPTUPLEHEADER(0);
	PredictState *ps = PredictPrepareRow(fcinfo, mrow, HeapTupleHeaderGetTypeId(row),
										 HeapTupleHeaderGetTypMod(row));

	PG_RETURN_DATUM(PredictLabel(ps, PredictRowWith(ps, row, false)));
}

/* automl_predict_proba(model automl.models, row, class), likewise */
Datum
automl_predict_proba_model(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row;
	HeapTupleHeader mrow;
	PredictState *ps;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	row = FeaturesRow(fcinfo, "automl_predict_proba", "m");
	mrow = PG_GETARG_HEAPTUPLEHEADER(0);
	ps = PredictPrepareRow(fcinfo, mrow, HeapTupleHeaderGetTypeId(row), HeapTupleHeaderGetTypMod(row));
	PG_RETURN_DATUM(PredictProba(ps, PredictRowWith(ps, row, false),
								 PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2)));
}

/*
 * automl_predict_columns(model automl.models, rowtype, VARIADIC columns)
 * and automl_predict_proba_columns(model automl.models, class, rowtype,
 * VARIADIC columns): the model-row forms with the row passed as its
 * columns, as the planner support function writes them.
 */
Datum
automl_predict_model_columns(PG_FUNCTION_ARGS)
{
	PredictState *ps;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	ps = PredictPrepareRow(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), PG_GETARG_OID(1), -1);
	PG_RETURN_DATUM(PredictLabel(ps, PredictColumnsWith(fcinfo, ps, PG_GETARG_OID(1), 2)));
}

Datum
automl_predict_proba_model_columns(PG_FUNCTION_ARGS)
{
	PredictState *ps;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	ps = PredictPrepareRow(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0), PG_GETARG_OID(2), -1);
	PG_RETURN_DATUM(PredictProba(ps, PredictColumnsWith(fcinfo, ps, PG_GETARG_OID(2), 3),
								 PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1)));
}

/* ---------------------------------------------------------------- batch */

/*
 * BatchDest receives the source query's rows straight from the executor's
 * slot: no tuple is copied and only the attributes up to the last one the
 * model or the id needs are deformed.  Rows are converted into a block of
 * raw inputs; each full block is scored and appended to the result.
 */
typedef struct BatchDest
{
	DestReceiver pub;
	aml_model  *m;
	const char *name;			/* the model's name, for errors */
	const char *id_col;			/* NULL: no id column */
	MemoryContext cxt;			/* lives as long as the call */
	MemoryContext block_cxt;	/* reset after every block */
	Tuplestorestate *store;
	TupleDesc	rdesc;
	TupleDesc	desc;			/* the source's rows, as mapped */
	RowMapper  *rm;
	int			last_att;		/* attributes to deform */
	int			id_att;			/* 0-based, or -1 */
	bool		id_copy;		/* id's datum is already its text */
	FmgrInfo	id_out;
	int			ni,
				no;
	bool		binary;
	int			n;				/* rows in the block */
	int			block;			/* rows per block */
	aml_scorer *scorer;			/* scores a block on automl.threads threads */

	/*
	 * Two blocks: the executor's rows go into one (in, ids, id_nulls,
	 * block_cxt point at it) while the scorer's workers score the other.
	 */
	double	   *in,
			   *out;
	Datum	   *ids;
	bool	   *id_nulls;
	double	   *in2,
			   *out2;
	Datum	   *ids2;
	bool	   *id_nulls2;
	MemoryContext block_cxt2;
	int			n2;				/* rows of the block being scored */
	bool		scoring;		/* the other block is being scored */
	Datum	   *labels;			/* per class: its label as text */
} BatchDest;

/*
 * BatchMap maps the source's columns to the model's inputs (a missing
 * column is an error even when the source has no rows) and finds the id.
 */
static void
BatchMap(BatchDest *bd, TupleDesc desc)
{
	MemoryContext old = MemoryContextSwitchTo(bd->cxt);

	bd->desc = CreateTupleDescCopy(desc);
	MemoryContextSwitchTo(old);
	bd->rm = MapperCreate(bd->m, desc, bd->cxt, bd->name);
	bd->last_att = 0;
	for (int i = 0; i < bd->ni; i++)
		bd->last_att = Max(bd->last_att, bd->rm->attno[i] + 1);
	bd->id_att = -1;
	if (bd->id_col)
	{
		Oid			type;
		Oid			fn;
		bool		isvarlena;

		for (int a = 0; a < desc->natts; a++)
			if (!TupleDescAttr(desc, a)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, a)->attname), bd->id_col) == 0)
				bd->id_att = a;
		if (bd->id_att < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("id column \"%s\" does not exist in the source", bd->id_col)));
		bd->last_att = Max(bd->last_att, bd->id_att + 1);
		type = getBaseType(TupleDescAttr(desc, bd->id_att)->atttypid);
		/* text and varchar print as they are stored */
		bd->id_copy = (type == TEXTOID || type == VARCHAROID);
		getTypeOutputInfo(TupleDescAttr(desc, bd->id_att)->atttypid, &fn, &isvarlena);
		fmgr_info_cxt(fn, &bd->id_out, bd->cxt);
	}
}

/*
 * BatchStartup checks that the executor's rows are those mapped before the
 * run (they are, unless the plan was rebuilt in between).
 */
static void
BatchStartup(DestReceiver *self, int operation, TupleDesc desc)
{
	BatchDest  *bd = (BatchDest *) self;

	if (bd->desc == NULL || !equalTupleDescs(desc, bd->desc))
		BatchMap(bd, desc);
}

/* BatchSwap exchanges the block being filled and the other one. */
static void
BatchSwap(BatchDest *bd)
{
	double	   *in = bd->in,
			   *out = bd->out;
	Datum	   *ids = bd->ids;
	bool	   *id_nulls = bd->id_nulls;
	MemoryContext cxt = bd->block_cxt;
	int			n = bd->n;

	bd->in = bd->in2;
	bd->out = bd->out2;
	bd->ids = bd->ids2;
	bd->id_nulls = bd->id_nulls2;
	bd->block_cxt = bd->block_cxt2;
	bd->n = bd->n2;
	bd->in2 = in;
	bd->out2 = out;
	bd->ids2 = ids;
	bd->id_nulls2 = id_nulls;
	bd->block_cxt2 = cxt;
	bd->n2 = n;
}

/*
 * BatchEmit appends one result row for each row of the scored block (the
 * other block: out2, ids2, id_nulls2) and empties it.
 */
static void
BatchEmit(BatchDest *bd)
{
	MemoryContext old = MemoryContextSwitchTo(bd->block_cxt2);

	for (int r = 0; r < bd->n2; r++)
	{
		Datum		rv[3];
		bool		rn[3];
		const double *o = bd->out2 + (size_t) r * bd->no;
		int			k = aml_model_decide(bd->m, o);

		rv[0] = bd->ids2[r];
		rn[0] = bd->id_nulls2[r];
		if (k < 0)
		{
			rv[1] = PointerGetDatum(cstring_to_text(float8out_internal(o[0])));
			rn[1] = false;
			rv[2] = (Datum) 0;
			rn[2] = true;
		}
		else
		{
			rv[1] = bd->labels[k];
			rn[1] = false;
			rv[2] = Float8GetDatum(bd->binary ? (k == 1 ? o[0] : 1.0 - o[0]) : o[k]);
			rn[2] = false;
		}
		tuplestore_putvalues(bd->store, bd->rdesc, rv, rn);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bd->block_cxt2);
	bd->n2 = 0;
}

/*
 * BatchFlush hands the full block to the scorer and goes on with the other
 * one: first the other block's scoring is waited for and its rows emitted,
 * so that the rows come out in order.  While the workers score a block the
 * backend reads and converts the next rows (with one thread, the block is
 * scored when it is waited for).  last: also score and emit this block now.
 */
static void
BatchFlush(BatchDest *bd, bool last)
{
	CHECK_FOR_INTERRUPTS();
	if (bd->scoring)
	{
		aml_scorer_wait(bd->scorer);
		bd->scoring = false;
		BatchEmit(bd);
	}
	if (bd->n == 0)
		return;
	aml_scorer_start(bd->scorer, bd->n, bd->in, bd->out);
	bd->scoring = true;
	BatchSwap(bd);
	if (last)
	{
		aml_scorer_wait(bd->scorer);
		bd->scoring = false;
		BatchEmit(bd);
	}
}

/*
 * BatchReceive converts one row of the source into the block's raw inputs
 * and keeps its id; a full block is scored.
 */
static bool
BatchReceive(TupleTableSlot *slot, DestReceiver *self)
{
	BatchDest  *bd = (BatchDest *) self;
	MemoryContext old;
	int			r = bd->n;

	if (bd->last_att > 0)
		slot_getsomeattrs(slot, bd->last_att);
	old = MemoryContextSwitchTo(bd->block_cxt);
	MapperConvert(bd->rm, slot->tts_values, slot->tts_isnull, bd->in + (size_t) r * bd->ni);
	bd->id_nulls[r] = bd->id_att < 0 || slot->tts_isnull[bd->id_att];
	if (bd->id_nulls[r])
		bd->ids[r] = (Datum) 0;
	else if (bd->id_copy)
		bd->ids[r] = PointerGetDatum(PG_DETOAST_DATUM_COPY(slot->tts_values[bd->id_att]));
	else
		bd->ids[r] = CStringGetTextDatum(OutputFunctionCall(&bd->id_out, slot->tts_values[bd->id_att]));
	MemoryContextSwitchTo(old);
	if (++bd->n == bd->block)
		BatchFlush(bd, false);
	return true;
}

/* BatchShutdown scores the last blocks. */
static void
BatchShutdown(DestReceiver *self)
{
	BatchFlush((BatchDest *) self, true);
}

static void
BatchDestroy(DestReceiver *self)
{
}

/* ScorerFree stops a batch's scoring threads (a reset callback). */
static void
ScorerFree(void *p)
{
	aml_scorer_free(p);
}

/*
 * automl_predict_batch(model, source, id) scores every row of a table, view
 * or query in blocks, returning (id, prediction, probability) rows: the id
 * column's text (NULL when no id is named), the label or value, and the
 * probability of the predicted class (NULL for regression).  The source
 * runs with the caller's privileges and its rows go straight from the
 * executor into BatchDest.
 */
Datum
automl_predict_batch(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	rdesc;
	MemoryContext per_query,
				old;
	char	   *name;
	char	   *source;
	char	   *query;
	char	   *stem;
	int64		model_id;
	SPIPlanPtr	plan;
	SPIExecuteOptions opts;
	BatchDest	bd;
	MemoryContext scorer_cxt;
	aml_env    *env;
	int			ret;

	rdesc = AmlSrfCheck(fcinfo, "automl_predict_batch", 3);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and source must not be NULL")));
	memset(&bd, 0, sizeof(bd));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!PG_ARGISNULL(2))
		bd.id_col = text_to_cstring(PG_GETARG_TEXT_PP(2));

	per_query = rsinfo->econtext->ecxt_per_query_memory;
	old = MemoryContextSwitchTo(per_query);
	bd.rdesc = CreateTupleDescCopy(rdesc);
	/* backward reads only when the caller needs them (they cost a length word a row) */
	bd.store = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
									 false, work_mem);
	MemoryContextSwitchTo(old);

	bd.m = AmlModelLoad(name, 0, &model_id);
	bd.name = name;
	bd.ni = aml_model_n_inputs(bd.m);
	bd.no = aml_model_n_outputs(bd.m);
	bd.binary = aml_model_task(bd.m) == AML_TASK_BINARY;
	bd.cxt = CurrentMemoryContext;
	query = AmlResolveSource(source, &stem);

	/*
	 * Blocks are scored on automl.threads threads (the backend and its
	 * workers, which only score), in larger blocks when there are several
	 * so that each thread gets a few thousand rows; the scorer's threads
	 * are stopped when scorer_cxt goes, on error too.
	 */
	scorer_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl batch scorer", ALLOCSET_SMALL_SIZES);
	env = MemoryContextAlloc(scorer_cxt, sizeof(aml_env));
	AmlEnvInit(env);
	env->mem_budget = 0;
	env->log = NULL;
	bd.scorer = aml_scorer_create(env, bd.m, env->n_threads);
	if (bd.scorer == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	AmlRegisterFree(scorer_cxt, ScorerFree, bd.scorer);
	bd.block = AML_PREDICT_BLOCK * (env->n_threads > 1 ? 4 * Min(env->n_threads, 16) : 1);
	bd.in = palloc(sizeof(double) * bd.block * (bd.ni + 1));
	bd.out = palloc(sizeof(double) * bd.block * bd.no);
	bd.ids = palloc0(sizeof(Datum) * bd.block);
	bd.id_nulls = palloc0(sizeof(bool) * bd.block);
	bd.in2 = palloc(sizeof(double) * bd.block * (bd.ni + 1));
	bd.out2 = palloc(sizeof(double) * bd.block * bd.no);
	bd.ids2 = palloc0(sizeof(Datum) * bd.block);
	bd.id_nulls2 = palloc0(sizeof(bool) * bd.block);
	bd.labels = palloc0(sizeof(Datum) * (aml_model_n_classes(bd.m) + 1));
	for (int c = 0; c < aml_model_n_classes(bd.m); c++)
		bd.labels[c] = CStringGetTextDatum(aml_model_class_label(bd.m, c));
	bd.block_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl batch block", ALLOCSET_DEFAULT_SIZES);
	bd.block_cxt2 = AllocSetContextCreate(CurrentMemoryContext, "automl batch block", ALLOCSET_DEFAULT_SIZES);
	bd.pub.receiveSlot = BatchReceive;
	bd.pub.rStartup = BatchStartup;
	bd.pub.rShutdown = BatchShutdown;
	bd.pub.rDestroy = BatchDestroy;
	bd.pub.mydest = DestTuplestore;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL || !SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must return rows")));
	/* map the columns before the run, so that errors name no statement */
	BatchMap(&bd, ((CachedPlanSource *) linitial(SPI_plan_get_plan_sources(plan)))->resultDesc);
	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = &bd.pub;
	ret = SPI_execute_plan_extended(plan, &opts);
	if (ret < 0)
		elog(ERROR, "automl: could not run the source query: %s", SPI_result_code_string(ret));
	SPI_finish();
	MemoryContextDelete(bd.block_cxt);
	MemoryContextDelete(bd.block_cxt2);
	MemoryContextDelete(scorer_cxt);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = bd.store;
	rsinfo->setDesc = bd.rdesc;
	return (Datum) 0;
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

	AmlGovCheck(name, AML_GOV_REVIEW);	/* 42501 unless review or owner */
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
				 errhint("List its versions with SELECT version FROM automl.models WHERE name = %s.", quote_literal_cstr(name))));
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	AmlGovDeploy(name, version, id, "manual", false);	/* gate, audit; written as the owner */
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

/* ---------------------------------------------------------------- explain */

typedef struct ContribOrder
{
	double		abs;
	int			input;
} ContribOrder;

static int
ContribCmp(const void *a, const void *b)
{
	const ContribOrder *x = a,
			   *y = b;

	if (x->abs != y->abs)
		return x->abs < y->abs ? 1 : -1;
	return x->input - y->input;
}

/* JsonbKey pushes an object key. */
static void
JsonbKey(JsonbParseState **st, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(st, WJB_KEY, &v);
}

/* JsonbString pushes a string value. */
static void
JsonbString(JsonbParseState **st, const char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) str;
	v.val.string.len = strlen(str);
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* JsonbNumber pushes a float8 as a number (shortest exact form), or null. */
static void
JsonbNumber(JsonbParseState **st, double d)
{
	JsonbValue	v;

	if (isfinite(d))
	{
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
															CStringGetDatum(float8out_internal(d)),
															ObjectIdGetDatum(InvalidOid),
															Int32GetDatum(-1)));
	}
	else
		v.type = jbvNull;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/*
 * automl_explain(model, row, top_k, class) explains one prediction: the
 * expected output, each source column's contribution and the row's output
 * in the space they add up in (see aml_model_explain), as jsonb.
 */
Datum
automl_explain(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row;
	PredictState *ps;
	aml_model  *m;
	double	   *o;
	int			ni;
	int			top_k;
	int			k;
	double	   *phi;
	double		base,
				pred;
	aml_explain_space space;
	aml_error	err;
	aml_status	st;
	ContribOrder *ord;
	JsonbParseState *js = NULL;
	JsonbValue *res;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	(void) FeaturesRow(fcinfo, "automl_explain", "'m'");
	if (!PG_ARGISNULL(2) && PG_GETARG_INT32(2) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("top_k must be at least 1"),
				 errhint("Pass NULL for every column.")));
	row = PG_GETARG_HEAPTUPLEHEADER(1);
	o = PredictRow(fcinfo, PG_GETARG_TEXT_PP(0), row, true);
	ps = fcinfo->flinfo->fn_extra;
	m = ps->model;
	ni = aml_model_n_inputs(m);
	top_k = PG_ARGISNULL(2) || PG_GETARG_INT32(2) > ni ? ni : PG_GETARG_INT32(2);

	if (!PG_ARGISNULL(3))
	{
		if (aml_model_task(m) == AML_TASK_REGRESSION)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model \"%s\" is a regression model and has no classes", ps->name),
					 errhint("Pass NULL as the class.")));
		k = ClassIndex(m, ps->name, text_to_cstring(PG_GETARG_TEXT_PP(3)));
	}
	else if (aml_model_task(m) == AML_TASK_BINARY)
		k = 1;
	else if (aml_model_task(m) == AML_TASK_MULTICLASS)
		k = aml_model_decide(m, o);
	else
		k = 0;

	phi = palloc(sizeof(double) * (ni + 1));
	memset(&err, 0, sizeof(err));
	st = aml_model_explain(m, 1, ps->in, k, phi, &base, &pred, &space, &err);
	if (st != AML_OK)
		AmlThrow(st, &err);

	ord = palloc(sizeof(ContribOrder) * (ni + 1));
	for (int i = 0; i < ni; i++)
	{
		ord[i].abs = fabs(phi[i]);
		ord[i].input = i;
	}
	qsort(ord, ni, sizeof(ContribOrder), ContribCmp);

	pushJsonbValue(&js, WJB_BEGIN_OBJECT, NULL);
	JsonbKey(&js, "output");
	JsonbString(&js, aml_explain_space_name(space));
	if (aml_model_task(m) != AML_TASK_REGRESSION)
	{
		JsonbKey(&js, "class");
		JsonbString(&js, aml_model_class_label(m, k));
	}
	JsonbKey(&js, "base");
	JsonbNumber(&js, base);
	JsonbKey(&js, "prediction");
	JsonbNumber(&js, pred);
	JsonbKey(&js, "contributions");
	pushJsonbValue(&js, WJB_BEGIN_ARRAY, NULL);
	for (int q = 0; q < top_k; q++)
	{
		int			i = ord[q].input;
		int			a = ps->mapper->attno[i];

		pushJsonbValue(&js, WJB_BEGIN_OBJECT, NULL);
		JsonbKey(&js, "feature");
		JsonbString(&js, aml_model_input_name(m, i));
		JsonbKey(&js, "value");
		if (ps->nulls[a])
			JsonbNumber(&js, NAN);
		else if (aml_model_input_kind(m, i) == AML_COL_NUMERIC)
			JsonbNumber(&js, ps->in[i]);
		else
		{
			Oid			type = TupleDescAttr(ps->desc, a)->atttypid;
			Oid			fn;
			bool		isvarlena;

			getTypeOutputInfo(type, &fn, &isvarlena);
			JsonbString(&js, OidOutputFunctionCall(fn, ps->values[a]));
		}
		JsonbKey(&js, "contribution");
		JsonbNumber(&js, phi[i]);
		pushJsonbValue(&js, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&js, WJB_END_ARRAY, NULL);
	res = pushJsonbValue(&js, WJB_END_OBJECT, NULL);
	pfree(phi);
	pfree(ord);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
