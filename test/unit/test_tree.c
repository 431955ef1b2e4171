/*-------------------------------------------------------------------------
 *
 * test_tree.c
 *	  Unit tests of the histogram tree engine and the CART learner: known
 *	  thresholds, missing-value routing, categorical sets, leaf values,
 *	  limits, serialization round trips, hostile blobs, parameters,
 *	  determinism, cancellation and memory budgets.
 *
 *-------------------------------------------------------------------------
 */
#include "aml_int.h"
#include "tree.h"
#include "harness.h"

#define MAXF 8

/* A small test dataset owning its columns. */
typedef struct tds
{
	aml_dataset ds;
	float	   *cols[MAXF];
	const float *ccols[MAXF];
	aml_feat_kind kind[MAXF];
	int			nl[MAXF];
	float	   *y;
	double	   *w;
} tds;

/* tds_init allocates a dataset of n rows and F numeric features. */
static void
tds_init(tds *t, int64_t n, int F)
{
	memset(t, 0, sizeof(*t));
	t->ds.n_rows = n;
	t->ds.n_feat = F;
	for (int j = 0; j < F; j++)
	{
		t->cols[j] = calloc(n, sizeof(float));
		t->ccols[j] = t->cols[j];
		t->kind[j] = AML_FEAT_NUMERIC;
	}
	t->ds.col = t->ccols;
	t->ds.kind = t->kind;
	t->ds.n_levels = t->nl;
	t->y = calloc(n, sizeof(float));
	t->w = calloc(n, sizeof(double));
}

/* tds_free releases a test dataset. */
static void
tds_free(tds *t)
{
	for (int j = 0; j < t->ds.n_feat; j++)
		free(t->cols[j]);
	free(t->y);
	free(t->w);
}

/* tds_cat makes feature j categorical with nl levels. */
static void
tds_cat(tds *t, int j, int nl)
{
	t->kind[j] = AML_FEAT_CATEGORICAL;
	t->nl[j] = nl;
}

/* fit_in fills a fit input over all rows. */
static aml_fit_input
fit_in(tds *t, aml_task task, int n_classes, int weighted)
{
	aml_fit_input in;

	memset(&in, 0, sizeof(in));
	in.ds = &t->ds;
	in.y = t->y;
	in.w = weighted ? t->w : NULL;
	in.rows = NULL;
	in.n_rows = t->ds.n_rows;
	in.task = task;
	in.n_classes = n_classes;
	in.seed = 7;
	in.record_loss = 1;
	return in;
}

/* fit_tree fits a decision tree, returning status. */
static aml_status
fit_tree(aml_env *env, tds *t, aml_task task, int n_classes, int weighted,
		 const aml_params *p, void **state, aml_error *err)
{
	aml_fit_input in = fit_in(t, task, n_classes, weighted);

	return aml_tree_ops.fit(env, &in, p, state, err);
}

/* pack_of returns the CART pack of a state. */
static const aml_tree_pack *
pack_of(const void *state)
{
	return aml_tree_learner_pack(AML_ALGO_DECISION_TREE, state);
}

/* predict_rows predicts every row of t into out. */
static void
predict_rows(const void *state, tds *t, double *out)
{
	aml_tree_ops.predict(state, &t->ds, NULL, t->ds.n_rows, out);
}

/* pack_max_depth returns the deepest level of a one-tree pack (root 0). */
static int
pack_max_depth(const aml_tree_pack *p)
{
	int		   *d = calloc(p->n_nodes, sizeof(int));
	int			best = 0;

	for (int i = 0; i < p->n_nodes; i++)
	{
		if (p->feat[i] >= 0)
		{
			d[p->left[i]] = d[i] + 1;
			d[p->right[i]] = d[i] + 1;
		}
		if (d[i] > best)
			best = d[i];
	}
	free(d);
	return best;
}

/* serialize writes a state to a malloc'd buffer. */
static uint8_t *
serialize(const aml_learner_ops *ops, const void *state, size_t *len)
{
	aml_wbuf	b;
	uint8_t    *buf;

	memset(&b, 0, sizeof(b));
	ops->write(state, &b);
	buf = malloc(b.len + 1);
	*len = b.len;
	memset(&b, 0, sizeof(b));
	b.data = buf;
	b.cap = *len;
	ops->write(state, &b);
	CHECK(!b.overflow && b.len == *len);
	return buf;
}

/* ------------------------------------------------------------------ tests */

/* test_threshold checks a stump finds a known threshold. */
static void
test_threshold(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	double		out[200];
	const aml_tree_pack *pk;
	double		imp[2] = {0, 0};

	aml_env_init(&env);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 1);
	tds_init(&t, 200, 2);
	for (int i = 0; i < 200; i++)
	{
		t.cols[0][i] = (float) (i % 100);
		t.cols[1][i] = (float) ((i * 37) % 11);
		t.y[i] = (i % 100) < 37.5 ? 1 : 0;
	}
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	CHECK(pk->n_trees == 1 && pk->n_nodes == 3);
	CHECK(pk->feat[0] == 0);
	CHECK(pk->thr[0] == 37.5f);
	CHECK(pk->cover[0] == 200 && pk->cover[1] == 76 && pk->cover[2] == 124);
	CHECK(pk->hess[0] == 200);
	predict_rows(st, &t, out);
	for (int i = 0; i < 200; i++)
		CHECK(out[i] == t.y[i]);
	aml_tree_ops.importance(st, 2, imp);
	CHECK(imp[0] > 0 && imp[1] == 0);
	aml_tree_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* test_missing checks missing values follow the side they resemble. */
static void
test_missing(void)
{
	for (int side = 0; side < 2; side++)
	{
		aml_env		env;
		aml_error	err;
		aml_params	p;
		tds			t;
		void	   *st = NULL;
		double		out[300];
		const aml_tree_pack *pk;

		aml_env_init(&env);
		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "max_depth", 1);
		aml_params_set(&p, "min_samples_leaf", 1);
		tds_init(&t, 300, 1);
		for (int i = 0; i < 300; i++)
		{
			if (i < 200)
			{
				t.cols[0][i] = (float) (i % 100);
				t.y[i] = (i % 100) < 50 ? 1 : 0;
			}
			else
			{
				t.cols[0][i] = NAN;
				t.y[i] = side == 0 ? 1 : 0;
			}
		}
		CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, &p, &st, &err) == AML_OK);
		pk = pack_of(st);
		CHECK(pk->feat[0] == 0 && pk->thr[0] == 49.5f);
		CHECK(((pk->flags[0] & AML_TREE_DEFAULT_LEFT) != 0) == (side == 0));
		predict_rows(st, &t, out);
		for (int i = 0; i < 300; i++)
			CHECK(out[i] == t.y[i]);
		/* an infinite value is missing too */
		t.cols[0][0] = INFINITY;
		predict_rows(st, &t, out);
		CHECK(out[0] == (side == 0 ? 1 : 0));
		aml_tree_ops.free_state(&env, st);
		CHECK(env.mem_used == 0);
		tds_free(&t);
	}
}

/* test_categorical checks a set split recovers a known grouping. */
static void
test_categorical(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	double		out[1200];
	const aml_tree_pack *pk;
	aml_rng		rng;
	uint32_t	bits;

	aml_env_init(&env);
	aml_rng_seed(&rng, 3);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 1);
	tds_init(&t, 400, 2);
	tds_cat(&t, 0, 8);
	for (int i = 0; i < 400; i++)
	{
		int			c = i % 8;

		t.cols[0][i] = (float) c;
		t.cols[1][i] = (float) aml_rng_uniform(&rng);
		t.y[i] = (c == 1 || c == 3 || c == 6) ? 10.0 : 0.0;
	}
	CHECK(fit_tree(&env, &t, AML_TASK_REGRESSION, 0, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	CHECK(pk->feat[0] == 0);
	CHECK(pk->flags[0] & AML_TREE_CATEGORICAL);
	bits = pk->cat_bits[pk->cat_off[0]];
	CHECK(bits == 0x4A || bits == (0xFFu & ~0x4Au));
	predict_rows(st, &t, out);
	for (int i = 0; i < 400; i++)
		CHECK_NEAR(out[i], t.y[i], 1e-9);
	aml_tree_ops.free_state(&env, st);

	/* multiclass: class = code / 2, six codes, depth 3 is enough */
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 3);
	tds_cat(&t, 0, 6);
	for (int i = 0; i < 400; i++)
	{
		t.cols[0][i] = (float) (i % 6);
		t.y[i] = (i % 6) / 2;
	}
	CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 0, &p, &st, &err) == AML_OK);
	aml_tree_ops.predict(st, &t.ds, NULL, 400, out);
	for (int i = 0; i < 400; i++)
		for (int k = 0; k < 3; k++)
			CHECK_NEAR(out[i * 3 + k], k == (int) t.y[i] ? 1.0 : 0.0, 1e-12);
	aml_tree_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* test_wide_categorical checks a feature with more than 255 levels. */
