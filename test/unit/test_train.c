/*-------------------------------------------------------------------------
 *
 * test_train.c
 *	  Unit tests of the whole core pipeline: frame -> aml_train -> model,
 *	  serialization round trips, corrupt blobs, task detection, errors,
 *	  cancellation and the memory budget.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aml.h"
#include "model.h"
#include "search.h"
#include "harness.h"

/* a synthetic table: x1 numeric, x2 categorical, d date, y = f(x1, x2) */
static aml_frame *
make_frame(aml_env *env, int n, int task)
{
	aml_error	err;
	aml_frame  *f = aml_frame_create(env, &err);
	static const char *const lv[] = {"a", "b", "c", "d"};
	uint64_t	s = 12345;

	aml_frame_add_column(f, "x1", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "x2", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_add_column(f, "d", AML_COL_DATETIME, "date", 0, 0, &err);
	aml_frame_add_column(f, "y", task == 2 ? AML_COL_NUMERIC : AML_COL_CATEGORICAL,
						 task == 2 ? "float8" : "text", 0, 0, &err);
	aml_frame_reserve(f, n, &err);
	for (int i = 0; i < n; i++)
	{
		double		x1;
		int			c;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		x1 = (double) (s >> 11) / 9007199254740992.0 * 10.0;
		c = (int) ((s >> 7) % 4);
		aml_frame_set_numeric(f, 0, i, i % 17 == 0 ? NAN : x1);
		aml_frame_set_code(f, 1, i, aml_frame_level_code(f, 1, lv[c], 1, &err));
		aml_frame_set_datetime(f, 2, i, (double) (i % 365) * 86400.0);
		if (task == 2)
			aml_frame_set_numeric(f, 3, i, 3.0 * (isnan(x1) ? 5 : x1) + c * 2.0);
		else
		{
			const char *lab = (x1 > 5.0) != (c == 3) ? "yes" : "no";

			aml_frame_set_code(f, 3, i, aml_frame_level_code(f, 3, lab, strlen(lab), &err));
		}
	}
	aml_frame_set_rows(f, n);
	return f;
}

/*
 * converging_options: make_frame's target (column 3) and no budget, so the
 * search ends by convergence and the outcome does not depend on the clock
 */
static void
converging_options(aml_train_options *o)
{
	aml_train_options_init(o);
	o->target_col = 3;
	o->budget_seconds = 0;
}

static void
test_binary_end_to_end(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL,
			   *m2 = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	size_t		size;
	uint8_t    *buf;
	double		in[3],
				out1,
				out2;
	void	   *scratch;

	aml_env_init(&env);
	f = make_frame(&env, 600, 0);
	aml_train_options_init(&o);
	o.target_col = 3;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
		return;
	CHECK(aml_model_task(m) == AML_TASK_BINARY);
	CHECK(strcmp(aml_model_class_label(m, 0), "no") == 0);
	CHECK(strcmp(aml_model_class_label(m, 1), "yes") == 0);
	CHECK(strcmp(aml_report_metric(r), "roc_auc") == 0);
	CHECK(aml_report_test_score(r) > 0.9);
	CHECK(aml_report_test_score(r) > aml_report_baseline_score(r));
	CHECK(aml_report_train_rows(r) + aml_report_test_rows(r) == 600);
	CHECK(aml_report_n_candidates(r) >= 3);
	CHECK(aml_model_n_inputs(m) == 3);

	/* round trip: identical predictions, and the bytes are stable */
	size = aml_model_serialized_size(m);
	buf = malloc(size);
	CHECK(aml_model_serialize(m, buf, size, &err) == AML_OK);
	CHECK(memcmp(buf, "AML", 4) == 0);
	CHECK(aml_model_deserialize(&env, buf, size, &m2, &err) == AML_OK);
	if (m2)
	{
		uint8_t    *buf2 = malloc(size);

		CHECK(aml_model_serialized_size(m2) == size);
		CHECK(aml_model_serialize(m2, buf2, size, &err) == AML_OK);
		CHECK(memcmp(buf, buf2, size) == 0);
		free(buf2);
		scratch = malloc(aml_model_scratch_size(m));
		for (int i = 0; i < 50; i++)
		{
			in[0] = i * 0.2;
			in[1] = aml_model_input_code(m, 1, i % 2 ? "d" : "zz", i % 2 ? 1 : 2);
			in[2] = i * 86400.0 * 7;
			aml_model_predict(m, 1, in, &out1, scratch);
			aml_model_predict(m2, 1, in, &out2, scratch);
			CHECK(out1 == out2);
			CHECK(out1 >= 0 && out1 <= 1);
		}
		free(scratch);
		aml_model_free(m2);
	}

	/*
	 * the scorer: the same outputs as aml_model_predict for any thread count
	 * and row count (none, part of a block, several blocks and a remainder)
	 */
	{
		int64_t		nr = 1500;
		double	   *rin = malloc(sizeof(double) * 3 * nr);
		double	   *ref = malloc(sizeof(double) * nr);
		double	   *got = malloc(sizeof(double) * nr);

		scratch = malloc(aml_model_scratch_size(m));
		for (int64_t i = 0; i < nr; i++)
		{
			rin[i * 3] = i % 7 == 0 ? NAN : (i % 97) * 0.13;
			rin[i * 3 + 1] = aml_model_input_code(m, 1, i % 3 ? "d" : "zz", i % 3 ? 1 : 2);
			rin[i * 3 + 2] = (i % 53) * 86400.0 * 3;
		}
		aml_model_predict(m, nr, rin, ref, scratch);
		for (int th = 1; th <= 3; th++)
		{
			aml_scorer *sc = aml_scorer_create(&env, m, th);
			int64_t		ns[] = {0, 1, 7, 256, 300, 1500};

			CHECK(sc != NULL);
			if (sc == NULL)
				continue;
			for (int k = 0; k < 6; k++)
			{
				int			same = 1;

				for (int64_t i = 0; i < nr; i++)
					got[i] = -1.0;
				aml_scorer_predict(sc, ns[k], rin, got);
				for (int64_t i = 0; i < nr; i++)
					if (i < ns[k] ? got[i] != ref[i] : got[i] != -1.0)
						same = 0;
				CHECK(same);

				/* started, then waited for: the same */
				for (int64_t i = 0; i < nr; i++)
					got[i] = -1.0;
				aml_scorer_start(sc, ns[k], rin, got);
				aml_scorer_wait(sc);
				aml_scorer_wait(sc);	/* nothing started: returns */
				for (int64_t i = 0; i < nr; i++)
					if (i < ns[k] ? got[i] != ref[i] : got[i] != -1.0)
						same = 0;
				CHECK(same);
			}
			/* freeing a scorer with a started job waits for it */
			aml_scorer_start(sc, nr, rin, got);
			aml_scorer_free(sc);
		}
		free(scratch);
		free(rin);
		free(ref);
		free(got);
	}

	/* every truncation and many bit flips are refused, never a crash */
	for (size_t cut = 0; cut < size; cut += (size > 4000 ? 7 : 1))
	{
		aml_model  *bad = NULL;

		CHECK(aml_model_deserialize(&env, buf, cut, &bad, &err) == AML_EFORMAT);
		CHECK(bad == NULL);
	}
	for (size_t pos = 0; pos < size; pos += (size > 4000 ? size / 1000 : 3))
	{
		aml_model  *bad = NULL;

		buf[pos] ^= 0x10;
		CHECK(aml_model_deserialize(&env, buf, size, &bad, &err) == AML_EFORMAT);
		buf[pos] ^= 0x10;
		aml_model_free(bad);
	}
	free(buf);
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

static void
test_regression_and_manual(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;

	aml_env_init(&env);
	f = make_frame(&env, 400, 2);
	aml_train_options_init(&o);
	o.target_col = 3;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(m && aml_model_task(m) == AML_TASK_REGRESSION);
	CHECK(r && strcmp(aml_report_metric(r), "rmse") == 0);
	CHECK(r && aml_report_test_score(r) < 0.5 * aml_report_baseline_score(r));
	aml_model_free(m);
	aml_report_free(r);

	o.manual = 1;
	o.manual_algo = AML_ALGO_LINEAR;
	aml_params_set(&o.manual_params, "alpha", 0.001);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(m && aml_model_algo(m) == AML_ALGO_LINEAR);
	CHECK(r && aml_report_n_candidates(r) == 1);
	CHECK(r && aml_report_candidate(r, 0)->unscored &&
		  strcmp(aml_report_candidate(r, 0)->unscored, "manual") == 0);
	aml_model_free(m);
	aml_report_free(r);

	aml_params_set(&o.manual_params, "nonsense", 1);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "nonsense") != NULL);
	aml_frame_free(f);

	/* a test split of several scoring blocks (4,096 rows each) */
	f = make_frame(&env, 10000, 2);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.test_fraction = 0.5;
	o.manual = 1;
	o.manual_algo = AML_ALGO_LINEAR;
	aml_params_set(&o.manual_params, "alpha", 0.001);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(r && aml_report_test_rows(r) == 5000);
	CHECK(r && aml_report_test_score(r) < 0.5 * aml_report_baseline_score(r));
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

/* cw_x1 is row i's x1 in test_class_weight's table */
static double
cw_x1(int i)
{
	return (i % 10 == 0 ? 6.0 : 0.0) + (double) (i % 7) * 0.5;
}

/*
 * mean_yes returns a binary model's mean probability of "yes" over the
 * x1 values of test_class_weight's 1000 rows (x2 "a", one date).
 */
static double
mean_yes(aml_model *m)
{
	void	   *scratch = malloc(aml_model_scratch_size(m));
	double		sum = 0;

	for (int i = 0; i < 1000; i++)
	{
		double		in[3] = {cw_x1(i), aml_model_input_code(m, 1, "a", 1), 0};
		double		out;

		aml_model_predict(m, 1, in, &out, scratch);
		sum += out;
	}
	free(scratch);
	return sum / 1000;
}

/*
 * test_class_weight checks the class weighting of a configuration: on a
 * table with 10% "yes", balanced weights raise a linear model's
 * probabilities of "yes" from about the prevalence to about one half; the
 * search tries the weights on an imbalanced table only; a regression
 * target or a weighting other than 0 or 1 is refused.
 */
static void
test_class_weight(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	double		plain,
				balanced;
	uint64_t	s = 99;

	aml_env_init(&env);
	f = make_frame(&env, 1000, 0);
	/* relabel: "yes" for 10% of the rows, more often at high x1 */
	for (int i = 0; i < 1000; i++)
	{
		const char *lab;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		lab = (s >> 11) % 100 < (uint64_t) (i % 10 == 0 ? 60 : 5) ? "yes" : "no";
		aml_frame_set_code(f, 3, i, aml_frame_level_code(f, 3, lab, strlen(lab), &err));
		aml_frame_set_numeric(f, 0, i, cw_x1(i));
	}
	aml_train_options_init(&o);
	o.target_col = 3;
	o.manual = 1;
	o.manual_algo = AML_ALGO_LINEAR;
	aml_params_set(&o.manual_params, "alpha", 1.0);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	plain = m ? mean_yes(m) : NAN;
	aml_model_free(m);
	aml_report_free(r);
	aml_params_set(&o.manual_params, AML_CLASS_WEIGHT, 1);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	balanced = m ? mean_yes(m) : NAN;
	aml_model_free(m);
	aml_report_free(r);
	CHECK(plain < 0.15);
	CHECK(balanced > 0.25);

	aml_params_set(&o.manual_params, AML_CLASS_WEIGHT, 2);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "\"class_weight\" must be 0") != NULL);

	/*
	 * the search tries balanced weights on this 1-in-10 table (linear and
	 * the decision tree, fast, surely get there), not on make_frame's own
	 * labels, about even
	 */
	for (int even = 0; even < 2; even++)
	{
		int			weighted = 0;

		aml_train_options_init(&o);
		o.target_col = 3;
		o.algorithms = (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_DECISION_TREE);
		if (even)
		{
			aml_frame_free(f);
			f = make_frame(&env, 1000, 0);
		}
		CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
		for (int i = 0; r && i < aml_report_n_candidates(r); i++)
			weighted += aml_params_get(&aml_report_candidate(r, i)->params, AML_CLASS_WEIGHT, 0) == 1;
		CHECK(even ? weighted == 0 : weighted >= 2);
		aml_model_free(m);
		aml_report_free(r);
	}
	aml_frame_free(f);

	f = make_frame(&env, 300, 2);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.manual = 1;
	o.manual_algo = AML_ALGO_LINEAR;
	aml_params_set(&o.manual_params, AML_CLASS_WEIGHT, 1);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "classification only") != NULL);
	CHECK(m == NULL && r == NULL);
	aml_frame_free(f);
}

