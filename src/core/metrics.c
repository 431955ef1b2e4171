/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Evaluation metrics for binary classification, multiclass
 *	  classification and regression, and the task names.
 *
 * Conventions (the same as aml_model_predict's outputs):
 *	 y		 class index as a double (0/1 for binary, 0..K-1 for multiclass)
 *			 or the regression target;
 *	 pred	 n x n_outputs values, row-major: P(class 1) for binary, K class
 *			 probabilities per row for multiclass, the value for regression.
 *
 * Every metric returns NaN when it is undefined (no rows, one class only
 * for AUC, constant target for r2, a class index out of range, a NaN
 * prediction for a classification metric) or when its name is unknown.
 *
 * Thresholded binary metrics call a row positive when P(class 1) >= 0.5;
 * aml_model_decide must use the same rule.  When a ratio has a zero
 * denominator (precision with no predicted positives, recall with no
 * actual positives, f1 with neither) the metric is 0, as in scikit-learn.
 *
 * Memory: the ranking metrics (roc_auc, pr_auc) need one temporary buffer
 * of n (score, label) pairs for sorting.  These functions take no aml_env
 * (they are also called from the glue on arbitrary arrays), so that one
 * buffer comes from plain malloc and is freed before returning; if it
 * cannot be allocated the metric is NaN.  Nothing else allocates, and no
 * global state is used: results depend only on the inputs.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "aml_int.h"

/* probabilities are clipped to [LOGLOSS_EPS, 1 - LOGLOSS_EPS] for log loss */
#define LOGLOSS_EPS 1e-15

/* which tasks a metric applies to (bits of 1 << aml_task) */
#define T_BIN	(1u << AML_TASK_BINARY)
#define T_MULTI (1u << AML_TASK_MULTICLASS)
#define T_REG	(1u << AML_TASK_REGRESSION)

typedef struct metric_def
{
	const char *name;
	unsigned	tasks;
	int			higher_is_better;
} metric_def;

static const metric_def metric_defs[] = {
	{"roc_auc", T_BIN, 1},
	{"pr_auc", T_BIN, 1},
	{"log_loss", T_BIN | T_MULTI, 0},
	{"accuracy", T_BIN | T_MULTI, 1},
	{"f1", T_BIN, 1},
	{"precision", T_BIN, 1},
	{"recall", T_BIN, 1},
	{"f1_macro", T_MULTI, 1},
	{"balanced_accuracy", T_MULTI, 1},
	{"rmse", T_REG, 0},
	{"mae", T_REG, 0},
	{"r2", T_REG, 1},
};

#define N_METRICS ((int) (sizeof(metric_defs) / sizeof(metric_defs[0])))

/*
 * one row of the ranking metrics' sort buffer: its score, and whether it
 * is a positive (the metrics) or its index (DeLong's test)
 */
typedef struct scored
{
	double		score;
	int64_t		positive;
} scored;

/*
 * find_metric returns the definition of a metric name, or NULL.
 */
static const metric_def *
find_metric(const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; i < N_METRICS; i++)
		if (strcmp(metric_defs[i].name, name) == 0)
			return &metric_defs[i];
	return NULL;
}

/*
 * aml_task_name returns the SQL-facing name of a task.
 */
const char *
aml_task_name(aml_task task)
{
	switch (task)
	{
		case AML_TASK_AUTO:
			return "auto";
		case AML_TASK_BINARY:
			return "binary";
		case AML_TASK_MULTICLASS:
			return "multiclass";
		case AML_TASK_REGRESSION:
			return "regression";
	}
	return "unknown";
}

/*
 * aml_metric_higher_is_better returns 1 when larger values of the metric
 * are better, 0 when smaller are better, -1 for an unknown metric.
 */
int
aml_metric_higher_is_better(const char *name)
{
	const metric_def *m = find_metric(name);

	return m ? m->higher_is_better : -1;
}

/*
 * aml_metric_valid says whether a metric applies to a task.  For
 * AML_TASK_AUTO (task not decided yet) any known metric is valid.  "auto"
 * is not a metric: callers map it to aml_metric_default.
 */
