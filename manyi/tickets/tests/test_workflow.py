"""The seven steps of seed 003 through the JSON API, as an integration would drive them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry, Department, Staff
from manyi.tickets import actions, policy
from manyi.tickets.models import ExecutionOrder, ReasonCode, Ticket
from manyi.tickets.steps import SCHEMAS

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(org):
    quality = ReasonCode.objects.create(code="P", name="产品质量")
    ReasonCode.objects.create(code="P01", name="产品故障", parent=quality)
    warehouse = Department.objects.create(
        company=org.company, branch=org.a1, kind="warehouse", name="上海一支行仓库"
    )
    customer = customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="王芳", contacts=[("mobile", "13900139000")]
    )
    return {"warehouse": warehouse, "customer": customer}


def staff(user) -> Staff:
    return user.staff


def register(api, org, setup, **extra):
    body = {
        "branch": "A1",
        "customer_id": setup["customer"].pk,
        "channel": "phone",
        "ticket_type": "complaint",
        "reason": "P01",
        "subject": "洗衣机漏水，要求退货",
        "description": "客户投诉退款处理很慢，第三次来电",
        "product": "滚筒洗衣机",
        "specification": "XQG100",
        "batch_number": "B2026-07",
        "symptoms": "底部漏水",
        **extra,
    }
    response = api(org.agent_a1).post("/tickets", body)
    assert response.status_code == 201, response.json()
    return response.json()


def step(api, user, ticket_id, action, **body):
    return api(user).post(f"/tickets/{ticket_id}/actions/{action}", body)


def test_the_seven_steps_with_approval_rejection_orders_and_reopen(api, org, setup):
    ticket = register(api, org, setup)
    number = ticket["number"]
    assert number.startswith("TS-") and len(number) == len("TS-20261123-0001")
    # Whoever registers a contact at their branch handles it (no assignment rule here).
    assert ticket["status"] == "assigned" and ticket["first_response_due"]
    assert ticket["assignee"] == staff(org.agent_a1).name
    tid = ticket["id"]
    agent = org.agent_a1

    assert step(api, agent, tid, "assign", assignee=staff(agent).pk).json()["status"] == "assigned"
    contact = step(api, agent, tid, "contact", kind="call", outcome="reached", note="已联系客户")
    assert contact.json()["first_responded_at"]
    investigated = step(
        api,
        agent,
        tid,
        "investigate",
        cause="密封圈老化",
        severity=2,
        company_fault="yes",
        customer_demand="退货并赔偿",
        relationship="B",
        word_of_mouth_risk=3,
    ).json()
    assert investigated["status"] == "investigating" and investigated["company_fault"] == "yes"

    # 1,500 is over the agent's 200: a supervisor must approve; the agent cannot.
    proposal = step(
        api,
        agent,
        tid,
        "propose",
        remedies=[
            {"kind": "apology", "amount": 0},
            {"kind": "replacement", "amount": 1300, "department": setup["warehouse"].pk},
            {"kind": "money", "amount": "200.00"},
        ],
        note="换新机并补偿",
    ).json()
    assert proposal["status"] == "awaiting_approval"
    assert proposal["proposals"][-1]["required_roles"] == ["supervisor"]
    assert proposal["proposals"][-1]["total"] == "1500.00"
    refused = step(api, agent, tid, "approve")
    assert refused.status_code == 403

    # The supervisor rejects; it goes back to the agent, who proposes less.
    rejected = step(api, org.supervisor_a1, tid, "reject", comment="先维修，不直接换新")
    assert rejected.json()["status"] == "rejected"
    assert step(api, agent, tid, "agree", method="in_person").status_code == 409
    again = step(
        api,
        agent,
        tid,
        "propose",
        remedies=[
            {"kind": "repair", "amount": 800, "department": setup["warehouse"].pk},
            {"kind": "gift", "amount": 150},
        ],
    ).json()
    assert again["status"] == "awaiting_approval"
    approved = step(api, org.supervisor_a1, tid, "approve", comment="同意")
    assert approved.json()["status"] == "approved"

    agreed = step(api, agent, tid, "agree", method="sms_code", reference="604512").json()
    assert agreed["status"] == "executing"
    order = agreed["orders"][0]
    assert order["state"] == "open" and order["department"] == "上海一支行仓库"
    # The ticket cannot close while the order is open.
    assert step(api, agent, tid, "close").status_code == 409

    done = step(api, agent, tid, "complete_order", order_id=order["id"]).json()
    assert done["status"] == "follow_up" and done["follow_ups"]
    assert step(api, agent, tid, "close").status_code == 409  # no verdict yet

    # Not satisfied: back to investigation, counted as reopened.
    unhappy = step(api, agent, tid, "follow_up", satisfied=False, note="还是漏水").json()
    assert unhappy["status"] == "investigating" and unhappy["reopened_count"] == 1

    step(api, agent, tid, "propose", remedies=[{"kind": "care_visit", "amount": 100}])
    agreed = step(api, agent, tid, "agree", method="in_person").json()  # within the agent's limit
    assert agreed["status"] == "follow_up"
    happy = step(api, agent, tid, "follow_up", satisfied=True).json()
    assert happy["status"] == "follow_up" and happy["resolved_at"]
    closed = step(api, agent, tid, "close", note="客户满意").json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert step(api, agent, tid, "close").status_code == 409

    actions_logged = set(
        AuditEntry.objects.filter(object_id=str(tid), action__startswith="tickets.").values_list(
            "action", flat=True
        )
    )
    assert {"tickets.create", "tickets.propose", "tickets.reject", "tickets.approve"} <= (
        actions_logged
    )
    assert {"tickets.agree", "tickets.follow_up", "tickets.reopen", "tickets.close"} <= (
        actions_logged
    )
    timeline = api(agent).get(f"/customers/{setup['customer'].pk}/timeline").json()
    titles = " ".join(line["title"] for line in timeline)
    assert number in titles


def test_levels_of_approval_follow_amount_and_severity(org):
    assert policy.required_approvals("agent", policy.Decimal("200"), 1) == []
    assert policy.required_approvals("agent", policy.Decimal("201"), 1) == ["supervisor"]
    assert policy.required_approvals("agent", policy.Decimal("50"), 4) == ["department_head"]
    assert policy.required_approvals("agent", policy.Decimal("5000"), 1) == ["department_head"]
    # Above every limit: two steps, the department head, then the manager.
    assert policy.required_approvals("supervisor", policy.Decimal("50000"), 1) == [
        "department_head",
        "manager",
    ]
    assert policy.may_approve("manager", "supervisor")
    assert not policy.may_approve("agent", "supervisor")


def test_two_step_approval_and_no_self_approval(api, org, setup):
    ticket = register(api, org, setup)
    tid = ticket["id"]
    boss = org.manager
    step(api, org.agent_a1, tid, "assign", assignee=staff(org.agent_a1).pk)
    step(api, org.agent_a1, tid, "investigate", severity=1)
    step(api, org.agent_a1, tid, "propose", remedies=[{"kind": "money", "amount": 30000}])
    # The manager may not take the department head's step and then his own.
    first = step(api, boss, tid, "approve").json()
    assert first["status"] == "awaiting_approval"
    assert step(api, boss, tid, "approve").status_code == 403
    regional = step(api, org.regional_a, tid, "approve").json()
    assert regional["status"] == "approved"
    assert [a["role"] for a in regional["proposals"][-1]["approvals"]] == [
        "department_head",
        "manager",
    ]


def test_refusals_answer_409_403_and_404(api, org, setup):
    ticket = register(api, org, setup)
    tid = ticket["id"]
    early = step(api, org.agent_a1, tid, "propose", remedies=[{"kind": "gift"}])
    assert early.status_code == 409 and early.json()["code"] == "conflict"
    assert "现在不能“提出处理方案”" in early.json()["message"]  # in the user's language
    assert step(api, org.agent_b1, tid, "assign", assignee=1).status_code == 404
    assert api(org.agent_b1).get(f"/tickets/{tid}").status_code == 404
    assert step(api, org.analyst, tid, "note", note="x").status_code == 403
    assert step(api, org.agent_a1, tid, "fly").status_code == 404
    bad = step(api, org.agent_a1, tid, "assign", assignee=staff(org.agent_a1).pk)
    assert bad.status_code == 200
    wrong = step(api, org.agent_a1, tid, "investigate", severity=9)
    assert wrong.status_code == 422 and "severity" in wrong.json()["message"]
    body = api(org.agent_a1).post(
        "/tickets",
        {"branch": "A1", "channel": "phone", "subject": "无客户"},
    )
    assert body.status_code == 400


def test_first_response_across_national_day_and_a_make_up_saturday(org, setup):
    """Registered at 17:00 on 30 September 2026 (Wednesday) with a 2-hour first response:
    one hour that day, 1-7 October are holidays, 8-9 October are normal days. With a
    resolution target of 27 business hours: 1 h on 30 September, 9 h each on 8 and 9 October,
    and the rest on Saturday 10 October, a make-up working day."""
    created = dt.datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)
    ticket = actions.create_ticket(
        SYSTEM,
        branch=org.a1,
        customer=setup["customer"],
        channel="phone",
        subject="国庆前投诉",
        created_at=created,
    )
    assert ticket.first_response_due == dt.datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
    assert ticket.reply_due == dt.datetime(2026, 9, 30, 18, 0, tzinfo=SHANGHAI)
    assert ticket.resolution_due == dt.datetime(2026, 10, 10, 17, 0, tzinfo=SHANGHAI)


def test_waiting_for_the_customer_stops_the_clock(org, setup):
    created = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # a Monday
    ticket = actions.create_ticket(
        SYSTEM,
        branch=org.a1,
        customer=setup["customer"],
        channel="counter",
        subject="等资料",
        created_at=created,
    )
    due = ticket.resolution_due
    ticket = actions.pause(SYSTEM, ticket)
    Ticket.objects.filter(pk=ticket.pk).update(
        paused_at=dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    )
    ticket.refresh_from_db()
    # Resumed at 10:00 the next day: a whole business day (9 hours) later.
    resumed = actions.resume(SYSTEM, ticket, at=dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))
    calendar_shift = resumed.resolution_due - due
    assert calendar_shift == dt.timedelta(days=1)


def test_a_repeat_contact_is_detected_and_linked(api, org, setup):
    first = register(api, org, setup)
    second = register(api, org, setup, subject="又漏水了")
    assert second["repeat_of"] == first["number"]
    other_reason = register(api, org, setup, reason=None, subject="咨询")
    assert other_reason["repeat_of"] is None
    old = Ticket.objects.get(pk=first["id"])
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    third = register(api, org, setup, subject="一个月后")
    assert third["repeat_of"] == second["number"]


def test_enquiries_close_at_first_contact_and_closing_emits_the_survey_event(api, org, setup):
    from manyi.core.models import EventRecord

    enquiry = register(api, org, setup, ticket_type="enquiry", subject="营业时间")
    closed = step(api, org.agent_a1, enquiry["id"], "close", note="已答复").json()
    assert closed["status"] == "closed"
    assert EventRecord.objects.filter(name="ticket.closed").exists()
    assert not ExecutionOrder.objects.exists()


def test_new_customer_on_the_fly_and_promises(api, org, setup):
    created = api(org.agent_a1).post(
        "/tickets",
        {
            "branch": "A1",
            "new_customer": {"name": "李雷", "phone": "13600136000"},
            "channel": "counter",
            "ticket_type": "complaint",
            "subject": "排队太久",
        },
    )
    assert created.status_code == 201
    tid = created.json()["id"]
    due = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    promised = step(api, org.agent_a1, tid, "promise", kind="reply_by", due_at=due).json()
    assert promised["promises"][0]["kept"] is None
    kept = step(api, org.agent_a1, tid, "contact", kind="call", outcome="reached", note="回电")
    assert kept.json()["promises"][0]["kept"] is True


def test_breaches_escalate_level_by_level(api, org, setup):
    from manyi.tickets.sla import escalate_breaches

    created = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # Monday
    ticket = actions.create_ticket(
        SYSTEM,
        branch=org.a1,
        customer=setup["customer"],
        channel="phone",
        subject="没人回电",
        created_at=created,
    )
    assert escalate_breaches(now=created + dt.timedelta(hours=1)) == 0
    # 12:00: the 2-hour first response is missed.
    assert escalate_breaches(now=dt.datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)) == 1
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert escalate_breaches(now=dt.datetime(2026, 11, 23, 12, 5, tzinfo=SHANGHAI)) == 0
    # Next morning the same-day reply is missed too; days later the resolution.
    escalate_breaches(now=dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))
    ticket.refresh_from_db()
    assert ticket.escalation_level == 2
    escalate_breaches(now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    ticket.refresh_from_db()
    assert ticket.escalation_level == 3
    assert AuditEntry.objects.filter(action="tickets.escalate").count() == 3
    listed = api(org.supervisor_a1).get("/tickets?breached=true").json()
    assert [t["number"] for t in listed["items"]] == [ticket.number]


def test_chinese_full_text_search(api, org, setup):
    from manyi.tickets.search import search

    slow = register(api, org, setup, subject="退款问题", description="客户投诉退款处理很慢")
    register(api, org, setup, subject="咨询营业时间", description="想了解周末是否营业")
    found = api(org.agent_a1).get("/tickets?q=投诉").json()["items"]
    assert [t["number"] for t in found] == [slow["number"]]
    both_words = api(org.agent_a1).get("/tickets?q=退款+很慢").json()["items"]
    assert [t["number"] for t in both_words] == [slow["number"]]
    assert api(org.agent_a1).get("/tickets?q=理财").json()["count"] == 0
    # The analysis is searchable too once recorded, and other branches stay out.
    step(api, org.agent_a1, slow["id"], "assign", assignee=staff(org.agent_a1).pk)
    step(api, org.agent_a1, slow["id"], "investigate", cause="系统故障导致延迟")
    assert [t.number for t in search(Ticket.objects.all(), "系统故障")] == [slow["number"]]
    assert api(org.agent_b1).get("/tickets?q=投诉").json()["count"] == 0
    page = api(org.agent_a1).get("/tickets?q=退款处理")
    assert page.json()["count"] == 1 and page.json()["more"] is False
    # Notes and calls are searchable, and survive a later re-analysis.
    step(api, org.agent_a1, slow["id"], "note", note="客户同意等待财务部复核")
    step(api, org.agent_a1, slow["id"], "investigate", cause="财务流程审批慢")
    assert [
        t["number"] for t in api(org.agent_a1).get("/tickets?q=财务部复核").json()["items"]
    ] == [slow["number"]]


def test_search_lists_newest_first_and_caps_its_count(api, org, setup):
    from manyi.tickets.search import capped_count, query_words, search

    assert query_words("IMG_2024.jpg") == ["img", "2024", "jpg"]  # "_" is no word
    assert query_words("信用卡年费") == ["信用卡", "年费"]  # 信用 is inside 信用卡

    numbers = [register(api, org, setup, subject=f"投诉第{n}次")["number"] for n in range(3)]
    found = api(org.agent_a1).get("/tickets?q=投诉&limit=2").json()
    assert [t["number"] for t in found["items"]] == numbers[::-1][:2]
    assert found["count"] == 3 and not found["more"]
    assert capped_count(search(Ticket.objects.all(), "投诉"), cap=2) == (2, True)
    assert capped_count(search(Ticket.objects.all(), "投诉"), cap=3) == (3, False)


def test_repeat_report_and_first_contact_resolution(api, org, setup):
    agent = org.agent_a1
    first = register(api, org, setup, ticket_type="enquiry", subject="漏水咨询")
    step(api, agent, first["id"], "assign", assignee=staff(agent).pk)
    step(api, agent, first["id"], "contact", kind="call", outcome="reached", note="已解释")
    step(api, agent, first["id"], "close")
    again = register(api, org, setup, subject="还是漏水")
    assert again["repeat_of"] == first["number"]
    step(api, agent, again["id"], "assign", assignee=staff(agent).pk)
    step(api, agent, again["id"], "investigate", repeat_cause="第一次只解释，没有上门检查")
    quick = register(api, org, setup, ticket_type="enquiry", reason=None, subject="营业时间")
    step(api, agent, quick["id"], "assign", assignee=staff(agent).pk)
    step(api, agent, quick["id"], "contact", kind="call", outcome="reached", note="已答复")
    step(api, agent, quick["id"], "close")

    repeats = api(agent).get("/tickets/reports/repeats").json()
    assert [(r["number"], r["first_number"]) for r in repeats] == [
        (again["number"], first["number"])
    ]
    assert repeats[0]["why"] == "第一次只解释，没有上门检查"
    by_agent = api(agent).get("/tickets/reports/first-contact-resolution?by=agent").json()
    # Two closed: the quick answer counts, the first leak does not (it came back).
    assert by_agent == [
        {
            "key": staff(agent).pk,
            "name": staff(agent).name,
            "closed": 2,
            "first_contact": 1,
            "rate": 0.5,
            "one_touch": 1,
            "one_touch_rate": 0.5,
        }
    ]
    by_reason = api(agent).get("/tickets/reports/first-contact-resolution?by=reason").json()
    assert {r["name"]: r["rate"] for r in by_reason} == {"—": 1.0, "产品故障": 0.0}
    assert api(agent).get("/tickets/reports/first-contact-resolution?by=x").status_code == 400
    assert api(org.agent_b1).get("/tickets/reports/repeats").json() == []


def test_the_search_index_comes_back_after_a_table_rebuild(api, org, setup):
    """SQLite drops a table's triggers when a migration rebuilds it; after migrate the index
    is checked, its triggers restored and its content rebuilt."""
    from django.db import connection

    from manyi.tickets.search import ensure_index, search

    if connection.vendor != "sqlite":
        ensure_index()  # idempotent on PostgreSQL
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER tickets_ticket_fts_insert")
    lost = register(api, org, setup, subject="投诉排队时间太长")
    assert not search(Ticket.objects.all(), "排队").exists()
    ensure_index()
    assert [t.number for t in search(Ticket.objects.all(), "排队")] == [lost["number"]]


def test_the_report_page(api, org, setup, login):
    first = register(api, org, setup, ticket_type="enquiry", subject="第一次")
    step(api, org.agent_a1, first["id"], "close")
    register(api, org, setup, subject="第二次")
    page = login(org.supervisor_a1).get("/tickets/reports/").content.decode()
    assert first["number"] in page and 'id="fcr-agent"' in page
    assert login(org.agent_b1).get("/tickets/reports/").status_code == 200
    assert first["number"] not in login(org.agent_b1).get("/tickets/reports/").content.decode()


def test_merge_duplicates_and_link_related(api, org, setup):
    agent = org.agent_a1
    kept = register(api, org, setup, subject="信用卡被盗刷")
    twice = register(api, org, setup, subject="信用卡盗刷（又打来）")
    step(api, agent, twice["id"], "note", note="客户第二次来电，情绪激动")
    closed = step(api, agent, twice["id"], "merge", into=kept["id"]).json()
    assert closed["status"] == "closed" and closed["merged_into"] == kept["number"]
    merged = api(agent).get(f"/tickets/{kept['id']}").json()
    assert [a["text"] for a in merged["activities"]] == ["客户第二次来电，情绪激动"]
    assert step(api, agent, twice["id"], "merge", into=kept["id"]).status_code == 409
    other = customer_actions.create_customer(SYSTEM, branch=org.a1, name="李四")
    theirs = register(api, org, {**setup, "customer": other}, subject="同一批盗刷")
    refused = step(api, agent, theirs["id"], "merge", into=kept["id"])
    assert refused.status_code == 400  # another customer's ticket is linked, not merged
    linked = step(api, agent, theirs["id"], "link", ticket=kept["id"]).json()
    assert linked["related"] == [kept["number"]]
    assert api(agent).get(f"/tickets/{kept['id']}").json()["related"] == [theirs["number"]]
    assert step(api, org.agent_b1, theirs["id"], "link", ticket=kept["id"]).status_code == 404


def test_merge_from_the_page_by_number(api, org, setup, login):
    kept = register(api, org, setup, subject="转账失败")
    twice = register(api, org, setup, subject="转账失败（重复登记）")
    client = login(org.agent_a1)
    response = client.post(f"/tickets/{twice['id']}/step/merge/", {"number": kept["number"]})
    assert response.status_code == 302
    page = client.get(f"/tickets/{twice['id']}/").content.decode()
    assert kept["number"] in page and Ticket.objects.get(pk=twice["id"]).status == "closed"


def test_canned_replies_and_the_promises_report(api, org, setup, login):
    from django.core.exceptions import ValidationError

    from manyi.tickets.models import CannedReply

    reply = CannedReply.objects.create(
        title="受理告知",
        body="{客户}您好，您的投诉（{工单编号}）已由{网点}受理，将于{解决期限}前处理完毕。",
    )
    with pytest.raises(ValidationError, match="金额"):
        CannedReply(title="坏", body="退款{金额}元").full_clean()
    ticket = register(api, org, setup)
    tid = ticket["id"]
    filled = api(org.agent_a1).get(f"/tickets/{tid}/replies").json()
    assert filled[0]["text"].startswith("王芳您好，您的投诉（TS-")
    assert "上海一支行" in filled[0]["text"] and "{" not in filled[0]["text"]
    noted = step(api, org.agent_a1, tid, "note", reply=reply.pk).json()
    assert noted["activities"][-1]["text"] == filled[0]["text"]

    soon = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    step(api, org.agent_a1, tid, "promise", kind="reply_by", due_at=soon)
    step(api, org.agent_a1, tid, "promise", kind="fixed_by", due_at=past)
    step(api, org.agent_a1, tid, "contact", kind="call", outcome="reached", note="已回电")
    report = api(org.agent_a1).get("/tickets/reports/promises").json()
    assert report == [
        {
            "key": staff(org.agent_a1).pk,
            "name": staff(org.agent_a1).name,
            "total": 2,
            "kept": 1,
            "broken": 1,
            "open": 0,
            "rate": 0.5,
        }
    ]
    assert 'id="promises"' in login(org.supervisor_a1).get("/tickets/reports/").content.decode()


def test_assignment_rules_in_turn_and_by_workload(api, org, setup):
    from manyi.org.actions import create_staff
    from manyi.tickets.models import AssignmentRule

    second = create_staff(
        SYSTEM,
        username="agent_a1b",
        name="员工二",
        role="agent",
        branches=[org.a1],
        phone="13700000000",
        id_number="110101199003071234",
        password="Correct-Horse-9",
    )
    first = staff(org.agent_a1)
    card = ReasonCode.objects.create(code="K", name="信用卡")
    theft = ReasonCode.objects.create(code="K01", name="盗刷", parent=card)
    fraud_team = AssignmentRule.objects.create(
        name="信用卡专席", reason=card, strategy=AssignmentRule.Strategy.ROUND_ROBIN
    )
    fraud_team.pool.set([first, second])
    everyone = AssignmentRule.objects.create(name="支行", branch=org.a1)
    everyone.pool.set([second])

    turns = [register(api, org, setup, reason="K01", subject=f"盗刷{i}") for i in range(3)]
    assert [t["assignee"] for t in turns] == [first.name, second.name, first.name]
    assert all(t["status"] == "assigned" for t in turns)
    # Another reason falls to the branch rule; the least loaded of its pool is the second.
    other = register(api, org, setup, reason="P01", subject="洗衣机")
    assert other["assignee"] == second.name
    fraud_team.strategy = AssignmentRule.Strategy.LEAST_LOADED
    fraud_team.save()
    # first has 2 open tickets, second has 2 (one card, one branch): the lower id wins a tie.
    tie = register(api, org, setup, reason="K01", subject="盗刷3")
    assert tie["assignee"] == first.name
    assert theft.pk  # sub-reasons match their parent's rule


def test_saved_views_of_the_queue(api, org, setup, login):
    register(api, org, setup, subject="投诉排队太久", description="客户投诉等了一个小时")
    register(api, org, setup, ticket_type="enquiry", subject="咨询利率", reason=None)
    client = login(org.agent_a1)
    saved = client.post(
        "/tickets/views/", {"name": "排队投诉", "query": "queue=team&q=排队&evil=1"}
    )
    assert saved.status_code == 302 and "evil" not in saved["Location"]
    page = client.get(saved["Location"]).content.decode()
    assert "投诉排队太久" in page and "咨询利率" not in page
    listing = client.get("/tickets/?queue=mine").content.decode()
    assert 'id="saved-views"' in listing and "排队投诉" in listing
    other = login(org.agent_a2).get("/tickets/").content.decode()
    assert "排队投诉" not in other  # one's own list
    from manyi.tickets.models import SavedView

    view = SavedView.objects.get()
    login(org.agent_a2).post(f"/tickets/views/{view.pk}/delete/")
    assert SavedView.objects.exists()  # not someone else's to delete
    client = login(org.agent_a1)
    client.post(f"/tickets/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_attachments_are_checked_for_type_and_size(api, org, setup, login, monkeypatch):
    import base64

    ticket = register(api, org, setup)
    tid = ticket["id"]
    photo = base64.b64encode(b"\x89PNG\r\n\x1a\n fake image").decode()
    attached = step(
        api,
        org.agent_a1,
        tid,
        "attach",
        file_name="漏水照片.png",
        content_type="image/png",
        content=photo,
        note="客户拍的照片",
    ).json()
    assert attached["activities"][-1]["file_name"] == "漏水照片.png"
    script = step(
        api,
        org.agent_a1,
        tid,
        "attach",
        file_name="x.exe",
        content_type="application/x-msdownload",
        content=photo,
    )
    assert script.status_code == 400 and "exe" not in script.json()["message"]
    assert "application/x-msdownload" in script.json()["message"]
    empty = step(api, org.agent_a1, tid, "attach", file_name="a.png", content_type="image/png")
    assert empty.status_code == 422  # no content: the step's schema says it is required
    bad = step(
        api,
        org.agent_a1,
        tid,
        "attach",
        file_name="a.png",
        content_type="image/png",
        content="not base64!",
    )
    assert bad.status_code == 400
    monkeypatch.setattr(actions, "MAX_ATTACHMENT_BYTES", 10)
    big = step(
        api, org.agent_a1, tid, "attach", file_name="a.png", content_type="image/png", content=photo
    )
    assert big.status_code == 400
    monkeypatch.undo()
    # From the page, as a file upload.
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("发票.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    login(org.agent_a1).post(f"/tickets/{tid}/step/attach/", {"file": upload})
    files = [a.file_name for a in Ticket.objects.get(pk=tid).activities.all()]
    assert files == ["漏水照片.png", "发票.pdf"]


def test_the_approver_sees_the_customers_history_and_value(api, org, setup, login):
    agent, boss = org.agent_a1, org.supervisor_a1
    first = register(api, org, setup, subject="第一次投诉")
    tid = first["id"]
    step(api, agent, tid, "assign", assignee=staff(agent).pk)
    step(api, agent, tid, "investigate", cause="质量问题", severity=1)
    step(api, agent, tid, "propose", remedies=[{"kind": "money", "amount": 180}])
    step(api, agent, tid, "agree", method="in_person")
    second = register(api, org, setup, subject="第二次投诉")
    page = login(boss).get(f"/tickets/{second['id']}/").content.decode()
    context = page[page.index('id="customer-context"') :]
    assert first["number"] in context  # the earlier ticket
    assert "¥180.00" in context  # what the company already granted this year
    card = login(boss).get(f"/customers/{setup['customer'].pk}/").content.decode()
    assert "180.00" in card  # the same figure on the tracking card


# -- the typed steps: one schema per step, the same for the API and the pages ---------------
@pytest.mark.parametrize("action", sorted(SCHEMAS))
def test_every_step_refuses_an_unknown_field_naming_it_in_chinese_and_english(
    api, org, setup, action
):
    tid = register(api, org, setup)["id"]
    client = api(org.agent_a1)
    for language, words in (("zh-hans", "未知字段"), ("en", "Unknown field")):
        refused = client.post(
            f"/tickets/{tid}/actions/{action}",
            {"statuz": "x"},
            headers={"Accept-Language": language},
        )
        assert refused.status_code == 422, (action, refused.content)
        body = refused.json()
        assert body["code"] == "validation_error"
        assert words in body["message"] and "statuz" in body["message"], body["message"]
    assert Ticket.objects.get(pk=tid).status == "assigned"  # nothing happened


def test_every_step_is_documented_with_its_own_fields():
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from manyi.api import api as ninja_api

    document = json.loads(json.dumps(ninja_api.get_openapi_schema(), cls=DjangoJSONEncoder))
    for action, schema in SCHEMAS.items():
        operation = document["paths"][f"/api/v1/tickets/{{ticket_id}}/actions/{action}"]["post"]
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        documented = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
        assert set(documented.get("properties", {})) == set(schema.model_fields), action
        assert documented.get("additionalProperties") is False, action


def test_a_missing_or_wrong_field_is_named_in_the_users_language(api, org, setup):
    tid = register(api, org, setup)["id"]
    client = api(org.agent_a1)
    missing = client.post(
        f"/tickets/{tid}/actions/reject", {}, headers={"Accept-Language": "zh-hans"}
    )
    assert missing.status_code == 422 and "comment" in missing.json()["message"]
    assert "必填" in missing.json()["message"]
    wrong = client.post(
        f"/tickets/{tid}/actions/contact",
        {"outcome": "maybe"},
        headers={"Accept-Language": "zh-hans"},
    )
    assert wrong.status_code == 422 and "outcome" in wrong.json()["message"]
    assert "reached" in wrong.json()["message"]  # the choices are listed


def test_a_company_wide_manager_registering_for_a_branch_leaves_it_unassigned(api, org, setup):
    body = {
        "branch": "A1",
        "customer_id": setup["customer"].pk,
        "channel": "phone",
        "subject": "来电咨询",
    }
    registered = api(org.manager).post("/tickets", body).json()
    assert (registered["status"], registered["assignee"]) == ("registered", None)
