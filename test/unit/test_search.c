/*-------------------------------------------------------------------------
 *
 * test_search.c
 *	  Unit tests of search.c with fake learners and a fake clock: the
 *	  search spaces, budget accounting (the last trial is cut, never
 *	  overruns), early stop on a flat landscape, step sizes, finding the
 *	  optimum of a smooth landscape, learner choice by estimated cost for
 *	  improvement, sample growth, patience on large tables, determinism, failures and cancel; and
 *	  greedy ensemble selection.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "search.h"
#include "harness.h"

#define BIT(a) (1u << (a))

/* ---------------------------------------------------------------- fakes */

typedef double (*fake_score_fn) (aml_algo algo, const aml_params *p, int64_t rows);

/* A fake world: a clock, a score landscape and a cost per trial. */
typedef struct fake
{
	double		clock;
	fake_score_fn score;
	double		cost[AML_ALGO_COUNT];	/* seconds per trial at 10k rows */
	int			cost_by_trees;	/* cost grows with n_estimators */
	int			cost_by_rows;	/* cost grows with sample_rows */
	int			calls;
	int			fail_at;		/* return AML_ENOMEM at this call (1-based) */
	double		max_overrun;	/* clock after a trial minus its deadline */
	int			bad_limit;		/* a trial got a wrong time limit */
	double		budget;
	double		final_factor;	/* > 0: report a refit estimate of this
								 * many times the trial's seconds */
	int			after_calls;	/* of grow_after */
	double		se;				/* > 0: report this score_se */
} fake;

/*
 * pv returns the value of a parameter, NaN when missing (model.c's
 * aml_params_get is not linked in the standalone build).
 */
static double
pv(const aml_params *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return p->value[i];
	return NAN;
}

/*
 * fake_clock returns the fake time.
 */
static double
fake_clock(void *ctx)
{
	return ((fake *) ctx)->clock;
}

/*
 * fake_eval "fits" a configuration: advances the clock by its cost, or by
 * the time limit when the cost exceeds it (a cut trial, score NaN).
 */
static aml_status
fake_eval(void *ctx, const aml_search_request *req, aml_search_result *res,
		  aml_error *err)
{
	fake	   *f = ctx;
	double		c = f->cost[req->algo];

	f->calls++;
	if (f->fail_at && f->calls == f->fail_at)
		return aml_set_error(err, AML_ENOMEM, "fake out of memory");
	if (req->algo != AML_ALGO_BASELINE && f->budget > 0 &&
		fabs(req->time_limit - (f->budget - f->clock)) > 1e-9)
		f->bad_limit = 1;
	if (f->cost_by_trees)
		{
		double		trees = pv(req->params, "n_estimators");

		c *= isnan(trees) ? 1.0 : trees / 10.0;
	}
	if (f->cost_by_rows)
		c *= (double) req->sample_rows / 10000.0;
	if (c > req->time_limit)
	{
		f->clock += req->time_limit;
		res->seconds = req->time_limit;
		res->was_cut = 1;
		res->score = NAN;
	}
	else
	{
		f->clock += c;
		res->seconds = c;
		res->score = f->score(req->algo, req->params, req->sample_rows);
		res->final_seconds = f->final_factor * c;
		if (f->se > 0)
			res->score_se = f->se;
	}
	if (f->budget > 0 && f->clock - f->budget > f->max_overrun)
		f->max_overrun = f->clock - f->budget;
	return AML_OK;
}

/*
 * fake_init sets up a world where every trial costs `cost` seconds.
 */
static void
fake_init(fake *f, fake_score_fn score, double cost)
{
	memset(f, 0, sizeof(*f));
	f->score = score;
	for (int a = 0; a < AML_ALGO_COUNT; a++)
		f->cost[a] = cost;
	f->cost[AML_ALGO_BASELINE] = 0.01;
}

/*
 * config_for prepares a search configuration on the fake clock.
 */
static void
config_for(aml_search_config *cfg, fake *f, unsigned algos, double budget)
{
	aml_search_config_init(cfg);
	cfg->algorithms = algos;
	cfg->n_rows = 5000;
	cfg->budget_seconds = budget;
	cfg->clock = fake_clock;
	cfg->clock_ctx = f;
	f->budget = budget;
}

/* coordinate of v on [lo, hi], log scale */
static double
logpos(double v, double lo, double hi)
{
	return (log(v) - log(lo)) / (log(hi) - log(lo));
}


/* landscapes -------------------------------------------------------- */

/* every learner scores 0.7 whatever its parameters */
static double
score_flat(aml_algo algo, const aml_params *p, int64_t rows)
{
	(void) algo;
	(void) p;
	(void) rows;
	return 0.7;
}

/* gbdt improves steadily with more trees and rows; others are flat */
static double
score_trees(aml_algo algo, const aml_params *p, int64_t rows)
{
	if (algo == AML_ALGO_BASELINE)
		return 0.5;
	if (algo != AML_ALGO_GBDT)
		return 0.6;
	return 0.7 + 0.02 * log(pv(p, "n_estimators")) + 0.001 * log((double) rows);
}

/*
 * score_bowl: gbdt peaks at n_estimators 300, learning_rate 0.05,
 * max_leaves 32, min_child_samples 10, reg_lambda 1, subsample 0.8,
 * colsample 0.7 (a quadratic bowl in normalized coordinates);
 * decision_tree peaks at max_depth 8, min_samples_leaf 12; others flat.
 */
static double
score_bowl(aml_algo algo, const aml_params *p, int64_t rows)
{
	double		d = 0;

	(void) rows;
	if (algo == AML_ALGO_GBDT)
	{
		d += pow(logpos(pv(p, "n_estimators"), 10, 2000) - logpos(300, 10, 2000), 2);
		d += pow(logpos(pv(p, "learning_rate"), 0.01, 0.5) - logpos(0.05, 0.01, 0.5), 2);
		d += pow(logpos(pv(p, "max_leaves"), 4, 256) - logpos(32, 4, 256), 2);
		d += pow(logpos(pv(p, "min_child_samples"), 2, 200) - logpos(10, 2, 200), 2);
		d += pow(logpos(pv(p, "reg_lambda"), 1e-3, 100) - logpos(1, 1e-3, 100), 2);
		d += pow((pv(p, "subsample") - 0.8) / 0.5, 2);
		d += pow((pv(p, "colsample") - 0.7) / 0.7, 2);
		return 0.95 - d;
	}
	if (algo == AML_ALGO_DECISION_TREE)
	{
		d += pow((pv(p, "max_depth") - 8) / 18.0, 2);
		d += pow(logpos(pv(p, "min_samples_leaf"), 1, 200) - logpos(12, 1, 200), 2);
		return 0.9 - d;
	}
	return algo == AML_ALGO_BASELINE ? 0.5 : 0.6;
}

/* linear gets better as alpha grows (a monotone slope) */
static double
score_alpha(aml_algo algo, const aml_params *p, int64_t rows)
{
	(void) rows;
	if (algo != AML_ALGO_LINEAR)
		return 0.5;
	return 0.6 + 0.01 * log(pv(p, "alpha"));
}

/* linear fails (NaN); trees are fine */
static double
score_linear_fails(aml_algo algo, const aml_params *p, int64_t rows)
{
	(void) p;
	(void) rows;
	if (algo == AML_ALGO_LINEAR)
		return NAN;
	return algo == AML_ALGO_BASELINE ? 0.5 : 0.6;
}

/*
 * score_two_curves: random_forest improves along a bowl centred away from
 * its start; extra_trees stays flat below it.
 */
static double
score_two_curves(aml_algo algo, const aml_params *p, int64_t rows)
{
	(void) rows;
	if (algo == AML_ALGO_RANDOM_FOREST)
	{
		double		d = pow(logpos(pv(p, "n_estimators"), 10, 500) - 0.7, 2) +
			pow(pv(p, "max_features") - 0.2, 2) +
			pow(logpos(pv(p, "min_samples_leaf"), 1, 50) - 0.5, 2);

		return 0.9 - d;
	}
	if (algo == AML_ALGO_EXTRA_TREES)
		return 0.55;
	return 0.5;
}

