/*-------------------------------------------------------------------------
 *
 * bias.c
 *	  automl_bias(model, source, sensitive, reference, options): the bias
 *	  table of a model across the groups of a sensitive column of a table,
 *	  view or query.
 *
 * The source is read with the caller's privileges through an SPI cursor
 * in batches; rows are scored in blocks by the core (never one by one
 * through SQL) and kept as model outputs, labels (when the source has the
 * model's target column) and sensitive values.  Numeric sensitive columns
 * are then cut into bins, other values group by their text; the core
 * computes the table (src/core/bias.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_bias);

#define BIAS_FETCH 10000
#define BIAS_MAX_BINS 100
#define BIAS_NCOLS 25

/* options of automl_bias */
typedef struct BiasOpts
{
	double		threshold;
	bool		has_threshold;
	char	   *positive;
	char	   *cls;
	int			n_bins;			/* 0: not given */
	double	   *edges;			/* explicit bin edges, or NULL */
	int			n_edges;
	int			version;		/* 0: the deployed one */
} BiasOpts;

/* How a sensitive or label value is read. */
typedef enum ValRead
{
	VAL_INT2,
	VAL_INT4,
	VAL_INT8,
	VAL_FLOAT4,
	VAL_FLOAT8,
	VAL_NUMERIC,
	VAL_BOOL,
	VAL_TEXT,
	VAL_BPCHAR,
	VAL_OUTPUT
} ValRead;

/* distinct text values of the sensitive column: open addressing */
typedef struct TextGroups
{
	int			n;
	int			cap;			/* slots, a power of two */
	int32	   *slot;			/* group + 1, 0 = empty */
	uint32	   *hash;			/* per group */
	char	  **val;			/* per group, NUL-terminated */
	int		   *len;
	int			val_cap;
} TextGroups;

/* ---------------------------------------------------------------- options */

static double
OptNumber(const char *key, JsonbValue *v, const char *hint)
{
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a number", key),
				 hint ? errhint("%s", hint) : 0));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static char *
OptString(const char *key, JsonbValue *v)
{
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static void
BadBins(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"bins\" must be a number of bins between 2 and %d, or an array of increasing edges",
					BIAS_MAX_BINS),
			 errhint("For example: {\"bins\": 4} (quantile bins) or {\"bins\": [18, 30, 50]}.")));
}

/*
 * ParseBiasOptions reads the options jsonb; unknown keys and wrong types
 * are errors.
 */
static void
ParseBiasOptions(Jsonb *jb, BiasOpts *o)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	char	   *key = NULL;

	memset(o, 0, sizeof(*o));
	o->threshold = 0.5;
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("For example: options => '{\"threshold\": 0.3, \"bins\": [18, 30, 50]}'.")));
	it = JsonbIteratorInit(&jb->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (r == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (r != WJB_VALUE)
			continue;
		if (strcmp(key, "threshold") == 0)
		{
			double		t = OptNumber(key, &v, NULL);

			if (!(t > 0 && t < 1))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"threshold\" must be between 0 and 1 (exclusive)")));
			o->threshold = t;
			o->has_threshold = true;
		}
		else if (strcmp(key, "positive") == 0)
			o->positive = OptString(key, &v);
		else if (strcmp(key, "class") == 0)
			o->cls = OptString(key, &v);
		else if (strcmp(key, "version") == 0)
		{
			double		ver = OptNumber(key, &v, NULL);

			if (!(ver >= 1 && ver <= PG_INT32_MAX) || ver != floor(ver))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"version\" must be a positive integer")));
			o->version = (int) ver;
		}
		else if (strcmp(key, "bins") == 0)
		{
			if (v.type == jbvNumeric)
			{
				double		b = OptNumber(key, &v, NULL);

				if (!(b >= 2 && b <= BIAS_MAX_BINS) || b != floor(b))
					BadBins();
				o->n_bins = (int) b;
				o->edges = NULL;
			}
			else if (v.type == jbvBinary && JsonContainerIsArray(v.val.binary.data))
			{
				JsonbIterator *ai = JsonbIteratorInit(v.val.binary.data);
				JsonbValue	av;
				JsonbIteratorToken ar;

				o->edges = palloc(sizeof(double) * BIAS_MAX_BINS);
				o->n_edges = 0;
				while ((ar = JsonbIteratorNext(&ai, &av, true)) != WJB_DONE)
				{
					double		e;

					if (ar != WJB_ELEM)
						continue;
					if (av.type != jbvNumeric || o->n_edges >= BIAS_MAX_BINS - 1)
						BadBins();
					e = OptNumber(key, &av, NULL);
					if (o->n_edges > 0 && !(e > o->edges[o->n_edges - 1]))
						BadBins();
					o->edges[o->n_edges++] = e;
				}
				if (o->n_edges == 0)
					BadBins();
				o->n_bins = o->n_edges + 1;
			}
			else
				BadBins();
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\"", key),
					 errhint("Valid options are: threshold, positive, class, bins, version.")));
	}
}

