"""The index over time: a programme of quarterly waves, each wave's run kept, the trend
page with intervals and the significance of each change, per branch, and the read API the
dashboards use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.insight import actions, reading, waves
from manyi.insight.models import AnalysisRun, Programme
from manyi.org.actions import SYSTEM

from .survey_data import MODEL, answered

pytestmark = pytest.mark.django_db


def test_periods_and_their_names():
    assert waves.period_of(dt.date(2026, 5, 17), "quarter") == (
        dt.date(2026, 4, 1),
        dt.date(2026, 6, 30),
    )
    assert waves.period_of(dt.date(2026, 12, 31), "quarter")[1] == dt.date(2026, 12, 31)
    assert waves.period_of(dt.date(2026, 8, 2), "half") == (
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 31),
    )
    assert waves.period_of(dt.date(2024, 2, 10), "month") == (
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 29),
    )
    assert waves.period_of(dt.date(2026, 3, 3), "year") == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    quarters = waves.periods(dt.date(2025, 11, 5), dt.date(2026, 4, 1), "quarter")
    assert [q[0] for q in quarters] == [
        dt.date(2025, 10, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 1),
    ]
    assert waves.label(dt.date(2026, 7, 1), "quarter") == "2026年第3季度"


@pytest.fixture
def programme(org):
    answered(org, per_quarter=100)
    return actions.create_programme(
        org.analyst,
        name="网点服务季度测评",
        questionnaire="branch_service",
        model_yaml=MODEL,
        mapping={"换行意向": "loy2"},
        starts_on=dt.date(2026, 5, 1),  # the wave it lies in: from 1 April
        compare_by="region",
        bootstrap=100,
    )


def test_ended_waves_are_run_once_each_and_kept_with_their_inputs(org, programme):
    assert programme.starts_on == dt.date(2026, 4, 1)
    started = actions.run_due_waves(SYSTEM, programme)
    # Q2 and Q3 have answers; Q4 has none yet and has not ended
    assert [run.wave for run in started] == ["2026年第2季度", "2026年第3季度"]
    for run in started:
        run.refresh_from_db()
        assert run.status == AnalysisRun.Status.DONE, run.error
        assert run.dataset.rows == 100 and run.options["group"] == "region"
        assert run.options["mapping"]["换行意向"] == "loy2"
        assert run.summary["bootstrap"]["index"]["质量"]["se"] > 0
        assert run.dataset.selection["since"] == run.wave_start.isoformat()
    assert actions.run_due_waves(SYSTEM, programme) == []  # nothing twice
    data = reading.trend(programme)
    quality = [r for r in data["rows"] if r["construct"] == "质量"]
    assert [r["wave"] for r in quality] == ["2026年第2季度", "2026年第3季度"]
    assert quality[1]["change"] > 0  # the second quarter's answers were shifted upwards
    assert quality[1]["p"] is not None and 0 <= quality[1]["p"] <= 1
    assert quality[0]["low"] < quality[0]["index"] < quality[0]["high"]
    assert set(data["groups"]) == {"华东区", "华北区"}


def test_a_rerun_wave_replaces_the_earlier_in_the_trend(org, programme):
    first, _second = actions.run_due_waves(SYSTEM, programme)
    again = actions.rerun(SYSTEM, first)
    assert again.programme == programme and again.wave == first.wave
    runs = reading.wave_runs(programme)
    assert runs[0]["pk"] == again.pk and len(runs) == 2


def test_a_programme_whose_model_does_not_meet_the_questionnaire_is_refused(org):
    answered(org, per_quarter=10)
    with pytest.raises(ValidationError, match="换行意向"):
        actions.create_programme(
            org.analyst,
            name="缺题项",
            questionnaire="branch_service",
            model_yaml=MODEL,
            starts_on=dt.date(2026, 1, 1),
        )
    assert not Programme.objects.exists()


def test_the_trend_page_and_the_dashboards_read_api(org, programme, login, api):
    actions.run_due_waves(SYSTEM, programme)
    page = login(org.analyst).get(f"/insight/programmes/{programme.pk}/").content.decode()
    assert 'class="trend-chart"' in page and "2026年第3季度" in page
    assert "服务质量" in page and "华北区" in page
    listing = login(org.analyst).get("/insight/programmes/").content.decode()
    assert "网点服务季度测评" in listing
    latest = api(org.analyst).get("/insight/index/latest").json()
    assert len(latest) == 1
    row = latest[0]
    assert row["wave"] == "2026年第3季度" and row["previous_wave"] == "2026年第2季度"
    assert row["latent"] == "满意" and row["label"] == "满意度"
    assert row["change"] is not None and isinstance(row["significant"], bool)
    trend = api(org.analyst).get(f"/insight/programmes/{programme.pk}/trend").json()
    assert trend["waves"] == ["2026年第2季度", "2026年第3季度"]
    assert api(org.agent_a1).get("/insight/index/latest").status_code == 403


def test_the_page_buttons_compute_the_waves(org, login):
    answered(org, per_quarter=40)
    client = login(org.analyst)
    created = client.post(
        "/insight/programmes/new/",
        {
            "name": "季度测评",
            "questionnaire": "branch_service",
            "model_yaml": MODEL,
            "mapping": "换行意向 = loy2",
            "wave_by": "quarter",
            "starts_on": "2026-04-01",
            "compare_by": "",
            "bootstrap": 0,
        },
    )
    assert created.status_code == 302, created.content.decode()[:3000]
    programme = Programme.objects.get()
    assert programme.runs.count() == 2  # the ended waves, at once
    bad = client.post(
        "/insight/programmes/new/",
        {
            "name": "错",
            "questionnaire": "branch_service",
            "model_yaml": MODEL,
            "mapping": "没有等号",
            "wave_by": "quarter",
            "starts_on": "2026-04-01",
            "bootstrap": 0,
        },
    )
    assert bad.status_code == 200 and "第 1 行" in bad.content.decode()
    now = client.post(f"/insight/programmes/{programme.pk}/run/", {"current": "1"})
    assert now.status_code == 302  # this quarter has no answers: said, nothing stored
    assert programme.runs.count() == 2


def test_the_trend_page_reads_twenty_waves_in_as_many_queries_as_two(org, programme, login):
    actions.run_due_waves(SYSTEM, programme)
    client = login(org.analyst)
    url = f"/insight/programmes/{programme.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    template = AnalysisRun.objects.filter(programme=programme).first()
    start = dt.date(2021, 1, 1)
    for n in range(18):  # earlier waves, as a long-running programme has
        AnalysisRun.objects.create(
            dataset=template.dataset,
            title=f"wave {n}",
            model_yaml=template.model_yaml,
            status=AnalysisRun.Status.DONE,
            result={},
            summary=template.summary,
            programme=programme,
            wave=waves.label(start, "quarter"),
            wave_start=start,
        )
        start = waves.next_period(start, "quarter")
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(url).content.decode()
    assert len(reading.wave_runs(programme)) == 20 and "2021年第1季度" in page
    assert len(twenty) == len(two)


def test_the_index_beside_the_business_results(org, programme, login):
    from manyi.customers import actions as customer_actions
    from manyi.customers.models import Customer

    # Customers of region A buy more in the third quarter, when their index rose.
    for number, customer in enumerate(Customer.objects.order_by("pk")):
        for at, amount in (
            (dt.datetime(2026, 5, 3, 10, tzinfo=dt.UTC), 100),
            (dt.datetime(2026, 8, 3, 10, tzinfo=dt.UTC), 140),
        ):
            if number % 2 or at.month == 8:
                customer_actions.record_transaction(
                    SYSTEM, customer, product="理财", amount=amount, occurred_at=at
                )
    actions.run_due_waves(SYSTEM, programme)
    data = reading.outcomes(programme)
    assert {row["group"] for row in data["rows"]} == {"华东区", "华北区"}
    assert {row["wave"] for row in data["rows"]} == {"2026年第2季度", "2026年第3季度"}
    keys = [entry["outcome"].key for entry in data["relations"]]
    assert keys[:4] == ["revenue_per_customer", "repurchase", "retention", "complaints_per_1000"]
    revenue = {(r["group"], r["wave"]): r["values"]["revenue_per_customer"] for r in data["rows"]}
    assert revenue[("华东区", "2026年第3季度")] > revenue[("华东区", "2026年第2季度")]
    worth = next(
        e["relation"] for e in data["relations"] if e["outcome"].key == "revenue_per_customer"
    )
    assert worth.pooled.n == 4 and "few_points" in worth.caution
    page = login(org.analyst).get(f"/insight/programmes/{programme.pk}/outcomes/").content.decode()
    assert 'id="worth"' in page, page[page.find("<main") :][:3000]
    assert "客户人均收入" in page
    assert "20" in page  # the caution about fewer than 20 branch-waves
