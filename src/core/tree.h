/*-------------------------------------------------------------------------
 *
 * tree.h
 *	  Internal interface of the histogram tree engine: quantile binning of
 *	  the training rows, one leaf-wise tree grower over gradient statistics
 *	  with K outputs, and flattened tree packs used for prediction,
 *	  serialization, importance and (later) TreeSHAP.
 *
 * The grower serves every tree learner:
 *	 - CART (decision_tree): K = 1 (binary, regression) or K = n_classes
 *	   with g = -w * onehot(y), h = w, lambda = 0: the gain is the weighted
 *	   Gini (classification) or variance (regression) reduction and the
 *	   leaf values -G/H are class frequencies or means;
 *	 - gradient boosting: K = 1 per tree, g and h from the loss;
 *	 - random forest and extra trees: CART trees on bootstrap weights with
 *	   a random feature subset per node (and random thresholds).
 *
 * Threading: a grower is used by one thread at a time.  Histogram building
 * may fan out over a worker pool (one feature per task, so the result does
 * not depend on the number of threads).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_TREE_H
#define AML_TREE_H

#include "aml_int.h"

extern const aml_learner_ops aml_gbdt_ops;
extern const aml_learner_ops aml_forest_ops;
extern const aml_learner_ops aml_extra_trees_ops;

/* ---------------------------------------------------------------- threads */

/*
 * aml_tpool: a fixed set of worker threads (signals blocked) that run the
 * tasks of one job at a time together with the calling thread.  A task is
 * identified by its index and writes only its own outputs, so a job's
 * result never depends on the number of threads or on scheduling.
 * worker is 0 in the calling thread (the only one that may call
 * aml_check_cancel) and 1..n-1 in the workers.
 */
typedef struct aml_tpool aml_tpool;
typedef void (*aml_tpool_fn) (void *arg, int task, int worker);

/* aml_tpool_create starts n_threads - 1 workers; NULL means run serially. */
aml_tpool  *aml_tpool_create(aml_env *env, int n_threads);
/* aml_tpool_size returns the threads of a pool including the caller. */
int			aml_tpool_size(const aml_tpool *pool);
/* aml_tpool_run runs fn(arg, 0..n_tasks-1, worker) and waits for all. */
void		aml_tpool_run(aml_tpool *pool, aml_tpool_fn fn, void *arg, int n_tasks);

/*
 * aml_tpool_start hands a job to the workers and returns at once (the
 * caller may do other work meanwhile, not touching the job's data);
 * aml_tpool_wait then runs the tasks no worker has taken in the caller and
 * waits for the rest.  One job at a time.  With no pool (one thread) both
 * do nothing: the caller runs the tasks itself.
 */
void		aml_tpool_start(aml_tpool *pool, aml_tpool_fn fn, void *arg, int n_tasks);
void		aml_tpool_wait(aml_tpool *pool);
void		aml_tpool_free(aml_tpool *pool);

/* ---------------------------------------------------------------- packs */

/* node flags */
#define AML_TREE_DEFAULT_LEFT	0x01	/* missing values go left */
#define AML_TREE_CATEGORICAL	0x02	/* categorical split: bitset of left codes */

/*
 * aml_tree_pack: one or more trees flattened into contiguous arrays.
 * Tree t holds nodes root[t] .. root[t+1]-1, root[t] being its root; a
 * node's children always have larger indexes within the same tree.  A leaf
 * has feat < 0.  An internal numeric node sends x <= thr left, a
 * categorical one sends codes whose bit is set in cat_bits[cat_off...]
 * left; missing (NaN, +-Inf, or an out-of-range code) follows
 * AML_TREE_DEFAULT_LEFT.  Every node carries n_out values (-G/(H+lambda)
 * as grown, possibly rescaled by the learner), its cover (rows and hessian
 * sum that reached it) and, for internal nodes, its split gain.  Tree t
 * adds its values into outputs out_off[t] .. out_off[t]+n_out-1.
 */
typedef struct aml_tree_pack
{
	int			n_feat;
	int32_t    *n_levels;		/* n_feat; 0 for numeric features */
	int			n_out;			/* values per node */
	int			n_trees;
	int			n_nodes;
	int			n_cat_words;
	int32_t    *root;			/* n_trees + 1 */
	int32_t    *out_off;		/* n_trees */
	int32_t    *feat;			/* n_nodes; -1 = leaf */
	float	   *thr;
	uint8_t    *flags;
	int32_t    *left;
	int32_t    *right;
	int32_t    *cat_off;		/* -1 unless categorical */
	double	   *value;			/* n_nodes * n_out */
	double	   *cover;			/* rows that reached the node */
	double	   *hess;			/* hessian (weight) sum */
	double	   *gain;			/* split gain; 0 for leaves */
	uint32_t   *cat_bits;		/* n_cat_words */
	/* capacities while building */
	int			cap_trees;
	int			cap_nodes;
	int			cap_cat;
	/* prediction layout, derived (aml_tree_pack_finish), not serialized */
	struct aml_pnode *pn;
	int			n_pn;			/* nodes in pn; used only when == n_nodes */
	struct aml_tree_qs *qs;		/* bitvector layout (treeqs.c), or NULL;
								 * valid with pn */
} aml_tree_pack;

