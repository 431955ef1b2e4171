/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  automl_drift(model, source, version): for every column a model reads,
 *	  how far its distribution on the rows of a table, view or query has
 *	  moved from the training rows' (the population stability index).
 *
 * Training stored each input column's bins and shares in the model's
 * feature profile (automl.models.features, "distribution"; src/core
 * train.c).  The source is read as automl_bias reads it (AmlScoreSource:
 * the caller's privileges, an SPI cursor, the model's own conversion of
 * each value) without scoring; its rows are counted into the same bins
 * and the core computes the index (src/core/drift.c).  Labels are not
 * needed, and nothing is written.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_drift);
PG_FUNCTION_INFO_V1(automl_drift_record);

#define DRIFT_NCOLS 7

/* One input column: its training bins and the source's counts in them. */
typedef struct DriftCol
{
	char	   *name;
	int			input;			/* the model's input index */
	aml_col_kind kind;
	int			n_edges;		/* number or date: edges of n_edges + 1 bins */
	double	   *edges;
	int			n_levels;		/* category: the levels' bins, then "other" */
	char	  **levels;
	int32	   *bin_of_code;	/* code 0 .. max_code -> its bin (other: n_levels) */
	int32		max_code;
	int			n_bins;			/* value bins (without "missing") */
	double	   *expected;		/* n_bins + 1 training shares: the bins,
								 * then missing */
	int64	   *count;			/* n_bins + 1 counts in the source */
} DriftCol;

typedef struct DriftScan
{
	int			n_cols;
	DriftCol   *cols;
	int			n_inputs;
} DriftScan;

static void
DriftBlock(void *arg, int64 first, int n, const double *in)
{
	DriftScan  *ds = arg;

	(void) first;
	for (int k = 0; k < ds->n_cols; k++)
	{
		DriftCol   *dc = &ds->cols[k];

		for (int r = 0; r < n; r++)
		{
			double		x = in[(size_t) r * ds->n_inputs + dc->input];
			int			b;

			if (isnan(x))
				b = dc->n_bins;
			else if (dc->kind == AML_COL_CATEGORICAL)
			{
				int32		code = (int32) x;

				b = code >= 0 && code <= dc->max_code ? dc->bin_of_code[code] : dc->n_levels;
			}
			else
				/* numbers as training stored them: single precision */
				b = aml_drift_bin(dc->edges, dc->n_edges,
								  dc->kind == AML_COL_NUMERIC ? (double) (float) x : x);
			dc->count[b]++;
		}
	}
}

/* Doubles of a float8[] datum (NULL elements: NaN). */
static double *
Float8Array(Datum d, int *n)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *el;
	bool	   *nl;
	double	   *v;

	deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &el, &nl, n);
	v = palloc(sizeof(double) * (*n + 1));
	for (int i = 0; i < *n; i++)
		v[i] = nl[i] ? NAN : DatumGetFloat8(el[i]);
	return v;
}

/*
 * ReadProfile reads the training distributions of the model's input
 * columns from automl.models.features into ds; returns how many inputs
 * have none (a model trained before 0.6.0 has none at all).
 */
