"""CSAT, NPS, CES and means of a questionnaire's answers, overall and by branch, channel or
month, counted by the database (a million responses are not read into Python), and the
words of open answers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncMonth
from django.utils.translation import gettext as _

from manyi.analytics.survey_metrics import (
    mean_from_sums,
    nps_from_counts,
    share_from_counts,
)
from manyi.analytics.text import word_frequencies

from .export import questions_of
from .models import Questionnaire, Response

GROUPS = {
    "branch": "branch__code",
    "channel": "channel",
    "month": "month",
    "version": "version__number",
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
    responses: QuerySet[Response],
    *,
    question: str,
    metric: str,
    by: str = "",
    top: int = 2,
) -> dict[str, Any]:
    """`metric` is nps, csat (the top `top` points of the scale), ces or mean."""
    if metric not in ("nps", "csat", "ces", "mean"):
        raise ValidationError(_("Unknown metric %(m)s.") % {"m": metric})
    if by and by not in GROUPS:
        raise ValidationError(_("Unknown grouping %(g)s.") % {"g": by})
    low, high = _scale(questionnaire, question, metric)
    if metric == "nps" and (low, high) != (0, 10):
        raise ValidationError(_("NPS needs a 0-10 question."))
    answered = responses.filter(questionnaire=questionnaire).filter(**{"values__has_key": question})
    scored = answered.annotate(score=Cast(KeyTextTransform(question, "values"), FloatField()))
    if by == "month":
        scored = scored.annotate(month=TruncMonth("submitted_at"))
    aggregates = {
        "n": Count("pk"),
        "outside": Count("pk", filter=Q(score__lt=low) | Q(score__gt=high)),
        "promoters": Count("pk", filter=Q(score__gte=9)),
        "detractors": Count("pk", filter=Q(score__lte=6)),
        "top": Count("pk", filter=Q(score__gt=high - top)),
        "total": Sum("score"),
        "squares": Sum(F("score") * F("score")),
    }
    missing = responses.filter(questionnaire=questionnaire).count() - answered.count()
    if by:
        key = GROUPS[by]
        rows = list(scored.values(key).annotate(**aggregates).order_by(key))
    else:
        rows = [scored.aggregate(**aggregates)]
    out = []
    for row in rows:
        if row["outside"]:
            raise ValidationError(
                _("%(n)d answers to %(q)s are outside its scale.")
                % {"n": row["outside"], "q": question}
            )
        out.append({"group": _group_value(row, by), **_figure(metric, row)})
    overall = out[0] if not by else None
    return {
        "question": question,
        "metric": metric,
        "by": by,
        "missing": missing,
        "overall": overall,
        "groups": out if by else [],
    }


def _group_value(row: dict[str, Any], by: str) -> Any:
    if not by:
        return None
    value = row[GROUPS[by]]
    return value.strftime("%Y-%m") if by == "month" and value is not None else value


def _figure(metric: str, row: dict[str, Any]) -> dict[str, Any]:
    n = row["n"] or 0
    if metric == "nps":
        promoters, detractors = row["promoters"], row["detractors"]
        return asdict(nps_from_counts(promoters, n - promoters - detractors, detractors))
    if metric == "csat":
        return asdict(share_from_counts(row["top"], n))
    return asdict(mean_from_sums(n, row["total"] or 0.0, row["squares"] or 0.0))


def words(
    questionnaire: Questionnaire, responses: QuerySet[Response], *, question: str, top: int = 30
) -> list[dict[str, Any]]:
    texts = (
        responses.filter(questionnaire=questionnaire, values__has_key=question)
        .annotate(text=KeyTextTransform(question, "values"))
        .values_list("text", flat=True)
        .iterator(chunk_size=5000)
    )
    return [{"word": w, "count": c} for w, c in word_frequencies(texts, top=top)]
