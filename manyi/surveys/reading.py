"""What the survey pages, the API and the actions read without changing anything: a
question's scale, the version a link answers, quota cells and response rates, whom a
campaign or call list reaches, and the branch names the figures show. The actions
(`manyi.surveys.actions`) change state; this module never writes (see
`tests/house/test_writes.py`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.survey_items import rating_scale
from manyi.analytics.survey_metrics import low_score_threshold
from manyi.core.configcache import ConfigCache
from manyi.customers.models import Customer
from manyi.org.actions import SYSTEM

from .errors import LinkUnusable
from .models import (
    CallAttempt,
    CallCase,
    CallList,
    Campaign,
    Channel,
    Invitation,
    QuestionnaireVersion,
    ScoreBreakdown,
    SurveyLink,
    TriggeredInvitation,
)

# -- questions and their scales ------------------------------------------------------------
NUMERIC_KINDS = {"integer", "decimal", "range"}


def numeric_questions(form: Any) -> dict[str, tuple[float, float] | None]:
    """Questions whose answers are numbers, with their scale where they have one: number
    and range questions, and choice lists whose points are whole numbers (a 1-5 rating
    written as a choice list, perhaps with a "don't know" column, which is not counted)."""
    found: dict[str, tuple[float, float] | None] = {}
    for question in form.questions:
        scale = rating_scale(question)
        if scale is not None:
            found[question.name] = scale
        elif question.kind in NUMERIC_KINDS:
            found[question.name] = None
    return found


def low_scores(
    form: Any, values: Mapping[str, Any], thresholds: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The answers that count as low: at or under the questionnaire's own threshold for the
    question, or the scale's usual one (`low_score_threshold`)."""
    found = []
    for question in form.questions:
        raw = values.get(question.name)
        if raw in (None, ""):
            continue
        scale = rating_scale(question)
        limit = thresholds.get(question.name)
        if limit is None and scale is None:
            continue
        try:
            value = float(raw)
            at_most = float(limit) if limit is not None else low_score_threshold(*scale)
        except (TypeError, ValueError):
            continue
        if value <= at_most:
            found.append({"question": question.name, "value": value, "at_most": at_most})
    return found


def definition_digest(definition: dict[str, Any]) -> str:
    """Fingerprint of a stored definition: tells an editor someone saved meanwhile."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- links: the version a respondent answers, the quota cells ---------------------------------
def version_for(link: SurveyLink, number: int | None = None) -> QuestionnaireVersion:
    """The version the respondent answers: the current one, or the one the page was given
    (`number`) so an edit published meanwhile does not refuse their answers. When the
    campaign's cell is full the respondent stops here, or is diverted to the campaign's
    other questionnaire."""
    questionnaire = link.questionnaire
    if quota_full(link):
        questionnaire = link.campaign.divert_to if link.campaign else None
        if questionnaire is None or not questionnaire.active:
            raise LinkUnusable(
                _("We have all the answers we need for now. Thank you!"), code="quota_full"
            )
    if number is not None:
        version = questionnaire.versions.filter(number=number).first()
        if version is None:
            raise LinkUnusable(
                _("This survey changed while you were answering. Please open the link again."),
                code="changed",
            )
        return version
    version = questionnaire.current_version()
    if version is None:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    return version


def quota_full(link: SurveyLink) -> bool:
    """True when the link's campaign has its quota of responses for this customer's cell
    (answers to the questionnaire a full cell diverts to do not count)."""
    campaign = link.campaign
    if campaign is None or not campaign.quota_by or not campaign.quota_per_cell:
        return False
    customer = link.customer
    if customer is None:
        return False
    return cell_count(campaign, branch_id=link.branch_id, tier=customer.tier) >= (
        campaign.quota_per_cell
    )


def _cells(campaign: Campaign) -> Any:
    """The running tallies behind the campaign's quota cells (one row per day and cell)."""
    counted = ScoreBreakdown.objects.filter(questionnaire_id=campaign.questionnaire_id, question="")
    if campaign.quota_by == "branch":
        return counted.filter(dimension="campaign", key=str(campaign.pk))
    return counted.filter(dimension="campaign_tier", key__startswith=f"{campaign.pk}:")


def cell_count(campaign: Campaign, *, branch_id: int | None = None, tier: str = "") -> int:
    """The campaign's responses in one quota cell, from the running tallies (exact: they
    are written in the submission's own transaction)."""
    counted = _cells(campaign)
    if campaign.quota_by == "branch":
        counted = counted.filter(branch_id=branch_id)
    else:
        counted = counted.filter(key=f"{campaign.pk}:{tier}")
    return counted.aggregate(n=models.Sum("n"))["n"] or 0