/*
 * aml_pnode: one node as prediction walks it, 16 bytes.  fx holds the
 * feature and the flags (AML_PN_*); a leaf has AML_PN_LEAF set and points
 * to itself both ways (feature 0, threshold NaN), so a walk that reached
 * it stays put.  A categorical node keeps its bitset offset in cat.
 */
#define AML_PN_LEAF		((int32_t) 0x80000000)
#define AML_PN_DL		0x40000000
#define AML_PN_CAT		0x20000000
#define AML_PN_FEAT		0x1FFFFFFF
typedef struct aml_pnode
{
	int32_t		fx;
	union
	{
		float		thr;
		int32_t		cat;
	}			u;
	int32_t		left;
	int32_t		right;
} aml_pnode;

/*
 * aml_tree_pack_finish builds the prediction layout of a complete pack;
 * 0, or -1 when out of memory (prediction then walks the plain arrays).
 * Any later change to the pack drops the layout until the next call.
 */
int			aml_tree_pack_finish(aml_env *env, aml_tree_pack *p);

/*
 * aml_tree_qs: the bitvector layout of a pack whose trees all have at most
 * 64 leaves (treeqs.c).  aml_tree_qs_build makes it (*out NULL when the
 * pack does not qualify; -1 when out of memory); aml_tree_qs_add scores
 * rows with it exactly like aml_tree_pack_add.
 */
typedef struct aml_tree_qs aml_tree_qs;
/*
 * aml_tree_qs_simd says whether blocks may use the AVX2 kernel where the
 * CPU has it: 1 (default) or 0 (tests and benchmarks compare; scores are
 * identical either way).
 */
extern int	aml_tree_qs_simd;

/*
 * aml_tree_qs_dense says which categorical features get per-(code, tree)
 * masks when a layout is built: 1 (default) those split in many trees, 0
 * none, 2 all (tests).
 */
extern int	aml_tree_qs_dense;
int			aml_tree_qs_build(aml_env *env, const aml_tree_pack *p,
							  aml_tree_qs **out);
void		aml_tree_qs_free(aml_env *env, aml_tree_qs *qs);
void		aml_tree_qs_add(const aml_tree_pack *p, const aml_dataset *ds,
							const int64_t *idx, int64_t n, double *out,
							int n_outputs);

/* aml_tree_pack_init makes an empty pack for a schema; 0 or -1 on OOM. */
int			aml_tree_pack_init(aml_env *env, aml_tree_pack *p,
							   const aml_dataset *ds, int n_out);
void		aml_tree_pack_free(aml_env *env, aml_tree_pack *p);

/*
 * aml_tree_pack_add adds the outputs of every tree for dataset rows idx[]
 * (NULL = 0..n-1) into out (n x n_outputs, not cleared first), scoring a
 * block of rows tree by tree.  Never allocates.
 */
void		aml_tree_pack_add(const aml_tree_pack *p, const aml_dataset *ds,
							  const int64_t *idx, int64_t n, double *out,
							  int n_outputs);

/* aml_tree_pack_add_tree is aml_tree_pack_add for tree t alone. */
void		aml_tree_pack_add_tree(const aml_tree_pack *p, int t,
								   const aml_dataset *ds, const int64_t *idx,
								   int64_t n, double *out, int n_outputs);

/* aml_tree_pack_leaf returns the leaf of tree t that dataset row row reaches. */
int32_t		aml_tree_pack_leaf(const aml_tree_pack *p, int t,
							   const aml_dataset *ds, int64_t row);

/* aml_tree_pack_write serializes a pack (layout in tree.c). */
void		aml_tree_pack_write(const aml_tree_pack *p, aml_wbuf *b);

/*
 * aml_tree_pack_read deserializes and validates a pack against the schema
 * and the learner's expectations: n_out must equal want_out, and every
 * tree's outputs must lie in 0..n_outputs-1.  AML_EFORMAT on bad input.
 */
aml_status	aml_tree_pack_read(aml_env *env, aml_rbuf *b,
							   const aml_dataset *schema, int want_out,
							   int n_outputs, aml_tree_pack *p,
							   aml_error *err);

/* aml_tree_pack_importance adds split gain per feature into imp[n_feat]. */
void		aml_tree_pack_importance(const aml_tree_pack *p, int n_feat,
									 double *imp);