static int
ReadProfile(aml_model *m, int64 model_id, DriftScan *ds)
{
	Oid			t[1] = {INT8OID};
	Datum		v[1];
	int			missing = 0;
	MemoryContext cxt = CurrentMemoryContext;

	ds->n_inputs = aml_model_n_inputs(m);
	ds->cols = palloc0(sizeof(DriftCol) * (ds->n_inputs + 1));
	ds->n_cols = 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	v[0] = Int64GetDatum(model_id);
	if (SPI_execute_with_args(
							  "SELECT f ->> 'name', "
							  "       ARRAY(SELECT e::float8 FROM jsonb_array_elements_text(f -> 'distribution' -> 'edges') WITH ORDINALITY x(e, o) ORDER BY o), "
							  "       ARRAY(SELECT e::float8 FROM jsonb_array_elements_text(f -> 'distribution' -> 'shares') WITH ORDINALITY x(e, o) ORDER BY o), "
							  "       ARRAY(SELECT e FROM jsonb_array_elements_text(f -> 'distribution' -> 'levels') WITH ORDINALITY x(e, o) ORDER BY o), "
							  "       (f -> 'distribution' ->> 'other')::float8, (f -> 'distribution' ->> 'missing')::float8, "
							  "       f ? 'distribution' "
							  "  FROM automl.models m, jsonb_array_elements(m.features) f "
							  " WHERE m.id = $1 AND f ->> 'role' = 'feature'",
							  1, t, v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the feature profile of model %lld", (long long) model_id);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name = SPI_getvalue(tup, desc, 1);
		int			input = -1;
		DriftCol   *dc;
		MemoryContext old;
		int			n_shares,
					n_edges;
		double	   *shares,
				   *edges;

		for (int i = 0; i < ds->n_inputs && input < 0; i++)
			if (name && strcmp(aml_model_input_name(m, i), name) == 0)
				input = i;
		if (input < 0)
			continue;
		if (!DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull)))
		{
			missing++;
			continue;
		}
		old = MemoryContextSwitchTo(cxt);
		dc = &ds->cols[ds->n_cols++];
		dc->name = pstrdup(name);
		dc->input = input;
		dc->kind = aml_model_input_kind(m, input);
		edges = Float8Array(SPI_getbinval(tup, desc, 2, &isnull), &n_edges);
		shares = Float8Array(SPI_getbinval(tup, desc, 3, &isnull), &n_shares);
		if (dc->kind == AML_COL_CATEGORICAL)
		{
			ArrayType  *a = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 4, &isnull));
			Datum	   *el;
			bool	   *nl;
			int			n;
			int32	   *codes;	/* the model's code of each level (-1: none) */
			Datum		od = SPI_getbinval(tup, desc, 5, &isnull);

			deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &el, &nl, &n);
			if (n != n_shares)
				elog(ERROR, "automl: the distribution of column \"%s\" has %d levels and %d shares", name, n, n_shares);
			dc->n_levels = n;
			dc->levels = palloc(sizeof(char *) * (n + 1));
			codes = palloc(sizeof(int32) * (n + 1));
			dc->n_bins = n + 1;
			dc->expected = palloc0(sizeof(double) * (dc->n_bins + 1));
			for (int l = 0; l < n; l++)
			{
				dc->levels[l] = TextDatumGetCString(el[l]);
				codes[l] = aml_model_input_code(m, input, dc->levels[l], strlen(dc->levels[l]));
				dc->expected[l] = shares[l];
			}
			/* two levels the model reads as one code (pooled): the first's bin */
			for (int l = 0; l < n; l++)
				for (int p = 0; p < l; p++)
					if (codes[l] >= 0 && codes[p] == codes[l])
					{
						dc->expected[p] += dc->expected[l];
						dc->expected[l] = 0;
						codes[l] = -1;
						break;
					}
			dc->expected[n] = isnull ? 0 : DatumGetFloat8(od);
			/* a code's bin in one lookup; codes of the other levels: "other" */
			dc->max_code = -1;
			for (int l = 0; l < n; l++)
				dc->max_code = Max(dc->max_code, codes[l]);
			dc->bin_of_code = palloc(sizeof(int32) * (dc->max_code + 2));
			for (int32 cd = 0; cd <= dc->max_code; cd++)
				dc->bin_of_code[cd] = n;
			for (int l = 0; l < n; l++)
				if (codes[l] >= 0)
					dc->bin_of_code[codes[l]] = l;
		}
		else
		{
			if (n_shares != n_edges + 1)
				elog(ERROR, "automl: the distribution of column \"%s\" has %d edges and %d shares", name, n_edges, n_shares);
			dc->n_edges = n_edges;
			dc->edges = edges;
			dc->n_bins = n_shares;
			dc->expected = palloc0(sizeof(double) * (dc->n_bins + 1));
			memcpy(dc->expected, shares, sizeof(double) * n_shares);
		}
		{
			Datum		md = SPI_getbinval(tup, desc, 6, &isnull);

			dc->expected[dc->n_bins] = isnull ? 0 : DatumGetFloat8(md);
		}
		dc->count = palloc0(sizeof(int64) * (dc->n_bins + 1));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return missing;
}

/* IsoTime writes seconds since 2000-01-01 as an ISO date, or date and time. */
static char *
IsoTime(double secs)
{
	Timestamp	ts = (Timestamp) llround(secs * 1e6);
	const char *fmt = fmod(secs, 86400.0) == 0 ? "YYYY-MM-DD" : "YYYY-MM-DD HH24:MI:SS";

	return TextDatumGetCString(DirectFunctionCall2(timestamp_to_char, TimestampGetDatum(ts),
												   CStringGetTextDatum(fmt)));
}

