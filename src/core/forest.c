/*-------------------------------------------------------------------------
 *
 * forest.c
 *	  Random forest and extra trees on the histogram tree engine.
 *
 * Each tree is a CART tree (Gini on one-hot labels, or variance) grown on
 * a bootstrap sample (multiplicities become weights) with a random subset
 * of the features tried at every node; extra trees also draw one random
 * threshold (or category set) per feature and node and by default use no
 * bootstrap.  Leaf values are class frequencies or means scaled by
 * 1/n_trees, so the forest's output is the plain sum of its trees.
 *
 * Threads: trees are the tasks.  Tree t draws everything from its own
 * random stream (seed, t), grows in a worker's own grower and pack, and
 * the trees are then gathered in index order, so the forest does not
 * depend on env->n_threads.  Workers poll aml_canceled only; the calling
 * thread (worker 0) asks aml_check_cancel between node expansions.
 *
 * Out-of-bag estimate: with bootstrap on and no validation rows (the
 * search's fits have a validation fold; the final fit has none), a fit
 * also scores every training row with the trees whose sample left it out
 * and keeps the metrics of those averaged predictions (not serialized: a
 * forest read back has none).  The bootstrap samples are drawn again from the trees'
 * streams, a chunk of trees at a time (one bit per row and tree), and the
 * rows are scored in fixed blocks adding the trees in index order, so the
 * estimate does not depend on the thread count either.
 *
 *-------------------------------------------------------------------------
 */
#include "tree.h"

/* metrics the out-of-bag estimate is computed in (those of the task) */
static const char *const oob_metric_names[] = {
	"roc_auc", "pr_auc", "log_loss", "accuracy", "f1", "precision", "recall",
	"f1_macro", "balanced_accuracy", "rmse", "mae", "r2"
};
#define N_OOB_METRICS ((int) (sizeof(oob_metric_names) / sizeof(oob_metric_names[0])))

/* rows scored per out-of-bag task, and the bit budget of one tree chunk */
#define OOB_BLOCK 4096
#define OOB_CHUNK_BITS ((int64_t) 64 * 1024 * 1024)

/* A fitted forest. */
typedef struct forest_model
{
	aml_task	task;
	int			n_classes;
	int			n_outputs;
	aml_tree_pack pack;			/* n_out = n_outputs, every out_off 0 */
	/* out-of-bag estimate of a fit (not serialized); oob_rows 0 = none */
	int64_t		oob_rows;		/* rows left out by at least one tree */
	double		oob[N_OOB_METRICS]; /* NaN where not defined */
} forest_model;

static const aml_tree_param forest_params[] = {
	{"n_estimators", 1, 10000, 100, 1, 0},
	{"max_features", 0, 1, 0, 0, 0},
	{"max_depth", 0, 64, 0, 1, 0},
	{"min_samples_leaf", 1, 1e6, 1, 1, 0},
	{"max_leaves", 0, 1e6, 0, 1, 0},
	{"bootstrap", 0, 1, 1, 1, 0},
	{"max_bins", 2, 255, 255, 1, 0},
	{"max_cat_set_levels", 0, 1e6, 32, 1, 0},
};

static const aml_tree_param extra_params[] = {
	{"n_estimators", 1, 10000, 100, 1, 0},
	{"max_features", 0, 1, 0, 0, 0},
	{"max_depth", 0, 64, 0, 1, 0},
	{"min_samples_leaf", 1, 1e6, 1, 1, 0},
	{"max_leaves", 0, 1e6, 0, 1, 0},
	{"bootstrap", 0, 1, 0, 1, 0},
	{"max_bins", 2, 255, 255, 1, 0},
	{"max_cat_set_levels", 0, 1e6, 32, 1, 0},
};
#define N_FOREST_PARAMS 8

/*
 * forest_check_params validates random_forest parameters: n_estimators
 * 1..10000 (100), max_features 0..1 (fraction of features tried per
 * node; 0 = sqrt(F)/F for classification, 1/3 for regression), max_depth
 * 0..64 (0 = unlimited), min_samples_leaf 1..1e6 (1), max_leaves 0..1e6
 * (0 = unlimited), bootstrap 0/1 (1), max_bins 2..255, max_cat_set_levels
 * 0..1e6 (32; see aml_grow_params).
 */
