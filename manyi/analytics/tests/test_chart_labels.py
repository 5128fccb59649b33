"""The strategy matrix's labels: never on top of each other, never past the plot, and a
number with a legend line for every point whose label finds no room."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics.charts import (
    SPOTS,
    Box,
    Point,
    place_labels,
    strategy_matrix_svg,
    text_width,
    wrap,
)

AREA = Box(66, 26, 548, 360)
WORDS = st.text(alphabet=st.sampled_from("满意度等候时间柜员态度ABCWmxyz0123 ()-"), max_size=24)
ANCHOR = st.tuples(
    st.floats(AREA.x, AREA.right, allow_nan=False), st.floats(AREA.y, AREA.bottom, allow_nan=False)
)
POINTS = st.lists(st.tuples(ANCHOR, WORDS), max_size=40)
OBSTACLES = st.lists(
    st.builds(
        Box,
        st.floats(AREA.x, AREA.right - 100),
        st.floats(AREA.y, AREA.bottom - 15),
        st.floats(20, 100),
        st.just(14.4),
    ),
    max_size=4,
)


def _check(layout, anchors, texts, area, obstacles, radius=6.0, size=12.0):
    assert len(layout.labels) == len(anchors)
    boxes = [lab.box for lab in layout.labels if lab.box is not None]
    for box in boxes:
        assert box.inside(area), box
        for x, y in anchors:
            assert not box.overlaps(Box(x - radius, y - radius, 2 * radius, 2 * radius))
        assert not any(box.overlaps(o) for o in obstacles)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    numbers = [lab.number for lab in layout.labels if lab.number is not None]
    assert numbers == list(range(1, len(numbers) + 1))  # numbered in the points' order
    assert [n for n, _ in layout.legend] == numbers
    legend = dict(layout.legend)
    for lab, text in zip(layout.labels, texts, strict=True):
        if lab.number is None:  # labelled: its own text, in a box that holds it
            assert lab.text == text and lab.box is not None
            assert lab.box.w >= text_width(text, size) - 1e-9
        else:  # numbered: the legend names it
            assert lab.text == str(lab.number) and legend[lab.number] == text


@settings(max_examples=80)
@given(POINTS, OBSTACLES)
def test_placed_labels_never_overlap_nor_leave_the_plot(points, obstacles):
    anchors = [a for a, _ in points]
    texts = [t for _, t in points]
    layout = place_labels(anchors, texts, AREA, obstacles=obstacles, max_width=AREA.w / 3)
    _check(layout, anchors, texts, AREA, obstacles)
    again = place_labels(anchors, texts, AREA, obstacles=obstacles, max_width=AREA.w / 3)
    assert again == layout  # deterministic


@settings(max_examples=40)
@given(POINTS)
def test_excel_labels_keep_to_the_four_sides_excel_offers(points):
    anchors = [a for a, _ in points]
    texts = [t for _, t in points]
    sides = ("right", "left", "above", "below")
    layout = place_labels(anchors, texts, AREA, spots=sides, reach=False, radius=5)
    _check(layout, anchors, texts, AREA, [], radius=5)
    assert {lab.spot for lab in layout.labels if lab.box is not None} <= set(sides)
    assert not any(lab.leader for lab in layout.labels)


def test_a_crowd_is_numbered_and_every_number_finds_room():
    """Thirty points on one spot: a few names fit around it, the rest are numbered, and
    each number sits somewhere in the plot, joined to its point by a leader line."""
    anchors = [(300.0, 200.0)] * 30
    texts = [f"第{k}题：柜员办理业务的效率" for k in range(30)]
    layout = place_labels(anchors, texts, AREA)
    _check(layout, anchors, texts, AREA, [])
    named = [lab for lab in layout.labels if lab.number is None]
    assert 1 <= len(named) <= len(SPOTS) and len(layout.legend) == 30 - len(named)
    assert all(lab.box is not None for lab in layout.labels)
    assert any(lab.leader for lab in layout.labels)


def test_a_label_too_long_for_the_chart_is_numbered_not_cut():
    text = "您对本网点柜员在办理业务过程中的服务态度、专业水平和办理效率的总体评价"
    layout = place_labels([(300.0, 200.0)], [text], AREA, max_width=AREA.w / 3)
    assert layout.labels[0].number == 1 and layout.legend == [(1, text)]


def test_chinese_counts_full_width_and_the_estimate_errs_wide():
    assert text_width("满意度", 12) == pytest.approx(36)
    assert text_width("（）：", 10) == pytest.approx(30)  # full-width punctuation
    assert text_width("iii", 12) < text_width("MMM", 12) < text_width("满满满", 12)
    fonts = [
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    ]
    fonts = [f for f in fonts if f.is_file()]
    if not fonts:
        pytest.skip("neither DejaVu Sans nor WenQuanYi Micro Hei is installed to measure")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    samples = [chr(c) for c in range(32, 127)] + ["满意度", "α", "✓", "（", "Quality 质量"]
    for k, path in enumerate(fonts):
        name = f"measure{k}"
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        for text in samples:
            assert pdfmetrics.stringWidth(text, name, 12) <= text_width(text, 12) + 0.05, text


def test_wrapped_lines_fit_their_width():
    text = "12  您对本网点柜员在办理业务过程中的服务态度 and the waiting time 的总体评价"
    lines = wrap(text, 150, 11)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(text_width(line, 11) <= 150 for line in lines) and len(lines) > 1


def _boxes(svg: str, cls: str) -> list[Box]:
    root = ET.fromstring(svg)
    found = []
    for element in root.iter("{http://www.w3.org/2000/svg}text"):
        if cls in element.get("class", "").split():
            found.append(Box(*(float(v) for v in element.get("data-box").split())))
    return found


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(WORDS, st.floats(0, 0.5), st.floats(20, 100)),
        min_size=1,
        max_size=30,
    )
)
def test_the_svg_says_where_each_label_is_and_they_all_fit(rows):
    points = [Point(label, imp, perf, "weakness") for label, imp, perf in rows]
    cut_i = sum(p.importance for p in points) / len(points)
    cut_p = sum(p.performance for p in points) / len(points)
    svg = strategy_matrix_svg(points, importance_cut=cut_i, performance_cut=cut_p)
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    view = Box(0, 0, width, height)
    labels = _boxes(svg, "label")
    titles = _boxes(svg, "area-title")
    legend = _boxes(svg, "legend")
    for box in labels + titles + legend:
        assert box.inside(view), box
    for a, b in itertools.combinations(labels + titles, 2):
        assert not a.overlaps(b), (a, b)
    assert svg.count('class="driver"') == len(points)
    numbers = len(_boxes(svg, "number"))
    named = len(labels) - numbers
    first_lines = svg.count("data-number=")
    assert named + first_lines == len(points)  # every point: named, or in the legend


def test_the_item_matrix_of_a_real_ranking_is_labelled_with_question_text():
    items = [
        ("维修后回访及时性", 57.06, 0.208),
        ("维修时间安排", 67.49, 0.224),
        ("对故障的诊断水平", 51.53, 0.112),
        ("用户验收", 61.98, 0.141),
        ("有效解决产品故障", 66.93, 0.117),
        ("听取用户对故障的描述", 69.57, 0.123),
        ("对服务投诉的处理", 35.76, 0.079),
        ("建立用户档案", 66.25, 0.099),
    ]
    points = [Point(label, impact, score, "weakness") for label, score, impact in items]
    svg = strategy_matrix_svg(points, importance_cut=0.138, performance_cut=59.6)
    for label, _, _ in items:
        assert f">{label}</text>" in svg or f"  {label}</text>" in svg, label
    assert 'class="label"' in svg and "data-box=" in svg