int
aml_metric_valid(const char *name, aml_task task)
{
	const metric_def *m = find_metric(name);

	if (m == NULL)
		return 0;
	if (task == AML_TASK_AUTO)
		return 1;
	if ((unsigned) task > (unsigned) AML_TASK_REGRESSION)
		return 0;
	return (m->tasks & (1u << task)) != 0;
}

/*
 * aml_metric_names returns the metrics a model of the task reports on its
 * test split (automl.models.metrics), NULL-terminated.
 */
const char *const *
aml_metric_names(aml_task task)
{
	static const char *const binary[] = {"roc_auc", "log_loss", "accuracy", "f1", "precision", "recall", NULL};
	static const char *const multi[] = {"accuracy", "f1_macro", "log_loss", NULL};
	static const char *const reg[] = {"rmse", "mae", "r2", NULL};

	return task == AML_TASK_BINARY ? binary : task == AML_TASK_MULTICLASS ? multi : reg;
}

/*
 * aml_metric_default returns the metric used when none is named: roc_auc
 * (binary), log_loss (multiclass), rmse (regression); NULL for
 * AML_TASK_AUTO, whose metric depends on the task detected.
 */
const char *
aml_metric_default(aml_task task)
{
	switch (task)
	{
		case AML_TASK_BINARY:
			return "roc_auc";
		case AML_TASK_MULTICLASS:
			return "log_loss";
		case AML_TASK_REGRESSION:
			return "rmse";
		case AML_TASK_AUTO:
			break;
	}
	return NULL;
}

/* ---------------------------------------------------------------- binary */

/*
 * binary_labels_ok checks that every y is 0 or 1 and every prediction a
 * number (NaN cannot be ranked or thresholded).
 */
static int
binary_labels_ok(int64_t n, const double *y, const double *pred)
{
	for (int64_t i = 0; i < n; i++)
	{
		if (!(y[i] == 0.0 || y[i] == 1.0))
			return 0;
		if (isnan(pred[i]))
			return 0;
	}
	return 1;
}

/*
 * cmp_scored orders pairs by ascending score.  Ties compare equal: both
 * ranking metrics treat tied scores as one group, so the order qsort
 * leaves within a group does not change the result.
 */
static int
cmp_scored(const void *a, const void *b)
{
	double		sa = ((const scored *) a)->score;
	double		sb = ((const scored *) b)->score;

	return (sa > sb) - (sa < sb);
}

#define RADIX_MIN_ROWS 4096

/* score_key maps a score (not NaN) to an unsigned key of the same order */
static inline uint64_t
score_key(double v)
{
	uint64_t	b;

	memcpy(&b, &v, sizeof(b));
	return b >> 63 ? ~b : b | 0x8000000000000000ull;
}

/*
 * radix_sort_scored sorts s by ascending score with a least-significant-
 * digit radix sort, eight bits a pass, skipping the passes whose digit is
 * the same in every key (scores in a narrow range share their top bits).
 * On a million pairs it takes a fraction of qsort's time (its comparator
 * is called about twenty million times).  -0 sorts before +0, next to it,
 * which the tie walks treat as one score as they treat equal ones.  False
 * when out of memory (the caller sorts with qsort).
 */
static int
radix_sort_scored(scored *s, int64_t n)
{
	scored	   *tmp = malloc((size_t) n * sizeof(scored));
	scored	   *src = s,
			   *dst = tmp;
	int64_t		count[8][256];

	if (tmp == NULL)
		return 0;
	memset(count, 0, sizeof(count));
	for (int64_t i = 0; i < n; i++)
	{
		uint64_t	k = score_key(s[i].score);

		for (int d = 0; d < 8; d++)
			count[d][(k >> (8 * d)) & 0xFF]++;
	}
	for (int d = 0; d < 8; d++)
	{
		int64_t		pos = 0;
		int			shift = 8 * d;

		/* any key's digit tells whether every key has it */
		if (count[d][(score_key(s[0].score) >> shift) & 0xFF] == n)
			continue;
		for (int b = 0; b < 256; b++)
		{
			int64_t		c = count[d][b];

			count[d][b] = pos;
			pos += c;
		}
		for (int64_t i = 0; i < n; i++)
			dst[count[d][(score_key(src[i].score) >> shift) & 0xFF]++] = src[i];
		{
			scored	   *t = src;

			src = dst;
			dst = t;
		}
	}
	if (src != s)
		memcpy(s, src, (size_t) n * sizeof(scored));
	free(tmp);
	return 1;
}

