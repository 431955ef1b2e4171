/*-------------------------------------------------------------------------
 *
 * explain.c
 *	  Per-row explanations: each source column's contribution to one
 *	  output of a model, such that the expected output over the training
 *	  rows plus the contributions is exactly the row's output.
 *
 *	 - tree learners (decision tree, random forest, extra trees, gbdt):
 *	   path-dependent TreeSHAP (Lundberg, Erion and Lee, 2018), exact, with
 *	   the node covers (training rows that reached each node) as the
 *	   conditional distribution;
 *	 - linear learners: coefficient times the row's encoded value minus its
 *	   training mean, exact;
 *	 - the baseline: no contribution (the prediction is the expectation);
 *	 - ensembles: each member is explained in its own space, its
 *	   contributions are rescaled linearly so they sum to the member's
 *	   change in probability, and the members are averaged with their
 *	   weights (additive by construction; the split between columns is an
 *	   approximation where a member's link is non-linear);
 *	 - a member with a temperature T (aml_calibrate): a margin member's
 *	   contributions and base are divided by T, exactly; a tree member that
 *	   averages probabilities is rescaled to its calibrated probability as
 *	   an ensemble member is, also when it is the only member.
 *
 * Contributions are computed on base features and folded back into the
 * source column each base feature came from (one-hot levels, date parts).
 * Also the "importance" diagnostics section: mean absolute contribution,
 * permutation importance and split gain per source column, and a few
 * explained test rows for the report.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "explain.h"

/* ---------------------------------------------------------------- TreeSHAP */

/* tree_depth returns the edges on the longest path below node. */
static int
tree_depth(const aml_tree_pack *p, int32_t node)
{
	int			l,
				r;

	if (p->feat[node] < 0)
		return 0;
	l = tree_depth(p, p->left[node]);
	r = tree_depth(p, p->right[node]);
	return 1 + (l > r ? l : r);
}

size_t
aml_tree_shap_scratch(const aml_tree_pack *p)
{
	int			d = 0;

	for (int t = 0; t < p->n_trees; t++)
	{
		int			dt = tree_depth(p, p->root[t]);

		d = dt > d ? dt : d;
	}
	/* a frame at depth l copies at most l + 1 elements after its parent's */
	return (size_t) (d + 2) * (size_t) (d + 3) / 2 + 1;
}

/* node_left says whether row i of ds goes left at node (as prediction does). */
static inline int
node_left(const aml_tree_pack *p, int32_t node, const aml_dataset *ds, int64_t i)
{
	int			f = p->feat[node];
	float		x = ds->col[f][i];
	uint8_t		fl = p->flags[node];

	if (fl & AML_TREE_CATEGORICAL)
	{
		if (x >= 0.0f && x < (float) p->n_levels[f] && x == (float) (int32_t) x)
		{
			int32_t		c = (int32_t) x;

			return (p->cat_bits[p->cat_off[node] + (c >> 5)] >> (c & 31)) & 1;
		}
		return (fl & AML_TREE_DEFAULT_LEFT) != 0;
	}
	if (isfinite(x))
		return x <= p->thr[node];
	return (fl & AML_TREE_DEFAULT_LEFT) != 0;
}

/* left_share is the share of node's cover that went left (1/2 when none). */
static inline double
left_share(const aml_tree_pack *p, int32_t node)
{
	double		cl = p->cover[p->left[node]];
	double		cr = p->cover[p->right[node]];

	return cl + cr > 0 ? cl / (cl + cr) : 0.5;
}

/* tree_value_index maps output k to tree t's value index, or -1. */
static inline int
tree_value_index(const aml_tree_pack *p, int t, int k)
{
	int			v = k - p->out_off[t];

	return v >= 0 && v < p->n_out ? v : -1;
}

static double
node_expect(const aml_tree_pack *p, int32_t node, int v)
{
	double		f;

	if (p->feat[node] < 0)
		return p->value[(size_t) node * p->n_out + v];
	f = left_share(p, node);
	return f * node_expect(p, p->left[node], v) +
		(1.0 - f) * node_expect(p, p->right[node], v);
}

double
aml_tree_shap_expect(const aml_tree_pack *p, int k)
{
	double		s = 0.0;

	for (int t = 0; t < p->n_trees; t++)
	{
		int			v = tree_value_index(p, t, k);

		if (v >= 0)
			s += node_expect(p, p->root[t], v);
	}
	return s;
}

/*
 * The path of unique features from the root to the current node.  Element
 * 0 is a placeholder (feature -1); w holds, per subset size, the weight of
 * the permutations that reach the node.  A path is at most AML_SHAP_MAXD
 * long for the reciprocal table; deeper trees take the divisions.
 */
