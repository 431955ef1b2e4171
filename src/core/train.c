/*-------------------------------------------------------------------------
 *
 * train.c
 *	  aml_train: target and task, test split (stratified at random, or the
 *	  latest rows of a time column), preprocessing fit on the training
 *	  rows, candidate evaluation by cross-validation or a validation split
 *	  (forward in time with a time column) under the time budget, refit of
 *	  the winner, and the report (leaderboard, metrics, column profile).
 *
 * Only the calling thread runs here; learners may start workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "diag.h"
#include "model.h"
#include "search.h"
#include "tree.h"

#define MAX_CLASSES			100
#define TEST_BLOCK			4096	/* test rows scored at a time */
#define AUTO_CLASS_LIMIT	20	/* integer targets with at most this many
								 * distinct values are classes */
#define MIN_LEVEL_COUNT		3	/* rarer categories pool into "other" */
#define MAX_KEPT_LEVELS		254
#define CV_MAX_ROWS			20000	/* above: one validation split */
#define CV_MAX_CLASS_ROWS	200000	/* multiclass: above this many training
									 * rows x classes, one validation split
									 * (a boosting round fits a tree per
									 * class) */

typedef struct train_ctx
{
	aml_env    *env;
	const aml_frame *frame;
	const aml_train_options *opts;
	aml_error  *err;
	aml_task	task;
	int			n_classes;
	int			n_out;
	char	  **labels;			/* class labels (classification) */
	float	   *y;				/* per frame row; NaN = no target (float as
								 * the frame's target column: nothing lost) */
	int64_t    *train_idx;
	int64_t		n_train;
	int64_t    *test_idx;
	int64_t		n_test;
	/*
	 * fold id of each frame row: -1 test; random split: 0..n_folds-1 (CV)
	 * or 0 = validation (holdout); time-ordered: the row's block in time
	 * order (aml_split_time), validated forward
	 */
	int		   *fold_of;
	int			n_folds;
	int			holdout;
	int			time_col;		/* frame column ordering the split, or -1 */
	uint64_t	fit_seed;		/* the learners' seed (opts->seed but while
								 * the search confirms its finalists) */
	/* feature dataset over all frame rows */
	aml_dataset ds;
	float	  **owned_cols;		/* columns this file allocated, or NULL */
	const float **cols;
	int		   *input_col;		/* model input -> frame column */
	int32_t   **level_map;		/* per input: frame code -> kept code */
	char	  **drop_reason;	/* per frame column, NULL = kept */
	const char *metric;
	int			hib;
	double		t0;
	aml_model  *model;
	aml_report *report;
	/* a final fit that gave way (refit_fallback), for the diagnostics */
	char		refit_chosen[320];	/* the search's choice */
	/* the baseline kept over the finalists' choice (keep_baseline) */
	char		baseline_over[32];	/* that choice: a learner, "ensemble" */
	double		baseline_over_score;	/* its score on the fresh deals */
	double		baseline_score; /* the baseline's there */
	double		baseline_gap_se;	/* the gap's standard error */
	const char *baseline_where;	/* the rows of those scores */
	char		refit_why[600];		/* why it gave way */
	/* per-group training (train_groups) */
	double		t_start;		/* the training's start (t0: a segment's) */
	int			group_input;	/* model input routing rows, or -1 */
	const char *group_label;	/* the group being searched, NULL = all rows */
	double		refit_seconds;	/* fit_model's last refit */
	const char **seg_label;		/* per segment of the model: its group's value */
	/*
	 * each searched group against the model of every row, out of fold:
	 * entry g is group g of the report (report->n_groups of them)
	 */
	struct group_check *checked;
} train_ctx;

typedef struct group_check
{
	int64_t		train_rows;
	int64_t		rows;			/* scored out of fold by both */
	double		own;			/* the group's model, out of fold */
	double		every_row;		/* the model of every row, out of fold */
	double		with_own;		/* the metric over the checked rows, the
								 * group's scored by its model */
	double		without;		/* ... by the model of every row */
	double		se;				/* bootstrap standard error of the gain */
	int			kept;			/* 1 kept, 0 the model of every row
								 * scores the group, -1 not checked (no
								 * time: the model of every row scores it;
								 * manual mode: kept) */
} group_check;

static double
now(const train_ctx *c)
{
	if (c->opts->clock)
		return c->opts->clock(c->env->ctx);
	return aml_now();
}

void
aml_train_options_init(aml_train_options *o)
{
	memset(o, 0, sizeof(*o));
	o->task = AML_TASK_AUTO;
	o->test_fraction = 0.2;
	o->folds = 5;
	o->seed = 42;
	o->budget_seconds = 60.0;
	o->ensemble = 1;
	o->generated_features = 1;
	o->group_min_rows = 50;
}

/* ---------------------------------------------------------------- target */

typedef struct label_sort
{
	const char *s;
	int32_t		code;
} label_sort;

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(((const label_sort *) a)->s, ((const label_sort *) b)->s);
}

/*
 * format_number writes a numeric class label as PostgreSQL prints it for
 * integers and common floats.
 */
static void
format_number(char *buf, size_t n, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.15g", v);
}

/*
 * setup_target decides the task and fills y (class index or value) for
 * every frame row, NaN where the target is missing.
 */
static aml_status
setup_target(train_ctx *c)
{
	aml_env    *env = c->env;
	const aml_fcol *tc = &c->frame->cols[c->opts->target_col];
	int64_t		n = c->frame->n_rows;
	int64_t		missing = 0;
	aml_task	want = c->opts->task;

	c->y = aml_malloc(env, (size_t) n * sizeof(float));
	if (c->y == NULL)
		return aml_oom(env, c->err, (size_t) n * sizeof(double));

	if (tc->kind == AML_COL_DATETIME)
		return aml_set_error(c->err, AML_EINVAL, "target column \"%s\" has an unsupported type", tc->name);

	if (tc->kind == AML_COL_CATEGORICAL)
	{
		int64_t    *count = aml_calloc(env, (size_t) tc->n_levels + 1, sizeof(int64_t));
		label_sort *ls;
		int32_t    *remap;
		int			k = 0;

		if (count == NULL)
			return aml_oom(env, c->err, (size_t) tc->n_levels * 8);
		for (int64_t i = 0; i < n; i++)
			if (tc->code[i] >= 0)
				count[tc->code[i]]++;
			else
				missing++;
		for (int l = 0; l < tc->n_levels; l++)
			k += count[l] > 0;
		if (want == AML_TASK_REGRESSION)
		{
			aml_free(env, count);
			aml_set_error(c->err, AML_EINVAL, "cannot train a regression model on target column \"%s\" of type %s",
						  tc->name, tc->source_type);
			aml_set_hint(c->err, "Regression needs a numeric target; use task => 'auto' to classify.");
			return AML_EINVAL;
		}
		ls = aml_calloc(env, (size_t) (k ? k : 1), sizeof(label_sort));
		remap = aml_calloc(env, (size_t) tc->n_levels + 1, sizeof(int32_t));
		if (ls == NULL || remap == NULL)
		{
			aml_free(env, count);
			aml_free(env, ls);
			aml_free(env, remap);
			return aml_oom(env, c->err, (size_t) k * 16);
		}
		k = 0;
		for (int l = 0; l < tc->n_levels; l++)
			if (count[l] > 0)
			{
				ls[k].s = tc->levels[l];
				ls[k].code = l;
				k++;
			}
		aml_free(env, count);
		qsort(ls, (size_t) k, sizeof(label_sort), cmp_label);
		c->n_classes = k;
		if (k >= 2 && k <= MAX_CLASSES)
		{
			c->labels = aml_calloc(env, (size_t) k, sizeof(char *));
			if (c->labels == NULL)
			{
				aml_free(env, ls);
				aml_free(env, remap);
				return aml_oom(env, c->err, 64);
			}
			for (int i = 0; i < k; i++)
			{
				c->labels[i] = aml_strdup(env, ls[i].s);
				remap[ls[i].code] = i;
			}
			for (int64_t i = 0; i < n; i++)
				c->y[i] = tc->code[i] >= 0 ? (float) remap[tc->code[i]] : NAN;
		}
		aml_free(env, ls);
		aml_free(env, remap);
	}
	else
	{
		double	   *v = aml_malloc(env, (size_t) n * sizeof(double));
		int64_t		m = 0;
		int64_t		distinct = 0;
		int			classify;

		if (v == NULL)
			return aml_oom(env, c->err, (size_t) n * 8);
		for (int64_t i = 0; i < n; i++)
		{
			double		t = tc->num[i];

			c->y[i] = tc->num[i];
			if (isnan(t))
				missing++;
			else
				v[m++] = t;
		}
		qsort(v, (size_t) m, sizeof(double), aml_cmp_double);
		for (int64_t i = 0; i < m; i++)
			if (i == 0 || v[i] != v[i - 1])
				distinct++;
		if (want == AML_TASK_AUTO)
			classify = tc->is_integer && distinct <= AUTO_CLASS_LIMIT && distinct >= 2;
		else
			classify = want != AML_TASK_REGRESSION;
		c->n_classes = classify ? (int) (distinct < INT32_MAX ? distinct : INT32_MAX) : 0;
		if (classify && distinct >= 2 && distinct <= MAX_CLASSES)
		{
			int			k = 0;

			c->labels = aml_calloc(env, (size_t) distinct, sizeof(char *));
			if (c->labels == NULL)
			{
				aml_free(env, v);
				return aml_oom(env, c->err, 64);
			}
			for (int64_t i = 0; i < m; i++)
				if (i == 0 || v[i] != v[i - 1])
				{
					char		buf[64];

					format_number(buf, sizeof(buf), v[i]);
					c->labels[k] = aml_strdup(env, buf);
					v[k++] = v[i];
				}
			for (int64_t i = 0; i < n; i++)
				if (!isnan(c->y[i]))
				{
					double		yi = c->y[i];
					double	   *hit = bsearch(&yi, v, (size_t) k, sizeof(double), aml_cmp_double);

					c->y[i] = (float) (hit - v);
				}
		}
		else if (!classify && distinct < 2 && m > 0)
		{
			aml_free(env, v);
			aml_set_error(c->err, AML_EINVAL, "target column \"%s\" has only one value", tc->name);
			aml_set_detail(c->err, "Every row with a target has the same value.");
			return AML_EINVAL;
		}
		aml_free(env, v);
		if (!classify)
			c->task = AML_TASK_REGRESSION;
	}

	if (missing == n)
	{
		aml_set_error(c->err, AML_EINVAL, "target column \"%s\" has no non-null values", tc->name);
		aml_set_detail(c->err, "All %lld rows have a NULL target.", (long long) n);
		return AML_EINVAL;
	}
	if (missing > 0)
		aml_log(env, AML_LOG_NOTICE, "skipped %lld rows whose target \"%s\" is NULL",
				(long long) missing, tc->name);

	if (c->task != AML_TASK_REGRESSION)
	{
		if (c->n_classes < 2)
		{
			aml_set_error(c->err, AML_EINVAL, "target column \"%s\" has only one class", tc->name);
			aml_set_detail(c->err, "Classification needs at least two distinct target values.");
			return AML_EINVAL;
		}
		if (c->n_classes > MAX_CLASSES)
		{
			aml_set_error(c->err, AML_EINVAL, "target column \"%s\" has too many classes", tc->name);
			aml_set_detail(c->err, "It has %d distinct values; the limit is %d.", c->n_classes, MAX_CLASSES);
			aml_set_hint(c->err, "Use task => 'regression' for a numeric target.");
			return AML_EINVAL;
		}
		if (want == AML_TASK_BINARY && c->n_classes != 2)
		{
			aml_set_error(c->err, AML_EINVAL, "task \"binary\" needs exactly two classes, but target column \"%s\" has %d",
						  tc->name, c->n_classes);
			aml_set_hint(c->err, "Use task => 'multiclass' or task => 'auto'.");
			return AML_EINVAL;
		}
		if (want == AML_TASK_MULTICLASS && c->n_classes == 2)
			c->task = AML_TASK_BINARY;
		else
			c->task = c->n_classes == 2 ? AML_TASK_BINARY : AML_TASK_MULTICLASS;
	}
	c->n_out = aml_task_outputs(c->task, c->n_classes);

	if (want == AML_TASK_AUTO)
	{
		if (c->task == AML_TASK_REGRESSION)
			aml_log(env, AML_LOG_NOTICE, "task: regression (target \"%s\" is numeric%s)", tc->name,
					tc->is_integer ? " with many distinct values" : "");
		else
			aml_log(env, AML_LOG_NOTICE, "task: %s (target \"%s\" has %d classes)",
					aml_task_name(c->task), tc->name, c->n_classes);
	}
	return AML_OK;
}

/* ---------------------------------------------------------------- split */

typedef struct time_key
{
	double		t;
	int64_t		pos;			/* place in a seeded shuffle: breaks ties */
	int64_t		row;
} time_key;

static int
cmp_time_key(const void *a, const void *b)
{
	const time_key *x = a,
			   *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * aml_split_time deals rows into the test split (the latest labelled rows)
 * and training blocks in time order; see aml_int.h.
 */
aml_status
aml_split_time(aml_env *env, int64_t n, const float *y, const double *t,
			   double test_fraction, int n_blocks, uint64_t seed,
			   int *part, int64_t *n_no_time, aml_error *err)
{
	int64_t    *order = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(int64_t));
	time_key   *keys = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(time_key));
	int64_t		labelled = 0,
				nt = 0,
				ntest,
				ntrain;
	aml_rng		rng;

	*n_no_time = 0;
	if (order == NULL || keys == NULL)
	{
		aml_free(env, order);
		aml_free(env, keys);
		return aml_oom(env, err, (size_t) n * 32);
	}
	if (n_blocks < 1)
		n_blocks = 1;
	for (int64_t i = 0; i < n; i++)
	{
		if (isnan(y[i]))
			part[i] = AML_PART_UNLABELLED;
		else
		{
			labelled++;
			if (isnan(t[i]))
			{
				part[i] = 0;	/* trains in every fold, never validates */
				(*n_no_time)++;
			}
			else
				order[nt++] = i;
		}
	}
	aml_rng_seed(&rng, seed ^ 0x71e5eedULL);
	aml_rng_shuffle(&rng, order, nt);
	for (int64_t k = 0; k < nt; k++)
	{
		keys[k].t = t[order[k]];
		keys[k].pos = k;
		keys[k].row = order[k];
	}
	qsort(keys, (size_t) nt, sizeof(time_key), cmp_time_key);
	ntest = (int64_t) floor(test_fraction * (double) labelled + 0.5);
	if (test_fraction > 0 && ntest == 0 && labelled >= 2)
		ntest = 1;
	if (ntest > nt)
		ntest = nt;
	ntrain = nt - ntest;
	for (int64_t k = 0; k < nt; k++)
		part[keys[k].row] = k >= ntrain ? AML_PART_TEST :
			(int) ((k * (int64_t) n_blocks) / ntrain);
	aml_free(env, order);
	aml_free(env, keys);
	return AML_OK;
}

/*
 * aml_fold_rows splits the training rows sub[] into fold k's fitting and
 * validation rows; see aml_int.h.
 */
void
aml_fold_rows(const int *part, int time_ordered, int k, const int64_t *sub,
			  int64_t n, int64_t *fit, int64_t *n_fit, int64_t *val, int64_t *n_val)
{
	int64_t		nf = 0,
				nv = 0;

	for (int64_t r = 0; r < n; r++)
	{
		int64_t		i = sub[r];
		int			p = part[i];

		if (p == k)
			val[nv++] = i;
		else if (!time_ordered || (p >= 0 && p < k))
			fit[nf++] = i;
	}
	*n_fit = nf;
	*n_val = nv;
}

/*
 * split_time_rows is split_rows for a time-ordered split: the latest
 * labelled rows are the test split, the training rows form n_folds blocks
 * in time order.
 */
static aml_status
split_time_rows(train_ctx *c)
{
	aml_env    *env = c->env;
	const aml_fcol *fc = &c->frame->cols[c->time_col];
	int64_t		n = c->frame->n_rows;
	double	   *t = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(double));
	int64_t		dated = 0;
	aml_status	st;

	if (t == NULL)
		return aml_oom(env, c->err, (size_t) n * 8);
	for (int64_t i = 0; i < n; i++)
	{
		t[i] = fc->kind == AML_COL_DATETIME ? fc->dt[i] : (double) fc->num[i];
		dated += !isnan(t[i]) && !isnan(c->y[i]);
	}
	if (dated == 0)
	{
		aml_free(env, t);
		aml_set_error(c->err, AML_EINVAL, "time column \"%s\" is NULL in every row with a target", fc->name);
		aml_set_hint(c->err, "Order the split by a column that has values, or leave out the \"time_column\" option.");
		return AML_EINVAL;
	}
	st = aml_split_time(env, n, c->y, t, c->opts->test_fraction, c->n_folds, c->opts->seed,
						c->fold_of, &c->report->time_missing, c->err);
	aml_free(env, t);
	if (st != AML_OK)
		return st;
	for (int64_t i = 0; i < n; i++)
	{
		if (c->fold_of[i] == AML_PART_TEST)
			c->test_idx[c->n_test++] = i;
		else if (c->fold_of[i] >= 0)
			c->train_idx[c->n_train++] = i;
	}
	return AML_OK;
}

/*
 * split_rows shuffles the labelled rows (per class for classification) and
 * deals them into parts: part[i] = -1 for test, else fold 0..k-1; with a
 * time column, split_time_rows orders them instead.
 */
static aml_status
split_rows(train_ctx *c)
{
	aml_env    *env = c->env;
	int64_t		n = c->frame->n_rows;
	int64_t    *order = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(int64_t));
	int64_t		m = 0;
	aml_rng		rng;
	int			strata = c->task == AML_TASK_REGRESSION ? 1 : c->n_classes;
	double		tf = c->opts->test_fraction;

	if (order == NULL)
		return aml_oom(env, c->err, (size_t) n * 8);
	aml_rng_seed(&rng, c->opts->seed ^ 0x5eed5eedULL);
	c->train_idx = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(int64_t));
	c->test_idx = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(int64_t));
	c->fold_of = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(int));
	if (!c->train_idx || !c->test_idx || !c->fold_of)
	{
		aml_free(env, order);
		return aml_oom(env, c->err, (size_t) n * 20);
	}
	c->n_train = c->n_test = 0;

	if (c->time_col >= 0)
	{
		aml_status	st = split_time_rows(c);

		aml_free(env, order);
		order = NULL;
		if (st != AML_OK)
			return st;
		strata = 0;				/* no shuffled strata below */
	}
	for (int s = 0; s < strata; s++)
	{
		int64_t		cnt = 0;
		int64_t		ntest;

		for (int64_t i = 0; i < n; i++)
			if (!isnan(c->y[i]) && (strata == 1 || (int) c->y[i] == s))
				order[cnt++] = i;
		aml_rng_shuffle(&rng, order, cnt);
		ntest = (int64_t) floor(tf * (double) cnt + 0.5);
		if (tf > 0 && ntest == 0 && cnt >= 2)
			ntest = 1;
		for (int64_t i = 0; i < cnt; i++)
		{
			if (i < ntest)
			{
				c->test_idx[c->n_test++] = order[i];
				c->fold_of[order[i]] = -1;
			}
			else
			{
				c->train_idx[c->n_train++] = order[i];
				c->fold_of[order[i]] = (int) ((i - ntest) % c->n_folds);
			}
		}
		m += cnt;
	}
	aml_free(env, order);
	(void) m;
	/* index lists in row order: results must not depend on strata order */
	qsort(c->train_idx, (size_t) c->n_train, sizeof(int64_t), aml_cmp_i64);
	qsort(c->test_idx, (size_t) c->n_test, sizeof(int64_t), aml_cmp_i64);
	if (c->n_train < 2)
	{
		aml_set_error(c->err, AML_EINVAL, "too few rows to train a model");
		aml_set_detail(c->err, "After setting aside the test split, %lld training rows remain.",
					   (long long) c->n_train);
		aml_set_hint(c->err, "Train on a table with more rows, or lower \"test_fraction\".");
		return AML_EINVAL;
	}
	return AML_OK;
}

/* ---------------------------------------------------------------- columns */

typedef struct level_count
{
	int32_t		code;
	int64_t		count;
} level_count;

static int
cmp_level_count(const void *a, const void *b)
{
	const level_count *x = a,
			   *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x->code > y->code) - (x->code < y->code);
}

static int
name_looks_like_id(const char *s)
{
	size_t		n = strlen(s);

	if (strcasecmp(s, "id") == 0)
		return 1;
	return n > 3 && strcasecmp(s + n - 3, "_id") == 0;
}

/* is_sensitive says whether frame column col is a sensitive column */
static int
is_sensitive(const aml_train_options *o, int col)
{
	for (int s = 0; s < o->n_sensitive; s++)
		if (o->sensitive[s] == col)
			return 1;
	return 0;
}

/*
 * check_sensitive refuses sensitive columns that cannot be compared: the
 * target, a date or timestamp, or a column whose rows (NULL included)
 * all fall into one group.
 */
static aml_status
check_sensitive(train_ctx *c)
{
	const aml_frame *f = c->frame;

	for (int s = 0; s < c->opts->n_sensitive; s++)
	{
		int			col = c->opts->sensitive[s];
		const aml_fcol *fc;
		int			varies = 0;

		if (col < 0 || col >= f->n_cols)
			return aml_set_error(c->err, AML_EINVAL, "sensitive column index out of range");
		fc = &f->cols[col];
		if (col == c->opts->target_col)
		{
			aml_set_error(c->err, AML_EINVAL, "sensitive column \"%s\" is the target", fc->name);
			aml_set_hint(c->err, "A sensitive column describes the rows (e.g. sex or age); the bias table compares the model's predictions across its groups.");
			return AML_EINVAL;
		}
		if (fc->kind == AML_COL_DATETIME)
		{
			aml_set_error(c->err, AML_EINVAL, "sensitive column \"%s\" is a date or timestamp", fc->name);
			aml_set_hint(c->err, "Pass a column derived from it, such as the year, from a query source.");
			return AML_EINVAL;
		}
		for (int64_t i = 1; i < f->n_rows && !varies; i++)
		{
			if (fc->kind == AML_COL_CATEGORICAL)
				varies = fc->code[i] != fc->code[0];
			else
				varies = isnan(fc->num[i]) != isnan(fc->num[0]) ||
					(!isnan(fc->num[i]) && fc->num[i] != fc->num[0]);
		}
		if (!varies)
		{
			aml_set_error(c->err, AML_EINVAL, "sensitive column \"%s\" has a single value", fc->name);
			aml_set_detail(c->err, "Every row of the source is in the same group, so there is nothing to compare.");
			aml_set_hint(c->err, "Name a column whose values split the rows into groups, or remove it from option \"sensitive\".");
			return AML_EINVAL;
		}
	}
	return AML_OK;
}

/*
 * profile_column decides, from the training rows only, whether a column is
 * used and why not.  Returns NULL (kept) or a static reason.
 */
