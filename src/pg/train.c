/*-------------------------------------------------------------------------
 *
 * train.c
 *	  automl_train: resolves the source with the caller's privileges, reads
 *	  it through an SPI cursor in batches into the core's frame, trains,
 *	  and stores the model version, its leaderboard and (when it wins) a
 *	  deployment, all in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/array.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_train);
PG_FUNCTION_INFO_V1(automl_scan);

#define FETCH_BATCH 10000
#define STORE_SECONDS 0.5		/* kept for storing the model in the catalog */
#define MIN_CUT_BUDGET 1.0		/* the least budget a statement_timeout cuts to */
#define DEFORM_CHUNK 256		/* rows deformed before the frame is filled */

/* How one source column is read into the frame. */
typedef enum ColRead
{
	READ_SKIP = 0,
	READ_INT2,
	READ_INT4,
	READ_INT8,
	READ_FLOAT4,
	READ_FLOAT8,
	READ_NUMERIC,
	READ_BOOL,
	READ_TEXT,
	READ_BPCHAR,
	READ_OUTPUT,				/* enums: the type's output function */
	READ_DATE,
	READ_TIMESTAMP
} ColRead;

typedef struct SourceCol
{
	ColRead		read;
	int			frame_col;
	FmgrInfo	out;
} SourceCol;

/* the arguments of automl_train (automl_pg.h: automl_assess reads the same) */
typedef AmlTrainArgs TrainArgs;

/* ---------------------------------------------------------------- options */

static const char *const valid_options =
"test_fraction, seed, folds, algorithm, params, algorithms, ensemble, generated_features, max_rows, sensitive, use_sensitive, time_column, group_by, group_min_rows";

static double
JsonbNumber(const char *key, JsonbValue *v)
{
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a number", key)));
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static char *
JsonbString(const char *key, JsonbValue *v)
{
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static int
AlgoFromName(const char *name, const char *what)
{
	int			a = aml_algo_from_name(name);

	if (a < 0 || a == AML_ALGO_ENSEMBLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\" in option \"%s\"", name, what),
				 errhint("Valid algorithms are: baseline, linear, decision_tree, gbdt, random_forest, extra_trees.")));
	return a;
}

/*
 * AmlParseOptions reads the options jsonb into the core's training options;
 * unknown keys and wrong types are errors.
 */
void
AmlParseOptions(Jsonb *jb, aml_train_options *o, List **sensitive)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;
	char	   *key = NULL;
	bool		have_params = false;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("For example: options => '{\"test_fraction\": 0.25, \"seed\": 7}'.")));
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
		if (strcmp(key, "test_fraction") == 0)
		{
			double		t = JsonbNumber(key, &v);

			if (!(t >= 0 && t <= 0.5))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"test_fraction\" must be between 0 and 0.5")));
			o->test_fraction = t;
		}
		else if (strcmp(key, "seed") == 0)
		{
			double		s = JsonbNumber(key, &v);

			if (!(s >= 0 && s <= 9007199254740991.0) || s != floor(s))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"seed\" must be a non-negative integer")));
			o->seed = (uint64_t) s;
		}
		else if (strcmp(key, "folds") == 0)
		{
			double		f = JsonbNumber(key, &v);

			if (!(f >= 2 && f <= 20) || f != floor(f))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"folds\" must be an integer between 2 and 20")));
			o->folds = (int) f;
		}
		else if (strcmp(key, "ensemble") == 0)
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"ensemble\" must be true or false")));
			o->ensemble = v.val.boolean ? 1 : 0;
		}
		else if (strcmp(key, "max_rows") == 0)
		{
			double		r = JsonbNumber(key, &v);

			if (!(r >= 100 && r <= 1e12) || r != floor(r))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"max_rows\" must be an integer of at least 100")));
			o->max_rows = (int64_t) r;
		}
		else if (strcmp(key, "generated_features") == 0)
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"generated_features\" must be true or false")));
			o->generated_features = v.val.boolean ? 1 : 0;
		}
		else if (strcmp(key, "use_sensitive") == 0)
		{
			if (v.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"use_sensitive\" must be true or false")));
			o->use_sensitive = v.val.boolean ? 1 : 0;
		}
		else if (strcmp(key, "sensitive") == 0)
		{
			JsonbIterator *si;
			JsonbValue	sv;
			JsonbIteratorToken sr;

			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"sensitive\" must be an array of column names"),
						 errhint("For example: options => '{\"sensitive\": [\"sex\", \"age\"]}'.")));
			si = JsonbIteratorInit(v.val.binary.data);
			while ((sr = JsonbIteratorNext(&si, &sv, true)) != WJB_DONE)
				if (sr == WJB_ELEM)
				{
					char	   *col;
					ListCell   *lc;

					if (sv.type != jbvString)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("option \"sensitive\" must be an array of column names"),
								 errhint("For example: options => '{\"sensitive\": [\"sex\", \"age\"]}'.")));
					col = pnstrdup(sv.val.string.val, sv.val.string.len);
					foreach(lc, *sensitive)
						if (strcmp((char *) lfirst(lc), col) == 0)
							ereport(ERROR,
									(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									 errmsg("column \"%s\" appears more than once in option \"sensitive\"", col)));
					*sensitive = lappend(*sensitive, col);
				}
		}
		else if (strcmp(key, "time_column") == 0)
			o->time_column = JsonbString(key, &v);
		else if (strcmp(key, "group_by") == 0)
			o->group_column = JsonbString(key, &v);
		else if (strcmp(key, "group_min_rows") == 0)
		{
			double		r = JsonbNumber(key, &v);

			if (!(r >= 10 && r <= 1e12) || r != floor(r))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"group_min_rows\" must be an integer of at least 10")));
			o->group_min_rows = (int64_t) r;
		}
		else if (strcmp(key, "algorithm") == 0)
		{
			o->manual = 1;
			o->manual_algo = AlgoFromName(JsonbString(key, &v), key);
		}
		else if (strcmp(key, "algorithms") == 0)
		{
			JsonbIterator *ai;
			JsonbValue	av;
			JsonbIteratorToken ar;

			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"algorithms\" must be an array of algorithm names")));
			ai = JsonbIteratorInit(v.val.binary.data);
			while ((ar = JsonbIteratorNext(&ai, &av, true)) != WJB_DONE)
				if (ar == WJB_ELEM)
					o->algorithms |= 1u << AlgoFromName(JsonbString(key, &av), key);
			if (o->algorithms == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"algorithms\" must name at least one algorithm")));
		}
		else if (strcmp(key, "params") == 0)
		{
			JsonbIterator *pi;
			JsonbValue	pv;
			JsonbIteratorToken pr;
			char	   *pkey = NULL;

			if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"params\" must be a JSON object")));
			have_params = true;
			pi = JsonbIteratorInit(v.val.binary.data);
			while ((pr = JsonbIteratorNext(&pi, &pv, true)) != WJB_DONE)
			{
				if (pr == WJB_KEY)
					pkey = pnstrdup(pv.val.string.val, pv.val.string.len);
				else if (pr == WJB_VALUE)
				{
					double		val;

					if (pv.type == jbvBool)
						val = pv.val.boolean ? 1.0 : 0.0;
					else if (pv.type == jbvString && strcmp(pkey, "class_weight") == 0)
					{
						/* the class weighting also takes its names */
						if (pv.val.string.len == 8 && strncmp(pv.val.string.val, "balanced", 8) == 0)
							val = 1.0;
						else if (pv.val.string.len == 4 && strncmp(pv.val.string.val, "none", 4) == 0)
							val = 0.0;
						else
							ereport(ERROR,
									(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
									 errmsg("parameter \"class_weight\" must be \"balanced\" or \"none\" (or 1 or 0)")));
					}
					else if (pv.type == jbvNumeric)
						val = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(pv.val.numeric)));
					else
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("parameter \"%s\" must be a number", pkey)));
					if (aml_params_set(&o->manual_params, pkey, val) != 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("too many parameters, or parameter name \"%s\" too long", pkey)));
				}
			}
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\"", key),
					 errhint("Valid options are: %s.", valid_options)));
	}
	if (have_params && !o->manual)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"params\" needs option \"algorithm\""),
				 errhint("For example: options => '{\"algorithm\": \"decision_tree\", \"params\": {\"max_depth\": 4}}'.")));
	if (o->manual)
	{
		char		buf[512];
		const char *msg = aml_params_check(o->manual_algo, &o->manual_params, buf, sizeof(buf));

		if (msg)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s", msg)));
	}
}

