/*-------------------------------------------------------------------------
 *
 * linear.c
 *	  The linear learner family: ridge regression, L2-regularized logistic
 *	  regression (binary) and multinomial logistic regression (multiclass).
 *
 * The learner encodes the dataset itself, fitted on the training rows
 * only: numeric features are standardized (a constant feature gets no
 * column), a missing (non-finite) numeric value is imputed with the
 * training mean, i.e. 0 after standardization, plus a missing-indicator
 * column for features that had missing values in training; categorical
 * features are one-hot over their n_levels codes, missing = all zeros.
 * Design column 0 is the unpenalized intercept.
 *
 * Solvers:
 *	 regression  normal equations (X'WX + alpha*I) b = X'Wy, Cholesky
 *	 binary		 Newton/IRLS with the same X'WX build, step halving
 *	 multiclass  L-BFGS on the softmax loss
 * X'X is built a block of rows at a time with cblas_dsyrk/cblas_dgemv, or
 * with reference loops when compiled with AML_NO_BLAS.  Every summation
 * runs in a fixed order, so results are deterministic.
 *
 * For prediction, the standardization is folded into per-feature
 * coefficients (slope on the raw value, contribution when missing) and
 * the intercept, so a row costs one pass over the features and nothing is
 * allocated.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <stdio.h>

#include "aml_int.h"
#include "explain.h"

#ifndef AML_NO_BLAS
#include <cblas.h>
#endif

#define LIN_VERSION		2		/* 2 adds the design column means */
#define LIN_MAX_COEF	(1 << 24)	/* design columns, intercept included */
#define LIN_BLOCK_ROWS	1024
#define LIN_BLOCK_ELEMS (1 << 22)	/* doubles in one block of rows */
#define LIN_NEWTON_MAX	50
#define LIN_NEWTON_TOL	1e-8
#define LIN_LBFGS_MEM	10
#define LIN_LBFGS_TOL	1e-9
#define LIN_CANCEL_ROWS 8192

#define LIN_ALPHA_MAX	1e6
#define LIN_ITER_MAX	10000

typedef struct lin_state
{
	aml_task	task;
	int			n_classes;
	int			n_out;			/* K: 1 or n_classes */
	int			n_feat;
	int			n_coef;			/* P: design columns incl. intercept */
	uint8_t    *kind;			/* aml_feat_kind per feature */
	int32_t    *n_levels;
	uint8_t    *has_val;		/* numeric: value column exists */
	uint8_t    *has_miss;		/* numeric: missing-indicator column */
	int32_t    *off;			/* value / first level column, or -1 */
	int32_t    *moff;			/* missing-indicator column, or -1 */
	double	   *mean;
	double	   *scale;			/* 1/std, 0 for constant features */
	double	   *beta;			/* K x P standardized coefficients */
	double	   *cmean;			/* P design column means over the training
								 * rows (explanations); NULL when read
								 * from a version 1 model */
	/* derived for prediction */
	double	   *b0;				/* K intercepts on the raw scale */
	double	   *eff;			/* P x K: raw-scale slope / level weight */
	double	   *fmiss;			/* n_feat x K: contribution when missing */
} lin_state;

/* ---------------------------------------------------------------- state */

/*
 * lin_free_state releases a state and everything it owns; takes NULL.
 */
static void
lin_free_state(aml_env *env, void *state)
{
	lin_state  *st = (lin_state *) state;

	if (st == NULL)
		return;
	aml_free(env, st->kind);
	aml_free(env, st->n_levels);
	aml_free(env, st->has_val);
	aml_free(env, st->has_miss);
	aml_free(env, st->off);
	aml_free(env, st->moff);
	aml_free(env, st->mean);
	aml_free(env, st->scale);
	aml_free(env, st->beta);
	aml_free(env, st->cmean);
	aml_free(env, st->b0);
	aml_free(env, st->eff);
	aml_free(env, st->fmiss);
	aml_free(env, st);
}

/*
 * lin_alloc_features allocates the per-feature arrays of a state; returns
 * the number of bytes that failed, or 0.
 */
static size_t
lin_alloc_features(aml_env *env, lin_state *st, int n_feat)
{
	size_t		n = n_feat > 0 ? (size_t) n_feat : 1;

	st->n_feat = n_feat;
	st->kind = aml_calloc(env, n, sizeof(uint8_t));
	st->n_levels = aml_calloc(env, n, sizeof(int32_t));
	st->has_val = aml_calloc(env, n, sizeof(uint8_t));
	st->has_miss = aml_calloc(env, n, sizeof(uint8_t));
	st->off = aml_calloc(env, n, sizeof(int32_t));
	st->moff = aml_calloc(env, n, sizeof(int32_t));
	st->mean = aml_calloc(env, n, sizeof(double));
	st->scale = aml_calloc(env, n, sizeof(double));
	if (!st->kind || !st->n_levels || !st->has_val || !st->has_miss ||
		!st->off || !st->moff || !st->mean || !st->scale)
		return n * sizeof(double);
	return 0;
}

/*
 * lin_layout assigns design columns to the features from kind, n_levels,
 * has_val and has_miss, and sets n_coef; returns -1 when the design would
 * be too wide.
 */
static int
lin_layout(lin_state *st)
{
	int64_t		p = 1;			/* column 0 = intercept */

	for (int j = 0; j < st->n_feat; j++)
	{
		st->off[j] = -1;
		st->moff[j] = -1;
		if (st->kind[j] == AML_FEAT_CATEGORICAL)
		{
			if (st->n_levels[j] > 0)
			{
				st->off[j] = (int32_t) p;
				p += st->n_levels[j];
			}
		}
		else
		{
			if (st->has_val[j])
				st->off[j] = (int32_t) p++;
			if (st->has_miss[j])
				st->moff[j] = (int32_t) p++;
		}
		if (p > LIN_MAX_COEF)
			return -1;
	}
	st->n_coef = (int) p;
	return 0;
}

/*
 * lin_derive computes the prediction arrays (b0, eff, fmiss) from the
 * standardized coefficients; fit and read share it so a round trip gives
 * bit-identical predictions.  Returns the bytes that failed, or 0.
 */
static size_t
lin_derive(aml_env *env, lin_state *st)
{
	int			K = st->n_out;
	int			P = st->n_coef;
	size_t		nf = st->n_feat > 0 ? (size_t) st->n_feat : 1;

	st->b0 = aml_calloc(env, (size_t) K, sizeof(double));
	st->eff = aml_calloc(env, (size_t) P * K, sizeof(double));
	st->fmiss = aml_calloc(env, nf * K, sizeof(double));
	if (!st->b0 || !st->eff || !st->fmiss)
		return (size_t) P * K * sizeof(double);

	for (int k = 0; k < K; k++)
	{
		const double *bk = st->beta + (size_t) k * P;
		double		b0 = bk[0];

		for (int j = 0; j < st->n_feat; j++)
		{
			if (st->kind[j] == AML_FEAT_CATEGORICAL)
			{
				for (int l = 0; l < st->n_levels[j]; l++)
					st->eff[(size_t) (st->off[j] + l) * K + k] = bk[st->off[j] + l];
			}
			else
			{
				double		miss = 0.0;

				if (st->off[j] >= 0)
				{
					double		slope = bk[st->off[j]] * st->scale[j];
					double		shift = slope * st->mean[j];

					st->eff[(size_t) st->off[j] * K + k] = slope;
					b0 -= shift;
					miss += shift;
				}
				if (st->moff[j] >= 0)
					miss += bk[st->moff[j]];
				st->fmiss[(size_t) j * K + k] = miss;
			}
		}
		st->b0[k] = b0;
	}
	return 0;
}

