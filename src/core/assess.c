/*-------------------------------------------------------------------------
 *
 * assess.c
 *	  The "assessment" section of the diagnostics (automl_assess): is
 *	  machine learning the right tool for this table?  Written after
 *	  aml_train has searched, refitted and scored on the test split:
 *
 *	  - readiness: usable rows, target NULLs, class balance, per-column
 *		missing rate, distinct values, dropped columns and why,
 *		high-cardinality and date columns, duplicate and conflicting rows;
 *	  - a seeded bootstrap 95% interval of the test score, of the
 *		baseline's and of the lift (paired: the same resamples);
 *	  - leakage suspects: every input column alone (a small decision tree
 *		fit on the training rows, scored on the test rows) reaching
 *		AML_ASSESS_LEAK (AUC, R², or accuracy for multiclass);
 *	  - a learning curve: the chosen configuration refitted on 1/8, 1/4
 *		and 1/2 of the training rows (nested seeded samples) and scored on
 *		the test split, next to the model itself (all rows);
 *	  - the verdict, with reasons and warnings in plain sentences.
 *
 *	  Lift is the share of the gap between the baseline and a perfect score
 *	  that the model closes: (score - baseline) / (perfect - baseline).
 *
 *	  Budget: everything here stops starting new work once the call's
 *	  budget (opts->budget_seconds since aml_train began) is spent; fits
 *	  in progress are cut at that deadline.  What was skipped is said.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

#define CURVE_POINTS	4		/* 1/8, 1/4, 1/2, all */
#define LEAK_MAX_ROWS	50000	/* training rows a one-column tree sees */
#define LEAK_MIN_TEST	30		/* test rows needed to judge leakage */
#define LEAK_DEPTH		6
#define MISSING_WARN	0.5		/* missing rate that earns a warning */
#define DUPLICATE_WARN	0.01	/* share of duplicate rows that does */
#define MINORITY_WARN	20		/* minority class rows below: a warning */
#define SMALL_TEST		100		/* test rows below: a warning */
#define HIGH_CARD		50		/* distinct levels from: maybe high card. */
#define RARE_COUNT		3		/* levels seen fewer times are pooled */

/* A growing list of sentences. */
typedef struct msg_list
{
	int			n;
	int			cap;
	char	  **s;
} msg_list;

/* One source column as readiness sees it. */
typedef struct col_info
{
	int			col;			/* frame column */
	int			input;			/* model input, or -1 */
	const char *reason;			/* why not used, or NULL */
	int64_t		missing;
	int64_t		distinct;
	int64_t		rare_rows;		/* categorical: rows of levels seen < 3 times */
	int			high_card;
	double		alone;			/* score of the column alone; NaN = not run */
	int			leak;
} col_info;

typedef struct curve_point
{
	double		fraction;
	int64_t		rows;
	double		score;
	double		lift;
	double		seconds;
} curve_point;

typedef struct assess_ctx
{
	const aml_diag_input *di;
	aml_env    *env;
	aml_error  *err;
	const aml_model *m;
	const aml_frame *f;
	const char *target;
	double		deadline;		/* aml_now() time; INFINITY = no budget */
	int			oom;
	msg_list	reasons;
	msg_list	warnings;
	/* readiness */
	int64_t		usable;
	int64_t		target_nulls;
	int64_t    *class_count;	/* n_classes */
	int64_t		duplicates;
	int64_t		conflicting;
	int			n_cols;
	col_info   *cols;
	/* interval */
	double		iv[6];
	int			resamples;
	int			resamples_used;
	/* leakage */
	const char *leak_metric;
	int			leak_checked;
	int			leak_total;
	int			n_leaks;
	/* learning curve */
	curve_point curve[CURVE_POINTS];
	int			curve_done;		/* points computed */
	double		slope;
	int			budget_short;	/* some check was skipped or cut */
	double		lift;
	char		tmp[320];		/* scratch for one phrase */
} assess_ctx;

/* ---------------------------------------------------------------- small */

static void
msg_add(assess_ctx *a, msg_list *l, const char *fmt,...)
__attribute__((format(printf, 3, 4)));

/* msg_add appends one formatted sentence to l (sets oom on failure). */
static void
msg_add(assess_ctx *a, msg_list *l, const char *fmt,...)
{
	char		buf[1024];
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (l->n == l->cap)
	{
		int			nc = l->cap ? l->cap * 2 : 8;
		char	  **ns = aml_realloc(a->env, l->s, (size_t) nc * sizeof(char *));

		if (ns == NULL)
		{
			a->oom = 1;
			return;
		}
		l->s = ns;
		l->cap = nc;
	}
	s = aml_strdup(a->env, buf);
	if (s == NULL)
	{
		a->oom = 1;
		return;
	}
	l->s[l->n++] = s;
}

static void
msg_free(aml_env *env, msg_list *l)
{
	for (int i = 0; i < l->n; i++)
		aml_free(env, l->s[i]);
	aml_free(env, l->s);
}

/* round6 keeps six decimals: details stay readable and stable */
static double
round6(double v)
{
	return isfinite(v) ? round(v * 1e6) / 1e6 : v;
}

/*
 * fmt_score prints a metric value for a sentence: three decimals for
 * bounded scores, four significant digits for losses in target units.
 */
static const char *
fmt_score(char *buf, size_t n, const char *metric, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "n/a");
	else if (strcmp(metric, "rmse") == 0 || strcmp(metric, "mae") == 0)
	{
		if (fabs(v) >= 1000)
			snprintf(buf, n, "%.0f", v);
		else
			snprintf(buf, n, "%.4g", v);
	}
	else
		snprintf(buf, n, "%.3f", v);
	return buf;
}

/*
 * percentile returns the q-quantile (linear interpolation) of n sorted
 * values.
 */
static double
percentile(const double *v, int n, double q)
{
	double		pos;
	int			i;

	if (n <= 0)
		return NAN;
	pos = q * (double) (n - 1);
	i = (int) floor(pos);
	if (i >= n - 1)
		return v[n - 1];
	return v[i] + (pos - (double) i) * (v[i + 1] - v[i]);
}

/* ---------------------------------------------------------------- public */

const char *
aml_verdict_name(aml_verdict v)
{
	switch (v)
	{
		case AML_VERDICT_DATA_NOT_READY:
			return "data_not_ready";
		case AML_VERDICT_NOT_APPLICABLE:
			return "not_applicable";
		case AML_VERDICT_WEAK:
			return "weak";
		case AML_VERDICT_PROMISING:
			return "promising";
		case AML_VERDICT_STRONG:
			return "strong";
	}
	return "unknown";
}

double
aml_assess_perfect(const char *metric)
{
	int			hib = aml_metric_higher_is_better(metric);

	if (hib < 0)
		return NAN;
	return hib ? 1.0 : 0.0;
}

