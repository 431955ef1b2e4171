/*-------------------------------------------------------------------------
 *
 * search.c
 *	  The AutoML search engine: learners' hyperparameter spaces, a
 *	  cost-frugal search under a time budget (FLAML's learner choice by
 *	  estimated cost for improvement, FLOW2 randomized local search, sample
 *	  growth), and greedy ensemble selection (Caruana et al. 2004).
 *
 * See search.h for the strategy.  Details of this implementation:
 *
 *	 - Every learner keeps an incumbent (its best configuration on its
 *	   current sample) as a point x in [0,1]^d: each hyperparameter is
 *	   mapped linearly, or linearly in its logarithm, onto [0,1].  Integer
 *	   and float values are rounded (integers to integers, floats to four
 *	   significant digits) before they are evaluated, and x is the image of
 *	   the rounded values, so the search moves between real configurations.
 *	 - A local move draws a direction u uniformly on the unit sphere and
 *	   tries x + step u; if that is no better, the next move of the learner
 *	   tries x - step u.  A success moves the incumbent and multiplies step
 *	   by step_grow (up to 4 times the initial step, at most sqrt(d), the
 *	   diagonal of the cube); after ceil(d/2) directions failed
 *	   both ways, step is multiplied by step_shrink.  A proposal that
 *	   rounds to a configuration already tried on the same sample counts as
 *	   a failure without being evaluated, so integer spaces converge.
 *	 - A learner's sample grows (by sample_growth, to all rows when the
 *	   next growth would pass them) when the trials spent since its last
 *	   improvement cost sample_growth times its incumbent's cost, or when
 *	   its step fell below the floor.  The incumbent is then re-evaluated on
 *	   the larger sample and that score becomes its reference.  A learner
 *	   has converged when its step is below min_step * sqrt(d) on all rows.
 *	 - The estimated cost for improvement of a learner (FLAML's ECI) is
 *	   max(cost between its last two improvements, cost since its last
 *	   improvement), capped on a sample by the cost of its best trial times
 *	   the next sample's ratio, and at least 2 * gap / speed when it is
 *	   behind the best trial by gap, where speed is the loss it gained at
 *	   its last improvement (at its first, over the baseline) per cost
 *	   spent since the improvement before.  A learner is drawn with
 *	   probability proportional to 1/ECI among those whose next trial is
 *	   expected to fit in the remaining budget; when none fits, the
 *	   cheapest runs and is cut at the deadline.
 *	 - With try_defaults, a learner's second trial is its default
 *	   configuration (when it is expected to fit in the remaining time),
 *	   and so is its next trial after each growth of its sample (a
 *	   configuration that won on few rows is often too small for more).
 *	 - With class_weights, the trial after that is the incumbent with the
 *	   other class weighting (AML_CLASS_WEIGHT), and with gen_features, the
 *	   next one the incumbent with the generated features switched
 *	   (AML_GEN_FEATURES); every later proposal of the learner (moves,
 *	   defaults) keeps the incumbent's two switches.
 *
 * Scores are turned into losses (lower is better) internally; a NaN score
 * or a cut trial never improves anything, and a learner's gain smaller
 * than a quarter of the trial's standard error over the folds (when the
 * evaluator reports one) does not count as an improvement of the
 * learner (noise_of), nor of the search's best score for its patience,
 * though the trace's best is still the best score.
 *
 *-------------------------------------------------------------------------
 */
#include "search.h"

#define SEARCH_MAX_LOOPS	100000	/* guard against a search that spins */
#define ENSEMBLE_ROUNDS		20
#define ENSEMBLE_PRUNE_SE	2.0		/* see aml_ensemble_input.prune */
#define ENSEMBLE_PRUNE_BOOT 20		/* bootstrap resamples for its error */
#define STEP_MAX_RATIO		4.0		/* the step grows to 4x its initial size */
#define PATIENCE_TRIALS		2		/* trials of every learner before patience
									 * may stop the search */
#define NOISE_SE			0.25	/* see noise_of */

/* ---------------------------------------------------------------- spaces */

static const aml_search_space space_baseline = {AML_ALGO_BASELINE, 0, {{0}}};

static const aml_search_space space_linear = {
	AML_ALGO_LINEAR, 1, {
		{"alpha", 0, 1, 1e-4, 1e3, 1.0, 1.0, 0},
	}
};

static const aml_search_space space_tree = {
	AML_ALGO_DECISION_TREE, 2, {
		{"max_depth", 1, 0, 2, 20, 4, 10, 1},
		{"min_samples_leaf", 1, 1, 1, 200, 20, 5, 0},
	}
};

/*
 * The gbdt space with its default number of trees, learning rate and
 * leaves (the rest of the space is the same for every task).
 */
#define GBDT_SPACE(trees, rate, leaves) { \
	AML_ALGO_GBDT, 8, { \
		{"n_estimators", 1, 1, 10, 2000, 10, trees, 1}, \
		{"learning_rate", 0, 1, 0.01, 0.5, 0.1, rate, 0}, \
		{"max_leaves", 1, 1, 4, 256, 4, leaves, 0}, \
		{"min_child_samples", 1, 1, 2, 200, 20, 10, 0}, \
		{"min_child_weight", 0, 1, 1e-3, 20, 1.0, 1.0, 0}, \
		{"reg_lambda", 0, 1, 1e-3, 100, 1.0, 1.0, 0}, \
		{"subsample", 0, 0, 0.5, 1.0, 1.0, 1.0, 0}, \
		{"colsample", 0, 0, 0.3, 1.0, 1.0, 0.8, 0}, \
	} \
}

/* binary and regression: the slow default (300 trees of 16 leaves at 0.05) */
static const aml_search_space space_gbdt = GBDT_SPACE(300, 0.05, 16);

/*
 * gbdt when a round fits one tree per class: the faster default (200 trees
 * of 31 leaves at 0.1).  The slow default costs K times as much per round
 * and, on a budget, leaves the search too little time (letter recognition,
 * 26 classes: log loss 0.090 -> 0.124).
 */
static const aml_search_space space_gbdt_multi = GBDT_SPACE(200, 0.1, 31);

static const aml_search_space space_random_forest = {
	AML_ALGO_RANDOM_FOREST, 3, {
		{"n_estimators", 1, 1, 10, 500, 10, 100, 1},
		{"max_features", 0, 0, 0.1, 1.0, 0.5, 0.5, 0},
		{"min_samples_leaf", 1, 1, 1, 50, 1, 1, 0},
	}
};