/*
 * sort_scored returns a malloc'd array of the n (score, label) pairs sorted
 * by ascending score, or NULL when out of memory.
 */
static scored *
sort_scored(int64_t n, const double *y, const double *pred)
{
	scored	   *s;

	if ((uint64_t) n > SIZE_MAX / sizeof(scored))
		return NULL;
	s = malloc((size_t) n * sizeof(scored));
	if (s == NULL)
		return NULL;
	for (int64_t i = 0; i < n; i++)
	{
		s[i].score = pred[i];
		s[i].positive = y[i] == 1.0;
	}
	if (n < RADIX_MIN_ROWS || !radix_sort_scored(s, n))
		qsort(s, (size_t) n, sizeof(scored), cmp_scored);
	return s;
}

/*
 * roc_auc computes the exact area under the ROC curve: the probability
 * that a random positive scores above a random negative, ties counting
 * half (the Mann-Whitney statistic).  O(n log n).
 */
static double
roc_auc(int64_t n, const double *y, const double *pred)
{
	scored	   *s;
	int64_t		n_pos = 0;
	int64_t		n_neg = 0;
	int64_t		neg_below = 0;
	double		num = 0.0;

	for (int64_t i = 0; i < n; i++)
		n_pos += y[i] == 1.0;
	n_neg = n - n_pos;
	if (n_pos == 0 || n_neg == 0)
		return NAN;
	s = sort_scored(n, y, pred);
	if (s == NULL)
		return NAN;

	/* walk groups of tied scores from the lowest up */
	for (int64_t i = 0; i < n;)
	{
		int64_t		g_pos = 0;
		int64_t		g_neg = 0;
		int64_t		j = i;

		while (j < n && s[j].score == s[i].score)
		{
			if (s[j].positive)
				g_pos++;
			else
				g_neg++;
			j++;
		}
		num += (double) g_pos * ((double) neg_below + 0.5 * (double) g_neg);
		neg_below += g_neg;
		i = j;
	}
	free(s);
	return num / ((double) n_pos * (double) n_neg);
}

/*
 * pr_auc computes average precision: the sum over score thresholds (from
 * the highest down, tied scores forming one threshold) of precision times
 * the gain in recall, as scikit-learn's average_precision_score does.
 */
static double
pr_auc(int64_t n, const double *y, const double *pred)
{
	scored	   *s;
	int64_t		n_pos = 0;
	int64_t		tp = 0;
	int64_t		fp = 0;
	double		prev_recall = 0.0;
	double		ap = 0.0;

	for (int64_t i = 0; i < n; i++)
		n_pos += y[i] == 1.0;
	if (n_pos == 0)
		return NAN;
	s = sort_scored(n, y, pred);
	if (s == NULL)
		return NAN;

	/* walk groups of tied scores from the highest down */
	for (int64_t i = n - 1; i >= 0;)
	{
		int64_t		j = i;
		double		recall;

		while (j >= 0 && s[j].score == s[i].score)
		{
			if (s[j].positive)
				tp++;
			else
				fp++;
			j--;
		}
		recall = (double) tp / (double) n_pos;
		ap += (recall - prev_recall) * ((double) tp / (double) (tp + fp));
		prev_recall = recall;
		i = j;
	}
	free(s);
	return ap;
}

/*
 * binary_log_loss computes the mean negative log-likelihood of the labels
 * under P(class 1), clipping probabilities away from 0 and 1.
 */
static double
binary_log_loss(int64_t n, const double *y, const double *pred)
{
	double		sum = 0.0;

	for (int64_t i = 0; i < n; i++)
	{
		double		p = pred[i];

		if (p < LOGLOSS_EPS)
			p = LOGLOSS_EPS;
		if (p > 1.0 - LOGLOSS_EPS)
			p = 1.0 - LOGLOSS_EPS;
		sum -= y[i] == 1.0 ? log(p) : log(1.0 - p);
	}
	return sum / (double) n;
}

/*
 * safe_ratio returns num / den, or 0 when den is 0.
 */