static void
test_wide_categorical(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	double	   *out = malloc(1200 * sizeof(double));

	aml_env_init(&env);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 1);
	aml_params_set(&p, "min_samples_leaf", 1);
	aml_params_set(&p, "max_cat_set_levels", 0);	/* sets, not cuts */
	tds_init(&t, 1200, 1);
	tds_cat(&t, 0, 300);
	for (int i = 0; i < 1200; i++)
	{
		t.cols[0][i] = (float) (i % 300);
		t.y[i] = (i % 300) % 3 == 0;
	}
	t.cols[0][5] = NAN;
	t.y[5] = 1;
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, &p, &st, &err) == AML_OK);
	CHECK(pack_of(st)->flags[0] & AML_TREE_CATEGORICAL);
	predict_rows(st, &t, out);
	for (int i = 0; i < 1200; i++)
		CHECK(out[i] == t.y[i]);
	aml_tree_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
	free(out);
}

/* is_prefix says whether bitset bits holds exactly the codes 0..n-1 of nl. */
static int
is_prefix(const uint32_t *bits, int nl, int *n)
{
	int			k = 0;

	while (k < nl && ((bits[k >> 5] >> (k & 31)) & 1))
		k++;
	*n = k;
	for (int c = k; c < nl; c++)
		if ((bits[c >> 5] >> (c & 31)) & 1)
			return 0;
	return 1;
}

/*
 * test_ordered_categorical checks a feature with more than
 * max_cat_set_levels levels: it is cut in code (frequency) order, so a
 * target that follows the order is found in one split and an interleaved
 * one is not (sets find both); extra trees cut it at random, still in
 * order.
 */
static void
test_ordered_categorical(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	double	   *out = malloc(1200 * sizeof(double));
	const aml_tree_pack *pk;
	int			n_left = -1;
	int			wrong = 0;

	aml_env_init(&env);
	tds_init(&t, 1200, 1);
	tds_cat(&t, 0, 41);			/* 40 levels and "other" */
	for (int i = 0; i < 1200; i++)
	{
		t.cols[0][i] = (float) (i % 40);
		t.y[i] = i % 40 < 10;
	}
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 1);
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	CHECK(pk->flags[0] & AML_TREE_CATEGORICAL);
	CHECK(is_prefix(pk->cat_bits + pk->cat_off[0], 41, &n_left) && n_left == 10);
	predict_rows(st, &t, out);
	for (int i = 0; i < 1200; i++)
		CHECK(out[i] == t.y[i]);
	aml_tree_ops.free_state(&env, st);

	/* even levels vs odd ones: no cut separates them, a set does */
	for (int i = 0; i < 1200; i++)
		t.y[i] = i % 2;
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	CHECK(is_prefix(pk->cat_bits + pk->cat_off[0], 41, &n_left) && n_left > 0 && n_left < 40);
	predict_rows(st, &t, out);
	for (int i = 0; i < 1200; i++)
		wrong += out[i] != t.y[i];
	CHECK(wrong > 100);
	aml_tree_ops.free_state(&env, st);
	aml_params_set(&p, "max_cat_set_levels", 40);	/* 40 levels: sets */
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, &p, &st, &err) == AML_OK);
	predict_rows(st, &t, out);
	for (int i = 0; i < 1200; i++)
		CHECK(out[i] == t.y[i]);
	aml_tree_ops.free_state(&env, st);

	/* extra trees: every root cuts the order at a random place */
	for (int i = 0; i < 1200; i++)
		t.y[i] = i % 40 < 10;
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "n_estimators", 20);
	aml_params_set(&p, "max_depth", 2);
	{
		aml_fit_input in = fit_in(&t, AML_TASK_BINARY, 2, 0);
		int			cuts[41] = {0};
		int			distinct = 0;

		CHECK(aml_extra_trees_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
		pk = aml_tree_learner_pack(AML_ALGO_EXTRA_TREES, st);
		CHECK(pk->n_trees == 20);
		for (int k = 0; k < pk->n_trees; k++)
		{
			int			r = pk->root[k];

			CHECK(pk->flags[r] & AML_TREE_CATEGORICAL);
			CHECK(is_prefix(pk->cat_bits + pk->cat_off[r], 41, &n_left) &&
				  n_left > 0 && n_left < 40);
			if (n_left > 0 && n_left < 41 && cuts[n_left]++ == 0)
				distinct++;
		}
		CHECK(distinct > 5);
		aml_extra_trees_ops.free_state(&env, st);
	}
	CHECK(env.mem_used == 0);
	tds_free(&t);
	free(out);
}

/* test_regression_means checks leaf values are (weighted) means. */
static void
test_regression_means(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	double		out[10];

	aml_env_init(&env);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 1);
	aml_params_set(&p, "min_samples_leaf", 1);
	tds_init(&t, 10, 1);
	for (int i = 0; i < 10; i++)
	{
		t.cols[0][i] = (float) i;
		t.y[i] = i < 5 ? i + 1 : 100 + 10.0 * (i - 4);
		t.w[i] = i < 5 ? 1 : (i == 9 ? 3 : 1);
	}
	CHECK(fit_tree(&env, &t, AML_TASK_REGRESSION, 0, 0, &p, &st, &err) == AML_OK);
	predict_rows(st, &t, out);
	CHECK_NEAR(out[0], 3.0, 1e-12);
	CHECK_NEAR(out[9], 130.0, 1e-12);
	CHECK_NEAR(pack_of(st)->value[0], (15 + 650) / 10.0, 1e-12);
	aml_tree_ops.free_state(&env, st);

	/* weighted: the right leaf mean is (110+120+130+140+3*150)/7 */
	CHECK(fit_tree(&env, &t, AML_TASK_REGRESSION, 0, 1, &p, &st, &err) == AML_OK);
	predict_rows(st, &t, out);
	CHECK_NEAR(out[0], 3.0, 1e-12);
	CHECK_NEAR(out[9], 950.0 / 7, 1e-12);
	aml_tree_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* blobs fills a 3-class, 2-feature problem with a little overlap. */
static void
blobs(tds *t, uint64_t seed)
{
	aml_rng		rng;

	aml_rng_seed(&rng, seed);
	for (int64_t i = 0; i < t->ds.n_rows; i++)
	{
		int			c = (int) (i % 3);

		t->y[i] = c;
		t->cols[0][i] = (float) (c * 2.0 + aml_rng_uniform(&rng) * 2.2);
		t->cols[1][i] = (float) (aml_rng_uniform(&rng) - (c == 1 ? 0.5 : 0));
		t->w[i] = 0.5 + aml_rng_uniform(&rng);
		if (t->ds.n_feat > 2)
			t->cols[2][i] = aml_rng_uniform(&rng) < 0.2 ? NAN : (float) (i % 7);
	}
}

/* test_multiclass checks probabilities are valid and fit the data. */
static void
test_multiclass(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	void	   *st = NULL;
	double	   *out;
	int			correct = 0;
	int			n = 600;

	aml_env_init(&env);
	tds_init(&t, n, 3);
	blobs(&t, 11);
	out = malloc(n * 3 * sizeof(double));
	for (int weighted = 0; weighted < 2; weighted++)
	{
		correct = 0;
		CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, weighted, NULL, &st, &err) == AML_OK);
		predict_rows(st, &t, out);
		for (int i = 0; i < n; i++)
		{
			double		s = 0;
			int			arg = 0;

			for (int k = 0; k < 3; k++)
			{
				CHECK(out[i * 3 + k] >= 0 && out[i * 3 + k] <= 1);
				s += out[i * 3 + k];
				if (out[i * 3 + k] > out[i * 3 + arg])
					arg = k;
			}
			CHECK_NEAR(s, 1.0, 1e-12);
			correct += arg == (int) t.y[i];
		}
		CHECK(correct > n * 0.9);
		aml_tree_ops.free_state(&env, st);
	}
	CHECK(env.mem_used == 0);
	free(out);
	tds_free(&t);
}