/* ---------------------------------------------------------------- source */

static bool
IsQuery(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '(')
		s++;
	return pg_strncasecmp(s, "select", 6) == 0 || pg_strncasecmp(s, "with", 4) == 0 ||
		pg_strncasecmp(s, "values", 6) == 0 || pg_strncasecmp(s, "table", 5) == 0;
}

/*
 * AmlResolveSource turns a table or view name into a query (checking that it
 * exists) and a default model-name stem; a query is used as it is.
 */
static double source_reltuples = -1;
static bool source_temp = false;

/* AmlSourceIsTemp: whether the last source resolved is a temporary relation */
bool
AmlSourceIsTemp(void)
{
	return source_temp;
}

char *
AmlResolveSource(const char *source, char **stem)
{
	List	   *names;
	RangeVar   *rv;
	Oid			relid;

	source_reltuples = -1;
	source_temp = false;
	if (IsQuery(source))
	{
		*stem = "query";
		return pstrdup(source);
	}
	{
		bool		quoted = false;

		for (const char *p = source; *p; p++)
		{
			if (*p == '"')
				quoted = !quoted;
			else if (!quoted && strchr(" \t\n\r;(),'", *p) != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("source \"%s\" is neither a table name nor a query", source),
						 errhint("Pass a table or view name (optionally schema-qualified), or a query starting with SELECT or WITH.")));
		}
	}
#if PG_VERSION_NUM >= 160000
	names = stringToQualifiedNameList(source, NULL);
#else
	names = stringToQualifiedNameList(source);
#endif
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, AccessShareLock, false);
	*stem = get_rel_name(relid);
	source_temp = get_rel_persistence(relid) == RELPERSISTENCE_TEMP;
	{
		HeapTuple	ct = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

		if (HeapTupleIsValid(ct))
		{
			source_reltuples = ((Form_pg_class) GETSTRUCT(ct))->reltuples;
			ReleaseSysCache(ct);
		}
	}
	return psprintf("SELECT * FROM %s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)));
}

static ColRead
ReadKind(Oid type, aml_col_kind *kind, int *is_integer, int *has_time)
{
	Oid			base = getBaseType(type);

	*is_integer = 0;
	*has_time = 0;
	*kind = AML_COL_NUMERIC;
	switch (base)
	{
		case INT2OID:
			*is_integer = 1;
			return READ_INT2;
		case INT4OID:
			*is_integer = 1;
			return READ_INT4;
		case INT8OID:
			*is_integer = 1;
			return READ_INT8;
		case FLOAT4OID:
			return READ_FLOAT4;
		case FLOAT8OID:
			return READ_FLOAT8;
		case NUMERICOID:
			return READ_NUMERIC;
		case BOOLOID:
			*kind = AML_COL_CATEGORICAL;
			return READ_BOOL;
		case TEXTOID:
		case VARCHAROID:
		case NAMEOID:
			*kind = AML_COL_CATEGORICAL;
			return READ_TEXT;
		case BPCHAROID:
			*kind = AML_COL_CATEGORICAL;
			return READ_BPCHAR;
		case DATEOID:
			*kind = AML_COL_DATETIME;
			return READ_DATE;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			*kind = AML_COL_DATETIME;
			*has_time = 1;
			return READ_TIMESTAMP;
		default:
			if (type_is_enum(base))
			{
				*kind = AML_COL_CATEGORICAL;
				return READ_OUTPUT;
			}
			return READ_SKIP;
	}
}

