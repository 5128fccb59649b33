"""Triggers: a closed ticket or a purchase sends the chosen survey after a delay, at most
once per customer per N days, never to those who opted out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from manyi.analytics.tests.test_xlsform import workbook
from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.surveys import actions, channels
from manyi.surveys.models import OptOut, SurveyTrigger, TriggeredInvitation
from manyi.tickets import actions as ticket_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def trigger(org, tmp_path):
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = actions.import_xlsform(SYSTEM, content=path.read_bytes(), file_name=path.name)
    channels.console_outbox.clear()
    return SurveyTrigger.objects.create(
        name="结案回访",
        event="ticket.closed",
        questionnaire=version.questionnaire,
        channel="sms",
        message="{客户}您好，您的问题已处理完毕，请评价：{链接}",
        delay_minutes=120,
        once_per_days=30,
    )


def _close_an_enquiry(org, customer, capture):
    with capture(execute=True):
        ticket = ticket_actions.create_ticket(
            org.agent_a1,
            branch=org.a1,
            customer=customer,
            channel="phone",
            ticket_type="enquiry",
            subject="咨询利率",
        )
        ticket_actions.close(org.agent_a1, ticket)
    return ticket


def test_a_closed_ticket_sends_the_survey_after_the_delay_once_per_period(
    org, trigger, django_capture_on_commit_callbacks
):
    customer = customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="刘洋", contacts=[("mobile", "13700000001")]
    )
    _close_an_enquiry(org, customer, django_capture_on_commit_callbacks)
    pending = TriggeredInvitation.objects.get()
    assert pending.customer == customer and pending.state == "pending"
    # the answers will rate who served the customer (here who closed it at the counter)
    assert pending.agent == org.agent_a1.staff
    now = timezone.now()
    assert actions.send_triggered(now) == 0  # not yet: two hours' delay
    assert actions.send_triggered(now + dt.timedelta(hours=3)) == 1
    assert channels.console_outbox[0].phone == "13700000001"
    assert "/s/" in channels.console_outbox[0].text
    pending.refresh_from_db()
    assert pending.link.agent == org.agent_a1.staff
    # A second closed ticket within 30 days: not surveyed again.
    _close_an_enquiry(org, customer, django_capture_on_commit_callbacks)
    assert actions.send_triggered(now + dt.timedelta(hours=6)) == 0
    skipped = TriggeredInvitation.objects.filter(state="skipped").get()
    assert skipped.reason.startswith("surveyed")


def test_opted_out_customers_and_purchases(org, trigger, django_capture_on_commit_callbacks):
    customer = customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="马丽", contacts=[("mobile", "13700000002")]
    )
    OptOut.objects.create(customer=customer)
    _close_an_enquiry(org, customer, django_capture_on_commit_callbacks)
    assert actions.send_triggered(timezone.now() + dt.timedelta(days=1)) == 0
    assert TriggeredInvitation.objects.get().reason == "opted out"
    SurveyTrigger.objects.create(
        name="购买后",
        event="customer.transaction_recorded",
        questionnaire=trigger.questionnaire,
        channel="sms",
        message="{链接}",
        delay_minutes=0,
    )
    buyer = customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="赵强", contacts=[("mobile", "13700000003")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        customer_actions.record_transaction(
            SYSTEM, buyer, amount=Decimal("880.00"), product="理财产品"
        )
    assert actions.send_triggered(timezone.now() + dt.timedelta(minutes=1)) == 1
