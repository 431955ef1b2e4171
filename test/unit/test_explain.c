/*-------------------------------------------------------------------------
 *
 * test_explain.c
 *	  Unit tests of the explanations: TreeSHAP against brute-force Shapley
 *	  values over every feature subset, additivity for every learner and
 *	  an ensemble, linear contributions against their closed form, missing
 *	  values and unseen categories, the negative binary class.
 *
 *-------------------------------------------------------------------------
 */
#include "aml_int.h"
#include "explain.h"
#include "model.h"
#include "harness.h"

#define NF 6

/* A random dataset of n rows: NF features, feature 2 categorical (5 levels). */
typedef struct edata
{
	aml_dataset ds;
	float	   *cols[NF];
	const float *ccols[NF];
	aml_feat_kind kind[NF];
	int			nl[NF];
	float	   *y;
} edata;

static uint64_t
lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 11;
}

static double
unif(uint64_t *s)
{
	return (double) lcg(s) / 9007199254740992.0;
}

static void
edata_init(edata *d, int64_t n, uint64_t seed, aml_task task)
{
	uint64_t	s = seed;

	memset(d, 0, sizeof(*d));
	d->ds.n_rows = n;
	d->ds.n_feat = NF;
	for (int j = 0; j < NF; j++)
	{
		d->cols[j] = calloc(n, sizeof(float));
		d->ccols[j] = d->cols[j];
		d->kind[j] = j == 2 ? AML_FEAT_CATEGORICAL : AML_FEAT_NUMERIC;
		d->nl[j] = j == 2 ? 5 : 0;
	}
	d->ds.col = d->ccols;
	d->ds.kind = d->kind;
	d->ds.n_levels = d->nl;
	d->y = calloc(n, sizeof(float));
	for (int64_t i = 0; i < n; i++)
	{
		double		f = 0;

		for (int j = 0; j < NF; j++)
		{
			double		v = j == 2 ? (double) (lcg(&s) % 5) : unif(&s) * 4 - 2;

			/* some missing values in features 0 and 3 */
			if ((j == 0 || j == 3) && lcg(&s) % 9 == 0)
				d->cols[j][i] = NAN;
			else
				d->cols[j][i] = (float) v;
		}
		f = (isnan(d->cols[0][i]) ? 0.5 : d->cols[0][i]) * 1.5 +
			(d->cols[2][i] == 1 || d->cols[2][i] == 3 ? 1.0 : -0.5) +
			d->cols[1][i] * d->cols[4][i] + 0.3 * unif(&s);
		if (task == AML_TASK_REGRESSION)
			d->y[i] = f;
		else if (task == AML_TASK_BINARY)
			d->y[i] = f > 0.3 ? 1 : 0;
		else
			d->y[i] = f < -0.5 ? 0 : f < 1.0 ? 1 : 2;
	}
}

static void
edata_free(edata *d)
{
	for (int j = 0; j < NF; j++)
		free(d->cols[j]);
	free(d->y);
}

static void *
fit(aml_env *env, const aml_learner_ops *ops, edata *d, aml_task task,
	int n_classes, const aml_params *p)
{
	aml_fit_input in;
	aml_error	err;
	void	   *st = NULL;

	memset(&in, 0, sizeof(in));
	in.ds = &d->ds;
	in.y = d->y;
	in.n_rows = d->ds.n_rows;
	in.task = task;
	in.n_classes = n_classes;
	in.seed = 11;
	CHECK(ops->fit(env, &in, p, &st, &err) == AML_OK);
	return st;
}

/*
 * cond_expect is the tree's expected value given the features in mask
 * fixed to row i's values, the others integrated with the covers: the
 * value function path-dependent TreeSHAP computes Shapley values of.
 */