double
aml_assess_lift(const char *metric, double score, double baseline)
{
	double		perfect = aml_assess_perfect(metric);
	double		gap = perfect - baseline;

	if (!isfinite(score) || !isfinite(baseline) || !isfinite(perfect) || fabs(gap) < 1e-12)
		return NAN;
	return (score - baseline) / gap;
}

aml_verdict
aml_assess_verdict(const aml_assess_facts *f)
{
	int			beats;

	if (f->rows_usable < AML_ASSESS_MIN_ROWS || f->n_leaks > 0 ||
		!isfinite(f->score) || !isfinite(f->baseline))
		return AML_VERDICT_DATA_NOT_READY;
	/* the whole interval must lie on the better side of the baseline */
	if (f->higher_is_better)
		beats = isfinite(f->score_low) && f->score_low > f->baseline;
	else
		beats = isfinite(f->score_high) && f->score_high < f->baseline;
	if (!beats || !(f->lift > 0))
		return AML_VERDICT_NOT_APPLICABLE;
	if (f->lift >= AML_ASSESS_STRONG)
		return AML_VERDICT_STRONG;
	if (f->lift >= AML_ASSESS_PROMISING)
		return AML_VERDICT_PROMISING;
	return AML_VERDICT_WEAK;
}

aml_status
aml_assess_bootstrap(aml_env *env, const char *metric, aml_task task,
					 int n_classes, int64_t n, const double *y,
					 const double *pred, const double *base_pred,
					 int n_resamples, uint64_t seed, double out[6],
					 int *used, aml_error *err)
{
	int			no = aml_task_outputs(task, n_classes);
	double	   *ys = NULL,
			   *ps = NULL,
			   *bs = NULL,
			   *sv = NULL,
			   *bv = NULL,
			   *lv = NULL;
	int			k = 0;
	aml_rng		rng;
	aml_status	st = AML_OK;

	for (int i = 0; i < 6; i++)
		out[i] = NAN;
	*used = 0;
	if (n <= 0 || n_resamples <= 0)
		return AML_OK;
	ys = aml_malloc(env, (size_t) n * sizeof(double));
	ps = aml_malloc(env, (size_t) n * no * sizeof(double));
	bs = aml_malloc(env, (size_t) n * no * sizeof(double));
	sv = aml_malloc(env, (size_t) n_resamples * sizeof(double));
	bv = aml_malloc(env, (size_t) n_resamples * sizeof(double));
	lv = aml_malloc(env, (size_t) n_resamples * sizeof(double));
	if (!ys || !ps || !bs || !sv || !bv || !lv)
	{
		st = aml_oom(env, err, (size_t) n * no * 24);
		goto done;
	}
	aml_rng_seed(&rng, seed ^ 0xb0075ULL);
	for (int b = 0; b < n_resamples; b++)
	{
		double		s,
					bsc = NAN;

		for (int64_t i = 0; i < n; i++)
		{
			int64_t		r = (int64_t) aml_rng_below(&rng, (uint64_t) n);

			ys[i] = y[r];
			memcpy(ps + i * no, pred + r * no, (size_t) no * sizeof(double));
			if (base_pred)
				memcpy(bs + i * no, base_pred + r * no, (size_t) no * sizeof(double));
		}
		s = aml_metric_compute(metric, task, n_classes, n, ys, ps);
		if (base_pred)
			bsc = aml_metric_compute(metric, task, n_classes, n, ys, bs);
		if (!isfinite(s) || (base_pred && !isfinite(bsc)))
			continue;			/* undefined on this resample */
		sv[k] = s;
		bv[k] = bsc;
		lv[k] = aml_assess_lift(metric, s, bsc);
		k++;
		if ((b & 15) == 15 && aml_check_cancel(env))
		{
			if (env->deadline_hit)
			{
				/* the budget, not the user: keep what was drawn */
				__atomic_store_n(&env->cancel_flag, 0, __ATOMIC_RELAXED);
				env->deadline_hit = 0;
				break;
			}
			st = aml_set_error(err, AML_ECANCELED, "automl training was canceled");
			goto done;
		}
	}
	*used = k;
	if (k > 0)
	{
		int			kl = 0;

		qsort(sv, (size_t) k, sizeof(double), aml_cmp_double);
		out[0] = percentile(sv, k, 0.025);
		out[1] = percentile(sv, k, 0.975);
		if (base_pred)
		{
			qsort(bv, (size_t) k, sizeof(double), aml_cmp_double);
			out[2] = percentile(bv, k, 0.025);
			out[3] = percentile(bv, k, 0.975);
			for (int i = 0; i < k; i++)
				if (isfinite(lv[i]))
					lv[kl++] = lv[i];
			qsort(lv, (size_t) kl, sizeof(double), aml_cmp_double);
			out[4] = percentile(lv, kl, 0.025);
			out[5] = percentile(lv, kl, 0.975);
		}
	}
done:
	aml_free(env, ys);
	aml_free(env, ps);
	aml_free(env, bs);
	aml_free(env, sv);
	aml_free(env, bv);
	aml_free(env, lv);
	return st;
}