static const char *
forest_check_params(const aml_params *p, char *buf, size_t buflen)
{
	return aml_tree_params_check("random_forest", forest_params, N_FOREST_PARAMS,
								 p, buf, buflen);
}

/*
 * extra_check_params validates extra_trees parameters: as random_forest,
 * but bootstrap defaults to 0 and max_features 0 means sqrt(F)/F for
 * classification and all features for regression.
 */
static const char *
extra_check_params(const aml_params *p, char *buf, size_t buflen)
{
	return aml_tree_params_check("extra_trees", extra_params, N_FOREST_PARAMS,
								 p, buf, buflen);
}

/* forest_free_state releases a forest. */
static void
forest_free_state(aml_env *env, void *state)
{
	forest_model *m = state;

	if (m == NULL)
		return;
	aml_tree_pack_free(env, &m->pack);
	aml_free(env, m);
}

/* One worker's workspace. */
typedef struct forest_worker
{
	aml_grower *gr;
	aml_tree_pack pack;			/* trees this worker grew */
	float	   *g;				/* gradients and weights of the tree (float, */
	float	   *h;				/* as the grower reads them) */
	int32_t    *rows;
	int32_t    *mult;
	aml_error	err;
	int			fail_tree;		/* first failed tree, or -1 */
	aml_status	fail_st;
} forest_worker;

/* Shared state of one forest fit. */
typedef struct forest_job
{
	aml_env    *env;
	const aml_fit_input *in;
	int64_t		n;
	int			K;
	int			n_trees;
	int			bootstrap;
	double		offset;			/* regression centring */
	const int32_t *cls;			/* multiclass labels per position */
	forest_worker *w;
	int		   *tree_worker;	/* worker that grew tree t */
	int		   *tree_index;		/* its index in that worker's pack */
	int			failed;			/* atomic: stop taking trees */
} forest_job;

/* tree_rng_seed seeds the random stream of tree t. */
static void
tree_rng_seed(aml_rng *rng, uint64_t seed, int t)
{
	aml_rng_seed(rng, seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t) (t + 1)));
}

/*
 * forest_tree_task grows tree `task` on its bootstrap sample (or all
 * rows) with its own random stream, in the worker's grower and pack.
 * The sample is the first n draws of the stream (oob_bits_task draws it
 * again: keep the two in step).
 */
static void
forest_tree_task(void *arg, int task, int worker)
{
	forest_job *job = arg;
	forest_worker *w = &job->w[worker];
	const aml_fit_input *in = job->in;
	int64_t		n = job->n;
	aml_grow_data gd;
	aml_rng		rng;
	aml_status	st;
	int			first;

	if (__atomic_load_n(&job->failed, __ATOMIC_RELAXED))
		return;
	if (worker == 0 ? aml_check_cancel(job->env) : aml_canceled(job->env))
	{
		st = aml_set_error(&w->err, AML_ECANCELED, "canceling automl training");
		goto fail;
	}
	tree_rng_seed(&rng, in->seed, task);
	memset(&gd, 0, sizeof(gd));
	if (job->bootstrap)
	{
		int64_t		k = 0;

		memset(w->mult, 0, n * sizeof(int32_t));
		for (int64_t i = 0; i < n; i++)
			w->mult[aml_rng_below(&rng, (uint64_t) n)]++;
		for (int64_t i = 0; i < n; i++)
			if (w->mult[i] > 0)
				w->rows[k++] = (int32_t) i;
		gd.rows = w->rows;
		gd.n_rows = k;
	}
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		r = in->rows ? in->rows[i] : i;
		double		wt = (in->w ? in->w[r] : 1.0) * (job->bootstrap ? w->mult[i] : 1);

		w->h[i] = (float) wt;
		if (job->K == 1)
			w->g[i] = (float) (in->task == AML_TASK_BINARY ? (in->y[r] >= 1 ? -wt : 0.0)
							   : -wt * (in->y[r] - job->offset));
	}
	/* a bootstrap sample of zero total weight cannot make a tree */
	if (job->bootstrap && in->w)
	{
		double		sw = 0;

		for (int64_t i = 0; i < gd.n_rows; i++)
			sw += w->h[w->rows[i]];
		if (!(sw > 0))
		{
			gd.rows = NULL;
			gd.n_rows = 0;
			for (int64_t i = 0; i < n; i++)
			{
				int64_t		r = in->rows ? in->rows[i] : i;
				double		wt = in->w[r];

				w->h[i] = (float) wt;
				if (job->K == 1)
					w->g[i] = (float) (in->task == AML_TASK_BINARY ? (in->y[r] >= 1 ? -wt : 0.0)
									   : -wt * (in->y[r] - job->offset));
			}
		}
	}
	gd.g = job->K == 1 ? w->g : NULL;
	gd.cls = job->K == 1 ? NULL : job->cls;
	gd.h = w->h;
	gd.rng = &rng;
	first = w->pack.n_nodes;
	st = aml_grower_grow(w->gr, &gd, &w->pack, 0, worker == 0, &w->err);
	if (st != AML_OK)
		goto fail;
	if (in->task == AML_TASK_REGRESSION)
		aml_grower_leaf_means(w->gr, &w->pack, w->pack.n_trees - 1, in->y, in->rows,
							  w->h, job->offset);
	aml_tree_finish_values(&w->pack, first, in->task, job->offset,
						   1.0 / job->n_trees);
	job->tree_worker[task] = worker;
	job->tree_index[task] = w->pack.n_trees - 1;
	return;

