"""Surveys at scale, on BENCH_RESPONSES responses (default 1,000,000) to the demo's
after-sales questionnaire:

- storing one submission through the public API (the questionnaire's logic on the server,
  duplicate check, link count, timeline line, event), against the bare insert view;
- exporting every response to CSV (streamed, codes);
- the figures a manager reads: NPS by branch and CSAT overall, through the API;
- the pages: the questionnaire's figures, and the metrics page of the campaign all the
  responses belong to (response rate, quota cells, NPS by branch); NPS by agent;
- the satisfaction index from the stored responses in one step (issue 18): the survey data
  set, the read, the fit with 1,000 bootstrap resamples and the report, timed apart; and the
  trend page of a programme with 20 waves stored.

The responses are written with bulk inserts (values as the form logic would leave them),
every one in one campaign and rating the agent of the customer's branch; the tallies are
then rebuilt as `manyi rebuild_survey_tallies` does.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid

from bench import django_env
from bench.timing import median_ms

RESPONSES = int(os.environ.get("BENCH_RESPONSES", 1_000_000))


def run() -> list[dict]:
    django_env.setup()
    from django.db import connection

    from manyi.core.demo import database_is_empty, run_demo
    from manyi.surveys.models import Response

    vendor = connection.vendor
    rows: list[dict] = []
    if database_is_empty():
        run_demo(
            seed=13,
            log=lambda line: None,
            overrides={"customers": 20_000, "tickets": 100, "survey_responses": 400},
        )
        start = time.perf_counter()
        _bulk_responses(RESPONSES)
        rows.append(
            {
                "benchmark": f"writing {RESPONSES:,} responses with bulk inserts ({vendor})",
                "median_ms": (time.perf_counter() - start) * 1000,
                "runs": 1,
            }
        )
    total = Response.objects.count()
    rows.extend(_submission(vendor, total))
    rows.extend(_metrics(vendor, total))
    rows.extend(_export(vendor, total))
    rows.extend(_index(vendor, total))
    return rows


INDEX_MODEL = """
name: 售后服务满意度
blocks:
  服务:
    label: {zh: 服务质量, en: Service quality}
    items: [s_attitude, s_skill, s_speed, s_price, s_booking, s_parts]
  推荐:
    label: {zh: 推荐意愿, en: Recommendation}
    items: [nps]
paths:
  - [服务, 推荐]
