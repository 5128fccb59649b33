"""One dispatcher for every workflow step, shared by the JSON API and the pages, so a step
taken by an integration and by an agent's click is the same call with the same checks."""

import base64
import binascii
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from manyi.org.models import Staff
from manyi.org.scoping import get_visible_or_404

from . import actions
from .models import ReasonCode, Ticket

STEPS = (
    "assign",
    "contact",
    "note",
    "investigate",
    "propose",
    "approve",
    "reject",
    "agree",
    "complete_order",
    "follow_up",
    "close",
    "reopen",
    "pause",
    "resume",
    "promise",
    "attach",
    "merge",
    "link",
)


class UnknownStep(LookupError):
    pass


def _body_id(body: dict[str, Any], key: str) -> int:
    """A record id from a step's body: a whole number, or a clear refusal (never a 500)."""
    value = body.get(key)
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if value not in (None, "") else 0
    except (TypeError, ValueError):
        number = -1
    if not 0 < number < 2**63:
        raise ValidationError(
            _("%(field)s must be the number of an existing record.") % {"field": key}
        )
    return number


def _body_staff(user: Any, body: dict[str, Any], key: str) -> Staff:
    if not body.get(key):
        raise ValidationError(_("Choose who handles the ticket."))
    return get_visible_or_404(Staff, user, pk=_body_id(body, key))


def _decode(body: dict[str, Any], key: str) -> bytes:
    value = body.get(key) or ""
    if isinstance(value, bytes):  # an uploaded file from the page
        return value
    try:
        return base64.b64decode(value, validate=True) if value else b""
    except (binascii.Error, ValueError):
        raise ValidationError(
            _("%(field)s must be a file encoded in base64.") % {"field": key}
        ) from None


def _when(body: dict[str, Any], key: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(body[key]))
    except (KeyError, ValueError):
        raise ValidationError(f"{key} must be an ISO date and time") from None
    if value.tzinfo is None:
        raise ValidationError(f"{key} needs a time zone, e.g. +08:00")
    return value


def run_step(
    user: Any, ticket: Ticket, action: str, body: dict[str, Any], *, seen: int | None = None
) -> None:
    """Take one workflow step with the fields of a JSON body or a submitted form. `seen`:
    the ticket's version the edit was made from (the analysis refuses a field changed
    since)."""
    text = str(body.get("note") or body.get("comment") or body.get("text") or "")
    if action == "assign":
        actions.assign(user, ticket, assignee=_body_staff(user, body, "assignee"))
    elif action == "investigate":
        reason = None
        if body.get("reason"):
            reason = ReasonCode.objects.filter(code=str(body["reason"])[:50]).first()
            if reason is None:
                raise ValidationError(
                    _("Unknown reason code %(code)s.") % {"code": str(body["reason"])[:50]}
                )
        fields = {k: body[k] for k in actions.ANALYSIS_FIELDS if k in body}
        actions.investigate(user, ticket, reason=reason, seen=seen, **fields)
    elif action == "propose":
        actions.propose(user, ticket, remedies=body.get("remedies") or [], note=text)
    elif action == "approve":
        actions.approve(user, ticket, comment=text)
    elif action == "reject":
        actions.reject(user, ticket, comment=text)
    elif action == "agree":
        actions.agree(
            user,
            ticket,
            method=str(body.get("method", "")),
            reference=str(body.get("reference", "")),
            signature=_decode(body, "signature"),
        )
    elif action == "complete_order":
        actions.complete_order(user, ticket, order_id=_body_id(body, "order_id"), note=text)
    elif action == "follow_up":
        satisfied = body.get("satisfied")
        if isinstance(satisfied, str):
            satisfied = {"true": True, "yes": True, "false": False, "no": False}.get(satisfied)
        if not isinstance(satisfied, bool):
            raise ValidationError(_("Say whether the customer is satisfied."))
        actions.follow_up(user, ticket, satisfied=satisfied, note=text)
    elif action == "close":
        actions.close(user, ticket, note=text)
    elif action == "reopen":
        actions.reopen(user, ticket, note=text)
    elif action == "pause":
        actions.pause(user, ticket, note=text)
    elif action == "resume":
        actions.resume(user, ticket)
    elif action in ("note", "contact"):
        if body.get("reply"):  # a canned reply, filled in from the ticket
            from .models import CannedReply
            from .replies import render

            reply = CannedReply.objects.filter(pk=_body_id(body, "reply"), active=True).first()
            if reply is None:
                raise ValidationError(_("Unknown canned reply."))
            text = (text + "\n" if text else "") + render(reply, ticket)
        actions.add_activity(
            user,
            ticket,
            kind=str(body.get("kind") or ("note" if action == "note" else "call")),
            text=text,
            outcome=str(body.get("outcome") or ""),
        )
    elif action == "attach":
        actions.add_activity(
            user,
            ticket,
            kind="attachment",
            text=text,
            file_name=str(body.get("file_name", "")),
            content_type=str(body.get("content_type", "")),
            content=_decode(body, "content"),
        )
    elif action in ("merge", "link"):
        if body.get("number"):  # from the page: the number the agent sees
            other = get_visible_or_404(Ticket, user, number=str(body["number"]).strip())
        else:
            other = get_visible_or_404(Ticket, user, pk=body.get("into") or body.get("ticket") or 0)
        if action == "merge":
            actions.merge(user, ticket, into=other, note=text)
        else:
            actions.link(user, ticket, other=other)
    elif action == "promise":
        actions.promise(user, ticket, kind=str(body.get("kind", "")), due_at=_when(body, "due_at"))
    else:
        raise UnknownStep(action)
