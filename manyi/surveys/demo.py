"""Demo: three questionnaires and a year of answers through the real actions.

- 网点满意度 (bank-branch satisfaction): the China-style index model's items on 1-10 plus the
  0-10 recommendation question, answered by customers from a population model, so the
  satisfaction index can be computed on the survey's own responses;
- 售后服务满意度 (after-sales): seed 000's service items rated 1-5, NPS and a comment;
- 投诉回访 (complaint follow-up): sent by a trigger after every closed complaint.

Two campaigns invite segments by SMS (the console gateway in the demo): some customers
answer, the rest get a reminder; the dormant customers' campaign has a quota per branch.
Answers carry the time they were given (`clock.as_of`) and the agent they rate.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.utils import timezone

from manyi.analytics import spreadsheet
from manyi.analytics.modelfile import template
from manyi.analytics.synthetic import simulate_survey
from manyi.core import clock
from manyi.core.demo import DemoContext, demo_step
from manyi.insight.demo import ITEM_LEVELS, PATHS
from manyi.org.actions import SYSTEM

from . import actions
from .models import SurveyTrigger

AFTER_SALES_ITEMS = [
    ("s_attitude", "服务人员态度"),
    ("s_skill", "维修技术水平"),
    ("s_speed", "维修及时性"),
    ("s_price", "收费合理性"),
    ("s_booking", "预约便利性"),
    ("s_parts", "配件供应"),
]
COMMENTS = [
    "排队时间太长了，希望多开几个窗口",
    "柜员态度很好，办理很快",
    "维修师傅很专业，下次还来",
    "收费有点贵，希望透明一些",
    "预约电话总是占线",
    "网点环境干净，停车不方便",
    "理财经理讲解耐心",
    "等候时间长，叫号系统混乱",
]


def _workbook(rows: list[list[str]], choices: list[list[str]], title: str, form_id: str) -> Path:
    book = spreadsheet.workbook()
    survey = book.active
    survey.title = "survey"
    for row in rows:
        survey.append(row)
    sheet = book.create_sheet("choices")
    for row in choices:
        sheet.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "default_language"])
    settings.append([title, form_id, "Chinese (zh)"])
    path = Path(tempfile.mkdtemp()) / f"{form_id}.xlsx"
    book.save(path)
    return path


def _import(path: Path):
    version, _unsupported = actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    return version.questionnaire


# The bank survey's question texts: what the board reads on the strategy matrix.
BANK_QUESTIONS = {
    "形象_值得信赖": "本行值得信赖",
    "形象_实力雄厚": "本行实力雄厚",
    "形象_关心客户": "本行关心客户",
    "预期_总体": "来网点前对服务的总体期望",
    "预期_服务": "来网点前对柜台服务的期望",
    "预期_可靠": "来网点前对业务办理可靠的期望",
    "质量_等候时间": "等候时间",
    "质量_柜员态度": "柜员态度",
    "质量_办理效率": "办理效率",
    "质量_专业解答": "专业解答",
    "质量_网点环境": "网点环境",
    "质量_投诉处理": "投诉处理",
    "价值_收费合理": "收费合理",
    "价值_物有所值": "物有所值",
    "满意_总体": "总体满意程度",
    "满意_与预期比": "与来之前的期望相比",
    "满意_与理想比": "与理想中的银行相比",
    "忠诚_继续办理": "会继续在本行办理业务",
    "忠诚_推荐亲友": "会向亲友推荐本行",
    "忠诚_增加业务": "会在本行增加业务",
}


def _bank_branch_form() -> Path:
    model = template("china")
    header = [
        "type",
        "name",
        "label::Chinese (zh)",
        "label::English (en)",
        "required",
        "parameters",
        "instance::reverse",
    ]
    rows = [header]
    for items in model.path_model.blocks.values():
        for item in items:
            spec = model.items.get(item)
            text = BANK_QUESTIONS.get(item) or (spec.label if spec and spec.label else item)
            label = text + "（1-10 分）"
            reverse = "yes" if spec and spec.reverse else ""  # a negatively worded question
            rows.append(["range", item, label, item, "yes", "start=1 end=10 step=1", reverse])
    rows.append(
        [
            "range",
            "nps",
            "您向亲友推荐本行的可能性有多大？",
            "How likely are you to recommend us?",
            "yes",
            "start=0 end=10 step=1",
            "",
        ]
    )
    rows.append(["text", "comment", "您还有什么意见或建议？", "Anything else?", "", "", ""])
    return _workbook(
        rows, [["list_name", "name", "label::Chinese (zh)"]], "网点满意度调查", "bank_branch"
    )


def _after_sales_form() -> Path:
    header = [
        "type",
        "name",
        "label::Chinese (zh)",
        "label::English (en)",
        "required",
        "relevant",
        "appearance",
        "parameters",
    ]
    rows = [
        header,
        [
            "begin_group",
            "items",
            "请为以下服务项目打分（1 = 很不满意，5 = 很满意）",
            "Rate each service",
            "",
            "",
            "field-list",
            "",
        ],
    ]
    for name, label in AFTER_SALES_ITEMS:
        rows.append(["select_one five", name, label, name, "yes", "", "", ""])
    rows.append(["end_group", "", "", "", "", "", "", ""])
    rows.append(
        [
            "range",
            "nps",
            "您向亲友推荐我们的可能性？",
            "Recommend?",
            "yes",
            "",
            "",
            "start=0 end=10 step=1",
        ]
    )
    rows.append(
        [
            "text",
            "comment",
            "哪方面最需要改进？",
            "What to improve?",
            "",
            "${nps} <= 6",
            "multiline",
            "",
        ]
    )
    choices = [["list_name", "name", "label::Chinese (zh)", "label::English (en)"]]
    for value, zh, en in [
        ("1", "很不满意", "Very dissatisfied"),
        ("2", "不满意", "Dissatisfied"),
        ("3", "一般", "Neutral"),
        ("4", "满意", "Satisfied"),
        ("5", "很满意", "Very satisfied"),
    ]:
        choices.append(["five", value, zh, en])
    return _workbook(rows, choices, "售后服务满意度调查", "after_sales")


def _follow_up_form() -> Path:
    header = [
        "type",
        "name",
        "label::Chinese (zh)",
        "label::English (en)",
        "required",
        "relevant",
        "constraint",
        "constraint_message::Chinese (zh)",
    ]
    rows = [
        header,
        [
            "select_one yn",
            "resolved",
            "您反映的问题解决了吗？",
            "Was your problem solved?",
            "yes",
            "",
            "",
            "",
        ],
        [
            "integer",
            "handling",
            "您对处理过程的满意度（1-5 分）",
            "Satisfaction with the handling (1-5)",
            "yes",
            "",
            ". >= 1 and . <= 5",
            "请填 1 到 5 分",
        ],
        [
            "text",
            "why",
            "还有哪些没有解决？",
            "What is still open?",
            "yes",
            "${resolved} = 'no'",
            "",
            "",
        ],
    ]
    choices = [
        ["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
        ["yn", "yes", "解决了", "Yes"],
        ["yn", "no", "没有解决", "No"],
    ]
    return _workbook(rows, choices, "投诉处理回访", "complaint_follow_up")


def _answer(
    questionnaire, customer, answers: dict[str, str], at: dt.datetime, key: str, agent=None
) -> None:
    with clock.as_of(at):
        _link, token = actions.create_link(
            SYSTEM, questionnaire, customer=customer, channel="sms", agent=agent
        )
        actions.submit(token, answers, submission_key=key, language="zh")


def _token(text: str) -> str:
    return text.split("/s/", 1)[1].split("/", 1)[0]


def _campaign(ctx: DemoContext, questionnaire, segment_name: str, started: dt.datetime, **fields):
    """A campaign launched `started`, with the SMS links it sent (console gateway)."""
    import logging

    from manyi.customers.models import Segment

    from . import channels

    segment = Segment.objects.filter(name=segment_name).first()
    if segment is None:
        return None, []
    channels.console_outbox.clear()
    quiet = logging.getLogger(channels.__name__)
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # thousands of demo SMS stay out of the log
    try:
        with clock.as_of(started):
            campaign = actions.create_campaign(
                SYSTEM, questionnaire=questionnaire, segment=segment, channel="sms", **fields
            )
            actions.launch_campaign(SYSTEM, campaign, in_background=False)
        tokens = [_token(sms.text) for sms in channels.console_outbox]
    finally:
        quiet.setLevel(level)
        channels.console_outbox.clear()
    ctx.log(f"surveys: campaign {campaign.name}, {len(tokens)} invitations")
    return campaign, tokens


def _remind(started: dt.datetime, days: int) -> None:
    """The reminders the hourly job sent `days` after the launch (once the answers are in:
    the demo answers first, so who answered is known)."""
    import logging

    from . import channels

    quiet = logging.getLogger(channels.__name__)
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        actions.send_reminders(started + dt.timedelta(days=days, hours=1))
    finally:
        quiet.setLevel(level)
        channels.console_outbox.clear()


def _answer_invitation(token: str, answers: dict[str, str], at: dt.datetime, key: str) -> bool:
    with clock.as_of(at):
        try:
            actions.submit(token, answers, submission_key=key, language="zh")
        except actions.LinkUnusable:  # the cell's quota was full
            return False
    return True


@demo_step("surveys", order=50)
def make_surveys(ctx: DemoContext) -> None:
    from manyi.customers.models import Customer
    from manyi.org.models import Staff
    from manyi.tickets.models import Ticket

    rng = ctx.rng
    total = ctx.overrides.get("survey_responses", 2400 if ctx.size == "small" else 6000)
    if total <= 0:
        return
    now = timezone.now()
    customers = list(Customer.objects.select_related("branch").order_by("pk")[: max(total, 500)])
    agents: dict[int, list] = {}
    for staff in Staff.objects.filter(role="agent").prefetch_related("branches"):
        for branch in staff.branches.all():
            agents.setdefault(branch.pk, []).append(staff)
    bank = _import(_bank_branch_form())
    after_sales = _import(_after_sales_form())
    follow_up = _import(_follow_up_form())

    def when() -> dt.datetime:
        return now - dt.timedelta(days=rng.uniform(1, 360), minutes=rng.uniform(0, 600))

    def agent_of(customer):
        serving = agents.get(customer.branch_id)
        return rng.choice(serving) if serving else None

    # Bank branches: the population model behind the index (half the answers). A quarterly
    # campaign to the high-value customers brings some; the rest come through the branches'
    # SMS after a visit. Service got better over the year (waits shortened): each quarter's
    # answers come from the model with perceived quality a little higher than the last.
    n_bank = total // 2
    quarters = [
        simulate_survey(
            template("china"),
            n_bank,
            seed=ctx.seed + back,
            level=0.68,
            item_levels=ITEM_LEVELS,
            paths=PATHS,
            shift={"感知质量": 0.35 - 0.12 * back, "满意度": 0.1 - 0.04 * back},
        ).to_dict("records")
        for back in range(4)
    ]

    def bank_values(at: dt.datetime) -> dict:
        """The next answers from the population of the quarter `at` lies in."""
        back = min(3, int((now - at).days // 91))
        return quarters[back].pop()

    def bank_answers(values: dict) -> dict[str, str]:
        answers = {item: str(int(min(10, max(1, value)))) for item, value in values.items()}
        loyalty = (values["忠诚_继续办理"] + values["忠诚_推荐亲友"]) / 2
        answers["nps"] = str(max(0, min(10, round(loyalty + rng.uniform(-1.5, 1)))))
        if rng.random() < 0.2:
            answers["comment"] = rng.choice(COMMENTS)
        return answers

    started = now - dt.timedelta(days=95)
    _bank_campaign, tokens = _campaign(
        ctx,
        bank,
        "高价值客户",
        started,
        name="高价值客户季度满意度调查",
        message="{客户}您好，感谢您一直以来的信任，请花两分钟评价我们的网点服务：{链接}",
        reminder_after_days=3,
        expires_at=started + dt.timedelta(days=30),
    )
    used = 0
    for n, token in enumerate(tokens[: n_bank // 3]):
        if rng.random() < 0.45:  # who answers
            at = started + dt.timedelta(days=rng.expovariate(1 / 3), minutes=rng.uniform(5, 600))
            at, key = min(at, now), f"demo-bc-{n:06d}"
            used += _answer_invitation(token, bank_answers(bank_values(at)), at, key)
    _remind(started, 3)
    for i in range(n_bank - used):
        at = when()
        _answer(
            bank,
            customers[i % len(customers)],
            bank_answers(bank_values(at)),
            at,
            f"demo-bank-{i:06d}",
        )

    # After-sales: service items, NPS, comments from detractors; each rates the agent who
    # served the customer. A campaign to the dormant customers, with a quota per branch.
    def after_sales_answers() -> dict[str, str]:
        mood = rng.gauss(0, 1)
        answers = {
            name: str(
                max(
                    1,
                    min(
                        5,
                        round(
                            3.9
                            + 0.8 * mood
                            + rng.gauss(0, 0.7)
                            - (0.6 if name in ("s_speed", "s_booking") else 0)
                        ),
                    ),
                )
            )
            for name, _label in AFTER_SALES_ITEMS
        }
        nps = max(0, min(10, round(7.6 + 1.8 * mood + rng.gauss(0, 1))))
        answers["nps"] = str(nps)
        if nps <= 6:
            answers["comment"] = rng.choice(COMMENTS)
        return answers

    n_after = total - n_bank
    started = now - dt.timedelta(days=40)
    _after_campaign, tokens = _campaign(
        ctx,
        after_sales,
        "沉睡客户",
        started,
        name="沉睡客户回访",
        message="{客户}您好，好久不见，想听听您对我们售后服务的意见：{链接}",
        reminder_after_days=5,
        quota_by="branch",
        quota_per_cell=max(5, n_after // 40),
    )
    answered_campaign = 0
    for n, token in enumerate(tokens[: n_after // 2]):
        if rng.random() < 0.3:
            at = started + dt.timedelta(days=rng.expovariate(1 / 4), minutes=rng.uniform(5, 600))
            key = f"demo-ac-{n:06d}"
            answered_campaign += _answer_invitation(token, after_sales_answers(), min(at, now), key)
    _remind(started, 5)
    for i in range(n_after - answered_campaign):
        customer = customers[(i * 7) % len(customers)]
        _answer(
            after_sales,
            customer,
            after_sales_answers(),
            when(),
            f"demo-as-{i:06d}",
            agent=agent_of(customer),
        )
    # Complaint follow-up: one per closed complaint of the demo year (rating the ticket's
    # owner), and a trigger for new ones.
    closed = Ticket.objects.filter(status="closed", ticket_type="complaint").select_related(
        "customer"
    )
    for ticket in closed.order_by("closed_at")[: total // 4]:
        resolved = rng.random() < 0.86
        answers = {
            "resolved": "yes" if resolved else "no",
            "handling": str(rng.choice([4, 5, 5, 4, 3] if resolved else [1, 2, 3])),
        }
        if not resolved:
            answers["why"] = "赔偿还没有到账"
        at = (ticket.closed_at or now) + dt.timedelta(hours=rng.uniform(2, 48))
        if at < now:
            _answer(
                follow_up,
                ticket.customer,
                answers,
                at,
                f"demo-fu-{ticket.pk}",
                agent=ticket.assignee,
            )
    SurveyTrigger.objects.create(
        name="投诉结案后回访",
        event=SurveyTrigger.Event.TICKET_CLOSED,
        questionnaire=follow_up,
        channel="sms",
        message="{客户}您好，您反映的问题已处理完毕，请花一分钟评价：{链接}",
        delay_minutes=120,
        once_per_days=30,
    )
    answered = sum(q.responses.count() for q in (bank, after_sales, follow_up))
    ctx.log(f"surveys: 3 questionnaires, {answered} responses")