static const char *
profile_column(train_ctx *c, int col, int64_t *levels_count)
{
	const aml_fcol *fc = &c->frame->cols[col];
	int64_t		nonmissing = 0;

	for (int e = 0; e < c->opts->n_exclude; e++)
		if (c->opts->exclude[e] == col)
			return "excluded";
	if (!c->opts->use_sensitive && is_sensitive(c->opts, col))
		return "sensitive";
	if (fc->kind == AML_COL_CATEGORICAL)
	{
		int64_t		distinct = 0;

		for (int64_t r = 0; r < c->n_train; r++)
		{
			int32_t		code = fc->code[c->train_idx[r]];

			if (code >= 0)
			{
				if (levels_count[code]++ == 0)
					distinct++;
				nonmissing++;
			}
		}
		if (nonmissing == 0)
			return "all_missing";
		if (distinct == 1)
			return "constant";
		if (distinct == nonmissing && nonmissing >= 20)
			return "id_like";
		return NULL;
	}
	else
	{
		double		lo = INFINITY,
					hi = -INFINITY;
		double		first = NAN;
		int			varies = 0;

		for (int64_t r = 0; r < c->n_train; r++)
		{
			int64_t		i = c->train_idx[r];
			double		v = fc->kind == AML_COL_NUMERIC ? fc->num[i] : fc->dt[i];

			if (isnan(v))
				continue;
			if (nonmissing++ == 0)
				first = v;
			else if (v != first)
				varies = 1;
			if (v < lo)
				lo = v;
			if (v > hi)
				hi = v;
		}
		if (nonmissing == 0)
			return "all_missing";
		if (!varies)
			return "constant";
		if (fc->kind == AML_COL_NUMERIC && fc->is_integer && nonmissing >= 20)
		{
			/* unique integers: an identifier when named like one or sequential */
			double	   *v = aml_malloc(c->env, (size_t) nonmissing * sizeof(double));
			int64_t		m = 0;
			int			unique = 1;

			if (v == NULL)
				return NULL;
			for (int64_t r = 0; r < c->n_train; r++)
			{
				double		x = fc->num[c->train_idx[r]];

				if (!isnan(x))
					v[m++] = x;
			}
			qsort(v, (size_t) m, sizeof(double), aml_cmp_double);
			for (int64_t i = 1; i < m && unique; i++)
				unique = v[i] != v[i - 1];
			aml_free(c->env, v);
			if (unique && (name_looks_like_id(fc->name) ||
						   hi - lo + 1 <= 1.5 * (double) c->frame->n_rows))
				return "id_like";
		}
		return NULL;
	}
}

/* train_col is the dataset's base feature column j (aml_model_gen_fill) */
static const float *
train_col(const void *ctx, int j)
{
	return ((const train_ctx *) ctx)->cols[j];
}

/*
 * setup_inputs profiles every column, creates the model's inputs for the
 * kept ones (categorical levels frequent enough on the training rows) and
 * builds the feature dataset over every frame row.
 */
static aml_status
setup_inputs(train_ctx *c)
{
	aml_env    *env = c->env;
	const aml_frame *f = c->frame;
	aml_model  *m = c->model;
	int			n_in = 0;
	int64_t		n = f->n_rows;
	aml_status	st;

	c->drop_reason = aml_calloc(env, (size_t) f->n_cols, sizeof(char *));
	c->input_col = aml_calloc(env, (size_t) f->n_cols, sizeof(int));
	c->level_map = aml_calloc(env, (size_t) f->n_cols, sizeof(int32_t *));
	m->inputs = aml_calloc(env, (size_t) f->n_cols, sizeof(aml_input));
	if (!c->drop_reason || !c->input_col || !c->level_map || !m->inputs)
		return aml_oom(env, c->err, (size_t) f->n_cols * 64);

	for (int col = 0; col < f->n_cols; col++)
	{
		const aml_fcol *fc = &f->cols[col];
		int64_t    *counts = NULL;
		const char *reason;
		aml_input  *in;

		if (col == c->opts->target_col)
			continue;
		if (fc->kind == AML_COL_CATEGORICAL)
		{
			counts = aml_calloc(env, (size_t) fc->n_levels + 1, sizeof(int64_t));
			if (counts == NULL)
				return aml_oom(env, c->err, (size_t) fc->n_levels * 8);
		}
		reason = profile_column(c, col, counts);
		if (reason)
		{
			c->drop_reason[col] = (char *) reason;
			aml_free(env, counts);
			if (strcmp(reason, "excluded") != 0 && strcmp(reason, "sensitive") != 0)
				aml_log(env, AML_LOG_NOTICE, "column \"%s\" is not used: %s", fc->name,
						strcmp(reason, "id_like") == 0 ? "it looks like an identifier (unique per row)" :
						strcmp(reason, "constant") == 0 ? "it has a single value" :
						"it is NULL in every training row");
			continue;
		}
		in = &m->inputs[n_in];
		in->name = aml_strdup(env, fc->name);
		in->kind = fc->kind;
		in->has_time = fc->has_time;
		if (in->name == NULL)
		{
			aml_free(env, counts);
			return aml_oom(env, c->err, 64);
		}
		c->input_col[n_in] = col;
		if (fc->kind == AML_COL_CATEGORICAL)
		{
			level_count *lc = aml_malloc(env, (size_t) (fc->n_levels + 1) * sizeof(level_count));
			int32_t    *map = aml_malloc(env, (size_t) (fc->n_levels + 1) * sizeof(int32_t));
			int			kept = 0;

			if (lc == NULL || map == NULL)
			{
				aml_free(env, lc);
				aml_free(env, map);
				aml_free(env, counts);
				return aml_oom(env, c->err, (size_t) fc->n_levels * 16);
			}
			for (int l = 0; l < fc->n_levels; l++)
			{
				lc[l].code = l;
				lc[l].count = counts[l];
				map[l] = -1;
			}
			qsort(lc, (size_t) fc->n_levels, sizeof(level_count), cmp_level_count);
			for (int l = 0; l < fc->n_levels && kept < MAX_KEPT_LEVELS; l++)
				if (lc[l].count >= MIN_LEVEL_COUNT || (l < 2 && lc[l].count > 0))
					kept++;
			in->levels = aml_calloc(env, (size_t) (kept ? kept : 1), sizeof(char *));
			if (in->levels == NULL)
			{
				aml_free(env, lc);
				aml_free(env, map);
				aml_free(env, counts);
				return aml_oom(env, c->err, 64);
			}
			for (int l = 0; l < kept; l++)
			{
				in->levels[l] = aml_strdup(env, fc->levels[lc[l].code]);
				if (in->levels[l] == NULL ||
					aml_strmap_add(env, &in->map, in->levels, l) < 0)
				{
					aml_free(env, lc);
					aml_free(env, map);
					aml_free(env, counts);
					return aml_oom(env, c->err, 64);
				}
				in->n_levels = l + 1;
				map[lc[l].code] = l;
			}
			aml_free(env, lc);
			c->level_map[n_in] = map;
		}
		aml_free(env, counts);
		n_in++;
		m->n_inputs = n_in;
	}
	m->n_inputs = n_in;
	if (n_in == 0)
	{
		aml_set_error(c->err, AML_EINVAL, "no usable feature columns");
		aml_set_detail(c->err, "Every column other than the target was excluded, constant, an identifier, or NULL.");
		aml_set_hint(c->err, "Check the \"exclude\" list and the column types of the source.");
		return AML_EINVAL;
	}
	/* manual mode makes them only when its configuration reads them */
	if ((c->opts->generated_features &&
		 (!c->opts->manual || aml_params_get(&c->opts->manual_params, AML_GEN_FEATURES, 0) != 0) &&
		 (st = aml_model_find_gens(m, c->err)) != AML_OK) ||
		(st = aml_model_derive_features(m, c->err)) != AML_OK)
		return st;

	/* the dataset: numeric columns alias the frame, others are built */
	c->cols = aml_calloc(env, (size_t) m->n_feat, sizeof(float *));
	c->owned_cols = aml_calloc(env, (size_t) m->n_feat, sizeof(float *));
	if (!c->cols || !c->owned_cols)
		return aml_oom(env, c->err, (size_t) m->n_feat * 16);
	for (int i = 0; i < n_in; i++)
	{
		const aml_input *in = &m->inputs[i];
		const aml_fcol *fc = &f->cols[c->input_col[i]];

		if (in->kind == AML_COL_NUMERIC)
		{
			c->cols[in->feat_start] = fc->num;
			continue;
		}
		for (int p = 0; p < in->n_feat; p++)
		{
			float	   *dst = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(float));

			if (dst == NULL)
				return aml_oom(env, c->err, (size_t) n * 4);
			c->owned_cols[in->feat_start + p] = dst;
			c->cols[in->feat_start + p] = dst;
			if (in->kind == AML_COL_CATEGORICAL)
			{
				const int32_t *map = c->level_map[i];

				for (int64_t r = 0; r < n; r++)
				{
					int32_t		code = fc->code[r];

					dst[r] = code < 0 ? NAN : (float) (map[code] >= 0 ? map[code] : in->n_levels);
				}
			}
			else
				for (int64_t r = 0; r < n; r++)
				{
					double		v = aml_dt_part_value(fc->dt[r], (aml_dt_part) p);

					dst[r] = isfinite(v) ? (float) v : NAN;
				}
		}
	}
	for (int g = 0; g < m->n_gen; g++)
	{
		int			j = m->n_feat - m->n_gen + g;
		float	   *dst = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(float));

		if (dst == NULL)
			return aml_oom(env, c->err, (size_t) n * 4);
		c->owned_cols[j] = dst;
		c->cols[j] = dst;
		aml_model_gen_fill(m, g, train_col, c, n, dst);
	}
	c->ds.n_rows = n;
	c->ds.n_feat = m->n_feat;
	c->ds.n_gen = m->n_gen;
	c->ds.col = c->cols;
	c->ds.kind = m->kinds;
	c->ds.n_levels = m->n_levels;
	return AML_OK;
}

/*
 * raw_inputs fills row-major raw input values for frame rows idx, as a
 * caller would pass them to aml_model_predict.
 */
static double
raw_input(const train_ctx *c, int i, int64_t row)
{
	const aml_fcol *fc = &c->frame->cols[c->input_col[i]];

	switch (fc->kind)
	{
		case AML_COL_NUMERIC:
			return fc->num[row];
		case AML_COL_CATEGORICAL:
			return fc->code[row] < 0 ? NAN : (double) c->level_map[i][fc->code[row]];
		default:
			return fc->dt[row];
	}
}

static void
raw_inputs(const train_ctx *c, const int64_t *idx, int64_t n, double *out)
{
	const aml_model *m = c->model;

	for (int64_t r = 0; r < n; r++)
		for (int i = 0; i < m->n_inputs; i++)
			out[r * m->n_inputs + i] = raw_input(c, i, idx[r]);
}

/* test_raw_rows is aml_diag_input.raw_rows: inputs of test positions. */
static void
test_raw_rows(const void *ctx, const int64_t *pos, int64_t n, double *out)
{
	const train_ctx *c = ctx;

	for (int64_t r = 0; r < n; r++)
		raw_inputs(c, &c->test_idx[pos[r]], 1, out + r * c->model->n_inputs);
}

/* ---------------------------------------------------------------- search */

typedef struct cand_spec
{
	aml_algo	algo;
	aml_params	params;
	double		temp;			/* its temperature (aml_calibrate); 0: none */
} cand_spec;

static int
algo_allowed(const train_ctx *c, aml_algo a)
{
	if (aml_learner_for(a) == NULL)
		return 0;
	return c->opts->algorithms == 0 || (c->opts->algorithms & (1u << a)) != 0;
}

static int
better(const train_ctx *c, double a, double b)
{
	if (isnan(a))
		return 0;
	if (isnan(b))
		return 1;
	return c->hib ? a > b : a < b;
}

/* behind is how far score is behind best in the metric (negative: ahead) */
static double
behind(const train_ctx *c, double best, double score)
{
	return c->hib ? best - score : score - best;
}

static void
params_text(const aml_params *p, char *buf, size_t n)
{
	size_t		len = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->n && len < n; i++)
		len += (size_t) snprintf(buf + len, n - len, "%s%s=%g", i ? " " : "", p->name[i], p->value[i]);
}

static aml_status
fit_one(train_ctx *c, const cand_spec *s, const int64_t *rows, int64_t n_rows,
		const int64_t *valid, int64_t n_valid, void **state)
{
	aml_fit_input in;
	const aml_learner_ops *ops = aml_learner_for(s->algo);

	memset(&in, 0, sizeof(in));
	in.ds = &c->ds;
	in.y = c->y;
	in.rows = rows;
	in.n_rows = n_rows;
	in.task = c->task;
	in.n_classes = c->task == AML_TASK_REGRESSION ? 0 : c->n_classes;
	in.valid_rows = valid;
	in.n_valid = n_valid;
	in.seed = c->fit_seed;
	return aml_fit_params(c->env, ops, &in, &s->params, state, c->err);
}

/*
 * fit_calibration fits a temperature to n rows of predictions p (labels y)
 * and calibrates p in place with it; returns it, rounded to 4 digits (1:
 * p is left as it was).
 */
static double
fit_calibration(const train_ctx *c, int64_t n, const double *y, double *p)
{
	double		T = aml_round_sig(aml_fit_temperature(c->n_out, n, y, p), 4);

	if (T != 1.0)
		aml_calibrate(c->n_out, T, n, p);
	return T;
}

/*
 * evaluate scores one configuration on the training rows sub[0..n_sub)
 * (sorted frame rows): out-of-fold predictions (CV) or predictions on the
 * validation fold (holdout).  oof, when not NULL, receives the predictions
 * in the order of yv (n_scored rows); *score is the search metric on them.
 * With temp_out (multiclass), the predictions (oof too) are calibrated in
 * place at the temperature fitted to them (fit_calibration; *temp_out, 0
 * for none) and scored so, as the configuration would be served; raw_out
 * then receives their score before.
 */
static aml_status
evaluate(train_ctx *c, const cand_spec *s, const int64_t *sub, int64_t n_sub,
		 double *score, int64_t *fit_rows_out, double *oof, double *yv_out,
		 int64_t *n_scored_out, int64_t *fit_total_out, double *se_out, double *temp_out,
		 double *raw_out)
{
	aml_env    *env = c->env;
	const aml_learner_ops *ops = aml_learner_for(s->algo);
	int64_t    *fit_rows = aml_malloc(env, (size_t) (n_sub + 1) * sizeof(int64_t));
	int64_t    *val_rows = aml_malloc(env, (size_t) (n_sub + 1) * sizeof(int64_t));
	double	   *pred = oof ? oof : aml_malloc(env, (size_t) (n_sub + 1) * c->n_out * sizeof(double));
	double	   *yv = yv_out ? yv_out : aml_malloc(env, (size_t) (n_sub + 1) * sizeof(double));
	int64_t		n_scored = 0;
	int			k0 = 0,
				k1 = c->holdout ? 1 : c->n_folds;
	int64_t    *fold_end = NULL;
	int			n_fold = 0;
	aml_status	st = AML_OK;

	/* time-ordered: validate blocks 1..n_folds-1 (or the last), fit on earlier */
	if (c->time_col >= 0)
	{
		k0 = c->holdout ? c->n_folds - 1 : 1;
		k1 = c->n_folds;
	}

	*score = NAN;
	*fit_rows_out = 0;
	if (se_out)
		*se_out = NAN;
	if (fit_total_out)
		*fit_total_out = 0;
	if (temp_out)
		*temp_out = 0;
	if (raw_out)
		*raw_out = NAN;
	fold_end = aml_malloc(env, (size_t) (k1 - k0 + 1) * sizeof(int64_t));
	if (!fit_rows || !val_rows || !pred || !yv || !fold_end)
	{
		st = aml_oom(env, c->err, (size_t) n_sub * 32);
		goto done;
	}
	for (int k = k0; k < k1; k++)
	{
		int64_t		nf = 0,
					nv = 0;
		void	   *state = NULL;

		aml_fold_rows(c->fold_of, c->time_col >= 0, k, sub, n_sub, fit_rows, &nf,
					  val_rows, &nv);
		if (nv == 0 || nf == 0)
			continue;
		/* before the fit: a trial cut or out of memory in it had these rows */
		*fit_rows_out = nf;
		st = fit_one(c, s, fit_rows, nf, val_rows, nv, &state);
		if (st != AML_OK)
			goto done;
		ops->predict(state, &c->ds, val_rows, nv, pred + n_scored * c->n_out);
		ops->free_state(env, state);
		for (int64_t r = 0; r < nv; r++)
			yv[n_scored + r] = c->y[val_rows[r]];
		n_scored += nv;
		fold_end[n_fold++] = n_scored;
		if (fit_total_out)
			*fit_total_out += nf;
		if (aml_check_cancel(env))
		{
			st = aml_set_error(c->err, AML_ECANCELED, "automl training was canceled");
			goto done;
		}
	}
	if (temp_out && c->task == AML_TASK_MULTICLASS && n_scored > 0)
	{
		if (raw_out)
			*raw_out = aml_metric_compute(c->metric, c->task, c->n_classes, n_scored, yv, pred);
		*temp_out = fit_calibration(c, n_scored, yv, pred);
		if (*temp_out == 1.0)
			*temp_out = 0;
	}
	*score = aml_metric_compute(c->metric, c->task, c->n_classes, n_scored, yv, pred);
	if (se_out)
	{
		/* the folds' scores, for the standard error over the folds */
		double		fsum = 0,
					fsum2 = 0;
		int			n_fs = 0;

		for (int k = 0; k < n_fold; k++)
		{
			int64_t		a = k ? fold_end[k - 1] : 0;
			double		fs = aml_metric_compute(c->metric, c->task, c->n_classes, fold_end[k] - a,
												yv + a, pred + a * c->n_out);

			if (isfinite(fs))
			{
				fsum += fs;
				fsum2 += fs * fs;
				n_fs++;
			}
		}
		*se_out = aml_sample_sd(fsum, fsum2, n_fs) / sqrt((double) n_fs);
	}
	if (n_scored_out)
		*n_scored_out = n_scored;
done:
	aml_free(env, fold_end);
	aml_free(env, fit_rows);
	aml_free(env, val_rows);
	if (pred != oof)
		aml_free(env, pred);
	if (yv != yv_out)
		aml_free(env, yv);
	return st;
}

/* ---------------------------------------------------------------- search glue */

static aml_status check_model_size(train_ctx *c, const aml_model *m);
static aml_status report_add(train_ctx *c, const cand_spec *s, double score, double secs, int64_t rows,
							 const char *unscored);

#define MAX_KEPT_OOF 12
#define MAX_FINALISTS		(2 * AML_ALGO_COUNT)	/* confirmed: two per learner */
/* the most members of a model: an ensemble of the kept trials or of the finalists */
#define MAX_MEMBERS (MAX_KEPT_OOF > MAX_FINALISTS ? MAX_KEPT_OOF : MAX_FINALISTS)
#define MAX_KEPT_PER_LEARNER 3

/* State the search's evaluator needs: samples, kept out-of-fold predictions. */
typedef struct search_state
{
	train_ctx  *c;
	int64_t    *perm;			/* training rows in a seeded random order */
	int64_t    *sub;			/* scratch: a sorted sample */
	int			n_kept;
	double	   *kept_oof[MAX_KEPT_OOF];
	double		kept_score[MAX_KEPT_OOF];
	double		kept_raw[MAX_KEPT_OOF];	/* ... before calibration (NaN: none) */
	cand_spec	kept_spec[MAX_KEPT_OOF];
	double		kept_final[MAX_KEPT_OOF];	/* refit estimates (seconds) */
	double	   *yv;				/* labels in the order of the kept OOF */
	int64_t		n_scored;
	int64_t		full_rows;		/* the search's largest sample */
	int			n_done;
	double		best;
	double		search_and_confirm;	/* seconds for both (confirm_reserve) */
	int			n_oom;			/* candidates skipped for memory */
	char		oom_last[512];	/* the last one's error detail */
} search_state;

/*
 * trial_cost is the deterministic cost model of a trial (rows x model
 * size): it makes the search's choices reproducible under a real clock.
 */
static double
trial_cost(aml_algo algo, const aml_params *p, int64_t rows)
{
	double		unit;

	switch (algo)
	{
		case AML_ALGO_BASELINE:
			unit = 0.01;
			break;
		case AML_ALGO_LINEAR:
			unit = 3;
			break;
		case AML_ALGO_DECISION_TREE:
			unit = 1;
			break;
		case AML_ALGO_GBDT:
			unit = 0.2 * aml_params_get(p, "n_estimators", 100) *
				log2(2 + aml_params_get(p, "max_leaves", 31));
			break;
		default:
			unit = 0.5 * aml_params_get(p, "n_estimators", 100);
			break;
	}
	return unit * (double) rows * 1e-6;
}

/* oom_budget names what an AML_ENOMEM ran out of */
static const char *
oom_budget(const train_ctx *c)
{
	return c->env->mem_budget ? "automl.work_mem" : "memory";
}

/*
 * take_error moves the error's detail ("Needed ... in use.") into detail
 * and clears it: what failed is dealt with (*st becomes AML_OK).
 */
static void
take_error(train_ctx *c, aml_status *st, char *detail, size_t len)
{
	snprintf(detail, len, "%s", c->err->detail);
	memset(c->err, 0, sizeof(*c->err));
	*st = AML_OK;
}

/*
 * skip_oom turns an evaluation that ran out of memory (*st AML_ENOMEM)
 * into a failed one: the search candidate (search_eval), finalist round
 * (confirm_round) or optional diagnostics section (diag_optional) is too
 * large for the budget, its allocations are freed, and training goes on
 * without it.  detail receives the error's detail (take_error); it
 * returns 1 then, else 0.
 */
static int
skip_oom(train_ctx *c, aml_status *st, char *detail, size_t len)
{
	if (*st != AML_ENOMEM)
		return 0;
	take_error(c, st, detail, len);
	return 1;
}

/*
 * search_eval is the search's evaluator: it scores one request on a
 * sample of the training rows, cut short at the request's time limit, adds
 * a leaderboard row and keeps the out-of-fold predictions of full-sample
 * trials for the ensemble.
 */