static const aml_search_space space_extra_trees = {
	AML_ALGO_EXTRA_TREES, 3, {
		{"n_estimators", 1, 1, 10, 500, 10, 100, 1},
		{"max_features", 0, 0, 0.1, 1.0, 0.5, 0.5, 0},
		{"min_samples_leaf", 1, 1, 1, 50, 1, 1, 0},
	}
};

/* learners in the order their initial configurations are tried */
static const aml_algo search_order[] = {
	AML_ALGO_LINEAR,
	AML_ALGO_DECISION_TREE,
	AML_ALGO_GBDT,
	AML_ALGO_RANDOM_FOREST,
	AML_ALGO_EXTRA_TREES,
};

#define N_SEARCHED ((int) (sizeof(search_order) / sizeof(search_order[0])))

/*
 * aml_search_space_for returns the search space of an algorithm, or NULL.
 */
const aml_search_space *
aml_search_space_for(aml_algo algo)
{
	switch (algo)
	{
		case AML_ALGO_BASELINE:
			return &space_baseline;
		case AML_ALGO_LINEAR:
			return &space_linear;
		case AML_ALGO_DECISION_TREE:
			return &space_tree;
		case AML_ALGO_GBDT:
			return &space_gbdt;
		case AML_ALGO_RANDOM_FOREST:
			return &space_random_forest;
		case AML_ALGO_EXTRA_TREES:
			return &space_extra_trees;
		default:
			return NULL;
	}
}

/*
 * params_put sets one parameter of p (names are at most 31 bytes in the
 * spaces; a full p is left unchanged).
 */
static void
params_put(aml_params *p, const char *name, double value)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
		{
			p->value[i] = value;
			return;
		}
	if (p->n >= AML_MAX_PARAMS || strlen(name) >= sizeof(p->name[0]))
		return;
	strcpy(p->name[p->n], name);
	p->value[p->n] = value;
	p->n++;
}

/*
 * aml_search_space_params fills p with the initial or default values.
 */
void
aml_search_space_params(const aml_search_space *sp, int which, aml_params *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < sp->n; i++)
		params_put(p, sp->hp[i].name, which ? sp->hp[i].dflt : sp->hp[i].init);
}

/*
 * aml_round_sig rounds v to `digits` significant decimal digits.
 */
double
aml_round_sig(double v, int digits)
{
	double		e,
				scale;

	if (v == 0 || !isfinite(v))
		return v;
	e = floor(log10(fabs(v)));
	scale = pow(10.0, (double) (digits - 1) - e);
	return round(v * scale) / scale;
}

/*
 * hp_value maps a normalized coordinate u to the rounded value of hp.
 */
static double
hp_value(const aml_hparam *hp, double u)
{
	double		v;

	u = u < 0 ? 0 : u > 1 ? 1 : u;
	if (hp->is_log)
		v = exp(log(hp->lo) + u * (log(hp->hi) - log(hp->lo)));
	else
		v = hp->lo + u * (hp->hi - hp->lo);
	v = hp->is_int ? floor(v + 0.5) : aml_round_sig(v, 4);
	return v < hp->lo ? hp->lo : v > hp->hi ? hp->hi : v;
}

/*
 * hp_coord maps a value of hp to its normalized coordinate in [0,1].
 */
static double
hp_coord(const aml_hparam *hp, double v)
{
	double		u;

	if (hp->hi <= hp->lo)
		return 0;
	if (hp->is_log)
		u = (log(v) - log(hp->lo)) / (log(hp->hi) - log(hp->lo));
	else
		u = (v - hp->lo) / (hp->hi - hp->lo);
	return isnan(u) ? 0 : u < 0 ? 0 : u > 1 ? 1 : u;
}

/* ---------------------------------------------------------------- config */

/*
 * aml_search_config_init fills cfg with the defaults.
 */
void
aml_search_config_init(aml_search_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->higher_is_better = 1;
	cfg->budget_seconds = 60.0;
	cfg->seed = 42;
	cfg->init_sample = 10000;
	cfg->sample_growth = 2.0;
	cfg->try_defaults = 1;
	cfg->tol_rel = 1e-4;
	cfg->init_step = 0.1;
	cfg->min_step = 0.01;
	cfg->step_grow = 1.5;
	cfg->step_shrink = 0.5;
}

/* ---------------------------------------------------------------- trace */

/*
 * aml_search_trace_init prepares an empty trace.
 */
void
aml_search_trace_init(aml_search_trace *t, aml_env *env)
{
	memset(t, 0, sizeof(*t));
	t->env = env;
	t->best = -1;
	for (int a = 0; a < AML_ALGO_COUNT; a++)
		t->best_of[a] = -1;
}

/*
 * aml_search_trace_free releases the trials (the struct is the caller's).
 */
void
aml_search_trace_free(aml_search_trace *t)
{
	if (t == NULL)
		return;
	aml_free(t->env, t->trials);
	t->trials = NULL;
	t->n_trials = t->cap_trials = 0;
}

/* ---------------------------------------------------------------- state */

/* One learner's search state. */
typedef struct lstate
{
	aml_algo	algo;
	const aml_search_space *sp;
	int			dim;
	int			started;		/* its initial configuration was scored */
	int			disabled;		/* it failed at its initial configuration */
	int			converged;
	int			pending_default;
	int			pending_weight; /* the AML_TRIAL_CLASS_WEIGHT trial is due */
	int			pending_gen;	/* the AML_TRIAL_GEN_FEATURES trial is due */

	/* the incumbent */
	double		x[AML_MAX_PARAMS];
	aml_params	inc;
	double		inc_loss;
	double		inc_cost;
	int64_t		sample;

	/* local search */
	double		step;
	double		step_init;
	double		step_floor;
	double		step_ub;
	double		dir[AML_MAX_PARAMS];
	int			dir_pending;	/* +dir failed: -dir is next */
	int			fail_dirs;		/* directions that failed both ways */
	int			shrink_after;
	double		cost_since_inc;
	int			n_since_inc;

	/* estimated cost for improvement (all on the cost scale) */
	double		total_cost;
	double		best_loss;
	double		best_loss_old;
	double		time_best;
	double		time_best_old;
	double		best_cost;		/* cost of the trial that set best_loss */
	int			n_improve;
} lstate;

typedef struct search_ctx
{
	aml_env    *env;
	const aml_search_config *cfg;
	aml_search_eval_fn eval;
	void	   *eval_ctx;
	aml_search_trace *trace;
	aml_error  *err;
	aml_rng		rng;
	double		t0;
	double		deadline;
	int64_t		n_rows;
	double		global_loss;	/* best loss of any trial */
	double		baseline_loss;	/* loss of the baseline (+inf if it failed) */
	double		patience_loss;	/* best loss at the last real improvement */
	int			last_improve;	/* trial count at that improvement */
	lstate		ls[N_SEARCHED];
	int			n_ls;
} search_ctx;

