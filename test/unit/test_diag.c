/*-------------------------------------------------------------------------
 *
 * test_diag.c
 *	  Unit tests of the report's diagnostics (diag.c): ROC and
 *	  precision-recall points of known rankings, thinning, confusion
 *	  counts, calibration bins, multiclass one-vs-rest AUC, the regression
 *	  sample and residual histogram, the search trajectory, and the
 *	  sections aml_train stores.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "harness.h"

/* the number written after the first occurrence of pat, or NaN */
static double
num_after(const char *s, const char *pat)
{
	const char *p = s ? strstr(s, pat) : NULL;

	if (p == NULL)
		return NAN;
	p += strlen(pat);
	if (strncmp(p, "null", 4) == 0)
		return NAN;
	return strtod(p, NULL);
}

/* how many numbers the array after pat holds (-1: no such key) */
static int
array_len(const char *s, const char *pat)
{
	const char *p = s ? strstr(s, pat) : NULL;
	int			n = 0;

	if (p == NULL)
		return -1;
	p += strlen(pat);
	if (*p != '[')
		return -1;
	if (p[1] == ']')
		return 0;
	for (p++; *p && *p != ']'; p++)
		n += *p == ',';
	return n + 1;
}

/* the i-th number of the array after pat */
static double
array_at(const char *s, const char *pat, int i)
{
	const char *p = s ? strstr(s, pat) : NULL;

	if (p == NULL)
		return NAN;
	p += strlen(pat) + 1;
	while (i-- > 0)
	{
		p = strchr(p, ',');
		if (p == NULL)
			return NAN;
		p++;
	}
	if (strncmp(p, "null", 4) == 0)
		return NAN;
	return strtod(p, NULL);
}

typedef struct fixture
{
	aml_env		env;
	aml_model	model;
	aml_report	report;
	aml_train_options opts;
	aml_diag_input di;
	aml_json	j;
	char	   *labels[4];
} fixture;

static void
fixture_init(fixture *f, aml_task task, int n_classes, int64_t n,
			 const double *y, const double *pred)
{
	static const char *const names[] = {"no", "yes", "maybe", "other"};

	memset(f, 0, sizeof(*f));
	aml_env_init(&f->env);
	for (int i = 0; i < 4; i++)
		f->labels[i] = (char *) names[i];
	f->model.task = task;
	f->model.n_classes = n_classes;
	f->model.class_labels = task == AML_TASK_REGRESSION ? NULL : f->labels;
	aml_train_options_init(&f->opts);
	f->report.env = &f->env;
	f->di.env = &f->env;
	f->di.model = &f->model;
	f->di.report = &f->report;
	f->di.opts = &f->opts;
	f->di.task = task;
	f->di.n_classes = n_classes;
	f->di.n_out = task == AML_TASK_MULTICLASS ? n_classes : 1;
	f->di.metric = task == AML_TASK_REGRESSION ? "rmse" : task == AML_TASK_BINARY ? "roc_auc" : "log_loss";
	f->di.higher_is_better = task == AML_TASK_BINARY;
	f->di.n = n;
	f->di.y = y;
	f->di.pred = pred;
	aml_json_init(&f->j, &f->env);
	aml_json_begin_obj(&f->j);
}

/* fixture_run runs the writer and returns the finished JSON text */
static const char *
fixture_run(fixture *f)
{
	aml_error	err;

	CHECK(aml_diag_curves(&f->j, &f->di, &err) == AML_OK);
	aml_json_end_obj(&f->j);
	CHECK(!f->j.oom);
	return f->j.s;
}

static void
fixture_free(fixture *f)
{
	aml_json_free(&f->j);
	CHECK(f->env.mem_used == 0);
}

