/*-------------------------------------------------------------------------
 *
 * test_assess.c
 *	  Unit tests of the assessment: lift, the verdict rules, the seeded
 *	  bootstrap interval, the learning-curve slope, and aml_train in
 *	  assessment mode on tables with signal, without signal (shuffled
 *	  target), with a planted copy of the target, and with 20 rows.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "harness.h"

static void
test_lift(void)
{
	CHECK_NEAR(aml_assess_perfect("roc_auc"), 1.0, 0);
	CHECK_NEAR(aml_assess_perfect("rmse"), 0.0, 0);
	CHECK(isnan(aml_assess_perfect("speed")));
	/* AUC 0.75 against 0.5 closes half the gap to 1 */
	CHECK_NEAR(aml_assess_lift("roc_auc", 0.75, 0.5), 0.5, 1e-12);
	/* rmse 2 against a baseline of 8 removes 75% of the error */
	CHECK_NEAR(aml_assess_lift("rmse", 2.0, 8.0), 0.75, 1e-12);
	CHECK_NEAR(aml_assess_lift("log_loss", 0.9, 0.6), -0.5, 1e-12);
	CHECK_NEAR(aml_assess_lift("accuracy", 0.86, 0.86), 0.0, 1e-12);
	/* undefined: a perfect baseline, a NaN score */
	CHECK(isnan(aml_assess_lift("accuracy", 1.0, 1.0)));
	CHECK(isnan(aml_assess_lift("roc_auc", NAN, 0.5)));
}

static aml_assess_facts
facts(double score, double lo, double hi, double base, int hib)
{
	aml_assess_facts f;

	memset(&f, 0, sizeof(f));
	f.rows_usable = 1000;
	f.higher_is_better = hib;
	f.score = score;
	f.score_low = lo;
	f.score_high = hi;
	f.baseline = base;
	f.lift = aml_assess_lift(hib ? "roc_auc" : "rmse", score, base);
	return f;
}

static void
test_verdict(void)
{
	aml_assess_facts f;

	/* by lift, when the interval clears the baseline */
	f = facts(0.9, 0.88, 0.92, 0.5, 1);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_STRONG);
	f = facts(0.75, 0.72, 0.78, 0.5, 1);	/* lift exactly 0.5 */
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_STRONG);
	f = facts(0.7, 0.65, 0.75, 0.5, 1);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_PROMISING);
	f = facts(0.55, 0.51, 0.59, 0.5, 1);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_WEAK);
	/* the interval touches or crosses the baseline */
	f = facts(0.55, 0.5, 0.6, 0.5, 1);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_NOT_APPLICABLE);
	f = facts(0.9, 0.45, 0.99, 0.5, 1);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_NOT_APPLICABLE);
	/* worse than the baseline, clearly */
	f = facts(0.3, 0.25, 0.35, 0.5, 1);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_NOT_APPLICABLE);
	/* lower is better: the interval must lie below the baseline */
	f = facts(2.0, 1.8, 2.2, 8.0, 0);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_STRONG);
	f = facts(7.0, 6.0, 8.1, 8.0, 0);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_NOT_APPLICABLE);
	f = facts(7.0, 6.5, 7.5, 8.0, 0);	/* lift 0.125 */
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_WEAK);
	/* data first: too few rows, a leak, no score */
	f = facts(0.9, 0.88, 0.92, 0.5, 1);
	f.rows_usable = AML_ASSESS_MIN_ROWS - 1;
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_DATA_NOT_READY);
	f.rows_usable = AML_ASSESS_MIN_ROWS;
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_STRONG);
	f.n_leaks = 1;
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_DATA_NOT_READY);
	f = facts(NAN, NAN, NAN, 0.5, 1);
	CHECK(aml_assess_verdict(&f) == AML_VERDICT_DATA_NOT_READY);
	CHECK(strcmp(aml_verdict_name(AML_VERDICT_NOT_APPLICABLE), "not_applicable") == 0);
	CHECK(strcmp(aml_verdict_name(AML_VERDICT_DATA_NOT_READY), "data_not_ready") == 0);
}

/* a binary problem: n rows, the score separates the classes with noise */
static void
binary_scores(int n, double noise, double *y, double *pred, double *base)
{
	uint64_t	s = 99;

	for (int i = 0; i < n; i++)
	{
		double		u;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		u = (double) (s >> 11) / 9007199254740992.0;
		y[i] = i % 3 == 0;
		pred[i] = noise * u + (1 - noise) * y[i];
		base[i] = 1.0 / 3;
	}
}

