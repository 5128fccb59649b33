"""Every change to a ticket goes through these functions: permission and scope, the state
machine, a transaction, an audit entry, a line on the customer's timeline and a domain event.

The procedure is seed 003's: register -> assign -> investigate -> propose -> (approve |
reject) -> the customer agrees -> execution orders -> follow-up -> close, with reopen when
the customer is not satisfied. `TRANSITIONS` is the whole state machine on one screen.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.businesstime.services import calendar_for_branch
from manyi.core import clock
from manyi.core.events import emit
from manyi.core.versioning import apply_changes, mark_changed
from manyi.customers.models import Customer
from manyi.customers.timeline import append as timeline_append
from manyi.org import audit
from manyi.org.actions import SYSTEM
from manyi.org.actors import ASSIGNMENT_RULES, SLA_WATCH
from manyi.org.models import Branch, Department, Staff
from manyi.org.permissions import has_permission, require_permission
from manyi.org.scoping import (
    can_see_branch,
    get_visible_or_404,
    require_branch,
    staff_of,
    visible_branch_ids,
)

from . import policy
from .auditing import AuditAction
from .config import active_reason
from .events import TicketClosed, TicketCreated, TicketEscalated, TicketTransitioned
from .models import (
    Activity,
    Agreement,
    Approval,
    ApprovalRule,
    AssignmentRule,
    ClosingOutcome,
    ExecutionOrder,
    FollowUp,
    NumberSeries,
    Promise,
    Proposal,
    ReasonCode,
    Remedy,
    SavedView,
    Settings,
    SLAPolicy,
    Status,
    Ticket,
    TicketType,
)

S = Status
OPEN = frozenset(set(S) - {S.CLOSED})
# action -> the states it may start from. The target state is decided by the action.
TRANSITIONS: dict[str, frozenset[str]] = {
    "assign": OPEN,
    "investigate": frozenset({S.ASSIGNED, S.INVESTIGATING, S.REJECTED}),
    "propose": frozenset({S.INVESTIGATING, S.REJECTED}),
    "decline": frozenset({S.INVESTIGATING, S.REJECTED}),
    "approve": frozenset({S.AWAITING_APPROVAL}),
    "reject": frozenset({S.AWAITING_APPROVAL}),
    "agree": frozenset({S.PROPOSED, S.APPROVED}),
    "complete_order": frozenset({S.EXECUTING}),
    "follow_up": frozenset({S.FOLLOW_UP}),
    "close": frozenset({S.FOLLOW_UP}),
    "reopen": frozenset({S.FOLLOW_UP, S.CLOSED}),
    "close_unreachable": OPEN - {S.AWAITING_APPROVAL},
    "pause": OPEN,
    "resume": OPEN,
}
# Enquiries, suggestions and praise are often settled at first contact.
QUICK_CLOSE = frozenset({S.REGISTERED, S.ASSIGNED, S.INVESTIGATING, S.FOLLOW_UP})
ATTACHMENT_TYPES = {
    "image/jpeg",
    "image/png",
    "application/pdf",
    "audio/mpeg",
    "audio/wav",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class TransitionRefused(ValidationError):
    """The ticket's state does not allow this step; the message says why (HTTP 409)."""


# -- helpers --------------------------------------------------------------------------------
def _staff(actor: Any) -> Staff | None:
    return None if actor == SYSTEM else staff_of(actor)


def _role(actor: Any) -> str:
    staff = _staff(actor)
    return staff.role if staff is not None else ""


def _check(actor: Any, permission: str, branch_id: int | None) -> None:
    if actor == SYSTEM:
        return
    require_permission(actor, permission)
    require_branch(actor, branch_id)