/*
 * score_weighted: balanced class weights add 0.05 to gbdt and take 0.05
 * from the decision tree; the bowl otherwise.
 */
static double
score_weighted(aml_algo algo, const aml_params *p, int64_t rows)
{
	double		cw = pv(p, AML_CLASS_WEIGHT);
	double		s = score_bowl(algo, p, rows);

	if (!isnan(cw) && cw == 1)
		s += algo == AML_ALGO_GBDT ? 0.05 : algo == AML_ALGO_DECISION_TREE ? -0.05 : 0;
	return s;
}

/*
 * score_switches: class weights as in score_weighted; generated features
 * add 0.05 to the decision tree and take 0.05 from gbdt.
 */
static double
score_switches(aml_algo algo, const aml_params *p, int64_t rows)
{
	double		gen = pv(p, AML_GEN_FEATURES);
	double		s = score_weighted(algo, p, rows);

	if (!isnan(gen) && gen == 1)
		s += algo == AML_ALGO_DECISION_TREE ? 0.05 : algo == AML_ALGO_GBDT ? -0.05 : 0;
	return s;
}

/* ---------------------------------------------------------------- helpers */

/*
 * count_algo counts the trials of one learner.
 */
static int
count_algo(const aml_search_trace *t, aml_algo a)
{
	int			n = 0;

	for (int i = 0; i < t->n_trials; i++)
		n += t->trials[i].algo == a;
	return n;
}

/*
 * params_in_space checks every trial's parameters against its space.
 */
static int
params_in_space(const aml_search_trace *t)
{
	for (int i = 0; i < t->n_trials; i++)
	{
		const aml_search_trial *tr = &t->trials[i];
		const aml_search_space *sp = aml_search_space_for(tr->algo);

		if (sp == NULL || tr->params.n != sp->n)
			return 0;
		for (int k = 0; k < sp->n; k++)
		{
			double		v = pv(&tr->params, sp->hp[k].name);

			if (!(v >= sp->hp[k].lo && v <= sp->hp[k].hi))
				return 0;
			if (sp->hp[k].is_int && v != floor(v))
				return 0;
		}
	}
	return 1;
}

/* ---------------------------------------------------------------- tests */

/*
 * test_class_weight checks the class weighting: with class_weights every
 * learner tries its incumbent once with balanced weights, right after its
 * default configuration; gbdt, which gains from them, keeps them in every
 * later trial, the decision tree, which loses, never uses them again, and
 * the best model is a weighted gbdt.  Without class_weights (regression)
 * no trial has them.
 */
static void
test_class_weight(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	for (int on = 0; on < 2; on++)
	{
		unsigned	algos = BIT(AML_ALGO_GBDT) | BIT(AML_ALGO_DECISION_TREE);
		int			n_cw[AML_ALGO_COUNT] = {0};
		int			seen_cw[AML_ALGO_COUNT] = {0};
		int			weighted_after[AML_ALGO_COUNT] = {0};
		int			plain_after[AML_ALGO_COUNT] = {0};

		fake_init(&f, score_weighted, 0.1);
		config_for(&cfg, &f, algos, 1000.0);
		cfg.class_weights = on;
		aml_search_trace_init(&t, &env);
		CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
		for (int i = 0; i < t.n_trials; i++)
		{
			const aml_search_trial *tr = &t.trials[i];
			double		cw = pv(&tr->params, AML_CLASS_WEIGHT);

			if (tr->kind == AML_TRIAL_CLASS_WEIGHT)
			{
				n_cw[tr->algo]++;
				seen_cw[tr->algo] = 1;
				CHECK(cw == 1);
				/* it comes right after the learner's default */
				for (int k = i - 1; k >= 0; k--)
					if (t.trials[k].algo == tr->algo)
					{
						CHECK(t.trials[k].kind == AML_TRIAL_DEFAULT);
						break;
					}
				continue;
			}
			if (!on || tr->algo == AML_ALGO_BASELINE)
			{
				CHECK(isnan(cw));
				continue;
			}
			if (seen_cw[tr->algo] && cw == 1)
				weighted_after[tr->algo]++;
			else if (seen_cw[tr->algo])
				plain_after[tr->algo]++;
		}
		CHECK(n_cw[AML_ALGO_DECISION_TREE] == on && n_cw[AML_ALGO_GBDT] == on);
		if (on)
		{
			CHECK(weighted_after[AML_ALGO_GBDT] > 0 && plain_after[AML_ALGO_GBDT] == 0);
			CHECK(plain_after[AML_ALGO_DECISION_TREE] > 0 && weighted_after[AML_ALGO_DECISION_TREE] == 0);
			CHECK(t.trials[t.best].algo == AML_ALGO_GBDT &&
				  pv(&t.trials[t.best].params, AML_CLASS_WEIGHT) == 1);
		}
		aml_search_trace_free(&t);
	}
}

/*
 * test_gen_features checks the switch of the generated features: with
 * gen_features every learner tries its incumbent once with them switched,
 * right after its class-weight trial and with the class weighting that
 * trial left; the decision tree, which gains from them, keeps them in every
 * later trial and gbdt, which loses, never uses them again (while it keeps
 * its class weights).  Without gen_features no trial has them.
 */
static void
test_gen_features(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	for (int on = 0; on < 2; on++)
	{
		unsigned	algos = BIT(AML_ALGO_GBDT) | BIT(AML_ALGO_DECISION_TREE);
		int			n_gen[AML_ALGO_COUNT] = {0};
		int			with_after[AML_ALGO_COUNT] = {0};
		int			without_after[AML_ALGO_COUNT] = {0};

		fake_init(&f, score_switches, 0.1);
		config_for(&cfg, &f, algos, 1000.0);
		cfg.class_weights = 1;
		cfg.gen_features = on;
		aml_search_trace_init(&t, &env);
		CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
		for (int i = 0; i < t.n_trials; i++)
		{
			const aml_search_trial *tr = &t.trials[i];
			double		gen = pv(&tr->params, AML_GEN_FEATURES);
			double		cw = pv(&tr->params, AML_CLASS_WEIGHT);

			if (tr->kind == AML_TRIAL_GEN_FEATURES)
			{
				n_gen[tr->algo]++;
				CHECK(gen == 1);
				/* right after the class-weight trial, keeping its winner */
				for (int k = i - 1; k >= 0; k--)
					if (t.trials[k].algo == tr->algo)
					{
						CHECK(t.trials[k].kind == AML_TRIAL_CLASS_WEIGHT);
						break;
					}
				CHECK(tr->algo == AML_ALGO_GBDT ? cw == 1 : isnan(cw));
				continue;
			}
			if (!on || tr->algo == AML_ALGO_BASELINE)
			{
				CHECK(isnan(gen));
				continue;
			}
			if (n_gen[tr->algo] && gen == 1)
				with_after[tr->algo]++;
			else if (n_gen[tr->algo])
				without_after[tr->algo]++;
		}
		CHECK(n_gen[AML_ALGO_DECISION_TREE] == on && n_gen[AML_ALGO_GBDT] == on);
		if (on)
		{
			CHECK(with_after[AML_ALGO_DECISION_TREE] > 0 && without_after[AML_ALGO_DECISION_TREE] == 0);
			CHECK(without_after[AML_ALGO_GBDT] > 0 && with_after[AML_ALGO_GBDT] == 0);
		}
		/* the best trial has each learner's winning switches */
		if (t.trials[t.best].algo == AML_ALGO_GBDT)
			CHECK(pv(&t.trials[t.best].params, AML_CLASS_WEIGHT) == 1 &&
				  isnan(pv(&t.trials[t.best].params, AML_GEN_FEATURES)));
		else
			CHECK(t.trials[t.best].algo == AML_ALGO_DECISION_TREE && on &&
				  isnan(pv(&t.trials[t.best].params, AML_CLASS_WEIGHT)) &&
				  pv(&t.trials[t.best].params, AML_GEN_FEATURES) == 1);
		aml_search_trace_free(&t);
	}
}

