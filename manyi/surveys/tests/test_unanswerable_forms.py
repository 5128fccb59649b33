"""Workbooks that no respondent could ever answer are refused at import, with the reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from manyi.analytics.tests.test_xlsform import CHOICES, workbook
from manyi.org.actions import SYSTEM
from manyi.surveys import actions
from manyi.surveys.models import Questionnaire

pytestmark = pytest.mark.django_db
HEADER = ["type", "name", "label::Chinese (zh)", "relevant", "calculation"]


def _import(tmp_path, rows):
    path = workbook(tmp_path / "form.xlsx", [HEADER, *rows], CHOICES)
    return actions.import_xlsform(SYSTEM, content=path.read_bytes(), file_name=path.name)


def test_calculations_waiting_on_each_other_are_refused(tmp_path):
    rows = [
        ["integer", "age", "年龄", "", ""],
        ["calculate", "a", "", "", "${b} + 1"],
        ["calculate", "b", "", "", "${a} + 1"],
    ]
    with pytest.raises(ValidationError) as refused:
        _import(tmp_path, rows)
    assert "a" in str(refused.value) and not Questionnaire.objects.exists()


def test_a_survey_without_questions_is_refused(tmp_path):
    with pytest.raises(ValidationError, match=r"至少需要一道题目|at least one question"):
        _import(tmp_path, [["begin_group", "g", "组", "", ""], ["end_group", "", "", "", ""]])
    assert not Questionnaire.objects.exists()


def test_a_relevant_nested_five_thousand_deep_is_refused_not_a_crash(tmp_path):
    deep = "(" * 5000 + "1 = 1" + ")" * 5000
    rows = [["integer", "age", "年龄", "", ""], ["text", "why", "原因", deep, ""]]
    with pytest.raises(ValidationError):
        _import(tmp_path, rows)
    assert not Questionnaire.objects.exists()


def test_links_created_already_expired_are_refused(org, api, tmp_path):
    import datetime as dt

    from manyi.core import clock

    _import(tmp_path, [["integer", "age", "年龄", "", ""]])
    questionnaire = Questionnaire.objects.get()
    past = clock.now() - dt.timedelta(minutes=1)
    with pytest.raises(ValidationError, match=r"过期"):
        actions.create_link(SYSTEM, questionnaire, expires_at=past)
    answer = api(org.manager).post(
        f"/surveys/questionnaires/{questionnaire.code}/links",
        {"expires_at": past.isoformat()},
    )
    assert answer.status_code == 400
    link, _token = actions.create_link(
        SYSTEM, questionnaire, expires_at=clock.now() + dt.timedelta(days=7)
    )
    assert link.pk