static aml_status
search_eval(void *ctx, const aml_search_request *req, aml_search_result *res, aml_error *err)
{
	search_state *ss = ctx;
	train_ctx  *c = ss->c;
	aml_env    *env = c->env;
	cand_spec	spec;
	int64_t		n = req->sample_rows < c->n_train && req->sample_rows > 0 ? req->sample_rows : c->n_train;
	int			full = n >= ss->full_rows;
	double	   *oof = NULL;
	double		t0 = aml_now();
	double		score,
				raw;
	int64_t		fit_rows = 0,
				fit_total = 0,
				n_scored = 0;
	aml_status	st;
	char		ptxt[200];
	char		oom[512] = "";

	(void) err;
	memset(&spec, 0, sizeof(spec));
	spec.algo = req->algo;
	if (req->params)
		spec.params = *req->params;
	memcpy(ss->sub, n == c->n_train ? c->train_idx : ss->perm, (size_t) n * sizeof(int64_t));
	if (n != c->n_train)
		qsort(ss->sub, (size_t) n, sizeof(int64_t), aml_cmp_i64);
	if (full && c->opts->ensemble && req->algo != AML_ALGO_BASELINE)
	{
		oof = aml_malloc(env, (size_t) n * c->n_out * sizeof(double));
		if (oof == NULL)
			return aml_oom(env, c->err, (size_t) n * c->n_out * sizeof(double));
	}
	env->deadline = req->time_limit > 0 && req->algo != AML_ALGO_BASELINE ? t0 + req->time_limit : 0;
	env->deadline_hit = 0;
	st = evaluate(c, &spec, ss->sub, n, &score, &fit_rows, oof, full ? ss->yv : NULL, &n_scored,
				  &fit_total, &res->score_se,
				  req->algo != AML_ALGO_BASELINE ? &spec.temp : NULL, &raw);
	env->deadline = 0;
	res->was_cut = 0;
	if (st == AML_ECANCELED && env->deadline_hit)
	{
		/* the time limit, not the user: the trial is cut short */
		__atomic_store_n(&env->cancel_flag, 0, __ATOMIC_RELAXED);
		env->deadline_hit = 0;
		res->was_cut = 1;
		score = NAN;
		st = AML_OK;
	}
	/* e.g. full-depth trees of a big forest on many rows: as a diverged fit */
	if (req->algo != AML_ALGO_BASELINE && skip_oom(c, &st, oom, sizeof(oom)))
	{
		score = NAN;
		ss->n_oom++;
		snprintf(ss->oom_last, sizeof(ss->oom_last), "%s", oom);
	}
	if (st != AML_OK)
	{
		aml_free(env, oof);
		return st;
	}
	res->score = score;
	res->temp = res->was_cut ? 0 : spec.temp;
	res->seconds = aml_now() - t0;
	res->cost = trial_cost(spec.algo, &spec.params, n);
	/* a refit on every training row, at this trial's seconds per fitted row */
	res->final_seconds = fit_total > 0 && !res->was_cut ?
		res->seconds * (double) c->n_train / (double) fit_total : 0;
	/* a trial cut before its first fit still had its sample */
	if (fit_rows == 0)
		fit_rows = n;
	if ((st = report_add(c, &spec, res->was_cut ? NAN : score, res->seconds, fit_rows,
						 res->was_cut ? "time_limit" : oom[0] ? "out_of_memory" : "failed")) != AML_OK)
	{
		aml_free(env, oof);
		return st;
	}
	ss->n_done++;
	if (!res->was_cut && better(c, score, ss->best))
		ss->best = score;
	params_text(&spec.params, ptxt, sizeof(ptxt));
	{
		char		stxt[64];

		if (res->was_cut)
			snprintf(stxt, sizeof(stxt), "cut at the time limit");
		else if (oom[0])
			snprintf(stxt, sizeof(stxt), "out of memory, skipped");
		else if (spec.temp > 0)
			snprintf(stxt, sizeof(stxt), "%s %.4f at temperature %.3g", c->metric, score, spec.temp);
		else
			snprintf(stxt, sizeof(stxt), "%s %.4f", c->metric, score);
		aml_log(env, AML_LOG_INFO, "candidate %d: %s%s%s%s on %lld rows: %s (best %.4f) %.1f s",
				ss->n_done, aml_algo_name(spec.algo), ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "",
				(long long) n, stxt, ss->best, now(c) - c->t0);
		if (oom[0])
			aml_log(env, AML_LOG_INFO, "candidate %d ran out of %s: %s", ss->n_done, oom_budget(c), oom);
	}

	/* keep the out-of-fold predictions of the best full-sample trials */
	if (oof && !res->was_cut && isfinite(score))
	{
		int			slot = -1;
		int			same = 0,
					worst_same = -1,
					worst_any = -1;

		/*
		 * Keep at most MAX_KEPT_PER_LEARNER per learner, so the ensemble can
		 * mix learners (diverse errors) rather than one learner's variants.
		 */
		ss->n_scored = n_scored;
		for (int k = 0; k < ss->n_kept; k++)
		{
			if (ss->kept_spec[k].algo == spec.algo)
			{
				same++;
				if (worst_same < 0 || better(c, ss->kept_score[worst_same], ss->kept_score[k]))
					worst_same = k;
			}
			if (worst_any < 0 || better(c, ss->kept_score[worst_any], ss->kept_score[k]))
				worst_any = k;
		}
		if (same >= MAX_KEPT_PER_LEARNER)
		{
			if (better(c, score, ss->kept_score[worst_same]))
				slot = worst_same;
		}
		else if (ss->n_kept < MAX_KEPT_OOF)
			slot = ss->n_kept++;
		else if (better(c, score, ss->kept_score[worst_any]))
			slot = worst_any;
		if (slot >= 0)
		{
			aml_free(env, ss->kept_oof[slot]);	/* NULL for a new slot */
			ss->kept_oof[slot] = oof;
			ss->kept_score[slot] = score;
			ss->kept_raw[slot] = raw;
			ss->kept_final[slot] = res->final_seconds;
			ss->kept_spec[slot] = spec;
			oof = NULL;
		}
	}
	aml_free(env, oof);
	return AML_OK;
}

/*
 * report_add adds a leaderboard row; unscored says why when score is not
 * finite (see aml_candidate).
 */
static aml_status
report_add(train_ctx *c, const cand_spec *s, double score, double secs, int64_t rows,
		   const char *unscored)
{
	aml_report *r = c->report;
	aml_candidate *cd;

	if (r->n_cands == r->cap_cands)
	{
		int			nc = r->cap_cands ? r->cap_cands * 2 : 16;
		aml_candidate *n = aml_realloc(c->env, r->cands, (size_t) nc * sizeof(aml_candidate));

		if (n == NULL)
			return aml_oom(c->env, c->err, (size_t) nc * sizeof(aml_candidate));
		r->cands = n;
		r->cap_cands = nc;
	}
	cd = &r->cands[r->n_cands++];
	memset(cd, 0, sizeof(*cd));
	cd->algo = s->algo;
	cd->params = s->params;
	cd->score = score;
	cd->temp = isfinite(score) ? s->temp : 0;
	cd->fit_seconds = secs;
	cd->sample_rows = rows;
	cd->finished_at = now(c) - c->t_start;
	cd->unscored = isfinite(score) ? NULL : unscored;
	cd->group = c->group_label;
	cd->group_index = c->group_label ? c->report->n_groups - 1 : -1;
	return AML_OK;
}

/* ---------------------------------------------------------------- refit time */

#define AFTER_SEARCH_SHARE	0.15	/* of the budget, after the search */
#define REFIT_SHARE			0.75	/* of that, for the final refit (the rest:
									 * test scoring, diagnostics, the catalog) */

/*
 * refit_reserve is the time kept for the final refit after the search's
 * deadline (0 without a budget).
 */
static double
refit_reserve(const train_ctx *c)
{
	double		b = c->opts->budget_seconds;

	return b > 0 ? b * AFTER_SEARCH_SHARE * REFIT_SHARE : 0;
}

/*
 * refit_in_budget says whether refits estimated to take est seconds in all
 * still end within the budget, with the rest of the after-search time kept
 * for what follows them (yes without a budget or an estimate).
 */
static int
refit_in_budget(const train_ctx *c, double est)
{
	double		b = c->opts->budget_seconds;
	double		left;

	if (!(b > 0) || !(est > 0))
		return 1;
	left = b - (now(c) - c->t0) - b * AFTER_SEARCH_SHARE * (1.0 - REFIT_SHARE);
	return est <= left;
}

/*
 * ensemble_refit_fits turns off an ensemble (of `what`) whose members'
 * refits, estimated at est seconds in all, would end past the budget; the
 * best single one (`single`) is then kept.
 */
static void
ensemble_refit_fits(const train_ctx *c, aml_ensemble_result *eres, double est,
					const char *what, const char *single)
{
	if (!eres->use || eres->n_members < 2 || refit_in_budget(c, est))
		return;
	aml_log(c->env, AML_LOG_INFO, "an ensemble of %d %s would gain %.4f, but refitting it would take about %.1f s, past the budget: the best %s is kept",
			eres->n_members, what, eres->gain, est, single);
	eres->use = 0;
}

/* ---------------------------------------------------------------- confirmation */

#define CONFIRM_SHARE		0.15	/* of the search's budget, at least, */
#define CONFIRM_MAX_SHARE	0.40	/* and at most (confirm_reserve) */
#define CONFIRM_MARGIN		1.2		/* a finalist is scored again only with
									 * this times its search time left */
#define CONFIRM_GAP_SE		4.0		/* see hopeless */
#define CONFIRM_ROUNDS		3		/* fresh fold deals, while time allows */
#define CONFIRM_TOP			4		/* finalists scored again after the first */
#define ENSEMBLE_GAIN_SE	1.0		/* an ensemble of finalists must gain this
									 * many standard errors of its gain */
#define PARSIMONY_SE		1.0		/* see simpler_finalist */
#define LINEAR_SE			1.0		/* see regularized_linear */
#define PARSIMONY_BOOT		50		/* bootstrap resamples for its error, */
#define PARSIMONY_ROWS		5000	/* of at most this many training rows */

/*
 * A learner's best or default configuration, scored again on fresh folds
 * (round r: folds dealt with seed + 1 + r, learners seeded so too).
 */
typedef struct finalist
{
	cand_spec	spec;
	int			is_default;		/* the learner's default configuration */
	double		secs;			/* its search time on all rows */
	double		final_secs;		/* its refit estimate */
	double		score0;			/* the search's cross-validation */
	double		score0_se;		/* its standard error over the folds */
	double		sum1;			/* of its fresh scores */
	double		sum1_cal;		/* ... calibrated (spec.temp set; see
								 * calibrate_finalists) */
	unsigned	rounds;			/* bit r: scored in round r */
	double	   *oof[CONFIRM_ROUNDS];	/* its predictions in round r */
} finalist;

/* n_fresh counts the rounds a finalist was scored in. */
static int
n_fresh(const finalist *f)
{
	int			n = 0;

	for (int r = 0; r < CONFIRM_ROUNDS; r++)
		n += (f->rounds >> r) & 1;
	return n;
}

/*
 * finalist_estimate is a finalist's score estimate: the mean of its fresh
 * scores and, for a default configuration (chosen before any score, so
 * its search score is as unbiased as a fresh one), its search score.  A
 * tuned configuration's search score is the best of many noisy ones and
 * would favour the learners with many close configurations.
 */
static double
finalist_estimate(const finalist *f)
{
	int			n = n_fresh(f);
	double		s = f->spec.temp > 0 ? f->sum1_cal : f->sum1;

	if (f->is_default)
	{
		/* multiclass: calibrated as well (evaluate) */
		s += f->score0;
		n++;
	}
	return n > 0 ? s / n : NAN;
}

/*
 * refold deals the training rows into the cross-validation folds again,
 * in a new seeded order per class.
 */
static aml_status
refold(train_ctx *c, uint64_t seed)
{
	int64_t    *order = aml_malloc(c->env, (size_t) c->n_train * sizeof(int64_t));
	int			strata = c->task == AML_TASK_REGRESSION ? 1 : c->n_classes;
	aml_rng		rng;

	if (order == NULL)
		return aml_oom(c->env, c->err, (size_t) c->n_train * 8);
	aml_rng_seed(&rng, seed ^ 0xf01d5ULL);
	for (int s = 0; s < strata; s++)
	{
		int64_t		cnt = 0;

		for (int64_t r = 0; r < c->n_train; r++)
			if (strata == 1 || (int) c->y[c->train_idx[r]] == s)
				order[cnt++] = c->train_idx[r];
		aml_rng_shuffle(&rng, order, cnt);
		for (int64_t i = 0; i < cnt; i++)
			c->fold_of[order[i]] = (int) (i % c->n_folds);
	}
	aml_free(c->env, order);
	return AML_OK;
}

/*
 * scored_trial says whether tr is a trial of learner a that finished with
 * a score, on at least min_rows rows.
 */
static int
scored_trial(const aml_search_trial *tr, aml_algo a, int64_t min_rows)
{
	return tr->algo == a && !tr->was_cut && isfinite(tr->score) && tr->sample_rows >= min_rows;
}

/* same_but: a and b set the same parameters to the same values, except name */
static int
same_but(const aml_params *a, const aml_params *b, const char *name)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
	{
		double		v;

		if (strncmp(a->name[i], name, sizeof(a->name[i])) == 0)
			continue;
		v = aml_params_get(b, a->name[i], NAN);
		if (!(v == a->value[i]))
			return 0;
	}
	return 1;
}

/*
 * regularized_linear returns the linear trial to confirm in place of the
 * best one, b: of the full-sample trials with b's other options, the one
 * with the largest alpha whose search score is within LINEAR_SE of b's
 * standard errors over the folds (the one-standard-error rule of
 * cross-validated penalized regression).  The scores of the weaker
 * penalties differ by less than the folds' noise, and on rows a linear
 * model nearly separates the least penalized one predicts with extremes
 * that a single unseen row turns into a large loss: on penguins (seed 1
 * of the search benchmark's split) alpha 0.0001 won the search at log
 * loss 0.0175 (0.1348 on the test rows) where alpha 0.1 scored 0.0233
 * (0.0331).  Only for log loss, which punishes such extremes without
 * bound: a ranking metric does not see them, and on credit-g (10-fold
 * CV of the benchmark, AUC) the rule took alpha 56 to 103 for 9 to 17,
 * scored 0.006 to 0.014 lower in the search, and the folds' ensembles
 * lost 0.005 (0.7998 to 0.7949).
 */
static int
regularized_linear(train_ctx *c, const aml_search_trace *t, int64_t full_rows, int b)
{
	const aml_search_trial *bt = &t->trials[b];
	double		se = bt->score_se;
	double		alpha = aml_params_get(&bt->params, "alpha", 1.0);
	int			pick = b;

	if (strcmp(c->metric, "log_loss") != 0 || !(se > 0) || !isfinite(se))
		return b;
	for (int i = 0; i < t->n_trials; i++)
	{
		const aml_search_trial *tr = &t->trials[i];
		double		gap,
					a;

		if (!scored_trial(tr, AML_ALGO_LINEAR, full_rows) ||
			!same_but(&tr->params, &bt->params, "alpha"))
			continue;
		gap = behind(c, bt->score, tr->score);
		a = aml_params_get(&tr->params, "alpha", 1.0);
		if (gap <= LINEAR_SE * se && a > alpha)
		{
			pick = i;
			alpha = a;
		}
	}
	if (pick != b)
		aml_log(c->env, AML_LOG_INFO, "linear: alpha %.4g rather than %.4g, %s %.4f against %.4f in the search, within %.0f standard error%s over the folds (%.4f)",
				alpha, aml_params_get(&bt->params, "alpha", 1.0), c->metric,
				t->trials[pick].score, bt->score, LINEAR_SE, LINEAR_SE == 1.0 ? "" : "s", se);
	return pick;
}

/*
 * hopeless says whether a finalist whose search score is `score` is not
 * worth confirming next to the best one's (best, with standard error
 * best_se over the folds): it is more than CONFIRM_GAP_SE of those
 * errors behind.  Such a finalist cannot plausibly have the best fresh
 * estimate, nor come within the one standard error of simpler_finalist,
 * and an ensemble leaves out a finalist more than two bootstrap errors
 * behind the best; scoring it again only takes time from the search and
 * from the finalists that may win.  On caravan_insurance (search
 * benchmark) the forests, 0.05 to 0.08 AUC behind the linear model's
 * 0.735 with an error of about 0.01, took 5 of the confirmation's 12 s.
 */
static int
hopeless(const train_ctx *c, double best, double best_se, double score)
{
	return isfinite(best_se) && best_se > 0 && behind(c, best, score) > CONFIRM_GAP_SE * best_se;
}

/*
 * learner_picks sets pick[0] to learner a's best trial on full_rows and
 * pick[1] to its default configuration's trial there (-1: none).
 */
static void
learner_picks(const train_ctx *c, const aml_search_trace *t, int64_t full_rows,
			  aml_algo a, int pick[2])
{
	pick[0] = pick[1] = -1;
	for (int i = 0; i < t->n_trials; i++)
	{
		const aml_search_trial *tr = &t->trials[i];

		if (!scored_trial(tr, a, full_rows))
			continue;
		if (pick[0] < 0 || better(c, tr->score, t->trials[pick[0]].score))
			pick[0] = i;
		if (tr->kind == AML_TRIAL_DEFAULT)
			pick[1] = i;
	}
}

/*
 * pick_finalists chooses the configurations to confirm: each learner's
 * best trial on all rows and its default configuration (when the search
 * scored it on all rows), best search score first.
 */
static int
pick_finalists(train_ctx *c, const aml_search_trace *t, int64_t full_rows,
			   finalist *fin)
{
	int			idx[MAX_FINALISTS];
	int			n = 0;

	for (int a = AML_ALGO_LINEAR; a < AML_ALGO_ENSEMBLE; a++)
	{
		int			pick[2];	/* the best trial, the default */

		learner_picks(c, t, full_rows, (aml_algo) a, pick);
		if (a == AML_ALGO_LINEAR && pick[0] >= 0)
			pick[0] = regularized_linear(c, t, full_rows, pick[0]);
		if (pick[1] == pick[0])
			pick[1] = -1;
		for (int p = 0; p < 2; p++)
		{
			/* insert in score order, best first */
			int			k;

			if (pick[p] < 0)
				continue;
			k = n++;
			while (k > 0 && better(c, t->trials[pick[p]].score, t->trials[idx[k - 1]].score))
			{
				idx[k] = idx[k - 1];
				k--;
			}
			idx[k] = pick[p];
		}
	}
	for (int k = 0; k < n; k++)
	{
		const aml_search_trial *tr = &t->trials[idx[k]];
		const aml_search_space *sp = aml_search_space_for(tr->algo);
		aml_params	d;

		memset(&fin[k], 0, sizeof(fin[k]));
		fin[k].spec.algo = tr->algo;
		fin[k].spec.params = tr->params;
		fin[k].spec.temp = tr->temp;
		fin[k].score0 = tr->score;
		fin[k].score0_se = tr->score_se;
		fin[k].secs = tr->seconds;
		fin[k].final_secs = tr->final_seconds;
		fin[k].is_default = tr->kind == AML_TRIAL_DEFAULT;
		if (sp && tr->kind == AML_TRIAL_INIT)
		{
			/* the start of a search whose default is its initial point */
			aml_search_space_params(sp, 1, &d);
			fin[k].is_default = aml_params_equal(&d, &tr->params);
		}
	}
	return n;
}

/*
 * confirm_round scores finalists fin[sel[0..n_sel)] on round r's fresh
 * folds, in order, while each one's earlier time fits before deadline;
 * yv receives the labels in the order of their predictions.
 */
static aml_status
confirm_round(train_ctx *c, int r, finalist *fin, const int *sel, int n_sel,
			  finalist *base, double deadline, double *yv)
{
	aml_env    *env = c->env;
	aml_status	st;
	int			any = 0;

	if ((st = refold(c, c->opts->seed + 1 + r)) != AML_OK)
		return st;
	c->fit_seed = c->opts->seed + 1 + r;
	for (int k = 0; k <= n_sel && st == AML_OK; k++)
	{
		/* after the finalists, the baseline on the same folds (see keep_baseline) */
		finalist   *f = k < n_sel ? &fin[sel[k]] : base;
		double		remaining = deadline - now(c);
		double		t0 = aml_now();
		double		score;
		int64_t		fit_rows = 0,
					n_scored = 0;
		char		ptxt[200];
		char		oom[512];
		cand_spec	shown;

		if (f == base && !any)
			break;
		if (aml_check_cancel(env))
		{
			st = aml_set_error(c->err, AML_ECANCELED, "canceling automl training");
			break;
		}
		if (f != base && remaining < CONFIRM_MARGIN * f->secs)
			continue;			/* it would not finish in time */
		params_text(&f->spec.params, ptxt, sizeof(ptxt));
		f->oof[r] = aml_malloc(env, (size_t) c->n_train * c->n_out * sizeof(double));
		if (f->oof[r] == NULL)
			st = aml_oom(env, c->err, (size_t) c->n_train * c->n_out * sizeof(double));
		else
		{
			env->deadline = f == base ? 0 : t0 + remaining;
			env->deadline_hit = 0;
			st = evaluate(c, &f->spec, c->train_idx, c->n_train, &score, &fit_rows, f->oof[r], yv,
						  &n_scored, NULL, NULL, NULL, NULL);
			env->deadline = 0;
		}
		if (st == AML_ECANCELED && env->deadline_hit)
		{
			/* out of time: no score of this round */
			__atomic_store_n(&env->cancel_flag, 0, __ATOMIC_RELAXED);
			env->deadline_hit = 0;
			st = AML_OK;
			score = NAN;
		}
		/*
		 * the round holds the finalists' predictions on top of what the
		 * search held: a finalist that no longer fits goes without this
		 * round's score
		 */
		if (skip_oom(c, &st, oom, sizeof(oom)))
		{
			aml_log(env, AML_LOG_INFO, "confirming %s%s%s%s on fresh folds (%d) ran out of %s: %s",
					aml_algo_name(f->spec.algo), ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "",
					r + 1, oom_budget(c), oom);
			score = NAN;
		}
		if (st != AML_OK || !isfinite(score))
		{
			aml_free(env, f->oof[r]);
			f->oof[r] = NULL;
			continue;
		}
		f->sum1 += score;
		f->rounds |= 1u << r;
		if (f == base)
		{
			aml_log(env, AML_LOG_INFO, "baseline on fresh folds (%d): %s %.4f", r + 1, c->metric, score);
			break;
		}
		any = 1;
		shown = f->spec;
		if (shown.temp > 0)
		{
			/*
			 * shown and listed at its latest temperature, as its search
			 * score was (calibrate_finalists refits it on the rounds); the
			 * predictions stay raw for that.  Short of memory for the copy,
			 * it is shown as predicted.
			 */
			double	   *cal = aml_malloc(env, (size_t) n_scored * c->n_out * sizeof(double));

			shown.temp = 0;
			if (cal != NULL)
			{
				memcpy(cal, f->oof[r], (size_t) n_scored * c->n_out * sizeof(double));
				aml_calibrate(c->n_out, f->spec.temp, n_scored, cal);
				score = aml_metric_compute(c->metric, c->task, c->n_classes, n_scored, yv, cal);
				shown.temp = f->spec.temp;
				aml_free(env, cal);
			}
		}
		st = report_add(c, &shown, score, aml_now() - t0, fit_rows, "failed");
		aml_log(env, AML_LOG_INFO, "confirming %s%s%s%s on fresh folds (%d): %s %.4f%s (search %.4f) %.1f s",
				aml_algo_name(f->spec.algo), ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "",
				r + 1, c->metric, score, shown.temp > 0 ? " calibrated" : "", f->score0,
				now(c) - c->t0);
	}
	c->fit_seed = c->opts->seed;
	return st;
}

/*
 * confirm_finalists scores each learner's best configuration on all rows
 * and its default configuration again, on fresh folds with a fresh seed,
 * best first, while its earlier time fits before deadline; then, while
 * time allows, the CONFIRM_TOP best by estimate on up to CONFIRM_ROUNDS
 * - 1 more fresh deals.  The search keeps the best of many noisy
 * cross-validations, whose score is optimistic (most for learners with
 * many close configurations); fresh folds give each finalist scores no
 * choice was made on, and more deals halve the noise between finalists
 * a few thousandths apart.  fin[0..*n_fin) receives the finalists, yv[r]
 * the labels of round r in the order of the finalists' predictions, and
 * base the baseline's scores on every round in which a finalist was scored.
 */
static aml_status calibrate_finalists(train_ctx *c, finalist *fin, int n_fin,
									  double *const *yv);

static aml_status
confirm_finalists(train_ctx *c, const aml_search_trace *t, int64_t full_rows,
				  double deadline, finalist *fin, int *n_fin, finalist *base,
				  double *yv[CONFIRM_ROUNDS])
{
	int			sel[MAX_FINALISTS] = {0};
	int			n,
				n_sel = 0;
	aml_status	st;

	*n_fin = n = pick_finalists(c, t, full_rows, fin);
	if (n == 0)
		return AML_OK;
	/* fin[0] has the best search score */
	for (int k = 0; k < n; k++)
	{
		char		ptxt[200];

		if (!hopeless(c, fin[0].score0, fin[0].score0_se, fin[k].score0))
		{
			sel[n_sel++] = k;
			continue;
		}
		params_text(&fin[k].spec.params, ptxt, sizeof(ptxt));
		aml_log(c->env, AML_LOG_INFO, "not confirming %s%s%s%s: %s %.4f in the search, more than %.0f standard errors over the folds (%.4f) behind the best (%.4f)",
				aml_algo_name(fin[k].spec.algo), ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "",
				c->metric, fin[k].score0, CONFIRM_GAP_SE, fin[0].score0_se, fin[0].score0);
	}
	st = confirm_round(c, 0, fin, sel, n_sel, base, deadline, yv[0]);
	if (st == AML_OK)
		st = calibrate_finalists(c, fin, n, yv);
	for (int r = 1; r < CONFIRM_ROUNDS && st == AML_OK; r++)
	{
		int			m = 0;

		/* the CONFIRM_TOP best by estimate, best first */
		for (int k = 0; k < n; k++)
		{
			int			j;

			if (fin[k].rounds == 0)
				continue;
			j = m < CONFIRM_TOP ? m++ : CONFIRM_TOP;
			while (j > 0 && better(c, finalist_estimate(&fin[k]), finalist_estimate(&fin[sel[j - 1]])))
			{
				if (j < CONFIRM_TOP)
					sel[j] = sel[j - 1];
				j--;
			}
			if (j < CONFIRM_TOP)
				sel[j] = k;
		}
		if (m < 2)
			break;
		st = confirm_round(c, r, fin, sel, m, base, deadline, yv[r]);
		if (st == AML_OK)
			st = calibrate_finalists(c, fin, n, yv);
	}
	return st;
}

