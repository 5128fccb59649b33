"""The ticket workspace offers exactly the steps a person may take: walked over every state
of the procedure and every role, each offered step is taken (and rolled back) and none is
refused; the page shows those steps and no others. Also the stepper, the flow of a closed
ticket, the "waiting for" line and the step messages."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.org.models import Department
from manyi.org.permissions import has_permission
from manyi.tickets import actions, workspace
from manyi.tickets.models import ExecutionOrder, ReasonCode, Ticket
from manyi.tickets.steps import STEPS, run_step

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


@pytest.fixture
def desk(org):
    reason = ReasonCode.objects.create(code="P01", name="产品故障")
    warehouse = Department.objects.create(
        company=org.company, branch=org.a1, kind="warehouse", name="上海一支行仓库"
    )
    marketing = Department.objects.create(
        company=org.company, branch=org.a1, kind="marketing", name="上海一支行市场部"
    )
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="王芳")
    return {"reason": reason, "warehouse": warehouse, "marketing": marketing, "customer": customer}


def _new(org, desk, *, by: Any = None, ticket_type: str = "complaint") -> Ticket:
    return actions.create_ticket(
        by or org.agent_a1,
        branch=org.a1,
        customer=desk["customer"],
        channel="phone",
        ticket_type=ticket_type,
        subject="洗衣机漏水",
        reason=desk["reason"],
    )


def _analysed(org, desk) -> Ticket:
    ticket = _new(org, desk)
    actions.investigate(org.agent_a1, ticket, cause="密封圈老化", severity=2, company_fault="yes")
    return Ticket.objects.get(pk=ticket.pk)


def _proposed(org, desk, amount: int, by: Any = None) -> Ticket:
    ticket = _analysed(org, desk)
    actions.propose(
        by or org.agent_a1,
        ticket,
        remedies=[
            {"kind": "replacement", "amount": amount, "department": desk["warehouse"].pk},
            {"kind": "gift", "amount": 0, "department": desk["marketing"].pk},
        ],
    )
    return Ticket.objects.get(pk=ticket.pk)


def _executing(org, desk) -> Ticket:
    ticket = _proposed(org, desk, 100)
    actions.agree(org.agent_a1, ticket, method="in_person")
    return ticket


def _follow_up(org, desk, satisfied: bool | None) -> Ticket:
    ticket = _executing(org, desk)
    for order in ticket.orders.all():
        actions.complete_order(org.agent_a1, ticket, order_id=order.pk)
    if satisfied is not None:
        actions.follow_up(org.agent_a1, ticket, satisfied=satisfied)
    return ticket


def _closed(org, desk) -> Ticket:
    ticket = _follow_up(org, desk, True)
    actions.close(org.agent_a1, ticket)
    return ticket


def _unreachable_ready(org, desk) -> Ticket:
    ticket = _analysed(org, desk)
    start = timezone.now() - dt.timedelta(days=7)
    for day in range(5):
        actions.add_activity(
            org.agent_a1,
            ticket,
            kind="call",
            outcome="no_answer",
            at=start + dt.timedelta(days=day),
        )
    return ticket


def _paused(org, desk) -> Ticket:
    ticket = _analysed(org, desk)
    actions.pause(org.agent_a1, ticket, note="等客户寄回发票")
    return ticket


def _rejected(org, desk) -> Ticket:
    ticket = _proposed(org, desk, 500)
    actions.reject(org.supervisor_a1, ticket, comment="金额偏高")
    return ticket


def _declining(org, desk) -> Ticket:
    ticket = _analysed(org, desk)
    actions.decline(org.agent_a1, ticket, position="不予退货", reasons="已过保修期")
    return Ticket.objects.get(pk=ticket.pk)


def _merged(org, desk) -> Ticket:
    duplicate = _new(org, desk)
    actions.merge(org.agent_a1, duplicate, into=_new(org, desk))
    return duplicate


STATES: dict[str, Callable[..., Ticket]] = {
    "registered": lambda org, desk: _new(org, desk, by=org.manager),
    "assigned": _new,
    "investigating": lambda org, desk: (
        actions.add_activity(org.agent_a1, (t := _new(org, desk)), kind="call", outcome="reached")
        and Ticket.objects.get(pk=t.pk)
    ),
    "analysed": _analysed,
    "paused": _paused,
    "proposed": lambda org, desk: _proposed(org, desk, 100),
    "awaiting_supervisor": lambda org, desk: _proposed(org, desk, 500),
    "awaiting_manager": lambda org, desk: _proposed(org, desk, 50000),
    "declining": _declining,
    "approved": lambda org, desk: _proposed(org, desk, 1000, by=org.supervisor_a1),
    "rejected": _rejected,
    "executing": _executing,
    "follow_up": lambda org, desk: _follow_up(org, desk, None),
    "satisfied": lambda org, desk: _follow_up(org, desk, True),
    "unreachable_ready": _unreachable_ready,
    "closed": _closed,
    "merged": _merged,
    "enquiry": lambda org, desk: _new(org, desk, ticket_type="enquiry"),
}
ROLES = ("agent_a1", "supervisor_a1", "manager", "regional_a", "analyst", "admin")


def _body(step: str, ticket: Ticket, user: Any, org, desk) -> dict[str, Any]:
    spare = _new(org, desk)
    order = ticket.orders.filter(state=ExecutionOrder.State.OPEN).first()
    return {
        "assign": {  # the first person the page lists: the branch's people, else oneself
            "assignee": org.agent_a1.staff.pk
            if has_permission(user, "tickets.assign")
            else user.staff.pk
        },
        "contact": {"kind": "call", "outcome": "reached", "note": "已联系"},
        "note": {"note": "备注"},
        "attach": {
            "file_name": "a.txt",
            "content_type": "text/plain",
            "content": base64.b64encode(b"hi").decode(),
        },
        "investigate": {"cause": "原因"},
        "propose": {"remedies": [{"kind": "apology", "amount": "0"}]},
        "decline": {"position": "立场", "reasons": "理由"},
        "approve": {},
        "reject": {"comment": "理由"},
        "agree": {"method": "in_person"},
        "complete_order": {"order_id": order.pk if order else 0},
        "follow_up": {"satisfied": True},
        "close": {},
        "close_unreachable": {},
        "reopen": {"note": "客户再次来电"},
        "pause": {},
        "resume": {},
        "promise": {"kind": "reply_by", "due_at": (timezone.now() + dt.timedelta(hours=2))},
        "merge": {"number": spare.number},
        "link": {"number": spare.number},
    }[step]


def _takes(user, ticket, step, body) -> str | None:
    """Take the step and roll it back; the refusal's message, or None when it went."""
    try:
        with transaction.atomic():
            run_step(user, Ticket.objects.get(pk=ticket.pk), step, body)
            raise RolledBack
    except RolledBack:
        return None
    except (PermissionDenied, actions.TransitionRefused) as refused:
        return str(refused)


