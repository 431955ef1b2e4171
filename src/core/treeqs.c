/*-------------------------------------------------------------------------
 *
 * treeqs.c
 *	  Bitvector traversal of tree packs whose trees have at most 64 leaves
 *	  (the idea of QuickScorer, Lucchese et al., SIGIR 2015).
 *
 * Instead of walking every tree node by node (a chain of dependent loads
 * and hard-to-predict branches), a row is scored feature by feature.
 * Order each tree's leaves so that at every internal node the leaves under
 * one child (its "first" child) come before those under the other; a node
 * the row fails (the row goes to its second child) rules out every leaf
 * under its first child, so its "mask" clears those bits.  AND-ing the
 * masks of all the failing nodes into a per-tree word that starts all ones
 * leaves the exit leaf as the lowest set bit: every leaf before it sits
 * under the first child of a failing node on its path, and the exit leaf
 * itself is under no failing node's first child.
 *
 * The failing nodes are found without walking.  A numeric node sends x <=
 * thr left; when its left child comes first it fails when thr < x, so such
 * nodes are kept per feature sorted by threshold and a row's value scans
 * them upwards until a threshold is >= x (a +Inf sentinel ends the scan);
 * when its right child comes first it fails when thr >= x, scanned
 * downwards from the largest threshold (a -Inf sentinel).  The first child
 * is the one more training rows reached (cover), so that a row fails few
 * nodes.  Since a row fails only a few entries of most lists, one row
 * (per-row scoring) applies the first QS_HEAD entries of a list without a
 * branch, a passing entry's mask turned to all ones, and scans on only
 * when it failed all of them: a loop whose exit depends on the value
 * costs a mispredicted branch per list, more than the few extra ANDs (the
 * lists are padded to QS_HEAD with entries that never fail).  A missing
 * value (NaN or +-Inf) fails exactly the nodes that send
 * missing values to their second child, kept in a third list.  For a
 * categorical feature each code (and one extra code for missing, unseen or
 * malformed ones) has the list of nodes it fails, the first child being
 * the side more codes go to.  Lists hold one entry per tree where nodes of
 * the same tree can be merged.  Trees are grouped QS_GROUP at a time so
 * that the per-tree words fit on the stack.
 *
 * Blocks of rows use the same lists eight rows at a time, comparing a
 * threshold with the eight values in AVX2 registers where the CPU has it.
 *
 * The result is the leaf the walk reaches, so scores are bit-identical to
 * the walk's (leaf values are added per row in tree order either way);
 * test_treeqs.c checks it for every learner.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "tree.h"

int			aml_tree_qs_simd = 1;
int			aml_tree_qs_dense = 1;

#define QS_GROUP 256			/* trees per group (stack words) */
#define QS_HEAD 4				/* entries a row applies without a branch */
#define QS_MAX_LEAVES 64
#define QS_MIN_CAT_CAP 65536		/* per-code entries always allowed */
#define QS_CAT_PER_NODE 8		/* else at most this many per pack node */
#define QS_CAT_WORK 16			/* (node, code) pairs examined per entry allowed */

/* a numeric node (sorted by thr) or a node failing on a missing value */
typedef struct qs_ent
{
	uint64_t	mask;
	float		thr;
	int32_t		tree;			/* tree within its group */
} qs_ent;

/* a categorical node while building */
typedef struct qs_cat
{
	uint64_t	mask;
	int32_t		tree;
	int32_t		cat_off;		/* bitset of the codes that go left */
	int32_t		n_levels;
	int16_t		dl;				/* missing / unseen codes go left */
	int16_t		swap;			/* the right child comes first */
} qs_cat;

struct aml_tree_qs
{
	int			n_groups;
	int32_t    *group_t0;		/* n_groups + 1: first tree of each group */
	int32_t    *group_f0;		/* n_groups + 1: first (group, feature) entry */
	int32_t    *gf_feat;		/* per (group, feature): the feature */
	int32_t    *gf_num;			/* per (group, feature) + 1: its ascending
								 * list in num (nodes whose left child
								 * comes first, failing when thr < x) */
	int32_t    *gf_numd;		/* its descending list in num (right child
								 * first, failing when thr >= x) */
	int32_t    *gf_miss;		/* ... in miss */
	int32_t    *gf_cat;			/* ... in cat (while building) */
	int32_t    *gf_nl;			/* per (group, feature): levels, 0 = no
								 * categorical node */
	int32_t    *gf_code;		/* ... where its n_levels + 2 offsets in
								 * code_off start */
	qs_ent	   *num;
	qs_ent	   *miss;
	qs_cat	   *cat;			/* while building */
	int32_t    *code_off;		/* per code (n_levels = missing or unseen):
								 * its failing nodes in cent */
	qs_ent	   *cent;
	int32_t    *gf_dense;		/* per (group, feature): where its codes'
								 * dense masks start in cdense, or -1 */
	uint64_t   *cdense;			/* per code, one mask per tree of the group */
	int			one_out;		/* one output, every tree adds into it */
	int32_t    *leaf_base;		/* n_trees: first leaf of the tree */
	double	   *leaf_val;		/* leaves' values (n_out each) in the
								 * order of the bits within each tree */
};

