/*-------------------------------------------------------------------------
 *
 * model.h
 *	  Internal layout of the frame, the preprocessing schema, the model and
 *	  the training report, shared by frame.c, model.c and train.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_MODEL_H
#define AML_MODEL_H

#include "aml_int.h"

/* ---------------------------------------------------------------- frame */

/*
 * string -> code hash table (open addressing).  A slot keeps the code + 1
 * (0: empty), the string's hash and its length, so that a probe compares
 * the bytes only of a string that matches both.
 */
typedef struct aml_strslot
{
	int32_t		code1;
	uint32_t	hash;
	uint32_t	len;
} aml_strslot;

typedef struct aml_strmap
{
	aml_strslot *slots;
	uint32_t	cap;			/* power of two */
	int32_t		n;
} aml_strmap;

/* aml_strmap_find returns the code of s among strs, or -1 */
int32_t		aml_strmap_find(const aml_strmap *m, char *const *strs,
							const char *s, size_t len);
/* aml_strmap_add inserts code (strs[code] must already hold the string) */
int			aml_strmap_add(aml_env *env, aml_strmap *m, char *const *strs,
						   int32_t code);
void		aml_strmap_free(aml_env *env, aml_strmap *m);

typedef struct aml_fcol
{
	char	   *name;
	char	   *source_type;
	aml_col_kind kind;
	int			is_integer;
	int			has_time;
	float	   *num;
	int32_t    *code;
	double	   *dt;
	char	  **levels;
	int32_t		n_levels;
	int32_t		cap_levels;
	aml_strmap	map;
} aml_fcol;

struct aml_frame
{
	aml_env    *env;
	int			n_cols;
	int			cap_cols;
	aml_fcol   *cols;
	int64_t		n_rows;
	int64_t		cap_rows;
};

/* ---------------------------------------------------------------- schema */

/* date/time parts a datetime input expands into */
typedef enum aml_dt_part
{
	AML_DT_YEAR = 0,
	AML_DT_MONTH,
	AML_DT_DAY,
	AML_DT_DOW,
	AML_DT_DOY,
	AML_DT_EPOCH_DAYS,
	AML_DT_HOUR,				/* only when has_time */
	AML_DT_NPARTS
} aml_dt_part;

double		aml_dt_part_value(double secs, aml_dt_part part);
const char *aml_dt_part_name(aml_dt_part part);

typedef struct aml_input
{
	char	   *name;
	aml_col_kind kind;
	int			has_time;
	int32_t		n_levels;		/* categorical: kept levels */
	char	  **levels;
	aml_strmap	map;
	int			feat_start;		/* first base feature */
	int			n_feat;
} aml_input;

/*
 * aml_gen: a generated feature, the sum of n numeric inputs whose names
 * differ in one part (the total of "total_day_charge", "total_eve_charge",
 * ...: name "total_*_charge").  Missing when any of them is.
 */
typedef struct aml_gen
{
	char	   *name;
	int			n;
	int		   *inputs;			/* n numeric input indices, ascending */
} aml_gen;

#define AML_MAX_GEN 16			/* generated features of a model */

typedef struct aml_member
{
	const aml_learner_ops *ops;
	void	   *state;
	double		weight;
	aml_params	params;
	double		temp;			/* probability temperature (aml_calibrate);
								 * 0 or 1: none */
} aml_member;

/*
 * aml_member_predict scores n rows of ds (idx NULL: rows 0..n-1) with one
 * member, calibrated by its temperature, into out (n x outputs).
 */
void		aml_member_predict(const aml_member *mb, int n_out, const aml_dataset *ds,
							   const int64_t *idx, int64_t n, double *out);

/* aml_member_calibrated says whether a member has a temperature. */
static inline int
aml_member_calibrated(const aml_member *mb)
{
	return mb->temp > 0.0 && mb->temp != 1.0;
}

#define AML_BLOCK 256