fail:
	if (w->fail_tree < 0 || task < w->fail_tree)
	{
		w->fail_tree = task;
		w->fail_st = st;
	}
	__atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
}

/* Shared state of the out-of-bag pass over one chunk of trees. */
typedef struct oob_job
{
	aml_env    *env;
	const aml_fit_input *in;
	const aml_tree_pack *pack;
	int64_t		n;
	int			K;
	int			t0;				/* first tree of the chunk */
	int64_t		words;			/* 64-bit words per tree and row set */
	uint64_t   *inbag;			/* chunk trees x words: bit set = in the sample */
	uint8_t    *no_oob;			/* per chunk tree: grown on every row */
	double	   *sum;			/* n x K: summed outputs of out-of-bag trees */
	int32_t    *cnt;			/* n: out-of-bag trees of each row */
	int64_t    *idx;			/* per worker: OOB_BLOCK dataset rows */
	int32_t    *pos;			/* per worker: OOB_BLOCK positions */
	double	   *tmp;			/* per worker: OOB_BLOCK x K outputs */
	int			nt;				/* trees in the chunk */
} oob_job;

/*
 * oob_bits_task draws the bootstrap sample of tree t0 + task again (the
 * same draws as forest_tree_task) and marks its rows in the chunk's bits;
 * a sample of zero total weight made the tree use every row.
 */
static void
oob_bits_task(void *arg, int task, int worker)
{
	oob_job    *job = arg;
	const aml_fit_input *in = job->in;
	uint64_t   *bits = job->inbag + (size_t) task * job->words;
	int64_t		n = job->n;
	aml_rng		rng;

	(void) worker;
	memset(bits, 0, (size_t) job->words * sizeof(uint64_t));
	tree_rng_seed(&rng, in->seed, job->t0 + task);
	for (int64_t i = 0; i < n; i++)
	{
		uint64_t	j = aml_rng_below(&rng, (uint64_t) n);

		bits[j >> 6] |= UINT64_C(1) << (j & 63);
	}
	job->no_oob[task] = 0;
	if (in->w)
	{
		int			positive = 0;

		for (int64_t i = 0; i < n && !positive; i++)
			if ((bits[i >> 6] >> (i & 63)) & 1)
				positive = in->w[in->rows ? in->rows[i] : i] > 0;
		job->no_oob[task] = !positive;
	}
}

/*
 * oob_score_task adds, for one block of positions, the outputs of every
 * chunk tree that left the row out, tree by tree in index order.
 */
