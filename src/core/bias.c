/*-------------------------------------------------------------------------
 *
 * bias.c
 *	  Bias across the groups of a sensitive column: per-group rates and
 *	  errors, their differences against a reference group, the four-fifths
 *	  rule; quantile bins for numeric columns; and the training-time
 *	  section writer that stores the tables of the sensitive columns with
 *	  the model ("bias" in the diagnostics).
 *
 * Everything here is a pure function of arrays: automl_bias (the glue)
 * and aml_diag_bias give it group indexes, labels and model outputs.
 * Sums run in row order, so results do not depend on anything else.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "model.h"

void
aml_bias_options_init(aml_bias_options *o)
{
	memset(o, 0, sizeof(*o));
	o->task = AML_TASK_BINARY;
	o->n_classes = 2;
	o->threshold = 0.5;
	o->positive = 1;
	o->cls = -1;
	o->reference = -1;
	o->min_rows = AML_BIAS_MIN_ROWS;
}

int64_t
aml_bias_n_rows(const aml_bias_options *o, int n_groups)
{
	if (o->task == AML_TASK_MULTICLASS && o->cls < 0)
		return (int64_t) n_groups * o->n_classes;
	return n_groups;
}

/* per (group, class) sums, in row order */
typedef struct bias_acc
{
	int64_t		rows;
	int64_t		labelled;
	int64_t		label_pos;
	int64_t		pred_pos;
	int64_t		correct;
	int64_t		tp;
	int64_t		fp;
	int64_t		tn;
	int64_t		fn;
	double		sum_pred;
	double		sum_y;
	double		sum_abs;
	double		sum_sq;
	double		sum_res;
} bias_acc;

static double
ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

/*
 * check_options validates the options against the task; AML_OK or
 * AML_EINVAL with err filled.
 */
static aml_status
check_options(const aml_bias_options *o, int n_groups, aml_error *err)
{
	if (o->task != AML_TASK_BINARY && o->task != AML_TASK_MULTICLASS &&
		o->task != AML_TASK_REGRESSION)
		return aml_set_error(err, AML_EINVAL, "bias needs a binary, multiclass or regression task");
	if (n_groups < 1)
		return aml_set_error(err, AML_EINVAL, "bias needs at least one group");
	if (o->task == AML_TASK_BINARY)
	{
		if (!(o->threshold > 0 && o->threshold < 1))
			return aml_set_error(err, AML_EINVAL, "threshold must be between 0 and 1 (exclusive)");
		if (o->positive != 0 && o->positive != 1)
			return aml_set_error(err, AML_EINVAL, "positive class index %d is out of range", o->positive);
	}
	if (o->task == AML_TASK_MULTICLASS &&
		(o->n_classes < 2 || o->cls < -1 || o->cls >= o->n_classes))
		return aml_set_error(err, AML_EINVAL, "class index %d is out of range", o->cls);
	if (o->reference < -1 || o->reference >= n_groups)
		return aml_set_error(err, AML_EINVAL, "reference group index %d is out of range", o->reference);
	return AML_OK;
}

/*
 * accumulate adds row i (group g, label yi, outputs p) to the sums of
 * every class it is reported for.
 */
static void
accumulate(const aml_bias_options *o, bias_acc *acc, int n_cls, double yi,
		   const double *p)
{
	int			labelled = !isnan(yi);

	if (o->task == AML_TASK_REGRESSION)
	{
		acc->rows++;
		acc->sum_pred += p[0];
		if (labelled)
		{
			double		r = yi - p[0];

			acc->labelled++;
			acc->sum_y += yi;
			acc->sum_abs += fabs(r);
			acc->sum_sq += r * r;
			acc->sum_res += r;
		}
		return;
	}
	if (o->task == AML_TASK_BINARY)
	{
		double		ppos = o->positive == 1 ? p[0] : 1.0 - p[0];
		int			pred = ppos >= o->threshold;
		int			lab = labelled && (int) yi == o->positive;

		acc->rows++;
		acc->pred_pos += pred;
		if (labelled)
		{
			acc->labelled++;
			acc->label_pos += lab;
			acc->correct += pred == lab;
			acc->tp += pred && lab;
			acc->fp += pred && !lab;
			acc->tn += !pred && !lab;
			acc->fn += !pred && lab;
		}
		return;
	}
	/* multiclass, one-vs-rest: predicted class as aml_model_decide */
	{
		int			best = 0;

		for (int k = 1; k < o->n_classes; k++)
			if (p[k] > p[best])
				best = k;
		for (int c = 0; c < n_cls; c++)
		{
			int			k = o->cls >= 0 ? o->cls : c;
			int			pred = best == k;
			int			lab = labelled && (int) yi == k;
			bias_acc   *a = &acc[c];

			a->rows++;
			a->pred_pos += pred;
			if (labelled)
			{
				a->labelled++;
				a->label_pos += lab;
				a->correct += pred == lab;
				a->tp += pred && lab;
				a->fp += pred && !lab;
				a->tn += !pred && !lab;
				a->fn += !pred && lab;
			}
		}
	}
}

