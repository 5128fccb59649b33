"""The demo's questionnaires and answers, through the real actions, feed the index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from manyi.analytics.analysis import analyse
from manyi.analytics.modelfile import template
from manyi.core.demo import run_demo
from manyi.insight.data import load_frame
from manyi.insight.models import Dataset
from manyi.surveys import reading
from manyi.surveys.models import Campaign, Invitation, Response, SurveyTrigger

pytestmark = pytest.mark.django_db


def test_three_questionnaires_a_year_of_answers_and_an_index_on_them():
    run_demo(
        seed=5,
        log=lambda line: None,
        overrides={"customers": 400, "tickets": 120, "survey": 200, "survey_responses": 400},
    )
    counts = {
        code: Response.objects.filter(questionnaire__code=code).count()
        for code in ("bank_branch", "after_sales", "complaint_follow_up")
    }
    assert counts["bank_branch"] == 200 and counts["after_sales"] == 200
    assert counts["complaint_follow_up"] > 10
    oldest = Response.objects.order_by("submitted_at").first().submitted_at
    assert timezone.now() - oldest > dt.timedelta(days=200)  # spread over the year
    follow_up = Response.objects.filter(questionnaire__code="complaint_follow_up").first()
    assert follow_up.customer.tickets.filter(status="closed").exists()
    assert SurveyTrigger.objects.filter(event="ticket.closed", active=True).exists()
    # Campaigns with invitations, answers, reminders and a quota; answers rate agents.
    campaigns = {c.name: c for c in Campaign.objects.all()}
    assert set(campaigns) == {"高价值客户季度满意度调查", "沉睡客户回访"}
    for campaign in campaigns.values():
        rate = reading.response_rate(campaign)
        assert rate["sent"] > 0 and 0 < rate["responses"] <= rate["sent"]
    assert Invitation.objects.filter(reminders__gt=0).exists()
    assert campaigns["沉睡客户回访"].quota_by == "branch"
    rated = Response.objects.filter(questionnaire__code="after_sales", agent__isnull=False)
    assert rated.count() > 100
    assert Response.objects.filter(
        questionnaire__code="complaint_follow_up", agent__isnull=False
    ).exists()
    # The bank survey's answers are the satisfaction index's data, as they are.
    frame = load_frame(Dataset(name="网点", source="survey", source_ref="bank_branch"))
    result = analyse(frame, template("china"))
    assert 50 < result.index["满意度"] < 95
