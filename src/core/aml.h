/*-------------------------------------------------------------------------
 *
 * aml.h
 *	  Public interface of the automl core: a pure C11 machine-learning
 *	  engine with no dependency on PostgreSQL.
 *
 * The core receives everything from its caller through an aml_env
 * (allocation budget, logging, cancellation, threads, seed) and reports
 * failures as an aml_status plus a caller-owned aml_error.  It never
 * prints, exits, or touches global state.
 *
 * Data flow:  aml_frame (raw source columns, filled by the caller)
 *			 -> aml_train()  (profile, split, preprocess, fit, select, score)
 *			 -> aml_model    (preprocessing + learner, serializable)
 *			 -> aml_model_predict() on rows given as raw input values.
 *
 * Threading: aml_train may run worker threads internally; env->log is only
 * ever called from the calling thread.  A model is immutable after
 * training or deserialization and may be used for prediction concurrently.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_H
#define AML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

typedef enum aml_status
{
	AML_OK = 0,
	AML_EINVAL,					/* bad input or parameters */
	AML_ENOMEM,					/* allocation failed or budget exceeded */
	AML_ECANCELED,				/* env->should_cancel said stop */
	AML_ENUMERIC,				/* numeric failure (NaN, divergence) */
	AML_EFORMAT,				/* corrupt or unknown serialized model */
	AML_EINTERNAL,				/* a bug */
	AML_ETOOLARGE				/* a result over a size limit */
} aml_status;

/* Caller-owned error report; msg follows PostgreSQL's message style. */
typedef struct aml_error
{
	char		msg[256];
	char		detail[512];
	char		hint[256];
} aml_error;

/* ---------------------------------------------------------------- env */

typedef enum aml_log_level
{
	AML_LOG_DEBUG = 0,
	AML_LOG_INFO,				/* progress lines */
	AML_LOG_NOTICE				/* things the user should read */
} aml_log_level;

typedef struct aml_env
{
	/* allocation; NULL means malloc/free.  mem_budget 0 means unlimited. */
	void	   *(*alloc) (void *ctx, size_t size);
	void		(*free) (void *ctx, void *ptr);
	size_t		mem_budget;

	/* logging, called from the calling thread only; may be NULL */
	void		(*log) (void *ctx, aml_log_level level, const char *msg);

	/*
	 * Cancellation: called from the calling thread only, between chunks of
	 * work; nonzero means stop.  Worker threads instead poll cancel_flag,
	 * which the core sets when should_cancel returns nonzero.
	 */
	int			(*should_cancel) (void *ctx);

	void	   *ctx;			/* passed to the callbacks above */
	int			n_threads;		/* worker threads, >= 1 */
	uint64_t	seed;

	/* bookkeeping owned by the core; initialize with aml_env_init */
	size_t		mem_used;
	size_t		mem_peak;
	volatile int cancel_flag;
	double		deadline;		/* aml_now() seconds; 0 = none (search cuts) */
	int			deadline_hit;	/* the last cancel came from the deadline */
} aml_env;

/* aml_env_init fills env with defaults (malloc, no budget, 1 thread). */
void		aml_env_init(aml_env *env);

/* ---------------------------------------------------------------- frame */

/*
 * aml_frame holds the source columns exactly as read, column-major:
 *	 AML_COL_NUMERIC	 float values, NaN = missing
 *	 AML_COL_CATEGORICAL int32 codes into the column's level dictionary,
 *						 -1 = missing
 *	 AML_COL_DATETIME	 double seconds since 2000-01-01 00:00:00, NaN =
 *						 missing; has_time says whether the source carries
 *						 a time of day (timestamp) or only a date
 * One column is the target.  Level strings are copied into the frame.
 */
typedef enum aml_col_kind
{
	AML_COL_NUMERIC = 0,
	AML_COL_CATEGORICAL = 1,
	AML_COL_DATETIME = 2
} aml_col_kind;

typedef struct aml_frame aml_frame;

aml_frame  *aml_frame_create(aml_env *env, aml_error *err);
void		aml_frame_free(aml_frame *frame);

/*
 * aml_frame_add_column adds an empty column and returns its index (or -1
 * with err filled).  source_type is the caller's type name (kept for the
 * profile); is_integer marks integer numeric columns (for task detection).
 */
int			aml_frame_add_column(aml_frame *frame, const char *name,
								 aml_col_kind kind, const char *source_type,
								 int is_integer, int has_time, aml_error *err);

