/*-------------------------------------------------------------------------
 *
 * report_assess.c
 *	  automl_report_assessment: the self-contained XHTML page of one row of
 *	  automl.assessments (the verdict and its reasons, the score against
 *	  the baseline with its bootstrap interval, the learning curve, the
 *	  leakage check, data readiness, warnings and the thresholds used),
 *	  drawn from the stored row alone with the builders of report_html.c.
 *
 * The row is read as the caller, so row-level security decides what the
 * caller may see: another role's assessment reads as a missing one.
 *
 * LearningCurveChart is shared with the model report, which shows the
 * learning curve of an assessment of the model's source and target.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "automl_pg.h"
#include "diag.h"
#include "report_html.h"

PG_FUNCTION_INFO_V1(automl_report_assessment);

typedef struct Assessment
{
	int64		id;
	char	   *created_at;
	char	   *created_by;
	char	   *source;
	char	   *target;
	JsonbContainer *exclude;
	JsonbContainer *options;
	double		budget;
	char	   *verdict;
	JsonbContainer *reasons;
	char	   *task;
	char	   *metric;
	double		score;
	double		baseline;
	double		lift;
	double		score_low;
	double		score_high;
	int			more_data;		/* -1 unknown, 0 no, 1 yes */
	int64		rows_usable;
	JsonbContainer *warnings;
	JsonbContainer *details;
	double		seconds;
	double		perfect;		/* NaN when the metric is unknown */
	bool		hib;
} Assessment;

static const char *const assessment_sql =
"SELECT a.id, to_char(a.created_at, 'YYYY-MM-DD HH24:MI TZ'), a.created_by::text, a.source, a.target, "
"       to_jsonb(a.exclude), a.options, a.budget_seconds, a.verdict, to_jsonb(a.reasons), a.task, "
"       a.metric, a.score, a.baseline, a.lift, a.score_low, a.score_high, "
"       CASE a.more_data_helps WHEN true THEN 1 WHEN false THEN 0 ELSE -1 END, a.rows_usable, "
"       to_jsonb(a.warnings), a.details, a.seconds "
"  FROM automl.assessments a WHERE a.id = $1";

/* ReadAssessment loads the row as the caller (row-level security) */
static void
ReadAssessment(Assessment *a, int64 id)
{
	Oid			t[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(id)};

	if (SPI_execute_with_args(assessment_sql, 1, t, v, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "automl: could not read the assessments");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("assessment " INT64_FORMAT " does not exist", id),
				 errdetail("Each role sees only its own assessments (and those of the roles it is a member of)."),
				 errhint("List yours with SELECT id, source, target, verdict FROM automl.assessments ORDER BY id;")));
	a->id = SpiInt64(0, 1);
	a->created_at = SpiText(0, 2);
	a->created_by = SpiText(0, 3);
	a->source = SpiText(0, 4);
	a->target = SpiText(0, 5);
	a->exclude = SpiJsonb(0, 6);
	a->options = SpiJsonb(0, 7);
	a->budget = SpiFloat(0, 8);
	a->verdict = SpiText(0, 9);
	a->reasons = SpiJsonb(0, 10);
	a->task = SpiText(0, 11);
	a->metric = SpiText(0, 12);
	a->score = SpiFloat(0, 13);
	a->baseline = SpiFloat(0, 14);
	a->lift = SpiFloat(0, 15);
	a->score_low = SpiFloat(0, 16);
	a->score_high = SpiFloat(0, 17);
	a->more_data = SpiInt32(0, 18);
	a->rows_usable = SpiInt64(0, 19);
	a->warnings = SpiJsonb(0, 20);
	a->details = SpiJsonb(0, 21);
	a->seconds = SpiFloat(0, 22);
	a->perfect = a->metric ? aml_assess_perfect(a->metric) : NAN;
	a->hib = !(a->perfect == 0);
}

/* ScoreAt returns the score that closes share of the gap to perfect */
static double
ScoreAt(double baseline, double perfect, double share)
{
	return baseline + share * (perfect - baseline);
}

/* ---------------------------------------------------------------- words */

static const char *
VerdictWords(const char *v)
{
	if (strcmp(v, "strong") == 0)
		return "Strong: machine learning clearly beats guessing on this table.";
	if (strcmp(v, "promising") == 0)
		return "Promising: machine learning beats guessing, by a useful margin.";
	if (strcmp(v, "weak") == 0)
		return "Weak: machine learning beats guessing, but only by a little.";
	if (strcmp(v, "not_applicable") == 0)
		return "Not applicable: the columns do not predict the target better than guessing.";
	if (strcmp(v, "data_not_ready") == 0)
		return "Data not ready: the table cannot be assessed as it is.";
	return v;
}

