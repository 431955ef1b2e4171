/*-------------------------------------------------------------------------
 *
 * report_html.c
 *	  The page and chart builders of the reports (automl_report,
 *	  automl_report_assessment): an XHTML page with its own style sheet and
 *	  Content-Security-Policy, sections and figures, inline SVG plots, bar
 *	  and confusion charts, tables, number formats, and small readers of
 *	  the stored jsonb and of SPI results.
 *
 * Everything written is escaped for XML (XmlAppend); colours are SVG
 * presentation attributes, never style attributes, so the page's policy
 * needs no 'unsafe-inline'.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "report_html.h"

/* ================================================================ page */

static const char *const page_css =
"*{box-sizing:border-box}"
"html{-webkit-text-size-adjust:100%}"
"body{margin:0;background:#F4F5F7;color:" C_INK ";font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Liberation Sans',sans-serif}"
".page{max-width:1040px;margin:0 auto;padding:28px 28px 40px}"
"header.top{background:#1F2A44;color:#fff;border-radius:10px;padding:22px 26px 18px;margin-bottom:18px}"
".kicker{margin:0;font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#B9C3D9}"
"h1{margin:2px 0 4px;font-size:26px;line-height:1.25;font-weight:650;word-break:break-word}"
"h1 .ver{font-weight:400;color:#B9C3D9;font-size:20px}"
".sub{margin:0;color:#DCE2EE}"
".sub code{color:#fff;background:#34415F;padding:0 5px;border-radius:4px;font-size:13px}"
".badges{margin-top:10px}"
".badge{display:inline-block;margin:0 6px 4px 0;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:600;background:#3A4766;color:#fff}"
".badge.good{background:#009E73}.badge.warn{background:#E69F00;color:#1F2430}.badge.bad{background:#D55E00}"
"nav.toc{margin-top:12px;font-size:12.5px}"
"nav.toc a{color:#DCE2EE;text-decoration:none;margin-right:14px;border-bottom:1px dotted #8090B0}"
"section{background:#fff;border:1px solid #E2E5EA;border-radius:10px;padding:18px 22px 20px;margin:0 0 16px}"
"h2{margin:0 0 4px;font-size:18px;font-weight:650}"
"h3{margin:16px 0 6px;font-size:15px;font-weight:650}"
".lead{margin:0 0 12px;color:" C_MUTED "}"
".headline{font-size:18px;line-height:1.45;margin:6px 0 14px;font-weight:500}"
".headline b{color:#0B5394}"
".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:10px}"
".card{border:1px solid #E2E5EA;border-radius:8px;padding:10px 14px;background:#FAFBFC}"
".card .k{font-size:12px;color:" C_MUTED ";text-transform:uppercase;letter-spacing:.04em}"
".card .v{font-size:22px;font-weight:650;line-height:1.3}"
".card .d{font-size:12.5px;color:" C_MUTED "}"
".grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(430px,1fr));gap:16px 22px}"
"figure{margin:0;break-inside:avoid;page-break-inside:avoid}"
"figcaption{font-weight:650;font-size:14px;margin:4px 0 4px}"
"figure p.note{margin:2px 0 0;font-size:12.5px;color:" C_MUTED "}"
"svg.chart{display:block;max-width:100%;height:auto;font-family:inherit}"
"svg text{font-family:inherit}"
"table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 4px}"
"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #ECEEF2;vertical-align:top}"
"th{font-size:12px;color:" C_MUTED ";font-weight:600;text-transform:uppercase;letter-spacing:.03em;border-bottom:1px solid #D5D9E0}"
"td.nw{white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
"tr.muted td{color:#8A8F98}"
".spark{display:inline-block;margin-top:2px;letter-spacing:1px;color:" C_BLUE ";white-space:nowrap}"
".dist{font-size:12px;color:" C_MUTED "}"
"tr.win td{background:#F1F8F5}"
"td code,p code,li code{font-size:12.5px;background:#F1F3F6;padding:0 4px;border-radius:4px;overflow-wrap:anywhere}"
".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}"
".l-baseline{background:#000000}.l-linear{background:#0072B2}.l-decision_tree{background:#E69F00}"
".l-gbdt{background:#009E73}.l-random_forest{background:#CC79A7}.l-extra_trees{background:#56B4E9}"
".l-ensemble{background:#D55E00}.l-other{background:#8A8F98}"
".flag{color:#B34700;font-weight:650}"
".empty{color:" C_MUTED ";font-style:italic;margin:6px 0}"
".scroll{overflow-x:auto}"
"footer{color:" C_MUTED ";font-size:12px;text-align:center;margin-top:18px}"
"@page{size:A4;margin:12mm}"
"@media print{body{background:#fff;font-size:10.5pt}.page{max-width:none;padding:0}"
"header.top{background:#fff;color:" C_INK ";border:1px solid #C9CED6}"
".kicker,h1 .ver,.sub{color:" C_MUTED "}.sub code{color:" C_INK ";background:#F1F3F6}nav.toc{display:none}"
"#performance{break-before:page;page-break-before:always}"
".badge{border:1px solid #8A8F98}"
"section{border:0;border-top:1px solid #C9CED6;border-radius:0;padding:10px 0 6px;break-inside:auto}"
"h2,h3,figcaption{break-after:avoid;page-break-after:avoid}"
"tr,figure,.card{break-inside:avoid;page-break-inside:avoid}"
".grid2{grid-template-columns:1fr 1fr;gap:10px 16px}.scroll{overflow:visible}}";

