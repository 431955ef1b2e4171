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
 *-------------------------------------------------------------------------
 */
#include "tree.h"

/* A fitted forest. */
typedef struct forest_model
{
	aml_task	task;
	int			n_classes;
	int			n_outputs;
	aml_tree_pack pack;			/* n_out = n_outputs, every out_off 0 */
} forest_model;

static const aml_tree_param forest_params[] = {
	{"n_estimators", 1, 10000, 100, 1, 0},
	{"max_features", 0, 1, 0, 0, 0},
	{"max_depth", 0, 64, 0, 1, 0},
	{"min_samples_leaf", 1, 1e6, 1, 1, 0},
	{"max_leaves", 0, 1e6, 0, 1, 0},
	{"bootstrap", 0, 1, 1, 1, 0},
	{"max_bins", 2, 255, 255, 1, 0},
};

static const aml_tree_param extra_params[] = {
	{"n_estimators", 1, 10000, 100, 1, 0},
	{"max_features", 0, 1, 0, 0, 0},
	{"max_depth", 0, 64, 0, 1, 0},
	{"min_samples_leaf", 1, 1e6, 1, 1, 0},
	{"max_leaves", 0, 1e6, 0, 1, 0},
	{"bootstrap", 0, 1, 0, 1, 0},
	{"max_bins", 2, 255, 255, 1, 0},
};
#define N_FOREST_PARAMS 7

/*
 * forest_check_params validates random_forest parameters: n_estimators
 * 1..10000 (100), max_features 0..1 (fraction of features tried per
 * node; 0 = sqrt(F)/F for classification, 1/3 for regression), max_depth
 * 0..64 (0 = unlimited), min_samples_leaf 1..1e6 (1), max_leaves 0..1e6
 * (0 = unlimited), bootstrap 0/1 (1), max_bins 2..255.
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
	double	   *g;
	double	   *h;
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

/*
 * forest_tree_task grows tree `task` on its bootstrap sample (or all
 * rows) with its own random stream, in the worker's grower and pack.
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
	aml_rng_seed(&rng, in->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t) (task + 1)));
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

		w->h[i] = wt;
		if (job->K == 1)
			w->g[i] = in->task == AML_TASK_BINARY ? (in->y[r] >= 1 ? -wt : 0.0)
				: -wt * (in->y[r] - job->offset);
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

				w->h[i] = wt;
				if (job->K == 1)
					w->g[i] = in->task == AML_TASK_BINARY ? (in->y[r] >= 1 ? -wt : 0.0)
						: -wt * (in->y[r] - job->offset);
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
		w->g = aml_malloc(env, n * sizeof(double));
		w->h = aml_malloc(env, n * sizeof(double));
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
	*state = m;
	m = NULL;

done:
	for (int i = 0; job.w && i < nw; i++)
	{
		forest_worker *w = &job.w[i];

		aml_grower_free(w->gr);
		aml_tree_pack_free(env, &w->pack);
		aml_free(env, w->g);
		aml_free(env, w->h);
		aml_free(env, w->rows);
		aml_free(env, w->mult);
	}
	aml_free(env, job.w);
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