static const char *
VerdictClass(const char *v)
{
	if (strcmp(v, "strong") == 0 || strcmp(v, "promising") == 0)
		return "good";
	if (strcmp(v, "weak") == 0)
		return "warn";
	return "bad";
}

/* StringList writes a json array of strings as a bulleted list */
static void
StringList(HtmlPage *pg, JsonbContainer *arr, const char *cls)
{
	StringInfo	s = &pg->s;

	appendStringInfo(s, "<ul class=\"%s\">\n", cls);
	for (int i = 0; i < JLen(arr); i++)
	{
		char	   *t = JAtStr(arr, i);

		if (t == NULL)
			continue;
		appendStringInfoString(s, "<li>");
		XmlAppend(s, t);
		appendStringInfoString(s, "</li>\n");
	}
	appendStringInfoString(s, "</ul>\n");
}

static void
WriteHeader(HtmlPage *pg, Assessment *a)
{
	StringInfo	s = &pg->s;

	appendStringInfoString(s, "<header class=\"top\">\n<p class=\"kicker\">automl assessment</p>\n<h1>");
	Xf(s, "Can machine learning predict %s?", a->target);
	appendStringInfo(s, " <span class=\"ver\">assessment " INT64_FORMAT "</span></h1>\n<p class=\"sub\">", a->id);
	XmlAppend(s, "Target ");
	appendStringInfoString(s, "<code>");
	XmlAppend(s, a->target);
	appendStringInfoString(s, "</code>");
	XmlAppend(s, " in ");
	appendStringInfoString(s, "<code>");
	XmlAppend(s, Clip(a->source, 120));
	appendStringInfoString(s, "</code>");
	Xf(s, " \xC2\xB7 assessed by %s on %s in %s (budget %s)", a->created_by,
	   a->created_at ? a->created_at : "?", FmtSeconds(a->seconds), FmtSeconds(a->budget));
	appendStringInfoString(s, "</p>\n<div class=\"badges\">");
	appendStringInfo(s, "<span class=\"badge %s\">", VerdictClass(a->verdict));
	XmlAppend(s, a->verdict);
	appendStringInfoString(s, "</span>");
	if (a->task)
	{
		appendStringInfoString(s, "<span class=\"badge\">");
		XmlAppend(s, a->task);
		appendStringInfoString(s, "</span>");
	}
	if (JLen(a->warnings) > 0)
		appendStringInfo(s, "<span class=\"badge warn\">%d warning%s</span>", JLen(a->warnings),
						 JLen(a->warnings) == 1 ? "" : "s");
	appendStringInfoString(s, "</div>\n<nav class=\"toc\"><a href=\"#verdict\">Verdict</a>");
	if (!isnan(a->score))
		appendStringInfoString(s, "<a href=\"#score\">Score</a>");
	if (JSub(a->details, "learning_curve"))
		appendStringInfoString(s, "<a href=\"#learning\">Learning curve</a>");
	if (JSub(a->details, "leakage"))
		appendStringInfoString(s, "<a href=\"#leakage\">Leakage</a>");
	if (JSub(a->details, "readiness"))
		appendStringInfoString(s, "<a href=\"#readiness\">Data readiness</a>");
	appendStringInfoString(s, "<a href=\"#warnings\">Warnings</a><a href=\"#thresholds\">Thresholds</a></nav>\n</header>\n");
}