/* test_limits checks max_depth, min_samples_leaf and max_leaves hold. */
static void
test_limits(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	aml_rng		rng;
	const aml_tree_pack *pk;
	int			n = 500;
	int			leaves;

	aml_env_init(&env);
	aml_rng_seed(&rng, 5);
	tds_init(&t, n, 3);
	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < 3; j++)
			t.cols[j][i] = (float) aml_rng_uniform(&rng);
		t.y[i] = aml_rng_uniform(&rng) + t.cols[0][i];
	}
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 3);
	aml_params_set(&p, "min_samples_leaf", 1);
	CHECK(fit_tree(&env, &t, AML_TASK_REGRESSION, 0, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	CHECK(pack_max_depth(pk) == 3);
	CHECK(pk->n_nodes == 15);
	aml_tree_ops.free_state(&env, st);

	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 64);
	aml_params_set(&p, "min_samples_leaf", 20);
	CHECK(fit_tree(&env, &t, AML_TASK_REGRESSION, 0, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	leaves = 0;
	for (int i = 0; i < pk->n_nodes; i++)
		if (pk->feat[i] < 0)
		{
			CHECK(pk->cover[i] >= 20);
			leaves++;
		}
	CHECK(leaves > 5);
	aml_tree_ops.free_state(&env, st);

	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_leaves", 5);
	aml_params_set(&p, "min_samples_leaf", 1);
	CHECK(fit_tree(&env, &t, AML_TASK_REGRESSION, 0, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	CHECK(pk->n_nodes == 9);
	aml_tree_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* test_many_values checks quantile binning of 1000 distinct values. */
static void
test_many_values(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	const aml_tree_pack *pk;
	int			n = 1000;

	aml_env_init(&env);
	tds_init(&t, n, 1);
	for (int i = 0; i < n; i++)
	{
		t.cols[0][i] = (float) i;
		t.y[i] = i < 500 ? 0 : 1;
	}
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 1);
	aml_params_set(&p, "max_bins", 16);
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, &p, &st, &err) == AML_OK);
	pk = pack_of(st);
	CHECK(pk->feat[0] == 0);
	CHECK(pk->thr[0] > 430 && pk->thr[0] < 570);
	aml_tree_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* mixed fills a dataset with numeric, categorical and missing values. */
static void
mixed(tds *t, uint64_t seed)
{
	aml_rng		rng;

	aml_rng_seed(&rng, seed);
	tds_cat(t, 1, 5);
	for (int64_t i = 0; i < t->ds.n_rows; i++)
	{
		double		x0 = aml_rng_uniform(&rng);
		int			c = (int) aml_rng_below(&rng, 5);

		t->cols[0][i] = aml_rng_uniform(&rng) < 0.1 ? NAN : (float) x0;
		t->cols[1][i] = aml_rng_uniform(&rng) < 0.05 ? NAN : (float) c;
		t->cols[2][i] = (float) aml_rng_uniform(&rng);
		t->y[i] = (int) (x0 * 3 + (c == 2)) % 3;
		t->w[i] = 1;
	}
}

/* test_roundtrip checks write -> read gives bit-identical predictions. */
static void
test_roundtrip(void)
{
	aml_task	tasks[3] = {AML_TASK_BINARY, AML_TASK_MULTICLASS, AML_TASK_REGRESSION};

	for (int ti = 0; ti < 3; ti++)
	{
		aml_env		env;
		aml_error	err;
		tds			t;
		void	   *st = NULL;
		void	   *st2 = NULL;
		int			nc = tasks[ti] == AML_TASK_MULTICLASS ? 3 : tasks[ti] == AML_TASK_BINARY ? 2 : 0;
		int			K = aml_task_outputs(tasks[ti], nc);
		int			n = 400;
		double	   *o1 = malloc(n * K * sizeof(double));
		double	   *o2 = malloc(n * K * sizeof(double));
		uint8_t    *buf,
				   *buf2;
		size_t		len,
					len2;
		aml_rbuf	rb;

		aml_env_init(&env);
		tds_init(&t, n, 3);
		mixed(&t, 21 + ti);
		if (tasks[ti] == AML_TASK_BINARY)
			for (int i = 0; i < n; i++)
				t.y[i] = t.y[i] >= 1;
		CHECK(fit_tree(&env, &t, tasks[ti], nc, 0, NULL, &st, &err) == AML_OK);
		buf = serialize(&aml_tree_ops, st, &len);
		memset(&rb, 0, sizeof(rb));
		rb.data = buf;
		rb.len = len;
		CHECK(aml_tree_ops.read(&env, &rb, &t.ds, tasks[ti], nc, &st2, &err) == AML_OK);
		CHECK(rb.pos == len);
		aml_tree_ops.predict(st, &t.ds, NULL, n, o1);
		aml_tree_ops.predict(st2, &t.ds, NULL, n, o2);
		CHECK(memcmp(o1, o2, n * K * sizeof(double)) == 0);
		buf2 = serialize(&aml_tree_ops, st2, &len2);
		CHECK(len == len2 && memcmp(buf, buf2, len) == 0);
		/* a subset of rows by index gives the same values */
		{
			int64_t		idx[3] = {7, 0, 399};
			double		o3[9];

			aml_tree_ops.predict(st2, &t.ds, idx, 3, o3);
			for (int i = 0; i < 3; i++)
				for (int k = 0; k < K; k++)
					CHECK(o3[i * K + k] == o1[idx[i] * K + k]);
		}
		/* wrong task shape is rejected */
		memset(&rb, 0, sizeof(rb));
		rb.data = buf;
		rb.len = len;
		if (tasks[ti] == AML_TASK_MULTICLASS)
		{
			void	   *st3 = NULL;

			CHECK(aml_tree_ops.read(&env, &rb, &t.ds, AML_TASK_MULTICLASS, 4, &st3, &err) == AML_EFORMAT);
			CHECK(st3 == NULL);
		}
		aml_tree_ops.free_state(&env, st);
		aml_tree_ops.free_state(&env, st2);
		CHECK(env.mem_used == 0);
		free(buf);
		free(buf2);
		free(o1);
		free(o2);
		tds_free(&t);
	}
}

/* test_hostile checks truncated and corrupted blobs fail cleanly. */
static void
test_hostile(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	void	   *st = NULL;
	uint8_t    *buf,
			   *cp;
	size_t		len;
	aml_rng		rng;
	int			n = 300;
	double	   *out = malloc(n * 3 * sizeof(double));
	int			ok_count = 0;

	aml_env_init(&env);
	tds_init(&t, n, 3);
	mixed(&t, 99);
	CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 0, NULL, &st, &err) == AML_OK);
	buf = serialize(&aml_tree_ops, st, &len);
	aml_tree_ops.free_state(&env, st);
	cp = malloc(len);

	for (size_t L = 0; L < len; L++)
	{
		aml_rbuf	rb = {buf, L, 0, 0};
		void	   *s2 = (void *) 1;

		CHECK(aml_tree_ops.read(&env, &rb, &t.ds, AML_TASK_MULTICLASS, 3, &s2, &err) == AML_EFORMAT);
		CHECK(s2 == NULL);
		CHECK(env.mem_used == 0);
	}

	/* scramble the numeric ranges the predictions will see */
	aml_rng_seed(&rng, 1234);
	for (int it = 0; it < 3000; it++)
	{
		aml_rbuf	rb = {cp, len, 0, 0};
		void	   *s2 = NULL;
		aml_status	rc;
		size_t		pos;

		memcpy(cp, buf, len);
		/* the first 40 bytes hold the counts; hit them more often */
		pos = it % 3 == 0 ? aml_rng_below(&rng, 40 < len ? 40 : len)
			: aml_rng_below(&rng, len);
		cp[pos] ^= (uint8_t) (1u << aml_rng_below(&rng, 8));
		if (it % 5 == 0)
		{
			pos = aml_rng_below(&rng, len);
			cp[pos] ^= (uint8_t) aml_rng_next(&rng);
		}
		rc = aml_tree_ops.read(&env, &rb, &t.ds, AML_TASK_MULTICLASS, 3, &s2, &err);
		CHECK(rc == AML_OK || rc == AML_EFORMAT);
		if (rc == AML_OK)
		{
			ok_count++;
			aml_tree_ops.predict(s2, &t.ds, NULL, n, out);
			aml_tree_ops.free_state(&env, s2);
		}
		else
			CHECK(s2 == NULL);
		CHECK(env.mem_used == 0);
	}
	CHECK(ok_count > 0);

	/* a schema with another feature count or kind is rejected */
	{
		aml_rbuf	rb = {buf, len, 0, 0};
		void	   *s2 = NULL;

		t.kind[1] = AML_FEAT_NUMERIC;
		t.nl[1] = 0;
		CHECK(aml_tree_ops.read(&env, &rb, &t.ds, AML_TASK_MULTICLASS, 3, &s2, &err) == AML_EFORMAT);
		tds_cat(&t, 1, 5);
		t.ds.n_feat = 2;
		rb.pos = 0;
		rb.bad = 0;
		CHECK(aml_tree_ops.read(&env, &rb, &t.ds, AML_TASK_MULTICLASS, 3, &s2, &err) == AML_EFORMAT);
		t.ds.n_feat = 3;
	}
	CHECK(env.mem_used == 0);
	free(buf);
	free(cp);
	free(out);
	tds_free(&t);
}

/* test_params checks parameter messages. */
static void
test_params(void)
{
	aml_params	p;
	char		buf[256];
	const char *m;

	memset(&p, 0, sizeof(p));
	CHECK(aml_tree_ops.check_params(&p, buf, sizeof(buf)) == NULL);
	aml_params_set(&p, "max_depth", 10);
	aml_params_set(&p, "min_samples_leaf", 1);
	aml_params_set(&p, "max_leaves", 0);
	aml_params_set(&p, "max_bins", 255);
	CHECK(aml_tree_ops.check_params(&p, buf, sizeof(buf)) == NULL);

	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 0);
	m = aml_tree_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"max_depth\" must be between 1 and 64") == 0);
	aml_params_set(&p, "max_depth", 65);
	m = aml_tree_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"max_depth\" must be between 1 and 64") == 0);
	aml_params_set(&p, "max_depth", NAN);
	CHECK(aml_tree_ops.check_params(&p, buf, sizeof(buf)) != NULL);
	aml_params_set(&p, "max_depth", 2.5);
	m = aml_tree_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"max_depth\" must be an integer") == 0);

	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_bins", 256);
	m = aml_tree_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"max_bins\" must be between 2 and 255") == 0);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "min_samples_leaf", 0);
	m = aml_tree_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"min_samples_leaf\" must be between 1 and 1000000") == 0);

	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "xyz", 1);
	m = aml_tree_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strncmp(m, "unknown parameter \"xyz\" for algorithm \"decision_tree\"", 53) == 0);
	CHECK(m && strstr(m, "max_depth, min_samples_leaf, max_leaves, max_bins") != NULL);
	/* a tiny buffer is still NUL-terminated */
	m = aml_tree_ops.check_params(&p, buf, 10);
	CHECK(m && strlen(m) == 9);
}

