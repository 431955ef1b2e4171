/*-------------------------------------------------------------------------
 *
 * test_bias.c
 *	  Unit tests of bias.c: every column of the bias table on small tables
 *	  whose values are worked out by hand in the comments (binary with a
 *	  missing label, threshold, the other positive class, an explicit
 *	  reference, multiclass one-vs-rest, regression), undefined values as
 *	  NaN, the minimum group size, bad options, the quantile bins and
 *	  their labels, and the sensitive columns of aml_train (left out of
 *	  the features, their tables in the diagnostics, refused when they
 *	  cannot be compared).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "aml_int.h"
#include "harness.h"

/* report_section returns a section of the report as a malloc'd string */
static char *
report_section(const aml_report *r, const char *section)
{
	size_t		n = aml_report_json(r, section, NULL, 0);
	char	   *buf = malloc(n + 1);

	aml_report_json(r, section, buf, n + 1);
	return buf;
}

#define TOL 1e-12

/*
 * The binary table: group A (index 0) and B (index 1), positive class 1.
 *	 A: (y, p) = (1, .9) TP, (1, .6) TP, (1, .3) FN, (0, .7) FP, (0, .2) TN,
 *		(0, .1) TN
 *	 B: (1, .8) TP, (1, .4) FN, (0, .45) TN, (0, .5) FP (p >= 0.5 is
 *		positive), (NaN, .1) unlabelled, predicted negative
 */
static const int32_t bin_group[11] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
static const double bin_y[11] = {1, 1, 1, 0, 0, 0, 1, 1, 0, 0, NAN};
static const double bin_p[11] = {.9, .6, .3, .7, .2, .1, .8, .4, .45, .5, .1};

static void
test_binary(void)
{
	aml_env		env;
	aml_bias_options o;
	aml_bias_row r[2];
	aml_error	err;
	const aml_bias_row *a = &r[0],
			   *b = &r[1];

	aml_env_init(&env);
	aml_bias_options_init(&o);
	CHECK(aml_bias_n_rows(&o, 2) == 2);
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_OK);

	/* A: 6 rows, 3 positive labels, 3 predicted positive, 4 right */
	CHECK(a->group == 0 && a->cls == -1 && a->rows == 6 && a->labelled == 6);
	CHECK(a->is_reference);		/* the largest group */
	CHECK_NEAR(a->share, 6.0 / 11, TOL);
	CHECK_NEAR(a->label_positive_rate, 0.5, TOL);
	CHECK_NEAR(a->predicted_positive_rate, 0.5, TOL);
	CHECK_NEAR(a->accuracy, 4.0 / 6, TOL);
	CHECK_NEAR(a->tpr, 2.0 / 3, TOL);
	CHECK_NEAR(a->fpr, 1.0 / 3, TOL);
	CHECK_NEAR(a->precision, 2.0 / 3, TOL);
	CHECK_NEAR(a->disparate_impact, 1.0, TOL);
	CHECK_NEAR(a->demographic_parity_difference, 0.0, TOL);
	CHECK_NEAR(a->equal_opportunity_difference, 0.0, TOL);
	CHECK_NEAR(a->average_odds_difference, 0.0, TOL);
	CHECK(!a->flagged);
	CHECK(isnan(a->mean_prediction) && isnan(a->mae) && isnan(a->mae_difference));

	/* B: 5 rows, 4 labelled (2 positive), 2 of 5 predicted positive */
	CHECK(b->rows == 5 && b->labelled == 4 && !b->is_reference);
	CHECK_NEAR(b->share, 5.0 / 11, TOL);
	CHECK_NEAR(b->label_positive_rate, 0.5, TOL);
	CHECK_NEAR(b->predicted_positive_rate, 0.4, TOL);
	CHECK_NEAR(b->accuracy, 0.5, TOL);
	CHECK_NEAR(b->tpr, 0.5, TOL);
	CHECK_NEAR(b->fpr, 0.5, TOL);
	CHECK_NEAR(b->precision, 0.5, TOL);
	CHECK_NEAR(b->disparate_impact, 0.4 / 0.5, TOL);
	CHECK_NEAR(b->demographic_parity_difference, 0.4 - 0.5, TOL);
	CHECK_NEAR(b->equal_opportunity_difference, 0.5 - 2.0 / 3, TOL);
	CHECK_NEAR(b->average_odds_difference, 0.5 * ((0.5 - 1.0 / 3) + (0.5 - 2.0 / 3)), TOL);
	/* |equal opportunity difference| = 1/6 > 0.1, but B has < 30 rows */
	CHECK(!b->flagged);

	/* with groups of any size counted, B is flagged */
	o.min_rows = 5;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_OK);
	CHECK(b->flagged && !a->flagged);
	o.min_rows = 6;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_OK);
	CHECK(!b->flagged);

	/* without labels: only the prediction-based values */
	o.min_rows = 1;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, NULL, bin_p, r, &err) == AML_OK);
	CHECK(b->labelled == 0);
	CHECK_NEAR(b->predicted_positive_rate, 0.4, TOL);
	CHECK_NEAR(b->disparate_impact, 0.8, TOL);
	CHECK(isnan(b->label_positive_rate) && isnan(b->accuracy) && isnan(b->tpr) &&
		  isnan(b->fpr) && isnan(b->precision));
	CHECK(isnan(b->equal_opportunity_difference) && isnan(b->average_odds_difference));
	CHECK(!b->flagged);			/* 0.8 is inside the four-fifths band */
	CHECK(env.mem_used == 0);
}