static void
WriteVerdict(HtmlPage *pg, Assessment *a)
{
	StringInfo	s = &pg->s;
	JsonbContainer *err = JSub(a->details, "error");
	JsonbContainer *model = JSub(a->details, "model");

	SectionBegin(pg, "verdict", "Verdict", NULL);
	appendStringInfoString(s, "<p class=\"headline\"><b>");
	XmlAppend(s, VerdictWords(a->verdict));
	appendStringInfoString(s, "</b></p>\n");
	if (JLen(a->reasons) > 0)
	{
		appendStringInfoString(s, "<h3>Why</h3>\n");
		StringList(pg, a->reasons, "reasons");
	}
	if (err && JStr(err, "message"))
	{
		appendStringInfoString(s, "<p>The data could not be trained on: <code>");
		XmlAppend(s, JStr(err, "message"));
		appendStringInfoString(s, "</code></p>\n");
	}
	appendStringInfoString(s, "<div class=\"cards\">\n");
	if (!isnan(a->score))
		Card(s, psprintf("Test %s", a->metric), FmtNum(a->score),
			 isnan(a->score_low) ? "no interval" :
			 psprintf("95%% interval %s to %s", FmtNum(a->score_low), FmtNum(a->score_high)));
	if (!isnan(a->baseline))
		Card(s, "Baseline", FmtNum(a->baseline),
			 strcmp(a->task ? a->task : "", "regression") == 0 ? "always predicting the average"
			 : "guessing from the class frequencies");
	if (!isnan(a->lift))
		Card(s, "Lift", FmtPct(a->lift), "of the gap between the baseline and a perfect score closed");
	Card(s, "Usable rows", FmtCount(a->rows_usable),
		 JSub(a->details, "readiness")
		 ? psprintf("%s to train, %s held out to test",
					FmtCount((int64) JNum(JSub(a->details, "readiness"), "train_rows")),
					FmtCount((int64) JNum(JSub(a->details, "readiness"), "test_rows")))
		 : "rows with a target value");
	if (a->more_data >= 0)
		Card(s, "More data", a->more_data ? "Likely helps" : "Unlikely to help",
			 "from the learning curve");
	if (model && JStr(model, "algorithm"))
		Card(s, "Best model", JStr(model, "algorithm"),
			 psprintf("best of %s candidates", FmtNum(JNum(model, "candidates"))));
	appendStringInfoString(s, "</div>\n");
	SectionEnd(pg);
}

/*
 * ScoreChart draws the metric's axis from the baseline to a perfect score
 * with the weak, promising and strong zones shaded, the baseline, and the
 * test score with its bootstrap interval.
 */
static void
ScoreChart(HtmlPage *pg, Assessment *a, JsonbContainer *th)
{
	StringInfo	s = &pg->s;
	double		prom = JNum(th, "promising_lift"),
				strong = JNum(th, "strong_lift");
	double		lo,
				hi,
				left = 150,
				right = 880,
				w = 900,
				h = 170,
				y = 86;
	double		pts[5];
	int			np = 0;
	const char *zone_name[3] = {"weak", "promising", "strong"};
	const char *zone_fill[3] = {"#F6F1E4", "#E6F2EE", "#CFE8DE"};
	double		zone[4];

#define SX(v) (left + ((v) - lo) / (hi - lo) * (right - left))

	if (isnan(prom))
		prom = 0.2;
	if (isnan(strong))
		strong = 0.5;
	pts[np++] = a->baseline;
	pts[np++] = a->score;
	if (!isnan(a->score_low))
		pts[np++] = a->score_low;
	if (!isnan(a->score_high))
		pts[np++] = a->score_high;
	if (!isnan(a->perfect))
		pts[np++] = a->perfect;
	lo = hi = a->score;
	for (int i = 0; i < np; i++)
	{
		lo = isnan(pts[i]) ? lo : fmin(lo, pts[i]);
		hi = isnan(pts[i]) ? hi : fmax(hi, pts[i]);
	}
	Widen(&lo, &hi);
	{
		double		step = NiceStep(hi - lo, 6);

		lo = floor(lo / step + 1e-9) * step;
		hi = ceil(hi / step - 1e-9) * step;
	}
	SvgBegin(pg, (int) w, (int) h, psprintf("Test %s against the baseline", a->metric),
			 psprintf("On the held-out rows the model scores %s %s (95%% interval %s to %s); the baseline scores %s.",
					  a->metric, FmtNum(a->score), FmtNum(a->score_low), FmtNum(a->score_high),
					  FmtNum(a->baseline)));

	/* zones between the baseline and a perfect score */
	if (!isnan(a->perfect) && !isnan(a->baseline))
	{
		zone[0] = a->baseline;
		zone[1] = ScoreAt(a->baseline, a->perfect, prom);
		zone[2] = ScoreAt(a->baseline, a->perfect, strong);
		zone[3] = a->perfect;
		for (int z = 0; z < 3; z++)
		{
			double		xa = SX(fmin(zone[z], zone[z + 1])),
						xb = SX(fmax(zone[z], zone[z + 1]));

			appendStringInfo(s, "<rect x=\"%.1f\" y=\"34\" width=\"%.1f\" height=\"84\" fill=\"%s\"/>\n",
							 xa, xb - xa, zone_fill[z]);
			SvgText(s, (xa + xb) / 2, 48, "middle", C_MUTED, 11, false, zone_name[z]);
		}
	}
	/* axis */
	{
		double		step = NiceStep(hi - lo, 6);

		appendStringInfo(s, "<line x1=\"%.1f\" y1=\"118\" x2=\"%.1f\" y2=\"118\" stroke=\"%s\"/>\n",
						 left, right, C_AXIS);
		for (double v = lo; v <= hi + step * 1e-9; v += step)
		{
			appendStringInfo(s, "<line x1=\"%.1f\" y1=\"118\" x2=\"%.1f\" y2=\"123\" stroke=\"%s\"/>\n",
							 SX(v), SX(v), C_AXIS);
			SvgText(s, SX(v), 136, "middle", C_MUTED, 11, false, TickLabel(v, step));
		}
		SvgText(s, (left + right) / 2, h - 10, "middle", C_INK, 12, true,
				psprintf("Test %s (%s is better)", a->metric, a->hib ? "higher" : "lower"));
	}
	/* the baseline */
	if (!isnan(a->baseline))
	{
		appendStringInfo(s, "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"118\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"5 4\"/>\n",
						 SX(a->baseline), SX(a->baseline), C_BLACK);
		SvgText(s, left - 10, y - 18, "end", C_INK, 12, false, "Baseline");
		SvgText(s, left - 10, y - 4, "end", C_MUTED, 11, false, FmtNum(a->baseline));
		appendStringInfo(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"2 3\"/>\n",
						 left - 4, y - 8, SX(a->baseline), y - 8, C_GRID);
	}
	/* the score and its interval */
	if (!isnan(a->score_low) && !isnan(a->score_high))
	{
		appendStringInfo(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
						 SX(a->score_low), y + 10, SX(a->score_high), y + 10, C_BLUE);
		for (int e = 0; e < 2; e++)
		{
			double		xe = SX(e ? a->score_high : a->score_low);

			appendStringInfo(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n",
							 xe, y + 3, xe, y + 17, C_BLUE);
		}
	}
	Marker(s, SX(a->score), y + 10, 0, C_BLUE, 6.5, 1);
	SvgText(s, left - 10, y + 14, "end", C_INK, 12, true, "Model");
	SvgText(s, SX(a->score), y - 4, "middle", C_BLUE, 12, true, FmtNum(a->score));
	SvgEnd(pg);
#undef SX
}