/* ---------------------------------------------------------------- values */

static ValRead
ValReadOf(Oid type)
{
	switch (getBaseType(type))
	{
		case INT2OID:
			return VAL_INT2;
		case INT4OID:
			return VAL_INT4;
		case INT8OID:
			return VAL_INT8;
		case FLOAT4OID:
			return VAL_FLOAT4;
		case FLOAT8OID:
			return VAL_FLOAT8;
		case NUMERICOID:
			return VAL_NUMERIC;
		case BOOLOID:
			return VAL_BOOL;
		case TEXTOID:
		case VARCHAROID:
		case NAMEOID:
			return VAL_TEXT;
		case BPCHAROID:
			return VAL_BPCHAR;
		default:
			return VAL_OUTPUT;
	}
}

static inline bool
ValIsNumber(ValRead r)
{
	return r <= VAL_NUMERIC;
}

/* ValNumber reads a numeric datum as a double. */
static inline double
ValNumber(ValRead r, Datum d)
{
	switch (r)
	{
		case VAL_INT2:
			return DatumGetInt16(d);
		case VAL_INT4:
			return DatumGetInt32(d);
		case VAL_INT8:
			return (double) DatumGetInt64(d);
		case VAL_FLOAT4:
			return DatumGetFloat4(d);
		case VAL_FLOAT8:
			return DatumGetFloat8(d);
		default:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
	}
}

/*
 * ValText returns the text form of a non-numeric datum (booleans as
 * "true"/"false", as training reads them; char(n) without trailing
 * blanks); *len receives its length.  The result may point into the datum.
 */
static const char *
ValText(ValRead r, FmgrInfo *out, Datum d, int *len)
{
	if (r == VAL_BOOL)
	{
		*len = DatumGetBool(d) ? 4 : 5;
		return DatumGetBool(d) ? "true" : "false";
	}
	if (r == VAL_TEXT || r == VAL_BPCHAR)
	{
		text	   *tx = DatumGetTextPP(d);
		const char *s = VARDATA_ANY(tx);
		int			n = VARSIZE_ANY_EXHDR(tx);

		if (r == VAL_BPCHAR)
			while (n > 0 && s[n - 1] == ' ')
				n--;
		*len = n;
		return s;
	}
	{
		char	   *s = OutputFunctionCall(out, d);

		*len = strlen(s);
		return s;
	}
}

