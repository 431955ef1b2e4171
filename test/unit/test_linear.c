/*-------------------------------------------------------------------------
 *
 * test_linear.c
 *	  Unit tests of the linear learner family (src/core/linear.c): ridge
 *	  against closed-form solutions, logistic and multinomial fits, the
 *	  encoding of missing values and categoricals, weights, serialization
 *	  round trips, corrupt buffers and parameter checks.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "aml_int.h"
#include "harness.h"

#define MAXF 4

/* A small dataset owned by the test. */
typedef struct tds
{
	aml_dataset ds;
	float	   *cols[MAXF];
	const float *ccols[MAXF];
	aml_feat_kind kinds[MAXF];
	int			levels[MAXF];
} tds;

/*
 * tds_init allocates n rows of nf features (all numeric by default).
 */
static void
tds_init(tds *t, int64_t n, int nf)
{
	memset(t, 0, sizeof(*t));
	for (int j = 0; j < nf; j++)
	{
		t->cols[j] = calloc((size_t) n, sizeof(float));
		t->ccols[j] = t->cols[j];
		t->kinds[j] = AML_FEAT_NUMERIC;
	}
	t->ds.n_rows = n;
	t->ds.n_feat = nf;
	t->ds.col = t->ccols;
	t->ds.kind = t->kinds;
	t->ds.n_levels = t->levels;
}

/*
 * tds_free releases the columns of a test dataset.
 */
static void
tds_free(tds *t)
{
	for (int j = 0; j < MAXF; j++)
		free(t->cols[j]);
}

/*
 * fit_input fills a fit input for all rows of t.  Learners read labels as
 * float (as training stores them): y is copied into one of a ring of
 * buffers that stay reachable until exit.
 */
static aml_fit_input
fit_input(const tds *t, const double *y, const double *w, aml_task task, int ncls)
{
	static float *ybuf[16];
	static int	ynext;
	aml_fit_input in;
	float	   *fy = realloc(ybuf[ynext], (size_t) (t->ds.n_rows + 1) * sizeof(float));

	if (fy == NULL)
		abort();
	ybuf[ynext] = fy;
	ynext = (ynext + 1) % 16;
	for (int64_t i = 0; i < t->ds.n_rows; i++)
		fy[i] = (float) y[i];
	memset(&in, 0, sizeof(in));
	in.ds = &t->ds;
	in.y = fy;
	in.w = w;
	in.n_rows = t->ds.n_rows;
	in.task = task;
	in.n_classes = ncls;
	return in;
}

/*
 * params_with returns params holding alpha (and max_iter when > 0).
 */
static aml_params
params_with(double alpha, int max_iter)
{
	aml_params	p;

	memset(&p, 0, sizeof(p));
	strcpy(p.name[0], "alpha");
	p.value[0] = alpha;
	p.n = 1;
	if (max_iter > 0)
	{
		strcpy(p.name[1], "max_iter");
		p.value[1] = max_iter;
		p.n = 2;
	}
	return p;
}

/*
 * solve_small solves a dense n x n system by Gaussian elimination with
 * partial pivoting (independent of the learner's Cholesky).
 */
static void
solve_small(int n, double *A, double *b, double *x)
{
	for (int c = 0; c < n; c++)
	{
		int			piv = c;

		for (int r = c + 1; r < n; r++)
			if (fabs(A[r * n + c]) > fabs(A[piv * n + c]))
				piv = r;
		for (int k = 0; k < n; k++)
		{
			double		t = A[c * n + k];

			A[c * n + k] = A[piv * n + k];
			A[piv * n + k] = t;
		}
		{
			double		t = b[c];

			b[c] = b[piv];
			b[piv] = t;
		}
		for (int r = c + 1; r < n; r++)
		{
			double		f = A[r * n + c] / A[c * n + c];

			for (int k = c; k < n; k++)
				A[r * n + k] -= f * A[c * n + k];
			b[r] -= f * b[c];
		}
	}
	for (int r = n - 1; r >= 0; r--)
	{
		double		s = b[r];

		for (int k = r + 1; k < n; k++)
			s -= A[r * n + k] * x[k];
		x[r] = s / A[r * n + r];
	}
}

/*
 * make_regression fills two numeric features and y = 2 x1 - 3 x2 + 1.  The
 * features are multiples of 1/64, so y is exact in float (the learners read
 * labels as float).
 */