/* ROC of a known ranking: AUC 12/16, the points of every threshold */
static void
test_roc_known_ranking(void)
{
	/* by descending score the labels are 1 1 0 1 0 0 1 0 */
	double		p[8] = {0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2};
	double		y[8] = {1, 1, 0, 1, 0, 0, 1, 0};
	fixture		f;
	const char *s;

	fixture_init(&f, AML_TASK_BINARY, 2, 8, y, p);
	s = fixture_run(&f);
	CHECK_NEAR(num_after(s, "\"roc\":{\"auc\":"), 0.75, 1e-12);
	CHECK_NEAR(num_after(s, "\"roc\":{\"auc\":"), aml_metric_compute("roc_auc", AML_TASK_BINARY, 2, 8, y, p), 1e-12);
	/* origin + 8 thresholds */
	CHECK(array_len(s, "\"fpr\":") == 9);
	CHECK(array_len(s, "\"tpr\":") == 9);
	CHECK_NEAR(array_at(s, "\"fpr\":", 0), 0.0, 0);
	CHECK_NEAR(array_at(s, "\"tpr\":", 2), 0.5, 1e-12);	/* after 0.8: 2 of 4 */
	CHECK_NEAR(array_at(s, "\"fpr\":", 3), 0.25, 1e-12);	/* after 0.7 */
	CHECK_NEAR(array_at(s, "\"fpr\":", 8), 1.0, 0);
	CHECK_NEAR(array_at(s, "\"tpr\":", 8), 1.0, 0);
	CHECK(strstr(s, "\"roc\":{\"auc\":0.75,\"fpr\":[0,0,0,0.25,0.25,0.5,0.75,0.75,1],"
				 "\"tpr\":[0,0.25,0.5,0.5,0.75,0.75,0.75,1,1],"
				 "\"threshold\":[null,0.9,0.8,0.7,0.6,0.55,0.4,0.3,0.2]}") != NULL);

	/* precision-recall: 8 thresholds, AP as the metric computes it */
	CHECK(array_len(s, "\"recall\":") == 8);
	CHECK_NEAR(num_after(s, "\"average_precision\":"), aml_metric_compute("pr_auc", AML_TASK_BINARY, 2, 8, y, p), 1e-6);
	CHECK_NEAR(num_after(s, "\"prevalence\":"), 0.5, 0);
	CHECK_NEAR(array_at(s, "\"precision\":", 2), 2.0 / 3.0, 1e-6);	/* top 3: 2 positive */
	CHECK(strstr(s, "\"positive\":\"yes\",\"negative\":\"no\"") != NULL);
	fixture_free(&f);
}

/* tied scores form one threshold: a constant score is the diagonal */
static void
test_roc_ties(void)
{
	double		p[6] = {0.3, 0.3, 0.3, 0.3, 0.3, 0.3};
	double		y[6] = {1, 0, 1, 0, 0, 1};
	fixture		f;
	const char *s;

	fixture_init(&f, AML_TASK_BINARY, 2, 6, y, p);
	s = fixture_run(&f);
	CHECK_NEAR(num_after(s, "\"auc\":"), 0.5, 1e-12);
	CHECK(array_len(s, "\"fpr\":") == 2);
	CHECK(array_len(s, "\"recall\":") == 1);
	fixture_free(&f);
}

/* one class in the test rows: no ROC or PR, the confusion matrix stays */
static void
test_one_class(void)
{
	double		p[4] = {0.1, 0.7, 0.2, 0.6};
	double		y[4] = {0, 0, 0, 0};
	fixture		f;
	const char *s;

	fixture_init(&f, AML_TASK_BINARY, 2, 4, y, p);
	s = fixture_run(&f);
	CHECK(strstr(s, "\"roc\"") == NULL);
	CHECK(strstr(s, "\"pr\"") == NULL);
	CHECK(strstr(s, "\"matrix\":[[2,2],[0,0]]") != NULL);
	fixture_free(&f);
}

/* confusion counts at 0.5 (0.5 itself is positive) and calibration bins */
static void
test_confusion_calibration(void)
{
	double		p[10] = {0.05, 0.05, 0.05, 0.5, 0.49, 0.95, 1.0, 0.72, 0.0, 0.61};
	double		y[10] = {0, 0, 1, 1, 0, 1, 1, 0, 0, 1};
	fixture		f;
	const char *s;
	const char *cal;

	fixture_init(&f, AML_TASK_BINARY, 2, 10, y, p);
	s = fixture_run(&f);
	/* actual no: predicted no 0.05 0.05 0.49 0.0, yes 0.72; actual yes: no 0.05, yes 0.5 0.95 1.0 0.61 */
	CHECK(strstr(s, "\"confusion\":{\"labels\":[\"no\",\"yes\"],\"threshold\":0.5,\"matrix\":[[4,1],[1,4]]}") != NULL);
	cal = strstr(s, "\"calibration\":");
	CHECK(cal != NULL);
	if (cal == NULL)
		return;
	/* bin 0: 0.05 0.05 0.05 0.0, observed 1 of 4 */
	CHECK(strstr(cal, "{\"lo\":0,\"hi\":0.1,\"mean_predicted\":0.0375,\"observed\":0.25,\"count\":4}") != NULL);
	/* bin 4 holds 0.49, bin 5 holds 0.5 */
	CHECK(strstr(cal, "{\"lo\":0.4,\"hi\":0.5,\"mean_predicted\":0.49,\"observed\":0,\"count\":1}") != NULL);
	CHECK(strstr(cal, "{\"lo\":0.5,\"hi\":0.6,\"mean_predicted\":0.5,\"observed\":1,\"count\":1}") != NULL);
	/* empty bins have null means; 1.0 falls in the last bin */
	CHECK(strstr(cal, "{\"lo\":0.1,\"hi\":0.2,\"mean_predicted\":null,\"observed\":null,\"count\":0}") != NULL);
	CHECK(strstr(cal, "{\"lo\":0.9,\"hi\":1,\"mean_predicted\":0.975,\"observed\":1,\"count\":2}") != NULL);
	fixture_free(&f);
}