double
aml_assess_slope(int n, const double *rows, const double *lift)
{
	double		sx = 0,
				sy = 0,
				sxx = 0,
				sxy = 0;
	int			k = 0;

	for (int i = 0; i < n; i++)
	{
		double		x;

		if (!isfinite(lift[i]) || !(rows[i] > 0))
			continue;
		x = log2(rows[i]);
		sx += x;
		sy += lift[i];
		sxx += x * x;
		sxy += x * lift[i];
		k++;
	}
	if (k < 2 || fabs(k * sxx - sx * sx) < 1e-12)
		return NAN;
	return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

/* ---------------------------------------------------------------- readiness */

static uint64_t
mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

/* cell_bits is a hashable image of one cell (every NaN the same) */
static uint64_t
cell_bits(const aml_fcol *fc, int64_t r)
{
	double		v;
	uint64_t	b;

	if (fc->kind == AML_COL_CATEGORICAL)
		return fc->code[r] < 0 ? UINT64_MAX : (uint64_t) fc->code[r];
	v = fc->kind == AML_COL_NUMERIC ? (double) fc->num[r] : fc->dt[r];
	if (isnan(v))
		return UINT64_MAX - 1;
	if (v == 0)
		v = 0;					/* -0 == 0 */
	memcpy(&b, &v, sizeof(b));
	return b;
}

typedef struct row_hash
{
	uint64_t	hf;				/* used columns */
	uint64_t	hy;				/* target */
} row_hash;

static int
cmp_row_hash(const void *a, const void *b)
{
	const row_hash *x = a,
			   *y = b;

	if (x->hf != y->hf)
		return x->hf < y->hf ? -1 : 1;
	if (x->hy != y->hy)
		return x->hy < y->hy ? -1 : 1;
	return 0;
}

/*
 * readiness profiles the frame over every row: target NULLs, class counts,
 * per column missing values, distinct values and why it is not used, and
 * rows duplicated in every used column (with the same or another target).
 */
static aml_status
readiness(assess_ctx *a)
{
	const aml_diag_input *di = a->di;
	const aml_frame *f = a->f;
	const aml_model *m = a->m;
	aml_env    *env = a->env;
	int64_t		n = f->n_rows;
	int			tcol = di->opts->target_col;
	int			k = 0;
	double	   *vals = NULL;
	row_hash   *rh = NULL;
	int64_t		nh = 0;

	for (int64_t r = 0; r < n; r++)
	{
		if (isnan(di->frame_y[r]))
			a->target_nulls++;
		else
		{
			a->usable++;
			if (a->class_count && di->frame_y[r] >= 0 && di->frame_y[r] < di->n_classes)
				a->class_count[(int) di->frame_y[r]]++;
		}
	}

	a->cols = aml_calloc(env, (size_t) (f->n_cols ? f->n_cols : 1), sizeof(col_info));
	vals = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(double));
	if (a->cols == NULL || vals == NULL)
	{
		aml_free(env, vals);
		return aml_oom(env, a->err, (size_t) n * 8);
	}
	for (int col = 0; col < f->n_cols; col++)
	{
		const aml_fcol *fc = &f->cols[col];
		col_info   *ci;
		int64_t		nonmissing = 0;
		int			excluded = 0;

		if (col == tcol)
			continue;
		ci = &a->cols[k++];
		ci->col = col;
		ci->input = -1;
		ci->alone = NAN;
		for (int i = 0; i < m->n_inputs; i++)
			if (strcmp(m->inputs[i].name, fc->name) == 0)
				ci->input = i;
		for (int e = 0; e < di->opts->n_exclude; e++)
			excluded |= di->opts->exclude[e] == col;
		if (fc->kind == AML_COL_CATEGORICAL)
		{
			int64_t    *cnt = aml_calloc(env, (size_t) fc->n_levels + 1, sizeof(int64_t));

			if (cnt == NULL)
			{
				aml_free(env, vals);
				return aml_oom(env, a->err, (size_t) fc->n_levels * 8);
			}
			for (int64_t r = 0; r < n; r++)
				if (fc->code[r] >= 0)
				{
					if (cnt[fc->code[r]]++ == 0)
						ci->distinct++;
					nonmissing++;
				}
			for (int l = 0; l < fc->n_levels; l++)
				if (cnt[l] > 0 && cnt[l] < RARE_COUNT)
					ci->rare_rows += cnt[l];
			aml_free(env, cnt);
		}
		else
		{
			int64_t		m2 = 0;

			for (int64_t r = 0; r < n; r++)
			{
				double		v = fc->kind == AML_COL_NUMERIC ? (double) fc->num[r] : fc->dt[r];

				if (!isnan(v))
					vals[m2++] = v;
			}
			nonmissing = m2;
			qsort(vals, (size_t) m2, sizeof(double), aml_cmp_double);
			for (int64_t i = 0; i < m2; i++)
				ci->distinct += i == 0 || vals[i] != vals[i - 1];
		}
		ci->missing = n - nonmissing;
		if (ci->input < 0)
			ci->reason = excluded ? "excluded" : nonmissing == 0 ? "all_missing" :
				ci->distinct == 1 ? "constant" : "id_like";
		ci->high_card = ci->input >= 0 && fc->kind == AML_COL_CATEGORICAL &&
			ci->distinct >= HIGH_CARD && (double) ci->rare_rows >= 0.1 * (double) nonmissing;
	}
	a->n_cols = k;
	aml_free(env, vals);

	/* duplicates over the used columns, among rows with a target */
	rh = aml_malloc(env, (size_t) (a->usable ? a->usable : 1) * sizeof(row_hash));
	if (rh == NULL)
		return aml_oom(env, a->err, (size_t) a->usable * sizeof(row_hash));
	for (int64_t r = 0; r < n; r++)
	{
		uint64_t	h = 0x12345;
		double		yv = di->frame_y[r];

		if (isnan(yv))
			continue;
		for (int c = 0; c < a->n_cols; c++)
			if (a->cols[c].input >= 0)
				h = mix64(h, cell_bits(&f->cols[a->cols[c].col], r));
		rh[nh].hf = h;
		memcpy(&rh[nh].hy, &yv, sizeof(uint64_t));
		nh++;
	}
	qsort(rh, (size_t) nh, sizeof(row_hash), cmp_row_hash);
	for (int64_t i = 0; i < nh;)
	{
		int64_t		j = i;
		int			targets = 0;

		while (j < nh && rh[j].hf == rh[i].hf)
		{
			if (j == i || rh[j].hy != rh[j - 1].hy)
				targets++;
			else
				a->duplicates++;	/* same used columns and target */
			j++;
		}
		if (targets > 1)
			a->conflicting += j - i;
		i = j;
	}
	aml_free(env, rh);
	return AML_OK;
}

/* ---------------------------------------------------------------- fits */

/*
 * fit_cut runs one fit under the writer's deadline.  Returns AML_OK with
 * *cut set when the budget stopped it; other failures (the user's cancel)
 * are returned.
 */
static aml_status
fit_cut(assess_ctx *a, const aml_learner_ops *ops, const aml_fit_input *in,
		const aml_params *p, void **state, int *cut)
{
	aml_env    *env = a->env;
	aml_status	st;

	*cut = 0;
	*state = NULL;
	env->deadline = isfinite(a->deadline) ? a->deadline : 0;
	env->deadline_hit = 0;
	st = aml_fit_params(env, ops, in, p, state, a->err);
	env->deadline = 0;
	if (st == AML_ECANCELED && env->deadline_hit)
	{
		__atomic_store_n(&env->cancel_flag, 0, __ATOMIC_RELAXED);
		env->deadline_hit = 0;
		memset(a->err, 0, sizeof(*a->err));
		*cut = 1;
		*state = NULL;
		return AML_OK;
	}
	return st;
}

/*
 * sample_train returns the first k training rows of a seeded permutation,
 * sorted (nested: a smaller k is a subset of a larger one).
 */
static int64_t *
sample_train(assess_ctx *a, const int64_t *perm, int64_t k)
{
	int64_t    *s = aml_malloc(a->env, (size_t) (k ? k : 1) * sizeof(int64_t));

	if (s == NULL)
		return NULL;
	memcpy(s, perm, (size_t) k * sizeof(int64_t));
	qsort(s, (size_t) k, sizeof(int64_t), aml_cmp_i64);
	return s;
}

/*
 * leakage fits a small decision tree on each input column alone (its base
 * features) on the training rows and scores it on the test rows: AUC
 * (binary), R² (regression) or accuracy (multiclass).
 */