/* aml_frame_reserve makes room for n_rows rows in every column. */
aml_status	aml_frame_reserve(aml_frame *frame, int64_t n_rows, aml_error *err);

/*
 * aml_frame_level_code returns the code of a level string in a categorical
 * column, adding it when new; -1 with err filled on failure.
 */
int32_t		aml_frame_level_code(aml_frame *frame, int col, const char *str,
								 size_t len, aml_error *err);

/* Setters for row `row` (< reserved); rows must be appended in order. */
void		aml_frame_set_numeric(aml_frame *frame, int col, int64_t row, double v);
void		aml_frame_set_code(aml_frame *frame, int col, int64_t row, int32_t code);
void		aml_frame_set_datetime(aml_frame *frame, int col, int64_t row, double secs);
/* aml_frame_set_rows fixes the row count after the rows were set. */
void		aml_frame_set_rows(aml_frame *frame, int64_t n_rows);

int64_t		aml_frame_rows(const aml_frame *frame);
int			aml_frame_cols(const aml_frame *frame);
size_t		aml_frame_bytes(const aml_frame *frame);

/* ---------------------------------------------------------------- training */

typedef enum aml_task
{
	AML_TASK_AUTO = 0,
	AML_TASK_BINARY,
	AML_TASK_MULTICLASS,
	AML_TASK_REGRESSION
} aml_task;

typedef enum aml_algo
{
	AML_ALGO_BASELINE = 0,
	AML_ALGO_LINEAR = 1,		/* ridge / logistic / multinomial */
	AML_ALGO_DECISION_TREE = 2,
	AML_ALGO_GBDT = 3,
	AML_ALGO_RANDOM_FOREST = 4,
	AML_ALGO_EXTRA_TREES = 5,
	AML_ALGO_ENSEMBLE = 6,
	AML_ALGO_PER_GROUP = 7,		/* one model per value of a column */
	AML_ALGO_COUNT
} aml_algo;

/* aml_algo_name returns the SQL-facing name of an algorithm. */
const char *aml_algo_name(aml_algo algo);
/* aml_algo_from_name returns the algorithm named, or -1. */
int			aml_algo_from_name(const char *name);

#define AML_MAX_PARAMS 16

/* A learner's hyperparameters as name/value pairs (values are numbers). */
typedef struct aml_params
{
	int			n;
	char		name[AML_MAX_PARAMS][32];
	double		value[AML_MAX_PARAMS];
} aml_params;

/* aml_params_set sets (or replaces) one parameter; 0 on success. */
int			aml_params_set(aml_params *p, const char *name, double value);
/* aml_params_get returns the value of name, or dflt when unset. */
double		aml_params_get(const aml_params *p, const char *name, double dflt);
/* aml_params_equal: the same names and values in the same order. */
int			aml_params_equal(const aml_params *a, const aml_params *b);

/*
 * aml_params_check validates params for algo: NULL when fine, else a
 * message naming the parameter and its valid range (static storage is not
 * used: the message is written to buf).
 */
const char *aml_params_check(aml_algo algo, const aml_params *p,
							 char *buf, size_t buflen);

