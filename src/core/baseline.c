/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  The baseline learner: class priors (classification) or the mean
 *	  (regression).  Every training fits it so the lift of the chosen
 *	  model over "no model at all" can be reported.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "aml_int.h"

typedef struct baseline_state
{
	int			n_out;
	double	   *value;			/* n_out outputs, the same for every row */
} baseline_state;

/*
 * baseline_fit computes weighted class frequencies or the weighted mean.
 */
static aml_status
baseline_fit(aml_env *env, const aml_fit_input *in, const aml_params *params,
			 void **state, aml_error *err)
{
	baseline_state *s;
	int			k = in->task == AML_TASK_REGRESSION ? 1 : in->n_classes;
	double	   *acc;
	double		wsum = 0.0;

	(void) params;
	s = aml_calloc(env, 1, sizeof(*s));
	acc = aml_calloc(env, (size_t) k, sizeof(double));
	if (s == NULL || acc == NULL)
	{
		aml_free(env, s);
		aml_free(env, acc);
		return aml_oom(env, err, sizeof(double) * (size_t) k);
	}
	for (int64_t r = 0; r < in->n_rows; r++)
	{
		int64_t		i = in->rows ? in->rows[r] : r;
		double		w = in->w ? in->w[i] : 1.0;

		if (in->task == AML_TASK_REGRESSION)
			acc[0] += w * in->y[i];
		else
			acc[(int) in->y[i]] += w;
		wsum += w;
	}
	for (int c = 0; c < k; c++)
		acc[c] = wsum > 0 ? acc[c] / wsum : (in->task == AML_TASK_REGRESSION ? 0.0 : 1.0 / k);
	if (in->task == AML_TASK_BINARY)
	{
		/* one output: the positive-class probability */
		acc[0] = acc[1];
		s->n_out = 1;
	}
	else
		s->n_out = k;
	s->value = acc;
	*state = s;
	return AML_OK;
}

/*
 * baseline_predict writes the constant outputs for every row.
 */
static void
baseline_predict(const void *state, const aml_dataset *ds, const int64_t *idx,
				 int64_t n, double *out)
{
	const baseline_state *s = state;

	(void) ds;
	(void) idx;
	for (int64_t r = 0; r < n; r++)
		for (int c = 0; c < s->n_out; c++)
			out[r * s->n_out + c] = s->value[c];
}

static void
baseline_write(const void *state, aml_wbuf *b)
{
	const baseline_state *s = state;

	aml_w_u32(b, (uint32_t) s->n_out);
	aml_w_f64s(b, s->value, (size_t) s->n_out);
}

/*
 * baseline_read restores the outputs, checking their count against the task.
 */
static aml_status
baseline_read(aml_env *env, aml_rbuf *b, const aml_dataset *schema,
			  aml_task task, int n_classes, void **state, aml_error *err)
{
	baseline_state *s;
	uint32_t	n;

	(void) schema;
	if (aml_r_u32(b, &n) < 0 || (int) n != aml_task_outputs(task, n_classes))
		return aml_set_error(err, AML_EFORMAT, "baseline output count is invalid");
	s = aml_calloc(env, 1, sizeof(*s));
	if (s == NULL)
		return aml_oom(env, err, sizeof(*s));
	s->n_out = (int) n;
	if (aml_r_f64s(b, env, &s->value, n) < 0)
	{
		aml_free(env, s->value);
		aml_free(env, s);
		return aml_set_error(err, AML_EFORMAT, "baseline outputs are truncated");
	}
	*state = s;
	return AML_OK;
}

static void
baseline_free(aml_env *env, void *state)
{
	baseline_state *s = state;

	if (s == NULL)
		return;
	aml_free(env, s->value);
	aml_free(env, s);
}

/*
 * baseline_check_params accepts no parameters.
 */
static const char *
baseline_check_params(const aml_params *p, char *buf, size_t buflen)
{
	if (p->n > 0)
	{
		snprintf(buf, buflen, "unknown parameter \"%s\" for algorithm \"baseline\"", p->name[0]);
		return buf;
	}
	return NULL;
}

const aml_learner_ops aml_baseline_ops = {
	.algo = AML_ALGO_BASELINE,
	.name = "baseline",
	.fit = baseline_fit,
	.predict = baseline_predict,
	.write = baseline_write,
	.read = baseline_read,
	.free_state = baseline_free,
	.check_params = baseline_check_params,
	.importance = NULL,
};
