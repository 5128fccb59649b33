"""Campaigns and the other ways a survey is sent: invitations to a segment, reminders to
those who have not answered, opting out, closing, and the surveys triggered by what
happens to a customer elsewhere (a closed ticket, a purchase, a served number). A
campaign's quota cells are read in `manyi.surveys.reading`."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.core import clock
from manyi.core.tasks import enqueue
from manyi.customers.models import Customer
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.permissions import require_permission

from .. import channels
from ..auditing import AuditAction
from ..errors import LinkUnusable
from ..models import (
    Campaign,
    Invitation,
    LinkAlias,
    OptOut,
    SurveyLink,
    SurveyTrigger,
    TriggeredInvitation,
)
from ..reading import address_of, last_surveyed, public_url, segment_customers
from ._common import staff
from .links import create_link

INLINE_INVITATIONS = 200  # more than this are sent by a worker, not in the request


def create_campaign(actor: Any, **fields: Any) -> Campaign:
    """A campaign as a draft: nothing is sent until it is launched."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    campaign = Campaign(created_by=staff(actor), **fields)
    if campaign.quota_by and not campaign.quota_per_cell:
        raise ValidationError(_("Give the number of responses per cell for the quota."))
    if campaign.divert_to_id and not campaign.quota_by:
        raise ValidationError(_("Diverting needs a quota: say by what cells are counted."))
    if campaign.divert_to_id and campaign.divert_to_id == campaign.questionnaire_id:
        raise ValidationError(_("A full cell cannot be diverted to the same questionnaire."))
    if "{链接}" not in campaign.message and "{link}" not in campaign.message:
        raise ValidationError(_("The message must contain {链接}, where the survey link goes."))
    if campaign.expires_at is not None and campaign.expires_at <= clock.now():
        raise ValidationError(_("The link would expire before anyone could open it."))
    with transaction.atomic():
        campaign.full_clean(exclude=["created_by"])
        campaign.save()
        audit.record(actor, AuditAction.CAMPAIGN_CREATE, campaign, after={"name": campaign.name})
    return campaign


def _message(template: str, customer: Customer, url: str) -> str:
    """An invitation's text: {客户} (or {name}) the customer, {链接} (or {link}) the link."""
    text = template.replace("{客户}", customer.name).replace("{name}", customer.name)
    return text.replace("{链接}", url).replace("{link}", url)


def launch_campaign(
    actor: Any, campaign: Campaign, *, in_background: bool | None = None
) -> dict[str, int]:
    """Invite the segment's customers the person may see: one single-use link each, sent
    by the campaign's channel. A large segment is sent by a worker (the answer says how
    many are queued) unless `in_background` says otherwise; launching again invites only
    those not yet invited."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if campaign.segment is None:
        raise ValidationError(_("Choose the segment to invite."))
    if campaign.state == Campaign.State.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    if campaign.expires_at is not None and campaign.expires_at <= clock.now():
        raise ValidationError(_("The campaign's links have expired: set a later expiry first."))
    waiting = (
        segment_customers(actor, campaign.segment)
        .exclude(pk__in=campaign.invitations.values("customer_id"))
        .count()
    )
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            state=Campaign.State.RUNNING, launched_at=campaign.launched_at or clock.now()
        )
        audit.record(actor, AuditAction.CAMPAIGN_LAUNCH, campaign, after={"customers": waiting})
    user_id = None if actor == SYSTEM else actor.pk
    if not (waiting > INLINE_INVITATIONS if in_background is None else in_background):
        return send_invitations(campaign.pk, user_id)
    transaction.on_commit(lambda: enqueue(send_invitations, campaign.pk, user_id))
    return {"queued": waiting}


def send_invitations(campaign_id: int, user_id: int | None) -> dict[str, int]:
    """Send the campaign's invitations to its segment's customers not yet invited (seen by
    the person who launched it). Opted-out customers and those without an address are
    recorded, not sent to. Safe to run twice: each customer is invited once."""
    from django.contrib.auth import get_user_model

    campaign = Campaign.objects.select_related("questionnaire", "segment").get(pk=campaign_id)
    actor = SYSTEM if user_id is None else get_user_model().objects.get(pk=user_id)
    counts = dict.fromkeys(Invitation.Status.values, 0)
    opted_out = set(OptOut.objects.values_list("customer_id", flat=True))
    invited = set(campaign.invitations.values_list("customer_id", flat=True))
    customers = segment_customers(actor, campaign.segment)
    for customer in customers.select_related("branch").iterator(chunk_size=500):
        if customer.pk in invited:
            continue
        invitation = Invitation(campaign=campaign, customer=customer)
        if customer.pk in opted_out:
            invitation.status = Invitation.Status.OPTED_OUT
        elif not (address := address_of(customer, campaign.channel)):
            invitation.status = Invitation.Status.NO_ADDRESS
        else:
            link, token = create_link(
                SYSTEM,
                campaign.questionnaire,
                channel=campaign.channel,
                customer=customer,
                expires_at=campaign.expires_at,
                campaign=campaign,
            )
            invitation.link, invitation.address = link, address
            try:
                channels.send(
                    campaign.channel,
                    address,
                    campaign.questionnaire.title,
                    _message(campaign.message, customer, public_url(token)),
                )
            except channels.SendError as exc:
                invitation.status, invitation.error = Invitation.Status.FAILED, str(exc)[:300]
            else:
                invitation.status, invitation.sent_at = Invitation.Status.SENT, clock.now()
        try:
            with transaction.atomic():
                invitation.save()
                Campaign.objects.filter(pk=campaign.pk).update(
                    invited_count=F("invited_count") + 1,
                    sent_count=F("sent_count") + int(invitation.status == Invitation.Status.SENT),
                )
        except IntegrityError:  # a second run of this task got there first
            continue
        counts[invitation.status] += 1
    audit.record(actor, AuditAction.CAMPAIGN_SENT, campaign, after=counts)
    return counts


def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind those who have not answered, once the campaign's delay has passed; never
    the ones who answered or opted out since."""
    now = now or timezone.now()
    sent = 0
    opted_out = set(OptOut.objects.values_list("customer_id", flat=True))
    running = Campaign.objects.filter(
        state=Campaign.State.RUNNING, reminder_after_days__isnull=False
    ).select_related("questionnaire")
    for campaign in running:
        due = now - dt.timedelta(days=campaign.reminder_after_days)
        waiting = campaign.invitations.filter(
            status=Invitation.Status.SENT,
            link__responses_count=0,
            reminders__lt=campaign.max_reminders,
        ).filter(
            models.Q(reminded_at__lte=due) | models.Q(reminded_at__isnull=True, sent_at__lte=due)
        )
        for invitation in waiting.select_related("customer", "link"):
            if invitation.customer_id in opted_out:
                continue
            token = secrets.token_urlsafe(16)  # a further token: the first SMS still works
            LinkAlias.objects.create(link_id=invitation.link_id, digest=SurveyLink.digest_of(token))
            try:
                channels.send(
                    campaign.channel,
                    invitation.address,
                    campaign.questionnaire.title,
                    _message(campaign.message, invitation.customer, public_url(token)),
                )
            except channels.SendError as exc:
                invitation.error = str(exc)[:300]
                invitation.save(update_fields=["error"])
                continue
            invitation.reminders += 1
            invitation.reminded_at = now
            invitation.save(update_fields=["reminders", "reminded_at"])
            sent += 1
    return sent