/* TextGroupOf returns the group of a text value, adding it when new. */
static int
TextGroupOf(TextGroups *tg, const char *s, int len, MemoryContext cxt)
{
	uint32		h = hash_bytes((const unsigned char *) s, len);
	uint32		mask;
	uint32		i;

	if (tg->cap == 0 || (tg->n + 1) * 2 > tg->cap)
	{
		int			cap = tg->cap ? tg->cap * 2 : 64;
		int32	   *slot = MemoryContextAllocZero(cxt, sizeof(int32) * cap);

		for (int g = 0; g < tg->n; g++)
		{
			uint32		j = tg->hash[g] & (cap - 1);

			while (slot[j])
				j = (j + 1) & (cap - 1);
			slot[j] = g + 1;
		}
		tg->slot = slot;
		tg->cap = cap;
	}
	mask = tg->cap - 1;
	for (i = h & mask; tg->slot[i]; i = (i + 1) & mask)
	{
		int			g = tg->slot[i] - 1;

		if (tg->hash[g] == h && tg->len[g] == len && memcmp(tg->val[g], s, len) == 0)
			return g;
	}
	if (tg->n == tg->val_cap)
	{
		int			cap = tg->val_cap ? tg->val_cap * 2 : 32;
		MemoryContext old = MemoryContextSwitchTo(cxt);

		tg->hash = tg->hash ? repalloc(tg->hash, sizeof(uint32) * cap) : palloc(sizeof(uint32) * cap);
		tg->val = tg->val ? repalloc(tg->val, sizeof(char *) * cap) : palloc(sizeof(char *) * cap);
		tg->len = tg->len ? repalloc(tg->len, sizeof(int) * cap) : palloc(sizeof(int) * cap);
		tg->val_cap = cap;
		MemoryContextSwitchTo(old);
	}
	tg->hash[tg->n] = h;
	tg->val[tg->n] = MemoryContextAlloc(cxt, len + 1);
	memcpy(tg->val[tg->n], s, len);
	tg->val[tg->n][len] = '\0';
	tg->len[tg->n] = len;
	tg->slot[i] = tg->n + 1;
	return tg->n++;
}

/* ---------------------------------------------------------------- groups */

static const char *const *sort_vals;

static int
CmpGroupText(const void *a, const void *b)
{
	return strcmp(sort_vals[*(const int *) a], sort_vals[*(const int *) b]);
}

/* GroupName names a group in a message: "f", or NULL. */
static char *
GroupName(char *label)
{
	return label ? psprintf("\"%s\"", label) : "NULL";
}

/* ---------------------------------------------------------------- scan */

/*
 * AmlScoreSource reads the rows of query with the caller's privileges
 * through an SPI cursor in batches of BIAS_FETCH, scores them with model m
 * in blocks of AML_PREDICT_BLOCK and fills out: the model outputs and,
 * when the source has the model's target column, the labels (class index
 * or value; NaN for a NULL or a class the model does not know).  hooks
 * (optional) see the first batch's row type, the capacity as it grows,
 * every row's values, for the caller's own columns (automl_bias's
 * sensitive column), and every block of the model's raw inputs
 * (automl_drift, which sets no_predict: nothing is scored and no label is
 * read, out->pred and out->y stay NULL).  fn names the SQL function in messages.  An empty
 * source is an error, as is one without the target column when
 * need_target; labels the model does not know get a NOTICE.
 */
