/*-------------------------------------------------------------------------
 *
 * harness.h
 *	  A minimal unit-test harness for the core: each test file is its own
 *	  program; CHECK records a failure and goes on; the program prints
 *	  "N passed, N failed" and exits nonzero on any failure.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_HARNESS_H
#define AML_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int	h_passed = 0;
static int	h_failed = 0;
static int	h_case_failed = 0;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		h_case_failed = 1; \
	} } while (0)

#define CHECK_NEAR(a, b, tol) do { \
	double h_a_ = (a), h_b_ = (b); \
	if (!(fabs(h_a_ - h_b_) <= (tol))) { \
		fprintf(stderr, "  %s:%d: %s = %.10g, expected %.10g (tol %g)\n", \
				__FILE__, __LINE__, #a, h_a_, h_b_, (double) (tol)); \
		h_case_failed = 1; \
	} } while (0)

#define RUN(fn) do { \
	h_case_failed = 0; \
	fn(); \
	if (h_case_failed) { h_failed++; printf("not ok - %s\n", #fn); } \
	else { h_passed++; printf("ok - %s\n", #fn); } \
	fflush(stdout); \
	} while (0)

#define DONE() do { \
	printf("%d passed, %d failed\n", h_passed, h_failed); \
	return h_failed ? 1 : 0; \
	} while (0)

#endif