struct aml_model
{
	aml_env		env;			/* private copy; frees go through it */
	aml_task	task;
	aml_algo	algo;
	int			n_classes;
	char	  **class_labels;
	int			n_inputs;
	aml_input  *inputs;
	/* generated features (after the base features) */
	int			n_gen;
	aml_gen    *gens;
	/*
	 * features: the base features derived from the inputs, then the n_gen
	 * generated ones (feat_input -1, feat_part the aml_gen index)
	 */
	int			n_feat;
	aml_feat_kind *kinds;
	int		   *n_levels;
	int		   *feat_input;
	int		   *feat_part;
	aml_params	params;			/* of the chosen configuration */
	int			n_members;
	aml_member *members;
	/*
	 * per-group models (algo AML_ALGO_PER_GROUP): a row is scored by the
	 * members of its segment, found by the raw value of input group_input.
	 * Segment s < n_groups is the group whose raw value is group_key[s]
	 * (ascending: a number, or a category's code); segment n_groups, the
	 * model of every training row, scores the other rows (values without
	 * a model of their own, missing).  The members of segment s are
	 * [seg_start[s], seg_start[s + 1]), with weights summing to 1.
	 * n_groups 0: every member scores every row.
	 */
	int			group_input;
	int			n_groups;
	double	   *group_key;
	int		   *seg_start;		/* n_groups + 2 */
	/* scratch and expectations of explanations, built on first use */
	struct explainer *explainer;
};

/* aml_model_segment returns the segment scoring a row whose group input is v */
int			aml_model_segment(const aml_model *m, double v);

/* aml_model_explainer_free drops the explanation cache (explain.c). */
void		aml_model_explainer_free(aml_model *m);

/* aml_model_alloc creates an empty model owning a copy of env */
aml_model  *aml_model_alloc(aml_env *env);
/*
 * aml_model_find_gens sets the model's generated features from its inputs'
 * names (before aml_model_derive_features); see model.c.
 */
aml_status	aml_model_find_gens(aml_model *m, aml_error *err);
/*
 * aml_model_drop_gens removes the generated features (the last n_gen) from
 * a model none of whose members reads them.
 */
void		aml_model_drop_gens(aml_model *m);
/*
 * aml_model_gen_fill writes generated feature g of n rows into dst, the
 * float sum of its parts' base features, col(ctx, j) being base feature
 * j's column (row r at [r]); missing when a part is.  Training and scoring
 * both compute it here, so they agree to the bit.
 */
void		aml_model_gen_fill(const aml_model *m, int g,
							   const float *(*col) (const void *ctx, int j),
							   const void *ctx, int64_t n, float *dst);
/* aml_member_uses_gens says whether a member was fitted on them */
int			aml_member_uses_gens(const aml_member *mb);
/* aml_model_derive_features fills the feature arrays from the inputs */
aml_status	aml_model_derive_features(aml_model *m, aml_error *err);
/*
 * aml_model_schema returns a dataset with no rows describing the features
 * (n_gen set: aml_fit_params narrows it for fits without them)
 */
void		aml_model_schema(const aml_model *m, aml_dataset *ds);
/*
 * aml_model_encode_block turns n (<= AML_BLOCK) raw input rows into base
 * features in cols (n_feat columns of AML_BLOCK floats).
 */
void		aml_model_encode_block(const aml_model *m, int n, const double *in,
								   float *cols);

/* ---------------------------------------------------------------- report */

struct aml_report
{
	aml_env    *env;
	aml_task	task;
	char		metric[32];
	int			higher_is_better;
	double		test_score;
	double		baseline_score;
	int64_t		train_rows;
	int64_t		test_rows;
	/* how the rows were split (train.c) */
	int			time_col;		/* frame column ordering the split, -1 = none */
	int64_t		time_missing;	/* labelled rows without a time (trained on) */
	int			val_folds;		/* validation folds; 1 = one validation split */
	int			n_cands;
	int			cap_cands;
	aml_candidate *cands;
	char	   *metrics_json;
	char	   *baseline_json;
	char	   *features_json;
	char	   *params_json;
	char	   *diagnostics_json;
	/* per-group training: the groups' values as text, in segment order */
	int			n_groups;
	char	  **group_labels;
};

#endif							/* AML_MODEL_H */