typedef struct aml_train_options
{
	aml_task	task;			/* AML_TASK_AUTO detects it */
	int			target_col;		/* index in the frame */
	const char *metric;			/* NULL or "auto" = default for the task */
	double		test_fraction;	/* default 0.2 */
	int			folds;			/* k for CV on small data; default 5 */
	uint64_t	seed;
	double		budget_seconds; /* wall clock budget for the search */
	/*
	 * the largest serialized model the caller can store (0 = no limit): a
	 * final fit over it gives way to the next best configuration, as one
	 * out of memory does
	 */
	size_t		max_model_bytes;

	/* algorithms allowed (bit per aml_algo); 0 = all available */
	unsigned	algorithms;

	/* manual mode: train exactly this configuration */
	int			manual;
	aml_algo	manual_algo;
	aml_params	manual_params;

	/* ensemble the best candidates when it helps (default 1) */
	int			ensemble;
	/*
	 * add generated features (sums of numeric columns whose names differ in
	 * one part) for the search to try (default 1; model.c)
	 */
	int			generated_features;
	/* search on at most this many training rows; 0 = all (final fit: all) */
	int64_t		max_rows;

	/*
	 * assessment mode (automl_assess): the search gets a smaller share of
	 * the budget and aml_diag_assess adds the "assessment" diagnostics
	 * (bootstrap interval, learning curve, leakage, readiness, verdict)
	 */
	int			assess;

	/*
	 * time-ordered split: the name of a date, timestamp or numeric column
	 * of the frame (not the target), or NULL for the random split.  The
	 * test split is then the latest test_fraction of the labelled rows in
	 * that column's order (ties in a seeded random order; rows where it is
	 * missing always train), and the search validates forward in time: the
	 * training rows in time order form folds + 1 blocks, fold k fits on
	 * blocks before k and validates on block k (k = 1..folds); above the
	 * cross-validation size, one split: the latest fifth of the training
	 * rows.  The column stays a feature unless excluded.
	 */
	const char *time_column;

	/* columns the caller excluded (indexes into the frame), already noticed */
	const int  *exclude;
	int			n_exclude;

	/*
	 * sensitive columns (indexes into the frame): left out of the features
	 * unless use_sensitive; their bias table on the test split goes into
	 * the diagnostics (aml_diag_bias)
	 */
	const int  *sensitive;
	int			n_sensitive;
	int			use_sensitive;

	/*
	 * per-group models: the name of a text, boolean or integer column of
	 * the frame (not the target), or NULL.  Each of its values with at
	 * least group_min_rows training rows (and, for classification, at
	 * least AML_GROUP_MIN_CLASS rows of every class) gets a model of its
	 * own, searched on its rows; a model of every training row scores the
	 * other values and missing ones.  The column stays an input.
	 */
	const char *group_column;
	int64_t		group_min_rows; /* default 50 */

	/* clock for the budget: seconds since an arbitrary origin; NULL = real */
	double		(*clock) (void *ctx);
} aml_train_options;

void		aml_train_options_init(aml_train_options *o);

/* One leaderboard row. */
typedef struct aml_candidate
{
	aml_algo	algo;
	aml_params	params;
	double		score;			/* validation score in the search metric */
	double		temp;			/* multiclass: the temperature score was
								 * computed at (0: none; see aml_train) */
	double		fit_seconds;
	int64_t		sample_rows;
	int			rank;			/* 1 = best */
	double		finished_at;	/* seconds since the start of training when
								 * the trial ended */
	const char *unscored;		/* why score is NaN: "time_limit",
								 * "out_of_memory", "failed" (the fit
								 * diverged) or "manual" (not validated);
								 * NULL when scored */
	/*
	 * per-group training: the group value whose model the candidate is
	 * for (text); NULL for the model of every row, or without groups
	 */
	const char *group;
	int			group_index;	/* its position among the groups; -1 */
} aml_candidate;

#define AML_MAX_GROUPS		1000	/* groups with a model of their own */
#define AML_GROUP_MIN_CLASS 5		/* rows of each class a group needs */

typedef struct aml_model aml_model;
typedef struct aml_report aml_report;

/*
 * aml_train profiles the frame, detects the task, splits off a test set,
 * fits the preprocessing and candidates, chooses the best on validation,
 * refits it on all training rows and scores it and the baseline on the
 * test set.  On success *model and *report are owned by the caller.
 */
aml_status	aml_train(aml_env *env, const aml_frame *frame,
					  const aml_train_options *opts,
					  aml_model **model, aml_report **report, aml_error *err);

void		aml_report_free(aml_report *report);

/*
 * aml_report_json writes the named section of the report as JSON text
 * into a caller-owned buffer (two-call style: returns the length needed
 * excluding the NUL; writes at most cap bytes).  Sections:
 *	 "metrics"		 test metrics of the chosen model
 *	 "baseline"		 test metrics of the baseline
 *	 "features"		 per source column: kind, role, missing rate, ...
 *	 "hyperparameters" of the chosen model
 *	 "diagnostics"	 an object of what the test split shows (see train.c)
 */
size_t		aml_report_json(const aml_report *report, const char *section,
							char *buf, size_t cap);

int			aml_report_n_candidates(const aml_report *report);
const aml_candidate *aml_report_candidate(const aml_report *report, int i);
aml_task	aml_report_task(const aml_report *report);
const char *aml_report_metric(const aml_report *report);
double		aml_report_test_score(const aml_report *report);
double		aml_report_baseline_score(const aml_report *report);
int			aml_report_higher_is_better(const aml_report *report);
int64_t		aml_report_train_rows(const aml_report *report);
int64_t		aml_report_test_rows(const aml_report *report);

/* ---------------------------------------------------------------- model */

void		aml_model_free(aml_model *model);

aml_task	aml_model_task(const aml_model *m);
aml_algo	aml_model_algo(const aml_model *m);

