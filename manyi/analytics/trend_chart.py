"""The index per wave as an SVG line chart: one line per construct, the bootstrap interval
as a bar at each point, a ring where the change from the wave before is significant
(no Django; the text is escaped here, so the page may embed the result)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

PALETTE = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16a085", "#7f8c8d")
WIDTH, HEIGHT = 720, 340
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 96


@dataclass(frozen=True)
class Point:
    index: float | None
    low: float | None = None
    high: float | None = None
    significant: bool = False


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[Point]  # one per wave, in the waves' order
    emphasis: bool = False  # the target construct: drawn thicker


def _range(series: Sequence[Series]) -> tuple[float, float]:
    values = [
        v for s in series for p in s.points for v in (p.index, p.low, p.high) if v is not None
    ]
    if not values:
        return 0.0, 100.0
    low, high = max(0.0, min(values) - 3), min(100.0, max(values) + 3)
    if high - low < 10:  # a flat trend still gets a readable scale
        middle = (low + high) / 2
        low, high = max(0.0, middle - 5), min(100.0, middle + 5)
    return float(int(low)), float(int(high + 0.999))


def trend_svg(waves: Sequence[str], series: Sequence[Series], *, title: str = "") -> str:
    low, high = _range(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    inset = 44  # half a wave's name, so the first and last names stay inside
    step = (plot_w - 2 * inset) / (len(waves) - 1) if len(waves) > 1 else 0.0

    def x(i: int) -> float:
        return LEFT + (inset + i * step if len(waves) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="trend-chart" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">'
    ]
    ticks = 5
    for t in range(ticks + 1):
        value = low + (high - low) * t / ticks
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" class="tick" '
            f'text-anchor="end">{value:.0f}</text>'
        )
    for i, wave in enumerate(waves):
        parts.append(
            f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" class="tick" '
            f'text-anchor="middle">{escape(wave)}</text>'
        )
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        width = 3 if line.emphasis else 1.6
        drawn = [(i, p) for i, p in enumerate(line.points) if p.index is not None]
        if len(drawn) > 1:
            path = " ".join(
                f"{'M' if k == 0 else 'L'}{x(i):.1f},{y(p.index):.1f}"  # type: ignore[arg-type]
                for k, (i, p) in enumerate(drawn)
            )
            parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width}"/>')
        for i, p in drawn:
            if p.low is not None and p.high is not None:
                parts.append(
                    f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(p.low):.1f}" '
                    f'y2="{y(p.high):.1f}" stroke="{colour}" stroke-width="1" class="interval"/>'
                )
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(p.index):.1f}" r="{4 if line.emphasis else 3}" '  # type: ignore[arg-type]
                f'fill="{colour}"><title>{escape(line.label)} {escape(waves[i])}: '
                f"{p.index:.1f}</title></circle>"
            )
            if p.significant:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(p.index):.1f}" r="8" fill="none" '  # type: ignore[arg-type]
                    f'stroke="{colour}" stroke-width="1.5" class="significant"/>'
                )
    # The legend below the plot, three to a row.
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        row, column = divmod(number, 3)
        lx, ly = LEFT + column * (plot_w / 3), TOP + plot_h + 40 + row * 18
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly - 9:.1f}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{lx + 18:.1f}" y="{ly - 4:.1f}" class="legend">{escape(line.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
