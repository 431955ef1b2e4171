/*-------------------------------------------------------------------------
 *
 * test_metrics.c
 *	  Unit tests of metrics.c: every metric against values computed by hand
 *	  on small vectors, the ranking metrics against a brute-force reference
 *	  on random data with many ties, and the metric catalogue (names,
 *	  direction, validity per task, defaults).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "aml_int.h"
#include "harness.h"

#define TOL 1e-12
#define NELEM(a) ((int64_t) (sizeof(a) / sizeof((a)[0])))

/* shorthand for the three tasks */
#define BIN AML_TASK_BINARY
#define MULTI AML_TASK_MULTICLASS
#define REG AML_TASK_REGRESSION

/*
 * metric computes a binary or regression metric (one output per row).
 */
static double
metric(const char *name, aml_task task, int64_t n, const double *y,
	   const double *pred)
{
	return aml_metric_compute(name, task, task == BIN ? 2 : 0, n, y, pred);
}

/*
 * brute_auc computes AUC by comparing every positive with every negative.
 */
static double
brute_auc(int64_t n, const double *y, const double *p)
{
	double		num = 0;
	double		pairs = 0;

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < n; j++)
			if (y[i] == 1 && y[j] == 0)
			{
				pairs++;
				num += p[i] > p[j] ? 1.0 : p[i] == p[j] ? 0.5 : 0.0;
			}
	return num / pairs;
}

/*
 * brute_ap computes average precision by thresholding at every distinct
 * score (from the highest down) and recounting the confusion matrix.
 */
static double
brute_ap(int64_t n, const double *y, const double *p)
{
	double		ap = 0;
	double		prev_recall = 0;
	double		n_pos = 0;
	double		thr = INFINITY;

	for (int64_t i = 0; i < n; i++)
		n_pos += y[i] == 1;
	for (;;)
	{
		double		next = -INFINITY;
		double		tp = 0;
		double		fp = 0;

		/* the largest score below the current threshold */
		for (int64_t i = 0; i < n; i++)
			if (p[i] < thr && p[i] > next)
				next = p[i];
		if (next == -INFINITY)
			break;
		thr = next;
		for (int64_t i = 0; i < n; i++)
			if (p[i] >= thr)
			{
				tp += y[i] == 1;
				fp += y[i] != 1;
			}
		ap += (tp / n_pos - prev_recall) * (tp / (tp + fp));
		prev_recall = tp / n_pos;
	}
	return ap;
}

/* ---------------------------------------------------------------- binary */

static void
test_roc_auc_simple(void)
{
	double		y[] = {0, 0, 1, 1};
	double		p[] = {0.1, 0.4, 0.35, 0.8};
	double		rev[] = {0.9, 0.8, 0.2, 0.1};

	/* 3 of the 4 positive/negative pairs are ordered correctly */
	CHECK_NEAR(metric("roc_auc", BIN, 4, y, p), 0.75, TOL);
	CHECK_NEAR(metric("roc_auc", BIN, 4, y, y), 1.0, TOL);
	CHECK_NEAR(metric("roc_auc", BIN, 4, y, rev), 0.0, TOL);
}

static void
test_roc_auc_ties(void)
{
	double		y[] = {0, 1, 0, 1};
	double		p[] = {0.5, 0.5, 0.2, 0.9};
	double		same[] = {0.3, 0.3, 0.3, 0.3};

	/* pairs: (0.5,0.5) tie = 0.5, (0.5,0.2) 1, (0.9,0.5) 1, (0.9,0.2) 1 */
	CHECK_NEAR(metric("roc_auc", BIN, 4, y, p), 3.5 / 4, TOL);
	/* all scores tied: every pair counts half */
	CHECK_NEAR(metric("roc_auc", BIN, 4, y, same), 0.5, TOL);
}

static void
test_roc_auc_undefined(void)
{
	double		ones[] = {1, 1, 1};
	double		zeros[] = {0, 0, 0};
	double		p[] = {0.1, 0.5, 0.9};
	double		bad_y[] = {0, 2, 1};
	double		nan_p[] = {0.1, NAN, 0.9};
	double		y[] = {0, 1, 1};

	CHECK(isnan(metric("roc_auc", BIN, 3, ones, p)));
	CHECK(isnan(metric("roc_auc", BIN, 3, zeros, p)));
	CHECK(isnan(metric("roc_auc", BIN, 3, bad_y, p)));
	CHECK(isnan(metric("roc_auc", BIN, 3, y, nan_p)));
	CHECK(isnan(metric("roc_auc", BIN, 0, y, p)));
	CHECK(isnan(metric("pr_auc", BIN, 3, zeros, p)));
}