/* Raw inputs the model reads: the source columns it uses, in order. */
int			aml_model_n_inputs(const aml_model *m);
const char *aml_model_input_name(const aml_model *m, int i);
aml_col_kind aml_model_input_kind(const aml_model *m, int i);

/*
 * aml_model_input_code maps a category string of categorical input i to
 * the code aml_model_predict expects: >= 0 known, -1 unseen in training.
 * Missing values are NaN, not a code.
 */
int32_t		aml_model_input_code(const aml_model *m, int i, const char *str, size_t len);

/* Classes (classification): count and label text of class k. */
int			aml_model_n_classes(const aml_model *m);
const char *aml_model_class_label(const aml_model *m, int k);

/* Outputs per row: 1 for regression and binary, n_classes for multiclass. */
int			aml_model_n_outputs(const aml_model *m);

/*
 * aml_model_predict scores n rows given as raw input values, row-major
 * (n x n_inputs doubles): numeric value, datetime seconds since
 * 2000-01-01, or categorical code from aml_model_input_code cast to double;
 * NaN = missing.  out receives n x n_outputs values: the regression value,
 * the positive-class probability (binary), or class probabilities
 * (multiclass).  It never allocates and is safe to call concurrently.
 * scratch must hold aml_model_scratch_size(m) bytes.
 */
size_t		aml_model_scratch_size(const aml_model *m);
void		aml_model_predict(const aml_model *m, int64_t n, const double *in,
							  double *out, void *scratch);

/*
 * aml_scorer scores blocks of rows on n_threads threads (the caller and
 * n_threads - 1 workers that live as long as the scorer, signals blocked):
 * aml_scorer_predict is aml_model_predict with the rows split over the
 * threads, with the same results.  Create it in one thread and use it from
 * that thread only; it keeps pointers to env and m, which must outlive it.
 * NULL when out of memory.
 */
typedef struct aml_scorer aml_scorer;
aml_scorer *aml_scorer_create(aml_env *env, const aml_model *m, int n_threads);
void		aml_scorer_predict(aml_scorer *s, int64_t n, const double *in, double *out);

/*
 * aml_scorer_start / aml_scorer_wait split aml_scorer_predict in two: start
 * hands the rows to the worker threads and returns at once, so that the
 * caller can prepare the next rows meanwhile; wait scores the rows no
 * worker has taken and waits for the others.  One job at a time; in and
 * out must not be touched until wait returns.  aml_scorer_free waits for a
 * started job.
 */
void		aml_scorer_start(aml_scorer *s, int64_t n, const double *in, double *out);
void		aml_scorer_wait(aml_scorer *s);
void		aml_scorer_free(aml_scorer *s);

/*
 * aml_model_decide turns one row's outputs into the predicted class index
 * (classification; binary uses threshold 0.5) or -1 for regression.
 */
int			aml_model_decide(const aml_model *m, const double *outputs);

/* ---------------------------------------------------------------- explain */

/* The space an explanation's base, contributions and prediction add up in. */
typedef enum aml_explain_space
{
	AML_EXPLAIN_VALUE = 0,		/* regression value */
	AML_EXPLAIN_PROBABILITY,	/* class probability */
	AML_EXPLAIN_LOG_ODDS,		/* binary: logit of the probability */
	AML_EXPLAIN_MARGIN			/* multiclass: softmax input of the class */
} aml_explain_space;

const char *aml_explain_space_name(aml_explain_space s);

/*
 * aml_model_explain explains n rows given as for aml_model_predict, for
 * class k (binary: 1 = the positive class, 0 = the other; multiclass:
 * the class index; regression: ignored).  phi receives n x n_inputs
 * contributions, one per source column; *base the expected output over
 * the training rows; pred the n outputs, each equal to base plus its
 * contributions.  pred maps to aml_model_predict's output: the sigmoid of
 * a log-odds, the softmax over every class's margin, 1 - p for the
 * negative binary class, identity otherwise.  Allocates scratch through
 * the model's env, so calls on one model must not overlap.
 */
aml_status	aml_model_explain(const aml_model *m, int64_t n, const double *in,
							  int k, double *phi, double *base, double *pred,
							  aml_explain_space *space, aml_error *err);

/* ---------------------------------------------------------------- bias */

