/*-------------------------------------------------------------------------
 *
 * test_treeqs.c
 *	  Unit tests of tree pack scoring: the bitvector traversal (treeqs.c)
 *	  and the lockstep walks must reach exactly the leaves of the reference
 *	  node-by-node walk (aml_tree_pack_add_tree), so every learner's
 *	  scores are bit-identical, for one row and for blocks, with missing
 *	  and infinite values, values equal to thresholds, unseen and
 *	  malformed category codes, and packs that do not qualify.
 *
 *-------------------------------------------------------------------------
 */
#include "aml_int.h"
#include "tree.h"
#include "harness.h"

#define F 6
#define NTRAIN 3000
#define NSCORE 700

/* A dataset owning its columns: features 0-3 numeric, 4 and 5 categorical. */
typedef struct qds
{
	aml_dataset ds;
	float	   *cols[F];
	const float *ccols[F];
	aml_feat_kind kind[F];
	int			nl[F];
	float	   *y;
} qds;

static int cat_levels[2] = {7, 40};

static void
qds_init(qds *t, int64_t n)
{
	memset(t, 0, sizeof(*t));
	t->ds.n_rows = n;
	t->ds.n_feat = F;
	for (int j = 0; j < F; j++)
	{
		t->cols[j] = calloc(n, sizeof(float));
		t->ccols[j] = t->cols[j];
		t->kind[j] = j < 4 ? AML_FEAT_NUMERIC : AML_FEAT_CATEGORICAL;
		t->nl[j] = j < 4 ? 0 : cat_levels[j - 4];
	}
	t->ds.col = t->ccols;
	t->ds.kind = t->kind;
	t->ds.n_levels = t->nl;
	t->y = calloc(n, sizeof(float));
}

static void
qds_free(qds *t)
{
	for (int j = 0; j < F; j++)
		free(t->cols[j]);
	free(t->y);
}

/* uniform in [0, 1) from the test's own generator */
static double
unif(aml_rng *r)
{
	return aml_rng_uniform(r);
}

/*
 * make_train fills training rows: numeric features with 10% missing, two
 * categorical ones, and labels of the given task depending on all of them.
 */
static void
make_train(qds *t, aml_task task, int n_classes, uint64_t seed)
{
	aml_rng		r;

	aml_rng_seed(&r, seed);
	for (int64_t i = 0; i < t->ds.n_rows; i++)
	{
		double		s = 0;

		for (int j = 0; j < F; j++)
		{
			float		v;

			if (j < 4)
				v = unif(&r) < 0.1 ? NAN : (float) ((unif(&r) - 0.5) * 10.0 * (j + 1));
			else
				v = unif(&r) < 0.05 ? NAN : (float) (int) (unif(&r) * t->nl[j]);
			t->cols[j][i] = v;
			if (!isnan(v))
				s += j < 4 ? sin(v * (j + 1)) : ((int) v % 3) - 1.0;
			else
				s += j % 2 ? 0.7 : -0.7;
		}
		s += (unif(&r) - 0.5) * 0.5;
		if (task == AML_TASK_REGRESSION)
			t->y[i] = s;
		else if (task == AML_TASK_BINARY)
			t->y[i] = s > 0;
		else
		{
			int			c = (int) floor(s + n_classes / 2.0);

			t->y[i] = c < 0 ? 0 : c >= n_classes ? n_classes - 1 : c;
		}
	}
}

/*
 * make_score fills rows to score: ordinary values, NaN, +-Inf, values equal
 * to (and next to) thresholds of the pack, and category codes that are
 * unseen (n_levels), negative, fractional, huge or missing.
 */
