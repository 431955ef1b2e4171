/*-------------------------------------------------------------------------
 *
 * aml_int.h
 *	  Internal interfaces shared by the core's source files: memory with a
 *	  budget, errors, random numbers, the feature dataset, the learner
 *	  interface, and the bounded buffers used by serialization.
 *
 * Nothing here is visible to the PostgreSQL glue; aml.h is the public API.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_INT_H
#define AML_INT_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "aml.h"

/* ---------------------------------------------------------------- memory */

/*
 * aml_malloc allocates through env with budget accounting (thread-safe);
 * NULL when out of memory or over budget.  aml_free takes NULL.
 * Worker threads may call these (they never reach PostgreSQL: the glue's
 * allocator is plain malloc).
 */
void	   *aml_malloc(aml_env *env, size_t size);
void	   *aml_calloc(aml_env *env, size_t n, size_t size);
void	   *aml_realloc(aml_env *env, void *ptr, size_t size);
void		aml_free(aml_env *env, void *ptr);
char	   *aml_strdup(aml_env *env, const char *s);

/* aml_set_error fills err (msg printf-style); returns status for chaining. */
aml_status	aml_set_error(aml_error *err, aml_status status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
void		aml_set_detail(aml_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
void		aml_set_hint(aml_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* aml_oom fills err for a failed allocation of `bytes` and returns ENOMEM. */
aml_status	aml_oom(aml_env *env, aml_error *err, size_t bytes);

/* qsort comparators of plain doubles (NaN-free) and int64 values, ascending */
int			aml_cmp_double(const void *a, const void *b);
int			aml_cmp_i64(const void *a, const void *b);

/* aml_sample_sd: the sample standard deviation of k values from their sum
 * and sum of squares (NaN for fewer than two) */
double		aml_sample_sd(double sum, double sum2, int64_t k);

/* aml_log formats a message and passes it to env->log (calling thread only). */
void		aml_log(aml_env *env, aml_log_level level, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/*
 * aml_check_cancel asks env->should_cancel (calling thread only) and sets
 * env->cancel_flag; returns nonzero when the work must stop.
 * aml_canceled only reads the flag and may be called from any thread.
 */
int			aml_check_cancel(aml_env *env);
static inline int
aml_canceled(const aml_env *env)
{
	return __atomic_load_n(&env->cancel_flag, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- rng */

/* xoshiro256** seeded by splitmix64; one stream per use, never global. */
typedef struct aml_rng
{
	uint64_t	s[4];
} aml_rng;

void		aml_rng_seed(aml_rng *r, uint64_t seed);
uint64_t	aml_rng_next(aml_rng *r);
/* uniform double in [0, 1) */
double		aml_rng_uniform(aml_rng *r);
/* uniform integer in [0, n) */
uint64_t	aml_rng_below(aml_rng *r, uint64_t n);
/* Fisher-Yates shuffle of n int64 */
void		aml_rng_shuffle(aml_rng *r, int64_t *a, int64_t n);

/* ---------------------------------------------------------------- split */

/* part[] values of aml_split_time besides the training blocks 0..n-1 */
#define AML_PART_TEST		(-1)
#define AML_PART_UNLABELLED (-2)

/*
 * aml_split_time divides n rows in time order (train.c): rows whose y is
 * NaN get AML_PART_UNLABELLED; of the labelled rows, the latest
 * round(test_fraction x labelled) with a time t (NaN = none) get
 * AML_PART_TEST; the other rows with a time, in time order, are dealt into
 * n_blocks contiguous blocks 0..n_blocks-1 of near-equal size; training
 * rows without a time go to block 0 (always fitted, never validated).
 * Equal times are ordered by a seeded shuffle.  *n_no_time receives the
 * count of labelled rows without a time.
 */
aml_status	aml_split_time(aml_env *env, int64_t n, const float *y, const double *t,
						   double test_fraction, int n_blocks, uint64_t seed,
						   int *part, int64_t *n_no_time, aml_error *err);

/*
 * aml_fold_rows picks fold k's rows out of the training rows sub[0..n):
 * validation rows are those with part == k; fitting rows are every other
 * row (random split) or only the rows of earlier blocks (time_ordered:
 * 0 <= part < k).  Both lists keep sub's order.
 */
void		aml_fold_rows(const int *part, int time_ordered, int k,
						  const int64_t *sub, int64_t n, int64_t *fit,
						  int64_t *n_fit, int64_t *val, int64_t *n_val);

/* ---------------------------------------------------------------- dataset */

typedef enum aml_feat_kind
{
	AML_FEAT_NUMERIC = 0,
	AML_FEAT_CATEGORICAL = 1	/* values are codes 0..n_levels-1 as float */
} aml_feat_kind;

/*
 * aml_dataset: the learners' view of the data, column-major float, NaN =
 * missing.  Categorical features hold codes 0..n_levels-1; the last code
 * (n_levels-1) is the "other" bucket for rare and unseen categories.
 * Columns may alias the frame (numeric) or be owned by whoever built the
 * dataset; learners never write them.
 */
typedef struct aml_dataset
{
	int64_t		n_rows;
	int			n_feat;
	const float **col;			/* n_feat column pointers */
	const aml_feat_kind *kind;	/* n_feat */
	const int  *n_levels;		/* n_feat; 0 for numeric */
	int			n_gen;			/* the last n_gen features are generated
								 * (AML_GEN_FEATURES); only aml_fit_params
								 * reads it */
} aml_dataset;

/*
 * aml_fit_input: what a learner's fit receives.  Labels y are indexed by
 * dataset row: class index 0..n_classes-1 (as double) or the regression
 * target.  rows selects the training rows (NULL = all).  w are optional
 * per-row weights indexed by dataset row.
 * valid/valid_rows optionally give rows for early stopping (same dataset).
 */
typedef struct aml_fit_input
{
	const aml_dataset *ds;
	const float *y;
	const double *w;
	const int64_t *rows;
	int64_t		n_rows;
	aml_task	task;			/* BINARY, MULTICLASS or REGRESSION */
	int			n_classes;		/* 0 for regression */
	const int64_t *valid_rows;
	int64_t		n_valid;
	uint64_t	seed;
	int			record_loss;	/* gbdt: keep the training loss after every
								 * round (aml_gbdt_train_loss; tests) */
} aml_fit_input;

/*
 * AML_CLASS_WEIGHT names the class weighting of a configuration, a
 * parameter of the trainer rather than of any learner: 0 (or unset) every
 * row weighs the same, 1 "balanced": each class weighs as much in total (a
 * row of class k weighs n / (K n_k) over the n fitting rows, K classes
 * present).  Classification only.  The search tries it (search.h).
 */
#define AML_CLASS_WEIGHT "class_weight"

/*
 * AML_GEN_FEATURES, another parameter of the trainer: 1 fits the learner on
 * the dataset's generated features too (its last n_gen columns: sums of
 * numeric columns whose names differ in one part, model.h), 0 (or unset)
 * on the others only.  The search tries it (search.h).
 */
#define AML_GEN_FEATURES "gen_features"

/*
 * aml_ds_gens narrows ds to what a fit sees: without the generated features
 * (AML_GEN_FEATURES 0) its last n_gen columns are left out.  Fits and the
 * model reader both go through it.
 */
static inline void
aml_ds_gens(aml_dataset *ds, int with_gens)
{
	if (!with_gens)
		ds->n_feat -= ds->n_gen;
	ds->n_gen = 0;
}

/* outputs per row for a task: 1 (regression, binary) or n_classes */
static inline int
aml_task_outputs(aml_task task, int n_classes)
{
	return task == AML_TASK_MULTICLASS ? n_classes : 1;
}

/* ---------------------------------------------------------------- buffers */

/*
 * aml_wbuf appends little-endian values.  With data == NULL it only counts
 * (the first call of the two-call serialize).  Never fails: when cap is
 * exceeded it sets overflow and keeps counting.
 */
typedef struct aml_wbuf
{
	uint8_t    *data;
	size_t		cap;
	size_t		len;
	int			overflow;
} aml_wbuf;

void		aml_w_bytes(aml_wbuf *b, const void *p, size_t n);
void		aml_w_u8(aml_wbuf *b, uint8_t v);
void		aml_w_u32(aml_wbuf *b, uint32_t v);
void		aml_w_i32(aml_wbuf *b, int32_t v);
void		aml_w_u64(aml_wbuf *b, uint64_t v);
void		aml_w_i64(aml_wbuf *b, int64_t v);
void		aml_w_f32(aml_wbuf *b, float v);
void		aml_w_f64(aml_wbuf *b, double v);
/* length-prefixed (u32) string without NUL */
void		aml_w_str(aml_wbuf *b, const char *s);
void		aml_w_f32s(aml_wbuf *b, const float *v, size_t n);
void		aml_w_f64s(aml_wbuf *b, const double *v, size_t n);
void		aml_w_i32s(aml_wbuf *b, const int32_t *v, size_t n);

/*
 * aml_rbuf reads with bounds checks: every reader returns 0 on success and
 * -1 (setting bad) when the buffer is too short; after the first failure
 * every read fails.  Readers of arrays check n * size against what is left
 * before allocating, so a hostile length cannot cause a huge allocation.
 */
typedef struct aml_rbuf
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
	int			bad;
} aml_rbuf;

int			aml_r_bytes(aml_rbuf *b, void *p, size_t n);
int			aml_r_u8(aml_rbuf *b, uint8_t *v);
int			aml_r_u32(aml_rbuf *b, uint32_t *v);
int			aml_r_i32(aml_rbuf *b, int32_t *v);
int			aml_r_u64(aml_rbuf *b, uint64_t *v);
int			aml_r_i64(aml_rbuf *b, int64_t *v);
int			aml_r_f32(aml_rbuf *b, float *v);
int			aml_r_f64(aml_rbuf *b, double *v);
/* aml_r_str allocates a NUL-terminated copy (at most maxlen bytes) */
int			aml_r_str(aml_rbuf *b, aml_env *env, char **s, size_t maxlen);
/* array readers allocate *v with n elements (checked against what is left) */
int			aml_r_f32s(aml_rbuf *b, aml_env *env, float **v, size_t n);
int			aml_r_f64s(aml_rbuf *b, aml_env *env, double **v, size_t n);
int			aml_r_i32s(aml_rbuf *b, aml_env *env, int32_t **v, size_t n);
/* remaining bytes */
static inline size_t
aml_r_left(const aml_rbuf *b)
{
	return b->bad ? 0 : b->len - b->pos;
}

/* ---------------------------------------------------------------- json */

/* aml_json: growing text buffer for the report's JSON; never fails (sets oom) */
typedef struct aml_json
{
	aml_env    *env;
	char	   *s;
	size_t		len;
	size_t		cap;
	int			oom;
	int			need_comma;
} aml_json;

void		aml_json_init(aml_json *j, aml_env *env);
void		aml_json_free(aml_json *j);
void		aml_json_raw(aml_json *j, const char *s);
void		aml_json_begin_obj(aml_json *j);
void		aml_json_end_obj(aml_json *j);
void		aml_json_begin_arr(aml_json *j);
void		aml_json_end_arr(aml_json *j);
void		aml_json_key(aml_json *j, const char *key);
void		aml_json_str(aml_json *j, const char *s);
/* numbers: NaN/Inf are written as null; %.6g-style rounding is not applied */
void		aml_json_num(aml_json *j, double v);
void		aml_json_int(aml_json *j, int64_t v);
void		aml_json_bool(aml_json *j, int v);
void		aml_json_null(aml_json *j);

/* ---------------------------------------------------------------- learners */

/*
 * aml_learner_ops: one learner family.  A fitted learner is an opaque
 * state pointer owned by the model.
 *
 * fit		 trains on in->rows; params were checked by check_params.
 *			 Polls aml_canceled(env) / aml_check_cancel (calling thread).
 * predict	 writes n x n_outputs outputs for dataset rows idx[0..n) (idx
 *			 NULL = rows 0..n-1): regression value, positive-class
 *			 probability (binary), class probabilities (multiclass).
 *			 Must not allocate; may be called concurrently.
 * write	 serializes the state (no framing; the model adds it).
 * read		 deserializes, validating every count against the dataset
 *			 schema it will be applied to (n_feat, kinds, n_levels) and
 *			 against what is left in the buffer.
 * check_params  NULL or a message naming the parameter and valid range.
 */
typedef struct aml_learner_ops
{
	aml_algo	algo;
	const char *name;
	aml_status	(*fit) (aml_env *env, const aml_fit_input *in,
						const aml_params *params, void **state, aml_error *err);
	void		(*predict) (const void *state, const aml_dataset *ds,
							const int64_t *idx, int64_t n, double *out);
	void		(*write) (const void *state, aml_wbuf *b);
	aml_status	(*read) (aml_env *env, aml_rbuf *b, const aml_dataset *schema,
						 aml_task task, int n_classes, void **state,
						 aml_error *err);
	void		(*free_state) (aml_env *env, void *state);
	const char *(*check_params) (const aml_params *p, char *buf, size_t buflen);
	/*
	 * importance (optional): adds per-feature importance (e.g. split gain)
	 * into imp[n_feat]; NULL when the learner has none.
	 */
	void		(*importance) (const void *state, int n_feat, double *imp);
} aml_learner_ops;

/*
 * aml_class_counts counts the rows of each class 0..n_classes-1 among
 * rows[0..n) (NULL = 0..n-1) of labels y into count (cleared first; labels
 * out of range are skipped) and returns how many classes are present.
 */
int			aml_class_counts(const float *y, const int64_t *rows, int64_t n,
							 int n_classes, int64_t *count);

/*
 * aml_fit_params fits ops on in with params p, which may hold the trainer's
 * AML_CLASS_WEIGHT and AML_GEN_FEATURES: the learner then gets p without
 * them, the balanced weights of in's rows when the first is 1 (in->w must
 * be NULL), and in's dataset without its generated features unless the
 * second is 1.  Every fit of a configuration goes through it.
 */
aml_status	aml_fit_params(aml_env *env, const aml_learner_ops *ops,
						   const aml_fit_input *in, const aml_params *p,
						   void **state, aml_error *err);

extern const aml_learner_ops aml_baseline_ops;
extern const aml_learner_ops aml_linear_ops;
extern const aml_learner_ops aml_tree_ops;	/* CART decision tree */
/* later: aml_gbdt_ops, aml_forest_ops */

/* aml_learner_for returns the ops of an algorithm, NULL if not built. */
const aml_learner_ops *aml_learner_for(aml_algo algo);

/* ---------------------------------------------------------------- helpers */

static inline double
aml_ds_value(const aml_dataset *ds, int j, int64_t i)
{
	return (double) ds->col[j][i];
}

static inline double
aml_sigmoid(double z)
{
	if (z >= 0)
	{
		double		e = exp(-z);

		return 1.0 / (1.0 + e);
	}
	else
	{
		double		e = exp(z);

		return e / (1.0 + e);
	}
}

/*
 * Temperature calibration of a classifier's probabilities (metrics.c):
 * p' = softmax(log p / T), for binary on the positive class's logit.  n
 * rows of no outputs (1: binary, the positive class; else the classes).
 * aml_calibrate rewrites p in place; T = 1 (or 0, "none") leaves it.
 * aml_fit_temperature returns the T in [AML_TEMP_MIN, AML_TEMP_MAX] that
 * minimizes the log loss of the n rows against labels y (class indexes),
 * shrunk toward 1 (see there).
 */
#define AML_TEMP_MIN 0.05
#define AML_TEMP_MAX 20.0
#define AML_MAX_CAL_CLASSES 1000	/* a model's class limit (model.c) */
void		aml_calibrate(int no, double T, int64_t n, double *p);
double		aml_fit_temperature(int no, int64_t n, const double *y, const double *p);

/* aml_round_sig rounds v to digits significant decimal digits (search.c). */
double		aml_round_sig(double v, int digits);

/* aml_now returns monotonic seconds. */
double		aml_now(void);

#endif							/* AML_INT_H */