/*
 * gen_frame: three charges whose total decides the label, a count that
 * shares the charges' first two name parts, three numbered amounts and two
 * of a pair.
 */
static aml_frame *
gen_frame(aml_env *env, int n)
{
	aml_error	err;
	aml_frame  *f = aml_frame_create(env, &err);
	static const char *const names[] = {"total_day_charge", "total_eve_charge", "totalNightCharge",
	"total_day_calls", "pay_amt1", "pay_amt2", "pay_amt3", "x_box", "y_box"};
	uint64_t	s = 777;

	for (int c = 0; c < 9; c++)
		aml_frame_add_column(f, names[c], AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_reserve(f, n, &err);
	for (int i = 0; i < n; i++)
	{
		double		v[9],
					total;
		const char *lab;

		for (int c = 0; c < 9; c++)
		{
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			v[c] = round((double) (s >> 11) / 9007199254740992.0 * 1000.0) / 100.0;
			aml_frame_set_numeric(f, c, i, v[c]);
		}
		total = v[0] + v[1] + v[2];
		lab = total > 15.0 ? "yes" : "no";
		aml_frame_set_code(f, 9, i, aml_frame_level_code(f, 9, lab, strlen(lab), &err));
	}
	aml_frame_set_rows(f, n);
	return f;
}

/*
 * test_generated_features checks the generated features: the sums found
 * from the column names (and only those), a gbdt that reads the total
 * scores better than one that does not, the model format (version 2, a
 * round trip scores the same), a missing part, and explanations that
 * still add up.
 */
static void
test_generated_features(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m[2] = {NULL, NULL},
			   *m2 = NULL;
	aml_report *r[2] = {NULL, NULL};
	aml_frame  *f;
	char		json[8192];

	aml_env_init(&env);
	f = gen_frame(&env, 2000);
	for (int on = 0; on < 2; on++)
	{
		aml_train_options_init(&o);
		o.target_col = 9;
		o.manual = 1;
		o.manual_algo = AML_ALGO_GBDT;
		aml_params_set(&o.manual_params, "n_estimators", 10);
		aml_params_set(&o.manual_params, AML_GEN_FEATURES, on);
		CHECK(aml_train(&env, f, &o, &m[on], &r[on], &err) == AML_OK);
	}
	if (m[0] == NULL || m[1] == NULL)
		return;
	/* the two sums, by name, not the day's charge and calls nor a pair */
	CHECK(aml_report_json(r[0], "features", json, sizeof(json)) < sizeof(json));
	CHECK(strstr(json, "generated") == NULL);
	CHECK(aml_report_json(r[1], "features", json, sizeof(json)) < sizeof(json));
	CHECK(strstr(json, "\"name\":\"total_*_charge\",\"type\":\"generated\"") != NULL);
	CHECK(strstr(json, "\"sum_of\":[\"total_day_charge\",\"total_eve_charge\",\"totalNightCharge\"]") != NULL);
	CHECK(strstr(json, "\"name\":\"pay_amt_*\"") != NULL);
	CHECK(strstr(json, "total_day_*") == NULL);
	CHECK(strstr(json, "*_box") == NULL);
	CHECK(strstr(json, "pay_amt_*") < strstr(json, "total_*_charge"));
	CHECK(aml_report_test_score(r[1]) > aml_report_test_score(r[0]) + 0.005);
	CHECK(aml_report_test_score(r[1]) > 0.99);

	for (int on = 0; on < 2; on++)
	{
		size_t		size = aml_model_serialized_size(m[on]);
		uint8_t    *buf = malloc(size);
		void	   *scratch = malloc(aml_model_scratch_size(m[on]));
		double		in[9] = {4, 4, 0.5, 3, 1, 2, 3, 1, 1},
					out1,
					out2,
					phi[9],
					base,
					pred;
		aml_explain_space sp;

		CHECK(aml_model_serialize(m[on], buf, size, &err) == AML_OK);
		/*
		 * the format version: 2 for a model with generated features; a
		 * manual configuration that does not read them makes none (1)
		 */
		CHECK(buf[4] == (on ? 2 : 1) && buf[5] == 0);
		CHECK(aml_model_deserialize(&env, buf, size, &m2, &err) == AML_OK);
		for (int i = 0; m2 && i < 40; i++)
		{
			in[2] = i * 0.5;
			in[4] = i % 5 == 0 ? NAN : 1;
			aml_model_predict(m[on], 1, in, &out1, scratch);
			aml_model_predict(m2, 1, in, &out2, scratch);
			CHECK(out1 == out2);
			/* the explanation adds up to the prediction */
			CHECK(aml_model_explain(m2, 1, in, 1, phi, &base, &pred, &sp, &err) == AML_OK);
			CHECK(sp == AML_EXPLAIN_LOG_ODDS && fabs(1.0 / (1.0 + exp(-pred)) - out1) < 1e-9);
			{
				double		sum = base;

				for (int k = 0; k < 9; k++)
					sum += phi[k];
				CHECK(fabs(sum - pred) < 1e-9);
			}
			/* with the total, the prediction follows it */
			if (on && fabs(in[0] + in[1] + in[2] - 15.0) > 1.0)
				CHECK((out1 > 0.5) == (in[0] + in[1] + in[2] > 15.0));
		}
		aml_model_free(m2);
		m2 = NULL;

		/*
		 * a generated feature the reader must refuse even under a valid
		 * checksum: one input, an input out of range, inputs out of order
		 */
		if (on)
		{
			const char *key = "total_*_charge";
			uint8_t    *at = NULL;

			for (size_t k = 0; k + strlen(key) < size && at == NULL; k++)
				if (memcmp(buf + k, key, strlen(key)) == 0)
					at = buf + k + strlen(key);
			CHECK(at != NULL && at[0] == 3);	/* u32 n, then the inputs */
			for (int mut = 0; at && mut < 3; mut++)
			{
				uint8_t		save[16];
				uint32_t	crc;

				memcpy(save, at, sizeof(save));
				if (mut == 0)
					at[0] = 1;
				else if (mut == 1)
					at[4] = 99;
				else
				{
					at[4] = save[8];
					at[8] = save[4];
				}
				crc = aml_crc32c(0, buf, size - 4);
				memcpy(buf + size - 4, &crc, 4);
				CHECK(aml_model_deserialize(&env, buf, size, &m2, &err) == AML_EFORMAT);
				CHECK(m2 == NULL);
				memcpy(at, save, sizeof(save));
			}
		}
		free(buf);
		free(scratch);
	}
	for (int on = 0; on < 2; on++)
	{
		aml_model_free(m[on]);
		aml_report_free(r[on]);
	}

	/*
	 * the search tries them once per learner, and the model keeps them
	 * exactly when the chosen configuration reads them
	 */
	{
		char		hyper[4096];
		int			tried = 0;

		aml_train_options_init(&o);
		o.target_col = 9;
		o.algorithms = (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_DECISION_TREE);
		CHECK(aml_train(&env, f, &o, &m[0], &r[0], &err) == AML_OK);
		for (int i = 0; r[0] && i < aml_report_n_candidates(r[0]); i++)
			tried += aml_params_get(&aml_report_candidate(r[0], i)->params, AML_GEN_FEATURES, 0) == 1;
		CHECK(tried >= 2);
		CHECK(aml_report_json(r[0], "features", json, sizeof(json)) < sizeof(json));
		CHECK(aml_report_json(r[0], "hyperparameters", hyper, sizeof(hyper)) < sizeof(hyper));
		CHECK((strstr(hyper, "gen_features") != NULL) == (strstr(json, "\"role\":\"generated\"") != NULL));
		aml_model_free(m[0]);
		aml_report_free(r[0]);
	}
	aml_frame_free(f);
}

static int	cancel_calls = 0;

static int
cancel_after_a_few(void *ctx)
{
	(void) ctx;
	return ++cancel_calls > 3;
}

static void
test_errors_cancel_budget(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;

	aml_env_init(&env);
	f = make_frame(&env, 300, 0);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.task = AML_TASK_REGRESSION;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(m == NULL && r == NULL);
	o.task = AML_TASK_AUTO;
	o.target_col = 9;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	o.target_col = 3;
	o.metric = "rmse";
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "rmse") != NULL);
	o.metric = NULL;

	/* cancellation stops the search with ECANCELED and frees everything */
	env.should_cancel = cancel_after_a_few;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_ECANCELED);
	CHECK(m == NULL && r == NULL);
	env.should_cancel = NULL;
	env.cancel_flag = 0;

	/* a budget too small for the work is ENOMEM, with a hint */
	env.mem_budget = env.mem_used + 20000;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_ENOMEM);
	CHECK(strstr(err.hint, "automl.work_mem") != NULL);
	env.mem_budget = 0;
	aml_frame_free(f);
}