/* qs_ent_cmp orders numeric nodes by threshold, then tree (determinism). */
static int
qs_ent_cmp(const void *a, const void *b)
{
	const qs_ent *x = a,
			   *y = b;

	if (x->thr != y->thr)
		return x->thr < y->thr ? -1 : 1;
	if (x->tree != y->tree)
		return x->tree < y->tree ? -1 : 1;
	return x->mask < y->mask ? -1 : x->mask > y->mask;
}

/* aml_tree_qs_free releases a bitvector layout (NULL is fine). */
void
aml_tree_qs_free(aml_env *env, aml_tree_qs *qs)
{
	if (qs == NULL)
		return;
	aml_free(env, qs->group_t0);
	aml_free(env, qs->group_f0);
	aml_free(env, qs->gf_feat);
	aml_free(env, qs->gf_num);
	aml_free(env, qs->gf_miss);
	aml_free(env, qs->gf_cat);
	aml_free(env, qs->num);
	aml_free(env, qs->miss);
	aml_free(env, qs->cat);
	aml_free(env, qs->gf_nl);
	aml_free(env, qs->gf_code);
	aml_free(env, qs->code_off);
	aml_free(env, qs->cent);
	aml_free(env, qs->leaf_base);
	aml_free(env, qs->leaf_val);
	aml_free(env, qs->gf_numd);
	aml_free(env, qs->gf_dense);
	aml_free(env, qs->cdense);
	aml_free(env, qs);
}

/*
 * qs_shape checks that every tree of p is a proper binary tree (each node
 * but the root has exactly one parent; children come after their parent,
 * which pack_check guarantees for packs read back) of at most
 * QS_MAX_LEAVES leaves, and fills per node its leaf count (cnt) and the
 * ordinal of its leftmost leaf within the tree (first).  0, or -1 when a
 * tree does not qualify.
 */
static int
qs_shape(const aml_tree_pack *p, int32_t *cnt, int32_t *first, uint8_t *swap)
{
	for (int i = 0; i < p->n_nodes; i++)
		cnt[i] = 0;
	/* count parents first (cnt as a scratch counter) */
	for (int t = 0; t < p->n_trees; t++)
	{
		int32_t		lo = p->root[t],
					hi = p->root[t + 1];

		for (int32_t i = lo; i < hi; i++)
			if (p->feat[i] >= 0)
			{
				if (p->left[i] <= i || p->left[i] >= hi ||
					p->right[i] <= i || p->right[i] >= hi || p->left[i] == p->right[i])
					return -1;
				cnt[p->left[i]]++;
				cnt[p->right[i]]++;
			}
		if (cnt[lo] != 0)
			return -1;
		for (int32_t i = lo + 1; i < hi; i++)
			if (cnt[i] != 1)
				return -1;
	}
	for (int t = 0; t < p->n_trees; t++)
	{
		int32_t		lo = p->root[t],
					hi = p->root[t + 1];

		for (int32_t i = hi - 1; i >= lo; i--)
			cnt[i] = p->feat[i] < 0 ? 1 : cnt[p->left[i]] + cnt[p->right[i]];
		if (cnt[lo] > QS_MAX_LEAVES)
			return -1;
		first[lo] = 0;
		for (int32_t i = lo; i < hi; i++)
			if (p->feat[i] >= 0)
			{
				int32_t		a = swap[i] ? p->right[i] : p->left[i];
				int32_t		b = swap[i] ? p->left[i] : p->right[i];

				first[a] = first[i];
				first[b] = first[i] + cnt[a];
			}
	}
	return 0;
}

/*
 * qs_swaps decides which child of each node comes first in the leaf order,
 * so that a row fails (goes to the second child of) few nodes: at a
 * numeric node the child that more training rows reached (cover), at a
 * categorical node the side more codes go to (missing counting as one).
 */
static void
qs_swaps(const aml_tree_pack *p, uint8_t *swap)
{
	for (int32_t i = 0; i < p->n_nodes; i++)
	{
		int			f = p->feat[i];
		int32_t		left = 0,
					nl;

		swap[i] = 0;
		if (f < 0)
			continue;
		if (!(p->flags[i] & AML_TREE_CATEGORICAL))
		{
			swap[i] = p->cover[p->right[i]] > p->cover[p->left[i]];
			continue;
		}
		nl = p->n_levels[f];
		for (int32_t c = 0; c < nl; c++)
			left += (p->cat_bits[p->cat_off[i] + (c >> 5)] >> (c & 31)) & 1;
		left += (p->flags[i] & AML_TREE_DEFAULT_LEFT) != 0;
		swap[i] = left < nl + 1 - left;
	}
}

/*
 * qs_mask is the mask of internal node i: the leaves of its first child's
 * subtree cleared.
 */
static uint64_t
qs_mask(const aml_tree_pack *p, const int32_t *cnt, const int32_t *first,
		const uint8_t *swap, int32_t i)
{
	int32_t		a = swap[i] ? p->right[i] : p->left[i];
	uint64_t	bits = (((uint64_t) 1 << cnt[a]) - 1) << first[a];	/* cnt[a] <= 63 */

	return ~bits;
}

/*
 * qs_code_fails says whether code c (n_levels: missing) fails categorical
 * node n, that is goes to its second child.
 */