void
AmlScoreSource(aml_model *m, const char *name, int64 model_id, const char *query,
			   const char *fn, bool need_target, const AmlScanHooks *hooks, void *arg,
			   AmlScored *out)
{
	MemoryContext fn_cxt = CurrentMemoryContext,
				batch_cxt,
				old;
	aml_task	task = aml_model_task(m);
	int			ni = aml_model_n_inputs(m),
				no = aml_model_n_outputs(m),
				n_classes = task == AML_TASK_REGRESSION ? 0 : aml_model_n_classes(m);
	double	   *class_value = NULL;	/* numeric class labels, or NULL */
	SPIPlanPtr	plan;
	Portal		portal;
	RowMapper  *rm = NULL;
	TupleDesc	desc = NULL;
	Datum	   *values = NULL;
	bool	   *nulls = NULL;
	int			target_att = -1;
	ValRead		target_read = VAL_TEXT;
	FmgrInfo	target_out;
	double	   *in;
	void	   *scratch;
	int64		cap = 0;

	memset(out, 0, sizeof(*out));
	if (n_classes > 0)
	{
		/* numeric class labels compare as numbers */
		class_value = palloc(sizeof(double) * n_classes);
		for (int c = 0; c < n_classes; c++)
		{
			const char *l = aml_model_class_label(m, c);
			char	   *end;

			class_value[c] = strtod(l, &end);
			if (*l == '\0' || *end != '\0')
			{
				pfree(class_value);
				class_value = NULL;
				break;
			}
		}
	}
	in = palloc(sizeof(double) * AML_PREDICT_BLOCK * (ni + 1));
	scratch = palloc(aml_model_scratch_size(m));
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl scored source batch", ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			t1[1] = {INT8OID};
		Datum		v1[1];
		bool		isnull;

		v1[0] = Int64GetDatum(model_id);
		if (SPI_execute_with_args("SELECT target FROM automl.models WHERE id = $1",
								  1, t1, v1, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "automl: could not read model %lld", (long long) model_id);
		out->target = MemoryContextStrdup(fn_cxt, TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																					SPI_tuptable->tupdesc, 1, &isnull)));
	}

	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for automl source: %s", SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must return rows")));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		uint64		nrows;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, BIAS_FETCH);
		nrows = SPI_processed;
		if (desc == NULL)
		{
			old = MemoryContextSwitchTo(fn_cxt);
			desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
			values = palloc(sizeof(Datum) * (desc->natts + 1));
			nulls = palloc(sizeof(bool) * (desc->natts + 1));
			MemoryContextSwitchTo(old);
			rm = MapperCreate(m, desc, fn_cxt, name);
			for (int a = 0; a < desc->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, a);

				/* labels are read only when rows are scored */
				if (!att->attisdropped && strcmp(NameStr(att->attname), out->target) == 0 &&
					!(hooks && hooks->no_predict))
					target_att = a;
			}
			if (target_att < 0 && need_target)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("source has no column \"%s\", the target of model \"%s\"", out->target, name),
						 errdetail("%s compares the model's predictions with the labels in that column.", fn),
						 errhint("Read rows whose label is known, with the target column under its training name.")));
			if (hooks && hooks->setup)
				hooks->setup(arg, desc, fn_cxt);
			if (target_att >= 0)
			{
				target_read = ValReadOf(TupleDescAttr(desc, target_att)->atttypid);
				if (task == AML_TASK_REGRESSION && !ValIsNumber(target_read))
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("target column \"%s\" has type %s, but model \"%s\" predicts a number",
									out->target, format_type_be(TupleDescAttr(desc, target_att)->atttypid), name),
							 errhint("Read it as a number in a query source, e.g. SELECT %s::float8 AS %s, ...",
									 quote_identifier(out->target), quote_identifier(out->target))));
				if (target_read == VAL_OUTPUT)
				{
					Oid			ofn;
					bool		isvarlena;

					getTypeOutputInfo(TupleDescAttr(desc, target_att)->atttypid, &ofn, &isvarlena);
					fmgr_info_cxt(ofn, &target_out, fn_cxt);
				}
			}
		}
		if (nrows == 0)
			break;
		if (out->n + (int64) nrows > cap)
		{
			int64		ncap = Max(cap * 2, out->n + (int64) nrows);

			old = MemoryContextSwitchTo(fn_cxt);
			if (!(hooks && hooks->no_predict))
				out->pred = out->pred ? repalloc_huge(out->pred, sizeof(double) * ncap * no)
					: MemoryContextAllocHuge(fn_cxt, sizeof(double) * ncap * no);
			if (target_att >= 0)
				out->y = out->y ? repalloc_huge(out->y, sizeof(double) * ncap)
					: MemoryContextAllocHuge(fn_cxt, sizeof(double) * ncap);
			MemoryContextSwitchTo(old);
			if (hooks && hooks->grow)
				hooks->grow(arg, ncap, fn_cxt);
			cap = ncap;
		}
		for (uint64 start = 0; start < nrows; start += AML_PREDICT_BLOCK)
		{
			int			b = (int) Min((uint64) AML_PREDICT_BLOCK, nrows - start);
			int64		n = out->n;

			old = MemoryContextSwitchTo(batch_cxt);
			for (int r = 0; r < b; r++)
			{
				int64		i = n + r;
				double	   *y = out->y;

				heap_deform_tuple(SPI_tuptable->vals[start + r], desc, values, nulls);
				MapperConvert(rm, values, nulls, in + (size_t) r * ni);
				if (hooks && hooks->row)
					hooks->row(arg, i, values, nulls, fn_cxt);

				/* the label: class index or value, NaN when absent */
				if (y == NULL)
					continue;
				if (nulls[target_att])
					y[i] = NAN;
				else if (task == AML_TASK_REGRESSION)
					y[i] = ValNumber(target_read, values[target_att]);
				else
				{
					int			k = -1;

					if (ValIsNumber(target_read) && class_value)
					{
						double		t = ValNumber(target_read, values[target_att]);

						for (int c = 0; c < n_classes && k < 0; c++)
							if (class_value[c] == t)
								k = c;
					}
					else if (!ValIsNumber(target_read))
					{
						int			len;
						const char *s = ValText(target_read, &target_out, values[target_att], &len);

						for (int c = 0; c < n_classes && k < 0; c++)
						{
							const char *l = aml_model_class_label(m, c);

							if ((int) strlen(l) == len && memcmp(l, s, len) == 0)
								k = c;
						}
					}
					if (k < 0)
						out->unknown_labels++;
					y[i] = k < 0 ? NAN : (double) k;
				}
			}
			if (hooks && hooks->block)
				hooks->block(arg, n, b, in);
			if (!(hooks && hooks->no_predict))
				aml_model_predict(m, b, in, out->pred + (size_t) n * no, scratch);
			out->n += b;
			MemoryContextSwitchTo(old);
			MemoryContextReset(batch_cxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(batch_cxt);

	if (out->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("source has no rows"),
				 errhint("%s needs a table, view or query that returns rows.", fn)));
	if (out->unknown_labels > 0)
		ereport(NOTICE,
				(errmsg("%lld rows have a \"%s\" the model does not know; they count as unlabelled",
						(long long) out->unknown_labels, out->target)));
}