static void
test_binary_options(void)
{
	aml_env		env;
	aml_bias_options o;
	aml_bias_row r[2];
	aml_error	err;

	aml_env_init(&env);

	/*
	 * threshold 0.65: A predicts .9 (TP) and .7 (FP) positive, B only .8
	 * (TP): rates 2/6 and 1/5, disparate impact 0.2 / (1/3) = 0.6
	 */
	aml_bias_options_init(&o);
	o.threshold = 0.65;
	o.min_rows = 1;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_OK);
	CHECK_NEAR(r[0].predicted_positive_rate, 2.0 / 6, TOL);
	CHECK_NEAR(r[0].tpr, 1.0 / 3, TOL);
	CHECK_NEAR(r[0].fpr, 1.0 / 3, TOL);
	CHECK_NEAR(r[0].precision, 0.5, TOL);
	CHECK_NEAR(r[1].predicted_positive_rate, 0.2, TOL);
	CHECK_NEAR(r[1].tpr, 0.5, TOL);
	CHECK_NEAR(r[1].fpr, 0.0, TOL);
	CHECK_NEAR(r[1].precision, 1.0, TOL);
	CHECK_NEAR(r[1].accuracy, 3.0 / 4, TOL);
	CHECK_NEAR(r[1].disparate_impact, 0.6, TOL);
	CHECK(r[1].flagged);

	/*
	 * positive class 0: positive when 1 - p >= 0.5, labels 0 are positive.
	 * A: predicted positive at p = .3, .2, .1: TP 2 (.2, .1), FP 1 (.3),
	 * FN 1 (.7), TN 2 (.9, .6).  B: predicted positive at p = .4, .45, .5
	 * and .1 (unlabelled): TP 2 (.45, .5), FP 1 (.4), TN 1 (.8).
	 */
	aml_bias_options_init(&o);
	o.positive = 0;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_OK);
	CHECK_NEAR(r[0].predicted_positive_rate, 0.5, TOL);
	CHECK_NEAR(r[0].label_positive_rate, 0.5, TOL);
	CHECK_NEAR(r[0].tpr, 2.0 / 3, TOL);
	CHECK_NEAR(r[0].fpr, 1.0 / 3, TOL);
	CHECK_NEAR(r[1].predicted_positive_rate, 4.0 / 5, TOL);
	CHECK_NEAR(r[1].tpr, 1.0, TOL);
	CHECK_NEAR(r[1].fpr, 0.5, TOL);
	CHECK_NEAR(r[1].precision, 2.0 / 3, TOL);
	CHECK_NEAR(r[1].disparate_impact, 0.8 / 0.5, TOL);

	/* B as the reference */
	aml_bias_options_init(&o);
	o.reference = 1;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_OK);
	CHECK(!r[0].is_reference && r[1].is_reference);
	CHECK_NEAR(r[0].disparate_impact, 0.5 / 0.4, TOL);
	CHECK_NEAR(r[0].equal_opportunity_difference, 2.0 / 3 - 0.5, TOL);
	CHECK_NEAR(r[1].demographic_parity_difference, 0.0, TOL);
	CHECK(env.mem_used == 0);
}