static void
make_score(qds *t, const aml_tree_pack *p, uint64_t seed)
{
	aml_rng		r;

	aml_rng_seed(&r, seed);
	for (int64_t i = 0; i < t->ds.n_rows; i++)
		for (int j = 0; j < F; j++)
		{
			double		u = unif(&r);
			float		v;

			if (j < 4)
			{
				if (u < 0.08)
					v = NAN;
				else if (u < 0.11)
					v = INFINITY;
				else if (u < 0.14)
					v = -INFINITY;
				else if (u < 0.55)
				{
					/* a threshold of this feature, or a neighbour of it */
					int32_t		node = (int32_t) (unif(&r) * p->n_nodes);
					int			tries = 0;

					while ((p->feat[node] != j || (p->flags[node] & AML_TREE_CATEGORICAL)) &&
						   tries++ < p->n_nodes)
						node = (node + 1) % p->n_nodes;
					v = p->feat[node] == j ? p->thr[node] : 0.0f;
					u = unif(&r);
					if (u < 0.3)
						v = nextafterf(v, INFINITY);
					else if (u < 0.6)
						v = nextafterf(v, -INFINITY);
				}
				else
					v = (float) ((unif(&r) - 0.5) * 12.0 * (j + 1));
			}
			else
			{
				if (u < 0.05)
					v = NAN;
				else if (u < 0.08)
					v = (float) t->nl[j];	/* unseen */
				else if (u < 0.10)
					v = -1.0f;
				else if (u < 0.12)
					v = 2.5f;
				else if (u < 0.13)
					v = 1e9f;
				else if (u < 0.14)
					v = INFINITY;
				else
					v = (float) (int) (unif(&r) * t->nl[j]);
			}
			t->cols[j][i] = v;
		}
}

/*
 * same_as_reference scores every row of s with aml_tree_pack_add (a
 * block, one row at a time, and a block of scattered rows) and checks the
 * results equal the reference walk's bit for bit.
 */
static int
same_as_reference(const aml_tree_pack *p, qds *s, int no)
{
	int64_t		n = s->ds.n_rows;
	double	   *ref = calloc(n * no, sizeof(double));
	double	   *blk = calloc(n * no, sizeof(double));
	double	   *one = calloc(n * no, sizeof(double));
	double	   *sc = calloc(n * no, sizeof(double));
	int64_t    *idx = malloc(n * sizeof(int64_t));
	int			ok = 1;

	for (int64_t i = 0; i < n; i++)
	{
		idx[i] = (i * 7919) % n;
		for (int t = 0; t < p->n_trees; t++)
			aml_tree_pack_add_tree(p, t, &s->ds, &i, 1, ref + i * no, no);
	}
	aml_tree_pack_add(p, &s->ds, NULL, n, blk, no);
	for (int64_t i = 0; i < n; i++)
		aml_tree_pack_add(p, &s->ds, &i, 1, one + i * no, no);
	aml_tree_pack_add(p, &s->ds, idx, n, sc, no);
	for (int64_t i = 0; i < n; i++)
		for (int k = 0; k < no; k++)
		{
			double		want = ref[i * no + k];

			if (memcmp(&blk[i * no + k], &want, sizeof(double)) != 0 ||
				memcmp(&one[i * no + k], &want, sizeof(double)) != 0 ||
				memcmp(&sc[i * no + k], &ref[idx[i] * no + k], sizeof(double)) != 0)
			{
				if (ok)
					fprintf(stderr, "  row %lld output %d: reference %.17g, block %.17g, one %.17g\n",
							(long long) i, k, want, blk[i * no + k], one[i * no + k]);
				ok = 0;
			}
		}
	free(ref);
	free(blk);
	free(one);
	free(sc);
	free(idx);
	return ok;
}

/* one learner configuration */
typedef struct qcase
{
	const char *what;
	aml_algo	algo;
	const aml_learner_ops *ops;
	aml_task	task;
	int			n_classes;
	int			n_trees;
	int			max_leaves;		/* 0: unlimited */
	int			want_qs;		/* the pack must get the bitvector layout */
} qcase;

/*
 * run_case fits one learner on fresh data, checks whether the pack got the
 * bitvector layout, and compares its scores with the reference walk.
 */