/*
 * ranking_vs_brute_force checks n rows: below RADIX_MIN_ROWS (4096) the
 * pairs are sorted by qsort, above by the radix sort, whose keys must
 * order negative scores, zero of both signs and ties as the comparator.
 */
static void
ranking_vs_brute_force(int n)
{
	static double y[6000],
				p[6000],
				y2[6000],
				p2[6000];
	static int64_t perm[6000];
	aml_rng		rng;
	double		auc;
	double		ap;

	aml_rng_seed(&rng, 7);
	for (int i = 0; i < n; i++)
	{
		y[i] = aml_rng_uniform(&rng) < 0.3 ? 1 : 0;
		/* scores rounded to tenths: many ties, correlated with the label */
		p[i] = round((0.5 * aml_rng_uniform(&rng) + 0.4 * y[i]) * 10) / 10 - 0.3;
		if (p[i] == 0.0 && i % 2)
			p[i] = -0.0;
		perm[i] = i;
	}
	auc = metric("roc_auc", BIN, n, y, p);
	ap = metric("pr_auc", BIN, n, y, p);
	CHECK_NEAR(auc, brute_auc(n, y, p), 1e-12);
	CHECK_NEAR(ap, brute_ap(n, y, p), 1e-12);
	CHECK(auc > 0.5 && auc < 1.0);

	/* the order of the rows does not change the result, bit for bit */
	aml_rng_shuffle(&rng, perm, n);
	for (int i = 0; i < n; i++)
	{
		y2[i] = y[perm[i]];
		p2[i] = p[perm[i]];
	}
	CHECK(metric("roc_auc", BIN, n, y2, p2) == auc);
	CHECK(metric("pr_auc", BIN, n, y2, p2) == ap);
}

static void
test_ranking_vs_brute_force(void)
{
	ranking_vs_brute_force(500);
	ranking_vs_brute_force(6000);
}

static void
test_pr_auc(void)
{
	double		y[] = {0, 0, 1, 1};
	double		p[] = {0.1, 0.4, 0.35, 0.8};
	double		ty[] = {1, 0, 1};
	double		tp[] = {0.5, 0.5, 0.2};
	double		all_pos[] = {1, 1};
	double		any[] = {0.2, 0.7};

	/* thresholds 0.8: P=1 R=.5; 0.4: P=.5 R=.5; 0.35: P=2/3 R=1 */
	CHECK_NEAR(metric("pr_auc", BIN, 4, y, p), 0.5 * 1 + 0.5 * 2.0 / 3, TOL);
	/* tied group first: P=.5 R=.5; then P=2/3 R=1 */
	CHECK_NEAR(metric("pr_auc", BIN, 3, ty, tp), 0.25 + 0.5 * 2.0 / 3, TOL);
	CHECK_NEAR(metric("pr_auc", BIN, 4, y, y), 1.0, TOL);
	CHECK_NEAR(metric("pr_auc", BIN, 2, all_pos, any), 1.0, TOL);
}

static void
test_binary_log_loss(void)
{
	double		y[] = {1, 0};
	double		p[] = {0.8, 0.3};
	double		y1[] = {1};
	double		p0[] = {0.0};
	double		y0[] = {0};
	double		p1[] = {1.0};
	double		v;

	CHECK_NEAR(metric("log_loss", BIN, 2, y, p), -(log(0.8) + log(0.7)) / 2, TOL);
	/* a confident wrong answer is clipped, not infinite */
	v = metric("log_loss", BIN, 1, y1, p0);
	CHECK(isfinite(v));
	CHECK_NEAR(v, -log(1e-15), 1e-9);
	v = metric("log_loss", BIN, 1, y0, p1);
	CHECK(isfinite(v));
	CHECK_NEAR(v, -log(1e-15), 0.2);
	/* a confident right answer costs (almost) nothing */
	CHECK_NEAR(metric("log_loss", BIN, 1, y1, p1), 0.0, 1e-14);
}

