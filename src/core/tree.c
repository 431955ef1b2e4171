/*-------------------------------------------------------------------------
 *
 * tree.c
 *	  The histogram tree engine and the CART decision tree learner.
 *
 * Binning: every numeric feature gets at most max_bins quantile bins
 * (edges from a seeded sample of up to 200k training rows; midpoints
 * between neighbouring distinct values, the last edge +Inf) plus a missing
 * bin; categorical features bin by code.  The training rows are binned
 * once into a column-major uint8 (or uint16) matrix.
 *
 * Growing: per-bin statistics are (G[0..K-1], H, count).  A split's gain
 * is score(left) + score(right) - score(parent) with score = sum_k
 * G_k^2 / (H + lambda).  The tree grows best-first (the open leaf with the
 * largest gain is split next) within max_leaves and max_depth; the smaller
 * child's histogram is built from its rows and the larger one's derived by
 * subtraction from the parent's.  Histograms live in a bounded pool of
 * slots: when it is full, the open leaf least likely to be split next
 * loses its histogram and is rebuilt from rows if ever needed.  Numeric
 * splits try missing values on both sides and keep the better (learned
 * default direction); categorical splits sort the categories present by
 * G/(H+lambda) and scan the order, so a split sends a set of categories
 * left (for K > 1 the sort uses the output whose category means vary most,
 * and one-vs-rest splits are tried as well).  With K = 1 histograms are
 * built four features per pass over the node's rows.
 *
 * Direct mode (forests: a feature sample per node, or random cuts): no
 * histogram pool; a node reads its own rows for the features it samples
 * only (a dense histogram of the feature, or for nodes of at most
 * DIRECT_SMALL rows the sorted bins present), and a node whose rows all
 * have the same gradient/hessian ratio (pure) is not searched at all.
 *
 * Prediction works on raw float features: the pack stores float
 * thresholds equal to bin edges, so a training row takes the same path at
 * prediction as during growth.  A finished pack also gets a 16-byte node
 * layout walked by several rows in lockstep and, when every tree has at
 * most 64 leaves, the bitvector layout of treeqs.c, which prediction
 * prefers (aml_tree_pack_finish).
 *
 * Everything is deterministic for a given input and seed; ties break
 * towards the lower feature, threshold and node index.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "tree.h"

#define BIN_SAMPLE_ROWS 200000
#define MAX_CAT_LEVELS 65535
#define HIST_POOL_BYTES ((size_t) 16 * 1024 * 1024)
#define HIST_POOL_MIN_BYTES ((size_t) 4 * 1024 * 1024)
#define GAIN_REL_EPS 1e-12
#define PREDICT_BLOCK 128
#define PAR_HIST_MIN_WORK 65536	/* rows x features worth a parallel build */
#define DIRECT_SMALL 48			/* direct mode: nodes this small sort their bins */
#define HIST_GROUP 4			/* features per pass in hist_build_group */

/* ---------------------------------------------------------------- threads */

/* One worker's identity. */
typedef struct tworker
{
	struct aml_tpool *pool;
	int			id;
} tworker;

struct aml_tpool
{
	aml_env    *env;
	int			n_workers;		/* threads besides the caller */
	pthread_t  *th;
	tworker    *who;
	pthread_mutex_t mu;
	pthread_cond_t cv_go;
	pthread_cond_t cv_done;
	uint64_t	gen;			/* job number */
	int			stop;
	int			busy;			/* workers still in the current job */
	aml_tpool_fn fn;
	void	   *arg;
	int			n_tasks;
	int			next;			/* next task index (atomic) */
};

/* tpool_take runs tasks of the current job until none are left. */
static void
tpool_take(aml_tpool *pool, int id)
{
	for (;;)
	{
		int			t = __atomic_fetch_add(&pool->next, 1, __ATOMIC_ACQ_REL);

		if (t >= pool->n_tasks)
			break;
		pool->fn(pool->arg, t, id);
	}
}

