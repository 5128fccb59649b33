"""The strategy matrix as an SVG picture (no Django, no JavaScript).

Drawn on the server so the page, the PDF and a printed board paper show the same chart,
and the page works without scripts. Importance runs right, performance up; the two cut
lines divide it into seed 000's four areas, each tinted and named.

Labels are placed by `place_labels` (shared with the PDF and the Excel chart): every label
keeps clear of the other labels, the markers and the area names and stays inside the plot;
a point whose label finds no room is numbered, and the legend under the chart names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass
from html import escape

from .ipma import QUADRANTS

AREA_COLOURS = {
    "advantage": "#e3f1e6",
    "weakness": "#fbe3de",
    "low_priority": "#eef0f3",
    "complex": "#fff4d6",
}
# A label's box, in font sizes, above and below the baseline: the line metrics of Noto
# Sans CJK (1.16 and 0.288 em), the tallest of the fonts the chart is drawn in, so even a
# browser's text box (getBBox, which spans the font's whole line, not just the ink) stays
# inside it.
ASCENT, DESCENT = 1.16, 0.29
# Widths (in font sizes) of the ASCII characters, rounded up over DejaVu Sans (the
# browser's usual sans-serif on Linux) and WenQuanYi Micro Hei (the PDF's font).
_ASCII_EM = {
    c: em
    for em, chars in (
        (0.30, "'ijlJ"),
        (0.35, ",. :;I"),
        (0.40, "f-/\\()[]t"),
        (0.45, "!r"),
        (0.50, '"_'),
        (0.55, "szc?"),
        (0.60, "*|LF`kvxy"),
        (0.65, "PTYoaeEhnubdgpqS0123456789${}"),
        (0.70, "KAVXZBRC"),
        (0.75, "UN"),
        (0.80, "HDG&OQ"),
        (0.85, "w#+<=>^~"),
        (0.90, "M"),
        (0.95, "%"),
        (1.00, "mW@"),
    )
    for c in chars
}
Measure = Callable[[str, float], float]


def area_titles(language: str) -> dict[str, str]:
    """The names of the four areas, as the ranking table names them."""
    key = "zh" if language.lower().startswith("zh") else "en"
    return {area: names[key] for area, names in QUADRANTS.items()}


# Boxes are written to a tenth of a unit (`data-box`): kept half a unit apart, two boxes
# that merely abut can never overlap once rounded.
SEPARATION = 0.5


@dataclass(frozen=True)
class Point:
    label: str
    importance: float
    performance: float
    quadrant: str


@dataclass(frozen=True)
class Range:
    """The axes of a strategy matrix: importance (x) and performance on 0-100 (y)."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float