static double
safe_ratio(double num, double den)
{
	return den > 0.0 ? num / den : 0.0;
}

/*
 * binary_thresholded computes accuracy, f1, precision or recall from the
 * confusion counts at threshold 0.5 (positive = class 1).
 */
static double
binary_thresholded(const char *name, int64_t n, const double *y,
				   const double *pred)
{
	int64_t		tp = 0;
	int64_t		fp = 0;
	int64_t		fn = 0;
	int64_t		tn = 0;

	for (int64_t i = 0; i < n; i++)
	{
		int			actual = y[i] == 1.0;
		int			predicted = pred[i] >= 0.5;

		if (actual && predicted)
			tp++;
		else if (predicted)
			fp++;
		else if (actual)
			fn++;
		else
			tn++;
	}
	if (strcmp(name, "accuracy") == 0)
		return (double) (tp + tn) / (double) n;
	if (strcmp(name, "precision") == 0)
		return safe_ratio((double) tp, (double) (tp + fp));
	if (strcmp(name, "recall") == 0)
		return safe_ratio((double) tp, (double) (tp + fn));
	if (strcmp(name, "f1") == 0)
		return safe_ratio(2.0 * (double) tp, (double) (2 * tp + fp + fn));
	return NAN;
}

/*
 * binary_metric computes a binary classification metric.
 */
static double
binary_metric(const char *name, int64_t n, const double *y, const double *pred)
{
	if (!binary_labels_ok(n, y, pred))
		return NAN;
	if (strcmp(name, "roc_auc") == 0)
		return roc_auc(n, y, pred);
	if (strcmp(name, "pr_auc") == 0)
		return pr_auc(n, y, pred);
	if (strcmp(name, "log_loss") == 0)
		return binary_log_loss(n, y, pred);
	return binary_thresholded(name, n, y, pred);
}

/* ---------------------------------------------------------------- multiclass */

/*
 * argmax_row returns the index of the largest of k values (the first one
 * on ties).
 */
static int
argmax_row(const double *p, int k)
{
	int			best = 0;

	for (int c = 1; c < k; c++)
		if (p[c] > p[best])
			best = c;
	return best;
}

/*
 * multiclass_inputs_ok checks that every y is a class index below k and no
 * probability is NaN.
 */
static int
multiclass_inputs_ok(int k, int64_t n, const double *y, const double *pred)
{
	for (int64_t i = 0; i < n; i++)
	{
		if (!(y[i] >= 0.0 && y[i] < (double) k && y[i] == floor(y[i])))
			return 0;
		for (int c = 0; c < k; c++)
			if (isnan(pred[i * k + c]))
				return 0;
	}
	return 1;
}

/*
 * multiclass_log_loss computes the mean negative log of the probability
 * given to the true class, clipped away from 0 and 1.
 */
static double
multiclass_log_loss(int k, int64_t n, const double *y, const double *pred)
{
	double		sum = 0.0;

	for (int64_t i = 0; i < n; i++)
	{
		double		p = pred[i * k + (int) y[i]];

		if (p < LOGLOSS_EPS)
			p = LOGLOSS_EPS;
		if (p > 1.0 - LOGLOSS_EPS)
			p = 1.0 - LOGLOSS_EPS;
		sum -= log(p);
	}
	return sum / (double) n;
}

/*
 * multiclass_counted computes accuracy, f1_macro or balanced_accuracy from
 * per-class counts.  Counting needs 3 x k integers; they live on the stack
 * in chunks of classes so that no allocation is needed whatever k is.
 *
 * f1_macro averages F1 over the classes that occur in y or in the
 * predictions; balanced_accuracy averages recall over the classes that
 * occur in y (both as scikit-learn does).
 */