static aml_status
leakage(assess_ctx *a, const int64_t *perm)
{
	const aml_diag_input *di = a->di;
	aml_env    *env = a->env;
	const aml_model *m = a->m;
	int64_t		nfit = di->n_train < LEAK_MAX_ROWS ? di->n_train : LEAK_MAX_ROWS;
	int64_t    *fit_rows = NULL;
	double	   *out = NULL;
	double		base_acc = NAN;
	aml_params	p;
	aml_status	st = AML_OK;

	a->leak_metric = di->task == AML_TASK_BINARY ? "roc_auc" :
		di->task == AML_TASK_REGRESSION ? "r2" : "accuracy";
	a->leak_total = m->n_inputs;
	/* on a handful of rows a perfect single column is luck, not leakage */
	if (di->n < LEAK_MIN_TEST || di->n_train <= 0 || a->usable < AML_ASSESS_MIN_ROWS)
		return AML_OK;
	if (di->task == AML_TASK_MULTICLASS)
		base_acc = aml_metric_compute("accuracy", di->task, di->n_classes, di->n, di->y, di->base_pred);
	fit_rows = nfit == di->n_train ? sample_train(a, di->train_rows, nfit) : sample_train(a, perm, nfit);
	out = aml_malloc(env, (size_t) di->n * di->n_out * sizeof(double));
	if (fit_rows == NULL || out == NULL)
	{
		st = aml_oom(env, a->err, (size_t) di->n * di->n_out * 8);
		goto done;
	}
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", LEAK_DEPTH);
	aml_params_set(&p, "min_samples_leaf", 5);

	for (int c = 0; c < a->n_cols; c++)
	{
		col_info   *ci = &a->cols[c];
		const aml_input *in;
		aml_dataset ds1;
		aml_fit_input fi;
		void	   *state = NULL;
		int			cut = 0;

		if (ci->input < 0)
			continue;
		if (aml_now() >= a->deadline)
		{
			a->budget_short = 1;
			break;
		}
		in = &m->inputs[ci->input];
		ds1.n_rows = di->ds->n_rows;
		ds1.n_feat = in->n_feat;
		ds1.col = di->ds->col + in->feat_start;
		ds1.kind = di->ds->kind + in->feat_start;
		ds1.n_levels = di->ds->n_levels + in->feat_start;
		ds1.n_gen = 0;
		memset(&fi, 0, sizeof(fi));
		fi.ds = &ds1;
		fi.y = di->frame_y;
		fi.rows = fit_rows;
		fi.n_rows = nfit;
		fi.task = di->task;
		fi.n_classes = di->task == AML_TASK_REGRESSION ? 0 : di->n_classes;
		fi.seed = di->opts->seed;
		st = fit_cut(a, &aml_tree_ops, &fi, &p, &state, &cut);
		if (st != AML_OK)
			goto done;
		if (cut)
		{
			a->budget_short = 1;
			break;
		}
		aml_tree_ops.predict(state, &ds1, di->rows, di->n, out);
		aml_tree_ops.free_state(env, state);
		ci->alone = aml_metric_compute(a->leak_metric, di->task, di->n_classes, di->n, di->y, out);
		ci->leak = ci->alone >= AML_ASSESS_LEAK &&
			!(di->task == AML_TASK_MULTICLASS && !(base_acc < AML_ASSESS_LEAK));
		a->n_leaks += ci->leak;
		a->leak_checked++;
	}
done:
	aml_free(env, fit_rows);
	aml_free(env, out);
	return st;
}

/*
 * learning_curve refits the chosen configuration (every ensemble member)
 * on nested samples of 1/8, 1/4 and 1/2 of the training rows and scores
 * each on the test split; the last point is the model itself.
 */
static aml_status
learning_curve(assess_ctx *a, const int64_t *perm)
{
	const aml_diag_input *di = a->di;
	aml_env    *env = a->env;
	const aml_model *m = a->m;
	int64_t		nt = di->n;
	int			no = di->n_out;
	double	   *out = NULL,
			   *tmp = NULL;
	aml_status	st = AML_OK;
	static const double fracs[CURVE_POINTS] = {0.125, 0.25, 0.5, 1.0};
	double		last_secs = 0;

	for (int p = 0; p < CURVE_POINTS; p++)
	{
		a->curve[p].fraction = fracs[p];
		a->curve[p].rows = p == CURVE_POINTS - 1 ? di->n_train :
			(int64_t) floor((double) di->n_train * fracs[p]);
		a->curve[p].score = NAN;
		a->curve[p].lift = NAN;
		a->curve[p].seconds = NAN;
	}
	if (nt <= 0)
		return AML_OK;
	a->curve[CURVE_POINTS - 1].score = aml_report_test_score(di->report);
	a->curve[CURVE_POINTS - 1].lift = aml_assess_lift(di->metric, a->curve[CURVE_POINTS - 1].score,
													  aml_report_baseline_score(di->report));
	out = aml_malloc(env, (size_t) nt * no * sizeof(double));
	tmp = aml_malloc(env, (size_t) nt * no * sizeof(double));
	if (out == NULL || tmp == NULL)
	{
		st = aml_oom(env, a->err, (size_t) nt * no * 16);
		goto done;
	}
	for (int p = 0; p < CURVE_POINTS - 1; p++)
	{
		curve_point *cp = &a->curve[p];
		int64_t    *rows;
		double		t0 = aml_now();
		int			cut = 0;

		if (cp->rows < 10)
			continue;			/* too few rows to learn anything */
		/* stop when the next fit (about twice the last) cannot finish */
		if (t0 >= a->deadline || t0 + 2 * last_secs > a->deadline)
		{
			a->budget_short = 1;
			break;
		}
		rows = sample_train(a, perm, cp->rows);
		if (rows == NULL)
		{
			st = aml_oom(env, a->err, (size_t) cp->rows * 8);
			goto done;
		}
		for (int64_t k = 0; k < nt * no; k++)
			out[k] = 0;
		for (int e = 0; e < m->n_members && !cut; e++)
		{
			const aml_member *mb = &m->members[e];
			aml_fit_input fi;
			void	   *state = NULL;

			memset(&fi, 0, sizeof(fi));
			fi.ds = di->ds;
			fi.y = di->frame_y;
			fi.rows = rows;
			fi.n_rows = cp->rows;
			fi.task = di->task;
			fi.n_classes = di->task == AML_TASK_REGRESSION ? 0 : di->n_classes;
			fi.seed = di->opts->seed;
			st = fit_cut(a, mb->ops, &fi, &mb->params, &state, &cut);
			if (st != AML_OK)
			{
				aml_free(env, rows);
				goto done;
			}
			if (cut)
				break;
			{
				aml_member	fitted = *mb;

				fitted.state = state;
				aml_member_predict(&fitted, no, di->ds, di->rows, nt, tmp);
			}
			mb->ops->free_state(env, state);
			for (int64_t k = 0; k < nt * no; k++)
				out[k] += (m->n_members == 1 ? 1.0 : mb->weight) * tmp[k];
		}
		aml_free(env, rows);
		if (cut)
		{
			a->budget_short = 1;
			break;
		}
		cp->score = aml_metric_compute(di->metric, di->task, di->n_classes, nt, di->y, out);
		cp->lift = aml_assess_lift(di->metric, cp->score, aml_report_baseline_score(di->report));
		cp->seconds = aml_now() - t0;
		last_secs = cp->seconds;
	}
	{
		double		rws[CURVE_POINTS - 1],
					lf[CURVE_POINTS - 1];

		/* the slope over the last three points: 1/4, 1/2, all */
		for (int p = 1; p < CURVE_POINTS; p++)
		{
			rws[p - 1] = (double) a->curve[p].rows;
			lf[p - 1] = a->curve[p].lift;
		}
		a->slope = isfinite(a->curve[CURVE_POINTS - 2].lift) ?
			aml_assess_slope(CURVE_POINTS - 1, rws, lf) : NAN;
	}
done:
	aml_free(env, out);
	aml_free(env, tmp);
	return st;
}