static void
oob_score_task(void *arg, int task, int worker)
{
	oob_job    *job = arg;
	const aml_fit_input *in = job->in;
	int			K = job->K;
	int64_t		b0 = (int64_t) task * OOB_BLOCK;
	int64_t		b1 = job->n - b0 < OOB_BLOCK ? job->n : b0 + OOB_BLOCK;
	int64_t    *idx = job->idx + (size_t) worker * OOB_BLOCK;
	int32_t    *pos = job->pos + (size_t) worker * OOB_BLOCK;
	double	   *tmp = job->tmp + (size_t) worker * OOB_BLOCK * K;

	if (worker == 0 ? aml_check_cancel(job->env) : aml_canceled(job->env))
		return;
	for (int c = 0; c < job->nt; c++)
	{
		const uint64_t *bits = job->inbag + (size_t) c * job->words;
		int64_t		k = 0;

		if (job->no_oob[c])
			continue;
		for (int64_t i = b0; i < b1; i++)
			if (!((bits[i >> 6] >> (i & 63)) & 1))
			{
				idx[k] = in->rows ? in->rows[i] : i;
				pos[k++] = (int32_t) i;
			}
		if (k == 0)
			continue;
		memset(tmp, 0, (size_t) k * K * sizeof(double));
		aml_tree_pack_add_tree(job->pack, job->t0 + c, in->ds, idx, k, tmp, K);
		for (int64_t j = 0; j < k; j++)
		{
			double	   *s = job->sum + (size_t) pos[j] * K;

			for (int q = 0; q < K; q++)
				s[q] += tmp[(size_t) j * K + q];
			job->cnt[pos[j]]++;
		}
	}
}

/*
 * forest_oob computes the out-of-bag estimate of a bootstrap forest just
 * grown on in (n positions): every row's outputs averaged over the trees
 * that left it out, and the task's metrics of those averages over the
 * rows that have any (rows in every sample are skipped).
 */
static aml_status
forest_oob(aml_env *env, aml_tpool *pool, const aml_fit_input *in, int64_t n,
		   forest_model *m, aml_error *err)
{
	oob_job		job;
	int			nw = aml_tpool_size(pool);
	int			T = m->pack.n_trees;
	int			chunk;
	int64_t		no = 0;
	double	   *yo = NULL;
	aml_status	st = AML_OK;

	memset(&job, 0, sizeof(job));
	job.env = env;
	job.in = in;
	job.pack = &m->pack;
	job.n = n;
	job.K = m->n_outputs;
	job.words = (n + 63) / 64;
	chunk = (int) (OOB_CHUNK_BITS / (job.words * 64));
	chunk = chunk < 1 ? 1 : chunk > T ? T : chunk;
	job.inbag = aml_malloc(env, (size_t) chunk * job.words * sizeof(uint64_t));
	job.no_oob = aml_malloc(env, (size_t) chunk);
	job.sum = aml_calloc(env, (size_t) n * job.K, sizeof(double));
	job.cnt = aml_calloc(env, (size_t) n, sizeof(int32_t));
	job.idx = aml_malloc(env, (size_t) nw * OOB_BLOCK * sizeof(int64_t));
	job.pos = aml_malloc(env, (size_t) nw * OOB_BLOCK * sizeof(int32_t));
	job.tmp = aml_malloc(env, (size_t) nw * OOB_BLOCK * job.K * sizeof(double));
	yo = aml_malloc(env, (size_t) n * sizeof(double));
	if (!job.inbag || !job.no_oob || !job.sum || !job.cnt || !job.idx ||
		!job.pos || !job.tmp || !yo)
	{
		st = aml_oom(env, err, (size_t) n * (job.K + 2) * sizeof(double));
		goto done;
	}
	for (job.t0 = 0; job.t0 < T; job.t0 += chunk)
	{
		job.nt = T - job.t0 < chunk ? T - job.t0 : chunk;
		aml_tpool_run(pool, oob_bits_task, &job, job.nt);
		aml_tpool_run(pool, oob_score_task, &job,
					  (int) ((n + OOB_BLOCK - 1) / OOB_BLOCK));
		if (aml_canceled(env) || aml_check_cancel(env))
		{
			st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
			goto done;
		}
	}

	/* averages of the rows with out-of-bag trees, compacted in place */
	for (int64_t i = 0; i < n; i++)
	{
		if (job.cnt[i] == 0)
			continue;
		for (int q = 0; q < job.K; q++)
			job.sum[(size_t) no * job.K + q] =
				job.sum[(size_t) i * job.K + q] * T / job.cnt[i];
		yo[no++] = in->y[in->rows ? in->rows[i] : i];
	}
	aml_tree_fix_probs(m->task, job.K, no, job.sum);
	m->oob_rows = no;
	for (int j = 0; j < N_OOB_METRICS; j++)
		m->oob[j] = no > 0 && aml_metric_valid(oob_metric_names[j], m->task) ?
			aml_metric_compute(oob_metric_names[j], m->task, m->n_classes, no,
							   yo, job.sum) : NAN;

done:
	aml_free(env, job.inbag);
	aml_free(env, job.no_oob);
	aml_free(env, job.sum);
	aml_free(env, job.cnt);
	aml_free(env, job.idx);
	aml_free(env, job.pos);
	aml_free(env, job.tmp);
	aml_free(env, yo);
	return st;
}