/* test_determinism checks the same input and seed give the same tree. */
static void
test_determinism(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	void	   *s1 = NULL,
			   *s2 = NULL;
	uint8_t    *b1,
			   *b2;
	size_t		l1,
				l2;

	aml_env_init(&env);
	tds_init(&t, 500, 3);
	mixed(&t, 5);
	CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 1, NULL, &s1, &err) == AML_OK);
	CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 1, NULL, &s2, &err) == AML_OK);
	b1 = serialize(&aml_tree_ops, s1, &l1);
	b2 = serialize(&aml_tree_ops, s2, &l2);
	CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0);
	aml_tree_ops.free_state(&env, s1);
	aml_tree_ops.free_state(&env, s2);
	free(b1);
	free(b2);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* cancel_after returns nonzero once its countdown reaches zero. */
static int
cancel_after(void *ctx)
{
	int		   *left = ctx;

	return --(*left) < 0;
}

/* test_cancel checks cancellation stops the fit without leaks. */
static void
test_cancel(void)
{
	for (int after = 0; after < 8; after++)
	{
		aml_env		env;
		aml_error	err;
		tds			t;
		void	   *st = NULL;
		int			left = after;
		aml_status	rc;

		aml_env_init(&env);
		env.should_cancel = cancel_after;
		env.ctx = &left;
		tds_init(&t, 300, 3);
		mixed(&t, 8);
		rc = fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 0, NULL, &st, &err);
		CHECK(rc == AML_ECANCELED);
		CHECK(st == NULL);
		CHECK(env.mem_used == 0);
		tds_free(&t);
	}
}

/* test_budget checks every too-small budget fails with ENOMEM, no leak. */
static void
test_budget(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	void	   *st = NULL;
	size_t		peak;
	int			ok = 0;

	aml_env_init(&env);
	tds_init(&t, 300, 3);
	mixed(&t, 9);
	CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 0, NULL, &st, &err) == AML_OK);
	aml_tree_ops.free_state(&env, st);
	peak = env.mem_peak;
	for (size_t b = 64; b < peak + 4096; b += 1 + b / 16)
	{
		aml_status	rc;

		aml_env_init(&env);
		env.mem_budget = b;
		st = NULL;
		rc = fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 0, NULL, &st, &err);
		CHECK(rc == AML_OK || rc == AML_ENOMEM);
		if (rc == AML_OK)
		{
			ok++;
			aml_tree_ops.free_state(&env, st);
		}
		else
			CHECK(st == NULL);
		CHECK(env.mem_used == 0);
	}
	CHECK(ok > 0);
	tds_free(&t);
}

/* test_small_pool checks a histogram pool of three slots gives the same tree. */
static void
test_small_pool(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *s1 = NULL,
			   *s2 = NULL;
	const aml_tree_pack *a,
			   *b;
	int			n = 3000;

	aml_env_init(&env);
	tds_init(&t, n, 4);
	mixed(&t, 17);
	for (int i = 0; i < n; i++)
		t.cols[3][i] = (float) ((i * 7919) % 1000);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_depth", 12);
	aml_params_set(&p, "min_samples_leaf", 2);
	CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 0, &p, &s1, &err) == AML_OK);
	/* a budget whose quarter holds fewer than three histograms */
	env.mem_budget = env.mem_used + 1200000;
	CHECK(fit_tree(&env, &t, AML_TASK_MULTICLASS, 3, 0, &p, &s2, &err) == AML_OK);
	a = pack_of(s1);
	b = pack_of(s2);
	CHECK(a->n_nodes > 100 && a->n_nodes == b->n_nodes);
	if (a->n_nodes == b->n_nodes)
		for (int i = 0; i < a->n_nodes; i++)
		{
			CHECK(a->feat[i] == b->feat[i] && a->thr[i] == b->thr[i]);
			CHECK_NEAR(a->value[i * 3], b->value[i * 3], 1e-12);
		}
	aml_tree_ops.free_state(&env, s1);
	aml_tree_ops.free_state(&env, s2);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* test_bad_input checks labels, weights and tasks are validated. */
static void
test_bad_input(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	void	   *st = NULL;

	aml_env_init(&env);
	tds_init(&t, 20, 1);
	for (int i = 0; i < 20; i++)
	{
		t.cols[0][i] = (float) i;
		t.y[i] = i % 2;
		t.w[i] = 1;
	}
	t.y[3] = 2;
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, NULL, &st, &err) == AML_EINVAL);
	t.y[3] = NAN;
	CHECK(fit_tree(&env, &t, AML_TASK_REGRESSION, 0, 0, NULL, &st, &err) == AML_EINVAL);
	t.y[3] = 1;
	t.w[4] = -1;
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 1, NULL, &st, &err) == AML_EINVAL);
	t.w[4] = 1;
	CHECK(fit_tree(&env, &t, AML_TASK_AUTO, 2, 0, NULL, &st, &err) == AML_EINVAL);
	CHECK(st == NULL);
	/* a subset of rows */
	{
		aml_fit_input in = fit_in(&t, AML_TASK_BINARY, 2, 0);
		int64_t		rows[4] = {0, 1, 2, 3};

		in.rows = rows;
		in.n_rows = 4;
		CHECK(aml_tree_ops.fit(&env, &in, NULL, &st, &err) == AML_OK);
		CHECK(pack_of(st)->cover[0] == 4);
		aml_tree_ops.free_state(&env, st);
		rows[2] = 20;
		CHECK(aml_tree_ops.fit(&env, &in, NULL, &st, &err) != AML_OK);
	}
	/* constant feature: a single leaf with the class frequency */
	for (int i = 0; i < 20; i++)
		t.cols[0][i] = 1;
	CHECK(fit_tree(&env, &t, AML_TASK_BINARY, 2, 0, NULL, &st, &err) == AML_OK);
	CHECK(pack_of(st)->n_nodes == 1);
	CHECK_NEAR(pack_of(st)->value[0], 0.5, 1e-15);
	aml_tree_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/* ------------------------------------------------------------ phase 2 */

/* fit_ops fits any learner over all rows of t. */
static aml_status
fit_ops(const aml_learner_ops *ops, aml_env *env, tds *t, aml_task task,
		int n_classes, const aml_params *p, void **state, aml_error *err)
{
	aml_fit_input in = fit_in(t, task, n_classes, 0);

	return ops->fit(env, &in, p, state, err);
}

/* nclasses_of returns the class count of a task in these tests. */
static int
nclasses_of(aml_task task)
{
	return task == AML_TASK_MULTICLASS ? 3 : task == AML_TASK_BINARY ? 2 : 0;
}

/* fill_task makes t's labels fit a task (mixed() gives 0..2). */
static void
fill_task(tds *t, aml_task task)
{
	for (int64_t i = 0; i < t->ds.n_rows; i++)
	{
		if (task == AML_TASK_BINARY)
			t->y[i] = t->y[i] >= 1;
		else if (task == AML_TASK_REGRESSION)
			t->y[i] = t->y[i] * 2.5 + (isnan(t->cols[0][i]) ? 1 : t->cols[0][i]) +
				t->cols[2][i] * t->cols[2][i];
	}
}