def _locked(actor: Any, ticket: Ticket | int) -> Ticket:
    """The ticket, re-read under a row lock inside the caller's transaction; 404 outside
    the person's branches."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    queryset = Ticket.objects.select_for_update()
    if actor != SYSTEM:
        return get_visible_or_404(queryset, actor, pk=pk)
    return queryset.get(pk=pk)


def _require_state(ticket: Ticket, action: str, allowed: Iterable[str] | None = None) -> None:
    states = allowed if allowed is not None else TRANSITIONS[action]
    if ticket.status not in states:
        raise TransitionRefused(
            _("Ticket %(number)s is %(status)s: “%(action)s” is not possible now.")
            % {
                "number": ticket.number,
                "status": ticket.get_status_display(),
                "action": ACTION_LABELS.get(action, action),
            }
        )


ACTION_LABELS = {
    "assign": gettext_lazy("assign"),
    "investigate": gettext_lazy("investigate"),
    "propose": gettext_lazy("propose a resolution"),
    "decline": gettext_lazy("decline the demand with reasons"),
    "approve": gettext_lazy("approve"),
    "reject": gettext_lazy("reject"),
    "agree": gettext_lazy("record the customer's agreement"),
    "complete_order": gettext_lazy("complete an execution order"),
    "follow_up": gettext_lazy("record the follow-up"),
    "follow_up_due": gettext_lazy("hand over for the follow-up"),
    "close": gettext_lazy("close"),
    "close_unreachable": gettext_lazy("close: the customer cannot be reached"),
    "reopen": gettext_lazy("reopen"),
    "pause": gettext_lazy("wait for the customer"),
    "resume": gettext_lazy("resume"),
    "merge": gettext_lazy("merge into another ticket"),
}


def _move(
    actor: Any, ticket: Ticket, action: str, new_status: str, *, note: str = "", **extra: Any
) -> None:
    """Record a step: status, audit entry, timeline line, event (inside the transaction)."""
    old = ticket.status
    ticket.status = new_status
    ticket.save()
    entry = audit.record(
        actor,
        AuditAction(f"tickets.{action}"),
        ticket,
        before={"status": old},
        after={"status": new_status, **{k: str(v) for k, v in extra.items()}},
        note=note[:500],
    )
    timeline_append(
        ticket.customer_id,
        clock.now(),
        "ticket",
        f"{ticket.number} · {ACTION_LABELS.get(action, action)} · {ticket.get_status_display()}",
        detail={"ticket": ticket.pk, "action": action, "status": new_status},
        url=f"/tickets/{ticket.pk}/",
        source=f"ticket:{ticket.pk}:audit:{entry.pk}",
    )
    emit(
        TicketTransitioned(
            ticket_id=ticket.pk,
            branch_id=ticket.branch_id,
            action=action,
            from_status=old,
            to_status=new_status,
        ),
        actor=actor,
    )


def _next_number(day: dt.date) -> str:
    """The day's next number, taken in one statement (an upsert that returns the counter),
    so two agents registering at the same moment never get the same one."""
    table = NumberSeries._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day.isoformat()],
        )
        (last,) = cursor.fetchone()
    return f"TS-{day:%Y%m%d}-{last:04d}"


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(field)s: %(value)s is not an amount of money.") % {"field": field, "value": value}
        ) from None
    if amount < 0:
        raise ValidationError(_("%(field)s must not be negative.") % {"field": field})
    return amount


DECLINED_WINDOW = dt.timedelta(days=365)


def _find_repeat(ticket: Ticket) -> Ticket | None:
    if ticket.reason_id is None:
        return None
    window = dt.timedelta(days=Settings.current().repeat_window_days)
    # A customer who was told no and comes back about the same matter is a repeat even
    # after the usual window: the earlier answer is what the new handling must start from.
    earlier = Ticket.objects.filter(
        Q(created_at__gte=ticket.created_at - window)
        | Q(outcome=ClosingOutcome.DECLINED, created_at__gte=ticket.created_at - DECLINED_WINDOW),
        customer_id=ticket.customer_id,
        reason_id=ticket.reason_id,
        created_at__lt=ticket.created_at,
    )
    if ticket.pk is not None:
        earlier = earlier.exclude(pk=ticket.pk)
    return earlier.only("pk", "number", "created_at").order_by("-created_at").first()


# -- step 1: register -----------------------------------------------------------------------
REGISTRATION_FIELDS = (
    "channel",
    "ticket_type",
    "priority",
    "subject",
    "description",
    "company_name",
    "address",
    "phone",
    "product",
    "specification",
    "production_date",
    "batch_number",
    "used_at",
    "symptoms",
    "previous_brand",
)


def register_once(actor: Any, key: str, **registration: Any) -> tuple[Ticket, bool]:
    """`create_ticket` under a client's `Idempotency-Key`: (ticket, created). The same key
    from the same person returns the ticket made the first time, even when the two
    requests arrive at once (the key is unique in the database)."""
    from django.db import IntegrityError

    from .models import RegistrationKey

    key = key.strip()
    if not 1 <= len(key) <= 100:
        raise ValidationError(_("An Idempotency-Key has 1 to 100 characters."))
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is None:
        return create_ticket(actor, **registration), True
    earlier = RegistrationKey.objects.filter(user=user, key=key).select_related("ticket")
    if (found := earlier.first()) is not None:
        return found.ticket, False
    try:
        with transaction.atomic():
            ticket = create_ticket(actor, **registration)
            RegistrationKey.objects.create(user=user, key=key, ticket=ticket)
    except IntegrityError:  # the same key registered a moment ago by a concurrent retry
        return earlier.get().ticket, False
    return ticket, True


def create_ticket(
    actor: Any,
    *,
    branch: Branch,
    customer: Customer | None = None,
    new_customer: Mapping[str, Any] | None = None,
    reason: ReasonCode | str | None = None,
    created_at: dt.datetime | None = None,
    **fields: Any,
) -> Ticket:
    """Register a contact. The customer is picked, or created on the fly from
    `new_customer` ({"name": ..., "phone": ...})."""
    _check(actor, "tickets.create", branch.pk)
    unknown = set(fields) - set(REGISTRATION_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown ticket fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if not (fields.get("subject") or "").strip():
        raise ValidationError(_("A subject is required."))
    if isinstance(reason, str):
        reason = active_reason(reason) or _unknown_reason(reason)
    with transaction.atomic():
        if customer is None:
            if not new_customer or not (new_customer.get("name") or "").strip():
                raise ValidationError(_("Pick a customer or give the new customer's name."))
            from manyi.customers.actions import create_customer

            phone = (new_customer.get("phone") or "").strip()
            customer = create_customer(
                SYSTEM if actor == SYSTEM else actor,
                branch=branch,
                name=new_customer["name"],
                contacts=[("mobile", phone)] if phone else [],
            )
        elif actor != SYSTEM and not can_see_branch(actor, customer.branch_id):
            raise Http404(_("No such customer."))
        now = created_at or clock.now()
        calendar = calendar_for_branch(branch)
        targets = policy.targets_for(
            fields.get("ticket_type", TicketType.COMPLAINT), fields.get("priority", "normal")
        )
        registrar = _registrar(actor, branch)
        ticket = Ticket(
            number=_next_number(now.astimezone(calendar.tz).date()),
            branch=branch,
            customer=customer,
            reason=reason,
            recorder=_staff(actor),
            assignee=registrar,
            status=S.ASSIGNED if registrar is not None else S.REGISTERED,
            created_at=now,
            **fields,
            **policy.due_times(calendar, now, targets),
        )
        # Field checks only: the number is unique by construction.
        ticket.full_clean(
            exclude=["recorder", "customer", "branch", "reason", "number", "assignee"],
            validate_unique=False,
            validate_constraints=False,
        )
        repeat = _find_repeat(ticket)
        ticket.repeat_of = repeat
        ticket.refresh_search_text()
        ticket.save(force_insert=True)
        audit.record(
            actor,
            AuditAction.CREATE,
            ticket,
            after={
                "number": ticket.number,
                "customer": customer.pk,
                "type": ticket.ticket_type,
                "reason": reason.code if reason else "",
                "repeat_of": repeat.number if repeat else "",
                "assignee": registrar.pk if registrar else "",
            },
        )
        timeline_append(
            customer.pk,
            now,
            "ticket",
            f"{ticket.number} · {ticket.get_ticket_type_display()} · {ticket.subject}",
            detail={"ticket": ticket.pk, "action": "create", "status": ticket.status},
            url=f"/tickets/{ticket.pk}/",
            source=f"ticket:{ticket.pk}:create",
        )
        emit(
            TicketCreated(
                ticket_id=ticket.pk,
                branch_id=branch.pk,
                customer_id=customer.pk,
                repeat_of=repeat.pk if repeat else None,
            ),
            actor=actor,
        )
        _auto_assign(ticket)  # a matching assignment rule overrides the registrar
    return ticket


def _registrar(actor: Any, branch: Branch) -> Staff | None:
    """Whoever registers a contact at their own branch handles it, unless an assignment
    rule gives it to someone (they may pass it on); a company-wide manager registering for
    a branch leaves it to the branch."""
    from manyi.org.roles import Scope

    me = _staff(actor) if actor != SYSTEM else None
    if me is None or me.scope != Scope.BRANCH or not has_permission(actor, "tickets.work"):
        return None
    return me if branch.pk in visible_branch_ids(actor) else None


def _auto_assign(ticket: Ticket) -> None:
    from .assignment import choose, matching_rule

    rule = matching_rule(ticket)
    person = choose(rule, ticket) if rule is not None else None
    if person is not None:
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=person)
        ticket.assignee = person
        _move(ASSIGNMENT_RULES, ticket, "assign", S.ASSIGNED, assignee=person.pk, rule=rule.name)


def _unknown_reason(code: str) -> ReasonCode:
    raise ValidationError(_("Unknown reason code %(code)s.") % {"code": code})


# -- step 2: assign, contact, notes, attachments ----------------------------------------------
def assign(actor: Any, ticket: Ticket, *, assignee: Staff) -> Ticket:
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "assign")
        if not assignee.user.is_active or not can_see_branch(assignee.user, ticket.branch_id):
            raise ValidationError(
                _("%(name)s does not work at this ticket's branch.") % {"name": assignee.name}
            )
        if actor != SYSTEM and _staff(actor) != assignee:
            require_permission(actor, "tickets.assign")
        ticket.assignee = assignee
        new = S.ASSIGNED if ticket.status == S.REGISTERED else ticket.status
        _move(actor, ticket, "assign", new, assignee=assignee.pk)
    return ticket


def add_activity(
    actor: Any,
    ticket: Ticket,
    *,
    kind: str,
    text: str = "",
    outcome: str = "",
    file_name: str = "",
    content_type: str = "",
    content: bytes = b"",
    at: dt.datetime | None = None,
    direction: str = "",
) -> Activity:
    """A note, a phone call or visit (with its outcome) or an attachment. A call or visit
    is ours (outbound) unless `direction` says the customer contacted us (inbound), which
    counts against first-contact resolution."""
    if kind in (Activity.Kind.CALL, Activity.Kind.VISIT):
        direction = direction or Activity.Direction.OUTBOUND
    if direction not in Activity.Direction.values:
        raise ValidationError(_("Unknown direction %(d)s.") % {"d": direction})
    if kind not in Activity.Kind.values:
        raise ValidationError(_("Unknown activity %(kind)s.") % {"kind": kind})
    if outcome and outcome not in Activity.Outcome.values:
        raise ValidationError(_("Unknown outcome %(o)s.") % {"o": outcome})
    if kind == Activity.Kind.ATTACHMENT:
        if not content:
            raise ValidationError(_("The attachment is empty."))
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(_("Attachments may be at most 10 MB."))
        if content_type not in ATTACHMENT_TYPES:
            raise ValidationError(
                _(
                    "Files of type %(type)s cannot be attached "
                    "(images, PDF, audio, text, Word, Excel)."
                )
                % {"type": content_type or "?"}
            )
    elif not text.strip() and not outcome:
        raise ValidationError(_("Write what happened."))
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        if not ticket.is_open:
            raise TransitionRefused(_("Ticket %(number)s is closed.") % {"number": ticket.number})
        when = at or clock.now()
        activity = Activity.objects.create(
            ticket=ticket,
            kind=kind,
            outcome=outcome,
            text=text,
            file_name=file_name[:255],
            content_type=content_type,
            content=content,
            direction=direction,
            author=_staff(actor),
            at=when,
        )
        reached = kind in (Activity.Kind.CALL, Activity.Kind.VISIT) and outcome == "reached"
        changed = []
        if reached and ticket.first_responded_at is None:
            ticket.first_responded_at = when
            changed.append("first_responded_at")
        if text.strip() or file_name:
            ticket.add_search_words(text, file_name)
            changed.append("search_text")
        if changed:
            ticket.save(update_fields=changed)
        if reached:
            keep_promises(ticket, Promise.Kind.REPLY_BY, when)
        audit.record(
            actor,
            AuditAction.ACTIVITY,
            ticket,
            after={"kind": kind, "outcome": outcome, "direction": direction, "file": file_name},
        )
    return activity


# -- step 3: investigate and analyse --------------------------------------------------------
ANALYSIS_FIELDS = (
    "cause",
    "repeat_cause",
    "severity",
    "company_fault",
    "customer_demand",
    "relationship",
    "word_of_mouth_risk",
)


def investigate(
    actor: Any,
    ticket: Ticket,
    *,
    reason: ReasonCode | None = None,
    seen: int | None = None,
    **analysis: Any,
) -> Ticket:
    """Record the analysis: only the fields given change, and one someone else changed
    after version `seen` (the page the agent worked from) is refused, not overwritten."""
    unknown = set(analysis) - set(ANALYSIS_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown analysis fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "investigate")
        changes = {**analysis, **({"reason": reason} if reason is not None else {})}
        if "reason" in apply_changes(ticket, changes, seen=seen):
            ticket.repeat_of = _find_repeat(ticket)
        if not 1 <= int(ticket.severity) <= 4 or not 1 <= int(ticket.word_of_mouth_risk) <= 4:
            raise ValidationError(_("Severity and word-of-mouth risk run from 1 to 4."))
        ticket.full_clean(
            exclude=["recorder", "customer", "branch", "reason", "number", "assignee"]
        )
        ticket.refresh_search_text()
        _move(actor, ticket, "investigate", S.INVESTIGATING, **analysis)
    return ticket


# -- step 4: propose, approve, reject --------------------------------------------------------
def propose(
    actor: Any,
    ticket: Ticket,
    *,
    remedies: Iterable[Mapping[str, Any]],
    note: str = "",
) -> Proposal:
    items = list(remedies)
    if not items:
        raise ValidationError(_("A proposal needs at least one remedy."))
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "propose")
        parsed = []
        for number, item in enumerate(items, start=1):
            kind = item.get("kind", "")
            if kind not in Remedy.Kind.values:
                raise ValidationError(
                    _("Remedy %(n)d: unknown kind %(kind)s.") % {"n": number, "kind": kind}
                )
            department = item.get("department")
            if department is not None and not isinstance(department, Department):
                department = Department.objects.filter(pk=department).first()
                if department is None:
                    raise ValidationError(_("Remedy %(n)d: unknown department.") % {"n": number})
            parsed.append(
                (
                    kind,
                    _money(item.get("amount", 0), _("Remedy %(n)d") % {"n": number}),
                    str(item.get("description", ""))[:300],
                    department,
                )
            )
        total = sum((amount for _k, amount, _d, _dep in parsed), Decimal("0"))
        required = (
            []
            if actor == SYSTEM
            else policy.required_approvals(_role(actor), total, int(ticket.severity))
        )
        proposal = Proposal.objects.create(
            ticket=ticket,
            proposed_at=clock.now(),
            total=total,
            required_roles=required,
            note=note,
            proposed_by=_staff(actor),
            state=Proposal.State.PENDING if required else Proposal.State.APPROVED,
        )
        Remedy.objects.bulk_create(
            [
                Remedy(
                    proposal=proposal,
                    kind=kind,
                    amount=amount,
                    description=description,
                    department=department,
                )
                for kind, amount, description, department in parsed
            ]
        )
        new = S.AWAITING_APPROVAL if required else S.PROPOSED
        _move(actor, ticket, "propose", new, total=total, approvals=",".join(required), note=note)
    return proposal


def _pending(ticket: Ticket) -> Proposal:
    proposal = ticket.proposals.filter(state=Proposal.State.PENDING).order_by("-pk").first()
    if proposal is None:
        raise TransitionRefused(_("There is no proposal awaiting approval."))
    return proposal


def _next_step(proposal: Proposal) -> str | None:
    from .approvals import next_role

    done = proposal.approvals.filter(approved=True).order_by("pk").values_list("role", flat=True)
    return next_role(proposal.required_roles, done)


def approve(actor: Any, ticket: Ticket, *, comment: str = "") -> Proposal:
    """Approve the pending proposal at the next level it needs; the proposer may not."""
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.approve", ticket.branch_id)
        _require_state(ticket, "approve")
        proposal = _pending(ticket)
        step = _next_step(proposal)
        staff = _staff(actor)
        if step is None:
            raise TransitionRefused(_("This proposal needs no further approval."))
        if actor != SYSTEM:
            if staff is None or not policy.may_approve(staff.role, step):
                raise PermissionDenied(
                    _("This proposal needs the approval of a %(role)s or higher.")
                    % {"role": role_label(step)}
                )
            if proposal.proposed_by_id == staff.pk:
                raise PermissionDenied(_("You cannot approve your own proposal."))
            if proposal.approvals.filter(approver=staff, approved=True).exists():
                raise PermissionDenied(_("You have already approved this proposal."))
        Approval.objects.create(
            proposal=proposal,
            role=step,
            approver=staff,
            approved=True,
            comment=comment,
            at=clock.now(),
        )
        if _next_step(proposal) is None:
            proposal.state = Proposal.State.APPROVED
            proposal.save(update_fields=["state"])
            _move(actor, ticket, "approve", S.APPROVED, level=step, comment=comment)
            if proposal.kind == Proposal.Kind.DECLINE:  # the decision to say no is taken
                _finish(actor, ticket, ClosingOutcome.DECLINED, note=proposal.reasons)
        else:
            _move(actor, ticket, "approve", S.AWAITING_APPROVAL, level=step, comment=comment)
    return proposal


def reject(actor: Any, ticket: Ticket, *, comment: str) -> Proposal:
    """Send the proposal back to the agent with the reason; a new proposal can follow."""
    if not comment.strip():
        raise ValidationError(_("Say why the proposal is rejected."))
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.approve", ticket.branch_id)
        _require_state(ticket, "reject")
        proposal = _pending(ticket)
        step = _next_step(proposal) or ""
        staff = _staff(actor)
        if actor != SYSTEM and (staff is None or not policy.may_approve(staff.role, step)):
            raise PermissionDenied(
                _("This proposal needs the decision of a %(role)s or higher.")
                % {"role": role_label(step)}
            )
        Approval.objects.create(
            proposal=proposal,
            role=step,
            approver=staff,
            approved=False,
            comment=comment,
            at=clock.now(),
        )
        proposal.state = Proposal.State.REJECTED
        proposal.save(update_fields=["state"])
        _move(actor, ticket, "reject", S.REJECTED, comment=comment)
    return proposal


def role_label(role: str) -> str:
    """A role code as people read it (主管), the code itself when it is unknown."""
    from manyi.org.roles import Role

    try:
        return str(Role(role).label)
    except ValueError:
        return role


# -- step 5: the customer's agreement; step 6: execution orders -----------------------------
def agree(
    actor: Any,
    ticket: Ticket,
    *,
    method: str,
    reference: str = "",
    signature: bytes = b"",
    confirmed_at: dt.datetime | None = None,
) -> Agreement:
    if method not in Agreement.Method.values:
        raise ValidationError(_("Unknown confirmation method %(m)s.") % {"m": method})
    if method == Agreement.Method.SIGNATURE and not signature:
        raise ValidationError(_("A signature image is needed for this method."))
    if method in (Agreement.Method.SMS_CODE, Agreement.Method.RECORDED_CALL) and not reference:
        raise ValidationError(_("Give the SMS code or the call recording reference."))
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "agree")
        proposal = (
            ticket.proposals.filter(state=Proposal.State.APPROVED, kind=Proposal.Kind.REMEDY)
            .order_by("-pk")
            .first()
        )
        if proposal is None:
            raise TransitionRefused(_("There is no approved proposal to agree to."))
        agreement = Agreement.objects.create(
            ticket=ticket,
            proposal=proposal,
            method=method,
            reference=reference,
            signature=signature,
            confirmed_at=confirmed_at or clock.now(),
            recorded_by=_staff(actor),
        )
        calendar = calendar_for_branch(ticket.branch)
        now = clock.now()
        orders = [
            ExecutionOrder(
                ticket=ticket,
                remedy=remedy,
                department=remedy.department,
                due_at=calendar.add(now, dt.timedelta(hours=9 * 2)),
            )
            for remedy in proposal.remedies.exclude(department=None)
        ]
        ExecutionOrder.objects.bulk_create(orders)
        _move(actor, ticket, "agree", S.AGREED, method=method, reference=reference)
        if orders:
            _move(actor, ticket, "agree", S.EXECUTING, orders=len(orders))
        else:
            _start_follow_up(actor, ticket, calendar, now)
    return agreement


def _start_follow_up(actor: Any, ticket: Ticket, calendar: Any, now: dt.datetime) -> None:
    minutes = Settings.current().follow_up_after_minutes
    FollowUp.objects.create(ticket=ticket, due_at=calendar.add(now, dt.timedelta(minutes=minutes)))
    _move(actor, ticket, "follow_up_due", S.FOLLOW_UP)


def complete_order(actor: Any, ticket: Ticket, *, order_id: int, note: str = "") -> ExecutionOrder:
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "complete_order")
        order = ticket.orders.filter(pk=order_id).first()
        if order is None:
            raise ValidationError(
                _("Ticket %(number)s has no such order.") % {"number": ticket.number}
            )
        if order.state != ExecutionOrder.State.OPEN:
            raise TransitionRefused(
                _("This order is already %(state)s.") % {"state": order.get_state_display()}
            )
        order.state = ExecutionOrder.State.DONE
        order.completed_at = clock.now()
        order.note = note
        order.owner = order.owner or _staff(actor)
        order.save()
        audit.record(actor, AuditAction.ORDER_COMPLETE, ticket, after={"order": order.pk})
        if not ticket.orders.filter(state=ExecutionOrder.State.OPEN).exists():
            _start_follow_up(actor, ticket, calendar_for_branch(ticket.branch), clock.now())
    return order


# -- step 7: follow up, close, reopen -------------------------------------------------------
def follow_up(actor: Any, ticket: Ticket, *, satisfied: bool, note: str = "") -> Ticket:
    """The customer's verdict. Not satisfied reopens the ticket for another round."""
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "follow_up")
        task = ticket.follow_ups.filter(done_at=None).order_by("due_at").first() or FollowUp(
            ticket=ticket, due_at=clock.now()
        )
        task.satisfied = bool(satisfied)
        task.note = note
        task.done_at = clock.now()
        task.done_by = _staff(actor)
        task.save()
        if satisfied:
            ticket.resolved_at = ticket.resolved_at or clock.now()
            keep_promises(ticket, Promise.Kind.FIXED_BY, ticket.resolved_at)
            _move(actor, ticket, "follow_up", S.FOLLOW_UP, satisfied=True, note=note)
        else:
            ticket.resolved_at = None
            ticket.reopened_count += 1
            _move(actor, ticket, "reopen", S.INVESTIGATING, satisfied=False, note=note)
    return ticket