static void
test_binary_thresholded(void)
{
	double		y[] = {1, 1, 0, 0, 1};
	double		p[] = {0.9, 0.4, 0.6, 0.1, 0.5};

	/* predicted 1,0,1,0,1 (0.5 is positive): tp 2, fn 1, fp 1, tn 1 */
	CHECK_NEAR(metric("accuracy", BIN, 5, y, p), 0.6, TOL);
	CHECK_NEAR(metric("precision", BIN, 5, y, p), 2.0 / 3, TOL);
	CHECK_NEAR(metric("recall", BIN, 5, y, p), 2.0 / 3, TOL);
	CHECK_NEAR(metric("f1", BIN, 5, y, p), 2.0 / 3, TOL);
}

static void
test_binary_zero_positives(void)
{
	double		y[] = {1, 0, 1};
	double		low[] = {0.1, 0.2, 0.3};
	double		neg[] = {0, 0};
	double		p[] = {0.1, 0.2};
	double		y2[] = {1, 0, 0, 0};
	double		p2[] = {0.9, 0.8, 0.1, 0.2};

	/* nothing predicted positive */
	CHECK_NEAR(metric("precision", BIN, 3, y, low), 0.0, TOL);
	CHECK_NEAR(metric("recall", BIN, 3, y, low), 0.0, TOL);
	CHECK_NEAR(metric("f1", BIN, 3, y, low), 0.0, TOL);
	CHECK_NEAR(metric("accuracy", BIN, 3, y, low), 1.0 / 3, TOL);
	/* no positives anywhere */
	CHECK_NEAR(metric("precision", BIN, 2, neg, p), 0.0, TOL);
	CHECK_NEAR(metric("recall", BIN, 2, neg, p), 0.0, TOL);
	CHECK_NEAR(metric("f1", BIN, 2, neg, p), 0.0, TOL);
	CHECK_NEAR(metric("accuracy", BIN, 2, neg, p), 1.0, TOL);
	/* tp 1, fp 1, fn 0: precision .5, recall 1, f1 2/3 */
	CHECK_NEAR(metric("precision", BIN, 4, y2, p2), 0.5, TOL);
	CHECK_NEAR(metric("recall", BIN, 4, y2, p2), 1.0, TOL);
	CHECK_NEAR(metric("f1", BIN, 4, y2, p2), 2.0 / 3, TOL);
}

/* ---------------------------------------------------------------- multiclass */

/* four rows, three classes; argmax predicts 0, 1, 1, 2 */
static const double mc_y[] = {0, 1, 2, 2};
static const double mc_p[] = {
	0.7, 0.2, 0.1,
	0.1, 0.8, 0.1,
	0.2, 0.5, 0.3,
	0.1, 0.1, 0.8,
};

static void
test_multiclass(void)
{
	CHECK_NEAR(aml_metric_compute("accuracy", MULTI, 3, 4, mc_y, mc_p), 0.75, TOL);
	CHECK_NEAR(aml_metric_compute("log_loss", MULTI, 3, 4, mc_y, mc_p),
			   -(log(0.7) + log(0.8) + log(0.3) + log(0.8)) / 4, TOL);
	/* per-class F1: 1, 2/3 (tp 1, 1 true, 2 predicted), 2/3 */
	CHECK_NEAR(aml_metric_compute("f1_macro", MULTI, 3, 4, mc_y, mc_p),
			   (1 + 2.0 / 3 + 2.0 / 3) / 3, TOL);
	/* per-class recall: 1, 1, 1/2 */
	CHECK_NEAR(aml_metric_compute("balanced_accuracy", MULTI, 3, 4, mc_y, mc_p),
			   2.5 / 3, TOL);
}

static void
test_multiclass_absent_class(void)
{
	/* the same rows with a fourth class that never occurs nor is predicted */
	double		p4[16];
	double		clip_y[] = {0};
	double		clip_p[] = {0, 1, 0};

	for (int i = 0; i < 4; i++)
	{
		memcpy(p4 + i * 4, mc_p + i * 3, 3 * sizeof(double));
		p4[i * 4 + 3] = 0;
	}
	CHECK_NEAR(aml_metric_compute("f1_macro", MULTI, 4, 4, mc_y, p4),
			   (1 + 2.0 / 3 + 2.0 / 3) / 3, TOL);
	CHECK_NEAR(aml_metric_compute("balanced_accuracy", MULTI, 4, 4, mc_y, p4),
			   2.5 / 3, TOL);
	CHECK_NEAR(aml_metric_compute("accuracy", MULTI, 4, 4, mc_y, p4), 0.75, TOL);
	/* zero probability for the true class is clipped */
	CHECK_NEAR(aml_metric_compute("log_loss", MULTI, 3, 1, clip_y, clip_p),
			   -log(1e-15), 1e-9);
}