/*
 * test_spaces checks names, bounds and the initial and default values.
 */
static void
test_spaces(void)
{
	const aml_search_space *sp;
	aml_params	p;

	CHECK(aml_search_space_for(AML_ALGO_BASELINE)->n == 0);
	CHECK(aml_search_space_for(AML_ALGO_ENSEMBLE) == NULL);
	CHECK(aml_search_space_for(AML_ALGO_LINEAR)->n == 1);
	CHECK(aml_search_space_for(AML_ALGO_DECISION_TREE)->n == 2);
	CHECK(aml_search_space_for(AML_ALGO_GBDT)->n == 8);
	CHECK(aml_search_space_for(AML_ALGO_RANDOM_FOREST)->n == 3);
	CHECK(aml_search_space_for(AML_ALGO_EXTRA_TREES)->n == 3);
	for (int a = AML_ALGO_LINEAR; a <= AML_ALGO_EXTRA_TREES; a++)
	{
		sp = aml_search_space_for((aml_algo) a);
		CHECK(sp->algo == (aml_algo) a);
		for (int k = 0; k < sp->n; k++)
		{
			const aml_hparam *h = &sp->hp[k];

			CHECK(h->lo < h->hi);
			CHECK(!h->is_log || h->lo > 0);
			CHECK(h->init >= h->lo && h->init <= h->hi);
			CHECK(h->dflt >= h->lo && h->dflt <= h->hi);
			CHECK(strlen(h->name) < 32);
		}
	}
	sp = aml_search_space_for(AML_ALGO_GBDT);
	aml_search_space_params(sp, 0, &p);
	CHECK(p.n == 8);
	CHECK_NEAR(pv(&p, "n_estimators"), 10, 0);
	CHECK_NEAR(pv(&p, "max_leaves"), 4, 0);
	aml_search_space_params(sp, 1, &p);
	CHECK_NEAR(pv(&p, "n_estimators"), 300, 0);
	CHECK_NEAR(pv(&p, "colsample"), 0.8, 0);
	CHECK_NEAR(pv(&p, "min_child_weight"), 1, 0);
	sp = aml_search_space_for(AML_ALGO_LINEAR);
	CHECK(strcmp(sp->hp[0].name, "alpha") == 0 && sp->hp[0].is_log);
	CHECK_NEAR(sp->hp[0].lo, 1e-4, 0);
	CHECK_NEAR(sp->hp[0].hi, 1e3, 0);
}

/*
 * test_budget: with learners that keep improving, the search runs until
 * the budget; every trial's time limit is what is left; the clock never
 * passes the budget (the last trial is cut).
 */
static void
test_budget(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	int			cut = 0;

	aml_env_init(&env);
	fake_init(&f, score_trees, 0.3);
	f.cost_by_trees = 1;
	config_for(&cfg, &f, 0, 20.0);
	cfg.patience = 100000;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_BUDGET);
	CHECK(f.clock <= 20.0 + 1e-9);
	CHECK(f.max_overrun <= 1e-9);
	CHECK(!f.bad_limit);
	CHECK(t.n_trials > 10);
	CHECK(t.trials[0].algo == AML_ALGO_BASELINE);
	CHECK(isinf(t.trials[0].time_limit));
	for (int i = 0; i < t.n_trials; i++)
		cut += t.trials[i].was_cut;
	CHECK(cut <= 1);
	CHECK(cut == 0 || t.trials[t.n_trials - 1].was_cut);
	CHECK(t.best >= 0 && t.trials[t.best].algo == AML_ALGO_GBDT);
	CHECK(!t.trials[t.best].was_cut);
	CHECK(t.best_of[AML_ALGO_BASELINE] == 0);
	CHECK(params_in_space(&t));
	CHECK_NEAR(t.elapsed, f.clock, 1e-9);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_refit_overrun: when the best trial's refit estimate is longer than
 * the time kept for the refit, the search ends that much earlier: every
 * trial ends by the budget minus the overrun of the best trial before it.
 */
static void
test_refit_overrun(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	int			best = -1,
				shifted = 0;

	aml_env_init(&env);
	fake_init(&f, score_trees, 0.3);
	f.cost_by_trees = 1;
	f.final_factor = 4.0;
	config_for(&cfg, &f, 0, 20.0);
	f.budget = 0;				/* the time limits are checked below */
	cfg.patience = 100000;
	cfg.final_reserve = 1.0;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_overrun(&cfg, &t) == 0);	/* no trial yet */
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_BUDGET);
	for (int i = 0; i < t.n_trials; i++)
	{
		const aml_search_trial *tr = &t.trials[i];
		double		over = best < 0 ? 0 : fmax(0, t.trials[best].final_seconds - 1.0);

		CHECK(tr->elapsed <= 20.0 - over + 1e-9);
		if (!tr->was_cut)
			CHECK_NEAR(tr->final_seconds, 4.0 * tr->seconds, 1e-12);
		shifted += over > 0;
		if (!tr->was_cut && !isnan(tr->score) &&
			(best < 0 || tr->score > t.trials[best].score))
			best = i;
	}
	CHECK(best == t.best);
	CHECK(shifted > 0);
	CHECK_NEAR(aml_search_overrun(&cfg, &t), t.trials[t.best].final_seconds - 1.0, 1e-12);
	CHECK(f.clock < 20.0 - 1.0);	/* it ended early */
	aml_search_trace_free(&t);

	/* an estimate within the reserve moves nothing */
	fake_init(&f, score_trees, 0.3);
	f.cost_by_trees = 1;
	f.final_factor = 1e-3;
	config_for(&cfg, &f, 0, 20.0);
	cfg.patience = 100000;
	cfg.final_reserve = 1.0;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(aml_search_overrun(&cfg, &t) == 0);
	CHECK(!f.bad_limit);
	CHECK(f.clock > 20.0 - 1e-9);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * grow_after is an after_seconds callback: 0.5 s per trial so far, at most
 * 6 s; it counts its calls in the fake world it is given.
 */
static double
grow_after(void *ctx, const struct aml_search_trace *t)
{
	((fake *) ctx)->after_calls++;
	return fmin(0.5 * t->n_trials, 6.0);
}

/*
 * test_after_seconds: the time the caller asks to keep after the search,
 * given the trials so far, moves the search's deadline earlier before
 * every trial, and a trial's time limit with it.
 */
static void
test_after_seconds(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	fake_init(&f, score_trees, 0.3);
	config_for(&cfg, &f, 0, 20.0);
	f.budget = 0;				/* the time limits are checked below */
	cfg.patience = 100000;
	cfg.after_seconds = grow_after;
	cfg.after_ctx = &f;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_BUDGET);
	CHECK(t.n_trials > 12);		/* the reserve reached its 6 s */
	CHECK(f.after_calls >= t.n_trials - 1);
	for (int i = 1; i < t.n_trials; i++)
	{
		/* trial i started with i trials in the trace */
		CHECK(t.trials[i].elapsed <= 20.0 - fmin(0.5 * i, 6.0) + 1e-9);
		CHECK_NEAR(t.trials[i].time_limit,
				   20.0 - fmin(0.5 * i, 6.0) - t.trials[i - 1].elapsed, 1e-9);
	}
	CHECK(f.clock <= 14.0 + 1e-9);
	CHECK(f.clock > 14.0 - 1.0);	/* it used the time up to there */
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_tiny_budget: a budget smaller than one trial still gives the
 * baseline, and the one learner trial tried is cut at the budget.
 */