static double
multiclass_counted(const char *name, int k, int64_t n, const double *y,
				   const double *pred)
{
#define CLASS_CHUNK 256
	int64_t		tp[CLASS_CHUNK];
	int64_t		n_true[CLASS_CHUNK];
	int64_t		n_pred[CLASS_CHUNK];
	int			is_f1 = strcmp(name, "f1_macro") == 0;
	int			is_bacc = strcmp(name, "balanced_accuracy") == 0;
	double		sum = 0.0;
	int64_t		n_used = 0;

	if (strcmp(name, "accuracy") == 0)
	{
		int64_t		correct = 0;

		for (int64_t i = 0; i < n; i++)
			correct += argmax_row(pred + i * k, k) == (int) y[i];
		return (double) correct / (double) n;
	}
	if (!is_f1 && !is_bacc)
		return NAN;

	for (int c0 = 0; c0 < k; c0 += CLASS_CHUNK)
	{
		int			cn = k - c0 < CLASS_CHUNK ? k - c0 : CLASS_CHUNK;

		memset(tp, 0, sizeof(tp));
		memset(n_true, 0, sizeof(n_true));
		memset(n_pred, 0, sizeof(n_pred));
		for (int64_t i = 0; i < n; i++)
		{
			int			actual = (int) y[i];
			int			predicted = argmax_row(pred + i * k, k);

			if (actual >= c0 && actual < c0 + cn)
			{
				n_true[actual - c0]++;
				if (predicted == actual)
					tp[actual - c0]++;
			}
			if (predicted >= c0 && predicted < c0 + cn)
				n_pred[predicted - c0]++;
		}
		for (int c = 0; c < cn; c++)
		{
			if (is_f1 && (n_true[c] > 0 || n_pred[c] > 0))
			{
				sum += 2.0 * (double) tp[c] / (double) (n_true[c] + n_pred[c]);
				n_used++;
			}
			else if (is_bacc && n_true[c] > 0)
			{
				sum += (double) tp[c] / (double) n_true[c];
				n_used++;
			}
		}
	}
	return n_used > 0 ? sum / (double) n_used : NAN;
#undef CLASS_CHUNK
}

/*
 * multiclass_metric computes a multiclass classification metric.
 */
static double
multiclass_metric(const char *name, int k, int64_t n, const double *y,
				  const double *pred)
{
	if (k < 2 || !multiclass_inputs_ok(k, n, y, pred))
		return NAN;
	if (strcmp(name, "log_loss") == 0)
		return multiclass_log_loss(k, n, y, pred);
	return multiclass_counted(name, k, n, y, pred);
}

/* ---------------------------------------------------------------- regression */

/*
 * regression_metric computes rmse, mae or r2.  r2 is NaN when y is
 * constant (its variance is zero) and negative when the predictions are
 * worse than predicting the mean.
 */
static double
regression_metric(const char *name, int64_t n, const double *y,
				  const double *pred)
{
	if (strcmp(name, "rmse") == 0)
	{
		double		sse = 0.0;

		for (int64_t i = 0; i < n; i++)
			sse += (y[i] - pred[i]) * (y[i] - pred[i]);
		return sqrt(sse / (double) n);
	}
	if (strcmp(name, "mae") == 0)
	{
		double		sae = 0.0;

		for (int64_t i = 0; i < n; i++)
			sae += fabs(y[i] - pred[i]);
		return sae / (double) n;
	}
	if (strcmp(name, "r2") == 0)
	{
		double		mean = 0.0;
		double		sst = 0.0;
		double		sse = 0.0;

		for (int64_t i = 0; i < n; i++)
			mean += y[i];
		mean /= (double) n;
		for (int64_t i = 0; i < n; i++)
		{
			sst += (y[i] - mean) * (y[i] - mean);
			sse += (y[i] - pred[i]) * (y[i] - pred[i]);
		}
		if (!(sst > 0.0))
			return NAN;
		return 1.0 - sse / sst;
	}
	return NAN;
}

/* ---------------------------------------------------------------- DeLong */

/*
 * delong_components sorts one score vector and fills, per positive row,
 * the share of negatives it outranks (ties half) in v10, and per negative
 * row the share of positives that outrank it in v01: the structural
 * components of DeLong et al. (1988), from the midranks of the scores
 * among all rows and within each class (Sun and Xu 2014).  Their mean is
 * the AUC.  0, or -1 when out of memory.
 */
