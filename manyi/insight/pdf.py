"""The PDF report of a run: what a manager takes to the board.

Built with reportlab from the stored result, in the reader's language, with the Adobe
Song CID font for Chinese (reportlab ships its metrics; PDF readers supply the glyphs, so
no font file is needed). Order follows the page: validity first, then the index, the
strategy matrix and the improvement ranking.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from manyi.analytics.charts import AREA_COLOURS, Point, area_titles, matrix_range

from .forms import SCHEMES
from .models import AnalysisRun
from .words import check_word, place

FONT = "STSong-Light"
CASES_LINE = gettext_noop(
    "%(n)s cases used of %(read)s; scheme %(scheme)s; bootstrap %(boot)s; seed %(seed)s."
)
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontName=FONT, fontSize=18),
        "h2": ParagraphStyle("h", parent=base["Heading2"], fontName=FONT, fontSize=13),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontName=FONT, fontSize=9.5),
        "cell": ParagraphStyle("c", parent=base["BodyText"], fontName=FONT, fontSize=8, leading=10),
    }


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde7f3")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _f(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _matrix(result: dict[str, Any], language: str, width: float = 160 * mm) -> Drawing:
    ipma = result["ipma"]
    labels = result.get("labels", {})
    points = [
        Point(
            labels.get(p["construct"], p["construct"]),
            p["importance"],
            p["performance"],
            p["quadrant"],
        )
        for p in ipma["constructs"]
    ]
    height = width * 0.62
    left, bottom, right, top = 40.0, 30.0, 10.0, 10.0
    plot_w, plot_h = width - left - right, height - bottom - top
    axes = matrix_range(points, ipma["cuts"]["importance"], ipma["cuts"]["performance"])
    x_min, x_max, y_min, y_max = axes.x_min, axes.x_max, axes.y_min, axes.y_max

    def sx(v: float) -> float:
        return left + (v - x_min) / (x_max - x_min) * plot_w

    def sy(v: float) -> float:
        return bottom + (v - y_min) / (y_max - y_min) * plot_h

    cx, cy = sx(ipma["cuts"]["importance"]), sy(ipma["cuts"]["performance"])
    drawing = Drawing(width, height)
    titles = area_titles(language)
    for key, x, y, w, h in (
        ("complex", left, cy, cx - left, bottom + plot_h - cy),
        ("advantage", cx, cy, left + plot_w - cx, bottom + plot_h - cy),
        ("low_priority", left, bottom, cx - left, cy - bottom),
        ("weakness", cx, bottom, left + plot_w - cx, cy - bottom),
    ):
        drawing.add(
            Rect(
                x,
                y,
                max(w, 0),
                max(h, 0),
                fillColor=colors.HexColor(AREA_COLOURS[key]),
                strokeColor=None,
            )
        )
        drawing.add(
            String(
                x + 4,
                y + max(h, 0) - 12,
                titles[key],
                fontName=FONT,
                fontSize=8,
                fillColor=colors.HexColor("#555555"),
            )
        )
    drawing.add(Line(cx, bottom, cx, bottom + plot_h, strokeDashArray=[3, 3]))
    drawing.add(Line(left, cy, left + plot_w, cy, strokeDashArray=[3, 3]))
    drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=None, strokeColor=colors.grey))
    for point in points:
        x, y = sx(point.importance), sy(point.performance)
        drawing.add(
            Circle(x, y, 3.5, fillColor=colors.HexColor("#1f5fa8"), strokeColor=colors.white)
        )
        drawing.add(
            String(
                x + 6,
                y - 3,
                point.label,
                fontName=FONT,
                fontSize=8,
            )
        )
    for k in range(6):
        value = y_min + (y_max - y_min) * k / 5
        drawing.add(
            String(
                left - 4, sy(value) - 3, f"{value:.0f}", fontName=FONT, fontSize=7, textAnchor="end"
            )
        )
        xv = x_min + (x_max - x_min) * k / 5
        drawing.add(
            String(sx(xv), bottom - 12, f"{xv:.2f}", fontName=FONT, fontSize=7, textAnchor="middle")
        )
    drawing.add(
        String(
            left + plot_w / 2,
            2,
            _("Importance (total effect on the target)"),
            fontName=FONT,
            fontSize=8,
            textAnchor="middle",
        )
    )
    return drawing


def run_pdf(run: AnalysisRun, language: str) -> bytes:
    result = run.result or {}
    styles = _styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=run.title
    )
    story: list[Any] = [Paragraph(escape(run.title), styles["title"])]
    labels = result.get("labels", {})
    story.append(
        Paragraph(
            escape(_(CASES_LINE))
            % {
                "n": result.get("n_used"),
                "read": result.get("data", {}).get("n_input"),
                "scheme": SCHEMES.get(result.get("scheme", ""), result.get("scheme")),
                "boot": run.options.get("bootstrap") or 0,
                "seed": run.options.get("seed") or 0,
            },
            styles["body"],
        )
    )
    story.append(Paragraph(_("Validity checks"), styles["h2"]))
    flags = result.get("flags", [])
    if flags:
        rows = [[_("Check"), _("Where"), _("Value"), _("Meaning")]]
        rows += [
            [
                Paragraph(escape(check_word(f["check"])), styles["cell"]),
                Paragraph(escape(place(f["where"], labels)), styles["cell"]),
                f["value"],
                Paragraph(escape(f["message"]), styles["cell"]),
            ]
            for f in flags
        ]
        story.append(_table(rows, [22 * mm, 38 * mm, 16 * mm, 98 * mm]))
    else:
        story.append(
            Paragraph(_("Every reliability and validity threshold is met."), styles["body"])
        )
    story.append(Spacer(1, 4 * mm))
    rows = [[_("Construct"), "α", "ρc", "ρA", "AVE", "Fornell-Larcker"]]
    for construct, values in result.get("reliability", {}).items():
        rows.append(
            [
                labels.get(construct, construct),
                _f(values["alpha"]),
                _f(values["rho_c"]),
                _f(values["rho_a"]),
                _f(values["ave"]),
                _("yes") if values["fornell_larcker"] else _("no"),
            ]
        )
    story.append(_table(rows))
    story.append(Paragraph(_("Satisfaction index (0-100)"), styles["h2"]))
    rows = [[_("Construct"), _("Index"), "R²"]]
    for construct, value in result.get("index", {}).items():
        rows.append(
            [
                labels.get(construct, construct),
                _f(value, 1),
                _f(result.get("r2", {}).get(construct)),
            ]
        )
    story.append(_table(rows))
    if result.get("ipma"):
        story.append(Paragraph(_("Strategy matrix"), styles["h2"]))
        story.append(_matrix(result, language))
        story.append(Paragraph(_("Improvement ranking"), styles["h2"]))
        rows = [[_("Rank"), _("Item"), _("Score"), _("Impact"), _("Recommendation")]]
        for item in result.get("priority", []):
            rows.append(
                [
                    item["rank"],
                    Paragraph(escape(str(item["label"])), styles["cell"]),
                    _f(item["score"], 1),
                    _f(item["impact"]),
                    Paragraph(escape(str(item["recommendation"])), styles["cell"]),
                ]
            )
        story.append(_table(rows, [12 * mm, 36 * mm, 14 * mm, 16 * mm, 96 * mm]))
    document.build(story)
    return buffer.getvalue()
