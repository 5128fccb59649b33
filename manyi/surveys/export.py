"""Responses out: CSV and Excel with one row per response and one column per question
(codes or labels), and the same table as a DataFrame for the satisfaction index engine.

Answers are the values after the form's logic (skipped questions empty, calculations
filled). A multiple choice is one column: its codes separated by spaces, or its labels by
"; ". Questions of every version appear, the newest version's order first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from manyi.analytics import spreadsheet
from manyi.analytics.xlsform import Question, form_from_dict

from .models import Questionnaire, Response

META = (
    "response",
    "submitted_at",
    "version",
    "channel",
    "branch",
    "customer",
    "tier",
    "agent",
    "campaign",
)
SKIPPED_KINDS = {"note"}


def questions_of(questionnaire: Questionnaire, versions: Any = None) -> list[Question]:
    """Every question of every version, once, newest version's order first (`versions`:
    the questionnaire's versions already read, to spare the query)."""
    seen: dict[str, Question] = {}
    if versions is None:
        versions = questionnaire.versions.order_by("-number")
    else:
        versions = sorted(versions, key=lambda version: -version.number)
    for version in versions:
        for question in form_from_dict(version.definition).questions:
            if question.kind not in SKIPPED_KINDS and question.name not in seen:
                seen[question.name] = question
    return list(seen.values())


def _labeller(question: Question, language: str) -> dict[str, str]:
    return {
        c.name: c.labels.get(language) or next(iter(c.labels.values()), c.name)
        for c in question.choices
    }


def rows(
    questionnaire: Questionnaire,
    responses: QuerySet[Response],
    *,
    labels: bool = False,
    language: str = "zh",
) -> Iterator[list[Any]]:
    """The header, then one list per response, read in chunks (a million rows stream)."""
    questions = questions_of(questionnaire)
    yield [*META, *(q.name for q in questions)]
    choice_labels = (
        {q.name: _labeller(q, language) for q in questions if q.choices} if labels else {}
    )
    names = [q.name for q in questions]
    multiple = {q.name for q in questions if q.kind in ("select_multiple", "rank")}
    stream = responses.order_by("pk").values_list(
        "pk",
        "submitted_at",
        "version__number",
        "channel",
        "branch__code",
        "customer__external_key",
        "tier",
        "agent__employee_no",
        "campaign__name",
        "values",
    )
    tz = timezone.get_current_timezone()
    for pk, submitted, version, channel, branch, customer, *about, values in stream.iterator(
        chunk_size=5000
    ):
        line: list[Any] = [
            pk,
            submitted.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            version,
            channel,
            branch or "",
            customer or "",
            *(value or "" for value in about),
        ]
        for name in names:
            value = values.get(name, "")
            if labels and value and name in choice_labels:
                known = choice_labels[name]
                if name in multiple:
                    value = "; ".join(known.get(v, v) for v in value.split())
                else:
                    value = known.get(value, value)
            line.append(value)
        yield line


def csv_lines(
    questionnaire: Questionnaire, responses: QuerySet[Response], **options: Any
) -> Iterator[str]:
    """CSV in UTF-8 with a byte-order mark, so Excel opens the Chinese text right."""
    buffer = io.StringIO()
    writer = spreadsheet.csv_writer(buffer)
    yield "\ufeff"
    for number, line in enumerate(rows(questionnaire, responses, **options)):
        writer.writerow(line)
        if number % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(
    questionnaire: Questionnaire, responses: QuerySet[Response], **options: Any
) -> bytes:
    book = spreadsheet.workbook(write_only=True)
    sheet = book.create_sheet(questionnaire.code or "responses")
    for line in rows(questionnaire, responses, **options):
        sheet.append(line)
    return book.to_bytes()


def to_frame(questionnaire: Questionnaire, responses: QuerySet[Response]) -> Any:
    """The responses as a pandas DataFrame of codes (numbers where the answers are), the
    satisfaction index engine's input: one row per respondent, one column per item."""
    import pandas as pd

    lines = rows(questionnaire, responses)
    header = next(lines)
    frame = pd.DataFrame(list(lines), columns=header)
    for column in header[len(META) :]:
        numeric = pd.to_numeric(frame[column].replace("", None), errors="coerce")
        if numeric.notna().sum() == (frame[column] != "").sum():
            frame[column] = numeric
    return frame
