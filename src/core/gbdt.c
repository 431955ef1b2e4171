/*-------------------------------------------------------------------------
 *
 * gbdt.c
 *	  Gradient boosted trees on the histogram tree engine: binary logloss,
 *	  multiclass softmax (one tree per class per round), L2 regression and
 *	  Huber regression (robust to outlying targets), with shrinkage, row
 *	  and column subsampling per round, and early stopping on validation
 *	  rows.
 *
 * Every tree is grown on (g, h) with K = 1 and its leaf values -G/(H +
 * lambda) are multiplied by the learning rate.  The raw score of output k
 * is base[k] plus the values of the trees feeding k, added in tree order;
 * training scores get the same additions in the same order (from the
 * grower's row partition, or by walking the tree on the raw features when
 * rows were subsampled), so a training row's final score is bit-identical
 * to its prediction.
 *
 * Huber loss with delta d: r^2 / 2 for a residual |r| <= d, d (|r| - d / 2)
 * beyond, so an outlier pulls with a gradient of at most d.  Its hessian
 * is 0 beyond d; every row gets hessian 1 (weight w) instead, so a leaf
 * value is the shrunk mean of the clipped residuals (as LightGBM does).
 * The initial score is the weighted median of the target.
 *
 * Threads: binning and histograms fan out over features, score updates
 * and the gradient pass (which also yields the training loss of the
 * previous round) over fixed blocks of rows; every task writes only its
 * own part and block sums are added in block order, so the model does
 * not depend on env->n_threads.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "explain.h"
#include "tree.h"

#define SCORE_BLOCK 8192
#define GRAD_BLOCK 16384
#define MIN_HESS 1e-16
#define PROB_EPS 1e-12

/* A fitted boosting model. */
typedef struct gbdt_model
{
	aml_task	task;
	int			n_classes;
	int			nk;				/* raw outputs: 1 or n_classes */
	double	   *base;			/* nk initial scores */
	aml_tree_pack pack;			/* n_out 1; out_off[t] = output of tree t */
	int			n_loss;
	double	   *loss;			/* training loss per round (fit only) */
} gbdt_model;

/* The loss being boosted: the task's, or Huber with delta > 0. */
typedef struct gbdt_loss
{
	aml_task	task;
	double		delta;			/* Huber delta (regression); 0 = squared error */
} gbdt_loss;

static const aml_tree_param gbdt_params[] = {
	{"n_estimators", 1, 100000, 100, 1, 0},
	{"learning_rate", 0, 1, 0.1, 0, 1},
	{"max_leaves", 0, 1e6, 31, 1, 0},
	{"max_depth", 0, 64, 0, 1, 0},
	{"max_bins", 2, 255, 255, 1, 0},
	{"min_child_samples", 1, 1e6, 20, 1, 0},
	{"min_child_weight", 0, 1e6, 1e-3, 0, 0},
	{"reg_lambda", 0, 1e6, 1.0, 0, 0},
	{"min_split_gain", 0, 1e6, 0, 0, 0},
	{"subsample", 0, 1, 1.0, 0, 1},
	{"colsample", 0, 1, 1.0, 0, 1},
	{"early_stopping_rounds", 0, 1e6, 0, 1, 0},
	{"huber_delta", 0, 1e15, 0, 0, 0},
	{"cat_smooth", 0, 1e6, 10, 0, 0},
	{"cat_l2", 0, 1e6, 10, 0, 0},
	{"max_cat_threshold", 0, 1e6, 32, 1, 0},
	{"min_data_per_group", 0, 1e6, 100, 0, 0},
	{"max_cat_set_levels", 0, 1e6, 32, 1, 0},
	{"cat_set_min_rows", 0, 1e9, 1000, 0, 0},
};
#define N_GBDT_PARAMS ((int) (sizeof(gbdt_params) / sizeof(gbdt_params[0])))

/* gp_value returns a gbdt parameter or its default. */
static double
gp_value(const aml_params *p, const char *name)
{
	return aml_tree_param_value(p, gbdt_params, N_GBDT_PARAMS, name);
}

