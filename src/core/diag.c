/*-------------------------------------------------------------------------
 *
 * diag.c
 *	  The "curves" and "trajectory" sections of a model's diagnostics:
 *	  what the report's charts draw, computed once on the test split at
 *	  training time so that nothing re-reads the source.
 *
 * Layout (every number rounded to 6 significant digits; arrays of one
 * curve have the same length; a curve that is undefined, such as ROC with
 * one class in the test rows, is left out):
 *
 *	 "curves": {
 *	   "task": "binary" | "multiclass" | "regression",
 *	   "n": test rows used (rows with a NaN prediction are left out),
 *	   binary:
 *	   "positive": label of class 1, "negative": label of class 0,
 *	   "roc": {"auc", "fpr": [], "tpr": [], "threshold": []}	<= 200 points
 *	   "pr": {"average_precision", "prevalence", "recall": [],
 *			  "precision": [], "threshold": []}					<= 200 points
 *	   "confusion": {"labels": [], "threshold": 0.5, "matrix": [[]]}
 *	   "calibration": [{"lo", "hi", "mean_predicted", "observed", "count"}]
 *					  10 equal-width bins of P(positive); empty bins have
 *					  null means
 *	   multiclass:
 *	   "confusion": {"labels": [], "matrix": [[]]}	(argmax decisions)
 *	   "class_auc": [{"label", "auc", "support"}]	one-vs-rest ROC AUC
 *	   regression:
 *	   "scatter": {"seed", "actual": [], "predicted": []}	a seeded sample
 *					  of at most 500 test rows, in test-row order
 *	   "residuals": {"edges": [], "counts": []}	actual - predicted,
 *					  at most 30 equal-width bins (edges: bins + 1)
 *	   "summary": {"rmse", "mae", "r2", "mean_residual", "sd_residual",
 *				   "p05", "p25", "p50", "p75", "p95", "max_abs_residual",
 *				   "actual_min", "actual_max", "predicted_min",
 *				   "predicted_max"}
 *	 }
 *	 The confusion matrix's rows are the actual classes, its columns the
 *	 predicted ones, both in the order of "labels".
 *
 *	 "trajectory": {"metric", "higher_is_better",
 *	   "trials": [{"seconds", "learner", "score", "best", "rows",
 *				   "unscored", "group"}]}
 *	 every leaderboard row in the order it was tried: seconds since the
 *	 start of training when it finished, its validation score (null when
 *	 not scored, and then "unscored" says why: "time_limit",
 *	 "out_of_memory", "failed" or "manual") and the best score so far
 *	 (per-group training: of its group's search, whose value "group" is;
 *	 absent for the model of every row).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

#define ROC_MAX_POINTS		200
#define PR_MAX_POINTS		200
#define CALIBRATION_BINS	10
#define SCATTER_MAX_POINTS	500
#define RESIDUAL_MAX_BINS	30

/* num6 writes a number rounded to 6 significant digits (NaN/Inf: null) */
static void
num6(aml_json *j, double v)
{
	char		buf[32];

	if (!isfinite(v))
	{
		aml_json_null(j);
		return;
	}
	snprintf(buf, sizeof(buf), "%.6g", v);
	aml_json_num(j, strtod(buf, NULL));
}

static void
key_num6(aml_json *j, const char *key, double v)
{
	aml_json_key(j, key);
	num6(j, v);
}

/* num6_array writes the values at idx[0..m) (idx NULL: all m) of v */
static void
num6_array(aml_json *j, const char *key, const double *v, const int *idx, int m)
{
	aml_json_key(j, key);
	aml_json_begin_arr(j);
	for (int i = 0; i < m; i++)
		num6(j, v[idx ? idx[i] : i]);
	aml_json_end_arr(j);
}

/* ---------------------------------------------------------------- ranking */

typedef struct diag_scored
{
	double		score;
	int			positive;
} diag_scored;

/* by descending score; ties compare equal (they form one threshold) */
static int
cmp_desc(const void *a, const void *b)
{
	double		x = ((const diag_scored *) a)->score;
	double		y = ((const diag_scored *) b)->score;

	return (x < y) - (x > y);
}

/*
 * A ranking curve: one point per distinct score, from the highest score
 * down, plus the origin of the ROC curve.
 */