static void
FrameFree(void *p)
{
	aml_frame_free((aml_frame *) p);
}

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

static void
ThrowIfFailed(aml_status st, const aml_error *err)
{
	if (st != AML_OK)
		AmlThrow(st, err);
}

/*
 * AmlSetColumns puts the frame columns AmlReadSource resolved (target,
 * excluded, sensitive) into the training options.
 */
void
AmlSetColumns(aml_train_options *o, int target_col, List *exclude_cols,
			  List *sensitive_cols)
{
	int		   *excl = palloc(sizeof(int) * (list_length(exclude_cols) + 1));
	int		   *sens = palloc(sizeof(int) * (list_length(sensitive_cols) + 1));
	int			n_excl = 0,
				n_sens = 0;
	ListCell   *lc;

	foreach(lc, exclude_cols)
		excl[n_excl++] = lfirst_int(lc);
	foreach(lc, sensitive_cols)
		sens[n_sens++] = lfirst_int(lc);
	o->target_col = target_col;
	o->exclude = excl;
	o->n_exclude = n_excl;
	o->sensitive = sens;
	o->n_sensitive = n_sens;
}

/*
 * AmlReadSource runs the query through a cursor and fills a new frame; the
 * target column and the excluded names are checked against the columns.
 * With a->columns_only it stops after those checks (the frame has the
 * columns and no rows).
 */