@pytest.mark.parametrize("state", list(STATES))
def test_every_offered_step_can_be_taken_and_the_page_shows_only_those(state, org, desk, client):
    ticket = STATES[state](org, desk)
    ticket = Ticket.objects.get(pk=ticket.pk)
    for role in ROLES:
        user = getattr(org, role)
        space = workspace.build(user, Ticket.objects.get(pk=ticket.pk))
        assert space.offered <= set(STEPS)
        for step in sorted(space.offered):
            refused = _takes(user, ticket, step, _body(step, ticket, user, org, desk))
            assert refused is None, f"{state}/{role}: {step} offered but refused: {refused}"
        client.force_login(user)
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
        shown = {chunk.split('"', 1)[0] for chunk in page.split('data-step="')[1:]}
        assert shown == space.offered, f"{state}/{role}"


def test_the_agent_sees_who_must_approve_and_no_approve_button(org, desk, client):
    ticket = _proposed(org, desk, 500)
    client.force_login(org.agent_a1)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-step="approve"' not in page and 'id="waiting"' in page
    space = workspace.build(org.agent_a1, ticket)
    assert space.waiting == "等待主管审批：员工super或上级"
    assert "approve" in workspace.build(org.supervisor_a1, ticket).offered
    # The manager's and the regional manager's names are there when there are many.
    expensive = _proposed(org, desk, 50000)
    line = workspace.build(org.agent_a1, expensive).waiting
    assert line == "等待部门负责人审批：员工boss（经理）或其他上级"


def test_an_enquiry_shows_three_stages_and_a_complaint_seven(org, desk):
    complaint = workspace.build(org.agent_a1, _analysed(org, desk))
    assert [s.key for s in complaint.stages] == [
        "register",
        "contact",
        "analyse",
        "propose",
        "agree",
        "execute",
        "close",
    ]
    assert [s.state for s in complaint.stages] == [
        "done",
        "done",
        "done",
        "current",
        "coming",
        "coming",
        "coming",
    ]
    enquiry = workspace.build(org.agent_a1, _new(org, desk, ticket_type="enquiry"))
    assert [s.key for s in enquiry.stages] == ["register", "contact", "close"]


def test_a_declined_ticket_skips_the_agreement_and_the_orders(org, desk):
    ticket = _declining(org, desk)
    actions.approve(org.supervisor_a1, ticket)
    ticket = Ticket.objects.get(pk=ticket.pk)
    stages = {s.key: s.state for s in workspace.build(org.agent_a1, ticket).stages}
    assert stages["agree"] == stages["execute"] == "skipped" and stages["close"] == "done"