static inline int
qs_code_fails(const aml_tree_pack *p, const qs_cat *n, int32_t c)
{
	int			left;

	if (c >= n->n_levels)
		left = n->dl;
	else
		left = (p->cat_bits[n->cat_off + (c >> 5)] >> (c & 31)) & 1;
	return left == n->swap;
}

/*
 * qs_cat_dense gives the categorical features whose codes fail nodes in a
 * quarter of the group's trees or more (a many-level feature split in
 * most trees) one mask per (code, tree) as well: a row then ANDs its
 * code's masks into every tree's word in one straight loop instead of
 * following a long list.  Their size is at most twice the lists'.  0, or
 * -1 when out of memory.
 */
static int
qs_cat_dense(aml_env *env, aml_tree_qs *qs)
{
	int			n_gf = qs->group_f0[qs->n_groups];
	int64_t		n_dense = 0;

	qs->gf_dense = aml_malloc(env, sizeof(int32_t) * (n_gf + 1));
	if (qs->gf_dense == NULL)
		return -1;
	for (int g = 0; g < qs->n_groups; g++)
	{
		int			nt = qs->group_t0[g + 1] - qs->group_t0[g];

		for (int k = qs->group_f0[g]; k < qs->group_f0[g + 1]; k++)
		{
			int32_t		L = qs->gf_nl[k];
			const int32_t *off = qs->code_off + qs->gf_code[k];

			qs->gf_dense[k] = -1;
			if (L > 0 && aml_tree_qs_dense > 0 &&
				(aml_tree_qs_dense > 1 || (int64_t) (off[L + 1] - off[0]) * 4 >= (int64_t) (L + 1) * nt) &&
				n_dense + (int64_t) (L + 1) * nt < INT32_MAX)
			{
				qs->gf_dense[k] = (int32_t) n_dense;
				n_dense += (int64_t) (L + 1) * nt;
			}
		}
	}
	if (n_dense == 0)
		return 0;
	qs->cdense = aml_malloc(env, sizeof(uint64_t) * n_dense);
	if (qs->cdense == NULL)
		return -1;
	for (int g = 0; g < qs->n_groups; g++)
	{
		int			nt = qs->group_t0[g + 1] - qs->group_t0[g];

		for (int k = qs->group_f0[g]; k < qs->group_f0[g + 1]; k++)
		{
			int32_t		L = qs->gf_nl[k];
			const int32_t *off = qs->code_off + qs->gf_code[k];

			if (qs->gf_dense[k] < 0)
				continue;
			for (int32_t c = 0; c <= L; c++)
			{
				uint64_t   *d = qs->cdense + qs->gf_dense[k] + (size_t) c * nt;

				for (int t = 0; t < nt; t++)
					d[t] = ~(uint64_t) 0;
				for (int32_t i = off[c]; i < off[c + 1]; i++)
					d[qs->cent[i].tree] &= qs->cent[i].mask;
			}
		}
	}
	return 0;
}

/*
 * qs_cat_codes turns the categorical nodes of each (group, feature) into
 * one list per code of the nodes that code fails (the code n_levels
 * standing for missing, unseen and malformed codes), so that scoring a
 * row is a lookup.  0; 1 when the lists would be large (many levels and
 * many categorical nodes: more than QS_CAT_PER_NODE entries per node of
 * the pack, and more than QS_MIN_CAT_CAP; the pack is then walked); -1
 * when out of memory.
 */
static int
qs_cat_codes(aml_env *env, const aml_tree_pack *p, aml_tree_qs *qs)
{
	int			n_gf = qs->group_f0[qs->n_groups];
	int64_t		n_off = 0,
				n_ent = 0,
				work = 0,
				cap = (int64_t) p->n_nodes * QS_CAT_PER_NODE;

	if (cap < QS_MIN_CAT_CAP)
		cap = QS_MIN_CAT_CAP;
	qs->gf_nl = aml_calloc(env, n_gf + 1, sizeof(int32_t));
	qs->gf_code = aml_calloc(env, n_gf + 1, sizeof(int32_t));
	if (qs->gf_nl == NULL || qs->gf_code == NULL)
		return -1;
	for (int k = 0; k < n_gf; k++)
	{
		int32_t		a = qs->gf_cat[k],
					b = qs->gf_cat[k + 1];

		if (a == b)
			continue;
		qs->gf_nl[k] = qs->cat[a].n_levels;
		qs->gf_code[k] = (int32_t) n_off;
		n_off += qs->gf_nl[k] + 2;
		/* bound the work of building too, whatever the pack holds */
		work += (int64_t) (b - a) * (qs->gf_nl[k] + 1);
		if (n_off > cap || work > QS_CAT_WORK * cap)
			return 1;
		for (int32_t i = a; i < b; i++)
			for (int32_t c = 0; c <= qs->gf_nl[k]; c++)
				n_ent += qs_code_fails(p, &qs->cat[i], c);
		if (n_ent > cap || n_off > cap)
			return 1;
	}
	qs->code_off = aml_malloc(env, sizeof(int32_t) * (n_off + 1));
	qs->cent = aml_malloc(env, sizeof(qs_ent) * (n_ent + 1));
	if (qs->code_off == NULL || qs->cent == NULL)
		return -1;
	n_ent = 0;
	for (int k = 0; k < n_gf; k++)
	{
		int32_t		a = qs->gf_cat[k],
					b = qs->gf_cat[k + 1];
		int32_t    *off = qs->code_off + qs->gf_code[k];

		if (a == b)
			continue;
		for (int32_t c = 0; c <= qs->gf_nl[k]; c++)
		{
			off[c] = (int32_t) n_ent;
			for (int32_t i = a; i < b; i++)
				if (qs_code_fails(p, &qs->cat[i], c))
				{
					/* nodes are in tree order: one entry per tree */
					if (n_ent > off[c] && qs->cent[n_ent - 1].tree == qs->cat[i].tree)
					{
						qs->cent[n_ent - 1].mask &= qs->cat[i].mask;
						continue;
					}
					qs->cent[n_ent].mask = qs->cat[i].mask;
					qs->cent[n_ent].thr = 0;
					qs->cent[n_ent].tree = qs->cat[i].tree;
					n_ent++;
				}
		}
		off[qs->gf_nl[k] + 1] = (int32_t) n_ent;
	}
	aml_free(env, qs->cat);
	qs->cat = NULL;
	return qs_cat_dense(env, qs);
}