aml_frame *
AmlReadSource(aml_env *env, const char *query, TrainArgs *a, MemoryContext keep,
			  int *target_col, List **exclude_cols, List **sensitive_cols)
{
	SPIPlanPtr	plan;
	Portal		portal;
	aml_frame  *frame;
	aml_error	err;
	SourceCol  *cols = NULL;
	TupleDesc	desc = NULL;
	int			natts = 0;
	int64		row = 0;
	int64		cap = 0;
	StringInfoData skipped;
	MemoryContext batch_cxt;
	int64		target_nan = 0;
	Datum	   *values = NULL;
	bool	   *isnulls = NULL;
	const char *time_name = a->opts.time_column;
	bool		time_found = false;
	TimestampTz read_start = GetCurrentTimestamp();

	memset(&err, 0, sizeof(err));
	frame = aml_frame_create(env, &err);
	if (frame == NULL)
		AmlThrow(AML_ENOMEM, &err);
	AmlRegisterFree(keep, FrameFree, frame);

	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for automl source: %s", SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must return rows")));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);

	/*
	 * A query's row estimate sizes the frame as a table's reltuples does:
	 * growing it by doubling would leave the copies' pages behind in the
	 * heap.  A wrong estimate only costs a regrowth.
	 */
	if (source_reltuples <= 0)
	{
		PlannedStmt *ps = PortalGetPrimaryStmt(portal);

		if (ps && ps->planTree && ps->planTree->plan_rows > 0)
			source_reltuples = ps->planTree->plan_rows;
	}
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl batch", ALLOCSET_DEFAULT_SIZES);
	*target_col = -1;
	initStringInfo(&skipped);

	for (;;)
	{
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, a->columns_only ? 1 : FETCH_BATCH);
		if (desc == NULL)
		{
			ListCell   *lc;

			desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
			natts = desc->natts;
			cols = palloc0(sizeof(SourceCol) * (natts ? natts : 1));
			values = palloc(sizeof(Datum) * (natts ? natts : 1) * DEFORM_CHUNK);
			isnulls = palloc(sizeof(bool) * (natts ? natts : 1) * DEFORM_CHUNK);
			for (int i = 0; i < natts; i++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, i);
				const char *aname = NameStr(att->attname);
				aml_col_kind kind;
				int			is_int,
							has_time;
				bool		excluded = false;

				if (att->attisdropped)
					continue;
				cols[i].read = ReadKind(att->atttypid, &kind, &is_int, &has_time);
				foreach(lc, a->exclude)
					if (strcmp((char *) lfirst(lc), aname) == 0)
						excluded = true;
				if (strcmp(aname, a->target) == 0)
				{
					if (*target_col >= 0)
						ereport(ERROR,
								(errcode(ERRCODE_AMBIGUOUS_COLUMN),
								 errmsg("target column \"%s\" appears more than once in the source", aname)));
					if (cols[i].read == READ_SKIP || kind == AML_COL_DATETIME)
						ereport(ERROR,
								(errcode(ERRCODE_DATATYPE_MISMATCH),
								 errmsg("target column \"%s\" has unsupported type %s", aname,
										format_type_be(att->atttypid)),
								 errhint("The target must be a number, boolean, text or enum column.")));
					if (excluded)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("target column \"%s\" cannot be excluded", aname)));
				}
				if (time_name && strcmp(aname, time_name) == 0)
				{
					if (time_found)
						ereport(ERROR,
								(errcode(ERRCODE_AMBIGUOUS_COLUMN),
								 errmsg("time column \"%s\" appears more than once in the source", aname)));
					time_found = true;
					if (strcmp(aname, a->target) == 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("time column \"%s\" is the target", aname),
								 errhint("Order the split by another column, such as the date each row was recorded.")));
					if (cols[i].read == READ_SKIP || kind == AML_COL_CATEGORICAL)
						ereport(ERROR,
								(errcode(ERRCODE_DATATYPE_MISMATCH),
								 errmsg("time column \"%s\" has type %s, which cannot order the split", aname,
										format_type_be(att->atttypid)),
								 errhint("Use a date, timestamp or numeric column, or cast this one in a query source, e.g. SELECT *, %s::date AS %s FROM ...",
										 quote_identifier(aname), quote_identifier(psprintf("%s_date", aname)))));
				}
				if (cols[i].read == READ_SKIP)
				{
					if (!excluded)
						appendStringInfo(&skipped, "%s%s (%s)", skipped.len ? ", " : "", aname,
										 format_type_be(att->atttypid));
					continue;
				}
				if (cols[i].read == READ_OUTPUT)
				{
					Oid			fn;
					bool		isvarlena;

					getTypeOutputInfo(att->atttypid, &fn, &isvarlena);
					fmgr_info_cxt(fn, &cols[i].out, keep);
				}
				cols[i].frame_col = aml_frame_add_column(frame, aname, kind,
														 format_type_be(att->atttypid),
														 is_int, has_time, &err);
				if (cols[i].frame_col < 0)
					AmlThrow(AML_ENOMEM, &err);
				if (strcmp(aname, a->target) == 0)
					*target_col = cols[i].frame_col;
				else if (excluded)
					*exclude_cols = lappend_int(*exclude_cols, cols[i].frame_col);
			}
			foreach(lc, a->sensitive)
			{
				const char *sname = (const char *) lfirst(lc);
				int			found = -1;

				for (int i = 0; i < natts; i++)
					if (!TupleDescAttr(desc, i)->attisdropped &&
						strcmp(NameStr(TupleDescAttr(desc, i)->attname), sname) == 0)
						found = i;
				if (found < 0)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("sensitive column \"%s\" does not exist in the source", sname),
							 errhint("Column names are case-sensitive: pass the name as it is stored.")));
				if (strcmp(sname, a->target) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("sensitive column \"%s\" is the target", sname),
							 errhint("A sensitive column describes the rows (e.g. sex or age); the bias table compares the model's predictions across its groups.")));
				if (cols[found].read == READ_SKIP)
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("sensitive column \"%s\" has unsupported type %s", sname,
									format_type_be(TupleDescAttr(desc, found)->atttypid)),
							 errhint("A sensitive column must be a number, boolean, text or enum column.")));
				if (cols[found].read == READ_DATE || cols[found].read == READ_TIMESTAMP)
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("sensitive column \"%s\" is a date or timestamp", sname),
							 errhint("Pass a column derived from it, such as the year, from a query source.")));
				*sensitive_cols = lappend_int(*sensitive_cols, cols[found].frame_col);
			}
			if (*target_col < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("target column \"%s\" does not exist in the source", a->target),
						 errhint("Target names are case-sensitive: pass the column name as it is stored.")));
			if (time_name && !time_found)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("time column \"%s\" does not exist in the source", time_name),
						 errhint("Option \"time_column\" names a date, timestamp or numeric column of the source; names are case-sensitive.")));
			foreach(lc, a->exclude)
			{
				bool		found = false;

				for (int i = 0; i < natts; i++)
					if (!TupleDescAttr(desc, i)->attisdropped &&
						strcmp(NameStr(TupleDescAttr(desc, i)->attname), (char *) lfirst(lc)) == 0)
						found = true;
				if (!found)
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_COLUMN),
							 errmsg("column \"%s\" in exclude does not exist in the source",
									(char *) lfirst(lc))));
			}
			if (skipped.len)
				ereport(NOTICE,
						(errmsg("skipped columns of unsupported types: %s", skipped.data)));
		}
		if (SPI_processed == 0 || a->columns_only)
			break;
		if (row + (int64) SPI_processed > cap)
		{
			aml_status	st;

			/* the planner's row estimate sizes the frame; grow when it is wrong */
			if (cap == 0 && source_reltuples > 0)
			{
				cap = Max((int64) (source_reltuples * 1.02) + 16, (int64) SPI_processed);
				st = aml_frame_reserve(frame, cap, &err);
				/* an estimate beyond automl.work_mem may still be wrong */
				if (st == AML_ENOMEM)
				{
					cap = Max((int64) FETCH_BATCH, (int64) SPI_processed);
					st = aml_frame_reserve(frame, cap, &err);
				}
			}
			else
			{
				cap = Max(cap * 2, row + (int64) SPI_processed);
				st = aml_frame_reserve(frame, cap, &err);
			}
			ThrowIfFailed(st, &err);
		}
		old = MemoryContextSwitchTo(batch_cxt);

		/*
		 * Deform a chunk of rows, then fill the frame column by column: one
		 * sequential run of writes per column instead of every row touching
		 * every column's memory.  Within a column the rows keep their order,
		 * so category codes are numbered as before.
		 */
		for (uint64 t0 = 0; t0 < SPI_processed; t0 += DEFORM_CHUNK)
		{
			int			nr = (int) Min((uint64) DEFORM_CHUNK, SPI_processed - t0);

			for (int r = 0; r < nr; r++)
				heap_deform_tuple(SPI_tuptable->vals[t0 + r], desc,
								  values + (size_t) r * natts, isnulls + (size_t) r * natts);
			for (int i = 0; i < natts; i++)
			{
				SourceCol  *sc = &cols[i];
				int			fc = sc->frame_col;

				if (sc->read == READ_SKIP)
					continue;
				for (int r = 0; r < nr; r++)
				{
					Datum		d = values[(size_t) r * natts + i];
					bool		isnull = isnulls[(size_t) r * natts + i];
					int64		fr = row + r;

					if (isnull)
					{
						switch (sc->read)
						{
							case READ_BOOL:
							case READ_TEXT:
							case READ_BPCHAR:
							case READ_OUTPUT:
								aml_frame_set_code(frame, fc, fr, -1);
								break;
							case READ_DATE:
							case READ_TIMESTAMP:
								aml_frame_set_datetime(frame, fc, fr, NAN);
								break;
							default:
								aml_frame_set_numeric(frame, fc, fr, NAN);
						}
						continue;
					}
					switch (sc->read)
					{
						case READ_INT2:
							aml_frame_set_numeric(frame, fc, fr, DatumGetInt16(d));
							break;
						case READ_INT4:
							aml_frame_set_numeric(frame, fc, fr, DatumGetInt32(d));
							break;
						case READ_INT8:
							aml_frame_set_numeric(frame, fc, fr, (double) DatumGetInt64(d));
							break;
						case READ_FLOAT4:
						case READ_FLOAT8:
						case READ_NUMERIC:
							{
								double		v;

								if (sc->read == READ_FLOAT4)
									v = DatumGetFloat4(d);
								else if (sc->read == READ_FLOAT8)
									v = DatumGetFloat8(d);
								else
									v = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
								if (fc == *target_col && !isfinite(v))
									target_nan++;
								aml_frame_set_numeric(frame, fc, fr, v);
								break;
							}
						case READ_BOOL:
							{
								const char *s = DatumGetBool(d) ? "true" : "false";
								int32		code = aml_frame_level_code(frame, fc, s, strlen(s), &err);

								if (code < 0)
									AmlThrow(AML_ENOMEM, &err);
								aml_frame_set_code(frame, fc, fr, code);
								break;
							}
						case READ_TEXT:
						case READ_BPCHAR:
						case READ_OUTPUT:
							{
								char	   *s;
								size_t		len;
								int32		code;

								if (sc->read == READ_OUTPUT)
								{
									s = OutputFunctionCall(&sc->out, d);
									len = strlen(s);
								}
								else
								{
									text	   *tx = DatumGetTextPP(d);

									s = VARDATA_ANY(tx);
									len = VARSIZE_ANY_EXHDR(tx);
									if (sc->read == READ_BPCHAR)
										while (len > 0 && s[len - 1] == ' ')
											len--;
									if (memchr(s, '\0', len) != NULL)
										len = strlen(s);
								}
								code = aml_frame_level_code(frame, fc, s, len, &err);
								if (code < 0)
									AmlThrow(AML_ENOMEM, &err);
								aml_frame_set_code(frame, fc, fr, code);
								break;
							}
						case READ_DATE:
							{
								DateADT		dt = DatumGetDateADT(d);

								aml_frame_set_datetime(frame, fc, fr,
													   DATE_NOT_FINITE(dt) ? NAN : (double) dt * 86400.0);
								break;
							}
						case READ_TIMESTAMP:
							{
								Timestamp	ts = DatumGetTimestamp(d);

								aml_frame_set_datetime(frame, fc, fr,
													   TIMESTAMP_NOT_FINITE(ts) ? NAN : (double) ts / 1e6);
								break;
							}
						default:
							break;
					}
				}
			}
			row += nr;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch_cxt);
		SPI_freetuptable(SPI_tuptable);
		aml_frame_set_rows(frame, row);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(batch_cxt);
	aml_frame_set_rows(frame, row);
	if (a->columns_only)
		return frame;
	if (target_nan > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("target column \"%s\" contains NaN or Infinity", a->target),
				 errdetail("%lld rows have a non-finite target.", (long long) target_nan),
				 errhint("Filter them out with a query source, e.g. WHERE %s <> 'NaN'.", quote_identifier(a->target))));
	if (row == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("source has no rows"),
				 errhint("%s needs a table, view or query that returns rows.",
						 a->opts.assess ? "automl_assess" : "automl_train")));
	/* the budget is the whole call's: the read is spent from it */
	if (a->opts.budget_seconds > 0)
	{
		double		spent = (double) (GetCurrentTimestamp() - read_start) / 1e6;

		a->opts.budget_seconds = Max(a->opts.budget_seconds - spent, a->opts.budget_seconds * 0.05);
	}

	/*
	 * A statement_timeout shorter than the budget would cancel the training
	 * and lose its search: the budget ends before the timeout instead.  The
	 * search may overrun its budget by 10% (or 2 s), and storing the model
	 * takes a moment.  When that leaves less than a second, nothing worth
	 * keeping would be found: the timeout cancels the call as it would any
	 * statement.
	 */
	if (StatementTimeout > 0 && a->opts.budget_seconds > 0)
	{
		double		left = StatementTimeout / 1000.0 -
			(double) (GetCurrentTimestamp() - GetCurrentStatementStartTimestamp()) / 1e6;
		double		cap = Min((left - STORE_SECONDS) / 1.1, left - STORE_SECONDS - 2.0);

		if (cap < a->opts.budget_seconds && cap >= MIN_CUT_BUDGET)
		{
			ereport(NOTICE,
					(errmsg("the budget ends before statement_timeout (%s)",
							GetConfigOptionByName("statement_timeout", NULL, false)),
					 errdetail("%.1f of the budget's %.0f seconds are left for the search and the final fit.",
							   cap, a->budget)));
			a->opts.budget_seconds = cap;
			a->budget_cut = cap;
		}
	}
	return frame;
}