def close(actor: Any, ticket: Ticket, *, note: str = "") -> Ticket:
    """Close a complaint the customer is satisfied with, or an enquiry settled at once."""
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        if ticket.ticket_type == TicketType.COMPLAINT:
            _require_state(ticket, "close")
            verdict = ticket.follow_ups.exclude(done_at=None).order_by("-done_at").first()
            if verdict is None or not verdict.satisfied:
                raise TransitionRefused(
                    _(
                        "A complaint closes as resolved only after the customer said they are "
                        "satisfied; otherwise decline it with reasons or close it as unreachable."
                    )
                )
        else:
            _require_state(ticket, "close", QUICK_CLOSE)
        _finish(actor, ticket, ClosingOutcome.RESOLVED, note=note)
    return ticket


def _finish(actor: Any, ticket: Ticket, outcome: str, *, note: str = "") -> None:
    """Close the locked ticket with its outcome (inside the caller's transaction)."""
    if ticket.orders.filter(state=ExecutionOrder.State.OPEN).exists():
        raise TransitionRefused(
            _("Ticket %(number)s still has open execution orders.") % {"number": ticket.number}
        )
    now = clock.now()
    ticket.closed_at = now
    ticket.resolved_at = ticket.resolved_at or now
    ticket.paused_at = None
    ticket.outcome = outcome
    _move(actor, ticket, "close", S.CLOSED, note=note, outcome=outcome)
    emit(
        TicketClosed(
            ticket_id=ticket.pk,
            branch_id=ticket.branch_id,
            customer_id=ticket.customer_id,
            ticket_type=ticket.ticket_type,
            reason=ticket.reason.code if ticket.reason_id else "",
            # who served the customer: the owner, else whoever closed it at the counter
            assignee_id=ticket.assignee_id or getattr(_staff(actor), "pk", None),
            outcome=outcome,
        ),
        actor=actor,
    )


