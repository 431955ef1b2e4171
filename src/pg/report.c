/*-------------------------------------------------------------------------
 *
 * report.c
 *	  automl_report: one self-contained XHTML page describing a model
 *	  version, with inline SVG charts drawn here from what the catalog
 *	  stores (automl.models incl. diagnostics, candidates, deployments,
 *	  audit).  Nothing re-reads the source table.
 *
 * The page is well-formed XML (XHTML syntax, so xml_is_well_formed_document
 * accepts it) and needs nothing from outside: no script, no font, no image,
 * no link to fetch.  It carries its own Content-Security-Policy (a meta
 * element allowing only its one style sheet, by hash), so it behaves the
 * same from a file and behind a strict server policy: colours of the
 * charts are SVG presentation attributes, never style attributes.
 *
 * The page and chart builders (HtmlPage, Svg*, Plot*, generic charts and
 * tables) live in report_html.c, shared with the assessment report
 * (report_assess.c); this file reads the catalog and lays out the model
 * report's sections.
 *
 * Catalog reads run as the caller: row-level security shows the report
 * exactly what the caller may see (the leaderboard needs review), after
 * AmlGovCheck refused a caller with no use privilege.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "automl_pg.h"
#include "report_html.h"

PG_FUNCTION_INFO_V1(automl_report);

/* ================================================================ the model report */

typedef struct Model
{
	int64		id;
	char	   *name;
	int			version;
	char	   *task;
	char	   *target;
	char	   *source;
	char	   *algorithm;
	char	   *metric;
	double		test_score;
	double		baseline_score;
	JsonbContainer *hyper;
	JsonbContainer *features;
	JsonbContainer *metrics;
	JsonbContainer *baseline;
	JsonbContainer *options;
	int64		rows;
	int64		test_rows;
	double		seconds;
	char	   *created_at;
	char	   *created_by;
	char	   *status;
	char	   *reviewed_by;
	char	   *reviewed_at;
	char	   *review_comment;
	JsonbContainer *diag;
	JsonbContainer *curves;
	int			deployed_version;	/* 0: none deployed */
	char	   *deployed_at;
	char	   *deployed_by;
	char	   *deploy_reason;
	double		budget;
	double		budget_cut;		/* what statement_timeout left of it (NaN: not cut) */
	bool		can_review;
	bool		binary;
	bool		multiclass;
	bool		hib;
	char	   *positive;
	char	   *negative;
} Model;

static const char *const model_sql =
"SELECT m.id, m.name, m.version, m.task, m.target, m.source, m.algorithm, m.metric, "
"       m.test_score, m.baseline_score, m.hyperparameters, m.features, m.metrics, m.baseline, "
"       m.options, m.rows, m.test_rows, m.seconds, "
"       to_char(m.created_at, 'YYYY-MM-DD HH24:MI TZ'), m.created_by::text, m.status, "
"       m.reviewed_by::text, to_char(m.reviewed_at, 'YYYY-MM-DD HH24:MI TZ'), m.review_comment, "
"       m.diagnostics, automl.has_privilege(m.name, 'review') "
"  FROM automl.models m "
" WHERE m.name = $1 AND m.version = coalesce($2, "
"       (SELECT d.version FROM automl.deployments d WHERE d.name = $1 ORDER BY d.id DESC LIMIT 1), "
"       (SELECT max(v.version) FROM automl.models v WHERE v.name = $1))";

/* ReadModel loads the model row (as the caller: row-level security) */
/*
 * CatalogHas tells whether the installed extension version has catalog
 * relation rel (automl.audit since 0.2.0, automl.assessments since 0.3.0,
 * automl.drift_history since 0.7.0): the library may be newer than the
 * scripts an ALTER EXTENSION UPDATE has run.
 */