typedef struct ranking
{
	int			m;				/* points */
	double	   *fpr;
	double	   *tpr;			/* = recall */
	double	   *precision;		/* NaN at the origin */
	double	   *threshold;		/* NaN at the origin */
	int64_t		n_pos;
	int64_t		n_neg;
	double		auc;			/* trapezoids = Mann-Whitney, ties half */
	double		ap;				/* average precision, as scikit-learn */
} ranking;

static void
ranking_free(aml_env *env, ranking *r)
{
	aml_free(env, r->fpr);
	aml_free(env, r->tpr);
	aml_free(env, r->precision);
	aml_free(env, r->threshold);
	memset(r, 0, sizeof(*r));
}

/*
 * ranking_build computes the ROC and precision-recall points of scores s
 * (n rows; s[i] = score of row i, positive when is_pos(i)).  AML_EINVAL
 * (err untouched) when one class is absent: the curves are undefined.
 */
static aml_status
ranking_build(aml_env *env, int64_t n, const double *score, const double *y,
			  double pos_value, ranking *r, aml_error *err)
{
	diag_scored *s;
	int64_t		tp = 0,
				fp = 0;
	double		prev_recall = 0.0;
	size_t		cap;

	memset(r, 0, sizeof(*r));
	for (int64_t i = 0; i < n; i++)
		r->n_pos += y[i] == pos_value;
	r->n_neg = n - r->n_pos;
	if (r->n_pos == 0 || r->n_neg == 0)
		return AML_EINVAL;
	cap = (size_t) n + 1;
	s = aml_malloc(env, (size_t) n * sizeof(diag_scored));
	r->fpr = aml_malloc(env, cap * sizeof(double));
	r->tpr = aml_malloc(env, cap * sizeof(double));
	r->precision = aml_malloc(env, cap * sizeof(double));
	r->threshold = aml_malloc(env, cap * sizeof(double));
	if (!s || !r->fpr || !r->tpr || !r->precision || !r->threshold)
	{
		aml_free(env, s);
		ranking_free(env, r);
		return aml_oom(env, err, cap * (sizeof(diag_scored) + 4 * sizeof(double)));
	}
	for (int64_t i = 0; i < n; i++)
	{
		s[i].score = score[i];
		s[i].positive = y[i] == pos_value;
	}
	qsort(s, (size_t) n, sizeof(diag_scored), cmp_desc);

	r->fpr[0] = 0.0;
	r->tpr[0] = 0.0;
	r->precision[0] = NAN;
	r->threshold[0] = NAN;
	r->m = 1;
	for (int64_t i = 0; i < n;)
	{
		int64_t		k = i;
		double		recall;

		while (k < n && s[k].score == s[i].score)
		{
			if (s[k].positive)
				tp++;
			else
				fp++;
			k++;
		}
		recall = (double) tp / (double) r->n_pos;
		r->fpr[r->m] = (double) fp / (double) r->n_neg;
		r->tpr[r->m] = recall;
		r->precision[r->m] = (double) tp / (double) (tp + fp);
		r->threshold[r->m] = s[i].score;
		r->auc += 0.5 * (r->fpr[r->m] - r->fpr[r->m - 1]) * (r->tpr[r->m] + r->tpr[r->m - 1]);
		r->ap += (recall - prev_recall) * r->precision[r->m];
		prev_recall = recall;
		r->m++;
		i = k;
	}
	aml_free(env, s);
	return AML_OK;
}

/*
 * aml_diag_thin picks at most max (>= 2) of the m points of a polyline
 * (x, y), evenly spaced along its length (in the L1 distance of the
 * points' coordinates): the first and the last point always, and a point
 * whenever the path since the last kept point is at least length / (max -
 * 2).  Writes the kept indexes to keep and returns their count.
 */