/* aml_tree_pack_split_counts adds the number of splits per feature into cnt. */
void		aml_tree_pack_split_counts(const aml_tree_pack *p, int n_feat,
									   double *cnt);

/*
 * aml_tree_learner_pack returns the pack inside a fitted tree learner's
 * state (decision tree, gbdt, random forest, extra trees), NULL for other
 * algorithms.  For TreeSHAP and inspection.
 */
const aml_tree_pack *aml_tree_learner_pack(aml_algo algo, const void *state);

/*
 * aml_tree_learner_oob returns the out-of-bag estimate of a metric (a
 * name of aml_metric_compute) of a random forest or extra trees just
 * fitted with bootstrap and without validation rows, and the training
 * rows it covers in *rows (may be NULL); NaN for other learners, without
 * bootstrap, for a model read back (the estimate is not serialized) or a
 * metric of another task.
 */
double		aml_tree_learner_oob(aml_algo algo, const void *state,
								 const char *metric, int64_t *rows);

/* ---------------------------------------------------------------- binning */

/*
 * aml_tree_bins: the training rows binned once.  Numeric feature j has
 * nb[j] bins with upper edges edge[eoff[j] ..] (the last edge is +Inf) and
 * bin nb[j] for missing values; categorical features bin by code (nb[j] =
 * n_levels).  mat holds n_feat columns of n bins each (uint8, or uint16
 * when some feature has more than 255 bins).  Position i is dataset row
 * rows[i] (or i when rows was NULL).
 */
typedef struct aml_tree_bins
{
	int			n_feat;
	int64_t		n;
	int		   *nb;
	int		   *off;			/* n_feat + 1 histogram bin offsets */
	int		   *eoff;			/* n_feat + 1 edge offsets */
	float	   *edge;
	uint8_t    *is_cat;
	int			wide;
	void	   *mat;
	int			max_cat;		/* most levels of a categorical feature */
} aml_tree_bins;

aml_status	aml_tree_bins_build(aml_env *env, const aml_dataset *ds,
								const int64_t *rows, int64_t n, int max_bins,
								uint64_t seed, aml_tpool *pool,
								aml_tree_bins **out, aml_error *err);
void		aml_tree_bins_free(aml_env *env, aml_tree_bins *bins);

/* ---------------------------------------------------------------- grower */

typedef struct aml_grow_params
{
	int			max_depth;		/* 0 = unlimited */
	int			max_leaves;		/* 0 = unlimited */
	double		min_samples_leaf;	/* rows per child, >= 1 */
	double		min_child_weight;	/* hessian per child */
	double		lambda;			/* L2 on leaf values */
	double		min_split_gain;
	double		feat_frac_node; /* features tried per node; >= 1 = all */
	int			random_split;	/* extra trees: one random cut per feature */

	/*
	 * Regularization of category-set splits of a feature with more than
	 * four categories present in a node (0 = off, the CART defaults):
	 * categories with fewer rows than cat_smooth are left out of the
	 * sorted scan (they go right) and cat_smooth is added to each
	 * category's hessian in its sort key; the split's gain uses lambda +
	 * cat_l2; at most max_cat_threshold categories go left (scanning the
	 * sorted order from both ends); each side needs min_data_per_group
	 * rows.
	 */
	double		cat_smooth;
	double		cat_l2;
	int			max_cat_threshold;
	double		min_data_per_group;

	/*
	 * A categorical feature with more levels than this (0 = none) is split
	 * by thresholds on its level codes, which are in the order of the
	 * levels' training frequency (most frequent first, pooled "other"
	 * last): left are the levels before a cut.  Sets of many levels over
	 * few rows each fit noise; ordered cuts group levels coarsely, as a
	 * numeric code does (extra trees: one random cut).
	 */
	int			max_cat_set_levels;

	/*
	 * ... unless the tree's training rows number at least this many per
	 * level (0 = never): with thousands of rows behind each level the
	 * levels' means are precise, and a set follows them in one split where
	 * cuts need several.
	 */
	double		cat_set_min_rows;
} aml_grow_params;

void		aml_grow_params_init(aml_grow_params *gp);

/*
 * aml_grow_data: the statistics of one tree, indexed by bin position.
 * Either g (n x K) is given, or cls (one output index per row) in which
 * case a row's gradient is -h at output cls[i] and 0 elsewhere (CART
 * one-hot labels).  rows (NULL = all) lists the positions the tree sees;
 * feat_mask (NULL = all) restricts the features of this tree; rng drives
 * per-node feature sampling and random splits.
 */
typedef struct aml_grow_data
{
	const float *g;
	const int32_t *cls;
	const float *h;
	const int32_t *rows;
	int64_t		n_rows;
	const uint8_t *feat_mask;
	aml_rng    *rng;
} aml_grow_data;

