"""The report says in words what the result keeps as codes: a flag's check and place, a
bootstrapped parameter's kind and name, the measurement mode, the options (the JSON keeps
the codes for analysts' scripts)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.utils import translation

from manyi.analytics.report import named
from manyi.insight import actions
from manyi.insight.tests.test_insight import DATA, ECSI_YAML
from manyi.insight.words import BOOTSTRAP_KINDS, CHECKS, MODES, report_words

CONSTRUCTS = {"Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"}


def test_names_of_parameters_and_places_read_the_labels():
    labels = {"Image": "企业形象", "Loyalty": "顾客忠诚"}
    assert named("Image -> Loyalty", labels) == "企业形象 → 顾客忠诚"
    assert named("Image ~ Loyalty", labels) == "企业形象 ~ 顾客忠诚"
    assert named("Image / IMAG2", labels) == "企业形象 / IMAG2"  # the item keeps its code
    assert named("Loyalty", labels) == "顾客忠诚"
    assert named("Unknown -> Image", labels) == "Unknown → 企业形象"


def test_every_code_has_words_in_both_languages():
    for language in ("zh-hans", "en"):
        words = report_words(language)
        assert set(words["check"]) == set(CHECKS) and set(words["kind"]) == set(BOOTSTRAP_KINDS)
        assert set(words["mode"]) == set(MODES) and {"path", "casewise"} <= (
            set(words["scheme"]) | set(words["missing"])
        )
        assert all(w and w not in CHECKS for w in words["check"].values())


def _column(sheet, heading: str) -> list[object]:
    rows = list(sheet.iter_rows(values_only=True))
    at = rows[0].index(heading)
    return [row[at] for row in rows[1:] if row[at] is not None]


@pytest.mark.django_db
def test_the_page_and_the_workbook_show_words_not_codes(org, login):
    dataset = actions.upload_dataset(
        org.analyst, name="ECSI", filename="mobi.csv", content=DATA.read_bytes()
    )
    with translation.override("zh-hans"):
        run = actions.start_run(
            org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={"bootstrap": 30, "seed": 1}
        )
    run.refresh_from_db()
    assert run.status == "done" and run.result["flags"]
    words = report_words("zh-hans")
    book = openpyxl.load_workbook(io.BytesIO(bytes(run.report)))

    checks = _column(book["需注意"], "检查项")
    assert checks and set(checks) <= set(words["check"].values()), checks
    places = _column(book["需注意"], "位置")
    assert not {p for place in places for p in str(place).split() if p in CONSTRUCTS}, places
    kinds = _column(book["自助法检验"], "类型")
    assert set(kinds) <= set(words["kind"].values()) and len(set(kinds)) >= 6, set(kinds)
    names = _column(book["自助法检验"], "名称")
    assert not {p for name in names for p in str(name).split() if p in CONSTRUCTS}, names[:5]
    assert any("→" in str(n) for n in names)
    modes = _column(book["信度与效度"], "测量模式")
    assert set(modes) <= set(words["mode"].values()), modes
    summary = dict(row[:2] for row in book["概览"].iter_rows(values_only=True) if row[0])
    assert summary["内部权重方案"] == words["scheme"]["path"]
    assert summary["缺失值处理"] == words["missing"]["casewise"]
    assert summary["目标变量"] == run.result["labels"][run.result["target"]] == "顾客满意度"
    assert not set(CHECKS) & set(summary), summary

    page = login(org.analyst).get(f"/insight/runs/{run.pk}/").content.decode()
    flags = page[page.index('class="flags"') : page.index("</ul>", page.index('class="flags"'))]
    assert not {c for c in CONSTRUCTS if f"<strong>{c}" in flags}, flags[:300]
    assert all(
        f'data-check="{c}"' not in flags or str(w) in flags for c, w in words["check"].items()
    )
    assert login(org.analyst).get(f"/insight/runs/{run.pk}/report.pdf").status_code == 200