int
aml_diag_thin(const double *x, const double *y, int m, int max, int *keep)
{
	double		len = 0.0,
				step,
				acc = 0.0;
	int			k = 0;

	if (m <= max)
	{
		for (int i = 0; i < m; i++)
			keep[i] = i;
		return m;
	}
	for (int i = 1; i < m; i++)
	{
		double		dy = isnan(y[i]) || isnan(y[i - 1]) ? 0.0 : fabs(y[i] - y[i - 1]);

		len += fabs(x[i] - x[i - 1]) + dy;
	}
	step = len / (double) (max - 2);
	keep[k++] = 0;
	for (int i = 1; i < m - 1; i++)
	{
		double		dy = isnan(y[i]) || isnan(y[i - 1]) ? 0.0 : fabs(y[i] - y[i - 1]);

		acc += fabs(x[i] - x[i - 1]) + dy;
		if (acc >= step && k < max - 1)
		{
			keep[k++] = i;
			acc = 0.0;
		}
	}
	keep[k++] = m - 1;
	return k;
}

/* ---------------------------------------------------------------- binary */

static void
write_labels(aml_json *j, const aml_model *m, int k)
{
	aml_json_key(j, "labels");
	aml_json_begin_arr(j);
	for (int c = 0; c < k; c++)
		aml_json_str(j, m->class_labels && m->class_labels[c] ? m->class_labels[c] : "?");
	aml_json_end_arr(j);
}

static void
write_matrix(aml_json *j, const int64_t *cm, int k)
{
	aml_json_key(j, "matrix");
	aml_json_begin_arr(j);
	for (int a = 0; a < k; a++)
	{
		aml_json_begin_arr(j);
		for (int p = 0; p < k; p++)
			aml_json_int(j, cm[a * k + p]);
		aml_json_end_arr(j);
	}
	aml_json_end_arr(j);
}