/*
 * gbdt_check_params validates gbdt parameters: n_estimators 1..100000
 * (100), learning_rate (0, 1] (0.1), max_leaves 0..1e6 (31; 0 =
 * unlimited), max_depth 0..64 (0 = unlimited), max_bins 2..255,
 * min_child_samples 1..1e6 (20), min_child_weight 0..1e6 (1e-3),
 * reg_lambda 0..1e6 (1), min_split_gain 0..1e6 (0), subsample and
 * colsample (0, 1] (1), early_stopping_rounds 0..1e6 (0 = off),
 * huber_delta 0..1e15 (0 = squared error; > 0: Huber loss with that
 * delta in target units, regression only); for categorical features with
 * more than four categories in a node: cat_smooth 0..1e6 (10), cat_l2
 * 0..1e6 (10), max_cat_threshold 0..1e6 (32; 0 = no limit),
 * min_data_per_group 0..1e6 (100); max_cat_set_levels 0..1e6 (32, as
 * for the forests: a category with more levels is cut in frequency
 * order; 0 = always by regularized sets, which fit noise on churn's 51
 * states, about 90 rows each: 10-fold CV of the default 0.9226 with sets,
 * 0.9248 with cuts); cat_set_min_rows 0..1e9 (1000; 0 = off): such a
 * category is still split by sets when the training rows number at least
 * this many per level (the scoring benchmark's 50 levels of 16,000 rows
 * each: the same AUC with sets, in fewer splits, scored 15% faster); see
 * aml_grow_params.
 */
static const char *
gbdt_check_params(const aml_params *p, char *buf, size_t buflen)
{
	return aml_tree_params_check("gbdt", gbdt_params, N_GBDT_PARAMS, p, buf, buflen);
}

/* gbdt_free_state releases a boosting model. */
static void
gbdt_free_state(aml_env *env, void *state)
{
	gbdt_model *m = state;

	if (m == NULL)
		return;
	aml_tree_pack_free(env, &m->pack);
	aml_free(env, m->base);
	aml_free(env, m->loss);
	aml_free(env, m);
}

/* huber returns the Huber loss of residual r with delta d. */
static inline double
huber(double r, double d)
{
	double		a = fabs(r);

	return a <= d ? 0.5 * r * r : d * (a - 0.5 * d);
}

/*
 * row_loss returns the loss of one row's raw scores f[0..nk) for label y:
 * squared error or Huber, logloss or softmax cross-entropy.
 */
static double
row_loss(const gbdt_loss *L, int nk, const float *f, double y)
{
	aml_task	task = L->task;

	if (task == AML_TASK_REGRESSION)
		return L->delta > 0 ? huber(y - f[0], L->delta) : (y - f[0]) * (y - f[0]);
	if (task == AML_TASK_BINARY)
	{
		/* log(1 + e^-z) for the true class, computed stably */
		double		z = y >= 1 ? f[0] : -f[0];

		return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z));
	}
	else
	{
		double		mx = f[0],
					s = 0;

		for (int k = 1; k < nk; k++)
			if (f[k] > mx)
				mx = f[k];
		for (int k = 0; k < nk; k++)
			s += exp(f[k] - mx);
		return log(s) + mx - f[(int) y];
	}
}

/* mean_loss returns the weighted mean loss over rows idx[0..n). */
static double
mean_loss(const aml_fit_input *in, const gbdt_loss *L, const int64_t *idx,
		  int64_t n, int nk, const float *F)
{
	double		sl = 0,
				sw = 0;

	for (int64_t i = 0; i < n; i++)
	{
		int64_t		r = idx ? idx[i] : i;
		double		w = in->w ? in->w[r] : 1.0;

		sl += w * row_loss(L, nk, F + (size_t) i * nk, in->y[r]);
		sw += w;
	}
	return sw > 0 ? sl / sw : 0;
}

/*
 * One gradient pass: every training position's g and h (class-major:
 * output k at k * n) from the raw scores F, and the training loss of F,
 * over fixed blocks of GRAD_BLOCK positions (a pool task each) whose loss
 * sums are added in block order, so nothing depends on the thread count.
 */