def decline(actor: Any, ticket: Ticket, *, position: str, reasons: str) -> Proposal:
    """Say no to an unfounded demand, with the company's position and the reasons told to
    the customer (seed 003: 大方明確地說 NO; seed 001: 一定要说明理由). The decision needs the
    level the settings name (a supervisor by default); whoever has it closes at once."""
    if not position.strip() or not reasons.strip():
        raise ValidationError(
            _("Record the company's position and the reasons explained to the customer.")
        )
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "decline")
        needed = Settings.current().decline_role
        decides = actor == SYSTEM or policy.may_approve(_role(actor), needed)
        proposal = Proposal.objects.create(
            ticket=ticket,
            kind=Proposal.Kind.DECLINE,
            proposed_at=clock.now(),
            required_roles=[] if decides else [needed],
            position=position,
            reasons=reasons,
            proposed_by=_staff(actor),
            state=Proposal.State.APPROVED if decides else Proposal.State.PENDING,
        )
        if decides:
            _finish(actor, ticket, ClosingOutcome.DECLINED, note=reasons)
        else:
            _move(actor, ticket, "decline", S.AWAITING_APPROVAL, approvals=needed, note=reasons)
    return proposal


FAILED_ATTEMPTS = frozenset(
    {Activity.Outcome.NO_ANSWER, Activity.Outcome.BUSY, Activity.Outcome.WRONG_NUMBER}
)