/* XmlAppend appends text escaped for XML (content and attribute values). */
void
XmlAppend(StringInfo s, const char *t)
{
	for (const unsigned char *p = (const unsigned char *) (t ? t : ""); *p; p++)
	{
		switch (*p)
		{
			case '&':
				appendStringInfoString(s, "&amp;");
				break;
			case '<':
				appendStringInfoString(s, "&lt;");
				break;
			case '>':
				appendStringInfoString(s, "&gt;");
				break;
			case '"':
				appendStringInfoString(s, "&quot;");
				break;
			case '\'':
				appendStringInfoString(s, "&#39;");
				break;
			case '\t':
			case '\n':
			case '\r':
				appendStringInfoChar(s, ' ');
				break;
			default:
				/* control characters are not allowed in XML 1.0 */
				if (*p < 0x20 || *p == 0x7f)
					appendStringInfoString(s, "\xEF\xBF\xBD");
				else
					appendStringInfoChar(s, (char) *p);
		}
	}
}

/* Xf appends printf-formatted text, escaped for XML */
void
Xf(StringInfo s, const char *fmt,...)
{
	StringInfoData t;

	initStringInfo(&t);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&t, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&t, needed);
	}
	XmlAppend(s, t.data);
	pfree(t.data);
}

/* Clip returns at most max characters of t, with an ellipsis when cut */
char *
Clip(const char *t, int max)
{
	int			len,
				chars;

	if (t == NULL)
		return "";
	len = strlen(t);
	chars = pg_mbstrlen_with_len(t, len);
	if (chars <= max)
		return (char *) t;
	return psprintf("%.*s\xE2\x80\xA6", pg_mbcharcliplen(t, len, max - 1), t);
}

/*
 * FmtNum formats a number for reading: 4 significant digits, thousands
 * separated beyond 10,000; "–" for a missing value.
 */
char *
FmtNum(double v)
{
	if (isnan(v) || isinf(v))
		return "\xE2\x80\x93";
	if (fabs(v) >= 1e4 && fabs(v) < 1e15)
	{
		char		digits[32];
		StringInfoData s;
		int			n,
					start;

		snprintf(digits, sizeof(digits), "%.0f", fabs(v));
		n = strlen(digits);
		initStringInfo(&s);
		if (v < 0)
			appendStringInfoChar(&s, '-');
		start = n % 3 ? n % 3 : 3;
		appendBinaryStringInfo(&s, digits, start);
		for (int i = start; i < n; i += 3)
		{
			appendStringInfoChar(&s, ',');
			appendBinaryStringInfo(&s, digits + i, 3);
		}
		return s.data;
	}
	return psprintf("%.4g", v);
}

char *
FmtCount(int64 v)
{
	return v >= 10000 || v <= -10000 ? FmtNum((double) v) : psprintf(INT64_FORMAT, v);
}

char *
FmtPct(double share)
{
	if (isnan(share))
		return "\xE2\x80\x93";
	if (share > 0 && share * 100 < 0.95)
		return psprintf("%.1f%%", share * 100);
	return psprintf("%.0f%%", share * 100);
}

char *
FmtSeconds(double s)
{
	if (isnan(s))
		return "\xE2\x80\x93";
	if (s < 10)
		return psprintf("%.2f s", s);
	if (s < 120)
		return psprintf("%.1f s", s);
	return psprintf("%.0f min %02.0f s", floor(s / 60), fmod(s, 60));
}