target: 推荐
"""


def _index(vendor: str, total: int) -> list[dict]:
    """From the stored responses to the index with 1,000 bootstrap resamples, as
    `manyi index fit --survey after_sales --bootstrap 1000` does, with its parts timed."""
    import datetime as dt

    from django.test import Client

    from manyi.analytics.analysis import analyse
    from manyi.analytics.modelfile import load_model
    from manyi.insight import actions, waves
    from manyi.insight.data import load_frame
    from manyi.insight.models import AnalysisRun
    from manyi.org.actions import SYSTEM
    from manyi.org.models import Staff

    rows: list[dict] = []
    start = time.perf_counter()
    dataset = actions.survey_dataset(SYSTEM, questionnaire="after_sales")
    made = time.perf_counter() - start
    start = time.perf_counter()
    run = actions.start_run(
        SYSTEM,
        dataset=dataset,
        model_yaml=INDEX_MODEL,
        options={"bootstrap": 1000, "seed": 1},
        inline=True,
    )
    whole = time.perf_counter() - start
    assert run.status == AnalysisRun.Status.DONE, run.error
    start = time.perf_counter()
    frame = load_frame(dataset)
    read = time.perf_counter() - start
    model = load_model(run.model_yaml)
    start = time.perf_counter()
    analyse(frame, model, bootstrap=1000, seed=1)
    fit = time.perf_counter() - start
    rows += [
        {
            "benchmark": f"index from {dataset.rows:,} responses, 1,000 resamples ({vendor})",
            "median_ms": (made + whole) * 1000,
            "runs": 1,
            "n_used": run.result["n_used"],
        },
        {
            "benchmark": f"  of which: the survey data set (count, newest) ({vendor})",
            "median_ms": made * 1000,
            "runs": 1,
        },
        {
            "benchmark": f"  the read: responses to the item table ({vendor})",
            "median_ms": read * 1000,
            "runs": 1,
        },
        {
            "benchmark": f"  fit, 1,000 bootstrap resamples, IPMA, ranking ({vendor})",
            "median_ms": fit * 1000,
            "runs": 1,
        },
    ]
    # A programme with 20 quarterly waves stored (each the finished run's summary).
    programme = actions.create_programme(
        SYSTEM,
        name="售后服务季度测评（基准）",
        questionnaire="after_sales",
        model_yaml=INDEX_MODEL,
        starts_on=dt.date(2021, 1, 1),
        bootstrap=0,
    )
    begins = dt.date(2021, 1, 1)
    stored = []
    for _wave in range(20):
        stored.append(
            AnalysisRun(
                dataset=dataset,
                title=f"wave {waves.label(begins, 'quarter')}",
                model_yaml=run.model_yaml,
                status=AnalysisRun.Status.DONE,
                result=run.result,
                summary=run.summary,
                programme=programme,
                wave=waves.label(begins, "quarter"),
                wave_start=begins,
            )
        )
        begins = waves.next_period(begins, "quarter")
    AnalysisRun.objects.bulk_create(stored)
    analyst = Staff.objects.filter(role="analyst").first() or Staff.objects.get(
        user__username="manager"
    )
    page = Client()
    page.force_login(analyst.user, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/insight/programmes/{programme.pk}/"

    def trend_page() -> None:
        assert page.get(url).status_code == 200

    rows.append(
        {
            "benchmark": f"trend page, 20 waves stored ({vendor})",
            "median_ms": median_ms(trend_page, repeat=20, warmup=2),
        }
    )
    return rows


def _bulk_responses(count: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from manyi.customers.models import Customer
    from manyi.org.models import Staff
    from manyi.surveys.models import Campaign, Questionnaire, Response

    rng = random.Random(3)
    questionnaire = Questionnaire.objects.get(code="after_sales")
    version = questionnaire.current_version()
    customers = list(Customer.objects.values_list("pk", "branch_id", "tier")[:20_000])
    agents: dict[int, list[int]] = {}
    for staff_id, branch_id in Staff.objects.filter(role="agent").values_list("pk", "branches"):
        agents.setdefault(branch_id, []).append(staff_id)
    campaign = Campaign.objects.create(
        name="全年回访（基准）",
        questionnaire=questionnaire,
        channel="sms",
        message="{链接}",
        state=Campaign.State.RUNNING,
        quota_by="branch",
        quota_per_cell=count,
        invited_count=count * 3 // 2,
        sent_count=count * 3 // 2,  # as if sent: the page reads these counters
    )
    now = timezone.now()
    batch: list[Response] = []
    items = ["s_attitude", "s_skill", "s_speed", "s_price", "s_booking", "s_parts"]
    for n in range(count):
        customer, branch, tier = customers[n % len(customers)]
        serving = agents.get(branch) or [None]
        mood = rng.gauss(0, 1)
        values = {
            i: str(max(1, min(5, round(3.9 + 0.8 * mood + rng.gauss(0, 0.7))))) for i in items
        }
        nps = max(0, min(10, round(7.6 + 1.8 * mood + rng.gauss(0, 1))))
        values["nps"] = str(nps)
        if nps <= 6 and rng.random() < 0.5:
            values["comment"] = "排队时间太长了"
        batch.append(
            Response(
                questionnaire=questionnaire,
                version=version,
                customer_id=customer,
                branch_id=branch,
                channel="sms",
                campaign=campaign,
                agent_id=serving[n % len(serving)],
                tier=tier,
                answers=values,
                values=values,
                submission_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                language="zh",
                submitted_at=now - timezone.timedelta(minutes=rng.uniform(0, 525_600)),
            )
        )
        if len(batch) >= 10_000:
            with transaction.atomic():
                Response.objects.bulk_create(batch, batch_size=2000)
            batch.clear()
    if batch:
        with transaction.atomic():
            Response.objects.bulk_create(batch, batch_size=2000)
    from manyi.surveys.actions import rebuild_tallies

    rebuild_tallies(questionnaire)  # bulk inserts bypass `submit`, which keeps them
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _submission(vendor: str, total: int) -> list[dict]:
    from django.test import Client

    from manyi.org.actions import SYSTEM
    from manyi.surveys import actions
    from manyi.surveys.models import Questionnaire

    questionnaire = Questionnaire.objects.get(code="after_sales")
    _link, token = actions.create_link(SYSTEM, questionnaire, channel="qr", single_use=False)
    client = Client()
    rng = random.Random(5)
    items = ["s_attitude", "s_skill", "s_speed", "s_price", "s_booking", "s_parts"]

    def body() -> str:
        answers = {i: str(rng.randint(1, 5)) for i in items}
        answers["nps"] = str(rng.randint(0, 10))
        if int(answers["nps"]) <= 6:
            answers["comment"] = "等候时间太长"
        return json.dumps({"answers": answers, "submission_key": uuid.uuid4().hex})

    def submit() -> None:
        response = client.post(
            f"/api/v1/surveys/s/{token}/responses", body(), content_type="application/json"
        )
        assert response.status_code == 201, response.content

    return [
        {
            "benchmark": f"API submit a response, judged by the server ({vendor})",
            "median_ms": median_ms(submit, repeat=300),
            "responses": total,
        }
    ]


def _metrics(vendor: str, total: int) -> list[dict]:
    from django.test import Client

    from manyi.org.actions import SYSTEM, create_api_token
    from manyi.org.models import Staff
    from manyi.surveys.models import Response

    manager = Staff.objects.get(user__username="manager")
    _token, raw = create_api_token(SYSTEM, manager.user)
    client = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    base = "/api/v1/surveys/questionnaires/after_sales/metrics"

    def nps_by_branch() -> None:
        assert client.get(f"{base}?question=nps&by=branch", headers=headers).status_code == 200

    def csat() -> None:
        response = client.get(f"{base}?question=s_speed&metric=csat", headers=headers)
        assert response.status_code == 200

    page = Client()
    page.force_login(manager.user, backend="django.contrib.auth.backends.ModelBackend")

    def metrics_page() -> None:
        assert (
            page.get("/surveys/after_sales/?question=nps&metric=nps&by=branch").status_code == 200
        )

    def nps_by_agent() -> None:
        assert client.get(f"{base}?question=nps&by=agent", headers=headers).status_code == 200

    from manyi.surveys.models import Campaign

    campaign = Campaign.objects.filter(questionnaire__code="after_sales").order_by("pk").last()
    in_campaign = Response.objects.filter(campaign=campaign).count()

    def campaign_page() -> None:
        url = f"/surveys/campaigns/{campaign.pk}/?question=nps&metric=nps&by=branch"
        assert page.get(url).status_code == 200

    return [
        {
            "benchmark": f"API NPS by branch ({vendor})",
            "median_ms": median_ms(nps_by_branch, repeat=20, warmup=2),
            "responses": total,
        },
        {
            "benchmark": f"API CSAT of one item ({vendor})",
            "median_ms": median_ms(csat, repeat=20, warmup=2),
            "responses": total,
        },
        {
            "benchmark": f"questionnaire figures page (NPS by branch, words) ({vendor})",
            "median_ms": median_ms(metrics_page, repeat=10, warmup=1),
            "responses": total,
        },
        {
            "benchmark": f"API NPS by agent ({vendor})",
            "median_ms": median_ms(nps_by_agent, repeat=20, warmup=2),
            "responses": total,
        },
        {
            "benchmark": f"campaign metrics page (rate, quota cells, NPS by branch) ({vendor})",
            "median_ms": median_ms(campaign_page, repeat=10, warmup=1),
            "responses": in_campaign,
        },
    ]


def _export(vendor: str, total: int) -> list[dict]:
    from manyi.surveys.export import csv_lines as to_csv
    from manyi.surveys.models import Questionnaire, Response

    questionnaire = Questionnaire.objects.get(code="after_sales")
    start = time.perf_counter()
    size = sum(
        len(chunk)
        for chunk in to_csv(questionnaire, Response.objects.filter(questionnaire=questionnaire))
    )
    seconds = time.perf_counter() - start
    return [
        {
            "benchmark": f"export every response to CSV ({vendor})",
            "median_ms": seconds * 1000,
            "runs": 1,
            "characters": size,
            "responses": total,
        }
    ]