/*
 * fill_own sets a row's own values (everything but the comparisons).
 */
static void
fill_own(const aml_bias_options *o, const bias_acc *a, int64_t n, aml_bias_row *r)
{
	r->rows = a->rows;
	r->labelled = a->labelled;
	r->share = n > 0 ? (double) a->rows / (double) n : NAN;
	r->label_positive_rate = r->predicted_positive_rate = r->accuracy = NAN;
	r->tpr = r->fpr = r->precision = NAN;
	r->mean_prediction = r->mean_actual = r->mae = r->rmse = r->mean_residual = NAN;
	if (o->task == AML_TASK_REGRESSION)
	{
		r->mean_prediction = ratio(a->sum_pred, (double) a->rows);
		r->mean_actual = ratio(a->sum_y, (double) a->labelled);
		r->mae = ratio(a->sum_abs, (double) a->labelled);
		r->rmse = a->labelled > 0 ? sqrt(a->sum_sq / (double) a->labelled) : NAN;
		r->mean_residual = ratio(a->sum_res, (double) a->labelled);
	}
	else
	{
		r->label_positive_rate = ratio((double) a->label_pos, (double) a->labelled);
		r->predicted_positive_rate = ratio((double) a->pred_pos, (double) a->rows);
		r->accuracy = ratio((double) a->correct, (double) a->labelled);
		r->tpr = ratio((double) a->tp, (double) (a->tp + a->fn));
		r->fpr = ratio((double) a->fp, (double) (a->fp + a->tn));
		r->precision = ratio((double) a->tp, (double) (a->tp + a->fp));
	}
}

/*
 * compare sets the differences of r against the reference row ref, and
 * whether r is flagged.
 */
static void
compare(const aml_bias_options *o, const aml_bias_row *ref, aml_bias_row *r)
{
	int			big = r->rows >= o->min_rows;

	r->disparate_impact = r->demographic_parity_difference = NAN;
	r->equal_opportunity_difference = r->average_odds_difference = NAN;
	r->mean_prediction_difference = r->mae_difference = NAN;
	r->rmse_difference = r->mean_residual_difference = NAN;
	r->flagged = 0;
	if (o->task == AML_TASK_REGRESSION)
	{
		double		mae_ratio = ratio(r->mae, ref->mae);

		r->mean_prediction_difference = r->mean_prediction - ref->mean_prediction;
		r->mae_difference = r->mae - ref->mae;
		r->rmse_difference = r->rmse - ref->rmse;
		r->mean_residual_difference = r->mean_residual - ref->mean_residual;
		r->flagged = big && !r->is_reference &&
			(mae_ratio < AML_BIAS_DI_LOW || mae_ratio > AML_BIAS_DI_HIGH);
		return;
	}
	r->disparate_impact = ratio(r->predicted_positive_rate, ref->predicted_positive_rate);
	r->demographic_parity_difference = r->predicted_positive_rate - ref->predicted_positive_rate;
	r->equal_opportunity_difference = r->tpr - ref->tpr;
	r->average_odds_difference = 0.5 * ((r->fpr - ref->fpr) + (r->tpr - ref->tpr));
	r->flagged = big && !r->is_reference &&
		(r->disparate_impact < AML_BIAS_DI_LOW || r->disparate_impact > AML_BIAS_DI_HIGH ||
		 fabs(r->equal_opportunity_difference) > AML_BIAS_ODDS_MAX ||
		 fabs(r->average_odds_difference) > AML_BIAS_ODDS_MAX);
}