/* qs_sort_desc orders the segment's entries by decreasing threshold. */
static void
qs_sort_desc(qs_ent *e, int32_t n)
{
	qsort(e, n, sizeof(qs_ent), qs_ent_cmp);
	for (int32_t i = 0, j = n - 1; i < j; i++, j--)
	{
		qs_ent		t = e[i];

		e[i] = e[j];
		e[j] = t;
	}
}

/*
 * aml_tree_qs_build builds the bitvector layout of a complete pack into
 * *out: NULL (and 0) when some tree has more than QS_MAX_LEAVES leaves or
 * is not a proper tree; -1 when out of memory.
 */
int
aml_tree_qs_build(aml_env *env, const aml_tree_pack *p, aml_tree_qs **out)
{
	int			F = p->n_feat;
	int			K = p->n_out;
	int32_t    *cnt = NULL,
			   *first = NULL,
			   *fa = NULL,
			   *fd = NULL,
			   *fm = NULL,
			   *fc = NULL,
			   *fgf = NULL;
	uint8_t    *swap = NULL;
	aml_tree_qs *qs = NULL;
	int64_t		n_int = 0,
				n_leaves = 0;
	int			n_gf = 0;
	int			rc = -1;

	*out = NULL;
	if (p->n_trees < 1 || F < 1)
		return 0;
	cnt = aml_malloc(env, sizeof(int32_t) * p->n_nodes);
	first = aml_malloc(env, sizeof(int32_t) * p->n_nodes);
	swap = aml_malloc(env, p->n_nodes);
	fa = aml_calloc(env, F, sizeof(int32_t));
	fd = aml_calloc(env, F, sizeof(int32_t));
	fm = aml_calloc(env, F, sizeof(int32_t));
	fc = aml_calloc(env, F, sizeof(int32_t));
	fgf = aml_calloc(env, F, sizeof(int32_t));
	if (cnt == NULL || first == NULL || swap == NULL || fa == NULL ||
		fd == NULL || fm == NULL || fc == NULL || fgf == NULL)
		goto done;
	qs_swaps(p, swap);
	if (qs_shape(p, cnt, first, swap) != 0)
	{
		rc = 0;
		goto done;
	}
	qs = aml_calloc(env, 1, sizeof(aml_tree_qs));
	if (qs == NULL)
		goto done;
	qs->n_groups = (p->n_trees + QS_GROUP - 1) / QS_GROUP;
	qs->one_out = K == 1;
	for (int t = 0; t < p->n_trees; t++)
		if (p->out_off[t] != 0)
			qs->one_out = 0;

	/* the (group, feature) pairs in use */
	for (int g = 0; g < qs->n_groups; g++)
	{
		int			t1 = (g + 1) * QS_GROUP < p->n_trees ? (g + 1) * QS_GROUP : p->n_trees;

		for (int j = 0; j < F; j++)
			fa[j] = 0;
		for (int32_t i = p->root[g * QS_GROUP]; i < p->root[t1]; i++)
			if (p->feat[i] >= 0)
				fa[p->feat[i]] = 1;
		for (int j = 0; j < F; j++)
			n_gf += fa[j];
	}
	for (int i = 0; i < p->n_nodes; i++)
	{
		if (p->feat[i] >= 0)
			n_int++;
		else
			n_leaves++;
	}
	qs->group_t0 = aml_malloc(env, sizeof(int32_t) * (qs->n_groups + 1));
	qs->group_f0 = aml_malloc(env, sizeof(int32_t) * (qs->n_groups + 1));
	qs->gf_feat = aml_malloc(env, sizeof(int32_t) * (n_gf + 1));
	qs->gf_num = aml_malloc(env, sizeof(int32_t) * (n_gf + 1));
	qs->gf_numd = aml_malloc(env, sizeof(int32_t) * (n_gf + 1));
	qs->gf_miss = aml_malloc(env, sizeof(int32_t) * (n_gf + 1));
	qs->gf_cat = aml_malloc(env, sizeof(int32_t) * (n_gf + 1));
	/* two sentinels per (group, feature), the lists padded to QS_HEAD */
	qs->num = aml_malloc(env, sizeof(qs_ent) * (n_int + 2 * QS_HEAD * n_gf + 1));
	qs->miss = aml_malloc(env, sizeof(qs_ent) * (n_int + 1));
	qs->cat = aml_malloc(env, sizeof(qs_cat) * (n_int + 1));
	qs->leaf_base = aml_malloc(env, sizeof(int32_t) * p->n_trees);
	qs->leaf_val = aml_malloc(env, sizeof(double) * (n_leaves * K + 1));
	if (qs->group_t0 == NULL || qs->group_f0 == NULL || qs->gf_feat == NULL ||
		qs->gf_num == NULL || qs->gf_numd == NULL || qs->gf_miss == NULL ||
		qs->gf_cat == NULL || qs->num == NULL || qs->miss == NULL ||
		qs->cat == NULL || qs->leaf_base == NULL || qs->leaf_val == NULL)
		goto done;

	/* leaf values, leaves in the order of the bits */
	{
		int32_t		base = 0;

		for (int t = 0; t < p->n_trees; t++)
		{
			qs->leaf_base[t] = base;
			for (int32_t i = p->root[t]; i < p->root[t + 1]; i++)
				if (p->feat[i] < 0)
					memcpy(qs->leaf_val + (size_t) (base + first[i]) * K,
						   p->value + (size_t) i * K, sizeof(double) * K);
			base += cnt[p->root[t]];
		}
	}

	/* per group and feature: the numeric lists, missing list, categorical nodes */
	{
		int			gf = 0,
					nn = 0,
					nm = 0,
					nc = 0;

		for (int g = 0; g < qs->n_groups; g++)
		{
			int			t0 = g * QS_GROUP;
			int			t1 = t0 + QS_GROUP < p->n_trees ? t0 + QS_GROUP : p->n_trees;
			int			nm0 = nm;

			qs->group_t0[g] = t0;
			qs->group_f0[g] = gf;
			for (int j = 0; j < F; j++)
				fa[j] = fd[j] = fm[j] = fc[j] = 0;
			for (int32_t i = p->root[t0]; i < p->root[t1]; i++)
			{
				int			f = p->feat[i];
				int			dl = (p->flags[i] & AML_TREE_DEFAULT_LEFT) != 0;

				if (f < 0)
					continue;
				if (p->flags[i] & AML_TREE_CATEGORICAL)
					fc[f]++;
				else
				{
					if (swap[i])
						fd[f]++;
					else
						fa[f]++;
					/* missing fails the nodes it sends to the second child */
					if (dl == swap[i])
						fm[f]++;
				}
			}
			/* the counts become each feature's write positions */
			for (int j = 0; j < F; j++)
			{
				int			a = fa[j],
							d = fd[j],
							m = fm[j],
							c = fc[j],
							la = a + 1 < QS_HEAD ? QS_HEAD : a + 1,
							ld = d + 1 < QS_HEAD ? QS_HEAD : d + 1;

				if (a + d + c == 0)
					continue;
				qs->gf_feat[gf] = j;
				fgf[j] = gf;
				qs->gf_num[gf] = nn;
				qs->gf_numd[gf] = nn + la;
				qs->gf_miss[gf] = nm;
				qs->gf_cat[gf] = nc;
				fa[j] = nn;
				fd[j] = nn + la;
				fm[j] = nm;
				fc[j] = nc;

				/*
				 * The sentinels end the scans; they and the pads that make
				 * a list QS_HEAD long never fail (their trees spread so that
				 * the no-op updates do not queue on one word).
				 */
				for (int i = a; i < la; i++)
					qs->num[nn + i] = (qs_ent) {~(uint64_t) 0, INFINITY, (int32_t) (i % (t1 - t0))};
				for (int i = d; i < ld; i++)
					qs->num[nn + la + i] = (qs_ent) {~(uint64_t) 0, -INFINITY, (int32_t) (i % (t1 - t0))};
				nn += la + ld;
				nm += m;
				nc += c;
				gf++;
			}
			for (int t = t0; t < t1; t++)
				for (int32_t i = p->root[t]; i < p->root[t + 1]; i++)
				{
					int			f = p->feat[i];
					int			dl = (p->flags[i] & AML_TREE_DEFAULT_LEFT) != 0;
					qs_ent		e;

					if (f < 0)
						continue;
					e.mask = qs_mask(p, cnt, first, swap, i);
					e.thr = p->thr[i];
					e.tree = t - t0;
					if (p->flags[i] & AML_TREE_CATEGORICAL)
					{
						qs_cat	   *c = &qs->cat[fc[f]++];

						c->mask = e.mask;
						c->tree = e.tree;
						c->cat_off = p->cat_off[i];
						c->n_levels = p->n_levels[f];
						c->dl = dl;
						c->swap = swap[i];
						continue;
					}
					if (swap[i])
						qs->num[fd[f]++] = e;
					else
						qs->num[fa[f]++] = e;
					/* nodes come in tree order: one entry per tree */
					if (dl == swap[i])
					{
						if (fm[f] > qs->gf_miss[fgf[f]] && qs->miss[fm[f] - 1].tree == e.tree)
							qs->miss[fm[f] - 1].mask &= e.mask;
						else
							qs->miss[fm[f]++] = e;
					}
				}
			/* close the gaps merging left in the missing lists */
			nm = nm0;
			for (int k = qs->group_f0[g]; k < gf; k++)
			{
				int32_t		len = fm[qs->gf_feat[k]] - qs->gf_miss[k];

				memmove(qs->miss + nm, qs->miss + qs->gf_miss[k], sizeof(qs_ent) * len);
				qs->gf_miss[k] = nm;
				nm += len;
			}
			for (int k = qs->group_f0[g]; k < gf; k++)
			{
				int			f = qs->gf_feat[k];

				/* ascending up to the +Inf sentinel, descending up to -Inf */
				qsort(qs->num + qs->gf_num[k], fa[f] - qs->gf_num[k], sizeof(qs_ent), qs_ent_cmp);
				qs_sort_desc(qs->num + qs->gf_numd[k], fd[f] - qs->gf_numd[k]);
			}
		}
		qs->group_t0[qs->n_groups] = p->n_trees;
		qs->group_f0[qs->n_groups] = gf;
		qs->gf_num[gf] = nn;
		qs->gf_numd[gf] = nn;
		qs->gf_miss[gf] = nm;
		qs->gf_cat[gf] = nc;
	}
	rc = qs_cat_codes(env, p, qs);
	if (rc != 0)
	{
		rc = rc < 0 ? -1 : 0;
		goto done;
	}
	*out = qs;
	qs = NULL;
	rc = 0;
done:
	aml_tree_qs_free(env, qs);
	aml_free(env, cnt);
	aml_free(env, first);
	aml_free(env, swap);
	aml_free(env, fa);
	aml_free(env, fd);
	aml_free(env, fm);
	aml_free(env, fc);
	aml_free(env, fgf);
	return rc;
}

