"""The table of workflow steps: each step's typed fields (one schema per step, so the API's
OpenAPI document shows every field and a misspelt one is refused naming it) and the action
it calls. The JSON API and the pages parse through the same table, so a step taken by an
integration and by an agent's click is the same call with the same checks."""

import base64
import binascii
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from manyi.core.schemas import DecimalIn, Id, IsoDateTime, describe_errors
from manyi.org.models import Staff
from manyi.org.scoping import get_visible_or_404

from . import actions
from .models import Activity, Agreement, Promise, ReasonCode, Remedy, Ticket


class TicketStep(Schema):
    """A workflow step's fields: a misspelt or unknown one is refused, naming it."""

    model_config = ConfigDict(extra="forbid")


Text = Annotated[str, Field(max_length=5000)]


def one_of(choices: Any) -> Any:
    """A model's choices as a literal type: their values inline in the OpenAPI document
    (an enum would be a component named by its class, and Remedy.Kind and Promise.Kind
    would clash)."""
    return Literal[tuple(choices.values)]


Outcome = one_of(Activity.Outcome)
Fault = one_of(Ticket.Fault)
Relationship = one_of(Ticket.Relationship)
RemedyKind = one_of(Remedy.Kind)
AgreementMethod = one_of(Agreement.Method)
PromiseKind = one_of(Promise.Kind)


class AssignStep(TicketStep):
    assignee: Id = Field(..., description="the staff member (id) who handles the ticket")


class ContactStep(TicketStep):
    kind: Literal["call", "visit"] = "call"
    direction: Literal["outbound", "inbound"] = Field(
        "outbound", description="inbound: the customer contacted us about this ticket"
    )
    outcome: Outcome = Field(..., description="how the attempt went")
    note: Text = ""
    reply: Id | None = Field(None, description="a canned reply (id), filled in and appended")


class NoteStep(TicketStep):
    note: Text = ""
    reply: Id | None = Field(None, description="a canned reply (id), filled in and appended")


class InvestigateStep(TicketStep):
    """Step 3: only the fields sent change (send If-Match to refuse a change made since)."""

    reason: str | None = Field(None, max_length=50, description="reason code")
    cause: Text | None = None
    repeat_cause: Text | None = None
    severity: int | None = Field(None, ge=1, le=4)
    company_fault: Fault | None = None
    customer_demand: Text | None = None
    relationship: Relationship | Literal[""] | None = None
    word_of_mouth_risk: int | None = Field(None, ge=1, le=4)


