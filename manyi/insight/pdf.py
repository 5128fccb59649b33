"""The PDF report of a run: what a manager takes to the board.

Built with reportlab from the stored result, in the reader's language. The Chinese text is
set in WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, installed by scripts/sysdeps.sh),
embedded as a subset, so the report reads the same on any machine and in any viewer;
characters that font lacks (✗, some symbols) fall back to DejaVu Sans, also embedded. Only
when neither file is found does it fall back to the Adobe Song CID font, which leaves the
glyphs to the viewer (and says so in the log). Order follows the page: validity first,
then the index, the strategy matrices and the improvement ranking.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from manyi.analytics.charts import (
    AREA_COLOURS,
    ASCENT,
    Box,
    Point,
    area_title_box,
    area_titles,
    matrix_range,
    place_labels,
)

from .forms import SCHEMES
from .models import AnalysisRun
from .words import check_word, place

logger = logging.getLogger(__name__)

# (file, index in a collection): the first one present is used. TrueType outlines only:
# reportlab cannot embed CFF-based OpenType (Noto Sans CJK's .ttc is CFF).
CJK_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
SYMBOL_FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", 0),
)
FONT = "ManyiCJK"
SYMBOLS = "ManyiSymbols"
CID_FONT = "STSong-Light"
CASES_LINE = gettext_noop(
    "%(n)s cases used of %(read)s; scheme %(scheme)s; bootstrap %(boot)s; seed %(seed)s."
)
INK = colors.HexColor("#1f5fa8")


@functools.cache
def fonts() -> tuple[str, str | None]:
    """The registered names of the text font and of the symbol fallback (None: none)."""
    main = _register(FONT, CJK_FONTS)
    symbols = _register(SYMBOLS, SYMBOL_FONTS)
    if main is None:
        logger.warning(
            "No CJK TrueType font found (%s); the PDF falls back to the %s CID font, whose "
            "glyphs the viewer must supply. Install fonts-wqy-microhei (scripts/sysdeps.sh).",
            ", ".join(path for path, _index in CJK_FONTS),
            CID_FONT,
        )
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
        main = CID_FONT
    return main, symbols


def _register(name: str, candidates: Sequence[tuple[str, int]]) -> str | None:
    for path, index in candidates:
        if Path(path).is_file():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
            pdfmetrics.registerFontFamily(
                name, normal=name, bold=name, italic=name, boldItalic=name
            )
            return name
    return None


@functools.cache
def _covered(font: str) -> frozenset[int] | None:
    """The code points `font` has glyphs for (None: a CID font, assumed to have all)."""
    face = getattr(pdfmetrics.getFont(font), "face", None)
    cmap = getattr(face, "charToGlyph", None)
    return frozenset(cmap) if cmap is not None else None


def _runs(text: str) -> list[tuple[str, str]]:
    """`text` cut into (font, piece): the symbol font where the text font has no glyph."""
    main, symbols = fonts()
    covered = _covered(main)
    spare = _covered(symbols) if symbols else None
    runs: list[tuple[str, str]] = []
    for c in text:
        use = main
        if covered is not None and ord(c) not in covered and spare and ord(c) in spare:
            use = symbols or main
        if runs and runs[-1][0] == use:
            runs[-1] = (use, runs[-1][1] + c)
        else:
            runs.append((use, c))
    return runs


def _markup(text: object) -> str:
    """Paragraph markup of plain text, with the symbol font where it is needed."""
    main = fonts()[0]
    return "".join(
        escape(piece) if font == main else f'<font name="{font}">{escape(piece)}</font>'
        for font, piece in _runs(str(text))
    )


def _width(text: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(piece, font, size) for font, piece in _runs(text))


def _string(
    x: float, y: float, text: str, size: float, *, anchor: str = "start", colour: Any = None
) -> Group:
    """A line of text in a drawing, each piece in the font that has its glyphs."""
    total = _width(text, size)
    x -= {"start": 0.0, "middle": total / 2, "end": total}[anchor]
    group = Group()
    for font, piece in _runs(text):
        group.add(
            String(x, y, piece, fontName=font, fontSize=size, fillColor=colour or colors.black)
        )
        x += pdfmetrics.stringWidth(piece, font, size)
    return group


def _styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles, wrapping as Chinese does (between any two characters; Latin
    words are kept whole)."""
    font = fonts()[0]
    base = getSampleStyleSheet()
    common = {"fontName": font, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontSize=18, **common),
        "h2": ParagraphStyle("h", parent=base["Heading2"], fontSize=13, **common),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], fontSize=11, **common),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontSize=9.5, **common),
        "cell": ParagraphStyle("c", parent=base["BodyText"], fontSize=8, leading=10, **common),
    }


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    """A table whose every cell is a paragraph, so each character finds its font."""
    style = _styles()["cell"]
    cells = [
        [
            v if isinstance(v, Paragraph) else Paragraph(_markup("" if v is None else v), style)
            for v in row
        ]
        for row in rows
    ]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts()[0]),
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