/* ---------------------------------------------------------------- catalog */

static char *
ReportSection(const aml_report *r, const char *section)
{
	size_t		n = aml_report_json(r, section, NULL, 0);
	char	   *buf = palloc(n + 1);

	aml_report_json(r, section, buf, n + 1);
	return buf;
}

/*
 * ShortestDouble prints the shortest decimal that reads back as v (0.05,
 * not 0.050000000000000003).
 */
static void
ShortestDouble(char *buf, size_t n, double v)
{
	for (int prec = 1; prec <= 17; prec++)
	{
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static Datum
Float8OrNull(double v, char *null)
{
	*null = isfinite(v) ? ' ' : 'n';
	return Float8GetDatum(isfinite(v) ? v : 0.0);
}

/*
 * StoreModel inserts the model version and its candidates and deploys it
 * when it is the first or beats the deployed version on its test split.
 * Returns the new version.
 */
static int
StoreModel(TrainArgs *a, const char *source_text, aml_model *model,
		   aml_report *rep, double seconds, int64 *model_id)
{
	aml_error	err;
	size_t		size = aml_model_serialized_size(model);
	bytea	   *blob = palloc(VARHDRSZ + size);
	Oid			types[20];
	Datum		vals[20];
	char		nulls[20];
	int			ret;
	const char *status;
	bool		isnull;
	int			version;
	int64		id;
	const char *metric = aml_report_metric(rep);
	double		score = aml_report_test_score(rep);

	memset(&err, 0, sizeof(err));
	SET_VARSIZE(blob, VARHDRSZ + size);
	ThrowIfFailed(aml_model_serialize(model, (uint8_t *) VARDATA(blob), size, &err), &err);

	/* one training at a time per model name: versions are dense */
	types[0] = TEXTOID;
	vals[0] = CStringGetTextDatum(a->name);
	ret = SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('automl.models'), pg_catalog.hashtext($1))",
								1, types, vals, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "automl: could not lock model name");
	status = AmlGovTrainBegin(a->name);	/* 42501 unless the caller may train it */

	memset(nulls, ' ', sizeof(nulls));
	for (int i = 0; i < 20; i++)
		types[i] = TEXTOID;
	vals[0] = CStringGetTextDatum(a->name);
	vals[1] = CStringGetTextDatum(aml_task_name(aml_report_task(rep)));
	vals[2] = CStringGetTextDatum(a->target);
	vals[3] = CStringGetTextDatum(source_text);
	vals[4] = CStringGetTextDatum(aml_algo_name(aml_model_algo(model)));
	vals[5] = CStringGetTextDatum(metric);
	types[6] = FLOAT8OID;
	vals[6] = Float8OrNull(score, &nulls[6]);
	types[7] = FLOAT8OID;
	vals[7] = Float8OrNull(aml_report_baseline_score(rep), &nulls[7]);
	vals[8] = CStringGetTextDatum(ReportSection(rep, "hyperparameters"));
	vals[9] = CStringGetTextDatum(ReportSection(rep, "features"));
	vals[10] = CStringGetTextDatum(ReportSection(rep, "metrics"));
	vals[11] = CStringGetTextDatum(ReportSection(rep, "baseline"));
	vals[12] = CStringGetTextDatum(a->options_text);
	types[13] = INT8OID;
	vals[13] = Int64GetDatum(aml_report_train_rows(rep));
	types[14] = INT8OID;
	vals[14] = Int64GetDatum(aml_report_test_rows(rep));
	types[15] = FLOAT8OID;
	vals[15] = Float8GetDatum(seconds);
	types[16] = BYTEAOID;
	vals[16] = PointerGetDatum(blob);
	vals[17] = CStringGetTextDatum(status);
	vals[18] = CStringGetTextDatum(AmlGovCallerName());
	vals[19] = CStringGetTextDatum(ReportSection(rep, "diagnostics"));

	ret = SPI_execute_with_args(
								"INSERT INTO automl.models (name, version, task, target, source, algorithm, metric, "
								"test_score, baseline_score, hyperparameters, features, metrics, baseline, options, "
								"rows, test_rows, seconds, model, status, created_by, diagnostics) "
								"VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM automl.models WHERE name = $1), "
								"$2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, "
								"$14, $15, $16, $17, $18, $19::name, $20::jsonb) RETURNING id, version",
								20, types, vals, nulls, false, 0);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "automl: could not store the model");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	*model_id = id;
	AmlGovAuditTrain(id, a->budget, a->budget_cut);

	/* the leaderboard */
	for (int i = 0; i < aml_report_n_candidates(rep); i++)
	{
		const aml_candidate *c = aml_report_candidate(rep, i);
		StringInfoData hp;
		Oid			ct[6] = {INT8OID, INT4OID, TEXTOID, TEXTOID, FLOAT8OID, FLOAT8OID};
		Datum		cv[8];
		char		cn[8] = "        ";
		Oid			ct7[8];

		initStringInfo(&hp);
		if (c->algo == AML_ALGO_ENSEMBLE && aml_model_algo(model) == AML_ALGO_ENSEMBLE)
			appendStringInfoString(&hp, ReportSection(rep, "hyperparameters"));	/* its members */
		else
		{
			appendStringInfoChar(&hp, '{');
			for (int p = 0; p < c->params.n; p++)
			{
				char		num[64];

				ShortestDouble(num, sizeof(num), c->params.value[p]);
				appendStringInfo(&hp, "%s\"%s\": %s", p ? ", " : "", c->params.name[p], num);
			}
			if (c->temp > 0 && c->temp != 1.0)
			{
				char		num[64];

				ShortestDouble(num, sizeof(num), c->temp);
				appendStringInfo(&hp, "%s\"temperature\": %s", c->params.n ? ", " : "", num);
			}
			appendStringInfoChar(&hp, '}');
		}
		memcpy(ct7, ct, sizeof(ct));
		ct7[6] = INT8OID;
		ct7[7] = TEXTOID;
		cv[0] = Int64GetDatum(id);
		cv[1] = Int32GetDatum(c->rank);
		cv[2] = CStringGetTextDatum(aml_algo_name(c->algo));
		cv[3] = CStringGetTextDatum(hp.data);
		cv[4] = Float8OrNull(c->score, &cn[4]);
		cv[5] = Float8GetDatum(c->fit_seconds);
		cv[6] = Int64GetDatum(c->sample_rows);
		cv[7] = c->group ? CStringGetTextDatum(c->group) : (Datum) 0;
		cn[7] = c->group ? ' ' : 'n';
		/* group_value only for per-group models: the catalog before 0.9.0 has none */
		if (a->opts.group_column)
			ret = SPI_execute_with_args("INSERT INTO automl.candidates (model_id, rank, learner, hyperparameters, score, fit_seconds, sample_rows, group_value) "
										"VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)",
										8, ct7, cv, cn, false, 0);
		else
			ret = SPI_execute_with_args("INSERT INTO automl.candidates (model_id, rank, learner, hyperparameters, score, fit_seconds, sample_rows) "
										"VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)",
										7, ct7, cv, cn, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "automl: could not store a candidate");
	}

	/* deploy when first, or better on the test split than the deployed one */
	{
		Oid			dt[1] = {TEXTOID};
		Datum		dv[1];
		bool		deploy = false;
		const char *reason = NULL;
		int			hib = aml_report_higher_is_better(rep);

		dv[0] = CStringGetTextDatum(a->name);
		ret = SPI_execute_with_args("SELECT m.version, m.test_score, m.metric FROM automl.deployed_models m WHERE m.name = $1",
									1, dt, dv, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "automl: could not read deployments");
		if (AmlGovPendingNotice(a->name, version, status))
			deploy = false;		/* under the approval gate: never automatic */
		else if (SPI_processed == 0)
		{
			deploy = true;
			reason = "first version";
		}
		else
		{
			bool		n1,
						n2;
			int			old_version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &n1));
			Datum		old_score_d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &n1);
			char	   *old_metric = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &n2));
			double		old_score = n1 ? NAN : DatumGetFloat8(old_score_d);

			if (strcmp(old_metric, metric) != 0)
				ereport(NOTICE,
						(errmsg("model \"%s\" version %d is not deployed: the deployed version %d uses metric %s",
								a->name, version, old_version, old_metric),
						 errhint("Deploy it with automl_deploy(%s, %d) after comparing them.", quote_literal_cstr(a->name), version)));
			else if (isfinite(score) && (isnan(old_score) || (hib ? score > old_score : score < old_score)))
			{
				deploy = true;
				reason = "better test score";
				ereport(NOTICE,
						(errmsg("model \"%s\" version %d deployed: test %s %.4f beats version %d (%.4f)",
								a->name, version, metric, score, old_version, old_score)));
			}
			else
				ereport(NOTICE,
						(errmsg("model \"%s\" version %d is not deployed: test %s %.4f does not beat version %d (%.4f)",
								a->name, version, metric, score, old_version, old_score),
						 errhint("Deploy it anyway with automl_deploy(%s, %d).", quote_literal_cstr(a->name), version)));
		}
		if (deploy)
			AmlGovDeploy(a->name, version, id, reason, true);
	}
	return version;
}