/* tpool_main is a worker's loop: wait for a job, take tasks, report. */
static void *
tpool_main(void *p)
{
	tworker    *w = p;
	aml_tpool  *pool = w->pool;
	uint64_t	seen = 0;

	pthread_mutex_lock(&pool->mu);
	for (;;)
	{
		while (!pool->stop && pool->gen == seen)
			pthread_cond_wait(&pool->cv_go, &pool->mu);
		if (pool->stop)
			break;
		seen = pool->gen;
		pthread_mutex_unlock(&pool->mu);
		tpool_take(pool, w->id);
		pthread_mutex_lock(&pool->mu);
		if (--pool->busy == 0)
			pthread_cond_signal(&pool->cv_done);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

/*
 * aml_tpool_create starts n_threads - 1 workers with every signal blocked
 * (signals stay with the calling thread).  Returns NULL for one thread or
 * when nothing could be started: callers then run serially, with the same
 * results.
 */
aml_tpool *
aml_tpool_create(aml_env *env, int n_threads)
{
	aml_tpool  *pool;
	sigset_t	all,
				old;
	int			want = n_threads - 1;

	if (want < 1)
		return NULL;
	if (want > 255)
		want = 255;
	pool = aml_calloc(env, 1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->env = env;
	pool->th = aml_calloc(env, want, sizeof(pthread_t));
	pool->who = aml_calloc(env, want, sizeof(tworker));
	if (pool->th == NULL || pool->who == NULL ||
		pthread_mutex_init(&pool->mu, NULL) != 0)
	{
		aml_free(env, pool->th);
		aml_free(env, pool->who);
		aml_free(env, pool);
		return NULL;
	}
	pthread_cond_init(&pool->cv_go, NULL);
	pthread_cond_init(&pool->cv_done, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < want; i++)
	{
		pool->who[i].pool = pool;
		pool->who[i].id = i + 1;
		if (pthread_create(&pool->th[i], NULL, tpool_main, &pool->who[i]) != 0)
			break;
		pool->n_workers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pool->n_workers == 0)
	{
		aml_tpool_free(pool);
		return NULL;
	}
	return pool;
}

/* aml_tpool_size returns the threads of a pool including the caller. */
int
aml_tpool_size(const aml_tpool *pool)
{
	return pool ? pool->n_workers + 1 : 1;
}

/* aml_tpool_run runs a job's tasks on the pool and the caller; waits. */
void
aml_tpool_run(aml_tpool *pool, aml_tpool_fn fn, void *arg, int n_tasks)
{
	if (pool == NULL || n_tasks <= 1)
	{
		for (int t = 0; t < n_tasks; t++)
			fn(arg, t, 0);
		return;
	}
	aml_tpool_start(pool, fn, arg, n_tasks);
	aml_tpool_wait(pool);
}

void
aml_tpool_start(aml_tpool *pool, aml_tpool_fn fn, void *arg, int n_tasks)
{
	if (pool == NULL)
		return;					/* no workers: the caller runs the tasks */
	pthread_mutex_lock(&pool->mu);
	pool->fn = fn;
	pool->arg = arg;
	pool->n_tasks = n_tasks;
	__atomic_store_n(&pool->next, 0, __ATOMIC_RELEASE);
	pool->busy = pool->n_workers;
	pool->gen++;
	pthread_cond_broadcast(&pool->cv_go);
	pthread_mutex_unlock(&pool->mu);
}

void
aml_tpool_wait(aml_tpool *pool)
{
	if (pool == NULL)
		return;
	tpool_take(pool, 0);
	pthread_mutex_lock(&pool->mu);
	while (pool->busy > 0)
		pthread_cond_wait(&pool->cv_done, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
}

/* aml_tpool_free stops and joins the workers and frees the pool. */
void
aml_tpool_free(aml_tpool *pool)
{
	aml_env    *env;

	if (pool == NULL)
		return;
	env = pool->env;
	pthread_mutex_lock(&pool->mu);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->cv_go);
	pthread_mutex_unlock(&pool->mu);
	for (int i = 0; i < pool->n_workers; i++)
		pthread_join(pool->th[i], NULL);
	pthread_cond_destroy(&pool->cv_go);
	pthread_cond_destroy(&pool->cv_done);
	pthread_mutex_destroy(&pool->mu);
	aml_free(env, pool->th);
	aml_free(env, pool->who);
	aml_free(env, pool);
}

/* ---------------------------------------------------------------- packs */

/*
 * aml_tree_pack_init makes an empty pack whose feature schema is copied
 * from ds; returns 0, or -1 when out of memory.
 */
int
aml_tree_pack_init(aml_env *env, aml_tree_pack *p, const aml_dataset *ds,
				   int n_out)
{
	memset(p, 0, sizeof(*p));
	p->n_feat = ds->n_feat;
	p->n_out = n_out;
	p->n_levels = aml_calloc(env, ds->n_feat > 0 ? ds->n_feat : 1,
							 sizeof(int32_t));
	p->root = aml_calloc(env, 1, sizeof(int32_t));
	if (p->n_levels == NULL || p->root == NULL)
	{
		aml_tree_pack_free(env, p);
		return -1;
	}
	for (int j = 0; j < ds->n_feat; j++)
		p->n_levels[j] = ds->kind[j] == AML_FEAT_CATEGORICAL ? ds->n_levels[j] : 0;
	return 0;
}

/* aml_tree_pack_free releases a pack's arrays (the struct is the caller's). */
void
aml_tree_pack_free(aml_env *env, aml_tree_pack *p)
{
	aml_free(env, p->n_levels);
	aml_free(env, p->root);
	aml_free(env, p->out_off);
	aml_free(env, p->feat);
	aml_free(env, p->thr);
	aml_free(env, p->flags);
	aml_free(env, p->left);
	aml_free(env, p->right);
	aml_free(env, p->cat_off);
	aml_free(env, p->value);
	aml_free(env, p->cover);
	aml_free(env, p->hess);
	aml_free(env, p->gain);
	aml_free(env, p->cat_bits);
	aml_free(env, p->pn);
	aml_tree_qs_free(env, p->qs);
	memset(p, 0, sizeof(*p));
}

/* grow_array resizes *a to n elements of size sz; 0 or -1 on OOM. */
static int
grow_array(aml_env *env, void **a, size_t n, size_t sz)
{
	size_t		bytes = n * sz;
	void	   *q = aml_realloc(env, *a, bytes > 0 ? bytes : 1);

	if (q == NULL)
		return -1;
	*a = q;
	return 0;
}

/*
 * pack_reserve makes room for one more tree of n_nodes nodes and n_cat
 * bitset words; 0 or -1 when out of memory (the pack stays valid).
 */
static int
pack_reserve(aml_env *env, aml_tree_pack *p, int n_nodes, int n_cat)
{
	p->n_pn = 0;
	if (p->n_trees + 1 > p->cap_trees)
	{
		int			c = p->cap_trees ? p->cap_trees * 2 : 8;

		if (grow_array(env, (void **) &p->root, (size_t) c + 1, sizeof(int32_t)) ||
			grow_array(env, (void **) &p->out_off, c, sizeof(int32_t)))
			return -1;
		p->cap_trees = c;
	}
	if ((int64_t) p->n_nodes + n_nodes > INT32_MAX / 2 ||
		(int64_t) p->n_cat_words + n_cat > INT32_MAX / 2)
		return -1;
	if (p->n_nodes + n_nodes > p->cap_nodes)
	{
		int			c = p->cap_nodes ? p->cap_nodes : 64;

		while (c < p->n_nodes + n_nodes)
			c *= 2;
		if (grow_array(env, (void **) &p->feat, c, sizeof(int32_t)) ||
			grow_array(env, (void **) &p->thr, c, sizeof(float)) ||
			grow_array(env, (void **) &p->flags, c, sizeof(uint8_t)) ||
			grow_array(env, (void **) &p->left, c, sizeof(int32_t)) ||
			grow_array(env, (void **) &p->right, c, sizeof(int32_t)) ||
			grow_array(env, (void **) &p->cat_off, c, sizeof(int32_t)) ||
			grow_array(env, (void **) &p->value, (size_t) c * p->n_out, sizeof(double)) ||
			grow_array(env, (void **) &p->cover, c, sizeof(double)) ||
			grow_array(env, (void **) &p->hess, c, sizeof(double)) ||
			grow_array(env, (void **) &p->gain, c, sizeof(double)))
			return -1;
		p->cap_nodes = c;
	}
	if (p->n_cat_words + n_cat > p->cap_cat)
	{
		int			c = p->cap_cat ? p->cap_cat : 16;

		while (c < p->n_cat_words + n_cat)
			c *= 2;
		if (grow_array(env, (void **) &p->cat_bits, c, sizeof(uint32_t)))
			return -1;
		p->cap_cat = c;
	}
	return 0;
}

/* cat_words returns the bitset words of a categorical feature with nl levels. */
static inline int
cat_words(int nl)
{
	return (nl + 31) / 32;
}

/*
 * pack_leaf walks one tree from node for dataset row `row` and returns the
 * leaf reached.
 */
static inline int32_t
pack_leaf(const aml_tree_pack *p, int32_t node, const aml_dataset *ds,
		  int64_t row)
{
	while (p->feat[node] >= 0)
	{
		int			f = p->feat[node];
		float		x = ds->col[f][row];
		uint8_t		fl = p->flags[node];
		int			go_left;

		if (fl & AML_TREE_CATEGORICAL)
		{
			if (x >= 0.0f && x < (float) p->n_levels[f] && x == (float) (int32_t) x)
			{
				int32_t		c = (int32_t) x;

				go_left = (p->cat_bits[p->cat_off[node] + (c >> 5)] >> (c & 31)) & 1;
			}
			else
				go_left = fl & AML_TREE_DEFAULT_LEFT;
		}
		else if (isfinite(x))
			go_left = x <= p->thr[node];
		else
			go_left = fl & AML_TREE_DEFAULT_LEFT;
		node = go_left ? p->left[node] : p->right[node];
	}
	return node;
}

/*
 * aml_tree_pack_add_tree adds tree t's leaf values for rows idx[] (NULL =
 * 0..n-1) into out.
 */
void
aml_tree_pack_add_tree(const aml_tree_pack *p, int t, const aml_dataset *ds,
					   const int64_t *idx, int64_t n, double *out,
					   int n_outputs)
{
	int32_t		root = p->root[t];
	int			K = p->n_out;

	for (int64_t i = 0; i < n; i++)
	{
		int64_t		row = idx ? idx[i] : i;
		int32_t		leaf = pack_leaf(p, root, ds, row);
		const double *v = p->value + (size_t) leaf * K;
		double	   *o = out + (size_t) i * n_outputs + p->out_off[t];

		for (int k = 0; k < K; k++)
			o[k] += v[k];
	}
}

int32_t
aml_tree_pack_leaf(const aml_tree_pack *p, int t, const aml_dataset *ds, int64_t row)
{
	return pack_leaf(p, p->root[t], ds, row);
}

/*
 * aml_tree_pack_finish builds p->pn from the plain arrays (see tree.h).
 */
int
aml_tree_pack_finish(aml_env *env, aml_tree_pack *p)
{
	p->n_pn = 0;
	aml_tree_qs_free(env, p->qs);
	p->qs = NULL;
	if (p->n_feat < 1 || p->n_nodes < 1)
		return 0;
	aml_free(env, p->pn);
	p->pn = aml_malloc(env, (size_t) p->n_nodes * sizeof(aml_pnode));
	if (p->pn == NULL)
		return -1;
	for (int i = 0; i < p->n_nodes; i++)
	{
		aml_pnode  *q = &p->pn[i];

		if (p->feat[i] < 0)
		{
			q->fx = AML_PN_LEAF;
			q->u.thr = NAN;
			q->left = q->right = i;
			continue;
		}
		q->fx = p->feat[i];
		if (p->flags[i] & AML_TREE_DEFAULT_LEFT)
			q->fx |= AML_PN_DL;
		if (p->flags[i] & AML_TREE_CATEGORICAL)
		{
			q->fx |= AML_PN_CAT;
			q->u.cat = p->cat_off[i];
		}
		else
			q->u.thr = p->thr[i];
		q->left = p->left[i];
		q->right = p->right[i];
	}
	/* without memory for the bitvector layout the lockstep walk serves */
	if (aml_tree_qs_build(env, p, &p->qs) != 0)
		p->qs = NULL;
	p->n_pn = p->n_nodes;
	return 0;
}

/* pn_step moves one step down from node q for feature value x. */
static inline int32_t
pn_step(const aml_tree_pack *p, const aml_pnode *q, float x)
{
	int			go_left;

	if (__builtin_expect((q->fx & AML_PN_CAT) != 0, 0))
	{
		int			f = q->fx & AML_PN_FEAT;

		if (x >= 0.0f && x < (float) p->n_levels[f] && x == (float) (int32_t) x)
		{
			int32_t		c = (int32_t) x;

			go_left = (p->cat_bits[q->u.cat + (c >> 5)] >> (c & 31)) & 1;
		}
		else
			go_left = (q->fx & AML_PN_DL) != 0;
	}
	else
		go_left = isfinite(x) ? x <= q->u.thr : (q->fx & AML_PN_DL) != 0;
	return go_left ? q->left : q->right;
}

#define PN_LANES 8

/*
 * pn_add_tree adds tree t's leaf values for rows idx[] (NULL: first..
 * first+n-1) into out, walking PN_LANES rows through the tree in lockstep
 * (independent walks overlap their memory latencies); a lane that reached
 * its leaf stays there.
 */
static void
pn_add_tree(const aml_tree_pack *p, int t, const aml_dataset *ds,
			const int64_t *idx, int64_t first, int64_t n, double *out,
			int n_outputs)
{
	const aml_pnode *pn = p->pn;
	int32_t		root = p->root[t];
	int			K = p->n_out;
	int			off = p->out_off[t];
	const float *const *col = ds->col;
	int64_t		i = 0;

	for (; i + PN_LANES <= n; i += PN_LANES)
	{
		int32_t		nd[PN_LANES];
		int64_t		row[PN_LANES];

		for (int q = 0; q < PN_LANES; q++)
		{
			nd[q] = root;
			row[q] = idx ? idx[i + q] : first + i + q;
		}
		for (;;)
		{
			int32_t		all = AML_PN_LEAF;

			for (int q = 0; q < PN_LANES; q++)
			{
				const aml_pnode *z = &pn[nd[q]];

				nd[q] = pn_step(p, z, col[z->fx & AML_PN_FEAT][row[q]]);
				all &= pn[nd[q]].fx;
			}
			if (all & AML_PN_LEAF)
				break;
		}
		for (int q = 0; q < PN_LANES; q++)
		{
			const double *v = p->value + (size_t) nd[q] * K;
			double	   *o = out + (size_t) (i + q) * n_outputs + off;

			for (int k = 0; k < K; k++)
				o[k] += v[k];
		}
	}
	for (; i < n; i++)
	{
		int64_t		r = idx ? idx[i] : first + i;
		int32_t		nd = root;
		const double *v;
		double	   *o = out + (size_t) i * n_outputs + off;

		while (!(pn[nd].fx & AML_PN_LEAF))
			nd = pn_step(p, &pn[nd], col[pn[nd].fx & AML_PN_FEAT][r]);
		v = p->value + (size_t) nd * K;
		for (int k = 0; k < K; k++)
			o[k] += v[k];
	}
}

/*
 * pn_add_trees_row adds the leaf values of trees t0..t0+nt-1 (nt <=
 * PN_LANES) for one row into o, walking the trees in lockstep.
 */
static void
pn_add_trees_row(const aml_tree_pack *p, int t0, int nt, const aml_dataset *ds,
				 int64_t row, double *o)
{
	const aml_pnode *pn = p->pn;
	const float *const *col = ds->col;
	int			K = p->n_out;
	int32_t		nd[PN_LANES];

	for (int q = 0; q < nt; q++)
		nd[q] = p->root[t0 + q];
	for (;;)
	{
		int32_t		all = AML_PN_LEAF;

		for (int q = 0; q < nt; q++)
		{
			const aml_pnode *z = &pn[nd[q]];

			if (!(z->fx & AML_PN_LEAF))
				nd[q] = pn_step(p, z, col[z->fx & AML_PN_FEAT][row]);
			all &= pn[nd[q]].fx;
		}
		if (all & AML_PN_LEAF)
			break;
	}
	for (int q = 0; q < nt; q++)
	{
		const double *v = p->value + (size_t) nd[q] * K;
		double	   *dst = o + p->out_off[t0 + q];

		for (int k = 0; k < K; k++)
			dst[k] += v[k];
	}
}

/*
 * aml_tree_pack_add adds every tree's leaf values into out, a block of
 * rows at a time, tree by tree within the block (trees in order, so the
 * sums are identical however the caller splits the rows).
 */
void
aml_tree_pack_add(const aml_tree_pack *p, const aml_dataset *ds,
				  const int64_t *idx, int64_t n, double *out, int n_outputs)
{
	int			fast = p->pn != NULL && p->n_pn == p->n_nodes && p->n_nodes > 0;

	/* trees of at most 64 leaves: the bitvector traversal (treeqs.c) */
	if (fast && p->qs != NULL)
	{
		aml_tree_qs_add(p, ds, idx, n, out, n_outputs);
		return;
	}

	/*
	 * A few rows (per-row scoring in SQL): walk PN_LANES trees of one row in
	 * lockstep instead, so the trees' independent memory latencies overlap;
	 * leaves are added in tree order, so the sums are the same as above.
	 */
	if (fast && n < PN_LANES)
	{
		for (int64_t i = 0; i < n; i++)
		{
			int64_t		row = idx ? idx[i] : i;
			double	   *o = out + (size_t) i * n_outputs;

			for (int t0 = 0; t0 < p->n_trees; t0 += PN_LANES)
				pn_add_trees_row(p, t0, p->n_trees - t0 < PN_LANES ? p->n_trees - t0 : PN_LANES,
								 ds, row, o);
		}
		return;
	}

	for (int64_t b0 = 0; b0 < n; b0 += PREDICT_BLOCK)
	{
		int64_t		bn = n - b0 < PREDICT_BLOCK ? n - b0 : PREDICT_BLOCK;

		for (int t = 0; t < p->n_trees; t++)
		{
			if (fast)
				pn_add_tree(p, t, ds, idx ? idx + b0 : NULL, b0, bn,
							out + (size_t) b0 * n_outputs, n_outputs);
			else if (idx)
				aml_tree_pack_add_tree(p, t, ds, idx + b0, bn,
									   out + (size_t) b0 * n_outputs, n_outputs);
			else
			{
				int32_t		root = p->root[t];
				int			K = p->n_out;

				for (int64_t i = 0; i < bn; i++)
				{
					int32_t		leaf = pack_leaf(p, root, ds, b0 + i);
					const double *v = p->value + (size_t) leaf * K;
					double	   *o = out + (size_t) (b0 + i) * n_outputs + p->out_off[t];

					for (int k = 0; k < K; k++)
						o[k] += v[k];
				}
			}
		}
	}
}

/* aml_tree_pack_importance adds each internal node's gain to its feature. */
void
aml_tree_pack_importance(const aml_tree_pack *p, int n_feat, double *imp)
{
	for (int i = 0; i < p->n_nodes; i++)
		if (p->feat[i] >= 0 && p->feat[i] < n_feat)
			imp[p->feat[i]] += p->gain[i];
}

/* aml_tree_pack_split_counts adds one per internal node to its feature. */
void
aml_tree_pack_split_counts(const aml_tree_pack *p, int n_feat, double *cnt)
{
	for (int i = 0; i < p->n_nodes; i++)
		if (p->feat[i] >= 0 && p->feat[i] < n_feat)
			cnt[p->feat[i]] += 1.0;
}

/*
 * Pack layout (little-endian):
 *	 u32 n_feat | i32 n_levels[n_feat] | u32 n_out | u32 n_trees |
 *	 u32 n_nodes | u32 n_cat_words | i32 root[n_trees] | i32 out_off[n_trees] |
 *	 i32 feat[n] | f32 thr[n] | u8 flags[n] | i32 left[n] | i32 right[n] |
 *	 i32 cat_off[n] | f64 value[n * n_out] | f64 cover[n] | f64 hess[n] |
 *	 f64 gain[n] | u32 cat_bits[n_cat_words]
 */
#define PACK_NODE_BYTES(n_out) (4 + 4 + 1 + 4 + 4 + 4 + 8 * (uint64_t) (n_out) + 24)

/* aml_tree_pack_write serializes the pack in the layout above. */
void
aml_tree_pack_write(const aml_tree_pack *p, aml_wbuf *b)
{
	size_t		n = (size_t) p->n_nodes;

	aml_w_u32(b, (uint32_t) p->n_feat);
	aml_w_i32s(b, p->n_levels, p->n_feat);
	aml_w_u32(b, (uint32_t) p->n_out);
	aml_w_u32(b, (uint32_t) p->n_trees);
	aml_w_u32(b, (uint32_t) p->n_nodes);
	aml_w_u32(b, (uint32_t) p->n_cat_words);
	aml_w_i32s(b, p->root, p->n_trees);
	aml_w_i32s(b, p->out_off, p->n_trees);
	aml_w_i32s(b, p->feat, n);
	aml_w_f32s(b, p->thr, n);
	aml_w_bytes(b, p->flags, n);
	aml_w_i32s(b, p->left, n);
	aml_w_i32s(b, p->right, n);
	aml_w_i32s(b, p->cat_off, n);
	aml_w_f64s(b, p->value, n * p->n_out);
	aml_w_f64s(b, p->cover, n);
	aml_w_f64s(b, p->hess, n);
	aml_w_f64s(b, p->gain, n);
	aml_w_i32s(b, (const int32_t *) p->cat_bits, p->n_cat_words);
}

/* pack_bad fills err for a corrupt pack and returns AML_EFORMAT. */
static aml_status
pack_bad(aml_error *err, const char *what)
{
	aml_set_error(err, AML_EFORMAT, "corrupt tree model");
	aml_set_detail(err, "%s", what);
	return AML_EFORMAT;
}

/* aml_tree_format_error fills err for a corrupt tree model. */
aml_status
aml_tree_format_error(aml_error *err, const char *what)
{
	return pack_bad(err, what);
}

/*
 * pack_check validates a pack just read: structure, indexes, feature kinds
 * and bitset sizes against the schema, and finite values.  Returns NULL
 * when valid, else what is wrong.
 */
static const char *
pack_check(const aml_tree_pack *p, const aml_dataset *schema, int n_outputs)
{
	for (int j = 0; j < p->n_feat; j++)
	{
		int			want = schema->kind[j] == AML_FEAT_CATEGORICAL ? schema->n_levels[j] : 0;

		if (p->n_levels[j] != want)
			return "feature kinds or category counts differ from the model's schema";
	}
	if (p->root[0] != 0)
		return "first tree does not start at node 0";
	for (int t = 0; t < p->n_trees; t++)
	{
		int32_t		lo = p->root[t];
		int32_t		hi = t + 1 < p->n_trees ? p->root[t + 1] : p->n_nodes;

		if (hi <= lo || hi > p->n_nodes)
			return "tree offsets out of order";
		if (p->out_off[t] < 0 || (int64_t) p->out_off[t] + p->n_out > n_outputs)
			return "tree output offset out of range";
		for (int32_t i = lo; i < hi; i++)
		{
			int32_t		f = p->feat[i];

			if (p->flags[i] & ~(AML_TREE_DEFAULT_LEFT | AML_TREE_CATEGORICAL))
				return "unknown node flags";
			if (!isfinite(p->cover[i]) || !isfinite(p->hess[i]) || !isfinite(p->gain[i]))
				return "non-finite node statistics";
			for (int k = 0; k < p->n_out; k++)
				if (!isfinite(p->value[(size_t) i * p->n_out + k]))
					return "non-finite node value";
			if (f < 0)
			{
				if (f != -1)
					return "bad leaf marker";
				continue;
			}
			if (f >= p->n_feat)
				return "split feature out of range";
			if (p->left[i] <= i || p->left[i] >= hi ||
				p->right[i] <= i || p->right[i] >= hi)
				return "child index out of range";
			if (p->flags[i] & AML_TREE_CATEGORICAL)
			{
				if (p->n_levels[f] <= 0)
					return "categorical split on a numeric feature";
				if (p->cat_off[i] < 0 ||
					(int64_t) p->cat_off[i] + cat_words(p->n_levels[f]) > p->n_cat_words)
					return "category set out of range";
			}
			else
			{
				if (p->n_levels[f] > 0)
					return "numeric split on a categorical feature";
				if (isnan(p->thr[i]))
					return "threshold is NaN";
			}
		}
	}
	return NULL;
}

/*
 * aml_tree_pack_read reads a pack written by aml_tree_pack_write, checking
 * every count against what is left in the buffer before allocating, and
 * then the structure against the schema.
 */
aml_status
aml_tree_pack_read(aml_env *env, aml_rbuf *b, const aml_dataset *schema,
				   int want_out, int n_outputs, aml_tree_pack *p,
				   aml_error *err)
{
	uint32_t	n_feat,
				n_out,
				n_trees,
				n_nodes,
				n_cat;
	const char *why;
	size_t		n;

	memset(p, 0, sizeof(*p));
	if (aml_r_u32(b, &n_feat) < 0)
		return pack_bad(err, "tree data is truncated");
	if (n_feat != (uint32_t) schema->n_feat)
		return pack_bad(err, "feature count differs from the model's schema");
	p->n_feat = (int) n_feat;
	if (aml_r_i32s(b, env, &p->n_levels, n_feat) < 0 ||
		aml_r_u32(b, &n_out) < 0 || aml_r_u32(b, &n_trees) < 0 ||
		aml_r_u32(b, &n_nodes) < 0 || aml_r_u32(b, &n_cat) < 0)
	{
		aml_tree_pack_free(env, p);
		return pack_bad(err, "tree data is truncated");
	}
	if (n_out != (uint32_t) want_out || n_trees < 1 || n_nodes < n_trees ||
		n_nodes > INT32_MAX / 2 || n_cat > INT32_MAX / 2 ||
		(uint64_t) n_trees * 8 + (uint64_t) n_nodes * PACK_NODE_BYTES(n_out) +
		(uint64_t) n_cat * 4 > aml_r_left(b))
	{
		aml_tree_pack_free(env, p);
		return pack_bad(err, "tree counts are inconsistent with the data");
	}
	p->n_out = (int) n_out;
	p->n_trees = (int) n_trees;
	p->n_nodes = (int) n_nodes;
	p->n_cat_words = (int) n_cat;
	n = n_nodes;
	p->flags = aml_malloc(env, n);
	if (p->flags == NULL ||
		aml_r_i32s(b, env, &p->root, n_trees) < 0 ||
		aml_r_i32s(b, env, &p->out_off, n_trees) < 0 ||
		aml_r_i32s(b, env, &p->feat, n) < 0 ||
		aml_r_f32s(b, env, &p->thr, n) < 0 ||
		aml_r_bytes(b, p->flags, n) < 0 ||
		aml_r_i32s(b, env, &p->left, n) < 0 ||
		aml_r_i32s(b, env, &p->right, n) < 0 ||
		aml_r_i32s(b, env, &p->cat_off, n) < 0 ||
		aml_r_f64s(b, env, &p->value, n * n_out) < 0 ||
		aml_r_f64s(b, env, &p->cover, n) < 0 ||
		aml_r_f64s(b, env, &p->hess, n) < 0 ||
		aml_r_f64s(b, env, &p->gain, n) < 0 ||
		aml_r_i32s(b, env, (int32_t **) &p->cat_bits, n_cat) < 0)
	{
		aml_tree_pack_free(env, p);
		return pack_bad(err, "tree data is truncated");
	}
	p->cap_trees = p->n_trees;
	p->cap_nodes = p->n_nodes;
	p->cap_cat = p->n_cat_words;
	why = pack_check(p, schema, n_outputs);
	if (why)
	{
		aml_tree_pack_free(env, p);
		return pack_bad(err, why);
	}
	/* keep the root array's sentinel form: root[n_trees] = n_nodes */
	if (grow_array(env, (void **) &p->root, (size_t) n_trees + 1, sizeof(int32_t)))
	{
		aml_tree_pack_free(env, p);
		return aml_oom(env, err, ((size_t) n_trees + 1) * sizeof(int32_t));
	}
	p->root[n_trees] = p->n_nodes;
	(void) aml_tree_pack_finish(env, p);
	return AML_OK;
}

/* ---------------------------------------------------------------- binning */

/* float_key maps a float to a uint32 whose unsigned order is the float order. */
static inline uint32_t
float_key(float x)
{
	uint32_t	u;

	memcpy(&u, &x, sizeof(u));
	return (u & 0x80000000U) ? ~u : u | 0x80000000U;
}

/* key_float inverts float_key. */
static inline float
key_float(uint32_t k)
{
	uint32_t	u = (k & 0x80000000U) ? k & 0x7FFFFFFFU : ~k;
	float		x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

/*
 * sort_floats sorts m finite floats ascending with an LSD radix sort on
 * their order-preserving keys (tmp holds 2 * m keys).
 */
static void
sort_floats(float *v, int64_t m, uint32_t *tmp)
{
	uint32_t   *a = tmp;
	uint32_t   *b = tmp + m;

	for (int64_t i = 0; i < m; i++)
		a[i] = float_key(v[i]);
	for (int shift = 0; shift < 32; shift += 8)
	{
		int64_t		cnt[257];
		uint32_t   *t;

		memset(cnt, 0, sizeof(cnt));
		for (int64_t i = 0; i < m; i++)
			cnt[((a[i] >> shift) & 0xFF) + 1]++;
		if (cnt[((a[0] >> shift) & 0xFF) + 1] == m)
			continue;			/* every key has this byte: nothing to do */
		for (int d = 0; d < 256; d++)
			cnt[d + 1] += cnt[d];
		for (int64_t i = 0; i < m; i++)
			b[cnt[(a[i] >> shift) & 0xFF]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (int64_t i = 0; i < m; i++)
		v[i] = key_float(a[i]);
}

/*
 * edge_between returns a float edge e with a <= e < b, near the midpoint,
 * so that a falls in the bin below the edge and b above it.
 */
static float
edge_between(float a, float b)
{
	float		e = (float) (((double) a + (double) b) / 2.0);

	if (!(e >= a && e < b))
		e = a;
	return e;
}

/*
 * make_edges computes at most max_bins upper bin edges from m sorted
 * finite sample values (the last edge +Inf) into e and returns their count.
 * With few distinct values each gets its own bin; otherwise bins are
 * filled greedily to about (values left) / (bins left) each, so a heavy
 * value gets a bin alone and the rest stay evenly spread.
 */
static int
make_edges(const float *v, int64_t m, int max_bins, float *e)
{
	int64_t		d = 0;
	int			nb = 0;

	for (int64_t i = 0; i < m; i++)
		if (i == 0 || v[i] != v[i - 1])
			d++;
	if (d <= max_bins)
	{
		for (int64_t i = 0; i < m; i++)
		{
			if (i + 1 < m && v[i + 1] != v[i])
				e[nb++] = edge_between(v[i], v[i + 1]);
		}
	}
	else
	{
		int64_t		rest = m;
		int64_t		acc = 0;
		int			left = max_bins;

		for (int64_t i = 0; i < m && left > 1;)
		{
			int64_t		j = i;

			while (j < m && v[j] == v[i])
				j++;
			acc += j - i;
			if (j < m && (double) acc * left >= (double) rest)
			{
				e[nb++] = edge_between(v[i], v[j]);
				rest -= acc;
				acc = 0;
				left--;
			}
			i = j;
		}
	}
	e[nb++] = INFINITY;
	return nb;
}

/*
 * bin_of returns the first bin whose upper edge is >= x (x finite; the
 * last edge is +Inf), by a branch-free binary search.
 */
static inline int
bin_of(const float *e, int nb, float x)
{
	int			lo = 0;
	int			len = nb;

	while (len > 1)
	{
		int			half = len >> 1;

		lo = e[lo + half - 1] < x ? lo + half : lo;
		len -= half;
	}
	return lo;
}

/* aml_tree_bins_free releases binned data. */
void
aml_tree_bins_free(aml_env *env, aml_tree_bins *bins)
{
	if (bins == NULL)
		return;
	aml_free(env, bins->nb);
	aml_free(env, bins->off);
	aml_free(env, bins->eoff);
	aml_free(env, bins->edge);
	aml_free(env, bins->is_cat);
	aml_free(env, bins->mat);
	aml_free(env, bins);
}

/* Shared state of the parallel binning phases. */
typedef struct bin_job
{
	const aml_dataset *ds;
	const int64_t *rows;
	int64_t		n;
	const int64_t *spos;		/* sample positions */
	int64_t		ns;
	int			max_bins;
	aml_tree_bins *bins;
	float	  **vals;			/* per worker: ns floats */
	uint32_t  **keys;			/* per worker: 2 * ns keys */
	aml_env    *env;
	int			stop;			/* set (atomically) when canceled */
} bin_job;

/* bin_job_canceled polls for cancellation (asking the caller in worker 0). */
static int
bin_job_canceled(bin_job *job, int worker)
{
	if (__atomic_load_n(&job->stop, __ATOMIC_RELAXED))
		return 1;
	if (worker == 0 ? aml_check_cancel(job->env) : aml_canceled(job->env))
	{
		__atomic_store_n(&job->stop, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

/* bin_edges_task computes the bin edges of numeric feature `task`. */
static void
bin_edges_task(void *arg, int task, int worker)
{
	bin_job    *job = arg;
	aml_tree_bins *bins = job->bins;
	const float *col = job->ds->col[task];
	float	   *vals = job->vals[worker];
	int64_t		m = 0;

	if (bins->is_cat[task] || bin_job_canceled(job, worker))
		return;
	for (int64_t s = 0; s < job->ns; s++)
	{
		int64_t		r = job->rows ? job->rows[job->spos[s]] : job->spos[s];
		float		x = col[r];

		if (isfinite(x))
			vals[m++] = x;
	}
	sort_floats(vals, m, job->keys[worker]);
	bins->nb[task] = make_edges(vals, m, job->max_bins,
								bins->edge + bins->eoff[task]);
}

/* bin_column_task bins every training row of feature `task`. */
static void
bin_column_task(void *arg, int task, int worker)
{
	bin_job    *job = arg;
	aml_tree_bins *bins = job->bins;
	const float *col = job->ds->col[task];
	const int64_t *rows = job->rows;
	const float *e = bins->edge + bins->eoff[task];
	int			nb = bins->nb[task];
	int64_t		n = job->n;
	uint8_t    *m8 = (uint8_t *) bins->mat + (size_t) task * n;
	uint16_t   *m16 = (uint16_t *) bins->mat + (size_t) task * n;

	if (bin_job_canceled(job, worker))
		return;
	for (int64_t i = 0; i < n; i++)
	{
		float		x = col[rows ? rows[i] : i];
		int			b;

		if (bins->is_cat[task])
			b = (x >= 0.0f && x < (float) nb && x == (float) (int32_t) x) ? (int) x : nb;
		else
			b = isfinite(x) ? bin_of(e, nb, x) : nb;
		if (bins->wide)
			m16[i] = (uint16_t) b;
		else
			m8[i] = (uint8_t) b;
	}
}

/*
 * aml_tree_bins_build computes bin edges from a seeded sample of the
 * training rows and bins every training row of every feature, one feature
 * per task (so the result does not depend on the pool).
 */
aml_status
aml_tree_bins_build(aml_env *env, const aml_dataset *ds, const int64_t *rows,
					int64_t n, int max_bins, uint64_t seed, aml_tpool *pool,
					aml_tree_bins **out, aml_error *err)
{
	aml_tree_bins *bins;
	int			F = ds->n_feat;
	int			nw = aml_tpool_size(pool);
	int64_t		ns = n < BIN_SAMPLE_ROWS ? n : BIN_SAMPLE_ROWS;
	int64_t    *spos = NULL;
	bin_job		job;
	size_t		need;
	aml_status	st = AML_OK;

	*out = NULL;
	memset(&job, 0, sizeof(job));
	if (max_bins < 2 || max_bins > 255)
		return aml_set_error(err, AML_EINVAL, "max_bins must be between 2 and 255");
	bins = aml_calloc(env, 1, sizeof(*bins));
	if (bins == NULL)
		return aml_oom(env, err, sizeof(*bins));
	bins->n_feat = F;
	bins->n = n;
	bins->nb = aml_calloc(env, F + 1, sizeof(int));
	bins->off = aml_calloc(env, F + 1, sizeof(int));
	bins->eoff = aml_calloc(env, F + 1, sizeof(int));
	bins->is_cat = aml_calloc(env, F + 1, 1);
	bins->edge = aml_malloc(env, ((size_t) F * max_bins + 1) * sizeof(float));
	spos = aml_malloc(env, (ns + 1) * sizeof(int64_t));
	job.vals = aml_calloc(env, nw, sizeof(float *));
	job.keys = aml_calloc(env, nw, sizeof(uint32_t *));
	if (!bins->nb || !bins->off || !bins->eoff || !bins->is_cat ||
		!bins->edge || !spos || !job.vals || !job.keys)
	{
		st = aml_oom(env, err, ((size_t) F * max_bins + 1) * sizeof(float) +
					 (ns + 1) * sizeof(int64_t));
		goto done;
	}
	for (int w = 0; w < nw; w++)
	{
		job.vals[w] = aml_malloc(env, (ns + 1) * sizeof(float));
		job.keys[w] = aml_malloc(env, (2 * ns + 1) * sizeof(uint32_t));
		if (job.vals[w] == NULL || job.keys[w] == NULL)
		{
			st = aml_oom(env, err, (ns + 1) * 3 * sizeof(float));
			goto done;
		}
	}

	/* sequential sampling (Knuth's algorithm S): ns sorted positions */
	if (ns == n)
	{
		for (int64_t i = 0; i < n; i++)
			spos[i] = i;
	}
	else
	{
		aml_rng		rng;
		int64_t		k = 0;

		aml_rng_seed(&rng, seed ^ 0x62696e73ULL);
		for (int64_t i = 0; i < n && k < ns; i++)
			if ((double) (n - i) * aml_rng_uniform(&rng) < (double) (ns - k))
				spos[k++] = i;
		ns = k;
	}

	for (int j = 0; j < F; j++)
	{
		bins->eoff[j] = j * max_bins;
		if (ds->kind[j] == AML_FEAT_CATEGORICAL)
		{
			int			nl = ds->n_levels[j];

			if (nl < 1 || nl > MAX_CAT_LEVELS)
			{
				st = aml_set_error(err, AML_EINVAL,
								   "categorical feature %d has %d levels", j, nl);
				aml_set_detail(err, "A tree supports 1 to %d levels per feature.",
							   MAX_CAT_LEVELS);
				goto done;
			}
			bins->is_cat[j] = 1;
			bins->nb[j] = nl;
			if (nl > bins->max_cat)
				bins->max_cat = nl;
		}
	}
	bins->eoff[F] = F * max_bins;

	job.ds = ds;
	job.rows = rows;
	job.n = n;
	job.spos = spos;
	job.ns = ns;
	job.max_bins = max_bins;
	job.bins = bins;
	job.env = env;
	aml_tpool_run(pool, bin_edges_task, &job, F);
	if (job.stop || aml_check_cancel(env))
	{
		st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
		goto done;
	}

	for (int j = 0; j < F; j++)
	{
		bins->off[j + 1] = bins->off[j] + bins->nb[j] + 1;
		if (bins->nb[j] + 1 > 256)
			bins->wide = 1;
	}
	need = (size_t) n * F * (bins->wide ? 2 : 1);
	bins->mat = aml_malloc(env, need ? need : 1);
	if (bins->mat == NULL)
	{
		st = aml_oom(env, err, need);
		goto done;
	}
	aml_tpool_run(pool, bin_column_task, &job, F);
	if (job.stop || aml_check_cancel(env))
		st = aml_set_error(err, AML_ECANCELED, "canceling automl training");

done:
	aml_free(env, spos);
	for (int w = 0; w < nw && job.vals && job.keys; w++)
	{
		aml_free(env, job.vals[w]);
		aml_free(env, job.keys[w]);
	}
	aml_free(env, job.vals);
	aml_free(env, job.keys);
	if (st != AML_OK)
		aml_tree_bins_free(env, bins);
	else
		*out = bins;
	return st;
}

/* ---------------------------------------------------------------- grower */

/* aml_grow_params_init sets the CART defaults (no depth or leaf limit). */
void
aml_grow_params_init(aml_grow_params *gp)
{
	memset(gp, 0, sizeof(*gp));
	gp->min_samples_leaf = 1;
	gp->feat_frac_node = 1.0;
}

/* A category and its sort key. */
typedef struct cat_item
{
	double		key;
	int			code;
} cat_item;

/* One node of the tree being grown. */
typedef struct gnode
{
	int64_t		begin;			/* rows part[begin..end) */
	int64_t		end;
	int			depth;
	int			left;			/* children, -1 while a leaf */
	int			right;
	int			hist;			/* histogram slot, -1 = none */
	double		hess;
	/* best split (sfeat < 0: none) */
	int			sfeat;
	int			sbin;			/* numeric: last bin going left */
	int			sdl;			/* missing goes left */
	int			scat;
	int64_t		scat_off;		/* left set in the grower's cat pool */
	double		sgain;
} gnode;

/* A split candidate during the search. */
typedef struct split_cand
{
	int			feat;
	int			bin;
	int			dl;
	int			cat;
	double		gain;
} split_cand;

struct aml_grower
{
	aml_env    *env;
	const aml_tree_bins *bins;
	int			K;
	int			S;				/* doubles per bin: G[K], H, count */
	aml_grow_params gp;
	int64_t		n;
	int32_t    *part;
	int32_t    *tmp;			/* the right rows of a partition: oh_buf's
								 * memory, free between a node's gather and
								 * the next one */
	/* histogram pool */
	size_t		hist_len;		/* doubles per histogram */
	int			max_slots;
	double	  **slot;
	int		   *slot_owner;
	/* the tree being grown */
	gnode	   *node;
	double	   *nodeG;			/* cap_node * K */
	int			n_node;
	int			cap_node;
	int		   *heap;
	int			heap_n;
	uint32_t   *catpool;
	int64_t		cat_used;
	int64_t		cat_cap;
	/* split-search scratch */
	double	   *acc;			/* S */
	double	   *lst;			/* S */
	double	   *tot;			/* S */
	double	   *sumL;			/* K + 1: left child's G, H */
	double	   *sumR;			/* K + 1 */
	/*
	 * A node's gradients in the order of its rows: og / oh / ocls point
	 * into the gathered copies below, or at the tree's own arrays when the
	 * node's rows are all rows in order (the root of an unsampled tree).
	 */
	const float *og;			/* n * K */
	const float *oh;			/* n */
	const int32_t *ocls;		/* n */
	float	   *og_buf;
	float	   *oh_buf;
	int32_t    *ocls_buf;
	int		   *cat_order;		/* max_cat */
	struct cat_item *items;	/* max_cat */
	uint32_t   *best_bits;		/* words of the widest categorical feature */
	int			cat_w;
	int		   *feat_list;		/* n_feat */
	int		   *used;			/* features of the current tree */
	int			n_used;
	/* direct mode: per-node, per-feature statistics from the node's rows */
	int			direct;
	double	   *fh;				/* one feature's dense histogram */
	double	   *chist;			/* compact histogram: (DIRECT_SMALL + 2) * S */
	int		   *cmap;			/* its bins */
	uint32_t   *ckey;			/* DIRECT_SMALL sort keys */
	aml_tpool  *pool;			/* parallel histograms, or NULL */
	/* the current tree's data */
	const float *g;
	const int32_t *cls;
	const float *h;
	int			part_identity;	/* the root's rows are 0..n-1 in order */
	const uint8_t *feat_mask;
	aml_rng    *rng;
};

/* aml_grower_free releases a grower and its workspace. */
void
aml_grower_free(aml_grower *gr)
{
	aml_env    *env;

	if (gr == NULL)
		return;
	env = gr->env;
	aml_free(env, gr->part);
	if (gr->slot)
		for (int s = 0; s < gr->max_slots; s++)
			aml_free(env, gr->slot[s]);
	aml_free(env, gr->slot);
	aml_free(env, gr->slot_owner);
	aml_free(env, gr->node);
	aml_free(env, gr->nodeG);
	aml_free(env, gr->heap);
	aml_free(env, gr->catpool);
	aml_free(env, gr->acc);
	aml_free(env, gr->lst);
	aml_free(env, gr->tot);
	aml_free(env, gr->sumL);
	aml_free(env, gr->sumR);
	aml_free(env, gr->og_buf);
	aml_free(env, gr->oh_buf);
	aml_free(env, gr->ocls_buf);
	aml_free(env, gr->cat_order);
	aml_free(env, gr->items);
	aml_free(env, gr->best_bits);
	aml_free(env, gr->feat_list);
	aml_free(env, gr->used);
	aml_free(env, gr->fh);
	aml_free(env, gr->chist);
	aml_free(env, gr->cmap);
	aml_free(env, gr->ckey);
	aml_free(env, gr);
}

/*
 * aml_grower_create allocates a grower for K outputs over binned data.
 * The histogram pool holds at most HIST_POOL_BYTES, or a sixteenth of the
 * bins when that is more than HIST_POOL_MIN_BYTES (and never fewer than
 * three histograms); slots are allocated on first use.
 */
aml_status
aml_grower_create(aml_env *env, const aml_tree_bins *bins, int K,
				  const aml_grow_params *gp, aml_tpool *pool,
				  aml_grower **out, aml_error *err)
{
	aml_grower *gr;
	int			F = bins->n_feat;
	size_t		hist_bytes;
	int			max_cat = bins->max_cat > 0 ? bins->max_cat : 1;

	*out = NULL;
	if (K < 1 || K > 65536)
		return aml_set_error(err, AML_EINVAL, "tree outputs must be between 1 and 65536");
	if (bins->n > INT32_MAX)
		return aml_set_error(err, AML_EINVAL, "too many rows for a tree: %lld",
							 (long long) bins->n);
	gr = aml_calloc(env, 1, sizeof(*gr));
	if (gr == NULL)
		return aml_oom(env, err, sizeof(*gr));
	gr->env = env;
	gr->pool = pool;
	gr->bins = bins;
	gr->K = K;
	gr->S = K + 2;
	gr->gp = *gp;
	if (gr->gp.min_samples_leaf < 1)
		gr->gp.min_samples_leaf = 1;
	gr->n = bins->n;
	gr->hist_len = (size_t) bins->off[F] * gr->S;
	hist_bytes = gr->hist_len * sizeof(double) + 1;
	{
		size_t		pool = HIST_POOL_BYTES;
		size_t		ms;

		if (env->mem_budget && env->mem_budget / 4 < pool)
			pool = env->mem_budget / 4;

		/*
		 * On large data the pool stays small next to the bins (a sixteenth of
		 * them): the leaves that lose their histogram are those split last,
		 * which a tree with a leaf limit mostly never splits.
		 */
		{
			size_t		cap = (size_t) bins->n * (size_t) F / 16;

			if (cap < HIST_POOL_MIN_BYTES)
				cap = HIST_POOL_MIN_BYTES;
			if (pool > cap)
				pool = cap;
		}
		ms = pool / hist_bytes;
		if (gp->max_leaves > 0 && ms > (size_t) gp->max_leaves + 1)
			ms = (size_t) gp->max_leaves + 1;
		if (ms > 65536)
			ms = 65536;
		if (ms < 3)
			ms = 3;
		gr->max_slots = (int) ms;
	}
	gr->cat_w = cat_words(max_cat);
	gr->cap_node = 64;
	gr->part = aml_malloc(env, (gr->n + 1) * sizeof(int32_t));
	gr->slot = aml_calloc(env, gr->max_slots, sizeof(double *));
	gr->slot_owner = aml_malloc(env, gr->max_slots * sizeof(int));
	gr->node = aml_malloc(env, gr->cap_node * sizeof(gnode));
	gr->nodeG = aml_malloc(env, (size_t) gr->cap_node * K * sizeof(double));
	gr->heap = aml_malloc(env, gr->cap_node * sizeof(int));
	gr->acc = aml_malloc(env, gr->S * sizeof(double));
	gr->lst = aml_malloc(env, gr->S * sizeof(double));
	gr->tot = aml_malloc(env, gr->S * sizeof(double));
	gr->sumL = aml_malloc(env, gr->S * sizeof(double));
	gr->sumR = aml_malloc(env, gr->S * sizeof(double));
	gr->oh_buf = aml_malloc(env, (gr->n + 1) * sizeof(float));
	gr->tmp = (int32_t *) (void *) gr->oh_buf;

	gr->cat_order = aml_malloc(env, max_cat * sizeof(int));
	gr->items = aml_malloc(env, max_cat * sizeof(*gr->items));
	gr->best_bits = aml_malloc(env, gr->cat_w * sizeof(uint32_t));
	gr->feat_list = aml_malloc(env, (F + 1) * sizeof(int));
	gr->used = aml_malloc(env, (F + 1) * sizeof(int));
	{
		int			widest = 1;

		for (int j = 0; j < F; j++)
			if (bins->nb[j] + 1 > widest)
				widest = bins->nb[j] + 1;
		gr->fh = aml_malloc(env, (size_t) widest * gr->S * sizeof(double));
	}
	gr->chist = aml_malloc(env, (size_t) (DIRECT_SMALL + 2) * gr->S * sizeof(double));
	gr->cmap = aml_malloc(env, (DIRECT_SMALL + 1) * sizeof(int));
	gr->ckey = aml_malloc(env, (DIRECT_SMALL + 1) * sizeof(uint32_t));
	if (!gr->fh || !gr->chist || !gr->cmap || !gr->ckey ||
		!gr->used || !gr->part || !gr->slot || !gr->slot_owner || !gr->node ||
		!gr->nodeG || !gr->heap || !gr->acc || !gr->lst || !gr->tot ||
		!gr->sumL || !gr->sumR || !gr->oh_buf ||
		!gr->cat_order || !gr->items || !gr->best_bits || !gr->feat_list)
	{
		aml_grower_free(gr);
		return aml_oom(env, err, (size_t) (bins->n + 1) * 8);
	}
	*out = gr;
	return AML_OK;
}

/* leaf_score returns sum_k G_k^2 / (H + lambda) of a statistics vector. */
static inline double
leaf_score(const double *st, int K, double lambda)
{
	double		d = st[K] + lambda;
	double		s = 0;

	if (!(d > 0))
		return 0;
	for (int k = 0; k < K; k++)
		s += st[k] * st[k];
	return s / d;
}

/* node_splittable says whether a node may still be split. */
static int
node_splittable(const aml_grower *gr, const gnode *nd)
{
	if (gr->gp.max_depth > 0 && nd->depth >= gr->gp.max_depth)
		return 0;
	if ((double) (nd->end - nd->begin) < 2 * gr->gp.min_samples_leaf)
		return 0;
	return 1;
}

/*
 * new_node appends a node for rows part[begin..end) with gradient sums
 * G_in[K] and hessian sum H_in, or (G_in NULL) sums computed from its
 * rows; returns its index or -1 on OOM.
 */
static int
new_node(aml_grower *gr, int64_t begin, int64_t end, int depth,
		 const double *G_in, double H_in)
{
	int			K = gr->K;
	int			id;
	gnode	   *nd;
	double	   *G;
	double		H = 0;

	if (gr->n_node == gr->cap_node)
	{
		int			c = gr->cap_node * 2;

		if (grow_array(gr->env, (void **) &gr->node, c, sizeof(gnode)) ||
			grow_array(gr->env, (void **) &gr->nodeG, (size_t) c * K, sizeof(double)) ||
			grow_array(gr->env, (void **) &gr->heap, c, sizeof(int)))
			return -1;
		gr->cap_node = c;
	}
	id = gr->n_node++;
	nd = &gr->node[id];
	memset(nd, 0, sizeof(*nd));
	nd->begin = begin;
	nd->end = end;
	nd->depth = depth;
	nd->left = nd->right = -1;
	nd->hist = -1;
	nd->sfeat = -1;
	G = gr->nodeG + (size_t) id * K;
	if (G_in)
	{
		memcpy(G, G_in, K * sizeof(double));
		nd->hess = H_in;
		return id;
	}
	memset(G, 0, K * sizeof(double));
	for (int64_t i = begin; i < end; i++)
	{
		int32_t		r = gr->part[i];

		if (gr->cls)
			G[gr->cls[r]] -= gr->h[r];
		else
			for (int k = 0; k < K; k++)
				G[k] += gr->g[(size_t) r * K + k];
		H += gr->h[r];
	}
	nd->hess = H;
	return id;
}

/* heap_before says whether node a is split before node b. */
static inline int
heap_before(const aml_grower *gr, int a, int b)
{
	double		ga = gr->node[a].sgain;
	double		gb = gr->node[b].sgain;

	return ga > gb || (ga == gb && a < b);
}

/* heap_push adds an open leaf to the priority queue. */
static void
heap_push(aml_grower *gr, int id)
{
	int			i = gr->heap_n++;

	gr->heap[i] = id;
	while (i > 0)
	{
		int			p = (i - 1) / 2;

		if (!heap_before(gr, gr->heap[i], gr->heap[p]))
			break;
		gr->heap[i] = gr->heap[p];
		gr->heap[p] = id;
		i = p;
	}
}

/* heap_pop removes and returns the leaf with the best split. */
static int
heap_pop(aml_grower *gr)
{
	int			top = gr->heap[0];
	int			i = 0;

	gr->heap[0] = gr->heap[--gr->heap_n];
	for (;;)
	{
		int			l = 2 * i + 1;
		int			r = l + 1;
		int			m = i;
		int			t;

		if (l < gr->heap_n && heap_before(gr, gr->heap[l], gr->heap[m]))
			m = l;
		if (r < gr->heap_n && heap_before(gr, gr->heap[r], gr->heap[m]))
			m = r;
		if (m == i)
			break;
		t = gr->heap[i];
		gr->heap[i] = gr->heap[m];
		gr->heap[m] = t;
		i = m;
	}
	return top;
}

/* release_slot detaches a node's histogram slot, if any. */
static void
release_slot(aml_grower *gr, int id)
{
	int			s = gr->node[id].hist;

	if (s >= 0)
	{
		gr->slot_owner[s] = -1;
		gr->node[id].hist = -1;
	}
}

/*
 * get_slot finds a histogram slot for node id: a free one, a new one, or
 * one taken from the open leaf that will be split last (never from keep).
 * Returns the slot or -1 when none can be had (out of memory).
 */
static int
get_slot(aml_grower *gr, int id, int keep)
{
	int			victim = -1;

	for (int s = 0; s < gr->max_slots; s++)
		if (gr->slot[s] && gr->slot_owner[s] < 0)
		{
			victim = s;
			goto take;
		}
	for (int s = 0; s < gr->max_slots; s++)
		if (gr->slot[s] == NULL)
		{
			gr->slot[s] = aml_malloc(gr->env, gr->hist_len * sizeof(double) + 1);
			if (gr->slot[s])
			{
				victim = s;
				goto take;
			}
			break;
		}
	for (int s = 0; s < gr->max_slots; s++)
	{
		int			o;

		if (gr->slot[s] == NULL)
			continue;
		o = gr->slot_owner[s];
		if (o == id || o == keep)
			continue;
		if (victim < 0 || heap_before(gr, gr->slot_owner[victim], o))
			victim = s;
	}
	if (victim < 0)
		return -1;
	gr->node[gr->slot_owner[victim]].hist = -1;
take:
	gr->slot_owner[victim] = id;
	gr->node[id].hist = victim;
	return victim;
}

/* feat_used says whether feature j takes part in the current tree. */
static inline int
feat_used(const aml_grower *gr, int j)
{
	return gr->feat_mask == NULL || gr->feat_mask[j];
}

/*
 * hist_build_feature fills feature j's part of hist from rows
 * part[begin..end), whose gradients were gathered in that order into
 * og / oh / ocls (position i - begin), so only the bin reads are random.
 */
static void
hist_build_feature(const aml_grower *gr, double *hist, int j,
				   int64_t begin, int64_t end)
{
	const aml_tree_bins *bins = gr->bins;
	int			K = gr->K;
	int			S = gr->S;
	double	   *hf = hist + (size_t) bins->off[j] * S;
	const int32_t *part = gr->part + begin;
	const float *oh = gr->oh;
	const float *og = gr->og;
	const int32_t *ocls = gr->ocls;
	int64_t		len = end - begin;

	memset(hf, 0, (size_t) (bins->nb[j] + 1) * S * sizeof(double));
	if (bins->wide)
	{
		const uint16_t *col = (const uint16_t *) bins->mat + (size_t) j * bins->n;

		for (int64_t i = 0; i < len; i++)
		{
			double	   *c = hf + (size_t) col[part[i]] * S;

			if (gr->cls)
				c[ocls[i]] -= oh[i];
			else
				for (int k = 0; k < K; k++)
					c[k] += og[(size_t) i * K + k];
			c[K] += oh[i];
			c[K + 1] += 1;
		}
	}
	else if (K == 1 && gr->cls == NULL)
	{
		const uint8_t *col = (const uint8_t *) bins->mat + (size_t) j * bins->n;

		for (int64_t i = 0; i < len; i++)
		{
			double	   *c = hf + (size_t) col[part[i]] * 3;

			c[0] += og[i];
			c[1] += oh[i];
			c[2] += 1;
		}
	}
	else if (gr->cls)
	{
		const uint8_t *col = (const uint8_t *) bins->mat + (size_t) j * bins->n;

		for (int64_t i = 0; i < len; i++)
		{
			double	   *c = hf + (size_t) col[part[i]] * S;

			c[ocls[i]] -= oh[i];
			c[K] += oh[i];
			c[K + 1] += 1;
		}
	}
	else
	{
		const uint8_t *col = (const uint8_t *) bins->mat + (size_t) j * bins->n;

		for (int64_t i = 0; i < len; i++)
		{
			double	   *c = hf + (size_t) col[part[i]] * S;

			for (int k = 0; k < K; k++)
				c[k] += og[(size_t) i * K + k];
			c[K] += oh[i];
			c[K + 1] += 1;
		}
	}
}

/*
 * gather_node copies a node's gradients into og / oh / ocls in row order;
 * a node holding every row in order reads the tree's arrays in place.
 */
static void
gather_node(aml_grower *gr, int64_t begin, int64_t end)
{
	int			K = gr->K;

	if (begin == 0 && end == gr->n && gr->part_identity)
	{
		gr->og = gr->g;
		gr->oh = gr->h;
		gr->ocls = gr->cls;
		return;
	}
	for (int64_t i = begin; i < end; i++)
	{
		int32_t		r = gr->part[i];

		gr->oh_buf[i - begin] = gr->h[r];
		if (gr->cls)
			gr->ocls_buf[i - begin] = gr->cls[r];
		else if (K == 1)
			gr->og_buf[i - begin] = gr->g[r];
		else
			memcpy(gr->og_buf + (size_t) (i - begin) * K, gr->g + (size_t) r * K,
				   K * sizeof(float));
	}
	gr->og = gr->og_buf;
	gr->oh = gr->oh_buf;
	gr->ocls = gr->ocls_buf;
}

/* One parallel histogram build. */
typedef struct hist_job
{
	const aml_grower *gr;
	double	   *hist;
	int64_t		begin;
	int64_t		end;
} hist_job;

/*
 * hist_grouped says whether histograms are built HIST_GROUP features per
 * pass over the rows (K = 1, gradients given, uint8 bins): the node's
 * positions and gradients are read once per group, and the group's
 * histograms update independently.  Each feature still sums its rows in
 * row order, so the result equals hist_build_feature's.
 */
static inline int
hist_grouped(const aml_grower *gr)
{
	return gr->K == 1 && gr->cls == NULL && !gr->bins->wide;
}

/* hist_build_group fills the histograms of features f[0..q) (q <= 4). */
static void
hist_build_group(const aml_grower *gr, double *hist, const int *f, int q,
				 int64_t begin, int64_t end)
{
	const aml_tree_bins *bins = gr->bins;
	const int32_t *part = gr->part + begin;
	const float *og = gr->og;
	const float *oh = gr->oh;
	int64_t		len = end - begin;
	const uint8_t *col[HIST_GROUP];
	double	   *hf[HIST_GROUP];

	if (q < HIST_GROUP)
	{
		for (int a = 0; a < q; a++)
			hist_build_feature(gr, hist, f[a], begin, end);
		return;
	}
	for (int a = 0; a < HIST_GROUP; a++)
	{
		col[a] = (const uint8_t *) bins->mat + (size_t) f[a] * bins->n;
		hf[a] = hist + (size_t) bins->off[f[a]] * 3;
		memset(hf[a], 0, (size_t) (bins->nb[f[a]] + 1) * 3 * sizeof(double));
	}
	for (int64_t i = 0; i < len; i++)
	{
		int32_t		r = part[i];
		double		g = og[i];
		double		h = oh[i];
		double	   *c0 = hf[0] + (size_t) col[0][r] * 3;
		double	   *c1 = hf[1] + (size_t) col[1][r] * 3;
		double	   *c2 = hf[2] + (size_t) col[2][r] * 3;
		double	   *c3 = hf[3] + (size_t) col[3][r] * 3;

		c0[0] += g;
		c0[1] += h;
		c0[2] += 1;
		c1[0] += g;
		c1[1] += h;
		c1[2] += 1;
		c2[0] += g;
		c2[1] += h;
		c2[2] += 1;
		c3[0] += g;
		c3[1] += h;
		c3[2] += 1;
	}
}

/*
 * hist_task builds the histograms of the task-th group of features of the
 * tree (or of its task-th feature when histograms are not grouped).
 */
static void
hist_task(void *arg, int task, int worker)
{
	hist_job   *job = arg;
	const aml_grower *gr = job->gr;

	(void) worker;
	if (hist_grouped(gr))
	{
		int			a = task * HIST_GROUP;
		int			q = gr->n_used - a < HIST_GROUP ? gr->n_used - a : HIST_GROUP;

		hist_build_group(gr, job->hist, gr->used + a, q, job->begin, job->end);
	}
	else
		hist_build_feature(gr, job->hist, gr->used[task], job->begin, job->end);
}

/*
 * hist_build fills a node's histogram (features of this tree only), one
 * feature (or group of features) per pool task when the node is large
 * enough to pay for it.
 */
static void
hist_build(aml_grower *gr, int id)
{
	gnode	   *nd = &gr->node[id];
	hist_job	job;
	int			n_tasks = hist_grouped(gr) ?
		(gr->n_used + HIST_GROUP - 1) / HIST_GROUP : gr->n_used;

	job.gr = gr;
	job.hist = gr->slot[nd->hist];
	job.begin = nd->begin;
	job.end = nd->end;
	gather_node(gr, nd->begin, nd->end);
	if (gr->pool && (nd->end - nd->begin) * gr->n_used >= PAR_HIST_MIN_WORK)
		aml_tpool_run(gr->pool, hist_task, &job, n_tasks);
	else
		for (int t = 0; t < n_tasks; t++)
			hist_task(&job, t, 0);
}

/* hist_subtract turns big (the parent's) into big - small. */
static void
hist_subtract(aml_grower *gr, double *big, const double *small)
{
	const aml_tree_bins *bins = gr->bins;

	for (int j = 0; j < bins->n_feat; j++)
	{
		size_t		lo,
					hi;

		if (!feat_used(gr, j))
			continue;
		lo = (size_t) bins->off[j] * gr->S;
		hi = (size_t) bins->off[j + 1] * gr->S;
		for (size_t i = lo; i < hi; i++)
			big[i] -= small[i];
	}
}

/*
 * eval_split scores left statistics L against feature totals T; when it
 * beats best (within the constraints) best is updated and 1 returned.
 */
static int
eval_split(aml_grower *gr, const double *L, const double *T, double sT,
		   int feat, int bin, int dl, int cat, split_cand *best)
{
	int			K = gr->K;
	double	   *R = gr->lst;
	double		sL,
				sR,
				gain;

	for (int k = 0; k < gr->S; k++)
		R[k] = T[k] - L[k];
	if (L[K + 1] < gr->gp.min_samples_leaf || R[K + 1] < gr->gp.min_samples_leaf)
		return 0;
	if (L[K] < gr->gp.min_child_weight || R[K] < gr->gp.min_child_weight ||
		!(L[K] + gr->gp.lambda > 0) || !(R[K] + gr->gp.lambda > 0))
		return 0;
	sL = leaf_score(L, K, gr->gp.lambda);
	sR = leaf_score(R, K, gr->gp.lambda);
	gain = sL + sR - sT;
	if (!(gain > best->gain) || !(gain > GAIN_REL_EPS * (sL + sR)))
		return 0;
	if (dl < 0)
		dl = L[K + 1] >= R[K + 1];
	best->feat = feat;
	best->bin = bin;
	best->dl = dl;
	best->cat = cat;
	best->gain = gain;
	return 1;
}

/* vec_add adds S doubles of b into a. */
static inline void
vec_add(double *a, const double *b, int S)
{
	for (int k = 0; k < S; k++)
		a[k] += b[k];
}

/*
 * try1 is eval_split for K = 1 on scalars (the same arithmetic, so the
 * same results): left G, H, count against totals T.
 */
static inline void
try1(const aml_grower *gr, double gl, double hl, double cl, const double *T,
	 double sT, int feat, int bin, int dl, split_cand *best)
{
	double		lam = gr->gp.lambda;
	double		gr_ = T[0] - gl;
	double		hr = T[1] - hl;
	double		cr = T[2] - cl;
	double		sL,
				sR,
				gain;

	if (cl < gr->gp.min_samples_leaf || cr < gr->gp.min_samples_leaf)
		return;
	if (hl < gr->gp.min_child_weight || hr < gr->gp.min_child_weight ||
		!(hl + lam > 0) || !(hr + lam > 0))
		return;
	sL = (gl * gl) / (hl + lam);
	sR = (gr_ * gr_) / (hr + lam);
	gain = sL + sR - sT;
	if (!(gain > best->gain) || !(gain > GAIN_REL_EPS * (sL + sR)))
		return;
	best->feat = feat;
	best->bin = bin;
	best->dl = dl < 0 ? cl >= cr : dl;
	best->cat = 0;
	best->gain = gain;
}

/* scan_numeric1 is scan_numeric's exhaustive scan for K = 1. */
static void
scan_numeric1(const aml_grower *gr, const double *hf, int nb, const int *map,
			  int j, const double *T, double sT, int have_miss,
			  split_cand *best)
{
	const double *miss = hf + (size_t) nb * 3;
	double		gl = 0,
				hl = 0,
				cl = 0;

	for (int t = 0; t < nb; t++)
	{
		const double *bin = hf + (size_t) t * 3;
		int			rb = map ? map[t] : t;

		if (bin[2] == 0)
			continue;
		gl += bin[0];
		hl += bin[1];
		cl += bin[2];
		try1(gr, gl, hl, cl, T, sT, j, rb, have_miss ? 0 : -1, best);
		if (have_miss)
		{
			/* as scan_numeric: add the missing bin, try, take it back out */
			gl += miss[0];
			hl += miss[1];
			cl += miss[2];
			try1(gr, gl, hl, cl, T, sT, j, rb, 1, best);
			gl -= miss[0];
			hl -= miss[1];
			cl -= miss[2];
		}
	}
}

/*
 * scan_numeric tries every threshold of numeric feature j with missing
 * values left and right (or, for extra trees, one random threshold and a
 * random side for missing values).  Empty bins are skipped: they give the
 * same partition as the threshold below them.  hf holds nb bins and the
 * missing bin after them; map (NULL = identity) gives the feature's bin
 * of each entry when hf is a compact histogram of the bins present.
 */
static void
scan_numeric(aml_grower *gr, const double *hf, int nb, const int *map, int j,
			 split_cand *best)
{
	int			S = gr->S;
	int			K = gr->K;
	const double *miss = hf + (size_t) nb * S;
	int			have_miss = miss[K + 1] > 0;
	double	   *T = gr->tot;
	double	   *acc = gr->acc;
	double		sT;

	memset(T, 0, S * sizeof(double));
	for (int b = 0; b <= nb; b++)
		vec_add(T, hf + (size_t) b * S, S);
	sT = leaf_score(T, K, gr->gp.lambda);
	memset(acc, 0, S * sizeof(double));
	if (gr->gp.random_split && gr->rng)
	{
		int			first = -1,
					last = -1,
					cut;

		for (int b = 0; b < nb; b++)
			if (hf[(size_t) b * S + K + 1] > 0)
			{
				if (first < 0)
					first = b;
				last = b;
			}
		if (first < 0)
			return;
		if (map)
		{
			first = map[first];
			last = map[last];
		}
		if (first == last)
		{
			/* a single value: only "present vs missing" remains */
			if (!have_miss)
				return;
			cut = last;
		}
		else
			cut = first + (int) aml_rng_below(gr->rng, (uint64_t) (last - first));
		for (int b = 0; b < nb && (map ? map[b] : b) <= cut; b++)
			vec_add(acc, hf + (size_t) b * S, S);
		if (have_miss && cut < last && aml_rng_below(gr->rng, 2))
		{
			vec_add(acc, miss, S);
			eval_split(gr, acc, T, sT, j, cut, 1, 0, best);
		}
		else
			eval_split(gr, acc, T, sT, j, cut, have_miss ? 0 : -1, 0, best);
		return;
	}
	if (K == 1)
	{
		scan_numeric1(gr, hf, nb, map, j, T, sT, have_miss, best);
		return;
	}
	for (int t = 0; t < nb; t++)
	{
		const double *bin = hf + (size_t) t * S;
		int			rb = map ? map[t] : t;

		if (bin[K + 1] == 0)
			continue;
		vec_add(acc, bin, S);
		eval_split(gr, acc, T, sT, j, rb, have_miss ? 0 : -1, 0, best);
		if (have_miss)
		{
			/* missing left: evaluate acc + miss, then take miss back out */
			vec_add(acc, miss, S);
			eval_split(gr, acc, T, sT, j, rb, 1, 0, best);
			for (int k = 0; k < S; k++)
				acc[k] -= miss[k];
		}
	}
}

/* categorical features with at most this many categories present in a
 * node are never regularized (aml_grow_params.cat_smooth etc.) */
#define CAT_ONEHOT_MAX 4

/* cmp_cat_item orders categories by key, then code. */
static int
cmp_cat_item(const void *a, const void *b)
{
	const cat_item *x = a;
	const cat_item *y = b;

	if (x->key < y->key)
		return -1;
	if (x->key > y->key)
		return 1;
	return (x->code > y->code) - (x->code < y->code);
}

/* set_bits writes the left set codes[0..n) into gr->best_bits. */
static void
set_bits(aml_grower *gr, const int *codes, int n)
{
	memset(gr->best_bits, 0, gr->cat_w * sizeof(uint32_t));
	for (int i = 0; i < n; i++)
		gr->best_bits[codes[i] >> 5] |= 1U << (codes[i] & 31);
}

/*
 * eval_cat evaluates left set acc (codes[0..n)) with missing right, and
 * with missing left when there are missing values; records the set when a
 * candidate wins.
 */
static void
eval_cat(aml_grower *gr, const double *miss, int have_miss, double sT,
		 int j, const int *codes, int n, split_cand *best)
{
	double	   *acc = gr->acc;

	if (eval_split(gr, acc, gr->tot, sT, j, 0, have_miss ? 0 : -1, 1, best))
		set_bits(gr, codes, n);
	if (have_miss)
	{
		vec_add(acc, miss, gr->S);
		if (eval_split(gr, acc, gr->tot, sT, j, 0, 1, 1, best))
			set_bits(gr, codes, n);
		for (int k = 0; k < gr->S; k++)
			acc[k] -= miss[k];
	}
}

/*
 * scan_categorical_reg is scan_categorical's sorted scan of the m present
 * categories gr->cat_order[0..m) of a feature with many categories, with
 * the regularization of aml_grow_params (cat_smooth, cat_l2,
 * max_cat_threshold, min_data_per_group; as LightGBM does): a set of
 * categories sorted by their mean gradient over few rows each fits noise
 * (a state with 51 levels and 80 rows per level).  kk is the output the
 * categories are sorted by.
 */
static void
scan_categorical_reg(aml_grower *gr, const double *hf, int j, int m, int kk,
					 int have_miss, split_cand *best)
{
	int			S = gr->S;
	int			K = gr->K;
	int			nl = gr->bins->nb[j];
	const double *miss = hf + (size_t) nl * S;
	double	   *T = gr->tot;
	double	   *acc = gr->acc;
	int		   *order = gr->cat_order;
	cat_item   *items = gr->items;
	double		lam0 = gr->gp.lambda;
	double		lam = lam0 + gr->gp.cat_l2;
	double		smooth = gr->gp.cat_smooth;
	double		min_group = gr->gp.min_data_per_group;
	double		sT;
	int			used = 0;
	int			max_left;

	if (!(T[K] + lam > 0))
		return;
	for (int i = 0; i < m; i++)
	{
		const double *st = hf + (size_t) order[i] * S;

		if (st[K + 1] < smooth)
			continue;
		items[used].code = order[i];
		items[used].key = st[K] + lam0 + smooth > 0 ?
			st[kk] / (st[K] + lam0 + smooth) : 0;
		used++;
	}
	if (used == 0)
		return;
	qsort(items, used, sizeof(cat_item), cmp_cat_item);
	max_left = (used + 1) / 2;
	if (gr->gp.max_cat_threshold > 0 && gr->gp.max_cat_threshold < max_left)
		max_left = gr->gp.max_cat_threshold;

	/* the gain of every candidate uses lambda + cat_l2 */
	gr->gp.lambda = lam;
	sT = leaf_score(T, K, lam);
	for (int dir = 0; dir < 2; dir++)
	{
		memset(acc, 0, S * sizeof(double));
		for (int i = 0; i < max_left; i++)
		{
			int			c = items[dir == 0 ? i : used - 1 - i].code;

			order[i] = c;
			vec_add(acc, hf + (size_t) c * S, S);
			if (acc[K + 1] < min_group)
				continue;
			if (T[K + 1] - acc[K + 1] - (have_miss ? miss[K + 1] : 0) < min_group)
				break;
			eval_cat(gr, miss, have_miss, sT, j, order, i + 1, best);
		}
	}
	gr->gp.lambda = lam0;
}

/*
 * scan_categorical_ordered tries the ordered cuts of categorical feature
 * j (see aml_grow_params.max_cat_set_levels): left are the present
 * categories gr->cat_order[0..i) (ascending codes), for every i, or for
 * extra trees one random i.
 */
static void
scan_categorical_ordered(aml_grower *gr, const double *hf, int j, int m,
						 int have_miss, double sT, split_cand *best)
{
	int			S = gr->S;
	int			nl = gr->bins->nb[j];
	const double *miss = hf + (size_t) nl * S;
	double	   *acc = gr->acc;
	int		   *order = gr->cat_order;

	memset(acc, 0, S * sizeof(double));
	if (gr->gp.random_split && gr->rng)
	{
		int			cut = m > 1 ? 1 + (int) aml_rng_below(gr->rng, (uint64_t) (m - 1)) : m;

		for (int i = 0; i < cut; i++)
			vec_add(acc, hf + (size_t) order[i] * S, S);
		if (have_miss && cut < m && aml_rng_below(gr->rng, 2))
		{
			vec_add(acc, miss, S);
			if (eval_split(gr, acc, gr->tot, sT, j, 0, 1, 1, best))
				set_bits(gr, order, cut);
		}
		else if (eval_split(gr, acc, gr->tot, sT, j, 0, have_miss ? 0 : -1, 1, best))
			set_bits(gr, order, cut);
		return;
	}
	for (int i = 0; i < m; i++)
	{
		vec_add(acc, hf + (size_t) order[i] * S, S);
		eval_cat(gr, miss, have_miss, sT, j, order, i + 1, best);
	}
}

/*
 * scan_categorical tries category-set splits of categorical feature j:
 * prefixes of the present categories sorted by G/(H+lambda) (for K > 1
 * the output whose category means vary most, plus every one-vs-rest
 * split), or for extra trees one random set.
 */
static void
scan_categorical(aml_grower *gr, const double *hf, int j, split_cand *best)
{
	int			S = gr->S;
	int			K = gr->K;
	int			nl = gr->bins->nb[j];
	const double *miss = hf + (size_t) nl * S;
	int			have_miss = miss[K + 1] > 0;
	double	   *T = gr->tot;
	double	   *acc = gr->acc;
	int		   *order = gr->cat_order;
	cat_item   *items = gr->items;
	double		lam = gr->gp.lambda;
	double		sT;
	int			m = 0;
	int			kk = 0;

	memset(T, 0, S * sizeof(double));
	for (int b = 0; b <= nl; b++)
	{
		const double *st = hf + (size_t) b * S;

		vec_add(T, st, S);
		if (b < nl && st[K + 1] > 0)
			order[m++] = b;
	}
	if (m + have_miss < 2)
		return;
	sT = leaf_score(T, K, lam);

	if (gr->gp.max_cat_set_levels > 0 && nl - 1 > gr->gp.max_cat_set_levels &&
		!(gr->gp.cat_set_min_rows > 0 && gr->n >= gr->gp.cat_set_min_rows * (nl - 1)))
	{
		scan_categorical_ordered(gr, hf, j, m, have_miss, sT, best);
		return;
	}
	if (gr->gp.random_split && gr->rng)
	{
		int			n_left = 0;

		/* each present category goes left with probability 1/2 */
		for (int i = 0; i < m; i++)
			if (aml_rng_below(gr->rng, 2))
				order[n_left++] = order[i];
		if (n_left == 0 || (n_left == m && !have_miss))
			return;
		memset(acc, 0, S * sizeof(double));
		for (int i = 0; i < n_left; i++)
			vec_add(acc, hf + (size_t) order[i] * S, S);
		if (have_miss && n_left < m && aml_rng_below(gr->rng, 2))
		{
			vec_add(acc, miss, S);
			if (eval_split(gr, acc, T, sT, j, 0, 1, 1, best))
				set_bits(gr, order, n_left);
		}
		else if (eval_split(gr, acc, T, sT, j, 0, have_miss ? 0 : -1, 1, best))
			set_bits(gr, order, n_left);
		return;
	}

	/* for K > 1, sort by the output whose category means vary most */
	if (K > 1)
	{
		double		best_var = -1;

		for (int k = 0; k < K; k++)
		{
			double		sw = 0,
						sg = 0,
						var = 0;

			for (int i = 0; i < m; i++)
			{
				const double *st = hf + (size_t) order[i] * S;

				sw += st[K];
				sg += st[k];
			}
			if (!(sw > 0))
				continue;
			for (int i = 0; i < m; i++)
			{
				const double *st = hf + (size_t) order[i] * S;
				double		mean = st[K] + lam > 0 ? st[k] / (st[K] + lam) : 0;
				double		d = mean - sg / sw;

				var += st[K] * d * d;
			}
			if (var > best_var)
			{
				best_var = var;
				kk = k;
			}
		}
	}
	if (m > CAT_ONEHOT_MAX && (gr->gp.cat_smooth > 0 || gr->gp.cat_l2 > 0 ||
								gr->gp.max_cat_threshold > 0 ||
								gr->gp.min_data_per_group > 0))
	{
		scan_categorical_reg(gr, hf, j, m, kk, have_miss, best);
		return;
	}
	for (int i = 0; i < m; i++)
	{
		const double *st = hf + (size_t) order[i] * S;

		items[i].code = order[i];
		items[i].key = st[K] + lam > 0 ? st[kk] / (st[K] + lam) : 0;
	}
	qsort(items, m, sizeof(cat_item), cmp_cat_item);
	for (int i = 0; i < m; i++)
		order[i] = items[i].code;

	memset(acc, 0, S * sizeof(double));
	for (int i = 0; i < m; i++)
	{
		vec_add(acc, hf + (size_t) order[i] * S, S);
		eval_cat(gr, miss, have_miss, sT, j, order, i + 1, best);
	}
	if (K > 1)
	{
		for (int i = 0; i < m; i++)
		{
			memcpy(acc, hf + (size_t) order[i] * S, S * sizeof(double));
			eval_cat(gr, miss, have_miss, sT, j, order + i, 1, best);
		}
	}
}

/*
 * pos_stats adds the statistics (G[K], H, count) of the node's i-th row,
 * as gather_node copied them, into c.
 */
static inline void
pos_stats(const aml_grower *gr, double *c, int64_t i)
{
	int			K = gr->K;

	if (gr->cls)
		c[gr->ocls[i]] -= gr->oh[i];
	else
		for (int k = 0; k < K; k++)
			c[k] += gr->og[(size_t) i * K + k];
	c[K] += gr->oh[i];
	c[K + 1] += 1;
}

/*
 * direct_feature searches feature j's best split of node nd from the
 * node's rows alone (direct mode: no histogram pool, only the features a
 * node samples are ever looked at).  A small node sorts the bins of its
 * rows into a compact histogram of the bins present; a larger one (or a
 * categorical feature) fills a dense histogram of the feature.
 */
static void
direct_feature(aml_grower *gr, const gnode *nd, int j, split_cand *best)
{
	const aml_tree_bins *bins = gr->bins;
	int			S = gr->S;
	int			K = gr->K;
	int			nb = bins->nb[j];
	int64_t		m = nd->end - nd->begin;
	const int32_t *part = gr->part + nd->begin;
	const uint8_t *c8 = (const uint8_t *) bins->mat + (size_t) j * bins->n;
	const uint16_t *c16 = (const uint16_t *) bins->mat + (size_t) j * bins->n;
	int			wide = bins->wide;

	if (!bins->is_cat[j] && m <= DIRECT_SMALL)
	{
		uint32_t   *key = gr->ckey;
		double	   *ch = gr->chist;
		double	   *ms = ch + (size_t) (DIRECT_SMALL + 1) * S;	/* missing */
		int			nk = 0,
					nc = 0,
					prev = -1;

		memset(ms, 0, S * sizeof(double));
		for (int64_t i = 0; i < m; i++)
		{
			int			b = wide ? c16[part[i]] : c8[part[i]];

			if (b == nb)
				pos_stats(gr, ms, i);
			else
				key[nk++] = ((uint32_t) b << 8) | (uint32_t) i;
		}
		/* insertion sort: bin, then position */
		for (int a = 1; a < nk; a++)
		{
			uint32_t	v = key[a];
			int			c = a - 1;

			while (c >= 0 && key[c] > v)
			{
				key[c + 1] = key[c];
				c--;
			}
			key[c + 1] = v;
		}
		for (int a = 0; a < nk; a++)
		{
			int			b = (int) (key[a] >> 8);

			if (b != prev)
			{
				memset(ch + (size_t) nc * S, 0, S * sizeof(double));
				gr->cmap[nc++] = b;
				prev = b;
			}
			pos_stats(gr, ch + (size_t) (nc - 1) * S, key[a] & 0xFF);
		}
		memcpy(ch + (size_t) nc * S, ms, S * sizeof(double));
		scan_numeric(gr, ch, nc, gr->cmap, j, best);
		return;
	}
	{
		double	   *hf = gr->fh;

		memset(hf, 0, (size_t) (nb + 1) * S * sizeof(double));
		if (!wide && K == 1 && gr->cls == NULL)
		{
			const float *og = gr->og;
			const float *oh = gr->oh;

			for (int64_t i = 0; i < m; i++)
			{
				double	   *c = hf + (size_t) c8[part[i]] * 3;

				c[0] += og[i];
				c[1] += oh[i];
				c[2] += 1;
			}
		}
		else
			for (int64_t i = 0; i < m; i++)
			{
				int32_t		r = part[i];

				pos_stats(gr, hf + (size_t) (wide ? c16[r] : c8[r]) * S, i);
			}
		if (bins->is_cat[j])
			scan_categorical(gr, hf, j, best);
		else
			scan_numeric(gr, hf, nb, NULL, j, best);
	}
}

/*
 * node_pure says whether every row of the node just gathered has the same
 * gradient / hessian ratio (same class, or same target).  No split of
 * such a node has a positive gain (G^2 / (H + lambda) is convex in H at a
 * fixed ratio), so direct mode skips the search: at the bottom of a full
 * depth forest tree most nodes are pure, and a search that finds nothing
 * would try every feature.
 */
static int
node_pure(const aml_grower *gr, int64_t m)
{
	if (gr->cls)
	{
		for (int64_t i = 1; i < m; i++)
			if (gr->ocls[i] != gr->ocls[0])
				return 0;
		return 1;
	}
	if (gr->K != 1)
		return 0;
	for (int64_t i = 1; i < m; i++)
		if (gr->og[i] * gr->oh[0] != gr->og[0] * gr->oh[i])
			return 0;
	return 1;
}

/*
 * find_split searches the best split of a node whose histogram is built
 * and records it in the node; returns 0, or -1 when out of memory.
 */
static int
find_split(aml_grower *gr, int id)
{
	const aml_tree_bins *bins = gr->bins;
	const double *hist = gr->direct ? NULL : gr->slot[gr->node[id].hist];
	split_cand	best;
	int			nf = 0;
	int			n_all;
	gnode	   *nd;

	best.feat = -1;
	best.bin = 0;
	best.dl = 0;
	best.cat = 0;
	best.gain = gr->gp.min_split_gain > 0 ? gr->gp.min_split_gain : 0;
	for (int i = 0; i < gr->n_used; i++)
		gr->feat_list[nf++] = gr->used[i];
	n_all = nf;
	if (gr->direct)
	{
		gather_node(gr, gr->node[id].begin, gr->node[id].end);
		if (node_pure(gr, gr->node[id].end - gr->node[id].begin))
		{
			gr->node[id].sfeat = -1;
			return 0;
		}
	}
	if (gr->gp.feat_frac_node < 1.0 && gr->rng && nf > 1)
	{
		int			m = (int) (gr->gp.feat_frac_node * nf + 0.5);

		if (m < 1)
			m = 1;
		if (m > nf)
			m = nf;
		/* partial Fisher-Yates, then restore ascending order of the pick */
		for (int i = 0; i < m; i++)
		{
			int			r = i + (int) aml_rng_below(gr->rng, (uint64_t) (nf - i));
			int			t = gr->feat_list[i];

			gr->feat_list[i] = gr->feat_list[r];
			gr->feat_list[r] = t;
		}
		nf = m;
		for (int i = 1; i < nf; i++)
		{
			int			v = gr->feat_list[i];
			int			k = i - 1;

			while (k >= 0 && gr->feat_list[k] > v)
			{
				gr->feat_list[k + 1] = gr->feat_list[k];
				k--;
			}
			gr->feat_list[k + 1] = v;
		}
	}
	/*
	 * With a feature sample, keep trying the features left out (in their
	 * shuffled order) until one gives a valid split, as CART forests do:
	 * a node is a leaf only when no feature can split it.
	 */
	for (int i = 0; i < n_all && (i < nf || best.feat < 0); i++)
	{
		int			j = gr->feat_list[i];
		const double *hf;

		if (gr->direct)
		{
			direct_feature(gr, &gr->node[id], j, &best);
			continue;
		}
		hf = hist + (size_t) bins->off[j] * gr->S;
		if (bins->is_cat[j])
			scan_categorical(gr, hf, j, &best);
		else
			scan_numeric(gr, hf, bins->nb[j], NULL, j, &best);
	}
	nd = &gr->node[id];
	nd->sfeat = best.feat;
	if (best.feat < 0)
		return 0;
	nd->sbin = best.bin;
	nd->sdl = best.dl;
	nd->scat = best.cat;
	nd->sgain = best.gain;
	if (best.cat)
	{
		int			w = cat_words(bins->nb[best.feat]);

		if (gr->cat_used + w > gr->cat_cap)
		{
			int64_t		c = gr->cat_cap ? gr->cat_cap * 2 : 64;

			while (c < gr->cat_used + w)
				c *= 2;
			if (grow_array(gr->env, (void **) &gr->catpool, c, sizeof(uint32_t)))
				return -1;
			gr->cat_cap = c;
		}
		memcpy(gr->catpool + gr->cat_used, gr->best_bits, w * sizeof(uint32_t));
		nd->scat_off = gr->cat_used;
		gr->cat_used += w;
	}
	return 0;
}

/*
 * goes_left says whether a row in bin b of node nd's split feature goes to
 * its left child: the missing bin (nb) goes the learned way, a category
 * set (bits) by membership, a threshold by b <= sbin.
 */
static inline int
goes_left(const gnode *nd, const uint32_t *bits, int nb, int b)
{
	if (b == nb)
		return nd->sdl;
	if (bits)
		return (bits[b >> 5] >> (b & 31)) & 1;
	return b <= nd->sbin;
}

/*
 * partition reorders part[begin..end) of a node so the rows going left
 * come first (stable) and returns the first right position.  It also sums
 * each side's gradients and hessians into gr->sumL / gr->sumR (G[K], H),
 * in the rows' new order, so the children need no pass of their own.
 */
static int64_t
partition(aml_grower *gr, const gnode *nd)
{
	const aml_tree_bins *bins = gr->bins;
	int			K = gr->K;
	int			j = nd->sfeat;
	int			nb = bins->nb[j];
	const uint8_t *c8 = (const uint8_t *) bins->mat + (size_t) j * bins->n;
	const uint16_t *c16 = (const uint16_t *) bins->mat + (size_t) j * bins->n;
	const uint32_t *bits = nd->scat ? gr->catpool + nd->scat_off : NULL;
	double	   *sl = gr->sumL;
	double	   *sr = gr->sumR;
	int64_t		nl = 0,
				nr = 0;

	memset(sl, 0, (K + 1) * sizeof(double));
	memset(sr, 0, (K + 1) * sizeof(double));

	/*
	 * One output and no class rows (binary and regression boosting, trees):
	 * the four sums in registers rather than through the sum pointer, whose
	 * store-to-load chain costs a few cycles a row; the additions are the
	 * same, in the same order.
	 */
	if (K == 1 && gr->cls == NULL)
	{
		const float *g = gr->g;
		const float *h = gr->h;
		int32_t    *part = gr->part;
		int32_t    *tmp = gr->tmp;
		double		gl = 0.0,
					hl = 0.0,
					gs = 0.0,
					hs = 0.0;

		for (int64_t i = nd->begin; i < nd->end; i++)
		{
			int32_t		r = part[i];

			if (goes_left(nd, bits, nb, bins->wide ? c16[r] : c8[r]))
			{
				part[nd->begin + nl++] = r;
				gl += g[r];
				hl += h[r];
			}
			else
			{
				tmp[nr++] = r;
				gs += g[r];
				hs += h[r];
			}
		}
		sl[0] = gl;
		sl[1] = hl;
		sr[0] = gs;
		sr[1] = hs;
		memcpy(part + nd->begin + nl, tmp, nr * sizeof(int32_t));
		return nd->begin + nl;
	}
	for (int64_t i = nd->begin; i < nd->end; i++)
	{
		int32_t		r = gr->part[i];
		double	   *sum;

		if (goes_left(nd, bits, nb, bins->wide ? c16[r] : c8[r]))
		{
			gr->part[nd->begin + nl++] = r;
			sum = sl;
		}
		else
		{
			gr->tmp[nr++] = r;
			sum = sr;
		}
		if (gr->cls)
			sum[gr->cls[r]] -= gr->h[r];
		else
			for (int k = 0; k < K; k++)
				sum[k] += gr->g[(size_t) r * K + k];
		sum[K] += gr->h[r];
	}
	memcpy(gr->part + nd->begin + nl, gr->tmp, nr * sizeof(int32_t));
	return nd->begin + nl;
}

/*
 * split_node splits open leaf p: partitions its rows, makes its children,
 * gets their histograms (the smaller built, the larger by subtraction
 * when the parent's is still pooled) and queues the children that have a
 * split.  leaves is the leaf count after this split.  Returns 0, or -1
 * when out of memory.
 */
static int
split_node(aml_grower *gr, int p, int leaves)
{
	int64_t		mid = partition(gr, &gr->node[p]);
	int64_t		pb = gr->node[p].begin;
	int64_t		pe = gr->node[p].end;
	int			depth = gr->node[p].depth + 1;
	int			more = gr->gp.max_leaves == 0 || leaves < gr->gp.max_leaves;
	int			l,
				r,
				small,
				large,
				can_s,
				can_g,
				ph;

	l = new_node(gr, pb, mid, depth, gr->sumL, gr->sumL[gr->K]);
	if (l < 0)
		return -1;
	r = new_node(gr, mid, pe, depth, gr->sumR, gr->sumR[gr->K]);
	if (r < 0)
		return -1;
	gr->node[p].left = l;
	gr->node[p].right = r;
	if (gr->direct)
	{
		for (int c = 0; c < 2; c++)
		{
			int			id = c == 0 ? l : r;

			if (!more || !node_splittable(gr, &gr->node[id]))
				continue;
			if (find_split(gr, id) < 0)
				return -1;
			if (gr->node[id].sfeat >= 0)
				heap_push(gr, id);
		}
		return 0;
	}
	if (mid - pb <= pe - mid)
	{
		small = l;
		large = r;
	}
	else
	{
		small = r;
		large = l;
	}
	can_s = more && node_splittable(gr, &gr->node[small]);
	can_g = more && node_splittable(gr, &gr->node[large]);
	ph = gr->node[p].hist;
	if (!can_s && !can_g)
	{
		release_slot(gr, p);
		return 0;
	}
	if (ph >= 0 && can_g)
	{
		int			s;

		/* the parent's histogram becomes the larger child's */
		gr->node[p].hist = -1;
		gr->slot_owner[ph] = large;
		gr->node[large].hist = ph;
		s = get_slot(gr, small, large);
		if (s < 0)
			return -1;
		hist_build(gr, small);
		hist_subtract(gr, gr->slot[ph], gr->slot[s]);
		if (!can_s)
			release_slot(gr, small);
	}
	else
	{
		release_slot(gr, p);
		if (can_s)
		{
			if (get_slot(gr, small, large) < 0)
				return -1;
			hist_build(gr, small);
		}
		if (can_g)
		{
			if (get_slot(gr, large, small) < 0)
				return -1;
			hist_build(gr, large);
		}
	}
	for (int c = 0; c < 2; c++)
	{
		int			id = c == 0 ? l : r;

		if (gr->node[id].hist < 0)
			continue;
		if (find_split(gr, id) < 0)
			return -1;
		if (gr->node[id].sfeat >= 0)
			heap_push(gr, id);
		else
			release_slot(gr, id);
	}
	return 0;
}

/*
 * flatten appends the grown tree to pack: nodes in creation order (so
 * children follow their parent), values -G/(H+lambda), numeric thresholds
 * taken from the bin edges.  Returns 0, or -1 when out of memory.
 */
static int
flatten(aml_grower *gr, aml_tree_pack *p, int out_off)
{
	const aml_tree_bins *bins = gr->bins;
	int			K = gr->K;
	int			n_cat = 0;
	int			base;

	for (int i = 0; i < gr->n_node; i++)
		if (gr->node[i].left >= 0 && gr->node[i].scat)
			n_cat += cat_words(bins->nb[gr->node[i].sfeat]);
	if (pack_reserve(gr->env, p, gr->n_node, n_cat))
		return -1;
	base = p->n_nodes;
	p->root[p->n_trees] = base;
	p->out_off[p->n_trees] = out_off;
	for (int i = 0; i < gr->n_node; i++)
	{
		const gnode *nd = &gr->node[i];
		const double *G = gr->nodeG + (size_t) i * K;
		int			x = base + i;
		double		d = nd->hess + gr->gp.lambda;

		p->feat[x] = -1;
		p->thr[x] = 0;
		p->flags[x] = 0;
		p->left[x] = -1;
		p->right[x] = -1;
		p->cat_off[x] = -1;
		p->gain[x] = 0;
		if (nd->left >= 0)
		{
			int			f = nd->sfeat;

			p->feat[x] = f;
			p->left[x] = base + nd->left;
			p->right[x] = base + nd->right;
			p->flags[x] = nd->sdl ? AML_TREE_DEFAULT_LEFT : 0;
			p->gain[x] = nd->sgain;
			if (nd->scat)
			{
				int			w = cat_words(bins->nb[f]);

				p->flags[x] |= AML_TREE_CATEGORICAL;
				p->cat_off[x] = p->n_cat_words;
				memcpy(p->cat_bits + p->n_cat_words, gr->catpool + nd->scat_off,
					   w * sizeof(uint32_t));
				p->n_cat_words += w;
			}
			else
				p->thr[x] = bins->edge[bins->eoff[f] + nd->sbin];
		}
		for (int k = 0; k < K; k++)
			p->value[(size_t) x * K + k] = d > 0 ? -G[k] / d : 0;
		p->cover[x] = (double) (nd->end - nd->begin);
		p->hess[x] = nd->hess;
	}
	p->n_nodes += gr->n_node;
	p->n_trees++;
	p->root[p->n_trees] = p->n_nodes;
	return 0;
}

/*
 * aml_grower_grow grows one tree best-first on the rows of d and appends
 * it to pack.
 */
aml_status
aml_grower_grow(aml_grower *gr, const aml_grow_data *d, aml_tree_pack *pack,
				int out_off, int main_thread, aml_error *err)
{
	aml_env    *env = gr->env;
	int64_t		n_root = d->rows ? d->n_rows : gr->n;
	int			leaves = 1;
	int			root;

	if (pack->n_out != gr->K)
		return aml_set_error(err, AML_EINTERNAL, "tree pack has %d outputs, grower %d",
							 pack->n_out, gr->K);
	if (n_root <= 0 || n_root > gr->n)
		return aml_set_error(err, AML_EINVAL, "no rows to grow a tree on");
	gr->g = d->g;
	gr->cls = d->cls;
	gr->h = d->h;
	gr->feat_mask = d->feat_mask;
	gr->rng = d->rng;
	/*
	 * Forests look at a few sampled features per node (or draw random
	 * cuts): their nodes read their own rows for those features only.
	 */
	gr->direct = gr->rng != NULL &&
		(gr->gp.feat_frac_node < 1.0 || gr->gp.random_split);
	if (gr->cls == NULL && gr->og_buf == NULL)
		gr->og_buf = aml_malloc(env, ((size_t) gr->n * gr->K + 1) * sizeof(float));
	if (gr->cls != NULL && gr->ocls_buf == NULL)
		gr->ocls_buf = aml_malloc(env, (gr->n + 1) * sizeof(int32_t));
	if (gr->cls ? gr->ocls_buf == NULL : gr->og_buf == NULL)
		return aml_oom(env, err, (size_t) gr->n * gr->K * sizeof(double));
	gr->n_used = 0;
	for (int j = 0; j < gr->bins->n_feat; j++)
		if (feat_used(gr, j))
			gr->used[gr->n_used++] = j;
	gr->part_identity = d->rows == NULL;
	if (d->rows)
		memcpy(gr->part, d->rows, n_root * sizeof(int32_t));
	else
		for (int64_t i = 0; i < n_root; i++)
			gr->part[i] = (int32_t) i;
	gr->n_node = 0;
	gr->heap_n = 0;
	gr->cat_used = 0;
	for (int s = 0; s < gr->max_slots; s++)
		gr->slot_owner[s] = -1;

	root = new_node(gr, 0, n_root, 0, NULL, 0);
	if (root < 0)
		return aml_oom(env, err, sizeof(gnode));
	if (gr->direct && node_splittable(gr, &gr->node[root]) && gr->gp.max_leaves != 1)
	{
		if (find_split(gr, root) < 0)
			return aml_oom(env, err, gr->cat_w * sizeof(uint32_t));
		if (gr->node[root].sfeat >= 0)
			heap_push(gr, root);
	}
	else if (node_splittable(gr, &gr->node[root]) && gr->gp.max_leaves != 1)
	{
		if (get_slot(gr, root, -1) < 0)
			return aml_oom(env, err, gr->hist_len * sizeof(double));
		hist_build(gr, root);
		if (find_split(gr, root) < 0)
			return aml_oom(env, err, gr->cat_w * sizeof(uint32_t));
		if (gr->node[root].sfeat >= 0)
			heap_push(gr, root);
		else
			release_slot(gr, root);
	}
	while (gr->heap_n > 0)
	{
		int			p;

		if (gr->gp.max_leaves > 0 && leaves >= gr->gp.max_leaves)
			break;
		if (main_thread ? aml_check_cancel(env) : aml_canceled(env))
			return aml_set_error(err, AML_ECANCELED, "canceling automl training");
		p = heap_pop(gr);
		leaves++;
		if (split_node(gr, p, leaves) < 0)
			return aml_oom(env, err, gr->hist_len * sizeof(double));
	}
	if (flatten(gr, pack, out_off) < 0)
		return aml_oom(env, err, (size_t) gr->n_node * PACK_NODE_BYTES(gr->K));
	return AML_OK;
}

void
aml_grower_leaf_means(const aml_grower *gr, aml_tree_pack *p, int t,
					  const float *y, const int64_t *rows, const float *h,
					  double offset)
{
	int32_t		base = p->root[t];

	if (p->n_out != 1 || gr->gp.lambda != 0)
		return;
	for (int i = 0; i < gr->n_node; i++)
	{
		const gnode *nd = &gr->node[i];
		double		sw = 0,
					sy = 0;

		if (nd->left >= 0)
			continue;
		for (int64_t j = nd->begin; j < nd->end; j++)
		{
			int32_t		pos = gr->part[j];
			int64_t		r = rows ? rows[pos] : pos;

			sw += h[pos];
			sy += h[pos] * ((double) y[r] - offset);
		}
		if (sw > 0)
			p->value[base + i] = sy / sw;
	}
}

/*
 * aml_grower_add_leaves adds each leaf's values to the positions of its
 * rows, leaf by leaf (each position gets exactly one addition).
 */
void
aml_grower_add_leaves(const aml_grower *gr, const aml_tree_pack *p, int t,
					  float *out, int stride)
{
	int32_t		base = p->root[t];
	int			K = p->n_out;
	int			off = p->out_off[t];

	for (int i = 0; i < gr->n_node; i++)
	{
		const gnode *nd = &gr->node[i];
		const double *v = p->value + (size_t) (base + i) * K;

		if (nd->left >= 0)
			continue;
		for (int64_t j = nd->begin; j < nd->end; j++)
		{
			float	   *o = out + (size_t) gr->part[j] * stride + off;

			for (int k = 0; k < K; k++)
				o[k] += (float) v[k];
		}
	}
}

/* ---------------------------------------------------------------- params */

/*
 * aml_tree_params_check validates p against a learner's parameter table;
 * returns NULL or a message written to buf.
 */
const char *
aml_tree_params_check(const char *algo, const aml_tree_param *spec, int n_spec,
					  const aml_params *p, char *buf, size_t buflen)
{
	for (int i = 0; i < p->n; i++)
	{
		const aml_tree_param *s = NULL;
		double		v = p->value[i];

		for (int k = 0; k < n_spec; k++)
			if (strncmp(p->name[i], spec[k].name, sizeof(p->name[i])) == 0)
				s = &spec[k];
		if (s == NULL)
		{
			size_t		len;

			snprintf(buf, buflen, "unknown parameter \"%.32s\" for algorithm \"%s\" (valid parameters: ",
					 p->name[i], algo);
			for (int k = 0; k < n_spec; k++)
			{
				len = strlen(buf);
				if (len + 1 >= buflen)
					break;
				snprintf(buf + len, buflen - len, "%s%s", k ? ", " : "", spec[k].name);
			}
			len = strlen(buf);
			if (len + 1 < buflen)
				snprintf(buf + len, buflen - len, ")");
			return buf;
		}
		if (isnan(v) || v < s->lo || v > s->hi || (s->lo_open && v <= s->lo))
		{
			if (s->lo_open)
				snprintf(buf, buflen, "parameter \"%s\" must be greater than %.15g and at most %.15g",
						 s->name, s->lo, s->hi);
			else
				snprintf(buf, buflen, "parameter \"%s\" must be between %.15g and %.15g",
						 s->name, s->lo, s->hi);
			return buf;
		}
		if (s->integer && v != floor(v))
		{
			snprintf(buf, buflen, "parameter \"%s\" must be an integer", s->name);
			return buf;
		}
	}
	return NULL;
}

/* aml_tree_param_value returns a parameter's value or its default. */
double
aml_tree_param_value(const aml_params *p, const aml_tree_param *spec,
					 int n_spec, const char *name)
{
	for (int k = 0; k < n_spec; k++)
		if (strcmp(spec[k].name, name) == 0)
			return p ? aml_params_get(p, name, spec[k].dflt) : spec[k].dflt;
	return NAN;
}

/* ---------------------------------------------------------------- labels */

/*
 * aml_tree_check_input validates what a tree learner receives: task,
 * rows, labels and weights.  Returns the training row count in *n.
 */
aml_status
aml_tree_check_input(const aml_fit_input *in, int64_t *n, aml_error *err)
{
	const aml_dataset *ds = in->ds;
	int64_t		nr = in->rows ? in->n_rows : ds->n_rows;
	double		wsum = 0;

	if (in->task != AML_TASK_BINARY && in->task != AML_TASK_MULTICLASS &&
		in->task != AML_TASK_REGRESSION)
		return aml_set_error(err, AML_EINVAL, "tree learners need a binary, multiclass or regression task");
	if (in->task == AML_TASK_BINARY && in->n_classes != 2)
		return aml_set_error(err, AML_EINVAL, "binary task needs 2 classes, got %d", in->n_classes);
	if (in->task == AML_TASK_MULTICLASS && (in->n_classes < 2 || in->n_classes > 65536))
		return aml_set_error(err, AML_EINVAL, "multiclass task needs 2 to 65536 classes, got %d",
							 in->n_classes);
	if (nr <= 0)
		return aml_set_error(err, AML_EINVAL, "no training rows");
	if (nr > INT32_MAX)
		return aml_set_error(err, AML_EINVAL, "too many training rows for a tree: %lld",
							 (long long) nr);
	for (int64_t i = 0; i < nr; i++)
	{
		int64_t		r = in->rows ? in->rows[i] : i;
		double		y;

		if (r < 0 || r >= ds->n_rows)
			return aml_set_error(err, AML_EINTERNAL, "training row %lld out of range",
								 (long long) r);
		y = in->y[r];
		if (!isfinite(y))
			return aml_set_error(err, AML_EINVAL, "training label is not finite");
		if (in->task != AML_TASK_REGRESSION &&
			(y < 0 || y >= in->n_classes || y != floor(y)))
			return aml_set_error(err, AML_EINVAL, "class label %g out of range", y);
		if (in->w)
		{
			double		w = in->w[r];

			if (!isfinite(w) || w < 0)
				return aml_set_error(err, AML_EINVAL, "row weight must be finite and not negative");
			wsum += w;
		}
	}
	if (in->w && !(wsum > 0))
		return aml_set_error(err, AML_EINVAL, "row weights sum to zero");
	*n = nr;
	return AML_OK;
}

/* ---------------------------------------------------------------- CART */

/* A fitted CART decision tree. */
typedef struct tree_model
{
	aml_task	task;
	int			n_classes;
	int			n_outputs;
	aml_tree_pack pack;
} tree_model;

static const aml_tree_param tree_params[] = {
	{"max_depth", 1, 64, 10, 1, 0},
	{"min_samples_leaf", 1, 1e6, 5, 1, 0},
	{"max_leaves", 0, 1e6, 0, 1, 0},
	{"max_bins", 2, 255, 255, 1, 0},
	{"max_cat_set_levels", 0, 1e6, 32, 1, 0},
};
#define N_TREE_PARAMS ((int) (sizeof(tree_params) / sizeof(tree_params[0])))

/*
 * tree_check_params validates decision_tree parameters: max_depth 1..64
 * (default 10; no unlimited depth), min_samples_leaf 1..1e6 (5),
 * max_leaves 0..1e6 (0 = unlimited), max_bins 2..255 (255),
 * max_cat_set_levels 0..1e6 (32; see aml_grow_params).
 */
static const char *
tree_check_params(const aml_params *p, char *buf, size_t buflen)
{
	return aml_tree_params_check("decision_tree", tree_params, N_TREE_PARAMS, p, buf, buflen);
}

/* tree_free_state releases a fitted tree. */
static void
tree_free_state(aml_env *env, void *state)
{
	tree_model *m = state;

	if (m == NULL)
		return;
	aml_tree_pack_free(env, &m->pack);
	aml_free(env, m);
}

/*
 * aml_tree_finish_values turns raw node values of nodes first.. into
 * outputs: class frequencies clipped to valid probabilities (normalized
 * for multiclass), or regression means (adding back the centring
 * offset); then scales them (1 / n_trees for forests).
 */
void
aml_tree_finish_values(aml_tree_pack *p, int first, aml_task task,
					   double offset, double scale)
{
	int			K = p->n_out;

	for (int i = first; i < p->n_nodes; i++)
	{
		double	   *v = p->value + (size_t) i * K;

		if (task == AML_TASK_REGRESSION)
			v[0] += offset;
		else if (task == AML_TASK_BINARY)
			v[0] = v[0] < 0 ? 0 : v[0] > 1 ? 1 : v[0];
		else
		{
			double		s = 0;

			for (int k = 0; k < K; k++)
			{
				if (!(v[k] > 0))
					v[k] = 0;
				s += v[k];
			}
			for (int k = 0; k < K; k++)
				v[k] = s > 0 ? v[k] / s : 1.0 / K;
		}
		if (scale != 1.0)
			for (int k = 0; k < K; k++)
				v[k] *= scale;
	}
}

/*
 * aml_tree_fix_probs makes summed tree probabilities valid: clamps to
 * [0, 1] and renormalizes multiclass rows (rounding can leave a sum of
 * averaged probabilities a few ulps off).
 */
void
aml_tree_fix_probs(aml_task task, int n_outputs, int64_t n, double *out)
{
	if (task == AML_TASK_REGRESSION)
		return;
	for (int64_t i = 0; i < n; i++)
	{
		double	   *o = out + (size_t) i * n_outputs;
		double		s = 0;

		for (int k = 0; k < n_outputs; k++)
		{
			o[k] = o[k] < 0 ? 0 : o[k] > 1 ? 1 : o[k];
			s += o[k];
		}
		if (task == AML_TASK_MULTICLASS && s > 0)
			for (int k = 0; k < n_outputs; k++)
				o[k] /= s;
	}
}

/*
 * aml_tree_pack_append copies tree t of src (same schema and n_out) to the
 * end of dst, renumbering children and category sets.
 */
int
aml_tree_pack_append(aml_env *env, aml_tree_pack *dst,
					 const aml_tree_pack *src, int t, int out_off)
{
	int32_t		lo = src->root[t];
	int32_t		hi = src->root[t + 1];
	int			n_cat = 0;
	int			base = dst->n_nodes;
	int			K = src->n_out;

	for (int32_t i = lo; i < hi; i++)
		if (src->feat[i] >= 0 && (src->flags[i] & AML_TREE_CATEGORICAL))
			n_cat += cat_words(src->n_levels[src->feat[i]]);
	if (pack_reserve(env, dst, hi - lo, n_cat))
		return -1;
	dst->root[dst->n_trees] = base;
	dst->out_off[dst->n_trees] = out_off;
	for (int32_t i = lo; i < hi; i++)
	{
		int			x = base + (i - lo);

		dst->feat[x] = src->feat[i];
		dst->thr[x] = src->thr[i];
		dst->flags[x] = src->flags[i];
		dst->left[x] = src->left[i] < 0 ? -1 : base + (src->left[i] - lo);
		dst->right[x] = src->right[i] < 0 ? -1 : base + (src->right[i] - lo);
		dst->cat_off[x] = -1;
		if (src->feat[i] >= 0 && (src->flags[i] & AML_TREE_CATEGORICAL))
		{
			int			w = cat_words(src->n_levels[src->feat[i]]);

			memcpy(dst->cat_bits + dst->n_cat_words, src->cat_bits + src->cat_off[i],
				   w * sizeof(uint32_t));
			dst->cat_off[x] = dst->n_cat_words;
			dst->n_cat_words += w;
		}
		memcpy(dst->value + (size_t) x * K, src->value + (size_t) i * K,
			   K * sizeof(double));
		dst->cover[x] = src->cover[i];
		dst->hess[x] = src->hess[i];
		dst->gain[x] = src->gain[i];
	}
	dst->n_nodes += hi - lo;
	dst->n_trees++;
	dst->root[dst->n_trees] = dst->n_nodes;
	return 0;
}

/* aml_tree_pack_truncate keeps the first n_trees trees of a pack. */
void
aml_tree_pack_truncate(aml_tree_pack *p, int n_trees)
{
	int			words = 0;

	if (n_trees >= p->n_trees || n_trees < 0)
		return;
	p->n_pn = 0;
	p->n_trees = n_trees;
	p->n_nodes = p->root[n_trees];
	for (int i = 0; i < p->n_nodes; i++)
		if (p->feat[i] >= 0 && (p->flags[i] & AML_TREE_CATEGORICAL))
		{
			int			end = p->cat_off[i] + cat_words(p->n_levels[p->feat[i]]);

			if (end > words)
				words = end;
		}
	p->n_cat_words = words;
}

/*
 * tree_fit fits a CART tree: squared error on one-hot labels (Gini) for
 * classification, on centred targets (variance) for regression.
 */
static aml_status
tree_fit(aml_env *env, const aml_fit_input *in, const aml_params *params,
		 void **state, aml_error *err)
{
	const aml_dataset *ds = in->ds;
	tree_model *m = NULL;
	aml_tree_bins *bins = NULL;
	aml_grower *gr = NULL;
	aml_tpool  *pool = NULL;
	float	   *g = NULL;
	float	   *h = NULL;
	int32_t    *cls = NULL;
	aml_grow_params gp;
	aml_grow_data gd;
	double		offset = 0;
	int64_t		n = 0;
	int			K;
	aml_status	st;

	*state = NULL;
	st = aml_tree_check_input(in, &n, err);
	if (st != AML_OK)
		return st;
	K = in->task == AML_TASK_MULTICLASS ? in->n_classes : 1;

	aml_grow_params_init(&gp);
	gp.max_depth = (int) aml_tree_param_value(params, tree_params, N_TREE_PARAMS, "max_depth");
	gp.min_samples_leaf = aml_tree_param_value(params, tree_params, N_TREE_PARAMS, "min_samples_leaf");
	gp.max_leaves = (int) aml_tree_param_value(params, tree_params, N_TREE_PARAMS, "max_leaves");
	gp.max_cat_set_levels = (int) aml_tree_param_value(params, tree_params, N_TREE_PARAMS, "max_cat_set_levels");

	pool = aml_tpool_create(env, env->n_threads);
	st = aml_tree_bins_build(env, ds, in->rows, n,
							 (int) aml_tree_param_value(params, tree_params, N_TREE_PARAMS, "max_bins"),
							 in->seed, pool, &bins, err);
	if (st != AML_OK)
		goto done;

	h = aml_malloc(env, n * sizeof(float));
	if (K > 1)
		cls = aml_malloc(env, n * sizeof(int32_t));
	else
		g = aml_malloc(env, n * sizeof(float));
	m = aml_calloc(env, 1, sizeof(*m));
	if (h == NULL || (K > 1 ? cls == NULL : g == NULL) || m == NULL ||
		aml_tree_pack_init(env, &m->pack, ds, K))
	{
		st = aml_oom(env, err, n * (sizeof(double) * 2));
		goto done;
	}
	m->task = in->task;
	m->n_classes = in->n_classes;
	m->n_outputs = aml_task_outputs(in->task, in->n_classes);

	if (in->task == AML_TASK_REGRESSION)
	{
		double		sw = 0,
					sy = 0;

		for (int64_t i = 0; i < n; i++)
		{
			int64_t		r = in->rows ? in->rows[i] : i;
			double		w = in->w ? in->w[r] : 1.0;

			sw += w;
			sy += w * in->y[r];
		}
		offset = sw > 0 ? sy / sw : 0;
	}
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		r = in->rows ? in->rows[i] : i;
		double		w = in->w ? in->w[r] : 1.0;

		h[i] = (float) w;
		if (K > 1)
			cls[i] = (int32_t) in->y[r];
		else if (in->task == AML_TASK_BINARY)
			g[i] = in->y[r] >= 1 ? (float) -w : 0.0f;
		else
			g[i] = (float) (-w * (in->y[r] - offset));
	}

	st = aml_grower_create(env, bins, K, &gp, pool, &gr, err);
	if (st != AML_OK)
		goto done;
	memset(&gd, 0, sizeof(gd));
	gd.g = g;
	gd.cls = cls;
	gd.h = h;
	st = aml_grower_grow(gr, &gd, &m->pack, 0, 1, err);
	if (st != AML_OK)
		goto done;
	if (in->task == AML_TASK_REGRESSION)
		aml_grower_leaf_means(gr, &m->pack, m->pack.n_trees - 1, in->y, in->rows, h, offset);
	aml_tree_finish_values(&m->pack, 0, in->task, offset, 1.0);
	(void) aml_tree_pack_finish(env, &m->pack);
	*state = m;
	m = NULL;

done:
	aml_grower_free(gr);
	aml_tpool_free(pool);
	aml_tree_bins_free(env, bins);
	aml_free(env, g);
	aml_free(env, h);
	aml_free(env, cls);
	tree_free_state(env, m);
	return st;
}

/*
 * tree_predict writes the leaf values (regression value, positive-class
 * probability, or class probabilities) of rows idx[] into out.
 */
static void
tree_predict(const void *state, const aml_dataset *ds, const int64_t *idx,
			 int64_t n, double *out)
{
	const tree_model *m = state;

	memset(out, 0, (size_t) n * m->n_outputs * sizeof(double));
	aml_tree_pack_add(&m->pack, ds, idx, n, out, m->n_outputs);
}

/* tree_write serializes a fitted tree: its pack. */
static void
tree_write(const void *state, aml_wbuf *b)
{
	const tree_model *m = state;

	aml_tree_pack_write(&m->pack, b);
}

/* aml_tree_check_task validates task and class count for a tree read. */
aml_status
aml_tree_check_task(aml_task task, int n_classes, aml_error *err)
{
	if ((task == AML_TASK_BINARY && n_classes == 2) ||
		(task == AML_TASK_MULTICLASS && n_classes >= 2 && n_classes <= 65536) ||
		task == AML_TASK_REGRESSION)
		return AML_OK;
	return pack_bad(err, "task or class count is invalid for a tree model");
}

/* tree_read deserializes and validates a fitted tree. */
static aml_status
tree_read(aml_env *env, aml_rbuf *b, const aml_dataset *schema, aml_task task,
		  int n_classes, void **state, aml_error *err)
{
	tree_model *m;
	int			n_out;
	aml_status	st;

	*state = NULL;
	st = aml_tree_check_task(task, n_classes, err);
	if (st != AML_OK)
		return st;
	n_out = aml_task_outputs(task, n_classes);
	m = aml_calloc(env, 1, sizeof(*m));
	if (m == NULL)
		return aml_oom(env, err, sizeof(*m));
	m->task = task;
	m->n_classes = n_classes;
	m->n_outputs = n_out;
	st = aml_tree_pack_read(env, b, schema, n_out, n_out, &m->pack, err);
	if (st != AML_OK)
	{
		aml_free(env, m);
		return st;
	}
	if (m->pack.n_trees != 1)
	{
		tree_free_state(env, m);
		return pack_bad(err, "a decision tree model must hold exactly one tree");
	}
	*state = m;
	return AML_OK;
}

/* tree_importance adds split gain per feature. */
static void
tree_importance(const void *state, int n_feat, double *imp)
{
	const tree_model *m = state;

	aml_tree_pack_importance(&m->pack, n_feat, imp);
}

const aml_learner_ops aml_tree_ops = {
	.algo = AML_ALGO_DECISION_TREE,
	.name = "decision_tree",
	.fit = tree_fit,
	.predict = tree_predict,
	.write = tree_write,
	.read = tree_read,
	.free_state = tree_free_state,
	.check_params = tree_check_params,
	.importance = tree_importance,
};

/* aml_tree_learner_pack returns the pack of a fitted tree learner. */
const aml_tree_pack *
aml_tree_learner_pack(aml_algo algo, const void *state)
{
	if (state == NULL)
		return NULL;
	switch (algo)
	{
		case AML_ALGO_DECISION_TREE:
			return &((const tree_model *) state)->pack;
		case AML_ALGO_GBDT:
			return aml_gbdt_pack(state);
		case AML_ALGO_RANDOM_FOREST:
		case AML_ALGO_EXTRA_TREES:
			return aml_forest_pack(state);
		default:
			return NULL;
	}
}

/* aml_tree_learner_oob returns the out-of-bag estimate of a fitted forest. */
double
aml_tree_learner_oob(aml_algo algo, const void *state, const char *metric,
					 int64_t *rows)
{
	if (algo == AML_ALGO_RANDOM_FOREST || algo == AML_ALGO_EXTRA_TREES)
		return aml_forest_oob(state, metric, rows);
	if (rows)
		*rows = 0;
	return NAN;
}