def opt_out(token: str, *, source: str = "survey page") -> None:
    """The respondent asks for no more surveys (the link names the customer)."""
    link = SurveyLink.objects.filter(digest=SurveyLink.digest_of(token or "")).first()
    if link is None or link.customer_id is None:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    OptOut.objects.get_or_create(customer_id=link.customer_id, defaults={"source": source})


def close_campaign(actor: Any, campaign: Campaign) -> Campaign:
    """No more answers through the campaign's links, and no more reminders."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
    if campaign.state == Campaign.State.CLOSED:
        raise ValidationError(_("This campaign is closed."))
    with transaction.atomic():
        now = clock.now()
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.CLOSED, closed_at=now)
        SurveyLink.objects.filter(campaign=campaign).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        ).update(expires_at=now)
        audit.record(actor, AuditAction.CAMPAIGN_CLOSE, campaign, after={"state": "closed"})
    campaign.refresh_from_db()
    return campaign


# -- triggered surveys --------------------------------------------------------------------
def schedule_triggered(
    event_name: str,
    customer_id: int,
    source: str,
    occurred_at: dt.datetime,
    *,
    agent_id: int | None = None,
) -> int:
    """Queue the invitations the active triggers of an event ask for (once per trigger and
    source, however often the event is delivered); `send_triggered` sends them when due."""
    created = 0
    for trigger in SurveyTrigger.objects.filter(event=event_name, active=True):
        _invitation, was_created = TriggeredInvitation.objects.get_or_create(
            trigger=trigger,
            source=source,
            defaults={
                "customer_id": customer_id,
                "agent_id": agent_id,
                "due_at": occurred_at + dt.timedelta(minutes=trigger.delay_minutes),
            },
        )
        created += was_created
    return created


def send_triggered(now: dt.datetime | None = None) -> int:
    """Send the triggered surveys that are due, unless the customer opted out or was
    surveyed within the trigger's `once_per_days`."""
    now = now or timezone.now()
    sent = 0
    due = TriggeredInvitation.objects.filter(state="pending", due_at__lte=now).select_related(
        "trigger__questionnaire", "customer"
    )
    for pending in due.order_by("due_at"):
        trigger, customer = pending.trigger, pending.customer
        last = last_surveyed(customer.pk)
        reason = ""
        if OptOut.objects.filter(customer=customer).exists():
            reason = "opted out"
        elif last is not None and now - last < dt.timedelta(days=trigger.once_per_days):
            reason = f"surveyed {last:%Y-%m-%d}"
        elif not (address := address_of(customer, trigger.channel)):
            reason = "no address"
        if reason:
            pending.state, pending.reason = TriggeredInvitation.State.SKIPPED, reason
            pending.save(update_fields=["state", "reason"])
            continue
        link, token = create_link(
            SYSTEM,
            trigger.questionnaire,
            channel=trigger.channel,
            customer=customer,
            agent=pending.agent,
        )
        text = _message(trigger.message, customer, public_url(token))
        try:
            channels.send(trigger.channel, address, trigger.questionnaire.title, text)
        except channels.SendError as exc:
            pending.state, pending.reason = TriggeredInvitation.State.SKIPPED, str(exc)[:200]
            pending.save(update_fields=["state", "reason"])
            continue
        pending.state, pending.link, pending.sent_at = TriggeredInvitation.State.SENT, link, now
        pending.save(update_fields=["state", "link", "sent_at"])
        sent += 1
    return sent
