"""A small questionnaire with answers, for the index on survey data: rating questions on
two scales, a "don't know" choice, a negatively worded (reverse-coded) question, a
comment, answers from two quarters, three branches and two customer tiers."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from manyi.analytics import spreadsheet
from manyi.core import clock
from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.surveys import actions

MODEL = """
name: 测试模型
blocks:
  质量:
    label: {zh: 服务质量, en: Service quality}
    items: [qual1, qual2, qual3]
  满意:
    label: {zh: 满意度, en: Satisfaction}
    items: [sat1, sat2]
  忠诚:
    label: {zh: 忠诚度, en: Loyalty}
    items: [loy1, 换行意向]
paths:
  - [质量, 满意]
  - [满意, 忠诚]
target: 满意
"""
# Questions the model's names meet automatically, and the one it does not (换行意向 is
# the questionnaire's `loy2`).
LABELS = {
    "qual1": "等候时间（1-10 分）",
    "qual2": "柜员态度（1-10 分）",
    "qual3": "办理效率（1-10 分）",
    "sat1": "总体满意",
    "sat2": "与预期相比",
    "loy1": "会继续在本行办理业务（1-10 分）",
    "loy2": "我打算换一家银行（1-10 分）",
}
FIRST_QUARTER = dt.datetime(2026, 4, 15, 10, tzinfo=dt.UTC)
SECOND_QUARTER = dt.datetime(2026, 8, 15, 10, tzinfo=dt.UTC)


@dataclass
class Answered:
    questionnaire: Any
    by_branch: dict[str, int]
    vip: set[int]


def workbook() -> Path:
    book = spreadsheet.workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(
        [
            "type",
            "name",
            "label::Chinese (zh)",
            "label::English (en)",
            "parameters",
            "instance::reverse",
        ]
    )
    for name in ("qual1", "qual2", "qual3", "loy1", "loy2"):
        survey.append(
            [
                "range",
                name,
                LABELS[name],
                name,
                "start=1 end=10 step=1",
                "yes" if name == "loy2" else "",
            ]
        )
    for name in ("sat1", "sat2"):
        survey.append(["select_one five", name, LABELS[name], name, "", ""])
    survey.append(["text", "comment", "意见", "Comment", "", ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Chinese (zh)", "label::English (en)"])
    for code in "12345":
        choices.append(["five", code, f"{code} 分", code])
    choices.append(["five", "9", "不知道", "Don't know"])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "default_language"])
    settings.append(["网点服务调查", "branch_service", "Chinese (zh)"])
    path = Path(tempfile.mkdtemp()) / "branch_service.xlsx"
    book.save(path)
    return path


def answers_for(n: int, seed: int, shift: float = 0.0) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    quality = rng.standard_normal(n) + shift
    satisfaction = 0.7 * quality + 0.7 * rng.standard_normal(n)
    loyalty = 0.6 * satisfaction + 0.8 * rng.standard_normal(n)

    def ten(latent: np.ndarray) -> np.ndarray:
        return np.clip(np.round(6.5 + 1.5 * (latent + 0.6 * rng.standard_normal(n))), 1, 10)

    def five(latent: np.ndarray) -> np.ndarray:
        return np.clip(np.round(3.5 + 0.8 * (latent + 0.6 * rng.standard_normal(n))), 1, 5)

    columns = {
        "qual1": ten(quality),
        "qual2": ten(quality),
        "qual3": ten(quality),
        "sat1": five(satisfaction),
        "sat2": five(satisfaction),
        "loy1": ten(loyalty),
        "loy2": 11 - ten(loyalty),  # negatively worded: a loyal customer answers low
    }
    out = []
    for row in range(n):
        answers = {name: str(int(values[row])) for name, values in columns.items()}
        if row % 17 == 3:
            answers["sat2"] = "9"  # 不知道
        if row % 5 == 0:
            answers["comment"] = "柜员态度好，电话 13812345678"
        out.append(answers)
    return out


def answered(org: Any, per_quarter: int = 60) -> Answered:
    path = workbook()
    version, _unsupported = actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    questionnaire = version.questionnaire
    branches = [org.a1, org.a2, org.b1]
    by_branch: dict[str, int] = {}
    vip: set[int] = set()
    for quarter, (at, shift) in enumerate(((FIRST_QUARTER, 0.0), (SECOND_QUARTER, 0.4))):
        for n, answers in enumerate(answers_for(per_quarter, seed=quarter + 1, shift=shift)):
            branch = branches[n % 3]
            tier = "vip" if n % 4 < 2 else "ordinary"
            with clock.as_of(at + dt.timedelta(hours=n)):
                customer = customer_actions.create_customer(
                    SYSTEM, branch=branch, name=f"客户{quarter}-{n}", tier=tier
                )
                _link, token = actions.create_link(
                    SYSTEM, questionnaire, customer=customer, channel="sms" if n % 2 else "web"
                )
                response, _created = actions.submit(
                    token, answers, submission_key=f"idx-{quarter}-{n:05d}"
                )
            by_branch[branch.code] = by_branch.get(branch.code, 0) + 1
            if tier == "vip":
                vip.add(response.pk)
    return Answered(questionnaire=questionnaire, by_branch=by_branch, vip=vip)
