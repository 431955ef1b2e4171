/*-------------------------------------------------------------------------
 *
 * report_html.h
 *	  Internal interface of the report builders (report_html.c), shared by
 *	  the model report (report.c) and the assessment report
 *	  (report_assess.c).  Not part of any API: the symbols are hidden from
 *	  other shared libraries.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTOML_REPORT_HTML_H
#define AUTOML_REPORT_HTML_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Okabe-Ito: distinguishable with every common colour-vision deficiency */
#define C_BLACK		"#000000"
#define C_ORANGE	"#E69F00"
#define C_SKY		"#56B4E9"
#define C_GREEN		"#009E73"
#define C_YELLOW	"#F0E442"
#define C_BLUE		"#0072B2"
#define C_VERMIL	"#D55E00"
#define C_PURPLE	"#CC79A7"
#define C_GREY		"#8A8F98"
#define C_INK		"#1F2430"
#define C_MUTED		"#5B6270"
#define C_GRID		"#E4E7EC"
#define C_AXIS		"#9AA1AD"

/* A page being written */
typedef struct HtmlPage
{
	StringInfoData s;
	int			next_id;		/* unique ids of chart titles */
} HtmlPage;

/* A plot: a data rectangle mapped onto a pixel rectangle, with axes */
typedef struct Plot
{
	StringInfo	s;
	double		l,
				r,
				t,
				b;				/* pixel edges of the plotting area */
	double		x0,
				x1,
				y0,
				y1;				/* data ranges */
} Plot;

typedef struct LegendItem
{
	const char *label;
	const char *colour;
	int			kind;			/* 0 line, 1 dashed line, 2.. marker shape + 2 */
} LegendItem;

/* A key and its value, as JPairs lists an object */
typedef struct JPair
{
	char	   *key;
	JsonbValue	val;
} JPair;

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* page and text */
extern void XmlAppend(StringInfo s, const char *t);
extern void Xf(StringInfo s, const char *fmt,...) pg_attribute_printf(2, 3);
extern char *Clip(const char *t, int max);
extern char *FmtNum(double v);
extern char *FmtCount(int64 v);
extern char *FmtPct(double share);
extern char *FmtSeconds(double s);
extern void PageBegin(HtmlPage *pg, const char *title);
extern void PageFooter(HtmlPage *pg, const char *what);
extern char *PageEnd(HtmlPage *pg);
extern void SectionBegin(HtmlPage *pg, const char *id, const char *title, const char *lead);
extern void SectionEnd(HtmlPage *pg);
extern void Empty(HtmlPage *pg, const char *text);
extern void B(StringInfo s, const char *text);
extern void Card(StringInfo s, const char *k, const char *v, const char *d);

/* charts */
extern void FigureBegin(HtmlPage *pg, const char *caption);
extern void FigureEnd(HtmlPage *pg, const char *note);
extern void SvgBegin(HtmlPage *pg, int w, int h, const char *title, const char *desc);
extern void SvgEnd(HtmlPage *pg);
extern void SvgText(StringInfo s, double x, double y, const char *anchor, const char *fill, int size, bool bold, const char *text);
extern void Marker(StringInfo s, double x, double y, int shape, const char *fill, double r, double opacity);
extern double NiceStep(double range, int n);
extern char *TickLabel(double v, double step);
extern double PX(const Plot *p, double x);
extern double PY(const Plot *p, double y);
extern void Widen(double *lo, double *hi);
extern void PlotBeginSteps(Plot *p, HtmlPage *pg, int w, int h, int margin_right, double x0, double x1, double x_min_step, double y0, double y1, bool nice, const char *xlabel, const char *ylabel);
extern void PlotBeginEx(Plot *p, HtmlPage *pg, int w, int h, int margin_right, double x0, double x1, double y0, double y1, bool nice, const char *xlabel, const char *ylabel);
extern void PlotBegin(Plot *p, HtmlPage *pg, int w, int h, double x0, double x1, double y0, double y1, bool nice, const char *xlabel, const char *ylabel);
extern void PlotLine(Plot *p, int n, const double *x, const double *y, const char *stroke, double width, const char *dash, bool step);
extern void PlotSegment(Plot *p, double xa, double ya, double xb, double yb, const char *stroke, const char *dash);
extern void PlotLegend(Plot *p, int n, const LegendItem *items, int corner);
extern void HBarChart(HtmlPage *pg, int w, int n, char **labels, const double *v, char **value_text, const char *xlabel, const char *title, const char *desc);
extern char *Blue(double t);
extern void ConfusionChart(HtmlPage *pg, int k, char **labels, const int64 *m, const char *title, const char *desc);

/* jsonb readers (a missing key reads as NULL / NaN) and tables */
extern JsonbContainer *JRoot(Datum d, bool isnull);
extern bool JGet(JsonbContainer *c, const char *key, JsonbValue *out);
extern double JValNum(const JsonbValue *v);
extern char *JValStr(const JsonbValue *v);
extern JsonbContainer *JSub(JsonbContainer *c, const char *key);
extern double JNum(JsonbContainer *c, const char *key);
extern char *JStr(JsonbContainer *c, const char *key);
extern int JLen(JsonbContainer *c);
extern JsonbContainer *JAt(JsonbContainer *c, int i);
extern double JAtNum(JsonbContainer *c, int i);
extern char *JAtStr(JsonbContainer *c, int i);
extern int JNums(JsonbContainer *c, double **out);
extern int JPairs(JsonbContainer *c, JPair **out);
extern char *JCell(const JsonbValue *v);
extern void ObjectTable(HtmlPage *pg, JsonbContainer *arr, const char *flag_key);

/* SPI result readers (NULL reads as NULL / NaN / 0 / false) */
extern char *SpiText(int row, int col);
extern double SpiFloat(int row, int col);
extern int64 SpiInt64(int row, int col);
extern int SpiInt32(int row, int col);
extern bool SpiBool(int row, int col);
extern JsonbContainer *SpiJsonb(int row, int col);

/* report_assess.c: the learning curve of an assessment, for both reports */
extern void LearningCurveChart(HtmlPage *pg, JsonbContainer *lc, const char *metric,
							   double baseline);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif							/* AUTOML_REPORT_HTML_H */