#define AML_SHAP_MAXD 128
static const double shap_inv[AML_SHAP_MAXD + 2] = {
	0.0, 1.0 / 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0
	/ 8, 1.0 / 9, 1.0 / 10, 1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14, 1.0 /
	15, 1.0 / 16, 1.0 / 17, 1.0 / 18, 1.0 / 19, 1.0 / 20, 1.0 / 21, 1.0 /
	22, 1.0 / 23, 1.0 / 24, 1.0 / 25, 1.0 / 26, 1.0 / 27, 1.0 / 28, 1.0 /
	29, 1.0 / 30, 1.0 / 31, 1.0 / 32, 1.0 / 33, 1.0 / 34, 1.0 / 35, 1.0 /
	36, 1.0 / 37, 1.0 / 38, 1.0 / 39, 1.0 / 40, 1.0 / 41, 1.0 / 42, 1.0 /
	43, 1.0 / 44, 1.0 / 45, 1.0 / 46, 1.0 / 47, 1.0 / 48, 1.0 / 49, 1.0 /
	50, 1.0 / 51, 1.0 / 52, 1.0 / 53, 1.0 / 54, 1.0 / 55, 1.0 / 56, 1.0 /
	57, 1.0 / 58, 1.0 / 59, 1.0 / 60, 1.0 / 61, 1.0 / 62, 1.0 / 63, 1.0 /
	64, 1.0 / 65, 1.0 / 66, 1.0 / 67, 1.0 / 68, 1.0 / 69, 1.0 / 70, 1.0 /
	71, 1.0 / 72, 1.0 / 73, 1.0 / 74, 1.0 / 75, 1.0 / 76, 1.0 / 77, 1.0 /
	78, 1.0 / 79, 1.0 / 80, 1.0 / 81, 1.0 / 82, 1.0 / 83, 1.0 / 84, 1.0 /
	85, 1.0 / 86, 1.0 / 87, 1.0 / 88, 1.0 / 89, 1.0 / 90, 1.0 / 91, 1.0 /
	92, 1.0 / 93, 1.0 / 94, 1.0 / 95, 1.0 / 96, 1.0 / 97, 1.0 / 98, 1.0 /
	99, 1.0 / 100, 1.0 / 101, 1.0 / 102, 1.0 / 103, 1.0 / 104, 1.0 / 105,
	1.0 / 106, 1.0 / 107, 1.0 / 108, 1.0 / 109, 1.0 / 110, 1.0 / 111, 1.0 /
	112, 1.0 / 113, 1.0 / 114, 1.0 / 115, 1.0 / 116, 1.0 / 117, 1.0 / 118,
	1.0 / 119, 1.0 / 120, 1.0 / 121, 1.0 / 122, 1.0 / 123, 1.0 / 124, 1.0 /
	125, 1.0 / 126, 1.0 / 127, 1.0 / 128, 1.0 / 129
};

static inline double
inv(int k)
{
	return k <= AML_SHAP_MAXD + 1 ? shap_inv[k] : 1.0 / (double) k;
}

/*
 * path_copy_extend copies the parent's ud elements and extends the path by
 * one split (share zero of the cover, one = whether the row follows it) in
 * one pass with no dependency between elements: element j
 * of the extended path weighs the subsets of size j, which come from size
 * j without the new feature or size j - 1 with it.
 */
static inline void
path_copy_extend(aml_shap_elem *m, const aml_shap_elem *par, int ud,
				 double zero, double one, int32_t feat)
{
	double		r = inv(ud + 1);

	if (ud > 0)
	{
		m[0].feat = par[0].feat;
		m[0].zero = par[0].zero;
		m[0].one = par[0].one;
		m[0].w = zero * par[0].w * (double) ud * r;
		for (int j = 1; j < ud; j++)
		{
			m[j].feat = par[j].feat;
			m[j].zero = par[j].zero;
			m[j].one = par[j].one;
			m[j].w = zero * par[j].w * (double) (ud - j) * r +
				one * par[j - 1].w * (double) j * r;
		}
	}
	m[ud].feat = feat;
	m[ud].zero = zero;
	m[ud].one = one;
	m[ud].w = ud == 0 ? 1.0 : one * par[ud - 1].w * (double) ud * r;
}

/*
 * path_unwind removes element idx (the inverse of an extension).  In the
 * path-dependent algorithm "one" is always 0 or 1.
 */
static void
path_unwind(aml_shap_elem *m, int ud, int idx)
{
	double		one = m[idx].one;
	double		zero = m[idx].zero;
	double		next = m[ud].w;
	double		r = inv(ud + 1);

	for (int i = ud - 1; i >= 0; i--)
	{
		if (one != 0.0)
		{
			double		t = m[i].w;

			m[i].w = next * (double) (ud + 1) * inv(i + 1) / one;
			next = t - m[i].w * zero * (double) (ud - i) * r;
		}
		else
			m[i].w = m[i].w * (double) (ud + 1) * inv(ud - i) / zero;
	}
	for (int i = idx; i < ud; i++)
	{
		m[i].feat = m[i + 1].feat;
		m[i].zero = m[i + 1].zero;
		m[i].one = m[i + 1].one;
	}
}

/* path_unwound_sum is the total weight of the path without element idx. */
static inline double
path_unwound_sum(const aml_shap_elem *m, int ud, int idx)
{
	double		one = m[idx].one;
	double		zero = m[idx].zero;
	double		next = m[ud].w;
	double		total = 0.0;
	double		r = inv(ud + 1);
	double		u = (double) (ud + 1);

	if (one != 0.0)
	{
		double		io = 1.0 / one;

		for (int i = ud - 1; i >= 0; i--)
		{
			double		t = next * u * inv(i + 1) * io;

			total += t;
			next = m[i].w - t * zero * (double) (ud - i) * r;
		}
	}
	else if (zero != 0.0)
	{
		double		iz = 1.0 / zero;

		for (int i = ud - 1; i >= 0; i--)
			total += m[i].w * iz * u * inv(ud - i);
	}
	return total;
}

/*
 * leaf_contrib adds a leaf's value times each path element's unwound
 * weight (path_unwound_sum for every element at once) to phi.  The
 * elements the row follows share one recurrence over the path, run for
 * all of them together (independent chains, not one long dependency);
 * the elements it does not follow need one sum for all of them.
 */
