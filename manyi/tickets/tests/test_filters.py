"""One filter for the queue pages and GET /api/v1/tickets: each filter is checked once, on
both, and both answer the same tickets; the queue's deadline marks count business time."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.tickets import actions, filters
from manyi.tickets.models import ReasonCode, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(org):
    product = ReasonCode.objects.create(code="P", name="产品")
    fault = ReasonCode.objects.create(code="X9", name="产品故障", parent=product)
    service = ReasonCode.objects.create(code="S", name="服务")
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="王芳")
    other = customer_actions.create_customer(SYSTEM, branch=org.a2, name="李雷")

    def make(subject, reason, *, by=org.agent_a1, branch=org.a1, who=customer, **extra):
        return actions.create_ticket(
            by,
            branch=branch,
            customer=who,
            channel="phone",
            ticket_type="complaint",
            subject=subject,
            reason=reason,
            **extra,
        )

    made = {
        "fault": make("洗衣机漏水", fault),
        "product": make("说明书缺页", product),
        "service": make("柜台态度差", service),
        "unassigned": make("电话无人接", service, by=org.manager),
        "elsewhere": make("杭州网点排队久", service, by=org.manager, branch=org.a2, who=other),
    }
    old = make("去年的投诉", fault)
    Ticket.objects.filter(pk=old.pk).update(
        resolution_due=timezone.now() - dt.timedelta(days=3),
        first_response_due=timezone.now() - dt.timedelta(days=3),
    )
    actions.investigate(org.agent_a1, made["service"], cause="新员工未培训")
    made["old"] = old
    return made


def _page_numbers(client, query: str) -> set[str]:
    page = client.get(f"/tickets/?{query}").content.decode()
    return set(re.findall(r'data-ticket="(TS-[0-9-]+)"', page))


def _api_numbers(api, user, query: str) -> set[str]:
    answer = api(user).get(f"/tickets?{query}&limit=100")
    assert answer.status_code == 200, answer.json()
    return {row["number"] for row in answer.json()["items"]}


CASES = {
    "queue=all&reason=P": {"fault", "product", "old"},  # the reason with its sub-reasons
    "queue=all&reason=X9": {"fault", "old"},
    "queue=all&reason=S": {"service", "unassigned", "elsewhere"},
    "queue=all&branch=A2": {"elsewhere"},
    "queue=all&status=investigating": {"service"},
    "queue=all&breached=true": {"old"},
    "queue=all&due=overdue": {"old"},
    "queue=unassigned": {"unassigned", "elsewhere"},
    "queue=all&q=漏水": {"fault"},
    "queue=team&reason=S&branch=A1": {"service", "unassigned"},
}


@pytest.mark.parametrize("query", list(CASES))
def test_the_page_and_the_api_answer_the_same_tickets(query, tickets, org, client, api):
    expected = {tickets[key].number for key in CASES[query]}
    client.force_login(org.manager)
    assert _page_numbers(client, query) == expected
    assert _api_numbers(api, org.manager, query) == expected


def test_due_soon_is_the_same_on_the_page_and_the_api(tickets, org, client, api):
    # Which tickets are due soon depends on the hour the test runs (business time).
    soon = filters.due_soon(Ticket.objects.all())
    expected = set(Ticket.objects.filter(pk__in=soon).values_list("number", flat=True))
    client.force_login(org.manager)
    assert _page_numbers(client, "queue=all&due=soon") == expected
    assert _api_numbers(api, org.manager, "queue=all&due=soon") == expected


def test_the_assignee_filter_and_mine(tickets, org, client, api):
    staff = org.agent_a1.staff
    mine = {tickets[k].number for k in ("fault", "product", "service", "old")}
    assert _api_numbers(api, org.manager, f"assignee={staff.pk}") == mine
    assert _api_numbers(api, org.agent_a1, "queue=mine") == mine
    client.force_login(org.agent_a1)
    assert _page_numbers(client, "") == mine  # the default tab: where the work is


def test_the_order_asked_for(tickets, org, api):
    rows = api(org.manager).get("/tickets?queue=all&sort=oldest&limit=100").json()["items"]
    created = [row["created_at"] for row in rows]
    assert created == sorted(created)
    due = api(org.manager).get("/tickets?queue=team&sort=due&limit=100").json()["items"]
    assert due[0]["number"] == tickets["old"].number  # the nearest deadline first


def test_a_bad_filter_is_refused_in_the_persons_language(tickets, org, client, api):
    answer = api(org.manager).get("/tickets?status=lost", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 422 and "status" in answer.json()["message"]
    client.force_login(org.manager)
    page = client.get("/tickets/?status=lost&queue=all").content.decode()
    assert 'class="error"' in page and len(re.findall(r'data-ticket="TS-', page)) == 6


def test_the_reason_picker_is_the_tree(tickets, org, client):
    client.force_login(org.manager)
    page = client.get("/tickets/").content.decode()
    picker = page[page.index('<select name="reason">') :]
    picker = picker[: picker.index("</select>")]
    assert picker.index(">产品<") < picker.index(">　产品故障<") < picker.index(">服务<")


def test_deadline_marks_count_business_time(org):
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="赵敏")
    ticket = actions.create_ticket(
        org.agent_a1,
        branch=org.a1,
        customer=customer,
        channel="phone",
        ticket_type="complaint",
        subject="未按时回电",
    )
    monday = dt.datetime(2026, 12, 7, 9, 30, tzinfo=SHANGHAI)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_responded_at=monday - dt.timedelta(days=4), resolution_due=monday
    )
    ticket = Ticket.objects.select_related("branch").get(pk=ticket.pk)
    # Saturday noon: 45 wall-clock hours away, half an hour of business time (9:00 Monday).
    saturday = dt.datetime(2026, 12, 5, 12, 0, tzinfo=SHANGHAI)
    mark = filters.deadline_marks([ticket], saturday)[ticket.pk]
    assert mark.seconds == 30 * 60 and mark.soon and not mark.late
    assert mark.words == "还剩 30 分钟"
    assert filters.due_soon(Ticket.objects.all(), saturday) == [ticket.pk]
    thursday = dt.datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)  # 1.5 business days ahead
    early = filters.deadline_marks([ticket], thursday)[ticket.pk]
    assert not early.soon and early.words == "还剩 15 小时 30 分钟"
    assert filters.due_soon(Ticket.objects.all(), thursday) == []
    late = filters.deadline_marks([ticket], monday + dt.timedelta(hours=2))[ticket.pk]
    assert late.late and late.words == "已超时 2 小时"