static void
test_multiclass_invalid(void)
{
	double		bad_y[] = {0, 1, 3, 2};
	double		frac_y[] = {0, 1, 1.5, 2};
	double		nan_p[12];

	memcpy(nan_p, mc_p, sizeof(nan_p));
	nan_p[5] = NAN;
	CHECK(isnan(aml_metric_compute("accuracy", MULTI, 3, 4, bad_y, mc_p)));
	CHECK(isnan(aml_metric_compute("log_loss", MULTI, 3, 4, frac_y, mc_p)));
	CHECK(isnan(aml_metric_compute("f1_macro", MULTI, 3, 4, mc_y, nan_p)));
	CHECK(isnan(aml_metric_compute("accuracy", MULTI, 1, 4, mc_y, mc_p)));
	CHECK(isnan(aml_metric_compute("roc_auc", MULTI, 3, 4, mc_y, mc_p)));
}

/* ---------------------------------------------------------------- DeLong */

/* psi: 1 when a positive's score is above a negative's, 0.5 for a tie */
static double
psi(double pos, double neg)
{
	return pos > neg ? 1.0 : pos == neg ? 0.5 : 0.0;
}

/*
 * brute_delong computes DeLong's components pair by pair (O(n^2)) and the
 * standard error of AUC(b) - AUC(a).
 */
static double
brute_delong_se(int n, const double *y, const double *a, const double *b)
{
	double		v10[600],
				v01[600],
				m10 = 0,
				m01 = 0,
				s10 = 0,
				s01 = 0;
	int			np = 0,
				nn = 0;

	for (int i = 0; i < n; i++)
		np += y[i] == 1.0;
	nn = n - np;
	for (int i = 0; i < n; i++)
	{
		double		sa = 0,
					sb = 0;

		for (int j = 0; j < n; j++)
		{
			if (y[i] == 1.0 && y[j] != 1.0)
			{
				sa += psi(a[i], a[j]);
				sb += psi(b[i], b[j]);
			}
			else if (y[i] != 1.0 && y[j] == 1.0)
			{
				sa += psi(a[j], a[i]);
				sb += psi(b[j], b[i]);
			}
		}
		if (y[i] == 1.0)
			m10 += (v10[i] = (sb - sa) / nn);
		else
			m01 += (v01[i] = (sb - sa) / np);
	}
	m10 /= np;
	m01 /= nn;
	for (int i = 0; i < n; i++)
		if (y[i] == 1.0)
			s10 += (v10[i] - m10) * (v10[i] - m10);
		else
			s01 += (v01[i] - m01) * (v01[i] - m01);
	return sqrt(s10 / (np - 1) / np + s01 / (nn - 1) / nn);
}

/*
 * DeLong's test against the pair-by-pair computation, on tied scores and
 * on both sides of the radix sort's threshold; undefined cases are NaN.
 */
static void
test_roc_auc_compare(void)
{
	static double y[6000],
				a[6000],
				b[6000];
	double		out[6];
	aml_rng		rng;
	int			sizes[2] = {500, 6000};

	for (int z = 0; z < 2; z++)
	{
		int			n = sizes[z];

		aml_rng_seed(&rng, 5 + z);
		for (int i = 0; i < n; i++)
		{
			y[i] = aml_rng_uniform(&rng) < 0.35 ? 1 : 0;
			a[i] = round((aml_rng_uniform(&rng) + 0.5 * y[i]) * 20) / 20;
			b[i] = round((aml_rng_uniform(&rng) + 0.8 * y[i]) * 20) / 20;
		}
		CHECK(aml_metric_roc_auc_compare(n, y, a, b, out) == 0);
		CHECK_NEAR(out[0], metric("roc_auc", BIN, n, y, a), 1e-12);
		CHECK_NEAR(out[1], metric("roc_auc", BIN, n, y, b), 1e-12);
		CHECK_NEAR(out[2], out[1] - out[0], 1e-15);
		if (n <= 600)
			CHECK_NEAR(out[3], brute_delong_se(n, y, a, b), 1e-12);
		CHECK_NEAR(out[4], out[2] / out[3], 1e-12);
		CHECK(out[1] > out[0] && out[5] >= 0 && out[5] < 0.01);
	}
	/* the same scores: no difference, no variance */
	CHECK(aml_metric_roc_auc_compare(500, y, a, a, out) == 0);
	CHECK(out[2] == 0 && isnan(out[3]) && isnan(out[5]));
	/* one class, or a NaN score: undefined */
	{
		double		ones[3] = {1, 1, 1},
					s[3] = {0.1, 0.2, 0.3},
					yy[3] = {0, 1, 0},
					nan_s[3] = {0.1, NAN, 0.3};

		CHECK(aml_metric_roc_auc_compare(3, ones, s, s, out) == 0 && isnan(out[0]));
		CHECK(aml_metric_roc_auc_compare(3, yy, s, nan_s, out) == 0 && isnan(out[0]));
		/* one positive: AUCs, no standard error */
		CHECK(aml_metric_roc_auc_compare(3, yy, s, s, out) == 0 && out[0] == 0.5 && isnan(out[3]));
	}
}