static void
leaf_contrib(const aml_shap_elem *m, int ud, double val, double *phi)
{
	double		next[AML_SHAP_MAXD + 2],
				tot[AML_SHAP_MAXD + 2],
				zw[AML_SHAP_MAXD + 2],
				io[AML_SHAP_MAXD + 2];
	int			hot[AML_SHAP_MAXD + 2];
	int			nh = 0;
	double		u = (double) (ud + 1);
	double		r = inv(ud + 1);
	double		cold = 0.0;
	int			have_cold = 0;

	if (ud > AML_SHAP_MAXD)
	{
		/* a path too long for the stack arrays: one element at a time */
		for (int i = 1; i <= ud; i++)
			phi[m[i].feat] += path_unwound_sum(m, ud, i) * (m[i].one - m[i].zero) * val;
		return;
	}
	for (int i = 1; i <= ud; i++)
	{
		if (m[i].one != 0.0)
		{
			hot[nh] = i;
			next[nh] = m[ud].w;
			tot[nh] = 0.0;
			zw[nh] = m[i].zero;
			io[nh] = 1.0 / m[i].one;
			nh++;
		}
		else
			have_cold = 1;
	}
	for (int j = ud - 1; j >= 0 && nh > 0; j--)
	{
		double		a = u * inv(j + 1);
		double		b = (double) (ud - j) * r;
		double		wj = m[j].w;

		for (int e = 0; e < nh; e++)
		{
			double		t = next[e] * a * io[e];

			tot[e] += t;
			next[e] = wj - t * zw[e] * b;
		}
	}
	for (int e = 0; e < nh; e++)
		phi[m[hot[e]].feat] += tot[e] * (m[hot[e]].one - zw[e]) * val;
	if (!have_cold)
		return;
	for (int j = ud - 1; j >= 0; j--)
		cold += m[j].w * u * inv(ud - j);
	for (int i = 1; i <= ud; i++)
		if (m[i].one == 0.0 && m[i].zero != 0.0)
			phi[m[i].feat] += cold / m[i].zero * (0.0 - m[i].zero) * val;
}

typedef struct shap_ctx
{
	const aml_tree_pack *p;
	const aml_dataset *ds;
	int64_t		row;
	int			v;				/* value index in the current tree */
	double	   *phi;
} shap_ctx;

/*
 * shap_recurse visits node with the parent's path (n elements) copied to
 * m, extended by the split that led here: zero is the share of the cover
 * on this side, one says whether the row itself comes this way.
 */
static void
shap_recurse(const shap_ctx *c, int32_t node, aml_shap_elem *m,
			 const aml_shap_elem *parent, int n, double zero, double one,
			 int32_t feat)
{
	const aml_tree_pack *p = c->p;
	int			len;
	int			span;
	int32_t		f,
				hot,
				cold;
	double		fl,
				iz = 1.0,
				io = 1.0;
	int			goes_left;

	path_copy_extend(m, parent, n, zero, one, feat);
	len = n + 1;

	if (p->feat[node] < 0)
	{
		double		val = p->value[(size_t) node * p->n_out + c->v];

		if (val != 0.0)
			leaf_contrib(m, len - 1, val, c->phi);
		return;
	}

	f = p->feat[node];
	span = len;
	/* a feature split on again above: undo its first appearance */
	for (int i = 1; i < len; i++)
		if (m[i].feat == f)
		{
			iz = m[i].zero;
			io = m[i].one;
			path_unwind(m, len - 1, i);
			len--;
			break;
		}
	fl = left_share(p, node);
	goes_left = node_left(p, node, c->ds, c->row);
	hot = goes_left ? p->left[node] : p->right[node];
	cold = goes_left ? p->right[node] : p->left[node];
	shap_recurse(c, hot, m + span, m, len, iz * (goes_left ? fl : 1.0 - fl), io, f);
	shap_recurse(c, cold, m + span, m, len, iz * (goes_left ? 1.0 - fl : fl), 0.0, f);
}

void
aml_tree_shap(const aml_tree_pack *p, const aml_dataset *ds, int64_t i, int k,
			  aml_shap_elem *scratch, double *phi)
{
	shap_ctx	c;

	c.p = p;
	c.ds = ds;
	c.row = i;
	c.phi = phi;
	for (int t = 0; t < p->n_trees; t++)
	{
		c.v = tree_value_index(p, t, k);
		if (c.v < 0)
			continue;
		shap_recurse(&c, p->root[t], scratch, NULL, 0, 1.0, 1.0, -1);
	}
}

/* ---------------------------------------------------------------- members */

const char *
aml_explain_space_name(aml_explain_space s)
{
	switch (s)
	{
		case AML_EXPLAIN_PROBABILITY:
			return "probability";
		case AML_EXPLAIN_LOG_ODDS:
			return "log_odds";
		case AML_EXPLAIN_MARGIN:
			return "margin";
		case AML_EXPLAIN_VALUE:
		default:
			return "value";
	}
}

/* member_space is the space a member's contributions naturally add up in. */
static aml_explain_space
member_space(const aml_member *mb, aml_task task)
{
	aml_algo	a = mb->ops->algo;

	if (task == AML_TASK_REGRESSION)
		return AML_EXPLAIN_VALUE;
	if (a == AML_ALGO_LINEAR || a == AML_ALGO_GBDT)
		return task == AML_TASK_BINARY ? AML_EXPLAIN_LOG_ODDS : AML_EXPLAIN_MARGIN;
	return AML_EXPLAIN_PROBABILITY;
}