/*
 * confirm_reserve is the search's after_seconds: the time to keep for
 * confirming the finalists of the trials so far.  That is each learner's
 * best full-sample trial and its default once (unless hopeless), then the
 * CONFIRM_TOP best by search score on the other CONFIRM_ROUNDS - 1 deals,
 * each with the margin confirm_round asks for; at least CONFIRM_SHARE and at most
 * CONFIRM_MAX_SHARE of the time for the search and the confirmation
 * together.  A fixed share ran out on telecom churn (search benchmark,
 * seed 42): the first deal took 6 of its 7.7 s, so only a decision tree
 * and an extra-trees forest were scored again.  The tree's three fresh
 * scores were then compared with the boosting's one, and no ensemble
 * could be built, because no other finalist had been scored on all three
 * deals.
 */
static double
confirm_reserve(void *ctx, const struct aml_search_trace *t)
{
	const search_state *ss = ctx;
	const train_ctx *c = ss->c;
	int			trial[MAX_FINALISTS];
	double		secs[MAX_FINALISTS],
				score[MAX_FINALISTS];
	double		first = 0,
				later = 0,
				est;
	int			n_picks = 0,
				n = 0,
				b = -1;

	for (int a = AML_ALGO_LINEAR; a < AML_ALGO_ENSEMBLE; a++)
	{
		int			pick[2];

		learner_picks(c, t, ss->full_rows, (aml_algo) a, pick);
		for (int p = 0; p < 2; p++)
			if (pick[p] >= 0 && (p == 0 || pick[1] != pick[0]))
			{
				trial[n_picks++] = pick[p];
				if (b < 0 || better(c, t->trials[pick[p]].score, t->trials[b].score))
					b = pick[p];
			}
	}
	/* those confirm_finalists would score once */
	for (int k = 0; k < n_picks; k++)
	{
		const aml_search_trial *tr = &t->trials[trial[k]];

		if (hopeless(c, t->trials[b].score, t->trials[b].score_se, tr->score))
			continue;
		secs[n] = tr->seconds;
		score[n] = tr->score;
		first += secs[n++];
	}
	for (int k = 0; k < CONFIRM_TOP && k < n; k++)
	{
		/* the k-th best by search score into place k */
		int			b = k;
		double		tmp;

		for (int j = k + 1; j < n; j++)
			if (better(c, score[j], score[b]))
				b = j;
		tmp = score[k], score[k] = score[b], score[b] = tmp;
		tmp = secs[k], secs[k] = secs[b], secs[b] = tmp;
		later += secs[k];
	}
	est = CONFIRM_MARGIN * (first + (CONFIRM_ROUNDS - 1) * later);
	return fmin(fmax(est, CONFIRM_SHARE * ss->search_and_confirm),
				CONFIRM_MAX_SHARE * ss->search_and_confirm);
}

/*
 * scoring_input sets up in for scoring n rows of labels y in the
 * training's metric, task and seed (the candidates are the caller's).
 */
static void
scoring_input(const train_ctx *c, int64_t n, const double *y, aml_ensemble_input *in)
{
	memset(in, 0, sizeof(*in));
	in->metric = c->metric;
	in->task = c->task;
	in->n_classes = c->n_classes;
	in->n = n;
	in->n_out = c->n_out;
	in->y = y;
	in->seed = c->opts->seed;
}

/*
 * concat_rounds copies a finalist's predictions (f not NULL, len values per
 * round) or the rounds' labels (f NULL, yv, len values per round) of the
 * rounds in mask, end to end, into out.
 */
static void
concat_rounds(const finalist *f, double *const *yv, unsigned mask, int64_t len, double *out)
{
	int			q = 0;

	for (int r = 0; r < CONFIRM_ROUNDS; r++)
		if ((mask >> r) & 1)
			memcpy(out + (size_t) len * q++, f ? f->oof[r] : yv[r], (size_t) len * sizeof(double));
}

/* log_calibration says what calibrating a candidate did, scored on `on`. */
static void
log_calibration(const train_ctx *c, const cand_spec *sp, double before, double after,
				const char *on)
{
	char		ptxt[200];

	params_text(&sp->params, ptxt, sizeof(ptxt));
	aml_log(c->env, AML_LOG_INFO, "calibrating %s%s%s%s: temperature %.4g, %s %.4f -> %.4f on %s",
			aml_algo_name(sp->algo), ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "",
			sp->temp, c->metric, before, after, on);
}

/*
 * calibrate_finalists fits each multiclass finalist a temperature on its
 * fresh out-of-fold predictions so far (aml_fit_temperature), and keeps
 * its calibrated fresh scores for finalist_estimate: forests average
 * votes and are under-confident, a regularized linear model's
 * probabilities are often too flat, and both the log loss (the multiclass
 * metric) and a mix of learners depend on the probabilities' scale.  One
 * parameter fitted on hundreds of predictions, for every finalist alike.
 * It runs after each round, so that the rounds after the first go to the
 * best finalists once calibrated; the predictions themselves are
 * calibrated once the rounds are over (apply_temperatures).  The model
 * serves the temperature with the member.
 */
static aml_status
calibrate_finalists(train_ctx *c, finalist *fin, int n_fin, double *const *yv)
{
	aml_env    *env = c->env;
	int64_t		len = c->n_train * c->n_out;
	double	   *p = NULL,
			   *y = NULL;

	if (c->task != AML_TASK_MULTICLASS)
		return AML_OK;
	p = aml_malloc(env, (size_t) CONFIRM_ROUNDS * len * sizeof(double));
	y = aml_malloc(env, (size_t) CONFIRM_ROUNDS * c->n_train * sizeof(double));
	if (p == NULL || y == NULL)
	{
		aml_free(env, p);
		aml_free(env, y);
		return aml_oom(env, c->err, (size_t) CONFIRM_ROUNDS * (len + c->n_train) * sizeof(double));
	}
	for (int k = 0; k < n_fin; k++)
	{
		finalist   *f = &fin[k];
		int			nr = n_fresh(f);
		double		T;

		if (nr == 0)
			continue;			/* at its search's temperature */
		f->spec.temp = 0;
		concat_rounds(f, NULL, f->rounds, len, p);
		concat_rounds(NULL, yv, f->rounds, c->n_train, y);
		T = fit_calibration(c, nr * c->n_train, y, p);
		if (T == 1.0)
			continue;
		f->sum1_cal = 0;
		for (int q = 0; q < nr; q++)
			f->sum1_cal += aml_metric_compute(c->metric, c->task, c->n_classes, c->n_train,
											  y + (size_t) q * c->n_train, p + (size_t) q * len);
		f->spec.temp = T;
	}
	aml_free(env, p);
	aml_free(env, y);
	return AML_OK;
}

/*
 * apply_temperatures calibrates the finalists' fresh predictions with the
 * temperatures calibrate_finalists fitted, for choosing and mixing them.
 */
static void
apply_temperatures(train_ctx *c, finalist *fin, int n_fin)
{
	for (int k = 0; k < n_fin; k++)
	{
		finalist   *f = &fin[k];
		int			nr = n_fresh(f);

		if (!(f->spec.temp > 0) || nr == 0)
			continue;
		for (int r = 0; r < CONFIRM_ROUNDS; r++)
			if ((f->rounds >> r) & 1)
				aml_calibrate(c->n_out, f->spec.temp, c->n_train, f->oof[r]);
		log_calibration(c, &f->spec, f->sum1 / nr, f->sum1_cal / nr, "fresh folds");
	}
}

/*
 * tuned_params counts the hyperparameters the search tunes for a learner:
 * the measure of complexity of simpler_finalist.
 */
static int
tuned_params(aml_algo algo)
{
	const aml_search_space *sp = aml_search_space_for(algo);

	return sp ? sp->n : 0;
}

/*
 * simpler_finalist applies the one-standard-error rule across learners.
 * The fresh folds deal the same rows again, so a learner's best
 * configuration still carries the optimism of having been chosen on
 * those rows, and the more hyperparameters the search tuned, the more of
 * it: on telecom churn's ten benchmark folds the search's gbdt estimates
 * led its decision tree's by 0.003 on average, while on the folds' unseen
 * rows the tree led by 0.006 (0.9310 against 0.9248).  So a finalist that
 * tunes fewer hyperparameters (tuned_params) and was scored in every round
 * the best finalist fin[w] was is compared with it on those rounds' fresh
 * predictions, end to end; when it is behind by at most PARSIMONY_SE
 * standard errors of the gap (paired, bootstrapped over the training rows,
 * each row's rounds together), the simplest such finalist is chosen
 * (*pick; w when none qualifies).
 */
static aml_status
simpler_finalist(train_ctx *c, const finalist *fin, int n_fin, int w,
				 double *const *yv, int *pick)
{
	aml_env    *env = c->env;
	int			nr = n_fresh(&fin[w]);
	int64_t		len = c->n_train * c->n_out;
	double		est[MAX_FINALISTS],
				se[MAX_FINALISTS];
	int			cx[MAX_FINALISTS];
	int			ok[MAX_FINALISTS];
	int			any = 0;
	double	   *ycat = NULL,
			   *pw = NULL,
			   *pk = NULL;
	aml_ensemble_input in;
	aml_status	st = AML_OK;

	*pick = w;
	for (int k = 0; k < n_fin; k++)
	{
		est[k] = NAN;
		se[k] = NAN;
		cx[k] = tuned_params(fin[k].spec.algo);
		ok[k] = k != w && (fin[k].rounds & fin[w].rounds) == fin[w].rounds && cx[k] < cx[w];
		any |= ok[k];
	}
	if (!any || nr < 1)
		return AML_OK;
	ycat = aml_malloc(env, (size_t) c->n_train * nr * sizeof(double));
	pw = aml_malloc(env, (size_t) len * nr * sizeof(double));
	pk = aml_malloc(env, (size_t) len * nr * sizeof(double));
	if (ycat == NULL || pw == NULL || pk == NULL)
	{
		st = aml_oom(env, c->err, (size_t) len * nr * 2 * sizeof(double));
		goto done;
	}
	concat_rounds(NULL, yv, fin[w].rounds, c->n_train, ycat);
	concat_rounds(&fin[w], NULL, fin[w].rounds, len, pw);
	scoring_input(c, c->n_train * nr, ycat, &in);
	est[w] = aml_metric_compute(c->metric, c->task, c->n_classes, in.n, ycat, pw);
	for (int k = 0; k < n_fin && st == AML_OK; k++)
	{
		if (!ok[k])
			continue;
		concat_rounds(&fin[k], NULL, fin[w].rounds, len, pk);
		est[k] = aml_metric_compute(c->metric, c->task, c->n_classes, in.n, ycat, pk);
		st = aml_score_diff_se(env, &in, nr, pk, pw, PARSIMONY_BOOT, PARSIMONY_ROWS, &se[k], c->err);
	}
	if (st == AML_OK)
		*pick = aml_simplest_within_se(n_fin, est, se, cx, w,
									   aml_metric_higher_is_better(c->metric), PARSIMONY_SE);
	if (st == AML_OK && *pick != w)
		aml_log(env, AML_LOG_INFO, "choosing %s over %s: %s %.4f against %.4f on the same %d fresh deal%s, within %.0f standard error%s of the gap (%.4f), with %d hyperparameters tuned instead of %d",
				aml_algo_name(fin[*pick].spec.algo), aml_algo_name(fin[w].spec.algo), c->metric,
				est[*pick], est[w], nr, nr > 1 ? "s" : "", PARSIMONY_SE, PARSIMONY_SE == 1.0 ? "" : "s",
				se[*pick], cx[*pick], cx[w]);
done:
	aml_free(env, ycat);
	aml_free(env, pw);
	aml_free(env, pk);
	return st;
}

/*
 * ensemble_finalists runs greedy ensemble selection over the finalists
 * fin[members[0..n_cand)] (best = fin[w]) on their fresh predictions of
 * the rounds the best one was scored in, end to end (len values per
 * round), and makes the mix the model when it gains ENSEMBLE_GAIN_SE
 * standard errors over the best finalist there (chosen: the members'
 * indexes in fin).
 */
static aml_status
ensemble_finalists(train_ctx *c, const finalist *fin, const int *members, int n_cand,
				   int w, double *const *yv, int n_rounds, int64_t len,
				   cand_spec *specs, double *weights, int *n_members, int *chosen)
{
	aml_env    *env = c->env;
	double	   *ycat = aml_malloc(env, (size_t) c->n_train * n_rounds * sizeof(double));
	double	   *pcat[MAX_FINALISTS] = {NULL};
	const double *pred[MAX_FINALISTS];
	int			counts[MAX_FINALISTS];
	aml_ensemble_input ein;
	aml_ensemble_result eres;
	aml_status	st = AML_OK;

	if (ycat == NULL)
		return aml_oom(env, c->err, (size_t) c->n_train * n_rounds * 8);
	concat_rounds(NULL, yv, fin[w].rounds, c->n_train, ycat);
	for (int m = 0; m < n_cand && st == AML_OK; m++)
	{
		pcat[m] = aml_malloc(env, (size_t) len * n_rounds * sizeof(double));
		if (pcat[m] == NULL)
		{
			st = aml_oom(env, c->err, (size_t) len * n_rounds * 8);
			break;
		}
		concat_rounds(&fin[members[m]], NULL, fin[w].rounds, len, pcat[m]);
		pred[m] = pcat[m];
	}
	if (st == AML_OK)
	{
		scoring_input(c, c->n_train * n_rounds, ycat, &ein);
		ein.n_cand = n_cand;
		ein.pred = pred;
		ein.prune = 1;
		ein.min_gain_se = ENSEMBLE_GAIN_SE;
		ein.n_blocks = n_rounds;
		st = aml_ensemble_select(env, &ein, counts, &eres, c->err);
	}
	if (st == AML_OK && eres.too_small)
		aml_log(env, AML_LOG_INFO, "an ensemble of finalists would gain %.4f on fresh folds, less than %.0f standard error%s (%.4f): the best finalist is kept",
				eres.gain, ENSEMBLE_GAIN_SE,
				ENSEMBLE_GAIN_SE == 1.0 ? "" : "s", eres.gain_se);
	if (st == AML_OK && eres.use && eres.n_members >= 2)
	{
		double		est = 0;

		for (int m = 0; m < n_cand; m++)
			if (counts[m] > 0)
				est += fin[members[m]].final_secs;
		ensemble_refit_fits(c, &eres, est, "finalists", "finalist");
	}
	if (st == AML_OK && eres.use && eres.n_members >= 2)
	{
		int			total = 0,
					k = 0;
		cand_spec	es;

		for (int m = 0; m < n_cand; m++)
			total += counts[m];
		for (int m = 0; m < n_cand; m++)
			if (counts[m] > 0)
			{
				specs[k] = fin[members[m]].spec;
				weights[k] = (double) counts[m] / total;
				chosen[k] = members[m];
				k++;
			}
		*n_members = k;
		memset(&es, 0, sizeof(es));
		es.algo = AML_ALGO_ENSEMBLE;
		st = report_add(c, &es, eres.score, 0.0, c->n_train, "failed");
		aml_log(env, AML_LOG_INFO, "ensemble of %d finalists: %s %.4f on fresh folds (best single %.4f; standard error of the gain %.4f)",
				k, c->metric, eres.score, eres.single_score, eres.gain_se);
	}
	for (int m = 0; m < n_cand; m++)
		aml_free(env, pcat[m]);
	aml_free(env, ycat);
	return st;
}

/*
 * baseline_verdict says that no model beat the baseline on `on` (over, the
 * learner or "ensemble" the search would keep, scored `score` against the
 * baseline's `base`; se, the gap's standard error, or NaN) and keeps the
 * record under scored_on for the diagnostics; returns 1.  When the
 * caller's "algorithms" leave the baseline out it says that their choice
 * stands instead, records nothing and returns 0.
 */
static int
baseline_verdict(train_ctx *c, const char *on, const char *scored_on, const char *over,
				 double score, double base, double se)
{
	char		gap[160] = "";
	const char *what = strcmp(over, "ensemble") == 0 ? "the ensemble" : over;

	if (isfinite(se) && better(c, score, base))
		snprintf(gap, sizeof(gap), ", ahead by less than %.0f standard error%s of the gap (%.4f)",
				 PARSIMONY_SE, PARSIMONY_SE == 1.0 ? "" : "s", se);
	if (!algo_allowed(c, AML_ALGO_BASELINE))
	{
		aml_log(c->env, AML_LOG_NOTICE, "no model beat the baseline on %s (%s %.4f for %s against the baseline's %.4f%s): the model is still %s, as \"algorithms\" asks; add \"baseline\" to it to keep the baseline instead",
				on, c->metric, score, what, base, gap, what);
		return 0;
	}
	aml_log(c->env, AML_LOG_NOTICE, "no model beat the baseline on %s (%s %.4f for %s against the baseline's %.4f%s): the model is the baseline, which predicts %s; the columns may not carry what decides \"%s\"",
			on, c->metric, score, what, base, gap,
			c->task == AML_TASK_REGRESSION ? "the training rows' mean" : "the training rows' class shares",
			c->frame->cols[c->opts->target_col].name);
	snprintf(c->baseline_over, sizeof(c->baseline_over), "%s", over);
	c->baseline_over_score = score;
	c->baseline_score = base;
	c->baseline_gap_se = se;
	c->baseline_where = scored_on;
	return 1;
}

/*
 * keep_baseline makes the baseline the model when the one chosen from the
 * finalists (fin[idx[0..n)] mixed with weights w: one finalist, or the
 * ensemble of them) is not ahead of it by more than PARSIMONY_SE standard
 * errors of the gap on the fresh deals in rounds, end to end (paired,
 * bootstrapped over the training rows as in simpler_finalist).  The
 * baseline tunes nothing: it is the simplest finalist of all.  On a table
 * whose columns carry no signal every learner fits noise, and the best of
 * several noisy fresh estimates still beats the class shares (or the
 * mean) about as often as not; on unseen rows it does worse, so the honest
 * model is the baseline, and the analyst is told.  When the caller's
 * "algorithms" leave the baseline out, the choice stands, with a NOTICE.
 */
static aml_status
keep_baseline(train_ctx *c, const finalist *fin, const int *idx, const double *w, int n,
			  unsigned rounds, const finalist *base, double *const *yv,
			  cand_spec *specs, double *weights, int *n_members)
{
	aml_env    *env = c->env;
	int			nr = 0;
	int64_t		len = c->n_train * c->n_out;
	double	   *ycat = NULL,
			   *pb = NULL,
			   *pc = NULL,
			   *tmp = NULL;
	double		b,
				m,
				se = NAN;
	aml_ensemble_input in;
	aml_status	st = AML_OK;

	for (int r = 0; r < CONFIRM_ROUNDS; r++)
		nr += (rounds >> r) & 1;
	if (nr == 0 || n < 1 || (base->rounds & rounds) != rounds)
		return AML_OK;
	ycat = aml_malloc(env, (size_t) c->n_train * nr * sizeof(double));
	pb = aml_malloc(env, (size_t) len * nr * sizeof(double));
	pc = aml_calloc(env, (size_t) len * nr, sizeof(double));
	tmp = aml_malloc(env, (size_t) len * nr * sizeof(double));
	if (ycat == NULL || pb == NULL || pc == NULL || tmp == NULL)
	{
		st = aml_oom(env, c->err, (size_t) len * nr * 3 * sizeof(double));
		goto done;
	}
	concat_rounds(NULL, yv, rounds, c->n_train, ycat);
	concat_rounds(base, NULL, rounds, len, pb);
	for (int k = 0; k < n; k++)
	{
		/* an ensemble's outputs are its members' averaged with their weights */
		concat_rounds(&fin[idx[k]], NULL, rounds, len, tmp);
		for (int64_t i = 0; i < len * nr; i++)
			pc[i] += w[k] * tmp[i];
	}
	scoring_input(c, c->n_train * nr, ycat, &in);
	b = aml_metric_compute(c->metric, c->task, c->n_classes, in.n, ycat, pb);
	m = aml_metric_compute(c->metric, c->task, c->n_classes, in.n, ycat, pc);
	st = aml_score_diff_se(env, &in, nr, pb, pc, PARSIMONY_BOOT, PARSIMONY_ROWS, &se, c->err);
	if (st == AML_OK && isfinite(b) && isfinite(se) && behind(c, m, b) <= PARSIMONY_SE * se &&
		baseline_verdict(c, "fresh folds", "the finalists' fresh folds",
						 n > 1 ? "ensemble" : aml_algo_name(fin[idx[0]].spec.algo), m, b, se))
	{
		memset(&specs[0], 0, sizeof(cand_spec));
		specs[0].algo = AML_ALGO_BASELINE;
		weights[0] = 1.0;
		*n_members = 1;
	}
done:
	aml_free(env, ycat);
	aml_free(env, pb);
	aml_free(env, pc);
	aml_free(env, tmp);
	return st;
}

/*
 * baseline_best says so when the search's best trial, and so the model,
 * is the baseline (no finalists were confirmed: a validation split,
 * time_column, a max_rows sample, or no time left): as keep_baseline
 * does, it tells the analyst and keeps the record.  When the caller's
 * "algorithms" leave the baseline out, the model is the best trial of
 * theirs instead (specs[0]), with a NOTICE.
 */
static void
baseline_best(train_ctx *c, const aml_search_trace *t, cand_spec *specs)
{
	int			b = -1;
	const char *on;

	for (int i = 0; i < t->n_trials; i++)
	{
		const aml_search_trial *tr = &t->trials[i];

		if (tr->algo != AML_ALGO_BASELINE && !tr->was_cut && isfinite(tr->score) &&
			(b < 0 || better(c, tr->score, t->trials[b].score)))
			b = i;
	}
	if (b < 0)
		return;					/* no learner was scored at all */
	on = c->time_col >= 0 ? "the search's later time blocks" :
		c->holdout ? "the search's validation rows" : "the search's cross-validation";
	if (!baseline_verdict(c, on, on, aml_algo_name(t->trials[b].algo), t->trials[b].score,
						  t->trials[t->best].score, NAN))
	{
		/* the caller named the learners: the best of them */
		specs[0].algo = t->trials[b].algo;
		specs[0].params = t->trials[b].params;
	}
}

/*
 * run_search runs the budgeted search and, when it helps on the
 * out-of-fold predictions, greedy ensemble selection.  It returns the
 * configuration(s) to refit in specs/weights.
 *
 * With cross-validation on a random split, the search stops early enough
 * to confirm its finalists (confirm_finalists): the model is then the
 * finalist with the best estimate (finalist_estimate), or an ensemble of
 * the finalists chosen on their fresh predictions when it gains enough
 * (ensemble_finalists), or else a finalist that tunes fewer
 * hyperparameters and is within a standard error of the best
 * (simpler_finalist).
 */
/*
 * imbalanced says whether the search should try balanced class weights:
 * classification where the largest class has at least CLASS_IMBALANCE
 * times the training rows of the smallest.  Nearer to balance the weights
 * hardly change a model, and the trial costs time: on letter recognition
 * (26 classes of about 3.8% each) a weighted gbdt won its trial by noise
 * and the search ended at log loss 0.112 instead of 0.091.
 */
#define CLASS_IMBALANCE 2.0