static aml_status
curves_binary(aml_json *j, aml_env *env, const aml_model *model, int64_t n,
			  const double *y, const double *p, aml_error *err)
{
	ranking		r;
	aml_status	st;
	int64_t		cm[4] = {0, 0, 0, 0};
	int64_t		bin_n[CALIBRATION_BINS] = {0};
	double		bin_p[CALIBRATION_BINS] = {0},
				bin_y[CALIBRATION_BINS] = {0};

	aml_json_key(j, "positive");
	aml_json_str(j, model->class_labels ? model->class_labels[1] : "1");
	aml_json_key(j, "negative");
	aml_json_str(j, model->class_labels ? model->class_labels[0] : "0");

	st = ranking_build(env, n, p, y, 1.0, &r, err);
	if (st == AML_OK)
	{
		int			max = ROC_MAX_POINTS > PR_MAX_POINTS ? ROC_MAX_POINTS : PR_MAX_POINTS;
		int		   *keep = aml_malloc(env, (size_t) (r.m > max ? r.m : max) * sizeof(int));
		int			k;

		if (keep == NULL)
		{
			ranking_free(env, &r);
			return aml_oom(env, err, (size_t) r.m * sizeof(int));
		}
		aml_json_key(j, "roc");
		aml_json_begin_obj(j);
		key_num6(j, "auc", r.auc);
		k = aml_diag_thin(r.fpr, r.tpr, r.m, ROC_MAX_POINTS, keep);
		num6_array(j, "fpr", r.fpr, keep, k);
		num6_array(j, "tpr", r.tpr, keep, k);
		num6_array(j, "threshold", r.threshold, keep, k);
		aml_json_end_obj(j);

		/* precision-recall: the points after the origin */
		aml_json_key(j, "pr");
		aml_json_begin_obj(j);
		key_num6(j, "average_precision", r.ap);
		key_num6(j, "prevalence", (double) r.n_pos / (double) n);
		k = aml_diag_thin(r.tpr + 1, r.precision + 1, r.m - 1, PR_MAX_POINTS, keep);
		for (int i = 0; i < k; i++)
			keep[i]++;
		num6_array(j, "recall", r.tpr, keep, k);
		num6_array(j, "precision", r.precision, keep, k);
		num6_array(j, "threshold", r.threshold, keep, k);
		aml_json_end_obj(j);
		aml_free(env, keep);
		ranking_free(env, &r);
	}
	else if (st != AML_EINVAL)
		return st;

	/* confusion at 0.5 (aml_model_decide's rule) and calibration bins */
	for (int64_t i = 0; i < n; i++)
	{
		int			a = y[i] == 1.0;
		int			d = p[i] >= 0.5;
		int			b = (int) (p[i] * CALIBRATION_BINS);

		cm[a * 2 + d]++;
		b = b < 0 ? 0 : b >= CALIBRATION_BINS ? CALIBRATION_BINS - 1 : b;
		bin_n[b]++;
		bin_p[b] += p[i];
		bin_y[b] += a;
	}
	aml_json_key(j, "confusion");
	aml_json_begin_obj(j);
	write_labels(j, model, 2);
	key_num6(j, "threshold", 0.5);
	write_matrix(j, cm, 2);
	aml_json_end_obj(j);

	aml_json_key(j, "calibration");
	aml_json_begin_arr(j);
	for (int b = 0; b < CALIBRATION_BINS; b++)
	{
		aml_json_begin_obj(j);
		key_num6(j, "lo", (double) b / CALIBRATION_BINS);
		key_num6(j, "hi", (double) (b + 1) / CALIBRATION_BINS);
		key_num6(j, "mean_predicted", bin_n[b] ? bin_p[b] / (double) bin_n[b] : NAN);
		key_num6(j, "observed", bin_n[b] ? bin_y[b] / (double) bin_n[b] : NAN);
		aml_json_key(j, "count");
		aml_json_int(j, bin_n[b]);
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	return AML_OK;
}

/* ---------------------------------------------------------------- multiclass */

static aml_status
curves_multiclass(aml_json *j, aml_env *env, const aml_model *model, int k,
				  int64_t n, const double *y, const double *p, aml_error *err)
{
	int64_t    *cm = aml_calloc(env, (size_t) k * k, sizeof(int64_t));
	double	   *col = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(double));
	aml_status	st = AML_OK;

	if (cm == NULL || col == NULL)
	{
		aml_free(env, cm);
		aml_free(env, col);
		return aml_oom(env, err, (size_t) k * k * sizeof(int64_t) + (size_t) n * sizeof(double));
	}
	for (int64_t i = 0; i < n; i++)
	{
		int			a = (int) y[i];
		int			d = 0;

		/* the first most probable class, as aml_model_decide */
		for (int c = 1; c < k; c++)
			if (p[i * k + c] > p[i * k + d])
				d = c;

		if (a >= 0 && a < k)
			cm[a * k + d]++;
	}
	aml_json_key(j, "confusion");
	aml_json_begin_obj(j);
	write_labels(j, model, k);
	write_matrix(j, cm, k);
	aml_json_end_obj(j);

	aml_json_key(j, "class_auc");
	aml_json_begin_arr(j);
	for (int c = 0; c < k && st == AML_OK; c++)
	{
		ranking		r;
		int64_t		support = 0;

		for (int64_t i = 0; i < n; i++)
		{
			col[i] = p[i * k + c];
			support += y[i] == (double) c;
		}
		aml_json_begin_obj(j);
		aml_json_key(j, "label");
		aml_json_str(j, model->class_labels && model->class_labels[c] ? model->class_labels[c] : "?");
		st = ranking_build(env, n, col, y, (double) c, &r, err);
		if (st == AML_OK)
		{
			key_num6(j, "auc", r.auc);
			ranking_free(env, &r);
		}
		else if (st == AML_EINVAL)
		{
			key_num6(j, "auc", NAN);
			st = AML_OK;
		}
		aml_json_key(j, "support");
		aml_json_int(j, support);
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	aml_free(env, cm);
	aml_free(env, col);
	return st;
}

/* ---------------------------------------------------------------- regression */

/* quantile of sorted v[0..n) by linear interpolation */
static double
quantile(const double *v, int64_t n, double q)
{
	double		pos = q * (double) (n - 1);
	int64_t		lo = (int64_t) floor(pos);
	int64_t		hi = lo + 1 < n ? lo + 1 : lo;

	return v[lo] + (pos - (double) lo) * (v[hi] - v[lo]);
}

static aml_status
curves_regression(aml_json *j, aml_env *env, uint64_t seed, int64_t n,
				  const double *y, const double *p, aml_error *err)
{
	double	   *res = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(double));
	int64_t    *idx = aml_malloc(env, (size_t) (n ? n : 1) * sizeof(int64_t));
	int64_t		k = n < SCATTER_MAX_POINTS ? n : SCATTER_MAX_POINTS;
	double		sse = 0,
				sae = 0,
				sum = 0,
				sumy = 0,
				sst = 0,
				ymin = INFINITY,
				ymax = -INFINITY,
				pmin = INFINITY,
				pmax = -INFINITY,
				mean,
				var = 0;
	int			bins;
	aml_rng		rng;

	if (res == NULL || idx == NULL)
	{
		aml_free(env, res);
		aml_free(env, idx);
		return aml_oom(env, err, (size_t) n * 16);
	}

	/* the scatter: a seeded sample of k rows, shown in test-row order */
	for (int64_t i = 0; i < n; i++)
		idx[i] = i;
	aml_rng_seed(&rng, seed ^ 0x5ca77e4ULL);
	for (int64_t i = 0; i < k; i++)
	{
		int64_t		r = i + (int64_t) aml_rng_below(&rng, (uint64_t) (n - i));
		int64_t		t = idx[i];

		idx[i] = idx[r];
		idx[r] = t;
	}
	qsort(idx, (size_t) k, sizeof(int64_t), aml_cmp_i64);
	aml_json_key(j, "scatter");
	aml_json_begin_obj(j);
	aml_json_key(j, "seed");
	aml_json_int(j, (int64_t) (seed & INT64_MAX));
	aml_json_key(j, "actual");
	aml_json_begin_arr(j);
	for (int64_t i = 0; i < k; i++)
		num6(j, y[idx[i]]);
	aml_json_end_arr(j);
	aml_json_key(j, "predicted");
	aml_json_begin_arr(j);
	for (int64_t i = 0; i < k; i++)
		num6(j, p[idx[i]]);
	aml_json_end_arr(j);
	aml_json_end_obj(j);

	/* residuals: actual - predicted */
	for (int64_t i = 0; i < n; i++)
	{
		res[i] = y[i] - p[i];
		sse += res[i] * res[i];
		sae += fabs(res[i]);
		sum += res[i];
		sumy += y[i];
		ymin = y[i] < ymin ? y[i] : ymin;
		ymax = y[i] > ymax ? y[i] : ymax;
		pmin = p[i] < pmin ? p[i] : pmin;
		pmax = p[i] > pmax ? p[i] : pmax;
	}
	mean = n ? sum / (double) n : NAN;
	for (int64_t i = 0; i < n; i++)
	{
		var += (res[i] - mean) * (res[i] - mean);
		sst += (y[i] - sumy / (double) n) * (y[i] - sumy / (double) n);
	}
	qsort(res, (size_t) n, sizeof(double), aml_cmp_double);

	/* histogram: about sqrt(n) bins, at most 30, over [min, max] */
	bins = (int) ceil(sqrt((double) n));
	bins = bins > RESIDUAL_MAX_BINS ? RESIDUAL_MAX_BINS : bins < 1 ? 1 : bins;
	if (n > 0)
	{
		double		lo = res[0],
					hi = res[n - 1],
					w;
		int64_t		counts[RESIDUAL_MAX_BINS] = {0};

		if (!(hi > lo))
		{
			lo -= 0.5;
			hi += 0.5;
			bins = 1;
		}
		w = (hi - lo) / bins;
		for (int64_t i = 0; i < n; i++)
		{
			int			b = (int) ((res[i] - lo) / w);

			counts[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
		}
		aml_json_key(j, "residuals");
		aml_json_begin_obj(j);
		aml_json_key(j, "edges");
		aml_json_begin_arr(j);
		for (int b = 0; b <= bins; b++)
			num6(j, b == bins ? hi : lo + w * b);
		aml_json_end_arr(j);
		aml_json_key(j, "counts");
		aml_json_begin_arr(j);
		for (int b = 0; b < bins; b++)
			aml_json_int(j, counts[b]);
		aml_json_end_arr(j);
		aml_json_end_obj(j);

		aml_json_key(j, "summary");
		aml_json_begin_obj(j);
		key_num6(j, "rmse", sqrt(sse / (double) n));
		key_num6(j, "mae", sae / (double) n);
		key_num6(j, "r2", sst > 0 ? 1.0 - sse / sst : NAN);
		key_num6(j, "mean_residual", mean);
		key_num6(j, "sd_residual", n > 1 ? sqrt(var / (double) (n - 1)) : NAN);
		key_num6(j, "p05", quantile(res, n, 0.05));
		key_num6(j, "p25", quantile(res, n, 0.25));
		key_num6(j, "p50", quantile(res, n, 0.50));
		key_num6(j, "p75", quantile(res, n, 0.75));
		key_num6(j, "p95", quantile(res, n, 0.95));
		key_num6(j, "max_abs_residual", fabs(res[0]) > fabs(res[n - 1]) ? fabs(res[0]) : fabs(res[n - 1]));
		key_num6(j, "actual_min", ymin);
		key_num6(j, "actual_max", ymax);
		key_num6(j, "predicted_min", pmin);
		key_num6(j, "predicted_max", pmax);
		aml_json_end_obj(j);
	}
	aml_free(env, res);
	aml_free(env, idx);
	return AML_OK;
}

/* ---------------------------------------------------------------- trajectory */

static void
write_trajectory(aml_json *j, const aml_diag_input *di)
{
	const aml_report *r = di->report;
	double		best = NAN;

	aml_json_key(j, "trajectory");
	aml_json_begin_obj(j);
	aml_json_key(j, "metric");
	aml_json_str(j, di->metric);
	aml_json_key(j, "higher_is_better");
	aml_json_bool(j, di->higher_is_better);
	aml_json_key(j, "trials");
	aml_json_begin_arr(j);
	for (int i = 0; r && i < r->n_cands; i++)
	{
		const aml_candidate *c = &r->cands[i];

		/* per-group training: each group's search has its own best */
		if (i > 0 && c->group_index != r->cands[i - 1].group_index)
			best = NAN;
		if (isfinite(c->score) &&
			(isnan(best) || (di->higher_is_better ? c->score > best : c->score < best)))
			best = c->score;
		aml_json_begin_obj(j);
		key_num6(j, "seconds", c->finished_at);
		aml_json_key(j, "learner");
		aml_json_str(j, aml_algo_name(c->algo));
		key_num6(j, "score", c->score);
		key_num6(j, "best", best);
		aml_json_key(j, "rows");
		aml_json_int(j, c->sample_rows);
		if (c->unscored)
		{
			aml_json_key(j, "unscored");
			aml_json_str(j, c->unscored);
		}
		if (c->group)
		{
			aml_json_key(j, "group");
			aml_json_str(j, c->group);
		}
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	aml_json_end_obj(j);
}

/* ---------------------------------------------------------------- entry */

/*
 * aml_diag_curves writes the "curves" (from the test split) and
 * "trajectory" (from the leaderboard so far) sections.
 */
aml_status
aml_diag_curves(aml_json *j, const aml_diag_input *di, aml_error *err)
{
	aml_env    *env = di->env;
	int			k = di->n_out;
	int64_t		n = 0;
	double	   *y = NULL,
			   *p = NULL;
	aml_status	st = AML_OK;

	write_trajectory(j, di);
	if (di->n <= 0 || di->y == NULL || di->pred == NULL)
		return AML_OK;

	/* the test rows with a finite prediction and target */
	y = aml_malloc(env, (size_t) di->n * sizeof(double));
	p = aml_malloc(env, (size_t) di->n * k * sizeof(double));
	if (y == NULL || p == NULL)
	{
		aml_free(env, y);
		aml_free(env, p);
		return aml_oom(env, err, (size_t) di->n * (k + 1) * sizeof(double));
	}
	for (int64_t i = 0; i < di->n; i++)
	{
		int			ok = isfinite(di->y[i]);

		for (int c = 0; c < k; c++)
			ok = ok && isfinite(di->pred[i * k + c]);
		if (!ok)
			continue;
		y[n] = di->y[i];
		memcpy(p + n * k, di->pred + i * k, (size_t) k * sizeof(double));
		n++;
	}

	aml_json_key(j, "curves");
	aml_json_begin_obj(j);
	aml_json_key(j, "task");
	aml_json_str(j, aml_task_name(di->task));
	aml_json_key(j, "n");
	aml_json_int(j, n);
	if (n > 0)
	{
		if (di->task == AML_TASK_BINARY)
			st = curves_binary(j, env, di->model, n, y, p, err);
		else if (di->task == AML_TASK_MULTICLASS)
			st = curves_multiclass(j, env, di->model, di->n_classes, n, y, p, err);
		else
			st = curves_regression(j, env, di->opts ? di->opts->seed : 0, n, y, p, err);
	}
	aml_json_end_obj(j);
	aml_free(env, y);
	aml_free(env, p);
	return st;
}
