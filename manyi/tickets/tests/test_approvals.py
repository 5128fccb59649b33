"""待我审批: the proposals a person may approve, with their count in the top bar, decided
from the list."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.tickets import actions
from manyi.tickets.models import ReasonCode, Ticket

pytestmark = pytest.mark.django_db
# The list: session, user, staff, the pending proposals with their tickets, customers,
# branches and reasons (one join), their approvals, their remedies with departments, the
# customers' revenue, their ticket counts (the approval ladder is cached). The top bar's
# count reuses the list; the bell's count of unread notifications.
APPROVALS_QUERIES = 9


def _proposed(org, amount: int, subject: str = "洗衣机漏水") -> Ticket:
    """A complaint the agent investigated and proposed CNY `amount` for."""
    reason = ReasonCode.objects.get_or_create(code="P01", name="产品故障")[0]
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name=f"客户{subject}")
    agent = org.agent_a1
    ticket = actions.create_ticket(
        agent, branch=org.a1, customer=customer, channel="phone", subject=subject, reason=reason
    )
    actions.investigate(agent, ticket, cause="质量问题", severity=2)
    actions.propose(agent, ticket, remedies=[{"kind": "money", "amount": amount}])
    return Ticket.objects.get(pk=ticket.pk)


def _badge(html: str) -> int | None:
    found = re.search(r'data-badge="approvals">(\d+)<', html)
    return int(found.group(1)) if found else None


def test_a_supervisor_sees_what_waits_and_approves_it_from_the_list(org, login):
    small = _proposed(org, 150, "小额")  # within the agent's limit: approved at once
    waiting = _proposed(org, 800, "待审批")
    assert small.status == "proposed" and waiting.status == "awaiting_approval"
    supervisor = login(org.supervisor_a1)
    page = supervisor.get("/tickets/approvals/")
    text = page.content.decode()
    assert page.status_code == 200 and waiting.number in text and small.number not in text
    assert "¥800.00" in text and "主管" in text  # the amount and the level it needs
    assert _badge(text) == 1  # the count in the top bar, on every page
    assert _badge(supervisor.get("/tickets/").content.decode()) == 1
    done = supervisor.post(
        f"/tickets/{waiting.pk}/step/approve/",
        {"comment": "同意", "next": "/tickets/approvals/"},
    )
    assert done.status_code == 302 and done["Location"] == "/tickets/approvals/"
    assert Ticket.objects.get(pk=waiting.pk).status == "approved"
    after = supervisor.get("/tickets/approvals/").content.decode()
    assert waiting.number not in after and _badge(after) is None


def test_nobody_sees_a_proposal_they_may_not_decide(org, login):
    waiting = _proposed(org, 800)
    for user in (org.agent_a1, org.agent_b1):  # the proposer, another branch's agent
        text = login(user).get("/tickets/").content.decode()
        assert _badge(text) is None
    other = login(org.agent_b1).get("/tickets/approvals/")
    assert other.status_code in (200, 403)
    if other.status_code == 200:
        assert waiting.number not in other.content.decode()
    manager = login(org.manager).get("/tickets/approvals/").content.decode()
    assert waiting.number in manager  # a higher level may stand in


def test_a_rejection_from_the_list_needs_a_reason_and_comes_back_to_it(org, login):
    waiting = _proposed(org, 800)
    supervisor = login(org.supervisor_a1)
    refused = supervisor.post(
        f"/tickets/{waiting.pk}/step/reject/", {"comment": "", "next": "/tickets/approvals/"}
    )
    assert refused["Location"] == "/tickets/approvals/"
    assert Ticket.objects.get(pk=waiting.pk).status == "awaiting_approval"
    supervisor.post(
        f"/tickets/{waiting.pk}/step/reject/",
        {"comment": "先维修，不直接赔钱", "next": "https://evil.example/"},
    )
    assert Ticket.objects.get(pk=waiting.pk).status == "rejected"


def test_the_list_takes_a_fixed_number_of_queries(org, login):
    supervisor = login(org.supervisor_a1)
    counts = []
    for n in range(2):
        _proposed(org, 800 + n, f"第{n}张")
        _proposed(org, 900 + n, f"第{n}张乙")
        supervisor.get("/tickets/approvals/")  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            assert supervisor.get("/tickets/approvals/").status_code == 200
        counts.append(len(queries.captured_queries))

    assert counts == [APPROVALS_QUERIES] * 2, counts


def test_the_queue_opens_where_the_persons_work_is_with_counts_on_the_tabs(org, login):
    from manyi.customers import actions as customer_actions

    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="孙丽")
    # The manager registers for the branch: nobody has it yet.
    waiting = actions.create_ticket(
        org.manager, branch=org.a1, customer=customer, channel="phone", subject="来电咨询"
    )
    agent = login(org.agent_a1)
    page = agent.get("/tickets/").content.decode()
    assert 'aria-current="page" data-queue="unassigned"' in page  # nothing of mine yet
    assert waiting.number in page
    assert re.search(r'data-queue="unassigned">[^<]*<span class="count">1</span>', page)
    assert re.search(r'data-queue="mine">[^<]*<span class="count">0</span>', page)
    actions.assign(org.agent_a1, waiting, assignee=org.agent_a1.staff)
    page = agent.get("/tickets/").content.decode()
    assert 'aria-current="page" data-queue="mine"' in page
    assert re.search(r'data-queue="mine">[^<]*<span class="count">1</span>', page)
    chosen = agent.get("/tickets/?queue=team").content.decode()
    assert 'aria-current="page" data-queue="team"' in chosen