/*
 * rescaled says whether member mb's contributions are rescaled into the
 * probability it predicts (a non-linear link between them) rather than
 * taken as they are.
 */
static int
rescaled(const aml_member *mb, aml_task task)
{
	aml_explain_space sp = member_space(mb, task);

	return sp == AML_EXPLAIN_LOG_ODDS || sp == AML_EXPLAIN_MARGIN ||
		(sp == AML_EXPLAIN_PROBABILITY && aml_member_calibrated(mb));
}

/*
 * direct says whether m's explanation is its one member's own: exact, in
 * that member's space.
 */
static int
direct(const aml_model *m)
{
	const aml_member *mb = &m->members[0];

	return m->n_members == 1 &&
		!(member_space(mb, m->task) == AML_EXPLAIN_PROBABILITY && aml_member_calibrated(mb));
}

/* margin_temp is what a margin member's contributions are divided by. */
static double
margin_temp(const aml_member *mb, aml_task task)
{
	aml_explain_space sp = member_space(mb, task);

	return (sp == AML_EXPLAIN_LOG_ODDS || sp == AML_EXPLAIN_MARGIN) &&
		aml_member_calibrated(mb) ? mb->temp : 1.0;
}

/*
 * One model being explained: scratch for a block of encoded rows and for
 * the members' expectations.
 */
struct explainer
{
	const aml_model *m;
	aml_env    *env;
	int			no;				/* model outputs per row */
	float	   *cols;			/* n_feat x AML_BLOCK */
	const float **ptrs;
	aml_dataset ds;
	aml_shap_elem *shap;		/* TreeSHAP path scratch */
	double	   *phi_f;			/* n_feat */
	double	   *tmp;			/* no: member outputs of one row */
	double	   *base;			/* n_members x no: expected member output */
	double	   *ebase;			/* n_members x no: base in probability */
};
typedef struct explainer explainer;

static void
explainer_free(explainer *x)
{
	if (x == NULL)
		return;
	aml_free(x->env, x->cols);
	aml_free(x->env, x->ptrs);
	aml_free(x->env, x->shap);
	aml_free(x->env, x->phi_f);
	aml_free(x->env, x->tmp);
	aml_free(x->env, x->base);
	aml_free(x->env, x->ebase);
	aml_free(x->env, x);
}

void
aml_model_explainer_free(aml_model *m)
{
	explainer_free(m->explainer);
	m->explainer = NULL;
}

/*
 * member_base returns member e's expected output ko in its own space: the
 * tree expectation (plus gbdt's initial score), the linear margin at the
 * training means, or the baseline's constant output.
 */
static double
member_base(explainer *x, const aml_member *mb, int ko)
{
	const aml_tree_pack *p = aml_tree_learner_pack(mb->ops->algo, mb->state);

	if (p)
	{
		double		b = aml_tree_shap_expect(p, ko);

		if (mb->ops->algo == AML_ALGO_GBDT)
			b += aml_gbdt_base(mb->state, ko);
		return b / margin_temp(mb, x->m->task);
	}
	if (mb->ops->algo == AML_ALGO_LINEAR)
		return aml_linear_contrib(mb->state, &x->ds, 0, ko, x->phi_f) / margin_temp(mb, x->m->task);
	/* the baseline: constant outputs, any row will do */
	mb->ops->predict(mb->state, &x->ds, NULL, 1, x->tmp);
	return x->tmp[ko];
}

/*
 * member_row writes member mb's contributions for block row i, output ko,
 * into x->phi_f (base features) in its own space.
 */
static void
member_row(explainer *x, const aml_member *mb, int64_t i, int ko)
{
	const aml_tree_pack *p = aml_tree_learner_pack(mb->ops->algo, mb->state);

	double		t = margin_temp(mb, x->m->task);

	memset(x->phi_f, 0, (size_t) (x->m->n_feat ? x->m->n_feat : 1) * sizeof(double));
	if (p)
		aml_tree_shap(p, &x->ds, i, ko, x->shap, x->phi_f);
	else if (mb->ops->algo == AML_ALGO_LINEAR)
		(void) aml_linear_contrib(mb->state, &x->ds, i, ko, x->phi_f);
	if (t != 1.0)
		for (int j = 0; j < x->m->n_feat; j++)
			x->phi_f[j] /= t;
}