/* ---------------------------------------------------------------- split */

/* time_value is row i's value of the column ordering a time split. */
static double
time_value(const aml_fcol *fc, int64_t i)
{
	return fc->kind == AML_COL_DATETIME ? fc->dt[i] : (double) fc->num[i];
}

/*
 * fmt_time writes a time-split column's value as the user typed it: a date,
 * a timestamp (seconds since 2000-01-01) or a number.
 */
static const char *
fmt_time(char *buf, size_t cap, const aml_fcol *fc, double v)
{
	if (!isfinite(v))
		snprintf(buf, cap, "none");
	else if (fc->kind != AML_COL_DATETIME)
		snprintf(buf, cap, "%.10g", v);
	else
	{
		double		sod = v - floor(v / 86400.0) * 86400.0;

		snprintf(buf, cap, "%04d-%02d-%02d",
				 (int) aml_dt_part_value(v, AML_DT_YEAR), (int) aml_dt_part_value(v, AML_DT_MONTH),
				 (int) aml_dt_part_value(v, AML_DT_DAY));
		if (fc->has_time)
			snprintf(buf + strlen(buf), cap - strlen(buf), " %02d:%02d:%02d",
					 (int) (sod / 3600), (int) fmod(sod / 60, 60), (int) fmod(sod, 60));
	}
	return buf;
}

/* time_split_col is the frame column ordering the split, or NULL. */
static const aml_fcol *
time_split_col(const assess_ctx *a)
{
	int			tc = a->di->report->time_col;

	return tc >= 0 ? &a->f->cols[tc] : NULL;
}

/*
 * json_split writes "split": how the rows were divided into training and
 * test rows, and how the search validated.
 */
static void
json_split(assess_ctx *a, aml_json *j)
{
	const aml_diag_input *di = a->di;
	const aml_fcol *tc = time_split_col(a);
	int			folds = di->report->val_folds;
	char		buf[64];

	aml_json_key(j, "split");
	aml_json_begin_obj(j);
	aml_json_key(j, "kind");
	aml_json_str(j, tc ? "time" : di->task == AML_TASK_REGRESSION ? "random" : "stratified");
	aml_json_key(j, "test_fraction");
	aml_json_num(j, di->opts->test_fraction);
	aml_json_key(j, "train_rows");
	aml_json_int(j, di->n_train);
	aml_json_key(j, "test_rows");
	aml_json_int(j, di->n);
	if (tc)
	{
		double		lo = INFINITY,
					hi = -INFINITY;

		for (int64_t r = 0; r < di->n; r++)
		{
			lo = fmin(lo, time_value(tc, di->rows[r]));
			hi = fmax(hi, time_value(tc, di->rows[r]));
		}
		aml_json_key(j, "time_column");
		aml_json_str(j, tc->name);
		aml_json_key(j, "test_from");
		aml_json_str(j, fmt_time(buf, sizeof(buf), tc, lo));
		aml_json_key(j, "test_to");
		aml_json_str(j, fmt_time(buf, sizeof(buf), tc, hi));
		aml_json_key(j, "rows_without_time");
		aml_json_int(j, di->report->time_missing);
		aml_json_key(j, "validation");
		if (folds > 1)
			snprintf(a->tmp, sizeof(a->tmp), "forward in time: the training rows in \"%s\" order form %d blocks; each of %d folds fits on the blocks before it and validates on the next", tc->name, folds + 1, folds);
		else
			snprintf(a->tmp, sizeof(a->tmp), "one split forward in time: fit on the earlier training rows, validate on the latest fifth");
		aml_json_str(j, a->tmp);
	}
	else
	{
		aml_json_key(j, "validation");
		if (folds > 1)
			snprintf(a->tmp, sizeof(a->tmp), "%d-fold cross-validation", folds);
		else
			snprintf(a->tmp, sizeof(a->tmp), "one random validation split (a fifth of the training rows)");
		aml_json_str(j, a->tmp);
	}
	aml_json_end_obj(j);
}

/* ---------------------------------------------------------------- sentences */

/*
 * explain writes the reasons (why this verdict) and the warnings (what in
 * the data deserves a look), in sentences an analyst reads.
 */
