/*-------------------------------------------------------------------------
 *
 * explain.h
 *	  Internal interface of the explanations: what the learners expose to
 *	  explain.c, and TreeSHAP on a tree pack (also used by the unit tests).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_EXPLAIN_H
#define AML_EXPLAIN_H

#include "tree.h"

/* aml_gbdt_base returns a boosting model's initial raw score of output k. */
double		aml_gbdt_base(const void *state, int k);

/*
 * aml_linear_contrib writes the margin contributions of dataset row i for
 * output k into phi[n_feat] and returns the expected margin (linear.c).
 */
double		aml_linear_contrib(const void *state, const aml_dataset *ds,
							   int64_t i, int k, double *phi);

/*
 * aml_tree_shap_scratch returns the path elements TreeSHAP needs for the
 * deepest tree of a pack (callers allocate that many aml_shap_elem).
 */
typedef struct aml_shap_elem
{
	int32_t		feat;
	double		zero;			/* share of the cover that follows this path */
	double		one;			/* 1 when the row itself follows it, else 0 */
	double		w;				/* permutation weight */
} aml_shap_elem;

size_t		aml_tree_shap_scratch(const aml_tree_pack *p);

/*
 * aml_tree_shap_expect returns the cover-weighted expected value of output
 * k over every tree of the pack (the sum of each tree's expectation).
 */
double		aml_tree_shap_expect(const aml_tree_pack *p, int k);

/*
 * aml_tree_shap adds the exact path-dependent Shapley values of dataset
 * row i for output k of every tree of the pack into phi[n_feat]; scratch
 * holds aml_tree_shap_scratch(p) elements.  The expectation plus the sum
 * of phi equals the sum of the row's leaf values (to rounding).
 */
void		aml_tree_shap(const aml_tree_pack *p, const aml_dataset *ds,
						  int64_t i, int k, aml_shap_elem *scratch,
						  double *phi);

#endif							/* AML_EXPLAIN_H */