static int
delong_components(int64_t n, const double *y, const double *score, int64_t n_pos,
				  double *v10, double *v01)
{
	scored	   *s;
	int64_t		n_neg = n - n_pos,
				pos_before = 0,
				neg_before = 0;

	if ((uint64_t) n > SIZE_MAX / sizeof(scored))
		return -1;
	s = malloc((size_t) n * sizeof(scored));
	if (s == NULL)
		return -1;
	for (int64_t i = 0; i < n; i++)
	{
		s[i].score = score[i];
		s[i].positive = i;
	}
	if (n < RADIX_MIN_ROWS || !radix_sort_scored(s, n))
		qsort(s, (size_t) n, sizeof(scored), cmp_scored);
	for (int64_t i = 0; i < n;)
	{
		int64_t		j = i,
					g_pos = 0,
					g_neg = 0;

		while (j < n && s[j].score == s[i].score)
		{
			if (y[s[j].positive] == 1.0)
				g_pos++;
			else
				g_neg++;
			j++;
		}
		/* a positive of the group outranks the negatives below and half the group's */
		for (int64_t k = i; k < j; k++)
		{
			int64_t		r = s[k].positive;

			if (y[r] == 1.0)
				v10[r] = ((double) neg_before + 0.5 * (double) g_neg) / (double) n_neg;
			else
				v01[r] = ((double) (n_pos - pos_before - g_pos) + 0.5 * (double) g_pos) / (double) n_pos;
		}
		pos_before += g_pos;
		neg_before += g_neg;
		i = j;
	}
	free(s);
	return 0;
}

/*
 * aml_metric_roc_auc_compare compares the AUCs of two scores of the same
 * rows (DeLong's test for correlated ROC curves): out[0] AUC of a, out[1]
 * of b, out[2] the difference b - a, out[3] its standard error, out[4] the
 * z statistic, out[5] the two-sided p-value.  NaN throughout when a class
 * is missing or a score is NaN; the error and what follows are NaN with
 * fewer than two rows of a class, or when the difference has no variance
 * (the same scores).  Returns -1 when out of memory.
 */
int
aml_metric_roc_auc_compare(int64_t n, const double *y, const double *a,
						   const double *b, double out[6])
{
	int64_t		n_pos = 0,
				n_neg;
	double	   *v10a,
			   *v01a,
			   *v10b,
			   *v01b;
	double		ma10 = 0,
				mb10 = 0,
				ma01 = 0,
				mb01 = 0,
				s10 = 0,
				s01 = 0,
				var;
	int			rc = 0;

	for (int k = 0; k < 6; k++)
		out[k] = NAN;
	for (int64_t i = 0; i < n; i++)
	{
		if (isnan(a[i]) || isnan(b[i]))
			return 0;
		n_pos += y[i] == 1.0;
	}
	n_neg = n - n_pos;
	if (n_pos == 0 || n_neg == 0)
		return 0;
	v10a = malloc(sizeof(double) * (size_t) n);
	v01a = malloc(sizeof(double) * (size_t) n);
	v10b = malloc(sizeof(double) * (size_t) n);
	v01b = malloc(sizeof(double) * (size_t) n);
	if (v10a == NULL || v01a == NULL || v10b == NULL || v01b == NULL ||
		delong_components(n, y, a, n_pos, v10a, v01a) != 0 ||
		delong_components(n, y, b, n_pos, v10b, v01b) != 0)
	{
		rc = -1;
		goto done;
	}
	for (int64_t i = 0; i < n; i++)
		if (y[i] == 1.0)
		{
			ma10 += v10a[i];
			mb10 += v10b[i];
		}
		else
		{
			ma01 += v01a[i];
			mb01 += v01b[i];
		}
	ma10 /= (double) n_pos;
	mb10 /= (double) n_pos;
	ma01 /= (double) n_neg;
	mb01 /= (double) n_neg;
	out[0] = ma10;
	out[1] = mb10;
	out[2] = mb10 - ma10;
	if (n_pos < 2 || n_neg < 2)
		goto done;
	/* the variance of the difference of the components, per class */
	for (int64_t i = 0; i < n; i++)
		if (y[i] == 1.0)
		{
			double		d = (v10b[i] - mb10) - (v10a[i] - ma10);

			s10 += d * d;
		}
		else
		{
			double		d = (v01b[i] - mb01) - (v01a[i] - ma01);

			s01 += d * d;
		}
	var = s10 / (double) (n_pos - 1) / (double) n_pos + s01 / (double) (n_neg - 1) / (double) n_neg;
	if (!(var > 0.0))
		goto done;
	out[3] = sqrt(var);
	out[4] = out[2] / out[3];
	out[5] = erfc(fabs(out[4]) / sqrt(2.0));
done:
	free(v10a);
	free(v01a);
	free(v10b);
	free(v01b);
	return rc;
}

