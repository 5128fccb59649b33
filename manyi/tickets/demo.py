"""Demo: the reason-code tree a bank's complaint desk uses (seed 004 "源头锁定") and a year
of tickets that went through the real actions, each step at the time it happened
(`clock.as_of`): quick enquiries closed at first contact, complaints with investigations,
remedies, approvals up to the department head, rejections, execution orders, follow-ups
that reopened, repeat contacts, promises kept and broken, and late first responses.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from manyi.core import clock
from manyi.core.demo import DemoContext, demo_step
from manyi.org.models import Department, Staff

from . import actions
from .models import ExecutionOrder, Promise, ReasonCode, Status, Ticket

REASONS = {
    ("S", "服务"): [("S01", "服务态度"), ("S02", "等候时间过长"), ("S03", "业务办理差错")],
    ("P", "产品"): [("P01", "理财产品收益"), ("P02", "信用卡费用"), ("P03", "贷款审批")],
    ("C", "渠道"): [("C01", "手机银行故障"), ("C02", "ATM 吞卡"), ("C03", "网点环境")],
    ("F", "收费"): [("F01", "收费不透明"), ("F02", "乱收费")],
}
# How often each reason comes up, and what customers say about it.
SUBJECTS: dict[str, tuple[int, list[str]]] = {
    "S01": (14, ["柜员态度冷淡", "大堂经理不理睬客户", "客服电话语气生硬", "员工推诿不办理"]),
    "S02": (18, ["排队等候时间过长", "叫号后窗口无人", "等候一小时仍未办理", "对公窗口只开一个"]),
    "S03": (8, ["转账金额录入错误", "存单姓名打错", "挂失办理差错", "开户资料遗失"]),
    "P01": (9, ["理财产品收益低于预期", "基金亏损未充分提示风险", "理财到期未按时兑付"]),
    "P02": (10, ["信用卡年费未告知", "分期手续费过高", "信用卡滞纳金争议"]),
    "P03": (6, ["房贷审批时间过长", "贷款利率与承诺不符", "提前还款违约金"]),
    "C01": (12, ["手机银行无法登录", "手机银行转账失败", "验证码收不到"]),
    "C02": (5, ["ATM 吞卡", "ATM 取款未出钞但扣款", "存款机少记金额"]),
    "C03": (4, ["网点空调不制冷", "网点停车困难", "无障碍通道被占用"]),
    "F01": (7, ["短信通知费不透明", "账户管理费未提前告知"]),
    "F02": (7, ["重复扣取手续费", "未开通业务却收费"]),
}
DETAILS = [
    "客户投诉退款处理很慢，要求尽快答复。",
    "客户情绪激动，表示要向监管部门投诉。",
    "客户要求赔偿损失并书面道歉。",
    "客户第二次来电反映同一问题，对处理结果不满意。",
    "客户希望今天之内给出处理方案。",
    "客户表示如果不解决将更换银行。",
    "客户已提供转账凭证和截图。",
    "客户对理财经理的解释不认可。",
]
CAUSES = {
    "S": ["员工服务意识不足", "高峰时段人手不足", "操作不规范，未双人复核"],
    "P": ["销售时风险提示不充分", "费用条款未当面说明", "审批材料流转慢"],
    "C": ["系统升级后兼容问题", "设备故障未及时报修", "网点设施维护不到位"],
    "F": ["收费项目未公示", "系统重复扣费", "签约时未告知收费标准"],
}
DEMANDS = ["书面道歉", "退还费用", "赔偿损失", "尽快处理并答复", "处理相关员工"]
ENQUIRIES = ["咨询大额存单利率", "咨询信用卡额度调整", "咨询外币兑换", "咨询网点营业时间"]
SUGGESTIONS = ["建议增加周末对公窗口", "建议手机银行增加语音导航", "建议等候区提供饮水"]
PRAISES = ["表扬柜员耐心细致", "表扬大堂经理主动帮助老人", "表扬客户经理及时提醒风险"]
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@demo_step("tickets.reasons", order=40)
def make_reason_codes(ctx: DemoContext) -> None:
    for (code, name), children in REASONS.items():
        parent = ReasonCode.objects.create(code=code, name=name)
        for child_code, child_name in children:
            ReasonCode.objects.create(code=child_code, name=child_name, parent=parent)
    ctx.log(f"tickets: {ReasonCode.objects.count()} reason codes")


@demo_step("tickets.year", order=45)
def make_a_year_of_tickets(ctx: DemoContext) -> None:
    total = ctx.overrides.get("tickets", 3000 if ctx.size == "large" else 900)
    if total <= 0:
        return
    desk = _Desk(ctx.rng)
    now = timezone.now()
    start = now - dt.timedelta(days=365)
    instants = sorted(_working_instant(ctx.rng, start, now) for _ in range(total))
    for instant in instants:
        desk.contact(instant, now)
    from .sla import escalate_breaches

    escalated = escalate_breaches(now)  # what the periodic job would have found by now
    counts = {s: Ticket.objects.filter(status=s).count() for s in (Status.CLOSED,)}
    ctx.log(
        f"tickets: {Ticket.objects.count()} over a year "
        f"({counts[Status.CLOSED]} closed, {Ticket.objects.exclude(repeat_of=None).count()} "
        f"repeats, {desk.approvals} approvals, {desk.reopened} reopened, "
        f"{escalated} escalated)"
    )


def _working_instant(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """A moment in opening hours, busier on Mondays and at the lunch-hour peak."""
    while True:
        day = start + dt.timedelta(days=rng.random() * (end - start).days)
        local = timezone.localtime(day)
        if local.weekday() >= 5 and rng.random() < 0.7:
            continue
        hour = rng.choices(range(9, 17), [8, 12, 14, 16, 13, 11, 10, 7])[0]
        moment = local.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        if moment < end - 2 * HOUR:
            return moment


DECLINES = [
    (
        "按合同约定收取的费用不予退还，可为客户办理下一年度的费用减免。",
        "费用标准在签约时已书面告知，客户签字确认；收费记录与约定一致。",
    ),
    (
        "超出保修期的维修按标准收费，不予免费更换。",
        "产品购买已超过两年保修期，检测未发现质量缺陷，损坏属使用磨损。",
    ),
    (
        "理财产品的实际收益随市场波动，不承诺保底收益，不予补偿差额。",
        "产品说明书和风险揭示书已明确预期收益不代表实际收益，客户已签字确认。",
    ),
]


class _Desk:
    """The people of each branch working the tickets, step by step in time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.approvals = 0
        self.reopened = 0
        self.reasons = {r.code: r for r in ReasonCode.objects.filter(parent__isnull=False)}
        self.agents: dict[int, list[Any]] = {}
        self.supervisors: dict[int, Any] = {}
        for staff in Staff.objects.filter(role__in=["agent", "supervisor"]).prefetch_related(
            "branches"
        ):
            for branch in staff.branches.all():
                if staff.role == "agent":
                    self.agents.setdefault(branch.pk, []).append(staff.user)
                else:
                    self.supervisors[branch.pk] = staff.user
        self.heads = {
            s.department.kind: s.user
            for s in Staff.objects.filter(role="department_head").select_related(
                "department", "user"
            )
        }
        self.manager = Staff.objects.filter(role="manager", scope="company").first()
        self.departments = {
            d.kind: d for d in Department.objects.filter(branch__isnull=True).order_by("pk")
        }
        from manyi.customers.models import Customer

        self.customers: dict[int, list[Any]] = {}
        for customer in Customer.objects.order_by("pk")[:4000]:
            self.customers.setdefault(customer.branch_id, []).append(customer)
        self.recent: list[tuple[Any, str, dt.datetime]] = []  # (customer, reason, when)

    def contact(self, at: dt.datetime, now: dt.datetime) -> None:
        rng = self.rng
        repeat = self._repeat_candidate(at)
        if repeat is not None:
            customer, code = repeat
        else:
            branch_id = rng.choice([b for b in self.customers if b in self.agents])
            customer = rng.choice(self.customers[branch_id])
            code = rng.choices(list(SUBJECTS), [w for w, _s in SUBJECTS.values()])[0]
        if customer.branch_id not in self.agents:
            return
        kind = rng.choices(["complaint", "enquiry", "suggestion", "praise"], [62, 22, 8, 8])[0]
        agent = rng.choice(self.agents[customer.branch_id])
        # The last three weeks are still being worked: their stories stop part-way.
        horizon = now
        if now - at < 21 * DAY and rng.random() < 0.6:
            horizon = min(now, at + rng.uniform(0.05, 3) * DAY)
        steps = _Steps(at, horizon)
        if kind != "complaint":
            self._quick(steps, agent, customer, kind)
            return
        subject = rng.choice(SUBJECTS[code][1])
        ticket = steps.run(
            lambda: actions.create_ticket(
                agent,
                branch=customer.branch,
                customer=customer,
                reason=self.reasons[code],
                channel=rng.choices(
                    ["phone", "counter", "web", "email", "social"], [45, 30, 12, 8, 5]
                )[0],
                ticket_type="complaint",
                priority=rng.choices(["normal", "high", "urgent"], [80, 16, 4])[0],
                subject=subject,
                description=rng.choice(DETAILS),
                phone=customer_phone(customer),
            )
        )
        self.recent.append((customer, code, at))
        self._complaint(steps, ticket, agent, code, repeat is not None)

    def _repeat_candidate(self, at: dt.datetime) -> tuple[Any, str] | None:
        """About one complaint in twelve comes back within the week about the same thing."""
        self.recent = [r for r in self.recent if at - r[2] < 6 * DAY]
        if self.recent and self.rng.random() < 0.08:
            customer, code, _when = self.rng.choice(self.recent)
            return customer, code
        return None

    def _quick(self, steps: _Steps, agent: Any, customer: Any, kind: str) -> None:
        rng = self.rng
        subject = rng.choice({"enquiry": ENQUIRIES, "suggestion": SUGGESTIONS}.get(kind, PRAISES))
        ticket = steps.run(
            lambda: actions.create_ticket(
                agent,
                branch=customer.branch,
                customer=customer,
                channel=rng.choice(["phone", "counter", "web"]),
                ticket_type=kind,
                subject=subject,
            )
        )
        steps.later(rng.uniform(0.05, 0.5) * HOUR)
        if ticket.assignee_id is None:  # (whoever registers a contact handles it)
            steps.run(lambda: actions.assign(agent, ticket, assignee=agent.staff))
        steps.later(rng.uniform(0.05, 1) * HOUR)
        steps.run(
            lambda: actions.add_activity(
                agent, ticket, kind="call", outcome="reached", text="已答复客户"
            )
        )
        if rng.random() < 0.06:  # not quite answered: the customer calls again
            self._customer_calls(steps, agent, ticket, rng.uniform(1, 24), "客户再次来电询问")
        steps.run(lambda: actions.close(agent, ticket, note="已答复客户"))

    @staticmethod
    def _customer_calls(steps: _Steps, agent: Any, ticket: Ticket, hours: float, text: str) -> None:
        """The customer calls about the ticket after `hours` (an inbound contact: it
        counts against first-contact resolution)."""
        steps.later(hours * HOUR)
        steps.run(
            lambda: actions.add_activity(
                agent, ticket, kind="call", direction="inbound", outcome="reached", text=text
            )
        )

    def _complaint(
        self, steps: _Steps, ticket: Ticket, agent: Any, code: str, is_repeat: bool
    ) -> None:
        rng = self.rng
        steps.later(rng.uniform(0.1, 1.0) * HOUR)
        if ticket.assignee_id is None and not steps.run(
            lambda: actions.assign(agent, ticket, assignee=agent.staff)
        ):
            return
        # First response: usually within the hour, sometimes days late (a breach).
        late = rng.random() < 0.1
        steps.later((rng.uniform(4, 30) if late else rng.uniform(0.1, 1.5)) * HOUR)
        if rng.random() < 0.03:  # never reached: a call a day until the settings' count
            for _try in range(12):
                if not steps.run(
                    lambda: actions.add_activity(agent, ticket, kind="call", outcome="no_answer")
                ):
                    return
                attempts, days = actions.unreachable_progress(ticket)
                if attempts >= 3 and days >= 2:
                    steps.later(rng.uniform(1, 4) * HOUR)
                    steps.run(
                        lambda: actions.close_unreachable(
                            agent, ticket, note="多次致电未接通，已短信告知"
                        )
                    )
                    return
                steps.later(DAY)
            return
        if rng.random() < 0.15:
            steps.run(lambda: actions.add_activity(agent, ticket, kind="call", outcome="no_answer"))
            steps.later(rng.uniform(0.5, 3) * HOUR)
        if not steps.run(
            lambda: actions.add_activity(
                agent, ticket, kind="call", outcome="reached", text="已联系客户，了解诉求"
            )
        ):
            return
        if rng.random() < 0.3:
            steps.run(
                lambda: actions.promise(
                    agent, ticket, kind=Promise.Kind.REPLY_BY, due_at=steps.at + DAY
                )
            )
        steps.later(rng.uniform(1, 20) * HOUR)
        severity = rng.choices([1, 2, 3, 4], [40, 35, 18, 7])[0]
        analysis = {
            "cause": rng.choice(CAUSES[code[0]]),
            "severity": severity,
            "company_fault": rng.choices(["yes", "partly", "no"], [50, 35, 15])[0],
            "customer_demand": rng.choice(DEMANDS),
            "relationship": rng.choice("ABCDE"),
            "word_of_mouth_risk": min(4, severity + rng.choice([0, 0, 1])),
        }
        if is_repeat:
            analysis["repeat_cause"] = rng.choice(
                ["第一次只做了解释，没有解决实际问题", "承诺回电未回电", "退款未在约定时间到账"]
            )
        if not steps.run(lambda: actions.investigate(agent, ticket, **analysis)):
            return
        if analysis["company_fault"] == "no" and rng.random() < 0.5:
            self._decline(steps, ticket, agent)
            return
        if rng.random() < (0.35 if late or severity >= 3 else 0.12):  # the customer chases
            self._customer_calls(steps, agent, ticket, rng.uniform(2, 20), "客户来电催问处理进度")
        rounds = 0
        while rounds < 3:
            rounds += 1
            if not self._resolve(steps, ticket, agent, severity, first=rounds == 1):
                return
            satisfied = rng.random() > (0.08 if rounds == 1 else 0.02)
            steps.later(rng.uniform(18, 40) * HOUR)
            if not steps.run(
                lambda satisfied=satisfied: actions.follow_up(
                    agent,
                    ticket,
                    satisfied=satisfied,
                    note="客户表示满意" if satisfied else "客户认为补偿不足",
                )
            ):
                return
            if satisfied:
                steps.run(lambda: actions.close(agent, ticket, note="回访满意，结案"))
                return
            self.reopened += 1
            steps.later(rng.uniform(1, 6) * HOUR)

    def _resolve(
        self, steps: _Steps, ticket: Ticket, agent: Any, severity: int, *, first: bool
    ) -> bool:
        """Propose, have it approved (or rejected once), get the customer's agreement and
        finish the execution orders. False when the story stops (recent tickets)."""
        rng = self.rng
        remedies = self._remedies(severity, first)
        steps.later(rng.uniform(0.5, 6) * HOUR)
        if not steps.run(  # the reply: what we found and what we offer
            lambda: actions.add_activity(
                agent, ticket, kind="call", outcome="reached", text="向客户答复调查结果和处理方案"
            )
        ):
            return False
        proposal = steps.run(lambda: actions.propose(agent, ticket, remedies=remedies))
        if not proposal:
            return False
        if proposal.required_roles:
            if rng.random() < 0.15:
                steps.later(rng.uniform(1, 8) * HOUR)
                approver = self._approver(ticket, proposal.required_roles[0])
                if not steps.run(
                    lambda: actions.reject(approver, ticket, comment="补偿金额偏高，请重新协商")
                ):
                    return False
                remedies = [dict(r, amount=round(float(r["amount"]) * 0.5)) for r in remedies]
                steps.later(rng.uniform(1, 6) * HOUR)
                proposal = steps.run(lambda: actions.propose(agent, ticket, remedies=remedies))
                if not proposal:
                    return False
            for role in proposal.required_roles:
                steps.later(rng.uniform(0.5, 10) * HOUR)
                approver = self._approver(ticket, role)
                if not steps.run(lambda approver=approver: actions.approve(approver, ticket)):
                    return False
                self.approvals += 1
        steps.later(rng.uniform(1, 12) * HOUR)
        method = rng.choice(["in_person", "recorded_call", "sms_code"])
        if not steps.run(
            lambda: actions.agree(
                agent,
                ticket,
                method=method,
                reference="" if method == "in_person" else f"REF{rng.randrange(10**6):06d}",
            )
        ):
            return False
        if rng.random() < 0.3:
            steps.run(
                lambda: actions.promise(
                    agent, ticket, kind=Promise.Kind.FIXED_BY, due_at=steps.at + 2 * DAY
                )
            )
        for order in ExecutionOrder.objects.filter(ticket=ticket, state="open"):
            steps.later(rng.uniform(2, 30) * HOUR)
            if not steps.run(
                lambda order=order: actions.complete_order(
                    self.heads.get(order.department.kind, agent), ticket, order_id=order.pk
                )
            ):
                return False
        return True

    def _remedies(self, severity: int, first: bool) -> list[dict[str, Any]]:
        rng = self.rng
        remedies: list[dict[str, Any]] = [{"kind": "apology", "amount": 0, "description": "致歉"}]
        scale = {1: 80, 2: 300, 3: 1500, 4: 6000}[severity] * (1 if first else 1.5)
        choice = rng.choices(
            ["discount", "gift", "refund", "money", "replacement"], [30, 25, 20, 15, 10]
        )[0]
        amount = round(scale * rng.uniform(0.5, 1.5))
        department = {
            "gift": self.departments.get("marketing"),
            "replacement": self.departments.get("warehouse"),
        }.get(choice)
        remedies.append(
            {
                "kind": choice,
                "amount": amount,
                "description": {"gift": "赠送礼品", "replacement": "更换新卡/设备"}.get(
                    choice, "费用减免或补偿"
                ),
                "department": department,
            }
        )
        if severity >= 3 and rng.random() < 0.5:
            remedies.append(
                {
                    "kind": "care_visit",
                    "amount": 0,
                    "description": "网点负责人上门回访",
                    "department": self.departments.get("after_sales"),
                }
            )
        return remedies

    def _decline(self, steps: _Steps, ticket: Ticket, agent: Any) -> None:
        """An unfounded demand: the agent tells the customer no, with the reasons, and the
        branch's supervisor agrees (seed 003: 大方明確地說 NO)."""
        rng = self.rng
        position, reasons = rng.choice(DECLINES)
        steps.later(rng.uniform(0.5, 4) * HOUR)
        if not steps.run(
            lambda: actions.add_activity(
                agent, ticket, kind="call", outcome="reached", text="向客户说明公司立场和理由"
            )
        ):
            return
        if not steps.run(
            lambda: actions.decline(agent, ticket, position=position, reasons=reasons)
        ):
            return
        steps.later(rng.uniform(0.5, 6) * HOUR)
        approver = self._approver(ticket, "supervisor")
        steps.run(lambda: actions.approve(approver, ticket, comment="理由充分，同意"))

    def _approver(self, ticket: Ticket, role: str) -> Any:
        if role == "supervisor":
            return self.supervisors[ticket.branch_id]
        if role == "department_head":
            return self.heads.get("quality") or next(iter(self.heads.values()))
        return self.manager.user


class _Steps:
    """Runs each step as of its own time and stops the story when that time is still in
    the future: the newest tickets are left open at whatever stage they reached."""

    def __init__(self, at: dt.datetime, now: dt.datetime) -> None:
        self.at = at
        self.now = now

    def later(self, delta: dt.timedelta) -> None:
        self.at = self.at + delta

    def run(self, step: Callable[[], Any]) -> Any:
        if self.at >= self.now:
            return None
        with clock.as_of(self.at):
            result = step()
        return result if result is not None else True


def customer_phone(customer: Any) -> str:
    contact = customer.contacts.filter(kind="mobile").first()
    return contact.value if contact else ""