def failed_attempts(ticket: Ticket) -> list[Activity]:
    """Our calls and visits that did not reach the customer since they were last reached
    (an answered call, a call-back request or their own contact starts the count again)."""
    failed: list[Activity] = []
    contacts = ticket.activities.filter(kind__in=[Activity.Kind.CALL, Activity.Kind.VISIT])
    for contact in contacts.only("at", "outcome", "direction").order_by("at", "pk"):
        if contact.outcome in FAILED_ATTEMPTS and contact.direction != Activity.Direction.INBOUND:
            failed.append(contact)
        else:
            failed = []
    return failed


def unreachable_progress(ticket: Ticket) -> tuple[int, int]:
    """(failed attempts, distinct business days they fall on) since last reached."""
    calendar = calendar_for_branch(ticket.branch)
    attempts = failed_attempts(ticket)
    days = {a.at.astimezone(calendar.tz).date() for a in attempts}
    return len(attempts), sum(1 for day in days if calendar.intervals_on(day))


def close_unreachable(actor: Any, ticket: Ticket, *, note: str = "") -> Ticket:
    """Close when the customer could not be reached after the configured attempts over the
    configured business days; the attempts are the recorded contacts."""
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "close_unreachable")
        settings = Settings.current()
        attempts, days = unreachable_progress(ticket)
        if attempts < settings.unreachable_attempts or days < settings.unreachable_business_days:
            raise TransitionRefused(
                _(
                    "Closing as unreachable needs at least %(attempts)d failed contact "
                    "attempts over at least %(days)d business days; so far %(made)d over "
                    "%(over)d."
                )
                % {
                    "attempts": settings.unreachable_attempts,
                    "days": settings.unreachable_business_days,
                    "made": attempts,
                    "over": days,
                }
            )
        _finish(actor, ticket, ClosingOutcome.UNREACHABLE, note=note)
    return ticket