/* BinName names bin b of dc for the detail column. */
static char *
BinName(const DriftCol *dc, int b)
{
	if (b == dc->n_bins)
		return pstrdup("missing");
	if (dc->kind == AML_COL_CATEGORICAL)
		return b == dc->n_levels ? pstrdup("other levels") : psprintf("\"%s\"", dc->levels[b]);
	if (dc->kind == AML_COL_DATETIME)
	{
		/* seconds since 2000-01-01, as ISO dates (with the time when not midnight) */
		char	   *lo = b > 0 ? IsoTime(dc->edges[b - 1]) : NULL;
		char	   *hi = b < dc->n_edges ? IsoTime(dc->edges[b]) : NULL;

		if (lo && hi)
			return psprintf("(%s, %s]", lo, hi);
		return lo ? psprintf("> %s", lo) : hi ? psprintf("<= %s", hi) : pstrdup("all values");
	}
	if (b > 0 && b < dc->n_edges)
		return psprintf("(%.6g, %.6g]", dc->edges[b - 1], dc->edges[b]);
	if (b == 0 && dc->n_edges > 0)
		return psprintf("<= %.6g", dc->edges[0]);
	if (b > 0)
		return psprintf("> %.6g", dc->edges[b - 1]);
	return pstrdup("all values");
}

static int
CmpPsiDesc(const void *a, const void *b)
{
	const double *x = a,
			   *y = b;

	/* [psi, column index] pairs: larger psi first, then column order */
	if (x[0] != y[0])
		return x[0] > y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/*
 * automl_drift(model, source, version) returns one row per column the
 * model reads, largest change first: its kind, the population stability
 * index of the source against the training rows, its reading, the
 * missing share in the source and in training, and the bin whose share
 * moved the most.
 */
Datum
automl_drift(PG_FUNCTION_ARGS)
{
	TupleDesc	rdesc;
	Tuplestorestate *store;
	char	   *name,
			   *source,
			   *query,
			   *stem;
	int64		model_id;
	aml_model  *m;
	DriftScan	ds;
	AmlScored	sc;
	AmlScanHooks hooks = {NULL, NULL, NULL, DriftBlock, true};
	double	   *order;
	int			no_profile;

	rdesc = AmlSrfCheck(fcinfo, "automl_drift", DRIFT_NCOLS);
	m = AmlModelSourceArgs(fcinfo, &name, &source, &model_id);
	no_profile = ReadProfile(m, model_id, &ds);
	if (ds.n_cols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no training distributions to compare with", name),
				 errdetail(no_profile > 0 ? "The version was trained before automl 0.6.0, which began storing them."
						   : "The model reads no column."),
				 errhint("Train a new version; automl.models.features holds the columns' training statistics meanwhile.")));

	query = AmlResolveSource(source, &stem);
	AmlScoreSource(m, name, model_id, query, "automl_drift", false, &hooks, &ds, &sc);

	/* largest change first */
	order = palloc(sizeof(double) * 2 * ds.n_cols);
	for (int k = 0; k < ds.n_cols; k++)
	{
		DriftCol   *dc = &ds.cols[k];
		double	   *actual = palloc(sizeof(double) * (dc->n_bins + 1));

		for (int b = 0; b <= dc->n_bins; b++)
			actual[b] = (double) dc->count[b] / (double) sc.n;
		order[2 * k] = aml_psi(dc->n_bins + 1, dc->expected, actual);
		order[2 * k + 1] = k;
	}
	qsort(order, ds.n_cols, sizeof(double) * 2, CmpPsiDesc);

	store = AmlSrfStore(fcinfo, &rdesc);
	for (int r = 0; r < ds.n_cols; r++)
	{
		DriftCol   *dc = &ds.cols[(int) order[2 * r + 1]];
		double		psi = order[2 * r];
		Datum		v[DRIFT_NCOLS];
		bool		nl[DRIFT_NCOLS] = {false};
		int			top = 0;
		double		top_gap = -1;

		for (int b = 0; b <= dc->n_bins; b++)
		{
			double		gap = fabs((double) dc->count[b] / sc.n - dc->expected[b]);

			if (gap > top_gap)
			{
				top_gap = gap;
				top = b;
			}
		}
		v[0] = CStringGetTextDatum(dc->name);
		v[1] = CStringGetTextDatum(dc->kind == AML_COL_NUMERIC ? "numeric" :
								   dc->kind == AML_COL_CATEGORICAL ? "categorical" : "datetime");
		v[2] = Float8GetDatum(psi);
		v[3] = CStringGetTextDatum(psi >= AML_PSI_MAJOR ? "major" : psi >= AML_PSI_MODERATE ? "moderate" : "none");
		v[4] = Float8GetDatum((double) dc->count[dc->n_bins] / sc.n);
		v[5] = Float8GetDatum(dc->expected[dc->n_bins]);
		v[6] = CStringGetTextDatum(psprintf("%s: %.1f%% of training rows, %.1f%% here", BinName(dc, top),
											100 * dc->expected[top], 100.0 * dc->count[top] / sc.n));
		tuplestore_putvalues(store, rdesc, v, nl);
	}
	return (Datum) 0;
}