/* ---------------------------------------------------------------- streaming */

/* aml_metric_acc_add adds a (prediction, actual) row for rmse, mae and r2. */
void
aml_metric_acc_add(aml_metric_acc *a, double pred, double actual)
{
	double		e = actual - pred,
				d = actual - a->mean;

	a->n++;
	a->sse += e * e;
	a->sae += fabs(e);
	a->mean += d / (double) a->n;
	a->m2 += d * (actual - a->mean);
}

/* aml_metric_acc_add_prob adds the probability given to the actual class. */
void
aml_metric_acc_add_prob(aml_metric_acc *a, double p)
{
	if (p < LOGLOSS_EPS)
		p = LOGLOSS_EPS;
	if (p > 1.0 - LOGLOSS_EPS)
		p = 1.0 - LOGLOSS_EPS;
	a->n++;
	a->nll -= log(p);
}

/*
 * aml_metric_acc_merge adds b's rows into a; the actual values' mean and
 * squared deviations combine as Chan et al. combine partial variances.
 */
void
aml_metric_acc_merge(aml_metric_acc *a, const aml_metric_acc *b)
{
	int64_t		n = a->n + b->n;
	double		d = b->mean - a->mean;

	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		*a = *b;
		return;
	}
	a->m2 += b->m2 + d * d * (double) a->n * (double) b->n / (double) n;
	a->mean += d * (double) b->n / (double) n;
	a->n = n;
	a->sse += b->sse;
	a->sae += b->sae;
	a->nll += b->nll;
}

double
aml_metric_acc_result(const aml_metric_acc *a, const char *name)
{
	if (a->n <= 0)
		return NAN;
	if (strcmp(name, "rmse") == 0)
		return sqrt(a->sse / (double) a->n);
	if (strcmp(name, "mae") == 0)
		return a->sae / (double) a->n;
	if (strcmp(name, "r2") == 0)
		return a->m2 > 0.0 ? 1.0 - a->sse / a->m2 : NAN;
	if (strcmp(name, "log_loss") == 0)
		return a->nll / (double) a->n;
	return NAN;
}

/* ---------------------------------------------------------------- entry */

/*
 * aml_metric_compute computes the named metric of n predictions (see the
 * file header for the layout of y and pred).  n_classes is used for
 * multiclass only.  Returns NaN when the metric is unknown, does not
 * apply to the task, or is undefined on these inputs.
 */
double
aml_metric_compute(const char *name, aml_task task, int n_classes,
				   int64_t n, const double *y, const double *pred)
{
	if (!aml_metric_valid(name, task) || task == AML_TASK_AUTO)
		return NAN;
	if (n <= 0 || y == NULL || pred == NULL)
		return NAN;

	switch (task)
	{
		case AML_TASK_BINARY:
			return binary_metric(name, n, y, pred);
		case AML_TASK_MULTICLASS:
			return multiclass_metric(name, n_classes, n, y, pred);
		case AML_TASK_REGRESSION:
			return regression_metric(name, n, y, pred);
		case AML_TASK_AUTO:
			break;
	}
	return NAN;
}

/* ---------------------------------------------------------------- calibration */

/*
 * cal_log is the log of a probability for calibration: exact, but a
 * probability of 0 (a forest's class no tree voted for) counts as the log
 * loss's clip, so that it can move.
 */
static inline double
cal_log(double p)
{
	return p > 0.0 ? log(p) : log(LOGLOSS_EPS);
}

/*
 * cal_logs writes row i's log probabilities into l (k classes; binary
 * rows as two: the negative class, then the positive).
 */
static int
cal_logs(int no, const double *p, int64_t i, double *l)
{
	if (no == 1)
	{
		double		q = p[i];

		l[0] = cal_log(1.0 - q);
		l[1] = cal_log(q);
		return 2;
	}
	for (int k = 0; k < no; k++)
		l[k] = cal_log(p[(size_t) i * no + k]);
	return no;
}