static aml_status
explainer_init(explainer **out, const aml_model *m, aml_error *err)
{
	size_t		nf = m->n_feat ? (size_t) m->n_feat : 1;
	size_t		ns = 1;
	int			nm = m->n_members;
	aml_env    *env = (aml_env *) &m->env;
	explainer  *x = aml_calloc(env, 1, sizeof(explainer));

	*out = NULL;
	if (x == NULL)
		return aml_oom(env, err, sizeof(explainer));
	x->m = m;
	x->env = env;
	x->no = aml_model_n_outputs(m);
	for (int e = 0; e < nm; e++)
	{
		const aml_tree_pack *p = aml_tree_learner_pack(m->members[e].ops->algo,
													   m->members[e].state);

		if (p)
		{
			size_t		s = aml_tree_shap_scratch(p);

			ns = s > ns ? s : ns;
		}
	}
	x->cols = aml_calloc(x->env, nf * AML_BLOCK, sizeof(float));
	x->ptrs = aml_calloc(x->env, nf, sizeof(float *));
	x->shap = aml_malloc(x->env, ns * sizeof(aml_shap_elem));
	x->phi_f = aml_calloc(x->env, nf, sizeof(double));
	x->tmp = aml_calloc(x->env, (size_t) x->no, sizeof(double));
	x->base = aml_calloc(x->env, (size_t) nm * x->no, sizeof(double));
	x->ebase = aml_calloc(x->env, (size_t) nm * x->no, sizeof(double));
	if (!x->cols || !x->ptrs || !x->shap || !x->phi_f || !x->tmp || !x->base || !x->ebase)
	{
		explainer_free(x);
		return aml_oom(env, err, ns * sizeof(aml_shap_elem) + nf * AML_BLOCK * sizeof(float));
	}
	for (int j = 0; j < m->n_feat; j++)
		x->ptrs[j] = x->cols + (size_t) j * AML_BLOCK;
	aml_model_schema(m, &x->ds);
	x->ds.col = x->ptrs;
	x->ds.n_rows = 1;
	/* encode one all-missing row so member_base has a row to look at */
	{
		double	   *nan_row = aml_malloc(x->env, (size_t) (m->n_inputs ? m->n_inputs : 1) * sizeof(double));

		if (nan_row == NULL)
		{
			explainer_free(x);
			return aml_oom(env, err, (size_t) m->n_inputs * sizeof(double));
		}
		for (int i = 0; i < m->n_inputs; i++)
			nan_row[i] = NAN;
		aml_model_encode_block(m, 1, nan_row, x->cols);
		aml_free(x->env, nan_row);
	}

	/* every member's expected output, in its space and in probability */
	for (int e = 0; e < nm; e++)
	{
		const aml_member *mb = &m->members[e];
		aml_explain_space sp = member_space(mb, m->task);
		double	   *b = x->base + (size_t) e * x->no;
		double	   *pb = x->ebase + (size_t) e * x->no;

		for (int k = 0; k < x->no; k++)
			b[k] = member_base(x, mb, k);
		if (sp == AML_EXPLAIN_LOG_ODDS)
			pb[0] = aml_sigmoid(b[0]);
		else if (sp == AML_EXPLAIN_MARGIN)
		{
			double		mx = b[0],
						s = 0.0;

			for (int k = 1; k < x->no; k++)
				mx = b[k] > mx ? b[k] : mx;
			for (int k = 0; k < x->no; k++)
				s += exp(b[k] - mx);
			for (int k = 0; k < x->no; k++)
				pb[k] = exp(b[k] - mx) / s;
		}
		else
		{
			memcpy(pb, b, (size_t) x->no * sizeof(double));
			if (aml_member_calibrated(mb) && m->task != AML_TASK_REGRESSION)
				aml_calibrate(x->no, mb->temp, 1, pb);
		}
	}
	*out = x;
	return AML_OK;
}

/*
 * fold adds feature contributions times s into per-input phi; a generated
 * feature's contribution is shared equally by the inputs it sums (its
 * total stays exact; the split among them is a convention).
 */
static void
fold(const aml_model *m, const double *phi_f, double s, double *phi)
{
	for (int j = 0; j < m->n_feat; j++)
	{
		if (m->feat_input[j] >= 0)
			phi[m->feat_input[j]] += s * phi_f[j];
		else if (phi_f[j] != 0.0)
		{
			const aml_gen *g = &m->gens[m->feat_part[j]];

			for (int k = 0; k < g->n; k++)
				phi[g->inputs[k]] += s * phi_f[j] / g->n;
		}
	}
}

/*
 * model_base is the expected output ko, in the model's space, of members
 * [e0, e1) (a segment of a per-group model, or every member).
 */
static double
model_base(const explainer *x, int e0, int e1, int ko)
{
	double		b = 0.0;

	if (direct(x->m))
		return x->base[ko];
	for (int e = e0; e < e1; e++)
		b += x->m->members[e].weight * x->ebase[(size_t) e * x->no + ko];
	return b;
}

/*
 * explain_row explains block row i for output ko into phi (n_inputs,
 * overwritten) with members [e0, e1); returns the row's value in the
 * model's space.
 */
static double
explain_row(explainer *x, int64_t i, int ko, int e0, int e1, double *phi)
{
	const aml_model *m = x->m;
	double		pred;

	memset(phi, 0, (size_t) (m->n_inputs ? m->n_inputs : 1) * sizeof(double));
	if (direct(m))
	{
		const aml_member *mb = &m->members[0];
		double		s = 0.0;

		member_row(x, mb, i, ko);
		fold(m, x->phi_f, 1.0, phi);
		for (int j = 0; j < m->n_feat; j++)
			s += x->phi_f[j];
		return x->base[ko] + s;
	}

	/* ensembles: members rescaled into probability (or value) space */
	pred = 0.0;
	for (int e = e0; e < e1; e++)
	{
		const aml_member *mb = &m->members[e];
		double		b = x->base[(size_t) e * x->no + ko];
		double		pb = x->ebase[(size_t) e * x->no + ko];
		double		sum = 0.0,
					pe,
					scale;

		member_row(x, mb, i, ko);
		for (int j = 0; j < m->n_feat; j++)
			sum += x->phi_f[j];
		if (!rescaled(mb, m->task))
		{
			pe = b + sum;
			scale = 1.0;
		}
		else
		{
			/* the member's own probability, exactly as it predicts it */
			aml_member_predict(mb, x->no, &x->ds, &i, 1, x->tmp);
			pe = x->tmp[ko];
			/* the secant of the link; its slope at the base when flat */
			scale = fabs(sum) > 1e-12 ? (pe - pb) / sum : pb * (1.0 - pb);
		}
		fold(m, x->phi_f, mb->weight * scale, phi);
		/* what rescaling could not carry (a margin that did not move) */
		if (fabs(sum) <= 1e-12 && pe != pb && m->n_inputs > 0)
		{
			double		rest = mb->weight * (pe - pb - scale * sum);

			for (int in = 0; in < m->n_inputs; in++)
				phi[in] += rest / m->n_inputs;
		}
		pred += mb->weight * pe;
	}
	return pred;
}

