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
} aml_tree_pack;

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

/*
 * aml_tree_learner_pack returns the pack inside a fitted tree learner's
 * state (decision tree, gbdt, random forest, extra trees), NULL for other
 * algorithms.  For TreeSHAP and inspection.
 */
const aml_tree_pack *aml_tree_learner_pack(aml_algo algo, const void *state);

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
								uint64_t seed, aml_tree_bins **out,
								aml_error *err);
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
	const double *g;
	const int32_t *cls;
	const double *h;
	const int32_t *rows;
	int64_t		n_rows;
	const uint8_t *feat_mask;
	aml_rng    *rng;
} aml_grow_data;

typedef struct aml_grower aml_grower;

aml_status	aml_grower_create(aml_env *env, const aml_tree_bins *bins, int K,
							  const aml_grow_params *gp, int n_threads,
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

#endif							/* AML_TREE_H */