static void
test_tiny_budget(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	fake_init(&f, score_flat, 5.0);
	config_for(&cfg, &f, 0, 0.5);
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_BUDGET);
	CHECK(t.n_trials == 2);
	CHECK(t.best == 0);
	CHECK(t.trials[1].was_cut);
	CHECK_NEAR(f.clock, 0.5, 1e-12);
	aml_search_trace_free(&t);

	/* a budget already spent by the baseline: the baseline alone */
	fake_init(&f, score_flat, 5.0);
	f.cost[AML_ALGO_BASELINE] = 1.0;
	config_for(&cfg, &f, 0, 0.5);
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.n_trials == 1 && t.best == 0);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_flat_stops_early: nothing ever improves, so the search stops long
 * before a large budget.
 */
static void
test_flat_stops_early(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	fake_init(&f, score_flat, 0.1);
	config_for(&cfg, &f, 0, 1000.0);
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_PATIENCE || t.stop == AML_STOP_CONVERGED);
	CHECK(f.clock < 10.0);
	CHECK(t.n_trials <= 40);
	/* every learner got its starting point */
	for (int a = AML_ALGO_LINEAR; a <= AML_ALGO_EXTRA_TREES; a++)
		CHECK(count_algo(&t, (aml_algo) a) >= 1);
	aml_search_trace_free(&t);

	/* one learner on a flat landscape converges by its step size */
	fake_init(&f, score_flat, 0.1);
	config_for(&cfg, &f, BIT(AML_ALGO_LINEAR), 1000.0);
	cfg.patience = 1000;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_CONVERGED);
	CHECK(t.converged[AML_ALGO_LINEAR]);
	CHECK(t.final_step[AML_ALGO_LINEAR] < 0.01);
	CHECK(t.n_trials < 30);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/* score_creep: every trial scores 1e-4 more than the one before */
static int	creep_calls;

static double
score_creep(aml_algo algo, const aml_params *p, int64_t rows)
{
	(void) algo;
	(void) p;
	(void) rows;
	return 0.7 + 1e-4 * creep_calls++;
}

/*
 * creep_search runs a search of the learners algos over score_creep (every
 * trial scores 1e-4 more than the last) on the fake clock, with a budget
 * of 50 s and the given patience, without a standard error over the folds
 * or with one of 0.01 (a gain then needs 0.0025); t receives the trace.
 */
static void
creep_search(aml_env *env, unsigned algos, int patience, int with_se, aml_search_trace *t)
{
	aml_error	err;
	aml_search_config cfg;
	fake		f;

	fake_init(&f, score_creep, 0.1);
	f.se = with_se ? 0.01 : 0;
	config_for(&cfg, &f, algos, 50.0);
	cfg.patience = patience;
	creep_calls = 0;
	aml_search_trace_init(t, env);
	CHECK(aml_search_run(env, &cfg, fake_eval, &f, t, &err) == AML_OK);
}

/*
 * test_noise_not_improvement: a linear learner whose every trial scores
 * 1e-4 more than the last.  Without a standard error those gains move
 * its incumbent forever and it searches to the end of the budget; with
 * an error of 0.01 none counts, so its step shrinks and it converges
 * early.  The trace's best is the best score either way.
 */
static void
test_noise_not_improvement(void)
{
	aml_env		env;
	aml_search_trace t;

	aml_env_init(&env);
	for (int with_se = 0; with_se < 2; with_se++)
	{
		creep_search(&env, BIT(AML_ALGO_LINEAR), 100000, with_se, &t);
		if (with_se)
		{
			CHECK(t.stop == AML_STOP_CONVERGED);
			CHECK(t.n_trials < 40);
		}
		else
			CHECK(t.stop == AML_STOP_BUDGET);
		CHECK(t.best == t.n_trials - 1 || t.trials[t.n_trials - 1].was_cut);
		aml_search_trace_free(&t);
	}
	CHECK(env.mem_used == 0);
}

/*
 * test_patience_noise: three learners on the same creeping scores, a
 * relative gain above the search's tolerance (1e-4).  Without a standard
 * error each trial resets the patience, so the search runs to the end of
 * its budget; with an error of 0.01 none is an improvement, and patience
 * (12 trials) stops the search long before.
 */
static void
test_patience_noise(void)
{
	aml_env		env;
	aml_search_trace t;

	aml_env_init(&env);
	for (int with_se = 0; with_se < 2; with_se++)
	{
		creep_search(&env, BIT(AML_ALGO_GBDT) | BIT(AML_ALGO_RANDOM_FOREST) |
					 BIT(AML_ALGO_EXTRA_TREES), 12, with_se, &t);
		if (with_se)
		{
			CHECK(t.stop == AML_STOP_PATIENCE);
			CHECK(t.n_trials < 60);
		}
		else
			CHECK(t.stop == AML_STOP_BUDGET);
		aml_search_trace_free(&t);
	}
	CHECK(env.mem_used == 0);
}

/*
 * test_step_sizes: failures shrink the step (after both directions of a
 * direction failed), successes grow it up to sqrt(d).
 */
static void
test_step_sizes(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	double		prev;
	int			shrinks = 0;

	aml_env_init(&env);
	fake_init(&f, score_flat, 0.1);
	config_for(&cfg, &f, BIT(AML_ALGO_LINEAR), 1000.0);
	cfg.patience = 1000;
	cfg.try_defaults = 0;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.trials[1].kind == AML_TRIAL_INIT);
	CHECK_NEAR(t.trials[1].step, 0.1, 1e-12);
	prev = t.trials[1].step;
	for (int i = 2; i < t.n_trials; i++)
	{
		CHECK(!t.trials[i].improved);
		CHECK(t.trials[i].step <= prev);
		shrinks += t.trials[i].step < prev;
		prev = t.trials[i].step;
	}
	CHECK(shrinks >= 3);
	/* d = 1: the step halves after each failed pair of moves */
	CHECK_NEAR(t.trials[2].step, 0.1, 1e-12);
	CHECK_NEAR(t.trials[3].step, 0.05, 1e-12);
	aml_search_trace_free(&t);

	/* a monotone slope: successes grow the step to its bound (4 x 0.1 for d = 1) */
	fake_init(&f, score_alpha, 0.1);
	config_for(&cfg, &f, BIT(AML_ALGO_LINEAR), 1000.0);
	cfg.patience = 1000;
	cfg.max_trials = 40;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	{
		double		maxstep = 0;

		for (int i = 1; i < t.n_trials; i++)
			if (t.trials[i].step > maxstep)
				maxstep = t.trials[i].step;
		CHECK(maxstep > 0.3);
		CHECK(maxstep <= 0.4 + 1e-12);
	}
	/* it walks to the upper bound of alpha */
	CHECK(t.best >= 0);
	CHECK_NEAR(pv(&t.trials[t.best].params, "alpha"), 1e3, 1e-9);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_finds_optimum: on smooth bowls, local search ends near the optimum
 * of a 7-dimensional gbdt space and at the optimum of the 2-dimensional
 * integer decision_tree space.
 */
static void
test_finds_optimum(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	const aml_params *b;

	aml_env_init(&env);
	fake_init(&f, score_bowl, 0.1);
	config_for(&cfg, &f, BIT(AML_ALGO_GBDT), 1e6);
	cfg.patience = 100000;
	cfg.max_trials = 400;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.best >= 0 && t.trials[t.best].algo == AML_ALGO_GBDT);
	b = &t.trials[t.best].params;
	CHECK(t.trials[t.best].score > 0.95 - 0.01);
	CHECK(fabs(logpos(pv(b, "n_estimators"), 10, 2000) - logpos(300, 10, 2000)) < 0.06);
	CHECK(fabs(logpos(pv(b, "learning_rate"), 0.01, 0.5) - logpos(0.05, 0.01, 0.5)) < 0.06);
	CHECK(fabs(logpos(pv(b, "max_leaves"), 4, 256) - logpos(32, 4, 256)) < 0.06);
	CHECK(fabs(pv(b, "subsample") - 0.8) < 0.05);
	CHECK(params_in_space(&t));
	aml_search_trace_free(&t);

	fake_init(&f, score_bowl, 0.1);
	config_for(&cfg, &f, BIT(AML_ALGO_DECISION_TREE), 1e6);
	cfg.patience = 100000;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_CONVERGED);
	b = &t.trials[t.best].params;
	CHECK(fabs(pv(b, "max_depth") - 8) <= 1);
	CHECK(fabs(pv(b, "min_samples_leaf") - 12) <= 2);
	CHECK(t.n_trials < 200);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_better_curve_gets_more: of two learners with the same cost, the
 * one that keeps improving gets most of the trials.
 */