static void
WriteScore(HtmlPage *pg, Assessment *a)
{
	JsonbContainer *iv = JSub(a->details, "interval");

	if (isnan(a->score))
		return;
	SectionBegin(pg, "score", "Score against the baseline",
				 "The best model of the search, scored on test rows it never saw, against the baseline on the same rows; the whisker is the bootstrap 95% interval of the score.");
	FigureBegin(pg, psprintf("Test %s with its 95%% interval", a->metric));
	ScoreChart(pg, a, JSub(a->details, "thresholds"));
	FigureEnd(pg, iv ? psprintf("%s resamples (seed %s) of the %s test rows. The shaded zones are the verdict's thresholds as shares of the gap between the baseline and a perfect score.",
								FmtNum(JNum(iv, "resamples")), FmtNum(JNum(iv, "seed")),
								FmtCount((int64) JNum(JSub(a->details, "readiness"), "test_rows")))
			  : NULL);
	SectionEnd(pg);
}

/*
 * LearningCurveChart draws the test score of the best configuration refit
 * on growing shares of the training rows (details.learning_curve), the
 * baseline, and the score extrapolated to twice the rows.
 */
void
LearningCurveChart(HtmlPage *pg, JsonbContainer *lc, const char *metric, double baseline)
{
	JsonbContainer *pts = JSub(lc, "points");
	int			n = JLen(pts),
				k = 0;
	double	   *x = palloc((n + 2) * sizeof(double)),
			   *y = palloc((n + 2) * sizeof(double));
	double		perfect = metric ? aml_assess_perfect(metric) : NAN;
	double		doubled = JNum(lc, "lift_if_doubled");
	double		xmax = 0,
				ylo = baseline,
				yhi = baseline,
				ydbl = NAN;
	Plot		p;
	LegendItem	legend[3];
	int			nl = 0;

	for (int i = 0; i < n; i++)
	{
		JsonbContainer *pt = JAt(pts, i);

		x[k] = JNum(pt, "rows");
		y[k] = JNum(pt, "score");
		if (isnan(x[k]) || isnan(y[k]))
			continue;
		xmax = fmax(xmax, x[k]);
		ylo = isnan(ylo) ? y[k] : fmin(ylo, y[k]);
		yhi = isnan(yhi) ? y[k] : fmax(yhi, y[k]);
		k++;
	}
	if (k > 0 && !isnan(doubled) && !isnan(perfect) && !isnan(baseline))
	{
		ydbl = ScoreAt(baseline, perfect, doubled);
		ylo = fmin(ylo, ydbl);
		yhi = fmax(yhi, ydbl);
	}
	FigureBegin(pg, "Learning curve: test score by training rows");
	SvgBegin(pg, 900, 300, "Learning curve",
			 k > 0 ? psprintf("The test %s is %s with %s training rows and %s with %s; the baseline is %s.",
							  metric ? metric : "score", FmtNum(y[0]), FmtCount((int64) x[0]),
							  FmtNum(y[k - 1]), FmtCount((int64) x[k - 1]), FmtNum(baseline))
			 : "No point of the learning curve was measured.");
	PlotBeginEx(&p, pg, 900, 300, 190, 0, xmax > 0 ? xmax * (isnan(ydbl) ? 1.05 : 2.05) : 1,
				ylo, yhi, true, "Training rows", psprintf("Test %s", metric ? metric : "score"));
	if (!isnan(baseline))
	{
		PlotSegment(&p, p.x0, baseline, p.x1, baseline, C_BLACK, "5 4");
		legend[nl++] = (LegendItem) {"baseline", C_BLACK, 1};
	}
	if (k > 0)
	{
		PlotLine(&p, k, x, y, C_BLUE, 2.4, NULL, false);
		for (int i = 0; i < k; i++)
		{
			Marker(p.s, PX(&p, x[i]), PY(&p, y[i]), 0, C_BLUE, 4.5, 1);
			if (i == 0 || i == k - 1)
				SvgText(p.s, PX(&p, x[i]), PY(&p, y[i]) - 9, "middle", C_INK, 11, false, FmtNum(y[i]));
		}
		legend[nl++] = (LegendItem) {"best model, refit", C_BLUE, 2};
	}
	if (!isnan(ydbl))
	{
		PlotSegment(&p, x[k - 1], y[k - 1], 2 * x[k - 1], ydbl, C_ORANGE, "3 4");
		Marker(p.s, PX(&p, 2 * x[k - 1]), PY(&p, ydbl), 3, C_ORANGE, 4.5, 1);
		legend[nl++] = (LegendItem) {"twice the rows (est.)", C_ORANGE, 5};
	}
	PlotLegend(&p, nl, legend, 2);
	SvgEnd(pg);
	FigureEnd(pg, !isnan(ydbl)
			  ? psprintf("Extrapolated from the last doublings: %s of the gap to perfect closed per doubling of the rows.",
						 FmtPct(JNum(lc, "slope_per_doubling")))
			  : NULL);
}