/* test_gbdt_loss checks the training loss falls every round. */
static void
test_gbdt_loss(void)
{
	aml_task	tasks[3] = {AML_TASK_BINARY, AML_TASK_MULTICLASS, AML_TASK_REGRESSION};

	for (int ti = 0; ti < 3; ti++)
	{
		aml_env		env;
		aml_error	err;
		aml_params	p;
		tds			t;
		void	   *st = NULL;
		const double *loss;
		int			nr;

		aml_env_init(&env);
		tds_init(&t, 600, 3);
		mixed(&t, 40 + ti);
		fill_task(&t, tasks[ti]);
		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "n_estimators", 40);
		aml_params_set(&p, "min_child_samples", 5);
		CHECK(fit_ops(&aml_gbdt_ops, &env, &t, tasks[ti], nclasses_of(tasks[ti]),
					  &p, &st, &err) == AML_OK);
		nr = aml_gbdt_train_loss(st, &loss);
		CHECK(nr == 40);
		for (int r = 1; r < nr; r++)
			CHECK(loss[r] < loss[r - 1]);
		CHECK(loss[nr - 1] < loss[0] * 0.5);
		/* the last recorded loss is the loss of the model's predictions */
		{
			int			K = aml_task_outputs(tasks[ti], nclasses_of(tasks[ti]));
			double	   *o = malloc(600 * K * sizeof(double));
			double		sl = 0;

			aml_gbdt_ops.predict(st, &t.ds, NULL, 600, o);
			for (int i = 0; i < 600; i++)
			{
				if (tasks[ti] == AML_TASK_REGRESSION)
					sl += (o[i] - t.y[i]) * (o[i] - t.y[i]);
				else if (tasks[ti] == AML_TASK_BINARY)
					sl -= log(t.y[i] >= 1 ? o[i] : 1 - o[i]);
				else
					sl -= log(o[i * K + (int) t.y[i]]);
			}
			/* training keeps its raw scores in float, as XGBoost does */
			CHECK_NEAR(sl / 600, loss[nr - 1], 1e-6);
			free(o);
		}
		CHECK(aml_tree_learner_pack(AML_ALGO_GBDT, st)->n_trees ==
			  40 * aml_task_outputs(tasks[ti], nclasses_of(tasks[ti])));
		aml_gbdt_ops.free_state(&env, st);
		CHECK(env.mem_used == 0);
		tds_free(&t);
	}
}

/* test_gbdt_accuracy checks boosting fits a clean problem and its probabilities. */
static void
test_gbdt_accuracy(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	void	   *st = NULL;
	int			n = 600;
	double	   *out = malloc(n * 3 * sizeof(double));
	int			correct = 0;

	aml_env_init(&env);
	tds_init(&t, n, 3);
	blobs(&t, 12);
	CHECK(fit_ops(&aml_gbdt_ops, &env, &t, AML_TASK_MULTICLASS, 3, NULL, &st, &err) == AML_OK);
	aml_gbdt_ops.predict(st, &t.ds, NULL, n, out);
	for (int i = 0; i < n; i++)
	{
		double		s = 0;
		int			arg = 0;

		for (int k = 0; k < 3; k++)
		{
			CHECK(out[i * 3 + k] >= 0 && out[i * 3 + k] <= 1);
			s += out[i * 3 + k];
			if (out[i * 3 + k] > out[i * 3 + arg])
				arg = k;
		}
		CHECK_NEAR(s, 1.0, 1e-12);
		correct += arg == (int) t.y[i];
	}
	CHECK(correct > n * 0.9);
	aml_gbdt_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	free(out);
	tds_free(&t);
}

/* test_gbdt_early_stopping checks rounds stop at the best validation loss. */
static void
test_gbdt_early_stopping(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	aml_rng		rng;
	int			n = 800;
	int64_t		tr[600],
				va[200];
	aml_fit_input in;
	const double *loss;
	int			nr;

	aml_env_init(&env);
	aml_rng_seed(&rng, 77);
	tds_init(&t, n, 2);
	for (int i = 0; i < n; i++)
	{
		t.cols[0][i] = (float) aml_rng_uniform(&rng);
		t.cols[1][i] = (float) aml_rng_uniform(&rng);
		t.y[i] = t.cols[0][i] + 3 * aml_rng_uniform(&rng);
		if (i < 600)
			tr[i] = i;
		else
			va[i - 600] = i;
	}
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "n_estimators", 400);
	aml_params_set(&p, "learning_rate", 0.5);
	aml_params_set(&p, "min_child_samples", 2);
	aml_params_set(&p, "early_stopping_rounds", 5);
	in = fit_in(&t, AML_TASK_REGRESSION, 0, 0);
	in.rows = tr;
	in.n_rows = 600;
	in.valid_rows = va;
	in.n_valid = 200;
	CHECK(aml_gbdt_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	nr = aml_gbdt_train_loss(st, &loss);
	CHECK(nr >= 1 && nr < 100);
	CHECK(aml_gbdt_pack(st)->n_trees == nr);
	aml_gbdt_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/*
 * test_gbdt_splits checks the boosting path of the grower on the known
 * problems of the CART tests: one round of gbdt finds the categorical
 * grouping {1, 3, 6} and sends missing values to the side they resemble,
 * and split counts add one per internal node.
 */
static void
test_gbdt_splits(void)
{
	for (int side = 0; side < 2; side++)
	{
		aml_env		env;
		aml_error	err;
		aml_params	p;
		tds			t;
		void	   *st = NULL;
		const aml_tree_pack *pk;
		double		cnt[2] = {0, 0};
		uint32_t	bits;

		aml_env_init(&env);
		tds_init(&t, 500, 2);
		tds_cat(&t, 0, 8);
		for (int i = 0; i < 500; i++)
		{
			int			c = i % 8;

			t.cols[0][i] = i >= 400 ? NAN : (float) c;
			t.cols[1][i] = (float) (i % 5);
			t.y[i] = i >= 400 ? (side ? 10.0 : 0.0) :
				(c == 1 || c == 3 || c == 6) ? 10.0 : 0.0;
		}
		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "n_estimators", 1);
		aml_params_set(&p, "learning_rate", 1);
		aml_params_set(&p, "max_leaves", 2);
		aml_params_set(&p, "reg_lambda", 0);
		aml_params_set(&p, "min_child_samples", 1);
		CHECK(fit_ops(&aml_gbdt_ops, &env, &t, AML_TASK_REGRESSION, 0, &p, &st, &err) == AML_OK);
		pk = aml_gbdt_pack(st);
		CHECK(pk->n_trees == 1 && pk->n_nodes == 3);
		CHECK(pk->feat[0] == 0 && (pk->flags[0] & AML_TREE_CATEGORICAL));
		bits = pk->cat_bits[pk->cat_off[0]] & 0xFFu;
		CHECK(bits == 0x4A || bits == (0xFFu & ~0x4Au));
		/* missing rows (y = 10 when side = 1) go with {1, 3, 6} */
		CHECK(((pk->flags[0] & AML_TREE_DEFAULT_LEFT) != 0) == ((bits == 0x4A) == (side == 1)));
		{
			double		out[500];

			aml_gbdt_ops.predict(st, &t.ds, NULL, 500, out);
			for (int i = 0; i < 500; i++)
				CHECK_NEAR(out[i], t.y[i], 1e-9);
		}
		aml_tree_pack_split_counts(pk, 2, cnt);
		CHECK(cnt[0] == 1 && cnt[1] == 0);
		aml_gbdt_ops.free_state(&env, st);
		CHECK(env.mem_used == 0);
		tds_free(&t);
	}
}

/*
 * test_gbdt_cat_set_rows checks gbdt's choice between cuts and sets for a
 * categorical feature of more than max_cat_set_levels levels: with 30
 * training rows per level (under cat_set_min_rows) the root cuts the
 * frequency order, so even levels against odd ones stay mixed; once
 * cat_set_min_rows allows 30 rows per level, one set separates them.
 */
static void
test_gbdt_cat_set_rows(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	int			n_left = -1;

	aml_env_init(&env);
	tds_init(&t, 1200, 1);
	tds_cat(&t, 0, 41);			/* 40 levels and "other" */
	for (int i = 0; i < 1200; i++)
	{
		t.cols[0][i] = (float) (i % 40);
		t.y[i] = (i % 40) % 2 ? 10.0 : 0.0;
	}
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "n_estimators", 1);
	aml_params_set(&p, "learning_rate", 1);
	aml_params_set(&p, "max_leaves", 2);
	aml_params_set(&p, "reg_lambda", 0);
	aml_params_set(&p, "min_child_samples", 1);
	aml_params_set(&p, "min_data_per_group", 1);
	aml_params_set(&p, "cat_smooth", 0);
	aml_params_set(&p, "cat_l2", 0);
	for (int allow = 0; allow < 2; allow++)
	{
		void	   *st = NULL;
		const aml_tree_pack *pk;
		const uint32_t *bits;

		if (allow)
			aml_params_set(&p, "cat_set_min_rows", 30);
		CHECK(fit_ops(&aml_gbdt_ops, &env, &t, AML_TASK_REGRESSION, 0, &p, &st, &err) == AML_OK);
		pk = aml_gbdt_pack(st);
		CHECK(pk->n_trees == 1 && pk->n_nodes == 3 && (pk->flags[0] & AML_TREE_CATEGORICAL));
		bits = pk->cat_bits + pk->cat_off[0];
		if (!allow)
			CHECK(is_prefix(bits, 41, &n_left) && n_left > 0 && n_left < 40);
		else
		{
			double		out[1200];

			CHECK(!is_prefix(bits, 41, &n_left));
			aml_gbdt_ops.predict(st, &t.ds, NULL, 1200, out);
			for (int i = 0; i < 1200; i++)
				CHECK_NEAR(out[i], t.y[i], 1e-9);
		}
		aml_gbdt_ops.free_state(&env, st);
	}
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/*
 * test_gbdt_huber checks Huber loss is robust where squared error is not:
 * with 15% of the training targets thrown far off (mostly upwards), its
 * model is closer to the clean signal (MAE on clean holdout rows); its
 * training loss falls every round; it is refused for classification.
 */