/*
 * log_kept_calibration says what calibrating did to the kept multiclass
 * candidates, whose predictions (a validation split's rows, or the
 * search's folds when no finalist was confirmed) the search calibrated at
 * the temperature it fitted and scored them at (evaluate), for mixing.
 */
static void
log_kept_calibration(train_ctx *c, search_state *ss)
{
	for (int i = 0; i < ss->n_kept; i++)
		if (ss->kept_spec[i].temp > 0)
			log_calibration(c, &ss->kept_spec[i], ss->kept_raw[i], ss->kept_score[i],
							c->holdout ? "the validation rows" : "the search's folds");
}

static int
imbalanced(const train_ctx *c)
{
	int64_t    *count;
	int64_t		lo = INT64_MAX,
				hi = 0;

	if (c->task == AML_TASK_REGRESSION || c->n_classes < 2)
		return 0;
	count = aml_calloc(c->env, (size_t) c->n_classes, sizeof(int64_t));
	if (count == NULL)
		return 0;
	(void) aml_class_counts(c->y, c->train_idx, c->n_train, c->n_classes, count);
	for (int k = 0; k < c->n_classes; k++)
		if (count[k] > 0)
		{
			lo = count[k] < lo ? count[k] : lo;
			hi = count[k] > hi ? count[k] : hi;
		}
	aml_free(c->env, count);
	return hi > 0 && (double) hi >= CLASS_IMBALANCE * (double) lo;
}

static aml_status
run_search(train_ctx *c, cand_spec *specs, double *weights, int *n_members)
{
	aml_env    *env = c->env;
	const aml_train_options *opts = c->opts;
	search_state ss;
	aml_search_config cfg;
	aml_search_trace trace;
	aml_rng		rng;
	aml_status	st;
	double		elapsed = now(c) - c->t0;
	double		share;
	unsigned	mask = 0;
	int			confirm = !c->holdout && c->time_col < 0;
	double		conf_deadline = 0;
	finalist	fin[MAX_FINALISTS];
	finalist	base;
	int			n_fin = 0;
	double	   *conf_yv[CONFIRM_ROUNDS] = {NULL};
	double		best_score = NAN;

	memset(&ss, 0, sizeof(ss));
	memset(&base, 0, sizeof(base));
	base.spec.algo = AML_ALGO_BASELINE;
	ss.c = c;
	ss.best = NAN;
	ss.perm = aml_malloc(env, (size_t) c->n_train * sizeof(int64_t));
	ss.sub = aml_malloc(env, (size_t) c->n_train * sizeof(int64_t));
	ss.yv = aml_malloc(env, (size_t) c->n_train * sizeof(double));
	if (!ss.perm || !ss.sub || !ss.yv)
	{
		st = aml_oom(env, c->err, (size_t) c->n_train * 24);
		goto done_ss;
	}
	memcpy(ss.perm, c->train_idx, (size_t) c->n_train * sizeof(int64_t));
	aml_rng_seed(&rng, opts->seed ^ 0x5ea4c4ULL);
	aml_rng_shuffle(&rng, ss.perm, c->n_train);

	for (int a = 0; a < AML_ALGO_ENSEMBLE; a++)
		if (algo_allowed(c, (aml_algo) a))
			mask |= 1u << a;
	aml_search_config_init(&cfg);
	cfg.algorithms = mask;
	cfg.higher_is_better = c->hib;
	cfg.n_outputs = c->task == AML_TASK_MULTICLASS ? c->n_classes : 1;
	cfg.n_rows = c->n_train;
	if (opts->max_rows > 0 && opts->max_rows < c->n_train)
	{
		/*
		 * a search on a sample confirms nothing: the finalists' fresh folds
		 * would fit every training row, more than max_rows asks for
		 */
		cfg.n_rows = opts->max_rows;
		confirm = 0;
	}
	ss.full_rows = cfg.n_rows;
	/*
	 * keep about 15% of the budget for the final fit (and, when assessing,
	 * 35% more for the learning curve and the leakage checks)
	 */
	share = opts->assess ? 0.5 : 1.0 - AFTER_SEARCH_SHARE;
	cfg.budget_seconds = opts->budget_seconds > 0 ?
		(opts->budget_seconds * share - elapsed > 0.05 ? opts->budget_seconds * share - elapsed : 0.05) : 0;
	if (confirm && cfg.budget_seconds > 0)
	{
		/*
		 * the finalists' confirmation gets the end of the search's time, as
		 * much as the trials so far need (confirm_reserve)
		 */
		conf_deadline = now(c) + cfg.budget_seconds;
		ss.search_and_confirm = cfg.budget_seconds;
		cfg.after_seconds = confirm_reserve;
		cfg.after_ctx = &ss;
	}
	else if (confirm)
		conf_deadline = INFINITY;
	cfg.clock = opts->clock;
	cfg.clock_ctx = env->ctx;
	cfg.seed = opts->seed;
	cfg.class_weights = imbalanced(c);
	cfg.gen_features = c->model->n_gen > 0;
	cfg.final_reserve = refit_reserve(c);
	aml_search_trace_init(&trace, env);
	aml_log(env, AML_LOG_INFO, "searching on %lld training rows (%s, %s), budget %.1f s%s",
			(long long) c->n_train, c->holdout ? "validation split" : "cross-validation",
			c->metric, cfg.budget_seconds,
			cfg.after_seconds ? " with the finalists' confirmation" : "");
	st = aml_search_run(env, &cfg, search_eval, &ss, &trace, c->err);
	if (st != AML_OK)
		goto done;
	if (ss.n_oom > 0)
	{
		/* every learner ran out of memory: the baseline is no model to keep */
		int			scored = 0;

		for (int i = 0; i < c->report->n_cands; i++)
			scored |= c->report->cands[i].algo != AML_ALGO_BASELINE && isfinite(c->report->cands[i].score);
		if (!scored)
		{
			st = aml_set_error(c->err, AML_ENOMEM, "out of memory for automl training");
			aml_set_detail(c->err, "Every candidate but the baseline ran out of %s; the last one: %s",
						   oom_budget(c), ss.oom_last);
			aml_set_hint(c->err, "Increase automl.work_mem, or train on fewer rows with the \"max_rows\" option.");
			goto done;
		}
	}
	if (trace.stop == AML_STOP_BUDGET)
	{
		/* a NOTICE when the budget did not even cover every learner once */
		char		missing[256] = "";
		size_t		len = 0;

		for (int a = 0; a < AML_ALGO_ENSEMBLE; a++)
		{
			int			tried = 0;

			if (!(mask & (1u << a)))
				continue;
			for (int t = 0; t < trace.n_trials && !tried; t++)
				tried = scored_trial(&trace.trials[t], (aml_algo) a, 0);
			if (!tried && len < sizeof(missing) - 32)
				len += (size_t) snprintf(missing + len, sizeof(missing) - len, "%s%s",
										 len ? ", " : "", aml_algo_name((aml_algo) a));
		}
		if (len)
			aml_log(env, AML_LOG_NOTICE, "the time budget ran out before every learner was tried (not tried: %s); the best model found is kept",
					missing);
		else
			aml_log(env, AML_LOG_INFO, "time budget reached after %d candidates", trace.n_trials);
	}
	else
		aml_log(env, AML_LOG_INFO, "search %s after %d candidates",
				trace.stop == AML_STOP_CONVERGED ? "converged" :
				trace.stop == AML_STOP_PATIENCE ? "stopped improving" : "reached its trial limit",
				trace.n_trials);
	{
		/* a refit longer than the reserve ends the confirmation earlier too */
		double		over = aml_search_overrun(&cfg, &trace);

		conf_deadline -= over;
		if (over > 0)
			aml_log(env, AML_LOG_INFO, "the best configuration's refit on every training row would take about %.1f s, more than the %.1f s kept for it: the search ended %.1f s early",
					over + cfg.final_reserve, cfg.final_reserve, over);
	}

	memset(&specs[0], 0, sizeof(cand_spec));
	specs[0].algo = AML_ALGO_BASELINE;
	if (trace.best >= 0)
	{
		specs[0].algo = trace.trials[trace.best].algo;
		specs[0].params = trace.trials[trace.best].params;
		specs[0].temp = trace.trials[trace.best].temp;
		best_score = trace.trials[trace.best].score;
	}
	weights[0] = 1.0;
	*n_members = 1;

	memset(fin, 0, sizeof(fin));
	if (confirm)
	{
		for (int r = 0; r < CONFIRM_ROUNDS; r++)
			if ((conf_yv[r] = aml_malloc(env, (size_t) c->n_train * sizeof(double))) == NULL)
			{
				st = aml_oom(env, c->err, (size_t) c->n_train * 8);
				goto done;
			}
		st = confirm_finalists(c, &trace, ss.full_rows, conf_deadline, fin, &n_fin, &base, conf_yv);
		if (st != AML_OK)
			goto done;
		apply_temperatures(c, fin, n_fin);
	}
	if (n_fin == 0)
		log_kept_calibration(c, &ss);	/* no finalists: the kept candidates mix */
	if (n_fin > 0)
	{
		int			w = -1;
		int			chosen[MAX_FINALISTS];
		int			n_rounds = 0;

		/* the best estimate; then an ensemble of the finalists */
		for (int k = 0; k < n_fin; k++)
			if (fin[k].rounds != 0 && (w < 0 || better(c, finalist_estimate(&fin[k]), finalist_estimate(&fin[w]))))
				w = k;
		if (w >= 0)
		{
			n_rounds = n_fresh(&fin[w]);
			specs[0] = fin[w].spec;
			aml_log(env, AML_LOG_INFO, "best finalist: %s, %s %.4f (mean of %d fresh score%s%s)",
					aml_algo_name(fin[w].spec.algo), c->metric, finalist_estimate(&fin[w]),
					n_rounds, n_rounds > 1 ? "s" : "",
					fin[w].is_default ? " and its search score" : "");
		}
		if (w >= 0 && opts->ensemble)
		{
			/*
			 * Candidates: the finalists scored in every round the best one
			 * was, on their predictions of those rounds end to end.
			 */
			int			members[MAX_FINALISTS];
			int			n_cand = 0;
			int64_t		len = c->n_train * c->n_out;

			for (int k = 0; k < n_fin; k++)
				if ((fin[k].rounds & fin[w].rounds) == fin[w].rounds)
					members[n_cand++] = k;
			if (n_cand >= 2)
			{
				st = ensemble_finalists(c, fin, members, n_cand, w, conf_yv, n_rounds, len,
										specs, weights, n_members, chosen);
				if (st != AML_OK)
					goto done;
			}
		}
		if (w >= 0 && *n_members == 1)
		{
			/* no ensemble: the simplest finalist within a standard error */
			st = simpler_finalist(c, fin, n_fin, w, conf_yv, &chosen[0]);
			if (st != AML_OK)
				goto done;
			specs[0] = fin[chosen[0]].spec;
		}
		if (w >= 0)
		{
			/* and the baseline, simplest of all, within a standard error */
			st = keep_baseline(c, fin, chosen, weights, *n_members, fin[w].rounds,
							   &base, conf_yv, specs, weights, n_members);
			if (st != AML_OK)
				goto done;
		}
	}
	/* a greedy ensemble over the kept out-of-fold predictions */
	else if (opts->ensemble && ss.n_kept >= 2)
	{
		aml_ensemble_input ein;
		aml_ensemble_result eres;
		int			counts[MAX_KEPT_OOF];

		scoring_input(c, ss.n_scored, ss.yv, &ein);
		ein.n_cand = ss.n_kept;
		ein.pred = (const double *const *) ss.kept_oof;
		ein.prune = 1;
		ein.min_gain_se = ENSEMBLE_GAIN_SE;
		st = aml_ensemble_select(env, &ein, counts, &eres, c->err);
		if (st != AML_OK)
			goto done;
		if (eres.n_pruned > 0)
			aml_log(env, AML_LOG_INFO, "ensemble: %d of %d kept candidates are more than %.4f (twice the best one's bootstrap standard error) below the best and are left out",
					eres.n_pruned, ss.n_kept, eres.margin);
		if (eres.too_small)
			aml_log(env, AML_LOG_INFO, "an ensemble would gain %.4f, less than %.0f standard error%s (%.4f): the best single candidate is kept",
					eres.gain, ENSEMBLE_GAIN_SE, ENSEMBLE_GAIN_SE == 1.0 ? "" : "s", eres.gain_se);
		/*
		 * The ensemble must also beat the search's best trial, which may have
		 * been scored on a sample (its predictions are not kept).
		 */
		{
			double		est = 0;

			for (int i = 0; i < ss.n_kept; i++)
				if (counts[i] > 0)
					est += ss.kept_final[i];
			ensemble_refit_fits(c, &eres, est, "candidates", "single candidate");
		}
		if (eres.use && eres.n_members >= 2 &&
			(trace.best < 0 || better(c, eres.score, best_score)))
		{
			int			total = 0,
						k = 0;
			cand_spec	es;

			for (int i = 0; i < ss.n_kept; i++)
				total += counts[i];
			for (int i = 0; i < ss.n_kept; i++)
				if (counts[i] > 0)
				{
					specs[k] = ss.kept_spec[i];
					weights[k] = (double) counts[i] / total;
					k++;
				}
			*n_members = k;
			memset(&es, 0, sizeof(es));
			es.algo = AML_ALGO_ENSEMBLE;
			if ((st = report_add(c, &es, eres.score, 0.0, c->n_train, "failed")) != AML_OK)
				goto done;
			aml_log(env, AML_LOG_INFO, "ensemble of %d candidates: %s %.4f (best single %.4f)",
					k, c->metric, eres.score, eres.single_score);
		}
	}

	if (st == AML_OK && *n_members == 1 && specs[0].algo == AML_ALGO_BASELINE &&
		!c->baseline_over[0] && trace.best >= 0 &&
		trace.trials[trace.best].algo == AML_ALGO_BASELINE)
		baseline_best(c, &trace, specs);

done:
	for (int k = 0; k < n_fin; k++)
		for (int r = 0; r < CONFIRM_ROUNDS; r++)
			aml_free(env, fin[k].oof[r]);
	for (int r = 0; r < CONFIRM_ROUNDS; r++)
		aml_free(env, base.oof[r]);
	for (int r = 0; r < CONFIRM_ROUNDS; r++)
		aml_free(env, conf_yv[r]);
	aml_search_trace_free(&trace);
done_ss:
	for (int i = 0; i < ss.n_kept; i++)
		aml_free(env, ss.kept_oof[i]);
	aml_free(env, ss.perm);
	aml_free(env, ss.sub);
	aml_free(env, ss.yv);
	return st;
}

/* ---------------------------------------------------------------- report */


/* json_take returns the finished text, or NULL (freed) when out of memory */
static char *
json_take(aml_json *j)
{
	if (j->oom)
	{
		aml_json_free(j);
		return NULL;
	}
	return j->s;
}

/* json_params writes hyperparameters as one JSON object */
static void
json_params(aml_json *j, const aml_params *p, double temp)
{
	aml_json_begin_obj(j);
	for (int i = 0; i < p->n; i++)
	{
		aml_json_key(j, p->name[i]);
		aml_json_num(j, p->value[i]);
	}
	/* a member's temperature (aml_calibrate), fitted after the search */
	if (temp > 0.0 && temp != 1.0)
	{
		aml_json_key(j, "temperature");
		aml_json_num(j, temp);
	}
	aml_json_end_obj(j);
}

/*
 * metrics_json writes the test metrics of n predictions and, for a model m
 * that is one forest fitted with bootstrap, its out-of-bag estimate in the
 * search metric ("oob_score", "oob_metric", "oob_rows").  With no test
 * rows it returns NULL unless there is an out-of-bag estimate.
 */
static char *
metrics_json(train_ctx *c, int64_t n, const double *y, const double *pred,
			 const aml_model *m)
{
	const char *const *names = aml_metric_names(c->task);
	aml_json	j;
	double		oob = NAN;
	int64_t		oob_rows = 0;

	if (m && m->n_members == 1)
		oob = aml_tree_learner_oob(m->members[0].ops->algo, m->members[0].state,
								   c->metric, &oob_rows);
	if (n == 0 && !isfinite(oob))
		return NULL;
	aml_json_init(&j, c->env);
	aml_json_begin_obj(&j);
	for (int i = 0; n > 0 && names[i]; i++)
	{
		aml_json_key(&j, names[i]);
		aml_json_num(&j, aml_metric_compute(names[i], c->task, c->n_classes, n, y, pred));
	}
	if (isfinite(oob))
	{
		aml_json_key(&j, "oob_score");
		aml_json_num(&j, oob);
		aml_json_key(&j, "oob_metric");
		aml_json_str(&j, c->metric);
		aml_json_key(&j, "oob_rows");
		aml_json_int(&j, oob_rows);
	}
	aml_json_end_obj(&j);
	return json_take(&j);
}

static char *
params_json(aml_env *env, const aml_params *p, double temp)
{
	aml_json	j;

	aml_json_init(&j, env);
	json_params(&j, p, temp);
	return json_take(&j);
}

/*
 * ensemble_json lists an ensemble's members: learner, weight, parameters.
 */
/*
 * members_json writes the keys of members [e0, e1): "members", or the
 * learner's "learner" and "params" for one.
 */