typedef struct grad_job
{
	const aml_fit_input *in;
	double		delta;			/* Huber delta, 0 = squared error */
	int64_t		n;
	int			nk;
	const float *F;				/* raw scores: float, as XGBoost keeps them */
	float	   *g;				/* NULL: the loss only */
	float	   *h;
	double	   *bl;				/* per block: weighted loss sum */
	double	   *bw;				/* per block: weight sum */
	int			loss;			/* also sum the loss (else bl gets 0) */
} grad_job;

/* grad_task computes gradients and the loss sum of one block. */
static void
grad_task(void *arg, int task, int worker)
{
	grad_job   *job = arg;
	const aml_fit_input *in = job->in;
	int64_t		n = job->n;
	int			nk = job->nk;
	int64_t		b0 = (int64_t) task * GRAD_BLOCK;
	int64_t		b1 = n - b0 < GRAD_BLOCK ? n : b0 + GRAD_BLOCK;
	double		cf = nk > 1 ? (double) nk / (nk - 1) : 1.0;
	float	   *g = job->g;
	float	   *h = job->h;
	double		sl = 0,
				sw = 0;

	(void) worker;
	for (int64_t i = b0; i < b1; i++)
	{
		int64_t		r = in->rows ? in->rows[i] : i;
		double		w = in->w ? in->w[r] : 1.0;
		double		y = in->y[r];
		const float *f = job->F + (size_t) i * nk;

		if (in->task == AML_TASK_REGRESSION && job->delta > 0)
		{
			double		r = f[0] - y;
			double		d = job->delta;

			if (g)
			{
				g[i] = (float) (w * (r > d ? d : r < -d ? -d : r));
				h[i] = (float) w;
			}
			if (job->loss)
				sl += w * huber(r, d);
		}
		else if (in->task == AML_TASK_REGRESSION)
		{
			if (g)
			{
				g[i] = (float) (w * (f[0] - y));
				h[i] = (float) w;
			}
			if (job->loss)
				sl += w * ((y - f[0]) * (y - f[0]));
		}
		else if (in->task == AML_TASK_BINARY)
		{
			/* e = exp(-|f|) gives both the sigmoid and log(1 + e^-z) */
			double		z = y >= 1 ? f[0] : -f[0];
			double		e = exp(-fabs(f[0]));

			if (g)
			{
				double		p = f[0] >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
				double		hh = p * (1 - p);

				g[i] = (float) (w * (p - (y >= 1 ? 1.0 : 0.0)));
				h[i] = (float) (w * (hh > MIN_HESS ? hh : MIN_HESS));
			}
			if (job->loss)
				sl += w * (z > 0 ? log1p(e) : -z + log1p(e));
		}
		else
		{
			double		mx = f[0],
						s = 0;

			for (int k = 1; k < nk; k++)
				if (f[k] > mx)
					mx = f[k];
			for (int k = 0; k < nk; k++)
				s += exp(f[k] - mx);
			if (g)
				for (int k = 0; k < nk; k++)
				{
					double		p = exp(f[k] - mx) / s;
					double		hh = cf * p * (1 - p);

					g[(size_t) k * n + i] = (float) (w * (p - ((int) y == k ? 1.0 : 0.0)));
					h[(size_t) k * n + i] = (float) (w * (hh > MIN_HESS ? hh : MIN_HESS));
				}
			if (job->loss)
				sl += w * (log(s) + mx - f[(int) y]);
		}
		sw += w;
	}
	job->bl[task] = sl;
	job->bw[task] = sw;
}

/*
 * grad_pass fills g and h (unless g is NULL) from F and returns the mean
 * training loss of F; bl and bw hold one double per block.
 */