static void
test_better_curve_gets_more(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	int			nrf,
				net;

	aml_env_init(&env);
	fake_init(&f, score_two_curves, 1.0);
	config_for(&cfg, &f, BIT(AML_ALGO_RANDOM_FOREST) | BIT(AML_ALGO_EXTRA_TREES), 60.0);
	cfg.patience = 100000;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	nrf = count_algo(&t, AML_ALGO_RANDOM_FOREST);
	net = count_algo(&t, AML_ALGO_EXTRA_TREES);
	CHECK(nrf > 2 * net);
	CHECK(net >= 1);
	CHECK(t.trials[t.best].algo == AML_ALGO_RANDOM_FOREST);
	aml_search_trace_free(&t);

	/* the same with a costlier improving learner against a cheap flat one */
	fake_init(&f, score_trees, 0.2);
	f.cost[AML_ALGO_GBDT] = 0.5;
	config_for(&cfg, &f, BIT(AML_ALGO_GBDT) | BIT(AML_ALGO_LINEAR), 60.0);
	cfg.patience = 100000;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(count_algo(&t, AML_ALGO_GBDT) > count_algo(&t, AML_ALGO_LINEAR));
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_sample_growth: on many rows, learners start on the initial sample
 * and the improving one grows its sample to all rows; a learner's sample
 * never shrinks.
 */
static void
test_sample_growth(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	int64_t		last[AML_ALGO_COUNT] = {0};
	int			full = 0;

	aml_env_init(&env);
	fake_init(&f, score_trees, 0.1);
	f.cost_by_rows = 1;
	config_for(&cfg, &f, 0, 200.0);
	cfg.n_rows = 100000;
	cfg.patience = 100000;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.trials[0].sample_rows == 100000);
	for (int i = 1; i < t.n_trials; i++)
	{
		const aml_search_trial *tr = &t.trials[i];

		if (tr->kind == AML_TRIAL_INIT)
			CHECK(tr->sample_rows == 10000);
		CHECK(tr->sample_rows >= last[tr->algo]);
		CHECK(tr->sample_rows <= 100000);
		if (tr->kind == AML_TRIAL_GROW)
			CHECK(tr->sample_rows > last[tr->algo]);
		last[tr->algo] = tr->sample_rows;
		full += tr->algo == AML_ALGO_GBDT && tr->sample_rows == 100000;
	}
	CHECK(full > 0);
	CHECK(t.trials[t.best].algo == AML_ALGO_GBDT);
	CHECK(f.clock <= 200.0 + 1e-9);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * score_big_data: on a sample the cheap gbdt configurations beat the
 * default and every learner trails linear (0.75); on all 100000 rows
 * gbdt's default configuration (300 trees) is the best model (0.9).
 */
static double
score_big_data(aml_algo algo, const aml_params *p, int64_t rows)
{
	if (algo == AML_ALGO_LINEAR)
		return 0.75;
	if (algo != AML_ALGO_GBDT)
		return 0.6;
	if (rows >= 100000)
		return pv(p, "n_estimators") == 300 ? 0.9 : 0.7;
	return 0.7 - 0.1 * pv(p, "n_estimators") / 2000.0;
}

/*
 * test_patience_waits_for_all_rows: on a large table patience does not
 * end the search while a learner still runs on a sample, and a learner
 * that grows to a larger sample tries its default configuration again:
 * the default, poor on a sample, is the best model on all rows.
 */
static void
test_patience_waits_for_all_rows(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	int			dflt_full = 0;

	aml_env_init(&env);
	fake_init(&f, score_big_data, 0.1);
	f.cost_by_rows = 1;
	config_for(&cfg, &f, BIT(AML_ALGO_LINEAR) | BIT(AML_ALGO_GBDT), 1000.0);
	cfg.n_rows = 100000;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	for (int i = 0; i < t.n_trials; i++)
		dflt_full += t.trials[i].algo == AML_ALGO_GBDT &&
			t.trials[i].kind == AML_TRIAL_DEFAULT &&
			t.trials[i].sample_rows == 100000;
	CHECK(dflt_full == 1);
	CHECK(t.best >= 0 && t.trials[t.best].algo == AML_ALGO_GBDT &&
		  t.trials[t.best].score == 0.9);
	/* it still stops early, not at the budget */
	CHECK(t.stop == AML_STOP_PATIENCE || t.stop == AML_STOP_CONVERGED);
	CHECK(f.clock < 500.0);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * score_default_gbdt: gbdt's default configuration (300 trees) is the best
 * model; the forests keep improving slowly below it (more trees, up to
 * 0.85), the other learners are flat.
 */
static double
score_default_gbdt(aml_algo algo, const aml_params *p, int64_t rows)
{
	(void) rows;
	if (algo == AML_ALGO_GBDT)
		return pv(p, "n_estimators") == 300 ? 0.9 : 0.7;
	if (algo == AML_ALGO_RANDOM_FOREST || algo == AML_ALGO_EXTRA_TREES)
		return 0.8 + 0.0001 * pv(p, "n_estimators");
	return 0.8;
}

/*
 * test_patience_waits_for_slow_learner: cheap learners do not use up the
 * patience alone; when patience stops the search, every learner still
 * searching had at least two trials since the last improvement (here the
 * slow gbdt, 50 times dearer than the others, with a patience of
 * 10 trials).
 */
static void
test_patience_waits_for_slow_learner(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;
	int			after[AML_ALGO_COUNT] = {0};

	aml_env_init(&env);
	fake_init(&f, score_default_gbdt, 0.02);
	f.cost[AML_ALGO_GBDT] = 1.0;
	config_for(&cfg, &f, 0, 1000.0);
	cfg.patience = 10;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.stop == AML_STOP_PATIENCE);
	CHECK(t.best >= 0 && t.trials[t.best].algo == AML_ALGO_GBDT);
	for (int i = t.best + 1; i < t.n_trials; i++)
		after[t.trials[i].algo]++;
	for (int a = AML_ALGO_LINEAR; a <= AML_ALGO_EXTRA_TREES; a++)
		CHECK(t.converged[a] || after[a] >= 2);
	CHECK(after[AML_ALGO_GBDT] >= 2);
	CHECK(f.clock < 100.0);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * run_once runs a standard search with a seed into t.
 */
static void
run_once(aml_env *env, uint64_t seed, aml_search_trace *t)
{
	aml_error	err;
	aml_search_config cfg;
	fake		f;

	fake_init(&f, score_bowl, 0.2);
	f.cost_by_trees = 1;
	config_for(&cfg, &f, 0, 50.0);
	cfg.seed = seed;
	aml_search_trace_init(t, env);
	CHECK(aml_search_run(env, &cfg, fake_eval, &f, t, &err) == AML_OK);
}

/*
 * test_multiclass_default: when a boosting round fits one tree per class,
 * gbdt's default configuration is the faster one (200 trees of 31 leaves
 * at 0.1); otherwise the slow one (300 of 16 at 0.05).
 */
static void
test_multiclass_default(void)
{
	aml_env		env;
	aml_error	err;

	aml_env_init(&env);
	for (int k = 1; k <= 3; k += 2)
	{
		aml_search_config cfg;
		aml_search_trace t;
		fake		f;
		int			seen = 0;

		fake_init(&f, score_flat, 0.1);
		config_for(&cfg, &f, BIT(AML_ALGO_GBDT), 100.0);
		cfg.n_outputs = k;
		cfg.max_trials = 3;
		aml_search_trace_init(&t, &env);
		CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
		for (int i = 0; i < t.n_trials; i++)
			if (t.trials[i].kind == AML_TRIAL_DEFAULT)
			{
				seen++;
				CHECK_NEAR(pv(&t.trials[i].params, "n_estimators"), k > 1 ? 200 : 300, 0);
				CHECK_NEAR(pv(&t.trials[i].params, "learning_rate"), k > 1 ? 0.1 : 0.05, 0);
				CHECK_NEAR(pv(&t.trials[i].params, "max_leaves"), k > 1 ? 31 : 16, 0);
			}
		CHECK(seen == 1);
		aml_search_trace_free(&t);
	}
	CHECK(env.mem_used == 0);
}

/*
 * test_deterministic: the same seed gives the same trials; another seed
 * another path.
 */
static void
test_deterministic(void)
{
	aml_env		env;
	aml_search_trace a,
				b,
				c;
	int			same = 1;
	int			differ = 0;

	aml_env_init(&env);
	run_once(&env, 7, &a);
	run_once(&env, 7, &b);
	run_once(&env, 8, &c);
	same = a.n_trials == b.n_trials && a.best == b.best;
	for (int i = 0; same && i < a.n_trials; i++)
		same = a.trials[i].algo == b.trials[i].algo &&
			a.trials[i].sample_rows == b.trials[i].sample_rows &&
			memcmp(&a.trials[i].params, &b.trials[i].params, sizeof(aml_params)) == 0 &&
			(a.trials[i].score == b.trials[i].score ||
			 (isnan(a.trials[i].score) && isnan(b.trials[i].score)));	/* cut */
	CHECK(same);
	differ = a.n_trials != c.n_trials;
	for (int i = 0; !differ && i < a.n_trials; i++)
		differ = a.trials[i].algo != c.trials[i].algo ||
			memcmp(&a.trials[i].params, &c.trials[i].params, sizeof(aml_params)) != 0;
	CHECK(differ);
	aml_search_trace_free(&a);
	aml_search_trace_free(&b);
	aml_search_trace_free(&c);
	CHECK(env.mem_used == 0);
}

/*
 * test_failures: a learner that fails (NaN) at its start is not searched
 * further; an evaluator error stops the search with that error; max_trials
 * is honoured.
 */
static void
test_failures(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	fake_init(&f, score_linear_fails, 0.1);
	config_for(&cfg, &f, BIT(AML_ALGO_LINEAR) | BIT(AML_ALGO_DECISION_TREE), 100.0);
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(count_algo(&t, AML_ALGO_LINEAR) == 1);
	CHECK(t.best_of[AML_ALGO_LINEAR] == -1);
	CHECK(t.best_of[AML_ALGO_DECISION_TREE] >= 0);
	aml_search_trace_free(&t);

	fake_init(&f, score_flat, 0.1);
	f.fail_at = 4;
	config_for(&cfg, &f, 0, 100.0);
	aml_search_trace_init(&t, &env);
	memset(&err, 0, sizeof(err));
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_ENOMEM);
	CHECK(strcmp(err.msg, "fake out of memory") == 0);
	CHECK(t.n_trials == 3);
	aml_search_trace_free(&t);

	fake_init(&f, score_bowl, 0.1);
	config_for(&cfg, &f, 0, 100.0);
	cfg.max_trials = 9;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.n_trials == 9 && t.stop == AML_STOP_MAX_TRIALS);
	aml_search_trace_free(&t);

	cfg.n_rows = 0;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_EINVAL);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/* cancel after a number of polls */