/*
 * test_candidate_oom: a search candidate that needs more than the memory
 * budget (a forest of full-depth regression trees) fails alone, as a
 * diverged fit does: the training still ends with a model, and the log
 * says which candidates ran out and how much they needed.  What such a
 * candidate had allocated is freed (the sanitizer build's leak check).
 */
static int	oom_skips;

static void
oom_log(void *ctx, aml_log_level level, const char *msg)
{
	(void) ctx;
	(void) level;
	if (strstr(msg, " ran out of automl.work_mem: Needed ") != NULL)
		oom_skips++;
}

/*
 * unscored counts the report's candidates without a score whose reason is
 * why (NULL: those without a reason), and those with a score and a reason
 * (*bad).
 */
static int
unscored(const aml_report *r, const char *why, int *bad)
{
	int			n = 0;

	*bad = 0;
	for (int i = 0; i < aml_report_n_candidates(r); i++)
	{
		const aml_candidate *c = aml_report_candidate(r, i);

		if (isfinite(c->score))
			*bad += c->unscored != NULL;
		else if (why == NULL ? c->unscored == NULL : c->unscored && strcmp(c->unscored, why) == 0)
			n++;
	}
	return n;
}

static void
test_candidate_oom(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	size_t		base;

	aml_env_init(&env);
	f = make_frame(&env, 2000, 2);
	converging_options(&o);
	o.algorithms = 1u << AML_ALGO_LINEAR;
	base = env.mem_used;
	env.mem_peak = base;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	aml_model_free(m);
	aml_report_free(r);
	m = NULL;
	r = NULL;

	/* room for the linear search twice over, not for 100 deep trees */
	o.algorithms |= 1u << AML_ALGO_RANDOM_FOREST;
	env.mem_budget = env.mem_used + 2 * (env.mem_peak - base);
	env.log = oom_log;
	oom_skips = 0;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(oom_skips >= 1);
	CHECK(m != NULL && aml_model_algo(m) == AML_ALGO_LINEAR);
	/* the skipped trials say why they have no score */
	{
		int			bad;

		CHECK(unscored(r, "out_of_memory", &bad) == oom_skips && bad == 0);
		CHECK(unscored(r, NULL, &bad) == 0);
	}
	aml_model_free(m);
	aml_report_free(r);
	env.mem_budget = 0;
	env.log = NULL;
	aml_frame_free(f);
}