/*
 * now_of reads the configured clock.
 */
static double
now_of(const search_ctx *s)
{
	return s->cfg->clock ? s->cfg->clock(s->cfg->clock_ctx) : aml_now();
}

/*
 * to_loss turns a score into a loss (lower is better; NaN -> +inf).
 */
static double
to_loss(const search_ctx *s, double score)
{
	if (isnan(score))
		return INFINITY;
	return s->cfg->higher_is_better ? -score : score;
}

/*
 * score_better says whether score a beats score b (NaN never beats).
 */
static int
score_better(int hib, double a, double b)
{
	if (isnan(a))
		return 0;
	if (isnan(b))
		return 1;
	return hib ? a > b : a < b;
}

/*
 * next_sample returns the sample size after `cur`: cur * growth, or all
 * rows when one more growth would pass them.
 */
static int64_t
next_sample(const search_ctx *s, int64_t cur)
{
	double		g = s->cfg->sample_growth > 1 ? s->cfg->sample_growth : 2.0;
	double		nx = ceil((double) cur * g);

	if (nx * g > (double) s->n_rows || nx >= (double) s->n_rows)
		return s->n_rows;
	return (int64_t) nx;
}

/* the trainer's switches a configuration carries besides the space's */
static const char *const switches[] = {AML_CLASS_WEIGHT, AML_GEN_FEATURES};

/*
 * keep_switches gives p (built from the space) the switches (class
 * weighting, generated features) of the learner's incumbent.
 */
static void
keep_switches(const lstate *l, aml_params *p)
{
	for (size_t k = 0; k < sizeof(switches) / sizeof(switches[0]); k++)
	{
		double		v = aml_params_get(&l->inc, switches[k], 0);

		if (v != 0)
			params_put(p, switches[k], v);
	}
}

/*
 * set_incumbent makes p the learner's incumbent.
 */
static void
set_incumbent(lstate *l, const aml_params *p, double loss, double cost)
{
	l->inc = *p;
	for (int i = 0; i < l->dim; i++)
		l->x[i] = hp_coord(&l->sp->hp[i], p->value[i]);	/* space order */
	l->inc_loss = loss;
	l->inc_cost = cost;
	l->cost_since_inc = 0;
	l->n_since_inc = 0;
	l->dir_pending = 0;
	l->fail_dirs = 0;
}

/*
 * noise_of is the least improvement of a learner's best or incumbent loss
 * that counts, for the trial just recorded: NOISE_SE of its standard
 * error over the folds (0 when unknown).  Smaller gains are recorded in
 * the trace (the best trial stays the best score) but do not move the
 * incumbent, grow the step or make the learner look cheap to improve:
 * on caravan_insurance (search benchmark) the linear learner, the best
 * one, spent 15 of the search's 41 s refining alpha between 154 and 253
 * for gains of 0.0001 to 0.0003 AUC, against a standard error of 0.01,
 * while the boosting waited.  Nor does such a gain of the search's best
 * score reset its patience (run_trial): over ten benchmark splits of five
 * small tables the searches ended 25-40% sooner, with test scores within
 * their noise.
 */
static double
noise_of(const search_ctx *s)
{
	const aml_search_trace *t = s->trace;
	double		se;

	if (t->n_trials == 0)
		return 0;
	se = t->trials[t->n_trials - 1].score_se;
	return isfinite(se) && se > 0 ? NOISE_SE * se : 0;
}

/*
 * check_converged marks a learner converged when its step fell below the
 * floor on all rows.
 */
static void
check_converged(const search_ctx *s, lstate *l)
{
	if (l->step < l->step_floor && l->sample >= s->n_rows)
		l->converged = 1;
}

/*
 * account adds a trial's cost to a learner's cost model and records a new
 * best loss.
 */
static void
account(const search_ctx *s, lstate *l, double loss, double cost, int cut)
{
	l->total_cost += cost;
	if (!cut && loss < l->best_loss - noise_of(s))
	{
		/* the first improvement is measured from the baseline */
		l->best_loss_old = l->n_improve ? l->best_loss : s->baseline_loss;
		l->best_loss = loss;
		l->time_best_old = l->time_best;
		l->time_best = l->total_cost;
		l->best_cost = cost;
		l->n_improve++;
	}
}

/*
 * local_result updates a learner after a local move (evaluated, or skipped
 * as a duplicate with loss +inf and cost 0); returns 1 when it moved the
 * incumbent.
 */
static int
local_result(const search_ctx *s, lstate *l, const aml_params *p, double loss,
			 double cost, int cut, int was_minus)
{
	const aml_search_config *cfg = s->cfg;

	if (!cut && loss < l->inc_loss - noise_of(s))
	{
		set_incumbent(l, p, loss, cost);
		l->step *= cfg->step_grow > 1 ? cfg->step_grow : 1.0;
		if (l->step > l->step_ub)
			l->step = l->step_ub;
		return 1;
	}
	l->cost_since_inc += cost;
	l->n_since_inc++;
	if (was_minus && ++l->fail_dirs >= l->shrink_after)
	{
		l->step *= cfg->step_shrink > 0 && cfg->step_shrink < 1 ? cfg->step_shrink : 0.5;
		l->fail_dirs = 0;
	}
	check_converged(s, l);
	return 0;
}

/*
 * tried says whether a configuration was already evaluated (and not cut)
 * for a learner on a sample size.
 */
static int
tried(const search_ctx *s, aml_algo algo, const aml_params *p, int64_t sample)
{
	const aml_search_trace *t = s->trace;

	for (int i = 0; i < t->n_trials; i++)
	{
		const aml_search_trial *tr = &t->trials[i];

		if (tr->algo == algo && tr->sample_rows == sample && !tr->was_cut &&
			aml_params_equal(&tr->params, p))
			return 1;
	}
	return 0;
}

/*
 * wants_growth says whether the learner's next proposal is its incumbent
 * on a larger sample.
 */
static int
wants_growth(const search_ctx *s, const lstate *l)
{
	double		g = s->cfg->sample_growth > 1 ? s->cfg->sample_growth : 2.0;

	if (l->sample >= s->n_rows)
		return 0;
	return (l->n_since_inc > 0 && l->cost_since_inc >= g * l->inc_cost) ||
		l->step < l->step_floor;
}

/*
 * est_next estimates the cost of the learner's next trial.
 */
static double
est_next(const search_ctx *s, const lstate *l)
{
	double		c = l->inc_cost;

	if (l->pending_default)
	{
		for (int i = 0; i < l->dim; i++)
			if (l->sp->hp[i].cost_related && l->inc.value[i] > 0)
				c *= l->sp->hp[i].dflt / l->inc.value[i];
	}
	else if (wants_growth(s, l))
		c *= (double) next_sample(s, l->sample) / (double) l->sample;
	return c;
}