typedef struct aml_grower aml_grower;

/*
 * aml_grower_create makes a grower for K outputs; pool (may be NULL)
 * builds histograms over features in parallel.  A grower used inside a
 * pool task must get pool NULL.
 */
aml_status	aml_grower_create(aml_env *env, const aml_tree_bins *bins, int K,
							  const aml_grow_params *gp, aml_tpool *pool,
							  aml_grower **out, aml_error *err);
void		aml_grower_free(aml_grower *gr);

/*
 * aml_grower_grow grows one tree and appends it to pack (tree outputs
 * start at out_off).  main_thread says whether it may call
 * aml_check_cancel (else it polls aml_canceled only).
 */
aml_status	aml_grower_grow(aml_grower *gr, const aml_grow_data *d,
							aml_tree_pack *pack, int out_off, int main_thread,
							aml_error *err);

/*
 * aml_grower_add_leaves adds the values of tree t of pack, which must be
 * the tree this grower grew last, into out[i * stride + out_off[t] + k]
 * for every position i the tree was grown on, from the final row
 * partition (the same leaves a walk on the raw features reaches).
 */
void		aml_grower_add_leaves(const aml_grower *gr, const aml_tree_pack *p,
								  int t, float *out, int stride);

/*
 * aml_grower_leaf_means sets the leaves of tree t (the tree this grower grew
 * last, one output, no regularization) to the exact weighted mean of
 * y[row] - offset over their positions, in double: the grower's sums of
 * float gradients are close, a regression tree's leaves should be exact.
 * Position i is dataset row rows[i] (rows NULL: row i) with weight h[i].
 */
void		aml_grower_leaf_means(const aml_grower *gr, aml_tree_pack *p, int t,
								  const float *y, const int64_t *rows,
								  const float *h, double offset);

/* ---------------------------------------------------------------- learners */

/* One hyperparameter of a tree learner: valid range and default. */
typedef struct aml_tree_param
{
	const char *name;
	double		lo;
	double		hi;
	double		dflt;
	int			integer;
	int			lo_open;		/* lo itself is not allowed */
} aml_tree_param;

/*
 * aml_tree_params_check validates p against a parameter table: NULL, or a
 * message in buf (unknown names list the valid ones).
 */
const char *aml_tree_params_check(const char *algo, const aml_tree_param *spec,
								  int n_spec, const aml_params *p,
								  char *buf, size_t buflen);
/* aml_tree_param_value returns a parameter's value or its default. */
double		aml_tree_param_value(const aml_params *p, const aml_tree_param *spec,
								 int n_spec, const char *name);

/*
 * aml_tree_check_input validates a tree learner's fit input (task, rows,
 * labels, weights) and returns the training row count in *n.
 */
aml_status	aml_tree_check_input(const aml_fit_input *in, int64_t *n,
								 aml_error *err);
/* aml_tree_check_task validates the task of a model being read. */
aml_status	aml_tree_check_task(aml_task task, int n_classes, aml_error *err);

/* aml_tree_format_error fills err for a corrupt model; returns EFORMAT. */
aml_status	aml_tree_format_error(aml_error *err, const char *what);

/*
 * aml_tree_finish_values turns raw node values of nodes first..n_nodes-1
 * into outputs: class frequencies clipped to valid probabilities
 * (normalized for multiclass) or regression means (adding offset), then
 * multiplies by scale.
 */
void		aml_tree_finish_values(aml_tree_pack *p, int first, aml_task task,
								   double offset, double scale);

/* aml_tree_fix_probs clamps / renormalizes summed probabilities in out. */
void		aml_tree_fix_probs(aml_task task, int n_outputs, int64_t n, double *out);

/*
 * aml_tree_pack_append copies tree t of src to the end of dst with its
 * outputs at out_off; 0, or -1 when out of memory.
 */
int			aml_tree_pack_append(aml_env *env, aml_tree_pack *dst,
								 const aml_tree_pack *src, int t, int out_off);

/*
 * aml_tree_pack_truncate keeps the first n_trees trees of a pack (early
 * stopping).
 */
void		aml_tree_pack_truncate(aml_tree_pack *p, int n_trees);

/*
 * aml_gbdt_train_loss points *loss at the training loss after each
 * boosting round of a freshly fitted gbdt state and returns the rounds
 * (0 for a state that was read back, or fitted without record_loss: the
 * loss costs a log per row and round that only tests need).
 */
int			aml_gbdt_train_loss(const void *state, const double **loss);

/* per-learner pack accessors (see aml_tree_learner_pack) */
const aml_tree_pack *aml_gbdt_pack(const void *state);
const aml_tree_pack *aml_forest_pack(const void *state);
double		aml_forest_oob(const void *state, const char *metric, int64_t *rows);

#endif							/* AML_TREE_H */