/* free_workers releases the workers' growers, packs and buffers. */
static void
free_workers(aml_env *env, forest_job *job, int nw)
{
	for (int i = 0; job->w && i < nw; i++)
	{
		forest_worker *w = &job->w[i];

		aml_grower_free(w->gr);
		aml_tree_pack_free(env, &w->pack);
		aml_free(env, w->g);
		aml_free(env, w->h);
		aml_free(env, w->rows);
		aml_free(env, w->mult);
	}
	aml_free(env, job->w);
	job->w = NULL;
}

/* forest_fit_common grows the trees of a random forest or extra trees. */
static aml_status
forest_fit_common(aml_env *env, const aml_fit_input *in, const aml_params *params,
				  const aml_tree_param *spec, int extra, void **state,
				  aml_error *err)
{
	const aml_dataset *ds = in->ds;
	forest_model *m = NULL;
	aml_tree_bins *bins = NULL;
	aml_tpool  *pool = NULL;
	int32_t    *cls = NULL;
	forest_job	job;
	aml_grow_params gp;
	int			nw = 0;
	int64_t		n = 0;
	double		frac;
	aml_status	st;

	*state = NULL;
	memset(&job, 0, sizeof(job));
	st = aml_tree_check_input(in, &n, err);
	if (st != AML_OK)
		return st;
	job.env = env;
	job.in = in;
	job.n = n;
	job.K = in->task == AML_TASK_MULTICLASS ? in->n_classes : 1;
	job.n_trees = (int) aml_tree_param_value(params, spec, N_FOREST_PARAMS, "n_estimators");
	job.bootstrap = (int) aml_tree_param_value(params, spec, N_FOREST_PARAMS, "bootstrap");

	frac = aml_tree_param_value(params, spec, N_FOREST_PARAMS, "max_features");
	if (!(frac > 0))
	{
		if (in->task == AML_TASK_REGRESSION)
			frac = extra ? 1.0 : 1.0 / 3.0;
		else
			frac = ds->n_feat > 0 ? sqrt((double) ds->n_feat) / ds->n_feat : 1.0;
	}
	aml_grow_params_init(&gp);
	gp.max_depth = (int) aml_tree_param_value(params, spec, N_FOREST_PARAMS, "max_depth");
	gp.max_leaves = (int) aml_tree_param_value(params, spec, N_FOREST_PARAMS, "max_leaves");
	gp.min_samples_leaf = aml_tree_param_value(params, spec, N_FOREST_PARAMS, "min_samples_leaf");
	gp.feat_frac_node = frac;
	gp.random_split = extra;
	gp.max_cat_set_levels = (int) aml_tree_param_value(params, spec, N_FOREST_PARAMS, "max_cat_set_levels");

	if (in->task == AML_TASK_REGRESSION)
	{
		double		sw = 0,
					sy = 0;

		for (int64_t i = 0; i < n; i++)
		{
			int64_t		r = in->rows ? in->rows[i] : i;
			double		wt = in->w ? in->w[r] : 1.0;

			sw += wt;
			sy += wt * in->y[r];
		}
		job.offset = sw > 0 ? sy / sw : 0;
	}

	pool = aml_tpool_create(env, env->n_threads);
	nw = aml_tpool_size(pool);
	st = aml_tree_bins_build(env, ds, in->rows, n,
							 (int) aml_tree_param_value(params, spec, N_FOREST_PARAMS, "max_bins"),
							 in->seed, pool, &bins, err);
	if (st != AML_OK)
		goto done;

	m = aml_calloc(env, 1, sizeof(*m));
	job.w = aml_calloc(env, nw, sizeof(forest_worker));
	job.tree_worker = aml_malloc(env, job.n_trees * sizeof(int));
	job.tree_index = aml_malloc(env, job.n_trees * sizeof(int));
	if (job.K > 1)
		cls = aml_malloc(env, n * sizeof(int32_t));
	if (m == NULL || job.w == NULL || job.tree_worker == NULL ||
		job.tree_index == NULL || (job.K > 1 && cls == NULL) ||
		aml_tree_pack_init(env, &m->pack, ds, job.K))
	{
		st = aml_oom(env, err, sizeof(*m) + nw * sizeof(forest_worker));
		goto done;
	}
	m->task = in->task;
	m->n_classes = in->n_classes;
	m->n_outputs = aml_task_outputs(in->task, in->n_classes);
	if (cls)
		for (int64_t i = 0; i < n; i++)
			cls[i] = (int32_t) in->y[in->rows ? in->rows[i] : i];
	job.cls = cls;
	for (int i = 0; i < nw; i++)
	{
		forest_worker *w = &job.w[i];

		w->fail_tree = -1;
		w->g = aml_malloc(env, n * sizeof(float));
		w->h = aml_malloc(env, n * sizeof(float));
		w->rows = aml_malloc(env, n * sizeof(int32_t));
		w->mult = aml_malloc(env, n * sizeof(int32_t));
		if (!w->g || !w->h || !w->rows || !w->mult ||
			aml_tree_pack_init(env, &w->pack, ds, job.K))
		{
			st = aml_oom(env, err, n * 24);
			goto done;
		}
		st = aml_grower_create(env, bins, job.K, &gp, NULL, &w->gr, err);
		if (st != AML_OK)
			goto done;
	}

	aml_tpool_run(pool, forest_tree_task, &job, job.n_trees);

	/* report the failure of the lowest-numbered failed tree */
	{
		int			worst = -1;

		for (int i = 0; i < nw; i++)
			if (job.w[i].fail_tree >= 0 &&
				(worst < 0 || job.w[i].fail_tree < job.w[worst].fail_tree))
				worst = i;
		if (worst >= 0)
		{
			st = job.w[worst].fail_st;
			if (err)
				*err = job.w[worst].err;
			goto done;
		}
	}
	if (aml_check_cancel(env))
	{
		st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
		goto done;
	}
	for (int t = 0; t < job.n_trees; t++)
		if (aml_tree_pack_append(env, &m->pack, &job.w[job.tree_worker[t]].pack,
								 job.tree_index[t], 0))
		{
			st = aml_oom(env, err, sizeof(double) * 1024);
			goto done;
		}
	(void) aml_tree_pack_finish(env, &m->pack);

	/* the growing memory goes before the out-of-bag pass needs its own */
	free_workers(env, &job, nw);
	aml_tree_bins_free(env, bins);
	bins = NULL;
	for (int j = 0; j < N_OOB_METRICS; j++)
		m->oob[j] = NAN;
	/* a fit given validation rows is scored on them: no estimate needed */
	if (job.bootstrap && in->n_valid == 0 &&
		(st = forest_oob(env, pool, in, n, m, err)) != AML_OK)
		goto done;
	*state = m;
	m = NULL;

done:
	free_workers(env, &job, nw);
	aml_free(env, job.tree_worker);
	aml_free(env, job.tree_index);
	aml_free(env, cls);
	aml_tpool_free(pool);
	aml_tree_bins_free(env, bins);
	forest_free_state(env, m);
	return st;
}