/*
 * eci computes a learner's estimated cost for improvement.
 */
static double
eci(const search_ctx *s, const lstate *l)
{
	double		e = fmax(l->time_best - l->time_best_old, l->total_cost - l->time_best);
	double		gap = l->best_loss - s->global_loss;

	if (l->sample < s->n_rows)
	{
		double		ratio = (double) next_sample(s, l->sample) / (double) l->sample;

		e = fmin(e, l->best_cost * ratio);
	}
	if (gap > 0 && l->n_improve >= 1)
	{
		double		dt = l->total_cost - l->time_best_old;
		double		delta = l->best_loss_old - l->best_loss;

		/* no measurable progress (e.g. not better than the baseline) */
		if (!(delta > 0) || !isfinite(delta))
			delta = gap;
		e = fmax(e, 2 * gap * (dt > 1e-10 ? dt : 1e-10) / delta);
	}
	return e > 1e-10 ? e : 1e-10;
}

/*
 * choose_learner draws the next learner with probability proportional to
 * 1/ECI among those whose next trial fits in the remaining time (a
 * pending default configuration that does not fit is dropped); the
 * cheapest when none fits.  Returns -1 when no learner is searchable.
 */
static int
choose_learner(search_ctx *s, double remaining)
{
	double		w[N_SEARCHED];
	double		sum = 0;
	int			cheapest = -1;
	double		cheapest_cost = INFINITY;

	for (int i = 0; i < s->n_ls; i++)
	{
		lstate	   *l = &s->ls[i];
		double		est;

		w[i] = 0;
		if (!l->started || l->disabled || l->converged)
			continue;
		est = est_next(s, l);
		if (l->pending_default && est > remaining)
		{
			/* the default does not fit in what is left: search locally */
			l->pending_default = 0;
			est = est_next(s, l);
		}
		if (est < cheapest_cost)
		{
			cheapest_cost = est;
			cheapest = i;
		}
		if (est <= remaining)
		{
			w[i] = 1.0 / eci(s, l);
			sum += w[i];
		}
	}
	if (sum > 0)
	{
		double		r = aml_rng_uniform(&s->rng) * sum;
		int			last = -1;

		for (int i = 0; i < s->n_ls; i++)
		{
			if (w[i] <= 0)
				continue;
			last = i;
			if (r < w[i])
				return i;
			r -= w[i];
		}
		return last;
	}
	return cheapest;
}

/*
 * random_direction draws a uniform unit vector of dimension d.
 */
static void
random_direction(aml_rng *rng, int d, double *u)
{
	double		norm = 0;

	do
	{
		norm = 0;
		for (int i = 0; i < d; i++)
		{
			/* Box-Muller: a standard normal per coordinate */
			double		a = 1.0 - aml_rng_uniform(rng);
			double		b = aml_rng_uniform(rng);

			u[i] = sqrt(-2.0 * log(a)) * cos(2.0 * M_PI * b);
			norm += u[i] * u[i];
		}
	} while (norm < 1e-24);
	norm = sqrt(norm);
	for (int i = 0; i < d; i++)
		u[i] /= norm;
}

/*
 * switch_trial proposes the learner's incumbent with switch `name`
 * flipped; returns 1 unless that was tried already.
 */
static int
switch_trial(search_ctx *s, lstate *l, const char *name, aml_params *p)
{
	aml_params	q;

	memset(&q, 0, sizeof(q));
	for (int i = 0; i < l->dim; i++)
		params_put(&q, l->sp->hp[i].name, l->inc.value[i]);
	for (size_t k = 0; k < sizeof(switches) / sizeof(switches[0]); k++)
	{
		double		v = aml_params_get(&l->inc, switches[k], 0);

		if (strcmp(switches[k], name) == 0)
			v = v == 0 ? 1 : 0;
		if (v != 0)
			params_put(&q, switches[k], v);
	}
	*p = q;
	return !tried(s, l->algo, p, l->sample);
}

/*
 * propose chooses the learner's next configuration.  Returns 1 when a
 * trial should be evaluated (kind, p, sample, was_minus filled), 0 when
 * the proposal was a duplicate and was counted as a failure instead.
 */
static int
propose(search_ctx *s, lstate *l, aml_trial_kind *kind, aml_params *p,
		int64_t *sample, int *was_minus)
{
	double		sign;

	*was_minus = 0;
	if (l->pending_default)
	{
		l->pending_default = 0;
		aml_search_space_params(l->sp, 1, p);
		keep_switches(l, p);
		if (!aml_params_equal(p, &l->inc) && !tried(s, l->algo, p, l->sample))
		{
			*kind = AML_TRIAL_DEFAULT;
			*sample = l->sample;
			return 1;
		}
	}
	if (l->pending_weight)
	{
		l->pending_weight = 0;
		if (switch_trial(s, l, AML_CLASS_WEIGHT, p))
		{
			*kind = AML_TRIAL_CLASS_WEIGHT;
			*sample = l->sample;
			return 1;
		}
	}
	if (l->pending_gen)
	{
		l->pending_gen = 0;
		if (switch_trial(s, l, AML_GEN_FEATURES, p))
		{
			*kind = AML_TRIAL_GEN_FEATURES;
			*sample = l->sample;
			return 1;
		}
	}
	if (wants_growth(s, l))
	{
		*kind = AML_TRIAL_GROW;
		*p = l->inc;
		*sample = next_sample(s, l->sample);
		return 1;
	}
	if (l->dir_pending)
	{
		sign = -1.0;
		l->dir_pending = 0;
		*was_minus = 1;
	}
	else
	{
		random_direction(&s->rng, l->dim, l->dir);
		sign = 1.0;
		l->dir_pending = 1;
	}
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < l->dim; i++)
		params_put(p, l->sp->hp[i].name,
				   hp_value(&l->sp->hp[i], l->x[i] + sign * l->step * l->dir[i]));
	keep_switches(l, p);
	*kind = AML_TRIAL_LOCAL;
	*sample = l->sample;
	if (aml_params_equal(p, &l->inc) || tried(s, l->algo, p, l->sample))
	{
		local_result(s, l, p, INFINITY, 0.0, 0, *was_minus);
		return 0;
	}
	return 1;
}

/*
 * run_trial asks the evaluator for one trial and records it in the trace
 * (*idx is its index); updates the best trials and the patience counter.
 */
