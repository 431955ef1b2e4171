/*-------------------------------------------------------------------------
 *
 * evaluate.c
 *	  automl_evaluate(model, source, version): the metrics of a model on the
 *	  labelled rows of a table, view or query, next to those of its test
 *	  split at training.
 *
 * The source is read and scored as automl_bias reads it (AmlScoreSource in
 * bias.c: the caller's privileges, an SPI cursor in batches, the core
 * scoring blocks of rows); the metrics are the ones the model reports on
 * its test split (aml_metric_names), computed by the core on the rows
 * whose label is known.  Nothing is written: the function is STABLE and
 * runs in a read-only transaction or on a standby.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "automl_pg.h"

PG_FUNCTION_INFO_V1(automl_evaluate);

#define EVAL_NCOLS 4

/*
 * TestValues reads the model's metric and its test-split metrics
 * (automl.models.metrics) for the names in names, in one catalog read;
 * NaN where none is stored (no test split, or a metric added later).
 */
static char *
TestValues(int64 model_id, const char *const *names, double *test)
{
	Oid			t[1] = {INT8OID};
	Datum		v[1];
	char	   *metric = NULL;
	Jsonb	   *metrics = NULL;
	bool		isnull;
	Datum		d;
	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	v[0] = Int64GetDatum(model_id);
	if (SPI_execute_with_args("SELECT metric, metrics FROM automl.models WHERE id = $1",
							  1, t, v, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "automl: could not read model %lld", (long long) model_id);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		metric = MemoryContextStrdup(cxt, TextDatumGetCString(d));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		metrics = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	for (int k = 0; names[k]; k++)
	{
		JsonbValue *jv = metrics && JB_ROOT_IS_OBJECT(metrics) ?
			getKeyJsonValueFromContainer(&metrics->root, names[k], strlen(names[k]), NULL) : NULL;

		test[k] = jv && jv->type == jbvNumeric ?
			DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(jv->val.numeric))) : NAN;
	}
	return metric;
}

/*
 * AmlModelSourceArgs reads the arguments (model text, source text, version
 * int) of automl_evaluate and automl_drift: *name and *source, and the
 * model, loaded (42501 unless the caller may use it; the deployed version
 * when version is NULL) with its catalog id in *model_id.
 */
aml_model *
AmlModelSourceArgs(FunctionCallInfo fcinfo, char **name, char **source, int64 *model_id)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and source must not be NULL")));
	*name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	*source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	return AmlModelLoad(*name, PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2), model_id);
}

/*
 * automl_evaluate(model, source, version) returns one row per metric: its
 * value on the source's labelled rows, its value on the test split at
 * training, and the number of labelled rows; the model's own metric first.
 */
Datum
automl_evaluate(PG_FUNCTION_ARGS)
{
	TupleDesc	rdesc;
	Tuplestorestate *store;
	char	   *name,
			   *source,
			   *query,
			   *stem,
			   *metric;
	int64		model_id,
				labelled = 0;
	aml_model  *m;
	aml_task	task;
	int			no,
				n_classes,
				n_names = 0;
	const char *const *names;
	double	   *test;
	AmlScored	sc;

	rdesc = AmlSrfCheck(fcinfo, "automl_evaluate", EVAL_NCOLS);
	m = AmlModelSourceArgs(fcinfo, &name, &source, &model_id);
	task = aml_model_task(m);
	no = aml_model_n_outputs(m);
	n_classes = task == AML_TASK_REGRESSION ? 0 : aml_model_n_classes(m);

	query = AmlResolveSource(source, &stem);
	AmlScoreSource(m, name, model_id, query, "automl_evaluate", true, NULL, NULL, &sc);

	/* the labelled rows, in place */
	for (int64 i = 0; i < sc.n; i++)
		if (!isnan(sc.y[i]))
		{
			if (labelled != i)
			{
				sc.y[labelled] = sc.y[i];
				memmove(sc.pred + (size_t) labelled * no, sc.pred + (size_t) i * no, sizeof(double) * no);
			}
			labelled++;
		}
	if (labelled == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("source has no labelled rows"),
				 errdetail("All %lld rows have a NULL \"%s\"%s.", (long long) sc.n, sc.target,
						   sc.unknown_labels > 0 ? " or a class the model does not know" : ""),
				 errhint("automl_evaluate compares predictions with known labels; automl_predict scores unlabelled rows.")));
	if (labelled < sc.n - sc.unknown_labels)
		ereport(NOTICE,
				(errmsg("%lld of %lld rows have a NULL \"%s\"; the metrics count the other %lld",
						(long long) (sc.n - sc.unknown_labels - labelled), (long long) sc.n,
						sc.target, (long long) labelled)));

	names = aml_metric_names(task);
	while (names[n_names])
		n_names++;
	test = palloc(sizeof(double) * (n_names + 1));
	metric = TestValues(model_id, names, test);

	store = AmlSrfStore(fcinfo, &rdesc);
	/* the model's metric first, then the others in the core's order */
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < n_names; k++)
		{
			bool		own = metric && strcmp(names[k], metric) == 0;
			Datum		v[EVAL_NCOLS];
			bool		nl[EVAL_NCOLS] = {false};

			if (own != (pass == 0))
				continue;
			CHECK_FOR_INTERRUPTS();
			v[0] = CStringGetTextDatum(names[k]);
			v[1] = AmlFloat8OrNull(aml_metric_compute(names[k], task, n_classes, labelled, sc.y, sc.pred), &nl[1]);
			v[2] = AmlFloat8OrNull(test[k], &nl[2]);
			v[3] = Int64GetDatum(labelled);
			tuplestore_putvalues(store, rdesc, v, nl);
		}
	return (Datum) 0;
}