static int	cancel_after;

/*
 * cancel_cb asks to stop once cancel_after polls have passed.
 */
static int
cancel_cb(void *ctx)
{
	(void) ctx;
	return --cancel_after < 0;
}

/*
 * test_cancel: the search polls should_cancel between trials.
 */
static void
test_cancel(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	env.should_cancel = cancel_cb;
	cancel_after = 5;
	fake_init(&f, score_bowl, 0.1);
	config_for(&cfg, &f, 0, 100.0);
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_ECANCELED);
	CHECK(t.n_trials == 5);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/*
 * test_lower_is_better: with a loss metric the search minimizes.
 */
static double
score_loss(aml_algo algo, const aml_params *p, int64_t rows)
{
	(void) rows;
	if (algo != AML_ALGO_DECISION_TREE)
		return 1.0;
	return 0.1 + pow((pv(p, "max_depth") - 15) / 18.0, 2);
}

static void
test_lower_is_better(void)
{
	aml_env		env;
	aml_error	err;
	aml_search_config cfg;
	aml_search_trace t;
	fake		f;

	aml_env_init(&env);
	fake_init(&f, score_loss, 0.1);
	config_for(&cfg, &f, BIT(AML_ALGO_DECISION_TREE) | BIT(AML_ALGO_LINEAR), 1000.0);
	cfg.higher_is_better = 0;
	aml_search_trace_init(&t, &env);
	CHECK(aml_search_run(&env, &cfg, fake_eval, &f, &t, &err) == AML_OK);
	CHECK(t.trials[t.best].algo == AML_ALGO_DECISION_TREE);
	CHECK(fabs(pv(&t.trials[t.best].params, "max_depth") - 15) <= 1);
	aml_search_trace_free(&t);
	CHECK(env.mem_used == 0);
}

/* ---------------------------------------------------------------- ensemble */

/*
 * test_ensemble_mix: two regressors whose errors cancel are mixed 1:1 and
 * a bad third one gets no weight; the same for two binary classifiers that
 * are each sure on a different half (log loss).
 */
static void
test_ensemble_mix(void)
{
	enum
	{
		N = 40
	};
	aml_env		env;
	aml_error	err;
	double		y[N],
				a[N],
				b[N],
				c[N];
	const double *pred[3] = {a, b, c};
	int			w[3];
	aml_ensemble_input in;
	aml_ensemble_result r;

	aml_env_init(&env);
	for (int i = 0; i < N; i++)
	{
		double		e = (i % 3 == 0 ? 1.0 : -0.5) * (1 + i % 5);

		y[i] = i * 0.25;
		a[i] = y[i] + e;
		b[i] = y[i] - e;
		c[i] = y[i] + 10;
	}
	memset(&in, 0, sizeof(in));
	in.metric = "rmse";
	in.task = AML_TASK_REGRESSION;
	in.n = N;
	in.n_out = 1;
	in.y = y;
	in.n_cand = 3;
	in.pred = pred;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 1);
	CHECK(w[0] > 0 && w[0] == w[1]);
	CHECK(w[2] == 0);
	CHECK(r.n_members == 2);
	CHECK_NEAR(r.score, 0.0, 1e-9);
	CHECK(r.single_score > 1.0);

	/* binary, log loss: each is sure on its half and unsure on the other */
	for (int i = 0; i < N; i++)
	{
		int			first = i < N / 2;

		y[i] = i % 2;
		a[i] = first ? (y[i] == 1 ? 0.9 : 0.1) : 0.5;
		b[i] = first ? 0.5 : (y[i] == 1 ? 0.9 : 0.1);
		c[i] = 0.5;
	}
	in.metric = "log_loss";
	in.task = AML_TASK_BINARY;
	in.n_classes = 2;
	in.max_rounds = 10;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 1);
	CHECK(w[0] == w[1] && w[0] > 0 && w[2] == 0);
	CHECK_NEAR(r.score, -log(0.7), 1e-9);
	CHECK_NEAR(r.single_score, (-log(0.9) - log(0.5)) / 2, 1e-9);
	CHECK(w[0] + w[1] <= 10);
	CHECK(env.mem_used == 0);
}

/*
 * test_ensemble_declines: when one candidate dominates (the other makes
 * the same errors, larger), no mix beats it and selection declines.
 */
