/*-------------------------------------------------------------------------
 *
 * search.h
 *	  Internal interface of the AutoML search engine (search.c): the
 *	  hyperparameter spaces of the learners, a cost-frugal search over
 *	  learners and hyperparameters under a time budget, and greedy ensemble
 *	  selection over out-of-fold predictions.
 *
 * The search never fits a model itself.  It proposes (learner, params,
 * sample size, time limit) and a caller-supplied evaluator fits and scores
 * it; the clock is a callback too.  So the search is pure bookkeeping and
 * is unit-tested with fake learners and a fake clock.
 *
 * The strategy follows FLAML (Wang et al., "FLAML: a fast and lightweight
 * AutoML library", MLSys 2021, and "Frugal optimization for cost-related
 * hyperparameters", AAAI 2021):
 *	 1. the baseline first (never cut), then every allowed learner at a
 *		cheap initial configuration on a small sample;
 *	 2. then, repeatedly, a learner drawn with probability proportional to
 *		1 / its estimated cost for improvement (ECI), which proposes either
 *		its incumbent on a larger sample, or a randomized local-search move
 *		(FLOW2): a random unit direction in the normalized space, +step then
 *		-step; the step grows on success and shrinks after repeated
 *		failures;
 *	 3. it stops when the budget is spent (every trial gets the remaining
 *		budget as its time limit, so the last one is cut short rather than
 *		overrunning), when every learner has converged (step below a floor
 *		on the full sample), when no trial improved the best score by more
 *		than a tolerance for `patience` trials (only once every learner
 *		runs on all rows, has tried its default configuration there and
 *		has had two trials since that last improvement), or after
 *		max_trials.
 * With a deterministic clock (or a deterministic cost, see
 * aml_search_result.cost) the search is deterministic given the seed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_SEARCH_H
#define AML_SEARCH_H

#include "aml_int.h"

/* ---------------------------------------------------------------- spaces */

/* One searched hyperparameter. */
typedef struct aml_hparam
{
	const char *name;			/* as the learner's check_params knows it */
	int			is_int;			/* values are rounded to integers */
	int			is_log;			/* searched on a log scale (lo > 0) */
	double		lo;
	double		hi;
	double		init;			/* cheap starting value */
	double		dflt;			/* a good general-purpose value */
	int			cost_related;	/* fit time grows about linearly with it */
} aml_hparam;

/* A learner's search space. */
typedef struct aml_search_space
{
	aml_algo	algo;
	int			n;
	aml_hparam	hp[AML_MAX_PARAMS];
} aml_search_space;

/*
 * aml_search_space_for returns the search space of a learner (n = 0 for
 * the baseline), or NULL for an algorithm the search does not know.
 */
const aml_search_space *aml_search_space_for(aml_algo algo);

/*
 * aml_search_space_params fills p with the space's initial (which = 0) or
 * default (which = 1) values.
 */
void		aml_search_space_params(const aml_search_space *sp, int which,
									aml_params *p);

/* ---------------------------------------------------------------- search */

typedef enum aml_trial_kind
{
	AML_TRIAL_BASELINE = 0,
	AML_TRIAL_INIT,				/* a learner's cheap starting point */
	AML_TRIAL_DEFAULT,			/* a learner's default configuration */
	AML_TRIAL_LOCAL,			/* a local-search move */
	AML_TRIAL_GROW,				/* the incumbent on a larger sample */
	AML_TRIAL_CLASS_WEIGHT,		/* the incumbent with the other class
								 * weighting (AML_CLASS_WEIGHT) */
	AML_TRIAL_GEN_FEATURES		/* the incumbent with generated features
								 * switched (AML_GEN_FEATURES) */
} aml_trial_kind;

/* What the search asks the evaluator to do. */
typedef struct aml_search_request
{
	int			trial;			/* index in the trace, 0-based */
	aml_trial_kind kind;
	aml_algo	algo;
	const aml_params *params;
	int64_t		sample_rows;	/* fit on this many rows (<= n_rows) */
	double		time_limit;		/* seconds; stop fitting after it (cut) */
} aml_search_request;

/*
 * What the evaluator reports.  score is in the search metric (NaN when the
 * candidate failed, e.g. diverged); seconds is the wall time spent; cost,
 * when > 0, replaces seconds in the search's cost model (a deterministic
 * cost such as rows x trees makes the learner choice reproducible under a
 * real clock; the budget always uses the clock).  was_cut says the fit
 * stopped at time_limit: its score is recorded but such a trial is never
 * a learner's best nor the overall best.
 */
typedef struct aml_search_result
{
	double		score;
	double		seconds;
	double		cost;
	int			was_cut;
	double		final_seconds;	/* the evaluator's estimate of a refit of
								 * this configuration on every training row
								 * (0 = none; see final_reserve) */
	double		score_se;		/* the score's standard error over the
								 * cross-validation folds: their scores'
								 * standard deviation / sqrt(folds) (NaN
								 * when unknown) */
	double		temp;			/* the temperature score was computed at
								 * (multiclass; 0: none), for the caller */
} aml_search_result;