def reopen(actor: Any, ticket: Ticket, *, note: str) -> Ticket:
    if not note.strip():
        raise ValidationError(_("Say why the ticket is reopened."))
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "reopen")
        if ticket.merged_into_id is not None:
            raise TransitionRefused(
                _("Ticket %(number)s was merged into another; work on that one.")
                % {"number": ticket.number}
            )
        ticket.reopened_count += 1
        ticket.closed_at = None
        ticket.resolved_at = None
        ticket.outcome = ""
        _move(actor, ticket, "reopen", S.INVESTIGATING, note=note)
    return ticket


# -- SLA clocks: waiting for the customer, promises -----------------------------------------
def pause(actor: Any, ticket: Ticket, *, note: str = "") -> Ticket:
    """Stop the SLA clocks while we wait for the customer (documents, an appointment)."""
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "pause")
        if ticket.paused_at is not None:
            raise TransitionRefused(_("The clock is already stopped."))
        ticket.paused_at = clock.now()
        _move(actor, ticket, "pause", ticket.status, note=note)
    return ticket


def resume(actor: Any, ticket: Ticket, *, at: dt.datetime | None = None) -> Ticket:
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        _require_state(ticket, "resume")
        if ticket.paused_at is None:
            raise TransitionRefused(_("The clock is running."))
        now = at or clock.now()
        calendar = calendar_for_branch(ticket.branch)
        for field in ("first_response_due", "reply_due", "resolution_due"):
            if field == "first_response_due" and ticket.first_responded_at:
                continue
            setattr(
                ticket,
                field,
                policy.shift_after_pause(calendar, getattr(ticket, field), ticket.paused_at, now),
            )
        ticket.paused_at = None
        _move(actor, ticket, "resume", ticket.status)
    return ticket