static void
test_gbdt_huber(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	aml_rng		rng;
	int			n = 4000,
				half = 2000;
	int64_t		tr[2000],
				te[2000];
	double		mae[2];
	double	   *out = malloc(half * sizeof(double));
	aml_fit_input in;

	aml_env_init(&env);
	aml_rng_seed(&rng, 909);
	tds_init(&t, n, 3);
	for (int i = 0; i < n; i++)
	{
		double		x0 = aml_rng_uniform(&rng),
					x1 = aml_rng_uniform(&rng);

		t.cols[0][i] = (float) x0;
		t.cols[1][i] = (float) x1;
		t.cols[2][i] = (float) aml_rng_uniform(&rng);
		t.y[i] = 3 * x0 + sin(6 * x1) + (aml_rng_uniform(&rng) - 0.5) * 0.2;
		if (i < half && aml_rng_uniform(&rng) < 0.15)
			t.y[i] += (aml_rng_uniform(&rng) < 0.8 ? 1 : -1) * (20 + 40 * aml_rng_uniform(&rng));
		if (i < half)
			tr[i] = i;
		else
			te[i - half] = i;
	}
	in = fit_in(&t, AML_TASK_REGRESSION, 0, 0);
	in.rows = tr;
	in.n_rows = half;
	for (int hub = 0; hub < 2; hub++)
	{
		void	   *st = NULL;
		const double *loss;
		int			nr;

		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "n_estimators", 100);
		aml_params_set(&p, "min_child_samples", 10);
		if (hub)
			aml_params_set(&p, "huber_delta", 1.0);
		CHECK(aml_gbdt_ops.check_params(&p, (char[256]) {0}, 256) == NULL);
		CHECK(aml_gbdt_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
		nr = aml_gbdt_train_loss(st, &loss);
		CHECK(nr == 100);
		for (int r = 1; r < nr; r++)
			CHECK(loss[r] <= loss[r - 1]);
		aml_gbdt_ops.predict(st, &t.ds, te, half, out);
		mae[hub] = 0;
		for (int i = 0; i < half; i++)
			mae[hub] += fabs(out[i] - t.y[te[i]]) / half;
		aml_gbdt_ops.free_state(&env, st);
	}
	/* squared error chases the outliers; Huber stays near the signal */
	CHECK(mae[1] < 0.5 * mae[0]);
	CHECK(mae[1] < 0.35);

	/* the parameter's range, and the task it applies to */
	{
		char		buf[256];
		const char *msg;
		void	   *st = NULL;

		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "huber_delta", -1);
		msg = aml_gbdt_ops.check_params(&p, buf, sizeof(buf));
		CHECK(msg && strcmp(msg, "parameter \"huber_delta\" must be between 0 and 1e+15") == 0);
		aml_params_set(&p, "huber_delta", 2);
		for (int i = 0; i < n; i++)
			t.y[i] = t.cols[0][i] > 0.5;
		in.task = AML_TASK_BINARY;
		in.n_classes = 2;
		CHECK(aml_gbdt_ops.fit(&env, &in, &p, &st, &err) == AML_EINVAL);
		CHECK(st == NULL && strcmp(err.msg, "parameter \"huber_delta\" applies to regression only") == 0);
	}
	CHECK(env.mem_used == 0);
	free(out);
	tds_free(&t);
}

/* serialize_fit fits a learner with n_threads and returns its bytes. */
static uint8_t *
serialize_fit(const aml_learner_ops *ops, tds *t, aml_task task,
			  const aml_params *p, int n_threads, size_t *len)
{
	aml_env		env;
	aml_error	err;
	void	   *st = NULL;
	uint8_t    *buf = NULL;

	aml_env_init(&env);
	env.n_threads = n_threads;
	*len = 0;
	CHECK(fit_ops(ops, &env, t, task, nclasses_of(task), p, &st, &err) == AML_OK);
	if (st)
	{
		buf = serialize(ops, st, len);
		ops->free_state(&env, st);
	}
	CHECK(env.mem_used == 0);
	return buf;
}

/* test_threads_identical checks 1, 2 and 3 threads give identical models. */
static void
test_threads_identical(void)
{
	const aml_learner_ops *ops[4] = {&aml_tree_ops, &aml_gbdt_ops, &aml_forest_ops,
	&aml_extra_trees_ops};
	aml_task	tasks[3] = {AML_TASK_BINARY, AML_TASK_MULTICLASS, AML_TASK_REGRESSION};
	tds			t;
	int			n = 20000;

	tds_init(&t, n, 4);
	mixed(&t, 61);
	for (int i = 0; i < n; i++)
		t.cols[3][i] = (float) ((i * 7919) % 1000);
	for (int oi = 0; oi < 4; oi++)
		for (int ti = 0; ti < 3; ti++)
		{
			aml_params	p;
			uint8_t    *b1,
					   *b2,
					   *b3;
			size_t		l1,
						l2,
						l3;
			tds			t2 = t;

			/* labels per task on a copy of y */
			t2.y = malloc(n * sizeof(float));
			memcpy(t2.y, t.y, n * sizeof(float));
			fill_task(&t2, tasks[ti]);
			memset(&p, 0, sizeof(p));
			if (ops[oi] == &aml_gbdt_ops)
			{
				aml_params_set(&p, "n_estimators", 6);
				aml_params_set(&p, "subsample", 0.7);
				aml_params_set(&p, "colsample", 0.8);
			}
			else if (ops[oi] != &aml_tree_ops)
			{
				aml_params_set(&p, "n_estimators", 5);
				aml_params_set(&p, "max_depth", 6);
			}
			b1 = serialize_fit(ops[oi], &t2, tasks[ti], &p, 1, &l1);
			b2 = serialize_fit(ops[oi], &t2, tasks[ti], &p, 2, &l2);
			b3 = serialize_fit(ops[oi], &t2, tasks[ti], &p, 3, &l3);
			CHECK(b1 && b2 && b3);
			CHECK(l1 == l2 && l1 == l3);
			if (b1 && b2 && b3 && l1 == l2 && l1 == l3)
			{
				CHECK(memcmp(b1, b2, l1) == 0);
				CHECK(memcmp(b1, b3, l1) == 0);
			}
			free(b1);
			free(b2);
			free(b3);
			free(t2.y);
		}
	tds_free(&t);
}

/* test_ensembles_roundtrip checks write/read and hostile blobs for gbdt and forests. */
static void
test_ensembles_roundtrip(void)
{
	const aml_learner_ops *ops[3] = {&aml_gbdt_ops, &aml_forest_ops, &aml_extra_trees_ops};
	aml_task	tasks[3] = {AML_TASK_BINARY, AML_TASK_MULTICLASS, AML_TASK_REGRESSION};

	for (int oi = 0; oi < 3; oi++)
		for (int ti = 0; ti < 3; ti++)
		{
			aml_env		env;
			aml_error	err;
			aml_params	p;
			tds			t;
			void	   *st = NULL,
					   *st2 = NULL;
			int			n = 300;
			int			nc = nclasses_of(tasks[ti]);
			int			K = aml_task_outputs(tasks[ti], nc);
			double	   *o1 = malloc(n * K * sizeof(double));
			double	   *o2 = malloc(n * K * sizeof(double));
			uint8_t    *buf;
			size_t		len;
			aml_rbuf	rb;
			aml_rng		rng;

			aml_env_init(&env);
			aml_rng_seed(&rng, 500 + oi * 3 + ti);
			tds_init(&t, n, 3);
			mixed(&t, 80 + ti);
			fill_task(&t, tasks[ti]);
			memset(&p, 0, sizeof(p));
			aml_params_set(&p, "n_estimators", 8);
			CHECK(fit_ops(ops[oi], &env, &t, tasks[ti], nc, &p, &st, &err) == AML_OK);
			buf = serialize(ops[oi], st, &len);
			memset(&rb, 0, sizeof(rb));
			rb.data = buf;
			rb.len = len;
			CHECK(ops[oi]->read(&env, &rb, &t.ds, tasks[ti], nc, &st2, &err) == AML_OK);
			CHECK(rb.pos == len);
			ops[oi]->predict(st, &t.ds, NULL, n, o1);
			ops[oi]->predict(st2, &t.ds, NULL, n, o2);
			CHECK(memcmp(o1, o2, n * K * sizeof(double)) == 0);
			for (int i = 0; i < n * K; i++)
				CHECK(isfinite(o1[i]));
			if (tasks[ti] != AML_TASK_REGRESSION)
				for (int i = 0; i < n * K; i++)
					CHECK(o1[i] >= 0 && o1[i] <= 1);
			ops[oi]->free_state(&env, st2);
			ops[oi]->free_state(&env, st);

			/* every prefix fails; random flips fail or still predict */
			for (size_t L = 0; L < len; L += 1 + L / 64)
			{
				aml_rbuf	r2 = {buf, L, 0, 0};
				void	   *s3 = NULL;

				CHECK(ops[oi]->read(&env, &r2, &t.ds, tasks[ti], nc, &s3, &err) == AML_EFORMAT);
				CHECK(s3 == NULL && env.mem_used == 0);
			}
			for (int it = 0; it < 300; it++)
			{
				uint8_t    *cp = malloc(len);
				aml_rbuf	r2 = {cp, len, 0, 0};
				void	   *s3 = NULL;
				aml_status	rc;

				memcpy(cp, buf, len);
				cp[aml_rng_below(&rng, it % 2 ? 64 : len)] ^= (uint8_t) (1u << aml_rng_below(&rng, 8));
				rc = ops[oi]->read(&env, &r2, &t.ds, tasks[ti], nc, &s3, &err);
				CHECK(rc == AML_OK || rc == AML_EFORMAT);
				if (rc == AML_OK)
				{
					ops[oi]->predict(s3, &t.ds, NULL, n, o2);
					ops[oi]->free_state(&env, s3);
				}
				CHECK(env.mem_used == 0);
				free(cp);
			}
			free(buf);
			free(o1);
			free(o2);
			tds_free(&t);
		}
}