def _matrix(
    points: Sequence[Point],
    cuts: dict[str, float],
    language: str,
    width: float = 160 * mm,
) -> tuple[Drawing, list[tuple[int, Point]]]:
    """The strategy matrix as a drawing, labelled as the page's SVG is (`place_labels`),
    and the numbered points for the legend table under it."""
    font = fonts()[0]
    height = width * 0.62
    left, bottom, right, top = 44.0, 30.0, 10.0, 10.0
    plot_w, plot_h = width - left - right, height - bottom - top
    axes = matrix_range(points, cuts["importance"], cuts["performance"])
    x_min, x_max, y_min, y_max = axes.x_min, axes.x_max, axes.y_min, axes.y_max

    def sx(v: float) -> float:
        return left + (v - x_min) / (x_max - x_min) * plot_w

    def sy(v: float) -> float:
        return bottom + (v - y_min) / (y_max - y_min) * plot_h

    def down(box: Box) -> Box:  # reportlab's y grows upwards, the layout's downwards
        return Box(box.x, height - box.bottom, box.w, box.h)

    cx, cy = sx(cuts["importance"]), sy(cuts["performance"])
    drawing = Drawing(width, height, initialFontName=font, initialFontSize=8)
    titles = area_titles(language)
    anchors = [(sx(p.importance), height - sy(p.performance)) for p in points]
    markers = [Box(x - 4.5, y - 4.5, 9, 9) for x, y in anchors]
    obstacles: list[Box] = []
    for key, x, y, w, h in (
        ("complex", left, cy, cx - left, bottom + plot_h - cy),
        ("advantage", cx, cy, left + plot_w - cx, bottom + plot_h - cy),
        ("low_priority", left, bottom, cx - left, cy - bottom),
        ("weakness", cx, bottom, left + plot_w - cx, cy - bottom),
    ):
        w, h = max(w, 0), max(h, 0)
        fill = colors.HexColor(AREA_COLOURS[key])
        drawing.add(Rect(x, y, w, h, fillColor=fill, strokeColor=None))
        title = titles[key]
        box = area_title_box(
            key, down(Box(x, y, w, h)), _width(title, 8), markers, size=8, margin=4
        )
        if box is not None:
            obstacles.append(box)
            up = down(box)
            drawing.add(
                _string(up.x, up.bottom - 8 * ASCENT, title, 8, colour=colors.HexColor("#555555"))
            )
    drawing.add(Line(cx, bottom, cx, bottom + plot_h, strokeDashArray=[3, 3]))
    drawing.add(Line(left, cy, left + plot_w, cy, strokeDashArray=[3, 3]))
    drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=None, strokeColor=colors.grey))
    layout = place_labels(
        anchors,
        [p.label for p in points],
        Box(left + 1, top + 1, plot_w - 2, plot_h - 2),
        size=8,
        radius=3.5,
        obstacles=obstacles,
        measure=_width,
        max_width=plot_w / 3,
    )
    numbered: list[tuple[int, Point]] = []
    for point, (x, y_down), label in zip(points, anchors, layout.labels, strict=True):
        y = height - y_down
        if label.box is not None:
            if label.leader:
                box = down(label.box)
                drawing.add(
                    Line(
                        x,
                        y,
                        min(max(x, box.x), box.right),
                        min(max(y, box.y), box.bottom),
                        strokeColor=INK,
                        strokeWidth=0.4,
                    )
                )
            drawing.add(
                _string(
                    label.x,
                    height - label.y,
                    label.text,
                    8,
                    anchor=label.align,
                    colour=INK if label.number else None,
                )
            )
        if label.number is not None:
            numbered.append((label.number, point))
    for x, y_down in anchors:  # markers last, over any leader line
        drawing.add(Circle(x, height - y_down, 3.5, fillColor=INK, strokeColor=colors.white))
    for k in range(6):
        value = y_min + (y_max - y_min) * k / 5
        drawing.add(
            String(
                left - 4, sy(value) - 3, f"{value:.0f}", fontName=font, fontSize=7, textAnchor="end"
            )
        )
        xv = x_min + (x_max - x_min) * k / 5
        drawing.add(
            String(sx(xv), bottom - 12, f"{xv:.2f}", fontName=font, fontSize=7, textAnchor="middle")
        )
    drawing.add(
        _string(
            left + plot_w / 2, 2, _("Importance (total effect on the target)"), 8, anchor="middle"
        )
    )
    axis = _string(0, 0, _("Performance (0-100 score)"), 8, anchor="middle")
    axis.transform = (0, 1, -1, 0, 10, bottom + plot_h / 2)  # turned a quarter, reading up
    drawing.add(axis)
    return drawing, numbered