/* train_input is the fit input of every training row of tr. */
static aml_fit_input
train_input(const qds *tr, aml_task task, int n_classes, uint64_t seed)
{
	aml_fit_input in;

	memset(&in, 0, sizeof(in));
	in.ds = &tr->ds;
	in.y = tr->y;
	in.n_rows = NTRAIN;
	in.task = task;
	in.n_classes = n_classes;
	in.seed = seed;
	return in;
}

/* copy_pack rebuilds src's trees into p (not finished). */
static void
copy_pack(aml_env *env, aml_tree_pack *p, const aml_tree_pack *src,
		  const aml_dataset *ds)
{
	CHECK(aml_tree_pack_init(env, p, ds, 1) == 0);
	for (int t = 0; t < src->n_trees; t++)
		CHECK(aml_tree_pack_append(env, p, src, t, 0) == 0);
}

/* gbdt without its category-set regularization (test_many_levels) */
static int	cat_plain = 0;

static void
run_case(const qcase *c, uint64_t seed)
{
	aml_env		env;
	aml_error	err;
	aml_params	prm;
	aml_fit_input in;
	qds			tr,
				sc;
	void	   *st = NULL;
	const aml_tree_pack *p;
	int			no = aml_task_outputs(c->task, c->n_classes);

	aml_env_init(&env);
	memset(&prm, 0, sizeof(prm));
	if (c->algo != AML_ALGO_DECISION_TREE)
		aml_params_set(&prm, "n_estimators", c->n_trees);
	if (c->max_leaves > 0)
		aml_params_set(&prm, "max_leaves", c->max_leaves);
	if (c->algo == AML_ALGO_GBDT)
	{
		aml_params_set(&prm, "min_child_samples", 5);
		aml_params_set(&prm, "subsample", 0.7);
	}
	if (c->algo == AML_ALGO_GBDT && cat_plain)
	{
		/* unregularized category sets: as large as the data allows */
		aml_params_set(&prm, "cat_smooth", 0);
		aml_params_set(&prm, "cat_l2", 0);
		aml_params_set(&prm, "max_cat_threshold", 0);
		aml_params_set(&prm, "min_data_per_group", 0);
		aml_params_set(&prm, "max_cat_set_levels", 0);
	}
	qds_init(&tr, NTRAIN);
	make_train(&tr, c->task, c->n_classes, seed);
	in = train_input(&tr, c->task, c->n_classes, seed);
	if (c->ops->fit(&env, &in, &prm, &st, &err) != AML_OK)
	{
		fprintf(stderr, "  %s: fit failed: %s\n", c->what, err.msg);
		CHECK(0);
		qds_free(&tr);
		return;
	}
	p = aml_tree_learner_pack(c->algo, st);
	CHECK(p != NULL);
	if (p != NULL)
	{
		if ((p->qs != NULL) != c->want_qs)
			fprintf(stderr, "  %s: bitvector layout %s\n", c->what, p->qs ? "built" : "missing");
		CHECK((p->qs != NULL) == c->want_qs);
		qds_init(&sc, NSCORE);
		make_score(&sc, p, seed + 1);
		/* the vector block kernel (where the CPU has it) and the scalar one */
		for (aml_tree_qs_simd = 1; aml_tree_qs_simd >= 0; aml_tree_qs_simd--)
		{
			int			same = same_as_reference(p, &sc, no);

			if (!same)
				fprintf(stderr, "  %s: kernel %d: scores differ from the reference walk\n",
						c->what, aml_tree_qs_simd);
			CHECK(same);
		}
		aml_tree_qs_simd = 1;

		/*
		 * categorical features with per-(code, tree) masks, and with lists
		 * only: a layout built each way scores as the walk does
		 */
		for (aml_tree_qs_dense = 0; p->qs != NULL && aml_tree_qs_dense <= 2; aml_tree_qs_dense += 2)
		{
			aml_tree_pack *pm = (aml_tree_pack *) p;
			aml_tree_qs *keep = pm->qs,
					   *other = NULL;

			CHECK(aml_tree_qs_build(&env, pm, &other) == 0 && other != NULL);
			if (other == NULL)
				break;
			pm->qs = other;
			for (aml_tree_qs_simd = 1; aml_tree_qs_simd >= 0; aml_tree_qs_simd--)
			{
				int			same = same_as_reference(p, &sc, no);

				if (!same)
					fprintf(stderr, "  %s: dense %d, kernel %d: scores differ from the reference walk\n",
							c->what, aml_tree_qs_dense, aml_tree_qs_simd);
				CHECK(same);
			}
			aml_tree_qs_simd = 1;
			pm->qs = keep;
			aml_tree_qs_free(&env, other);
		}
		aml_tree_qs_dense = 1;
		qds_free(&sc);
	}
	c->ops->free_state(&env, st);
	CHECK(env.mem_used == 0);
	qds_free(&tr);
}