static aml_status
run_trial(search_ctx *s, aml_trial_kind kind, aml_algo algo, const aml_params *p,
		  int64_t sample, double time_limit, aml_search_result *res, int *idx)
{
	aml_search_trace *t = s->trace;
	aml_search_request req;
	aml_search_trial *tr;
	aml_status	st;
	double		loss;
	int			hib = s->cfg->higher_is_better;

	if (t->n_trials == t->cap_trials)
	{
		int			nc = t->cap_trials ? t->cap_trials * 2 : 64;
		aml_search_trial *n = aml_realloc(s->env, t->trials, (size_t) nc * sizeof(aml_search_trial));

		if (n == NULL)
			return aml_oom(s->env, s->err, (size_t) nc * sizeof(aml_search_trial));
		t->trials = n;
		t->cap_trials = nc;
	}
	memset(&req, 0, sizeof(req));
	req.trial = t->n_trials;
	req.kind = kind;
	req.algo = algo;
	req.params = p;
	req.sample_rows = sample;
	req.time_limit = time_limit;
	memset(res, 0, sizeof(*res));
	res->score = NAN;
	res->score_se = NAN;
	st = s->eval(s->eval_ctx, &req, res, s->err);
	if (st != AML_OK)
		return st;

	*idx = t->n_trials++;
	tr = &t->trials[*idx];
	memset(tr, 0, sizeof(*tr));
	tr->kind = kind;
	tr->algo = algo;
	tr->params = *p;
	tr->sample_rows = sample;
	tr->time_limit = time_limit;
	tr->score = res->score;
	tr->seconds = res->seconds;
	tr->cost = res->cost > 0 ? res->cost : res->seconds > 0 ? res->seconds : 1e-9;
	tr->final_seconds = res->final_seconds > 0 ? res->final_seconds : 0;
	tr->score_se = res->score_se;
	tr->temp = res->temp;
	tr->was_cut = res->was_cut != 0;
	tr->step = NAN;
	tr->elapsed = now_of(s) - s->t0;

	if (tr->was_cut || isnan(tr->score))
		return AML_OK;
	if (t->best_of[algo] < 0 || score_better(hib, tr->score, t->trials[t->best_of[algo]].score))
		t->best_of[algo] = *idx;
	if (t->best < 0 || score_better(hib, tr->score, t->trials[t->best].score))
		t->best = *idx;
	loss = to_loss(s, tr->score);
	if (loss < s->global_loss)
		s->global_loss = loss;
	/* patience counts real improvements: relative, and beyond the noise */
	if (isinf(s->patience_loss) ||
		loss < s->patience_loss - fmax(s->cfg->tol_rel * fabs(s->patience_loss), noise_of(s)))
	{
		s->patience_loss = loss;
		s->last_improve = t->n_trials;
	}
	return AML_OK;
}

/*
 * settled says whether every learner still searching runs on all rows,
 * has tried its default configuration there and has had PATIENCE_TRIALS
 * trials since the last improvement of the best score.  Patience ends
 * only such a search: a small sample's scores favour small models (a
 * large table's best model is often found only on all rows), and cheap
 * learners must not use up the patience before an expensive one, drawn
 * less often, has tried to improve.
 */
static int
settled(const search_ctx *s)
{
	const aml_search_trace *t = s->trace;

	for (int i = 0; i < s->n_ls; i++)
	{
		const lstate *l = &s->ls[i];
		int			n = 0;

		if (!l->started || l->disabled || l->converged)
			continue;
		if (l->sample < s->n_rows || l->pending_default || l->pending_weight ||
			l->pending_gen)
			return 0;
		for (int k = s->last_improve; k < t->n_trials && n < PATIENCE_TRIALS; k++)
			n += t->trials[k].algo == l->algo && !t->trials[k].was_cut;
		if (n < PATIENCE_TRIALS)
			return 0;
	}
	return 1;
}

/*
 * aml_search_overrun: see search.h.
 */
double
aml_search_overrun(const aml_search_config *cfg, const aml_search_trace *t)
{
	double		over;

	if (t->best < 0)
		return 0;
	over = t->trials[t->best].final_seconds - (cfg->final_reserve > 0 ? cfg->final_reserve : 0);
	return over > 0 ? over : 0;
}

/*
 * must_stop says whether the search stops before its next trial, and why.
 */
static int
must_stop(search_ctx *s, int main_phase, int patience, double *remaining)
{
	const aml_search_config *cfg = s->cfg;
	aml_search_trace *t = s->trace;

	*remaining = s->deadline - now_of(s) - aml_search_overrun(cfg, t);
	if (cfg->after_seconds)
		*remaining -= cfg->after_seconds(cfg->after_ctx, t);
	if (cfg->max_trials > 0 && t->n_trials >= cfg->max_trials)
	{
		t->stop = AML_STOP_MAX_TRIALS;
		return 1;
	}
	if (*remaining <= 0)
	{
		t->stop = AML_STOP_BUDGET;
		return 1;
	}
	if (main_phase && t->n_trials - s->last_improve >= patience && settled(s))
	{
		t->stop = AML_STOP_PATIENCE;
		return 1;
	}
	return 0;
}

/*
 * start_learner evaluates a learner's initial configuration.
 */
static aml_status
start_learner(search_ctx *s, lstate *l, double remaining)
{
	aml_params	p;
	aml_params	d;
	aml_search_result res;
	aml_status	st;
	int			idx;
	double		loss;
	aml_search_trial *tr;

	aml_search_space_params(l->sp, 0, &p);
	l->sample = s->n_rows < s->cfg->init_sample || s->cfg->init_sample <= 0 ?
		s->n_rows : s->cfg->init_sample;
	st = run_trial(s, AML_TRIAL_INIT, l->algo, &p, l->sample, remaining, &res, &idx);
	if (st != AML_OK)
		return st;
	tr = &s->trace->trials[idx];
	loss = tr->was_cut ? INFINITY : to_loss(s, tr->score);
	account(s, l, loss, tr->cost, tr->was_cut);
	if (isinf(loss))
	{
		l->disabled = 1;
		return AML_OK;
	}
	l->started = 1;
	set_incumbent(l, &p, loss, tr->cost);
	tr->improved = 1;
	tr->step = l->step;
	aml_search_space_params(l->sp, 1, &d);
	l->pending_default = s->cfg->try_defaults && !aml_params_equal(&d, &p);
	l->pending_weight = s->cfg->class_weights && l->dim > 0;
	l->pending_gen = s->cfg->gen_features && l->dim > 0;
	return AML_OK;
}

/*
 * step_learner proposes and evaluates one trial of a learner (or counts a
 * duplicate proposal as a failure).
 */
