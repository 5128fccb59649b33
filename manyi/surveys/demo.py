"""Demo: three questionnaires and a year of answers through the real actions.

- 网点满意度 (bank-branch satisfaction): the China-style index model's items on 1-10 plus the
  0-10 recommendation question, answered by customers from a population model, so the
  satisfaction index can be computed on the survey's own responses;
- 售后服务满意度 (after-sales): seed 000's service items rated 1-5, NPS and a comment;
- 投诉回访 (complaint follow-up): sent by a trigger after every closed complaint.

Campaigns invite segments by SMS (the console gateway in the demo), some customers answer,
the rest get a reminder; answers carry the time they were given (`clock.as_of`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
from django.utils import timezone

from manyi.analytics.modelfile import template
from manyi.analytics.synthetic import simulate_survey
from manyi.core import clock
from manyi.core.demo import DemoContext, demo_step
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
    book = openpyxl.Workbook()
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


def _bank_branch_form() -> Path:
    model = template("china")
    header = [
        "type",
        "name",
        "label::Chinese (zh)",
        "label::English (en)",
        "required",
        "parameters",
    ]
    rows = [header]
    for items in model.path_model.blocks.values():
        for item in items:
            spec = model.items.get(item)
            label = (spec.label if spec and spec.label else item.split("_")[-1]) + "（1-10 分）"
            rows.append(["range", item, label, item, "yes", "start=1 end=10 step=1"])
    rows.append(
        [
            "range",
            "nps",
            "您向亲友推荐本行的可能性有多大？",
            "How likely are you to recommend us?",
            "yes",
            "start=0 end=10 step=1",
        ]
    )
    rows.append(["text", "comment", "您还有什么意见或建议？", "Anything else?", "", ""])
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


def _answer(questionnaire, customer, answers: dict[str, str], at: dt.datetime, key: str) -> None:
    with clock.as_of(at):
        _link, token = actions.create_link(SYSTEM, questionnaire, customer=customer, channel="sms")
        actions.submit(token, answers, submission_key=key, language="zh")


@demo_step("surveys", order=50)
def make_surveys(ctx: DemoContext) -> None:
    from manyi.customers.models import Customer
    from manyi.tickets.models import Ticket

    rng = ctx.rng
    total = ctx.overrides.get("survey_responses", 2400 if ctx.size == "small" else 6000)
    if total <= 0:
        return
    now = timezone.now()
    customers = list(Customer.objects.select_related("branch").order_by("pk")[: max(total, 500)])
    bank = _import(_bank_branch_form())
    after_sales = _import(_after_sales_form())
    follow_up = _import(_follow_up_form())

    def when() -> dt.datetime:
        return now - dt.timedelta(days=rng.uniform(1, 360), minutes=rng.uniform(0, 600))

    # Bank branches: the population model behind the index (half the answers).
    n_bank = total // 2
    frame = simulate_survey(template("china"), n_bank, seed=ctx.seed, level=0.68)
    for i, values in enumerate(frame.to_dict("records")):
        answers = {item: str(int(min(10, max(1, value)))) for item, value in values.items()}
        loyalty = (values["忠诚_继续办理"] + values["忠诚_推荐亲友"]) / 2
        answers["nps"] = str(max(0, min(10, round(loyalty + rng.uniform(-1.5, 1)))))
        if rng.random() < 0.2:
            answers["comment"] = rng.choice(COMMENTS)
        _answer(bank, customers[i % len(customers)], answers, when(), f"demo-bank-{i:06d}")
    # After-sales: service items, NPS, comments from detractors.
    n_after = total - n_bank
    for i in range(n_after):
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
        _answer(
            after_sales, customers[(i * 7) % len(customers)], answers, when(), f"demo-as-{i:06d}"
        )
    # Complaint follow-up: one per closed complaint of the demo year, and a trigger for new ones.
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
            _answer(follow_up, ticket.customer, answers, at, f"demo-fu-{ticket.pk}")
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