aml_status
aml_model_explain(const aml_model *m, int64_t n, const double *in, int k,
				  double *phi, double *base, double *pred,
				  aml_explain_space *space, aml_error *err)
{
	explainer  *x = m->explainer;
	aml_status	st;
	int			ko = k;
	int			negate = 0;

	if (m->task == AML_TASK_BINARY)
	{
		if (k != 0 && k != 1)
			return aml_set_error(err, AML_EINVAL, "class index %d is out of range", k);
		ko = 0;
		negate = k == 0;
	}
	else if (m->task == AML_TASK_MULTICLASS)
	{
		if (k < 0 || k >= m->n_classes)
			return aml_set_error(err, AML_EINVAL, "class index %d is out of range", k);
	}
	else
		ko = 0;

	if (x == NULL)
	{
		/* built once per model: the model is not shared while explaining */
		st = explainer_init(&x, m, err);
		if (st != AML_OK)
			return st;
		((aml_model *) m)->explainer = x;
	}
	*space = direct(m) ? member_space(&m->members[0], m->task) :
		m->task == AML_TASK_REGRESSION ? AML_EXPLAIN_VALUE : AML_EXPLAIN_PROBABILITY;
	/*
	 * a per-group model's base is its whole-table model's; what a row's
	 * group model expects beyond that is the group column's contribution
	 */
	*base = m->n_groups > 0 ?
		model_base(x, m->seg_start[m->n_groups], m->n_members, ko) :
		model_base(x, 0, m->n_members, ko);
	for (int64_t start = 0; start < n; start += AML_BLOCK)
	{
		int			b = (int) (n - start < AML_BLOCK ? n - start : AML_BLOCK);

		aml_model_encode_block(m, b, in + start * m->n_inputs, x->cols);
		x->ds.n_rows = b;
		for (int r = 0; r < b; r++)
		{
			double	   *ph = phi + (size_t) (start + r) * m->n_inputs;
			int			e0 = 0,
						e1 = m->n_members;
			double		p;

			if (m->n_groups > 0)
			{
				int			sg = aml_model_segment(m, in[(size_t) (start + r) * m->n_inputs +
														 m->group_input]);

				e0 = m->seg_start[sg];
				e1 = m->seg_start[sg + 1];
			}
			p = explain_row(x, r, ko, e0, e1, ph);
			if (m->n_groups > 0)
				ph[m->group_input] += model_base(x, e0, e1, ko) - *base;

			if (negate)
			{
				for (int i = 0; i < m->n_inputs; i++)
					ph[i] = -ph[i];
				p = *space == AML_EXPLAIN_PROBABILITY ? 1.0 - p : -p;
			}
			pred[start + r] = p;
		}
	}
	if (negate)
		*base = *space == AML_EXPLAIN_PROBABILITY ? 1.0 - *base : -*base;
	return AML_OK;
}

/* ---------------------------------------------------------------- diagnostics */

#define IMP_SHAP_ROWS	1000	/* test rows explained for mean |contribution| */
#define IMP_SHAP_MIN	50		/* ... at least, however costly */
#define IMP_SHAP_WORK	3e7		/* ... within about this much TreeSHAP work */
#define IMP_PERM_ROWS	2000	/* test rows scored per permutation */
#define IMP_EXAMPLES	3
#define IMP_EXAMPLE_TOP 8

/* tree_leaves counts the leaves below node. */
static int64_t
tree_leaves(const aml_tree_pack *p, int32_t node)
{
	if (p->feat[node] < 0)
		return 1;
	return tree_leaves(p, p->left[node]) + tree_leaves(p, p->right[node]);
}

/*
 * explain_cost estimates the work of explaining one row for one output:
 * TreeSHAP visits every leaf with a path of its depth, extended and
 * unwound in time linear in the depth, so leaves x depth^2 per tree.
 */
static double
explain_cost(const aml_model *m)
{
	double		c = m->n_feat;

	for (int e = 0; e < m->n_members; e++)
	{
		const aml_tree_pack *p = aml_tree_learner_pack(m->members[e].ops->algo,
													   m->members[e].state);

		for (int t = 0; p && t < p->n_trees; t++)
		{
			double		d = tree_depth(p, p->root[t]) + 1;

			c += (double) tree_leaves(p, p->root[t]) * d * d;
		}
	}
	return c;
}

/* sig6 rounds to 6 significant digits (stable, compact JSON). */
static double
sig6(double v)
{
	char		t[32];

	if (!isfinite(v) || v == 0.0)
		return v;
	snprintf(t, sizeof(t), "%.6g", v);
	return strtod(t, NULL);
}

/* stride_rows picks at most cap of n positions, evenly spaced. */
static int64_t
stride_rows(int64_t n, int64_t cap, int64_t *out)
{
	int64_t		k = n < cap ? n : cap;

	for (int64_t r = 0; r < k; r++)
		out[r] = (int64_t) ((double) r * (double) n / (double) k);
	return k;
}

