"""Links, and the public answering through them: a new link (its raw token shown once),
opening it (the check every answering step makes) and keeping a respondent's draft."""

from __future__ import annotations

import datetime as dt
import secrets
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
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import require_branch

from ..auditing import AuditAction
from ..errors import LinkUnusable
from ..models import Campaign, Channel, Questionnaire, SurveyLink


def create_link(
    actor: Any,
    questionnaire: Questionnaire,
    *,
    channel: str = Channel.WEB,
    customer: Customer | None = None,
    branch: Branch | None = None,
    single_use: bool = True,
    expires_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    agent: Any = None,
) -> tuple[SurveyLink, str]:
    """A new link; the raw token is returned once (for the SMS, e-mail or QR code)."""
    if actor != SYSTEM:
        require_permission(actor, "surveys.distribute")
        if branch is not None:
            require_branch(actor, branch.pk)
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel %(c)s.") % {"c": channel})
    if questionnaire.current_version() is None:
        raise ValidationError(_("This questionnaire has no version to answer yet."))
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationError(_("The link would expire before anyone could open it."))
    token = secrets.token_urlsafe(16)  # 128 bits: unguessable
    with transaction.atomic():
        link = SurveyLink.objects.create(
            questionnaire=questionnaire,
            digest=SurveyLink.digest_of(token),
            customer=customer,
            branch=branch or (customer.branch if customer else None),
            channel=channel,
            single_use=single_use,
            expires_at=expires_at,
            campaign=campaign,
            agent=agent,
            created_at=clock.now(),
        )
        audit.record(
            actor,
            AuditAction.LINK,
            link,
            after={"questionnaire": questionnaire.code, "single_use": single_use},
        )
    return link, token


def _find_link(token: str) -> SurveyLink | None:
    """The link a token opens: its own token or a reminder's."""
    digest = SurveyLink.digest_of(token or "")
    links = SurveyLink.objects.select_related("questionnaire", "customer", "branch", "campaign")
    return links.filter(digest=digest).first() or links.filter(aliases__digest=digest).first()


def open_link(token: str) -> SurveyLink:
    """The link behind a token, if it may still be answered (else `LinkUnusable`): the
    door of the public answering, checked again by `save_draft` and `submit`."""
    link = _find_link(token)
    if link is None or not link.questionnaire.active:
        raise LinkUnusable(_("This survey link is not valid."), code="unknown")
    if link.expires_at is not None and link.expires_at < clock.now():
        raise LinkUnusable(_("This survey has closed."), code="closed")
    if link.single_use and link.responses_count > 0:
        raise LinkUnusable(_("This survey has already been answered. Thank you!"), code="used")
    return link


def save_draft(token: str, answers: Mapping[str, Any]) -> SurveyLink:
    """Keep unfinished answers so the respondent can come back to them; only on a link of
    one respondent (a shared link's page keeps them on the device)."""
    link = open_link(token)
    if not link.single_use:
        raise ValidationError(
            _("Answers to a shared link are kept on your device, not on the server.")
        )
    link.draft = {str(k): str(v) for k, v in answers.items()}
    link.draft_saved_at = timezone.now()
    link.save(update_fields=["draft", "draft_saved_at"])
    return link