static double
cond_expect(const aml_tree_pack *p, int32_t node, const aml_dataset *ds,
			int64_t i, unsigned mask, int v)
{
	int			f = p->feat[node];
	double		cl,
				cr,
				fl;

	if (f < 0)
		return p->value[(size_t) node * p->n_out + v];
	if (mask & (1u << f))
	{
		/* route the row exactly as prediction does: a one-row walk */
		float		x = ds->col[f][i];
		int			left;

		if (p->flags[node] & AML_TREE_CATEGORICAL)
		{
			if (x >= 0 && x < p->n_levels[f])
				left = (p->cat_bits[p->cat_off[node] + ((int) x >> 5)] >> ((int) x & 31)) & 1;
			else
				left = (p->flags[node] & AML_TREE_DEFAULT_LEFT) != 0;
		}
		else if (isfinite(x))
			left = x <= p->thr[node];
		else
			left = (p->flags[node] & AML_TREE_DEFAULT_LEFT) != 0;
		return cond_expect(p, left ? p->left[node] : p->right[node], ds, i, mask, v);
	}
	cl = p->cover[p->left[node]];
	cr = p->cover[p->right[node]];
	fl = cl + cr > 0 ? cl / (cl + cr) : 0.5;
	return fl * cond_expect(p, p->left[node], ds, i, mask, v) +
		(1 - fl) * cond_expect(p, p->right[node], ds, i, mask, v);
}

/* brute_shap computes Shapley values of every feature by enumeration. */
static void
brute_shap(const aml_tree_pack *p, const aml_dataset *ds, int64_t i, int k,
		   double *phi)
{
	int			M = ds->n_feat;
	double		fact[NF + 1];

	fact[0] = 1;
	for (int q = 1; q <= M; q++)
		fact[q] = fact[q - 1] * q;
	memset(phi, 0, M * sizeof(double));
	for (int t = 0; t < p->n_trees; t++)
	{
		int			v = k - p->out_off[t];

		if (v < 0 || v >= p->n_out)
			continue;
		for (int f = 0; f < M; f++)
			for (unsigned S = 0; S < (1u << M); S++)
			{
				int			sz = __builtin_popcount(S);

				if (S & (1u << f))
					continue;
				phi[f] += fact[sz] * fact[M - sz - 1] / fact[M] *
					(cond_expect(p, p->root[t], ds, i, S | (1u << f), v) -
					 cond_expect(p, p->root[t], ds, i, S, v));
			}
	}
}

/* check_tree_shap compares TreeSHAP with enumeration on rows of d. */
static void
check_tree_shap(const aml_tree_pack *p, edata *d, int k, int rows)
{
	size_t		ns = aml_tree_shap_scratch(p);
	aml_shap_elem *scr = malloc(ns * sizeof(aml_shap_elem));
	double		phi[NF],
				ref[NF];

	for (int64_t i = 0; i < rows; i++)
	{
		double		leaf_sum = 0,
					s = aml_tree_shap_expect(p, k);

		memset(phi, 0, sizeof(phi));
		aml_tree_shap(p, &d->ds, i, k, scr, phi);
		brute_shap(p, &d->ds, i, k, ref);
		for (int f = 0; f < NF; f++)
		{
			CHECK_NEAR(phi[f], ref[f], 1e-9);
			s += phi[f];
		}
		/* additivity: the expectation plus phi is the sum of the leaves */
		for (int t = 0; t < p->n_trees; t++)
		{
			int			v = k - p->out_off[t];

			if (v >= 0 && v < p->n_out)
				leaf_sum += cond_expect(p, p->root[t], &d->ds, i, (1u << NF) - 1, v);
		}
		CHECK_NEAR(s, leaf_sum, 1e-9);
	}
	free(scr);
}

