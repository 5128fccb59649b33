"""The strategy matrix as an SVG picture (no Django, no JavaScript).

Drawn on the server so the page, the PDF and a printed board paper show the same chart,
and the page works without scripts. Importance runs right, performance up; the two cut
lines divide it into seed 000's four areas, each tinted and named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from html import escape

from .ipma import QUADRANTS

AREA_COLOURS = {
    "advantage": "#e3f1e6",
    "weakness": "#fbe3de",
    "low_priority": "#eef0f3",
    "complex": "#fff4d6",
}


def area_titles(language: str) -> dict[str, str]:
    """The names of the four areas, as the ranking table names them."""
    key = "zh" if language.lower().startswith("zh") else "en"
    return {area: names[key] for area, names in QUADRANTS.items()}


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


def matrix_range(points: Sequence[Point], importance_cut: float, performance_cut: float) -> Range:
    """Room for every point and both cuts; x starts at 0 unless a driver hurts, y is
    rounded out to tens within 0-100."""
    x_max = max([p.importance for p in points] + [importance_cut]) * 1.15 or 1.0
    x_min = min([0.0] + [p.importance * 1.15 for p in points])
    perf = [p.performance for p in points] + [performance_cut]
    y_min = max(0.0, (min(perf) // 10) * 10 - 10)
    y_max = min(100.0, (max(perf) // 10) * 10 + 10)
    if y_max <= y_min:
        y_min, y_max = 0.0, 100.0
    return Range(x_min, x_max, y_min, y_max)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / count
    return [low + step * k for k in range(count + 1)]


def strategy_matrix_svg(
    points: Sequence[Point],
    *,
    importance_cut: float,
    performance_cut: float,
    language: str = "zh",
    width: int = 640,
    height: int = 440,
) -> str:
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
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="strategy-matrix" '
        f'aria-label="{escape("满意度战略矩阵" if zh else "Strategy matrix")}" '
        "font-family=\"system-ui, 'Noto Sans CJK SC', 'PingFang SC', sans-serif\">",
    ]
    areas = [
        ("complex", left, top, cx - left, cy - top),
        ("advantage", cx, top, left + plot_w - cx, cy - top),
        ("low_priority", left, cy, cx - left, top + plot_h - cy),
        ("weakness", cx, cy, left + plot_w - cx, top + plot_h - cy),
    ]
    for key, x, y, w, h in areas:
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
            f'fill="{AREA_COLOURS[key]}" data-area="{key}"/>'
        )
        anchor_x = x + 6 if key in ("complex", "low_priority") else x + w - 6
        anchor = "start" if key in ("complex", "low_priority") else "end"
        label_y = y + 16 if key in ("complex", "advantage") else y + h - 8
        parts.append(
            f'<text x="{anchor_x:.1f}" y="{label_y:.1f}" font-size="12" fill="#555" '
            f'text-anchor="{anchor}">{escape(titles[key])}</text>'
        )
    parts.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>'
    )
    parts.append(
        f'<line x1="{cx:.1f}" y1="{top}" x2="{cx:.1f}" y2="{top + plot_h}" stroke="#888" '
        'stroke-dasharray="5 4"/>'
    )
    parts.append(
        f'<line x1="{left}" y1="{cy:.1f}" x2="{left + plot_w}" y2="{cy:.1f}" stroke="#888" '
        'stroke-dasharray="5 4"/>'
    )
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
    for p in points:
        x, y = sx(p.importance), sy(p.performance)
        parts.append(
            f'<g class="driver" data-quadrant="{escape(p.quadrant)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#1f5fa8" stroke="#fff"/>'
            f'<text x="{x + 9:.1f}" y="{y + 4:.1f}" font-size="12">{escape(p.label)}</text>'
            f"<title>{escape(p.label)}: {p.importance:.3f} / {p.performance:.1f}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
