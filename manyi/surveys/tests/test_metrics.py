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


@pytest.fixture
def rated(org, answered):
    """The same answers again, rating agents: A1's by agent_a1 (first two VIP customers) in a
    campaign, A2's by agent_a2."""
    from manyi.customers.models import Customer
    from manyi.surveys.models import Campaign

    campaign = Campaign.objects.create(
        name="回访", questionnaire=answered, channel="sms", message="{链接}"
    )
    agents = {"a1": org.agent_a1.staff, "a2": org.agent_a2.staff}
    for n, (branch, answers) in enumerate(ANSWERS):
        customer = customer_actions.create_customer(
            SYSTEM, branch=getattr(org, branch), name=f"贵宾{n}"
        )
        if n < 2:
            Customer.objects.filter(pk=customer.pk).update(tier="vip")
            customer.refresh_from_db()
        _link, token = actions.create_link(
            SYSTEM,
            answered,
            customer=customer,
            agent=agents[branch],
            campaign=campaign if branch == "a1" else None,
        )
        actions.submit(token, answers, submission_key=f"rated-{n:04d}")
    return campaign


def test_figures_by_agent_tier_campaign_and_segment(api, org, rated):
    from manyi.customers.models import Customer, Segment

    client = api(org.manager)
    url = "/surveys/questionnaires/after_sales/metrics?question=nps"
    by_agent = client.get(url + "&by=agent").json()["groups"]
    named = {g["group"]: (g["n"], round(g["value"], 2)) for g in by_agent}
    assert named == {
        org.agent_a1.staff.name: (3, round(100 * (2 - 1) / 3, 2)),
        org.agent_a2.staff.name: (3, 0.0),
    }
    by_tier = {g["group"]: g["n"] for g in client.get(url + "&by=tier").json()["groups"]}
    tiers = dict(Customer.Tier.choices)
    assert by_tier == {str(tiers["vip"]): 2, str(tiers["ordinary"]): 10}
    one_campaign = client.get(url + f"&campaign={rated.pk}").json()
    assert one_campaign["overall"]["n"] == 3 and one_campaign["missing"] == 0
    assert one_campaign["overall"]["value"] == pytest.approx(100 * (2 - 1) / 3)
    refused = client.get(url + f"&campaign={rated.pk}&by=agent")
    assert refused.status_code == 400
    vip = Segment.objects.create(name="VIP", rules=[{"field": "tier", "op": "eq", "value": "vip"}])
    segment = client.get(url + f"&segment={vip.pk}&by=branch").json()
    assert [(g["group"], g["n"], g["value"]) for g in segment["groups"]] == [("A1", 2, 100.0)]
    scoped = api(org.supervisor_a1).get(url + "&by=agent").json()["groups"]
    assert [g["group"] for g in scoped] == [org.agent_a1.staff.name]


def test_a_low_score_emits_an_event_with_the_low_answers(org, answered):
    from manyi.core.models import EventRecord

    lows = EventRecord.objects.filter(name="survey.low_score").order_by("pk")
    # the 0-10 question is low at 0-6 (detractors: 3 and 6; 7 is a passive); `sat` is a
    # plain number question, low only where the questionnaire says so
    assert [
        [(s["question"], s["value"], s["at_most"]) for s in record.payload["scores"]]
        for record in lows
    ] == [[("nps", 3.0, 6.0)], [("nps", 6.0, 6.0)]]
    answered.low_score_at_most = {"sat": 3}
    answered.save()
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="客户X")
    _link, token = actions.create_link(SYSTEM, answered, customer=customer)
    actions.submit(token, {"visited": "yes", "sat": "3", "nps": "8"}, submission_key="low-score-x")
    assert lows.all().count() == 3
    assert lows.all().last().payload["scores"] == [
        {"question": "sat", "value": 3.0, "at_most": 3.0}
    ]


def test_the_rebuild_command_restores_the_breakdowns(api, org, rated):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from manyi.surveys.models import ScoreBreakdown

    url = "/surveys/questionnaires/after_sales/metrics?question=nps&by=agent"
    before = api(org.manager).get(url).json()
    ScoreBreakdown.objects.all().delete()
    assert api(org.manager).get(url).json()["groups"] == []
    call_command("rebuild_survey_tallies", "after_sales")
    assert api(org.manager).get(url).json() == before
    with pytest.raises(CommandError, match="no_such"):
        call_command("rebuild_survey_tallies", "no_such")


def test_a_dont_know_column_is_not_a_point_of_the_scale(api, org, tmp_path):
    from manyi.core.models import EventRecord

    survey = [
        ["type", "name", "label::Chinese (zh)", "label::English (en)", "required"],
        ["select_one sat5", "wait", "等候时间满意度", "Waiting time", "yes"],
    ]
    choices = [["list_name", "name", "label::Chinese (zh)", "label::English (en)"]]
    choices += [["sat5", str(n), str(n), str(n)] for n in range(1, 6)]
    choices += [["sat5", "99", "说不清", "Don't know"]]
    path = workbook(tmp_path / "wait.xlsx", survey, choices)
    version, _ = actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name, code="wait"
    )
    for n, answer in enumerate(["5", "4", "99", "1"]):
        _link, token = actions.create_link(SYSTEM, version.questionnaire)
        actions.submit(token, {"wait": answer}, submission_key=f"wait-{n:05d}")
    figures = (
        api(org.manager)
        .get("/surveys/questionnaires/wait/metrics?question=wait&metric=mean")
        .json()
    )
    # (5 + 4 + 1) / 3: the "don't know" is neither a 99 nor a point; it is missing
    assert figures["overall"]["value"] == pytest.approx(10 / 3)
    assert figures["overall"]["n"] == 3 and figures["missing"] == 1
    csat = api(org.manager).get("/surveys/questionnaires/wait/metrics?question=wait&metric=csat")
    assert csat.json()["overall"]["value"] == pytest.approx(200 / 3)
    lows = EventRecord.objects.filter(name="survey.low_score")
    assert [r.payload["scores"][0]["value"] for r in lows] == [1.0]  # 1 of 1-5 is low


@pytest.mark.django_db(transaction=True)  # the notice is written after the answer's commit
def test_the_account_manager_reads_the_low_question_by_its_text(org, tmp_path):
    from django.utils import translation

    from manyi.notifications.kinds import detail
    from manyi.notifications.models import Kind, Notification

    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = actions.import_xlsform(SYSTEM, content=path.read_bytes(), file_name=path.name)
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="客户L")
    customer.account_manager = org.agent_a1.staff
    customer.save(update_fields=["account_manager"])
    _link, token = actions.create_link(SYSTEM, version.questionnaire, customer=customer)
    actions.submit(
        token, {"visited": "yes", "sat": "4", "nps": "3"}, submission_key="low-for-the-manager"
    )
    [low] = Notification.objects.filter(recipient=org.agent_a1.staff, kind=Kind.LOW_SCORE)
    with translation.override("zh-hans"):
        shown = detail(low)
    assert "推荐可能性" in shown and "3" in shown and "nps" not in shown and ".0" not in shown
    with translation.override("en"):
        assert detail(low) == "Recommend?: 3"