def quota_cells(campaign: Campaign) -> list[dict[str, Any]]:
    """Every cell's responses against the quota, for the campaign's page."""
    if not campaign.quota_by or not campaign.quota_per_cell:
        return []
    rows = _cells(campaign)
    if campaign.quota_by == "branch":
        counted = list(rows.values_list("branch__name").annotate(n=models.Sum("n")))
    else:
        labels = dict(Customer.Tier.choices)
        counted = [
            (labels.get(key.split(":", 1)[1], key), n)
            for key, n in rows.values_list("key").annotate(n=models.Sum("n"))
        ]
    return [
        {"cell": cell or "—", "n": n, "full": n >= campaign.quota_per_cell}
        for cell, n in sorted(counted, key=lambda item: str(item[0]))
    ]


# -- campaigns: whom they reach, how many answered ------------------------------------------
def response_rates(campaigns: list[Campaign]) -> dict[int, dict[str, Any]]:
    """Invited, sent, answered and the rate, from the campaigns' own counts and the
    running tallies: one query however many invitations and responses there are."""
    answered = dict(
        ScoreBreakdown.objects.filter(
            dimension="campaign", question="", key__in=[str(c.pk) for c in campaigns]
        )
        .values_list("key")
        .annotate(n=models.Sum("n"))
    )
    rates = {}
    for campaign in campaigns:
        responses = answered.get(str(campaign.pk), 0)
        sent = campaign.sent_count
        rates[campaign.pk] = {
            "invited": campaign.invited_count,
            "sent": sent,
            "responses": responses,
            "rate": round(100 * responses / sent, 1) if sent else None,
        }
    return rates


def response_rate(campaign: Campaign) -> dict[str, Any]:
    """One campaign's rate, with its counts read afresh (a worker may be sending)."""
    campaign.refresh_from_db(fields=["invited_count", "sent_count"])
    return response_rates([campaign])[campaign.pk]


def segment_customers(actor: Any, segment: Any) -> Any:
    """The segment's customers the person may see; the system sees the whole company."""
    from manyi.customers.segments import members, rules_to_q

    if actor != SYSTEM:
        return members(actor, segment)
    customers = Customer.objects.filter(merged_into__isnull=True).filter(rules_to_q(segment.rules))
    if any(rule["field"] == "tag" for rule in segment.rules):
        customers = customers.distinct()
    return customers


def address_of(customer: Customer, channel: str) -> str:
    """Where an invitation by `channel` goes: the customer's e-mail or mobile number."""
    kind = "email" if channel == Channel.EMAIL else "mobile"
    contact = (
        customer.contacts.filter(kind=kind).order_by("-is_primary", "pk").values("value").first()
    )
    return contact["value"] if contact else ""


def public_url(token: str) -> str:
    """The address a respondent opens (in the SMS, the e-mail, the QR code)."""
    from django.conf import settings

    return f"{settings.MANYI_PUBLIC_URL}/s/{token}/"


def last_surveyed(customer_id: int) -> dt.datetime | None:
    """When this customer was last sent a survey, by a campaign or a trigger."""
    times = [
        Invitation.objects.filter(customer_id=customer_id, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first(),
        TriggeredInvitation.objects.filter(customer_id=customer_id, state="sent")
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first(),
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


# -- phone interviews -------------------------------------------------------------------------
def next_call_case(call_list: CallList) -> CallCase | None:
    """The case to call now: callbacks that are due first, then those not called yet."""
    due = call_list.cases.filter(
        state__in=[CallCase.State.TO_CALL, CallCase.State.CALLBACK]
    ).filter(models.Q(next_call_at__isnull=True) | models.Q(next_call_at__lte=timezone.now()))
    return (
        due.select_related("customer")
        .order_by(F("next_call_at").asc(nulls_last=True), "pk")
        .first()
    )


def interviewer_progress(call_list: CallList) -> list[dict[str, Any]]:
    """Calls and outcomes per interviewer, for the supervisor."""
    rows = (
        CallAttempt.objects.filter(case__call_list=call_list)
        .values("interviewer__name", "outcome")
        .annotate(n=models.Count("pk"))
    )
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row["interviewer__name"] or "—"
        entry = table.setdefault(name, {"interviewer": name, "calls": 0})
        entry[row["outcome"]] = row["n"]
        entry["calls"] += row["n"]
    return sorted(table.values(), key=lambda r: r["interviewer"])


# -- names the figures show -------------------------------------------------------------------
_BRANCH_NAMES: ConfigCache[dict[str, str]] = ConfigCache(
    "survey-branch-names", depends_on=["org.Branch"]
)


def branch_names() -> dict[str, str]:
    """Branch code -> name, for figures grouped by branch (the API keeps the codes); cached
    between requests, so the figures pages make no query for it."""
    from manyi.org.models import Branch

    return _BRANCH_NAMES.get("all", lambda: dict(Branch.objects.values_list("code", "name")))