/*
 * Bias across groups: one row per group of a sensitive column (and per
 * class for multiclass one-vs-rest), computed from arrays so the glue and
 * the training-time diagnostics share it.
 *
 * Classification: a row is predicted positive when the positive class's
 * probability is at least the threshold (binary) or when the positive
 * class is the most probable one (multiclass, one-vs-rest for each class).
 * Against the reference group: disparate_impact is the ratio of predicted
 * positive rates, the differences are group minus reference, and a group
 * is flagged when disparate impact is outside [0.8, 1.25] (the four-fifths
 * rule) or an odds difference (equal opportunity or average odds) exceeds
 * 0.1 in absolute value.
 * Regression: means of prediction, actual value and residual (actual minus
 * prediction), MAE and RMSE; differences against the reference; a group is
 * flagged when its MAE is outside [0.8, 1.25] times the reference's.
 * Groups with fewer than min_rows rows are never flagged.  Undefined values
 * (a rate with an empty denominator, label-based values without labels)
 * are NaN.
 */
#define AML_BIAS_MIN_ROWS 30
#define AML_BIAS_DI_LOW 0.8
#define AML_BIAS_DI_HIGH 1.25
#define AML_BIAS_ODDS_MAX 0.1

typedef struct aml_bias_options
{
	aml_task	task;			/* BINARY, MULTICLASS or REGRESSION */
	int			n_classes;		/* classification: the model's classes */
	double		threshold;		/* binary: in (0, 1); default 0.5 */
	int			positive;		/* binary: the positive class; default 1 */
	int			cls;			/* multiclass: one class, or -1 = each */
	int			reference;		/* reference group, -1 = the largest */
	int64_t		min_rows;		/* default AML_BIAS_MIN_ROWS */
} aml_bias_options;

void		aml_bias_options_init(aml_bias_options *o);

typedef struct aml_bias_row
{
	int			group;			/* group index */
	int			cls;			/* multiclass: class index; else -1 */
	int			is_reference;
	int64_t		rows;
	int64_t		labelled;		/* rows with a label */
	double		share;			/* rows / all rows */
	/* classification */
	double		label_positive_rate;
	double		predicted_positive_rate;
	double		accuracy;
	double		tpr;
	double		fpr;
	double		precision;
	double		disparate_impact;
	double		demographic_parity_difference;
	double		equal_opportunity_difference;
	double		average_odds_difference;
	/* regression */
	double		mean_prediction;
	double		mean_actual;
	double		mae;
	double		rmse;
	double		mean_residual;
	double		mean_prediction_difference;
	double		mae_difference;
	double		rmse_difference;
	double		mean_residual_difference;
	int			flagged;
} aml_bias_row;

/* aml_bias_n_rows: rows of the table for n_groups groups under o. */
int64_t		aml_bias_n_rows(const aml_bias_options *o, int n_groups);

/*
 * aml_bias_compute fills out[aml_bias_n_rows(o, n_groups)], group-major
 * (then class), from n rows: group[i] in 0..n_groups-1, y[i] the class
 * index or value (NaN = no label; y NULL = no labels at all) and pred the
 * n x outputs model outputs as aml_model_predict returns them.
 */
aml_status	aml_bias_compute(aml_env *env, const aml_bias_options *o, int64_t n,
							 const int32_t *group, int n_groups,
							 const double *y, const double *pred,
							 aml_bias_row *out, aml_error *err);

/*
 * Numeric sensitive columns are cut into bins by edges e[0] < ... <
 * e[k-1]: bin b holds e[b-1] <= x < e[b] (bin 0: x < e[0]; bin k: x >=
 * e[k-1]).  aml_bias_quantile_edges computes the edges of n_bins quantile
 * bins of v (NaN skipped; ties merge bins, so fewer may result) into
 * edges[n_bins - 1]; aml_bias_bin_of returns the bin of x;
 * aml_bias_bin_label writes "[lo, hi)" (the last bin "[lo, hi]") with the
 * column's min and max as the outer bounds, numbers in their shortest
 * form (as_float: the shortest that reads back as the same float).
 */
aml_status	aml_bias_quantile_edges(aml_env *env, const double *v, int64_t n,
									int n_bins, double *edges, int *n_edges,
									aml_error *err);
int			aml_bias_bin_of(const double *edges, int n_edges, double x);
void		aml_bias_bin_label(const double *edges, int n_edges, int bin,
							   double min, double max, int as_float,
							   char *buf, size_t cap);

/* ---------------------------------------------------------------- format */

/*
 * Serialized layout (little-endian):
 *	 "AML\0" | u16 format_version | u16 algo | u64 payload_len | payload |
 *	 u32 crc32c(everything before it)
 */
