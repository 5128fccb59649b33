"""CSAT, NPS, CES and means of a questionnaire's answers, overall and by branch, channel,
month or version, read from the running tallies `submit` keeps (a million responses are a
few thousand tally rows), and the words of the newest open answers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from manyi.analytics.survey_metrics import (
    ScaleError,
    csat,
    mean,
    mean_from_sums,
    nps,
    nps_from_counts,
    share_from_counts,
)
from manyi.analytics.text import word_frequencies
from manyi.customers.models import Customer, Segment
from manyi.org.models import Staff

from .export import questions_of
from .models import Campaign, Questionnaire, Response, ScoreBreakdown, ScoreTally
from .reading import rating_scale, segment_customers

# Groupings read from the daily tallies, and from the monthly breakdowns by one more
# dimension (campaign, agent, customer tier); a segment is counted from its responses.
GROUPS = {
    "branch": "branch__code",
    "channel": "channel",
    "month": "month",
    "version": "version",
    "agent": "key",
    "tier": "key",
    "campaign": "key",
}
WITHIN_BREAKDOWN = {"branch", "month"}  # groupings a campaign's own figures can have
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def _scale(questionnaire: Questionnaire, name: str, metric: str) -> tuple[float, float]:
    """The question's own scale when it has one (range parameters, numeric choices)."""
    question = next((q for q in questions_of(questionnaire) if q.name == name), None)
    if question is None:
        raise ValidationError(_("This questionnaire has no question %(q)s.") % {"q": name})
    scale = rating_scale(question)
    if scale is not None:
        return scale
    if question.choices:
        raise ValidationError(_("%(q)s has answers that are not numbers.") % {"q": name})
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
    campaign: Campaign | None = None,
    segment: Segment | None = None,
) -> dict[str, Any]:
    """`metric` is nps, csat (the top `top` points of the scale), ces or mean, within the
    person's branches; for one campaign or one customer segment when given. Read from the
    running tallies the submissions keep, except for a segment (its members change, so
    its responses are counted)."""
    if metric not in ("nps", "csat", "ces", "mean"):
        raise ValidationError(_("Unknown metric %(m)s.") % {"m": metric})
    if by and by not in GROUPS:
        raise ValidationError(_("Unknown grouping %(g)s.") % {"g": by})
    low, high = _scale(questionnaire, question, metric)
    if metric == "nps" and (low, high) != (0, 10):
        raise ValidationError(_("NPS needs a 0-10 question."))
    if metric == "csat" and not (low >= 0 and high <= 10):
        raise ValidationError(_("CSAT needs a rating scale within 0-10."))
    if segment is not None:
        return _from_responses(
            questionnaire, user, question, metric, by, top, (low, high), campaign, segment
        )
    if campaign is not None:
        if by and by not in WITHIN_BREAKDOWN:
            raise ValidationError(_("A campaign's figures go by branch or month."))
        tallies = ScoreBreakdown.objects.visible_to(user).filter(
            questionnaire=questionnaire, dimension="campaign", key=str(campaign.pk)
        )
    elif by in ScoreBreakdown.DIMENSIONS:
        tallies = ScoreBreakdown.objects.visible_to(user).filter(
            questionnaire=questionnaire, dimension=by
        )
    else:
        tallies = ScoreTally.objects.visible_to(user).filter(questionnaire=questionnaire)
        if by == "month":
            tallies = tallies.annotate(month=TruncMonth("day"))
    answered = tallies.filter(question=question)
    counted = tallies.filter(question="")
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
    names = _group_names(by, [row[GROUPS[by]] for row in rows]) if by else {}
    out = [{"group": _group_value(row, by, names), **_figure(metric, row)} for row in rows]
    return _result(question, metric, by, out, responses)


def _result(
    question: str, metric: str, by: str, out: list[dict[str, Any]], responses: dict[Any, Any]
) -> dict[str, Any]:
    total_responses = sum(v or 0 for v in responses.values())
    total_answered = sum(row["n"] or 0 for row in out)
    return {
        "question": question,
        "metric": metric,
        "by": by,
        "missing": total_responses - total_answered,
        "overall": out[0] if not by else None,
        "groups": out if by else [],
    }


def _group_names(by: str, keys: list[Any]) -> dict[Any, str]:
    """What a breakdown's keys stand for: the agent's name, the tier's, the campaign's."""
    if by == "agent":
        ids = [int(k) for k in keys if k]
        return {
            str(pk): name for pk, name in Staff.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if by == "tier":
        return {str(value): str(label) for value, label in Customer.Tier.choices}
    if by == "campaign":
        ids = [int(k) for k in keys if k]
        return {
            str(pk): name
            for pk, name in Campaign.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    return {}


def _from_responses(
    questionnaire: Questionnaire,
    user: Any,
    question: str,
    metric: str,
    by: str,
    top: int,
    scale: tuple[float, float],
    campaign: Campaign | None,
    segment: Segment,
) -> dict[str, Any]:
    """A segment's figures, from the answers of its current members."""
    if by and by not in ("branch", "channel", "month", "version"):
        raise ValidationError(_("A segment's figures go by branch, channel, month or version."))
    responses = Response.objects.visible_to(user).filter(
        questionnaire=questionnaire,
        customer__in=segment_customers(user, segment).values("pk"),
    )
    if campaign is not None:
        responses = responses.filter(campaign=campaign)
    group = {
        "": Value(""),
        "branch": F("branch__code"),
        "channel": F("channel"),
        "month": TruncMonth("submitted_at"),
        "version": F("version__number"),
    }[by]
    pairs = responses.annotate(
        group_key=group, answer=KeyTextTransform(question, "values")
    ).values_list("group_key", "answer")
    buckets: dict[Any, list[Any]] = {}
    for key, answer in pairs.iterator(chunk_size=5000):
        if by == "month" and key is not None:
            key = key.strftime("%Y-%m")
        buckets.setdefault(key, []).append(answer)
    figure = _metric_of(metric, scale, top)
    try:
        out = [
            {"group": key if by else None, **asdict(figure(values))}
            for key, values in sorted(buckets.items(), key=lambda item: str(item[0]))
        ]
    except ScaleError as exc:
        raise ValidationError(exc.zh if _chinese() else str(exc)) from None
    if not out:
        out = [{"group": None, **asdict(figure([]))}] if not by else []
    answered = sum(row["n"] for row in out)
    missing = sum(row["missing"] for row in out)
    return _result(question, metric, by, out, {None: answered + missing})


def _metric_of(metric: str, scale: tuple[float, float], top: int) -> Any:
    if metric == "nps":
        return nps
    if metric == "csat":
        return lambda values: csat(values, scale=(int(scale[0]), int(scale[1])), top=top)
    return lambda values: mean(values, scale=scale, name=metric.upper())


def _chinese() -> bool:
    return (get_language() or "zh").startswith("zh")


def _group_value(row: dict[str, Any], by: str, names: dict[Any, str]) -> Any:
    if not by:
        return None
    value = row[GROUPS[by]]
    if by == "month" and value is not None:
        return value.strftime("%Y-%m")
    return names.get(value, value) if names else value


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