/* test_forest_accuracy checks forests fit clean data with valid outputs. */
static void
test_forest_accuracy(void)
{
	const aml_learner_ops *ops[2] = {&aml_forest_ops, &aml_extra_trees_ops};

	for (int oi = 0; oi < 2; oi++)
	{
		aml_env		env;
		aml_error	err;
		aml_params	p;
		tds			t;
		void	   *st = NULL;
		int			n = 600;
		double	   *out = malloc(n * 3 * sizeof(double));
		int			correct = 0;
		double		imp[3] = {0, 0, 0};

		aml_env_init(&env);
		tds_init(&t, n, 3);
		blobs(&t, 13);
		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "n_estimators", 30);
		CHECK(fit_ops(ops[oi], &env, &t, AML_TASK_MULTICLASS, 3, &p, &st, &err) == AML_OK);
		CHECK(aml_tree_learner_pack(ops[oi]->algo, st)->n_trees == 30);
		ops[oi]->predict(st, &t.ds, NULL, n, out);
		for (int i = 0; i < n; i++)
		{
			double		s = 0;
			int			arg = 0;

			for (int k = 0; k < 3; k++)
			{
				CHECK(out[i * 3 + k] >= 0 && out[i * 3 + k] <= 1);
				s += out[i * 3 + k];
				if (out[i * 3 + k] > out[i * 3 + arg])
					arg = k;
			}
			CHECK_NEAR(s, 1.0, 1e-12);
			correct += arg == (int) t.y[i];
		}
		CHECK(correct > n * 0.9);
		ops[oi]->importance(st, 3, imp);
		CHECK(imp[0] > imp[2]);
		ops[oi]->free_state(&env, st);

		/* regression: the forest mean tracks y */
		for (int i = 0; i < n; i++)
			t.y[i] = 2.0 * t.cols[0][i];
		CHECK(fit_ops(ops[oi], &env, &t, AML_TASK_REGRESSION, 0, &p, &st, &err) == AML_OK);
		ops[oi]->predict(st, &t.ds, NULL, n, out);
		{
			double		se = 0;

			for (int i = 0; i < n; i++)
				se += (out[i] - t.y[i]) * (out[i] - t.y[i]);
			CHECK_NEAR(se / n, 0, 0.15);
		}
		ops[oi]->free_state(&env, st);
		CHECK(env.mem_used == 0);
		free(out);
		tds_free(&t);
	}
}

/*
 * noisy_problem fills t (4 features) with a nonlinear signal and label
 * noise for a task: rows 0..n/2-1 train, the rest are the holdout.
 */
static void
noisy_problem(tds *t, aml_task task, uint64_t seed)
{
	aml_rng		rng;

	aml_rng_seed(&rng, seed);
	for (int64_t i = 0; i < t->ds.n_rows; i++)
	{
		double		x[4],
					z;

		for (int j = 0; j < 4; j++)
		{
			x[j] = aml_rng_uniform(&rng) * 2 - 1;
			t->cols[j][i] = (float) x[j];
		}
		if (aml_rng_uniform(&rng) < 0.05)
			t->cols[3][i] = NAN;
		z = 1.5 * x[0] + (x[1] * x[1] - 0.33) * 2 + (x[2] > 0.3 ? 0.8 : 0);
		if (task == AML_TASK_REGRESSION)
			t->y[i] = z + (aml_rng_uniform(&rng) - 0.5) * 2.0;
		else
		{
			z += (aml_rng_uniform(&rng) - 0.5) * 3.0;
			t->y[i] = task == AML_TASK_BINARY ? (z > 0) : z < -0.5 ? 0 : z < 0.7 ? 1 : 2;
		}
	}
}

/*
 * test_forest_oob checks the out-of-bag estimate of a bootstrap forest is
 * close to the score on unseen rows of the same distribution (and well
 * below the in-sample score), covers the training rows, does not depend
 * on the thread count, and is absent without bootstrap or after a read.
 */
static void
test_forest_oob(void)
{
	aml_task	tasks[3] = {AML_TASK_BINARY, AML_TASK_MULTICLASS, AML_TASK_REGRESSION};
	const char *metric[3] = {"roc_auc", "accuracy", "r2"};
	double		tol[3] = {0.02, 0.03, 0.04};
	int			n = 6000,
				half = 3000;

	for (int ti = 0; ti < 3; ti++)
		for (int oi = 0; oi < 2; oi++)
		{
			const aml_learner_ops *ops = oi ? &aml_extra_trees_ops : &aml_forest_ops;
			aml_env		env;
			aml_error	err;
			aml_params	p;
			tds			t;
			void	   *st = NULL,
					   *st2 = NULL;
			int			nc = nclasses_of(tasks[ti]);
			int			K = aml_task_outputs(tasks[ti], nc);
			int64_t		tr[3000],
						te[3000],
						rows = 0,
						rows2 = 0;
			double	   *out = malloc((size_t) half * K * sizeof(double));
			double	   *yt = malloc((size_t) half * sizeof(double));
			double		oob,
						oob2,
						hold,
						insample;
			aml_fit_input in;

			aml_env_init(&env);
			tds_init(&t, n, 4);
			noisy_problem(&t, tasks[ti], 300 + ti);
			for (int i = 0; i < half; i++)
			{
				tr[i] = i;
				te[i] = half + i;
			}
			memset(&p, 0, sizeof(p));
			aml_params_set(&p, "n_estimators", 60);
			aml_params_set(&p, "min_samples_leaf", 3);
			aml_params_set(&p, "bootstrap", 1);
			in = fit_in(&t, tasks[ti], nc, 0);
			in.rows = tr;
			in.n_rows = half;
			env.n_threads = 2;
			CHECK(ops->fit(&env, &in, &p, &st, &err) == AML_OK);
			oob = aml_tree_learner_oob(ops->algo, st, metric[ti], &rows);
			/* 60 trees leave nearly every row out at least once */
			CHECK(rows >= half - 5 && rows <= half);

			ops->predict(st, &t.ds, te, half, out);
			for (int i = 0; i < half; i++)
				yt[i] = t.y[te[i]];
			hold = aml_metric_compute(metric[ti], tasks[ti], nc, half, yt, out);
			ops->predict(st, &t.ds, tr, half, out);
			for (int i = 0; i < half; i++)
				yt[i] = t.y[tr[i]];
			insample = aml_metric_compute(metric[ti], tasks[ti], nc, half, yt, out);
			CHECK(isfinite(oob) && isfinite(hold));
			CHECK_NEAR(oob, hold, tol[ti]);
			/* the estimate is not the (optimistic) in-sample score */
			CHECK(insample > oob + 0.05);
			/* other metrics of the task exist; those of other tasks do not */
			CHECK(isfinite(aml_tree_learner_oob(ops->algo, st, tasks[ti] == AML_TASK_REGRESSION ?
												"rmse" : "log_loss", NULL)));
			CHECK(isnan(aml_tree_learner_oob(ops->algo, st, tasks[ti] == AML_TASK_REGRESSION ?
											 "roc_auc" : "rmse", NULL)));
			CHECK(isnan(aml_tree_learner_oob(ops->algo, st, "no_such_metric", NULL)));
			CHECK(isnan(aml_tree_learner_oob(AML_ALGO_GBDT, st, metric[ti], NULL)));

			/* one thread: the same estimate, bit for bit */
			env.n_threads = 1;
			CHECK(ops->fit(&env, &in, &p, &st2, &err) == AML_OK);
			oob2 = aml_tree_learner_oob(ops->algo, st2, metric[ti], &rows2);
			CHECK(memcmp(&oob, &oob2, sizeof(double)) == 0 && rows == rows2);
			ops->free_state(&env, st2);

			/* a forest read back has no estimate */
			{
				size_t		len;
				uint8_t    *buf = serialize(ops, st, &len);
				aml_rbuf	rb = {buf, len, 0, 0};

				CHECK(ops->read(&env, &rb, &t.ds, tasks[ti], nc, &st2, &err) == AML_OK);
				CHECK(isnan(aml_tree_learner_oob(ops->algo, st2, metric[ti], &rows2)) && rows2 == 0);
				ops->free_state(&env, st2);
				free(buf);
			}
			ops->free_state(&env, st);

			/* validation rows given (the search's fits): no estimate */
			in.valid_rows = te;
			in.n_valid = 100;
			CHECK(ops->fit(&env, &in, &p, &st, &err) == AML_OK);
			CHECK(isnan(aml_tree_learner_oob(ops->algo, st, metric[ti], &rows)) && rows == 0);
			ops->free_state(&env, st);
			in.valid_rows = NULL;
			in.n_valid = 0;

			/* no bootstrap: no estimate */
			aml_params_set(&p, "bootstrap", 0);
			CHECK(ops->fit(&env, &in, &p, &st, &err) == AML_OK);
			CHECK(isnan(aml_tree_learner_oob(ops->algo, st, metric[ti], &rows)) && rows == 0);
			ops->free_state(&env, st);
			CHECK(env.mem_used == 0);
			free(out);
			free(yt);
			tds_free(&t);
		}
}