/* ---------------------------------------------------------------- params */

/*
 * lin_param returns the value of a named parameter, or dflt when unset.
 */
static double
lin_param(const aml_params *p, const char *name, double dflt)
{
	if (p == NULL)
		return dflt;
	for (int i = 0; i < p->n && i < AML_MAX_PARAMS; i++)
		if (strncmp(p->name[i], name, sizeof(p->name[i])) == 0)
			return p->value[i];
	return dflt;
}

/*
 * linear_check_params validates alpha and max_iter and rejects unknown
 * names; returns NULL or a message written to buf.
 */
static const char *
linear_check_params(const aml_params *p, char *buf, size_t buflen)
{
	if (p == NULL)
		return NULL;
	for (int i = 0; i < p->n && i < AML_MAX_PARAMS; i++)
	{
		const char *name = p->name[i];
		double		v = p->value[i];

		if (strncmp(name, "alpha", sizeof(p->name[i])) == 0)
		{
			if (!(v >= 0.0 && v <= LIN_ALPHA_MAX))
			{
				snprintf(buf, buflen,
						 "parameter \"alpha\" must be between 0 and 1000000");
				return buf;
			}
		}
		else if (strncmp(name, "max_iter", sizeof(p->name[i])) == 0)
		{
			if (!(v >= 1.0 && v <= LIN_ITER_MAX) || v != floor(v))
			{
				snprintf(buf, buflen,
						 "parameter \"max_iter\" must be an integer between 1 and 10000");
				return buf;
			}
		}
		else
		{
			snprintf(buf, buflen,
					 "unknown parameter \"%.*s\" for algorithm \"linear\" (valid parameters: alpha, max_iter)",
					 (int) strnlen(name, sizeof(p->name[i])), name);
			return buf;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- numerics */

/*
 * lin_dot returns the dot product of two vectors, summed with four
 * accumulators in a fixed order.
 */
static double
lin_dot(const double *a, const double *b, size_t n)
{
	double		s0 = 0.0,
				s1 = 0.0,
				s2 = 0.0,
				s3 = 0.0;
	size_t		k = 0;

	for (; k + 4 <= n; k += 4)
	{
		s0 += a[k] * b[k];
		s1 += a[k + 1] * b[k + 1];
		s2 += a[k + 2] * b[k + 2];
		s3 += a[k + 3] * b[k + 3];
	}
	for (; k < n; k++)
		s0 += a[k] * b[k];
	return (s0 + s1) + (s2 + s3);
}

/*
 * lin_syrk adds X'X (upper triangle, row-major P x P) for a block X of m
 * rows by P columns, row-major.
 */
static void
lin_syrk(double *A, const double *X, int m, int P)
{
#ifdef AML_NO_BLAS
	for (int r = 0; r < m; r++)
	{
		const double *x = X + (size_t) r * P;

		for (int a = 0; a < P; a++)
		{
			double		xa = x[a];
			double	   *Arow;

			if (xa == 0.0)
				continue;
			Arow = A + (size_t) a * P;
			for (int b = a; b < P; b++)
				Arow[b] += xa * x[b];
		}
	}
#else
	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, P, m,
				1.0, X, P, 1.0, A, P);
#endif
}

/*
 * lin_gemv_t adds X'v to out, for a block X of m rows by P columns.
 */
static void
lin_gemv_t(double *out, const double *X, const double *v, int m, int P)
{
#ifdef AML_NO_BLAS
	for (int r = 0; r < m; r++)
	{
		const double *x = X + (size_t) r * P;
		double		vr = v[r];

		if (vr == 0.0)
			continue;
		for (int a = 0; a < P; a++)
			out[a] += vr * x[a];
	}
#else
	cblas_dgemv(CblasRowMajor, CblasTrans, m, P, 1.0, X, P, v, 1, 1.0, out, 1);
#endif
}

/*
 * lin_gemv_n sets out = X b for a block X of m rows by P columns.
 */
static void
lin_gemv_n(double *out, const double *X, const double *b, int m, int P)
{
#ifdef AML_NO_BLAS
	for (int r = 0; r < m; r++)
		out[r] = lin_dot(X + (size_t) r * P, b, P);
#else
	cblas_dgemv(CblasRowMajor, CblasNoTrans, m, P, 1.0, X, P, b, 1, 0.0, out, 1);
#endif
}

/*
 * lin_cholesky factors the symmetric matrix whose upper triangle is in A
 * (row-major P x P) plus jitter*I into L L' (lower triangle of L); returns
 * -1 when a pivot is not safely positive.
 */
static int
lin_cholesky(const double *A, double *L, int P, double jitter)
{
	for (int i = 0; i < P; i++)
	{
		for (int j = 0; j < i; j++)
			L[(size_t) i * P + j] = A[(size_t) j * P + i];
		L[(size_t) i * P + i] = A[(size_t) i * P + i] + jitter;
	}
	for (int i = 0; i < P; i++)
	{
		double	   *Li = L + (size_t) i * P;

		for (int j = 0; j < i; j++)
		{
			const double *Lj = L + (size_t) j * P;

			Li[j] = (Li[j] - lin_dot(Li, Lj, j)) / Lj[j];
		}
		{
			double		d0 = Li[i];
			double		d = d0 - lin_dot(Li, Li, i);

			if (!(d > 0.0) || !isfinite(d) || d <= 1e-11 * d0)
				return -1;
			Li[i] = sqrt(d);
		}
	}
	return 0;
}

/*
 * lin_solve solves (A + jitter*I) x = rhs by Cholesky, A given by its
 * upper triangle; when the factorization fails it retries with growing
 * jitter and finally reports AML_ENUMERIC.  L is P x P scratch.
 */
static aml_status
lin_solve(const double *A, double *L, int P, const double *rhs, double *x,
		  aml_error *err)
{
	double		maxdiag = 0.0;
	double		jitter = 0.0;
	int			ok = 0;

	for (int i = 0; i < P; i++)
	{
		double		d = A[(size_t) i * P + i];

		if (!isfinite(d))
			return aml_set_error(err, AML_ENUMERIC,
								 "linear model failed: the normal equations contain non-finite values");
		if (d > maxdiag)
			maxdiag = d;
	}
	if (maxdiag <= 0.0)
		maxdiag = 1.0;
	for (int attempt = 0; attempt < 6; attempt++)
	{
		if (lin_cholesky(A, L, P, jitter) == 0)
		{
			ok = 1;
			break;
		}
		jitter = attempt == 0 ? 1e-10 * maxdiag : jitter * 100.0;
	}
	if (!ok)
	{
		aml_set_error(err, AML_ENUMERIC,
					  "linear model failed: the normal equations are not positive definite");
		aml_set_detail(err, "The Cholesky factorization of a %d x %d system failed even after adding jitter.",
					   P, P);
		aml_set_hint(err, "Increase the \"alpha\" parameter.");
		return AML_ENUMERIC;
	}
	/* forward: L y = rhs */
	for (int i = 0; i < P; i++)
	{
		const double *Li = L + (size_t) i * P;

		x[i] = (rhs[i] - lin_dot(Li, x, i)) / Li[i];
	}
	/* backward: L' x = y */
	for (int i = P - 1; i >= 0; i--)
	{
		double		s = x[i];

		for (int k = P - 1; k > i; k--)
			s -= L[(size_t) k * P + i] * x[k];
		x[i] = s / L[(size_t) i * P + i];
	}
	for (int i = 0; i < P; i++)
		if (!isfinite(x[i]))
			return aml_set_error(err, AML_ENUMERIC,
								 "linear model failed: the solution is not finite");
	return AML_OK;
}

/*
 * lin_softplus returns log(1 + exp(z)) without overflow.
 */
static inline double
lin_softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* ---------------------------------------------------------------- encoding */

/*
 * lin_gather lists the nonzero design entries of dataset row i (column 0,
 * the intercept, first) into cols/vals; returns their count (at most
 * 1 + n_feat).
 */
static int
lin_gather(const lin_state *st, const aml_dataset *ds, int64_t i,
		   int32_t *cols, double *vals)
{
	int			n = 0;

	cols[n] = 0;
	vals[n++] = 1.0;
	for (int j = 0; j < st->n_feat; j++)
	{
		float		v = ds->col[j][i];

		if (st->kind[j] == AML_FEAT_CATEGORICAL)
		{
			if (v >= 0.0f && v < (float) st->n_levels[j])
			{
				cols[n] = st->off[j] + (int32_t) v;
				vals[n++] = 1.0;
			}
		}
		else if (isfinite(v))
		{
			if (st->off[j] >= 0)
			{
				cols[n] = st->off[j];
				vals[n++] = ((double) v - st->mean[j]) * st->scale[j];
			}
		}
		else if (st->moff[j] >= 0)
		{
			cols[n] = st->moff[j];
			vals[n++] = 1.0;
		}
	}
	return n;
}

/*
 * lin_fill_row writes the dense design row of dataset row i, multiplied
 * by s, into x[0..P).
 */
static void
lin_fill_row(const lin_state *st, const aml_dataset *ds, int64_t i, double s,
			 double *x, int32_t *cols, double *vals)
{
	int			n = lin_gather(st, ds, i, cols, vals);

	memset(x, 0, sizeof(double) * (size_t) st->n_coef);
	for (int e = 0; e < n; e++)
		x[cols[e]] = vals[e] * s;
}

/*
 * lin_fit_encoding computes mean/scale and the missing indicators over the
 * training rows and lays out the design columns.
 */
static aml_status
lin_fit_encoding(lin_state *st, const aml_fit_input *in, int64_t n,
				 aml_error *err)
{
	const aml_dataset *ds = in->ds;

	for (int j = 0; j < st->n_feat; j++)
	{
		st->kind[j] = (uint8_t) ds->kind[j];
		st->n_levels[j] = ds->n_levels ? ds->n_levels[j] : 0;
		if (ds->kind[j] == AML_FEAT_CATEGORICAL)
		{
			if (st->n_levels[j] < 0 || st->n_levels[j] > LIN_MAX_COEF)
				return aml_set_error(err, AML_EINVAL,
									 "feature %d has an invalid number of levels (%d)",
									 j, st->n_levels[j]);
			st->has_val[j] = st->n_levels[j] > 0;
		}
		else if (ds->kind[j] == AML_FEAT_NUMERIC)
		{
			const float *c = ds->col[j];
			int64_t		cnt = 0;
			double		sum = 0.0;
			double		ss = 0.0;
			float		first = 0.0f;
			int			constant = 1;

			for (int64_t r = 0; r < n; r++)
			{
				float		v = c[in->rows ? in->rows[r] : r];

				if (!isfinite(v))
					continue;
				if (cnt == 0)
					first = v;
				else if (v != first)
					constant = 0;
				cnt++;
				sum += v;
			}
			st->has_miss[j] = cnt > 0 && cnt < n;
			if (cnt == 0 || constant)
			{
				st->mean[j] = cnt ? (double) first : 0.0;
				st->scale[j] = 0.0;
				st->has_val[j] = 0;
				continue;
			}
			st->mean[j] = sum / (double) cnt;
			for (int64_t r = 0; r < n; r++)
			{
				float		v = c[in->rows ? in->rows[r] : r];
				double		d;

				if (!isfinite(v))
					continue;
				d = (double) v - st->mean[j];
				ss += d * d;
			}
			if (!(ss > 0.0) || !isfinite(ss))
			{
				st->scale[j] = 0.0;
				st->has_val[j] = 0;
				continue;
			}
			st->scale[j] = 1.0 / sqrt(ss / (double) cnt);
			st->has_val[j] = isfinite(st->scale[j]) && st->scale[j] > 0.0;
			if (!st->has_val[j])
				st->scale[j] = 0.0;
		}
		else
			return aml_set_error(err, AML_EINVAL, "feature %d has an unknown kind", j);
	}
	if (lin_layout(st) != 0)
		return aml_set_error(err, AML_EINVAL,
							 "too many design columns for a linear model");
	return AML_OK;
}

/* ---------------------------------------------------------------- solvers */

/* Scratch shared by the blocked solvers. */
typedef struct lin_work
{
	int			P;
	int			blk;
	double	   *X;				/* blk x P */
	double	   *v;				/* blk */
	double	   *u;				/* blk */
	double	   *A;				/* P x P */
	double	   *L;				/* P x P */
	double	   *rhs;			/* P */
	int32_t    *cols;			/* 1 + n_feat */
	double	   *vals;			/* 1 + n_feat */
} lin_work;

/*
 * lin_work_free releases the scratch of the blocked solvers.
 */
static void
lin_work_free(aml_env *env, lin_work *w)
{
	aml_free(env, w->X);
	aml_free(env, w->v);
	aml_free(env, w->u);
	aml_free(env, w->A);
	aml_free(env, w->L);
	aml_free(env, w->rhs);
	aml_free(env, w->cols);
	aml_free(env, w->vals);
}

/*
 * lin_work_alloc allocates the scratch of the blocked solvers for n rows.
 */
static aml_status
lin_work_alloc(aml_env *env, const lin_state *st, int64_t n, lin_work *w,
			   aml_error *err)
{
	size_t		P = (size_t) st->n_coef;
	int64_t		blk = LIN_BLOCK_ELEMS / (int64_t) P;

	memset(w, 0, sizeof(*w));
	if (blk > LIN_BLOCK_ROWS)
		blk = LIN_BLOCK_ROWS;
	if (blk < 16)
		blk = 16;
	if (blk > n)
		blk = n;
	w->P = (int) P;
	w->blk = (int) blk;
	w->X = aml_malloc(env, (size_t) blk * P * sizeof(double));
	w->v = aml_malloc(env, (size_t) blk * sizeof(double));
	w->u = aml_malloc(env, (size_t) blk * sizeof(double));
	w->A = aml_malloc(env, P * P * sizeof(double));
	w->L = aml_malloc(env, P * P * sizeof(double));
	w->rhs = aml_malloc(env, P * sizeof(double));
	w->cols = aml_malloc(env, (size_t) (st->n_feat + 1) * sizeof(int32_t));
	w->vals = aml_malloc(env, (size_t) (st->n_feat + 1) * sizeof(double));
	if (!w->X || !w->v || !w->u || !w->A || !w->L || !w->rhs ||
		!w->cols || !w->vals)
	{
		lin_work_free(env, w);
		return aml_oom(env, err, P * P * sizeof(double));
	}
	return AML_OK;
}

/*
 * lin_canceled reports cancellation into err; returns nonzero when the
 * work must stop.
 */
static int
lin_canceled(aml_env *env, aml_error *err)
{
	if (aml_check_cancel(env))
	{
		aml_set_error(err, AML_ECANCELED, "linear model training was canceled");
		return 1;
	}
	return 0;
}

/*
 * lin_fit_ridge solves the weighted ridge normal equations.
 */
static aml_status
lin_fit_ridge(aml_env *env, lin_state *st, const aml_fit_input *in,
			  int64_t n, double alpha, lin_work *w, aml_error *err)
{
	int			P = w->P;

	memset(w->A, 0, sizeof(double) * (size_t) P * P);
	memset(w->rhs, 0, sizeof(double) * (size_t) P);
	for (int64_t start = 0; start < n; start += w->blk)
	{
		int			m = (int) (n - start < w->blk ? n - start : w->blk);

		if (lin_canceled(env, err))
			return AML_ECANCELED;
		for (int r = 0; r < m; r++)
		{
			int64_t		i = in->rows ? in->rows[start + r] : start + r;
			double		s = in->w ? sqrt(in->w[i]) : 1.0;

			lin_fill_row(st, in->ds, i, s, w->X + (size_t) r * P, w->cols, w->vals);
			w->v[r] = s * in->y[i];
		}
		lin_syrk(w->A, w->X, m, P);
		lin_gemv_t(w->rhs, w->X, w->v, m, P);
	}
	for (int c = 1; c < P; c++)
		w->A[(size_t) c * P + c] += alpha;
	return lin_solve(w->A, w->L, P, w->rhs, st->beta, err);
}

/*
 * lin_logistic_objective returns the penalized weighted log loss of the
 * binary model with coefficients b (NaN when not finite).
 */
static double
lin_logistic_objective(const lin_state *st, const aml_fit_input *in,
					   int64_t n, double alpha, const double *b, lin_work *w)
{
	double		f = 0.0;
	double		pen = 0.0;

	for (int64_t r = 0; r < n; r++)
	{
		int64_t		i = in->rows ? in->rows[r] : r;
		int			ne = lin_gather(st, in->ds, i, w->cols, w->vals);
		double		eta = 0.0;
		double		wi = in->w ? in->w[i] : 1.0;

		for (int e = 0; e < ne; e++)
			eta += b[w->cols[e]] * w->vals[e];
		f += wi * lin_softplus(in->y[i] > 0.5 ? -eta : eta);
	}
	for (int c = 1; c < st->n_coef; c++)
		pen += b[c] * b[c];
	f += 0.5 * alpha * pen;
	return isfinite(f) ? f : NAN;
}

/*
 * lin_fit_logistic fits L2 logistic regression by Newton/IRLS with step
 * halving.
 */
static aml_status
lin_fit_logistic(aml_env *env, lin_state *st, const aml_fit_input *in,
				 int64_t n, double alpha, int max_iter, lin_work *w,
				 aml_error *err)
{
	int			P = w->P;
	double	   *b = st->beta;
	double	   *d = NULL;
	double	   *cand = NULL;
	double		f;
	double		wsum = 0.0,
				wpos = 0.0,
				pbar;
	int			iters = max_iter < LIN_NEWTON_MAX ? max_iter : LIN_NEWTON_MAX;
	int			it;
	aml_status	status = AML_OK;

	d = aml_malloc(env, sizeof(double) * (size_t) P);
	cand = aml_malloc(env, sizeof(double) * (size_t) P);
	if (!d || !cand)
	{
		status = aml_oom(env, err, sizeof(double) * (size_t) P);
		goto done;
	}

	for (int64_t r = 0; r < n; r++)
	{
		int64_t		i = in->rows ? in->rows[r] : r;
		double		wi = in->w ? in->w[i] : 1.0;

		wsum += wi;
		if (in->y[i] > 0.5)
			wpos += wi;
	}
	pbar = wpos / wsum;
	if (pbar < 1e-6)
		pbar = 1e-6;
	if (pbar > 1.0 - 1e-6)
		pbar = 1.0 - 1e-6;
	memset(b, 0, sizeof(double) * (size_t) P);
	b[0] = log(pbar / (1.0 - pbar));

	f = lin_logistic_objective(st, in, n, alpha, b, w);
	if (!isfinite(f))
	{
		status = aml_set_error(err, AML_ENUMERIC,
							   "logistic regression failed: the objective is not finite");
		goto done;
	}

	for (it = 0; it < iters; it++)
	{
		double		fnew = NAN;
		double		t = 1.0;
		int			accepted = 0;

		memset(w->A, 0, sizeof(double) * (size_t) P * P);
		memset(w->rhs, 0, sizeof(double) * (size_t) P);
		for (int64_t start = 0; start < n; start += w->blk)
		{
			int			m = (int) (n - start < w->blk ? n - start : w->blk);

			if (lin_canceled(env, err))
			{
				status = AML_ECANCELED;
				goto done;
			}
			for (int r = 0; r < m; r++)
			{
				int64_t		i = in->rows ? in->rows[start + r] : start + r;

				lin_fill_row(st, in->ds, i, 1.0, w->X + (size_t) r * P,
							 w->cols, w->vals);
			}
			lin_gemv_n(w->u, w->X, b, m, P);
			for (int r = 0; r < m; r++)
			{
				int64_t		i = in->rows ? in->rows[start + r] : start + r;
				double		wi = in->w ? in->w[i] : 1.0;
				double		p = aml_sigmoid(w->u[r]);
				double		yi = in->y[i] > 0.5 ? 1.0 : 0.0;

				w->v[r] = wi * (p - yi);
				w->u[r] = sqrt(wi * p * (1.0 - p));
			}
			lin_gemv_t(w->rhs, w->X, w->v, m, P);
			for (int r = 0; r < m; r++)
			{
				double	   *x = w->X + (size_t) r * P;
				double		s = w->u[r];

				for (int c = 0; c < P; c++)
					x[c] *= s;
			}
			lin_syrk(w->A, w->X, m, P);
		}
		for (int c = 1; c < P; c++)
		{
			w->A[(size_t) c * P + c] += alpha;
			w->rhs[c] += alpha * b[c];
		}
		status = lin_solve(w->A, w->L, P, w->rhs, d, err);
		if (status != AML_OK)
			goto done;

		for (int h = 0; h < 30; h++)
		{
			for (int c = 0; c < P; c++)
				cand[c] = b[c] - t * d[c];
			fnew = lin_logistic_objective(st, in, n, alpha, cand, w);
			if (isfinite(fnew) && fnew <= f)
			{
				accepted = 1;
				break;
			}
			t *= 0.5;
		}
		if (!accepted)
			break;				/* no further decrease possible */
		memcpy(b, cand, sizeof(double) * (size_t) P);
		if (f - fnew <= LIN_NEWTON_TOL * fabs(fnew) || fnew == 0.0)
		{
			f = fnew;
			break;
		}
		f = fnew;
	}
	aml_log(env, AML_LOG_DEBUG,
			"linear: logistic Newton stopped after %d iterations, objective %.10g",
			it, f);

done:
	aml_free(env, d);
	aml_free(env, cand);
	return status;
}

/* State of the multinomial objective. */
typedef struct lin_mn
{
	const lin_state *st;
	const aml_fit_input *in;
	int64_t		n;
	double		alpha;
	int			K;
	int			P;
	double	   *z;				/* K */
	int32_t    *cols;
	double	   *vals;
} lin_mn;

/*
 * lin_mn_eval computes the penalized weighted softmax loss at theta (K x P)
 * and its gradient into g; returns NaN when not finite, or -INFINITY
 * when canceled.
 */
static double
lin_mn_eval(aml_env *env, const lin_mn *mn, const double *theta, double *g)
{
	const aml_fit_input *in = mn->in;
	int			K = mn->K;
	int			P = mn->P;
	double		f = 0.0;
	double		pen = 0.0;

	memset(g, 0, sizeof(double) * (size_t) K * P);
	for (int64_t r = 0; r < mn->n; r++)
	{
		int64_t		i = in->rows ? in->rows[r] : r;
		int			ne;
		double		wi = in->w ? in->w[i] : 1.0;
		int			yi = (int) in->y[i];
		double		zmax = -INFINITY;
		double		se = 0.0;
		double		zy;

		if (r % LIN_CANCEL_ROWS == 0 && aml_check_cancel(env))
			return -INFINITY;
		ne = lin_gather(mn->st, in->ds, i, mn->cols, mn->vals);
		for (int k = 0; k < K; k++)
		{
			const double *tk = theta + (size_t) k * P;
			double		z = 0.0;

			for (int e = 0; e < ne; e++)
				z += tk[mn->cols[e]] * mn->vals[e];
			mn->z[k] = z;
			if (z > zmax)
				zmax = z;
		}
		zy = mn->z[yi];
		for (int k = 0; k < K; k++)
		{
			mn->z[k] = exp(mn->z[k] - zmax);
			se += mn->z[k];
		}
		f += wi * (zmax + log(se) - zy);
		if (wi == 0.0)
			continue;
		for (int k = 0; k < K; k++)
		{
			double		rk = wi * (mn->z[k] / se - (k == yi ? 1.0 : 0.0));
			double	   *gk = g + (size_t) k * P;

			for (int e = 0; e < ne; e++)
				gk[mn->cols[e]] += rk * mn->vals[e];
		}
	}
	for (int k = 0; k < K; k++)
	{
		const double *tk = theta + (size_t) k * P;
		double	   *gk = g + (size_t) k * P;

		for (int c = 1; c < P; c++)
		{
			pen += tk[c] * tk[c];
			gk[c] += mn->alpha * tk[c];
		}
	}
	f += 0.5 * mn->alpha * pen;
	return isfinite(f) ? f : NAN;
}

/*
 * lin_fit_multinomial fits the softmax model by L-BFGS with a backtracking
 * (Armijo) line search.
 */
static aml_status
lin_fit_multinomial(aml_env *env, lin_state *st, const aml_fit_input *in,
					int64_t n, double alpha, int max_iter, aml_error *err)
{
	int			K = st->n_out;
	int			P = st->n_coef;
	size_t		N = (size_t) K * P;
	int			M = LIN_LBFGS_MEM;
	lin_mn		mn;
	double	   *x = st->beta;
	double	   *g = NULL,
			   *xn = NULL,
			   *gn = NULL,
			   *d = NULL,
			   *S = NULL,
			   *Y = NULL,
			   *rho = NULL,
			   *a = NULL;
	double		f;
	int			hist = 0,
				head = 0;
	int			it;
	int			evals = 1;
	aml_status	status = AML_OK;

	memset(&mn, 0, sizeof(mn));
	mn.st = st;
	mn.in = in;
	mn.n = n;
	mn.alpha = alpha;
	mn.K = K;
	mn.P = P;
	mn.z = aml_malloc(env, sizeof(double) * (size_t) K);
	mn.cols = aml_malloc(env, sizeof(int32_t) * (size_t) (st->n_feat + 1));
	mn.vals = aml_malloc(env, sizeof(double) * (size_t) (st->n_feat + 1));
	g = aml_malloc(env, sizeof(double) * N);
	xn = aml_malloc(env, sizeof(double) * N);
	gn = aml_malloc(env, sizeof(double) * N);
	d = aml_malloc(env, sizeof(double) * N);
	S = aml_malloc(env, sizeof(double) * N * M);
	Y = aml_malloc(env, sizeof(double) * N * M);
	rho = aml_malloc(env, sizeof(double) * M);
	a = aml_malloc(env, sizeof(double) * M);
	if (!mn.z || !mn.cols || !mn.vals || !g || !xn || !gn || !d || !S || !Y ||
		!rho || !a)
	{
		status = aml_oom(env, err, sizeof(double) * N * M);
		goto done;
	}

	/* start from the log class priors */
	{
		double		wsum = 0.0;
		double		lsum = 0.0;

		memset(x, 0, sizeof(double) * N);
		for (int64_t r = 0; r < n; r++)
		{
			int64_t		i = in->rows ? in->rows[r] : r;
			double		wi = in->w ? in->w[i] : 1.0;

			x[(size_t) ((int) in->y[i]) * P] += wi;
			wsum += wi;
		}
		for (int k = 0; k < K; k++)
		{
			double		pk = x[(size_t) k * P] / wsum;

			x[(size_t) k * P] = log(pk > 1e-6 ? pk : 1e-6);
			lsum += x[(size_t) k * P];
		}
		for (int k = 0; k < K; k++)
			x[(size_t) k * P] -= lsum / K;
	}

	f = lin_mn_eval(env, &mn, x, g);
	if (f == -INFINITY)
		goto canceled;
	if (!isfinite(f))
	{
		status = aml_set_error(err, AML_ENUMERIC,
							   "multinomial regression failed: the objective is not finite");
		goto done;
	}

	for (it = 0; it < max_iter; it++)
	{
		double		gd = 0.0;
		double		t = 1.0;
		double		fn = NAN;
		int			accepted = 0;
		double		gmax = 0.0;

		if (lin_canceled(env, err))
		{
			status = AML_ECANCELED;
			goto done;
		}

		/* two-loop recursion: d = -H g */
		for (size_t q = 0; q < N; q++)
			d[q] = -g[q];
		for (int h = 0; h < hist; h++)
		{
			int			s = (head - 1 - h + M) % M;

			a[s] = rho[s] * lin_dot(S + (size_t) s * N, d, N);
			for (size_t q = 0; q < N; q++)
				d[q] -= a[s] * Y[(size_t) s * N + q];
		}
		if (hist > 0)
		{
			int			s = (head - 1 + M) % M;
			const double *ys = Y + (size_t) s * N;
			double		gamma = lin_dot(S + (size_t) s * N, ys, N) /
				lin_dot(ys, ys, N);

			for (size_t q = 0; q < N; q++)
				d[q] *= gamma;
		}
		else
		{
			double		gn2 = sqrt(lin_dot(g, g, N));

			if (gn2 > 0.0)
				for (size_t q = 0; q < N; q++)
					d[q] /= gn2;
		}
		for (int h = hist - 1; h >= 0; h--)
		{
			int			s = (head - 1 - h + M) % M;
			double		bb = rho[s] * lin_dot(Y + (size_t) s * N, d, N);

			for (size_t q = 0; q < N; q++)
				d[q] += (a[s] - bb) * S[(size_t) s * N + q];
		}
		gd = lin_dot(g, d, N);
		if (!(gd < 0.0))
		{
			/* not a descent direction: restart from steepest descent */
			double		gn2 = sqrt(lin_dot(g, g, N));

			if (!(gn2 > 0.0))
				break;
			hist = 0;
			head = 0;
			for (size_t q = 0; q < N; q++)
				d[q] = -g[q] / gn2;
			gd = -gn2;
		}

		for (int h = 0; h < 40; h++)
		{
			for (size_t q = 0; q < N; q++)
				xn[q] = x[q] + t * d[q];
			fn = lin_mn_eval(env, &mn, xn, gn);
			evals++;
			if (fn == -INFINITY)
				goto canceled;
			if (isfinite(fn) && fn <= f + 1e-4 * t * gd)
			{
				accepted = 1;
				break;
			}
			t *= 0.5;
		}
		if (!accepted)
			break;				/* no further decrease possible */

		/* update the history with s = xn - x, y = gn - g */
		{
			double	   *sv = S + (size_t) head * N;
			double	   *yv = Y + (size_t) head * N;
			double		sy;

			for (size_t q = 0; q < N; q++)
			{
				sv[q] = xn[q] - x[q];
				yv[q] = gn[q] - g[q];
			}
			sy = lin_dot(sv, yv, N);
			if (sy > 1e-12 * lin_dot(yv, yv, N) && sy > 0.0)
			{
				rho[head] = 1.0 / sy;
				head = (head + 1) % M;
				if (hist < M)
					hist++;
			}
		}
		memcpy(x, xn, sizeof(double) * N);
		memcpy(g, gn, sizeof(double) * N);
		for (size_t q = 0; q < N; q++)
			if (fabs(g[q]) > gmax)
				gmax = fabs(g[q]);
		if (f - fn <= LIN_LBFGS_TOL * fabs(fn) || gmax <= 1e-10)
		{
			f = fn;
			break;
		}
		f = fn;
	}

	aml_log(env, AML_LOG_DEBUG,
			"linear: multinomial L-BFGS stopped after %d iterations, %d evaluations, objective %.10g",
			it, evals, f);

	/* the intercepts are defined up to a shift: center them */
	{
		double		m0 = 0.0;

		for (int k = 0; k < K; k++)
			m0 += x[(size_t) k * P];
		m0 /= K;
		for (int k = 0; k < K; k++)
			x[(size_t) k * P] -= m0;
	}
	goto done;

canceled:
	status = aml_set_error(err, AML_ECANCELED, "linear model training was canceled");
done:
	aml_free(env, mn.z);
	aml_free(env, mn.cols);
	aml_free(env, mn.vals);
	aml_free(env, g);
	aml_free(env, xn);
	aml_free(env, gn);
	aml_free(env, d);
	aml_free(env, S);
	aml_free(env, Y);
	aml_free(env, rho);
	aml_free(env, a);
	return status;
}

/* ---------------------------------------------------------------- fit */

/*
 * lin_check_input validates the fit input: rows, labels and weights.
 */
static aml_status
lin_check_input(const aml_fit_input *in, int64_t n, aml_error *err)
{
	const aml_dataset *ds = in->ds;
	double		wsum = 0.0;

	if (ds == NULL || in->y == NULL || ds->n_feat < 0 ||
		(ds->n_feat > 0 && (ds->col == NULL || ds->kind == NULL)))
		return aml_set_error(err, AML_EINVAL, "linear model: invalid training input");
	if (in->task != AML_TASK_REGRESSION && in->task != AML_TASK_BINARY &&
		in->task != AML_TASK_MULTICLASS)
		return aml_set_error(err, AML_EINVAL, "linear model: unsupported task");
	if (in->task == AML_TASK_MULTICLASS && in->n_classes < 2)
		return aml_set_error(err, AML_EINVAL,
							 "multinomial regression needs at least 2 classes, got %d",
							 in->n_classes);
	if (n < 1)
		return aml_set_error(err, AML_EINVAL, "linear model: no training rows");
	for (int64_t r = 0; r < n; r++)
	{
		int64_t		i = in->rows ? in->rows[r] : r;
		double		y;

		if (i < 0 || i >= ds->n_rows)
			return aml_set_error(err, AML_EINVAL,
								 "linear model: training row %lld is out of range",
								 (long long) i);
		y = in->y[i];
		if (in->task == AML_TASK_REGRESSION)
		{
			if (!isfinite(y))
				return aml_set_error(err, AML_EINVAL,
									 "linear model: the target contains a non-finite value");
		}
		else
		{
			int			ncls = in->task == AML_TASK_BINARY ? 2 : in->n_classes;

			if (!(y >= 0.0 && y < ncls) || y != floor(y))
				return aml_set_error(err, AML_EINVAL,
									 "linear model: invalid class index %g", y);
		}
		if (in->w)
		{
			double		wi = in->w[i];

			if (!(wi >= 0.0) || !isfinite(wi))
				return aml_set_error(err, AML_EINVAL,
									 "linear model: sample weights must be finite and non-negative");
			wsum += wi;
		}
		else
			wsum += 1.0;
	}
	if (!(wsum > 0.0) || !isfinite(wsum))
		return aml_set_error(err, AML_EINVAL,
							 "linear model: the sample weights sum to zero");
	return AML_OK;
}

/*
 * lin_column_means stores the mean of every design column over the
 * training rows (unweighted): the reference point of explanations, whose
 * expected output is then the intercept plus the coefficients times these
 * means.
 */
static aml_status
lin_column_means(aml_env *env, lin_state *st, const aml_fit_input *in,
				 int64_t n, aml_error *err)
{
	int32_t    *cols = aml_malloc(env, (size_t) (st->n_feat + 1) * sizeof(int32_t));
	double	   *vals = aml_malloc(env, (size_t) (st->n_feat + 1) * sizeof(double));

	st->cmean = aml_calloc(env, (size_t) st->n_coef, sizeof(double));
	if (!cols || !vals || !st->cmean)
	{
		aml_free(env, cols);
		aml_free(env, vals);
		return aml_oom(env, err, (size_t) st->n_coef * sizeof(double));
	}
	for (int64_t r = 0; r < n; r++)
	{
		int			m = lin_gather(st, in->ds, in->rows ? in->rows[r] : r, cols, vals);

		for (int e = 0; e < m; e++)
			st->cmean[cols[e]] += vals[e];
	}
	for (int c = 0; c < st->n_coef; c++)
		st->cmean[c] = n > 0 ? st->cmean[c] / (double) n : 0.0;
	st->cmean[0] = 1.0;
	aml_free(env, cols);
	aml_free(env, vals);
	return AML_OK;
}

/*
 * linear_fit encodes the training rows and fits the model for the task.
 */
static aml_status
linear_fit(aml_env *env, const aml_fit_input *in, const aml_params *params,
		   void **state, aml_error *err)
{
	lin_state  *st;
	int64_t		n;
	double		alpha = lin_param(params, "alpha", 1.0);
	int			max_iter = (int) lin_param(params, "max_iter", 100);
	aml_status	status;
	size_t		fail;

	*state = NULL;
	if (in == NULL || in->ds == NULL)
		return aml_set_error(err, AML_EINVAL, "linear model: invalid training input");
	n = in->rows ? in->n_rows : (in->n_rows > 0 ? in->n_rows : in->ds->n_rows);
	status = lin_check_input(in, n, err);
	if (status != AML_OK)
		return status;
	if (!(alpha >= 0.0 && alpha <= LIN_ALPHA_MAX))
		return aml_set_error(err, AML_EINVAL,
							 "parameter \"alpha\" must be between 0 and 1000000");
	if (max_iter < 1 || max_iter > LIN_ITER_MAX)
		return aml_set_error(err, AML_EINVAL,
							 "parameter \"max_iter\" must be an integer between 1 and 10000");

	st = aml_calloc(env, 1, sizeof(lin_state));
	if (st == NULL)
		return aml_oom(env, err, sizeof(lin_state));
	st->task = in->task;
	st->n_classes = in->task == AML_TASK_REGRESSION ? 0 :
		in->task == AML_TASK_BINARY ? 2 : in->n_classes;
	if (in->task == AML_TASK_BINARY && in->n_classes > 0)
		st->n_classes = in->n_classes;
	st->n_out = aml_task_outputs(in->task, in->n_classes);
	fail = lin_alloc_features(env, st, in->ds->n_feat);
	if (fail)
	{
		lin_free_state(env, st);
		return aml_oom(env, err, fail);
	}
	status = lin_fit_encoding(st, in, n, err);
	if (status != AML_OK)
		goto fail;
	st->beta = aml_calloc(env, (size_t) st->n_out * st->n_coef, sizeof(double));
	if (st->beta == NULL)
	{
		status = aml_oom(env, err, (size_t) st->n_out * st->n_coef * sizeof(double));
		goto fail;
	}

	if (in->task == AML_TASK_MULTICLASS)
		status = lin_fit_multinomial(env, st, in, n, alpha, max_iter, err);
	else
	{
		lin_work	w;

		status = lin_work_alloc(env, st, n, &w, err);
		if (status != AML_OK)
			goto fail;
		if (in->task == AML_TASK_REGRESSION)
			status = lin_fit_ridge(env, st, in, n, alpha, &w, err);
		else
			status = lin_fit_logistic(env, st, in, n, alpha, max_iter, &w, err);
		lin_work_free(env, &w);
	}
	if (status != AML_OK)
		goto fail;

	for (size_t q = 0; q < (size_t) st->n_out * st->n_coef; q++)
		if (!isfinite(st->beta[q]))
		{
			status = aml_set_error(err, AML_ENUMERIC,
								   "linear model failed: a coefficient is not finite");
			goto fail;
		}
	fail = lin_derive(env, st);
	if (fail)
	{
		status = aml_oom(env, err, fail);
		goto fail;
	}
	status = lin_column_means(env, st, in, n, err);
	if (status != AML_OK)
		goto fail;
	*state = st;
	return AML_OK;

fail:
	lin_free_state(env, st);
	return status;
}

/* ---------------------------------------------------------------- predict */

/*
 * linear_predict scores rows straight from the dataset columns with the
 * folded coefficients; never allocates.
 */
static void
linear_predict(const void *state, const aml_dataset *ds, const int64_t *idx,
			   int64_t n, double *out)
{
	const lin_state *st = (const lin_state *) state;
	int			K = st->n_out;

	for (int64_t r = 0; r < n; r++)
	{
		int64_t		i = idx ? idx[r] : r;
		double	   *z = out + (size_t) r * K;

		for (int k = 0; k < K; k++)
			z[k] = st->b0[k];
		for (int j = 0; j < st->n_feat; j++)
		{
			float		v = ds->col[j][i];
			const double *wt;

			if (st->kind[j] == AML_FEAT_CATEGORICAL)
			{
				if (!(v >= 0.0f && v < (float) st->n_levels[j]))
					continue;
				wt = st->eff + (size_t) (st->off[j] + (int) v) * K;
				for (int k = 0; k < K; k++)
					z[k] += wt[k];
			}
			else if (isfinite(v))
			{
				if (st->off[j] < 0)
					continue;
				wt = st->eff + (size_t) st->off[j] * K;
				for (int k = 0; k < K; k++)
					z[k] += wt[k] * (double) v;
			}
			else
			{
				wt = st->fmiss + (size_t) j * K;
				for (int k = 0; k < K; k++)
					z[k] += wt[k];
			}
		}
		if (st->task == AML_TASK_BINARY)
			z[0] = aml_sigmoid(z[0]);
		else if (st->task == AML_TASK_MULTICLASS)
		{
			double		zmax = z[0];
			double		se = 0.0;

			for (int k = 1; k < K; k++)
				if (z[k] > zmax)
					zmax = z[k];
			for (int k = 0; k < K; k++)
			{
				z[k] = exp(z[k] - zmax);
				se += z[k];
			}
			for (int k = 0; k < K; k++)
				z[k] /= se;
		}
	}
}

/* ---------------------------------------------------------------- format */

/*
 * linear_write serializes the encoding and the standardized coefficients.
 */
static void
linear_write(const void *state, aml_wbuf *b)
{
	const lin_state *st = (const lin_state *) state;

	aml_w_u8(b, st->cmean ? LIN_VERSION : 1);
	aml_w_u8(b, (uint8_t) st->task);
	aml_w_i32(b, st->n_classes);
	aml_w_i32(b, st->n_out);
	aml_w_i32(b, st->n_feat);
	aml_w_i32(b, st->n_coef);
	for (int j = 0; j < st->n_feat; j++)
	{
		aml_w_u8(b, st->kind[j]);
		aml_w_i32(b, st->n_levels[j]);
		aml_w_u8(b, st->has_val[j]);
		aml_w_u8(b, st->has_miss[j]);
		aml_w_f64(b, st->mean[j]);
		aml_w_f64(b, st->scale[j]);
	}
	aml_w_f64s(b, st->beta, (size_t) st->n_out * st->n_coef);
	if (st->cmean)
		aml_w_f64s(b, st->cmean, (size_t) st->n_coef);
}

/* Serialized bytes per feature. */
#define LIN_FEAT_BYTES (1 + 4 + 1 + 1 + 8 + 8)

/*
 * lin_corrupt fills err for a malformed serialized linear model.
 */
static aml_status
lin_corrupt(aml_error *err, const char *what)
{
	aml_set_error(err, AML_EFORMAT, "corrupt automl model: invalid linear learner data");
	aml_set_detail(err, "%s", what);
	return AML_EFORMAT;
}

/*
 * linear_read deserializes a state, validating every count against the
 * schema and the bytes left in the buffer.
 */
static aml_status
linear_read(aml_env *env, aml_rbuf *b, const aml_dataset *schema,
			aml_task task, int n_classes, void **state, aml_error *err)
{
	lin_state  *st;
	uint8_t		version = 0,
				stask = 0;
	int32_t		ncls = 0,
				nout = 0,
				nfeat = 0,
				ncoef = 0;
	size_t		ncoefs;
	size_t		fail;
	aml_status	status;

	*state = NULL;
	if (aml_r_u8(b, &version) || aml_r_u8(b, &stask) ||
		aml_r_i32(b, &ncls) || aml_r_i32(b, &nout) ||
		aml_r_i32(b, &nfeat) || aml_r_i32(b, &ncoef))
		return lin_corrupt(err, "The linear learner header is truncated.");
	if (version != 1 && version != LIN_VERSION)
		return lin_corrupt(err, "Unknown linear learner format version.");
	if (stask != (uint8_t) task ||
		(task != AML_TASK_REGRESSION && task != AML_TASK_BINARY &&
		 task != AML_TASK_MULTICLASS))
		return lin_corrupt(err, "The linear learner was fitted for another task.");
	if (task == AML_TASK_MULTICLASS &&
		(ncls != n_classes || ncls < 2 || nout != n_classes))
		return lin_corrupt(err, "The number of classes does not match.");
	if (task != AML_TASK_MULTICLASS && nout != 1)
		return lin_corrupt(err, "The number of outputs does not match.");
	if (task == AML_TASK_BINARY && ncls != 2 && ncls != n_classes)
		return lin_corrupt(err, "The number of classes does not match.");
	if (schema == NULL || nfeat != schema->n_feat || nfeat < 0)
		return lin_corrupt(err, "The number of features does not match the schema.");
	if ((size_t) nfeat > aml_r_left(b) / LIN_FEAT_BYTES)
		return lin_corrupt(err, "The feature list is truncated.");
	if (ncoef < 1 || ncoef > LIN_MAX_COEF)
		return lin_corrupt(err, "The number of coefficients is out of range.");

	st = aml_calloc(env, 1, sizeof(lin_state));
	if (st == NULL)
		return aml_oom(env, err, sizeof(lin_state));
	st->task = task;
	st->n_classes = ncls;
	st->n_out = nout;
	fail = lin_alloc_features(env, st, nfeat);
	if (fail)
	{
		lin_free_state(env, st);
		return aml_oom(env, err, fail);
	}
	for (int j = 0; j < nfeat; j++)
	{
		uint8_t		kind = 0;
		int32_t		nlev = 0;
		int			slev = schema->n_levels ? schema->n_levels[j] : 0;

		if (aml_r_u8(b, &kind) || aml_r_i32(b, &nlev) ||
			aml_r_u8(b, &st->has_val[j]) || aml_r_u8(b, &st->has_miss[j]) ||
			aml_r_f64(b, &st->mean[j]) || aml_r_f64(b, &st->scale[j]))
		{
			status = lin_corrupt(err, "The feature list is truncated.");
			goto fail;
		}
		if ((kind != AML_FEAT_NUMERIC && kind != AML_FEAT_CATEGORICAL) ||
			kind != (uint8_t) schema->kind[j] || nlev != slev)
		{
			status = lin_corrupt(err, "A feature does not match the schema.");
			goto fail;
		}
		st->kind[j] = kind;
		st->n_levels[j] = nlev;
		if (st->has_val[j] > 1 || st->has_miss[j] > 1 ||
			!isfinite(st->mean[j]) || !isfinite(st->scale[j]) ||
			st->scale[j] < 0.0)
		{
			status = lin_corrupt(err, "A feature's encoding is out of range.");
			goto fail;
		}
		if (kind == AML_FEAT_CATEGORICAL)
		{
			if (nlev < 0 || nlev > LIN_MAX_COEF || st->has_miss[j] ||
				st->has_val[j] != (nlev > 0))
			{
				status = lin_corrupt(err, "A categorical feature's encoding is out of range.");
				goto fail;
			}
		}
		else if (nlev != 0 || (st->has_val[j] != (st->scale[j] > 0.0)))
		{
			status = lin_corrupt(err, "A numeric feature's encoding is out of range.");
			goto fail;
		}
	}
	if (lin_layout(st) != 0 || st->n_coef != ncoef)
	{
		status = lin_corrupt(err, "The number of coefficients does not match the features.");
		goto fail;
	}
	ncoefs = (size_t) nout * (size_t) ncoef;
	if (ncoefs > aml_r_left(b) / sizeof(double))
	{
		status = lin_corrupt(err, "The coefficients are truncated.");
		goto fail;
	}
	if (aml_r_f64s(b, env, &st->beta, ncoefs))
	{
		status = aml_oom(env, err, ncoefs * sizeof(double));
		goto fail;
	}
	for (size_t q = 0; q < ncoefs; q++)
		if (!isfinite(st->beta[q]))
		{
			status = lin_corrupt(err, "A coefficient is not finite.");
			goto fail;
		}
	if (version >= 2)
	{
		if ((size_t) ncoef > aml_r_left(b) / sizeof(double))
		{
			status = lin_corrupt(err, "The column means are truncated.");
			goto fail;
		}
		if (aml_r_f64s(b, env, &st->cmean, (size_t) ncoef))
		{
			status = aml_oom(env, err, (size_t) ncoef * sizeof(double));
			goto fail;
		}
		for (int c = 0; c < ncoef; c++)
			if (!isfinite(st->cmean[c]))
			{
				status = lin_corrupt(err, "A column mean is not finite.");
				goto fail;
			}
	}
	fail = lin_derive(env, st);
	if (fail)
	{
		status = aml_oom(env, err, fail);
		goto fail;
	}
	*state = st;
	return AML_OK;

fail:
	lin_free_state(env, st);
	return status;
}

/* ---------------------------------------------------------------- importance */

/*
 * linear_importance adds the absolute standardized coefficients of each
 * source feature (summed over its columns and over classes) into imp.
 */
static void
linear_importance(const void *state, int n_feat, double *imp)
{
	const lin_state *st = (const lin_state *) state;
	int			nf = n_feat < st->n_feat ? n_feat : st->n_feat;
	int			P = st->n_coef;

	for (int j = 0; j < nf; j++)
	{
		double		s = 0.0;

		for (int k = 0; k < st->n_out; k++)
		{
			const double *bk = st->beta + (size_t) k * P;

			if (st->kind[j] == AML_FEAT_CATEGORICAL)
			{
				for (int l = 0; l < st->n_levels[j]; l++)
					s += fabs(bk[st->off[j] + l]);
			}
			else
			{
				if (st->off[j] >= 0)
					s += fabs(bk[st->off[j]]);
				if (st->moff[j] >= 0)
					s += fabs(bk[st->moff[j]]);
			}
		}
		imp[j] += s;
	}
}

/* ---------------------------------------------------------------- explain */

/*
 * aml_linear_contrib explains dataset row i for output k in the margin
 * (link) space: phi[j] (n_feat, overwritten) is the coefficients times the
 * row's design columns minus their training means, summed over the
 * columns of feature j, and the return value is the expected margin (the
 * intercept plus the coefficients times the means), so that it plus the
 * sum of phi is exactly the row's margin.  A version 1 model has no means:
 * its reference point is then every design column at zero.
 */
double
aml_linear_contrib(const void *state, const aml_dataset *ds, int64_t i,
				   int k, double *phi)
{
	const lin_state *st = (const lin_state *) state;
	const double *bk = st->beta + (size_t) k * st->n_coef;
	const double *mu = st->cmean;
	double		base = bk[0];

	for (int j = 0; j < st->n_feat; j++)
	{
		float		v = ds->col[j][i];
		double		c = 0.0;

		if (st->kind[j] == AML_FEAT_CATEGORICAL)
		{
			for (int l = 0; l < st->n_levels[j] && mu; l++)
				c -= bk[st->off[j] + l] * mu[st->off[j] + l];
			if (v >= 0.0f && v < (float) st->n_levels[j])
				c += bk[st->off[j] + (int) v];
		}
		else
		{
			if (st->off[j] >= 0)
			{
				double		z = isfinite(v) ? ((double) v - st->mean[j]) * st->scale[j] : 0.0;

				c += bk[st->off[j]] * (z - (mu ? mu[st->off[j]] : 0.0));
			}
			if (st->moff[j] >= 0)
				c += bk[st->moff[j]] * ((isfinite(v) ? 0.0 : 1.0) - (mu ? mu[st->moff[j]] : 0.0));
		}
		phi[j] = c;
	}
	for (int c = 1; c < st->n_coef && mu; c++)
		base += bk[c] * mu[c];
	return base;
}

const aml_learner_ops aml_linear_ops = {
	.algo = AML_ALGO_LINEAR,
	.name = "linear",
	.fit = linear_fit,
	.predict = linear_predict,
	.write = linear_write,
	.read = linear_read,
	.free_state = lin_free_state,
	.check_params = linear_check_params,
	.importance = linear_importance,
};
