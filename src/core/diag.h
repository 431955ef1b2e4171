/*-------------------------------------------------------------------------
 *
 * diag.h
 *	  Diagnostics computed at training time on the test split and stored
 *	  with the model (the catalog's diagnostics column), so explanations,
 *	  bias tables and the report never re-read the source.
 *
 * aml_train builds one aml_diag_input after scoring the test rows and
 * calls every section writer in turn; each adds its own keys to the open
 * JSON object (a writer that has nothing to say adds nothing).  Writers
 * run in the calling thread, may allocate through env and must leave the
 * model unchanged.  Out of memory shows as j->oom.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AML_DIAG_H
#define AML_DIAG_H

#include "model.h"

typedef struct aml_diag_input
{
	aml_env    *env;
	const aml_model *model;
	const aml_frame *frame;
	const aml_train_options *opts;
	const aml_report *report;	/* metric, leaderboard so far */
	const aml_dataset *ds;		/* base features of every frame row, for
								 * refits (learning curve, one-column
								 * models) */
	aml_task	task;
	int			n_classes;
	int			n_out;			/* outputs per row */
	const char *metric;
	int			higher_is_better;
	/* the test split */
	int64_t		n;
	const int64_t *rows;		/* frame row of each test row */
	const double *raw;			/* n x model->n_inputs raw inputs */
	const double *y;			/* target: class index or value */
	const double *pred;			/* n x n_out model outputs */
	const double *base_pred;	/* n x n_out baseline outputs */
	/* the training rows (frame rows) */
	int64_t		n_train;
	const int64_t *train_rows;
	double		seconds;		/* training so far */
} aml_diag_input;

/*
 * Section writers (one per file that owns the section), each adding its
 * keys to the open object:
 *	 "importance"	explain.c: per source column, mean |contribution| and
 *					permutation importance on the test split, split gain
 *	 "bias"			bias.c: the bias tables of the sensitive columns
 *	 "curves", "trajectory"  diag.c: ROC, precision-recall, confusion,
 *					calibration, predicted vs actual, residuals; best
 *					score over the search's time
 *	 "assessment"	assess.c: bootstrap interval, learning curve, leakage
 * Each returns AML_OK or a failure with err filled; training fails with it.
 */

/*
 * aml_diag_bias adds "bias": one table per sensitive column of the
 * training options (nothing when there is none or no test rows).
 */
aml_status	aml_diag_bias(aml_json *j, const aml_diag_input *di, aml_error *err);

#endif							/* AML_DIAG_H */