/*
 * test_confirm_oom: a finalist whose confirmation on fresh folds runs out
 * of memory goes without that round's score, as one out of time does;
 * the training still ends with a model.  The allocator fails the first
 * large block asked for after the first confirmation (the next
 * finalist's predictions).
 */
static int	confirm_armed;		/* 1: fail the next large block; 2: done */
static int	confirm_skips;

static void *
confirm_alloc(void *ctx, size_t size)
{
	(void) ctx;
	if (confirm_armed == 1 && size > 4096)
	{
		confirm_armed = 2;
		return NULL;
	}
	return malloc(size);
}

static void
confirm_free(void *ctx, void *ptr)
{
	(void) ctx;
	free(ptr);
}

static void
confirm_log(void *ctx, aml_log_level level, const char *msg)
{
	(void) ctx;
	(void) level;
	if (strncmp(msg, "confirming ", 11) != 0)
		return;
	if (strstr(msg, " ran out of memory: Failed to allocate ") != NULL)
		confirm_skips++;
	else if (confirm_armed == 0)
		confirm_armed = 1;
}

static void
test_confirm_oom(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;

	aml_env_init(&env);
	env.alloc = confirm_alloc;
	env.free = confirm_free;
	env.log = confirm_log;
	f = make_frame(&env, 1000, 0);
	converging_options(&o);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(confirm_armed == 2);
	CHECK(confirm_skips == 1);
	CHECK(m != NULL);
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

/*
 * train_algo trains f under o and frees what it made: the status, the
 * model's learner in *algo (-1 without a model) and, when bytes is not
 * NULL, its serialized size.
 */
static aml_status
train_algo(aml_env *env, const aml_frame *f, const aml_train_options *o, int *algo, size_t *bytes)
{
	aml_error	err;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_status	st = aml_train(env, f, o, &m, &r, &err);

	*algo = m ? (int) aml_model_algo(m) : -1;
	if (bytes)
		*bytes = m ? aml_model_serialized_size(m) : 0;
	aml_model_free(m);
	aml_report_free(r);
	return st;
}

/*
 * test_refit_oom: the chosen model's refit on every training row runs out
 * of memory (it fits more rows than any search trial).  Training then
 * refits the next best learner's best configuration instead, with a
 * NOTICE, rather than failing after the whole budget; when every learner
 * runs out, the training fails (a baseline is not worth storing).  A manual configuration is the user's choice:
 * its refit running out fails the training.  The allocator fails the
 * first large block of each armed refit (the "refitting" progress line
 * arms it).
 */
static int	refit_fail;			/* refits to fail: 1 the first, 2 all */
static int	refit_armed;
static int	refit_notices;
static aml_algo refit_first;
static int	refit_seen;

static void *
refit_alloc(void *ctx, size_t size)
{
	(void) ctx;
	if (refit_armed && size > 4096)
	{
		refit_armed = 0;
		return NULL;
	}
	return malloc(size);
}

static void
refit_log(void *ctx, aml_log_level level, const char *msg)
{
	(void) ctx;
	if (strncmp(msg, "refitting ", 10) != 0)
		return;
	if (strstr(msg, " training rows ran out of memory (failed to allocate ") != NULL &&
		level == AML_LOG_NOTICE)
		refit_notices++;
	else if (strstr(msg, " training rows") != NULL && strncmp(msg, "refitting baseline", 18) != 0)
	{
		if (refit_seen++ == 0)
			refit_first = strncmp(msg + 10, "linear", 6) == 0 ? AML_ALGO_LINEAR : AML_ALGO_DECISION_TREE;
		if (refit_fail == 2 || refit_seen == 1)
			refit_armed = 1;
	}
}

static void
test_refit_oom(void)
{
	aml_env		env;
	aml_train_options o;
	aml_frame  *f;
	int			algo;

	aml_env_init(&env);
	env.alloc = refit_alloc;
	env.free = confirm_free;
	env.log = refit_log;
	f = make_frame(&env, 1000, 0);
	converging_options(&o);
	o.ensemble = 0;
	o.algorithms = (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_DECISION_TREE);

	/* the first refit fails: the other learner is refitted */
	refit_fail = 1;
	refit_seen = refit_notices = refit_armed = 0;
	CHECK(train_algo(&env, f, &o, &algo, NULL) == AML_OK);
	CHECK(refit_seen == 2 && refit_notices == 1);
	CHECK(algo != (int) refit_first && algo != AML_ALGO_BASELINE && algo >= 0);

	/* every learner's refit fails: so does the training (no baseline) */
	refit_fail = 2;
	refit_seen = refit_notices = refit_armed = 0;
	CHECK(train_algo(&env, f, &o, &algo, NULL) == AML_ENOMEM);
	CHECK(refit_seen == 2 && refit_notices == 1 && algo == -1);

	/* a manual configuration's refit failing fails the training */
	o.manual = 1;
	o.manual_algo = AML_ALGO_DECISION_TREE;
	refit_fail = 1;
	refit_seen = refit_notices = refit_armed = 0;
	CHECK(train_algo(&env, f, &o, &algo, NULL) == AML_ENOMEM);
	CHECK(refit_seen == 1 && refit_notices == 0 && algo == -1);
	aml_frame_free(f);
}

/*
 * test_refit_oom_ensemble: an ensemble whose members do not all fit on
 * every training row: its heaviest member is refitted alone instead.  The
 * table (a slope plus a wave in a second column, noisy) makes the search
 * pick an ensemble of finalists; the second member's refit fails.
 */
static int	ens_chosen;
static int	ens_notice;
static char ens_cfg[3][300];

static void
ens_log(void *ctx, aml_log_level level, const char *msg)
{
	(void) ctx;
	if (strncmp(msg, "ensemble of ", 12) == 0)
		ens_chosen = 1;
	if (strncmp(msg, "refitting the ensemble on all ", 30) == 0 && strstr(msg, " ran out of memory (") &&
		level == AML_LOG_NOTICE)
		ens_notice++;
	else if (strncmp(msg, "refitting ", 10) == 0 && refit_seen < 3)
	{
		/* the configuration refitted, up to " on N training rows" */
		const char *on = strstr(msg, " on ");

		snprintf(ens_cfg[refit_seen], sizeof(ens_cfg[0]), "%.*s",
				 on ? (int) (on - msg) : 0, msg);
		if (++refit_seen == 2)
			refit_armed = 1;
	}
}

static void
test_refit_oom_ensemble(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_frame  *f;
	aml_rng		rng;
	int			algo;

	aml_env_init(&env);
	env.alloc = refit_alloc;
	env.free = confirm_free;
	env.log = ens_log;
	f = aml_frame_create(&env, &err);
	aml_frame_add_column(f, "x1", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "x2", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_reserve(f, 600, &err);
	aml_rng_seed(&rng, 7);
	for (int i = 0; i < 600; i++)
	{
		double		a = aml_rng_uniform(&rng) * 10,
					b = aml_rng_uniform(&rng) * 10,
					e = aml_rng_uniform(&rng) + aml_rng_uniform(&rng) + aml_rng_uniform(&rng) - 1.5;

		aml_frame_set_numeric(f, 0, i, a);
		aml_frame_set_numeric(f, 1, i, b);
		aml_frame_set_numeric(f, 2, i, a + 3 * sin(b) + 2 * e);
	}
	aml_frame_set_rows(f, 600);
	aml_train_options_init(&o);
	o.target_col = 2;
	o.budget_seconds = 0;
	refit_seen = refit_armed = 0;
	CHECK(train_algo(&env, f, &o, &algo, NULL) == AML_OK);
	CHECK(ens_chosen == 1 && ens_notice == 1 && refit_seen == 3);
	/* a member: the first refitted, or the one that ran out */
	CHECK(strcmp(ens_cfg[2], ens_cfg[0]) == 0 || strcmp(ens_cfg[2], ens_cfg[1]) == 0);
	CHECK(algo >= 0 && algo != AML_ALGO_ENSEMBLE && algo != AML_ALGO_BASELINE);
	aml_frame_free(f);
}

/*
 * test_refit_too_large: a model over the caller's storable size
 * (max_model_bytes; PostgreSQL can store and dump about 512 MB) gives way
 * to the next best configuration, as one out of memory does.  The table
 * is an exclusive or a forest learns and a linear model cannot; the limit
 * lets the linear model's size through but not the forest's.  A manual
 * configuration over the limit fails with AML_ETOOLARGE.
 */
static int	big_notices;

static void
big_log(void *ctx, aml_log_level level, const char *msg)
{
	(void) ctx;
	if (level == AML_LOG_NOTICE && strncmp(msg, "refitting random_forest on all ", 31) == 0 &&
		strstr(msg, " training rows made a model too large to store (") != NULL &&
		strstr(msg, "; refitting linear (") != NULL)
		big_notices++;
}

static void
test_refit_too_large(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	size_t		lin_bytes = 0,
				bytes = 0;
	int			algo;

	aml_env_init(&env);
	f = make_frame(&env, 1000, 0);
	converging_options(&o);
	o.ensemble = 0;
	o.algorithms = 1u << AML_ALGO_LINEAR;
	CHECK(train_algo(&env, f, &o, &algo, &lin_bytes) == AML_OK);

	/* without a limit the forest wins */
	o.algorithms |= 1u << AML_ALGO_RANDOM_FOREST;
	CHECK(train_algo(&env, f, &o, &algo, &bytes) == AML_OK);
	CHECK(algo == AML_ALGO_RANDOM_FOREST && bytes > 4 * lin_bytes);

	/* with room for the linear model only, the linear model */
	o.max_model_bytes = 2 * lin_bytes;
	env.log = big_log;
	CHECK(train_algo(&env, f, &o, &algo, &bytes) == AML_OK);
	CHECK(big_notices == 1);
	CHECK(algo == AML_ALGO_LINEAR && bytes <= o.max_model_bytes);

	/* a manual forest over the limit fails */
	o.manual = 1;
	o.manual_algo = AML_ALGO_RANDOM_FOREST;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_ETOOLARGE);
	CHECK(m == NULL && strcmp(err.msg, "model is too large to store") == 0);
	aml_frame_free(f);
}

/*
 * test_diag_oom: the report's optional diagnostics (the curves; the
 * importance and explained examples) that run out of memory are left out
 * with a NOTICE each; the model is kept and the rest of the report is
 * whole.  The log hook leaves no memory from the diagnostics' progress
 * line until the importance's NOTICE.
 */
static int	diag_notices;

static void
diag_log(void *ctx, aml_log_level level, const char *msg)
{
	aml_env    *env = ctx;

	if (strncmp(msg, "computing the report's diagnostics on ", 38) == 0)
		env->mem_budget = env->mem_used + 1;
	else if (level == AML_LOG_NOTICE && strncmp(msg, "the model report leaves out the ", 32) == 0 &&
			 strstr(msg, ": computing them ran out of automl.work_mem: Needed ") != NULL)
	{
		diag_notices++;
		if (strstr(msg, "out the importance and examples:") != NULL)
			env->mem_budget = 0;
	}
}

static void
test_diag_oom(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	char		diag[65536];
	size_t		n = 0;

	aml_env_init(&env);
	env.ctx = &env;
	env.log = diag_log;
	f = make_frame(&env, 600, 0);
	converging_options(&o);
	o.algorithms = 1u << AML_ALGO_DECISION_TREE;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(diag_notices == 2 && env.mem_budget == 0);
	CHECK(m != NULL && aml_model_algo(m) == AML_ALGO_DECISION_TREE);
	if (r)
		n = aml_report_json(r, "diagnostics", diag, sizeof(diag));
	CHECK(n > 0 && n < sizeof(diag));
	CHECK(strstr(diag, "\"curves\"") == NULL && strstr(diag, "\"importance\"") == NULL &&
		  strstr(diag, "\"examples\"") == NULL);
	CHECK(diag[0] == '{' && diag[n - 1] == '}');
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

static void
test_same_seed_same_model(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *a = NULL,
			   *b = NULL;
	aml_report *ra = NULL,
			   *rb = NULL;
	aml_frame  *f;

	aml_env_init(&env);
	f = make_frame(&env, 500, 0);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.seed = 99;
	/*
	 * a budget that never binds: the search then ends by convergence, so
	 * the model depends on the data and the seed only, not on how busy
	 * the machine is (sanitizers and a loaded machine stretch the trials)
	 */
	o.budget_seconds = 3600;
	CHECK(aml_train(&env, f, &o, &a, &ra, &err) == AML_OK);
	CHECK(aml_train(&env, f, &o, &b, &rb, &err) == AML_OK);
	if (a && b)
	{
		size_t		n = aml_model_serialized_size(a);
		uint8_t    *x = malloc(n),
				   *y = malloc(n);

		CHECK(aml_model_serialized_size(b) == n);
		aml_model_serialize(a, x, n, &err);
		aml_model_serialize(b, y, n, &err);
		CHECK(memcmp(x, y, n) == 0);
		free(x);
		free(y);
	}
	aml_model_free(a);
	aml_model_free(b);
	aml_report_free(ra);
	aml_report_free(rb);
	aml_frame_free(f);
}

/* same_config says whether two leaderboard rows are one configuration. */
static int
same_config(const aml_candidate *a, const aml_candidate *b)
{
	if (a->algo != b->algo || a->params.n != b->params.n)
		return 0;
	for (int i = 0; i < a->params.n; i++)
		if (strcmp(a->params.name[i], b->params.name[i]) != 0 || a->params.value[i] != b->params.value[i])
			return 0;
	return 1;
}

/*
 * choice_log keeps the training's "choosing ..." message (the one-
 * standard-error rule of simpler_finalist).
 */
static char choice_msg[512];
static char alpha_msg[512];		/* "linear: alpha ..." */
static char confirmed_alpha[512];	/* after "confirming linear (alpha=" */
static int	not_confirmed[AML_ALGO_COUNT];	/* "not confirming <learner>" */
static char baseline_msg[512];	/* "no model beat the baseline ..." */

static void
choice_log(void *ctx, aml_log_level level, const char *msg)
{
	(void) ctx;
	(void) level;
	if (strncmp(msg, "choosing ", 9) == 0)
		snprintf(choice_msg, sizeof(choice_msg), "%s", msg);
	if (strncmp(msg, "linear: alpha ", 14) == 0)
		snprintf(alpha_msg, sizeof(alpha_msg), "%s", msg);
	if (strncmp(msg, "confirming linear (alpha=", 25) == 0 && confirmed_alpha[0] == '\0')
		snprintf(confirmed_alpha, sizeof(confirmed_alpha), "%s", msg + 25);
	if (strncmp(msg, "no model beat the baseline", 26) == 0)
		snprintf(baseline_msg, sizeof(baseline_msg), "%s", msg);
	if (strncmp(msg, "not confirming ", 15) == 0)
		for (int a = 0; a < AML_ALGO_COUNT; a++)
		{
			size_t		len = strlen(aml_algo_name((aml_algo) a));

			if (strncmp(msg + 15, aml_algo_name((aml_algo) a), len) == 0 &&
				(msg[15 + len] == ' ' || msg[15 + len] == ':'))
				not_confirmed[a]++;
		}
}

/*
 * test_finalists_confirmed: with cross-validation, each learner's best
 * configuration (and its default one) is scored again on one to three
 * fresh fold deals (later leaderboard rows of the same configuration); a
 * single model is the finalist with the best mean of its fresh scores
 * and, for a default configuration, its search score, or a finalist of a
 * learner with fewer tuned hyperparameters that the training says is
 * within a standard error of it.
 */
static void
test_finalists_confirmed(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	int			confirmed[AML_ALGO_COUNT] = {0};
	int			best = -1;
	double		best_est = 0;
	int			max_rounds = 0;

	aml_env_init(&env);
	env.log = choice_log;
	choice_msg[0] = '\0';
	memset(not_confirmed, 0, sizeof(not_confirmed));
	f = make_frame(&env, 600, 0);
	aml_train_options_init(&o);
	o.target_col = 3;
	o.ensemble = 0;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
		return;
	for (int i = 0; i < aml_report_n_candidates(r); i++)
	{
		const aml_candidate *a = aml_report_candidate(r, i);
		const aml_search_space *sp = aml_search_space_for(a->algo);
		aml_params	d;
		double		sum = 0;
		int			n = 0,
					first = 1;

		for (int k = 0; k < i && first; k++)
			first = !(same_config(aml_report_candidate(r, k), a) &&
					  aml_report_candidate(r, k)->sample_rows == a->sample_rows);
		if (!first)
			continue;
		/* a's later rows of the same configuration are its fresh scores */
		for (int j = i + 1; j < aml_report_n_candidates(r); j++)
		{
			const aml_candidate *b = aml_report_candidate(r, j);

			if (same_config(a, b) && a->sample_rows == b->sample_rows)
			{
				sum += b->score;
				n++;
			}
		}
		if (n == 0)
			continue;
		CHECK(n <= 3);
		max_rounds = n > max_rounds ? n : max_rounds;
		confirmed[a->algo]++;
		aml_search_space_params(sp, 1, &d);
		if (aml_params_equal(&d, &a->params))
		{
			sum += a->score;	/* a default's search score is unbiased */
			n++;
		}
		if (best < 0 || sum / n > best_est)
		{
			best = i;
			best_est = sum / n;
		}
	}
	for (int a = AML_ALGO_LINEAR; a < AML_ALGO_ENSEMBLE; a++)
	{
		/* its best, its default, unless far behind (the training says so) */
		CHECK(confirmed[a] + not_confirmed[a] >= 1 && confirmed[a] + not_confirmed[a] <= 2);
	}
	CHECK(confirmed[AML_ALGO_BASELINE] == 0);
	CHECK(max_rounds >= 2);		/* an unlimited budget: more deals */
	CHECK(best >= 0);
	if (best >= 0)
	{
		aml_algo	ba = aml_report_candidate(r, best)->algo;
		aml_algo	ma = aml_model_algo(m);
		char		want[128];

		/* the best finalist, or a simpler one the training names */
		snprintf(want, sizeof(want), "choosing %s over %s: ", aml_algo_name(ma), aml_algo_name(ba));
		if (choice_msg[0] == '\0')
			CHECK(ma == ba);
		else
		{
			CHECK(strncmp(choice_msg, want, strlen(want)) == 0);
			CHECK(aml_search_space_for(ma)->n < aml_search_space_for(ba)->n);
		}
	}
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

/*
 * xy_frame builds n rows of numeric x1 (uniform on 0..10), x2 (uniform,
 * unrelated to the label) and a yes/no label(x1, u) for a third uniform
 * u, drawn in that order from next(state).
 */
static aml_frame *
xy_frame(aml_env *env, int n, double (*next) (void *), void *state,
		 const char *(*label) (double x1, double u))
{
	aml_error	err;
	aml_frame  *f = aml_frame_create(env, &err);

	aml_frame_add_column(f, "x1", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "x2", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_reserve(f, n, &err);
	for (int i = 0; i < n; i++)
	{
		double		x1 = 10.0 * next(state);
		double		x2 = next(state);
		const char *lab = label(x1, next(state));

		aml_frame_set_numeric(f, 0, i, x1);
		aml_frame_set_numeric(f, 1, i, x2);
		aml_frame_set_code(f, 2, i, aml_frame_level_code(f, 2, lab, strlen(lab), &err));
	}
	aml_frame_set_rows(f, n);
	return f;
}

/* lcg_uniform: a uniform draw of a 64-bit linear congruential state */
static double
lcg_uniform(void *state)
{
	uint64_t   *s = state;

	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double) (*s >> 11) / 9007199254740992.0;
}

/* rng_uniform: aml_rng_uniform for xy_frame */
static double
rng_uniform(void *state)
{
	return aml_rng_uniform(state);
}

/* noisy_step: a step at x1 = 5 with one label in ten flipped */
static const char *
noisy_step(double x1, double u)
{
	return ((x1 > 5.0) != (u < 0.10)) ? "yes" : "no";
}

/* blurred_step: a step at x1 = 5 blurred by +-0.3 */
static const char *
blurred_step(double x1, double u)
{
	return x1 + 0.6 * (u - 0.5) > 5.0 ? "yes" : "no";
}

/* band: yes for x1 between 3 and 7, one label in twenty flipped */
static const char *
band(double x1, double u)
{
	return ((x1 > 3.0 && x1 < 7.0) != (u < 0.05)) ? "yes" : "no";
}

/*
 * test_hopeless_not_confirmed: a band in x1 that no line separates.  The
 * linear model's search AUC is far below the trees' (by many standard
 * errors over the folds), so it is not scored again on fresh folds: no
 * later leaderboard row repeats a linear configuration, and the training
 * says why.  The tree learners are confirmed.
 */
static void
test_hopeless_not_confirmed(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	uint64_t	s = 4242;
	int			repeats[AML_ALGO_COUNT] = {0};

	aml_env_init(&env);
	env.log = choice_log;
	memset(not_confirmed, 0, sizeof(not_confirmed));
	f = xy_frame(&env, 600, lcg_uniform, &s, band);
	aml_train_options_init(&o);
	o.target_col = 2;
	o.budget_seconds = 0;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
		return;
	for (int i = 0; i < aml_report_n_candidates(r); i++)
		for (int j = 0; j < i; j++)
			if (same_config(aml_report_candidate(r, j), aml_report_candidate(r, i)))
			{
				repeats[aml_report_candidate(r, i)->algo]++;
				break;
			}
	CHECK(not_confirmed[AML_ALGO_LINEAR] >= 1);
	CHECK(repeats[AML_ALGO_LINEAR] == 0);
	CHECK(not_confirmed[AML_ALGO_GBDT] == 0 && repeats[AML_ALGO_GBDT] >= 1);
	CHECK(not_confirmed[AML_ALGO_RANDOM_FOREST] == 0 && repeats[AML_ALGO_RANDOM_FOREST] >= 1);
	CHECK(aml_model_algo(m) != AML_ALGO_LINEAR);
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

/*
 * test_simpler_finalist: a step in x1 with 10% of the labels flipped, the
 * same for every tree learner up to noise.  On these rows the search's
 * best finalist is a gbdt (eight tuned hyperparameters); a random forest
 * (three) is within a standard error of it on the same fresh folds, so
 * the forest is the model, with a line saying so.  Without a budget the
 * search and the confirmation are deterministic.
 */
static void
test_simpler_finalist(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	uint64_t	s = 724;

	aml_env_init(&env);
	env.log = choice_log;
	choice_msg[0] = '\0';
	f = xy_frame(&env, 800, lcg_uniform, &s, noisy_step);
	aml_train_options_init(&o);
	o.target_col = 2;
	o.ensemble = 0;
	o.budget_seconds = 0;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
		return;
	CHECK(aml_model_algo(m) == AML_ALGO_RANDOM_FOREST);
	CHECK(strncmp(choice_msg, "choosing random_forest over gbdt: roc_auc ", 42) == 0);
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

/* coin: a label independent of x1 and x2 */
static const char *
coin(double x1, double u)
{
	(void) x1;
	return u < 0.4 ? "yes" : "no";
}

/*
 * test_baseline_kept: when the label is a coin flip no learner beats the
 * class shares' log loss on the finalists' fresh folds by more than a
 * standard error (they fit noise), so the model is the baseline, with and
 * without the ensemble, and the training says why; with a signal
 * (noisy_step) the learner is kept.  When the caller's "algorithms" leave
 * the baseline out, their learner stays, and the training says so.
 * (Under log loss the rule kept the baseline on 9 of 10 seeds of this
 * coin; under roc_auc, which a noisy ranking does not lose on average, on
 * 3 of 10.)
 */
static void
test_baseline_kept(void)
{
	for (int v = 0; v < 4; v++)
	{
		aml_env		env;
		aml_error	err;
		aml_train_options o;
		aml_model  *m = NULL;
		aml_report *r = NULL;
		aml_frame  *f;
		uint64_t	s = 4242;
		size_t		n;
		char	   *d;

		aml_env_init(&env);
		env.log = choice_log;
		baseline_msg[0] = '\0';
		f = xy_frame(&env, 600, lcg_uniform, &s, v == 2 ? noisy_step : coin);
		aml_train_options_init(&o);
		o.target_col = 2;
		o.ensemble = v == 1;
		o.budget_seconds = 0;
		o.metric = "log_loss";
		if (v == 3)				/* the caller names the learners */
			o.algorithms = (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_DECISION_TREE);
		CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
		if (m != NULL && r != NULL)
		{
			/* on record (v < 2): what the baseline was up against */
			n = aml_report_json(r, "diagnostics", NULL, 0);
			d = malloc(n + 1);
			aml_report_json(r, "diagnostics", d, n + 1);
			CHECK((strstr(d, "\"baseline_kept\":{\"over\":\"") != NULL) == (v < 2));
			if (v < 2)
			{
				CHECK(aml_model_algo(m) == AML_ALGO_BASELINE);
				CHECK(strncmp(baseline_msg, "no model beat the baseline on fresh folds (log_loss ", 52) == 0);
				CHECK(strstr(baseline_msg, "the model is the baseline, which predicts the training rows' class shares") != NULL);
				CHECK(strstr(baseline_msg, "decides \"y\"") != NULL);
				CHECK(strstr(d, "\"metric\":\"log_loss\",\"score\":") != NULL);
			}
			if (v == 2)
			{
				CHECK(aml_model_algo(m) != AML_ALGO_BASELINE);
				CHECK(baseline_msg[0] == '\0');
			}
			if (v == 3)
			{
				CHECK(aml_model_algo(m) == AML_ALGO_LINEAR || aml_model_algo(m) == AML_ALGO_DECISION_TREE);
				CHECK(strncmp(baseline_msg, "no model beat the baseline on fresh folds (log_loss ", 52) == 0);
				CHECK(strstr(baseline_msg, "as \"algorithms\" asks; add \"baseline\" to it to keep the baseline instead") != NULL);
			}
			free(d);
		}
		aml_model_free(m);
		aml_report_free(r);
		aml_frame_free(f);
	}
}

/*
 * test_regularized_linear: on rows a line nearly separates, the weakest
 * penalties win the search's log loss by less than its standard error
 * over the folds; the linear finalist confirmed on fresh folds is the
 * most penalized configuration within that error (a larger alpha than
 * the search's best), and the training says so.  With roc_auc, which
 * extreme probabilities do not move, the best trial stays.
 */
static void
test_regularized_linear(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	aml_rng		rng;
	double		chosen = 0,
				best = 0;

	aml_env_init(&env);
	env.log = choice_log;
	alpha_msg[0] = confirmed_alpha[0] = '\0';
	aml_rng_seed(&rng, 2024);
	f = xy_frame(&env, 300, rng_uniform, &rng, blurred_step);
	aml_train_options_init(&o);
	o.target_col = 2;
	o.metric = "log_loss";
	o.algorithms = 1u << AML_ALGO_LINEAR;
	o.ensemble = 0;
	o.budget_seconds = 0;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(sscanf(alpha_msg, "linear: alpha %lf rather than %lf", &chosen, &best) == 2);
	CHECK(chosen > best && best > 0);
	CHECK(strtod(confirmed_alpha, NULL) == chosen || fabs(strtod(confirmed_alpha, NULL) / chosen - 1) < 1e-3);
	CHECK(strstr(alpha_msg, "within 1 standard error over the folds") != NULL);
	if (m)
		CHECK(aml_model_algo(m) == AML_ALGO_LINEAR);
	aml_model_free(m);
	aml_report_free(r);

	/* a ranking metric does not see extreme probabilities: no rule */
	alpha_msg[0] = '\0';
	o.metric = "roc_auc";
	m = NULL;
	r = NULL;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(alpha_msg[0] == '\0');
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

/* three_bands: lo, mid, hi by x1 at 3.3 and 6.6, blurred by +-0.6 */
static const char *
three_bands(double x1, double u)
{
	double		b = x1 + 1.2 * (u - 0.5);

	return b < 3.3 ? "lo" : b < 6.6 ? "mid" : "hi";
}

/*
 * test_multiclass_calibrated_search: a multiclass search scores every
 * candidate but the baseline at the temperature fitted to its out-of-fold
 * predictions (the leaderboard keeps it), the forests' under-confident
 * votes are sharpened (T < 1), and the model serves its members'
 * temperatures.
 */
static void
test_multiclass_calibrated_search(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	aml_rng		rng;
	int			scored = 0,
				calibrated = 0,
				forest_sharper = 0,
				baseline_plain = 0;

	aml_env_init(&env);
	aml_rng_seed(&rng, 77);
	f = xy_frame(&env, 300, rng_uniform, &rng, three_bands);
	aml_train_options_init(&o);
	o.target_col = 2;
	o.algorithms = (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_EXTRA_TREES);
	o.budget_seconds = 0;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	CHECK(r && strcmp(aml_report_metric(r), "log_loss") == 0);
	for (int i = 0; r && i < aml_report_n_candidates(r); i++)
	{
		const aml_candidate *cd = aml_report_candidate(r, i);

		if (!isfinite(cd->score) || cd->algo == AML_ALGO_ENSEMBLE)
			continue;
		if (cd->algo == AML_ALGO_BASELINE)
		{
			baseline_plain += cd->temp == 0;
			continue;
		}
		scored++;
		calibrated += cd->temp >= AML_TEMP_MIN && cd->temp <= AML_TEMP_MAX && cd->temp != 1.0;
		forest_sharper += cd->algo == AML_ALGO_EXTRA_TREES && cd->temp < 1.0;
	}
	CHECK(scored > 5 && calibrated == scored);
	CHECK(forest_sharper > 0);
	CHECK(baseline_plain >= 1);
	if (m)
		for (int k = 0; k < m->n_members; k++)
			CHECK(aml_member_calibrated(&m->members[k]));
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

/*
 * json_numbers parses the numbers of the array after "key": following
 * `from` in json into v (at most max); returns how many, or -1.
 */
static int
json_numbers(const char *json, const char *from, const char *key, double *v, int max)
{
	const char *p = strstr(json, from);
	char		pat[64];
	int			n = 0;

	if (p == NULL)
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\":[", key);
	p = strstr(p, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	while (*p && *p != ']' && n < max)
	{
		char	   *end;

		v[n++] = strtod(p, &end);
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

/*
 * test_feature_distribution: the bins training stores for automl_drift.
 * 80,000 training rows: a number's edges and shares come from a strided
 * sample of 16,384 of them; x1 is uniform on [0, 10) with every 17th value
 * missing, so each of its 10 bins holds about 16/17 of a tenth.
 */
static void
test_feature_distribution(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	static char json[1 << 16];
	double		v[32];
	int			n;

	aml_env_init(&env);
	f = make_frame(&env, 100000, 2);
	converging_options(&o);
	o.manual = 1;
	o.manual_algo = AML_ALGO_LINEAR;
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (r == NULL)
		return;
	CHECK(aml_report_json(r, "features", json, sizeof(json)) < sizeof(json));
	n = json_numbers(json, "\"name\":\"x1\"", "edges", v, 32);
	CHECK(n == 9);
	for (int k = 1; k < n; k++)
		CHECK(v[k] > v[k - 1]);
	CHECK(n > 4 && fabs(v[4] - 5.0) < 0.1);
	n = json_numbers(json, "\"name\":\"x1\"", "shares", v, 32);
	CHECK(n == 10);
	for (int k = 0; k < n; k++)
		CHECK(fabs(v[k] - 0.1 * 16 / 17) < 0.005);
	{
		const char *p = strstr(strstr(json, "\"name\":\"x1\""), "\"distribution\"");
		const char *q = p ? strstr(p, "\"missing\":") : NULL;

		/* the sample's: within about 3 of its standard errors (0.0018) */
		CHECK(q != NULL && fabs(strtod(q + 10, NULL) - 1.0 / 17) < 0.005);
	}
	/* the category: its 4 levels, nothing else, nothing missing */
	n = json_numbers(json, "\"name\":\"x2\"", "shares", v, 32);
	CHECK(n == 4);
	CHECK(n == 4 && fabs(v[0] + v[1] + v[2] + v[3] - 1) < 1e-5);
	/* the date: 365 days, 10 bins */
	CHECK(json_numbers(json, "\"name\":\"d\"", "edges", v, 32) == 9);
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}


/*
 * test_per_group: a regression whose slope depends on the category x2 is
 * fitted per group.  Checked: the groups' models route rows by x2 (an
 * unseen or missing x2 goes to the model of every row), fit each group
 * better than the model of every row does, survive the format bit for
 * bit, explain additively, and label the leaderboard by group.
 */
static void
test_per_group(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL,
			   *m2 = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	static const char *const lv[] = {"a", "b", "c", "d"};
	uint64_t	s = 777;
	int			n = 2000;
	double		in[8 * 3],
				out[8],
				out2[8],
				phi[8 * 3],
				base,
				pred[8];
	aml_explain_space sp;
	void	   *scratch;
	uint8_t    *buf;
	size_t		size;
	int			labelled[5] = {0};

	aml_env_init(&env);
	f = aml_frame_create(&env, &err);
	aml_frame_add_column(f, "x1", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "x2", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_reserve(f, n, &err);
	for (int i = 0; i < n; i++)
	{
		double		x1;
		int			c;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		x1 = (double) (s >> 11) / 9007199254740992.0 * 10.0;
		c = (int) ((s >> 7) % 4);
		aml_frame_set_numeric(f, 0, i, x1);
		aml_frame_set_code(f, 1, i, aml_frame_level_code(f, 1, lv[c], 1, &err));
		/* slopes 3, -3, 1, -1: no one line fits every group */
		aml_frame_set_numeric(f, 2, i, (c == 0 ? 3 : c == 1 ? -3 : c == 2 ? 1 : -1) * x1);
	}
	aml_frame_set_rows(f, n);

	aml_train_options_init(&o);
	o.target_col = 2;
	o.budget_seconds = 0;
	o.manual = 1;
	o.manual_algo = AML_ALGO_LINEAR;
	o.generated_features = 0;
	o.group_column = "x2";
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (m == NULL)
	{
		aml_frame_free(f);
		return;
	}
	CHECK(aml_model_algo(m) == AML_ALGO_PER_GROUP);
	CHECK(aml_model_n_inputs(m) == 2);
	CHECK(strcmp(aml_model_input_name(m, 1), "x2") == 0);
	/* one manual candidate per group and one for every row, labelled */
	CHECK(aml_report_n_candidates(r) == 5);
	for (int i = 0; i < aml_report_n_candidates(r); i++)
	{
		const aml_candidate *cd = aml_report_candidate(r, i);

		if (cd->group == NULL)
			labelled[4]++;
		else if (strlen(cd->group) == 1 && cd->group[0] >= 'a' && cd->group[0] <= 'd')
			labelled[cd->group[0] - 'a']++;
	}
	for (int k = 0; k < 5; k++)
		CHECK(labelled[k] == 1);
	/* the groups' lines fit: the test RMSE is far below every row's line */
	CHECK(aml_report_test_score(r) < 0.05);

	/* rows: x1 = 2 in each group, then an unseen x2, then a missing one */
	for (int k = 0; k < 8; k++)
	{
		in[k * 2] = 2.0;
		in[k * 2 + 1] = k < 4 ? (double) aml_model_input_code(m, 1, lv[k], 1) : k < 6 ? -1.0 : NAN;
	}
	scratch = malloc(aml_model_scratch_size(m));
	aml_model_predict(m, 8, in, out, scratch);
	CHECK_NEAR(out[0], 6.0, 0.05);
	CHECK_NEAR(out[1], -6.0, 0.05);
	CHECK_NEAR(out[2], 2.0, 0.05);
	CHECK_NEAR(out[3], -2.0, 0.05);
	/* the model of every row: the same for unseen and missing, none of the above */
	CHECK(out[4] == out[5] && out[5] == out[6] && out[6] == out[7]);
	CHECK(fabs(out[4]) < 1.5);
	/* one row at a time routes as a block does */
	for (int k = 0; k < 8; k++)
	{
		aml_model_predict(m, 1, in + k * 2, out2 + k, scratch);
		CHECK(out2[k] == out[k]);
	}

	/* the format: the same predictions, bit for bit */
	size = aml_model_serialized_size(m);
	buf = malloc(size);
	CHECK(aml_model_serialize(m, buf, size, &err) == AML_OK);
	CHECK(buf[4] == 3);			/* format version 3 */
	CHECK(aml_model_deserialize(&env, buf, size, &m2, &err) == AML_OK);
	if (m2)
	{
		aml_model_predict(m2, 8, in, out2, scratch);
		for (int k = 0; k < 8; k++)
			CHECK(out2[k] == out[k]);
		aml_model_free(m2);
	}
	/* a segment table out of order is corrupt, not a crash */
	{
		size_t		at = size - 4 - 4 * (4 + 2);	/* the segment starts */
		uint32_t	v = 7;

		uint32_t	crc;

		memcpy(buf + at + 4, &v, 4);
		crc = aml_crc32c(0, buf, size - 4);
		memcpy(buf + size - 4, &crc, 4);
		m2 = NULL;
		CHECK(aml_model_deserialize(&env, buf, size, &m2, &err) == AML_EFORMAT);
		CHECK(m2 == NULL);
		CHECK(strstr(err.detail, "out of range") != NULL);
	}

	/* explanations add up to each row's prediction */
	CHECK(aml_model_explain(m, 8, in, 0, phi, &base, pred, &sp, &err) == AML_OK);
	for (int k = 0; k < 8; k++)
	{
		CHECK_NEAR(base + phi[k * 2] + phi[k * 2 + 1], out[k], 1e-9);
		CHECK_NEAR(pred[k], out[k], 1e-9);
	}
	/* x1 = 2, below the mean of 5: its contribution has the sign of minus the slope */
	CHECK(phi[0 * 2] < 0 && phi[1 * 2] > 0);

	free(buf);
	free(scratch);
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

int
main(void)
{
	RUN(test_binary_end_to_end);
	RUN(test_feature_distribution);
	RUN(test_regression_and_manual);
	RUN(test_class_weight);
	RUN(test_generated_features);
	RUN(test_errors_cancel_budget);
	RUN(test_candidate_oom);
	RUN(test_confirm_oom);
	RUN(test_refit_oom);
	RUN(test_refit_oom_ensemble);
	RUN(test_refit_too_large);
	RUN(test_diag_oom);
	RUN(test_same_seed_same_model);
	RUN(test_finalists_confirmed);
	RUN(test_hopeless_not_confirmed);
	RUN(test_simpler_finalist);
	RUN(test_baseline_kept);
	RUN(test_regularized_linear);
	RUN(test_multiclass_calibrated_search);
	RUN(test_per_group);
	DONE();
}