/*
 * Undefined rates: a group with no positive labels has no TPR, one with
 * no predicted positives no precision, and a reference that predicts no
 * positive gives no disparate impact.
 */
static void
test_undefined(void)
{
	aml_env		env;
	aml_bias_options o;
	aml_bias_row r[2];
	aml_error	err;
	/* group 0: all predicted negative, labels 0 and 1; group 1: labels 0 */
	int32_t		g[5] = {0, 0, 0, 1, 1};
	double		y[5] = {1, 0, 0, 0, 0};
	double		p[5] = {.1, .2, .3, .9, .1};

	aml_env_init(&env);
	aml_bias_options_init(&o);
	o.min_rows = 1;
	CHECK(aml_bias_compute(&env, &o, 5, g, 2, y, p, r, &err) == AML_OK);
	CHECK(r[0].is_reference);
	CHECK_NEAR(r[0].predicted_positive_rate, 0.0, TOL);
	CHECK(isnan(r[0].precision));
	CHECK_NEAR(r[0].tpr, 0.0, TOL);
	CHECK(isnan(r[1].tpr));		/* no positive label in group 1 */
	CHECK_NEAR(r[1].fpr, 0.5, TOL);
	CHECK(isnan(r[1].disparate_impact));	/* 0.5 / 0 */
	CHECK_NEAR(r[1].demographic_parity_difference, 0.5, TOL);
	CHECK(isnan(r[1].equal_opportunity_difference));
	CHECK(isnan(r[1].average_odds_difference));
	CHECK(!r[1].flagged);		/* nothing defined crosses a limit */
}

/*
 * Multiclass, 3 classes, one-vs-rest; predicted class = most probable.
 *	 group 0: y 0 pred 0, y 1 pred 1, y 2 pred 1, y 0 pred 2
 *	 group 1: y 1 pred 1, y 2 pred 2
 */
static void
test_multiclass(void)
{
	aml_env		env;
	aml_bias_options o;
	aml_bias_row r[6];
	aml_error	err;
	int32_t		g[6] = {0, 0, 0, 0, 1, 1};
	double		y[6] = {0, 1, 2, 0, 1, 2};
	double		p[18] = {
		.7, .2, .1,
		.1, .8, .1,
		.2, .5, .3,
		.3, .3, .4,
		.2, .6, .2,
		.1, .1, .8
	};

	aml_env_init(&env);
	aml_bias_options_init(&o);
	o.task = AML_TASK_MULTICLASS;
	o.n_classes = 3;
	o.min_rows = 1;
	CHECK(aml_bias_n_rows(&o, 2) == 6);
	CHECK(aml_bias_compute(&env, &o, 6, g, 2, y, p, r, &err) == AML_OK);
	/* group 0, class 0: labels 0 at rows 1 and 4; predicted 0 at row 1 */
	CHECK(r[0].group == 0 && r[0].cls == 0 && r[0].is_reference);
	CHECK_NEAR(r[0].label_positive_rate, 0.5, TOL);
	CHECK_NEAR(r[0].predicted_positive_rate, 0.25, TOL);
	CHECK_NEAR(r[0].tpr, 0.5, TOL);
	CHECK_NEAR(r[0].fpr, 0.0, TOL);
	CHECK_NEAR(r[0].accuracy, 0.75, TOL);
	/* group 0, class 1: predicted at rows 2 and 3 (one right) */
	CHECK(r[1].cls == 1);
	CHECK_NEAR(r[1].predicted_positive_rate, 0.5, TOL);
	CHECK_NEAR(r[1].precision, 0.5, TOL);
	CHECK_NEAR(r[1].tpr, 1.0, TOL);
	CHECK_NEAR(r[1].fpr, 1.0 / 3, TOL);
	/* group 1, class 0: never predicted nor labelled */
	CHECK(r[3].group == 1 && r[3].cls == 0 && !r[3].is_reference);
	CHECK_NEAR(r[3].predicted_positive_rate, 0.0, TOL);
	CHECK(isnan(r[3].tpr));
	CHECK_NEAR(r[3].disparate_impact, 0.0, TOL);
	CHECK(r[3].flagged);
	/* group 1, class 2: right; against group 0's rate 1/4 */
	CHECK(r[5].cls == 2);
	CHECK_NEAR(r[5].predicted_positive_rate, 0.5, TOL);
	CHECK_NEAR(r[5].disparate_impact, 2.0, TOL);
	CHECK_NEAR(r[5].tpr, 1.0, TOL);
	/* group 0's one class-2 label (row 3) was predicted 1: TPR 0 */
	CHECK_NEAR(r[5].equal_opportunity_difference, 1.0, TOL);

	/* one class only */
	o.cls = 1;
	CHECK(aml_bias_n_rows(&o, 2) == 2);
	CHECK(aml_bias_compute(&env, &o, 6, g, 2, y, p, r, &err) == AML_OK);
	CHECK(r[0].cls == 1 && r[1].cls == 1 && r[1].group == 1);
	CHECK_NEAR(r[0].predicted_positive_rate, 0.5, TOL);
	CHECK_NEAR(r[1].predicted_positive_rate, 0.5, TOL);
	CHECK_NEAR(r[1].disparate_impact, 1.0, TOL);
	CHECK(env.mem_used == 0);
}

