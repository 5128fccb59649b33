"""CSAT, NPS, CES and means of a questionnaire's answers, overall and by branch, channel,
month or version, read from the running tallies `submit` keeps (a million responses are a
few thousand tally rows), and the words of the newest open answers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from manyi.analytics.survey_metrics import mean_from_sums, nps_from_counts, share_from_counts
from manyi.analytics.text import word_frequencies

from .export import questions_of
from .models import Questionnaire, Response, ScoreTally

GROUPS = {
    "branch": "branch__code",
    "channel": "channel",
    "month": "month",
    "version": "version",
}
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def _scale(questionnaire: Questionnaire, name: str, metric: str) -> tuple[float, float]:
    """The question's own scale when it has one (range parameters, numeric choices)."""
    question = next((q for q in questions_of(questionnaire) if q.name == name), None)
    if question is None:
        raise ValidationError(_("This questionnaire has no question %(q)s.") % {"q": name})
    if question.kind == "range":
        return float(question.parameters.get("start", 0)), float(question.parameters.get("end", 10))
    if question.choices:
        codes = [c.name for c in question.choices if c.name != "other"]
        try:
            numbers = [float(code) for code in codes]
        except ValueError:
            raise ValidationError(
                _("%(q)s has answers that are not numbers.") % {"q": name}
            ) from None
        return min(numbers), max(numbers)
    if question.kind not in ("integer", "decimal"):
        raise ValidationError(_("%(q)s is not a rating or number question.") % {"q": name})
    return SCALES.get(metric, (float("-inf"), float("inf")))


def compute(
    questionnaire: Questionnaire,
    user: Any,
    *,
    question: str,
    metric: str,
    by: str = "",
    top: int = 2,
) -> dict[str, Any]:
    """`metric` is nps, csat (the top `top` points of the scale), ces or mean; read from the
    running tallies the submissions keep, within the person's branches."""
    if metric not in ("nps", "csat", "ces", "mean"):
        raise ValidationError(_("Unknown metric %(m)s.") % {"m": metric})
    if by and by not in GROUPS:
        raise ValidationError(_("Unknown grouping %(g)s.") % {"g": by})
    low, high = _scale(questionnaire, question, metric)
    if metric == "nps" and (low, high) != (0, 10):
        raise ValidationError(_("NPS needs a 0-10 question."))
    if metric == "csat" and not (low >= 0 and high <= 10):
        raise ValidationError(_("CSAT needs a rating scale within 0-10."))
    tallies = ScoreTally.objects.visible_to(user).filter(questionnaire=questionnaire)
    answered = tallies.filter(question=question)
    counted = tallies.filter(question="")
    if by == "month":
        answered = answered.annotate(month=TruncMonth("day"))
        counted = counted.annotate(month=TruncMonth("day"))
    top_columns = (
        [f"c{v}" for v in range(int(high) - top + 1, int(high) + 1) if 0 <= v <= 10]
        if metric == "csat"
        else []
    )
    aggregates = {
        "answers": Sum("n"),
        "value_sum": Sum("total"),
        "value_squares": Sum("squares"),
        "promoters": Sum(F("c9") + F("c10")),
        "detractors": Sum(sum((F(f"c{v}") for v in range(1, 7)), F("c0"))),
        "top": Sum(sum((F(c) for c in top_columns[1:]), F(top_columns[0])))
        if top_columns
        else Sum("n") * 0,
    }
    if by:
        key = GROUPS[by]
        rows = list(answered.values(key).annotate(**aggregates).order_by(key))
        responses = dict(counted.values_list(key).annotate(responses=Sum("n")))
    else:
        rows = [answered.aggregate(**aggregates)]
        responses = {None: counted.aggregate(responses=Sum("n"))["responses"] or 0}
    out = [{"group": _group_value(row, by), **_figure(metric, row)} for row in rows]
    total_responses = sum(v or 0 for v in responses.values())
    total_answered = sum(row["answers"] or 0 for row in rows)
    return {
        "question": question,
        "metric": metric,
        "by": by,
        "missing": total_responses - total_answered,
        "overall": out[0] if not by else None,
        "groups": out if by else [],
    }


def _group_value(row: dict[str, Any], by: str) -> Any:
    if not by:
        return None
    value = row[GROUPS[by]]
    return value.strftime("%Y-%m") if by == "month" and value is not None else value


def _figure(metric: str, row: dict[str, Any]) -> dict[str, Any]:
    n = row["answers"] or 0
    if metric == "nps":
        promoters, detractors = row["promoters"] or 0, row["detractors"] or 0
        return asdict(nps_from_counts(promoters, n - promoters - detractors, detractors))
    if metric == "csat":
        return asdict(share_from_counts(row["top"] or 0, n))
    return asdict(mean_from_sums(n, row["value_sum"] or 0.0, row["value_squares"] or 0.0))


def words(
    questionnaire: Questionnaire,
    user: Any,
    *,
    question: str,
    top: int = 30,
    newest: int = 2000,
) -> list[dict[str, Any]]:
    """Word frequencies among the newest `newest` answers (what customers say lately)."""
    texts = (
        Response.objects.visible_to(user)
        .filter(questionnaire=questionnaire, values__has_key=question)
        .order_by("-submitted_at")
        .annotate(text=KeyTextTransform(question, "values"))
        .values_list("text", flat=True)[:newest]
    )
    return [{"word": w, "count": c} for w, c in word_frequencies(texts, top=top)]