/* thinning keeps at most max points, the ends included, evenly spaced */
static void
test_thin(void)
{
	enum
	{
	M = 5000};
	static double x[M],
				y[M];
	static int	keep[M];
	int			k;

	for (int i = 0; i < M; i++)
	{
		x[i] = (double) i / (M - 1);
		y[i] = sqrt(x[i]);
	}
	k = aml_diag_thin(x, y, M, 200, keep);
	CHECK(k <= 200 && k >= 190);
	CHECK(keep[0] == 0 && keep[k - 1] == M - 1);
	for (int i = 1; i < k; i++)
		CHECK(keep[i] > keep[i - 1]);
	/* no gap along the path is much more than the even step */
	for (int i = 1; i < k; i++)
	{
		double		d = fabs(x[keep[i]] - x[keep[i - 1]]) + fabs(y[keep[i]] - y[keep[i - 1]]);

		CHECK(d < 2.0 / 198 * 1.5);
	}
	k = aml_diag_thin(x, y, 150, 200, keep);
	CHECK(k == 150 && keep[149] == 149);
}

/* a large ranking is thinned to 200 ROC and PR points, same AUC */
static void
test_roc_thinned(void)
{
	enum
	{
	N = 3000};
	static double p[N],
				y[N];
	aml_rng		r;
	fixture		f;
	const char *s;

	aml_rng_seed(&r, 7);
	for (int i = 0; i < N; i++)
	{
		y[i] = aml_rng_uniform(&r) < 0.3;
		p[i] = 0.5 * aml_rng_uniform(&r) + 0.3 * y[i];
	}
	fixture_init(&f, AML_TASK_BINARY, 2, N, y, p);
	s = fixture_run(&f);
	CHECK(array_len(s, "\"fpr\":") <= 200 && array_len(s, "\"fpr\":") >= 150);
	CHECK(array_len(s, "\"recall\":") <= 200 && array_len(s, "\"recall\":") >= 150);
	CHECK_NEAR(num_after(s, "\"auc\":"), aml_metric_compute("roc_auc", AML_TASK_BINARY, 2, N, y, p), 1e-5);
	fixture_free(&f);
}

/* multiclass: the argmax confusion matrix and one-vs-rest AUC */
static void
test_multiclass(void)
{
	/* 3 classes; row i: y, then the probabilities */
	double		y[6] = {0, 0, 1, 1, 2, 2};
	double		p[18] = {
		0.8, 0.1, 0.1,
		0.6, 0.3, 0.1,
		0.2, 0.7, 0.1,
		0.5, 0.4, 0.1,			/* class 1 taken for 0 */
		0.1, 0.1, 0.8,
		0.2, 0.2, 0.6,
	};
	fixture		f;
	const char *s;

	fixture_init(&f, AML_TASK_MULTICLASS, 3, 6, y, p);
	s = fixture_run(&f);
	CHECK(strstr(s, "\"confusion\":{\"labels\":[\"no\",\"yes\",\"maybe\"],\"matrix\":[[2,0,0],[1,1,0],[0,0,2]]}") != NULL);
	/* class 2 is perfectly separated; class 0: scores 0.8 0.6 vs 0.2 0.5 0.1 0.2 */
	CHECK(strstr(s, "{\"label\":\"maybe\",\"auc\":1,\"support\":2}") != NULL);
	CHECK(strstr(s, "{\"label\":\"no\",\"auc\":1,\"support\":2}") != NULL);
	/* class 1: 0.7 0.4 vs 0.1 0.3 0.1 0.2 -> 8 of 8 */
	CHECK(strstr(s, "{\"label\":\"yes\",\"auc\":1,\"support\":2}") != NULL);
	CHECK(strstr(s, "\"roc\"") == NULL);
	fixture_free(&f);
}