static void
explain(assess_ctx *a, aml_verdict v, double score, double base)
{
	const aml_diag_input *di = a->di;
	const char *metric = di->metric;
	const char *algo = aml_algo_name(a->m->algo);
	const char *what = di->task == AML_TASK_REGRESSION ? "always predicting the training mean" :
		"always predicting the training class frequencies";
	char		s1[32],
				s2[32],
				s3[32],
				s4[32];
	int64_t		n_test = di->n;

	/* reasons */
	if (a->usable < AML_ASSESS_MIN_ROWS)
		msg_add(a, &a->reasons, "Only %lld rows have a target; an honest assessment needs at least %d (a test split the search never sees, and enough rows left to learn from).",
				(long long) a->usable, AML_ASSESS_MIN_ROWS);
	for (int c = 0; c < a->n_cols; c++)
		if (a->cols[c].leak)
			msg_add(a, &a->reasons, "Column \"%s\" alone predicts \"%s\" almost perfectly on held-out rows (%s %s): it probably leaks the answer, so the result is not trustworthy while it is in. Exclude it (exclude => ARRAY['%s']) and assess again.",
					a->f->cols[a->cols[c].col].name, a->target, a->leak_metric,
					fmt_score(s1, sizeof(s1), "r2", a->cols[c].alone), a->f->cols[a->cols[c].col].name);
	if (!isfinite(score) || !isfinite(base))
	{
		if (n_test <= 0)
			msg_add(a, &a->reasons, "There is no test split to score on.");
		else
			msg_add(a, &a->reasons, "The test score is undefined on the %lld test rows (for example, they hold one class only).",
					(long long) n_test);
		return;
	}
	if (time_split_col(a))
		snprintf(a->tmp, sizeof(a->tmp), " (the latest by \"%s\")", time_split_col(a)->name);
	else
		a->tmp[0] = '\0';
	msg_add(a, &a->reasons, "On %lld held-out rows%s the best model (%s) reaches %s %s (95%% interval %s to %s); %s gives %s.",
			(long long) n_test, a->tmp, algo, metric, fmt_score(s1, sizeof(s1), metric, score),
			fmt_score(s2, sizeof(s2), metric, a->iv[0]), fmt_score(s3, sizeof(s3), metric, a->iv[1]),
			what, fmt_score(s4, sizeof(s4), metric, base));
	switch (v)
	{
		case AML_VERDICT_NOT_APPLICABLE:
			msg_add(a, &a->reasons, "The interval does not lie clear of the baseline: with these columns, machine learning does not predict \"%s\" reliably better than the baseline. More informative columns might change that; more rows of the same kind are unlikely to.",
					a->target);
			break;
		case AML_VERDICT_WEAK:
			msg_add(a, &a->reasons, "It closes only %.0f%% of the gap between the baseline and a perfect score: a real but weak signal (promising needs %.0f%%).",
					100 * a->lift, 100 * AML_ASSESS_PROMISING);
			break;
		case AML_VERDICT_PROMISING:
			msg_add(a, &a->reasons, "It closes %.0f%% of the gap between the baseline and a perfect score: promising (%.0f%% or more), not yet strong (%.0f%% or more).",
					100 * a->lift, 100 * AML_ASSESS_PROMISING, 100 * AML_ASSESS_STRONG);
			break;
		case AML_VERDICT_STRONG:
			msg_add(a, &a->reasons, "It closes %.0f%% of the gap between the baseline and a perfect score: strong (%.0f%% or more).",
					100 * a->lift, 100 * AML_ASSESS_STRONG);
			break;
		case AML_VERDICT_DATA_NOT_READY:
			break;
	}
	if (v != AML_VERDICT_NOT_APPLICABLE && isfinite(a->slope))
	{
		if (a->slope >= AML_ASSESS_MORE_DATA)
			msg_add(a, &a->reasons, "The learning curve still rises (%s %s on half the training rows, %s on all): more rows would likely help.",
					metric, fmt_score(s1, sizeof(s1), metric, a->curve[CURVE_POINTS - 2].score),
					fmt_score(s2, sizeof(s2), metric, a->curve[CURVE_POINTS - 1].score));
		else
			msg_add(a, &a->reasons, "The learning curve is flat (%s %s on half the training rows, %s on all): more rows of the same kind are unlikely to help much.",
					metric, fmt_score(s1, sizeof(s1), metric, a->curve[CURVE_POINTS - 2].score),
					fmt_score(s2, sizeof(s2), metric, a->curve[CURVE_POINTS - 1].score));
	}
}

static void
warn(assess_ctx *a)
{
	const aml_diag_input *di = a->di;
	int64_t		n = a->f->n_rows;

	for (int c = 0; c < a->n_cols; c++)
		if (a->cols[c].leak)
			msg_add(a, &a->warnings, "Column \"%s\" alone reaches %s %.3f on held-out rows: a leakage suspect.",
					a->f->cols[a->cols[c].col].name, a->leak_metric, a->cols[c].alone);
	if (a->target_nulls > 0)
		msg_add(a, &a->warnings, "%lld of %lld rows have no target (NULL) and were not used.",
				(long long) a->target_nulls, (long long) n);
	if (a->class_count)
	{
		int			mi = 0;

		for (int k = 1; k < di->n_classes; k++)
			if (a->class_count[k] < a->class_count[mi])
				mi = k;
		if (a->class_count[mi] < MINORITY_WARN)
			msg_add(a, &a->warnings, "The rarest class, \"%s\", has only %lld rows: scores that depend on it rest on few examples.",
					a->m->class_labels[mi], (long long) a->class_count[mi]);
	}
	if (di->n > 0 && di->n < SMALL_TEST)
		msg_add(a, &a->warnings, "The test split has only %lld rows: the interval is wide.", (long long) di->n);
	for (int c = 0; c < a->n_cols; c++)
	{
		const col_info *ci = &a->cols[c];
		const aml_fcol *fc = &a->f->cols[ci->col];

		if (ci->reason && strcmp(ci->reason, "excluded") != 0)
			msg_add(a, &a->warnings, "Column \"%s\" is not used: %s.", fc->name,
					strcmp(ci->reason, "id_like") == 0 ? "it looks like an identifier (unique per row)" :
					strcmp(ci->reason, "constant") == 0 ? "it has a single value" :
					"it is NULL in every row");
		else if (ci->input >= 0 && n > 0 && (double) ci->missing >= MISSING_WARN * (double) n)
			msg_add(a, &a->warnings, "Column \"%s\" is missing in %.0f%% of the rows.", fc->name,
					100.0 * (double) ci->missing / (double) n);
		if (ci->high_card)
			msg_add(a, &a->warnings, "Column \"%s\" has %lld distinct values; those seen fewer than %d times (%lld rows) are pooled into \"other\".",
					fc->name, (long long) ci->distinct, RARE_COUNT, (long long) ci->rare_rows);
		if (ci->input >= 0 && fc->kind == AML_COL_DATETIME && time_split_col(a) == NULL)
			msg_add(a, &a->warnings, "Column \"%s\" is a %s: the test split is random, so the model learns from rows dated after some it is tested on. If \"%s\" drifts over time, the score is optimistic for future rows; options => '{\"time_column\": \"%s\"}' tests on the latest rows instead.",
					fc->name, fc->has_time ? "timestamp" : "date", a->target, fc->name);
	}
	if (time_split_col(a) && di->report->time_missing > 0)
		msg_add(a, &a->warnings, "%lld rows have no \"%s\": they are always trained on, never tested or validated.",
				(long long) di->report->time_missing, time_split_col(a)->name);
	if (a->usable > 0 && (double) a->duplicates >= DUPLICATE_WARN * (double) a->usable)
		msg_add(a, &a->warnings, "%lld rows (%.0f%%) repeat another row in every used column and the target: copies on both sides of the split flatter the test score.",
				(long long) a->duplicates, 100.0 * (double) a->duplicates / (double) a->usable);
	if (a->usable > 0 && (double) a->conflicting >= DUPLICATE_WARN * (double) a->usable)
		msg_add(a, &a->warnings, "%lld rows share every used column with a row of another target: no model can tell them apart.",
				(long long) a->conflicting);
	if (a->budget_short)
		msg_add(a, &a->warnings, "The budget ran out before every check was done (leakage: %d of %d columns; learning curve: %s); a larger budget completes them.",
				a->leak_checked, a->leak_total, isfinite(a->slope) ? "complete" : "incomplete");
}

/* ---------------------------------------------------------------- json */

static void
json_msgs(aml_json *j, const char *key, const msg_list *l)
{
	aml_json_key(j, key);
	aml_json_begin_arr(j);
	for (int i = 0; i < l->n; i++)
		aml_json_str(j, l->s[i]);
	aml_json_end_arr(j);
}

