"""Phone interviews (CATI): drawing a call list from a segment, recording each call's
outcome (callbacks only with consent, retries up to a limit) and completing an interview
with answers judged like a respondent's. What to call next and each interviewer's
progress are read in `manyi.surveys.reading`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.core import clock
from manyi.customers.models import Customer
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.permissions import require_permission

from ..auditing import AuditAction
from ..models import CallAttempt, CallCase, CallList, Channel, Questionnaire, Response
from ..reading import segment_customers
from ._common import staff
from .links import create_link
from .responses import submit

MAX_CALL_ATTEMPTS = 6
RETRY_AFTER = {"no_answer": dt.timedelta(hours=2), "busy": dt.timedelta(minutes=30)}


def draw_call_list(
    actor: Any,
    *,
    name: str,
    questionnaire: Questionnaire,
    segment: Any,
    size: int,
    seed: int,
    stratify_by: str = "",
) -> CallList:
    """A reproducible random sample of the segment's customers with a phone (simple, or
    stratified by branch or tier in proportion)."""
    from manyi.analytics.sampling import simple_random_sample, stratified_sample

    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if stratify_by not in ("", "branch", "tier"):
        raise ValidationError(_("Strata are by branch or by tier."))
    if size < 1:
        raise ValidationError(_("The sample needs at least one customer."))
    reachable = segment_customers(actor, segment).filter(contacts__kind="mobile").distinct()
    field = {"branch": "branch__code", "tier": "tier"}.get(stratify_by)
    with transaction.atomic():
        call_list = CallList.objects.create(
            name=name,
            questionnaire=questionnaire,
            segment=segment,
            size=size,
            seed=seed,
            stratify_by=stratify_by,
            created_by=staff(actor),
        )
        if field is None:
            chosen = {
                "": simple_random_sample(
                    list(reachable.values_list("pk", flat=True)), size, seed=seed
                )
            }
        else:
            strata: dict[str, list[int]] = {}
            for pk, key in reachable.values_list("pk", field):
                strata.setdefault(str(key), []).append(pk)
            chosen = stratified_sample(strata, size, seed=seed)
        CallCase.objects.bulk_create(
            [
                CallCase(call_list=call_list, customer_id=pk, stratum=stratum)
                for stratum, ids in chosen.items()
                for pk in ids
            ]
        )
        audit.record(
            actor,
            AuditAction.CALL_LIST,
            call_list,
            after={
                "size": size,
                "seed": seed,
                "strata": stratify_by,
                "drawn": call_list.cases.count(),
            },
        )
    return call_list


def record_call(
    actor: Any,
    case: CallCase,
    *,
    outcome: str,
    recording_ref: str = "",
    note: str = "",
    callback_at: dt.datetime | None = None,
    consent: bool = False,
) -> CallCase:
    """Record a call's outcome. A callback is only scheduled with the customer's consent
    (given before, or now: `consent=True` records it), at the asked time moved into their
    preferred window; no answer and busy are retried later, up to a limit."""
    from manyi.analytics.sampling import callback_time

    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationError(_("Unknown call outcome %(o)s.") % {"o": outcome})
    if outcome == CallAttempt.Outcome.COMPLETED:
        raise ValidationError(_("A completed interview is recorded by submitting its answers."))
    now = clock.now()
    with transaction.atomic():
        case = CallCase.objects.select_for_update().select_related("customer").get(pk=case.pk)
        customer = case.customer
        if outcome == CallAttempt.Outcome.CALLBACK:
            if not (consent or customer.callback_consent):
                raise ValidationError(
                    _("Ask the customer whether we may call back, and record the consent.")
                )
            if consent and not customer.callback_consent:
                Customer.objects.filter(pk=customer.pk).update(callback_consent=True)
            window = (
                (customer.callback_from, customer.callback_until)
                if customer.callback_from and customer.callback_until
                else None
            )
            local = timezone.localtime(callback_at or now + dt.timedelta(hours=1))
            case.next_call_at = callback_time(local, window)
            case.state = CallCase.State.CALLBACK
        elif outcome in RETRY_AFTER:
            case.state = (
                CallCase.State.UNREACHABLE
                if case.attempts + 1 >= MAX_CALL_ATTEMPTS
                else CallCase.State.TO_CALL
            )
            case.next_call_at = now + RETRY_AFTER[outcome]
        else:
            case.state = {
                CallAttempt.Outcome.REFUSED: CallCase.State.REFUSED,
                CallAttempt.Outcome.WRONG_NUMBER: CallCase.State.WRONG_NUMBER,
            }[outcome]
            case.next_call_at = None
        case.attempts += 1
        case.interviewer = staff(actor) or case.interviewer
        case.save()
        CallAttempt.objects.create(
            case=case,
            interviewer=staff(actor),
            outcome=outcome,
            at=now,
            recording_ref=recording_ref[:200],
            note=note[:300],
        )
        audit.record(actor, AuditAction.CALL, case, after={"outcome": outcome})
    return case


def complete_interview(
    actor: Any, case: CallCase, answers: Mapping[str, Any], *, recording_ref: str = ""
) -> Response:
    """The interviewer's answers, judged by the same rules as a respondent's."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    case = CallCase.objects.select_related("call_list__questionnaire", "customer").get(pk=case.pk)
    _link, token = create_link(
        SYSTEM, case.call_list.questionnaire, channel=Channel.PHONE, customer=case.customer
    )
    response, _created = submit(token, answers, submission_key=f"cati-{case.pk}-{case.attempts}")
    with transaction.atomic():
        case.state, case.response, case.next_call_at = CallCase.State.COMPLETED, response, None
        case.attempts += 1
        case.interviewer = staff(actor) or case.interviewer
        case.save()
        CallAttempt.objects.create(
            case=case,
            interviewer=staff(actor),
            outcome=CallAttempt.Outcome.COMPLETED,
            at=clock.now(),
            recording_ref=recording_ref[:200],
        )
    return response