static bool
CatalogHas(const char *rel)
{
	Oid			t[1] = {TEXTOID};
	Datum		v[1] = {CStringGetTextDatum(rel)};

	return SPI_execute_with_args("SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, t, v, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1 && SpiBool(0, 1);
}

static void
ReadModel(Model *m, const char *name, bool has_version, int version)
{
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		v[2];
	char		nulls[2] = {' ', has_version ? ' ' : 'n'};

	v[0] = CStringGetTextDatum(name);
	v[1] = Int32GetDatum(version);
	if (SPI_execute_with_args(model_sql, 2, t, v, nulls, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the model catalog");
	if (SPI_processed == 0)
	{
		if (SPI_execute_with_args("SELECT 1 FROM automl.models WHERE name = $1", 1, t, v, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "automl: could not read the model catalog");
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" does not exist", name),
					 errhint("Train one with automl_train, or list models with SELECT DISTINCT name FROM automl.models.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("version %d of model \"%s\" does not exist", version, name),
				 errhint("List its versions with SELECT version FROM automl.models WHERE name = %s;",
						 quote_literal_cstr(name))));
	}
	m->id = SpiInt64(0, 1);
	m->name = SpiText(0, 2);
	m->version = SpiInt32(0, 3);
	m->task = SpiText(0, 4);
	m->target = SpiText(0, 5);
	m->source = SpiText(0, 6);
	m->algorithm = SpiText(0, 7);
	m->metric = SpiText(0, 8);
	m->test_score = SpiFloat(0, 9);
	m->baseline_score = SpiFloat(0, 10);
	m->hyper = SpiJsonb(0, 11);
	m->features = SpiJsonb(0, 12);
	m->metrics = SpiJsonb(0, 13);
	m->baseline = SpiJsonb(0, 14);
	m->options = SpiJsonb(0, 15);
	m->rows = SpiInt64(0, 16);
	m->test_rows = SpiInt64(0, 17);
	m->seconds = SpiFloat(0, 18);
	m->created_at = SpiText(0, 19);
	m->created_by = SpiText(0, 20);
	m->status = SpiText(0, 21);
	m->reviewed_by = SpiText(0, 22);
	m->reviewed_at = SpiText(0, 23);
	m->review_comment = SpiText(0, 24);
	m->diag = SpiJsonb(0, 25);
	m->can_review = SpiBool(0, 26);
	m->curves = JSub(m->diag, "curves");
	m->binary = strcmp(m->task, "binary") == 0;
	m->multiclass = strcmp(m->task, "multiclass") == 0;
	m->hib = !(strcmp(m->metric, "rmse") == 0 || strcmp(m->metric, "mae") == 0 ||
			   strcmp(m->metric, "log_loss") == 0);
	m->positive = JStr(m->curves, "positive");
	m->negative = JStr(m->curves, "negative");

	/* the deployed version of the name */
	if (SPI_execute_with_args("SELECT version, to_char(deployed_at, 'YYYY-MM-DD HH24:MI TZ'), deployed_by::text, reason "
							  "FROM automl.deployments WHERE name = $1 ORDER BY id DESC LIMIT 1",
							  1, t, v, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the deployments");
	if (SPI_processed == 1)
	{
		m->deployed_version = SpiInt32(0, 1);
		m->deployed_at = SpiText(0, 2);
		m->deployed_by = SpiText(0, 3);
		m->deploy_reason = SpiText(0, 4);
	}

	/* the budget the training had (the audit trail, when there is one) */
	m->budget = NAN;
	m->budget_cut = NAN;
	if (CatalogHas("automl.audit"))
	{
		Oid			t2[2] = {TEXTOID, INT4OID};
		Datum		v2[2];

		v2[0] = CStringGetTextDatum(m->name);
		v2[1] = Int32GetDatum(m->version);
		if (SPI_execute_with_args("SELECT (detail->>'budget_seconds')::float8, (detail->>'budget_cut_seconds')::float8 "
								  "FROM automl.audit "
								  "WHERE model = $1 AND version = $2 AND action = 'train' ORDER BY id DESC LIMIT 1",
								  2, t2, v2, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
		{
			m->budget = SpiFloat(0, 1);
			m->budget_cut = SpiFloat(0, 2);
		}
	}
}

/* ---------------------------------------------------------------- words */

static const char *
LearnerColour(const char *l)
{
	if (strcmp(l, "baseline") == 0)
		return C_BLACK;
	if (strcmp(l, "linear") == 0)
		return C_BLUE;
	if (strcmp(l, "decision_tree") == 0)
		return C_ORANGE;
	if (strcmp(l, "gbdt") == 0)
		return C_GREEN;
	if (strcmp(l, "random_forest") == 0)
		return C_PURPLE;
	if (strcmp(l, "extra_trees") == 0)
		return C_SKY;
	if (strcmp(l, "ensemble") == 0)
		return C_VERMIL;
	return C_GREY;
}

static int
LearnerShape(const char *l)
{
	static const char *const order[] = {"baseline", "linear", "decision_tree", "gbdt",
	"random_forest", "extra_trees", "ensemble", NULL};

	for (int i = 0; order[i]; i++)
		if (strcmp(l, order[i]) == 0)
			return i % 6;
	return 5;
}

static const char *
LearnerClass(const char *l)
{
	static const char *const known[] = {"baseline", "linear", "decision_tree", "gbdt",
	"random_forest", "extra_trees", "ensemble", NULL};

	for (int i = 0; known[i]; i++)
		if (strcmp(l, known[i]) == 0)
			return known[i];
	return "other";
}

/* the confusion matrix of the curves: k, labels, counts */
static int
ReadConfusion(Model *m, char ***labels, int64 **cm)
{
	JsonbContainer *c = JSub(m->curves, "confusion");
	JsonbContainer *lab = JSub(c, "labels");
	JsonbContainer *mat = JSub(c, "matrix");
	int			k = JLen(lab);

	if (k == 0 || JLen(mat) != k)
		return 0;
	*labels = palloc(k * sizeof(char *));
	*cm = palloc0((Size) k * k * sizeof(int64));
	for (int a = 0; a < k; a++)
	{
		JsonbContainer *row = JAt(mat, a);

		(*labels)[a] = JAtStr(lab, a);
		if ((*labels)[a] == NULL)
			(*labels)[a] = "?";
		for (int p = 0; p < k && p < JLen(row); p++)
			(*cm)[a * k + p] = (int64) JAtNum(row, p);
	}
	return k;
}

/*
 * Headline writes the ten-second summary: what the test score means, in
 * words, against what guessing (the baseline) does.
 */
static void
Headline(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	double		acc = JNum(m->metrics, "accuracy"),
				bacc = JNum(m->baseline, "accuracy");

	appendStringInfoString(s, "<p class=\"headline\">");
	if (isnan(m->test_score))
	{
		XmlAppend(s, "No rows were held out for testing, so this version has no honest test score: ");
		XmlAppend(s, "retrain with a test_fraction above 0 to measure it.");
	}
	else if (m->binary && strcmp(m->metric, "roc_auc") == 0)
	{
		Xf(s, "Ranks a random test row with %s = \xE2\x80\x9C%s\xE2\x80\x9D above a random one with %s = \xE2\x80\x9C%s\xE2\x80\x9D ",
		   m->target, m->positive ? m->positive : "1", m->target, m->negative ? m->negative : "0");
		B(s, psprintf("%s of the time", FmtPct(m->test_score)));
		Xf(s, "; guessing does %s.", FmtPct(isnan(m->baseline_score) ? 0.5 : m->baseline_score));
	}
	else if (m->binary || m->multiclass)
	{
		char	  **labels;
		int64	   *cm;
		int			k = ReadConfusion(m, &labels, &cm);
		int			major = 0;
		int64		best = -1;

		for (int a = 0; a < k; a++)
		{
			int64		row = 0;

			for (int p = 0; p < k; p++)
				row += cm[a * k + p];
			if (row > best)
			{
				best = row;
				major = a;
			}
		}
		Xf(s, "Predicts %s correctly for ", m->target);
		B(s, psprintf("%s of test rows", FmtPct(acc)));
		if (k > 0)
			Xf(s, "; always answering \xE2\x80\x9C%s\xE2\x80\x9D (the most common class) gets %s.", labels[major], FmtPct(bacc));
		else
			Xf(s, "; always answering the most common class gets %s.", FmtPct(bacc));
	}
	else
	{
		double		rmse = JNum(m->metrics, "rmse"),
					mae = JNum(m->metrics, "mae"),
					r2 = JNum(m->metrics, "r2"),
					brmse = JNum(m->baseline, "rmse");

		Xf(s, "Predicts %s within ", m->target);
		B(s, FmtNum(rmse));
		Xf(s, " on a typical test row (root mean squared error; the mean absolute error is %s); always predicting the average is off by %s.",
		   FmtNum(mae), FmtNum(brmse));
		if (!isnan(r2) && r2 > 0)
		{
			XmlAppend(s, " It explains ");
			B(s, psprintf("%s of the variance", FmtPct(r2)));
			XmlAppend(s, ".");
		}
	}
	appendStringInfoString(s, "</p>\n");

	/* a second sentence: the decision at 0.5, or the search's own metric */
	if (m->binary && !isnan(m->test_score))
	{
		double		prec = JNum(m->metrics, "precision"),
					rec = JNum(m->metrics, "recall");

		appendStringInfoString(s, "<p>");
		Xf(s, "When it answers \xE2\x80\x9C%s\xE2\x80\x9D (probability at least 0.5) it is right %s of the time (precision), and it finds %s of the test rows that are \xE2\x80\x9C%s\xE2\x80\x9D (recall); accuracy is %s against %s for always answering the most common class.",
		   m->positive ? m->positive : "1", FmtPct(prec), FmtPct(rec), m->positive ? m->positive : "1",
		   FmtPct(acc), FmtPct(bacc));
		appendStringInfoString(s, "</p>\n");
	}
	if (!isnan(m->test_score) && strcmp(m->metric, "roc_auc") != 0 && strcmp(m->metric, "rmse") != 0 &&
		strcmp(m->metric, "accuracy") != 0)
	{
		appendStringInfoString(s, "<p>");
		Xf(s, "The search optimized %s: %s on the test rows against %s for the baseline (%s is better).",
		   m->metric, FmtNum(m->test_score), FmtNum(m->baseline_score), m->hib ? "higher" : "lower");
		appendStringInfoString(s, "</p>\n");
	}
}

static int
CountRole(Model *m, const char *role)
{
	int			n = 0;

	for (int i = 0; i < JLen(m->features); i++)
	{
		char	   *r = JStr(JAt(m->features, i), "role");

		n += r && strcmp(r, role) == 0;
	}
	return n;
}

static int
CandidateCount(Model *m)
{
	return JLen(JSub(JSub(m->diag, "trajectory"), "trials"));
}

static void
WriteHeader(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	bool		deployed = m->deployed_version == m->version;
	int			n_feat = CountRole(m, "feature");

	appendStringInfoString(s, "<header class=\"top\">\n<p class=\"kicker\">automl model report</p>\n<h1>");
	XmlAppend(s, m->name);
	appendStringInfo(s, " <span class=\"ver\">version %d</span></h1>\n<p class=\"sub\">", m->version);
	Xf(s, "%s model of ", m->task);
	appendStringInfoString(s, "<code>");
	XmlAppend(s, m->target);
	appendStringInfoString(s, "</code>");
	Xf(s, " from %d column%s of ", n_feat, n_feat == 1 ? "" : "s");
	appendStringInfoString(s, "<code>");
	XmlAppend(s, Clip(m->source, 120));
	appendStringInfoString(s, "</code>");
	Xf(s, " \xC2\xB7 trained by %s on %s", m->created_by, m->created_at ? m->created_at : "?");
	appendStringInfoString(s, "</p>\n<div class=\"badges\">");
	appendStringInfo(s, "<span class=\"badge %s\">", deployed ? "good" : "");
	if (deployed)
		XmlAppend(s, "deployed");
	else if (m->deployed_version > 0)
		Xf(s, "not deployed (version %d is)", m->deployed_version);
	else
		XmlAppend(s, "not deployed");
	appendStringInfoString(s, "</span>");
	if (m->status)
	{
		const char *cls = strcmp(m->status, "approved") == 0 ? "good" :
			strcmp(m->status, "pending") == 0 ? "warn" :
			strcmp(m->status, "rejected") == 0 ? "bad" : "";

		appendStringInfo(s, "<span class=\"badge %s\">", cls);
		if (strcmp(m->status, "ready") == 0)
			XmlAppend(s, "no approval needed");
		else if (strcmp(m->status, "pending") == 0)
			XmlAppend(s, "pending approval");
		else
			Xf(s, "%s by %s", m->status, m->reviewed_by ? m->reviewed_by : "?");
		appendStringInfoString(s, "</span>");
	}
	appendStringInfoString(s, "<span class=\"badge\">");
	XmlAppend(s, m->algorithm);
	appendStringInfoString(s, "</span></div>\n");
	appendStringInfoString(s, "<nav class=\"toc\"><a href=\"#summary\">Summary</a><a href=\"#performance\">Test results</a>"
						   "<a href=\"#importance\">Features</a><a href=\"#search\">Search</a>"
						   "<a href=\"#columns\">Preprocessing</a><a href=\"#hyperparameters\">Hyperparameters</a>");
	if (JSub(m->diag, "bias"))
		appendStringInfoString(s, "<a href=\"#fairness\">Fairness</a>");
	if (JSub(m->diag, "examples"))
		appendStringInfoString(s, "<a href=\"#examples\">Explanations</a>");
	appendStringInfoString(s, "<a href=\"#history\">History</a></nav>\n</header>\n");
}

static void
WriteSummary(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	int			n_feat = CountRole(m, "feature"),
				n_drop = CountRole(m, "dropped"),
				n_cand = CandidateCount(m);
	char	   *lift;

	SectionBegin(pg, "summary", "Summary", NULL);
	Headline(pg, m);
	appendStringInfoString(s, "<div class=\"cards\">\n");
	if (isnan(m->test_score) || isnan(m->baseline_score))
		lift = "no test split";
	else if (m->hib && m->baseline_score < 1)
		lift = psprintf("baseline %s \xC2\xB7 closes %s of the gap to perfect", FmtNum(m->baseline_score),
						FmtPct((m->test_score - m->baseline_score) / (1 - m->baseline_score)));
	else if (!m->hib && m->baseline_score > 0)
		lift = psprintf("baseline %s \xC2\xB7 %s %s", FmtNum(m->baseline_score),
						FmtPct(fabs(m->baseline_score - m->test_score) / m->baseline_score),
						m->test_score <= m->baseline_score ? "lower" : "higher");
	else
		lift = psprintf("baseline %s", FmtNum(m->baseline_score));
	Card(s, psprintf("Test %s", m->metric), FmtNum(m->test_score), lift);
	Card(s, "Rows", FmtCount(m->rows + m->test_rows),
		 psprintf("%s to train, %s held out to test", FmtCount(m->rows), FmtCount(m->test_rows)));
	Card(s, "Training time", FmtSeconds(m->seconds),
		 isnan(m->budget) ? psprintf("%d candidate%s compared", n_cand, n_cand == 1 ? "" : "s")
		 : isnan(m->budget_cut) ? psprintf("%d candidate%s in a %s budget", n_cand, n_cand == 1 ? "" : "s", FmtSeconds(m->budget))
		 : psprintf("%d candidate%s in a %s budget, cut to %s by statement_timeout", n_cand, n_cand == 1 ? "" : "s",
					FmtSeconds(m->budget), FmtSeconds(m->budget_cut)));
	Card(s, "Model", m->algorithm,
		 JSub(m->diag, "baseline_kept") ?
		 psprintf("no learner beat it in the search (see How it was found); %d column%s read, none used",
				  n_feat, n_feat == 1 ? "" : "s") :
		 psprintf("%d feature%s used, %d column%s dropped", n_feat, n_feat == 1 ? "" : "s",
				  n_drop, n_drop == 1 ? "" : "s"));
	Card(s, "Trained by", m->created_by, m->created_at ? m->created_at : "");
	if (m->deployed_version == m->version)
		Card(s, "State", "Deployed",
			 psprintf("since %s by %s (%s)", m->deployed_at, m->deployed_by, m->deploy_reason));
	else
		Card(s, "State", "Not deployed",
			 m->deployed_version > 0 ? psprintf("version %d is deployed", m->deployed_version)
			 : "no version of this model is deployed");
	if (m->status && strcmp(m->status, "ready") != 0)
		Card(s, "Approval", m->status,
			 m->reviewed_by ? psprintf("by %s on %s%s%s", m->reviewed_by, m->reviewed_at ? m->reviewed_at : "?",
									   m->review_comment ? ": " : "", m->review_comment ? m->review_comment : "")
			 : "waiting for a reviewer");
	appendStringInfoString(s, "</div>\n");
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- test-split charts */

/* Interp returns y at x on the polyline (x increasing) */
static double
Interp(int n, const double *x, const double *y, double at)
{
	for (int i = 1; i < n; i++)
		if (x[i] >= at)
			return x[i] == x[i - 1] ? y[i] : y[i - 1] + (y[i] - y[i - 1]) * (at - x[i - 1]) / (x[i] - x[i - 1]);
	return n ? y[n - 1] : NAN;
}

static void
RocChart(HtmlPage *pg, Model *m)
{
	JsonbContainer *roc = JSub(m->curves, "roc");
	double	   *fpr,
			   *tpr;
	int			n = JNums(JSub(roc, "fpr"), &fpr);
	double		auc = JNum(roc, "auc");
	Plot		p;
	LegendItem	li[2];
	char	   *desc;

	(void) JNums(JSub(roc, "tpr"), &tpr);
	FigureBegin(pg, "ROC curve");
	desc = psprintf("ROC curve of %s test rows: area under the curve %s. At a false positive rate of 10%% the model finds %s of the \"%s\" rows; guessing is the diagonal.",
					FmtCount((int64) JNum(m->curves, "n")), FmtNum(auc), FmtPct(Interp(n, fpr, tpr, 0.1)),
					m->positive ? m->positive : "1");
	SvgBegin(pg, 440, 330, "ROC curve", desc);
	PlotBegin(&p, pg, 440, 330, 0, 1, 0, 1, false,
			  psprintf("False positive rate (share of \"%s\" flagged)", Clip(m->negative, 16)),
			  psprintf("True positive rate (share of \"%s\" found)", Clip(m->positive, 16)));
	PlotSegment(&p, 0, 0, 1, 1, C_GREY, "5 4");
	PlotLine(&p, n, fpr, tpr, C_BLUE, 2.4, NULL, false);
	li[0].label = psprintf("model (AUC %s)", FmtNum(auc));
	li[0].colour = C_BLUE;
	li[0].kind = 0;
	li[1].label = "guessing (AUC 0.5)";
	li[1].colour = C_GREY;
	li[1].kind = 1;
	PlotLegend(&p, 2, li, 1);
	SvgEnd(pg);
	FigureEnd(pg, "Each point is a threshold on the predicted probability; the closer the curve hugs the top left corner, the better the ranking.");
}

static void
PrChart(HtmlPage *pg, Model *m)
{
	JsonbContainer *pr = JSub(m->curves, "pr");
	double	   *rec,
			   *prec;
	int			n = JNums(JSub(pr, "recall"), &rec);
	double		ap = JNum(pr, "average_precision"),
				prev = JNum(pr, "prevalence");
	Plot		p;
	LegendItem	li[2];
	double	   *x,
			   *y;

	(void) JNums(JSub(pr, "precision"), &prec);
	FigureBegin(pg, "Precision and recall");
	SvgBegin(pg, 440, 330, "Precision-recall curve",
			 psprintf("Precision against recall over every threshold; average precision %s, against %s for guessing (the share of \"%s\" rows).",
					  FmtNum(ap), FmtNum(prev), m->positive ? m->positive : "1"));
	PlotBegin(&p, pg, 440, 330, 0, 1, 0, 1, false,
			  psprintf("Recall (share of \"%s\" found)", Clip(m->positive, 16)),
			  "Precision (share of flagged that are right)");
	PlotSegment(&p, 0, prev, 1, prev, C_GREY, "5 4");
	/* start the curve at recall 0 with the first precision */
	x = palloc((n + 1) * sizeof(double));
	y = palloc((n + 1) * sizeof(double));
	x[0] = 0;
	y[0] = n ? prec[0] : NAN;
	memcpy(x + 1, rec, n * sizeof(double));
	memcpy(y + 1, prec, n * sizeof(double));
	PlotLine(&p, n + 1, x, y, C_VERMIL, 2.4, NULL, false);
	li[0].label = psprintf("model (AP %s)", FmtNum(ap));
	li[0].colour = C_VERMIL;
	li[0].kind = 0;
	li[1].label = psprintf("guessing (%s)", FmtNum(prev));
	li[1].colour = C_GREY;
	li[1].kind = 1;
	PlotLegend(&p, 2, li, 1);
	SvgEnd(pg);
	FigureEnd(pg, "Lowering the threshold finds more positives (recall) at the cost of more false alarms (precision).");
}

static void
ConfusionFigure(HtmlPage *pg, Model *m)
{
	char	  **labels;
	int64	   *cm;
	int			k = ReadConfusion(m, &labels, &cm);
	int64		right = 0,
				total = 0;

	if (k == 0)
		return;
	for (int a = 0; a < k; a++)
		for (int p = 0; p < k; p++)
		{
			total += cm[a * k + p];
			right += a == p ? cm[a * k + p] : 0;
		}
	FigureBegin(pg, m->binary ? "Confusion matrix (threshold 0.5)" : "Confusion matrix");
	ConfusionChart(pg, k, labels, cm, "Confusion matrix",
				   psprintf("Actual against predicted class for %s test rows over %d classes; %s are on the diagonal (right).",
							FmtCount(total), k, FmtCount(right)));
	FigureEnd(pg, "Rows are the actual classes, columns the predicted ones; the shade is the share of the row, so the diagonal reads as each class's recall.");
}

static void
CalibrationChart(HtmlPage *pg, Model *m)
{
	JsonbContainer *cal = JSub(m->curves, "calibration");
	int			n = JLen(cal),
				used = 0;
	double	   *x = palloc((n + 1) * sizeof(double)),
			   *y = palloc((n + 1) * sizeof(double));
	double		maxgap = 0;
	int64		maxc = 1;
	Plot		p;
	LegendItem	li[2];

	for (int i = 0; i < n; i++)
	{
		JsonbContainer *b = JAt(cal, i);
		int64		c = (int64) JNum(b, "count");

		x[i] = JNum(b, "mean_predicted");
		y[i] = JNum(b, "observed");
		maxc = c > maxc ? c : maxc;
		if (c > 0)
		{
			used++;
			maxgap = fabs(x[i] - y[i]) > maxgap ? fabs(x[i] - y[i]) : maxgap;
		}
	}
	FigureBegin(pg, "Calibration");
	SvgBegin(pg, 440, 330, "Calibration of the predicted probabilities",
			 psprintf("Observed share of \"%s\" against the mean predicted probability in %d bins of the test rows; the largest gap from the diagonal is %s.",
					  m->positive ? m->positive : "1", used, FmtNum(maxgap)));
	PlotBegin(&p, pg, 440, 330, 0, 1, 0, 1, false, "Mean predicted probability",
			  psprintf("Observed share of \"%s\"", Clip(m->positive, 16)));
	PlotSegment(&p, 0, 0, 1, 1, C_GREY, "5 4");
	PlotLine(&p, n, x, y, C_GREEN, 2, NULL, false);
	for (int i = 0; i < n; i++)
	{
		int64		c = (int64) JNum(JAt(cal, i), "count");

		if (c > 0 && !isnan(x[i]) && !isnan(y[i]))
			Marker(p.s, PX(&p, x[i]), PY(&p, y[i]), 0, C_GREEN, 3 + 5 * sqrt((double) c / maxc), 0.85);
	}
	li[0].label = "model (area = rows in bin)";
	li[0].colour = C_GREEN;
	li[0].kind = 2;
	li[1].label = "perfectly calibrated";
	li[1].colour = C_GREY;
	li[1].kind = 1;
	PlotLegend(&p, 2, li, 1);
	SvgEnd(pg);
	FigureEnd(pg, "Points on the diagonal mean a predicted 30% happens 30% of the time; above it the model is too cautious, below it too confident.");
}

static void
ClassAucChart(HtmlPage *pg, Model *m)
{
	JsonbContainer *ca = JSub(m->curves, "class_auc");
	int			n = JLen(ca);
	char	  **labels = palloc((n + 1) * sizeof(char *));
	char	  **txt = palloc((n + 1) * sizeof(char *));
	double	   *v = palloc((n + 1) * sizeof(double));
	double		lo = 1;
	int			shown = n > 30 ? 30 : n;

	for (int i = 0; i < n; i++)
	{
		JsonbContainer *c = JAt(ca, i);

		labels[i] = psprintf("%s (%s rows)", JStr(c, "label"), FmtCount((int64) JNum(c, "support")));
		v[i] = JNum(c, "auc");
		txt[i] = FmtNum(v[i]);
		if (!isnan(v[i]) && v[i] < lo)
			lo = v[i];
		if (isnan(v[i]))
			v[i] = 0;
	}
	FigureBegin(pg, "How well each class is told apart (one-vs-rest ROC AUC)");
	HBarChart(pg, 460, shown, labels, v, txt, "ROC AUC against the other classes (0.5 = guessing)",
			  "One-vs-rest ROC AUC per class",
			  psprintf("ROC AUC of each of %d classes against the others on the test rows; the lowest is %s.", n, FmtNum(lo)));
	FigureEnd(pg, n > shown ? psprintf("The first %d of %d classes.", shown, n) : NULL);
}

static void
ScatterChart(HtmlPage *pg, Model *m)
{
	JsonbContainer *sc = JSub(m->curves, "scatter");
	JsonbContainer *sum = JSub(m->curves, "summary");
	double	   *a,
			   *p;
	int			n = JNums(JSub(sc, "actual"), &a);
	double		lo = INFINITY,
				hi = -INFINITY;
	Plot		pl;
	LegendItem	li[2];

	(void) JNums(JSub(sc, "predicted"), &p);
	for (int i = 0; i < n; i++)
	{
		lo = fmin(lo, fmin(a[i], p[i]));
		hi = fmax(hi, fmax(a[i], p[i]));
	}
	FigureBegin(pg, "Predicted against actual");
	SvgBegin(pg, 440, 330, "Predicted against actual values",
			 psprintf("%d test rows (a seeded sample) plotted as predicted against actual %s; RMSE %s, R\xC2\xB2 %s. Points on the diagonal are exact.",
					  n, m->target, FmtNum(JNum(sum, "rmse")), FmtNum(JNum(sum, "r2"))));
	PlotBegin(&pl, pg, 440, 330, lo, hi, lo, hi, true, psprintf("Actual %s", Clip(m->target, 30)),
			  psprintf("Predicted %s", Clip(m->target, 30)));
	PlotSegment(&pl, pl.x0, pl.x0, pl.x1, pl.x1, C_GREY, "5 4");
	for (int i = 0; i < n; i++)
		Marker(pl.s, PX(&pl, a[i]), PY(&pl, p[i]), 0, C_BLUE, 2.6, 0.55);
	li[0].label = psprintf("test row (%d shown)", n);
	li[0].colour = C_BLUE;
	li[0].kind = 2;
	li[1].label = "perfect prediction";
	li[1].colour = C_GREY;
	li[1].kind = 1;
	PlotLegend(&pl, 2, li, 0);
	SvgEnd(pg);
	FigureEnd(pg, "Distance from the diagonal is the error of a row; a fan shape means the error grows with the value.");
}

static void
ResidualChart(HtmlPage *pg, Model *m)
{
	JsonbContainer *res = JSub(m->curves, "residuals");
	JsonbContainer *sum = JSub(m->curves, "summary");
	double	   *edges,
			   *counts;
	int			ne = JNums(JSub(res, "edges"), &edges);
	int			nb = JNums(JSub(res, "counts"), &counts);
	double		maxc = 1;
	Plot		p;

	if (ne != nb + 1 || nb == 0)
		return;
	for (int b = 0; b < nb; b++)
		maxc = counts[b] > maxc ? counts[b] : maxc;
	FigureBegin(pg, "Residuals");
	SvgBegin(pg, 440, 330, "Histogram of the residuals",
			 psprintf("Residuals (actual minus predicted %s) of the test rows in %d bins; half lie between %s and %s, 90%% between %s and %s.",
					  m->target, nb, FmtNum(JNum(sum, "p25")), FmtNum(JNum(sum, "p75")),
					  FmtNum(JNum(sum, "p05")), FmtNum(JNum(sum, "p95"))));
	PlotBegin(&p, pg, 440, 330, edges[0], edges[nb], 0, maxc, true,
			  psprintf("Actual \xE2\x88\x92 predicted %s", Clip(m->target, 30)), "Test rows");
	for (int b = 0; b < nb; b++)
	{
		double		x0 = PX(&p, edges[b]),
					x1 = PX(&p, edges[b + 1]),
					y = PY(&p, counts[b]);

		appendStringInfo(p.s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"#FFFFFF\" stroke-width=\"0.8\"/>\n",
						 x0, y, x1 - x0, p.b - y, C_SKY);
	}
	if (p.x0 <= 0 && p.x1 >= 0)
		PlotSegment(&p, 0, p.y0, 0, p.y1, C_INK, "4 3");
	SvgEnd(pg);
	FigureEnd(pg, psprintf("Mean residual %s (0 = unbiased), standard deviation %s; the dashed line marks zero.",
						   FmtNum(JNum(sum, "mean_residual")), FmtNum(JNum(sum, "sd_residual"))));
}

static void
WritePerformance(HtmlPage *pg, Model *m)
{
	SectionBegin(pg, "performance", "How well it predicts: the test split",
				 psprintf("Every chart here is computed on the %s test rows the search never saw, when the model was trained.",
						  FmtCount(m->test_rows)));
	if (m->curves == NULL || JNum(m->curves, "n") <= 0)
	{
		Empty(pg, m->test_rows == 0 ? "No test rows were held out, so there is nothing to chart."
			  : "No test-split diagnostics are stored for this version (it was trained before automl 0.3.0); retrain it to get these charts.");
		SectionEnd(pg);
		return;
	}
	appendStringInfoString(&pg->s, "<div class=\"grid2\">\n");
	if (m->binary)
	{
		if (JSub(m->curves, "roc"))
			RocChart(pg, m);
		if (JSub(m->curves, "pr"))
			PrChart(pg, m);
		ConfusionFigure(pg, m);
		CalibrationChart(pg, m);
	}
	else if (m->multiclass)
	{
		ConfusionFigure(pg, m);
		ClassAucChart(pg, m);
	}
	else
	{
		ScatterChart(pg, m);
		ResidualChart(pg, m);
	}
	appendStringInfoString(&pg->s, "</div>\n");
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- importance */

typedef struct Imp
{
	char	   *name;
	double		v;
	JsonbContainer *obj;
	double		gain;			/* the catalog's features[].importance */
} Imp;

/* CatalogGain returns the gain importance the catalog stores for a column */
static double
CatalogGain(Model *m, const char *name)
{
	for (int i = 0; i < JLen(m->features) && name; i++)
	{
		JsonbContainer *f = JAt(m->features, i);
		char	   *fn = JStr(f, "name");

		if (fn && strcmp(fn, name) == 0)
			return JNum(f, "importance");
	}
	return NAN;
}

/*
 * MeasureGrid draws the importance measures side by side: one row per
 * column (in imp's order), one panel per measure, each panel's bars scaled
 * to its own largest value (the measures have different units).
 */
static void
MeasureGrid(HtmlPage *pg, Model *m, int n, Imp *imp, const char *output, const char *metric)
{
	StringInfo	s = &pg->s;
	const char *head[3] = {"Mean |contribution|", "Permutation", "Gain"};
	char	   *unit[3];
	double		left = 210,
				gap = 18,
				pw = (900 - left - 10 - 2 * gap) / 3,
				top = 44,
				row = 20;
	int			h = (int) (top + n * row + 12);

	unit[0] = psprintf("to the %s", output ? output : "model output");
	unit[1] = psprintf("drop in test %s", metric);
	unit[2] = "share of the total";
	SvgBegin(pg, 900, h, "Feature importance, three measures",
			 psprintf("For the %d most important columns: mean absolute contribution (SHAP), permutation importance and gain share; %s leads with a mean contribution of %s.",
					  n, imp[0].name, FmtNum(JNum(imp[0].obj, "shap"))));
	for (int k = 0; k < 3; k++)
	{
		double		x0 = left + k * (pw + gap),
					lo = 0,
					hi = 0,
					total = 0,
					zero;
		double		bar = pw - 54;	/* room for the value text */

		for (int i = 0; i < n; i++)
		{
			double		v = k == 0 ? JNum(imp[i].obj, "shap") : k == 1 ? JNum(imp[i].obj, "permutation") : imp[i].gain;

			if (isnan(v))
				continue;
			lo = fmin(lo, v);
			hi = fmax(hi, v);
			total += fabs(v);
		}
		if (k == 2)
		{
			/* gain sums over every column, not only the ones shown */
			total = 0;
			for (int i = 0; i < JLen(m->features); i++)
			{
				double		g = JNum(JAt(m->features, i), "importance");

				total += isnan(g) ? 0 : fabs(g);
			}
		}
		if (hi - lo <= 0)
			hi = lo + 1;
		zero = x0 + (lo < 0 ? 40 : 0) + (0 - lo) / (hi - lo) * (bar - (lo < 0 ? 40 : 0));
		SvgText(s, x0, 16, "start", C_INK, 12, true, head[k]);
		SvgText(s, x0, 31, "start", C_MUTED, 11, false, unit[k]);
		appendStringInfo(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
						 zero, top - 4, zero, top + n * row, C_AXIS);
		for (int i = 0; i < n; i++)
		{
			double		v = k == 0 ? JNum(imp[i].obj, "shap") : k == 1 ? JNum(imp[i].obj, "permutation") : imp[i].gain;
			double		y = top + i * row;
			double		x,
						bx,
						bw;
			char	   *txt;

			if (k == 0)
				SvgText(s, left - 10, y + row * 0.62, "end", C_INK, 12, false, Clip(imp[i].name, 28));
			if (isnan(v))
			{
				SvgText(s, zero + 4, y + row * 0.62, "start", C_MUTED, 11, false, "\xE2\x80\x93");
				continue;
			}
			x = zero + v / (hi - lo) * (bar - (lo < 0 ? 40 : 0));
			bx = fmin(x, zero);
			bw = fabs(x - zero);
			appendStringInfo(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" fill=\"%s\"/>\n",
							 bx, y + 3, bw < 0.8 && v != 0 ? 0.8 : bw, row - 6.0,
							 v < 0 ? C_VERMIL : k == 0 ? C_BLUE : k == 1 ? C_GREEN : C_ORANGE);
			txt = k == 2 && total > 0 ? FmtPct(v / total) : FmtNum(v);
			SvgText(s, v < 0 ? bx - 3 : bx + bw + 4, y + row * 0.62, v < 0 ? "end" : "start",
					C_MUTED, 10, false, txt);
		}
	}
	SvgEnd(pg);
}

static int
CmpImp(const void *a, const void *b)
{
	double		x = ((const Imp *) a)->v,
				y = ((const Imp *) b)->v;

	if (isnan(x) != isnan(y))
		return isnan(x) ? 1 : -1;
	return (x < y) - (x > y);
}

static void
WriteImportance(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	JsonbContainer *di = JSub(m->diag, "importance");
	JsonbContainer *dfeat = JSub(di, "features");
	int			n = 0,
				shown;
	Imp		   *imp;
	const char *what;
	double		total = 0;
	char	  **labels,
			  **txt;
	double	   *v;

	SectionBegin(pg, "importance", "What drives the predictions",
				 dfeat ? "Global importance of each source column on the test split, as stored at training time."
				 : "How much each source column contributes to the model's splits (gain) or coefficients, summed over the columns it became.");
	if (dfeat)
	{
		int			nf = JLen(dfeat);
		bool		shap = false,
					perm = false;

		for (int i = 0; i < nf; i++)
		{
			shap |= !isnan(JNum(JAt(dfeat, i), "shap"));
			perm |= !isnan(JNum(JAt(dfeat, i), "permutation"));
		}
		what = shap ? "shap" : perm ? "permutation" : "gain";
		imp = palloc((nf + 1) * sizeof(Imp));
		for (int i = 0; i < nf; i++)
		{
			JsonbContainer *f = JAt(dfeat, i);

			imp[n].name = JStr(f, "feature");
			imp[n].v = JNum(f, what);
			imp[n].obj = f;
			imp[n].gain = CatalogGain(m, imp[n].name);
			n++;
		}
	}
	else
	{
		int			nf = JLen(m->features);

		what = "gain";
		imp = palloc((nf + 1) * sizeof(Imp));
		for (int i = 0; i < nf; i++)
		{
			JsonbContainer *f = JAt(m->features, i);
			char	   *role = JStr(f, "role");

			if (role == NULL || (strcmp(role, "feature") != 0 && strcmp(role, "generated") != 0) ||
				isnan(JNum(f, "importance")))
				continue;
			imp[n].name = JStr(f, "name");
			imp[n].v = JNum(f, "importance");
			imp[n].obj = f;
			imp[n].gain = imp[n].v;
			n++;
		}
	}
	if (n == 0)
	{
		Empty(pg, psprintf("The %s model stores no feature importance.", m->algorithm));
		SectionEnd(pg);
		return;
	}
	qsort(imp, n, sizeof(Imp), CmpImp);
	for (int i = 0; i < n; i++)
		total += isnan(imp[i].v) ? 0 : fabs(imp[i].v);
	shown = n > 20 ? 20 : n;
	labels = palloc(shown * sizeof(char *));
	txt = palloc(shown * sizeof(char *));
	v = palloc(shown * sizeof(double));
	for (int i = 0; i < shown; i++)
	{
		labels[i] = imp[i].name;
		v[i] = isnan(imp[i].v) ? 0 : imp[i].v;
		txt[i] = strcmp(what, "gain") == 0 && total > 0 ? FmtPct(v[i] / total) : FmtNum(v[i]);
	}
	if (dfeat)
	{
		FigureBegin(pg, "Three measures of importance per column");
		MeasureGrid(pg, m, shown, imp, JStr(di, "output"), JStr(di, "metric") ? JStr(di, "metric") : m->metric);
		FigureEnd(pg, psprintf("Mean |contribution|: how far the column moves a prediction on average (TreeSHAP or exact linear contributions, %s test rows). "
							   "Permutation: how much the test %s drops when the column is shuffled (%s rows, %s repeats; near zero or negative means the model does not need it). "
							   "Gain: the column's share of the model's split gain or absolute coefficients.%s",
							   FmtNum(JNum(di, "shap_rows")), JStr(di, "metric") ? JStr(di, "metric") : m->metric,
							   FmtNum(JNum(di, "permutation_rows")), FmtNum(JNum(di, "permutation_repeats")),
							   n > shown ? psprintf(" The %d most important of %d columns, by mean |contribution|.", shown, n) : ""));
	}
	else
	{
		FigureBegin(pg, strcmp(what, "shap") == 0 ? "Mean absolute contribution (SHAP) per column"
					: strcmp(what, "permutation") == 0 ? "Permutation importance per column"
					: "Share of the model's gain per column");
		HBarChart(pg, 900, shown, labels, v, txt,
				  strcmp(what, "shap") == 0 ? psprintf("Mean |contribution| to the model output (%s)",
													   JStr(di, "output") ? JStr(di, "output") : "model units")
				  : strcmp(what, "permutation") == 0 ? psprintf("Drop in test %s when the column is shuffled",
																JStr(di, "metric") ? JStr(di, "metric") : m->metric)
				  : "Share of the total gain (or of the absolute coefficients)",
				  "Feature importance",
				  psprintf("Importance of the %d most important of %d columns; the first, %s, has %s.",
						   shown, n, imp[0].name, txt[0]));
		FigureEnd(pg, n > shown ? psprintf("The %d most important of %d columns.", shown, n) : NULL);
	}

	if (dfeat)
	{
		appendStringInfoString(s, "<h3>Every measure</h3>\n<div class=\"scroll\"><table>\n"
							   "<tr><th>Column</th><th class=\"n\">Mean |SHAP|</th><th class=\"n\">Permutation</th><th class=\"n\">Gain</th></tr>\n");
		for (int i = 0; i < n && i < 50; i++)
		{
			appendStringInfoString(s, "<tr><td>");
			XmlAppend(s, imp[i].name);
			appendStringInfoString(s, "</td><td class=\"n\">");
			XmlAppend(s, FmtNum(JNum(imp[i].obj, "shap")));
			appendStringInfoString(s, "</td><td class=\"n\">");
			XmlAppend(s, FmtNum(JNum(imp[i].obj, "permutation")));
			appendStringInfoString(s, "</td><td class=\"n\">");
			XmlAppend(s, FmtNum(imp[i].gain));
			appendStringInfoString(s, "</td></tr>\n");
		}
		appendStringInfoString(s, "</table></div>\n");
	}
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- search */

static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
TrajectoryChart(HtmlPage *pg, Model *m, JsonbContainer *trials, int n)
{
	int			cut = 0,
				oom = 0,
				failed = 0,
				clipped = 0,
				nl = 0;
	double	   *t = palloc((n + 2) * sizeof(double)),
			   *sc = palloc((n + 2) * sizeof(double)),
			   *best = palloc((n + 2) * sizeof(double));
	char	  **learner = palloc((n + 1) * sizeof(char *));
	const char *names[16];
	LegendItem	li[17];
	double		tmax = 0,
				lo = INFINITY,
				hi = -INFINITY;
	int			first_best = -1,
				last_best = -1;
	Plot		p;
	bool		hib = JNum(JSub(m->diag, "trajectory"), "higher_is_better") == 1;

	for (int i = 0; i < n; i++)
	{
		JsonbContainer *tr = JAt(trials, i);
		bool		seen = false;

		t[i] = JNum(tr, "seconds");
		sc[i] = JNum(tr, "score");
		best[i] = JNum(tr, "best");
		learner[i] = JStr(tr, "learner");
		if (learner[i] == NULL)
			learner[i] = "?";
		tmax = fmax(tmax, isnan(t[i]) ? 0 : t[i]);
		if (isnan(sc[i]))
		{
			/* why (diagnostics since 0.6.0 say; before, a cut was the usual reason) */
			const char *why = JStr(tr, "unscored");

			if (why && strcmp(why, "out_of_memory") == 0)
				oom++;
			else if (why && strcmp(why, "failed") == 0)
				failed++;
			else
				cut++;
		}
		else
		{
			lo = fmin(lo, sc[i]);
			hi = fmax(hi, sc[i]);
		}
		if (!isnan(best[i]))
		{
			if (first_best < 0)
				first_best = i;
			if (last_best < 0 || best[i] != best[last_best])
				last_best = i;
		}
		for (int k = 0; k < nl && !seen; k++)
			seen = strcmp(names[k], learner[i]) == 0;
		if (!seen && nl < 16)
			names[nl++] = learner[i];
	}
	/* the best-so-far line runs on to the end of the search */
	t[n] = tmax;
	best[n] = n ? best[n - 1] : NAN;

	/*
	 * Keep the chart on the interesting part: a trial far worse than the
	 * median (the baseline, a diverged configuration) is drawn on the edge.
	 */
	{
		double	   *q = palloc((n + 1) * sizeof(double));
		int			nq = 0;
		double		med,
					b = best[n];

		for (int i = 0; i < n; i++)
			if (!isnan(sc[i]))
				q[nq++] = sc[i];
		if (nq >= 4 && !isnan(b))
		{
			qsort(q, nq, sizeof(double), CmpDouble);
			med = q[nq / 2];
			if (hib && lo < b - 3 * (b - med) && b > med)
				lo = b - 3 * (b - med);
			else if (!hib && hi > b + 3 * (med - b) && med > b)
				hi = b + 3 * (med - b);
		}
		for (int i = 0; i < n; i++)
			clipped += !isnan(sc[i]) && (sc[i] < lo || sc[i] > hi);
	}

	FigureBegin(pg, "The search over time");
	SvgBegin(pg, 900, 340, "Search trajectory",
			 first_best < 0 ? psprintf("%d trials, none scored.", n)
			 : psprintf("%d trials over %s; the best validation %s went from %s (%s, at %s) to %s (%s, at %s).",
						n, FmtSeconds(tmax), m->metric, FmtNum(best[first_best]), learner[first_best],
						FmtSeconds(t[first_best]), FmtNum(best[last_best]), learner[last_best],
						FmtSeconds(t[last_best])));
	PlotBeginEx(&p, pg, 900, 340, 150, 0, tmax > 0 ? tmax : 1, lo, hi, true,
				"Seconds since training started (s)", psprintf("Validation %s (%s is better)", m->metric, hib ? "higher" : "lower"));
	PlotLine(&p, n + 1, t, best, C_INK, 2, NULL, true);
	for (int i = 0; i < n; i++)
		if (!isnan(sc[i]) && !isnan(t[i]))
			Marker(p.s, PX(&p, t[i]), PY(&p, sc[i]), LearnerShape(learner[i]), LearnerColour(learner[i]), 4.2, 0.9);
	for (int k = 0; k < nl; k++)
	{
		li[k].label = names[k];
		li[k].colour = LearnerColour(names[k]);
		li[k].kind = 2 + LearnerShape(names[k]);
	}
	li[nl].label = "best so far";
	li[nl].colour = C_INK;
	li[nl].kind = 0;
	PlotLegend(&p, nl + 1, li, 2);
	SvgEnd(pg);
	FigureEnd(pg, psprintf("Each point is one trial, scored by cross-validation or a validation split on the search's sample of training rows; the line is the best score so far.%s%s%s%s",
						   cut ? psprintf(" %d trial%s cut short at the time limit %s not shown.", cut, cut == 1 ? "" : "s", cut == 1 ? "is" : "are") : "",
						   oom ? psprintf(" %d trial%s that ran out of automl.work_mem %s not shown.", oom, oom == 1 ? "" : "s", oom == 1 ? "is" : "are") : "",
						   failed ? psprintf(" %d trial%s whose fit failed (diverged) %s not shown.", failed, failed == 1 ? "" : "s", failed == 1 ? "is" : "are") : "",
						   clipped ? psprintf(" %d trial%s far worse than the rest (such as the baseline) %s drawn on the %s edge.", clipped,
											  clipped == 1 ? "" : "s", clipped == 1 ? "is" : "are", hib ? "lower" : "upper") : ""));
}

static void
WriteSearch(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	JsonbContainer *trials = JSub(JSub(m->diag, "trajectory"), "trials");
	Oid			t[1] = {INT8OID};
	Datum		v[1];
	int64		total;
	bool		manual = JLen(trials) > 0;
	bool		grouped = JSub(m->hyper, "groups") != NULL;

	/* manual mode: one configuration, fit without a search or validation */
	for (int i = 0; i < JLen(trials); i++)
	{
		const char *why = JStr(JAt(trials, i), "unscored");

		manual &= why != NULL && strcmp(why, "manual") == 0;
	}

	SectionBegin(pg, "search", "How it was found: the search",
				 "Every configuration tried, in order, and the leaderboard of their validation scores. The winner was then refit on every training row and scored once on the test split.");
	if (manual)
	{
		appendStringInfoString(s, "<p>");
		Xf(s, "Manual mode: training fit the configuration it was given on the training rows, with no search and no validation score; %s",
		   m->test_rows > 0 ? "the test split scores it once." : "no test split was held out, so nothing scores it.");
		appendStringInfoString(s, "</p>\n");
	}
	else if (JLen(trials) > 0 && JSub(m->hyper, "groups"))
	{
		/* per group: the model of every row's search, which comes first */
		int			n = 0;
		char	   *by = JStr(m->hyper, "group_by");

		while (n < JLen(trials) && JStr(JAt(trials, n), "group") == NULL)
			n++;
		appendStringInfoString(s, "<p>");
		Xf(s, "One search per value of %s: the chart shows the first, of the model of every row (%d of the %d configurations tried); the leaderboard below lists each group's.",
		   by ? by : "the group column", n, JLen(trials));
		appendStringInfoString(s, "</p>\n");
		if (n > 0)
			TrajectoryChart(pg, m, trials, n);
	}
	else if (JLen(trials) > 0)
		TrajectoryChart(pg, m, trials, JLen(trials));
	else
		Empty(pg, "No search trajectory is stored for this version.");
	if (JSub(m->diag, "refit"))
	{
		JsonbContainer *rf = JSub(m->diag, "refit");
		char	   *hp = JStr(rf, "hyperparameters");

		/* the stored model is not the search's choice (training said so) */
		appendStringInfoString(s, "<p class=\"flag\">");
		Xf(s, "The search chose %s, but its refit on every training row %s, so %s%s%s%s was refit instead: that is the model stored.",
		   JStr(rf, "chosen"), JStr(rf, "reason"), JStr(rf, "refitted"),
		   hp && hp[0] ? " (" : "", hp ? hp : "", hp && hp[0] ? ")" : "");
		appendStringInfoString(s, "</p>\n");
	}

	if (JSub(m->diag, "baseline_kept"))
	{
		JsonbContainer *bk = JSub(m->diag, "baseline_kept");
		const char *over = JStr(bk, "over");
		double		sc = JNum(bk, "score"),
					base = JNum(bk, "baseline_score"),
					se = JNum(bk, "se");
		bool		hib = JStr(bk, "metric") && aml_metric_higher_is_better(JStr(bk, "metric")) == 1;
		bool		ahead = isfinite(se) && (hib ? sc > base : sc < base);

		/* no learner beat the baseline on fresh folds (training said so) */
		appendStringInfoString(s, "<p class=\"flag\">");
		Xf(s, "No learner beat the baseline. On %s, the search's best learner (%s%s) scored %s %.4f against the baseline's %.4f%s, so the model stored is the baseline: it predicts %s for every row. The columns may not carry what decides \"%s\"; automl_assess measures whether they do.",
		   JStr(bk, "scored_on") ? JStr(bk, "scored_on") : "the search's validation",
		   over && strcmp(over, "ensemble") == 0 ? "an " : "", over ? over : "?",
		   JStr(bk, "metric"), sc, base,
		   ahead ? psprintf(", ahead by less than one standard error of the gap (%.4f)", se) : "",
		   strcmp(m->task, "regression") == 0 ? "the training rows' mean" : "the training rows' class shares",
		   m->target);
		appendStringInfoString(s, "</p>\n");
	}

	appendStringInfoString(s, "<h3>Leaderboard</h3>\n");
	if (!m->can_review)
	{
		Empty(pg, "The leaderboard is shown to roles with the review privilege on this model.");
		SectionEnd(pg);
		return;
	}
	v[0] = Int64GetDatum(m->id);
	/* per group: the best three of each group's search */
	if (SPI_execute_with_args(psprintf("SELECT rank, learner, score, fit_seconds, sample_rows, "
									   "       CASE WHEN hyperparameters ? 'members' THEN "
									   "         (SELECT string_agg(format('%%s \xC3\x97 %%s', x->>'learner', round((x->>'weight')::numeric, 3)), ' + ' ORDER BY o) "
									   "            FROM jsonb_array_elements(hyperparameters->'members') WITH ORDINALITY e(x, o)) "
									   "       ELSE (SELECT string_agg(key || ' = ' || value, ', ' ORDER BY key) FROM jsonb_each_text(hyperparameters)) END, "
									   "       n_all, %s "
									   "  FROM (SELECT c.*, row_number() OVER (PARTITION BY %s ORDER BY rank) AS in_group, count(*) OVER () AS n_all "
									   "          FROM automl.candidates c WHERE model_id = $1) c "
									   " WHERE in_group <= %d ORDER BY rank LIMIT %d",
									   grouped ? "group_value" : "NULL::text",
									   grouped ? "group_value" : "true",
									   grouped ? 3 : 15, grouped ? 300 : 15),
							  1, t, v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the leaderboard");
	if (SPI_processed == 0)
	{
		Empty(pg, "No leaderboard rows are stored for this version.");
		SectionEnd(pg);
		return;
	}
	total = SpiInt64(0, 7);
	if (grouped)
		appendStringInfoString(s, "<p>The best three configurations of each search; the model of every row's first.</p>\n");
	appendStringInfoString(s, "<div class=\"scroll\"><table>\n<tr><th class=\"n\">Rank</th>");
	if (grouped)
		appendStringInfoString(s, "<th>Group</th>");
	appendStringInfoString(s, "<th>Learner</th>");
	appendStringInfoString(s, "<th class=\"n\">Validation ");
	XmlAppend(s, m->metric);
	appendStringInfoString(s, "</th>");
	appendStringInfoString(s, "<th class=\"n\">Fit time</th><th class=\"n\">Rows</th><th>Hyperparameters</th></tr>\n");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		int			rank = SpiInt32(i, 1);
		char	   *l = SpiText(i, 2);
		char	   *hp = SpiText(i, 6);

		char	   *grp = SpiText(i, 8);
		bool		win = grouped ? i == 0 || strcmp(grp ? grp : "", SpiText(i - 1, 8) ? SpiText(i - 1, 8) : "") != 0 : rank == 1;

		appendStringInfo(s, "<tr%s><td class=\"n\">%d</td>", win ? " class=\"win\"" : "", rank);
		if (grouped)
		{
			appendStringInfoString(s, "<td>");
			if (grp)
				XmlAppend(s, grp);
			else
				appendStringInfoString(s, "<em>every row</em>");
			appendStringInfoString(s, "</td>");
		}
		appendStringInfo(s, "<td class=\"nw\"><span class=\"sw l-%s\"></span>", LearnerClass(l));
		XmlAppend(s, l);
		appendStringInfoString(s, "</td><td class=\"n\">");
		XmlAppend(s, !isnan(SpiFloat(i, 3)) ? psprintf("%.4f", SpiFloat(i, 3)) :
				  manual ? "not validated" : "not scored");
		appendStringInfoString(s, "</td><td class=\"n\">");
		XmlAppend(s, FmtSeconds(SpiFloat(i, 4)));
		appendStringInfoString(s, "</td><td class=\"n\">");
		XmlAppend(s, FmtCount(SpiInt64(i, 5)));
		appendStringInfoString(s, "</td><td>");
		if (hp)
		{
			appendStringInfoString(s, "<code>");
			XmlAppend(s, hp);
			appendStringInfoString(s, "</code>");
		}
		appendStringInfoString(s, "</td></tr>\n");
	}
	appendStringInfoString(s, "</table></div>\n");
	if (total > (int64) SPI_processed)
	{
		appendStringInfoString(s, "<p class=\"note\">");
		Xf(s, "The best %d of %s candidates; all are in automl.leaderboard.", (int) SPI_processed, FmtCount(total));
		appendStringInfoString(s, "</p>\n");
	}
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- columns */

/*
 * WriteLearning shows the learning curve of the latest assessment of the
 * model's source and target the caller may see, when there is one.
 */
static void
WriteLearning(HtmlPage *pg, Model *m)
{
	Oid			t[2] = {TEXTOID, TEXTOID};
	Datum		v[2];
	int64		id;
	char	   *when,
			   *metric;
	double		baseline;
	JsonbContainer *lc;

	if (!CatalogHas("automl.assessments"))
		return;
	v[0] = CStringGetTextDatum(m->source);
	v[1] = CStringGetTextDatum(m->target);
	if (SPI_execute_with_args("SELECT id, to_char(created_at, 'YYYY-MM-DD HH24:MI TZ'), metric, baseline, "
							  "details->'learning_curve' FROM automl.assessments "
							  "WHERE source = $1 AND target = $2 AND details ? 'learning_curve' "
							  "ORDER BY id DESC LIMIT 1", 2, t, v, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the assessments");
	if (SPI_processed == 0)
		return;
	id = SpiInt64(0, 1);
	when = SpiText(0, 2);
	metric = SpiText(0, 3);
	baseline = SpiFloat(0, 4);
	lc = SpiJsonb(0, 5);
	if (JLen(JSub(lc, "points")) == 0)
		return;
	SectionBegin(pg, "learning", "Would more data help?",
				 psprintf("From assessment " INT64_FORMAT " of the same table and target (%s; see automl_report_assessment(" INT64_FORMAT ")): the best configuration of that search refit on growing shares of its training rows.",
						  id, when ? when : "?", id));
	LearningCurveChart(pg, lc, metric, baseline);
	SectionEnd(pg);
}

/*
 * Distribution writes a feature's training distribution (the bins
 * automl_drift compares with, since 0.6.0) under its profile.  A number's
 * quantile bins hold equal shares by construction, so the bars show where
 * its values crowd: one bar per bin, as high as the bin's share over its
 * width (between the training minimum, the edges and the maximum), in
 * eighths of a block; the title gives the edges and the shares.  A date's
 * bins show their shares alone (no minimum or maximum is stored).  A
 * category: its three most frequent levels with their shares.
 */
static void
Distribution(StringInfo s, JsonbContainer *f, const char *kind)
{
	JsonbContainer *d = JSub(f, "distribution");
	double	   *shares,
			   *edges,
			   *h;
	int			n,
				ne;
	double		top = 0,
				lo = JNum(f, "min"),
				hi = JNum(f, "max");
	StringInfoData t;

	if (d == NULL)
		return;
	n = JNums(JSub(d, "shares"), &shares);
	if (n == 0)
		return;
	if (kind && strcmp(kind, "categorical") == 0)
	{
		JsonbContainer *levels = JSub(d, "levels");

		appendStringInfoString(s, "<br/><span class=\"dist\">most frequent: ");
		for (int i = 0; i < n && i < 3; i++)
		{
			Xf(s, "%s%s ", i ? ", " : "", JAtStr(levels, i));
			XmlAppend(s, FmtPct(shares[i]));
		}
		if (n > 3 || JNum(d, "other") > 0)
			XmlAppend(s, ", \xE2\x80\xA6");
		appendStringInfoString(s, "</span>");
		return;
	}
	ne = JNums(JSub(d, "edges"), &edges);
	if (ne != n - 1)
		return;
	h = palloc(sizeof(double) * (n + 1));
	initStringInfo(&t);
	appendStringInfo(&t, "%d quantile bin%s of the training rows", n, n == 1 ? "" : "s");
	if (ne > 0 && kind && strcmp(kind, "numeric") == 0)
	{
		appendStringInfo(&t, ", edges %s", FmtNum(lo));
		for (int i = 0; i < ne; i++)
			appendStringInfo(&t, " | %s", FmtNum(edges[i]));
		appendStringInfo(&t, " | %s", FmtNum(hi));
	}
	appendStringInfoString(&t, "; shares");
	for (int i = 0; i < n; i++)
	{
		double		a = i == 0 ? lo : edges[i - 1],
					b = i == ne ? hi : edges[i],
					w = b - a;

		appendStringInfo(&t, "%s %s", i ? "," : "", FmtPct(shares[i]));
		/* a number: rows per unit; a bin of no width (one value) is a spike */
		if (kind && strcmp(kind, "numeric") == 0 && isfinite(w) && !isnan(lo) && !isnan(hi) && hi > lo)
			h[i] = w > 0 ? shares[i] / w : INFINITY;
		else
			h[i] = shares[i];
		if (isfinite(h[i]))
			top = fmax(top, h[i]);
	}
	appendStringInfo(&t, "; missing %s", FmtPct(JNum(d, "missing")));
	appendStringInfoString(s, "<br/><span class=\"spark\" title=\"");
	XmlAppend(s, t.data);
	appendStringInfoString(s, "\">");
	for (int i = 0; i < n; i++)
	{
		/* U+2581 .. U+2588: one to eight eighths of a block */
		int			e = !isfinite(h[i]) ? 7 : top > 0 ? (int) lround(h[i] / top * 7) : 0;

		appendStringInfo(s, "\xE2\x96%c", (char) (0x81 + (e < 0 ? 0 : e > 7 ? 7 : e)));
	}
	appendStringInfoString(s, "</span>");
}

static void
WriteColumns(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	int			n = JLen(m->features);

	SectionBegin(pg, "columns", "What it reads: the preprocessing of every column",
				 "Fitted on the training rows only and stored in the model. Trees split on numbers and categories directly; linear models standardize numbers and one-hot encode categories. Under each profile, the training distribution that automl_drift compares new rows with: a bar per quantile bin, as high as the rows per unit of the value there (hover for the edges and shares), or the most frequent levels.");
	if (n == 0)
	{
		Empty(pg, "No column profile is stored for this version.");
		SectionEnd(pg);
		return;
	}
	appendStringInfoString(s, "<div class=\"scroll\"><table>\n<tr><th>Column</th><th>Type</th><th>Role</th>"
						   "<th class=\"n\">Missing</th><th>Profile</th><th>Encoding, or why it is not used</th></tr>\n");
	for (int i = 0; i < n; i++)
	{
		JsonbContainer *f = JAt(m->features, i);
		char	   *role = JStr(f, "role");
		char	   *kind = JStr(f, "kind");
		char	   *reason = JStr(f, "reason");
		char	   *enc = JStr(f, "encoding");
		bool		dropped = role && strcmp(role, "dropped") == 0;
		bool		target = role && strcmp(role, "target") == 0;

		appendStringInfo(s, "<tr%s><td>", dropped ? " class=\"muted\"" : "");
		XmlAppend(s, JStr(f, "name"));
		appendStringInfoString(s, "</td><td>");
		XmlAppend(s, JStr(f, "type"));
		appendStringInfoString(s, "</td><td>");
		XmlAppend(s, target ? "target" : role);
		appendStringInfoString(s, "</td><td class=\"n\">");
		XmlAppend(s, FmtPct(JNum(f, "missing_rate")));
		appendStringInfoString(s, "</td><td>");
		if (!isnan(JNum(f, "min")))
			Xf(s, "%s to %s, mean %s", FmtNum(JNum(f, "min")), FmtNum(JNum(f, "max")), FmtNum(JNum(f, "mean")));
		else if (!isnan(JNum(f, "levels")))
			Xf(s, "%s levels, %s kept", FmtCount((int64) JNum(f, "levels")), FmtCount((int64) JNum(f, "kept_levels")));
		else if (kind)
			XmlAppend(s, kind);
		Distribution(s, f, kind);
		appendStringInfoString(s, "</td><td>");
		if (dropped)
			Xf(s, "dropped: %s", reason ? reason : "not used");
		else if (target)
			XmlAppend(s, m->binary || m->multiclass ? "the class to predict" : "the value to predict");
		else if (enc)
			XmlAppend(s, enc);
		else if (kind && strcmp(kind, "numeric") == 0)
			XmlAppend(s, "number: as is for trees; standardized, with a missing flag, for linear models");
		appendStringInfoString(s, "</td></tr>\n");
	}
	appendStringInfoString(s, "</table></div>\n");
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- hyperparameters */

static void
PairsTable(HtmlPage *pg, JsonbContainer *obj, const char *kh, const char *vh)
{
	StringInfo	s = &pg->s;
	JPair	   *pairs;
	int			n = JPairs(obj, &pairs);

	appendStringInfoString(s, "<table>\n<tr><th>");
	XmlAppend(s, kh);
	appendStringInfoString(s, "</th><th>");
	XmlAppend(s, vh);
	appendStringInfoString(s, "</th></tr>\n");
	for (int i = 0; i < n; i++)
	{
		appendStringInfoString(s, "<tr><td><code>");
		XmlAppend(s, pairs[i].key);
		appendStringInfoString(s, "</code></td><td>");
		XmlAppend(s, pairs[i].val.type == jbvNumeric ? JValStr(&pairs[i].val) : JCell(&pairs[i].val));
		appendStringInfoString(s, "</td></tr>\n");
	}
	appendStringInfoString(s, "</table>\n");
}

/*
 * LearnerCells writes a model's learner and hyperparameters cells: one
 * learner's (learner, params) or an ensemble's members, one per line.
 */
static void
LearnerCells(StringInfo s, JsonbContainer *g)
{
	JsonbContainer *members = JSub(g, "members");
	int			n = members ? JLen(members) : 1;

	appendStringInfoString(s, "<td class=\"nw\">");
	for (int i = 0; i < n; i++)
	{
		JsonbContainer *mb = members ? JAt(members, i) : g;
		char	   *l = JStr(mb, "learner");

		appendStringInfo(s, "%s<span class=\"sw l-%s\"></span>", i ? "<br>" : "", LearnerClass(l ? l : "?"));
		XmlAppend(s, l);
		if (members)
			Xf(s, " %s", FmtNum(JNum(mb, "weight")));
	}
	appendStringInfoString(s, "</td><td><code>");
	for (int i = 0; i < n; i++)
	{
		JsonbContainer *mb = members ? JAt(members, i) : g;
		JPair	   *pairs;
		int			np = JPairs(JSub(mb, "params"), &pairs);

		if (i)
			appendStringInfoString(s, "<br>");
		for (int p = 0; p < np; p++)
			Xf(s, "%s%s = %s", p ? ", " : "", pairs[p].key, JValStr(&pairs[p].val));
	}
	appendStringInfoString(s, "</code></td>");
}

/*
 * GroupsTable lists a per-group model's groups: each one's model, its rows
 * and its test score next to the model of every row's on the same rows.
 */
static void
GroupsTable(HtmlPage *pg, Model *m, JsonbContainer *groups)
{
	StringInfo	s = &pg->s;
	JsonbContainer *dg = JSub(JSub(m->diag, "groups"), "groups");
	char	   *by = JStr(m->hyper, "group_by");

	appendStringInfoString(s, "<p>One model per value of <code>");
	XmlAppend(s, by);
	appendStringInfoString(s, "</code>, each searched on its group's training rows; the model of every training row scores the other values and missing ones.");
	if (dg)
		Xf(s, " On the test rows the groups' models score %s %s, the model of every row alone %s.",
		   m->metric, FmtNum(JNum(JSub(m->diag, "groups"), "test_score")),
		   FmtNum(JNum(JSub(m->diag, "groups"), "every_row_model_test_score")));
	appendStringInfoString(s, "</p>\n<table>\n<tr><th>Group</th><th class=\"n\">Training rows</th><th class=\"n\">Test rows</th><th class=\"n\">Test ");
	XmlAppend(s, m->metric);
	appendStringInfoString(s, "</th><th class=\"n\">Model of every row</th><th>Learner</th><th>Hyperparameters</th></tr>\n");
	for (int i = 0; i < JLen(groups); i++)
	{
		JsonbContainer *g = JAt(groups, i);
		JsonbContainer *d = i < JLen(dg) ? JAt(dg, i) : NULL;
		char	   *v = JStr(g, "value");

		appendStringInfoString(s, "<tr><td>");
		if (v)
			XmlAppend(s, v);
		else
			appendStringInfoString(s, "<em>other values: the model of every row</em>");
		appendStringInfoString(s, "</td>");
		appendStringInfo(s, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
						 FmtNum(d ? JNum(d, "train_rows") : NAN),
						 FmtNum(d ? JNum(d, "test_rows") : NAN),
						 FmtNum(d ? JNum(d, "test_score") : NAN),
						 d && v ? FmtNum(JNum(d, "every_row_model_test_score")) : "");
		LearnerCells(s, g);
		appendStringInfoString(s, "</tr>\n");
	}
	appendStringInfoString(s, "</table>\n");
}

/*
 * Calibrated says whether hyperparameters h (one learner's, an
 * ensemble's members or a per-group model's groups) have a temperature.
 */
static bool
Calibrated(JsonbContainer *h)
{
	JsonbContainer *members = JSub(h, "members");
	JsonbContainer *groups = JSub(h, "groups");

	if (!isnan(JNum(h, "temperature")) || !isnan(JNum(JSub(h, "params"), "temperature")))
		return true;
	for (int i = 0; i < JLen(members); i++)
		if (Calibrated(JAt(members, i)))
			return true;
	for (int i = 0; i < JLen(groups); i++)
		if (Calibrated(JAt(groups, i)))
			return true;
	return false;
}

static void
WriteHyperparameters(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	JsonbContainer *members = JSub(m->hyper, "members");
	JsonbContainer *groups = JSub(m->hyper, "groups");
	JPair	   *pairs;

	SectionBegin(pg, "hyperparameters", "Hyperparameters",
				 groups ? "The model of each group, refit on the group's training rows." :
				 psprintf("The configuration of the %s model that was refit on every training row.", m->algorithm));
	if (groups)
		GroupsTable(pg, m, groups);
	else if (members)
	{
		appendStringInfoString(s, "<table>\n<tr><th>Member</th><th class=\"n\">Weight</th><th>Hyperparameters</th></tr>\n");
		for (int i = 0; i < JLen(members); i++)
		{
			JsonbContainer *mb = JAt(members, i);
			char	   *l = JStr(mb, "learner");
			int			np = JPairs(JSub(mb, "params"), &pairs);

			appendStringInfo(s, "<tr><td class=\"nw\"><span class=\"sw l-%s\"></span>", LearnerClass(l ? l : "?"));
			XmlAppend(s, l);
			appendStringInfoString(s, "</td><td class=\"n\">");
			XmlAppend(s, FmtNum(JNum(mb, "weight")));
			appendStringInfoString(s, "</td><td><code>");
			for (int p = 0; p < np; p++)
				Xf(s, "%s%s = %s", p ? ", " : "", pairs[p].key, JValStr(&pairs[p].val));
			appendStringInfoString(s, "</code></td></tr>\n");
		}
		appendStringInfoString(s, "</table>\n");
	}
	else if (JPairs(m->hyper, &pairs) > 0)
		PairsTable(pg, m->hyper, "Parameter", "Value");
	else
		Empty(pg, "This learner has no hyperparameters.");
	if (Calibrated(m->hyper))
		appendStringInfoString(s, "<p>A <code>temperature</code> T is not searched: it calibrates the learner's class probabilities as softmax(log p / T), fitted on the predictions of rows the learner did not see: each candidate's in the search, which scores it calibrated, then a finalist's again on fresh folds (T &lt; 1 sharpens them, T &gt; 1 flattens them; the predicted class stays the same).</p>\n");
	if (JPairs(m->options, &pairs) > 0)
	{
		appendStringInfoString(s, "<h3>Training options</h3>\n");
		PairsTable(pg, m->options, "Option", "Value");
	}
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- fairness, explanations */

static void
WriteBias(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	JsonbContainer *bias = JSub(m->diag, "bias");

	if (bias == NULL)
		return;
	SectionBegin(pg, "fairness", "Fairness across groups",
				 "How the model's decisions on the test split differ between the groups of each sensitive column, against its reference group.");
	if (JLen(bias) == 0)
		Empty(pg, "No sensitive column was analysed.");
	for (int i = 0; i < JLen(bias); i++)
	{
		JsonbContainer *b = JAt(bias, i);

		appendStringInfoString(s, "<h3>");
		XmlAppend(s, JStr(b, "sensitive"));
		if (JStr(b, "reference"))
			Xf(s, " (reference group: %s)", JStr(b, "reference"));
		appendStringInfoString(s, "</h3>\n");
		ObjectTable(pg, JSub(b, "groups"), "flagged");
	}
	SectionEnd(pg);
}

/*
 * ExampleCaption names an explained row: which one (the highest, median or
 * lowest prediction of the test split) and what was predicted, from what.
 */
static char *
ExampleCaption(Model *m, JsonbContainer *e, int i)
{
	char	   *row = JStr(e, "row");
	char	   *cls = JStr(e, "class");
	char	   *output = JStr(e, "output");
	const char *which;
	char	   *what;

	which = row == NULL ? psprintf("Example %d", i + 1) :
		strcmp(row, "highest") == 0 ? "Highest prediction" :
		strcmp(row, "median") == 0 ? "Median prediction" :
		strcmp(row, "lowest") == 0 ? "Lowest prediction" : row;
	if (cls && output && strcmp(output, "probability") == 0)
		what = psprintf("P(%s = %s)", m->target, cls);
	else if (cls)
		what = psprintf("%s for %s = %s", output ? output : "output", m->target, cls);
	else
		what = psprintf("predicted %s", m->target);
	return psprintf("%s: %s = %s (average %s)", which, what, FmtNum(JNum(e, "prediction")),
					FmtNum(JNum(e, "base")));
}

static void
WriteExamples(HtmlPage *pg, Model *m)
{
	JsonbContainer *ex = JSub(m->diag, "examples");
	int			n = JLen(ex);

	if (ex == NULL)
		return;
	SectionBegin(pg, "examples", "Why it predicts what it predicts: examples",
				 "Three test rows (the highest, median and lowest prediction) with the columns that moved each prediction away from the average prediction over the training rows: blue bars push it up, vermilion bars down.");
	if (n == 0)
		Empty(pg, "No examples are stored.");
	appendStringInfoString(&pg->s, "<div class=\"grid2\">\n");
	for (int i = 0; i < n && i < 6; i++)
	{
		JsonbContainer *e = JAt(ex, i);
		JsonbContainer *c = JSub(e, "contributions");
		int			nc = JLen(c),
					shown;
		Imp		   *imp = palloc((nc + 1) * sizeof(Imp));
		char	  **labels,
				  **txt;
		double	   *v;

		for (int k = 0; k < nc; k++)
		{
			JsonbContainer *ck = JAt(c, k);
			char	   *val = JStr(ck, "value");

			imp[k].name = psprintf("%s = %s", JStr(ck, "feature"), val ? Clip(val, 14) : "NULL");
			imp[k].v = fabs(JNum(ck, "contribution"));
			imp[k].obj = ck;
		}
		qsort(imp, nc, sizeof(Imp), CmpImp);
		shown = nc > 10 ? 10 : nc;
		labels = palloc((shown + 1) * sizeof(char *));
		txt = palloc((shown + 1) * sizeof(char *));
		v = palloc((shown + 1) * sizeof(double));
		for (int k = 0; k < shown; k++)
		{
			labels[k] = imp[k].name;
			v[k] = JNum(imp[k].obj, "contribution");
			txt[k] = psprintf("%s%s", v[k] > 0 ? "+" : "", FmtNum(v[k]));
		}
		FigureBegin(pg, ExampleCaption(m, e, i));
		if (shown > 0)
			HBarChart(pg, 460, shown, labels, v, txt, "Contribution to the model output",
					  psprintf("Explanation of example %d", i + 1),
					  psprintf("The %d largest contributions to a prediction of %s from a base of %s; the largest is %s (%s).",
							   shown, FmtNum(JNum(e, "prediction")), FmtNum(JNum(e, "base")), labels[0], txt[0]));
		FigureEnd(pg, nc > shown ? psprintf("The %d largest of %d contributions.", shown, nc) : NULL);
	}
	appendStringInfoString(&pg->s, "</div>\n");
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- history */

#define DRIFT_CHART_CHECKS 30
#define DRIFT_CHART_COLUMNS 5
#define DRIFT_CHART_YMAX 1.0	/* PSI; higher values are drawn at the top */

/*
 * DriftChart draws, when this version has two checks or more, the PSI of
 * the columns that moved the most (highest PSI over the latest checks)
 * across those checks, oldest to newest, against the lines where drift
 * reads as moderate and as major.
 */
static void
DriftChart(HtmlPage *pg, Model *m)
{
	static const char *const colours[DRIFT_CHART_COLUMNS] = {C_VERMIL, C_BLUE, C_ORANGE, C_GREEN, C_PURPLE};
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		v[2];
	int			n_checks,
				n_cols;
	double		x[DRIFT_CHART_CHECKS],
				y[DRIFT_CHART_COLUMNS][DRIFT_CHART_CHECKS];
	char	   *cols[DRIFT_CHART_COLUMNS];
	char	   *first_at = NULL,
			   *last_at = NULL;
	double		ymax = AML_PSI_MAJOR * 1.2;
	bool		clipped = false;
	char	   *at[DRIFT_CHART_CHECKS];
	Plot		p;
	LegendItem	li[DRIFT_CHART_COLUMNS + 2];

	v[0] = CStringGetTextDatum(m->name);
	v[1] = Int32GetDatum(m->version);
	/* one row per (column, check): the column's rank, the check's number */
	if (SPI_execute_with_args("WITH c AS (SELECT check_id, min(checked_at) AS at FROM automl.drift_history "
							  "WHERE model = $1 AND version = $2 GROUP BY check_id ORDER BY check_id DESC LIMIT "
							  CppAsString2(DRIFT_CHART_CHECKS) "), "
							  "f AS (SELECT h.feature, row_number() OVER (ORDER BY max(h.psi) DESC, h.feature) AS r "
							  "FROM automl.drift_history h JOIN c USING (check_id) WHERE h.psi IS NOT NULL "
							  "GROUP BY h.feature ORDER BY max(h.psi) DESC, h.feature LIMIT "
							  CppAsString2(DRIFT_CHART_COLUMNS) ") "
							  "SELECT f.r, f.feature, row_number() OVER (PARTITION BY f.r ORDER BY c.check_id), "
							  "to_char(c.at, 'YYYY-MM-DD HH24:MI TZ'), h.psi "
							  "FROM f CROSS JOIN c LEFT JOIN automl.drift_history h "
							  "ON h.check_id = c.check_id AND h.feature = f.feature ORDER BY f.r, c.check_id",
							  2, t, v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the drift history");
	n_cols = 0;
	n_checks = 0;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		int			r = (int) SpiInt64(i, 1) - 1,
					k = (int) SpiInt64(i, 3) - 1;

		if (r < 0 || r >= DRIFT_CHART_COLUMNS || k < 0 || k >= DRIFT_CHART_CHECKS)
			continue;
		cols[r] = SpiText(i, 2);
		n_cols = Max(n_cols, r + 1);
		n_checks = Max(n_checks, k + 1);
		x[k] = k + 1;
		y[r][k] = SpiFloat(i, 5);	/* NaN where the check lacks the column */
		if (!isnan(y[r][k]))
			ymax = fmax(ymax, fmin(y[r][k] * 1.1, DRIFT_CHART_YMAX));
		at[k] = SpiText(i, 4);
	}
	if (n_checks < 2 || n_cols == 0)
		return;
	first_at = at[0];
	last_at = at[n_checks - 1];
	FigureBegin(pg, "Drift over the checks");
	SvgBegin(pg, 900, 300, "Population stability index of the columns that moved the most, per drift check",
			 psprintf("The %d latest drift checks of version %d, from %s to %s, oldest first: the PSI of the %d columns with the highest, against %.2f (moderate drift) and %.2f (major drift).",
					  n_checks, m->version, first_at, last_at, n_cols, AML_PSI_MODERATE, AML_PSI_MAJOR));
	PlotBeginSteps(&p, pg, 900, 300, 230, 0.5, n_checks + 0.5, 1, 0, ymax, true,
				   "Drift check (oldest to newest)", "PSI against the training rows");
	PlotSegment(&p, p.x0, AML_PSI_MODERATE, p.x1, AML_PSI_MODERATE, C_ORANGE, "5 4");
	PlotSegment(&p, p.x0, AML_PSI_MAJOR, p.x1, AML_PSI_MAJOR, C_VERMIL, "5 4");
	for (int r = 0; r < n_cols; r++)
	{
		double		yc[DRIFT_CHART_CHECKS];

		/* a PSI above the chart's top is drawn on it; hovering tells it */
		for (int k = 0; k < n_checks; k++)
		{
			yc[k] = fmin(y[r][k], p.y1);
			clipped |= y[r][k] > p.y1;
		}
		PlotLine(&p, n_checks, x, yc, colours[r], 2, NULL, false);
		for (int k = 0; k < n_checks; k++)
		{
			if (isnan(y[r][k]))
				continue;
			appendStringInfoString(p.s, "<g><title>");
			XmlAppend(p.s, psprintf("%s: PSI %.3f (%s drift), check %d of %s", cols[r], y[r][k],
									y[r][k] >= AML_PSI_MAJOR ? "major" : y[r][k] >= AML_PSI_MODERATE ? "moderate" : "no",
									k + 1, at[k]));
			appendStringInfoString(p.s, "</title>");
			Marker(p.s, PX(&p, x[k]), PY(&p, yc[k]), r, colours[r], 3.4, 1);
			appendStringInfoString(p.s, "</g>\n");
		}
		li[r].label = Clip(cols[r], 28);
		li[r].colour = colours[r];
		li[r].kind = 2 + r;
	}
	li[n_cols].label = psprintf("major (%.2f)", AML_PSI_MAJOR);
	li[n_cols].colour = C_VERMIL;
	li[n_cols].kind = 1;
	li[n_cols + 1].label = psprintf("moderate (%.2f)", AML_PSI_MODERATE);
	li[n_cols + 1].colour = C_ORANGE;
	li[n_cols + 1].kind = 1;
	PlotLegend(&p, n_cols + 2, li, 2);
	SvgEnd(pg);
	FigureEnd(pg, psprintf("First check %s, latest %s. A column above the dashed lines has moved away from the rows the model learned from; retrain when the columns it relies on do.%s",
						   first_at, last_at,
						   clipped ? psprintf(" A PSI above %s is drawn at the top of the chart; hover over a point for its value.", FmtNum(p.y1)) : ""));
}

/*
 * WriteDriftChecks lists the latest automl_drift_record checks of this
 * version: when, by whom, on which source, how many columns moved and the
 * column that moved the most.
 */
static void
WriteDriftChecks(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		v[2];

	appendStringInfoString(s, "<h3>Drift checks of this version</h3>\n");
	if (!CatalogHas("automl.drift_history"))
	{
		Empty(pg, "This installation keeps no drift history (automl 0.7.0 and later do).");
		return;
	}
	v[0] = CStringGetTextDatum(m->name);
	v[1] = Int32GetDatum(m->version);
	if (SPI_execute_with_args("SELECT to_char(min(checked_at), 'YYYY-MM-DD HH24:MI TZ'), min(checked_by)::text, min(source), "
							  "count(*) FILTER (WHERE drift = 'moderate'), count(*) FILTER (WHERE drift = 'major'), count(*), "
							  "(array_agg(feature ORDER BY psi DESC NULLS LAST))[1], max(psi) "
							  "FROM automl.drift_history WHERE model = $1 AND version = $2 "
							  "GROUP BY check_id ORDER BY check_id DESC LIMIT 10",
							  2, t, v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the drift history");
	if (SPI_processed == 0)
	{
		Empty(pg, "No drift check of this version is on record: automl_drift_record(model, source) keeps one.");
		return;
	}
	appendStringInfoString(s, "<div class=\"scroll\"><table>\n<tr><th>When</th><th>By</th><th>Source</th>"
						   "<th class=\"n\">Moderate</th><th class=\"n\">Major</th><th class=\"n\">Columns</th>"
						   "<th>Moved the most</th><th class=\"n\">PSI</th></tr>\n");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		appendStringInfoString(s, "<tr><td>");
		XmlAppend(s, SpiText(i, 1));
		appendStringInfoString(s, "</td><td>");
		XmlAppend(s, SpiText(i, 2));
		appendStringInfoString(s, "</td><td><code>");
		XmlAppend(s, Clip(SpiText(i, 3), 120));
		appendStringInfo(s, "</code></td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>",
						 (long long) SpiInt64(i, 4), (long long) SpiInt64(i, 5), (long long) SpiInt64(i, 6));
		XmlAppend(s, SpiText(i, 7));
		appendStringInfo(s, "</td><td class=\"n\">%.3f</td></tr>\n", SpiFloat(i, 8));
	}
	appendStringInfoString(s, "</table></div>\n");
	DriftChart(pg, m);
}

static void
WriteHistory(HtmlPage *pg, Model *m)
{
	StringInfo	s = &pg->s;
	Oid			t[2] = {TEXTOID, INT4OID};
	Datum		v[2];

	SectionBegin(pg, "history", "History", "Deployments of this model name, and the drift checks and audit trail of this version, newest first.");
	v[0] = CStringGetTextDatum(m->name);
	v[1] = Int32GetDatum(m->version);
	if (SPI_execute_with_args("SELECT version, to_char(deployed_at, 'YYYY-MM-DD HH24:MI TZ'), deployed_by::text, reason "
							  "FROM automl.deployments WHERE name = $1 ORDER BY id DESC LIMIT 10",
							  1, t, v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the deployments");
	appendStringInfoString(s, "<h3>Deployments</h3>\n");
	if (SPI_processed == 0)
		Empty(pg, "No version of this model has been deployed.");
	else
	{
		appendStringInfoString(s, "<table>\n<tr><th>When</th><th class=\"n\">Version</th><th>By</th><th>Reason</th></tr>\n");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			appendStringInfoString(s, "<tr><td>");
			XmlAppend(s, SpiText(i, 2));
			appendStringInfo(s, "</td><td class=\"n\">%d</td><td>", SpiInt32(i, 1));
			XmlAppend(s, SpiText(i, 3));
			appendStringInfoString(s, "</td><td>");
			XmlAppend(s, SpiText(i, 4));
			appendStringInfoString(s, "</td></tr>\n");
		}
		appendStringInfoString(s, "</table>\n");
	}

	WriteDriftChecks(pg, m);

	appendStringInfoString(s, "<h3>Audit trail of this version</h3>\n");
	if (!CatalogHas("automl.audit"))
	{
		Empty(pg, "This installation keeps no audit trail.");
		SectionEnd(pg);
		return;
	}
	if (SPI_execute_with_args("SELECT to_char(at, 'YYYY-MM-DD HH24:MI TZ'), role::text, action, detail::text "
							  "FROM automl.audit WHERE model = $1 AND version = $2 ORDER BY id DESC LIMIT 20",
							  2, t, v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the audit trail");
	if (SPI_processed == 0)
		Empty(pg, "No audit rows for this version.");
	else
	{
		appendStringInfoString(s, "<div class=\"scroll\"><table>\n<tr><th>When</th><th>Role</th><th>Action</th><th>Detail</th></tr>\n");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			appendStringInfoString(s, "<tr><td>");
			XmlAppend(s, SpiText(i, 1));
			appendStringInfoString(s, "</td><td>");
			XmlAppend(s, SpiText(i, 2));
			appendStringInfoString(s, "</td><td>");
			XmlAppend(s, SpiText(i, 3));
			appendStringInfoString(s, "</td><td><code>");
			XmlAppend(s, Clip(SpiText(i, 4), 200));
			appendStringInfoString(s, "</code></td></tr>\n");
		}
		appendStringInfoString(s, "</table></div>\n");
	}
	SectionEnd(pg);
}

/* ---------------------------------------------------------------- entry */

/*
 * automl_report(model, version): the XHTML report of a model version (the
 * deployed one by default, else the latest).  Needs use on the model.
 */
Datum
automl_report(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *name;
	Model		m;
	HtmlPage		pg;
	char	   *html;
	text	   *result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	AmlGovCheck(name, AML_GOV_USE); /* 42501 unless the caller may use it */
	memset(&m, 0, sizeof(m));
	/*
	 * Everything below is allocated in SPI's procedure context (SPI calls
	 * switch back to it) and freed by SPI_finish; only the result is copied
	 * out to the caller's context.
	 */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ReadModel(&m, name, !PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1));

	PageBegin(&pg, psprintf("%s version %d \xE2\x80\x94 automl model report", m.name, m.version));
	WriteHeader(&pg, &m);
	WriteSummary(&pg, &m);
	WritePerformance(&pg, &m);
	WriteImportance(&pg, &m);
	WriteSearch(&pg, &m);
	WriteLearning(&pg, &m);
	WriteColumns(&pg, &m);
	WriteHyperparameters(&pg, &m);
	WriteBias(&pg, &m);
	WriteExamples(&pg, &m);
	WriteHistory(&pg, &m);

	PageFooter(&pg, "from the automl catalog; every chart comes from what was stored when the model was trained.");
	html = PageEnd(&pg);
	MemoryContextSwitchTo(caller);
	result = cstring_to_text(html);
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}