def promise(actor: Any, ticket: Ticket, *, kind: str, due_at: dt.datetime) -> Promise:
    if kind not in Promise.Kind.values:
        raise ValidationError(_("Unknown promise %(kind)s.") % {"kind": kind})
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        _check(actor, "tickets.work", ticket.branch_id)
        if not ticket.is_open:
            raise TransitionRefused(_("Ticket %(number)s is closed.") % {"number": ticket.number})
        made = Promise.objects.create(
            ticket=ticket, kind=kind, due_at=due_at, told_by=_staff(actor), told_at=clock.now()
        )
        audit.record(
            actor, AuditAction.PROMISE, ticket, after={"kind": kind, "due_at": due_at.isoformat()}
        )
    return made


def keep_promises(ticket: Ticket, kind: str, at: dt.datetime) -> None:
    Promise.objects.filter(ticket=ticket, kind=kind, kept_at=None).update(kept_at=at)


# -- duplicates and related tickets -----------------------------------------------------------
def link(actor: Any, ticket: Ticket, *, other: Ticket) -> Ticket:
    """Mark two tickets as related (the same incident reported by different customers...)."""
    if other.pk == ticket.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."))
    with transaction.atomic():
        ticket = _locked(actor, ticket)
        other = _locked(actor, other)
        _check(actor, "tickets.work", ticket.branch_id)
        _check(actor, "tickets.work", other.branch_id)
        ticket.related.add(other)
        audit.record(actor, AuditAction.LINK, ticket, after={"related": other.number})
    return ticket


def merge(actor: Any, duplicate: Ticket, *, into: Ticket, note: str = "") -> Ticket:
    """Fold a duplicate ticket of the same customer into the one that is kept: its notes,
    contacts and promises move over, and the duplicate is closed with a pointer."""
    if duplicate.pk == into.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        duplicate = _locked(actor, duplicate)
        into = _locked(actor, into)
        _check(actor, "tickets.work", duplicate.branch_id)
        _check(actor, "tickets.work", into.branch_id)
        if duplicate.customer_id != into.customer_id:
            raise ValidationError(_("Only tickets of the same customer can be merged."))
        for ticket in (duplicate, into):
            if not ticket.is_open:
                raise TransitionRefused(
                    _("Ticket %(number)s is closed.") % {"number": ticket.number}
                )
        if duplicate.proposals.exists() or duplicate.orders.exists():
            raise TransitionRefused(
                _("Ticket %(number)s already has a proposal; merge the other one into it.")
                % {"number": duplicate.number}
            )
        moved = Activity.objects.filter(ticket=duplicate).update(ticket=into)
        Promise.objects.filter(ticket=duplicate).update(ticket=into)
        duplicate.merged_into = into
        duplicate.outcome = ClosingOutcome.MERGED
        duplicate.closed_at = clock.now()
        duplicate.paused_at = None
        _move(actor, duplicate, "merge", S.CLOSED, into=into.number, note=note)
        audit.record(
            actor,
            AuditAction.MERGED_IN,
            into,
            after={"duplicate": duplicate.number, "moved": moved},
        )
    return into


# -- configuration: reason codes, SLA targets, approval limits, settings, replies, rules ------
def save_configuration(
    actor: Any,
    instance: Any,
    *,
    changes: Mapping[str, Any] | None = None,
    seen: int | None = None,
    many: Mapping[str, Iterable[Any]] | None = None,
) -> Any:
    """Create one configuration row, or change one: with `changes`, only those fields of
    the stored row change, and one someone else changed after version `seen` (the page
    the person edited) is refused rather than overwritten. Checked and audited; the caches
    that hold it drop it at once through the model's save signal. `many` sets
    many-to-many fields (an assignment rule's pool of people)."""
    _check(actor, "tickets.configure", None)  # company-wide: only company-scope staff
    label = instance._meta.model_name
    model = type(instance)
    with transaction.atomic():
        if changes is not None and instance.pk is not None:
            instance = model.objects.select_for_update().filter(pk=instance.pk).first()
            if instance is None:
                raise ValidationError(
                    _("Someone else deleted this while you were editing it."), code="gone"
                )
            before = _config_snapshot(instance)
            sets = {
                name: list(values)
                for name, values in (many or {}).items()
                if sorted(v.pk for v in values)
                != sorted(getattr(instance, name).values_list("pk", flat=True))
            }
            fields = apply_changes(instance, changes, seen=seen, also=sorted(sets))
            instance.full_clean()
            if fields:
                instance.save(update_fields=fields)
        else:
            for name, value in (changes or {}).items():  # a row not stored yet: all new
                setattr(instance, name, value)
            before = _config_snapshot(model.objects.filter(pk=instance.pk).first())
            sets = {name: list(values) for name, values in (many or {}).items()}
            instance.full_clean()
            if before is not None:
                mark_changed(  # a whole row written: every field is new
                    instance,
                    [
                        f.name
                        for f in instance._meta.concrete_fields
                        if f.editable and not f.primary_key
                    ],
                )
            instance.save()
        after = _config_snapshot(instance) or {}
        for name, values in sets.items():
            getattr(instance, name).set(values)
        for name in many or {}:
            after[name] = sorted(v.pk for v in getattr(instance, name).all())
        if isinstance(instance, ApprovalRule):
            if not 1 <= int(instance.max_severity) <= 4:
                raise ValidationError(_("Severity runs from 1 to 4."))
            _check_approval_ladder()
        if isinstance(instance, ReasonCode):
            _check_reason_tree(instance)
        if isinstance(instance, AssignmentRule):
            from .assignment import rule_problems

            problems = rule_problems(instance, instance.pool.select_related("user"))
            if problems:
                raise ValidationError(problems)
        if isinstance(instance, SLAPolicy):
            _check_sla_policy(instance)
        audit.record(
            actor,
            AuditAction(f"tickets.config.{label}.{'change' if before else 'create'}"),
            instance,
            before=before,
            after=after,
        )
    return instance


