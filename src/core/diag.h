/*-------------------------------------------------------------------------
 *
 * diag.h
 *	  Diagnostics computed at training time on the test split and stored
 *	  with the model (the catalog's diagnostics column), so explanations,
 *	  bias tables and the report never re-read the source.
 *
 * aml_train builds one aml_diag_input after scoring the test rows and
 * calls every section writer in turn; each adds its own keys to the open
 * JSON object (a writer that has nothing to say adds nothing).  Writers
 * run in the calling thread, may allocate through env and must leave the
 * model unchanged.  Out of memory shows as j->oom.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_DIAG_H
#define AML_DIAG_H

#include "model.h"

typedef struct aml_diag_input
{
	aml_env    *env;
	const aml_model *model;
	const aml_frame *frame;
	const aml_train_options *opts;
	const aml_report *report;	/* metric, leaderboard so far */
	const aml_dataset *ds;		/* base features of every frame row, for
								 * refits (learning curve, one-column
								 * models) */
	aml_task	task;
	int			n_classes;
	int			n_out;			/* outputs per row */
	const char *metric;
	int			higher_is_better;
	/* the test split */
	int64_t		n;
	const int64_t *rows;		/* frame row of each test row */
	/*
	 * raw_rows writes the raw inputs of test positions pos[0..n) into out
	 * (n x model->n_inputs), as aml_model_predict takes them; the test
	 * split is never materialized whole.
	 */
	void		(*raw_rows) (const void *ctx, const int64_t *pos, int64_t n, double *out);
	const void *raw_ctx;
	const double *y;			/* target: class index or value */
	const double *pred;			/* n x n_out model outputs */
	const double *base_pred;	/* n x n_out baseline outputs */
	/* the training rows (frame rows) */
	int64_t		n_train;
	const int64_t *train_rows;
	double		seconds;		/* training so far */
	const float *frame_y;		/* target of every frame row (class index or
								 * value; NaN = none), for refits */
} aml_diag_input;

/*
 * Section writers (one per file that owns the section), each adding its
 * keys to the open object:
 *	 "importance", "examples"  explain.c: per source column, mean
 *					|contribution| and permutation importance on the test
 *					split; three test rows explained
 *	 "bias"			bias.c: the bias tables of the sensitive columns
 *	 "curves", "trajectory"  diag.c: ROC, precision-recall, confusion,
 *					calibration, predicted vs actual, residuals; best
 *					score over the search's time
 *	 "assessment"	assess.c: bootstrap interval, learning curve, leakage
 * Each returns AML_OK or a failure with err filled; training fails with it.
 */
aml_status	aml_diag_importance(aml_json *j, const aml_diag_input *di,
								aml_error *err);

aml_status	aml_diag_assess(aml_json *j, const aml_diag_input *di, aml_error *err);

/* ---------------------------------------------------------------- assess.c */

/* Thresholds of the assessment verdict (README, details.thresholds). */
#define AML_ASSESS_MIN_ROWS		50	/* usable rows below: data_not_ready */
#define AML_ASSESS_PROMISING	0.2 /* lift from: promising */
#define AML_ASSESS_STRONG		0.5 /* lift from: strong */
#define AML_ASSESS_LEAK			0.98	/* one column alone reaching this */
#define AML_ASSESS_MORE_DATA	0.02	/* lift gained per doubling of rows */
#define AML_ASSESS_RESAMPLES	1000	/* bootstrap resamples (fewer on big
										 * test splits) */

typedef enum aml_verdict
{
	AML_VERDICT_DATA_NOT_READY = 0,
	AML_VERDICT_NOT_APPLICABLE,
	AML_VERDICT_WEAK,
	AML_VERDICT_PROMISING,
	AML_VERDICT_STRONG
} aml_verdict;

/* What the verdict is decided from. */
typedef struct aml_assess_facts
{
	int64_t		rows_usable;	/* rows with a target */
	int			n_leaks;		/* leakage suspects */
	int			higher_is_better;
	double		score;			/* test score of the model */
	double		baseline;		/* test score of the baseline */
	double		score_low;		/* bootstrap 95% interval of score */
	double		score_high;
	double		lift;			/* aml_assess_lift(score, baseline) */
} aml_assess_facts;

/*
 * aml_assess_verdict decides the verdict: data_not_ready (too few usable
 * rows, a leakage suspect, or no score), not_applicable (the score's
 * interval does not lie entirely on the better side of the baseline),
 * else weak / promising / strong by lift.
 */
aml_verdict aml_assess_verdict(const aml_assess_facts *f);
const char *aml_verdict_name(aml_verdict v);

/*
 * aml_assess_perfect returns the perfect value of a metric (1 for scores,
 * 0 for losses); aml_assess_lift the share of the gap between the
 * baseline and a perfect score that score closes (1 = perfect, 0 = no
 * better than the baseline, negative = worse); NaN when undefined.
 */
double		aml_assess_perfect(const char *metric);
double		aml_assess_lift(const char *metric, double score, double baseline);

/*
 * aml_assess_bootstrap resamples the n test rows with replacement
 * n_resamples times (seeded) and fills the percentile 95% intervals of the
 * model's score (out[0], out[1]), the baseline's (out[2], out[3]) and the
 * lift (out[4], out[5]), the two scored on the same resamples.  Resamples
 * where a metric is undefined (e.g. one class only) are left out; *used
 * receives how many were kept.  base_pred may be NULL (out[2..5] NaN).
 */
aml_status	aml_assess_bootstrap(aml_env *env, const char *metric, aml_task task,
								 int n_classes, int64_t n, const double *y,
								 const double *pred, const double *base_pred,
								 int n_resamples, uint64_t seed, double out[6],
								 int *used, aml_error *err);

/*
 * aml_assess_slope is the least-squares slope of lift against log2(rows)
 * over n learning-curve points, skipping NaN lifts: the lift gained per
 * doubling of the training rows; NaN with fewer than two points.
 */
double		aml_assess_slope(int n, const double *rows, const double *lift);

/* diag.c: "curves" and "trajectory" (the layout is described in diag.c) */
aml_status	aml_diag_curves(aml_json *j, const aml_diag_input *di, aml_error *err);

/*
 * aml_diag_thin picks at most max (>= 2) of the m points of a polyline,
 * evenly spaced along its length, first and last included; writes their
 * indexes to keep (room for min(m, max)) and returns how many.
 */
int			aml_diag_thin(const double *x, const double *y, int m, int max, int *keep);

/*
 * aml_diag_bias adds "bias": one table per sensitive column of the
 * training options (nothing when there is none or no test rows).
 */
aml_status	aml_diag_bias(aml_json *j, const aml_diag_input *di, aml_error *err);

#endif							/* AML_DIAG_H */