static double
grad_pass(aml_tpool *pool, const aml_fit_input *in, const gbdt_loss *L,
		  int64_t n, int nk, const float *F, float *g, float *h,
		  double *bl, double *bw, int loss)
{
	grad_job	job;
	int			nb = (int) ((n + GRAD_BLOCK - 1) / GRAD_BLOCK);
	double		sl = 0,
				sw = 0;

	job.in = in;
	job.delta = L->delta;
	job.n = n;
	job.nk = nk;
	job.F = F;
	job.g = g;
	job.h = h;
	job.bl = bl;
	job.bw = bw;
	job.loss = loss;
	aml_tpool_run(pool, grad_task, &job, nb);
	for (int b = 0; b < nb; b++)
	{
		sl += bl[b];
		sw += bw[b];
	}
	return sw > 0 ? sl / sw : 0;
}

/* One parallel score update: tree t added into F for a set of rows. */
typedef struct score_job
{
	const aml_tree_pack *pack;
	int			t;
	const aml_dataset *ds;
	const int64_t *idx;
	int64_t		n;
	float	   *F;
	int			nk;
} score_job;

/* score_task adds tree t into the scores of one block of rows. */
static void
score_task(void *arg, int task, int worker)
{
	score_job  *job = arg;
	int64_t		b0 = (int64_t) task * SCORE_BLOCK;
	int64_t		bn = job->n - b0 < SCORE_BLOCK ? job->n - b0 : SCORE_BLOCK;

	const aml_tree_pack *p = job->pack;
	int			K = p->n_out;
	int			off = p->out_off[job->t];

	(void) worker;
	for (int64_t i = b0; i < b0 + bn; i++)
	{
		int32_t		leaf = aml_tree_pack_leaf(p, job->t, job->ds, job->idx ? job->idx[i] : i);
		const double *v = p->value + (size_t) leaf * K;
		float	   *o = job->F + (size_t) i * job->nk + off;

		for (int k = 0; k < K; k++)
			o[k] += (float) v[k];
	}
}

/* add_tree_scores adds tree t of pack into F (rows idx[0..n)) in parallel. */
static void
add_tree_scores(aml_tpool *pool, const aml_tree_pack *pack, int t,
				const aml_dataset *ds, const int64_t *idx, int64_t n,
				float *F, int nk)
{
	score_job	job;

	job.pack = pack;
	job.t = t;
	job.ds = ds;
	job.idx = idx;
	job.n = n;
	job.F = F;
	job.nk = nk;
	aml_tpool_run(pool, score_task, &job, (int) ((n + SCORE_BLOCK - 1) / SCORE_BLOCK));
}

/*
 * base_scores sets the initial raw scores: the weighted mean (L2), the
 * log-odds of the positive rate, or the log class priors.
 */
static void
base_scores(const aml_fit_input *in, int64_t n, int nk, double *base)
{
	double		sw = 0;

	for (int k = 0; k < nk; k++)
		base[k] = 0;
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		r = in->rows ? in->rows[i] : i;
		double		w = in->w ? in->w[r] : 1.0;

		sw += w;
		if (in->task == AML_TASK_REGRESSION)
			base[0] += w * in->y[r];
		else if (in->task == AML_TASK_BINARY)
			base[0] += in->y[r] >= 1 ? w : 0;
		else
			base[(int) in->y[r]] += w;
	}
	for (int k = 0; k < nk; k++)
	{
		double		v = sw > 0 ? base[k] / sw : 0;

		if (in->task == AML_TASK_REGRESSION)
			base[k] = v;
		else
		{
			v = v < PROB_EPS ? PROB_EPS : v > 1 - PROB_EPS ? 1 - PROB_EPS : v;
			base[k] = in->task == AML_TASK_BINARY ? log(v / (1 - v)) : log(v);
		}
	}
}

/* One (target, weight) pair of the weighted median. */
typedef struct yw_pair
{
	double		y;
	double		w;
} yw_pair;