/* ---------------------------------------------------------------- entry */

/* AmlParseTask reads a task name; unknown names are errors. */
aml_task
AmlParseTask(const char *t)
{
	if (strcmp(t, "auto") == 0)
		return AML_TASK_AUTO;
	if (strcmp(t, "binary") == 0)
		return AML_TASK_BINARY;
	if (strcmp(t, "multiclass") == 0)
		return AML_TASK_MULTICLASS;
	if (strcmp(t, "regression") == 0)
		return AML_TASK_REGRESSION;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown task \"%s\"", t),
			 errhint("Valid tasks are: auto, binary, multiclass, regression.")));
	return AML_TASK_AUTO;
}

/*
 * AmlTrainArgsParse checks and parses the arguments of automl_train (and of
 * automl_train_start, which takes the same) into *a, before anything
 * expensive; fn and detail name the call for the read-only check.  Returns
 * the query that reads the source.
 */
char *
AmlTrainArgsParse(FunctionCallInfo fcinfo, const char *fn, const char *detail, AmlTrainArgs *a)
{
	char	   *query;
	char	   *stem;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source and target must not be NULL")));
	AmlPreventReadOnly(fn, detail);
	memset(a, 0, sizeof(*a));
	aml_train_options_init(&a->opts);
	a->opts.seed = (uint64_t) automl_seed;
	a->source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	a->target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	a->name = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	a->task = PG_ARGISNULL(3) ? AML_TASK_AUTO : AmlParseTask(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	if (PG_ARGISNULL(4))
		a->budget = 60.0;
	else
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(4);

		a->budget = iv->time / 1e6 + (double) iv->day * 86400.0 + (double) iv->month * 30 * 86400.0;
		if (!(a->budget > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("budget must be positive"),
					 errhint("For example: budget => '30 seconds'.")));
	}
	a->metric = PG_ARGISNULL(5) ? "auto" : text_to_cstring(PG_GETARG_TEXT_PP(5));
	if (strcmp(a->metric, "auto") != 0 && aml_metric_higher_is_better(a->metric) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown metric \"%s\"", a->metric),
				 errhint("Valid metrics are: auto, roc_auc, log_loss, accuracy, f1, precision, recall, f1_macro, rmse, mae, r2.")));
	if (!PG_ARGISNULL(6))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(6);
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				a->exclude = lappend(a->exclude, TextDatumGetCString(elems[i]));
	}
	a->opts.task = a->task;
	a->opts.metric = a->metric;
	a->opts.budget_seconds = a->budget;
	/*
	 * the model is stored as a bytea, which pg_dump writes as hex text of
	 * twice its size: that text must fit in one allocation
	 */
	a->opts.max_model_bytes = Min((size_t) automl_max_model_size * 1024,
								 (size_t) (MaxAllocSize - VARHDRSZ - 3) / 2);
	if (!PG_ARGISNULL(7))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(7);

		AmlParseOptions(jb, &a->opts, &a->sensitive);
		a->options_text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
	else
		a->options_text = "{}";
	if (a->opts.group_column)
	{
		/* the library may be newer than the catalog's scripts */
		Oid			nsp = get_namespace_oid("automl", true);
		Oid			rel = OidIsValid(nsp) ? get_relname_relid("candidates", nsp) : InvalidOid;

		if (!OidIsValid(rel) || get_attnum(rel, "group_value") == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("option \"group_by\" needs version 0.9.0 of the automl catalog"),
					 errhint("Run ALTER EXTENSION automl UPDATE.")));
	}

	query = AmlResolveSource(a->source, &stem);
	if (a->name == NULL)
		a->name = psprintf("%s_%s", stem, a->target);
	if (a->name[0] == '\0' || strlen(a->name) > 200)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must have between 1 and 200 characters")));

	return query;
}