static void
test_ensemble_declines(void)
{
	enum
	{
		N = 30
	};
	aml_env		env;
	aml_error	err;
	double		y[N],
				a[N],
				b[N];
	double		p3[N * 3],
				q3[N * 3];
	const double *pred[2] = {b, a};
	int			w[2];
	aml_ensemble_input in;
	aml_ensemble_result r;

	aml_env_init(&env);
	for (int i = 0; i < N; i++)
	{
		double		e = sin(i * 1.7);

		y[i] = i;
		a[i] = y[i] + e;
		b[i] = y[i] + 2 * e;
	}
	memset(&in, 0, sizeof(in));
	in.metric = "rmse";
	in.task = AML_TASK_REGRESSION;
	in.n = N;
	in.n_out = 1;
	in.y = y;
	in.n_cand = 2;
	in.pred = pred;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 0);
	CHECK(r.best_single == 1);
	CHECK(w[0] == 0 && w[1] == 1);
	CHECK_NEAR(r.score, r.single_score, 0);

	/* multiclass accuracy: a perfect model against a worse one */
	for (int i = 0; i < N; i++)
	{
		int			k = i % 3;

		y[i] = k;
		for (int j = 0; j < 3; j++)
		{
			p3[i * 3 + j] = j == k ? 0.8 : 0.1;
			q3[i * 3 + j] = j == (k + (i % 2)) % 3 ? 0.6 : 0.2;
		}
	}
	pred[0] = p3;
	pred[1] = q3;
	in.metric = "accuracy";
	in.task = AML_TASK_MULTICLASS;
	in.n_classes = 3;
	in.n_out = 3;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 0 && r.best_single == 0);
	CHECK_NEAR(r.single_score, 1.0, 1e-12);

	/* bad input */
	in.n_out = 1;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_EINVAL);
	in.n_out = 3;
	in.metric = "rmse";
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_EINVAL);
	CHECK(env.mem_used == 0);
}

/*
 * test_ensemble_prune: a candidate far worse than the best one (beyond
 * twice the best score's bootstrap standard error) is left out even when
 * a little of it would help the mix on these rows; one as good as the
 * best still joins.
 */
static void
test_ensemble_prune(void)
{
	enum
	{
		N = 200
	};
	aml_env		env;
	aml_error	err;
	double		y[N],
				a[N],
				b[N],
				c[N];
	const double *pred[3] = {a, b, c};
	int			w[3];
	aml_ensemble_input in;
	aml_ensemble_result r;

	aml_env_init(&env);
	for (int i = 0; i < N; i++)
	{
		double		e = 1.0 + 0.5 * sin(i * 0.9);

		y[i] = i * 0.1;
		a[i] = y[i] + e;		/* biased up: rmse about 1.06 */
		b[i] = y[i] - 1.0 + (i % 2 ? 3.0 : -3.0);	/* rmse 3.16, biased down */
		c[i] = y[i] - e;		/* as good as a, biased down */
	}
	memset(&in, 0, sizeof(in));
	in.metric = "rmse";
	in.task = AML_TASK_REGRESSION;
	in.n = N;
	in.n_out = 1;
	in.y = y;
	in.n_cand = 2;				/* a and b */
	in.pred = pred;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 1 && w[1] > 0 && w[0] > w[1]);	/* b's bias helps a little */
	CHECK(r.n_pruned == 0 && r.margin == 0);

	in.prune = 1;
	in.seed = 3;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.n_pruned == 1 && r.margin > 0 && r.margin < 0.5);
	CHECK(r.use == 0 && r.best_single == 0 && w[0] == 1 && w[1] == 0);

	/* c is within the margin: a and c mix 1:1, b stays out */
	in.n_cand = 3;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.n_pruned == 1);
	CHECK(r.use == 1 && w[0] == w[2] && w[0] > 0 && w[1] == 0);
	CHECK_NEAR(r.score, 0.0, 1e-9);
	CHECK(env.mem_used == 0);
}

/* deal_three_times copies rows 0..n) of y, a and b to n..2n) and 2n..3n) */
static void
deal_three_times(int n, double *y, double *a, double *b)
{
	for (int q = 1; q < 3; q++)
	{
		memcpy(y + (size_t) q * n, y, (size_t) n * sizeof(double));
		memcpy(a + (size_t) q * n, a, (size_t) n * sizeof(double));
		memcpy(b + (size_t) q * n, b, (size_t) n * sizeof(double));
	}
}

/*
 * small_gain_rows fills n regression rows where b fixes some of a's
 * errors and worsens others (a mix gains a little, from a few rows) and
 * sets in up for RMSE over them.
 */
static void
small_gain_rows(int n, double *y, double *a, double *b, const double **pred,
				aml_ensemble_input *in)
{
	for (int i = 0; i < n; i++)
	{
		double		e = (i % 3 == 0 ? 1.0 : -0.5) * (1 + i % 7);
		double		d = i < 12 ? -0.9 * e : i < 24 ? 0.7 * e : 0.0;

		y[i] = i * 0.1;
		a[i] = y[i] + e;
		b[i] = y[i] + e + d;
	}
	pred[0] = a;
	pred[1] = b;
	memset(in, 0, sizeof(*in));
	in->metric = "rmse";
	in->task = AML_TASK_REGRESSION;
	in->n = n;
	in->n_out = 1;
	in->y = y;
	in->n_cand = 2;
	in->pred = pred;
	in->seed = 5;
}

/*
 * test_ensemble_gain_se: with min_gain_se, a mix whose small gain comes
 * from a few rows (b fixes some of a's errors and worsens others) is not
 * used, and its gain and standard error are reported; a mix whose errors
 * cancel on every row is still used.
 */
static void
test_ensemble_gain_se(void)
{
	enum
	{
		N = 200
	};
	aml_env		env;
	aml_error	err;
	double		y[N],
				a[N],
				b[N];
	const double *pred[2];
	int			w[2];
	aml_ensemble_input in;
	aml_ensemble_result r;

	aml_env_init(&env);
	small_gain_rows(N, y, a, b, pred, &in);
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 1 && w[0] > 0 && w[1] > 0);	/* without the rule: a mix */
	CHECK(r.too_small == 0 && isnan(r.gain_se));

	in.min_gain_se = 1.0;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 0 && r.too_small == 1);
	CHECK(r.gain > 0 && r.gain_se > 0 && r.gain < r.gain_se);
	CHECK(w[r.best_single] == 1 && w[1 - r.best_single] == 0);
	CHECK(r.score == r.single_score && r.n_members == 1);

	/* errors that cancel on every row: a large gain, the mix is used */
	for (int i = 0; i < N; i++)
		b[i] = 2 * y[i] - a[i];
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK(r.use == 1 && r.too_small == 0 && w[0] == w[1]);
	CHECK(r.gain > in.min_gain_se * r.gain_se);
	CHECK(env.mem_used == 0);
}

/*
 * test_ensemble_deals: predictions of the same rows dealt three times,
 * end to end, with n_blocks = 3 give the selection, gain and standard
 * errors of one deal (RMSE does not change when every row is repeated and
 * the block resample draws the same rows); read as independent rows, the
 * standard error shrinks by about the square root of three, and a gain
 * within one real standard error could pass the gate.  A row count that
 * is not whole deals is refused.
 */
static void
test_ensemble_deals(void)
{
	enum
	{
		N = 200
	};
	aml_env		env;
	aml_error	err;
	double		y[3 * N],
				a[3 * N],
				b[3 * N];
	const double *pred[2];
	int			w[2];
	aml_ensemble_input in;
	aml_ensemble_result one,
				r;

	aml_env_init(&env);
	small_gain_rows(N, y, a, b, pred, &in);
	in.prune = 1;
	in.min_gain_se = 1.0;
	CHECK(aml_ensemble_select(&env, &in, w, &one, &err) == AML_OK);
	CHECK(one.gain > 0 && one.gain_se > 0);

	deal_three_times(N, y, a, b);
	in.n = 3 * N;
	in.n_blocks = 3;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK_NEAR(r.gain, one.gain, 1e-12);
	CHECK_NEAR(r.gain_se, one.gain_se, 1e-9);
	CHECK_NEAR(r.margin, one.margin, 1e-9);
	CHECK(r.use == one.use && r.too_small == one.too_small);

	in.n_blocks = 0;			/* the copies read as independent rows */
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_OK);
	CHECK_NEAR(r.gain, one.gain, 1e-12);
	CHECK(r.gain_se < 0.75 * one.gain_se && r.gain_se > 0.4 * one.gain_se);

	in.n = 3 * N - 1;
	in.n_blocks = 3;
	CHECK(aml_ensemble_select(&env, &in, w, &r, &err) == AML_EINVAL);
	CHECK(strstr(err.msg, "whole deals") != NULL);
	CHECK(env.mem_used == 0);
}