/* ---------------------------------------------------------------- streaming */

/*
 * The streaming accumulator gives aml_metric_compute's values row by row,
 * and the same again when the rows are split in uneven parts and merged
 * (as a parallel scan's workers would).
 */
static void
test_streaming(void)
{
	enum
	{
		N = 1001
	};
	static double y[N],
				p[N],
				prob[N],
				yb[N];
	aml_rng		rng;
	aml_metric_acc all,
				parts[3],
				bin;
	const char *const reg[] = {"rmse", "mae", "r2"};

	aml_rng_seed(&rng, 11);
	memset(&all, 0, sizeof(all));
	memset(parts, 0, sizeof(parts));
	memset(&bin, 0, sizeof(bin));
	for (int i = 0; i < N; i++)
	{
		y[i] = 1000 + 50 * aml_rng_uniform(&rng);	/* a large mean */
		p[i] = y[i] + 10 * (aml_rng_uniform(&rng) - 0.5);
		yb[i] = aml_rng_uniform(&rng) < 0.4;
		prob[i] = aml_rng_uniform(&rng);
		aml_metric_acc_add(&all, p[i], y[i]);
		aml_metric_acc_add(&parts[i < 7 ? 0 : i < 600 ? 1 : 2], p[i], y[i]);
		aml_metric_acc_add_prob(&bin, yb[i] == 1 ? prob[i] : 1 - prob[i]);
	}
	aml_metric_acc_merge(&parts[1], &parts[2]);
	aml_metric_acc_merge(&parts[0], &parts[1]);
	for (int k = 0; k < 3; k++)
	{
		double		want = metric(reg[k], REG, N, y, p);

		CHECK_NEAR(aml_metric_acc_result(&all, reg[k]), want, 1e-9 * fabs(want));
		CHECK_NEAR(aml_metric_acc_result(&parts[0], reg[k]), want, 1e-9 * fabs(want));
	}
	CHECK_NEAR(aml_metric_acc_result(&bin, "log_loss"), metric("log_loss", BIN, N, yb, prob), 1e-12);
	/* nothing, one value of the target, an unknown name: NaN */
	memset(&all, 0, sizeof(all));
	CHECK(isnan(aml_metric_acc_result(&all, "rmse")));
	aml_metric_acc_merge(&all, &parts[0]);
	CHECK(aml_metric_acc_result(&all, "rmse") == aml_metric_acc_result(&parts[0], "rmse"));
	memset(&all, 0, sizeof(all));
	aml_metric_acc_add(&all, 1, 5);
	aml_metric_acc_add(&all, 2, 5);
	CHECK(isnan(aml_metric_acc_result(&all, "r2")));
	CHECK(isnan(aml_metric_acc_result(&all, "accuracy")));
	/* a probability of 0 for the actual class is clipped, as in the batch metric */
	memset(&all, 0, sizeof(all));
	aml_metric_acc_add_prob(&all, 0.0);
	CHECK_NEAR(aml_metric_acc_result(&all, "log_loss"), -log(1e-15), 1e-9);
}

/* ---------------------------------------------------------------- regression */