/* forest_fit fits a random forest. */
static aml_status
forest_fit(aml_env *env, const aml_fit_input *in, const aml_params *params,
		   void **state, aml_error *err)
{
	return forest_fit_common(env, in, params, forest_params, 0, state, err);
}

/* extra_fit fits extra trees. */
static aml_status
extra_fit(aml_env *env, const aml_fit_input *in, const aml_params *params,
		  void **state, aml_error *err)
{
	return forest_fit_common(env, in, params, extra_params, 1, state, err);
}

/*
 * forest_predict writes the averaged tree outputs (regression value,
 * positive-class probability, class probabilities) of rows idx[].
 */
static void
forest_predict(const void *state, const aml_dataset *ds, const int64_t *idx,
			   int64_t n, double *out)
{
	const forest_model *m = state;

	memset(out, 0, (size_t) n * m->n_outputs * sizeof(double));
	aml_tree_pack_add(&m->pack, ds, idx, n, out, m->n_outputs);
	aml_tree_fix_probs(m->task, m->n_outputs, n, out);
}

/* forest_write serializes a forest: its pack. */
static void
forest_write(const void *state, aml_wbuf *b)
{
	const forest_model *m = state;

	aml_tree_pack_write(&m->pack, b);
}

/* forest_read deserializes and validates a forest. */
static aml_status
forest_read(aml_env *env, aml_rbuf *b, const aml_dataset *schema, aml_task task,
			int n_classes, void **state, aml_error *err)
{
	forest_model *m;
	int			n_out;
	aml_status	st;

	*state = NULL;
	st = aml_tree_check_task(task, n_classes, err);
	if (st != AML_OK)
		return st;
	n_out = aml_task_outputs(task, n_classes);
	m = aml_calloc(env, 1, sizeof(*m));
	if (m == NULL)
		return aml_oom(env, err, sizeof(*m));
	m->task = task;
	m->n_classes = n_classes;
	m->n_outputs = n_out;
	for (int j = 0; j < N_OOB_METRICS; j++)
		m->oob[j] = NAN;
	st = aml_tree_pack_read(env, b, schema, n_out, n_out, &m->pack, err);
	if (st != AML_OK)
	{
		aml_free(env, m);
		return st;
	}
	*state = m;
	return AML_OK;
}