static void
WriteLearning(HtmlPage *pg, Assessment *a)
{
	JsonbContainer *lc = JSub(a->details, "learning_curve");

	if (lc == NULL)
		return;
	SectionBegin(pg, "learning", "Would more data help?",
				 "The best configuration refit on an eighth, a quarter, half and all of the training rows, each scored on the same test rows.");
	if (JLen(JSub(lc, "points")) == 0)
		Empty(pg, "The budget ran out before the learning curve could be measured.");
	else
	{
		appendStringInfoString(&pg->s, "<p>");
		if (a->more_data < 0)
			XmlAppend(&pg->s, "The curve is too short to say whether more rows would help.");
		else
			Xf(&pg->s, "%s", a->more_data ? "The score is still rising as rows are added: more rows of the same kind would likely help."
			   : "The curve is flat: more rows of the same kind are unlikely to help much; better columns might.");
		appendStringInfoString(&pg->s, "</p>\n");
		LearningCurveChart(pg, lc, a->metric, a->baseline);
	}
	SectionEnd(pg);
}

/* CmpAlone orders the one-column scores best first */
typedef struct Alone
{
	char	   *column;
	double		score;
} Alone;

static bool alone_hib;

static int
CmpAlone(const void *x, const void *y)
{
	double		u = ((const Alone *) x)->score,
				v = ((const Alone *) y)->score;

	return alone_hib ? (u < v) - (u > v) : (u > v) - (u < v);
}