/*
 * test_score_diff_se: a score gap's bootstrap standard error.  Rows dealt
 * again in blocks move together: on three copies of the rows the block
 * resample gives the same error as one copy (AUC and RMSE do not change
 * when every row is repeated), while treating the copies as independent
 * rows shrinks it by about the square root of three.  Resamples of a
 * third of the rows, scaled, come near the full error.  Equal predictions
 * have no error; bad input is refused.
 */
static void
test_score_diff_se(void)
{
	enum
	{
		N = 300
	};
	aml_env		env;
	aml_error	err;
	double		y[3 * N],
				a[3 * N],
				b[3 * N];
	double		se1,
				se3,
				naive;
	aml_ensemble_input in;
	aml_rng		rng;

	aml_env_init(&env);
	aml_rng_seed(&rng, 11);
	for (int i = 0; i < N; i++)
	{
		y[i] = aml_rng_below(&rng, 3) == 0;
		a[i] = 0.6 * y[i] + 0.8 * aml_rng_uniform(&rng);
		b[i] = 0.6 * y[i] + 1.2 * aml_rng_uniform(&rng);
	}
	deal_three_times(N, y, a, b);
	memset(&in, 0, sizeof(in));
	in.metric = "roc_auc";
	in.task = AML_TASK_BINARY;
	in.n_classes = 2;
	in.n_out = 1;
	in.y = y;
	in.seed = 5;
	in.n = N;
	CHECK(aml_score_diff_se(&env, &in, 1, a, b, 50, 0, &se1, &err) == AML_OK);
	in.n = 3 * N;
	CHECK(aml_score_diff_se(&env, &in, 3, a, b, 50, 0, &se3, &err) == AML_OK);
	CHECK(aml_score_diff_se(&env, &in, 1, a, b, 50, 0, &naive, &err) == AML_OK);
	CHECK(se1 > 0.005 && se1 < 0.1);
	CHECK_NEAR(se3, se1, 1e-12);
	CHECK(naive < 0.8 * se1 && naive > 0.4 * se1);
	CHECK(aml_score_diff_se(&env, &in, 3, a, a, 50, 0, &se3, &err) == AML_OK);
	CHECK_NEAR(se3, 0, 0);
	/* resamples of a third of the rows, scaled to all: near the full error */
	CHECK(aml_score_diff_se(&env, &in, 3, a, b, 50, 100, &naive, &err) == AML_OK);
	CHECK(naive > 0.6 * se1 && naive < 1.5 * se1);
	/* a subset as large as the rows is the full computation */
	CHECK(aml_score_diff_se(&env, &in, 3, a, b, 50, N, &naive, &err) == AML_OK);
	CHECK_NEAR(naive, se1, 1e-12);

	/* regression: the same on RMSE */
	in.metric = "rmse";
	in.task = AML_TASK_REGRESSION;
	in.n_classes = 0;
	in.n = N;
	CHECK(aml_score_diff_se(&env, &in, 1, a, b, 30, 0, &se1, &err) == AML_OK);
	in.n = 3 * N;
	CHECK(aml_score_diff_se(&env, &in, 3, a, b, 30, 0, &se3, &err) == AML_OK);
	CHECK(se1 > 0);
	CHECK_NEAR(se3, se1, 1e-9);

	/* bad input: rows not whole blocks, too few resamples, a wrong metric */
	CHECK(aml_score_diff_se(&env, &in, 7, a, b, 30, 0, &se3, &err) == AML_EINVAL);
	CHECK(isnan(se3));
	CHECK(aml_score_diff_se(&env, &in, 3, a, b, 1, 0, &se3, &err) == AML_EINVAL);
	in.metric = "roc_auc";
	CHECK(aml_score_diff_se(&env, &in, 3, a, b, 30, 0, &se3, &err) == AML_EINVAL);
	CHECK(env.mem_used == 0);
}

/*
 * test_simplest_within_se: the one-standard-error rule picks the simplest
 * candidate whose gap to the best is within k standard errors, the better
 * estimate among equally simple ones; never one as complex as the best,
 * nor one without an error; the best when nothing simpler qualifies.
 */
static void
test_simplest_within_se(void)
{
	/* best is 0 (0.93, complexity 8) */
	double		est[5] = {0.930, 0.927, 0.924, 0.929, 0.910};
	double		se[5] = {NAN, 0.004, 0.004, 0.004, 0.004};
	int			cx[5] = {8, 2, 2, 8, 1};

	/* within one error: 1 (gap 0.003) and 3 (not simpler); 2 is 0.006 behind */
	CHECK(aml_simplest_within_se(5, est, se, cx, 0, 1, 1.0) == 1);
	/* within two: 2 too, as simple as 1 but behind it */
	CHECK(aml_simplest_within_se(5, est, se, cx, 0, 1, 2.0) == 1);
	/* 2 simpler still: chosen within two errors, not within one */
	cx[2] = 1;
	CHECK(aml_simplest_within_se(5, est, se, cx, 0, 1, 2.0) == 2);
	CHECK(aml_simplest_within_se(5, est, se, cx, 0, 1, 1.0) == 1);
	/* a smaller error puts 2 out of reach */
	se[2] = 0.001;
	CHECK(aml_simplest_within_se(5, est, se, cx, 0, 1, 2.0) == 1);
	/* no error: not eligible; nothing simpler within: the best */
	se[1] = NAN;
	CHECK(aml_simplest_within_se(5, est, se, cx, 0, 1, 2.0) == 0);
	CHECK(aml_simplest_within_se(5, est, se, cx, 0, 1, 0.0) == 0);
	/* lower is better: gaps run the other way */
	{
		double		loss[3] = {0.050, 0.053, 0.049};
		double		e[3] = {0.004, NAN, 0.004};
		int			c3[3] = {1, 8, 8};

		CHECK(aml_simplest_within_se(3, loss, e, c3, 2, 0, 1.0) == 0);
		CHECK(aml_simplest_within_se(3, loss, e, c3, 2, 0, 0.2) == 2);
	}
	/* a best index out of range comes back unchanged */
	CHECK(aml_simplest_within_se(5, est, se, cx, -1, 1, 1.0) == -1);
}

int
main(void)
{
	RUN(test_spaces);
	RUN(test_class_weight);
	RUN(test_gen_features);
	RUN(test_budget);
	RUN(test_refit_overrun);
	RUN(test_after_seconds);
	RUN(test_tiny_budget);
	RUN(test_flat_stops_early);
	RUN(test_step_sizes);
	RUN(test_noise_not_improvement);
	RUN(test_patience_noise);
	RUN(test_finds_optimum);
	RUN(test_better_curve_gets_more);
	RUN(test_sample_growth);
	RUN(test_patience_waits_for_all_rows);
	RUN(test_patience_waits_for_slow_learner);
	RUN(test_deterministic);
	RUN(test_multiclass_default);
	RUN(test_failures);
	RUN(test_cancel);
	RUN(test_lower_is_better);
	RUN(test_ensemble_mix);
	RUN(test_ensemble_declines);
	RUN(test_ensemble_prune);
	RUN(test_ensemble_gain_se);
	RUN(test_ensemble_deals);
	RUN(test_score_diff_se);
	RUN(test_simplest_within_se);
	DONE();
}