static aml_status
step_learner(search_ctx *s, lstate *l, double remaining)
{
	aml_trial_kind kind;
	aml_params	p;
	int64_t		sample;
	int			was_minus;
	aml_search_result res;
	aml_search_trial *tr;
	aml_status	st;
	double		loss;
	int			idx;

	if (!propose(s, l, &kind, &p, &sample, &was_minus))
		return AML_OK;
	st = run_trial(s, kind, l->algo, &p, sample, remaining, &res, &idx);
	if (st != AML_OK)
		return st;
	tr = &s->trace->trials[idx];
	loss = tr->was_cut ? INFINITY : to_loss(s, tr->score);
	account(s, l, loss, tr->cost, tr->was_cut);
	switch (kind)
	{
		case AML_TRIAL_GROW:
			if (tr->was_cut)
				l->cost_since_inc += tr->cost;
			else if (isinf(loss))
				l->converged = 1;	/* it fails on more rows: stop it */
			else
			{
				/* the larger sample's score is the new reference */
				aml_params	d;

				l->sample = sample;
				set_incumbent(l, &p, loss, tr->cost);
				if (l->step < l->step_floor)
					l->step = l->step_init;
				tr->improved = 1;
				/* more rows favour larger models: the default again */
				aml_search_space_params(l->sp, 1, &d);
				keep_switches(l, &d);
				l->pending_default = s->cfg->try_defaults && !aml_params_equal(&d, &p);
			}
			break;
		case AML_TRIAL_DEFAULT:
		case AML_TRIAL_CLASS_WEIGHT:
		case AML_TRIAL_GEN_FEATURES:
			if (loss < l->inc_loss)
			{
				set_incumbent(l, &p, loss, tr->cost);
				tr->improved = 1;
			}
			else
			{
				l->cost_since_inc += tr->cost;
				l->n_since_inc++;
			}
			break;
		default:
			tr->improved = local_result(s, l, &p, loss, tr->cost, tr->was_cut, was_minus);
			break;
	}
	tr->step = l->step;
	return AML_OK;
}

/*
 * aml_search_run runs the search under cfg's budget; see search.h.
 */
aml_status
aml_search_run(aml_env *env, const aml_search_config *cfg,
			   aml_search_eval_fn eval, void *ctx,
			   aml_search_trace *trace, aml_error *err)
{
	search_ctx	s;
	aml_params	none;
	aml_search_result res;
	aml_status	st = AML_OK;
	double		remaining;
	int			idx;
	int			patience;
	int			loops = 0;

	if (cfg == NULL || eval == NULL || trace == NULL)
		return aml_set_error(err, AML_EINVAL, "search needs a configuration, an evaluator and a trace");
	if (cfg->n_rows < 1)
		return aml_set_error(err, AML_EINVAL, "search needs at least one row");

	memset(&s, 0, sizeof(s));
	s.env = env;
	s.cfg = cfg;
	s.eval = eval;
	s.eval_ctx = ctx;
	s.trace = trace;
	s.err = err;
	s.n_rows = cfg->n_rows;
	s.global_loss = INFINITY;
	s.baseline_loss = INFINITY;
	s.patience_loss = INFINITY;
	aml_rng_seed(&s.rng, cfg->seed ^ 0x5ea7c4f1ULL);
	s.t0 = now_of(&s);
	s.deadline = cfg->budget_seconds > 0 ? s.t0 + cfg->budget_seconds : INFINITY;

	for (int i = 0; i < N_SEARCHED; i++)
	{
		aml_algo	a = search_order[i];
		lstate	   *l;

		if (cfg->algorithms != 0 && (cfg->algorithms & (1u << a)) == 0)
			continue;
		l = &s.ls[s.n_ls++];
		l->algo = a;
		l->sp = a == AML_ALGO_GBDT && cfg->n_outputs > 1 ?
			&space_gbdt_multi : aml_search_space_for(a);
		l->dim = l->sp->n;
		l->inc_loss = INFINITY;
		l->best_loss = INFINITY;
		l->best_loss_old = INFINITY;
		l->step_ub = sqrt((double) l->dim);
		l->step_init = fmin((cfg->init_step > 0 ? cfg->init_step : 0.1) * l->step_ub, l->step_ub);
		l->step_ub = fmin(l->step_ub, STEP_MAX_RATIO * l->step_init);
		l->step = l->step_init;
		l->step_floor = (cfg->min_step > 0 ? cfg->min_step : 0.01) * l->step_ub;
		l->shrink_after = (l->dim + 1) / 2 > 1 ? (l->dim + 1) / 2 : 1;
	}
	patience = cfg->patience > 0 ? cfg->patience :
		(6 * s.n_ls > 20 ? 6 * s.n_ls : 20);

	/* the baseline, never cut */
	memset(&none, 0, sizeof(none));
	if (aml_check_cancel(env))
		return aml_set_error(err, AML_ECANCELED, "canceling automl training");
	if ((st = run_trial(&s, AML_TRIAL_BASELINE, AML_ALGO_BASELINE, &none, s.n_rows,
						INFINITY, &res, &idx)) != AML_OK)
		goto done;
	s.baseline_loss = trace->trials[idx].was_cut ? INFINITY :
		to_loss(&s, trace->trials[idx].score);

	/* every learner's cheap starting point */
	for (int i = 0; i < s.n_ls; i++)
	{
		if (must_stop(&s, 0, patience, &remaining))
			goto done;
		if (aml_check_cancel(env))
		{
			st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
			goto done;
		}
		if ((st = start_learner(&s, &s.ls[i], remaining)) != AML_OK)
			goto done;
	}

	/* spend the budget where improvement is cheapest */
	for (;;)
	{
		int			li;

		if (must_stop(&s, 1, patience, &remaining))
			break;
		if (++loops > SEARCH_MAX_LOOPS)
		{
			trace->stop = AML_STOP_CONVERGED;
			break;
		}
		if (aml_check_cancel(env))
		{
			st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
			break;
		}
		li = choose_learner(&s, remaining);
		if (li < 0)
		{
			trace->stop = AML_STOP_CONVERGED;
			break;
		}
		if ((st = step_learner(&s, &s.ls[li], remaining)) != AML_OK)
			break;
	}

done:
	trace->elapsed = now_of(&s) - s.t0;
	for (int i = 0; i < s.n_ls; i++)
	{
		trace->final_step[s.ls[i].algo] = s.ls[i].step;
		trace->converged[s.ls[i].algo] = s.ls[i].converged;
	}
	return st;
}

/* ---------------------------------------------------------------- ensemble */