static void
test_regression(void)
{
	double		y[] = {1, 2, 3};
	double		p[] = {1, 2, 5};
	double		c[] = {4, 4, 4};

	CHECK_NEAR(metric("rmse", REG, 3, y, p), sqrt(4.0 / 3), TOL);
	CHECK_NEAR(metric("mae", REG, 3, y, p), 2.0 / 3, TOL);
	/* sse 4 against sst 2: worse than the mean, r2 = -1 */
	CHECK_NEAR(metric("r2", REG, 3, y, p), -1.0, TOL);
	CHECK_NEAR(metric("r2", REG, 3, y, y), 1.0, TOL);
	CHECK_NEAR(metric("rmse", REG, 3, y, y), 0.0, TOL);
	/* r2 of a constant target is undefined */
	CHECK(isnan(metric("r2", REG, 3, c, p)));
	/* the mean as prediction has r2 0 */
	{
		double		m[] = {2, 2, 2};

		CHECK_NEAR(metric("r2", REG, 3, y, m), 0.0, TOL);
	}
}

/* ---------------------------------------------------------------- catalogue */

static void
test_unknown_and_misapplied(void)
{
	double		y[] = {0, 1};
	double		p[] = {0.2, 0.8};

	CHECK(isnan(metric("nope", BIN, 2, y, p)));
	CHECK(isnan(metric(NULL, BIN, 2, y, p)));
	CHECK(isnan(metric("auto", BIN, 2, y, p)));
	CHECK(isnan(metric("roc_auc", REG, 2, y, p)));
	CHECK(isnan(metric("rmse", BIN, 2, y, p)));
	CHECK(isnan(metric("accuracy", AML_TASK_AUTO, 2, y, p)));
	CHECK(isnan(metric("accuracy", BIN, 2, NULL, p)));
}

static void
test_higher_is_better(void)
{
	const char *up[] = {"roc_auc", "pr_auc", "accuracy", "f1", "precision",
	"recall", "f1_macro", "balanced_accuracy", "r2"};
	const char *down[] = {"log_loss", "rmse", "mae"};

	for (int i = 0; i < NELEM(up); i++)
		CHECK(aml_metric_higher_is_better(up[i]) == 1);
	for (int i = 0; i < NELEM(down); i++)
		CHECK(aml_metric_higher_is_better(down[i]) == 0);
	CHECK(aml_metric_higher_is_better("mape") == -1);
	CHECK(aml_metric_higher_is_better("") == -1);
	CHECK(aml_metric_higher_is_better(NULL) == -1);
}

static void
test_valid_per_task(void)
{
	const char *bin[] = {"roc_auc", "pr_auc", "log_loss", "accuracy", "f1",
	"precision", "recall"};
	const char *multi[] = {"accuracy", "f1_macro", "log_loss", "balanced_accuracy"};
	const char *reg[] = {"rmse", "mae", "r2"};

	for (int i = 0; i < NELEM(bin); i++)
	{
		CHECK(aml_metric_valid(bin[i], BIN));
		CHECK(!aml_metric_valid(bin[i], REG));
		CHECK(aml_metric_valid(bin[i], AML_TASK_AUTO));
	}
	for (int i = 0; i < NELEM(multi); i++)
	{
		CHECK(aml_metric_valid(multi[i], MULTI));
		CHECK(!aml_metric_valid(multi[i], REG));
	}
	for (int i = 0; i < NELEM(reg); i++)
	{
		CHECK(aml_metric_valid(reg[i], REG));
		CHECK(!aml_metric_valid(reg[i], BIN));
		CHECK(!aml_metric_valid(reg[i], MULTI));
	}
	CHECK(!aml_metric_valid("roc_auc", MULTI));
	CHECK(!aml_metric_valid("f1", MULTI));
	CHECK(!aml_metric_valid("f1_macro", BIN));
	CHECK(!aml_metric_valid("auto", BIN));
	CHECK(!aml_metric_valid("nope", AML_TASK_AUTO));
	CHECK(!aml_metric_valid(NULL, BIN));
	CHECK(!aml_metric_valid("rmse", (aml_task) 17));
}

static void
test_defaults_and_names(void)
{
	CHECK(strcmp(aml_metric_default(BIN), "roc_auc") == 0);
	CHECK(strcmp(aml_metric_default(MULTI), "log_loss") == 0);
	CHECK(strcmp(aml_metric_default(REG), "rmse") == 0);
	CHECK(aml_metric_default(AML_TASK_AUTO) == NULL);
	/* each default applies to its task */
	CHECK(aml_metric_valid(aml_metric_default(BIN), BIN));
	CHECK(aml_metric_valid(aml_metric_default(MULTI), MULTI));
	CHECK(aml_metric_valid(aml_metric_default(REG), REG));

	CHECK(strcmp(aml_task_name(AML_TASK_AUTO), "auto") == 0);
	CHECK(strcmp(aml_task_name(BIN), "binary") == 0);
	CHECK(strcmp(aml_task_name(MULTI), "multiclass") == 0);
	CHECK(strcmp(aml_task_name(REG), "regression") == 0);
}