class RemedyStep(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: RemedyKind
    amount: DecimalIn = Decimal("0")
    description: str = Field("", max_length=300)
    department: Id | None = Field(None, description="the department (id) that executes it")


class ProposeStep(TicketStep):
    remedies: list[RemedyStep] = Field(..., min_length=1, max_length=20)
    note: Text = ""


class DeclineStep(TicketStep):
    """Say no to the demand: the company's position and the reasons told to the customer."""

    position: Text = Field(..., min_length=1, description="what the company can and cannot do")
    reasons: Text = Field(..., min_length=1, description="the reasons explained to the customer")


class ApproveStep(TicketStep):
    comment: Text = ""


class RejectStep(TicketStep):
    comment: Text = Field(..., min_length=1, description="why, for the agent and the record")


class AgreeStep(TicketStep):
    method: AgreementMethod
    reference: str = Field("", max_length=200, description="SMS code, call id ...")
    signature: str = Field("", description="a signature image, base64")


class CompleteOrderStep(TicketStep):
    order_id: Id
    note: Text = ""


class FollowUpStep(TicketStep):
    satisfied: bool
    note: Text = ""


class CloseStep(TicketStep):
    note: Text = ""


class CloseUnreachableStep(TicketStep):
    note: Text = ""


class ReopenStep(TicketStep):
    note: Text = Field(..., min_length=1, description="why the ticket is reopened")


class PauseStep(TicketStep):
    note: Text = ""


class ResumeStep(TicketStep):
    pass


class PromiseStep(TicketStep):
    kind: PromiseKind
    due_at: IsoDateTime


class AttachStep(TicketStep):
    file_name: str = Field(..., min_length=1, max_length=255)
    content_type: str = Field(..., max_length=100)
    content: str = Field(..., description="the file, base64")
    note: Text = ""


class MergeStep(TicketStep):
    into: Id | None = Field(None, description="the ticket (id) kept")
    number: str | None = Field(None, max_length=40, description="or its number, TS-...")
    note: Text = ""


class LinkStep(TicketStep):
    ticket: Id | None = Field(None, description="the related ticket (id)")
    number: str | None = Field(None, max_length=40, description="or its number, TS-...")


SCHEMAS: dict[str, type[TicketStep]] = {
    "assign": AssignStep,
    "contact": ContactStep,
    "note": NoteStep,
    "investigate": InvestigateStep,
    "propose": ProposeStep,
    "decline": DeclineStep,
    "approve": ApproveStep,
    "reject": RejectStep,
    "agree": AgreeStep,
    "complete_order": CompleteOrderStep,
    "follow_up": FollowUpStep,
    "close": CloseStep,
    "close_unreachable": CloseUnreachableStep,
    "reopen": ReopenStep,
    "pause": PauseStep,
    "resume": ResumeStep,
    "promise": PromiseStep,
    "attach": AttachStep,
    "merge": MergeStep,
    "link": LinkStep,
}
STEPS = tuple(SCHEMAS)


class UnknownStep(LookupError):
    pass


class StepRefused(ValidationError):
    """A step's fields do not match its schema (from a page: the API answers 422 itself)."""


def parse(
    action: str,
    body: dict[str, Any],
    *,
    name_field: Callable[[tuple[Any, ...]], str] | None = None,
) -> TicketStep:
    """A step's fields, checked by its schema, as the API checks them. A refusal names
    each field by its code (what the API's caller sent), or by `name_field(location)`:
    the words the page's form shows for it."""
    if action not in SCHEMAS:
        raise UnknownStep(action)
    try:
        return SCHEMAS[action].model_validate(body)
    except PydanticValidationError as exc:
        errors = exc.errors()
        if name_field is not None:
            errors = [{**e, "loc": (name_field(tuple(e.get("loc", ()))),)} for e in errors]
        raise StepRefused(describe_errors(errors)) from None


def _decode(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True) if value else b""
    except (binascii.Error, ValueError):
        raise ValidationError(
            _("%(field)s must be a file encoded in base64.") % {"field": field}
        ) from None


def _other_ticket(user: Any, ticket_id: int | None, number: str | None) -> Ticket:
    if number:  # from the page: the number the agent sees
        return get_visible_or_404(Ticket, user, number=number.strip())
    if ticket_id is None:
        raise ValidationError(_("Give the other ticket's number."))
    return get_visible_or_404(Ticket, user, pk=ticket_id)


def _with_reply(ticket: Ticket, text: str, reply_id: int | None) -> str:
    if reply_id is None:
        return text
    from .models import CannedReply
    from .replies import render

    reply = CannedReply.objects.filter(pk=reply_id, active=True).first()
    if reply is None:
        raise ValidationError(_("Unknown canned reply."))
    return (text + "\n" if text else "") + render(reply, ticket)


def take(
    user: Any,
    ticket: Ticket,
    action: str,
    data: TicketStep,
    *,
    seen: int | None = None,
    upload: bytes | None = None,
) -> None:
    """Take one workflow step with its checked fields. `seen`: the ticket's version the
    edit was made from (the analysis refuses a field changed since); `upload`: a file
    attached on the page (the API sends it as base64)."""
    d: Any = data
    if action == "assign":
        actions.assign(user, ticket, assignee=get_visible_or_404(Staff, user, pk=d.assignee))
    elif action == "investigate":
        fields = d.model_dump(exclude_unset=True, exclude={"reason"}, mode="json")
        reason = None
        if d.reason:
            reason = ReasonCode.objects.filter(code=d.reason).first()
            if reason is None:
                raise ValidationError(_("Unknown reason code %(code)s.") % {"code": d.reason})
        actions.investigate(user, ticket, reason=reason, seen=seen, **fields)
    elif action == "propose":
        remedies = [r.model_dump(mode="json") for r in d.remedies]
        actions.propose(user, ticket, remedies=remedies, note=d.note)
    elif action == "decline":
        actions.decline(user, ticket, position=d.position, reasons=d.reasons)
    elif action == "approve":
        actions.approve(user, ticket, comment=d.comment)
    elif action == "reject":
        actions.reject(user, ticket, comment=d.comment)
    elif action == "agree":
        signature = _decode(d.signature, "signature")
        actions.agree(user, ticket, method=d.method, reference=d.reference, signature=signature)
    elif action == "complete_order":
        actions.complete_order(user, ticket, order_id=d.order_id, note=d.note)
    elif action == "follow_up":
        actions.follow_up(user, ticket, satisfied=d.satisfied, note=d.note)
    elif action == "close":
        actions.close(user, ticket, note=d.note)
    elif action == "close_unreachable":
        actions.close_unreachable(user, ticket, note=d.note)
    elif action == "reopen":
        actions.reopen(user, ticket, note=d.note)
    elif action == "pause":
        actions.pause(user, ticket, note=d.note)
    elif action == "resume":
        actions.resume(user, ticket)
    elif action == "contact":
        text = _with_reply(ticket, d.note, d.reply)
        actions.add_activity(
            user, ticket, kind=d.kind, text=text, outcome=d.outcome, direction=d.direction
        )
    elif action == "note":
        actions.add_activity(user, ticket, kind="note", text=_with_reply(ticket, d.note, d.reply))
    elif action == "attach":
        actions.add_activity(
            user,
            ticket,
            kind="attachment",
            text=d.note,
            file_name=d.file_name,
            content_type=d.content_type,
            content=upload if upload is not None else _decode(d.content, "content"),
        )
    elif action == "merge":
        actions.merge(user, ticket, into=_other_ticket(user, d.into, d.number), note=d.note)
    elif action == "link":
        actions.link(user, ticket, other=_other_ticket(user, d.ticket, d.number))
    elif action == "promise":
        actions.promise(user, ticket, kind=d.kind, due_at=d.due_at)
    else:
        raise UnknownStep(action)


def run_step(
    user: Any, ticket: Ticket, action: str, body: dict[str, Any], *, seen: int | None = None
) -> None:
    """Take one workflow step with the fields of a JSON body or a submitted form."""
    take(user, ticket, action, parse(action, body), seen=seen)
