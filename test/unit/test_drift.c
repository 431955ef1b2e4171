/*-------------------------------------------------------------------------
 *
 * test_drift.c
 *	  Unit tests of drift.c: quantile edges (ties, constant columns, the
 *	  maximum), bins at and between edges, the population stability index
 *	  against values computed by hand, its floor for empty bins; and the
 *	  "distribution" training writes into the feature profile.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "aml_int.h"
#include "harness.h"

static void
test_edges(void)
{
	double		v[100],
				e[AML_DRIFT_BINS];
	double		ties[] = {1, 1, 1, 1, 1, 1, 2, 2, 3, 9};
	double		constant[] = {4, 4, 4, 4};
	int			n;

	for (int i = 0; i < 100; i++)
		v[i] = i;
	/* deciles of 0..99: ranks 9.9, 19.8, ... floored */
	n = aml_drift_edges(v, 100, 10, e);
	CHECK(n == 9);
	CHECK(e[0] == 9 && e[1] == 19 && e[4] == 49 && e[8] == 89);
	/* repeated values give one edge; none at the maximum */
	n = aml_drift_edges(ties, 10, 10, e);
	CHECK(n == 3);
	CHECK(e[0] == 1 && e[1] == 2 && e[2] == 3);
	CHECK(aml_drift_edges(constant, 4, 10, e) == 0);
	CHECK(aml_drift_edges(v, 0, 10, e) == 0);
	CHECK(aml_drift_edges(v, 100, 1, e) == 0);
}

static void
test_bins(void)
{
	double		e[] = {1, 2, 3};

	/* (-inf, 1], (1, 2], (2, 3], (3, inf) */
	CHECK(aml_drift_bin(e, 3, -5) == 0);
	CHECK(aml_drift_bin(e, 3, 1) == 0);
	CHECK(aml_drift_bin(e, 3, 1.5) == 1);
	CHECK(aml_drift_bin(e, 3, 2) == 1);
	CHECK(aml_drift_bin(e, 3, 3) == 2);
	CHECK(aml_drift_bin(e, 3, 3.0001) == 3);
	CHECK(aml_drift_bin(e, 0, 42) == 0);
	/* more edges than the branch-free count takes: the binary search agrees */
	{
		double		many[40];

		for (int i = 0; i < 40; i++)
			many[i] = i;
		for (double x = -1.5; x < 41; x += 0.25)
		{
			int			want = 0;

			for (int i = 0; i < 40; i++)
				want += many[i] < x;
			CHECK(aml_drift_bin(many, 40, x) == want);
			CHECK(aml_drift_bin(many, 10, x) == (want < 10 ? want : 10));
		}
	}
}

static void
test_psi(void)
{
	double		e2[] = {0.5, 0.5},
				a2[] = {0.7, 0.3},
				same[] = {0.2, 0.3, 0.5},
				empty[] = {0.0, 0.5, 0.5},
				full[] = {0.5, 0.25, 0.25};
	double		want = 0.2 * log(0.7 / 0.5) + (-0.2) * log(0.3 / 0.5);

	CHECK(fabs(aml_psi(2, e2, a2) - want) < 1e-12);
	CHECK(fabs(want - 0.169459) < 1e-6);
	CHECK(aml_psi(3, same, same) == 0);
	/* an empty bin counts at the floor: large but finite */
	{
		double		p = aml_psi(3, empty, full);
		double		w = (0.5 - AML_PSI_FLOOR) * log(0.5 / AML_PSI_FLOOR) +
			(0.25 - 0.5) * log(0.25 / 0.5) * 2;

		CHECK(isfinite(p) && fabs(p - w) < 1e-12);
		CHECK(p > AML_PSI_MAJOR);
	}
	/* symmetric in its two arguments */
	CHECK(fabs(aml_psi(2, e2, a2) - aml_psi(2, a2, e2)) < 1e-15);
}

int
main(void)
{
	RUN(test_edges);
	RUN(test_bins);
	RUN(test_psi);
	DONE();
}
