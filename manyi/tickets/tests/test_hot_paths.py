"""The paths an agent hits all day keep a fixed number of queries, however many tickets
there are (the timings themselves are in bench/bench_tickets.py and docs/benchmarks.md)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.tickets import actions
from manyi.tickets.models import ReasonCode, Ticket

pytestmark = pytest.mark.django_db

# Registering: the customer, the day's number, the repeat check, the ticket, its audit
# entry, its timeline line and its event (no listener of registration runs on a worker:
# no delivery rows, no task), inside one transaction (two statements).
REGISTER_QUERIES = 9
# The queue page: session, user, staff, the counts of four tabs (mine, not yet assigned,
# team, past a deadline), the count, the page of tickets with their branch, reason,
# assignee and customer (one join), the saved views, and for anyone who may approve
# the top bar's count of proposals waiting for them (one query when none waits), the
# bell's count of unread notifications. The person's branches, the approval ladder, the
# reason tree and the branch calendars (the deadline column) are cached between requests.
QUEUE_QUERIES = 12


@pytest.fixture
def customer(org):
    ReasonCode.objects.create(code="S02", name="等候时间过长")
    return customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="李强", contacts=[("mobile", "13900139001")]
    )


def _body(customer, n: int) -> dict:
    return {
        "branch": "A1",
        "customer_id": customer.pk,
        "channel": "counter",
        "reason": "S02",
        "subject": f"排队等候时间过长 {n}",
    }


def test_registering_through_the_api_takes_a_fixed_handful_of_queries(api, org, customer):
    agent = api(org.agent_a1)
    assert agent.post("/tickets", _body(customer, 0)).status_code == 201  # warms the caches
    counts = []
    for n in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = agent.post("/tickets", _body(customer, n))
        assert response.status_code == 201, response.json()
        counts.append(len(queries.captured_queries))
    assert counts == [REGISTER_QUERIES] * 3, [q["sql"][:80] for q in queries.captured_queries]
    # The answer is the whole ticket, read from what was just written.
    body = response.json()
    assert body["repeat_of"] and body["proposals"] == [] and body["reason"] == "S02"
    assert body["branch"] == "A1" and body["first_response_due"]


def test_the_agents_queue_page_takes_the_same_queries_for_3_or_30_tickets(login, org, customer):
    client = login(org.agent_a1)

    def fill(n: int) -> None:
        for i in range(n):
            ticket = actions.create_ticket(
                org.agent_a1,
                branch=org.a1,
                customer=customer,
                reason="S02",
                channel="counter",
                subject=f"等候 {i}",
            )
            actions.assign(org.agent_a1, ticket, assignee=org.agent_a1.staff)

    fill(3)
    client.get("/tickets/?queue=mine")
    with CaptureQueriesContext(connection) as few:
        page = client.get("/tickets/?queue=mine")
    assert page.status_code == 200 and page.content.count(b"TS-") >= 3
    fill(27)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/tickets/?queue=mine")
    assert page.status_code == 200 and page.content.count(b"TS-") >= 25
    assert len(few.captured_queries) == len(many.captured_queries) == QUEUE_QUERIES, [
        q["sql"][:80] for q in many.captured_queries
    ]
    assert Ticket.objects.filter(assignee=org.agent_a1.staff).count() == 30