/*
 * qs_leaves adds the leaf values of group g's trees, whose words are
 * w[t * stride], into the row's outputs o in tree order.
 */
static inline void
qs_leaves(const aml_tree_pack *p, const aml_tree_qs *qs, int g,
		  const uint64_t *w, size_t stride, double *o)
{
	int			t0 = qs->group_t0[g];
	int			nt = qs->group_t0[g + 1] - t0;
	const int32_t *base = qs->leaf_base + t0;
	int			K = p->n_out;

	if (qs->one_out)
	{
		double		s = o[0];

		for (int t = 0; t < nt; t++)
			s += qs->leaf_val[base[t] + __builtin_ctzll(w[t * stride])];
		o[0] = s;
		return;
	}
	for (int t = 0; t < nt; t++)
	{
		const double *v = qs->leaf_val + (size_t) (base[t] + __builtin_ctzll(w[t * stride])) * K;
		double	   *dst = o + p->out_off[t0 + t];

		for (int k = 0; k < K; k++)
			dst[k] += v[k];
	}
}

/* qs_code is group feature k's code of value x (n_levels: missing, unseen). */
static inline int32_t
qs_code(const aml_tree_qs *qs, int k, float x)
{
	int32_t		L = qs->gf_nl[k];

	return x >= 0.0f && x < (float) L && x == (float) (int32_t) x ? (int32_t) x : L;
}