static void
WriteLeakage(HtmlPage *pg, Assessment *a)
{
	StringInfo	s = &pg->s;
	JsonbContainer *lk = JSub(a->details, "leakage");
	JsonbContainer *alone = JSub(lk, "alone");
	JsonbContainer *sus = JSub(lk, "suspects");
	double		th = JNum(JSub(a->details, "thresholds"), "leakage_score");
	int			n = JLen(alone),
				shown;
	Alone	   *al;
	char	  **labels,
			  **txt;
	double	   *v;

	if (lk == NULL)
		return;
	SectionBegin(pg, "leakage", "Leakage check",
				 psprintf("Each column alone, %s. A column that alone reaches %s %s or better probably holds the answer (a copy of the target, or something known only afterwards).",
						  JStr(lk, "method") ? JStr(lk, "method") : "on its own",
						  JStr(lk, "metric") ? JStr(lk, "metric") : a->metric ? a->metric : "the metric",
						  FmtNum(th)));
	if (JLen(sus) == 0)
	{
		appendStringInfoString(s, "<p>");
		Xf(s, "No suspect: no column predicts %s almost perfectly alone (%s of %s columns checked).",
		   a->target, FmtNum(JNum(lk, "checked")), FmtNum(JNum(lk, "columns")));
		appendStringInfoString(s, "</p>\n");
	}
	else
	{
		appendStringInfoString(s, "<p class=\"flag\">\xE2\x9A\xA0 ");
		Xf(s, "%d suspect%s: ", JLen(sus), JLen(sus) == 1 ? "" : "s");
		for (int i = 0; i < JLen(sus); i++)
		{
			if (i > 0)
				appendStringInfoString(s, ", ");
			appendStringInfoString(s, "<code>");
			XmlAppend(s, JAtStr(sus, i));
			appendStringInfoString(s, "</code>");
		}
		XmlAppend(s, ". The verdict cannot be trusted while they are in; exclude them and assess again.");
		appendStringInfoString(s, "</p>\n");
	}
	if (n == 0)
	{
		SectionEnd(pg);
		return;
	}
	al = palloc(n * sizeof(Alone));
	for (int i = 0; i < n; i++)
	{
		al[i].column = JStr(JAt(alone, i), "column");
		al[i].score = JNum(JAt(alone, i), "score");
	}
	alone_hib = a->hib;
	qsort(al, n, sizeof(Alone), CmpAlone);
	shown = n > 15 ? 15 : n;
	labels = palloc(shown * sizeof(char *));
	txt = palloc(shown * sizeof(char *));
	v = palloc(shown * sizeof(double));
	for (int i = 0; i < shown; i++)
	{
		bool		suspect = false;

		for (int j = 0; j < JLen(sus); j++)
			suspect |= al[i].column && JAtStr(sus, j) && strcmp(al[i].column, JAtStr(sus, j)) == 0;
		labels[i] = al[i].column ? al[i].column : "?";
		v[i] = isnan(al[i].score) ? 0 : al[i].score;
		txt[i] = suspect ? psprintf("%s \xE2\x9A\xA0 suspect", FmtNum(al[i].score)) : FmtNum(al[i].score);
	}
	FigureBegin(pg, psprintf("Test %s of each column alone", JStr(lk, "metric") ? JStr(lk, "metric") : a->metric));
	HBarChart(pg, 900, shown, labels, v, txt,
			  psprintf("Test %s with only this column (the whole model: %s; suspect from %s)",
					   JStr(lk, "metric") ? JStr(lk, "metric") : a->metric, FmtNum(a->score), FmtNum(th)),
			  "Leakage check",
			  psprintf("The %d best of %d columns scored alone; the best, %s, reaches %s.",
					   shown, n, labels[0], txt[0]));
	FigureEnd(pg, n > shown ? psprintf("The %d best of %d columns.", shown, n) : NULL);
	SectionEnd(pg);
}