/*
 * temperature calibration: aml_calibrate by hand; aml_fit_temperature
 * recovers the temperature of probabilities made too flat or too sharp,
 * lowers the log loss, and stays finite when every row is right
 */
static void
test_calibration(void)
{
	double		p[3] = {0.6, 0.3, 0.1};
	double		q[1] = {0.8};
	double		same[3] = {0.6, 0.3, 0.1};
	int			n = 20000,
				k = 3;
	double	   *y = malloc(sizeof(double) * n),
			   *flat = malloc(sizeof(double) * n * k),
			   *sharp = malloc(sizeof(double) * n * k),
			   *right = malloc(sizeof(double) * n * k);
	uint64_t	s = 99;
	double		T;

	aml_calibrate(3, 1.0, 1, same);
	CHECK(same[0] == 0.6 && same[1] == 0.3 && same[2] == 0.1);
	aml_calibrate(3, 0.5, 1, p);	/* p^2, normalized */
	CHECK(fabs(p[0] - 0.36 / 0.46) < TOL && fabs(p[1] - 0.09 / 0.46) < TOL &&
		  fabs(p[2] - 0.01 / 0.46) < TOL);
	aml_calibrate(1, 0.5, 1, q);	/* twice the log-odds */
	CHECK(fabs(q[0] - 0.64 / 0.68) < TOL);

	/* labels drawn from softmax(2 z); predictions softmax(z) and softmax(4 z) */
	for (int i = 0; i < n; i++)
	{
		double		z[3],
					e2[3],
					s2 = 0,
					u;

		for (int c = 0; c < k; c++)
		{
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			z[c] = (double) (s >> 11) / 9007199254740992.0 * 3.0;
			e2[c] = exp(2 * z[c]);
			s2 += e2[c];
		}
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		u = (double) (s >> 11) / 9007199254740992.0 * s2;
		y[i] = u < e2[0] ? 0 : u < e2[0] + e2[1] ? 1 : 2;
		for (int v = 0; v < 2; v++)
		{
			double	   *o = v == 0 ? flat : sharp;
			double		sc = v == 0 ? 1.0 : 4.0,
						t = 0;

			for (int c = 0; c < k; c++)
				t += exp(sc * z[c]);
			for (int c = 0; c < k; c++)
				o[(size_t) i * k + c] = exp(sc * z[c]) / t;
		}
		for (int c = 0; c < k; c++)
			right[(size_t) i * k + c] = c == (int) y[i] ? 0.6 : 0.2;
	}
	T = aml_fit_temperature(k, n, y, flat);
	CHECK(fabs(T - 0.5) < 0.03);
	{
		double		before = aml_metric_compute("log_loss", MULTI, k, n, y, flat);

		aml_calibrate(k, T, n, flat);
		CHECK(aml_metric_compute("log_loss", MULTI, k, n, y, flat) < before - 0.01);
	}
	T = aml_fit_temperature(k, n, y, sharp);
	CHECK(fabs(T - 2.0) < 0.1);
	/* every row right: sharper, but not without limit */
	T = aml_fit_temperature(k, 50, y, right);
	CHECK(T < 1.0 && T > AML_TEMP_MIN);
	CHECK(aml_fit_temperature(k, 0, y, right) == 1.0);
	free(y);
	free(flat);
	free(sharp);
	free(right);
}

int
main(void)
{
	RUN(test_roc_auc_simple);
	RUN(test_roc_auc_ties);
	RUN(test_roc_auc_undefined);
	RUN(test_ranking_vs_brute_force);
	RUN(test_pr_auc);
	RUN(test_binary_log_loss);
	RUN(test_binary_thresholded);
	RUN(test_binary_zero_positives);
	RUN(test_multiclass);
	RUN(test_multiclass_absent_class);
	RUN(test_multiclass_invalid);
	RUN(test_regression);
	RUN(test_streaming);
	RUN(test_roc_auc_compare);
	RUN(test_unknown_and_misapplied);
	RUN(test_higher_is_better);
	RUN(test_valid_per_task);
	RUN(test_defaults_and_names);
	RUN(test_calibration);
	DONE();
}