static void
test_bootstrap(void)
{
	aml_env		env;
	aml_error	err;
	double		y[400],
				p[400],
				b[400],
				iv[6],
				iv2[6];
	int			used;

	aml_env_init(&env);
	/* perfect separation: every resample scores 1 */
	binary_scores(400, 0.0, y, p, b);
	CHECK(aml_assess_bootstrap(&env, "roc_auc", AML_TASK_BINARY, 2, 400, y, p, b, 200, 7, iv, &used, &err) == AML_OK);
	CHECK(used == 200);
	CHECK_NEAR(iv[0], 1.0, 1e-12);
	CHECK_NEAR(iv[1], 1.0, 1e-12);
	CHECK_NEAR(iv[2], 0.5, 1e-12);	/* a constant score has AUC 0.5 */
	CHECK_NEAR(iv[3], 0.5, 1e-12);
	CHECK_NEAR(iv[4], 1.0, 1e-12);

	/* pure noise: the interval holds 0.5 and is a few hundredths wide */
	binary_scores(400, 1.0, y, p, b);
	CHECK(aml_assess_bootstrap(&env, "roc_auc", AML_TASK_BINARY, 2, 400, y, p, b, 500, 7, iv, &used, &err) == AML_OK);
	CHECK(iv[0] < 0.5 && iv[1] > 0.5);
	CHECK(iv[1] - iv[0] > 0.05 && iv[1] - iv[0] < 0.25);
	CHECK(iv[4] < 0 && iv[5] > 0);

	/* some signal: the point estimate lies inside; the seed decides */
	binary_scores(400, 0.8, y, p, b);
	CHECK(aml_assess_bootstrap(&env, "roc_auc", AML_TASK_BINARY, 2, 400, y, p, b, 500, 7, iv, &used, &err) == AML_OK);
	{
		double		auc = aml_metric_compute("roc_auc", AML_TASK_BINARY, 2, 400, y, p);

		CHECK(iv[0] < auc && auc < iv[1]);
		CHECK(iv[0] > 0.5);
	}
	CHECK(aml_assess_bootstrap(&env, "roc_auc", AML_TASK_BINARY, 2, 400, y, p, b, 500, 7, iv2, &used, &err) == AML_OK);
	CHECK(memcmp(iv, iv2, sizeof(iv)) == 0);
	CHECK(aml_assess_bootstrap(&env, "roc_auc", AML_TASK_BINARY, 2, 400, y, p, b, 500, 8, iv2, &used, &err) == AML_OK);
	CHECK(iv[0] != iv2[0] || iv[1] != iv2[1]);

	/* resamples with one class only are left out, not counted */
	{
		double		y5[5] = {1, 0, 0, 0, 0},
					p5[5] = {0.9, 0.1, 0.2, 0.3, 0.4};

		CHECK(aml_assess_bootstrap(&env, "roc_auc", AML_TASK_BINARY, 2, 5, y5, p5, NULL, 200, 1, iv, &used, &err) == AML_OK);
		CHECK(used > 0 && used < 200);
		CHECK_NEAR(iv[0], 1.0, 1e-12);
		CHECK(isnan(iv[2]) && isnan(iv[4]));
	}
	/* no rows: nothing, not a failure */
	CHECK(aml_assess_bootstrap(&env, "rmse", AML_TASK_REGRESSION, 0, 0, y, p, b, 100, 1, iv, &used, &err) == AML_OK);
	CHECK(used == 0 && isnan(iv[0]));
	CHECK(env.mem_used == 0);
}

static void
test_slope(void)
{
	double		rows[3] = {250, 500, 1000},
				up[3] = {0.5, 0.6, 0.7},
				flat[3] = {0.7, 0.7, 0.7},
				gap[3] = {0.5, NAN, 0.7};

	CHECK_NEAR(aml_assess_slope(3, rows, up), 0.1, 1e-12);
	CHECK_NEAR(aml_assess_slope(3, rows, flat), 0.0, 1e-12);
	CHECK_NEAR(aml_assess_slope(3, rows, gap), 0.1, 1e-12);
	CHECK(isnan(aml_assess_slope(1, rows, up)));
}