def test_the_closed_ticket_shows_every_step_in_order(org, desk):
    ticket = _proposed(org, desk, 500)
    actions.approve(org.supervisor_a1, ticket, comment="同意")
    actions.agree(org.agent_a1, ticket, method="sms_code", reference="482913")
    for order in ticket.orders.order_by("pk"):
        actions.complete_order(org.agent_a1, ticket, order_id=order.pk)
    actions.follow_up(org.agent_a1, ticket, satisfied=True, note="客户满意")
    actions.close(org.agent_a1, ticket, note="结案")
    flow = workspace.build(org.agent_a1, Ticket.objects.get(pk=ticket.pk)).flow
    kinds = [e.kind for e in flow]
    assert kinds == [
        "register",
        "proposal",
        "approval",
        "agreement",
        "order",
        "order",
        "order_done",
        "order_done",
        "follow_up",
        "close",
    ]
    titles = [e.title for e in flow]
    assert titles[4] == "执行单已下达：上海一支行仓库 · 换货 ¥500.00"
    assert titles[5] == "执行单已下达：上海一支行市场部 · 赠品"
    assert flow[2].who == "员工super" and flow[2].lines == ["同意"]
    assert "482913" in flow[3].lines[0]
    assert flow[-1].title == "已结案：已解决，客户满意" and flow[-1].who == "员工agent_a1"


def test_the_follow_up_is_listed_once_on_the_customer_timeline(org, desk):
    from manyi.customers.models import TimelineEntry

    ticket = _follow_up(org, desk, True)
    lines = TimelineEntry.objects.filter(
        customer=desk["customer"], source__startswith=f"ticket:{ticket.pk}:"
    )
    titles = [line.title for line in lines]
    assert sum("记录回访" in title for title in titles) == 1


def test_each_step_says_what_it_did(org, desk, client):
    ticket = _analysed(org, desk)
    client.force_login(org.agent_a1)
    answer = client.post(
        f"/tickets/{ticket.pk}/step/propose/",
        {"kind_1": "replacement", "amount_1": "500", "department_1": desk["warehouse"].pk},
        follow=True,
    )
    assert "方案已提交，等待主管审批。" in answer.content.decode()
    client.force_login(org.supervisor_a1)
    answer = client.post(f"/tickets/{ticket.pk}/step/approve/", {}, follow=True)
    assert "方案已批准" in answer.content.decode()
    client.force_login(org.agent_a1)
    answer = client.post(f"/tickets/{ticket.pk}/step/agree/", {"method": "in_person"}, follow=True)
    assert "已记录客户同意，已下达 1 张执行单。" in answer.content.decode()


def test_a_refused_step_keeps_what_was_typed(org, desk, client):
    ticket = _analysed(org, desk)
    client.force_login(org.agent_a1)
    page = client.post(
        f"/tickets/{ticket.pk}/step/propose/",
        {"kind_1": "money", "amount_1": "-5", "description_1": "赔偿误工费"},
    ).content.decode()
    assert "不能为负数" in page or "负" in page
    assert 'value="赔偿误工费"' in page and 'value="-5"' in page
    assert '<option value="money" selected>' in page
    page = client.post(
        f"/tickets/{ticket.pk}/step/decline/", {"position": "不予退款", "reasons": ""}
    ).content.decode()
    assert ">不予退款</textarea>" in page and 'data-step="decline" open' in page
    assert Ticket.objects.get(pk=ticket.pk).status == "investigating"  # nothing stored


def test_an_analysis_conflict_keeps_mine_and_a_second_save_wins(org, desk, client):
    import re

    ticket = _analysed(org, desk)
    client.force_login(org.agent_a1)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    form = page[page.index('id="investigate-form"') :]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    actions.investigate(org.supervisor_a1, ticket, cause="安装不当")  # meanwhile
    shown = {"severity": "2", "company_fault": "yes", "word_of_mouth_risk": "1"}
    mine = {**hidden, **shown, "cause": "排水管老化"}
    refused = client.post(f"/tickets/{ticket.pk}/step/investigate/", mine).content.decode()
    assert "别人修改了" in refused and 'name="cause" value="排水管老化"' in refused
    assert Ticket.objects.get(pk=ticket.pk).cause == "安装不当"
    form = refused[refused.index('id="investigate-form"') :]
    again = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    again.update({**shown, "cause": "排水管老化"})
    client.post(f"/tickets/{ticket.pk}/step/investigate/", again)
    assert Ticket.objects.get(pk=ticket.pk).cause == "排水管老化"


def test_the_workspace_takes_the_same_queries_for_two_or_four_orders(org, desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def executing(orders: int) -> Ticket:
        ticket = _analysed(org, desk)
        remedy = {"kind": "gift", "amount": 0, "department": desk["warehouse"].pk}
        actions.propose(org.agent_a1, ticket, remedies=[remedy] * orders)
        actions.agree(org.agent_a1, ticket, method="in_person")
        return Ticket.objects.get(pk=ticket.pk)

    counts = []
    for ticket in (executing(2), executing(4)):
        with CaptureQueriesContext(connection) as queries:
            workspace.build(org.agent_a1, ticket)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1], counts