/* json_input_value writes raw input i's value as the user would read it. */
static void
json_input_value(aml_json *j, const aml_model *m, int i, double v)
{
	const aml_input *in = &m->inputs[i];
	char		buf[48];

	if (isnan(v))
	{
		aml_json_null(j);
		return;
	}
	switch (in->kind)
	{
		case AML_COL_CATEGORICAL:
			if (v >= 0 && v < in->n_levels)
				aml_json_str(j, in->levels[(int) v]);
			else
				aml_json_str(j, "(unseen)");
			break;
		case AML_COL_DATETIME:
			snprintf(buf, sizeof(buf), "%04d-%02d-%02d",
					 (int) aml_dt_part_value(v, AML_DT_YEAR),
					 (int) aml_dt_part_value(v, AML_DT_MONTH),
					 (int) aml_dt_part_value(v, AML_DT_DAY));
			if (in->has_time)
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %02d:00",
						 (int) aml_dt_part_value(v, AML_DT_HOUR));
			aml_json_str(j, buf);
			break;
		default:
			aml_json_num(j, sig6(v));
	}
}

typedef struct imp_ord
{
	double		key;
	int			i;
} imp_ord;

static int
cmp_ord_desc(const void *a, const void *b)
{
	const imp_ord *x = a,
			   *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->i - y->i;
}

/*
 * aml_diag_importance writes "importance" (per source column: mean
 * absolute contribution and permutation importance on the test split)
 * and "examples" (three test rows explained: the highest, median and
 * lowest prediction).
 */