/*
 * automl_drift_record(model, source, version) runs automl_drift as the
 * caller (with the caller's privileges on the source and the model) and
 * keeps its rows in automl.drift_history under one check id, written as
 * the extension owner; returns the check's id, the version compared, and
 * how many columns it read and how many moved moderately and a lot.  The
 * version is resolved first (NULL: the deployed one) so the history says
 * which version each check compared with.
 */
Datum
automl_drift_record(PG_FUNCTION_ARGS)
{
	Oid			types[12];
	Datum		vals[12];
	char		nulls[12];
	char	   *name;
	char	   *source;
	char	   *sql;
	int32		version = 0;
	bool		have_version;
	int64		check_id;
	int			n_cols,
				moderate = 0,
				major = 0;
	SPITupleTable *rows;
	TupleDesc	rdesc;
	Datum		rv[5];
	bool		rn[5] = {0};
	bool		isnull;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and source must not be NULL")));
	AmlPreventReadOnly("automl_drift_record()", "It keeps the check in automl.drift_history.");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	have_version = !PG_ARGISNULL(2);
	if (have_version)
		version = PG_GETARG_INT32(2);
	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_drift_record must return a composite type");
	rdesc = BlessTupleDesc(rdesc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	types[0] = TEXTOID;
	vals[0] = CStringGetTextDatum(name);
	if (!have_version)
	{
		/* the deployed version, as the caller sees it; none: automl_drift says why */
		if (SPI_execute_with_args("SELECT version FROM automl.deployed_models WHERE name = $1",
								  1, types, vals, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "automl: could not read the deployed version");
		if (SPI_processed == 1)
		{
			version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			have_version = true;
		}
	}
	types[1] = TEXTOID;
	vals[1] = CStringGetTextDatum(source);
	types[2] = INT4OID;
	vals[2] = Int32GetDatum(version);
	memset(nulls, ' ', sizeof(nulls));
	nulls[2] = have_version ? ' ' : 'n';
	sql = psprintf("SELECT feature, kind, psi, drift, missing_rate, training_missing_rate, largest_change "
				   "FROM %s.automl_drift($1, $2, $3)", quote_identifier(AmlExtensionSchema()));
	if (SPI_execute_with_args(sql, 3, types, vals, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not run automl_drift");
	rows = SPI_tuptable;
	n_cols = (int) SPI_processed;

	if (AmlOwnerExec("SELECT pg_catalog.nextval('automl.drift_history_check_id_seq')",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not number the drift check");
	check_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	types[0] = INT8OID;
	vals[0] = Int64GetDatum(check_id);
	types[1] = TEXTOID;
	vals[1] = CStringGetTextDatum(AmlGovCallerName());
	types[2] = TEXTOID;
	vals[2] = CStringGetTextDatum(name);
	types[3] = INT4OID;
	vals[3] = Int32GetDatum(version);
	types[4] = TEXTOID;
	vals[4] = CStringGetTextDatum(source);
	for (int i = 0; i < n_cols; i++)
	{
		HeapTuple	t = rows->vals[i];
		char	   *drift = SPI_getvalue(t, rows->tupdesc, 4);

		types[5] = TEXTOID;		/* feature */
		types[6] = TEXTOID;		/* kind */
		types[7] = FLOAT8OID;	/* psi */
		types[8] = TEXTOID;		/* drift */
		types[9] = FLOAT8OID;	/* missing_rate */
		types[10] = FLOAT8OID;	/* training_missing_rate */
		types[11] = TEXTOID;	/* largest_change */
		for (int c = 0; c < 7; c++)
		{
			vals[5 + c] = SPI_getbinval(t, rows->tupdesc, c + 1, &isnull);
			nulls[5 + c] = isnull ? 'n' : ' ';
		}
		if (drift && strcmp(drift, "moderate") == 0)
			moderate++;
		else if (drift && strcmp(drift, "major") == 0)
			major++;
		if (AmlOwnerExec("INSERT INTO automl.drift_history (check_id, checked_by, model, version, source, "
						 "feature, kind, psi, drift, missing_rate, training_missing_rate, largest_change) "
						 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
						 12, types, vals, nulls, 0) != SPI_OK_INSERT)
			elog(ERROR, "automl: could not keep the drift check");
	}
	SPI_finish();

	rv[0] = Int64GetDatum(check_id);
	rv[1] = Int32GetDatum(version);
	rn[1] = !have_version;
	rv[2] = Int32GetDatum(n_cols);
	rv[3] = Int32GetDatum(moderate);
	rv[4] = Int32GetDatum(major);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(rdesc, rv, rn)));
}