static void
make_regression(tds *t, double *y, int64_t n, uint64_t seed)
{
	aml_rng		rng;

	aml_rng_seed(&rng, seed);
	tds_init(t, n, 2);
	for (int64_t i = 0; i < n; i++)
	{
		t->cols[0][i] = (float) (round(aml_rng_uniform(&rng) * 640.0) / 64.0 - 3.0);
		t->cols[1][i] = (float) (round(aml_rng_uniform(&rng) * 256.0) / 64.0 + 100.0);
		y[i] = 2.0 * t->cols[0][i] - 3.0 * t->cols[1][i] + 1.0;
	}
}

/*
 * test_ols_exact recovers y = 2 x1 - 3 x2 + 1 exactly with alpha = 0.
 */
static void
test_ols_exact(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[40],
				out[40];
	void	   *st = NULL;
	aml_params	p = params_with(0.0, 0);
	aml_fit_input in;

	aml_env_init(&env);
	make_regression(&t, y, 40, 1);
	in = fit_input(&t, y, NULL, AML_TASK_REGRESSION, 0);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	if (st)
	{
		aml_linear_ops.predict(st, &t.ds, NULL, 40, out);
		for (int i = 0; i < 40; i++)
			CHECK_NEAR(out[i], y[i], 1e-8);
		/* an unseen point */
		t.cols[0][0] = 0.0f;
		t.cols[1][0] = 0.0f;
		aml_linear_ops.predict(st, &t.ds, NULL, 1, out);
		CHECK_NEAR(out[0], 1.0, 1e-6);
		aml_linear_ops.free_state(&env, st);
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * ridge_reference computes the ridge prediction of row i independently:
 * standardized features, weighted normal equations with an unpenalized
 * intercept, solved by Gaussian elimination.
 */
static void
ridge_reference(const tds *t, const double *y, const double *w, int64_t n,
				double alpha, double *pred)
{
	double		mean[2],
				sd[2],
				A[9] = {0},
				b[3] = {0},
				x[3];

	for (int j = 0; j < 2; j++)
	{
		double		s = 0.0,
					ss = 0.0;

		for (int64_t i = 0; i < n; i++)
			s += t->cols[j][i];
		mean[j] = s / n;
		for (int64_t i = 0; i < n; i++)
			ss += (t->cols[j][i] - mean[j]) * (t->cols[j][i] - mean[j]);
		sd[j] = sqrt(ss / n);
	}
	for (int64_t i = 0; i < n; i++)
	{
		double		z[3] = {1.0, (t->cols[0][i] - mean[0]) / sd[0],
		(t->cols[1][i] - mean[1]) / sd[1]};
		double		wi = w ? w[i] : 1.0;

		for (int a = 0; a < 3; a++)
		{
			for (int c = 0; c < 3; c++)
				A[a * 3 + c] += wi * z[a] * z[c];
			b[a] += wi * z[a] * y[i];
		}
	}
	A[4] += alpha;
	A[8] += alpha;
	solve_small(3, A, b, x);
	for (int64_t i = 0; i < n; i++)
		pred[i] = x[0] + x[1] * (t->cols[0][i] - mean[0]) / sd[0] +
			x[2] * (t->cols[1][i] - mean[1]) / sd[1];
}

/*
 * test_ridge_reference compares ridge (alpha > 0, with and without
 * weights) against the independent solution.
 */
static void
test_ridge_reference(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[50],
				w[50],
				out[50],
				ref[50];
	aml_rng		rng;

	aml_env_init(&env);
	make_regression(&t, y, 50, 7);
	aml_rng_seed(&rng, 3);
	for (int i = 0; i < 50; i++)
	{
		y[i] += aml_rng_uniform(&rng) * 2.0 - 1.0;
		w[i] = 0.2 + 3.0 * aml_rng_uniform(&rng);
	}
	for (int variant = 0; variant < 2; variant++)
	{
		const double *wv = variant ? w : NULL;
		aml_params	p = params_with(variant ? 7.5 : 2.5, 0);
		aml_fit_input in = fit_input(&t, y, wv, AML_TASK_REGRESSION, 0);
		void	   *st = NULL;

		CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
		if (!st)
			continue;
		aml_linear_ops.predict(st, &t.ds, NULL, 50, out);
		ridge_reference(&t, y, wv, 50, p.value[0], ref);
		for (int i = 0; i < 50; i++)
			CHECK_NEAR(out[i], ref[i], 1e-7 * (1.0 + fabs(ref[i])));
		aml_linear_ops.free_state(&env, st);
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_logistic_separable classifies separable data perfectly with a
 * small alpha.
 */
static void
test_logistic_separable(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[100],
				out[100];
	void	   *st = NULL;
	aml_params	p = params_with(1e-3, 0);
	aml_fit_input in;
	aml_rng		rng;
	int			correct = 0;

	aml_env_init(&env);
	aml_rng_seed(&rng, 11);
	tds_init(&t, 100, 2);
	for (int i = 0; i < 100; i++)
	{
		double		a = aml_rng_uniform(&rng) * 4 - 2;
		double		b = aml_rng_uniform(&rng) * 4 - 2;

		if (fabs(a + 0.5 * b) < 0.05)
			a += 0.2;
		t.cols[0][i] = (float) a;
		t.cols[1][i] = (float) b;
		y[i] = a + 0.5 * b > 0 ? 1.0 : 0.0;
	}
	in = fit_input(&t, y, NULL, AML_TASK_BINARY, 2);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	if (st)
	{
		aml_linear_ops.predict(st, &t.ds, NULL, 100, out);
		for (int i = 0; i < 100; i++)
		{
			CHECK(out[i] >= 0.0 && out[i] <= 1.0);
			correct += (out[i] > 0.5) == (y[i] > 0.5);
		}
		CHECK(correct == 100);
		aml_linear_ops.free_state(&env, st);
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_logistic_optimality checks on noisy data that the fit reached the
 * optimum: the unpenalized intercept makes sum w (p - y) vanish.
 */
static void
test_logistic_optimality(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[300],
				w[300],
				out[300];
	void	   *st = NULL;
	aml_params	p = params_with(1.0, 0);
	aml_fit_input in;
	aml_rng		rng;
	double		g = 0.0,
				wsum = 0.0;

	aml_env_init(&env);
	aml_rng_seed(&rng, 5);
	tds_init(&t, 300, 2);
	for (int i = 0; i < 300; i++)
	{
		double		a = aml_rng_uniform(&rng) * 4 - 2;
		double		b = aml_rng_uniform(&rng) * 4 - 2;

		t.cols[0][i] = (float) a;
		t.cols[1][i] = (float) b;
		y[i] = aml_rng_uniform(&rng) < aml_sigmoid(1.5 * a - b + 0.3) ? 1.0 : 0.0;
		w[i] = 0.5 + aml_rng_uniform(&rng);
	}
	in = fit_input(&t, y, w, AML_TASK_BINARY, 2);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	if (st)
	{
		aml_linear_ops.predict(st, &t.ds, NULL, 300, out);
		for (int i = 0; i < 300; i++)
		{
			g += w[i] * (out[i] - y[i]);
			wsum += w[i];
		}
		CHECK(fabs(g) < 1e-6 * wsum);
		aml_linear_ops.free_state(&env, st);
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * make_blobs fills three well-separated 2-D blobs of n rows.
 */
static void
make_blobs(tds *t, double *y, int64_t n, uint64_t seed)
{
	aml_rng		rng;
	const double cx[3] = {0.0, 5.0, -5.0};
	const double cy[3] = {5.0, -3.0, -3.0};

	aml_rng_seed(&rng, seed);
	tds_init(t, n, 2);
	for (int64_t i = 0; i < n; i++)
	{
		int			k = (int) (i % 3);

		t->cols[0][i] = (float) (cx[k] + aml_rng_uniform(&rng) * 3 - 1.5);
		t->cols[1][i] = (float) (cy[k] + aml_rng_uniform(&rng) * 3 - 1.5);
		y[i] = k;
	}
}

/*
 * test_multinomial_blobs separates three blobs with probabilities summing
 * to 1 and reaches the optimum of the unpenalized intercepts.
 */
static void
test_multinomial_blobs(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[300],
				out[900];
	void	   *st = NULL;
	aml_params	p = params_with(1.0, 200);
	aml_fit_input in;
	int			correct = 0;
	double		g[3] = {0};

	aml_env_init(&env);
	make_blobs(&t, y, 300, 21);
	in = fit_input(&t, y, NULL, AML_TASK_MULTICLASS, 3);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	if (st)
	{
		aml_linear_ops.predict(st, &t.ds, NULL, 300, out);
		for (int i = 0; i < 300; i++)
		{
			const double *o = out + i * 3;
			int			best = 0;

			CHECK_NEAR(o[0] + o[1] + o[2], 1.0, 1e-12);
			for (int k = 1; k < 3; k++)
				if (o[k] > o[best])
					best = k;
			correct += best == (int) y[i];
			for (int k = 0; k < 3; k++)
				g[k] += o[k] - (k == (int) y[i]);
		}
		CHECK(correct >= 285);
		for (int k = 0; k < 3; k++)
			CHECK(fabs(g[k]) < 1e-3);
		aml_linear_ops.free_state(&env, st);
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_categorical_missing checks one-hot (a categorical feature that
 * determines y), the missing indicator of a numeric feature, and missing
 * categoricals at prediction.
 */
static void
test_categorical_missing(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[80],
				out[80];
	void	   *st = NULL;
	aml_params	p = params_with(0.0, 0);	/* singular one-hot: jitter */
	aml_fit_input in;
	const double lv[4] = {1.0, 5.0, -2.0, 0.0};
	double		imp[3] = {0};

	aml_env_init(&env);
	tds_init(&t, 80, 3);
	t.kinds[0] = AML_FEAT_CATEGORICAL;
	t.levels[0] = 5;			/* level 4 ("other") never seen */
	for (int i = 0; i < 80; i++)
	{
		int			c = i % 4;

		t.cols[0][i] = (float) c;
		t.cols[1][i] = (i % 5 == 0) ? NAN : (float) (i % 7);
		t.cols[2][i] = 3.0f;	/* constant */
		y[i] = lv[c] + (i % 5 == 0 ? 10.0 : 0.5 * (i % 7));
	}
	in = fit_input(&t, y, NULL, AML_TASK_REGRESSION, 0);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	if (st)
	{
		aml_linear_ops.predict(st, &t.ds, NULL, 80, out);
		for (int i = 0; i < 80; i++)
			CHECK_NEAR(out[i], y[i], 1e-4);
		aml_linear_ops.importance(st, 3, imp);
		CHECK(imp[0] > 1.0 && imp[1] > 1.0);
		CHECK(imp[2] == 0.0);
		/* missing / out-of-range categorical codes contribute nothing */
		t.cols[0][0] = NAN;
		t.cols[0][1] = 4.0f;
		t.cols[0][2] = -1.0f;
		t.cols[0][3] = 99.0f;
		t.cols[1][0] = t.cols[1][1] = t.cols[1][2] = t.cols[1][3] = 1.0f;
		aml_linear_ops.predict(st, &t.ds, NULL, 4, out);
		CHECK(isfinite(out[0]));
		CHECK_NEAR(out[0], out[2], 1e-12);
		CHECK_NEAR(out[0], out[3], 1e-12);
		CHECK(fabs(out[0] - out[1]) < 1e-3);	/* "other" unseen: ~0 */
		aml_linear_ops.free_state(&env, st);
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_missing_unseen predicts a numeric NaN for a feature that had no
 * missing values in training: it is imputed with the training mean.
 */
static void
test_missing_unseen(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[40],
				out[2];
	void	   *st = NULL;
	aml_params	p = params_with(0.0, 0);
	aml_fit_input in;
	double		mean = 0.0;

	aml_env_init(&env);
	make_regression(&t, y, 40, 9);
	for (int i = 0; i < 40; i++)
		mean += t.cols[0][i] / 40.0;
	in = fit_input(&t, y, NULL, AML_TASK_REGRESSION, 0);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	if (st)
	{
		t.cols[0][0] = NAN;
		t.cols[0][1] = INFINITY;
		aml_linear_ops.predict(st, &t.ds, NULL, 2, out);
		CHECK_NEAR(out[0], 2.0 * mean - 3.0 * t.cols[1][0] + 1.0, 1e-6);
		CHECK_NEAR(out[1], 2.0 * mean - 3.0 * t.cols[1][1] + 1.0, 1e-6);
		aml_linear_ops.free_state(&env, st);
	}
	tds_free(&t);
}

/*
 * fit_predict fits and predicts rows 0..n_pred-1; returns the status.
 */
static aml_status
fit_predict(aml_env *env, aml_fit_input *in, double alpha, int64_t n_pred,
			double *out)
{
	aml_error	err;
	aml_params	p = params_with(alpha, 0);
	void	   *st = NULL;
	aml_status	s = aml_linear_ops.fit(env, in, &p, &st, &err);

	if (s == AML_OK)
	{
		aml_linear_ops.predict(st, in->ds, NULL, n_pred,
							   out);
		aml_linear_ops.free_state(env, st);
	}
	return s;
}

/*
 * test_weights checks that weight 0 equals dropping rows and weight 2
 * equals duplicating them (alpha = 0, so standardization is irrelevant),
 * and that weights change the fit.
 */
static void
test_weights(void)
{
	aml_env		env;
	tds			t;
	double		y[60],
				w[60],
				a[60],
				b[60],
				c[60];
	int64_t		rows[90];
	int			nr = 0;
	aml_rng		rng;

	aml_env_init(&env);
	make_regression(&t, y, 60, 4);
	aml_rng_seed(&rng, 8);
	for (int i = 0; i < 60; i++)
		y[i] += (aml_rng_uniform(&rng) - 0.5) * 5;
	for (int task = 0; task < 2; task++)
	{
		aml_task	tk = task ? AML_TASK_BINARY : AML_TASK_REGRESSION;
		double		yy[60];
		aml_fit_input in;

		for (int i = 0; i < 60; i++)
			yy[i] = task ? ((y[i] - 2.0 * t.cols[0][i] + 4.0 * t.cols[1][i] - 103.0) > 0 ? 1.0 : 0.0) : y[i];
		if (task)
		{
			int			ones = 0;

			for (int i = 0; i < 60; i++)
				ones += yy[i] > 0.5;
			CHECK(ones >= 10 && ones <= 50);
		}
		/* weight 0 vs a row subset */
		nr = 0;
		for (int i = 0; i < 60; i++)
		{
			w[i] = (i % 3 == 0) ? 0.0 : 1.0;
			if (w[i] > 0)
				rows[nr++] = i;
		}
		in = fit_input(&t, yy, w, tk, task ? 2 : 0);
		CHECK(fit_predict(&env, &in, 0.0, 60, a) == AML_OK);
		in = fit_input(&t, yy, NULL, tk, task ? 2 : 0);
		in.rows = rows;
		in.n_rows = nr;
		CHECK(fit_predict(&env, &in, 0.0, 60, b) == AML_OK);
		for (int i = 0; i < 60; i++)
			CHECK_NEAR(a[i], b[i], 1e-6 * (1 + fabs(b[i])));
		/* weight 2 vs duplicated rows */
		nr = 0;
		for (int i = 0; i < 60; i++)
		{
			w[i] = (i % 2 == 0) ? 2.0 : 1.0;
			rows[nr++] = i;
			if (i % 2 == 0)
				rows[nr++] = i;
		}
		in = fit_input(&t, yy, w, tk, task ? 2 : 0);
		CHECK(fit_predict(&env, &in, 0.0, 60, a) == AML_OK);
		in = fit_input(&t, yy, NULL, tk, task ? 2 : 0);
		in.rows = rows;
		in.n_rows = nr;
		CHECK(fit_predict(&env, &in, 0.0, 60, b) == AML_OK);
		for (int i = 0; i < 60; i++)
			CHECK_NEAR(a[i], b[i], 1e-6 * (1 + fabs(b[i])));
		/* unweighted fit differs */
		in = fit_input(&t, yy, NULL, tk, task ? 2 : 0);
		CHECK(fit_predict(&env, &in, 0.0, 60, c) == AML_OK);
		{
			double		diff = 0.0;

			for (int i = 0; i < 60; i++)
				diff += fabs(c[i] - a[i]);
			CHECK(diff > 1e-4);
			if (!(diff > 1e-4))
				fprintf(stderr, "  task %d diff %g\n", task, diff);
		}
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * serialize writes a state into a fresh malloc'd buffer (two-call style).
 */
static uint8_t *
serialize(const void *st, size_t *len)
{
	aml_wbuf	b = {0};
	uint8_t    *buf;

	aml_linear_ops.write(st, &b);
	*len = b.len;
	buf = malloc(b.len ? b.len : 1);
	memset(&b, 0, sizeof(b));
	b.data = buf;
	b.cap = *len;
	aml_linear_ops.write(st, &b);
	CHECK(b.len == *len && !b.overflow);
	return buf;
}

/*
 * roundtrip_check writes st, reads it back against schema ds and compares
 * predictions bit for bit; then every truncated prefix must fail with
 * AML_EFORMAT.
 */
static void
roundtrip_check(aml_env *env, const void *st, const aml_dataset *ds,
				aml_task task, int ncls)
{
	size_t		len;
	uint8_t    *buf = serialize(st, &len);
	int			K = aml_task_outputs(task, ncls);
	double	   *o1 = calloc((size_t) ds->n_rows * K, sizeof(double));
	double	   *o2 = calloc((size_t) ds->n_rows * K, sizeof(double));
	aml_rbuf	rb = {buf, len, 0, 0};
	aml_error	err;
	void	   *st2 = NULL;

	CHECK(aml_linear_ops.read(env, &rb, ds, task, ncls, &st2, &err) == AML_OK);
	CHECK(rb.pos == len);
	if (st2)
	{
		aml_linear_ops.predict(st, ds, NULL, ds->n_rows, o1);
		aml_linear_ops.predict(st2, ds, NULL, ds->n_rows, o2);
		CHECK(memcmp(o1, o2, sizeof(double) * ds->n_rows * K) == 0);
		aml_linear_ops.free_state(env, st2);
	}
	for (size_t cut = 0; cut < len; cut++)
	{
		aml_rbuf	tb = {buf, cut, 0, 0};
		void	   *st3 = NULL;
		aml_status	s = aml_linear_ops.read(env, &tb, ds, task, ncls, &st3, &err);

		CHECK(s == AML_EFORMAT);
		CHECK(st3 == NULL);
		if (s != AML_EFORMAT)
		{
			fprintf(stderr, "  prefix %zu of %zu\n", cut, len);
			aml_linear_ops.free_state(env, st3);
			break;
		}
	}
	/* the wrong task */
	{
		aml_rbuf	tb = {buf, len, 0, 0};
		void	   *st3 = NULL;
		aml_task	other = task == AML_TASK_REGRESSION ? AML_TASK_BINARY : AML_TASK_REGRESSION;

		CHECK(aml_linear_ops.read(env, &tb, ds, other, 2, &st3, &err) == AML_EFORMAT);
	}
	free(buf);
	free(o1);
	free(o2);
}

/*
 * test_roundtrip round-trips the three model kinds, with categoricals and
 * missing values, and checks the truncated prefixes.
 */
static void
test_roundtrip(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[90],
				yb[90];
	aml_params	p = params_with(0.5, 0);

	aml_env_init(&env);
	make_blobs(&t, y, 90, 2);
	t.cols[2] = calloc(90, sizeof(float));
	t.ccols[2] = t.cols[2];
	t.kinds[2] = AML_FEAT_CATEGORICAL;
	t.levels[2] = 3;
	t.ds.n_feat = 3;
	for (int i = 0; i < 90; i++)
	{
		t.cols[2][i] = (i % 11 == 0) ? NAN : (float) (i % 3);
		if (i % 13 == 0)
			t.cols[1][i] = NAN;
		yb[i] = y[i] > 0 ? 1.0 : 0.0;
	}
	for (int task = 0; task < 3; task++)
	{
		aml_task	tk = task == 0 ? AML_TASK_REGRESSION :
			task == 1 ? AML_TASK_BINARY : AML_TASK_MULTICLASS;
		int			ncls = task == 0 ? 0 : task == 1 ? 2 : 3;
		aml_fit_input in = fit_input(&t, task == 1 ? yb : y, NULL, tk, ncls);
		void	   *st = NULL;

		CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
		if (st)
		{
			roundtrip_check(&env, st, &t.ds, tk, ncls);
			aml_linear_ops.free_state(&env, st);
		}
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_schema_mismatch reads a valid buffer against wrong schemas.
 */
static void
test_schema_mismatch(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[60];
	aml_params	p = params_with(1.0, 0);
	aml_fit_input in;
	void	   *st = NULL;
	size_t		len;
	uint8_t    *buf;

	aml_env_init(&env);
	make_regression(&t, y, 60, 5);
	t.kinds[1] = AML_FEAT_CATEGORICAL;
	t.levels[1] = 4;
	for (int i = 0; i < 60; i++)
		t.cols[1][i] = (float) (i % 4);
	in = fit_input(&t, y, NULL, AML_TASK_REGRESSION, 0);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_OK);
	if (!st)
	{
		tds_free(&t);
		return;
	}
	buf = serialize(st, &len);
	for (int variant = 0; variant < 5; variant++)
	{
		aml_dataset s = t.ds;
		aml_feat_kind k2[2] = {AML_FEAT_NUMERIC, AML_FEAT_NUMERIC};
		int			l2[2] = {0, 5};
		int			l3[2] = {0, 0};
		aml_rbuf	rb = {buf, len, 0, 0};
		void	   *st2 = NULL;

		if (variant == 0)
			s.n_feat = 1;
		else if (variant == 1)
			s.kind = k2;
		else if (variant == 2)
			s.n_levels = l2;
		else if (variant == 3)
		{
			s.kind = k2;
			s.n_levels = l3;
		}
		else
		{
			/* corrupt the version byte */
			buf[0] ^= 0x7f;
		}
		CHECK(aml_linear_ops.read(&env, &rb, &s, AML_TASK_REGRESSION, 0, &st2, &err) == AML_EFORMAT);
		CHECK(st2 == NULL);
		if (variant == 4)
			buf[0] ^= 0x7f;
	}
	/* a flipped byte anywhere never crashes */
	for (size_t pos = 0; pos < len; pos++)
	{
		aml_rbuf	rb = {buf, len, 0, 0};
		void	   *st2 = NULL;
		uint8_t		save = buf[pos];
		aml_status	s;

		buf[pos] = 0xff;
		s = aml_linear_ops.read(&env, &rb, &t.ds, AML_TASK_REGRESSION, 0, &st2, &err);
		CHECK(s == AML_OK || s == AML_EFORMAT);
		if (s == AML_OK)
			aml_linear_ops.free_state(&env, st2);
		buf[pos] = save;
	}
	free(buf);
	aml_linear_ops.free_state(&env, st);
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_check_params checks the parameter messages.
 */
static void
test_check_params(void)
{
	char		buf[256];
	aml_params	p = params_with(1.0, 100);
	const char *m;

	CHECK(aml_linear_ops.check_params(&p, buf, sizeof(buf)) == NULL);
	p.value[0] = -1;
	m = aml_linear_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strcmp(m, "parameter \"alpha\" must be between 0 and 1000000") == 0);
	p.value[0] = 2e6;
	CHECK(aml_linear_ops.check_params(&p, buf, sizeof(buf)) != NULL);
	p.value[0] = NAN;
	CHECK(aml_linear_ops.check_params(&p, buf, sizeof(buf)) != NULL);
	p.value[0] = 1e6;
	CHECK(aml_linear_ops.check_params(&p, buf, sizeof(buf)) == NULL);
	p.value[1] = 0;
	m = aml_linear_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strstr(m, "\"max_iter\"") && strstr(m, "between 1 and 10000"));
	p.value[1] = 2.5;
	CHECK(aml_linear_ops.check_params(&p, buf, sizeof(buf)) != NULL);
	p.value[1] = 10000;
	CHECK(aml_linear_ops.check_params(&p, buf, sizeof(buf)) == NULL);
	strcpy(p.name[2], "xyz");
	p.value[2] = 1;
	p.n = 3;
	m = aml_linear_ops.check_params(&p, buf, sizeof(buf));
	CHECK(m && strstr(m, "unknown parameter \"xyz\" for algorithm \"linear\"") == m);
	CHECK(m && strstr(m, "alpha") && strstr(m, "max_iter"));
	CHECK(aml_linear_ops.algo == AML_ALGO_LINEAR);
	CHECK(strcmp(aml_linear_ops.name, "linear") == 0);
}

/*
 * cancel_now is a should_cancel callback that always says stop.
 */
static int
cancel_now(void *ctx)
{
	(void) ctx;
	return 1;
}

/*
 * test_cancel_and_errors checks cancellation, numeric failure, budget and
 * invalid labels, and that nothing leaks.
 */
static void
test_cancel_and_errors(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[60],
				yc[60],
				wc[60];
	aml_params	p = params_with(1.0, 0);
	aml_fit_input in;
	void	   *st = NULL;

	aml_env_init(&env);
	make_blobs(&t, y, 60, 3);
	for (int task = 0; task < 3; task++)
	{
		aml_task	tk = task == 0 ? AML_TASK_REGRESSION :
			task == 1 ? AML_TASK_BINARY : AML_TASK_MULTICLASS;

		for (int i = 0; i < 60; i++)
			yc[i] = task == 1 ? (y[i] > 0) : y[i];
		aml_env_init(&env);
		env.should_cancel = cancel_now;
		in = fit_input(&t, yc, NULL, tk, task == 2 ? 3 : 2);
		CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_ECANCELED);
		CHECK(st == NULL);
		CHECK(strstr(err.msg, "cancel") != NULL);
		CHECK(env.mem_used == 0);

		/* a tiny budget */
		aml_env_init(&env);
		env.mem_budget = 600;
		CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_ENOMEM);
		CHECK(st == NULL);
		CHECK(env.mem_used == 0);
	}
	aml_env_init(&env);
	/* overflowing weighted target (labels are float, weights double) */
	for (int i = 0; i < 60; i++)
	{
		yc[i] = 1e38;
		wc[i] = 1e300;
	}
	in = fit_input(&t, yc, wc, AML_TASK_REGRESSION, 0);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_ENUMERIC);
	CHECK(st == NULL);
	/* invalid labels and weights */
	for (int i = 0; i < 60; i++)
		yc[i] = i % 2 ? 1.0 : 3.0;
	in = fit_input(&t, yc, NULL, AML_TASK_BINARY, 2);
	CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_EINVAL);
	{
		double		w[60];

		for (int i = 0; i < 60; i++)
		{
			yc[i] = i % 2;
			w[i] = i == 5 ? -1.0 : 1.0;
		}
		in = fit_input(&t, yc, w, AML_TASK_BINARY, 2);
		CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_EINVAL);
		for (int i = 0; i < 60; i++)
			w[i] = 0.0;
		CHECK(aml_linear_ops.fit(&env, &in, &p, &st, &err) == AML_EINVAL);
	}
	CHECK(env.mem_used == 0);
	tds_free(&t);
}

/*
 * test_determinism_subset fits twice on a row subset and compares the
 * predictions bit for bit; idx-based predict matches the full predict.
 */
static void
test_determinism_subset(void)
{
	aml_env		env;
	aml_error	err;
	tds			t;
	double		y[3000],
				a[9000],
				b[9000],
				c[30];
	int64_t		rows[2000],
				idx[10];
	aml_params	p = params_with(0.3, 50);

	aml_env_init(&env);
	make_blobs(&t, y, 3000, 17);
	for (int i = 0; i < 2000; i++)
		rows[i] = (i * 7) % 3000;
	for (int i = 0; i < 10; i++)
		idx[i] = 2999 - i * 13;
	for (int task = 0; task < 3; task++)
	{
		aml_task	tk = task == 0 ? AML_TASK_REGRESSION :
			task == 1 ? AML_TASK_BINARY : AML_TASK_MULTICLASS;
		int			K = task == 2 ? 3 : 1;
		double		yc[3000];
		void	   *s1 = NULL,
				   *s2 = NULL;
		aml_fit_input in;

		for (int i = 0; i < 3000; i++)
			yc[i] = task == 1 ? (y[i] > 0) : y[i];
		in = fit_input(&t, yc, NULL, tk, task == 2 ? 3 : 2);
		in.rows = rows;
		in.n_rows = 2000;
		CHECK(aml_linear_ops.fit(&env, &in, &p, &s1, &err) == AML_OK);
		CHECK(aml_linear_ops.fit(&env, &in, &p, &s2, &err) == AML_OK);
		if (s1 && s2)
		{
			aml_linear_ops.predict(s1, &t.ds, NULL, 3000, a);
			aml_linear_ops.predict(s2, &t.ds, NULL, 3000, b);
			CHECK(memcmp(a, b, sizeof(double) * 3000 * K) == 0);
			aml_linear_ops.predict(s1, &t.ds, idx, 10, c);
			for (int i = 0; i < 10; i++)
				for (int k = 0; k < K; k++)
					CHECK(c[i * K + k] == a[idx[i] * K + k]);
		}
		aml_linear_ops.free_state(&env, s1);
		aml_linear_ops.free_state(&env, s2);
	}
	tds_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * main runs the linear learner tests.
 */
int
main(void)
{
	RUN(test_ols_exact);
	RUN(test_ridge_reference);
	RUN(test_logistic_separable);
	RUN(test_logistic_optimality);
	RUN(test_multinomial_blobs);
	RUN(test_categorical_missing);
	RUN(test_missing_unseen);
	RUN(test_weights);
	RUN(test_roundtrip);
	RUN(test_schema_mismatch);
	RUN(test_check_params);
	RUN(test_cancel_and_errors);
	RUN(test_determinism_subset);
	DONE();
}