static void
test_treeshap_decision_tree_brute_force(void)
{
	aml_env		env;
	aml_params	p;

	aml_env_init(&env);
	for (uint64_t seed = 1; seed <= 4; seed++)
	{
		edata		d;
		void	   *st;

		edata_init(&d, 300, seed, AML_TASK_REGRESSION);
		memset(&p, 0, sizeof(p));
		aml_params_set(&p, "max_depth", 3 + (int) seed);
		aml_params_set(&p, "min_samples_leaf", 5);
		st = fit(&env, &aml_tree_ops, &d, AML_TASK_REGRESSION, 0, &p);
		if (st)
		{
			check_tree_shap(aml_tree_learner_pack(AML_ALGO_DECISION_TREE, st), &d, 0, 25);
			aml_tree_ops.free_state(&env, st);
		}
		edata_free(&d);
	}
}

static void
test_treeshap_gbdt_and_forest_brute_force(void)
{
	aml_env		env;
	aml_params	p;
	edata		d;
	void	   *st;

	aml_env_init(&env);
	/* multiclass boosting: one tree per class and round */
	edata_init(&d, 400, 21, AML_TASK_MULTICLASS);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "n_estimators", 4);
	aml_params_set(&p, "max_leaves", 8);
	aml_params_set(&p, "min_child_samples", 5);
	st = fit(&env, &aml_gbdt_ops, &d, AML_TASK_MULTICLASS, 3, &p);
	if (st)
	{
		for (int k = 0; k < 3; k++)
			check_tree_shap(aml_gbdt_pack(st), &d, k, 10);
		aml_gbdt_ops.free_state(&env, st);
	}
	edata_free(&d);

	/* a forest of multi-output (class frequency) trees */
	edata_init(&d, 300, 22, AML_TASK_MULTICLASS);
	memset(&p, 0, sizeof(p));
	aml_params_set(&p, "n_estimators", 3);
	aml_params_set(&p, "max_depth", 5);
	st = fit(&env, &aml_forest_ops, &d, AML_TASK_MULTICLASS, 3, &p);
	if (st)
	{
		for (int k = 0; k < 3; k++)
			check_tree_shap(aml_forest_pack(st), &d, k, 8);
		aml_forest_ops.free_state(&env, st);
	}
	edata_free(&d);
}

/* ---------------------------------------------------------------- models */