void
aml_calibrate(int no, double T, int64_t n, double *p)
{
	double		l[AML_MAX_CAL_CLASSES];

	if (!(T > 0.0) || T == 1.0 || no > AML_MAX_CAL_CLASSES)
		return;
	for (int64_t i = 0; i < n; i++)
	{
		int			k = cal_logs(no, p, i, l);
		double		mx = -INFINITY,
					s = 0.0;

		if (no == 1)
		{
			p[i] = aml_sigmoid((l[1] - l[0]) / T);
			continue;
		}
		for (int c = 0; c < k; c++)
			mx = l[c] / T > mx ? l[c] / T : mx;
		for (int c = 0; c < k; c++)
			s += (l[c] = exp(l[c] / T - mx));
		for (int c = 0; c < k; c++)
			p[(size_t) i * no + c] = l[c] / s;
	}
}

/*
 * temp_grad returns the derivative in b = 1/T of the log loss of the n
 * rows plus the prior (b - 1)^2 / 2 (and its second derivative in *h):
 * per row, with q = softmax(b l), sum_c q_c l_c - l_y, and the variance
 * of l under q.
 */
static double
temp_grad(int no, int64_t n, int64_t step, const double *y, const double *p, double b, double *h)
{
	double		g = b - 1.0,
				hh = 1.0;
	double		l[AML_MAX_CAL_CLASSES];

	for (int64_t i = 0; i < n; i += step)
	{
		int			k = cal_logs(no, p, i, l);
		int			yi = (int) y[i];
		double		mx = -INFINITY,
					s = 0.0,
					m1 = 0.0,
					m2 = 0.0;

		if (yi < 0 || yi >= k)
			continue;
		for (int c = 0; c < k; c++)
			mx = b * l[c] > mx ? b * l[c] : mx;
		for (int c = 0; c < k; c++)
		{
			double		e = exp(b * l[c] - mx);

			s += e;
			m1 += e * l[c];
			m2 += e * l[c] * l[c];
		}
		m1 /= s;
		m2 /= s;
		g += m1 - l[yi];
		hh += fmax(m2 - m1 * m1, 0.0);
	}
	*h = hh;
	return g;
}

/*
 * aml_fit_temperature minimizes, over b = 1/T in [1/AML_TEMP_MAX,
 * 1/AML_TEMP_MIN], the log loss of softmax(b l) over the n rows (l the
 * log probabilities, see cal_log) plus (b - 1)^2 / 2: a prior worth about one
 * row, which keeps T finite when every row is predicted right (the loss
 * alone would then sharpen without limit) and shrinks T toward 1 on few
 * rows.  The objective is strictly convex in b (its second derivative is
 * a sum of variances plus 1), so a safeguarded Newton iteration finds the
 * minimum.  Over more than TEMP_FIT_ROWS rows it fits on evenly spaced ones
 * (one parameter needs no more, and a large validation split of many
 * classes would otherwise take seconds without checking for cancel).
 */
#define TEMP_FIT_ROWS 20000

double
aml_fit_temperature(int no, int64_t n, const double *y, const double *p)
{
	double		lo = 1.0 / AML_TEMP_MAX,
				hi = 1.0 / AML_TEMP_MIN,
				b = 1.0,
				h;
	int64_t		step = n > TEMP_FIT_ROWS ? (n + TEMP_FIT_ROWS - 1) / TEMP_FIT_ROWS : 1;

	if (n <= 0 || no > AML_MAX_CAL_CLASSES)
		return 1.0;
	if (temp_grad(no, n, step, y, p, lo, &h) >= 0.0)
		return AML_TEMP_MAX;
	if (temp_grad(no, n, step, y, p, hi, &h) <= 0.0)
		return AML_TEMP_MIN;
	for (int it = 0; it < 100; it++)
	{
		double		g = temp_grad(no, n, step, y, p, b, &h);
		double		nb;

		if (g == 0.0)
			break;
		if (g > 0.0)
			hi = b;
		else
			lo = b;
		/* Newton inside the bracket, else bisection */
		nb = b - g / h;
		if (fabs(nb - b) < 1e-10 * b)
			break;
		b = nb > lo && nb < hi ? nb : 0.5 * (lo + hi);
	}
	return 1.0 / b;
}