def delete_configuration(actor: Any, instance: Any) -> None:
    """Remove an SLA policy, approval rule, canned reply or assignment rule. Reason codes
    that tickets use are deactivated instead, so history keeps its meaning."""
    _check(actor, "tickets.configure", None)  # company-wide: only company-scope staff
    label = instance._meta.model_name
    with transaction.atomic():
        if isinstance(instance, ReasonCode):
            raise ValidationError(
                _("Reason codes are not deleted: deactivate %(code)s instead.")
                % {"code": instance.code}
            )
        if isinstance(instance, Settings) or instance.pk is None:
            raise ValidationError(_("This cannot be deleted, only changed."))
        before = _config_snapshot(instance)
        instance.delete()
        if isinstance(instance, ApprovalRule):
            _check_approval_ladder()
        audit.record(actor, AuditAction(f"tickets.config.{label}.delete"), None, before=before)


def _config_snapshot(instance: Any) -> dict[str, Any] | None:
    if instance is None:
        return None
    return {
        f.attname: str(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if f.attname != "id"
    }


def _check_approval_ladder() -> None:
    """Higher ranks must approve at least as much as lower ones, or the ladder is broken."""
    ranks: dict[int, list[ApprovalRule]] = {}
    for rule in ApprovalRule.objects.order_by("rank", "role"):
        ranks.setdefault(rule.rank, []).append(rule)  # peers share a rank
    levels = [ranks[r] for r in sorted(ranks)]

    def limit(rule: ApprovalRule) -> Decimal:
        return Decimal("Infinity") if rule.max_amount is None else rule.max_amount

    for below, above in itertools.pairwise(levels):
        lower = max(below, key=limit)
        higher = min(above, key=limit)
        if limit(higher) < limit(lower):
            raise ValidationError(
                _("%(higher)s must be able to approve at least as much as %(lower)s.")
                % {"higher": higher.get_role_display(), "lower": lower.get_role_display()}
            )


def _check_sla_policy(sla: SLAPolicy) -> None:
    """Targets a deadline can be computed from (a target beyond the business calendar's
    reach would fail every registration it applies to), and one policy per type and
    priority (two would decide the targets by chance)."""
    problems = []
    for minutes in (sla.first_response_minutes, sla.resolution_minutes):
        if not 1 <= int(minutes) <= policy.MAX_TARGET_MINUTES:
            problems.append(
                _("A target runs from 1 to %(n)s business minutes (sixty working days).")
                % {"n": f"{policy.MAX_TARGET_MINUTES:,}"}
            )
            break
    if sla.resolution_minutes < sla.first_response_minutes:
        problems.append(
            _("The resolution target cannot be shorter than the first response target.")
        )
    twin = (
        SLAPolicy.objects.filter(ticket_type=sla.ticket_type, priority=sla.priority)
        .exclude(pk=sla.pk)
        .first()
    )
    if twin is not None:
        problems.append(
            _(
                "The policy “%(name)s” already sets the targets for this type and priority: "
                "change that policy instead."
            )
            % {"name": twin.name}
        )
    if problems:
        raise ValidationError(problems)


def _check_reason_tree(reason: ReasonCode) -> None:
    node, seen = reason.parent, {reason.pk}
    while node is not None:
        if node.pk in seen:
            raise ValidationError(_("A reason code cannot sit under itself."))
        seen.add(node.pk)
        node = node.parent


def escalate(ticket_id: int, now: dt.datetime) -> bool:
    """The deadline watch's step: raise a ticket's escalation level to the number of its
    passed deadlines, with a note on the ticket, an audit entry and the event (which tells
    the level's people). False when nothing grew (paused, or already at that level)."""
    from .sla import ESCALATION_ROLES, breaches_of, escalation_note

    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        kinds = breaches_of(ticket, now)
        level = min(len(kinds), 3)
        if ticket.paused_at is not None or level <= ticket.escalation_level:
            return False
        before = ticket.escalation_level
        ticket.escalation_level = level
        ticket.save(update_fields=["escalation_level"])
        Activity.objects.create(
            ticket=ticket,
            kind=Activity.Kind.NOTE,
            text=escalation_note(kinds, ESCALATION_ROLES[level]),
            at=now,
        )
        audit.record(
            SLA_WATCH,
            AuditAction.ESCALATE,
            ticket,
            before={"escalation_level": before},
            after={"escalation_level": level, "breaches": kinds},
        )
        emit(
            TicketEscalated(
                ticket_id=ticket.pk,
                branch_id=ticket.branch_id,
                level=level,
                role=ESCALATION_ROLES[level],
                breaches=kinds,
            ),
            actor=SLA_WATCH,
        )
    return True


def save_view(actor: Any, *, name: str, query: str) -> SavedView:
    """Keep a queue's filters under a name in the person's own list (a personal
    preference: no audit entry or event)."""
    me = _staff(actor)
    if me is None:
        raise PermissionDenied(_("Only staff members keep views."))
    view, _created = SavedView.objects.update_or_create(
        owner=me, name=name[:100], defaults={"query": query}
    )
    return view


def delete_view(actor: Any, pk: int) -> None:
    SavedView.objects.filter(owner=_staff(actor), pk=pk).delete()