/* test_ensemble_params checks gbdt and forest parameter messages. */
static void
test_ensemble_params(void)
{
	aml_params	p;
	char		buf[256];
	const char *m;

	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "learning_rate", 0);
	m = aml_gbdt_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"learning_rate\" must be greater than 0 and at most 1") == 0);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "n_estimators", 100);
	aml_params_set(&p, "learning_rate", 0.05);
	aml_params_set(&p, "max_leaves", 63);
	aml_params_set(&p, "subsample", 0.8);
	aml_params_set(&p, "early_stopping_rounds", 10);
	CHECK(aml_gbdt_ops.check_params(&p, buf, sizeof(buf)) == NULL);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_features", 1.5);
	m = aml_forest_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"max_features\" must be between 0 and 1") == 0);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "learning_rate", 0.1);
	m = aml_extra_trees_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strncmp(m, "unknown parameter \"learning_rate\" for algorithm \"extra_trees\"", 61) == 0);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "max_features", 0.5);
	/* the glue's buffer, 512 bytes, holds the whole list */
	m = aml_gbdt_ops.check_params(&p, (char[512]) {0}, 512);
	CHECK(m && strcmp(m, "unknown parameter \"max_features\" for algorithm \"gbdt\" (valid parameters: "
					  "n_estimators, learning_rate, max_leaves, max_depth, max_bins, min_child_samples, "
					  "min_child_weight, reg_lambda, min_split_gain, subsample, colsample, "
					  "early_stopping_rounds, huber_delta, cat_smooth, cat_l2, "
					  "max_cat_threshold, min_data_per_group, max_cat_set_levels, cat_set_min_rows)") == 0);
	CHECK(strcmp(aml_gbdt_ops.name, "gbdt") == 0 && aml_gbdt_ops.algo == AML_ALGO_GBDT);
	CHECK(strcmp(aml_forest_ops.name, "random_forest") == 0);
	CHECK(strcmp(aml_extra_trees_ops.name, "extra_trees") == 0);
}

/* test_ensemble_cancel checks cancellation with worker threads. */
static void
test_ensemble_cancel(void)
{
	const aml_learner_ops *ops[3] = {&aml_gbdt_ops, &aml_forest_ops, &aml_extra_trees_ops};

	for (int oi = 0; oi < 3; oi++)
		for (int after = 0; after < 40; after += 7)
		{
			aml_env		env;
			aml_error	err;
			tds			t;
			void	   *st = NULL;
			int			left = after;

			aml_env_init(&env);
			env.n_threads = 2;
			env.should_cancel = cancel_after;
			env.ctx = &left;
			tds_init(&t, 400, 3);
			mixed(&t, 8);
			CHECK(fit_ops(ops[oi], &env, &t, AML_TASK_MULTICLASS, 3, NULL, &st, &err) == AML_ECANCELED);
			CHECK(st == NULL);
			CHECK(env.mem_used == 0);
			tds_free(&t);
		}
}

/*
 * test_oob_cancel checks a cancel during the out-of-bag pass (the last
 * cancel checks of a bootstrap forest's fit) stops it without leaks.
 */
static void
test_oob_cancel(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	p;
	tds			t;
	void	   *st = NULL;
	int			left = 1 << 30;
	int			total;

	tds_init(&t, 20000, 3);
	mixed(&t, 21);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "n_estimators", 3);
	aml_params_set(&p, "max_depth", 3);
	/* count the checks of a whole fit (one thread: the count is fixed) */
	aml_env_init(&env);
	env.n_threads = 1;
	env.should_cancel = cancel_after;
	env.ctx = &left;
	CHECK(fit_ops(&aml_forest_ops, &env, &t, AML_TASK_MULTICLASS, 3, &p, &st, &err) == AML_OK);
	CHECK(isfinite(aml_tree_learner_oob(AML_ALGO_RANDOM_FOREST, st, "accuracy", NULL)));
	aml_forest_ops.free_state(&env, st);
	total = (1 << 30) - left;
	/* the pass polls once per block of rows (and once per chunk of trees) */
	CHECK(total > 5);
	for (int k = total - 5; k < total; k++)
	{
		aml_env_init(&env);
		env.n_threads = 1;
		env.should_cancel = cancel_after;
		left = k;
		env.ctx = &left;
		st = NULL;
		CHECK(fit_ops(&aml_forest_ops, &env, &t, AML_TASK_MULTICLASS, 3, &p, &st, &err) == AML_ECANCELED);
		if (st)
			aml_forest_ops.free_state(&env, st);
		CHECK(st == NULL && env.mem_used == 0);
	}
	tds_free(&t);
}

/* test_ensemble_budget checks small budgets fail cleanly with threads. */
static void
test_ensemble_budget(void)
{
	const aml_learner_ops *ops[2] = {&aml_gbdt_ops, &aml_forest_ops};

	for (int oi = 0; oi < 2; oi++)
	{
		aml_env		env;
		aml_error	err;
		aml_params	p;
		tds			t;
		void	   *st = NULL;
		int			ok = 0;

		tds_init(&t, 200, 3);
		mixed(&t, 10);
		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "n_estimators", 5);
		for (size_t b = 256; b < 4000000; b += 1 + b / 8)
		{
			aml_status	rc;

			aml_env_init(&env);
			env.n_threads = 2;
			env.mem_budget = b;
			st = NULL;
			rc = fit_ops(ops[oi], &env, &t, AML_TASK_MULTICLASS, 3, &p, &st, &err);
			CHECK(rc == AML_OK || rc == AML_ENOMEM);
			if (rc == AML_OK)
			{
				ok++;
				ops[oi]->free_state(&env, st);
				CHECK(env.mem_used == 0);
				break;
			}
			CHECK(st == NULL && env.mem_used == 0);
		}
		CHECK(ok == 1);
		tds_free(&t);
	}
}

int
main(void)
{
	RUN(test_threshold);
	RUN(test_missing);
	RUN(test_categorical);
	RUN(test_wide_categorical);
	RUN(test_ordered_categorical);
	RUN(test_regression_means);
	RUN(test_multiclass);
	RUN(test_limits);
	RUN(test_many_values);
	RUN(test_roundtrip);
	RUN(test_hostile);
	RUN(test_params);
	RUN(test_determinism);
	RUN(test_cancel);
	RUN(test_budget);
	RUN(test_small_pool);
	RUN(test_bad_input);
	RUN(test_gbdt_loss);
	RUN(test_gbdt_accuracy);
	RUN(test_gbdt_early_stopping);
	RUN(test_gbdt_cat_set_rows);
	RUN(test_gbdt_huber);
	RUN(test_gbdt_splits);
	RUN(test_threads_identical);
	RUN(test_ensembles_roundtrip);
	RUN(test_forest_accuracy);
	RUN(test_forest_oob);
	RUN(test_ensemble_params);
	RUN(test_ensemble_cancel);
	RUN(test_oob_cancel);
	RUN(test_ensemble_budget);
	DONE();
}