/*
 * The evaluator: fits and scores req, fills res.  A status other than
 * AML_OK (cancel, out of memory) stops the search and is returned by
 * aml_search_run with err as the evaluator filled it.
 */
typedef aml_status (*aml_search_eval_fn) (void *ctx,
										  const aml_search_request *req,
										  aml_search_result *res,
										  aml_error *err);

struct aml_search_trace;

typedef struct aml_search_config
{
	unsigned	algorithms;		/* bit per aml_algo, 0 = all five searched
								 * learners: pass only those that are built;
								 * the baseline always runs */
	int			higher_is_better;
	int64_t		n_rows;			/* rows available for fitting */
	double		budget_seconds; /* <= 0: no time budget */
	int			n_outputs;		/* trees a boosting round fits (classes of a
								 * multiclass task; 0 or 1 otherwise) */
	double		(*clock) (void *ctx);	/* NULL = aml_now() */
	void	   *clock_ctx;
	uint64_t	seed;
	int			max_trials;		/* 0 = unlimited; the baseline counts */
	double		final_reserve;	/* seconds after budget_seconds kept for the
								 * final refit: when the best trial's
								 * final_seconds is more, the search ends
								 * that much earlier (aml_search_overrun) */
	/*
	 * NULL, or the seconds the caller needs between the search and
	 * budget_seconds, given the trials so far (e.g. to score its finalists
	 * again): before each trial the search's deadline is that much earlier.
	 */
	double		(*after_seconds) (void *ctx, const struct aml_search_trace *t);
	void	   *after_ctx;

	/* tuning knobs; aml_search_config_init sets the defaults */
	int64_t		init_sample;	/* first sample size (10000) */
	double		sample_growth;	/* sample multiplier (2) */
	int			try_defaults;	/* evaluate each default config (1) */
	int			class_weights;	/* classification: try each learner's
								 * incumbent once with balanced class
								 * weights (0; the trainer sets it) */
	int			gen_features;	/* try each learner's incumbent once with
								 * the generated features (0; the trainer
								 * sets it when there are some) */
	int			patience;		/* trials without improvement; 0 = auto */
	double		tol_rel;		/* relative improvement that counts (1e-4) */
	double		init_step;		/* initial step per sqrt(dim) (0.1) */
	double		min_step;		/* convergence floor per sqrt(dim) (0.01) */
	double		step_grow;		/* on success (1.5) */
	double		step_shrink;	/* after repeated failures (0.5) */
} aml_search_config;

/* aml_search_config_init fills cfg with the defaults (all learners). */
void		aml_search_config_init(aml_search_config *cfg);

typedef enum aml_search_stop
{
	AML_STOP_BUDGET = 0,		/* time budget spent */
	AML_STOP_CONVERGED,			/* every learner's step below the floor */
	AML_STOP_PATIENCE,			/* no improvement for `patience` trials */
	AML_STOP_MAX_TRIALS
} aml_search_stop;

/* One evaluated trial, in order. */
typedef struct aml_search_trial
{
	aml_trial_kind kind;
	aml_algo	algo;
	aml_params	params;
	int64_t		sample_rows;
	double		time_limit;
	double		score;
	double		seconds;
	double		cost;			/* what the cost model used */
	double		final_seconds;	/* the evaluator's refit estimate */
	double		score_se;		/* the evaluator's (NaN when unknown) */
	double		temp;			/* the evaluator's temperature (0: none) */
	int			was_cut;
	int			improved;		/* set its learner's incumbent (a better
								 * config, or the incumbent re-scored on a
								 * larger sample) */
	double		step;			/* its learner's step after the trial */
	double		elapsed;		/* clock since the start, after the trial */
} aml_search_trial;

/*
 * The trace: every trial, the best trial per learner and overall (-1 when
 * none), why the search stopped, and each learner's final state.
 */
typedef struct aml_search_trace
{
	aml_env    *env;
	int			n_trials;
	int			cap_trials;
	aml_search_trial *trials;
	int			best_of[AML_ALGO_COUNT];
	int			best;
	aml_search_stop stop;
	double		elapsed;
	double		final_step[AML_ALGO_COUNT];
	int			converged[AML_ALGO_COUNT];
} aml_search_trace;

void		aml_search_trace_init(aml_search_trace *t, aml_env *env);

/*
 * aml_search_overrun is how much longer than cfg->final_reserve the refit
 * of the best trial so far would take (its final_seconds minus the
 * reserve; 0 when it fits, or without an estimate).  The search's deadline
 * moves that much earlier, and so should any later step of the budget.
 */
double		aml_search_overrun(const aml_search_config *cfg, const aml_search_trace *t);
void		aml_search_trace_free(aml_search_trace *t);

