"""The respondent's page around rankings, grids and shuffled choices: the server judges a
ranking as the page does, the page's words exist in both languages, and the seed of the
shuffled orders belongs to the link (tests/browser/test_surveys.py drives the page)."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import translation

from manyi.org.actions import SYSTEM
from manyi.surveys import actions
from manyi.surveys.models import Response
from tests.browser.test_surveys import AFTER_SALES_CHOICES, AFTER_SALES_GRID, _questionnaire

pytestmark = pytest.mark.django_db

RATED = {"repaired": "no", "s_attitude": "4", "s_skill": "3"}


def _token(org, tmp_path, **options) -> str:
    questionnaire = _questionnaire(tmp_path, "grid", AFTER_SALES_GRID, AFTER_SALES_CHOICES)
    _link, token = actions.create_link(SYSTEM, questionnaire, **options)
    return token


def test_the_server_stores_a_ranking_in_the_respondents_order(org, tmp_path) -> None:
    token = _token(org, tmp_path)
    response, created = actions.submit(
        token, {**RATED, "priority": "staff price booking speed"}, submission_key="rank-0001"
    )
    assert created and response.values["priority"] == "staff price booking speed"


@pytest.mark.parametrize(
    "ranking",
    [
        "staff staff booking speed",  # twice
        "staff price booking",  # one missing
        "staff price booking wifi",  # unknown
    ],
)
def test_the_server_refuses_a_broken_ranking_in_both_languages(org, tmp_path, ranking) -> None:
    token = _token(org, tmp_path, single_use=False)
    for language, message in (
        ("en", "Put all the options in order, each exactly once."),
        ("zh-hans", "请给所有选项排序，每项恰好出现一次。"),
    ):
        with translation.override(language), pytest.raises(actions.SubmissionRefused) as refused:
            answers = {**RATED, "priority": ranking}
            actions.submit(token, answers, submission_key=f"rank-key-{language}")
        assert refused.value.problems == [
            {
                "question": "priority",
                "label": "哪些方面最需要改进？请排序",
                "code": "rank",
                "message": message,
            }
        ]
    assert Response.objects.count() == 0


def test_the_pages_words_are_translated() -> None:
    from manyi.surveys.views import respondent_texts

    with translation.override("en"):
        english = respondent_texts()
    with translation.override("zh-hans"):
        chinese = respondent_texts()
    for key in ("rank", "rankRequired", "rankHint", "rankConfirm", "moveUp", "moveDown", "moved"):
        assert chinese[key] != english[key], key
        # the page fills these in: both languages must keep them
        names = sorted(re.findall(r"%\((\w+)\)s", english[key]))
        assert sorted(re.findall(r"%\((\w+)\)s", chinese[key])) == names, key


def _seed(client, token: str) -> str:
    page = client.get(f"/s/{token}/").content.decode()
    data = re.search(r'<script id="survey-data" type="application/json">(.*?)</script>', page)
    assert data, page[:300]
    return json.loads(data[1])["seed"]


def test_the_shuffle_seed_belongs_to_the_link(org, tmp_path, client) -> None:
    from manyi.customers import actions as customer_actions

    questionnaire = _questionnaire(tmp_path, "grid", AFTER_SALES_GRID, AFTER_SALES_CHOICES)
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="周杰")
    link, token = actions.create_link(SYSTEM, questionnaire, customer=customer)
    _other, other = actions.create_link(SYSTEM, questionnaire)
    _shared, shared = actions.create_link(SYSTEM, questionnaire, single_use=False)
    seed = _seed(client, token)
    assert len(seed) == 16 and seed == _seed(client, token)
    assert token not in seed and link.digest not in seed  # nothing that opens the link
    assert _seed(client, other) not in ("", seed)
    assert _seed(client, shared) == ""  # many respondents: the page seeds each visit