aml_status
aml_bias_compute(aml_env *env, const aml_bias_options *o, int64_t n,
				 const int32_t *group, int n_groups, const double *y,
				 const double *pred, aml_bias_row *out, aml_error *err)
{
	int			n_out = o->task == AML_TASK_MULTICLASS ? o->n_classes : 1;
	int			n_cls = o->task == AML_TASK_MULTICLASS && o->cls < 0 ? o->n_classes : 1;
	int64_t		n_rows;
	bias_acc   *acc;
	int			ref;
	aml_status	st;

	if ((st = check_options(o, n_groups, err)) != AML_OK)
		return st;
	n_rows = aml_bias_n_rows(o, n_groups);
	acc = aml_calloc(env, (size_t) n_rows, sizeof(bias_acc));
	if (acc == NULL)
		return aml_oom(env, err, (size_t) n_rows * sizeof(bias_acc));
	for (int64_t i = 0; i < n; i++)
	{
		double		yi = y ? y[i] : NAN;

		if (group[i] < 0 || group[i] >= n_groups)
		{
			aml_free(env, acc);
			return aml_set_error(err, AML_EINVAL, "group index %d of row %lld is out of range",
								 (int) group[i], (long long) i);
		}
		if (o->task != AML_TASK_REGRESSION && !isnan(yi) &&
			!(yi >= 0 && yi < o->n_classes && yi == floor(yi)))
		{
			aml_free(env, acc);
			return aml_set_error(err, AML_EINVAL, "label %g of row %lld is not a class index",
								 yi, (long long) i);
		}
		accumulate(o, &acc[(int64_t) group[i] * n_cls], n_cls, yi, pred + i * n_out);
	}

	/* the reference: given, or the group with the most rows (first on ties) */
	ref = o->reference;
	if (ref < 0)
	{
		ref = 0;
		for (int g = 1; g < n_groups; g++)
			if (acc[(int64_t) g * n_cls].rows > acc[(int64_t) ref * n_cls].rows)
				ref = g;
	}
	if (acc[(int64_t) ref * n_cls].rows == 0)
	{
		aml_free(env, acc);
		return aml_set_error(err, AML_EINVAL, "reference group %d has no rows", ref);
	}

	for (int g = 0; g < n_groups; g++)
		for (int c = 0; c < n_cls; c++)
		{
			aml_bias_row *r = &out[(int64_t) g * n_cls + c];

			memset(r, 0, sizeof(*r));
			r->group = g;
			r->cls = o->task == AML_TASK_MULTICLASS ? (o->cls >= 0 ? o->cls : c) : -1;
			r->is_reference = g == ref;
			fill_own(o, &acc[(int64_t) g * n_cls + c], n, r);
		}
	for (int g = 0; g < n_groups; g++)
		for (int c = 0; c < n_cls; c++)
			compare(o, &out[(int64_t) ref * n_cls + c], &out[(int64_t) g * n_cls + c]);
	aml_free(env, acc);
	return AML_OK;
}

/* ---------------------------------------------------------------- bins */

