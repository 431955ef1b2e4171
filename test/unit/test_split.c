/*-------------------------------------------------------------------------
 *
 * test_split.c
 *	  Unit tests of the time-ordered split (option time_column): the test
 *	  rows are exactly the latest labelled rows, rows without a time train,
 *	  ties are ordered by the seed, every validation fold comes after the
 *	  rows it is fitted on, and aml_train honours the option and its
 *	  errors.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "harness.h"

#define N 400

/* times with ties (50 distinct days), some missing; some rows unlabelled */
static void
make_rows(float *y, double *t)
{
	for (int i = 0; i < N; i++)
	{
		y[i] = i % 10 == 9 ? NAN : (float) (i % 3);
		t[i] = i % 13 == 0 ? NAN : (double) ((i * 37) % 50) * 86400.0;
	}
}

static void
test_test_rows_are_latest(void)
{
	aml_env		env;
	aml_error	err;
	float		y[N];
	double		t[N];
	int			part[N],
				again[N],
				other[N];
	int64_t		no_time = -1,
				labelled = 0,
				no_time_seen = 0,
				ntest = 0;
	double		min_test = INFINITY,
				max_train = -INFINITY;

	aml_env_init(&env);
	make_rows(y, t);
	CHECK(aml_split_time(&env, N, y, t, 0.2, 6, 7, part, &no_time, &err) == AML_OK);
	for (int i = 0; i < N; i++)
	{
		if (isnan(y[i]))
		{
			CHECK(part[i] == AML_PART_UNLABELLED);
			continue;
		}
		labelled++;
		if (isnan(t[i]))
		{
			/* rows without a time train, in the block that is never validated */
			CHECK(part[i] == 0);
			no_time_seen++;
			continue;
		}
		CHECK(part[i] >= AML_PART_TEST && part[i] < 6);
		if (part[i] == AML_PART_TEST)
		{
			ntest++;
			min_test = fmin(min_test, t[i]);
		}
		else
			max_train = fmax(max_train, t[i]);
	}
	CHECK(no_time == no_time_seen && no_time > 0);
	/* the latest round(0.2 x labelled) rows, nothing earlier */
	CHECK(ntest == (int64_t) floor(0.2 * (double) labelled + 0.5));
	CHECK(min_test >= max_train);
	for (int i = 0; i < N; i++)
		if (!isnan(y[i]) && !isnan(t[i]))
		{
			if (t[i] > min_test)
				CHECK(part[i] == AML_PART_TEST);
			if (t[i] < min_test)
				CHECK(part[i] >= 0);
		}
	/* the boundary day is shared: its tie is broken, not dropped */
	{
		int			tie_test = 0,
					tie_train = 0;

		for (int i = 0; i < N; i++)
			if (!isnan(y[i]) && t[i] == min_test)
			{
				tie_test += part[i] == AML_PART_TEST;
				tie_train += part[i] >= 0;
			}
		CHECK(tie_test > 0 && tie_train > 0);
	}
	/* deterministic for a seed; the seed orders the ties */
	CHECK(aml_split_time(&env, N, y, t, 0.2, 6, 7, again, &no_time, &err) == AML_OK);
	CHECK(memcmp(part, again, sizeof(part)) == 0);
	CHECK(aml_split_time(&env, N, y, t, 0.2, 6, 8, other, &no_time, &err) == AML_OK);
	CHECK(memcmp(part, other, sizeof(part)) != 0);
	for (int i = 0; i < N; i++)
		if (!isnan(y[i]) && !isnan(t[i]) && t[i] != min_test)
			CHECK((part[i] == AML_PART_TEST) == (other[i] == AML_PART_TEST));
	CHECK(env.mem_used == 0);
}

static void
test_blocks_in_time_order(void)
{
	aml_env		env;
	aml_error	err;
	float		y[N];
	double		t[N];
	int			part[N];
	int64_t		no_time,
				size[6] = {0},
				dated = 0;

	aml_env_init(&env);
	make_rows(y, t);
	CHECK(aml_split_time(&env, N, y, t, 0.2, 6, 7, part, &no_time, &err) == AML_OK);
	for (int i = 0; i < N; i++)
	{
		if (isnan(y[i]) || isnan(t[i]) || part[i] < 0)
			continue;
		size[part[i]]++;
		dated++;
		/* a later time is never in an earlier block */
		for (int j = 0; j < N; j++)
			if (!isnan(y[j]) && !isnan(t[j]) && part[j] >= 0 && t[j] > t[i])
				CHECK(part[j] >= part[i]);
	}
	/* near-equal blocks */
	for (int b = 0; b < 6; b++)
		CHECK(size[b] >= dated / 6 && size[b] <= dated / 6 + 1);
}