#define AML_FORMAT_VERSION 4		/* the newest this build reads; a model
									 * is written as 1 unless it has
									 * generated features (2), one model
									 * per group (3) or calibrated members
									 * (4) */

/*
 * aml_model_serialize writes the model into buf, whose cap must be exactly
 * aml_model_serialized_size(m) (AML_EINVAL otherwise): a blob is never
 * shorter than its model, nor padded.
 */
size_t		aml_model_serialized_size(const aml_model *m);
aml_status	aml_model_serialize(const aml_model *m, uint8_t *buf, size_t cap,
								aml_error *err);
aml_status	aml_model_deserialize(aml_env *env, const uint8_t *buf, size_t len,
								  aml_model **model, aml_error *err);

/* ---------------------------------------------------------------- metrics */

/*
 * aml_metric_compute computes a named metric.  y holds class indexes (as
 * doubles) or regression targets; pred holds n x n_outputs model outputs
 * as aml_model_predict returns them.  Returns NaN for an unknown name or
 * when the metric is undefined (e.g. AUC with one class).
 */
double		aml_metric_compute(const char *name, aml_task task, int n_classes,
							   int64_t n, const double *y, const double *pred);
/* aml_metric_higher_is_better: 1, 0, or -1 for an unknown metric. */
int			aml_metric_higher_is_better(const char *name);
/* aml_metric_valid says whether a metric applies to the task. */
int			aml_metric_valid(const char *name, aml_task task);
const char *aml_metric_default(aml_task task);
/* aml_metric_names: the metrics a model reports on its test split, NULL-terminated */
const char *const *aml_metric_names(aml_task task);

/*
 * aml_metric_roc_auc_compare: DeLong's test of two scores' AUCs on the
 * same rows (y 1 = positive).  out: AUC of a, AUC of b, b - a, its
 * standard error, z, two-sided p-value (NaN when undefined).  -1 when out
 * of memory, else 0.
 */
int			aml_metric_roc_auc_compare(int64_t n, const double *y, const double *a,
									   const double *b, double out[6]);

/*
 * Streaming metrics (the SQL metric aggregates): an accumulator takes one
 * row at a time, two accumulators of parts of the rows merge (a parallel
 * scan's workers), and the result is the metric of all the rows.  Rows of
 * (prediction, actual) feed rmse, mae and r2; the probability a model gave
 * the actual class feeds log_loss (clipped as aml_metric_compute clips).
 * The result is NaN when undefined (no rows; r2 of a constant target).
 */
typedef struct aml_metric_acc
{
	int64_t		n;
	double		sse;			/* sum of squared errors */
	double		sae;			/* sum of absolute errors */
	double		mean;			/* of the actual values (Welford) */
	double		m2;				/* their sum of squared deviations */
	double		nll;			/* sum of negative log probabilities */
} aml_metric_acc;

void		aml_metric_acc_add(aml_metric_acc *a, double pred, double actual);
void		aml_metric_acc_add_prob(aml_metric_acc *a, double p_actual);
void		aml_metric_acc_merge(aml_metric_acc *a, const aml_metric_acc *b);
/* name: rmse, mae, r2 or log_loss */
double		aml_metric_acc_result(const aml_metric_acc *a, const char *name);

/* ---------------------------------------------------------------- drift */

/*
 * Input drift (drift.c): a model's feature profile stores, per input
 * column, the training shares of at most AML_DRIFT_BINS quantile bins (a
 * number or a date) or of the AML_DRIFT_LEVELS most frequent levels plus
 * "other" (a category), and of "missing"; new rows are counted into the
 * same bins and compared by the population stability index.
 */
#define AML_DRIFT_BINS		10
#define AML_DRIFT_LEVELS	20
#define AML_PSI_FLOOR		1e-4
#define AML_PSI_MODERATE	0.1		/* conventional reading of the PSI */
#define AML_PSI_MAJOR		0.25

int			aml_drift_edges(const double *sorted, int64_t n, int n_bins, double *edges);
int			aml_drift_bin(const double *edges, int n_edges, double x);
double		aml_psi(int n, const double *expected, const double *actual);

/* ---------------------------------------------------------------- misc */

uint32_t	aml_crc32c(uint32_t crc, const void *data, size_t len);
const char *aml_task_name(aml_task task);
const char *aml_status_name(aml_status s);

#ifdef __cplusplus
}
#endif

#endif							/* AML_H */