/*
 * qs_codes returns the list of group feature k's categorical nodes that
 * code x fails, in [*e, *end).
 */
static inline void
qs_codes(const aml_tree_qs *qs, int k, float x, const qs_ent **e, const qs_ent **end)
{
	const int32_t *off = qs->code_off + qs->gf_code[k] + qs_code(qs, k, x);

	*e = qs->cent + off[0];
	*end = qs->cent + off[1];
}

/*
 * qs_dense returns the nt masks (one per tree of the group) of value x of
 * group feature k, or NULL when the feature keeps only lists.
 */
static inline const uint64_t *
qs_dense(const aml_tree_qs *qs, int k, float x, int nt)
{
	if (qs->gf_dense[k] < 0)
		return NULL;
	return qs->cdense + qs->gf_dense[k] + (size_t) qs_code(qs, k, x) * nt;
}

/*
 * qs_and_words ANDs n words of d into w, four at a time through GCC's
 * vector extension (two SSE2 operations where nothing wider is enabled)
 * instead of one load, AND and store per word.
 */
static inline void
qs_and_words(uint64_t *w, const uint64_t *d, int n)
{
	int			t = 0;

#if defined(__GNUC__) || defined(__clang__)
	typedef uint64_t qs_v4 __attribute__((vector_size(32)));

	for (; t + 4 <= n; t += 4)
	{
		qs_v4		a,
					b;

		memcpy(&a, w + t, sizeof(a));
		memcpy(&b, d + t, sizeof(b));
		a &= b;
		memcpy(w + t, &a, sizeof(a));
	}
#endif
	for (; t < n; t++)
		w[t] &= d[t];
}

/*
 * QS_HEAD_APPLY ANDs into w the masks of the first QS_HEAD entries from e
 * that fail (cond, of entry e[j]), without a branch: a passing entry's
 * mask becomes all ones.  (Written with a ?: operator, the compiler turns
 * each entry into an unpredictable branch.)
 */
#define QS_HEAD_APPLY(e, cond) \
	do { \
		for (int j = 0; j < QS_HEAD; j++) \
			w[(e)[j].tree] &= (e)[j].mask | ((uint64_t) (cond) - 1); \
	} while (0)