/* cmp_yw orders pairs by target. */
static int
cmp_yw(const void *a, const void *b)
{
	double		x = ((const yw_pair *) a)->y,
				y = ((const yw_pair *) b)->y;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * weighted_median sets *med to the weighted median of the training
 * targets: the smallest target whose cumulative weight reaches half the
 * total (the Huber loss's initial score).
 */
static aml_status
weighted_median(aml_env *env, const aml_fit_input *in, int64_t n, double *med,
				aml_error *err)
{
	yw_pair    *p = aml_malloc(env, (size_t) n * sizeof(yw_pair));
	double		sw = 0,
				acc = 0;

	if (p == NULL)
		return aml_oom(env, err, (size_t) n * sizeof(yw_pair));
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		r = in->rows ? in->rows[i] : i;

		p[i].y = in->y[r];
		p[i].w = in->w ? in->w[r] : 1.0;
		sw += p[i].w;
	}
	qsort(p, (size_t) n, sizeof(yw_pair), cmp_yw);
	*med = p[n - 1].y;
	for (int64_t i = 0; i < n; i++)
	{
		acc += p[i].w;
		if (acc >= 0.5 * sw)
		{
			*med = p[i].y;
			break;
		}
	}
	aml_free(env, p);
	return AML_OK;
}

/*
 * sample_rows picks round(frac * n) positions (at least 1) in ascending
 * order by sequential sampling; returns the count.
 */
static int64_t
sample_rows(aml_rng *rng, int64_t n, double frac, int32_t *out)
{
	int64_t		want = (int64_t) (frac * n + 0.5);
	int64_t		k = 0;

	if (want < 1)
		want = 1;
	if (want > n)
		want = n;
	for (int64_t i = 0; i < n && k < want; i++)
		if ((double) (n - i) * aml_rng_uniform(rng) < (double) (want - k))
			out[k++] = (int32_t) i;
	return k;
}

/* sample_features marks round(frac * F) features (at least 1) in mask. */
static void
sample_features(aml_rng *rng, int F, double frac, int *tmp, uint8_t *mask)
{
	int			m = (int) (frac * F + 0.5);

	if (m < 1)
		m = 1;
	if (m > F)
		m = F;
	for (int j = 0; j < F; j++)
	{
		tmp[j] = j;
		mask[j] = 0;
	}
	for (int i = 0; i < m; i++)
	{
		int			r = i + (int) aml_rng_below(rng, (uint64_t) (F - i));
		int			t = tmp[i];

		tmp[i] = tmp[r];
		tmp[r] = t;
		mask[tmp[i]] = 1;
	}
}

/*
 * gbdt_fit boosts trees on the training rows; with early_stopping_rounds
 * > 0 and validation rows it keeps the rounds up to the best validation
 * loss.
 */
static aml_status
gbdt_fit(aml_env *env, const aml_fit_input *in, const aml_params *params,
		 void **state, aml_error *err)
{
	const aml_dataset *ds = in->ds;
	gbdt_model *m = NULL;
	aml_tree_bins *bins = NULL;
	aml_grower *gr = NULL;
	aml_tpool  *pool = NULL;
	double	   *bl = NULL,
			   *bw = NULL;
	float	   *F = NULL,
			   *Fv = NULL,
			   *g = NULL,
			   *h = NULL;
	int32_t    *rows = NULL;
	int64_t    *ident = NULL;
	const int64_t *trows;
	uint8_t    *mask = NULL;
	int		   *ftmp = NULL;
	aml_grow_params gp;
	aml_rng		rng;
	gbdt_loss	L;
	double		median = 0;
	int64_t		n = 0;
	int64_t		nv = 0;
	int			nk,
				n_est,
				esr,
				best_round = -1;
	double		lr,
				subsample,
				colsample,
				best_loss = INFINITY;
	aml_status	st;

	*state = NULL;
	st = aml_tree_check_input(in, &n, err);
	if (st != AML_OK)
		return st;
	nk = aml_task_outputs(in->task, in->n_classes);
	n_est = (int) gp_value(params, "n_estimators");
	lr = gp_value(params, "learning_rate");
	subsample = gp_value(params, "subsample");
	colsample = gp_value(params, "colsample");
	esr = (int) gp_value(params, "early_stopping_rounds");
	L.task = in->task;
	L.delta = gp_value(params, "huber_delta");
	if (L.delta > 0 && in->task != AML_TASK_REGRESSION)
	{
		aml_set_error(err, AML_EINVAL, "parameter \"huber_delta\" applies to regression only");
		aml_set_detail(err, "The task is %s; Huber loss is a loss of regression targets.",
					   aml_task_name(in->task));
		aml_set_hint(err, "Leave huber_delta out (or 0) for classification.");
		return AML_EINVAL;
	}
	if (esr > 0 && in->valid_rows && in->n_valid > 0)
	{
		nv = in->n_valid;
		for (int64_t i = 0; i < nv; i++)
		{
			int64_t		r = in->valid_rows[i];

			if (r < 0 || r >= ds->n_rows || !isfinite(in->y[r]) ||
				(in->task != AML_TASK_REGRESSION &&
				 (in->y[r] < 0 || in->y[r] >= in->n_classes)))
				return aml_set_error(err, AML_EINVAL, "bad validation row or label");
		}
	}

	aml_grow_params_init(&gp);
	gp.max_depth = (int) gp_value(params, "max_depth");
	gp.max_leaves = (int) gp_value(params, "max_leaves");
	gp.min_samples_leaf = gp_value(params, "min_child_samples");
	gp.min_child_weight = gp_value(params, "min_child_weight");
	gp.lambda = gp_value(params, "reg_lambda");
	gp.min_split_gain = gp_value(params, "min_split_gain");
	gp.cat_smooth = gp_value(params, "cat_smooth");
	gp.cat_l2 = gp_value(params, "cat_l2");
	gp.max_cat_threshold = (int) gp_value(params, "max_cat_threshold");
	gp.min_data_per_group = gp_value(params, "min_data_per_group");
	gp.max_cat_set_levels = (int) gp_value(params, "max_cat_set_levels");
	gp.cat_set_min_rows = gp_value(params, "cat_set_min_rows");

	if (L.delta > 0 && (st = weighted_median(env, in, n, &median, err)) != AML_OK)
		return st;
	pool = aml_tpool_create(env, env->n_threads);
	st = aml_tree_bins_build(env, ds, in->rows, n, (int) gp_value(params, "max_bins"),
							 in->seed, pool, &bins, err);
	if (st != AML_OK)
		goto done;

	m = aml_calloc(env, 1, sizeof(*m));
	if (m == NULL || aml_tree_pack_init(env, &m->pack, ds, 1))
	{
		st = aml_oom(env, err, sizeof(*m));
		goto done;
	}
	m->task = in->task;
	m->n_classes = in->n_classes;
	m->nk = nk;
	m->base = aml_malloc(env, nk * sizeof(double));
	/* the training loss after each round: only when asked (tests) */
	if (in->record_loss)
		m->loss = aml_malloc(env, (size_t) n_est * sizeof(double));
	F = aml_malloc(env, (size_t) n * nk * sizeof(float));
	Fv = aml_malloc(env, ((size_t) nv * nk + 1) * sizeof(float));
	/* float gradients: the histograms sum them in double */
	g = aml_malloc(env, (size_t) n * nk * sizeof(float));
	h = aml_malloc(env, (size_t) n * nk * sizeof(float));
	/* positions of a row subsample: only when there is one */
	if (subsample < 1.0)
		rows = aml_malloc(env, n * sizeof(int32_t));
	bl = aml_malloc(env, (n / GRAD_BLOCK + 1) * sizeof(double));
	bw = aml_malloc(env, (n / GRAD_BLOCK + 1) * sizeof(double));
	mask = aml_malloc(env, ds->n_feat + 1);
	ftmp = aml_malloc(env, (ds->n_feat + 1) * sizeof(int));
	/* row numbers for rescoring a subsampled round's tree */
	if (in->rows == NULL && subsample < 1.0)
		ident = aml_malloc(env, n * sizeof(int64_t));
	if (!m->base || (in->record_loss && !m->loss) || !F || !Fv || !g || !h || (subsample < 1.0 && !rows) ||
		!bl || !bw || !mask ||
		!ftmp || (in->rows == NULL && subsample < 1.0 && ident == NULL))
	{
		st = aml_oom(env, err, (size_t) n * nk * 3 * sizeof(double));
		goto done;
	}
	if (ident)
		for (int64_t i = 0; i < n; i++)
			ident[i] = i;
	trows = in->rows ? in->rows : ident;
	base_scores(in, n, nk, m->base);
	if (L.delta > 0)
		m->base[0] = median;
	for (int64_t i = 0; i < n; i++)
		for (int k = 0; k < nk; k++)
			F[(size_t) i * nk + k] = (float) m->base[k];
	for (int64_t i = 0; i < nv; i++)
		for (int k = 0; k < nk; k++)
			Fv[(size_t) i * nk + k] = (float) m->base[k];

	st = aml_grower_create(env, bins, 1, &gp, pool, &gr, err);
	if (st != AML_OK)
		goto done;
	aml_rng_seed(&rng, in->seed ^ 0x67626474ULL);

	for (int round = 0; round < n_est; round++)
	{
		aml_grow_data gd;

		if (aml_check_cancel(env))
		{
			st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
			goto done;
		}
		/* the gradients of this round and the loss after the last one */
		{
			double		tl = grad_pass(pool, in, &L, n, nk, F, g, h, bl, bw, m->loss != NULL);

			if (round > 0 && m->loss)
				m->loss[round - 1] = tl;
		}
		memset(&gd, 0, sizeof(gd));
		if (subsample < 1.0)
		{
			gd.n_rows = sample_rows(&rng, n, subsample, rows);
			gd.rows = rows;
		}
		if (colsample < 1.0)
		{
			sample_features(&rng, ds->n_feat, colsample, ftmp, mask);
			gd.feat_mask = mask;
		}
		gd.rng = &rng;
		for (int k = 0; k < nk; k++)
		{
			int			t = m->pack.n_trees;

			gd.g = g + (size_t) k * n;
			gd.h = h + (size_t) k * n;
			st = aml_grower_grow(gr, &gd, &m->pack, k, 1, err);
			if (st != AML_OK)
				goto done;
			for (int i = m->pack.root[t]; i < m->pack.n_nodes; i++)
				m->pack.value[i] *= lr;
			if (gd.rows == NULL)
				aml_grower_add_leaves(gr, &m->pack, t, F, nk);
			else
				add_tree_scores(pool, &m->pack, t, ds, trows, n, F, nk);
			if (nv > 0)
				add_tree_scores(pool, &m->pack, t, ds, in->valid_rows, nv, Fv, nk);
		}
		m->n_loss = round + 1;
		if (nv > 0)
		{
			double		vl = mean_loss(in, &L, in->valid_rows, nv, nk, Fv);

			if (vl < best_loss)
			{
				best_loss = vl;
				best_round = round;
			}
			else if (round - best_round >= esr)
				break;
		}
	}
	if (m->n_loss > 0 && m->loss)
		m->loss[m->n_loss - 1] = grad_pass(pool, in, &L, n, nk, F, NULL, NULL, bl, bw, 1);
	if (nv > 0 && best_round >= 0 && (best_round + 1) * nk < m->pack.n_trees)
	{
		aml_tree_pack_truncate(&m->pack, (best_round + 1) * nk);
		m->n_loss = best_round + 1;
	}
	(void) aml_tree_pack_finish(env, &m->pack);
	*state = m;
	m = NULL;

done:
	aml_grower_free(gr);
	aml_tpool_free(pool);
	aml_tree_bins_free(env, bins);
	aml_free(env, F);
	aml_free(env, Fv);
	aml_free(env, g);
	aml_free(env, h);
	aml_free(env, rows);
	aml_free(env, bl);
	aml_free(env, bw);
	aml_free(env, ident);
	aml_free(env, mask);
	aml_free(env, ftmp);
	gbdt_free_state(env, m);
	return st;
}

/*
 * gbdt_predict writes the regression value, positive-class probability
 * or softmax class probabilities of rows idx[] into out.
 */
static void
gbdt_predict(const void *state, const aml_dataset *ds, const int64_t *idx,
			 int64_t n, double *out)
{
	const gbdt_model *m = state;
	int			nk = m->nk;

	for (int64_t i = 0; i < n; i++)
		memcpy(out + (size_t) i * nk, m->base, nk * sizeof(double));
	aml_tree_pack_add(&m->pack, ds, idx, n, out, nk);
	if (m->task == AML_TASK_BINARY)
		for (int64_t i = 0; i < n; i++)
			out[i] = aml_sigmoid(out[i]);
	else if (m->task == AML_TASK_MULTICLASS)
		for (int64_t i = 0; i < n; i++)
		{
			double	   *o = out + (size_t) i * nk;
			double		mx = o[0],
						s = 0;

			for (int k = 1; k < nk; k++)
				if (o[k] > mx)
					mx = o[k];
			for (int k = 0; k < nk; k++)
			{
				o[k] = exp(o[k] - mx);
				s += o[k];
			}
			for (int k = 0; k < nk; k++)
				o[k] /= s;
		}
}

/*
 * gbdt_write serializes a boosting model:
 *	 u32 nk | f64 base[nk] | pack
 */
static void
gbdt_write(const void *state, aml_wbuf *b)
{
	const gbdt_model *m = state;

	aml_w_u32(b, (uint32_t) m->nk);
	aml_w_f64s(b, m->base, m->nk);
	aml_tree_pack_write(&m->pack, b);
}

/* gbdt_read deserializes and validates a boosting model. */
static aml_status
gbdt_read(aml_env *env, aml_rbuf *b, const aml_dataset *schema, aml_task task,
		  int n_classes, void **state, aml_error *err)
{
	gbdt_model *m;
	uint32_t	nk;
	aml_status	st;

	*state = NULL;
	st = aml_tree_check_task(task, n_classes, err);
	if (st != AML_OK)
		return st;
	if (aml_r_u32(b, &nk) < 0)
		return aml_tree_format_error(err, "tree data is truncated");
	if (nk != (uint32_t) aml_task_outputs(task, n_classes))
		return aml_tree_format_error(err, "output count differs from the task");
	m = aml_calloc(env, 1, sizeof(*m));
	if (m == NULL)
		return aml_oom(env, err, sizeof(*m));
	m->task = task;
	m->n_classes = n_classes;
	m->nk = (int) nk;
	if (aml_r_f64s(b, env, &m->base, nk) < 0)
	{
		gbdt_free_state(env, m);
		return aml_tree_format_error(err, "tree data is truncated");
	}
	for (uint32_t k = 0; k < nk; k++)
		if (!isfinite(m->base[k]))
		{
			gbdt_free_state(env, m);
			return aml_tree_format_error(err, "non-finite base score");
		}
	st = aml_tree_pack_read(env, b, schema, 1, (int) nk, &m->pack, err);
	if (st != AML_OK)
	{
		gbdt_free_state(env, m);
		return st;
	}
	*state = m;
	return AML_OK;
}

/* gbdt_importance adds split gain per feature. */
static void
gbdt_importance(const void *state, int n_feat, double *imp)
{
	const gbdt_model *m = state;

	aml_tree_pack_importance(&m->pack, n_feat, imp);
}

/* aml_gbdt_pack returns the trees of a boosting model. */
const aml_tree_pack *
aml_gbdt_pack(const void *state)
{
	return &((const gbdt_model *) state)->pack;
}

/* aml_gbdt_train_loss returns the training loss per round of a fit. */
int
aml_gbdt_train_loss(const void *state, const double **loss)
{
	const gbdt_model *m = state;

	*loss = m->loss;
	return m->loss ? m->n_loss : 0;
}

/* aml_gbdt_base returns the initial raw score of output k (explanations). */
double
aml_gbdt_base(const void *state, int k)
{
	return ((const gbdt_model *) state)->base[k];
}

const aml_learner_ops aml_gbdt_ops = {
	.algo = AML_ALGO_GBDT,
	.name = "gbdt",
	.fit = gbdt_fit,
	.predict = gbdt_predict,
	.write = gbdt_write,
	.read = gbdt_read,
	.free_state = gbdt_free_state,
	.check_params = gbdt_check_params,
	.importance = gbdt_importance,
};