/*
 * make_frame: x1, x2 numeric, c categorical, y binary from x1 and c;
 * shuffle: y is permuted (no signal left); leak: a column "copy" equal
 * to y.
 */
static aml_frame *
make_frame(aml_env *env, int n, int shuffle, int leak)
{
	aml_error	err;
	aml_frame  *f = aml_frame_create(env, &err);
	static const char *const lv[] = {"a", "b", "c"};
	uint64_t	s = 4242;
	int		   *ys = malloc(sizeof(int) * n);

	aml_frame_add_column(f, "x1", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "x2", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "c", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	if (leak)
		aml_frame_add_column(f, "copy", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_reserve(f, n, &err);
	for (int i = 0; i < n; i++)
	{
		double		x1,
					x2;
		int			c;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		x1 = (double) (s >> 11) / 9007199254740992.0 * 10.0;
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		x2 = (double) (s >> 11) / 9007199254740992.0;
		c = (int) ((s >> 5) % 3);
		aml_frame_set_numeric(f, 0, i, x1);
		aml_frame_set_numeric(f, 1, i, x2);
		aml_frame_set_code(f, 2, i, aml_frame_level_code(f, 2, lv[c], 1, &err));
		ys[i] = (x1 + 2 * c + 3 * x2 > 7.5);
	}
	if (shuffle)
		for (int i = n - 1; i > 0; i--)
		{
			int			j,
						t;

			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			j = (int) ((s >> 17) % (uint64_t) (i + 1));
			t = ys[i];
			ys[i] = ys[j];
			ys[j] = t;
		}
	for (int i = 0; i < n; i++)
	{
		const char *lab = ys[i] ? "yes" : "no";

		aml_frame_set_code(f, 3, i, aml_frame_level_code(f, 3, lab, strlen(lab), &err));
		if (leak)
			aml_frame_set_code(f, 4, i, aml_frame_level_code(f, 4, lab, strlen(lab), &err));
	}
	aml_frame_set_rows(f, n);
	free(ys);
	return f;
}

/* assess runs aml_train in assessment mode and returns the diagnostics */
static char *
assess(int n, int shuffle, int leak)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	char	   *buf = NULL;
	size_t		len;

	aml_env_init(&env);
	f = make_frame(&env, n, shuffle, leak);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.assess = 1;
	o.budget_seconds = 20;
	o.algorithms = (1u << AML_ALGO_BASELINE) | (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_DECISION_TREE);
	memset(&err, 0, sizeof(err));
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (r)
	{
		len = aml_report_json(r, "diagnostics", NULL, 0);
		buf = malloc(len + 1);
		aml_report_json(r, "diagnostics", buf, len + 1);
	}
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
	return buf;
}

static void
test_train_assess(void)
{
	char	   *d;

	/* real signal: strong, a full learning curve, no leak */
	d = assess(1000, 0, 0);
	CHECK(d && strstr(d, "\"assessment\":{\"verdict\":\"strong\"") != NULL);
	CHECK(d && strstr(d, "\"suspects\":[]") != NULL);
	CHECK(d && strstr(d, "\"more_data_helps\":null") == NULL);
	CHECK(d && strstr(d, "\"budget_short\":false") != NULL);
	CHECK(d && strstr(d, "\"rows_usable\":1000") != NULL);
	free(d);

	/* the same table with the target shuffled: nothing to learn */
	d = assess(1000, 1, 0);
	CHECK(d && strstr(d, "\"verdict\":\"not_applicable\"") != NULL);
	free(d);

	/* a planted copy of the target */
	d = assess(1000, 0, 1);
	CHECK(d && strstr(d, "\"verdict\":\"data_not_ready\"") != NULL);
	CHECK(d && strstr(d, "\"suspects\":[\"copy\"]") != NULL);
	CHECK(d && strstr(d, "Column \\\"copy\\\" alone predicts") != NULL);
	free(d);

	/* 20 rows */
	d = assess(20, 0, 0);
	CHECK(d && strstr(d, "\"verdict\":\"data_not_ready\"") != NULL);
	CHECK(d && strstr(d, "Only 20 rows have a target") != NULL);
	free(d);
}

int
main(void)
{
	RUN(test_lift);
	RUN(test_verdict);
	RUN(test_bootstrap);
	RUN(test_slope);
	RUN(test_train_assess);
	DONE();
}