/*
 * bootstrap_se estimates, from n_boot resamples of the rows (with
 * replacement, seeded by the input's seed ^ salt), the standard error of
 * prediction a's score or, when b is not NULL, of a's gain over b (paired:
 * both on the same resample).  The in->n rows are blocks of n_base rows
 * each, the same rows dealt again (n_base = in->n: one block): a resample
 * draws n_base rows of the first block and takes each from every block, so
 * a row's repeats move together rather than count as independent rows.
 * yb, pa and pb are scratch of n, n * n_out and n * n_out values (pb
 * unused without b).  NaN when undefined.
 */
static double
bootstrap_se(const aml_ensemble_input *in, const double *a, const double *b,
			 uint64_t salt, int n_boot, int64_t n_base,
			 double *yb, double *pa, double *pb)
{
	aml_rng		rng;
	double		sum = 0,
				sum2 = 0;
	int			k = 0;
	int			no = in->n_out;
	int64_t		blocks = in->n / n_base;

	aml_rng_seed(&rng, in->seed ^ salt);
	for (int r = 0; r < n_boot; r++)
	{
		double		v;

		for (int64_t i = 0; i < n_base; i++)
		{
			int64_t		j = (int64_t) aml_rng_below(&rng, (uint64_t) n_base);

			for (int64_t q = 0; q < blocks; q++)
			{
				int64_t		to = i + q * n_base,
							from = j + q * n_base;

				yb[to] = in->y[from];
				memcpy(pa + (size_t) to * no, a + (size_t) from * no, (size_t) no * sizeof(double));
				if (b)
					memcpy(pb + (size_t) to * no, b + (size_t) from * no, (size_t) no * sizeof(double));
			}
		}
		v = aml_metric_compute(in->metric, in->task, in->n_classes, in->n, yb, pa);
		if (b)
			v -= aml_metric_compute(in->metric, in->task, in->n_classes, in->n, yb, pb);
		if (!isfinite(v))
			continue;
		sum += v;
		sum2 += v * v;
		k++;
	}
	return aml_sample_sd(sum, sum2, k);
}

/*
 * aml_score_diff_se: see search.h.
 */
aml_status
aml_score_diff_se(aml_env *env, const aml_ensemble_input *in, int n_blocks,
				  const double *a, const double *b, int n_boot, int64_t max_base,
				  double *se, aml_error *err)
{
	aml_ensemble_input sub;
	int64_t		n_base,
				m;
	int			no;
	size_t		len;
	double	   *buf;
	aml_rng		rng;

	*se = NAN;
	if (in == NULL || in->n < 1 || in->y == NULL || a == NULL || b == NULL ||
		n_blocks < 1 || in->n % n_blocks != 0 || n_boot < 2)
		return aml_set_error(err, AML_EINVAL, "a score difference's standard error needs two predictions of whole blocks of rows");
	if (in->n_out != aml_task_outputs(in->task, in->n_classes) ||
		!aml_metric_valid(in->metric, in->task))
		return aml_set_error(err, AML_EINVAL, "metric \"%s\" with %d outputs per row does not apply to a %s task",
							 in->metric ? in->metric : "(null)", in->n_out, aml_task_name(in->task));
	no = in->n_out;
	n_base = in->n / n_blocks;
	m = max_base > 0 && max_base < n_base ? max_base : n_base;
	sub = *in;
	sub.n = m * n_blocks;
	len = (size_t) sub.n * (size_t) no;
	/* the subset's labels and predictions (when m < n_base), then scratch */
	buf = aml_malloc(env, ((size_t) sub.n + 2 * len) * 2 * sizeof(double));
	if (buf == NULL)
		return aml_oom(env, err, ((size_t) sub.n + 2 * len) * 2 * sizeof(double));
	if (m < n_base)
	{
		/* m base rows drawn without replacement, taken from every block */
		double	   *sy = buf,
				   *sa = buf + sub.n,
				   *sb = sa + len;
		int64_t    *pick = aml_malloc(env, (size_t) n_base * sizeof(int64_t));

		if (pick == NULL)
		{
			aml_free(env, buf);
			return aml_oom(env, err, (size_t) n_base * sizeof(int64_t));
		}
		for (int64_t i = 0; i < n_base; i++)
			pick[i] = i;
		aml_rng_seed(&rng, in->seed ^ 0x5ab5e7ULL);
		aml_rng_shuffle(&rng, pick, n_base);
		for (int64_t i = 0; i < m; i++)
			for (int64_t q = 0; q < n_blocks; q++)
			{
				int64_t		to = i + q * m,
							from = pick[i] + q * n_base;

				sy[to] = in->y[from];
				memcpy(sa + (size_t) to * no, a + (size_t) from * no, (size_t) no * sizeof(double));
				memcpy(sb + (size_t) to * no, b + (size_t) from * no, (size_t) no * sizeof(double));
			}
		aml_free(env, pick);
		sub.y = sy;
		a = sa;
		b = sb;
	}
	{
		double	   *yb = buf + sub.n + 2 * len;
		double	   *pa = yb + sub.n;
		double	   *pb = pa + len;

		*se = bootstrap_se(&sub, a, b, 0x5e1ec7ULL, n_boot, m, yb, pa, pb);
	}
	/* a gap's error shrinks as the square root of the rows */
	if (isfinite(*se) && m < n_base)
		*se *= sqrt((double) m / (double) n_base);
	aml_free(env, buf);
	return AML_OK;
}

/*
 * aml_ensemble_select runs greedy forward selection with replacement; see
 * search.h.
 */