def _legend(numbered: list[tuple[int, Point]], heading: str, styles: dict) -> list[Any]:
    """The table of the points the chart could only number."""
    if not numbered:
        return []
    rows: list[list[Any]] = [
        [pgettext("strategy matrix legend", "No."), heading, _("Importance"), _("Performance")]
    ]
    for number, point in numbered:
        rows.append([number, point.label, _f(point.importance), _f(point.performance, 1)])
    return [
        Paragraph(_markup(_("Points numbered on the chart")), styles["body"]),
        _table(rows, [12 * mm, 110 * mm, 22 * mm, 22 * mm]),
    ]


def run_pdf(run: AnalysisRun, language: str) -> bytes:
    result = run.result or {}
    styles = _styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        title=run.title,
        # The canvas starts in our font too: an unused Helvetica would still be listed
        # as a font the viewer must supply.
        initialFontName=fonts()[0],
    )
    story: list[Any] = [Paragraph(_markup(run.title), styles["title"])]
    labels = result.get("labels", {})
    story.append(
        Paragraph(
            _markup(
                _(CASES_LINE)
                % {
                    "n": result.get("n_used"),
                    "read": result.get("data", {}).get("n_input"),
                    "scheme": SCHEMES.get(result.get("scheme", ""), result.get("scheme")),
                    "boot": run.options.get("bootstrap") or 0,
                    "seed": run.options.get("seed") or 0,
                }
            ),
            styles["body"],
        )
    )
    story.append(Paragraph(_markup(_("Validity checks")), styles["h2"]))
    flags = result.get("flags", [])
    if flags:
        rows = [[_("Check"), _("Where"), _("Value"), _("Meaning")]]
        rows += [
            [check_word(f["check"]), place(f["where"], labels), f["value"], f["message"]]
            for f in flags
        ]
        story.append(_table(rows, [22 * mm, 38 * mm, 16 * mm, 98 * mm]))
    else:
        story.append(
            Paragraph(
                _markup(_("Every reliability and validity threshold is met.")), styles["body"]
            )
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
                f"✓ {_('yes')}" if values["fornell_larcker"] else f"✗ {_('no')}",
            ]
        )
    story.append(_table(rows))
    story.append(Paragraph(_markup(_("Satisfaction index (0-100)")), styles["h2"]))
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
    ipma = result.get("ipma")
    if ipma:
        points = [
            Point(
                labels.get(p["construct"], p["construct"]),
                p["importance"],
                p["performance"],
                p["quadrant"],
            )
            for p in ipma["constructs"]
        ]
        drawing, numbered = _matrix(points, ipma["cuts"], language)
        heading = Paragraph(_markup(_("Strategy matrix")), styles["h2"])
        # A chart stays on one page with its heading (the legend may follow overleaf).
        story += [KeepTogether([heading, drawing]), *_legend(numbered, _("Construct"), styles)]
        priority = result.get("priority", [])
        if priority and ipma.get("item_cuts"):
            items = [Point(p["label"], p["impact"], p["score"], p["quadrant"]) for p in priority]
            drawing, numbered = _matrix(items, ipma["item_cuts"], language)
            heading = Paragraph(_markup(_("The items on the strategy matrix")), styles["h3"])
            story += [KeepTogether([heading, drawing]), *_legend(numbered, _("Item"), styles)]
        story.append(Paragraph(_markup(_("Improvement ranking")), styles["h2"]))
        rows = [[_("Rank"), _("Item"), _("Score"), _("Impact"), _("Recommendation")]]
        for item in priority:
            rows.append(
                [
                    item["rank"],
                    item["label"],
                    _f(item["score"], 1),
                    _f(item["impact"]),
                    item["recommendation"],
                ]
            )
        story.append(_table(rows, [12 * mm, 36 * mm, 14 * mm, 16 * mm, 96 * mm]))
    document.build(story)
    return buffer.getvalue()