/* qs_row scores one row (dataset row `row`) into o. */
static void
qs_row(const aml_tree_pack *p, const aml_dataset *ds, int64_t row, double *o)
{
	const aml_tree_qs *qs = p->qs;
	const float *const *col = ds->col;
	uint64_t	w[QS_GROUP];

	for (int g = 0; g < qs->n_groups; g++)
	{
		int			nt = qs->group_t0[g + 1] - qs->group_t0[g];

		for (int t = 0; t < nt; t++)
			w[t] = ~(uint64_t) 0;
		for (int k = qs->group_f0[g]; k < qs->group_f0[g + 1]; k++)
		{
			float		x = col[qs->gf_feat[k]][row];
			const qs_ent *e,
					   *end;

			if (isfinite(x))
			{
				/*
				 * A row fails few nodes of most lists: the first QS_HEAD
				 * entries are applied or not without a branch, and only a
				 * row that fails all of them scans on, so that the loop's
				 * exit is mispredicted only there.
				 */
				e = qs->num + qs->gf_num[k];
				QS_HEAD_APPLY(e, e[j].thr < x);
				if (e[QS_HEAD - 1].thr < x)
					for (e += QS_HEAD; e->thr < x; e++)
						w[e->tree] &= e->mask;
				e = qs->num + qs->gf_numd[k];
				QS_HEAD_APPLY(e, e[j].thr >= x);
				if (e[QS_HEAD - 1].thr >= x)
					for (e += QS_HEAD; e->thr >= x; e++)
						w[e->tree] &= e->mask;
			}
			else
				for (e = qs->miss + qs->gf_miss[k], end = qs->miss + qs->gf_miss[k + 1]; e < end; e++)
					w[e->tree] &= e->mask;
			if (qs->gf_nl[k] > 0)
			{
				const uint64_t *d = qs_dense(qs, k, x, nt);

				if (d)
					qs_and_words(w, d, nt);
				else
					for (qs_codes(qs, k, x, &e, &end); e < end; e++)
						w[e->tree] &= e->mask;
			}
		}
		qs_leaves(p, qs, g, w, 1, o);
	}
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/*
 * Blocks: QS_LANES rows at once.  The words of the rows sit side by side
 * (w[tree * QS_LANES + q]), and each numeric node is tested for all the
 * rows with one vector compare, scanning a feature's lists as far as the
 * largest (smallest) finite value of the rows needs; a missing value
 * compares false with every threshold.  Missing values and categories
 * fail their lists per row first, as in qs_row (scalar updates of words
 * that vector code then rereads would stall store forwarding).  The
 * vector kernel is compiled for AVX2 and used when the CPU has it (an
 * AVX-512 one measured no faster: the per-row category lists dominate).
 */
#define QS_LANES 8

/* qs_lanes_scalar applies group feature k's missing and category lists. */
static inline void
qs_lanes_scalar(const aml_tree_qs *qs, int k, int nt, const float *c,
				const int64_t *rows, uint64_t *w)
{
	const qs_ent *e,
			   *end;

	for (int q = 0; q < QS_LANES; q++)
	{
		float		v = c[rows[q]];

		if (!isfinite(v))
			for (e = qs->miss + qs->gf_miss[k], end = qs->miss + qs->gf_miss[k + 1]; e < end; e++)
				w[e->tree * QS_LANES + q] &= e->mask;
		if (qs->gf_nl[k] > 0)
		{
			const uint64_t *d = qs_dense(qs, k, v, nt);

			if (d)
				for (int t = 0; t < nt; t++)
					w[t * QS_LANES + q] &= d[t];
			else
				for (qs_codes(qs, k, v, &e, &end); e < end; e++)
					w[e->tree * QS_LANES + q] &= e->mask;
		}
	}
}

/*
 * qs_lanes_values loads group feature k's values of the rows into xs
 * (NaN when missing) and their finite range into *lo, *hi; false when
 * the feature has no numeric node.
 */
static inline int
qs_lanes_values(const aml_tree_qs *qs, int k, const float *c,
				const int64_t *rows, double *xs, double *lo, double *hi)
{
	if (qs->num[qs->gf_num[k]].thr == INFINITY && qs->num[qs->gf_numd[k]].thr == -INFINITY)
		return 0;
	*lo = INFINITY;
	*hi = -INFINITY;
	for (int q = 0; q < QS_LANES; q++)
	{
		float		v = c[rows[q]];

		if (isfinite(v))
		{
			xs[q] = v;
			*lo = v < *lo ? v : *lo;
			*hi = v > *hi ? v : *hi;
		}
		else
			xs[q] = NAN;
	}
	return 1;
}

/*
 * qs_lanes_leaves adds group g's leaf values of one-output packs into the
 * QS_LANES rows' outputs, the rows' sums interleaved so that their
 * additions overlap instead of waiting for each other; each row still
 * adds its trees in order, as qs_leaves does.
 */
static inline void
qs_lanes_leaves(const aml_tree_qs *qs, int g, const uint64_t *w, double *const *o)
{
	int			t0 = qs->group_t0[g];
	int			nt = qs->group_t0[g + 1] - t0;
	const int32_t *base = qs->leaf_base + t0;
	double		s[QS_LANES];

	for (int q = 0; q < QS_LANES; q++)
		s[q] = o[q][0];
	for (int t = 0; t < nt; t++)
	{
		const uint64_t *wt = w + (size_t) t * QS_LANES;
		const double *lv = qs->leaf_val + base[t];

		for (int q = 0; q < QS_LANES; q++)
			s[q] += lv[__builtin_ctzll(wt[q])];
	}
	for (int q = 0; q < QS_LANES; q++)
		o[q][0] = s[q];
}

/* qs_lanes_avx2 scores QS_LANES rows (rows[q] into o[q]) with AVX2. */
__attribute__((target("avx2")))
static void
qs_lanes_avx2(const aml_tree_pack *p, const aml_dataset *ds,
			  const int64_t *rows, double *const *o)
{
	const aml_tree_qs *qs = p->qs;
	const float *const *col = ds->col;
	uint64_t	w[QS_GROUP * QS_LANES] __attribute__((aligned(32)));

	for (int g = 0; g < qs->n_groups; g++)
	{
		int			nt = qs->group_t0[g + 1] - qs->group_t0[g];

		for (int t = 0; t < nt * QS_LANES; t++)
			w[t] = ~(uint64_t) 0;
		for (int k = qs->group_f0[g]; k < qs->group_f0[g + 1]; k++)
			qs_lanes_scalar(qs, k, nt, col[qs->gf_feat[k]], rows, w);
		for (int k = qs->group_f0[g]; k < qs->group_f0[g + 1]; k++)
		{
			double		xs[QS_LANES];
			double		lo,
						hi;
			__m256d		x0,
						x1;
			const qs_ent *e;

			if (!qs_lanes_values(qs, k, col[qs->gf_feat[k]], rows, xs, &lo, &hi))
				continue;
			x0 = _mm256_loadu_pd(xs);
			x1 = _mm256_loadu_pd(xs + 4);
			for (e = qs->num + qs->gf_num[k]; e->thr < hi; e++)
			{
				__m256d		tv = _mm256_set1_pd(e->thr);
				__m256i		mv = _mm256_set1_epi64x((int64_t) e->mask);
				__m256i    *wt = (__m256i *) (w + e->tree * QS_LANES);

				/* w &= mask | ~(thr < x) */
				_mm256_store_si256(wt, _mm256_andnot_si256(_mm256_andnot_si256(mv, _mm256_castpd_si256(_mm256_cmp_pd(tv, x0, _CMP_LT_OQ))),
														   _mm256_load_si256(wt)));
				_mm256_store_si256(wt + 1, _mm256_andnot_si256(_mm256_andnot_si256(mv, _mm256_castpd_si256(_mm256_cmp_pd(tv, x1, _CMP_LT_OQ))),
															   _mm256_load_si256(wt + 1)));
			}
			for (e = qs->num + qs->gf_numd[k]; e->thr >= lo; e++)
			{
				__m256d		tv = _mm256_set1_pd(e->thr);
				__m256i		mv = _mm256_set1_epi64x((int64_t) e->mask);
				__m256i    *wt = (__m256i *) (w + e->tree * QS_LANES);

				/* w &= mask | ~(thr >= x) */
				_mm256_store_si256(wt, _mm256_andnot_si256(_mm256_andnot_si256(mv, _mm256_castpd_si256(_mm256_cmp_pd(tv, x0, _CMP_GE_OQ))),
														   _mm256_load_si256(wt)));
				_mm256_store_si256(wt + 1, _mm256_andnot_si256(_mm256_andnot_si256(mv, _mm256_castpd_si256(_mm256_cmp_pd(tv, x1, _CMP_GE_OQ))),
															   _mm256_load_si256(wt + 1)));
			}
		}
		if (qs->one_out)
			qs_lanes_leaves(qs, g, w, o);
		else
			for (int q = 0; q < QS_LANES; q++)
				qs_leaves(p, qs, g, w + q, QS_LANES, o[q]);
	}
}
#endif

/*
 * aml_tree_qs_add adds every tree's leaf values for rows idx[] (NULL =
 * 0..n-1) into out (n x n_outputs, not cleared), like aml_tree_pack_add.
 * p->qs must be the pack's current layout.
 */
void
aml_tree_qs_add(const aml_tree_pack *p, const aml_dataset *ds,
				const int64_t *idx, int64_t n, double *out, int n_outputs)
{
	int64_t		i = 0;

#ifdef QS_LANES
	if (n >= QS_LANES)
	{
		void		(*lanes) (const aml_tree_pack *, const aml_dataset *,
							  const int64_t *, double *const *) = NULL;

		if (aml_tree_qs_simd >= 1 && __builtin_cpu_supports("avx2"))
			lanes = qs_lanes_avx2;
		for (; lanes && i + QS_LANES <= n; i += QS_LANES)
		{
			int64_t		rows[QS_LANES];
			double	   *o[QS_LANES];

			for (int q = 0; q < QS_LANES; q++)
			{
				rows[q] = idx ? idx[i + q] : i + q;
				o[q] = out + (size_t) (i + q) * n_outputs;
			}
			lanes(p, ds, rows, o);
		}
	}
#endif
	for (; i < n; i++)
		qs_row(p, ds, idx ? idx[i] : i, out + (size_t) i * n_outputs);
}