/* regression: a seeded sample of 500, histogram counts sum to n */
static void
test_regression(void)
{
	enum
	{
	N = 1200};
	static double y[N],
				p[N];
	fixture		f;
	const char *s;
	char	   *copy;
	const char *sc;
	int			nb;
	double		total = 0,
				sse = 0;

	for (int i = 0; i < N; i++)
	{
		y[i] = i * 0.1;
		p[i] = y[i] + ((i % 7) - 3) * 0.5;
		sse += (y[i] - p[i]) * (y[i] - p[i]);
	}
	fixture_init(&f, AML_TASK_REGRESSION, 0, N, y, p);
	s = fixture_run(&f);
	CHECK(array_len(s, "\"actual\":") == 500);
	CHECK(array_len(s, "\"predicted\":") == 500);
	/* in test-row order: actual is increasing */
	sc = strstr(s, "\"actual\":");
	CHECK(sc != NULL);
	for (int i = 1; sc && i < 500; i++)
		CHECK(array_at(s, "\"actual\":", i) > array_at(s, "\"actual\":", i - 1));
	nb = array_len(s, "\"counts\":");
	CHECK(nb >= 1 && nb <= 30);
	CHECK(array_len(s, "\"edges\":") == nb + 1);
	for (int b = 0; b < nb; b++)
		total += array_at(s, "\"counts\":", b);
	CHECK_NEAR(total, N, 0);
	CHECK_NEAR(array_at(s, "\"edges\":", 0), -1.5, 1e-9);
	CHECK_NEAR(array_at(s, "\"edges\":", nb), 1.5, 1e-9);
	CHECK_NEAR(num_after(s, "\"rmse\":"), sqrt(sse / N), 1e-5);
	CHECK_NEAR(num_after(s, "\"rmse\":"), aml_metric_compute("rmse", AML_TASK_REGRESSION, 0, N, y, p), 1e-5);
	CHECK_NEAR(num_after(s, "\"p50\":"), 0.0, 1e-9);
	CHECK_NEAR(num_after(s, "\"max_abs_residual\":"), 1.5, 1e-9);

	/* the same seed gives the same sample; another seed another */
	copy = strdup(s);
	fixture_free(&f);
	fixture_init(&f, AML_TASK_REGRESSION, 0, N, y, p);
	s = fixture_run(&f);
	CHECK(strcmp(s, copy) == 0);
	fixture_free(&f);
	fixture_init(&f, AML_TASK_REGRESSION, 0, N, y, p);
	f.opts.seed = 43;
	s = fixture_run(&f);
	CHECK(strcmp(s, copy) != 0);
	fixture_free(&f);
	free(copy);
}

/* numbers are rounded to 6 significant digits */
static void
test_rounding(void)
{
	double		y[3] = {1.0, 2.0, 3.0};
	double		p[3] = {1.123456789, 2.987654321, 3.000001234};
	fixture		f;
	const char *s;

	fixture_init(&f, AML_TASK_REGRESSION, 0, 3, y, p);
	s = fixture_run(&f);
	CHECK(strstr(s, "\"predicted\":[1.12346,2.98765,3]") != NULL);
	fixture_free(&f);
}

/* the trajectory: every trial in order, the best so far, cut trials null */
static void
test_trajectory(void)
{
	aml_candidate c[4];
	fixture		f;
	const char *s;
	double		y[2] = {0, 1},
				p[2] = {0.2, 0.9};

	memset(c, 0, sizeof(c));
	c[0].algo = AML_ALGO_BASELINE;
	c[0].score = 0.5;
	c[0].finished_at = 0.01;
	c[0].sample_rows = 100;
	c[1].algo = AML_ALGO_LINEAR;
	c[1].score = 0.8;
	c[1].finished_at = 0.25;
	c[1].sample_rows = 100;
	c[2].algo = AML_ALGO_GBDT;
	c[2].score = NAN;
	c[2].finished_at = 1.5;
	c[2].sample_rows = 400;
	c[3].algo = AML_ALGO_DECISION_TREE;
	c[3].score = 0.7;
	c[3].finished_at = 1.75;
	c[3].sample_rows = 400;
	fixture_init(&f, AML_TASK_BINARY, 2, 2, y, p);
	f.report.cands = c;
	f.report.n_cands = 4;
	s = fixture_run(&f);
	CHECK(strstr(s, "\"trajectory\":{\"metric\":\"roc_auc\",\"higher_is_better\":true,\"trials\":["
				 "{\"seconds\":0.01,\"learner\":\"baseline\",\"score\":0.5,\"best\":0.5,\"rows\":100},"
				 "{\"seconds\":0.25,\"learner\":\"linear\",\"score\":0.8,\"best\":0.8,\"rows\":100},"
				 "{\"seconds\":1.5,\"learner\":\"gbdt\",\"score\":null,\"best\":0.8,\"rows\":400},"
				 "{\"seconds\":1.75,\"learner\":\"decision_tree\",\"score\":0.7,\"best\":0.8,\"rows\":400}]}") != NULL);
	fixture_free(&f);

	/* lower is better: the best goes down */
	fixture_init(&f, AML_TASK_REGRESSION, 0, 2, y, p);
	f.report.cands = c;
	f.report.n_cands = 4;
	s = fixture_run(&f);
	CHECK(strstr(s, "\"higher_is_better\":false") != NULL);
	CHECK(strstr(s, "\"learner\":\"decision_tree\",\"score\":0.7,\"best\":0.5") != NULL);
	fixture_free(&f);
}