static void
test_folds_validate_forward(void)
{
	aml_env		env;
	aml_error	err;
	float		y[N];
	double		t[N];
	int			part[N];
	int64_t		no_time,
				train[N],
				n_train = 0,
				fit[N],
				val[N],
				nf,
				nv;

	aml_env_init(&env);
	make_rows(y, t);
	CHECK(aml_split_time(&env, N, y, t, 0.2, 6, 7, part, &no_time, &err) == AML_OK);
	for (int i = 0; i < N; i++)
		if (part[i] >= 0)
			train[n_train++] = i;
	for (int k = 1; k < 6; k++)
	{
		double		max_fit = -INFINITY,
					min_val = INFINITY;
		int			no_time_fit = 0;

		aml_fold_rows(part, 1, k, train, n_train, fit, &nf, val, &nv);
		CHECK(nf > 0 && nv > 0);
		for (int64_t r = 0; r < nf; r++)
		{
			CHECK(part[fit[r]] >= 0 && part[fit[r]] < k);
			if (isnan(t[fit[r]]))
				no_time_fit++;
			else
				max_fit = fmax(max_fit, t[fit[r]]);
		}
		for (int64_t r = 0; r < nv; r++)
		{
			CHECK(part[val[r]] == k && !isnan(t[val[r]]));
			min_val = fmin(min_val, t[val[r]]);
		}
		/* validation comes after (or on the same day as) every fitted row */
		CHECK(min_val >= max_fit);
		CHECK(no_time_fit == (int) no_time);
		/* the fold fits on every earlier row: fit + val = blocks 0..k */
		{
			int64_t		upto = 0;

			for (int64_t r = 0; r < n_train; r++)
				upto += part[train[r]] <= k;
			CHECK(nf + nv == upto);
		}
	}
	/* the random split's folds fit on every other row */
	aml_fold_rows(part, 0, 2, train, n_train, fit, &nf, val, &nv);
	CHECK(nf + nv == n_train);
}

/* a table whose target drifts with time: d (date), x, y; reversed order */
static aml_frame *
drift_frame(aml_env *env, int n)
{
	aml_error	err;
	aml_frame  *f = aml_frame_create(env, &err);

	aml_frame_add_column(f, "d", AML_COL_DATETIME, "date", 0, 0, &err);
	aml_frame_add_column(f, "x", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "c", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_reserve(f, n, &err);
	for (int i = 0; i < n; i++)
	{
		int			day = n - 1 - i;
		double		x = (double) ((i * 7919) % 100) / 10.0;

		aml_frame_set_datetime(f, 0, i, i % 50 == 0 ? NAN : (double) day * 86400.0);
		aml_frame_set_numeric(f, 1, i, x);
		aml_frame_set_code(f, 2, i, aml_frame_level_code(f, 2, i % 2 ? "a" : "b", 1, &err));
		aml_frame_set_numeric(f, 3, i, 2.0 * x + 0.01 * day);
	}
	aml_frame_set_rows(f, n);
	return f;
}

static void
test_train_with_time_column(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_frame  *f;
	aml_model  *m = NULL;
	aml_report *r = NULL;

	aml_env_init(&env);
	f = drift_frame(&env, 300);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.time_column = "d";
	o.algorithms = 1u << AML_ALGO_LINEAR;
	o.budget_seconds = 5;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (r)
	{
		/* 6 rows without a date train; the test split is 20% of 300 */
		CHECK(aml_report_test_rows(r) == 60);
		CHECK(aml_report_train_rows(r) == 240);
		CHECK(r->time_col == 0);
		CHECK(r->time_missing == 6);
		CHECK(r->val_folds == 5);
		CHECK(aml_report_test_score(r) < 1.0);
	}
	aml_model_free(m);
	aml_report_free(r);
	m = NULL;
	r = NULL;

	/* a numeric column orders the split too */
	o.time_column = "x";
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (r)
		CHECK(r->time_col == 1 && r->time_missing == 0);
	aml_model_free(m);
	aml_report_free(r);
	m = NULL;
	r = NULL;

	/* errors */
	o.time_column = "nope";
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "time column \"nope\" does not exist") != NULL);
	o.time_column = "y";
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "is the target") != NULL);
	o.time_column = "c";
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "is not a date, timestamp or number") != NULL);
	CHECK(m == NULL && r == NULL);
	aml_frame_free(f);
}

static void
test_all_times_missing(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_frame  *f;
	aml_model  *m = NULL;
	aml_report *r = NULL;

	aml_env_init(&env);
	f = drift_frame(&env, 100);
	for (int i = 0; i < 100; i++)
		aml_frame_set_datetime(f, 0, i, NAN);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.time_column = "d";
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "is NULL in every row with a target") != NULL);
	aml_frame_free(f);
}

int
main(void)
{
	RUN(test_test_rows_are_latest);
	RUN(test_blocks_in_time_order);
	RUN(test_folds_validate_forward);
	RUN(test_train_with_time_column);
	RUN(test_all_times_missing);
	DONE();
}