@dataclass(frozen=True)
class Box:
    """A rectangle with y growing downwards (SVG's way): x, y is its top-left corner."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        """True when the two share area (or come closer than `gap`); touching is not."""
        return (
            self.x < other.right + gap
            and other.x < self.right + gap
            and self.y < other.bottom + gap
            and other.y < self.bottom + gap
        )

    def inside(self, other: Box) -> bool:
        eps = 1e-9
        return (
            self.x >= other.x - eps
            and self.y >= other.y - eps
            and self.right <= other.right + eps
            and self.bottom <= other.bottom + eps
        )


@dataclass(frozen=True)
class Label:
    """What is written beside one point: its label, or its number (`number` set).

    `box` is the room the text may take (None: not even the number found room; the
    legend still names the point); the text starts, centres or ends at `x` (`align`
    "start", "middle", "end") on the baseline `y`. `leader`: set apart from its point,
    so a thin line joins them; `spot` says where it is (one of SPOTS, or "far")."""

    text: str
    number: int | None
    box: Box | None
    x: float = 0.0
    y: float = 0.0
    align: str = "start"
    leader: bool = False
    spot: str = ""  # which of SPOTS, or "far"


@dataclass(frozen=True)
class Layout:
    labels: list[Label]  # one per point, in the points' order
    legend: list[tuple[int, str]]  # (number, full label) of the numbered points


def text_width(text: str, size: float) -> float:
    """An upper estimate of the drawn width: ASCII by a width table, every other
    character (CJK, full-width punctuation, symbols) as a full em."""
    return size * sum(_ASCII_EM.get(c, 0.65) if c.isascii() else 1.0 for c in text)


# The spots around a marker, in the cartographers' order of preference: right, left, the
# four corners (right side first), above, below.
SPOTS = (
    "right",
    "left",
    "above-right",
    "below-right",
    "above-left",
    "below-left",
    "above",
    "below",
)


def _candidates(
    px: float, py: float, w: float, h: float, radius: float, gap: float, spots: Sequence[str]
) -> Iterator[tuple[Box, str, str]]:
    """(box, text alignment, spot) for each of `spots` around a marker."""
    side = radius + gap
    corner = radius * 0.75 + gap
    boxes = {
        "right": (Box(px + side, py - h / 2, w, h), "start"),
        "left": (Box(px - side - w, py - h / 2, w, h), "end"),
        "above-right": (Box(px + corner, py - corner - h, w, h), "start"),
        "below-right": (Box(px + corner, py + corner, w, h), "start"),
        "above-left": (Box(px - corner - w, py - corner - h, w, h), "end"),
        "below-left": (Box(px - corner - w, py + corner, w, h), "end"),
        "above": (Box(px - w / 2, py - side - h, w, h), "middle"),
        "below": (Box(px - w / 2, py + side, w, h), "middle"),
    }
    for name in spots:
        box, align = boxes[name]
        yield box, align, name


def _anywhere(
    px: float, py: float, w: float, h: float, area: Box
) -> Iterator[tuple[Box, str, str]]:
    """Every spot of the plot on a grid of half a line, nearest to the point first."""
    step = max(h / 2, 1.0)
    columns = max(0, int((area.w - w) // step)) + 1
    rows = max(0, int((area.h - h) // step)) + 1
    spots = [
        Box(min(area.x + i * step, area.right - w), min(area.y + j * step, area.bottom - h), w, h)
        for i in range(columns)
        for j in range(rows)
    ]
    spots.sort(key=lambda b: ((b.x + w / 2 - px) ** 2 + (b.y + h / 2 - py) ** 2, b.x, b.y))
    for box in spots:
        yield box, "middle", "far"


def place_labels(
    anchors: Sequence[tuple[float, float]],
    texts: Sequence[str],
    area: Box,
    *,
    size: float = 12.0,
    radius: float = 6.0,
    obstacles: Sequence[Box] = (),
    measure: Measure = text_width,
    max_width: float | None = None,
    padding: float = 1.0,
    spots: Sequence[str] = SPOTS,
    reach: bool = True,
) -> Layout:
    """Place the label of each point (y grows downwards) inside `area`, clear of the
    other labels (by `padding`), of every marker (a square of `radius`) and of `obstacles`.

    Greedy on candidate spots: in the points' order (the caller puts the most important
    first), each label takes the first free one of `spots` next to its marker, then (with
    `reach`) of the same a line further out, joined by a leader line. A label that finds
    none, or is wider than `max_width`, gives way to a number, placed the same way or
    (with `reach`) on the nearest free spot of the plot; the legend names the numbered
    points. Why greedy: it is deterministic, fast for the few dozen points of a survey,
    and every constraint is checked, not hoped for; what it misses (which an annealing
    search might still fit) is numbered rather than squeezed, so the chart stays legible.
    """
    height = size * (ASCENT + DESCENT)
    markers = [Box(x - radius, y - radius, 2 * radius, 2 * radius) for x, y in anchors]
    placed: list[Box] = []
    fixed = list(obstacles)
    limit = area.w if max_width is None else min(max_width, area.w)

    def free(box: Box) -> bool:
        return (
            box.inside(area)
            and not any(box.overlaps(b, padding) for b in placed)
            and not any(box.overlaps(b, SEPARATION) for b in fixed)
            and not any(box.overlaps(m, SEPARATION) for m in markers)
        )

    def find(px: float, py: float, w: float, numbered: bool) -> tuple[Box, str, str] | None:
        rings = [_candidates(px, py, w, height, radius, 2.0, spots)]
        if reach:
            rings.append(_candidates(px, py, w, height, radius, 2.0 + height, spots))
            if numbered:
                rings.append(_anywhere(px, py, w, height, area))
        for far, ring in enumerate(rings):
            for box, align, name in ring:
                if free(box):
                    return box, align, name if not far else "far"
        return None

    def label(text: str, number: int | None, found: tuple[Box, str, str] | None) -> Label:
        if found is None:
            return Label(text, number, None)
        box, align, name = found
        x = {"start": box.x, "middle": box.x + box.w / 2, "end": box.right}[align]
        placed.append(box)
        return Label(text, number, box, x, box.y + size * ASCENT, align, name == "far", name)

    labels: list[Label | None] = []
    for (px, py), text in zip(anchors, texts, strict=True):
        w = measure(text, size)
        found = find(px, py, w, numbered=False) if w <= limit and text else None
        labels.append(label(text, None, found) if found else None)
    legend: list[tuple[int, str]] = []
    for k, ((px, py), text) in enumerate(zip(anchors, texts, strict=True)):
        if labels[k] is not None:
            continue
        number = len(legend) + 1
        legend.append((number, text))
        tag = str(number)
        labels[k] = label(tag, number, find(px, py, measure(tag, size), numbered=True))
    return Layout([lab for lab in labels if lab is not None], legend)


def wrap(text: str, width: float, size: float, measure: Measure = text_width) -> list[str]:
    """Lines of `text` no wider than `width` (by `measure`): at spaces where there are
    any, else between any two characters (Chinese has no spaces)."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(text):
        trial = line + piece
        if line and measure(trial.rstrip(), size) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line = trial
        while measure(line.rstrip(), size) > width and len(line) > 1:
            cut = max(1, _fit(line, width, size, measure))
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _pieces(text: str) -> Iterator[str]:
    word = ""
    for c in text:
        if c.isascii() and not c.isspace():
            word += c
            continue
        if word:
            yield word
            word = ""
        yield c
    if word:
        yield word