/*
 * Regression: group 0 (y, pred) = (10, 12), (20, 17), (30, 30);
 * group 1 = (5, 9), (NaN, 100).
 */
static void
test_regression(void)
{
	aml_env		env;
	aml_bias_options o;
	aml_bias_row r[2];
	aml_error	err;
	int32_t		g[5] = {0, 0, 0, 1, 1};
	double		y[5] = {10, 20, 30, 5, NAN};
	double		p[5] = {12, 17, 30, 9, 100};

	aml_env_init(&env);
	aml_bias_options_init(&o);
	o.task = AML_TASK_REGRESSION;
	o.n_classes = 0;
	o.min_rows = 1;
	CHECK(aml_bias_compute(&env, &o, 5, g, 2, y, p, r, &err) == AML_OK);
	CHECK(r[0].is_reference && r[0].rows == 3 && r[0].labelled == 3);
	CHECK_NEAR(r[0].mean_prediction, 59.0 / 3, TOL);
	CHECK_NEAR(r[0].mean_actual, 20.0, TOL);
	CHECK_NEAR(r[0].mae, 5.0 / 3, TOL);	/* |-2| + |3| + 0 */
	CHECK_NEAR(r[0].rmse, sqrt(13.0 / 3), TOL);
	CHECK_NEAR(r[0].mean_residual, 1.0 / 3, TOL);	/* (-2 + 3 + 0) / 3 */
	CHECK(isnan(r[0].predicted_positive_rate) && isnan(r[0].disparate_impact));
	CHECK(r[1].rows == 2 && r[1].labelled == 1);
	CHECK_NEAR(r[1].share, 0.4, TOL);
	CHECK_NEAR(r[1].mean_prediction, 54.5, TOL);	/* every row counts */
	CHECK_NEAR(r[1].mean_actual, 5.0, TOL);
	CHECK_NEAR(r[1].mae, 4.0, TOL);
	CHECK_NEAR(r[1].rmse, 4.0, TOL);
	CHECK_NEAR(r[1].mean_residual, -4.0, TOL);
	CHECK_NEAR(r[1].mean_prediction_difference, 54.5 - 59.0 / 3, TOL);
	CHECK_NEAR(r[1].mae_difference, 4.0 - 5.0 / 3, TOL);
	CHECK_NEAR(r[1].rmse_difference, 4.0 - sqrt(13.0 / 3), TOL);
	CHECK_NEAR(r[1].mean_residual_difference, -4.0 - 1.0 / 3, TOL);
	CHECK(r[1].flagged);		/* MAE 2.4 times the reference's */
	CHECK(!r[0].flagged);
	CHECK(env.mem_used == 0);
}