/* ---------------------------------------------------------------- bias hooks */

/* automl_bias's own column: the sensitive one, read into groups or numbers */
typedef struct BiasScan
{
	const char *sensitive;
	int			sens_att;
	ValRead		sens_read;
	FmgrInfo	sens_out;
	double	   *sens_num;		/* numbers, or NULL */
	int32	   *group;			/* text groups (-1: NULL or a number) */
	TextGroups	tg;
	int			n_bins;			/* option "bins" (0: not given) */
} BiasScan;

static void
BiasSetup(void *arg, TupleDesc desc, MemoryContext cxt)
{
	BiasScan   *bs = arg;

	bs->sens_att = -1;
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!att->attisdropped && strcmp(NameStr(att->attname), bs->sensitive) == 0)
			bs->sens_att = a;
	}
	if (bs->sens_att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("sensitive column \"%s\" does not exist in the source", bs->sensitive),
				 errhint("Column names are case-sensitive: pass the name as it is stored.")));
	bs->sens_read = ValReadOf(TupleDescAttr(desc, bs->sens_att)->atttypid);
	if (bs->sens_read == VAL_OUTPUT)
	{
		Oid			fn;
		bool		isvarlena;

		getTypeOutputInfo(TupleDescAttr(desc, bs->sens_att)->atttypid, &fn, &isvarlena);
		fmgr_info_cxt(fn, &bs->sens_out, cxt);
	}
	if (bs->n_bins > 0 && !ValIsNumber(bs->sens_read))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"bins\" applies to numeric sensitive columns only"),
				 errdetail("Column \"%s\" has type %s; its values are the groups.", bs->sensitive,
						   format_type_be(TupleDescAttr(desc, bs->sens_att)->atttypid))));
}

static void
BiasGrow(void *arg, int64 cap, MemoryContext cxt)
{
	BiasScan   *bs = arg;
	MemoryContext old = MemoryContextSwitchTo(cxt);

	if (ValIsNumber(bs->sens_read))
		bs->sens_num = bs->sens_num ? repalloc_huge(bs->sens_num, sizeof(double) * cap)
			: MemoryContextAllocHuge(cxt, sizeof(double) * cap);
	bs->group = bs->group ? repalloc_huge(bs->group, sizeof(int32) * cap)
		: MemoryContextAllocHuge(cxt, sizeof(int32) * cap);
	MemoryContextSwitchTo(old);
}

