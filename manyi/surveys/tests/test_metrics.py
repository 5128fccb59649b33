"""Campaign metrics from the database match the figures computed by hand."""

from __future__ import annotations

import pytest

from manyi.analytics.tests.test_xlsform import workbook
from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.surveys import actions

pytestmark = pytest.mark.django_db

ANSWERS = [  # (branch, answers)
    ("a1", {"visited": "yes", "sat": "5", "nps": "10"}),
    ("a1", {"visited": "yes", "sat": "4", "nps": "9"}),
    ("a1", {"visited": "yes", "sat": "1", "comment": "排队时间太长了", "nps": "3"}),
    ("a2", {"visited": "yes", "sat": "3", "nps": "7"}),
    ("a2", {"visited": "yes", "sat": "2", "comment": "排队排了一个小时", "nps": "6"}),
    ("a2", {"visited": "yes", "sat": "5", "nps": "10"}),
    ("a2", {"visited": "no", "why_not": "太远"}),  # no score: missing
]


@pytest.fixture
def answered(org, tmp_path):
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = actions.import_xlsform(SYSTEM, content=path.read_bytes(), file_name=path.name)
    for n, (branch, answers) in enumerate(ANSWERS):
        customer = customer_actions.create_customer(
            SYSTEM, branch=getattr(org, branch), name=f"客户{n}"
        )
        _link, token = actions.create_link(SYSTEM, version.questionnaire, customer=customer)
        actions.submit(token, answers, submission_key=f"metrics-{n:04d}")
    return version.questionnaire


def test_nps_and_csat_by_hand(api, org, answered):
    client = api(org.manager)
    overall = client.get("/surveys/questionnaires/after_sales/metrics?question=nps").json()
    # promoters 10, 9, 10 (3); passives 7 (1); detractors 3, 6 (2); n = 6
    assert overall["overall"]["value"] == pytest.approx(100 * (3 - 2) / 6)
    assert overall["overall"]["n"] == 6 and overall["missing"] == 1
    by_branch = client.get(
        "/surveys/questionnaires/after_sales/metrics?question=nps&by=branch"
    ).json()["groups"]
    assert [(g["group"], round(g["value"], 2)) for g in by_branch] == [
        ("A1", round(100 * (2 - 1) / 3, 2)),
        ("A2", 0.0),
    ]
    csat = client.get(
        "/surveys/questionnaires/after_sales/metrics?question=sat&metric=csat"
    ).json()["overall"]
    assert csat["value"] == pytest.approx(100 * 3 / 6)  # 5, 4, 5 of six answers
    mean = client.get(
        "/surveys/questionnaires/after_sales/metrics?question=sat&metric=mean&by=month"
    ).json()["groups"]
    assert len(mean) == 1 and mean[0]["value"] == pytest.approx(20 / 6)
    refused = client.get("/surveys/questionnaires/after_sales/metrics?question=comment")
    assert refused.status_code == 400


def test_words_of_open_answers_and_scope(api, org, answered):
    words = (
        api(org.manager).get("/surveys/questionnaires/after_sales/words?question=comment").json()
    )
    assert words[0] == {"word": "排队", "count": 2}
    only_a1 = (
        api(org.supervisor_a1)
        .get("/surveys/questionnaires/after_sales/metrics?question=nps")
        .json()
    )
    assert only_a1["overall"]["n"] == 3  # the supervisor's own branch


def test_figures_come_from_running_tallies_that_a_rebuild_reproduces(api, org, answered):
    from manyi.surveys.actions import rebuild_tallies
    from manyi.surveys.models import ScoreTally

    client = api(org.manager)
    url = "/surveys/questionnaires/after_sales/metrics?question=nps&by=branch"
    before = client.get(url).json()
    kept = sorted(ScoreTally.objects.values_list("question", "n", "c9", "c10"))
    assert rebuild_tallies(answered) > 0
    assert sorted(ScoreTally.objects.values_list("question", "n", "c9", "c10")) == kept
    assert client.get(url).json() == before