/*
 * aml_search_run runs the search; trace must be initialized and is filled
 * (also on failure: the trials done so far).  Returns AML_OK when it
 * stopped for one of the reasons above.
 */
aml_status	aml_search_run(aml_env *env, const aml_search_config *cfg,
						   aml_search_eval_fn eval, void *ctx,
						   aml_search_trace *trace, aml_error *err);

/* ---------------------------------------------------------------- ensemble */

/*
 * Greedy ensemble selection with replacement (Caruana et al., ICML 2004)
 * over candidates' out-of-fold predictions: pred[c] holds n x n_out values
 * in aml_model_predict's layout, y the labels, metric a name known to
 * aml_metric_compute.  Each round adds the candidate that gives the best
 * score of the averaged predictions; the best round wins.
 */
typedef struct aml_ensemble_input
{
	const char *metric;
	aml_task	task;
	int			n_classes;
	int64_t		n;
	int			n_out;
	const double *y;
	int			n_cand;
	const double *const *pred;
	int			max_rounds;		/* 0 = 20 */

	/*
	 * prune: a candidate whose score is worse than the best single one's
	 * by more than ENSEMBLE_PRUNE_SE times that score's bootstrap
	 * standard error (over the rows, seeded by seed) does not join: on
	 * few rows a weak candidate that happens to fix a few of the best
	 * one's errors fits noise.
	 */
	int			prune;
	uint64_t	seed;

	/*
	 * min_gain_se > 0: the ensemble is used only when its gain over the
	 * best single candidate is at least min_gain_se times the gain's
	 * bootstrap standard error (paired, over the rows): a mix chosen on
	 * the same predictions it is scored on gains a little by chance, and
	 * costs its members' scoring time on every row.
	 */
	double		min_gain_se;

	/*
	 * n_blocks > 1: the n rows are n_blocks deals of the same n / n_blocks
	 * rows, end to end (row i of every block is the same row); the
	 * bootstrap of prune and min_gain_se resamples a row's deals together,
	 * as its predictions move together, rather than as independent rows
	 * (which would make the standard errors up to sqrt(n_blocks) too
	 * small).  0 or 1: independent rows.
	 */
	int			n_blocks;
} aml_ensemble_input;

typedef struct aml_ensemble_result
{
	int			use;			/* 1: the ensemble beats the best single */
	double		score;			/* of the chosen ensemble (or best single) */
	double		single_score;	/* of the best single candidate */
	int			best_single;	/* its index */
	int			n_members;		/* distinct candidates with weight > 0 */
	int			n_pruned;		/* candidates left out by prune */
	double		margin;			/* the pruning margin (0 without) */
	double		gain_se;		/* with min_gain_se: the gain's standard
								 * error (NaN when not computed) */
	double		gain;			/* with min_gain_se: the best mix's gain
								 * over the best single (> 0: better) */
	int			too_small;		/* 1: a mix beat the best single one by
								 * less than min_gain_se standard errors */
} aml_ensemble_result;

/*
 * aml_ensemble_select fills weights[n_cand] with integer counts (sum =
 * rounds of the best ensemble; a member's weight is count / sum).  When
 * use is 0, weights select the best single candidate alone.
 */
aml_status	aml_ensemble_select(aml_env *env, const aml_ensemble_input *in,
								int *weights, aml_ensemble_result *res,
								aml_error *err);

/*
 * aml_score_diff_se estimates, from n_boot bootstrap resamples of the rows
 * (seeded by in->seed), the standard error of prediction a's score minus
 * b's, both on the same resample.  in->n rows are n_blocks blocks of the
 * same in->n / n_blocks rows (cross-validation dealt again): a resample
 * draws rows of the first block and takes each from every block, so a
 * row's repeats are not counted as independent rows.  With max_base > 0
 * and more base rows than that, the resamples are of a seeded subset of
 * max_base of them and the error is scaled to all by the square root of
 * their ratio (50 resamples of the AUC gap of 20,000 rows x 3 deals take
 * 1.5 s; of 5,000 of those rows, 0.3 s).  in's metric, task, n_classes,
 * n, n_out, y and seed are used.  *se is NaN when undefined.
 */
aml_status	aml_score_diff_se(aml_env *env, const aml_ensemble_input *in, int n_blocks,
							  const double *a, const double *b, int n_boot,
							  int64_t max_base, double *se, aml_error *err);

/*
 * aml_simplest_within_se applies the one-standard-error rule across
 * candidates of different complexity: among the candidates whose estimate
 * est[i] is behind the best one's (index best) by at most k_se times se[i]
 * (the standard error of that gap; NaN: not eligible), it returns the one
 * of lowest complexity[i], the better estimate breaking ties; best when
 * none is simpler than best.  hib: 1 when higher scores are better.
 */
int			aml_simplest_within_se(int n, const double *est, const double *se,
								   const int *complexity, int best, int hib,
								   double k_se);

#endif							/* AML_SEARCH_H */