static void
test_errors(void)
{
	aml_env		env;
	aml_bias_options o;
	aml_bias_row r[2];
	aml_error	err;
	int32_t		bad_group[2] = {0, 2};
	double		bad_y[2] = {0, 0.5};
	double		p[2] = {.5, .5};
	int32_t		g[2] = {0, 0};

	aml_env_init(&env);
	aml_bias_options_init(&o);
	o.threshold = 1.0;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "threshold") != NULL);
	aml_bias_options_init(&o);
	o.positive = 2;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_EINVAL);
	aml_bias_options_init(&o);
	o.reference = 2;
	CHECK(aml_bias_compute(&env, &o, 11, bin_group, 2, bin_y, bin_p, r, &err) == AML_EINVAL);
	aml_bias_options_init(&o);
	CHECK(aml_bias_compute(&env, &o, 2, bad_group, 2, NULL, p, r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "group index") != NULL);
	CHECK(aml_bias_compute(&env, &o, 2, g, 1, bad_y, p, r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "class index") != NULL);
	/* a reference with no rows */
	o.reference = 1;
	CHECK(aml_bias_compute(&env, &o, 2, g, 2, NULL, p, r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "no rows") != NULL);
	aml_bias_options_init(&o);
	o.task = AML_TASK_MULTICLASS;
	o.n_classes = 3;
	o.cls = 3;
	CHECK(aml_bias_compute(&env, &o, 2, g, 1, NULL, p, r, &err) == AML_EINVAL);
	CHECK(env.mem_used == 0);
}

static void
test_bins(void)
{
	aml_env		env;
	aml_error	err;
	double		e[7];
	int			k;
	char		buf[128];
	double		v[9] = {8, 1, 7, 2, NAN, 6, 3, 5, 4};
	double		ties[8] = {1, 1, 1, 1, 1, 1, 2, 3};
	double		same[3] = {4, 4, NAN};
	float		tenth = 0.1f;

	aml_env_init(&env);
	/* 1..8 in 4 bins: edges at the sorted values 2, 4, 6 (0-based) */
	CHECK(aml_bias_quantile_edges(&env, v, 9, 4, e, &k, &err) == AML_OK);
	CHECK(k == 3);
	CHECK(e[0] == 3 && e[1] == 5 && e[2] == 7);
	CHECK(aml_bias_bin_of(e, k, 1) == 0);
	CHECK(aml_bias_bin_of(e, k, 2.999) == 0);
	CHECK(aml_bias_bin_of(e, k, 3) == 1);
	CHECK(aml_bias_bin_of(e, k, 6) == 2);
	CHECK(aml_bias_bin_of(e, k, 7) == 3);
	CHECK(aml_bias_bin_of(e, k, 100) == 3);
	aml_bias_bin_label(e, k, 0, 1, 8, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "[1, 3)") == 0);
	aml_bias_bin_label(e, k, 2, 1, 8, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "[5, 7)") == 0);
	aml_bias_bin_label(e, k, 3, 1, 8, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "[7, 8]") == 0);
	/* whole numbers without an exponent, huge ones with one */
	e[0] = 30;
	aml_bias_bin_label(e, 1, 1, 0, 365, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "[30, 365]") == 0);
	e[0] = 1e20;
	aml_bias_bin_label(e, 1, 0, -1200000, 2, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "[-1200000, 1e+20)") == 0);

	/* ties: edges at the minimum and repeated ones are dropped */
	CHECK(aml_bias_quantile_edges(&env, ties, 8, 4, e, &k, &err) == AML_OK);
	CHECK(k == 1 && e[0] == 2);
	/* one distinct value: no edge, a single bin */
	CHECK(aml_bias_quantile_edges(&env, same, 3, 4, e, &k, &err) == AML_OK);
	CHECK(k == 0);
	aml_bias_bin_label(e, k, 0, 4, 4, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "[4, 4]") == 0);
	CHECK(aml_bias_quantile_edges(&env, same, 3, 1, e, &k, &err) == AML_EINVAL);

	/* float columns print as the float they hold */
	e[0] = (double) tenth;
	aml_bias_bin_label(e, 1, 0, -2.5, 3, 1, buf, sizeof(buf));
	CHECK(strcmp(buf, "[-2.5, 0.1)") == 0);
	aml_bias_bin_label(e, 1, 0, -2.5, 3, 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "[-2.5, 0.10000000149011612)") == 0);
	CHECK(env.mem_used == 0);
}