/*
 * automl_train(source, target, name, task, budget, metric, exclude, options)
 * trains and stores a model version; returns automl.train_result.
 */
Datum
automl_train(PG_FUNCTION_ARGS)
{
	TrainArgs	a;
	MemoryContext train_cxt,
				old;
	aml_env    *env;
	aml_error	err;
	aml_frame  *frame;
	aml_model  *model;
	aml_report *rep;
	aml_status	st;
	char	   *query;
	int			target_col;
	List	   *exclude_cols = NIL;
	List	   *sensitive_cols = NIL;
	TimestampTz start = GetCurrentTimestamp();
	double		seconds;
	volatile int version = 0;
	int64		model_id;
	AmlOwnerSwitch owner_sw;
	TupleDesc	rdesc;
	Datum		rv[9];
	bool		rn[9] = {0};

	query = AmlTrainArgsParse(fcinfo, "automl_train()", "It stores the model it trains in automl.models.", &a);

	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl train", ALLOCSET_DEFAULT_SIZES);
	env = AmlEnvCreate(train_cxt);
	memset(&err, 0, sizeof(err));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	frame = AmlReadSource(env, query, &a, train_cxt, &target_col, &exclude_cols, &sensitive_cols);

	AmlSetColumns(&a.opts, target_col, exclude_cols, sensitive_cols);
	AmlGovCheck(a.name, AML_GOV_TRAIN);	/* before the expensive part */

	st = aml_train(env, frame, &a.opts, &model, &rep, &err);
	if (st != AML_OK)
		AmlThrow(st, &err);
	AmlRegisterFree(train_cxt, ModelFree, model);
	AmlRegisterFree(train_cxt, ReportFree, rep);

	seconds = (double) (GetCurrentTimestamp() - start) / 1e6;
	/* catalog writes as the extension owner; the caller is restored on every path */
	AmlAsOwnerBegin(&owner_sw);
	PG_TRY();
	{
		version = StoreModel(&a, a.source, model, rep, seconds, &model_id);
	}
	PG_FINALLY();
	{
		AmlAsOwnerEnd(&owner_sw);
	}
	PG_END_TRY();
	SPI_finish();

	/* the result row */
	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_train must return a composite type");
	rdesc = BlessTupleDesc(rdesc);
	rv[0] = CStringGetTextDatum(a.name);
	rv[1] = Int32GetDatum(version);
	rv[2] = CStringGetTextDatum(aml_task_name(aml_report_task(rep)));
	rv[3] = CStringGetTextDatum(aml_algo_name(aml_model_algo(model)));
	rv[4] = CStringGetTextDatum(aml_report_metric(rep));
	rv[5] = Float8GetDatum(round(aml_report_test_score(rep) * 1e4) / 1e4);
	rn[5] = !isfinite(aml_report_test_score(rep));
	rv[6] = Float8GetDatum(round(aml_report_baseline_score(rep) * 1e4) / 1e4);
	rn[6] = !isfinite(aml_report_baseline_score(rep));
	rv[7] = Int64GetDatum(aml_report_train_rows(rep));
	rv[8] = Float8GetDatum(round(seconds * 100) / 100);
	{
		HeapTuple	tup = heap_form_tuple(rdesc, rv, rn);
		Datum		result = HeapTupleGetDatum(tup);

		old = MemoryContextSwitchTo(train_cxt);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(train_cxt);
		PG_RETURN_DATUM(result);
	}
}

