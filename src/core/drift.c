/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  Input drift: the population stability index (PSI) of a column's
 *	  distribution on new rows against its distribution on the training
 *	  rows, over bins fixed at training time (quantile bins of a number or
 *	  a date, the most frequent levels of a category, plus "other" and
 *	  "missing").
 *
 * Training writes each input column's bins and training shares into the
 * model's feature profile (train.c, "distribution"); automl_drift (the
 * glue) counts new rows into the same bins and calls aml_psi.  Pure
 * functions of arrays.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>

#include "aml.h"

/*
 * aml_drift_edges writes at most n_bins - 1 increasing interior edges of
 * the quantile bins of sorted[0..n) (ascending, no NaN): the values at
 * ranks k * (n - 1) / n_bins, k = 1 .. n_bins - 1, without repeats and
 * below the maximum (a value equal to an edge falls in the bin below it,
 * so an edge at the maximum would leave the last bin empty).  Returns the
 * number of edges (0 for a constant column or no values).
 */
int
aml_drift_edges(const double *sorted, int64_t n, int n_bins, double *edges)
{
	int			k = 0;

	if (n <= 0 || n_bins < 2)
		return 0;
	for (int b = 1; b < n_bins; b++)
	{
		double		e = sorted[(int64_t) floor((double) b * (double) (n - 1) / n_bins)];

		if (e < sorted[n - 1] && (k == 0 || e > edges[k - 1]))
			edges[k++] = e;
	}
	return k;
}

/*
 * aml_drift_bin returns the bin of x among n_edges increasing edges: 0
 * for x <= edges[0], k for edges[k-1] < x <= edges[k], n_edges above the
 * last edge.  x must not be NaN (missing values have their own bin).
 */
int
aml_drift_bin(const double *edges, int n_edges, double x)
{
	int			lo = 0,
				hi = n_edges;

	/* the number of edges below x: a count without branches for few edges */
	if (n_edges <= 16)
	{
		int			b = 0;

		for (int i = 0; i < n_edges; i++)
			b += edges[i] < x;
		return b;
	}
	/* the first edge >= x */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (edges[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * aml_psi returns the population stability index of the shares actual[]
 * against expected[] over n bins: sum of (a - e) * ln(a / e), each share
 * floored at AML_PSI_FLOOR so that a bin empty on one side counts as a
 * large, finite change.  Shares need not sum to exactly 1.
 */
double
aml_psi(int n, const double *expected, const double *actual)
{
	double		psi = 0;

	for (int i = 0; i < n; i++)
	{
		double		e = expected[i] > AML_PSI_FLOOR ? expected[i] : AML_PSI_FLOOR,
					a = actual[i] > AML_PSI_FLOOR ? actual[i] : AML_PSI_FLOOR;

		psi += (a - e) * log(a / e);
	}
	return psi;
}