/*
 * A frame of 300 rows: g (categorical "a"/"b", the label's main cause), x
 * (numeric), one (a single value), y (categorical target "n"/"p").
 */
static aml_frame *
sensitive_frame(aml_env *env)
{
	aml_error	err;
	aml_frame  *f = aml_frame_create(env, &err);

	aml_frame_add_column(f, "g", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_add_column(f, "x", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "one", AML_COL_NUMERIC, "int4", 1, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_reserve(f, 300, &err);
	for (int i = 0; i < 300; i++)
	{
		int			b = i % 3 == 0;
		double		x = (double) ((i * 37) % 100) / 100.0;
		const char *lab = (b ? 0.6 : 0.0) + x > 0.7 ? "p" : "n";

		aml_frame_set_code(f, 0, i, aml_frame_level_code(f, 0, b ? "b" : "a", 1, &err));
		aml_frame_set_numeric(f, 1, i, x);
		aml_frame_set_numeric(f, 2, i, 1);
		aml_frame_set_code(f, 3, i, aml_frame_level_code(f, 3, lab, 1, &err));
	}
	aml_frame_set_rows(f, 300);
	return f;
}

static void
test_train_sensitive(void)
{
	aml_env		env;
	aml_error	err;
	aml_frame  *f;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	int			sens[1] = {0};
	char	   *diag,
			   *feat;

	aml_env_init(&env);
	f = sensitive_frame(&env);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.manual = 1;
	o.manual_algo = AML_ALGO_DECISION_TREE;
	o.sensitive = sens;
	o.n_sensitive = 1;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
		return;
	/* g is not an input; its table is in the diagnostics */
	CHECK(aml_model_n_inputs(m) == 1 && strcmp(aml_model_input_name(m, 0), "x") == 0);
	diag = report_section(r, "diagnostics");
	feat = report_section(r, "features");
	CHECK(strstr(diag, "\"bias\":[{\"sensitive\":\"g\"") != NULL);
	CHECK(strstr(diag, "\"used_as_feature\":false") != NULL);
	CHECK(strstr(diag, "\"positive\":\"p\"") != NULL);
	CHECK(strstr(diag, "\"group_value\":\"a\"") != NULL);
	CHECK(strstr(diag, "\"group_value\":\"b\"") != NULL);
	CHECK(strstr(feat, "\"role\":\"dropped\",\"reason\":\"sensitive\",\"sensitive\":true") != NULL);
	free(diag);
	free(feat);
	aml_model_free(m);
	aml_report_free(r);

	/* use_sensitive: g stays an input, and says so */
	o.use_sensitive = 1;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
		return;
	CHECK(aml_model_n_inputs(m) == 2);
	diag = report_section(r, "diagnostics");
	CHECK(strstr(diag, "\"used_as_feature\":true") != NULL);
	free(diag);
	aml_model_free(m);
	aml_report_free(r);

	/* no sensitive column: no bias section */
	o.n_sensitive = 0;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
		return;
	diag = report_section(r, "diagnostics");
	CHECK(strstr(diag, "bias") == NULL);
	free(diag);
	aml_model_free(m);
	aml_report_free(r);

	/* the target, and a column with one value, are refused */
	o.n_sensitive = 1;
	sens[0] = 3;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "is the target") != NULL);
	sens[0] = 2;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "has a single value") != NULL);
	CHECK(m == NULL && r == NULL);
	aml_frame_free(f);
}

int
main(void)
{
	RUN(test_binary);
	RUN(test_binary_options);
	RUN(test_undefined);
	RUN(test_multiclass);
	RUN(test_regression);
	RUN(test_errors);
	RUN(test_bins);
	RUN(test_train_sensitive);
	DONE();
}