static void
WriteReadiness(HtmlPage *pg, Assessment *a)
{
	StringInfo	s = &pg->s;
	JsonbContainer *rd = JSub(a->details, "readiness");
	JsonbContainer *classes = JSub(rd, "classes");
	JsonbContainer *cols = JSub(rd, "columns");
	JsonbContainer *dates = JSub(rd, "date_columns");
	double		rows = JNum(rd, "rows");

	if (rd == NULL)
		return;
	SectionBegin(pg, "readiness", "Data readiness",
				 "What the table holds before any model: rows, the target, and every column.");
	appendStringInfoString(s, "<div class=\"cards\">\n");
	Card(s, "Rows", FmtCount((int64) rows), psprintf("%s with a target value", FmtCount(a->rows_usable)));
	Card(s, "Target NULLs", FmtCount((int64) JNum(rd, "target_nulls")),
		 rows > 0 ? psprintf("%s of the rows (left out)", FmtPct(JNum(rd, "target_nulls") / rows)) : "");
	Card(s, "Duplicate rows", FmtCount((int64) JNum(rd, "duplicate_rows")),
		 psprintf("%s repeat with a different target", FmtCount((int64) JNum(rd, "conflicting_rows"))));
	if (JStr(rd, "minority_class"))
		Card(s, "Minority class", JStr(rd, "minority_class"),
			 psprintf("%s rows", FmtCount((int64) JNum(rd, "minority_rows"))));
	appendStringInfoString(s, "</div>\n");

	if (JLen(classes) > 0)
	{
		appendStringInfoString(s, "<h3>Class balance</h3>\n<table>\n<tr><th>Class</th><th class=\"n\">Rows</th><th class=\"n\">Share</th></tr>\n");
		for (int i = 0; i < JLen(classes) && i < 50; i++)
		{
			JsonbContainer *c = JAt(classes, i);

			appendStringInfoString(s, "<tr><td>");
			XmlAppend(s, JStr(c, "label"));
			appendStringInfoString(s, "</td><td class=\"n\">");
			XmlAppend(s, FmtCount((int64) JNum(c, "rows")));
			appendStringInfoString(s, "</td><td class=\"n\">");
			XmlAppend(s, FmtPct(JNum(c, "share")));
			appendStringInfoString(s, "</td></tr>\n");
		}
		appendStringInfoString(s, "</table>\n");
	}

	if (JLen(dates) > 0)
	{
		appendStringInfoString(s, "<p class=\"flag\">\xE2\x9A\xA0 ");
		XmlAppend(s, "Date columns: a random split may let the model learn from the future; consider a time-ordered split.");
		appendStringInfoString(s, "</p>\n");
	}

	appendStringInfoString(s, "<h3>Columns</h3>\n<div class=\"scroll\"><table>\n<tr><th>Column</th><th>Type</th><th>Kind</th>"
						   "<th class=\"n\">Missing</th><th class=\"n\">Distinct</th><th>Used</th><th>Flags</th></tr>\n");
	for (int i = 0; i < JLen(cols); i++)
	{
		JsonbContainer *c = JAt(cols, i);
		char	   *role = JStr(c, "role");
		char	   *reason = JStr(c, "reason");
		double		miss = JNum(c, "missing_rate");
		bool		dropped = role && strcmp(role, "dropped") == 0;
		bool		hc = JNum(c, "high_cardinality") == 1;

		appendStringInfo(s, "<tr%s><td>", dropped ? " class=\"muted\"" : "");
		XmlAppend(s, JStr(c, "name"));
		appendStringInfoString(s, "</td><td>");
		XmlAppend(s, JStr(c, "type"));
		appendStringInfoString(s, "</td><td>");
		XmlAppend(s, JStr(c, "kind"));
		appendStringInfo(s, "</td><td class=\"n\">%s", miss >= 0.2 ? "<span class=\"flag\">" : "");
		XmlAppend(s, FmtPct(miss));
		appendStringInfo(s, "%s</td><td class=\"n\">", miss >= 0.2 ? "</span>" : "");
		XmlAppend(s, FmtCount((int64) JNum(c, "distinct")));
		appendStringInfoString(s, "</td><td>");
		XmlAppend(s, dropped ? "no" : "yes");
		appendStringInfoString(s, "</td><td>");
		if (reason)
			Xf(s, "%s", strcmp(reason, "id_like") == 0 ? "looks like an identifier" :
			   strcmp(reason, "constant") == 0 ? "a single value" : reason);
		if (hc)
			Xf(s, "%shigh cardinality", reason ? "; " : "");
		appendStringInfoString(s, "</td></tr>\n");
	}
	appendStringInfoString(s, "</table></div>\n");
	SectionEnd(pg);
}