def _fit(line: str, width: float, size: float, measure: Measure) -> int:
    k = len(line)
    while k > 1 and measure(line[:k], size) > width:
        k -= 1
    return k


def matrix_range(points: Sequence[Point], importance_cut: float, performance_cut: float) -> Range:
    """Room for every point and both cuts; x starts at 0 unless a driver hurts, y is
    rounded out to tens within 0-100 (beyond it only when a score is: a negative item
    weight can put one there)."""
    x_max = max([0.0, importance_cut] + [p.importance * 1.15 for p in points])
    x_min = min([0.0, importance_cut] + [p.importance * 1.15 for p in points])
    if x_max <= x_min:  # no driver has any effect: a unit axis
        x_max = x_min + 1.0
    perf = [p.performance for p in points] + [performance_cut]
    low, high = min(perf), max(perf)
    y_min = (low // 10) * 10 - 10
    y_max = (high // 10) * 10 + 10
    y_min = max(0.0, y_min) if low >= 0 else y_min
    y_max = min(100.0, y_max) if high <= 100 else y_max
    if y_max <= y_min:
        y_min, y_max = 0.0, 100.0
    return Range(x_min, x_max, y_min, y_max)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / count
    return [low + step * k for k in range(count + 1)]


def _box_attr(box: Box) -> str:
    return f'data-box="{box.x:.1f} {box.y:.1f} {box.w:.1f} {box.h:.1f}"'


def _leader(px: float, py: float, box: Box) -> tuple[float, float]:
    """The point of `box` nearest to (px, py): where a leader line meets the label."""
    return min(max(px, box.x), box.right), min(max(py, box.y), box.bottom)


def area_title_box(
    key: str,
    area: Box,
    w: float,
    markers: Sequence[Box],
    *,
    size: float = 12.0,
    margin: float = 6.0,
) -> Box | None:
    """Where an area's name (`w` wide) goes: its outer corner unless a marker sits there,
    then the area's other corners; None when the area is too small for it."""
    h = size * (ASCENT + DESCENT)
    if w + 2 * margin > area.w or h + 2 * margin > area.h:
        return None
    xs = [area.x + margin, area.right - margin - w]
    ys = [area.y + margin * 2 / 3, area.bottom - margin * 2 / 3 - h]
    outer_x = 0 if key in ("complex", "low_priority") else 1
    outer_y = 0 if key in ("complex", "advantage") else 1
    corners = [
        Box(xs[i], ys[j], w, h)
        for i, j in (
            (outer_x, outer_y),
            (1 - outer_x, outer_y),
            (outer_x, 1 - outer_y),
            (1 - outer_x, 1 - outer_y),
        )
    ]
    return next((b for b in corners if not any(b.overlaps(m) for m in markers)), corners[0])


def strategy_matrix_svg(
    points: Sequence[Point],
    *,
    importance_cut: float,
    performance_cut: float,
    language: str = "zh",
    width: int = 640,
    height: int = 440,
) -> str:
    """The matrix with every point's label (class "label", its room in `data-box` as
    "x y w h" in viewBox units) or, where none fits, its number and a legend line below
    the chart (class "legend"). Points come in order of importance to the reader: the
    first get their labels first."""
    zh = language.startswith("zh")
    titles = area_titles(language)
    left, right, top, bottom = 64, 24, 24, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    x_min, x_max, y_min, y_max = astuple(matrix_range(points, importance_cut, performance_cut))

    def sx(v: float) -> float:
        return left + (v - x_min) / (x_max - x_min) * plot_w

    def sy(v: float) -> float:
        return top + (y_max - v) / (y_max - y_min) * plot_h

    cx, cy = sx(importance_cut), sy(performance_cut)
    areas = [
        ("complex", left, top, cx - left, cy - top),
        ("advantage", cx, top, left + plot_w - cx, cy - top),
        ("low_priority", left, cy, cx - left, top + plot_h - cy),
        ("weakness", cx, cy, left + plot_w - cx, top + plot_h - cy),
    ]
    anchors = [(sx(p.importance), sy(p.performance)) for p in points]
    markers = [Box(x - 7, y - 7, 14, 14) for x, y in anchors]
    area_parts: list[str] = []
    obstacles: list[Box] = []
    for key, x, y, w, h in areas:
        w, h = max(w, 0), max(h, 0)
        area_parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{AREA_COLOURS[key]}" data-area="{key}"/>'
        )
        box = area_title_box(key, Box(x, y, w, h), text_width(titles[key], 12), markers)
        if box is None:
            continue  # an area too small for its name (the ranking table names it)
        obstacles.append(box)
        area_parts.append(
            f'<text class="area-title" x="{box.x:.1f}" y="{box.y + 12 * ASCENT:.1f}" '
            f'font-size="12" fill="#555" {_box_attr(box)}>{escape(titles[key])}</text>'
        )
    plot = Box(left + 2, top + 2, plot_w - 4, plot_h - 4)
    layout = place_labels(
        anchors, [p.label for p in points], plot, obstacles=obstacles, max_width=plot_w / 3
    )
    legend_lines: list[tuple[str, int | None]] = []
    for number, text in layout.legend:
        untagged = next(lab for lab in layout.labels if lab.number == number).box is None
        if untagged:  # no room even for the number: the legend says where the point is
            p = next(
                p for p, lab in zip(points, layout.labels, strict=True) if lab.number == number
            )
            text = f"{text} ({p.importance:.3f} / {p.performance:.1f})"
        for k, line in enumerate(wrap(f"{number}  {text}", width - 32, 11)):
            legend_lines.append((line, number if k == 0 else None))
    legend_h = 0 if not legend_lines else 10 + 16 * len(legend_lines)
    total_h = height + legend_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_h}" '
        f'role="img" class="strategy-matrix" '
        f'aria-label="{escape("满意度战略矩阵" if zh else "Strategy matrix")}" '
        "font-family=\"system-ui, 'Noto Sans CJK SC', 'PingFang SC', sans-serif\">",
        *area_parts,
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
        f'<line x1="{cx:.1f}" y1="{top}" x2="{cx:.1f}" y2="{top + plot_h}" stroke="#888" '
        'stroke-dasharray="5 4"/>',
        f'<line x1="{left}" y1="{cy:.1f}" x2="{left + plot_w}" y2="{cy:.1f}" stroke="#888" '
        'stroke-dasharray="5 4"/>',
    ]
    for v in _ticks(x_min, x_max):
        parts.append(
            f'<text x="{sx(v):.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle"'
            f' fill="#444">{v:.2f}</text>'
        )
    for v in _ticks(y_min, y_max):
        parts.append(
            f'<text x="{left - 8}" y="{sy(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#444">{v:.0f}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 10}" font-size="12" '
        f'text-anchor="middle">{escape("重要性（对目标的总效应）" if zh else "Importance")}</text>'
    )
    parts.append(
        f'<text x="16" y="{top + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + plot_h / 2:.1f})">'
        f"{escape('表现（0-100 得分）' if zh else 'Performance (0-100)')}</text>"
    )
    for p, (x, y), lab in zip(points, anchors, layout.labels, strict=True):
        parts.append(
            f'<g class="driver" data-quadrant="{escape(p.quadrant)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#1f5fa8" stroke="#fff"/>'
        )
        if lab.box is not None:
            if lab.leader:
                ex, ey = _leader(x, y, lab.box)
                parts.append(
                    f'<line class="leader" x1="{x:.1f}" y1="{y:.1f}" x2="{ex:.1f}" '
                    f'y2="{ey:.1f}" stroke="#1f5fa8" stroke-width="0.6"/>'
                )
            numbered = lab.number is not None
            style = ' fill="#1f5fa8"' if numbered else ""
            parts.append(
                f'<text class="label{" number" if numbered else ""}" x="{lab.x:.1f}" '
                f'y="{lab.y:.1f}" font-size="12" text-anchor="{lab.align}" '
                f"{_box_attr(lab.box)}{style}"
                f">{escape(lab.text)}</text>"
            )
        parts.append(
            f"<title>{escape(p.label)}: {p.importance:.3f} / {p.performance:.1f}</title></g>"
        )
    for k, (line, number) in enumerate(legend_lines):
        y = height + 16 * (k + 1)
        box = Box(16, y - 11 * ASCENT, text_width(line, 11), 11 * (ASCENT + DESCENT))
        attr = f' data-number="{number}"' if number is not None else ""
        parts.append(
            f'<text class="legend" x="16" y="{y}" font-size="11" fill="#333"{attr} '
            f"{_box_attr(box)}>{escape(line)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