static void
members_json(aml_json *j, const aml_model *m, int e0, int e1)
{
	if (e1 - e0 == 1)
	{
		aml_json_key(j, "learner");
		aml_json_str(j, m->members[e0].ops->name);
		aml_json_key(j, "params");
		json_params(j, &m->members[e0].params, m->members[e0].temp);
		return;
	}
	aml_json_key(j, "members");
	aml_json_begin_arr(j);
	for (int e = e0; e < e1; e++)
	{
		const aml_member *mb = &m->members[e];

		aml_json_begin_obj(j);
		aml_json_key(j, "learner");
		aml_json_str(j, mb->ops->name);
		aml_json_key(j, "weight");
		aml_json_num(j, round(mb->weight * 1e6) / 1e6);
		aml_json_key(j, "params");
		json_params(j, &mb->params, mb->temp);
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
}

/*
 * groups_params_json is a per-group model's hyperparameters: the group
 * column, then per group its value and its learner (or members), the
 * model of every row last with value null.
 */
static char *
groups_params_json(const train_ctx *c)
{
	const aml_model *m = c->model;
	aml_json	j;

	aml_json_init(&j, c->env);
	aml_json_begin_obj(&j);
	aml_json_key(&j, "group_by");
	aml_json_str(&j, m->inputs[m->group_input].name);
	aml_json_key(&j, "groups");
	aml_json_begin_arr(&j);
	for (int g = 0; g <= m->n_groups; g++)
	{
		aml_json_begin_obj(&j);
		aml_json_key(&j, "value");
		if (g < m->n_groups)
			aml_json_str(&j, c->seg_label[g]);
		else
			aml_json_null(&j);
		members_json(&j, m, m->seg_start[g], m->seg_start[g + 1]);
		aml_json_end_obj(&j);
	}
	aml_json_end_arr(&j);
	aml_json_end_obj(&j);
	return json_take(&j);
}

static char *
ensemble_json(aml_env *env, const aml_model *m)
{
	aml_json	j;

	aml_json_init(&j, env);
	aml_json_begin_obj(&j);
	members_json(&j, m, 0, m->n_members);
	aml_json_end_obj(&j);
	return json_take(&j);
}

/*
 * num_profile writes the min, max and mean of a numeric column over the
 * training rows into j (keys of the open object); returns how many rows
 * have a value.
 */
static int64_t
num_profile(const train_ctx *c, const float *v, aml_json *j)
{
	double		lo = INFINITY,
				hi = -INFINITY,
				sum = 0;
	int64_t		cnt = 0;

	for (int64_t r = 0; r < c->n_train; r++)
	{
		double		x = v[c->train_idx[r]];

		if (isnan(x))
			continue;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
		sum += x;
		cnt++;
	}
	aml_json_key(j, "min");
	aml_json_num(j, lo);
	aml_json_key(j, "max");
	aml_json_num(j, hi);
	aml_json_key(j, "mean");
	aml_json_num(j, cnt ? sum / cnt : NAN);
	return cnt;
}

/*
 * distribution_json writes the "distribution" of an input column over the
 * training rows, the bins automl_drift compares new rows with (drift.c):
 * a number or a date, the interior edges of at most AML_DRIFT_BINS
 * quantile bins and each bin's share of the training rows; a category,
 * its AML_DRIFT_LEVELS most frequent levels with their shares and the
 * share of the others; and the share missing.  vals is scratch for
 * n_train values.  Numbers are compared as the frame stores them (single
 * precision), so automl_drift rounds new values the same way.  A number's
 * edges, shares and missing share come from an evenly strided sample of
 * DRIFT_SAMPLE training rows when there are more: quantiles within a
 * quarter of a percent, for a PSI that reads 0.1 as a change; reading,
 * sorting and binning every row of 50 columns of 800,000 training rows
 * added 0.6 s to a 13.5 s training (bench_trees.sh).
 */
#define DRIFT_SAMPLE	16384

static void
distribution_json(train_ctx *c, const aml_fcol *fc, double *vals, aml_json *j)
{
	int64_t		n = c->n_train,
				k = 0,
				miss = 0;

	aml_json_key(j, "distribution");
	aml_json_begin_obj(j);
	if (fc->kind == AML_COL_CATEGORICAL)
	{
		level_count *lc = aml_malloc(c->env, ((size_t) fc->n_levels + 1) * sizeof(level_count));
		int			top;
		int64_t		shown = 0;

		if (lc == NULL)
		{
			j->oom = 1;
			aml_json_end_obj(j);
			return;
		}
		for (int32_t l = 0; l < fc->n_levels; l++)
		{
			lc[l].code = l;
			lc[l].count = 0;
		}
		for (int64_t r = 0; r < n; r++)
		{
			int32_t		code = fc->code[c->train_idx[r]];

			if (code < 0 || code >= fc->n_levels)
				miss++;
			else
				lc[code].count++;
		}
		/* most frequent first, then by code */
		qsort(lc, (size_t) fc->n_levels, sizeof(level_count), cmp_level_count);
		top = fc->n_levels < AML_DRIFT_LEVELS ? fc->n_levels : AML_DRIFT_LEVELS;
		while (top > 0 && lc[top - 1].count == 0)
			top--;
		aml_json_key(j, "levels");
		aml_json_begin_arr(j);
		for (int l = 0; l < top; l++)
			aml_json_str(j, fc->levels[lc[l].code]);
		aml_json_end_arr(j);
		aml_json_key(j, "shares");
		aml_json_begin_arr(j);
		for (int l = 0; l < top; l++)
		{
			aml_json_num(j, round((double) lc[l].count / n * 1e6) / 1e6);
			shown += lc[l].count;
		}
		aml_json_end_arr(j);
		aml_json_key(j, "other");
		aml_json_num(j, round((double) (n - miss - shown) / n * 1e6) / 1e6);
		aml_free(c->env, lc);
	}
	else
	{
		double		edges[AML_DRIFT_BINS];
		int64_t		bins[AML_DRIFT_BINS] = {0};
		int			ne;

		/* every training row, or an evenly strided sample of them */
		if (n > DRIFT_SAMPLE)
			n = DRIFT_SAMPLE;
		for (int64_t t = 0; t < n; t++)
		{
			int64_t		i = c->train_idx[n == c->n_train ? t : t * c->n_train / n];
			double		x = fc->kind == AML_COL_NUMERIC ? (double) fc->num[i] : fc->dt[i];

			if (isnan(x))
				miss++;
			else
				vals[k++] = x;
		}
		qsort(vals, (size_t) k, sizeof(double), aml_cmp_double);
		ne = aml_drift_edges(vals, k, AML_DRIFT_BINS, edges);
		for (int64_t r = 0; r < k; r++)
			bins[aml_drift_bin(edges, ne, vals[r])]++;
		aml_json_key(j, "edges");
		aml_json_begin_arr(j);
		for (int b = 0; b < ne; b++)
			aml_json_num(j, edges[b]);
		aml_json_end_arr(j);
		aml_json_key(j, "shares");
		aml_json_begin_arr(j);
		for (int b = 0; b <= ne; b++)
			aml_json_num(j, round((double) bins[b] / n * 1e6) / 1e6);
		aml_json_end_arr(j);
	}
	aml_json_key(j, "missing");
	aml_json_num(j, round((double) miss / n * 1e6) / 1e6);
	aml_json_end_obj(j);
}

/*
 * features_json describes every source column: its kind, whether it is
 * used and why not, missing rate and basic statistics over the training
 * rows, and the chosen learner's importance folded per column: split gain
 * (imp_feat) and, for tree learners, the share of splits ("importance_count":
 * each tree member's counts normalized to sum 1, weighted by the member,
 * and normalized again over the tree members).
 */
static char *
features_json(train_ctx *c, const double *imp_feat)
{
	const aml_frame *f = c->frame;
	aml_model  *m = c->model;
	aml_json	j;
	int			input = 0;
	double	   *cnt_feat = aml_calloc(c->env, (size_t) (m->n_feat ? m->n_feat : 1) * 2,
									  sizeof(double));
	double	   *vals = aml_malloc(c->env, ((size_t) c->n_train + 1) * sizeof(double));
	double		tree_weight = 0;

	if (cnt_feat == NULL || vals == NULL)
	{
		aml_free(c->env, cnt_feat);
		aml_free(c->env, vals);
		return NULL;
	}
	for (int e = 0; e < m->n_members; e++)
	{
		const aml_tree_pack *tp = aml_tree_learner_pack(m->members[e].ops->algo,
														m->members[e].state);
		double	   *tmp = cnt_feat + (m->n_feat ? m->n_feat : 1);
		double		sum = 0;

		if (tp == NULL)
			continue;
		memset(tmp, 0, (size_t) m->n_feat * sizeof(double));
		aml_tree_pack_split_counts(tp, m->n_feat, tmp);
		for (int k = 0; k < m->n_feat; k++)
			sum += tmp[k];
		for (int k = 0; k < m->n_feat && sum > 0; k++)
			cnt_feat[k] += m->members[e].weight * tmp[k] / sum;
		if (sum > 0)
			tree_weight += m->members[e].weight;
	}

	aml_json_init(&j, c->env);
	aml_json_begin_arr(&j);
	for (int col = 0; col < f->n_cols; col++)
	{
		const aml_fcol *fc = &f->cols[col];
		int64_t		miss = 0;
		int			is_input = input < m->n_inputs && c->input_col[input] == col;

		for (int64_t r = 0; r < c->n_train; r++)
		{
			int64_t		i = c->train_idx[r];

			if ((fc->kind == AML_COL_NUMERIC && isnan(fc->num[i])) ||
				(fc->kind == AML_COL_CATEGORICAL && fc->code[i] < 0) ||
				(fc->kind == AML_COL_DATETIME && isnan(fc->dt[i])))
				miss++;
		}
		aml_json_begin_obj(&j);
		aml_json_key(&j, "name");
		aml_json_str(&j, fc->name);
		aml_json_key(&j, "type");
		aml_json_str(&j, fc->source_type);
		aml_json_key(&j, "kind");
		aml_json_str(&j, fc->kind == AML_COL_NUMERIC ? "numeric" :
					 fc->kind == AML_COL_CATEGORICAL ? "categorical" : "datetime");
		aml_json_key(&j, "role");
		aml_json_str(&j, col == c->opts->target_col ? "target" : is_input ? "feature" : "dropped");
		if (c->drop_reason && c->drop_reason[col])
		{
			aml_json_key(&j, "reason");
			aml_json_str(&j, c->drop_reason[col]);
		}
		if (is_sensitive(c->opts, col))
		{
			aml_json_key(&j, "sensitive");
			aml_json_bool(&j, 1);
		}
		aml_json_key(&j, "missing_rate");
		aml_json_num(&j, c->n_train ? round((double) miss / c->n_train * 1e6) / 1e6 : 0.0);
		if (is_input)
		{
			const aml_input *in = &m->inputs[input];

			if (fc->kind == AML_COL_NUMERIC)
				(void) num_profile(c, fc->num, &j);
			else if (fc->kind == AML_COL_CATEGORICAL)
			{
				aml_json_key(&j, "levels");
				aml_json_int(&j, fc->n_levels);
				aml_json_key(&j, "kept_levels");
				aml_json_int(&j, in->n_levels);
				aml_json_key(&j, "encoding");
				aml_json_str(&j, "category codes (trees), one-hot (linear); rare and unseen levels pooled");
			}
			else
			{
				aml_json_key(&j, "encoding");
				aml_json_str(&j, in->has_time ? "year, month, day, dow, doy, days, hour" :
							 "year, month, day, dow, doy, days");
			}
			if (c->n_train > 0)
				distribution_json(c, fc, vals, &j);
			if (imp_feat)
			{
				double		s = 0;

				for (int p = 0; p < in->n_feat; p++)
					s += imp_feat[in->feat_start + p];
				aml_json_key(&j, "importance");
				aml_json_num(&j, round(s * 1e6) / 1e6);
			}
			if (tree_weight > 0)
			{
				double		s = 0;

				for (int p = 0; p < in->n_feat; p++)
					s += cnt_feat[in->feat_start + p];
				aml_json_key(&j, "importance_count");
				aml_json_num(&j, round(s / tree_weight * 1e6) / 1e6);
			}
			input++;
		}
		aml_json_end_obj(&j);
	}
	for (int g = 0; g < m->n_gen; g++)
	{
		const aml_gen *gen = &m->gens[g];
		int			jf = m->n_feat - m->n_gen + g;

		aml_json_begin_obj(&j);
		aml_json_key(&j, "name");
		aml_json_str(&j, gen->name);
		aml_json_key(&j, "type");
		aml_json_str(&j, "generated");
		aml_json_key(&j, "kind");
		aml_json_str(&j, "numeric");
		aml_json_key(&j, "role");
		aml_json_str(&j, "generated");
		aml_json_key(&j, "sum_of");
		aml_json_begin_arr(&j);
		for (int k = 0; k < gen->n; k++)
			aml_json_str(&j, m->inputs[gen->inputs[k]].name);
		aml_json_end_arr(&j);
		{
			int64_t		cnt = num_profile(c, c->ds.col[jf], &j);
			char	   *enc;
			size_t		len = 64;

			aml_json_key(&j, "missing_rate");
			aml_json_num(&j, c->n_train ? round((double) (c->n_train - cnt) / c->n_train * 1e6) / 1e6 : 0.0);
			for (int k = 0; k < gen->n; k++)
				len += strlen(m->inputs[gen->inputs[k]].name) + 3;
			enc = aml_malloc(c->env, len);
			if (enc != NULL)
			{
				size_t		o = (size_t) snprintf(enc, len, "generated: ");

				for (int k = 0; k < gen->n; k++)
					o += (size_t) snprintf(enc + o, len - o, "%s%s", k ? " + " : "",
										   m->inputs[gen->inputs[k]].name);
				aml_json_key(&j, "encoding");
				aml_json_str(&j, enc);
				aml_free(c->env, enc);
			}
			else
				j.oom = 1;
		}
		if (imp_feat)
		{
			aml_json_key(&j, "importance");
			aml_json_num(&j, round(imp_feat[jf] * 1e6) / 1e6);
		}
		if (tree_weight > 0)
		{
			aml_json_key(&j, "importance_count");
			aml_json_num(&j, round(cnt_feat[jf] / tree_weight * 1e6) / 1e6);
		}
		aml_json_end_obj(&j);
	}
	aml_json_end_arr(&j);
	aml_free(c->env, cnt_feat);
	aml_free(c->env, vals);
	if (j.oom)
	{
		aml_json_free(&j);
		return NULL;
	}
	return j.s;
}

void
aml_report_free(aml_report *r)
{
	aml_env    *env;

	if (r == NULL)
		return;
	env = r->env;
	aml_free(env, r->cands);
	aml_free(env, r->metrics_json);
	aml_free(env, r->baseline_json);
	aml_free(env, r->features_json);
	aml_free(env, r->params_json);
	aml_free(env, r->diagnostics_json);
	for (int g = 0; g < r->n_groups; g++)
		aml_free(env, r->group_labels[g]);
	aml_free(env, r->group_labels);
	aml_free(env, r);
}

size_t
aml_report_json(const aml_report *r, const char *section, char *buf, size_t cap)
{
	const char *s = NULL;
	size_t		n;

	if (strcmp(section, "metrics") == 0)
		s = r->metrics_json;
	else if (strcmp(section, "baseline") == 0)
		s = r->baseline_json;
	else if (strcmp(section, "features") == 0)
		s = r->features_json;
	else if (strcmp(section, "hyperparameters") == 0)
		s = r->params_json;
	else if (strcmp(section, "diagnostics") == 0)
		s = r->diagnostics_json;
	if (s == NULL)
		s = "null";
	n = strlen(s);
	if (buf && cap)
	{
		size_t		k = n < cap - 1 ? n : cap - 1;

		memcpy(buf, s, k);
		buf[k] = '\0';
	}
	return n;
}

int
aml_report_n_candidates(const aml_report *r)
{
	return r->n_cands;
}

const aml_candidate *
aml_report_candidate(const aml_report *r, int i)
{
	return &r->cands[i];
}

aml_task
aml_report_task(const aml_report *r)
{
	return r->task;
}

const char *
aml_report_metric(const aml_report *r)
{
	return r->metric;
}

double
aml_report_test_score(const aml_report *r)
{
	return r->test_score;
}

double
aml_report_baseline_score(const aml_report *r)
{
	return r->baseline_score;
}

int
aml_report_higher_is_better(const aml_report *r)
{
	return r->higher_is_better;
}

int64_t
aml_report_train_rows(const aml_report *r)
{
	return r->train_rows;
}

int64_t
aml_report_test_rows(const aml_report *r)
{
	return r->test_rows;
}

/* ---------------------------------------------------------------- main */

static void
ctx_cleanup(train_ctx *c)
{
	aml_env    *env = c->env;

	if (c->labels)
	{
		for (int k = 0; k < c->n_classes && k <= MAX_CLASSES; k++)
			aml_free(env, c->labels[k]);
		aml_free(env, c->labels);
	}
	aml_free(env, c->y);
	aml_free(env, c->train_idx);
	aml_free(env, c->test_idx);
	aml_free(env, c->fold_of);
	if (c->owned_cols)
		for (int j = 0; j < c->ds.n_feat; j++)
			aml_free(env, c->owned_cols[j]);
	aml_free(env, c->owned_cols);
	aml_free(env, c->cols);
	if (c->level_map)
		for (int i = 0; i < c->frame->n_cols; i++)
			aml_free(env, c->level_map[i]);
	aml_free(env, c->level_map);
	aml_free(env, c->input_col);
	aml_free(env, c->drop_reason);
	aml_free(env, c->seg_label);
	aml_free(env, c->checked);
}

static int
cmp_rank(const void *a, const void *b, void *arg)
{
	const aml_candidate *x = *(aml_candidate *const *) a;
	const aml_candidate *y = *(aml_candidate *const *) b;
	int			hib = *(int *) arg;

	/* per group: the model of every row, then each group's, in order */
	if (x->group_index != y->group_index)
		return x->group_index < y->group_index ? -1 : 1;
	if (isnan(x->score) != isnan(y->score))
		return isnan(x->score) ? 1 : -1;
	if (x->score != y->score)
		return (hib ? x->score < y->score : x->score > y->score) ? 1 : -1;
	return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------- diagnostics */

/*
 * diag_optional runs a diagnostics section the model does not need (the
 * curves; the importance and the explained examples): when it runs out of
 * memory, the report leaves it out with a NOTICE rather than failing a
 * training whose model is fitted.  The bias table (governance reads it) and
 * an assessment's own section are not optional.
 */
static aml_status
diag_optional(train_ctx *c, aml_json *j, const aml_diag_input *di, const char *what,
			  aml_status (*section) (aml_json *, const aml_diag_input *, aml_error *))
{
	size_t		len = j->len;
	int			comma = j->need_comma;
	int			was_oom = j->oom;
	aml_status	st = section(j, di, c->err);
	char		why[512];

	/* the JSON had run out before: nothing to go back to */
	if (was_oom)
		return st;
	if (st == AML_OK && j->oom)
		st = aml_oom(c->env, c->err, j->cap);
	if (st != AML_ENOMEM)
		return st;
	/* back to the JSON before the section */
	j->len = len;
	j->need_comma = comma;
	j->oom = 0;
	if (j->s)
		j->s[len] = '\0';
	(void) skip_oom(c, &st, why, sizeof(why));
	aml_log(c->env, AML_LOG_NOTICE, "the model report leaves out the %s: computing them ran out of %s: %s",
			what, oom_budget(c), why);
	return AML_OK;
}

/* ---------------------------------------------------------------- final refit */

/*
 * refit_members fits specs[0..n) on every training row into m's members
 * (allocated for at least n), and fails with AML_ETOOLARGE when the model
 * would serialize to more than the caller can store.  On failure the
 * members fitted so far are freed and m has none.
 */
static aml_status
refit_members(train_ctx *c, aml_model *m, const cand_spec *specs, const double *weights, int n)
{
	aml_status	st = AML_OK;

	for (int e = 0; e < n && st == AML_OK; e++)
	{
		double		t = now(c);
		void	   *state = NULL;
		char		ptxt[200];

		params_text(&specs[e].params, ptxt, sizeof(ptxt));
		aml_log(c->env, AML_LOG_INFO, "refitting %s%s%s%s on %lld training rows",
				aml_algo_name(specs[e].algo), ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "",
				(long long) c->n_train);
		st = fit_one(c, &specs[e], c->train_idx, c->n_train, NULL, 0, &state);
		if (st != AML_OK)
			break;
		m->members[e].state = state;
		m->members[e].ops = aml_learner_for(specs[e].algo);
		m->members[e].weight = weights[e];
		m->members[e].params = specs[e].params;
		m->members[e].temp = specs[e].temp;
		m->n_members = e + 1;
		if (c->opts->manual)
			st = report_add(c, &specs[e], NAN, now(c) - t, c->n_train, "manual");
	}
	/* the model as it is stored: one member's parameters are the model's */
	m->algo = n > 1 ? AML_ALGO_ENSEMBLE : specs[0].algo;
	memset(&m->params, 0, sizeof(m->params));
	if (n == 1)
		m->params = specs[0].params;
	if (st == AML_OK)
		st = check_model_size(c, m);
	if (st != AML_OK)
	{
		for (int e = 0; e < m->n_members; e++)
		{
			m->members[e].ops->free_state(c->env, m->members[e].state);
			memset(&m->members[e], 0, sizeof(m->members[e]));
		}
		m->n_members = 0;
	}
	return st;
}

/*
 * check_model_size refuses a model whose serialized size is over the
 * caller's limit (generated features no member reads are dropped later:
 * a bound).
 */
static aml_status
check_model_size(train_ctx *c, const aml_model *m)
{
	aml_status	st = AML_OK;

	if (c->opts->max_model_bytes > 0)
	{
		size_t		bytes = aml_model_serialized_size(m);

		if (bytes > c->opts->max_model_bytes)
		{
			size_t		lim = c->opts->max_model_bytes;

			st = aml_set_error(c->err, AML_ETOOLARGE, "model is too large to store");
			aml_set_detail(c->err, "It takes %.0f %s serialized, over the %.0f %s limit.",
						   bytes < 10485760 ? bytes / 1024.0 : bytes / 1048576.0,
						   bytes < 10485760 ? "kB" : "MB",
						   lim < 10485760 ? lim / 1024.0 : lim / 1048576.0,
						   lim < 10485760 ? "kB" : "MB");
			if (c->opts->manual)
				aml_set_hint(c->err, "Choose a smaller configuration (fewer or shallower trees, larger leaves), or train on fewer rows with the \"max_rows\" option.");
			else
				aml_set_hint(c->err, "Raise automl.max_model_size (at most 512MB), or train on fewer rows with the \"max_rows\" option.");
		}
	}
	return st;
}

/*
 * refit_estimate is how long a leaderboard row's configuration would take
 * on every training row, at its trial's seconds per fitted row (0 when
 * unknown).
 */
static double
refit_estimate(const train_ctx *c, const aml_candidate *cd)
{
	double		fits = c->holdout || c->time_col >= 0 ? 1 : c->n_folds;

	if (!(cd->fit_seconds > 0) || cd->sample_rows <= 0)
		return 0;
	return cd->fit_seconds * (double) c->n_train / ((double) cd->sample_rows * fits);
}

/*
 * refit_fallback is what training does when the chosen model's refit on
 * every training row ran out of memory (*st AML_ENOMEM) or made a model
 * too large to store (AML_ETOOLARGE): the refit fits more rows than any
 * search trial (1.25 times under 5-fold cross-validation, all rows after a
 * max_rows sample), so a budget the search stayed within can still be too
 * small for it, and trees grow with the rows.  Rather than failing after
 * the whole budget, training refits the next best thing that fits, with a
 * NOTICE each time: an ensemble's members alone, the heaviest first; then
 * the best scored configuration of each learner not tried yet, best first
 * (skipping a learner that ran out alone, and a configuration whose refit
 * would end past the budget's 10% grace).  Not the baseline: a model that
 * knows nothing is not worth storing in place of the search's, and the
 * error tells the user what to raise.  On success specs[0] is what was
 * refitted and *n_members 1; otherwise the last failure's error stands.
 */
/*
 * refit_why turns a refit that ran out of memory or made a model too large
 * to store (*st) into why it gave way ("ran out of automl.work_mem
 * (needed ...)", "made a model too large to store (it takes ...)"); c->err
 * is cleared and *st becomes AML_OK.
 */
static void
refit_why(train_ctx *c, aml_status *st, char *why, size_t len)
{
	char		detail[sizeof(c->err->detail)];
	aml_status	was = *st;
	size_t		n;

	take_error(c, st, detail, sizeof(detail));
	n = strlen(detail);
	if (n > 0 && detail[n - 1] == '.')
		detail[n - 1] = '\0';
	/* the detail's sentence goes in parentheses: lower-case */
	if (detail[0] >= 'A' && detail[0] <= 'Z')
		detail[0] = (char) (detail[0] - 'A' + 'a');
	if (was == AML_ENOMEM)
		snprintf(why, len, "ran out of %s (%s)", oom_budget(c), detail);
	else
		snprintf(why, len, "made a model too large to store (%s)", detail);
}

static aml_status
refit_fallback(train_ctx *c, aml_model *m, cand_spec *specs, double *weights, int *n_members,
			   aml_status st)
{
	const aml_report *r = c->report;
	cand_spec	tries[MAX_MEMBERS + AML_ALGO_COUNT];
	double		est[MAX_MEMBERS + AML_ALGO_COUNT];	/* refit seconds, 0 unknown */
	double		w[MAX_MEMBERS + AML_ALGO_COUNT];	/* members' weights, scores */
	int			n_tries = 0;
	uint32_t	spent = 0;
	char		what[64];
	char		why[512];
	double		budget = c->opts->budget_seconds;
	aml_error	last;
	aml_status	last_st = st;

	if ((st != AML_ENOMEM && st != AML_ETOOLARGE) || c->opts->manual)
		return st;
	snprintf(what, sizeof(what), "%s", *n_members > 1 ? "the ensemble" : aml_algo_name(specs[0].algo));
	if (*n_members == 1)
	{
		char		ptxt[200];

		spent = 1u << specs[0].algo;
		params_text(&specs[0].params, ptxt, sizeof(ptxt));
		snprintf(c->refit_chosen, sizeof(c->refit_chosen), "%s%s%s%s", what,
				 ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "");
	}
	else
		snprintf(c->refit_chosen, sizeof(c->refit_chosen), "an ensemble of %d", *n_members);
	/* an ensemble's members, heaviest first */
	for (int e = 0; e < *n_members && *n_members > 1; e++)
	{
		int			k;

		for (k = n_tries++; k > 0 && weights[e] > w[k - 1]; k--)
		{
			tries[k] = tries[k - 1];
			w[k] = w[k - 1];
		}
		tries[k] = specs[e];
		w[k] = weights[e];
		est[k] = 0;
	}
	/* the best leaderboard row of each other learner, best first */
	for (int a = AML_ALGO_BASELINE + 1; a < AML_ALGO_ENSEMBLE; a++)
	{
		const aml_candidate *best = NULL;
		int			member = 0,
					k;

		for (int t = 0; t < *n_members && *n_members > 1; t++)
			member |= (int) specs[t].algo == a;
		if (member || (spent & (1u << a)))
			continue;
		for (int i = 0; i < r->n_cands; i++)
			if ((int) r->cands[i].algo == a && isfinite(r->cands[i].score) &&
				(best == NULL || better(c, r->cands[i].score, best->score)))
				best = &r->cands[i];
		if (best == NULL)
			continue;
		for (k = n_tries++; k > 0 && (*n_members > 1 ? k > *n_members : 1) &&
			 better(c, best->score, w[k - 1]); k--)
		{
			tries[k] = tries[k - 1];
			w[k] = w[k - 1];
			est[k] = est[k - 1];
		}
		memset(&tries[k], 0, sizeof(cand_spec));
		tries[k].algo = best->algo;
		tries[k].params = best->params;
		w[k] = best->score;
		est[k] = refit_estimate(c, best);
	}
	last = *c->err;
	refit_why(c, &st, why, sizeof(why));
	snprintf(c->refit_why, sizeof(c->refit_why), "%s", why);
	for (int t = 0; t < n_tries; t++)
	{
		double		one = 1.0;
		char		ptxt[200];

		if ((spent & (1u << tries[t].algo)) ||
			(budget > 0 && est[t] > 0 && now(c) - c->t0 + est[t] > budget * 1.1))
			continue;
		params_text(&tries[t].params, ptxt, sizeof(ptxt));
		aml_log(c->env, AML_LOG_NOTICE, "refitting %s on all %lld training rows %s; refitting %s%s%s%s instead",
				what, (long long) c->n_train, why, aml_algo_name(tries[t].algo),
				ptxt[0] ? " (" : "", ptxt, ptxt[0] ? ")" : "");
		st = refit_members(c, m, &tries[t], &one, 1);
		if (st == AML_OK)
		{
			specs[0] = tries[t];
			weights[0] = 1.0;
			*n_members = 1;
			return AML_OK;
		}
		/* any error but memory and size stands */
		if (st != AML_ENOMEM && st != AML_ETOOLARGE)
			return st;
		last = *c->err;
		last_st = st;
		refit_why(c, &st, why, sizeof(why));
		spent |= 1u << tries[t].algo;
		snprintf(what, sizeof(what), "%s", aml_algo_name(tries[t].algo));
	}
	/* nothing fitted: the last failure */
	*c->err = last;
	return last_st;
}

/*
 * fit_model searches (or takes the manual configuration) on the training
 * rows c->train_idx and refits the choice on them all into the model's
 * members (none before).
 */
static aml_status
fit_model(train_ctx *c, cand_spec *specs, double *weights)
{
	aml_env    *env = c->env;
	const aml_train_options *opts = c->opts;
	aml_error  *err = c->err;
	aml_model  *m = c->model;
	int			n_members = 1;
	aml_status	st;

	if (opts->manual)
	{
		char		msg[256];

		specs[0].algo = opts->manual_algo;
		specs[0].params = opts->manual_params;
		if (aml_learner_for(specs[0].algo) == NULL)
			return aml_set_error(err, AML_EINVAL, "algorithm \"%s\" is not available", aml_algo_name(specs[0].algo));
		if (aml_params_check(specs[0].algo, &specs[0].params, msg, sizeof(msg)))
			return aml_set_error(err, AML_EINVAL, "%s", msg);
		if (c->task == AML_TASK_REGRESSION &&
			aml_params_get(&specs[0].params, AML_CLASS_WEIGHT, 0) != 0)
		{
			st = aml_set_error(err, AML_EINVAL, "parameter \"%s\" applies to classification only", AML_CLASS_WEIGHT);
			aml_set_hint(err, "The target is numeric, so the task is regression.");
			return st;
		}
		weights[0] = 1.0;
		n_members = 1;
	}
	else if ((st = run_search(c, specs, weights, &n_members)) != AML_OK)
		return st;

	/* the folds are done with: their memory goes before the refit (the
	 * groups' searches still need them) */
	if (c->group_input < 0)
	{
		aml_free(env, c->fold_of);
		c->fold_of = NULL;
	}

	/* refit the chosen configuration(s) on every training row */
	m->members = aml_calloc(env, (size_t) n_members, sizeof(aml_member));
	if (m->members == NULL)
		return aml_oom(env, err, sizeof(aml_member));
	c->refit_seconds = now(c);
	st = refit_members(c, m, specs, weights, n_members);
	st = refit_fallback(c, m, specs, weights, &n_members, st);
	c->refit_seconds = now(c) - c->refit_seconds;
	return st;
}

/* ---------------------------------------------------------------- groups */

#define GROUP_KEEP_SE		1.0		/* a group's model must beat the model of
									 * every row by this many standard errors */
#define GROUP_MIN_SECONDS	0.25	/* a group's search gets at least this */
#define GROUP_CHECK_OTHERS	20000	/* other training rows of a group's check */
#define GROUPS_AFTER_SHARE	0.05	/* of the budget, kept after every group's
									 * model for the test scoring and report */

typedef struct group_row
{
	double		key;
	int64_t		row;
} group_row;

static int
cmp_group_row(const void *a, const void *b)
{
	const group_row *x = a;
	const group_row *y = b;

	/* missing values last (NaN compares false both ways) */
	if (isnan(x->key) != isnan(y->key))
		return isnan(x->key) ? 1 : -1;
	if (!isnan(x->key) && x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * group_key is frame row i's raw value of the group input as scoring sees
 * it: a kept category's code, or the number at the frame's (single)
 * precision; NaN when missing or a pooled category (code -1, which no
 * group has).
 */
static double
group_key(const train_ctx *c, int64_t i)
{
	double		v = raw_input(c, c->group_input, i);

	return v < 0 && c->model->inputs[c->group_input].kind == AML_COL_CATEGORICAL ? NAN : v;
}

/*
 * groups_diag writes the "groups" diagnostics of a per-group model: per
 * group, its rows, its learner and the test metric on its test rows, next
 * to what the model of every row alone scores on the same rows; the same
 * over every test row.
 */
static aml_status
groups_diag(train_ctx *c, aml_json *j, int64_t nt, const double *ytest, const double *pred)
{
	aml_env    *env = c->env;
	const aml_model *m = c->model;
	int			no = c->n_out;
	int			ng = m->n_groups;
	aml_model	alone = *m;
	double	   *wpred = NULL,
			   *raw = NULL,
			   *ys = NULL,
			   *ps = NULL,
			   *ws = NULL;
	int		   *seg = NULL;
	int64_t    *n_train_g = NULL;
	void	   *scratch = NULL;
	aml_status	st = AML_OK;

	/* the model of every row, alone */
	alone.n_groups = 0;
	alone.members = m->members + (ng ? m->seg_start[ng] : 0);
	alone.n_members = ng ? m->seg_start[ng + 1] - m->seg_start[ng] : m->n_members;
	alone.algo = alone.n_members > 1 ? AML_ALGO_ENSEMBLE : alone.members[0].ops->algo;
	alone.explainer = NULL;

	wpred = aml_malloc(env, (size_t) (nt ? nt : 1) * no * sizeof(double));
	ws = aml_malloc(env, (size_t) (nt ? nt : 1) * no * sizeof(double));
	ps = aml_malloc(env, (size_t) (nt ? nt : 1) * no * sizeof(double));
	ys = aml_malloc(env, (size_t) (nt ? nt : 1) * sizeof(double));
	seg = aml_malloc(env, (size_t) (nt ? nt : 1) * sizeof(int));
	n_train_g = aml_calloc(env, (size_t) ng + 1, sizeof(int64_t));
	raw = aml_malloc(env, (size_t) TEST_BLOCK * (m->n_inputs ? m->n_inputs : 1) * sizeof(double));
	scratch = aml_malloc(env, aml_model_scratch_size(m));
	if (!wpred || !ws || !ps || !ys || !seg || !n_train_g || !raw || !scratch)
	{
		st = aml_oom(env, c->err, (size_t) nt * (3 * no + 2) * sizeof(double));
		goto done;
	}
	for (int64_t b0 = 0; b0 < nt; b0 += TEST_BLOCK)
	{
		int64_t		bn = nt - b0 < TEST_BLOCK ? nt - b0 : TEST_BLOCK;

		raw_inputs(c, c->test_idx + b0, bn, raw);
		aml_model_predict(&alone, bn, raw, wpred + (size_t) b0 * no, scratch);
	}
	for (int64_t r = 0; r < nt; r++)
		seg[r] = ng ? aml_model_segment(m, group_key(c, c->test_idx[r])) : 0;
	for (int64_t r = 0; r < c->n_train; r++)
		n_train_g[ng ? aml_model_segment(m, group_key(c, c->train_idx[r])) : 0]++;

	aml_json_key(j, "groups");
	aml_json_begin_obj(j);
	aml_json_key(j, "group_by");
	aml_json_str(j, m->inputs[c->group_input].name);
	aml_json_key(j, "min_rows");
	aml_json_int(j, c->opts->group_min_rows);
	aml_json_key(j, "metric");
	aml_json_str(j, c->metric);
	aml_json_key(j, "test_score");
	aml_json_num(j, c->report->test_score);
	aml_json_key(j, "every_row_model_test_score");
	aml_json_num(j, aml_metric_compute(c->metric, c->task, c->n_classes, nt, ytest, wpred));
	aml_json_key(j, "groups");
	aml_json_begin_arr(j);
	for (int g = 0; g <= ng; g++)
	{
		int64_t		n = 0;
		int			e0 = ng ? m->seg_start[g] : 0,
					e1 = ng ? m->seg_start[g + 1] : m->n_members;

		for (int64_t r = 0; r < nt; r++)
			if (seg[r] == g)
			{
				ys[n] = ytest[r];
				memcpy(ps + n * no, pred + r * no, (size_t) no * sizeof(double));
				memcpy(ws + n * no, wpred + r * no, (size_t) no * sizeof(double));
				n++;
			}
		aml_json_begin_obj(j);
		aml_json_key(j, "value");
		if (g < ng)
			aml_json_str(j, c->seg_label[g]);
		else
			aml_json_null(j);
		aml_json_key(j, "learner");
		aml_json_str(j, e1 - e0 > 1 ? "ensemble" : m->members[e0].ops->name);
		aml_json_key(j, "train_rows");
		aml_json_int(j, n_train_g[g]);
		aml_json_key(j, "test_rows");
		aml_json_int(j, n);
		aml_json_key(j, "test_score");
		aml_json_num(j, n ? aml_metric_compute(c->metric, c->task, c->n_classes, n, ys, ps) : NAN);
		if (g < ng)
		{
			aml_json_key(j, "every_row_model_test_score");
			aml_json_num(j, n ? aml_metric_compute(c->metric, c->task, c->n_classes, n, ys, ws) : NAN);
		}
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	/* each searched group's model against the model of every row, out of fold */
	aml_json_key(j, "checked");
	aml_json_begin_arr(j);
	for (int g = 0; g < c->report->n_groups; g++)
	{
		const group_check *gc = &c->checked[g];

		aml_json_begin_obj(j);
		aml_json_key(j, "value");
		aml_json_str(j, c->report->group_labels[g]);
		aml_json_key(j, "train_rows");
		aml_json_int(j, gc->train_rows);
		aml_json_key(j, "kept");
		aml_json_bool(j, gc->kept > 0 || (gc->kept < 0 && c->opts->manual));
		aml_json_key(j, "checked");
		aml_json_bool(j, gc->kept >= 0);
		if (gc->kept >= 0)
		{
			aml_json_key(j, "out_of_fold_rows");
			aml_json_int(j, gc->rows);
			aml_json_key(j, "out_of_fold_score");
			aml_json_num(j, gc->own);
			aml_json_key(j, "every_row_model_out_of_fold_score");
			aml_json_num(j, gc->every_row);
			aml_json_key(j, "score_with_own_model");
			aml_json_num(j, gc->with_own);
			aml_json_key(j, "score_without");
			aml_json_num(j, gc->without);
			aml_json_key(j, "gain_se");
			aml_json_num(j, gc->se);
		}
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	aml_json_end_obj(j);

done:
	aml_free(env, wpred);
	aml_free(env, ws);
	aml_free(env, ps);
	aml_free(env, ys);
	aml_free(env, seg);
	aml_free(env, n_train_g);
	aml_free(env, raw);
	aml_free(env, scratch);
	return st;
}

/*
 * check_group_column finds the group column among the model's inputs and
 * refuses one that cannot route rows: returns AML_OK with c->group_input
 * set.
 */
static aml_status
check_group_column(train_ctx *c)
{
	const aml_frame *f = c->frame;
	const char *name = c->opts->group_column;
	int			col = -1;
	const char *reason;

	for (int j = 0; j < f->n_cols && col < 0; j++)
		if (strcmp(f->cols[j].name, name) == 0)
			col = j;
	if (col < 0)
	{
		aml_set_error(c->err, AML_EINVAL, "group column \"%s\" does not exist in the source", name);
		aml_set_hint(c->err, "Option \"group_by\" names a text, boolean or integer column of the source; names are case-sensitive.");
		return AML_EINVAL;
	}
	if (col == c->opts->target_col)
	{
		aml_set_error(c->err, AML_EINVAL, "group column \"%s\" is the target", name);
		aml_set_hint(c->err, "Group by a column that splits the rows, such as a region or a store.");
		return AML_EINVAL;
	}
	if (f->cols[col].kind == AML_COL_DATETIME ||
		(f->cols[col].kind == AML_COL_NUMERIC && !f->cols[col].is_integer))
	{
		aml_set_error(c->err, AML_EINVAL, "group column \"%s\" is not a text, boolean or integer column", name);
		aml_set_detail(c->err, "Its type is %s.", f->cols[col].source_type ? f->cols[col].source_type : "not discrete");
		aml_set_hint(c->err, "Group by a column of discrete values, or derive one in a query source, e.g. SELECT *, date_part('year', day)::int AS year FROM ...");
		return AML_EINVAL;
	}
	for (int i = 0; i < c->model->n_inputs; i++)
		if (c->input_col[i] == col)
		{
			c->group_input = i;
			return AML_OK;
		}
	reason = c->drop_reason[col] ? c->drop_reason[col] : "unused";
	aml_set_error(c->err, AML_EINVAL, "group column \"%s\" is not a feature of the model", name);
	if (strcmp(reason, "excluded") == 0 || strcmp(reason, "sensitive") == 0)
	{
		aml_set_detail(c->err, "It is %s.", strcmp(reason, "excluded") == 0 ?
					   "in the \"exclude\" list" : "a sensitive column, left out of the features");
		aml_set_hint(c->err, "A row's group must be known to score it: take the column out of \"%s\".",
					 strcmp(reason, "excluded") == 0 ? "exclude" : "sensitive");
	}
	else
	{
		aml_set_detail(c->err, "%s",
					   strcmp(reason, "id_like") == 0 ? "It has a different value in almost every row." :
					   strcmp(reason, "constant") == 0 ? "It has a single value." :
					   "It is NULL in every training row.");
		aml_set_hint(c->err, "Group by a column with a few values, each shared by many rows.");
	}
	return AML_EINVAL;
}

/*
 * group_eligible says whether the n training rows rows[] may have a model of
 * their own: enough of them, and of every class.
 */
static int
group_eligible(const train_ctx *c, const group_row *rows, int64_t n)
{
	int64_t		count[MAX_CLASSES + 1];

	if (n < c->opts->group_min_rows || n < 2)
		return 0;
	if (c->task == AML_TASK_REGRESSION)
		return 1;
	memset(count, 0, sizeof(count));
	for (int64_t r = 0; r < n; r++)
		count[(int) c->y[rows[r].row]]++;
	for (int k = 0; k < c->n_classes; k++)
		if (count[k] < AML_GROUP_MIN_CLASS)
			return 0;
	return 1;
}

/*
 * oof_members writes into out (n_out values per frame row) the out-of-fold
 * predictions of members mb[0..n), weighted, for the training rows
 * c->train_idx under the current folds: each fold's configuration fitted
 * on the other folds (holdout: the validation fold only).  Rows not
 * validated are left as they were.
 */
static aml_status
oof_members(train_ctx *c, const aml_member *mb, int n, double *out)
{
	aml_env    *env = c->env;
	int			no = c->n_out;
	int64_t    *fit_rows = aml_malloc(env, (size_t) (c->n_train + 1) * sizeof(int64_t));
	int64_t    *val_rows = aml_malloc(env, (size_t) (c->n_train + 1) * sizeof(int64_t));
	double	   *tmp = aml_malloc(env, (size_t) (c->n_train + 1) * no * sizeof(double));
	aml_status	st = AML_OK;

	if (!fit_rows || !val_rows || !tmp)
		st = aml_oom(env, c->err, (size_t) c->n_train * (16 + no * 8));
	for (int k = 0; st == AML_OK && k < (c->holdout ? 1 : c->n_folds); k++)
	{
		int64_t		nf = 0,
					nv = 0;

		aml_fold_rows(c->fold_of, 0, k, c->train_idx, c->n_train, fit_rows, &nf, val_rows, &nv);
		if (nv == 0 || nf == 0)
			continue;
		for (int64_t r = 0; r < nv; r++)
			for (int j = 0; j < no; j++)
				out[val_rows[r] * no + j] = 0.0;
		for (int e = 0; e < n && st == AML_OK; e++)
		{
			cand_spec	spec;
			void	   *state = NULL;

			memset(&spec, 0, sizeof(spec));
			spec.algo = mb[e].ops->algo;
			spec.params = mb[e].params;
			if ((st = fit_one(c, &spec, fit_rows, nf, val_rows, nv, &state)) != AML_OK)
				break;
			{
				aml_member	fitted = mb[e];

				fitted.state = state;
				aml_member_predict(&fitted, no, &c->ds, val_rows, nv, tmp);
			}
			mb[e].ops->free_state(env, state);
			for (int64_t r = 0; r < nv; r++)
				for (int j = 0; j < no; j++)
					out[val_rows[r] * no + j] += mb[e].weight * tmp[r * no + j];
		}
		if (st == AML_OK && aml_check_cancel(env))
			st = aml_set_error(c->err, AML_ECANCELED, "automl training was canceled");
	}
	aml_free(env, fit_rows);
	aml_free(env, val_rows);
	aml_free(env, tmp);
	return st;
}

/*
 * check_group decides whether a group keeps its model: out of fold, the
 * group's members (its own folds) against the model of every row
 * (whole_oof, every training row all_idx[0..n_all)).  gc gets both scores
 * on the group's rows, for the record; the decision is on the metric over
 * the training rows (the group's, and up to GROUP_CHECK_OTHERS others),
 * where the group's rows are scored by its model or by the model of every
 * row: a ranking metric such as the AUC also compares rows of different
 * groups, so a group model that ranks its rows well but on another scale
 * than the rest can still lower it.
 */
static aml_status
check_group(train_ctx *c, const aml_member *mb, int n, const double *whole_oof,
			const int64_t *all_idx, int64_t n_all, double *gbuf, group_check *gc)
{
	aml_env    *env = c->env;
	int			no = c->n_out;
	int64_t		cap = c->n_train + GROUP_CHECK_OTHERS + 2;
	double	   *y = aml_malloc(env, (size_t) cap * sizeof(double));
	double	   *po = aml_malloc(env, (size_t) cap * no * sizeof(double));
	double	   *pw = aml_malloc(env, (size_t) cap * no * sizeof(double));
	int64_t		k = 0,
				kg;
	aml_status	st;

	if (!y || !po || !pw)
		st = aml_oom(env, c->err, (size_t) cap * (8 + 16 * no));
	else
	{
		for (int64_t r = 0; r < c->n_train; r++)
			gbuf[c->train_idx[r] * no] = NAN;
		st = oof_members(c, mb, n, gbuf);
	}
	if (st == AML_OK)
	{
		aml_ensemble_input in;
		int64_t		n_other = n_all - c->n_train,
					stride = n_other > GROUP_CHECK_OTHERS ? (n_other + GROUP_CHECK_OTHERS - 1) / GROUP_CHECK_OTHERS : 1,
					seen = 0,
					g = 0;

		/* the group's rows scored by both */
		for (int64_t r = 0; r < c->n_train; r++)
		{
			int64_t		i = c->train_idx[r];

			if (isnan(gbuf[i * no]) || isnan(whole_oof[i * no]))
				continue;
			y[k] = c->y[i];
			memcpy(po + k * no, gbuf + i * no, (size_t) no * sizeof(double));
			memcpy(pw + k * no, whole_oof + i * no, (size_t) no * sizeof(double));
			k++;
		}
		kg = k;
		gc->rows = kg;
		gc->own = aml_metric_compute(c->metric, c->task, c->n_classes, kg, y, po);
		gc->every_row = aml_metric_compute(c->metric, c->task, c->n_classes, kg, y, pw);
		/* every stride-th other training row (both lists are sorted) */
		for (int64_t r = 0; r < n_all; r++)
		{
			int64_t		i = all_idx[r];

			while (g < c->n_train && c->train_idx[g] < i)
				g++;
			if ((g < c->n_train && c->train_idx[g] == i) || isnan(whole_oof[i * no]))
				continue;
			if (seen++ % stride != 0 || k == cap)
				continue;
			y[k] = c->y[i];
			memcpy(po + k * no, whole_oof + i * no, (size_t) no * sizeof(double));
			memcpy(pw + k * no, whole_oof + i * no, (size_t) no * sizeof(double));
			k++;
		}
		gc->with_own = aml_metric_compute(c->metric, c->task, c->n_classes, k, y, po);
		gc->without = aml_metric_compute(c->metric, c->task, c->n_classes, k, y, pw);
		scoring_input(c, k, y, &in);
		st = aml_score_diff_se(env, &in, 1, po, pw, PARSIMONY_BOOT, PARSIMONY_ROWS, &gc->se, c->err);
		/*
		 * the group keeps its model only where it does better by more than
		 * the standard error of the gain: a model chosen on the group's rows
		 * is favoured there, and one model fewer is the simpler choice
		 */
		gc->kept = kg > 0 && isfinite(gc->with_own) &&
			(!isfinite(gc->without) ||
			 behind(c, gc->with_own, gc->without) > GROUP_KEEP_SE * (isfinite(gc->se) ? gc->se : 0.0));
	}
	aml_free(env, y);
	aml_free(env, po);
	aml_free(env, pw);
	return st;
}

/*
 * train_groups fits the per-group model: the model of every training row
 * first (it scores the values without a model of their own), then one
 * search per eligible group on its rows, each with a share of the budget
 * left in proportion to its rows (the model of every row counts all of
 * them).  The members are laid out group by group, every row's last.
 */
static aml_status
train_groups(train_ctx *c, cand_spec *specs, double *weights)
{
	aml_env    *env = c->env;
	aml_model  *m = c->model;
	const aml_train_options *opts = c->opts;
	aml_train_options so = *opts;
	int64_t    *all_idx = c->train_idx;
	int64_t		n_all = c->n_train;
	int			holdout = c->holdout,
				n_folds = c->n_folds;
	group_row  *gr = NULL;
	int64_t    *gstart = NULL;	/* per eligible group: first row in gr */
	int64_t    *gcount = NULL;
	int64_t    *seg_rows = NULL;
	aml_member *acc = NULL;		/* the groups' members */
	int			n_acc = 0;
	aml_member *whole = NULL;	/* every row's */
	int			n_whole = 0;
	aml_algo	whole_algo = AML_ALGO_BASELINE;
	aml_params	whole_params;
	double	   *whole_oof = NULL;	/* its out-of-fold predictions, per frame row */
	double	   *gbuf = NULL;
	int			n_groups = 0;
	int			n_kept = 0;
	int64_t		rows_left;
	double		budget = opts->budget_seconds;
	aml_status	st = AML_OK;
	char		label[96];

	memset(&whole_params, 0, sizeof(whole_params));

	/* the training rows by group value, then row */
	gr = aml_malloc(env, (size_t) n_all * sizeof(group_row));
	gstart = aml_malloc(env, (size_t) (AML_MAX_GROUPS + 1) * sizeof(int64_t));
	gcount = aml_malloc(env, (size_t) (AML_MAX_GROUPS + 1) * sizeof(int64_t));
	seg_rows = aml_malloc(env, (size_t) n_all * sizeof(int64_t));
	if (!gr || !gstart || !gcount || !seg_rows)
	{
		st = aml_oom(env, c->err, (size_t) n_all * 32);
		goto done;
	}
	for (int64_t r = 0; r < n_all; r++)
	{
		gr[r].key = group_key(c, all_idx[r]);
		gr[r].row = all_idx[r];
	}
	qsort(gr, (size_t) n_all, sizeof(group_row), cmp_group_row);
	{
		int64_t		a = 0;
		int			n_values = 0;
		int64_t		largest = 0;

		while (a < n_all && !isnan(gr[a].key))
		{
			int64_t		b = a;

			while (b < n_all && gr[b].key == gr[a].key)
				b++;
			n_values++;
			largest = b - a > largest ? b - a : largest;
			if (group_eligible(c, gr + a, b - a))
			{
				if (n_groups == AML_MAX_GROUPS)
				{
					st = aml_set_error(c->err, AML_EINVAL, "too many groups");
					aml_set_detail(c->err, "More than %d values of \"%s\" have %lld training rows or more.",
								   AML_MAX_GROUPS, opts->group_column, (long long) opts->group_min_rows);
					aml_set_hint(c->err, "Raise \"group_min_rows\", or group by a coarser column.");
					goto done;
				}
				gstart[n_groups] = a;
				gcount[n_groups] = b - a;
				n_groups++;
			}
			a = b;
		}
		if (n_groups == 0)
		{
			st = aml_set_error(c->err, AML_EINVAL, "no group has enough rows for a model of its own");
			aml_set_detail(c->err, "\"%s\" has %d values; the largest has %lld training rows. A group needs %lld training rows%s.",
						   opts->group_column, n_values, (long long) largest,
						   (long long) opts->group_min_rows,
						   c->task == AML_TASK_REGRESSION ? "" :
						   ", with at least 5 of every class");
			aml_set_hint(c->err, "Lower \"group_min_rows\", group by a coarser column, or train without \"group_by\".");
			goto done;
		}
		aml_log(env, AML_LOG_NOTICE, "%d of the %d values of \"%s\" have enough rows for a model of their own%s",
				n_groups, n_values, opts->group_column,
				opts->manual ? "" : ": each is searched, and kept where it does better than the model of every row");
	}
	c->report->group_labels = aml_calloc(env, (size_t) n_groups, sizeof(char *));
	c->seg_label = aml_calloc(env, (size_t) n_groups, sizeof(char *));
	c->checked = aml_calloc(env, (size_t) n_groups, sizeof(group_check));
	m->group_key = aml_malloc(env, (size_t) n_groups * sizeof(double));
	m->seg_start = aml_malloc(env, (size_t) (n_groups + 2) * sizeof(int));
	if (!c->report->group_labels || !c->seg_label || !c->checked || !m->group_key || !m->seg_start)
	{
		st = aml_oom(env, c->err, (size_t) n_groups * 64);
		goto done;
	}

	/* segment -1 (every row, first), then the groups */
	rows_left = 2 * n_all;
	for (int g = 0; g < n_groups; g++)
		rows_left += gcount[g];
	c->opts = &so;
	for (int g = -1; g < n_groups && st == AML_OK; g++)
	{
		int64_t		n_seg = g < 0 ? n_all : gcount[g];
		double		left = budget * (1.0 - GROUPS_AFTER_SHARE) - (now(c) - c->t_start);
		group_check *gc = g < 0 ? NULL : &c->checked[g];

		if (g < 0)
		{
			c->group_label = NULL;
			aml_log(env, AML_LOG_NOTICE, "the model of every row: %lld training rows", (long long) n_all);
		}
		else
		{
			const aml_input *in = &m->inputs[c->group_input];
			double		key = gr[gstart[g]].key;

			if (in->kind == AML_COL_CATEGORICAL)
				snprintf(label, sizeof(label), "%s", in->levels[(int) key]);
			else
				format_number(label, sizeof(label), key);
			if ((c->report->group_labels[g] = aml_strdup(env, label)) == NULL)
			{
				st = aml_oom(env, c->err, sizeof(label));
				break;
			}
			c->report->n_groups = g + 1;
			c->group_label = c->report->group_labels[g];
			gc->train_rows = n_seg;
			gc->own = gc->every_row = gc->with_own = gc->without = gc->se = NAN;
			gc->kept = -1;
			for (int64_t r = 0; r < n_seg; r++)
				seg_rows[r] = gr[gstart[g] + r].row;
			qsort(seg_rows, (size_t) n_seg, sizeof(int64_t), aml_cmp_i64);
			c->train_idx = seg_rows;
			c->n_train = n_seg;
			c->holdout = n_seg > CV_MAX_ROWS ||
				(c->task == AML_TASK_MULTICLASS && n_seg * c->n_classes > CV_MAX_CLASS_ROWS);
			c->n_folds = c->holdout ? 5 : (opts->folds >= 2 ? opts->folds : 5);
			if ((st = refold(c, opts->seed ^ (uint64_t) (g + 1))) != AML_OK)
				break;
			aml_log(env, AML_LOG_NOTICE, "group %s = %s: %lld training rows",
					opts->group_column, label, (long long) n_seg);
		}
		/* this group's share of what is left */
		so.budget_seconds = budget > 0 ?
			fmax(left * (double) (g < 0 ? 2 * n_seg : n_seg) / (double) rows_left, 0.05) : 0;
		rows_left -= g < 0 ? 2 * n_seg : n_seg;
		if (g >= 0 && budget > 0 && !opts->manual && so.budget_seconds < GROUP_MIN_SECONDS)
		{
			/* a search this short would be a guess, and its overhead an overrun */
			aml_log(env, AML_LOG_NOTICE, "group %s = %s: no time left to search it (%.2f s); the model of every row scores it",
					opts->group_column, label, so.budget_seconds);
			continue;
		}
		c->t0 = now(c);
		c->baseline_over[0] = '\0';
		c->refit_chosen[0] = '\0';
		m->members = NULL;
		m->n_members = 0;
		if ((st = fit_model(c, specs, weights)) != AML_OK)
			break;

		/*
		 * out of fold, on the same rows: the model of every row first (its
		 * predictions of every training row), then each group's model
		 * against them.  Each check costs a refit per fold; one that would
		 * not fit the time left is skipped, and the group keeps its model.
		 */
		if (g < 0)
		{
			double		est = c->refit_seconds * (c->holdout ? 1 : c->n_folds);

			whole = m->members;
			n_whole = m->n_members;
			whole_algo = m->algo;
			whole_params = m->params;
			m->members = NULL;
			m->n_members = 0;
			if (opts->manual)
				;				/* one configuration, as asked: no check */
			else if (budget > 0 && est > 0.5 * (budget * (1.0 - GROUPS_AFTER_SHARE) - (now(c) - c->t_start)))
			{
				/*
				 * unchecked, a group's model is a gamble against the model
				 * of every row: that one is the model
				 */
				aml_log(env, AML_LOG_NOTICE, "no group is searched: checking the groups' models against the model of every row would take its %d out-of-fold fits, about %.1f s, over half the time left; the model of every row is the model (a larger budget leaves time for the groups)",
						c->holdout ? 1 : c->n_folds, est);
				break;
			}
			else
			{
				whole_oof = aml_malloc(env, (size_t) c->frame->n_rows * c->n_out * sizeof(double));
				gbuf = aml_malloc(env, (size_t) c->frame->n_rows * c->n_out * sizeof(double));
				if (!whole_oof || !gbuf)
				{
					st = aml_oom(env, c->err, (size_t) c->frame->n_rows * c->n_out * 16);
					break;
				}
				for (int64_t i = 0; i < c->frame->n_rows * c->n_out; i++)
					whole_oof[i] = NAN;
				if ((st = oof_members(c, whole, n_whole, whole_oof)) != AML_OK)
					break;
			}
			continue;
		}
		if (whole_oof &&
			!(budget > 0 && now(c) - c->t_start + c->refit_seconds * (c->holdout ? 1 : c->n_folds) >
			  budget * (1.0 - GROUPS_AFTER_SHARE)))
		{
			if ((st = check_group(c, m->members, m->n_members, whole_oof, all_idx, n_all, gbuf, gc)) != AML_OK)
				break;
			aml_log(env, AML_LOG_NOTICE, "group %s = %s: out of fold on its %lld rows, its model %s %.4f, the model of every row %.4f; over the training rows %.4f with its model, %.4f without (standard error %.4f): %s",
					opts->group_column, label, (long long) gc->rows, c->metric, gc->own, gc->every_row,
					gc->with_own, gc->without, gc->se,
					gc->kept ? "its model is kept" : "the model of every row scores it");
		}
		if (gc->kept < 0 && !opts->manual)
			aml_log(env, AML_LOG_NOTICE, "group %s = %s: no time left to check its model against the model of every row, which scores it",
					opts->group_column, label);
		if (gc->kept == 0 || (gc->kept < 0 && !opts->manual))
		{
			for (int e = 0; e < m->n_members; e++)
				m->members[e].ops->free_state(env, m->members[e].state);
		}
		else
		{
			/* the group's segment (its members, in group order) */
			aml_member *grown = aml_realloc(env, acc, (size_t) (n_acc + m->n_members) * sizeof(aml_member));

			if (grown == NULL)
			{
				for (int e = 0; e < m->n_members; e++)
					m->members[e].ops->free_state(env, m->members[e].state);
				st = aml_oom(env, c->err, (size_t) (n_acc + m->n_members) * sizeof(aml_member));
				aml_free(env, m->members);
				m->members = NULL;
				m->n_members = 0;
				break;
			}
			acc = grown;
			m->seg_start[n_kept] = n_acc;
			m->group_key[n_kept] = gr[gstart[g]].key;
			c->seg_label[n_kept] = c->group_label;
			n_kept++;
			memcpy(acc + n_acc, m->members, (size_t) m->n_members * sizeof(aml_member));
			n_acc += m->n_members;
		}
		aml_free(env, m->members);
		m->members = NULL;
		m->n_members = 0;
	}
	c->opts = opts;
	c->t0 = c->t_start;
	c->train_idx = all_idx;
	c->n_train = n_all;
	c->holdout = holdout;
	c->n_folds = n_folds;
	c->group_label = NULL;
	/* what one group's search kept or gave way on is in its leaderboard */
	c->baseline_over[0] = '\0';
	c->refit_chosen[0] = '\0';
	if (st == AML_OK)
	{
		aml_member *all = aml_realloc(env, acc, (size_t) (n_acc + n_whole) * sizeof(aml_member));

		if (all == NULL)
			st = aml_oom(env, c->err, (size_t) (n_acc + n_whole) * sizeof(aml_member));
		else
		{
			acc = all;
			memcpy(acc + n_acc, whole, (size_t) n_whole * sizeof(aml_member));
			aml_free(env, whole);
			whole = NULL;
			m->seg_start[n_kept] = n_acc;
			n_acc += n_whole;
			n_whole = 0;
			m->seg_start[n_kept + 1] = n_acc;
			m->members = acc;
			m->n_members = n_acc;
			acc = NULL;
			m->n_groups = n_kept;
			if (n_kept > 0)
			{
				m->group_input = c->group_input;
				m->algo = AML_ALGO_PER_GROUP;
				memset(&m->params, 0, sizeof(m->params));
			}
			else
			{
				/* no group does better: the model of every row alone */
				m->algo = whole_algo;
				m->params = whole_params;
				aml_log(env, AML_LOG_NOTICE, "no group's model did better out of fold than the model of every row, which is the model stored");
			}
			st = check_model_size(c, m);
		}
	}

done:
	for (int e = 0; e < n_acc && acc; e++)
		acc[e].ops->free_state(env, acc[e].state);
	aml_free(env, acc);
	for (int e = 0; e < n_whole && whole; e++)
		whole[e].ops->free_state(env, whole[e].state);
	aml_free(env, whole);
	aml_free(env, whole_oof);
	aml_free(env, gbuf);
	aml_free(env, gr);
	aml_free(env, gstart);
	aml_free(env, gcount);
	aml_free(env, seg_rows);
	return st;
}
aml_status
aml_train(aml_env *env, const aml_frame *frame, const aml_train_options *opts,
		  aml_model **model_out, aml_report **report_out, aml_error *err)
{
	train_ctx	c;
	cand_spec  *specs = NULL;
	double	   *weights = NULL;
	aml_status	st = AML_OK;
	double	   *raw = NULL,
			   *pred = NULL,
			   *bpred = NULL,
			   *ytest = NULL,
			   *imp = NULL;
	void	   *scratch = NULL;
	void	   *base_state = NULL;
	aml_model  *m;

	*model_out = NULL;
	*report_out = NULL;
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.frame = frame;
	c.opts = opts;
	c.err = err;
	c.t0 = now(&c);
	c.t_start = c.t0;
	c.group_input = -1;
	c.task = opts->task;
	c.fit_seed = opts->seed;

	if (opts->target_col < 0 || opts->target_col >= frame->n_cols)
		return aml_set_error(err, AML_EINVAL, "target column index out of range");
	if (frame->n_rows == 0)
	{
		aml_set_error(err, AML_EINVAL, "source has no rows");
		aml_set_hint(err, "%s needs a table, view or query that returns rows.",
					 opts->assess ? "automl_assess" : "automl_train");
		return AML_EINVAL;
	}
	if (!(opts->test_fraction >= 0.0 && opts->test_fraction < 0.9))
		return aml_set_error(err, AML_EINVAL, "test_fraction must be at least 0 and less than 0.9");
	c.time_col = -1;
	if (opts->time_column)
	{
		for (int j = 0; j < frame->n_cols && c.time_col < 0; j++)
			if (strcmp(frame->cols[j].name, opts->time_column) == 0)
				c.time_col = j;
		if (c.time_col < 0)
			return aml_set_error(err, AML_EINVAL, "time column \"%s\" does not exist in the source",
								 opts->time_column);
		if (c.time_col == opts->target_col)
		{
			aml_set_error(err, AML_EINVAL, "time column \"%s\" is the target", opts->time_column);
			aml_set_hint(err, "Order the split by another column, such as the date each row was recorded.");
			return AML_EINVAL;
		}
		if (frame->cols[c.time_col].kind == AML_COL_CATEGORICAL)
		{
			aml_set_error(err, AML_EINVAL, "time column \"%s\" is not a date, timestamp or number",
						  opts->time_column);
			aml_set_hint(err, "Cast it in a query source, e.g. SELECT *, col::date AS col_date FROM ..., and order by that.");
			return AML_EINVAL;
		}
	}

	c.report = aml_calloc(env, 1, sizeof(aml_report));
	c.model = m = aml_model_alloc(env);
	if (c.report == NULL || m == NULL)
	{
		st = aml_oom(env, err, sizeof(aml_model));
		goto fail;
	}
	c.report->env = env;

	if ((st = check_sensitive(&c)) != AML_OK)
		goto fail;
	if ((st = setup_target(&c)) != AML_OK)
		goto fail;
	c.metric = opts->metric && strcmp(opts->metric, "auto") != 0 ? opts->metric : aml_metric_default(c.task);
	if (!aml_metric_valid(c.metric, c.task))
	{
		st = aml_set_error(err, AML_EINVAL, "metric \"%s\" does not apply to a %s task", c.metric, aml_task_name(c.task));
		aml_set_hint(err, "Binary tasks take roc_auc, log_loss, accuracy, f1, precision, recall; multiclass accuracy, f1_macro, log_loss; regression rmse, mae, r2.");
		goto fail;
	}
	c.hib = aml_metric_higher_is_better(c.metric);
	{
		int64_t		labelled = 0;
		double		n_fit;

		for (int64_t i = 0; i < frame->n_rows; i++)
			labelled += !isnan(c.y[i]);
		n_fit = (double) labelled * (1.0 - opts->test_fraction);
		c.holdout = n_fit > CV_MAX_ROWS ||
			(c.task == AML_TASK_MULTICLASS && n_fit * c.n_classes > CV_MAX_CLASS_ROWS);
		c.n_folds = c.holdout ? 5 : (opts->folds >= 2 ? opts->folds : 5);
		/* forward in time: folds + 1 blocks, the first is only fitted on */
		if (c.time_col >= 0 && !c.holdout)
			c.n_folds++;
		c.report->time_col = c.time_col;
		c.report->val_folds = c.holdout ? 1 : (c.time_col >= 0 ? c.n_folds - 1 : c.n_folds);
	}
	if (opts->group_column && c.time_col >= 0)
	{
		st = aml_set_error(err, AML_EINVAL, "options \"group_by\" and \"time_column\" cannot be combined");
		aml_set_hint(err, "Train one model per group with a random split, or one time-ordered model with the group column as a feature.");
		goto fail;
	}
	if ((st = split_rows(&c)) != AML_OK)
		goto fail;
	if ((st = setup_inputs(&c)) != AML_OK)
		goto fail;
	if (opts->group_column && (st = check_group_column(&c)) != AML_OK)
		goto fail;

	m->task = c.task;
	if (c.task != AML_TASK_REGRESSION)
	{
		m->n_classes = c.n_classes;
		m->class_labels = c.labels;
		c.labels = NULL;		/* owned by the model now */
	}
	c.report->task = c.task;
	snprintf(c.report->metric, sizeof(c.report->metric), "%s", c.metric);
	c.report->higher_is_better = c.hib;
	c.report->train_rows = c.n_train;
	c.report->test_rows = c.n_test;

	/* the search (or the one manual configuration) */
	specs = aml_calloc(env, MAX_MEMBERS, sizeof(cand_spec));
	weights = aml_calloc(env, MAX_MEMBERS, sizeof(double));
	if (specs == NULL || weights == NULL)
	{
		st = aml_oom(env, err, MAX_MEMBERS * sizeof(cand_spec));
		goto fail;
	}
	if ((st = c.group_input >= 0 ? train_groups(&c, specs, weights) :
		 fit_model(&c, specs, weights)) != AML_OK)
		goto fail;
	/* generated features no member reads are not kept (nor computed) */
	{
		int			used = 0;

		for (int e = 0; e < m->n_members; e++)
			used |= aml_member_uses_gens(&m->members[e]);
		if (!used)
			aml_model_drop_gens(m);
	}

	/* score the model and the baseline on the test rows */
	if (c.n_test > 0)
	{
		int64_t		nt = c.n_test;
		cand_spec	bs;

		/* the test rows are scored in blocks: a double copy of them all
		 * would outweigh the training data */
		size_t		raw_bytes = (size_t) (nt < TEST_BLOCK ? nt : TEST_BLOCK) *
			(m->n_inputs ? m->n_inputs : 1) * sizeof(double);

		raw = aml_malloc(env, raw_bytes);
		pred = aml_malloc(env, (size_t) nt * c.n_out * sizeof(double));
		bpred = aml_malloc(env, (size_t) nt * c.n_out * sizeof(double));
		ytest = aml_malloc(env, (size_t) nt * sizeof(double));
		scratch = aml_malloc(env, aml_model_scratch_size(m));
		if (!raw || !pred || !bpred || !ytest || !scratch)
		{
			st = aml_oom(env, err, raw_bytes + (size_t) nt * (2 * c.n_out + 1) * sizeof(double));
			goto fail;
		}
		for (int64_t b0 = 0; b0 < nt; b0 += TEST_BLOCK)
		{
			int64_t		bn = nt - b0 < TEST_BLOCK ? nt - b0 : TEST_BLOCK;

			raw_inputs(&c, c.test_idx + b0, bn, raw);
			aml_model_predict(m, bn, raw, pred + (size_t) b0 * c.n_out, scratch);
		}
		for (int64_t r = 0; r < nt; r++)
			ytest[r] = c.y[c.test_idx[r]];
		c.report->test_score = aml_metric_compute(c.metric, c.task, c.n_classes, nt, ytest, pred);
		c.report->metrics_json = metrics_json(&c, nt, ytest, pred, m);

		memset(&bs, 0, sizeof(bs));
		bs.algo = AML_ALGO_BASELINE;
		if ((st = fit_one(&c, &bs, c.train_idx, c.n_train, NULL, 0, &base_state)) != AML_OK)
			goto fail;
		aml_baseline_ops.predict(base_state, &c.ds, c.test_idx, nt, bpred);
		c.report->baseline_score = aml_metric_compute(c.metric, c.task, c.n_classes, nt, ytest, bpred);
		c.report->baseline_json = metrics_json(&c, nt, ytest, bpred, NULL);
		if (!c.report->metrics_json || !c.report->baseline_json)
		{
			st = aml_oom(env, err, 1024);
			goto fail;
		}
	}
	else
	{
		c.report->test_score = NAN;
		c.report->baseline_score = NAN;
		/* no test rows: a forest's out-of-bag estimate is its only score */
		c.report->metrics_json = metrics_json(&c, 0, NULL, NULL, m);
	}

	/* diagnostics on the test split: every section writer adds its keys */
	{
		aml_diag_input di;
		aml_json	j;

		memset(&di, 0, sizeof(di));
		di.env = env;
		di.model = m;
		di.frame = frame;
		di.opts = opts;
		di.report = c.report;
		di.ds = &c.ds;
		di.task = c.task;
		di.n_classes = c.n_classes;
		di.n_out = c.n_out;
		di.metric = c.metric;
		di.higher_is_better = c.hib;
		di.n = c.n_test;
		di.rows = c.test_idx;
		di.raw_rows = test_raw_rows;
		di.raw_ctx = &c;
		di.y = ytest;
		di.pred = pred;
		di.base_pred = bpred;
		di.n_train = c.n_train;
		di.train_rows = c.train_idx;
		di.seconds = now(&c) - c.t0;
		di.frame_y = c.y;
		aml_json_init(&j, env);
		aml_json_begin_obj(&j);
		if (c.n_test > 0)
			aml_log(env, AML_LOG_INFO, "computing the report's diagnostics on %lld test rows",
					(long long) c.n_test);
		/* section writers go here */
		if (st == AML_OK)
			st = diag_optional(&c, &j, &di, "curves", aml_diag_curves);
		/* an assessment stores no model: no importance, its own section */
		if (st == AML_OK && !opts->assess)
			st = diag_optional(&c, &j, &di, "importance and examples", aml_diag_importance);
		if (st == AML_OK && opts->assess)
			st = aml_diag_assess(&j, &di, err);
		if (st == AML_OK)
			st = aml_diag_bias(&j, &di, err);
		if (st == AML_OK && opts->group_column && c.n_test > 0)
			st = groups_diag(&c, &j, c.n_test, ytest, pred);
		if (st == AML_OK && c.baseline_over[0])
		{
			/* no learner beat the baseline: what it was up against */
			aml_json_key(&j, "baseline_kept");
			aml_json_begin_obj(&j);
			aml_json_key(&j, "over");
			aml_json_str(&j, c.baseline_over);
			aml_json_key(&j, "metric");
			aml_json_str(&j, c.metric);
			aml_json_key(&j, "score");
			aml_json_num(&j, c.baseline_over_score);
			aml_json_key(&j, "baseline_score");
			aml_json_num(&j, c.baseline_score);
			aml_json_key(&j, "se");
			aml_json_num(&j, c.baseline_gap_se);
			aml_json_key(&j, "scored_on");
			aml_json_str(&j, c.baseline_where);
			aml_json_end_obj(&j);
		}
		if (st == AML_OK && c.refit_chosen[0])
		{
			/* the stored model is not the search's choice: say why */
			char		ptxt[200];

			params_text(&specs[0].params, ptxt, sizeof(ptxt));
			aml_json_key(&j, "refit");
			aml_json_begin_obj(&j);
			aml_json_key(&j, "chosen");
			aml_json_str(&j, c.refit_chosen);
			aml_json_key(&j, "reason");
			aml_json_str(&j, c.refit_why);
			aml_json_key(&j, "refitted");
			aml_json_str(&j, aml_algo_name(specs[0].algo));
			aml_json_key(&j, "hyperparameters");
			aml_json_str(&j, ptxt);
			aml_json_end_obj(&j);
		}
		aml_json_end_obj(&j);
		if (st == AML_OK && j.oom)
			st = aml_oom(env, err, 1024);
		if (st != AML_OK)
		{
			aml_json_free(&j);
			goto fail;
		}
		c.report->diagnostics_json = j.s;
	}

	/* importance and the column profile */
	/* each member's importance normalized to sum 1, weighted by the member */
	imp = aml_calloc(env, (size_t) (m->n_feat ? m->n_feat : 1) * 2, sizeof(double));
	{
		int			have = 0;

		for (int e = 0; imp && e < m->n_members; e++)
		{
			double	   *tmp = imp + (m->n_feat ? m->n_feat : 1);
			double		sum = 0;

			if (m->members[e].ops->importance == NULL)
				continue;
			memset(tmp, 0, (size_t) m->n_feat * sizeof(double));
			m->members[e].ops->importance(m->members[e].state, m->n_feat, tmp);
			for (int j = 0; j < m->n_feat; j++)
				sum += tmp[j];
			for (int j = 0; j < m->n_feat && sum > 0; j++)
				imp[j] += m->members[e].weight * tmp[j] / sum;
			have = 1;
		}
		c.report->features_json = features_json(&c, have ? imp : NULL);
	}
	c.report->params_json = m->n_groups > 0 ? groups_params_json(&c) :
		m->n_members > 1 ? ensemble_json(env, m) : params_json(env, &m->params, m->members[0].temp);
	if (!c.report->features_json || !c.report->params_json)
	{
		st = aml_oom(env, err, 1024);
		goto fail;
	}

	/* rank the leaderboard */
	{
		aml_candidate **ord = aml_malloc(env, (size_t) (c.report->n_cands + 1) * sizeof(void *));

		if (ord)
		{
			for (int i = 0; i < c.report->n_cands; i++)
				ord[i] = &c.report->cands[i];
			qsort_r(ord, (size_t) c.report->n_cands, sizeof(void *), cmp_rank, &c.hib);
			for (int i = 0; i < c.report->n_cands; i++)
				ord[i]->rank = i + 1;
			aml_free(env, ord);
		}
	}

	aml_free(env, specs);
	aml_free(env, weights);
	aml_free(env, raw);
	aml_free(env, pred);
	aml_free(env, bpred);
	aml_free(env, ytest);
	aml_free(env, scratch);
	aml_free(env, imp);
	if (base_state)
		aml_baseline_ops.free_state(env, base_state);
	ctx_cleanup(&c);
	*model_out = m;
	*report_out = c.report;
	return AML_OK;

fail:
	aml_free(env, specs);
	aml_free(env, weights);
	aml_free(env, raw);
	aml_free(env, pred);
	aml_free(env, bpred);
	aml_free(env, ytest);
	aml_free(env, scratch);
	aml_free(env, imp);
	if (base_state)
		aml_baseline_ops.free_state(env, base_state);
	ctx_cleanup(&c);
	aml_model_free(c.model);
	aml_report_free(c.report);
	return st;
}