/*
 * automl_scan(source, target) reads a source into a frame exactly as
 * automl_train does and reports what it cost, without training: rows,
 * columns, the frame's bytes, the float32 size of the same cells, and
 * seconds.  The load benchmark and capacity planning use it.
 */
Datum
automl_scan(PG_FUNCTION_ARGS)
{
	TrainArgs	a;
	MemoryContext cxt;
	aml_env    *env;
	aml_frame  *frame;
	char	   *query;
	char	   *stem;
	int			target_col;
	List	   *exclude_cols = NIL;
	List	   *sensitive_cols = NIL;
	TimestampTz start = GetCurrentTimestamp();
	TupleDesc	rdesc;
	Datum		rv[5];
	bool		rn[5] = {0};
	int64		rows;
	int			cols;
	size_t		bytes;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source and target must not be NULL")));
	memset(&a, 0, sizeof(a));
	a.source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	a.target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	query = AmlResolveSource(a.source, &stem);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "automl scan", ALLOCSET_DEFAULT_SIZES);
	env = AmlEnvCreate(cxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	frame = AmlReadSource(env, query, &a, cxt, &target_col, &exclude_cols, &sensitive_cols);
	SPI_finish();
	rows = aml_frame_rows(frame);
	cols = aml_frame_cols(frame);
	bytes = aml_frame_bytes(frame);
	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_scan must return a composite type");
	rdesc = BlessTupleDesc(rdesc);
	rv[0] = Int64GetDatum(rows);
	rv[1] = Int32GetDatum(cols);
	rv[2] = Int64GetDatum((int64) bytes);
	rv[3] = Int64GetDatum(rows * cols * 4);
	rv[4] = Float8GetDatum((double) (GetCurrentTimestamp() - start) / 1e6);
	MemoryContextDelete(cxt);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(rdesc, rv, rn)));
}