/* StyleHash returns the CSP source of the style sheet: 'sha256-...' */
static char *
StyleHash(void)
{
	bytea	   *css = (bytea *) cstring_to_text(page_css);
	Datum		digest = DirectFunctionCall1(sha256_bytea, PointerGetDatum(css));
	char	   *b64 = TextDatumGetCString(DirectFunctionCall2(binary_encode, digest,
															  CStringGetTextDatum("base64")));

	return psprintf("'sha256-%s'", b64);
}

/* PageBegin opens the document: its own strict policy, the style sheet */
void
PageBegin(HtmlPage *pg, const char *title)
{
	StringInfo	s = &pg->s;

	initStringInfo(s);
	pg->next_id = 0;
	appendStringInfoString(s, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">\n<head>\n");
	appendStringInfoString(s, "<meta charset=\"utf-8\"/>\n");
	appendStringInfo(s, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src %s; base-uri 'none'; form-action 'none'\"/>\n",
					 StyleHash());
	appendStringInfoString(s, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
	appendStringInfoString(s, "<meta name=\"generator\" content=\"automl\"/>\n<title>");
	XmlAppend(s, title);
	appendStringInfoString(s, "</title>\n<style>");
	appendStringInfoString(s, page_css);
	appendStringInfoString(s, "</style>\n</head>\n<body>\n<div class=\"page\">\n");
}

/*
 * PageFooter closes the page's content with a footer naming the extension
 * version, the time and where the page came from (what, a sentence tail).
 * Runs a catalog query: call it inside the page's SPI connection.
 */
void
PageFooter(HtmlPage *pg, const char *what)
{
	char	   *stamp = NULL;

	if (SPI_execute("SELECT 'automl ' || extversion || ', ' || to_char(now(), 'YYYY-MM-DD HH24:MI TZ') "
					"FROM pg_catalog.pg_extension WHERE extname = 'automl'", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		stamp = SpiText(0, 1);
	appendStringInfoString(&pg->s, "<footer>");
	Xf(&pg->s, "Generated by %s %s", stamp ? stamp : "automl", what);
	appendStringInfoString(&pg->s, "</footer>\n");
}

char *
PageEnd(HtmlPage *pg)
{
	appendStringInfoString(&pg->s, "</div>\n</body>\n</html>\n");
	return pg->s.data;
}

void
SectionBegin(HtmlPage *pg, const char *id, const char *title, const char *lead)
{
	appendStringInfo(&pg->s, "<section id=\"%s\">\n<h2>", id);
	XmlAppend(&pg->s, title);
	appendStringInfoString(&pg->s, "</h2>\n");
	if (lead)
	{
		appendStringInfoString(&pg->s, "<p class=\"lead\">");
		XmlAppend(&pg->s, lead);
		appendStringInfoString(&pg->s, "</p>\n");
	}
}

void
SectionEnd(HtmlPage *pg)
{
	appendStringInfoString(&pg->s, "</section>\n");
}

/* Empty writes a short italic note (no data for a part) */
void
Empty(HtmlPage *pg, const char *text)
{
	appendStringInfoString(&pg->s, "<p class=\"empty\">");
	XmlAppend(&pg->s, text);
	appendStringInfoString(&pg->s, "</p>\n");
}

/* ================================================================ charts */

/*
 * A chart is a <figure>: a visible caption, an <svg role="img"> with its
 * <title> and <desc> (what a screen reader says), and an optional note.
 * Every colour is a presentation attribute.
 */
void
FigureBegin(HtmlPage *pg, const char *caption)
{
	appendStringInfoString(&pg->s, "<figure>\n<figcaption>");
	XmlAppend(&pg->s, caption);
	appendStringInfoString(&pg->s, "</figcaption>\n");
}

void
FigureEnd(HtmlPage *pg, const char *note)
{
	if (note)
	{
		appendStringInfoString(&pg->s, "<p class=\"note\">");
		XmlAppend(&pg->s, note);
		appendStringInfoString(&pg->s, "</p>\n");
	}
	appendStringInfoString(&pg->s, "</figure>\n");
}

void
SvgBegin(HtmlPage *pg, int w, int h, const char *title, const char *desc)
{
	StringInfo	s = &pg->s;
	int			id = ++pg->next_id;

	appendStringInfo(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
					 "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"c%d-t c%d-d\" font-size=\"11\">\n",
					 w, h, w, h, id, id);
	appendStringInfo(s, "<title id=\"c%d-t\">", id);
	XmlAppend(s, title);
	appendStringInfo(s, "</title>\n<desc id=\"c%d-d\">", id);
	XmlAppend(s, desc);
	appendStringInfoString(s, "</desc>\n");
}

void
SvgEnd(HtmlPage *pg)
{
	appendStringInfoString(&pg->s, "</svg>\n");
}

/* SvgText writes a text element; anchor start, middle or end */
void
SvgText(StringInfo s, double x, double y, const char *anchor, const char *fill,
		int size, bool bold, const char *text)
{
	appendStringInfo(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\" font-size=\"%d\"%s>",
					 x, y, anchor, fill, size, bold ? " font-weight=\"600\"" : "");
	XmlAppend(s, text);
	appendStringInfoString(s, "</text>\n");
}

/*
 * Marker draws one point: 0 circle, 1 square, 2 triangle, 3 diamond,
 * 4 triangle down, 5 hexagon (shapes repeat the colours' meaning, for
 * readers who cannot tell them apart).
 */
void
Marker(StringInfo s, double x, double y, int shape, const char *fill, double r, double opacity)
{
	char		op[48] = "";

	if (opacity < 1)
		snprintf(op, sizeof(op), " fill-opacity=\"%.2f\"", opacity);
	switch (shape % 6)
	{
		case 0:
			appendStringInfo(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"%s stroke=\"#fff\" stroke-width=\"0.6\"/>\n",
							 x, y, r, fill, op);
			break;
		case 1:
			appendStringInfo(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s stroke=\"#fff\" stroke-width=\"0.6\"/>\n",
							 x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8, fill, op);
			break;
		case 2:
			appendStringInfo(s, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"%s stroke=\"#fff\" stroke-width=\"0.6\"/>\n",
							 x, y - r * 1.2, x + r * 1.1, y + r * 0.8, x - r * 1.1, y + r * 0.8, fill, op);
			break;
		case 3:
			appendStringInfo(s, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"%s stroke=\"#fff\" stroke-width=\"0.6\"/>\n",
							 x, y - r * 1.25, x + r * 1.1, y, x, y + r * 1.25, x - r * 1.1, y, fill, op);
			break;
		case 4:
			appendStringInfo(s, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"%s stroke=\"#fff\" stroke-width=\"0.6\"/>\n",
							 x, y + r * 1.2, x + r * 1.1, y - r * 0.8, x - r * 1.1, y - r * 0.8, fill, op);
			break;
		default:
			appendStringInfo(s, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"%s stroke=\"#fff\" stroke-width=\"0.6\"/>\n",
							 x - r, y, x - r / 2, y - r * 0.87, x + r / 2, y - r * 0.87,
							 x + r, y, x + r / 2, y + r * 0.87, x - r / 2, y + r * 0.87, fill, op);
	}
}

/* NiceStep returns a step of 1, 2 or 5 times a power of ten, about range/n */
double
NiceStep(double range, int n)
{
	double		raw = range / n;
	double		mag = pow(10, floor(log10(raw)));
	double		f = raw / mag;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* TickLabel formats a tick value with as many decimals as the step needs */
char *
TickLabel(double v, double step)
{
	int			dec = step >= 1 ? 0 : (int) ceil(-log10(step) - 1e-9);

	if (fabs(v) < step * 1e-6)
		v = 0;
	if (fabs(v) >= 1e5 || (fabs(v) > 0 && fabs(v) < 1e-4))
		return psprintf("%.3g", v);
	return psprintf("%.*f", dec > 6 ? 6 : dec, v);
}

double
PX(const Plot *p, double x)
{
	return p->l + (x - p->x0) / (p->x1 - p->x0) * (p->r - p->l);
}

/* PY maps a value to a pixel row, clamped to the plotting area */
double
PY(const Plot *p, double y)
{
	double		py = p->b - (y - p->y0) / (p->y1 - p->y0) * (p->b - p->t);

	return py < p->t ? p->t : py > p->b ? p->b : py;
}

/* Widen makes a degenerate or missing range drawable */
void
Widen(double *lo, double *hi)
{
	if (!isfinite(*lo) || !isfinite(*hi))
	{
		*lo = 0;
		*hi = 1;
	}
	else if (*hi - *lo < 1e-12 * (fabs(*lo) + 1))
	{
		double		d = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1;

		*lo -= d;
		*hi += d;
	}
}

/*
 * PlotBeginSteps draws the frame of a plot: grid, ticks and axis labels.
 * With nice, the ranges are rounded outward to ticks.  The x ticks are at
 * least x_min_step apart (1 for counts, whose range is then kept as given;
 * 0 for no limit).
 */
void
PlotBeginSteps(Plot *p, HtmlPage *pg, int w, int h, int margin_right, double x0, double x1,
			   double x_min_step, double y0, double y1, bool nice, const char *xlabel,
			   const char *ylabel)
{
	StringInfo	s = &pg->s;
	double		xs,
				ys;

	Widen(&x0, &x1);
	Widen(&y0, &y1);
	xs = Max(NiceStep(x1 - x0, 6), x_min_step);
	ys = NiceStep(y1 - y0, 5);
	if (nice)
	{
		/* counts keep their range: no tick before the first one */
		if (x_min_step <= 0)
		{
			x0 = floor(x0 / xs + 1e-9) * xs;
			x1 = ceil(x1 / xs - 1e-9) * xs;
		}
		y0 = floor(y0 / ys + 1e-9) * ys;
		y1 = ceil(y1 / ys - 1e-9) * ys;
	}
	p->s = s;
	p->l = 58;
	p->r = w - margin_right;
	p->t = 12;
	p->b = h - 44;
	p->x0 = x0;
	p->x1 = x1;
	p->y0 = y0;
	p->y1 = y1;

	appendStringInfo(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#FBFBFD\"/>\n",
					 p->l, p->t, p->r - p->l, p->b - p->t);
	for (double v = ceil(x0 / xs - 1e-9) * xs; v <= x1 + xs * 1e-9; v += xs)
	{
		double		x = PX(p, v);

		appendStringInfo(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
						 x, p->t, x, p->b, C_GRID);
		SvgText(s, x, p->b + 15, "middle", C_MUTED, 11, false, TickLabel(v, xs));
	}
	for (double v = ceil(y0 / ys - 1e-9) * ys; v <= y1 + ys * 1e-9; v += ys)
	{
		double		y = PY(p, v);

		appendStringInfo(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
						 p->l, y, p->r, y, C_GRID);
		SvgText(s, p->l - 6, y + 4, "end", C_MUTED, 11, false, TickLabel(v, ys));
	}
	appendStringInfo(s, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"%s\"/>\n",
					 p->l, p->t, p->b, p->r, C_AXIS);
	SvgText(s, (p->l + p->r) / 2, h - 8, "middle", C_INK, 12, true, xlabel);
	appendStringInfo(s, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"%s\" font-size=\"12\" font-weight=\"600\">",
					 (p->t + p->b) / 2, C_INK);
	XmlAppend(s, ylabel);
	appendStringInfoString(s, "</text>\n");
}

void
PlotBeginEx(Plot *p, HtmlPage *pg, int w, int h, int margin_right, double x0, double x1,
			double y0, double y1, bool nice, const char *xlabel, const char *ylabel)
{
	PlotBeginSteps(p, pg, w, h, margin_right, x0, x1, 0, y0, y1, nice, xlabel, ylabel);
}

void
PlotBegin(Plot *p, HtmlPage *pg, int w, int h, double x0, double x1, double y0,
		  double y1, bool nice, const char *xlabel, const char *ylabel)
{
	PlotBeginEx(p, pg, w, h, 14, x0, x1, y0, y1, nice, xlabel, ylabel);
}

/* PlotLine draws a polyline of n points (NaN points are skipped) */
void
PlotLine(Plot *p, int n, const double *x, const double *y, const char *stroke,
		 double width, const char *dash, bool step)
{
	StringInfo	s = p->s;
	bool		first = true;
	double		py = 0;

	appendStringInfoString(s, "<path d=\"");
	for (int i = 0; i < n; i++)
	{
		double		cx,
					cy;

		if (isnan(x[i]) || isnan(y[i]))
			continue;
		cx = PX(p, x[i]);
		cy = PY(p, y[i]);
		if (first)
			appendStringInfo(s, "M%.1f %.1f", cx, cy);
		else if (step)
			appendStringInfo(s, "H%.1fV%.1f", cx, cy);
		else
			appendStringInfo(s, "L%.1f %.1f", cx, cy);
		first = false;
		py = cy;
	}
	(void) py;
	appendStringInfo(s, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" stroke-linejoin=\"round\"%s%s%s/>\n",
					 stroke, width, dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
}

/* PlotDiagonal draws the reference line from (x0, y0) to (x1, y1) */
void
PlotSegment(Plot *p, double xa, double ya, double xb, double yb, const char *stroke, const char *dash)
{
	appendStringInfo(p->s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\"%s%s%s/>\n",
					 PX(p, xa), PY(p, ya), PX(p, xb), PY(p, yb), stroke,
					 dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
}

/*
 * PlotLegend draws a legend box: corner 0 top left, 1 bottom right (inside
 * the plot), 2 to the right of the plot (in its right margin).
 */
void
PlotLegend(Plot *p, int n, const LegendItem *items, int corner)
{
	StringInfo	s = p->s;
	double		wmax = 0,
				h = n * 16 + 8,
				x,
				y;

	for (int i = 0; i < n; i++)
	{
		double		w = pg_mbstrlen(items[i].label) * 6.2 + 34;

		wmax = w > wmax ? w : wmax;
	}
	x = corner == 0 ? p->l + 8 : corner == 1 ? p->r - wmax - 8 : p->r + 12;
	y = corner == 1 ? p->b - h - 8 : p->t + 8;
	appendStringInfo(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"4\" fill=\"#FFFFFF\" fill-opacity=\"0.92\" stroke=\"%s\"/>\n",
					 x, y, wmax, h, C_GRID);
	for (int i = 0; i < n; i++)
	{
		double		cy = y + 12 + i * 16;

		if (items[i].kind <= 1)
			appendStringInfo(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.2\"%s/>\n",
							 x + 6, cy, x + 24, cy, items[i].colour,
							 items[i].kind == 1 ? " stroke-dasharray=\"5 4\"" : "");
		else
			Marker(s, x + 15, cy, items[i].kind - 2, items[i].colour, 4.2, 1);
		SvgText(s, x + 30, cy + 4, "start", C_INK, 11, false, items[i].label);
	}
}

/*
 * HBarChart draws n horizontal bars, w pixels wide, with their labels and
 * value texts (may be NULL).  Values may be negative: bars then diverge
 * from zero, positive blue, negative vermilion.
 */
void
HBarChart(HtmlPage *pg, int w, int n, char **labels, const double *v, char **value_text,
		  const char *xlabel, const char *title, const char *desc)
{
	StringInfo	s = &pg->s;
	int			row = 20,
				h = 40 + n * row;
	double		lo = 0,
				hi = 0,
				left = w >= 700 ? 230 : w * 0.4,
				right = w - 70,
				bl,
				zero;
	int			clip = (int) ((left - 12) / 6.8);

	for (int i = 0; i < n; i++)
	{
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	if (hi - lo <= 0)
		hi = lo + 1;
	/* negative bars keep room on their left for their value texts */
	bl = lo < 0 && value_text ? left + 58 : left;
	zero = bl + (0 - lo) / (hi - lo) * (right - bl);
	SvgBegin(pg, w, h, title, desc);
	for (int i = 0; i < n; i++)
	{
		double		y = 8 + i * row;
		double		x = bl + (v[i] - lo) / (hi - lo) * (right - bl);
		double		bx = x < zero ? x : zero;
		double		bw = fabs(x - zero);

		SvgText(s, left - 8, y + row * 0.62, "end", C_INK, 12, false, Clip(labels[i], clip));
		appendStringInfo(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" fill=\"%s\"/>\n",
						 bx, y + 3, bw < 0.8 && v[i] != 0 ? 0.8 : bw, row - 6.0,
						 v[i] < 0 ? C_VERMIL : C_BLUE);
		if (value_text)
			SvgText(s, v[i] < 0 ? bx - 4 : bx + bw + 4, y + row * 0.62, v[i] < 0 ? "end" : "start",
					C_MUTED, 11, false, value_text[i]);
	}
	appendStringInfo(s, "<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n",
					 zero, zero, 8 + n * row, C_AXIS);
	SvgText(s, w / 2.0, h - 8, "middle", C_INK, 12, true, xlabel);
	SvgEnd(pg);
}

/* Blue returns a colour of a sequential blue scale for t in [0, 1] */
char *
Blue(double t)
{
	/* from #F3F8FD to #0B4F8A */
	int			r0 = 0xF3,
				g0 = 0xF8,
				b0 = 0xFD,
				r1 = 0x0B,
				g1 = 0x4F,
				b1 = 0x8A;

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return psprintf("#%02X%02X%02X", (int) (r0 + (r1 - r0) * t), (int) (g0 + (g1 - g0) * t),
					(int) (b0 + (b1 - b0) * t));
}

/*
 * ConfusionChart draws a k x k matrix: rows are actual classes, columns
 * predicted ones; a cell's shade is its share of its row (the class's
 * recall on the diagonal).
 */
void
ConfusionChart(HtmlPage *pg, int k, char **labels, const int64 *m, const char *title, const char *desc)
{
	StringInfo	s = &pg->s;
	double		cell = k <= 2 ? 96 : k <= 4 ? 80 : k <= 10 ? 40 : 360.0 / k;
	double		left = k <= 10 ? 120 : 90,
				top = 44;
	int			w = (int) (left + cell * k + 16),
				h = (int) (top + cell * k + 30);
	bool		text = cell >= 28;

	if (w < 300)
		w = 300;
	SvgBegin(pg, w, h, title, desc);
	SvgText(s, left + cell * k / 2, 14, "middle", C_INK, 12, true, "Predicted class");
	appendStringInfo(s, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"%s\" font-size=\"12\" font-weight=\"600\">Actual class</text>\n",
					 top + cell * k / 2, C_INK);
	for (int a = 0; a < k; a++)
	{
		int64		row = 0;

		for (int p = 0; p < k; p++)
			row += m[a * k + p];
		if (cell >= 12)
		{
			SvgText(s, left - 6, top + a * cell + cell / 2 + 4, "end", C_INK, 11, false,
					Clip(labels[a], k <= 10 ? 14 : 8));
			appendStringInfo(s, "<text transform=\"translate(%.1f %.1f) rotate(%d)\" text-anchor=\"%s\" fill=\"%s\" font-size=\"11\">",
							 left + a * cell + cell / 2 + (k <= 4 ? 0 : 4), top - 6, k <= 4 ? 0 : -35,
							 k <= 4 ? "middle" : "start", C_INK);
			XmlAppend(s, Clip(labels[a], k <= 4 ? 16 : 8));
			appendStringInfoString(s, "</text>\n");
		}
		for (int p = 0; p < k; p++)
		{
			double		share = row ? (double) m[a * k + p] / row : 0;
			double		x = left + p * cell,
						y = top + a * cell;

			appendStringInfo(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"#FFFFFF\" stroke-width=\"1.5\"/>\n",
							 x, y, cell, cell, Blue(share));
			if (text)
			{
				const char *ink = share > 0.5 ? "#FFFFFF" : C_INK;

				SvgText(s, x + cell / 2, y + cell / 2 + (cell >= 60 ? 0 : 4), "middle", ink,
						cell >= 60 ? 16 : 11, true, FmtCount(m[a * k + p]));
				if (cell >= 60)
					SvgText(s, x + cell / 2, y + cell / 2 + 17, "middle", ink, 11, false,
							cell >= 90 ? psprintf("%s of row", FmtPct(share)) : FmtPct(share));
			}
		}
	}
	SvgEnd(pg);
}

/* ================================================================ jsonb */

/* Small readers of the stored jsonb: a missing key reads as NULL / NaN. */

JsonbContainer *
JRoot(Datum d, bool isnull)
{
	return isnull ? NULL : &DatumGetJsonbP(d)->root;
}

bool
JGet(JsonbContainer *c, const char *key, JsonbValue *out)
{
	if (c == NULL || !JsonContainerIsObject(c))
		return false;
	return getKeyJsonValueFromContainer(c, key, strlen(key), out) != NULL;
}

double
JValNum(const JsonbValue *v)
{
	if (v->type == jbvNumeric)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (v->type == jbvBool)
		return v->val.boolean ? 1 : 0;
	return NAN;
}

char *
JValStr(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return v->val.boolean ? "true" : "false";
		case jbvBinary:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		default:
			return NULL;
	}
}

JsonbContainer *
JSub(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	if (!JGet(c, key, &v) || v.type != jbvBinary)
		return NULL;
	return v.val.binary.data;
}

double
JNum(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	return JGet(c, key, &v) ? JValNum(&v) : NAN;
}

char *
JStr(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	return JGet(c, key, &v) ? JValStr(&v) : NULL;
}

int
JLen(JsonbContainer *c)
{
	return c && JsonContainerIsArray(c) ? (int) JsonContainerSize(c) : 0;
}

JsonbContainer *
JAt(JsonbContainer *c, int i)
{
	JsonbValue *v = c ? getIthJsonbValueFromContainer(c, i) : NULL;

	return v && v->type == jbvBinary ? v->val.binary.data : NULL;
}

double
JAtNum(JsonbContainer *c, int i)
{
	JsonbValue *v = c ? getIthJsonbValueFromContainer(c, i) : NULL;

	return v ? JValNum(v) : NAN;
}

char *
JAtStr(JsonbContainer *c, int i)
{
	JsonbValue *v = c ? getIthJsonbValueFromContainer(c, i) : NULL;

	return v ? JValStr(v) : NULL;
}

/* JNums reads a numeric array (NaN for nulls); returns its length */
int
JNums(JsonbContainer *c, double **out)
{
	int			n = JLen(c);

	*out = palloc((n + 1) * sizeof(double));
	for (int i = 0; i < n; i++)
		(*out)[i] = JAtNum(c, i);
	return n;
}

/* JPairs lists the keys and values of an object, in stored order */
int
JPairs(JsonbContainer *c, JPair **out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0,
				cap = 8;
	char	   *key = NULL;

	*out = palloc(cap * sizeof(JPair));
	if (c == NULL || !JsonContainerIsObject(c))
		return 0;
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			if (n == cap)
			{
				cap *= 2;
				*out = repalloc(*out, cap * sizeof(JPair));
			}
			(*out)[n].key = key;
			(*out)[n].val = v;
			n++;
		}
	}
	return n;
}

/* JCell formats a json value for a table cell */
char *
JCell(const JsonbValue *v)
{
	if (v->type == jbvNumeric)
		return FmtNum(JValNum(v));
	if (v->type == jbvNull)
		return "\xE2\x80\x93";
	return JValStr(v);
}

/*
 * ObjectTable renders an array of objects as a table: one column per key
 * (in order of first appearance), one row per object.  A key named in
 * flag_key that is true marks the row.
 */
void
ObjectTable(HtmlPage *pg, JsonbContainer *arr, const char *flag_key)
{
	StringInfo	s = &pg->s;
	int			n = JLen(arr),
				nk = 0;
	char	  **keys = palloc(64 * sizeof(char *));

	for (int i = 0; i < n; i++)
	{
		JPair	   *pairs;
		int			np = JPairs(JAt(arr, i), &pairs);

		for (int p = 0; p < np && nk < 64; p++)
		{
			bool		seen = false;

			for (int q = 0; q < nk && !seen; q++)
				seen = strcmp(keys[q], pairs[p].key) == 0;
			if (!seen)
				keys[nk++] = pairs[p].key;
		}
	}
	appendStringInfoString(s, "<div class=\"scroll\"><table>\n<tr>");
	for (int q = 0; q < nk; q++)
	{
		appendStringInfoString(s, "<th>");
		XmlAppend(s, keys[q]);
		appendStringInfoString(s, "</th>");
	}
	appendStringInfoString(s, "</tr>\n");
	for (int i = 0; i < n; i++)
	{
		JsonbContainer *o = JAt(arr, i);
		bool		flagged = flag_key && JNum(o, flag_key) == 1;

		appendStringInfoString(s, "<tr>");
		for (int q = 0; q < nk; q++)
		{
			JsonbValue	v;
			bool		have = JGet(o, keys[q], &v);
			bool		num = have && v.type == jbvNumeric;

			appendStringInfoString(s, num ? "<td class=\"n\">" : "<td>");
			if (flagged && strcmp(keys[q], flag_key) == 0)
				appendStringInfoString(s, "<span class=\"flag\">\xE2\x9A\xA0 yes</span>");
			else if (have)
				XmlAppend(s, JCell(&v));
			appendStringInfoString(s, "</td>");
		}
		appendStringInfoString(s, "</tr>\n");
	}
	appendStringInfoString(s, "</table></div>\n");
}

char *
SpiText(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

double
SpiFloat(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NAN : DatumGetFloat8(d);
}

int64
SpiInt64(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

int
SpiInt32(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

bool
SpiBool(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* SpiJsonb copies a jsonb column out of SPI's memory */
JsonbContainer *
SpiJsonb(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	if (isnull)
		return NULL;
	return JRoot(PointerGetDatum(PG_DETOAST_DATUM_COPY(d)), false);
}

/* B appends text in bold */
void
B(StringInfo s, const char *text)
{
	appendStringInfoString(s, "<b>");
	XmlAppend(s, text);
	appendStringInfoString(s, "</b>");
}

void
Card(StringInfo s, const char *k, const char *v, const char *d)
{
	appendStringInfoString(s, "<div class=\"card\"><div class=\"k\">");
	XmlAppend(s, k);
	appendStringInfoString(s, "</div><div class=\"v\">");
	XmlAppend(s, v);
	appendStringInfoString(s, "</div><div class=\"d\">");
	XmlAppend(s, d);
	appendStringInfoString(s, "</div></div>\n");
}