aml_status
aml_bias_quantile_edges(aml_env *env, const double *v, int64_t n, int n_bins,
						double *edges, int *n_edges, aml_error *err)
{
	double	   *s;
	int64_t		m = 0;
	int			k = 0;

	*n_edges = 0;
	if (n_bins < 2)
		return aml_set_error(err, AML_EINVAL, "a numeric column needs at least 2 bins");
	s = aml_malloc(env, (size_t) (n > 0 ? n : 1) * sizeof(double));
	if (s == NULL)
		return aml_oom(env, err, (size_t) n * sizeof(double));
	for (int64_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			s[m++] = v[i];
	qsort(s, (size_t) m, sizeof(double), aml_cmp_double);
	for (int b = 1; b < n_bins && m > 0; b++)
	{
		double		e = s[(int64_t) ((double) b * (double) m / n_bins)];

		/* an edge at the minimum would leave bin 0 empty; ties merge bins */
		if (e > s[0] && (k == 0 || e > edges[k - 1]))
			edges[k++] = e;
	}
	aml_free(env, s);
	*n_edges = k;
	return AML_OK;
}

int
aml_bias_bin_of(const double *edges, int n_edges, double x)
{
	int			lo = 0,
				hi = n_edges;

	/* the number of edges <= x */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (edges[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * shortest writes the shortest decimal that reads back as v (as a float
 * when as_float), without an exponent unless v is very large or small.
 */
static void
shortest(char *buf, size_t cap, double v, int as_float)
{
	int			plain = v == 0 || (fabs(v) >= 1e-4 && fabs(v) < 1e15);

	for (int prec = 1; prec <= 17; prec++)
	{
		snprintf(buf, cap, "%.*g", prec, v);
		if (plain && strchr(buf, 'e') != NULL)
			continue;
		if (as_float ? strtof(buf, NULL) == (float) v : strtod(buf, NULL) == v)
			return;
	}
}

void
aml_bias_bin_label(const double *edges, int n_edges, int bin, double min,
				   double max, int as_float, char *buf, size_t cap)
{
	char		lo[64],
				hi[64];

	shortest(lo, sizeof(lo), bin == 0 ? min : edges[bin - 1], as_float);
	shortest(hi, sizeof(hi), bin == n_edges ? max : edges[bin], as_float);
	snprintf(buf, cap, "[%s, %s%c", lo, hi, bin == n_edges ? ']' : ')');
}

/* ---------------------------------------------------------------- diagnostics */

/* groups of one sensitive column over the test rows */
typedef struct bias_groups
{
	int			n;
	int32_t    *of_row;			/* per test row */
	char	  **label;			/* per group; NULL = the NULL group */
} bias_groups;

typedef struct code_sort
{
	const char *s;
	int32_t		code;
} code_sort;

static int
cmp_code_sort(const void *a, const void *b)
{
	return strcmp(((const code_sort *) a)->s, ((const code_sort *) b)->s);
}

static void
groups_free(aml_env *env, bias_groups *g)
{
	if (g->label)
		for (int i = 0; i < g->n; i++)
			aml_free(env, g->label[i]);
	aml_free(env, g->label);
	aml_free(env, g->of_row);
	memset(g, 0, sizeof(*g));
}

/*
 * make_groups assigns the test rows to groups: category levels in C
 * order, or 4 quantile bins of the test values in order; missing values
 * last as their own group.
 */
static aml_status
make_groups(const aml_diag_input *di, const aml_fcol *fc, bias_groups *g,
			aml_error *err)
{
	aml_env    *env = di->env;
	int64_t		n = di->n;
	int			has_null = 0;

	memset(g, 0, sizeof(*g));
	g->of_row = aml_malloc(env, (size_t) n * sizeof(int32_t));
	if (g->of_row == NULL)
		return aml_oom(env, err, (size_t) n * sizeof(int32_t));
	if (fc->kind == AML_COL_CATEGORICAL)
	{
		int32_t    *map = aml_malloc(env, (size_t) (fc->n_levels + 1) * sizeof(int32_t));
		code_sort  *cs = aml_malloc(env, (size_t) (fc->n_levels + 1) * sizeof(code_sort));
		int			k = 0;

		if (map == NULL || cs == NULL)
		{
			aml_free(env, map);
			aml_free(env, cs);
			return aml_oom(env, err, (size_t) fc->n_levels * 16);
		}
		for (int l = 0; l < fc->n_levels; l++)
			map[l] = -1;
		for (int64_t r = 0; r < n; r++)
		{
			int32_t		code = fc->code[di->rows[r]];

			if (code < 0)
				has_null = 1;
			else if (map[code] < 0)
			{
				map[code] = 0;
				cs[k].s = fc->levels[code];
				cs[k].code = code;
				k++;
			}
		}
		qsort(cs, (size_t) k, sizeof(code_sort), cmp_code_sort);
		g->n = k + has_null;
		g->label = aml_calloc(env, (size_t) (g->n + 1), sizeof(char *));
		if (g->label == NULL)
		{
			aml_free(env, map);
			aml_free(env, cs);
			return aml_oom(env, err, (size_t) g->n * sizeof(char *));
		}
		for (int i = 0; i < k; i++)
		{
			map[cs[i].code] = i;
			if ((g->label[i] = aml_strdup(env, cs[i].s)) == NULL)
			{
				aml_free(env, map);
				aml_free(env, cs);
				return aml_oom(env, err, 64);
			}
		}
		for (int64_t r = 0; r < n; r++)
		{
			int32_t		code = fc->code[di->rows[r]];

			g->of_row[r] = code < 0 ? k : map[code];
		}
		aml_free(env, map);
		aml_free(env, cs);
		return AML_OK;
	}
	else
	{
		double	   *v = aml_malloc(env, (size_t) n * sizeof(double));
		double		edges[3];
		int			n_edges = 0;
		int			used[4] = {0, 0, 0, 0};
		int			dense[4];
		int			k = 0;
		double		min = INFINITY,
					max = -INFINITY;
		aml_status	st;

		if (v == NULL)
			return aml_oom(env, err, (size_t) n * sizeof(double));
		for (int64_t r = 0; r < n; r++)
		{
			int64_t		row = di->rows[r];

			v[r] = fc->kind == AML_COL_NUMERIC ? (double) fc->num[row] : fc->dt[row];
			if (isnan(v[r]))
				has_null = 1;
			else
			{
				min = v[r] < min ? v[r] : min;
				max = v[r] > max ? v[r] : max;
			}
		}
		if ((st = aml_bias_quantile_edges(env, v, n, 4, edges, &n_edges, err)) != AML_OK)
		{
			aml_free(env, v);
			return st;
		}
		for (int64_t r = 0; r < n; r++)
			if (!isnan(v[r]))
				used[aml_bias_bin_of(edges, n_edges, v[r])] = 1;
		for (int b = 0; b <= n_edges; b++)
			dense[b] = used[b] ? k++ : -1;
		g->n = k + has_null;
		g->label = aml_calloc(env, (size_t) (g->n + 1), sizeof(char *));
		if (g->label == NULL)
		{
			aml_free(env, v);
			return aml_oom(env, err, (size_t) g->n * sizeof(char *));
		}
		for (int b = 0; b <= n_edges; b++)
			if (dense[b] >= 0)
			{
				char		buf[160];

				aml_bias_bin_label(edges, n_edges, b, min, max, fc->kind == AML_COL_NUMERIC,
								   buf, sizeof(buf));
				if ((g->label[dense[b]] = aml_strdup(env, buf)) == NULL)
				{
					aml_free(env, v);
					return aml_oom(env, err, 64);
				}
			}
		for (int64_t r = 0; r < n; r++)
			g->of_row[r] = isnan(v[r]) ? k : dense[aml_bias_bin_of(edges, n_edges, v[r])];
		aml_free(env, v);
		return AML_OK;
	}
}

static void
json_num6(aml_json *j, const char *key, double v)
{
	aml_json_key(j, key);
	aml_json_num(j, isfinite(v) ? round(v * 1e6) / 1e6 : NAN);
}

/*
 * aml_bias_row_json writes one row of a bias table as an object; class is
 * the class label (multiclass) or NULL.
 */
static void
row_json(aml_json *j, const aml_bias_row *r, const char *group_value,
		 const char *cls)
{
	aml_json_begin_obj(j);
	aml_json_key(j, "group_value");
	if (group_value)
		aml_json_str(j, group_value);
	else
		aml_json_null(j);
	if (cls)
	{
		aml_json_key(j, "class");
		aml_json_str(j, cls);
	}
	aml_json_key(j, "rows");
	aml_json_int(j, r->rows);
	json_num6(j, "share", r->share);
	aml_json_key(j, "is_reference");
	aml_json_bool(j, r->is_reference);
	json_num6(j, "label_positive_rate", r->label_positive_rate);
	json_num6(j, "predicted_positive_rate", r->predicted_positive_rate);
	json_num6(j, "accuracy", r->accuracy);
	json_num6(j, "tpr", r->tpr);
	json_num6(j, "fpr", r->fpr);
	json_num6(j, "precision", r->precision);
	json_num6(j, "disparate_impact", r->disparate_impact);
	json_num6(j, "demographic_parity_difference", r->demographic_parity_difference);
	json_num6(j, "equal_opportunity_difference", r->equal_opportunity_difference);
	json_num6(j, "average_odds_difference", r->average_odds_difference);
	json_num6(j, "mean_prediction", r->mean_prediction);
	json_num6(j, "mean_actual", r->mean_actual);
	json_num6(j, "mae", r->mae);
	json_num6(j, "rmse", r->rmse);
	json_num6(j, "mean_residual", r->mean_residual);
	json_num6(j, "mean_prediction_difference", r->mean_prediction_difference);
	json_num6(j, "mae_difference", r->mae_difference);
	json_num6(j, "rmse_difference", r->rmse_difference);
	json_num6(j, "mean_residual_difference", r->mean_residual_difference);
	aml_json_key(j, "flagged");
	aml_json_bool(j, r->flagged);
	aml_json_end_obj(j);
}

aml_status
aml_diag_bias(aml_json *j, const aml_diag_input *di, aml_error *err)
{
	aml_env    *env = di->env;
	const aml_model *m = di->model;
	const aml_train_options *opts = di->opts;

	if (opts->n_sensitive <= 0 || di->n <= 0)
		return AML_OK;
	aml_json_key(j, "bias");
	aml_json_begin_arr(j);
	for (int s = 0; s < opts->n_sensitive; s++)
	{
		const aml_fcol *fc = &di->frame->cols[opts->sensitive[s]];
		bias_groups g;
		aml_bias_options bo;
		aml_bias_row *rows;
		int64_t		n_rows;
		int			used = 0;
		int			ref = -1;
		aml_status	st;

		if ((st = make_groups(di, fc, &g, err)) != AML_OK)
		{
			groups_free(env, &g);
			return st;
		}
		aml_bias_options_init(&bo);
		bo.task = di->task;
		bo.n_classes = di->n_classes;
		n_rows = aml_bias_n_rows(&bo, g.n);
		rows = aml_malloc(env, (size_t) n_rows * sizeof(aml_bias_row));
		if (rows == NULL)
		{
			groups_free(env, &g);
			return aml_oom(env, err, (size_t) n_rows * sizeof(aml_bias_row));
		}
		st = aml_bias_compute(env, &bo, di->n, g.of_row, g.n, di->y, di->pred, rows, err);
		if (st != AML_OK)
		{
			aml_free(env, rows);
			groups_free(env, &g);
			return st;
		}
		for (int i = 0; i < m->n_inputs; i++)
			used |= strcmp(m->inputs[i].name, fc->name) == 0;
		for (int64_t r = 0; r < n_rows; r++)
			if (rows[r].is_reference)
				ref = rows[r].group;

		aml_json_begin_obj(j);
		aml_json_key(j, "sensitive");
		aml_json_str(j, fc->name);
		aml_json_key(j, "reference");
		if (ref >= 0 && g.label[ref])
			aml_json_str(j, g.label[ref]);
		else
			aml_json_null(j);
		aml_json_key(j, "used_as_feature");
		aml_json_bool(j, used);
		aml_json_key(j, "threshold");
		if (di->task == AML_TASK_BINARY)
			aml_json_num(j, bo.threshold);
		else
			aml_json_null(j);
		aml_json_key(j, "positive");
		if (di->task == AML_TASK_BINARY)
			aml_json_str(j, m->class_labels[bo.positive]);
		else
			aml_json_null(j);
		aml_json_key(j, "groups");
		aml_json_begin_arr(j);
		for (int64_t r = 0; r < n_rows; r++)
			row_json(j, &rows[r], g.label[rows[r].group],
					 rows[r].cls >= 0 ? m->class_labels[rows[r].cls] : NULL);
		aml_json_end_arr(j);
		aml_json_end_obj(j);
		aml_free(env, rows);
		groups_free(env, &g);
	}
	aml_json_end_arr(j);
	return AML_OK;
}
