"""First-contact resolution on a fixture computed by hand.

Seven tickets of one reason, six of them closed:

| ticket | what happened                                         | FCR | one touch |
|--------|-------------------------------------------------------|-----|-----------|
| T1     | one call of ours, closed                              | yes | yes       |
| T2     | two calls of ours (investigate, then answer), closed  | yes | no        |
| T3     | our call, then the customer called to chase, closed   | no  | no        |
| T4     | closed, reopened, closed again                        | no  | no        |
| T5     | closed; the customer came back on the same reason (T6) | no  | no        |
| T6     | the repeat of T5: one call of ours, closed            | yes | yes       |
| T7     | still open                                            | —   | —         |

So 6 closed, 3 at first contact (50%), 2 in one touch (33%).
"""

from __future__ import annotations

import pytest

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.tickets import actions, reports
from manyi.tickets.models import ReasonCode, Ticket

pytestmark = pytest.mark.django_db


def _ticket(org, customer, reason, *calls: str) -> Ticket:
    agent = org.agent_a1
    ticket = actions.create_ticket(
        agent,
        branch=org.a1,
        customer=customer,
        channel="phone",
        ticket_type="enquiry",
        subject="咨询退款进度",
        reason=reason,
    )
    actions.assign(agent, ticket, assignee=agent.staff)
    for direction in calls:
        actions.add_activity(
            agent, ticket, kind="call", outcome="reached", direction=direction, text="通话"
        )
    return ticket


def _close(org, ticket: Ticket) -> Ticket:
    return actions.close(org.agent_a1, ticket, note="已答复")


@pytest.fixture
def fixture(org):
    reason = ReasonCode.objects.create(code="R01", name="退款进度")
    people = [
        customer_actions.create_customer(SYSTEM, branch=org.a1, name=f"客户{i}") for i in range(6)
    ]
    t1 = _close(org, _ticket(org, people[0], reason, "outbound"))
    t2 = _close(org, _ticket(org, people[1], reason, "outbound", "outbound"))
    t3 = _close(org, _ticket(org, people[2], reason, "outbound", "inbound"))
    t4 = _close(org, _ticket(org, people[3], reason, "outbound"))
    actions.reopen(org.agent_a1, t4, note="客户说还没收到")
    t4 = _close(org, t4)
    t5 = _close(org, _ticket(org, people[4], reason, "outbound"))
    t6 = _close(org, _ticket(org, people[4], reason, "outbound"))  # the same customer again
    t7 = _ticket(org, people[5], reason, "outbound")
    assert Ticket.objects.get(pk=t6.pk).repeat_of_id == t5.pk
    return {"t": [t1, t2, t3, t4, t5, t6, t7]}


def test_first_contact_resolution_as_computed_by_hand(fixture):
    [row] = reports.first_contact_resolution(Ticket.objects.all(), "reason")
    assert (row["closed"], row["first_contact"], row["one_touch"]) == (6, 3, 2)
    assert row["rate"] == pytest.approx(0.5)
    assert row["one_touch_rate"] == pytest.approx(2 / 6)


def test_the_report_page_and_the_api_say_the_same(fixture, org, login, api):
    page = login(org.manager).get("/tickets/reports/")
    text = page.content.decode()
    assert 'id="fcr-definition"' in text and "50%" in text and "33%" in text
    rows = api(org.manager).get("/tickets/reports/first-contact-resolution?by=reason").json()
    assert [(r["closed"], r["first_contact"], r["one_touch"]) for r in rows] == [(6, 3, 2)]


def test_the_customers_call_is_recorded_as_inbound_from_the_page(org, login, fixture):
    ticket = fixture["t"][6]
    login(org.agent_a1).post(
        f"/tickets/{ticket.pk}/step/contact/",
        {"kind": "call", "direction": "inbound", "outcome": "reached", "note": "客户来电催问"},
    )
    assert ticket.activities.filter(direction="inbound", text="客户来电催问").exists()
