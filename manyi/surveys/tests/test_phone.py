"""Phone interviews: a reproducible sample, call outcomes, callbacks inside the customer's
window and only with consent, interviews judged by the questionnaire's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from manyi.analytics.tests.test_xlsform import workbook
from manyi.customers import actions as customer_actions
from manyi.customers.models import Customer, Segment
from manyi.org.actions import SYSTEM
from manyi.surveys import actions, reading
from manyi.surveys.models import CallCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(org, tmp_path):
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = actions.import_xlsform(SYSTEM, content=path.read_bytes(), file_name=path.name)
    for n in range(30):
        customer_actions.create_customer(
            SYSTEM,
            branch=org.a1 if n % 3 else org.a2,
            name=f"受访者{n}",
            contacts=[("mobile", f"1390000{n:04d}")],
        )
    customer_actions.create_customer(SYSTEM, branch=org.a1, name="无电话")
    segment = Segment.objects.create(name="全部", rules=[])
    return version.questionnaire, segment


def test_a_sample_is_reproducible_with_its_seed(org, sample):
    questionnaire, segment = sample

    def draw(seed: int, **kwargs):
        call_list = actions.draw_call_list(
            org.manager,
            name="回访",
            questionnaire=questionnaire,
            segment=segment,
            size=10,
            seed=seed,
            **kwargs,
        )
        return sorted(call_list.cases.values_list("customer_id", flat=True))

    first = draw(42)
    assert first == draw(42) and first != draw(43) and len(first) == 10
    assert not Customer.objects.filter(pk__in=first, name="无电话").exists()  # reachable only
    stratified = actions.draw_call_list(
        org.manager,
        name="分层",
        questionnaire=questionnaire,
        segment=segment,
        size=9,
        seed=1,
        stratify_by="branch",
    )
    counts = {s: stratified.cases.filter(stratum=s).count() for s in ("A1", "A2")}
    assert counts == {"A1": 6, "A2": 3}  # 20 and 10 customers: in proportion


def test_callbacks_need_consent_and_fall_in_the_window(org, sample):
    questionnaire, segment = sample
    call_list = actions.draw_call_list(
        org.manager, name="回访", questionnaire=questionnaire, segment=segment, size=3, seed=5
    )
    case = call_list.cases.select_related("customer").first()
    customer = case.customer
    customer.callback_from, customer.callback_until = dt.time(19, 0), dt.time(21, 0)
    customer.save()
    asked = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with pytest.raises(Exception, match=r"同意|consent"):
        actions.record_call(org.agent_a1, case, outcome="callback", callback_at=asked)
    case = actions.record_call(
        org.agent_a1,
        case,
        outcome="callback",
        callback_at=asked,
        consent=True,
        recording_ref="REC-20261123-001",
    )
    local = timezone.localtime(case.next_call_at)
    assert (local.date(), local.hour) == (asked.date(), 19)  # moved into the evening window
    assert Customer.objects.get(pk=customer.pk).callback_consent
    busy = actions.record_call(
        org.agent_a1, call_list.cases.exclude(pk=case.pk).first(), outcome="busy"
    )
    assert busy.state == "to_call" and busy.next_call_at is not None
    refused = actions.record_call(org.agent_a1, busy, outcome="refused")
    assert refused.state == "refused" and refused.next_call_at is None


def test_an_interview_is_judged_like_a_web_answer_and_progress_by_interviewer(org, sample):
    questionnaire, segment = sample
    call_list = actions.draw_call_list(
        org.manager, name="回访", questionnaire=questionnaire, segment=segment, size=2, seed=9
    )
    case, other = list(call_list.cases.all())
    with pytest.raises(actions.SubmissionRefused):
        actions.complete_interview(org.agent_a1, case, {"visited": "yes", "sat": "9"})
    response = actions.complete_interview(org.agent_a1, case, {"visited": "no", "why_not": "忙"})
    assert response.channel == "phone" and response.customer_id == case.customer_id
    assert CallCase.objects.get(pk=case.pk).state == "completed"
    actions.record_call(org.agent_a1, other, outcome="no_answer")
    progress = reading.interviewer_progress(call_list)
    assert progress == [
        {"interviewer": org.agent_a1.staff.name, "calls": 2, "completed": 1, "no_answer": 1}
    ]


def test_the_system_draws_only_from_the_segment(org, sample):
    questionnaire, _segment = sample
    vip = Customer.objects.filter(name__startswith="受访者").order_by("pk").first()
    vip.tier = "vip"
    vip.save(update_fields=["tier"])
    segment = Segment.objects.create(
        name="VIP", rules=[{"field": "tier", "op": "eq", "value": "vip"}]
    )
    call_list = actions.draw_call_list(
        SYSTEM, name="VIP", questionnaire=questionnaire, segment=segment, size=10, seed=1
    )
    assert list(call_list.cases.values_list("customer_id", flat=True)) == [vip.pk]