/* no test rows: the trajectory alone */
static void
test_no_test_rows(void)
{
	fixture		f;
	const char *s;

	fixture_init(&f, AML_TASK_BINARY, 2, 0, NULL, NULL);
	s = fixture_run(&f);
	CHECK(strstr(s, "\"trajectory\"") != NULL);
	CHECK(strstr(s, "\"curves\"") == NULL);
	fixture_free(&f);
}

/* aml_train stores both sections; trials finish in order */
static void
test_train_stores_sections(void)
{
	aml_env		env;
	aml_error	err;
	aml_train_options o;
	aml_model  *m = NULL;
	aml_report *r = NULL;
	aml_frame  *f;
	uint64_t	s = 99;
	char	   *d;
	size_t		len;

	aml_env_init(&env);
	f = aml_frame_create(&env, &err);
	aml_frame_add_column(f, "x", AML_COL_NUMERIC, "float8", 0, 0, &err);
	aml_frame_add_column(f, "y", AML_COL_CATEGORICAL, "text", 0, 0, &err);
	aml_frame_reserve(f, 400, &err);
	for (int i = 0; i < 400; i++)
	{
		double		x;
		const char *lab;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		x = (double) (s >> 11) / 9007199254740992.0;
		lab = x + 0.3 * ((s >> 3) % 3) > 0.8 ? "yes" : "no";
		aml_frame_set_numeric(f, 0, i, x);
		aml_frame_set_code(f, 1, i, aml_frame_level_code(f, 1, lab, strlen(lab), &err));
	}
	aml_frame_set_rows(f, 400);
	aml_train_options_init(&o);
	o.target_col = 1;
	o.algorithms = (1u << AML_ALGO_LINEAR) | (1u << AML_ALGO_DECISION_TREE);
	CHECK(aml_train(&env, f, &o, &m, &r, &err) == AML_OK);
	if (r == NULL)
		return;
	len = aml_report_json(r, "diagnostics", NULL, 0);
	d = malloc(len + 1);
	aml_report_json(r, "diagnostics", d, len + 1);
	CHECK(strstr(d, "\"trajectory\":{\"metric\":\"roc_auc\"") != NULL);
	CHECK(strstr(d, "\"curves\":{\"task\":\"binary\",\"n\":80,") != NULL);
	CHECK(strstr(d, "\"labels\":[\"no\",\"yes\"]") != NULL);
	CHECK_NEAR(num_after(d, "\"roc\":{\"auc\":"), aml_report_test_score(r), 1e-5);
	for (int i = 1; i < aml_report_n_candidates(r); i++)
		CHECK(aml_report_candidate(r, i)->finished_at >= aml_report_candidate(r, i - 1)->finished_at);
	CHECK(aml_report_candidate(r, 0)->finished_at >= 0);
	free(d);
	aml_model_free(m);
	aml_report_free(r);
	aml_frame_free(f);
}

int
main(void)
{
	RUN(test_roc_known_ranking);
	RUN(test_roc_ties);
	RUN(test_one_class);
	RUN(test_confusion_calibration);
	RUN(test_thin);
	RUN(test_roc_thinned);
	RUN(test_multiclass);
	RUN(test_regression);
	RUN(test_rounding);
	RUN(test_trajectory);
	RUN(test_no_test_rows);
	RUN(test_train_stores_sections);
	DONE();
}