static void
json_pair(aml_json *j, const char *key, double lo, double hi)
{
	aml_json_key(j, key);
	aml_json_begin_arr(j);
	aml_json_num(j, round6(lo));
	aml_json_num(j, round6(hi));
	aml_json_end_arr(j);
}

static void
write_json(assess_ctx *a, aml_json *j, aml_verdict v, double score, double base)
{
	const aml_diag_input *di = a->di;
	const aml_frame *f = a->f;
	int64_t		n = f->n_rows;

	aml_json_key(j, "assessment");
	aml_json_begin_obj(j);
	aml_json_key(j, "verdict");
	aml_json_str(j, aml_verdict_name(v));
	json_msgs(j, "reasons", &a->reasons);
	json_msgs(j, "warnings", &a->warnings);
	aml_json_key(j, "task");
	aml_json_str(j, aml_task_name(di->task));
	aml_json_key(j, "metric");
	aml_json_str(j, di->metric);
	aml_json_key(j, "higher_is_better");
	aml_json_bool(j, di->higher_is_better);
	aml_json_key(j, "score");
	aml_json_num(j, round6(score));
	aml_json_key(j, "baseline");
	aml_json_num(j, round6(base));
	aml_json_key(j, "lift");
	aml_json_num(j, round6(a->lift));
	aml_json_key(j, "score_low");
	aml_json_num(j, round6(a->iv[0]));
	aml_json_key(j, "score_high");
	aml_json_num(j, round6(a->iv[1]));
	aml_json_key(j, "more_data_helps");
	if (isfinite(a->slope))
		aml_json_bool(j, a->slope >= AML_ASSESS_MORE_DATA);
	else
		aml_json_null(j);
	aml_json_key(j, "rows_usable");
	aml_json_int(j, a->usable);

	aml_json_key(j, "model");
	aml_json_begin_obj(j);
	aml_json_key(j, "algorithm");
	aml_json_str(j, aml_algo_name(a->m->algo));
	aml_json_key(j, "members");
	aml_json_int(j, a->m->n_members);
	aml_json_key(j, "candidates");
	aml_json_int(j, aml_report_n_candidates(di->report));
	aml_json_end_obj(j);

	json_split(a, j);

	aml_json_key(j, "interval");
	aml_json_begin_obj(j);
	aml_json_key(j, "level");
	aml_json_num(j, 0.95);
	aml_json_key(j, "method");
	aml_json_str(j, "percentile bootstrap of the test rows; model and baseline scored on the same resamples");
	aml_json_key(j, "resamples");
	aml_json_int(j, a->resamples_used);
	aml_json_key(j, "seed");
	aml_json_int(j, (int64_t) di->opts->seed);
	json_pair(j, "score", a->iv[0], a->iv[1]);
	json_pair(j, "baseline", a->iv[2], a->iv[3]);
	json_pair(j, "lift", a->iv[4], a->iv[5]);
	aml_json_end_obj(j);

	aml_json_key(j, "learning_curve");
	aml_json_begin_obj(j);
	aml_json_key(j, "points");
	aml_json_begin_arr(j);
	for (int p = 0; p < CURVE_POINTS; p++)
	{
		aml_json_begin_obj(j);
		aml_json_key(j, "fraction");
		aml_json_num(j, a->curve[p].fraction);
		aml_json_key(j, "rows");
		aml_json_int(j, a->curve[p].rows);
		aml_json_key(j, "score");
		aml_json_num(j, round6(a->curve[p].score));
		aml_json_key(j, "lift");
		aml_json_num(j, round6(a->curve[p].lift));
		aml_json_key(j, "seconds");
		aml_json_num(j, p == CURVE_POINTS - 1 ? NAN : round(a->curve[p].seconds * 1000) / 1000);
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	aml_json_key(j, "slope_per_doubling");
	aml_json_num(j, round6(a->slope));
	aml_json_key(j, "lift_if_doubled");
	aml_json_num(j, isfinite(a->slope) && isfinite(a->lift) ?
				 round6(fmin(1.0, a->lift + fmax(0.0, a->slope))) : NAN);
	aml_json_end_obj(j);

	aml_json_key(j, "leakage");
	aml_json_begin_obj(j);
	aml_json_key(j, "method");
	aml_json_str(j, "a decision tree (depth 6) on the column alone, fit on the training rows, scored on the test rows");
	aml_json_key(j, "metric");
	aml_json_str(j, a->leak_metric ? a->leak_metric : "");
	aml_json_key(j, "checked");
	aml_json_int(j, a->leak_checked);
	aml_json_key(j, "columns");
	aml_json_int(j, a->leak_total);
	aml_json_key(j, "suspects");
	aml_json_begin_arr(j);
	for (int c = 0; c < a->n_cols; c++)
		if (a->cols[c].leak)
			aml_json_str(j, f->cols[a->cols[c].col].name);
	aml_json_end_arr(j);
	aml_json_key(j, "alone");
	aml_json_begin_arr(j);
	for (int c = 0; c < a->n_cols; c++)
		if (isfinite(a->cols[c].alone))
		{
			aml_json_begin_obj(j);
			aml_json_key(j, "column");
			aml_json_str(j, f->cols[a->cols[c].col].name);
			aml_json_key(j, "score");
			aml_json_num(j, round6(a->cols[c].alone));
			aml_json_end_obj(j);
		}
	aml_json_end_arr(j);
	aml_json_end_obj(j);

	aml_json_key(j, "readiness");
	aml_json_begin_obj(j);
	aml_json_key(j, "rows");
	aml_json_int(j, n);
	aml_json_key(j, "rows_usable");
	aml_json_int(j, a->usable);
	aml_json_key(j, "target_nulls");
	aml_json_int(j, a->target_nulls);
	aml_json_key(j, "train_rows");
	aml_json_int(j, di->n_train);
	aml_json_key(j, "test_rows");
	aml_json_int(j, di->n);
	aml_json_key(j, "duplicate_rows");
	aml_json_int(j, a->duplicates);
	aml_json_key(j, "conflicting_rows");
	aml_json_int(j, a->conflicting);
	if (a->class_count)
	{
		int			mi = 0;

		aml_json_key(j, "classes");
		aml_json_begin_arr(j);
		for (int k = 0; k < di->n_classes; k++)
		{
			aml_json_begin_obj(j);
			aml_json_key(j, "label");
			aml_json_str(j, a->m->class_labels[k]);
			aml_json_key(j, "rows");
			aml_json_int(j, a->class_count[k]);
			aml_json_key(j, "share");
			aml_json_num(j, a->usable ? round6((double) a->class_count[k] / (double) a->usable) : NAN);
			aml_json_end_obj(j);
			if (a->class_count[k] < a->class_count[mi])
				mi = k;
		}
		aml_json_end_arr(j);
		aml_json_key(j, "minority_class");
		aml_json_str(j, a->m->class_labels[mi]);
		aml_json_key(j, "minority_rows");
		aml_json_int(j, a->class_count[mi]);
	}
	aml_json_key(j, "columns");
	aml_json_begin_arr(j);
	for (int c = 0; c < a->n_cols; c++)
	{
		const col_info *ci = &a->cols[c];
		const aml_fcol *fc = &f->cols[ci->col];

		aml_json_begin_obj(j);
		aml_json_key(j, "name");
		aml_json_str(j, fc->name);
		aml_json_key(j, "type");
		aml_json_str(j, fc->source_type);
		aml_json_key(j, "kind");
		aml_json_str(j, fc->kind == AML_COL_NUMERIC ? "numeric" :
					 fc->kind == AML_COL_CATEGORICAL ? "categorical" : "datetime");
		aml_json_key(j, "role");
		aml_json_str(j, ci->input >= 0 ? "feature" : "dropped");
		if (ci->reason)
		{
			aml_json_key(j, "reason");
			aml_json_str(j, ci->reason);
		}
		aml_json_key(j, "missing_rate");
		aml_json_num(j, n ? round6((double) ci->missing / (double) n) : 0.0);
		aml_json_key(j, "distinct");
		aml_json_int(j, ci->distinct);
		aml_json_key(j, "high_cardinality");
		aml_json_bool(j, ci->high_card);
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	aml_json_key(j, "date_columns");
	aml_json_begin_arr(j);
	for (int c = 0; c < a->n_cols; c++)
		if (a->cols[c].input >= 0 && f->cols[a->cols[c].col].kind == AML_COL_DATETIME)
			aml_json_str(j, f->cols[a->cols[c].col].name);
	aml_json_end_arr(j);
	aml_json_end_obj(j);

	aml_json_key(j, "thresholds");
	aml_json_begin_obj(j);
	aml_json_key(j, "min_rows");
	aml_json_int(j, AML_ASSESS_MIN_ROWS);
	aml_json_key(j, "promising_lift");
	aml_json_num(j, AML_ASSESS_PROMISING);
	aml_json_key(j, "strong_lift");
	aml_json_num(j, AML_ASSESS_STRONG);
	aml_json_key(j, "leakage_score");
	aml_json_num(j, AML_ASSESS_LEAK);
	aml_json_key(j, "more_data_lift_per_doubling");
	aml_json_num(j, AML_ASSESS_MORE_DATA);
	aml_json_key(j, "lift");
	aml_json_str(j, "(score - baseline) / (perfect - baseline): the share of the gap between the baseline and a perfect score the model closes");
	aml_json_key(j, "not_applicable");
	aml_json_str(j, "the 95% interval of the test score does not lie entirely on the better side of the baseline");
	aml_json_end_obj(j);

	aml_json_key(j, "budget_seconds");
	aml_json_num(j, di->opts->budget_seconds);
	aml_json_key(j, "budget_short");
	aml_json_bool(j, a->budget_short);
	aml_json_end_obj(j);
}

/* ---------------------------------------------------------------- writer */

/*
 * aml_diag_assess writes the "assessment" section: readiness, bootstrap
 * interval, leakage suspects, learning curve, verdict, reasons, warnings
 * and the thresholds behind them.
 */
aml_status
aml_diag_assess(aml_json *j, const aml_diag_input *di, aml_error *err)
{
	assess_ctx	a;
	aml_env    *env = di->env;
	int64_t    *perm = NULL;
	aml_status	st;
	double		score = NAN,
				base = NAN;
	aml_assess_facts facts;
	aml_verdict v;
	aml_rng		rng;

	memset(&a, 0, sizeof(a));
	a.di = di;
	a.env = env;
	a.err = err;
	a.m = di->model;
	a.f = di->frame;
	a.target = a.f->cols[di->opts->target_col].name;
	a.slope = NAN;
	a.lift = NAN;
	for (int i = 0; i < 6; i++)
		a.iv[i] = NAN;
	/* the budget covers the whole call, from aml_train's start */
	a.deadline = di->opts->budget_seconds > 0 ?
		aml_now() + (di->opts->budget_seconds - di->seconds) : INFINITY;
	if (di->task != AML_TASK_REGRESSION && di->n_classes > 0)
	{
		a.class_count = aml_calloc(env, (size_t) di->n_classes, sizeof(int64_t));
		if (a.class_count == NULL)
			return aml_oom(env, err, (size_t) di->n_classes * 8);
	}

	if ((st = readiness(&a)) != AML_OK)
		goto done;

	/* the interval: fewer resamples on large test splits (deterministic) */
	if (di->n > 0)
	{
		score = aml_report_test_score(di->report);
		base = aml_report_baseline_score(di->report);
		a.lift = aml_assess_lift(di->metric, score, base);
		a.resamples = di->n <= 20000 ? AML_ASSESS_RESAMPLES :
			(int) fmax(100.0, AML_ASSESS_RESAMPLES * 20000.0 / (double) di->n);
		env->deadline = isfinite(a.deadline) ? a.deadline : 0;
		st = aml_assess_bootstrap(env, di->metric, di->task, di->n_classes, di->n, di->y,
								  di->pred, di->base_pred, a.resamples, di->opts->seed,
								  a.iv, &a.resamples_used, err);
		env->deadline = 0;
		if (st != AML_OK)
			goto done;
		if (a.resamples_used < a.resamples && a.resamples_used > 0 && aml_now() >= a.deadline)
			a.budget_short = 1;
	}

	/* a seeded order of the training rows: samples are its prefixes */
	perm = aml_malloc(env, (size_t) (di->n_train ? di->n_train : 1) * sizeof(int64_t));
	if (perm == NULL)
	{
		st = aml_oom(env, err, (size_t) di->n_train * 8);
		goto done;
	}
	memcpy(perm, di->train_rows, (size_t) di->n_train * sizeof(int64_t));
	aml_rng_seed(&rng, di->opts->seed ^ 0xa55e55ULL);
	aml_rng_shuffle(&rng, perm, di->n_train);

	if ((st = leakage(&a, perm)) != AML_OK)
		goto done;
	if ((st = learning_curve(&a, perm)) != AML_OK)
		goto done;

	memset(&facts, 0, sizeof(facts));
	facts.rows_usable = a.usable;
	facts.n_leaks = a.n_leaks;
	facts.higher_is_better = di->higher_is_better;
	facts.score = score;
	facts.baseline = base;
	facts.score_low = a.iv[0];
	facts.score_high = a.iv[1];
	facts.lift = a.lift;
	v = aml_assess_verdict(&facts);
	explain(&a, v, score, base);
	warn(&a);
	if (a.oom)
	{
		st = aml_oom(env, err, 1024);
		goto done;
	}
	write_json(&a, j, v, score, base);
	aml_log(env, AML_LOG_INFO, "assessment: %s (%s %.4f, baseline %.4f)", aml_verdict_name(v),
			di->metric, score, base);

done:
	aml_free(env, perm);
	aml_free(env, a.class_count);
	aml_free(env, a.cols);
	msg_free(env, &a.reasons);
	msg_free(env, &a.warnings);
	return st;
}