/* forest_importance adds split gain per feature. */
static void
forest_importance(const void *state, int n_feat, double *imp)
{
	const forest_model *m = state;

	aml_tree_pack_importance(&m->pack, n_feat, imp);
}

/* aml_forest_pack returns the trees of a forest. */
const aml_tree_pack *
aml_forest_pack(const void *state)
{
	return &((const forest_model *) state)->pack;
}

/*
 * aml_forest_oob returns the out-of-bag estimate of a metric for a forest
 * fitted with bootstrap (the rows it covers in *rows), or NaN: no
 * bootstrap, a forest read back, a metric of another task.
 */
double
aml_forest_oob(const void *state, const char *metric, int64_t *rows)
{
	const forest_model *m = state;

	if (rows)
		*rows = m ? m->oob_rows : 0;
	if (m == NULL || metric == NULL || m->oob_rows == 0)
		return NAN;
	for (int j = 0; j < N_OOB_METRICS; j++)
		if (strcmp(oob_metric_names[j], metric) == 0)
			return m->oob[j];
	return NAN;
}

const aml_learner_ops aml_forest_ops = {
	.algo = AML_ALGO_RANDOM_FOREST,
	.name = "random_forest",
	.fit = forest_fit,
	.predict = forest_predict,
	.write = forest_write,
	.read = forest_read,
	.free_state = forest_free_state,
	.check_params = forest_check_params,
	.importance = forest_importance,
};

const aml_learner_ops aml_extra_trees_ops = {
	.algo = AML_ALGO_EXTRA_TREES,
	.name = "extra_trees",
	.fit = extra_fit,
	.predict = forest_predict,
	.write = forest_write,
	.read = forest_read,
	.free_state = forest_free_state,
	.check_params = extra_check_params,
	.importance = forest_importance,
};