static void
BiasRow(void *arg, int64 i, Datum *values, bool *nulls, MemoryContext cxt)
{
	BiasScan   *bs = arg;
	int			a = bs->sens_att;

	if (ValIsNumber(bs->sens_read))
	{
		bs->sens_num[i] = nulls[a] ? NAN : ValNumber(bs->sens_read, values[a]);
		bs->group[i] = -1;
	}
	else if (nulls[a])
		bs->group[i] = -1;
	else
	{
		int			len;
		const char *s = ValText(bs->sens_read, &bs->sens_out, values[a], &len);

		bs->group[i] = TextGroupOf(&bs->tg, s, len, cxt);
	}
}

/* ---------------------------------------------------------------- entry */

/*
 * automl_bias(model, source, sensitive, reference, options) returns one
 * row per group of the sensitive column (and per class, multiclass).
 */
Datum
automl_bias(PG_FUNCTION_ARGS)
{
	TupleDesc	rdesc;
	Tuplestorestate *store;
	char	   *name,
			   *source,
			   *sensitive,
			   *reference = NULL,
			   *query,
			   *stem;
	BiasOpts	bo;
	int64		model_id;
	aml_model  *m;
	aml_task	task;
	int			n_classes;
	static const AmlScanHooks bias_hooks = {BiasSetup, BiasGrow, BiasRow, NULL, false};
	BiasScan	bs;
	AmlScored	sc;
	ValRead		sens_read;
	int64		n;
	double	   *pred,
			   *y,
			   *sens_num;
	int32	   *group;
	TextGroups	tg;
	int			n_groups = 0;
	char	  **label = NULL;
	int			ref = -1;
	aml_bias_options opts;
	aml_bias_row *rows;
	int64		n_rows;
	aml_env		env;
	aml_error	err;
	aml_status	st;

	rdesc = AmlSrfCheck(fcinfo, "automl_bias", BIAS_NCOLS);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model, source and sensitive must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	sensitive = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!PG_ARGISNULL(3))
		reference = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (PG_ARGISNULL(4))
		ParseBiasOptions(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))), &bo);
	else
		ParseBiasOptions(PG_GETARG_JSONB_P(4), &bo);

	/* the model (42501 unless the caller may use it) and its options */
	m = AmlModelLoad(name, bo.version, &model_id);
	task = aml_model_task(m);
	n_classes = task == AML_TASK_REGRESSION ? 0 : aml_model_n_classes(m);
	aml_bias_options_init(&opts);
	opts.task = task;
	opts.n_classes = n_classes;
	if ((bo.has_threshold || bo.positive) && task != AML_TASK_BINARY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" applies to binary models only", bo.has_threshold ? "threshold" : "positive"),
				 errdetail("Model \"%s\" is a %s model.", name, aml_task_name(task)),
				 task == AML_TASK_MULTICLASS ? errhint("Name one class with option \"class\".") : 0));
	if (bo.cls && task != AML_TASK_MULTICLASS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"class\" applies to multiclass models only"),
				 errdetail("Model \"%s\" is a %s model.", name, aml_task_name(task)),
				 task == AML_TASK_BINARY ? errhint("Name the positive class with option \"positive\".") : 0));
	if (bo.positive || bo.cls)
	{
		const char *want = bo.positive ? bo.positive : bo.cls;
		int			k = -1;

		for (int c = 0; c < n_classes; c++)
			if (strcmp(aml_model_class_label(m, c), want) == 0)
				k = c;
		if (k < 0)
		{
			StringInfoData all;

			initStringInfo(&all);
			for (int c = 0; c < n_classes; c++)
				appendStringInfo(&all, "%s%s", c ? ", " : "", aml_model_class_label(m, c));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model \"%s\" has no class \"%s\"", name, want),
					 errdetail("Its classes are: %s.", all.data)));
		}
		if (bo.positive)
			opts.positive = k;
		else
			opts.cls = k;
	}
	opts.threshold = bo.threshold;

	query = AmlResolveSource(source, &stem);
	memset(&bs, 0, sizeof(bs));
	bs.sensitive = sensitive;
	bs.n_bins = bo.n_bins;
	AmlScoreSource(m, name, model_id, query, "automl_bias", false, &bias_hooks, &bs, &sc);
	n = sc.n;
	y = sc.y;
	pred = sc.pred;
	sens_num = bs.sens_num;
	group = bs.group;
	sens_read = bs.sens_read;
	tg = bs.tg;

	/* groups: bins of a number, or text values in C order; NULL last */
	if (ValIsNumber(sens_read))
	{
		double	   *edges = bo.edges;
		int			n_edges = bo.n_edges;
		double		min = INFINITY,
					max = -INFINITY;
		int		   *dense;
		bool		has_null = false;
		int			k = 0;

		for (int64 i = 0; i < n; i++)
		{
			if (isnan(sens_num[i]))
				has_null = true;
			else
			{
				min = Min(min, sens_num[i]);
				max = Max(max, sens_num[i]);
			}
		}
		if (edges == NULL)
		{
			int			nb = bo.n_bins > 0 ? bo.n_bins : 4;

			AmlEnvInit(&env);
			memset(&err, 0, sizeof(err));
			edges = palloc(sizeof(double) * nb);
			st = aml_bias_quantile_edges(&env, sens_num, n, nb, edges, &n_edges, &err);
			if (st != AML_OK)
				AmlThrow(st, &err);
		}
		dense = palloc(sizeof(int) * (n_edges + 1));
		for (int b = 0; b <= n_edges; b++)
			dense[b] = -1;
		for (int64 i = 0; i < n; i++)
			if (!isnan(sens_num[i]))
				dense[aml_bias_bin_of(edges, n_edges, sens_num[i])] = 0;
		for (int b = 0; b <= n_edges; b++)
			if (dense[b] == 0)
				dense[b] = k++;
		n_groups = k + (has_null ? 1 : 0);
		label = palloc0(sizeof(char *) * (n_groups + 1));
		for (int b = 0; b <= n_edges; b++)
			if (dense[b] >= 0)
			{
				char		buf[160];

				aml_bias_bin_label(edges, n_edges, b, min, max, sens_read == VAL_FLOAT4, buf, sizeof(buf));
				label[dense[b]] = pstrdup(buf);
			}
		for (int64 i = 0; i < n; i++)
			group[i] = isnan(sens_num[i]) ? k : dense[aml_bias_bin_of(edges, n_edges, sens_num[i])];
	}
	else
	{
		int		   *order = palloc(sizeof(int) * (tg.n + 1));
		int		   *rank = palloc(sizeof(int) * (tg.n + 1));
		bool		has_null = false;

		for (int g = 0; g < tg.n; g++)
			order[g] = g;
		sort_vals = (const char *const *) tg.val;
		qsort(order, tg.n, sizeof(int), CmpGroupText);
		sort_vals = NULL;
		for (int g = 0; g < tg.n; g++)
			rank[order[g]] = g;
		for (int64 i = 0; i < n; i++)
		{
			if (group[i] < 0)
			{
				has_null = true;
				group[i] = tg.n;
			}
			else
				group[i] = rank[group[i]];
		}
		n_groups = tg.n + (has_null ? 1 : 0);
		label = palloc0(sizeof(char *) * (n_groups + 1));
		for (int g = 0; g < tg.n; g++)
			label[g] = tg.val[order[g]];
	}
	if (n_groups < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sensitive column \"%s\" has a single value in the source", sensitive),
				 errdetail("All %lld rows are in group %s, so there is nothing to compare.",
						   (long long) n, GroupName(label[0])),
				 ValIsNumber(sens_read) ? errhint("Give bin edges that split its values, e.g. options => '{\"bins\": [18, 30, 50]}'.") : 0));

	/* the reference group */
	if (reference)
	{
		StringInfoData all;

		for (int g = 0; g < n_groups; g++)
			if (label[g] && strcmp(label[g], reference) == 0)
				ref = g;
		if (ref < 0)
		{
			initStringInfo(&all);
			for (int g = 0; g < n_groups && g < 20; g++)
				appendStringInfo(&all, "%s%s", g ? ", " : "", GroupName(label[g]));
			if (n_groups > 20)
				appendStringInfo(&all, " and %d more", n_groups - 20);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reference \"%s\" is not a group of column \"%s\"", reference, sensitive),
					 errdetail("Its groups are: %s.", all.data),
					 ValIsNumber(sens_read) ? errhint("A numeric column's groups are its bins, named as shown by automl_bias.") : 0));
		}
	}
	opts.reference = ref;

	/* the table */
	AmlEnvInit(&env);
	memset(&err, 0, sizeof(err));
	n_rows = aml_bias_n_rows(&opts, n_groups);
	rows = palloc(sizeof(aml_bias_row) * n_rows);
	st = aml_bias_compute(&env, &opts, n, group, n_groups, y, pred, rows, &err);
	if (st != AML_OK)
		AmlThrow(st, &err);

	/* small groups: reported, never flagged */
	{
		StringInfoData small;
		int			k = 0;

		initStringInfo(&small);
		for (int64 r = 0; r < n_rows; r++)
			if (rows[r].rows < opts.min_rows && (rows[r].cls < 0 || rows[r].cls == rows[0].cls))
			{
				appendStringInfo(&small, "%s%s (%lld row%s)", k ? ", " : "", GroupName(label[rows[r].group]),
								 (long long) rows[r].rows, rows[r].rows == 1 ? "" : "s");
				k++;
			}
		if (k > 0)
			ereport(NOTICE,
					(errmsg("%d of %d groups of \"%s\" have fewer than %d rows: they are reported but never flagged",
							k, n_groups, sensitive, (int) opts.min_rows),
					 errdetail("Small groups: %s.", small.data)));
	}

	store = AmlSrfStore(fcinfo, &rdesc);
	for (int64 r = 0; r < n_rows; r++)
	{
		const aml_bias_row *br = &rows[r];
		Datum		v[BIAS_NCOLS];
		bool		nl[BIAS_NCOLS];
		int			c = 0;

		memset(nl, 0, sizeof(nl));
		nl[c] = label[br->group] == NULL;
		v[c++] = nl[0] ? (Datum) 0 : CStringGetTextDatum(label[br->group]);
		nl[c] = br->cls < 0;
		v[c++] = br->cls < 0 ? (Datum) 0 : CStringGetTextDatum(aml_model_class_label(m, br->cls));
		v[c++] = Int64GetDatum(br->rows);
		v[c] = AmlFloat8OrNull(br->share, &nl[c]);
		c++;
		v[c++] = BoolGetDatum(br->is_reference);
#define PUT(x) do { v[c] = AmlFloat8OrNull((x), &nl[c]); c++; } while (0)
		PUT(br->label_positive_rate);
		PUT(br->predicted_positive_rate);
		PUT(br->accuracy);
		PUT(br->tpr);
		PUT(br->fpr);
		PUT(br->precision);
		PUT(br->disparate_impact);
		PUT(br->demographic_parity_difference);
		PUT(br->equal_opportunity_difference);
		PUT(br->average_odds_difference);
		PUT(br->mean_prediction);
		PUT(br->mean_actual);
		PUT(br->mae);
		PUT(br->rmse);
		PUT(br->mean_residual);
		PUT(br->mean_prediction_difference);
		PUT(br->mae_difference);
		PUT(br->rmse_difference);
		PUT(br->mean_residual_difference);
#undef PUT
		v[c++] = BoolGetDatum(br->flagged);
		Assert(c == BIAS_NCOLS);
		tuplestore_putvalues(store, rdesc, v, nl);
	}
	return (Datum) 0;
}