aml_status
aml_diag_importance(aml_json *j, const aml_diag_input *di, aml_error *err)
{
	const aml_model *m = di->model;
	aml_env    *env = di->env;
	int			ni = m->n_inputs;
	int			no = di->n_out;
	int			nk = di->task == AML_TASK_MULTICLASS ? di->n_classes : 1;
	int			k1 = di->task == AML_TASK_BINARY ? 1 : 0;
	int64_t		ns,
				np;
	int			repeats = ni <= 30 ? 3 : 1;
	int64_t    *pos = NULL;
	double	   *raw = NULL,
			   *phi = NULL,
			   *pred = NULL,
			   *out = NULL,
			   *yv = NULL,
			   *shap = NULL,
			   *perm = NULL,
			   *col = NULL;
	void	   *scratch = NULL;
	double		base = 0.0,
				full;
	aml_explain_space sp = AML_EXPLAIN_VALUE;
	aml_status	st = AML_OK;
	aml_rng		rng;
	imp_ord    *ord = NULL;

	if (di->n == 0 || ni == 0)
		return AML_OK;
	pos = aml_malloc(env, (size_t) di->n * sizeof(int64_t));
	raw = aml_malloc(env, (size_t) IMP_PERM_ROWS * ni * sizeof(double));
	phi = aml_malloc(env, (size_t) IMP_SHAP_ROWS * ni * sizeof(double));
	pred = aml_malloc(env, (size_t) IMP_PERM_ROWS * sizeof(double));
	out = aml_malloc(env, (size_t) IMP_PERM_ROWS * no * sizeof(double));
	yv = aml_malloc(env, (size_t) IMP_PERM_ROWS * sizeof(double));
	shap = aml_calloc(env, (size_t) ni, sizeof(double));
	perm = aml_calloc(env, (size_t) ni, sizeof(double));
	col = aml_malloc(env, (size_t) IMP_PERM_ROWS * sizeof(double));
	ord = aml_malloc(env, (size_t) ni * sizeof(imp_ord));
	scratch = aml_malloc(env, aml_model_scratch_size(m));
	if (!pos || !raw || !phi || !pred || !out || !yv || !shap || !perm || !col || !ord || !scratch)
	{
		st = aml_oom(env, err, (size_t) IMP_PERM_ROWS * ni * sizeof(double));
		goto done;
	}

	/* mean absolute contribution (averaged over classes for multiclass) */
	{
		double		fit = IMP_SHAP_WORK / explain_cost(m) / nk;
		int64_t		cap = fit > IMP_SHAP_ROWS ? IMP_SHAP_ROWS :
			fit < IMP_SHAP_MIN ? IMP_SHAP_MIN : (int64_t) fit;

		ns = stride_rows(di->n, cap, pos);
	}
	di->raw_rows(di->raw_ctx, pos, ns, raw);
	for (int k = 0; k < nk; k++)
	{
		st = aml_model_explain(m, ns, raw, k + k1, phi, &base, pred, &sp, err);
		if (st != AML_OK)
			goto done;
		for (int64_t r = 0; r < ns; r++)
			for (int i = 0; i < ni; i++)
				shap[i] += fabs(phi[r * ni + i]) / (double) ns / (double) nk;
	}

	/* permutation importance: the metric's drop with one column shuffled */
	np = stride_rows(di->n, IMP_PERM_ROWS, pos);
	di->raw_rows(di->raw_ctx, pos, np, raw);
	for (int64_t r = 0; r < np; r++)
		yv[r] = di->y[pos[r]];
	aml_model_predict(m, np, raw, out, scratch);
	full = aml_metric_compute(di->metric, di->task, di->n_classes, np, yv, out);
	for (int i = 0; i < ni; i++)
	{
		for (int rep = 0; rep < repeats; rep++)
		{
			double		s;

			if (rep == 0)
				for (int64_t r = 0; r < np; r++)
					col[r] = raw[r * ni + i];
			aml_rng_seed(&rng, di->opts->seed * 1000003ULL + (uint64_t) i * 7919ULL + (uint64_t) rep);
			/* Fisher-Yates on column i only */
			for (int64_t r = np - 1; r > 0; r--)
			{
				int64_t		q = (int64_t) aml_rng_below(&rng, (uint64_t) r + 1);
				double		t = raw[r * ni + i];

				raw[r * ni + i] = raw[q * ni + i];
				raw[q * ni + i] = t;
			}
			aml_model_predict(m, np, raw, out, scratch);
			s = aml_metric_compute(di->metric, di->task, di->n_classes, np, yv, out);
			if (isfinite(s) && isfinite(full))
				perm[i] += (di->higher_is_better ? full - s : s - full) / repeats;
		}
		/* restore the column */
		for (int64_t r = 0; r < np; r++)
			raw[r * ni + i] = col[r];
		if (aml_check_cancel(env))
		{
			st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
			goto done;
		}
	}

	aml_json_key(j, "importance");
	aml_json_begin_obj(j);
	aml_json_key(j, "output");
	aml_json_str(j, aml_explain_space_name(sp));
	if (di->task == AML_TASK_BINARY)
	{
		aml_json_key(j, "class");
		aml_json_str(j, m->class_labels[1]);
	}
	aml_json_key(j, "metric");
	aml_json_str(j, di->metric);
	aml_json_key(j, "shap_rows");
	aml_json_int(j, ns);
	aml_json_key(j, "permutation_rows");
	aml_json_int(j, np);
	aml_json_key(j, "permutation_repeats");
	aml_json_int(j, repeats);
	aml_json_key(j, "features");
	aml_json_begin_arr(j);
	for (int i = 0; i < ni; i++)
	{
		aml_json_begin_obj(j);
		aml_json_key(j, "feature");
		aml_json_str(j, m->inputs[i].name);
		aml_json_key(j, "shap");
		aml_json_num(j, sig6(shap[i]));
		aml_json_key(j, "permutation");
		aml_json_num(j, sig6(perm[i]));
		aml_json_end_obj(j);
	}
	aml_json_end_arr(j);
	aml_json_end_obj(j);

	/* examples: the rows with the highest, median and lowest prediction */
	{
		int64_t		n = di->n;
		imp_ord    *po = aml_malloc(env, (size_t) n * sizeof(imp_ord));
		int64_t		pick[IMP_EXAMPLES];
		static const char *const what[IMP_EXAMPLES] = {"highest", "median", "lowest"};

		if (po == NULL)
		{
			st = aml_oom(env, err, (size_t) n * sizeof(imp_ord));
			goto done;
		}
		for (int64_t r = 0; r < n; r++)
		{
			const double *o = di->pred + r * no;
			int			c = aml_model_decide(m, o);

			po[r].key = di->task == AML_TASK_MULTICLASS ? o[c] : o[0];
			po[r].i = (int) r;
		}
		qsort(po, (size_t) n, sizeof(imp_ord), cmp_ord_desc);
		pick[0] = po[0].i;
		pick[1] = po[n / 2].i;
		pick[2] = po[n - 1].i;
		aml_free(env, po);

		aml_json_key(j, "examples");
		aml_json_begin_arr(j);
		for (int e = 0; e < IMP_EXAMPLES && e < n; e++)
		{
			const double *row = raw;
			int			k = di->task == AML_TASK_MULTICLASS ?
				aml_model_decide(m, di->pred + pick[e] * no) : k1;

			di->raw_rows(di->raw_ctx, &pick[e], 1, raw);

			st = aml_model_explain(m, 1, row, k, phi, &base, pred, &sp, err);
			if (st != AML_OK)
				goto done;
			for (int i = 0; i < ni; i++)
			{
				ord[i].key = fabs(phi[i]);
				ord[i].i = i;
			}
			qsort(ord, (size_t) ni, sizeof(imp_ord), cmp_ord_desc);
			aml_json_begin_obj(j);
			aml_json_key(j, "row");
			aml_json_str(j, what[e]);
			if (di->task != AML_TASK_REGRESSION)
			{
				aml_json_key(j, "class");
				aml_json_str(j, m->class_labels[k]);
			}
			aml_json_key(j, "output");
			aml_json_str(j, aml_explain_space_name(sp));
			aml_json_key(j, "base");
			aml_json_num(j, sig6(base));
			aml_json_key(j, "prediction");
			aml_json_num(j, sig6(pred[0]));
			aml_json_key(j, "contributions");
			aml_json_begin_arr(j);
			for (int q = 0; q < ni && q < IMP_EXAMPLE_TOP; q++)
			{
				int			i = ord[q].i;

				aml_json_begin_obj(j);
				aml_json_key(j, "feature");
				aml_json_str(j, m->inputs[i].name);
				aml_json_key(j, "value");
				json_input_value(j, m, i, row[i]);
				aml_json_key(j, "contribution");
				aml_json_num(j, sig6(phi[i]));
				aml_json_end_obj(j);
			}
			aml_json_end_arr(j);
			aml_json_end_obj(j);
		}
		aml_json_end_arr(j);
	}

done:
	aml_free(env, pos);
	aml_free(env, raw);
	aml_free(env, phi);
	aml_free(env, pred);
	aml_free(env, out);
	aml_free(env, yv);
	aml_free(env, shap);
	aml_free(env, perm);
	aml_free(env, col);
	aml_free(env, ord);
	aml_free(env, scratch);
	return st;
}
