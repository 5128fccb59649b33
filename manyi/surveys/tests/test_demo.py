"""The demo's questionnaires and answers, through the real actions, feed the index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from manyi.analytics.analysis import analyse
from manyi.analytics.modelfile import template
from manyi.core.demo import run_demo
from manyi.insight.data import load_frame
from manyi.insight.models import AnalysisRun, Dataset
from manyi.surveys import reading
from manyi.surveys.models import Campaign, Invitation, Response, SurveyTrigger

pytestmark = pytest.mark.django_db


def test_three_questionnaires_a_year_of_answers_and_an_index_on_them():
    run_demo(
        seed=5,
        log=lambda line: None,
        overrides={
            "customers": 400,
            "tickets": 120,
            "survey": 200,
            "survey_responses": 600,
            "index_bootstrap": 60,
        },
    )
    counts = {
        code: Response.objects.filter(questionnaire__code=code).count()
        for code in ("bank_branch", "after_sales", "complaint_follow_up")
    }
    assert counts["bank_branch"] == 300 and counts["after_sales"] == 300
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
    # ... and the demo's own index runs read them: quarterly waves, regions compared.
    runs = {run.options["group"]: run for run in AnalysisRun.objects.filter(programme__isnull=True)}
    assert set(runs) == {"wave", "region"}
    for run in runs.values():
        assert run.status == "done", run.error
        assert run.dataset.source == "survey" and 200 < run.dataset.rows <= 300
        assert run.result["target"] == "满意度"
    waves = runs["wave"].result["groups"]["groups"]
    assert len(waves) == 4 and all("季度" in wave for wave in waves)
    ranking = [p["item"] for p in runs["wave"].result["priority"]]
    # The demo's branches wait too long and handle complaints badly: both rank high.
    assert ranking.index("质量_等候时间") < len(ranking) // 2
    # ... and as a quarterly programme: four waves, the trend rising with the service
    from manyi.insight import reading as index_reading
    from manyi.insight.models import Programme

    trend = index_reading.trend(Programme.objects.get())
    assert len(trend["waves"]) == 4
    quality = [r["index"] for r in trend["rows"] if r["construct"] == "感知质量"]
    assert quality[-1] > quality[0]
    example = Dataset.objects.get(source="demo")
    assert example.rows > 0 and not example.runs.exists()  # the example file, to try