static void
WriteWarnings(HtmlPage *pg, Assessment *a)
{
	SectionBegin(pg, "warnings", "Warnings", NULL);
	if (JLen(a->warnings) == 0)
		Empty(pg, "No warnings.");
	else
		StringList(pg, a->warnings, "warnings");
	SectionEnd(pg);
}

static void
WriteThresholds(HtmlPage *pg, Assessment *a)
{
	StringInfo	s = &pg->s;
	JsonbContainer *th = JSub(a->details, "thresholds");
	JsonbContainer *iv = JSub(a->details, "interval");
	JsonbContainer *err = JSub(a->details, "error");
	JPair	   *pairs;
	int			n = JPairs(th, &pairs);

	SectionBegin(pg, "thresholds", "Thresholds and settings",
				 "The rules behind the verdict, as this assessment applied them, and how it was called.");
	appendStringInfoString(s, "<div class=\"scroll\"><table>\n<tr><th>Setting</th><th>Value</th></tr>\n");
	for (int i = 0; i < n; i++)
	{
		appendStringInfoString(s, "<tr><td><code>");
		XmlAppend(s, pairs[i].key);
		appendStringInfoString(s, "</code></td><td>");
		XmlAppend(s, JCell(&pairs[i].val));
		appendStringInfoString(s, "</td></tr>\n");
	}
	if (iv)
	{
		appendStringInfoString(s, "<tr><td><code>interval</code></td><td>");
		Xf(s, "%s; %s resamples, level %s, seed %s", JStr(iv, "method") ? JStr(iv, "method") : "bootstrap",
		   FmtNum(JNum(iv, "resamples")), FmtNum(JNum(iv, "level")), FmtNum(JNum(iv, "seed")));
		appendStringInfoString(s, "</td></tr>\n");
	}
	appendStringInfoString(s, "<tr><td><code>budget</code></td><td>");
	Xf(s, "%s%s%s", FmtSeconds(a->budget),
	   isnan(JNum(a->details, "budget_cut_seconds")) ? "" :
	   psprintf(", cut to %s by statement_timeout", FmtSeconds(JNum(a->details, "budget_cut_seconds"))),
	   JNum(a->details, "budget_short") == 1 ? " (too short: some checks were skipped or cut)" : "");
	appendStringInfoString(s, "</td></tr>\n<tr><td><code>exclude</code></td><td>");
	XmlAppend(s, JLen(a->exclude) > 0 ? JsonbToCString(NULL, a->exclude, 0) : "none");
	appendStringInfoString(s, "</td></tr>\n<tr><td><code>options</code></td><td><code>");
	XmlAppend(s, a->options ? JsonbToCString(NULL, a->options, 0) : "{}");
	appendStringInfoString(s, "</code></td></tr>\n");
	if (err)
	{
		appendStringInfoString(s, "<tr><td><code>error</code></td><td>");
		XmlAppend(s, JStr(err, "message"));
		if (JStr(err, "detail") && *JStr(err, "detail"))
			Xf(s, " %s", JStr(err, "detail"));
		if (JStr(err, "hint") && *JStr(err, "hint"))
			Xf(s, " %s", JStr(err, "hint"));
		appendStringInfoString(s, "</td></tr>\n");
	}
	appendStringInfoString(s, "</table></div>\n");
	SectionEnd(pg);
}

/*
 * automl_report_assessment(id): the XHTML report of one assessment the
 * caller may see.
 */
Datum
automl_report_assessment(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	Assessment	a;
	HtmlPage	pg;
	char	   *html;
	text	   *result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("assessment id must not be NULL")));
	memset(&a, 0, sizeof(a));
	/* allocations live in SPI's procedure context, freed by SPI_finish */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ReadAssessment(&a, PG_GETARG_INT64(0));

	PageBegin(&pg, psprintf("Assessment " INT64_FORMAT ": %s in %s \xE2\x80\x94 automl", a.id, a.target,
							Clip(a.source, 80)));
	WriteHeader(&pg, &a);
	WriteVerdict(&pg, &a);
	WriteScore(&pg, &a);
	WriteLearning(&pg, &a);
	WriteLeakage(&pg, &a);
	WriteReadiness(&pg, &a);
	WriteWarnings(&pg, &a);
	WriteThresholds(&pg, &a);

	PageFooter(&pg, "from automl.assessments; nothing was re-read from the source.");
	html = PageEnd(&pg);
	MemoryContextSwitchTo(caller);
	result = cstring_to_text(html);
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}