/* a frame: x1, x2 numeric (NULLs), c categorical, d date; y by task */
static aml_frame *
make_frame(aml_env *env, int n, aml_task task)
{
	aml_error	err;
	aml_frame  *f = aml_frame_create(env, &err);
	static const char *const lv[] = {"red", "green", "blue", "grey", "pink"};
	uint64_t	s = 777;

	aml_frame_add_column(f, "x1", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "x2", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "c", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_add_column(f, "d", AML_COL_DATETIME, "date", 0, 0, &err);
	aml_frame_add_column(f, "y", task == AML_TASK_REGRESSION ? AML_COL_NUMERIC : AML_COL_CATEGORICAL,
						 task == AML_TASK_REGRESSION ? "float8" : "text", 0, 0, &err);
	aml_frame_reserve(f, n, &err);
	for (int i = 0; i < n; i++)
	{
		double		x1 = unif(&s) * 10,
					x2 = unif(&s) * 4 - 2,
					day = (double) (lcg(&s) % 700);
		int			c = (int) (lcg(&s) % 5);
		double		g = x1 * 0.4 + (c == 1 ? 2.0 : 0.0) - x2 + (day > 350 ? 1.0 : 0.0) + unif(&s) * 1.5;

		aml_frame_set_numeric(f, 0, i, i % 13 == 0 ? NAN : x1);
		aml_frame_set_numeric(f, 1, i, i % 7 == 0 ? NAN : x2);
		aml_frame_set_code(f, 2, i, aml_frame_level_code(f, 2, lv[c], strlen(lv[c]), &err));
		aml_frame_set_datetime(f, 3, i, day * 86400.0);
		if (task == AML_TASK_REGRESSION)
			aml_frame_set_numeric(f, 4, i, g);
		else
		{
			const char *lab = task == AML_TASK_BINARY ? (g > 3.0 ? "yes" : "no") :
				(g < 2.0 ? "low" : g < 4.0 ? "mid" : "high");

			aml_frame_set_code(f, 4, i, aml_frame_level_code(f, 4, lab, strlen(lab), &err));
		}
	}
	aml_frame_set_rows(f, n);
	return f;
}

static aml_model *
train(aml_env *env, aml_frame *f, aml_algo algo, int ensemble)
{
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_error	err;

	aml_train_options_init(&o);
	o.target_col = 4;
	o.seed = 5;
	if (ensemble)
	{
		o.budget_seconds = 20;
		o.algorithms = (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_GBDT) |
			(1u << AML_ALGO_RANDOM_FOREST);
	}
	else
	{
		o.manual = 1;
		o.manual_algo = algo;
		memset(&o.manual_params, 0, sizeof(o.manual_params));
		if (algo == AML_ALGO_GBDT || algo == AML_ALGO_RANDOM_FOREST || algo == AML_ALGO_EXTRA_TREES)
			aml_params_set(&o.manual_params, "n_estimators", 20);
	}
	CHECK(aml_train(env, f, &o, &m, &r, &err) == AML_OK);
	aml_report_free(r);
	return m;
}

/* rows of raw inputs: the frame's first n rows, plus unseen and missing */
static double *
raw_rows(aml_model *m, int n)
{
	double	   *in = malloc(sizeof(double) * n * aml_model_n_inputs(m));
	uint64_t	s = 99;

	for (int r = 0; r < n; r++)
		for (int i = 0; i < aml_model_n_inputs(m); i++)
		{
			double	   *v = &in[r * aml_model_n_inputs(m) + i];

			switch (aml_model_input_kind(m, i))
			{
				case AML_COL_CATEGORICAL:
					/* -1 = unseen category; some missing */
					*v = r % 11 == 0 ? NAN : (double) ((int) (lcg(&s) % 6) - 1);
					break;
				case AML_COL_DATETIME:
					*v = r % 9 == 0 ? NAN : (double) (lcg(&s) % 800) * 86400.0;
					break;
				default:
					*v = r % 5 == 0 ? NAN : unif(&s) * 12 - 1;
			}
		}
	return in;
}

/* check_additive: base + sum(phi) = pred, and pred maps to the prediction */
static void
check_additive(aml_model *m, const char *what)
{
	int			n = 60;
	int			ni = aml_model_n_inputs(m);
	int			no = aml_model_n_outputs(m);
	int			nk = aml_model_task(m) == AML_TASK_MULTICLASS ? aml_model_n_classes(m) :
		aml_model_task(m) == AML_TASK_BINARY ? 2 : 1;
	double	   *in = raw_rows(m, n);
	double	   *phi = malloc(sizeof(double) * n * ni);
	double	   *pred = malloc(sizeof(double) * n);
	double	   *margin = calloc((size_t) n * nk, sizeof(double));
	double	   *out = malloc(sizeof(double) * n * no);
	void	   *scratch = malloc(aml_model_scratch_size(m));
	aml_explain_space sp = AML_EXPLAIN_VALUE;
	aml_error	err;
	int			bad = 0;

	aml_model_predict(m, n, in, out, scratch);
	for (int k = 0; k < nk; k++)
	{
		double		base = NAN;

		CHECK(aml_model_explain(m, n, in, k, phi, &base, pred, &sp, &err) == AML_OK);
		for (int r = 0; r < n; r++)
		{
			double		s = base,
						want;

			for (int i = 0; i < ni; i++)
				s += phi[r * ni + i];
			if (fabs(s - pred[r]) > 1e-6 * fmax(1.0, fabs(pred[r])))
				bad++;
			margin[r * nk + k] = pred[r];
			if (aml_model_task(m) == AML_TASK_MULTICLASS)
			{
				if (sp == AML_EXPLAIN_PROBABILITY &&
					fabs(pred[r] - out[r * no + k]) > 1e-9)
					bad++;
				continue;
			}
			want = aml_model_task(m) == AML_TASK_REGRESSION ? out[r] :
				k == 1 ? out[r] : 1.0 - out[r];
			if (sp == AML_EXPLAIN_LOG_ODDS)
				want = log(want / (1.0 - want));
			if (fabs(want - pred[r]) > 1e-6 * fmax(1.0, fabs(want)))
				bad++;
		}
	}
	/* multiclass margins: their softmax is the predicted probability */
	if (aml_model_task(m) == AML_TASK_MULTICLASS && sp == AML_EXPLAIN_MARGIN)
		for (int r = 0; r < n; r++)
		{
			double		mx = -INFINITY,
						z = 0;

			for (int k = 0; k < nk; k++)
				mx = fmax(mx, margin[r * nk + k]);
			for (int k = 0; k < nk; k++)
				z += exp(margin[r * nk + k] - mx);
			for (int k = 0; k < nk; k++)
				if (fabs(exp(margin[r * nk + k] - mx) / z - out[r * no + k]) > 1e-9)
					bad++;
		}
	if (bad)
		fprintf(stderr, "  %s: %d rows not additive or not matching the prediction\n", what, bad);
	CHECK(bad == 0);
	free(in);
	free(phi);
	free(pred);
	free(margin);
	free(out);
	free(scratch);
}

static void
test_additivity_every_learner(void)
{
	static const aml_task tasks[] = {AML_TASK_BINARY, AML_TASK_MULTICLASS, AML_TASK_REGRESSION};
	static const aml_algo algos[] = {AML_ALGO_BASELINE, AML_ALGO_LINEAR, AML_ALGO_DECISION_TREE,
	AML_ALGO_GBDT, AML_ALGO_RANDOM_FOREST, AML_ALGO_EXTRA_TREES};
	aml_env		env;

	aml_env_init(&env);
	for (int t = 0; t < 3; t++)
	{
		aml_frame  *f = make_frame(&env, 500, tasks[t]);

		for (int a = 0; a < 6; a++)
		{
			aml_model  *m = train(&env, f, algos[a], 0);
			char		what[64];

			if (m == NULL)
				continue;
			snprintf(what, sizeof(what), "%s/%s", aml_task_name(tasks[t]), aml_algo_name(algos[a]));
			check_additive(m, what);
			aml_model_free(m);
		}
		aml_frame_free(f);
	}
}

/* an ensemble built by hand from three fitted members of different spaces (and calibrated) */
static void
test_additivity_ensemble(void)
{
	static const aml_task tasks[] = {AML_TASK_BINARY, AML_TASK_MULTICLASS, AML_TASK_REGRESSION};
	aml_env		env;

	aml_env_init(&env);
	for (int t = 0; t < 3; t++)
	{
		aml_frame  *f = make_frame(&env, 400, tasks[t]);
		aml_model  *a = train(&env, f, AML_ALGO_GBDT, 0);
		aml_model  *b = train(&env, f, AML_ALGO_LINEAR, 0);
		aml_model  *c = train(&env, f, AML_ALGO_RANDOM_FOREST, 0);

		if (a && b && c)
		{
			aml_member *mem = aml_calloc(&a->env, 3, sizeof(aml_member));

			/* move b's and c's learners into a as weighted members */
			mem[0] = a->members[0];
			mem[1] = b->members[0];
			mem[2] = c->members[0];
			mem[0].weight = 0.5;
			mem[1].weight = 0.3;
			mem[2].weight = 0.2;
			b->n_members = 0;
			c->n_members = 0;
			aml_free(&a->env, a->members);
			a->members = mem;
			a->n_members = 3;
			a->algo = AML_ALGO_ENSEMBLE;
			aml_model_explainer_free(a);	/* built for the single model */
			check_additive(a, aml_task_name(tasks[t]));
			if (tasks[t] == AML_TASK_MULTICLASS)
			{
				a->members[0].temp = 0.7;
				a->members[2].temp = 0.3;
				aml_model_explainer_free(a);
				check_additive(a, "calibrated ensemble");
			}
		}
		aml_model_free(a);
		aml_model_free(b);
		aml_model_free(c);
		aml_frame_free(f);
	}
}

/*
 * members with a temperature (aml_calibrate; the training fits one for
 * multiclass finalists only): every learner alone, sharpened and flattened, then an ensemble of them; the
 * explanation adds up to the calibrated prediction, and a margin member's
 * stays in margin (exact).  The model round-trips through format version
 * 4 with the same predictions, which are the calibration of the raw ones.
 */
static void
test_additivity_calibrated(void)
{
	static const aml_task tasks[] = {AML_TASK_MULTICLASS};
	static const aml_algo algos[] = {AML_ALGO_LINEAR, AML_ALGO_DECISION_TREE, AML_ALGO_GBDT,
	AML_ALGO_RANDOM_FOREST, AML_ALGO_EXTRA_TREES};
	static const double temps[] = {0.4, 2.5};
	aml_env		env;

	aml_env_init(&env);
	for (int t = 0; t < 1; t++)
	{
		aml_frame  *f = make_frame(&env, 400, tasks[t]);

		for (int a = 0; a < 5; a++)
			for (int q = 0; q < 2; q++)
			{
				aml_model  *m = train(&env, f, algos[a], 0);
				aml_model  *m2 = NULL;
				int			n = 40,
							no,
							bad = 0;
				double	   *in,
						   *raw,
						   *cal,
						   *back;
				void	   *scratch;
				size_t		size;
				uint8_t    *buf;
				aml_error	err;
				char		what[64];
				aml_explain_space sp;
				double		base,
							phi[8],
							pred;

				if (m == NULL)
					continue;
				no = aml_model_n_outputs(m);
				in = raw_rows(m, n);
				raw = malloc(sizeof(double) * n * no);
				cal = malloc(sizeof(double) * n * no);
				back = malloc(sizeof(double) * n * no);
				scratch = malloc(aml_model_scratch_size(m));
				aml_model_predict(m, n, in, raw, scratch);
				m->members[0].temp = temps[q];
				aml_model_explainer_free(m);	/* built by the training's diagnostics */
				aml_model_predict(m, n, in, cal, scratch);
				aml_calibrate(no, temps[q], n, raw);
				for (int k = 0; k < n * no; k++)
					bad += fabs(raw[k] - cal[k]) > 1e-12;
				snprintf(what, sizeof(what), "%s/%s T=%g", aml_task_name(tasks[t]),
						 aml_algo_name(algos[a]), temps[q]);
				check_additive(m, what);
				/* a margin member stays exact in margin */
				CHECK(aml_model_explain(m, 1, in, 0, phi, &base, &pred, &sp, &err) == AML_OK);
				if (algos[a] == AML_ALGO_LINEAR || algos[a] == AML_ALGO_GBDT)
					CHECK(sp != AML_EXPLAIN_PROBABILITY);
				else
					CHECK(sp == AML_EXPLAIN_PROBABILITY);

				size = aml_model_serialized_size(m);
				buf = malloc(size);
				CHECK(aml_model_serialize(m, buf, size, &err) == AML_OK);
				CHECK(buf[4] == 4);
				CHECK(aml_model_deserialize(&env, buf, size, &m2, &err) == AML_OK);
				if (m2)
				{
					CHECK(m2->members[0].temp == temps[q]);
					aml_model_predict(m2, n, in, back, scratch);
					for (int k = 0; k < n * no; k++)
						bad += back[k] != cal[k];
					aml_model_free(m2);
				}
				/* out of range, with a valid checksum: refused */
				m->members[0].temp = 1000.0;
				CHECK(aml_model_serialize(m, buf, size, &err) == AML_OK);
				m2 = NULL;
				CHECK(aml_model_deserialize(&env, buf, size, &m2, &err) == AML_EFORMAT);
				CHECK(m2 == NULL);
				if (bad)
					fprintf(stderr, "  %s: %d calibrated outputs differ\n", what, bad);
				CHECK(bad == 0);
				free(buf);
				free(in);
				free(raw);
				free(cal);
				free(back);
				free(scratch);
				aml_model_free(m);
			}
		aml_frame_free(f);
	}
}

/* linear contributions: centred over the training rows, slope per unit */
static void
test_linear_closed_form(void)
{
	aml_env		env;
	aml_frame  *f;
	aml_model  *m;

	aml_env_init(&env);
	f = make_frame(&env, 500, AML_TASK_REGRESSION);
	m = train(&env, f, AML_ALGO_LINEAR, 0);
	if (m)
	{
		int			ni = aml_model_n_inputs(m);
		double		in[16],
					phi[16],
					pred[2],
					out[2],
					base;
		void	   *scratch = malloc(aml_model_scratch_size(m));
		aml_explain_space sp;
		aml_error	err;

		CHECK(ni <= 8);
		for (int i = 0; i < ni; i++)
			in[i] = aml_model_input_kind(m, i) == AML_COL_DATETIME ? 100 * 86400.0 : 1.0;
		memcpy(in + ni, in, sizeof(double) * ni);
		/* x1 one unit higher: only x1's contribution moves, by the slope */
		CHECK(strcmp(aml_model_input_name(m, 0), "x1") == 0);
		in[ni] += 1.0;
		CHECK(aml_model_explain(m, 2, in, 0, phi, &base, pred, &sp, &err) == AML_OK);
		aml_model_predict(m, 2, in, out, scratch);
		CHECK(sp == AML_EXPLAIN_VALUE);
		CHECK_NEAR(phi[ni] - phi[0], out[1] - out[0], 1e-9);
		for (int i = 1; i < ni; i++)
			CHECK_NEAR(phi[ni + i], phi[i], 1e-12);
		/* the slope is the true one (0.4 per unit of x1) */
		CHECK(fabs((out[1] - out[0]) - 0.4) < 0.1);
		/* base: the mean prediction over the training distribution */
		CHECK(fabs(base - 3.9) < 1.0);
		free(scratch);
		aml_model_free(m);
	}
	aml_frame_free(f);
}

/* TreeSHAP scratch grows with depth; bad class indexes are errors */
static void
test_explain_errors(void)
{
	aml_env		env;
	aml_frame  *f;
	aml_model  *m;

	aml_env_init(&env);
	f = make_frame(&env, 300, AML_TASK_BINARY);
	m = train(&env, f, AML_ALGO_GBDT, 0);
	if (m)
	{
		double		in[4] = {NAN, NAN, NAN, NAN},
					phi[4],
					pred,
					base;
		aml_explain_space sp;
		aml_error	err;

		CHECK(aml_model_explain(m, 1, in, 2, phi, &base, &pred, &sp, &err) == AML_EINVAL);
		CHECK(aml_model_explain(m, 1, in, -1, phi, &base, &pred, &sp, &err) == AML_EINVAL);
		/* an all-missing row is explained, not an error */
		CHECK(aml_model_explain(m, 1, in, 1, phi, &base, &pred, &sp, &err) == AML_OK);
		CHECK(strcmp(aml_explain_space_name(sp), "log_odds") == 0);
		aml_model_free(m);
	}
	aml_frame_free(f);
}

int
main(void)
{
	RUN(test_treeshap_decision_tree_brute_force);
	RUN(test_treeshap_gbdt_and_forest_brute_force);
	RUN(test_additivity_every_learner);
	RUN(test_additivity_ensemble);
	RUN(test_additivity_calibrated);
	RUN(test_linear_closed_form);
	RUN(test_explain_errors);
	DONE();
}
