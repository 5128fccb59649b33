"""The running totals the survey figures are read from (`ScoreTally` by day, branch and
channel; `ScoreBreakdown` by month and campaign, agent or tier): added to in the
submission's own transaction, so the figures and the quota cells are exact, and recounted
from the stored responses after a bulk load (`rebuild_tallies`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from manyi.analytics.xlsform import form_from_dict

from ..models import Questionnaire, Response, ScoreBreakdown, ScoreTally
from ..reading import numeric_questions

COUNT_COLUMNS = ("n", "total", "squares", *(f"c{v}" for v in range(11)))

# breakdowns that only count responses (a campaign's quota cells by tier)
COUNT_ONLY = {"campaign_tier"}


def _counts(number: float, counted: bool) -> dict[str, float]:
    row = dict.fromkeys(COUNT_COLUMNS, 0)
    row.update(n=1, total=number, squares=number * number)
    if counted and number.is_integer() and 0 <= number <= 10:
        row[f"c{int(number)}"] = 1
    return row


def _add(into: dict[tuple[Any, ...], dict[str, float]], key: tuple[Any, ...], row: dict) -> None:
    entry = into.get(key)
    if entry is None:
        into[key] = dict(row)
    else:
        for column in COUNT_COLUMNS:
            entry[column] += row[column]


def _numbers(
    values: Mapping[str, Any], numeric: Mapping[str, tuple[float, float] | None]
) -> list[tuple[str, float]]:
    """(question, number) for the response itself ("", counted as 0) and each answer on
    its scale ("don't know" and the like are not counted)."""
    found = [("", 0.0)]
    for name, scale in numeric.items():
        try:
            number = float(values.get(name))
        except (TypeError, ValueError):
            continue
        if scale is None or scale[0] <= number <= scale[1]:
            found.append((name, number))
    return found


def _tally_rows(
    questionnaire_id: int,
    version: int,
    submitted: dt.datetime,
    branch_id: int | None,
    channel: str,
    extra: Mapping[str, Any],
    numbers: list[tuple[str, float]],
    tallies: dict[tuple[Any, ...], dict[str, float]],
    breakdowns: dict[tuple[Any, ...], dict[str, float]],
) -> None:
    day = timezone.localtime(submitted).date()
    month = day.replace(day=1)
    for name, number in numbers:
        row = _counts(number, bool(name))
        _add(tallies, (questionnaire_id, name, version, day, branch_id, channel), row)
        for dimension, key in extra.items():
            if key in (None, "") or (name and dimension in COUNT_ONLY):
                continue
            _add(breakdowns, (questionnaire_id, name, month, branch_id, dimension, str(key)), row)


def _upsert(model: type[models.Model], rows: dict[tuple[Any, ...], dict[str, float]]) -> None:
    """Add counts to the running totals in one statement per table (INSERT ... ON CONFLICT
    DO UPDATE, on SQLite and PostgreSQL alike); rows go in key order so two submissions
    never wait on each other's rows crosswise."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = list(model.KEY)
    columns = [*key_columns, *COUNT_COLUMNS]
    target = ", ".join(
        "COALESCE(branch_id, 0)" if column == "branch_id" else quote(column)
        for column in key_columns
    )
    updates = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COUNT_COLUMNS
    )
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ordered = sorted(rows.items(), key=lambda item: tuple(str(part) for part in item[0]))
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            params: list[Any] = []
            for key, counts in chunk:
                params.extend(key)
                params.extend(counts[column] for column in COUNT_COLUMNS)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT ({target}) DO UPDATE SET {updates}",
                params,
            )


def _breakdown_keys(campaign: int | None, agent: int | None, tier: str) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "agent": agent,
        "tier": tier,
        "campaign_tier": f"{campaign}:{tier}" if campaign and tier else None,
    }


def tally_response(response: Response, form: Any) -> None:
    """Count one new response into the running totals (called by `submit`, inside its
    transaction)."""
    tallies: dict[tuple[Any, ...], dict[str, float]] = {}
    breakdowns: dict[tuple[Any, ...], dict[str, float]] = {}
    _tally_rows(
        response.questionnaire_id,
        response.version.number,
        response.submitted_at,
        response.branch_id,
        response.channel,
        _breakdown_keys(response.campaign_id, response.agent_id, response.tier),
        _numbers(response.values, numeric_questions(form)),
        tallies,
        breakdowns,
    )
    _upsert(ScoreTally, tallies)
    _upsert(ScoreBreakdown, breakdowns)


def rebuild_tallies(questionnaire: Questionnaire) -> int:
    """Recount the running totals from the stored responses (after bulk loads)."""
    count = 0
    with transaction.atomic():
        ScoreTally.objects.filter(questionnaire=questionnaire).delete()
        ScoreBreakdown.objects.filter(questionnaire=questionnaire).delete()
        forms = {v.pk: form_from_dict(v.definition) for v in questionnaire.versions.all()}
        numeric = {pk: numeric_questions(form) for pk, form in forms.items()}
        tallies: dict[tuple[Any, ...], dict[str, float]] = {}
        breakdowns: dict[tuple[Any, ...], dict[str, float]] = {}
        rows = Response.objects.filter(questionnaire=questionnaire).values_list(
            "version_id",
            "version__number",
            "submitted_at",
            "branch_id",
            "channel",
            "campaign_id",
            "agent_id",
            "tier",
            "values",
        )
        for (
            version_id,
            number,
            submitted,
            branch,
            channel,
            campaign,
            agent,
            tier,
            values,
        ) in rows.iterator(chunk_size=5000):
            numbers = _numbers(values, numeric[version_id])
            extra = _breakdown_keys(campaign, agent, tier)
            _tally_rows(
                questionnaire.pk,
                number,
                submitted,
                branch,
                channel,
                extra,
                numbers,
                tallies,
                breakdowns,
            )
            count += len(numbers)
        _upsert(ScoreTally, tallies)
        _upsert(ScoreBreakdown, breakdowns)
    return count