/* test_learners compares every tree learner with the reference walk. */
static void
test_learners(void)
{
	const qcase cases[] = {
		{"decision tree, binary, 31 leaves", AML_ALGO_DECISION_TREE, &aml_tree_ops, AML_TASK_BINARY, 2, 1, 31, 1},
		{"decision tree, multiclass, unlimited", AML_ALGO_DECISION_TREE, &aml_tree_ops, AML_TASK_MULTICLASS, 4, 1, 0, 0},
		{"gbdt, binary, 31 leaves", AML_ALGO_GBDT, &aml_gbdt_ops, AML_TASK_BINARY, 2, 60, 31, 1},
		{"gbdt, regression, 64 leaves", AML_ALGO_GBDT, &aml_gbdt_ops, AML_TASK_REGRESSION, 0, 30, 64, 1},
		{"gbdt, multiclass, 8 leaves", AML_ALGO_GBDT, &aml_gbdt_ops, AML_TASK_MULTICLASS, 3, 40, 8, 1},
		{"gbdt, binary, 2 leaves, 600 trees", AML_ALGO_GBDT, &aml_gbdt_ops, AML_TASK_BINARY, 2, 600, 2, 1},
		{"gbdt, regression, 65 leaves", AML_ALGO_GBDT, &aml_gbdt_ops, AML_TASK_REGRESSION, 0, 5, 65, 0},
		{"random forest, binary, 40 leaves", AML_ALGO_RANDOM_FOREST, &aml_forest_ops, AML_TASK_BINARY, 2, 20, 40, 1},
		{"random forest, multiclass, 30 leaves", AML_ALGO_RANDOM_FOREST, &aml_forest_ops, AML_TASK_MULTICLASS, 3, 10, 30, 1},
		{"random forest, multiclass, unlimited", AML_ALGO_RANDOM_FOREST, &aml_forest_ops, AML_TASK_MULTICLASS, 3, 10, 0, 0},
		{"extra trees, regression, 50 leaves", AML_ALGO_EXTRA_TREES, &aml_extra_trees_ops, AML_TASK_REGRESSION, 0, 20, 50, 1},
		{"extra trees, binary, unlimited", AML_ALGO_EXTRA_TREES, &aml_extra_trees_ops, AML_TASK_BINARY, 2, 10, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (uint64_t seed = 1; seed <= 2; seed++)
			run_case(&cases[i], seed * 101 + i);
}

/*
 * test_many_levels: a categorical feature with thousands of levels split
 * by many nodes would need long per-code lists; such a pack keeps the
 * walk, and scores the same.
 */
static void
test_many_levels(void)
{
	const qcase c = {"gbdt, 6000 levels", AML_ALGO_GBDT, &aml_gbdt_ops, AML_TASK_BINARY, 2, 40, 31, 0};

	cat_levels[1] = 6000;
	cat_plain = 1;
	run_case(&c, 77);
	cat_plain = 0;
	cat_levels[1] = 40;
}

/*
 * test_not_a_tree: a pack whose node has two parents (possible in a
 * hostile blob; pack_check only orders children after parents) gets no
 * bitvector layout and is still scored like the reference walk.
 */
static void
test_not_a_tree(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	prm;
	aml_fit_input in;
	qds			tr,
				sc;
	void	   *st = NULL;
	const aml_tree_pack *src;
	aml_tree_pack p;
	int			changed = 0;

	aml_env_init(&env);
	memset(&prm, 0, sizeof(prm));
	aml_params_set(&prm, "n_estimators", 5);
	aml_params_set(&prm, "max_leaves", 16);
	qds_init(&tr, NTRAIN);
	make_train(&tr, AML_TASK_REGRESSION, 0, 5);
	in = train_input(&tr, AML_TASK_REGRESSION, 0, 5);
	CHECK(aml_gbdt_ops.fit(&env, &in, &prm, &st, &err) == AML_OK);
	src = aml_tree_learner_pack(AML_ALGO_GBDT, st);
	CHECK(src != NULL && src->qs != NULL);
	copy_pack(&env, &p, src, &tr.ds);
	CHECK(aml_tree_pack_finish(&env, &p) == 0);
	CHECK(p.qs != NULL);
	/* in tree 2, point a node's right child at its sibling's subtree */
	for (int32_t i = p.root[2]; i < p.root[3] && !changed; i++)
		if (p.feat[i] >= 0 && p.feat[p.left[i]] >= 0)
		{
			p.right[i] = p.left[p.left[i]];
			changed = 1;
		}
	CHECK(changed);
	CHECK(aml_tree_pack_finish(&env, &p) == 0);
	CHECK(p.qs == NULL);
	qds_init(&sc, NSCORE);
	make_score(&sc, &p, 9);
	CHECK(same_as_reference(&p, &sc, 1));
	qds_free(&sc);
	aml_tree_pack_free(&env, &p);
	aml_gbdt_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	qds_free(&tr);
}

/*
 * test_budget: without memory for the bitvector layout a pack keeps the
 * lockstep walk and scores the same.
 */
static void
test_budget(void)
{
	aml_env		env;
	aml_error	err;
	aml_params	prm;
	aml_fit_input in;
	qds			tr,
				sc;
	void	   *st = NULL;
	const aml_tree_pack *src;
	aml_tree_pack p;

	aml_env_init(&env);
	memset(&prm, 0, sizeof(prm));
	aml_params_set(&prm, "n_estimators", 20);
	qds_init(&tr, NTRAIN);
	make_train(&tr, AML_TASK_BINARY, 2, 11);
	in = train_input(&tr, AML_TASK_BINARY, 2, 11);
	CHECK(aml_gbdt_ops.fit(&env, &in, &prm, &st, &err) == AML_OK);
	src = aml_tree_learner_pack(AML_ALGO_GBDT, st);
	copy_pack(&env, &p, src, &tr.ds);
	/* room for the node layout but not for the bitvector one */
	env.mem_budget = env.mem_used + (size_t) p.n_nodes * sizeof(aml_pnode) + 64;
	CHECK(aml_tree_pack_finish(&env, &p) == 0);
	CHECK(p.qs == NULL && p.n_pn == p.n_nodes);
	env.mem_budget = 0;
	qds_init(&sc, NSCORE);
	make_score(&sc, &p, 12);
	CHECK(same_as_reference(&p, &sc, 1));
	qds_free(&sc);
	aml_tree_pack_free(&env, &p);
	aml_gbdt_ops.free_state(&env, st);
	CHECK(env.mem_used == 0);
	qds_free(&tr);
}

int
main(void)
{
	RUN(test_learners);
	RUN(test_many_levels);
	RUN(test_not_a_tree);
	RUN(test_budget);
	DONE();
}