aml_status
aml_ensemble_select(aml_env *env, const aml_ensemble_input *in, int *weights,
					aml_ensemble_result *res, aml_error *err)
{
	int			hib;
	int			rounds;
	size_t		len;
	double	   *sum = NULL;
	double	   *tmp = NULL;
	int		   *count = NULL;
	double		best_ens = NAN;
	double	   *single = NULL;
	uint8_t    *out = NULL;
	double	   *yb = NULL;
	double	   *pb = NULL;
	int64_t		n_base;
	aml_status	st = AML_OK;

	memset(res, 0, sizeof(*res));
	res->score = NAN;
	res->single_score = NAN;
	res->best_single = -1;
	if (in == NULL || in->n_cand < 1 || in->n < 1 || in->pred == NULL || in->y == NULL)
		return aml_set_error(err, AML_EINVAL, "ensemble selection needs candidates and rows");
	if (in->n_blocks < 0 || (in->n_blocks > 1 && in->n % in->n_blocks != 0))
		return aml_set_error(err, AML_EINVAL, "ensemble selection got %lld rows, not %d whole deals",
							 (long long) in->n, in->n_blocks);
	n_base = in->n_blocks > 1 ? in->n / in->n_blocks : in->n;
	if (in->n_out != aml_task_outputs(in->task, in->n_classes))
		return aml_set_error(err, AML_EINVAL, "ensemble selection got %d outputs per row for a %s task",
							 in->n_out, aml_task_name(in->task));
	hib = aml_metric_higher_is_better(in->metric);
	if (hib < 0 || !aml_metric_valid(in->metric, in->task))
		return aml_set_error(err, AML_EINVAL, "metric \"%s\" does not apply to a %s task",
							 in->metric ? in->metric : "(null)", aml_task_name(in->task));
	rounds = in->max_rounds > 0 ? in->max_rounds : ENSEMBLE_ROUNDS;
	len = (size_t) in->n * (size_t) in->n_out;

	memset(weights, 0, (size_t) in->n_cand * sizeof(int));
	single = aml_malloc(env, (size_t) in->n_cand * sizeof(double));
	out = aml_calloc(env, (size_t) in->n_cand, 1);
	if (single == NULL || out == NULL)
	{
		st = aml_oom(env, err, (size_t) in->n_cand * 9);
		goto done;
	}
	for (int c = 0; c < in->n_cand; c++)
	{
		double		sc = aml_metric_compute(in->metric, in->task, in->n_classes, in->n,
											in->y, in->pred[c]);

		single[c] = sc;
		if (res->best_single < 0 || score_better(hib, sc, res->single_score))
		{
			res->best_single = c;
			res->single_score = sc;
		}
	}
	res->score = res->single_score;
	res->n_members = 1;
	weights[res->best_single] = 1;
	if (in->n_cand < 2 || isnan(res->single_score))
		goto done;

	sum = aml_calloc(env, len, sizeof(double));
	tmp = aml_malloc(env, len * sizeof(double));
	count = aml_calloc(env, (size_t) in->n_cand, sizeof(int));
	if (sum == NULL || tmp == NULL || count == NULL)
	{
		st = aml_oom(env, err, len * 2 * sizeof(double));
		goto done;
	}
	if (in->prune)
	{
		/* sum and tmp serve as the resample's scratch (labels, outputs) */
		double		se = bootstrap_se(in, in->pred[res->best_single], NULL, 0xb0075ULL,
								  ENSEMBLE_PRUNE_BOOT, n_base, sum, tmp, NULL);

		if (isfinite(se))
		{
			res->margin = ENSEMBLE_PRUNE_SE * se;
			for (int c = 0; c < in->n_cand; c++)
			{
				double		gap = hib ? res->single_score - single[c] : single[c] - res->single_score;

				out[c] = !(gap <= res->margin);
				res->n_pruned += out[c];
			}
		}
		memset(sum, 0, len * sizeof(double));
	}
	for (int r = 1; r <= rounds; r++)
	{
		int			pick = -1;
		double		pick_score = NAN;

		for (int c = 0; c < in->n_cand; c++)
		{
			const double *pc = in->pred[c];
			double		sc;

			if (out[c])
				continue;

			for (size_t k = 0; k < len; k++)
				tmp[k] = (sum[k] + pc[k]) / (double) r;
			sc = aml_metric_compute(in->metric, in->task, in->n_classes, in->n, in->y, tmp);
			if (pick < 0 || score_better(hib, sc, pick_score))
			{
				pick = c;
				pick_score = sc;
			}
		}
		if (isnan(pick_score))
			break;
		for (size_t k = 0; k < len; k++)
			sum[k] += in->pred[pick][k];
		count[pick]++;
		if (score_better(hib, pick_score, best_ens))
		{
			int			distinct = 0;

			best_ens = pick_score;
			for (int c = 0; c < in->n_cand; c++)
				distinct += count[c] > 0;
			/* only a real mix that beats the best single one is kept */
			if (distinct >= 2 && score_better(hib, pick_score, res->score) &&
				fabs(pick_score - res->single_score) > 1e-12 * fmax(1.0, fabs(res->single_score)))
			{
				memcpy(weights, count, (size_t) in->n_cand * sizeof(int));
				res->use = 1;
				res->score = pick_score;
				res->n_members = distinct;
			}
		}
		if (aml_check_cancel(env))
		{
			st = aml_set_error(err, AML_ECANCELED, "canceling automl training");
			goto done;
		}
	}
	res->gain_se = NAN;
	if (res->use && in->min_gain_se > 0)
	{
		/* the chosen mix (into tmp) against the best single candidate */
		int			total = 0;

		yb = aml_malloc(env, (size_t) in->n * sizeof(double));
		pb = aml_malloc(env, len * sizeof(double));
		if (yb == NULL || pb == NULL)
		{
			st = aml_oom(env, err, len * 2 * sizeof(double));
			goto done;
		}
		for (int c = 0; c < in->n_cand; c++)
			total += weights[c];
		memset(tmp, 0, len * sizeof(double));
		for (int c = 0; c < in->n_cand; c++)
			if (weights[c] > 0)
				for (size_t k = 0; k < len; k++)
					tmp[k] += (double) weights[c] * in->pred[c][k];
		for (size_t k = 0; k < len; k++)
			tmp[k] /= (double) total;
		/* sum and pb are the resample's outputs */
		res->gain_se = bootstrap_se(in, tmp, in->pred[res->best_single], 0x9a1bULL,
								   ENSEMBLE_PRUNE_BOOT, n_base, yb, sum, pb);
		{
			double		gain = hib ? res->score - res->single_score : res->single_score - res->score;

			res->gain = gain;
			if (isfinite(res->gain_se) && gain < in->min_gain_se * res->gain_se)
			{
				res->use = 0;
				res->too_small = 1;
				res->score = res->single_score;
				res->n_members = 1;
				memset(weights, 0, (size_t) in->n_cand * sizeof(int));
				weights[res->best_single] = 1;
			}
		}
	}
done:
	aml_free(env, yb);
	aml_free(env, pb);
	aml_free(env, sum);
	aml_free(env, tmp);
	aml_free(env, count);
	aml_free(env, single);
	aml_free(env, out);
	return st;
}

/*
 * aml_simplest_within_se: see search.h.
 */
int
aml_simplest_within_se(int n, const double *est, const double *se,
					   const int *complexity, int best, int hib, double k_se)
{
	int			pick = best;

	if (best < 0 || best >= n || !isfinite(est[best]))
		return best;
	for (int i = 0; i < n; i++)
	{
		double		gap;

		if (i == best || !isfinite(est[i]) || !(se[i] >= 0))
			continue;
		gap = hib ? est[best] - est[i] : est[i] - est[best];
		if (!(gap <= k_se * se[i]))
			continue;
		if (complexity[i] < complexity[pick] ||
			(complexity[i] == complexity[pick] && pick != best &&
			 score_better(hib, est[i], est[pick])))
			pick = i;
	}
	return pick;
}
