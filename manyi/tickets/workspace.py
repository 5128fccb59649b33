"""What a ticket's page shows the person working it: where the ticket stands in seed 003's
seven steps, the steps this person may take now (and who must act when it is not them),
and the ticket's whole flow from registration to closing, top to bottom.

A read module: every step is still taken through `actions`. `offered` mirrors the checks
the actions make, so the page never offers a button that would only be refused; the
workspace test walks every state and role to hold it to that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from manyi.org.permissions import has_permission
from manyi.org.scoping import staff_of

from . import actions, policy
from .approvals import approvers, next_role
from .models import (
    Activity,
    Agreement,
    ClosingOutcome,
    ExecutionOrder,
    Proposal,
    Settings,
    Status,
    Ticket,
    TicketType,
)

S = Status

STAGES = (
    ("register", pgettext_lazy("stage", "Registered")),
    ("contact", pgettext_lazy("stage", "Assigned and contacted")),
    ("analyse", pgettext_lazy("stage", "Analysed")),
    ("propose", pgettext_lazy("stage", "Resolution and approval")),
    ("agree", pgettext_lazy("stage", "The customer agrees")),
    ("execute", pgettext_lazy("stage", "Carried out")),
    ("close", pgettext_lazy("stage", "Followed up and closed")),
)
QUICK_STAGES = (
    ("register", pgettext_lazy("stage", "Registered")),
    ("contact", pgettext_lazy("stage", "Handled")),
    ("close", pgettext_lazy("stage", "Closed")),
)


@dataclass
class Stage:
    key: str
    label: str
    number: int
    state: str  # done, current, coming, skipped
    summary: str = ""


@dataclass
class Entry:
    """One line of the ticket's flow: what happened, who did it, when, and its details."""

    at: dt.datetime
    kind: str
    title: str
    who: str = ""
    lines: list[str] = field(default_factory=list)
    order: int = 0


@dataclass
class Workspace:
    stages: list[Stage]
    offered: set[str]
    waiting: str  # who must act when this person cannot
    flow: list[Entry]
    open_orders: list[ExecutionOrder]
    unreachable: tuple[int, int, int, int]  # attempts, days; needed attempts, days
    latest: Proposal | None


def _current_stage(ticket: Ticket) -> str:
    status = ticket.status
    if status in (S.REGISTERED, S.ASSIGNED):
        return "contact"
    if status == S.INVESTIGATING:
        return "propose" if ticket.cause else "analyse"
    if status in (S.REJECTED, S.AWAITING_APPROVAL):
        return "propose"
    if status in (S.PROPOSED, S.APPROVED):
        return "agree"
    if status in (S.AGREED, S.EXECUTING):
        return "execute"
    if status == S.FOLLOW_UP:
        return "close"
    return ""


def stages(
    ticket: Ticket,
    proposals: list[Proposal],
    orders: list[ExecutionOrder],
    contacts: int,
) -> list[Stage]:
    complaint = ticket.ticket_type == TicketType.COMPLAINT
    table = STAGES if complaint else QUICK_STAGES
    current = _current_stage(ticket) if complaint else ("" if not ticket.is_open else "contact")
    keys = [key for key, _label in table]
    position = keys.index(current) if current in keys else len(keys)
    agreement = next((p.agreement for p in proposals if _agreement(p) is not None), None)
    latest = proposals[-1] if proposals else None
    summaries = {
        "register": f"{ticket.get_channel_display()} · {_when(ticket.created_at)}",
        "contact": " · ".join(
            part
            for part in (
                ticket.assignee.name if ticket.assignee_id else _("not yet assigned"),
                ngettext("%(n)d contact", "%(n)d contacts", contacts) % {"n": contacts}
                if contacts
                else "",
            )
            if part
        ),
        "analyse": (
            _("severity %(s)d") % {"s": ticket.severity}
            + (f" · {_short(ticket.cause)}" if ticket.cause else "")
            if ticket.cause or ticket.status not in (S.REGISTERED, S.ASSIGNED)
            else ""
        ),
        "propose": _proposal_line(latest) if latest is not None else "",
        "agree": agreement.get_method_display() if agreement is not None else "",
        "execute": (
            _("%(done)d of %(all)d orders done")
            % {
                "done": sum(o.state == ExecutionOrder.State.DONE for o in orders),
                "all": len(orders),
            }
            if orders
            else ""
        ),
        "close": ticket.get_outcome_display() if ticket.outcome else "",
    }
    result = []
    for number, (key, label) in enumerate(table, start=1):
        index = number - 1
        if not ticket.is_open:
            state = "done" if summaries.get(key) or key in ("register", "contact") else "skipped"
            if key == "close":
                state = "done"
        elif index < position:
            state = "done"
        elif index == position:
            state = "current"
        else:
            state = "coming"
        result.append(Stage(key, str(label), number, state, summaries.get(key, "")))
    return result


def _agreement(proposal: Proposal) -> Agreement | None:
    try:
        return proposal.agreement
    except Agreement.DoesNotExist:
        return None


def _when(instant: dt.datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(instant).strftime("%m-%d %H:%M") if instant else ""


def _short(text: str, size: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _proposal_line(proposal: Proposal) -> str:
    if proposal.kind == Proposal.Kind.DECLINE:
        return f"{_('Declining the demand')} · {proposal.get_state_display()}"
    return f"¥{proposal.total:,} · {proposal.get_state_display()}"


def order_label(order: ExecutionOrder) -> str:
    """An execution order as people name it: the department and the remedy it carries out
    (two orders of one department read apart)."""
    remedy = order.remedy
    words = remedy.get_kind_display()
    if remedy.amount:
        words += f" ¥{remedy.amount:,}"
    if remedy.description:
        words += f"（{_short(remedy.description, 30)}）"
    return f"{order.department.name} · {words}"


def offered(
    user: Any,
    ticket: Ticket,
    latest: Proposal | None,
    open_orders: list[ExecutionOrder],
    unreachable_ready: bool,
) -> set[str]:
    """The steps this person may take on the ticket now: each one passes the action's own
    checks (state, permission, approval level, not one's own proposal)."""
    if not has_permission(user, "tickets.work"):
        return set()
    if not ticket.is_open:
        return {"reopen"} if ticket.merged_into_id is None else set()
    steps = {"note", "attach", "contact", "link", "promise"}
    me = staff_of(user)
    if has_permission(user, "tickets.assign") or (me is not None and ticket.assignee_id != me.pk):
        steps.add("assign")  # to anyone, or (without the right to hand out work) to oneself
    status = ticket.status
    for step in ("investigate", "propose", "decline", "agree", "follow_up"):
        if status in actions.TRANSITIONS[step]:
            steps.add(step)
    if "agree" in steps and (
        latest is None
        or latest.kind != Proposal.Kind.REMEDY
        or latest.state != Proposal.State.APPROVED
    ):
        steps.discard("agree")
    if status in actions.TRANSITIONS["reopen"]:
        steps.add("reopen")
    steps.add("resume" if ticket.paused_at else "pause")
    if status == S.EXECUTING and open_orders:
        steps.add("complete_order")
    if not ticket.proposals_count:
        steps.add("merge")
    if not open_orders:
        if ticket.ticket_type != TicketType.COMPLAINT:
            if status in actions.QUICK_CLOSE:
                steps.add("close")
        elif status == S.FOLLOW_UP and ticket.satisfied:
            steps.add("close")
        if unreachable_ready and status in actions.TRANSITIONS["close_unreachable"]:
            steps.add("close_unreachable")
    if status == S.AWAITING_APPROVAL and latest is not None and _may_decide(user, latest):
        steps |= {"approve", "reject"}
    return steps


def _may_decide(user: Any, proposal: Proposal) -> bool:
    staff = staff_of(user)
    if staff is None or not has_permission(user, "tickets.approve"):
        return False
    approved = [a for a in proposal.approvals.all() if a.approved]
    level = next_role(proposal.required_roles, [a.role for a in approved])
    return (
        level is not None
        and policy.may_approve(staff.role, level)
        and proposal.proposed_by_id != staff.pk
        and all(a.approver_id != staff.pk for a in approved)
    )


def waiting_line(proposal: Proposal) -> str:
    """Who must decide a proposal, by name: 等待主管审批：李娜或其他主管."""
    approved = [a.role for a in proposal.approvals.all() if a.approved]
    level = next_role(proposal.required_roles, approved)
    if level is None:
        return ""
    role = actions.role_label(level)
    people = approvers(proposal, level)
    same = [p for p in people if p.role == level]
    higher = len(people) - len(same)
    if not people:
        names = _("no one in this branch may approve it yet; ask an administrator")
    elif not same:
        names = _("%(name)s (%(role)s)") % {
            "name": people[0].name,
            "role": actions.role_label(people[0].role),
        }
        if higher > 1:
            names = _("%(a)s or someone else above") % {"a": names}
    elif len(same) == 1:
        names = same[0].name
        if higher:
            names = _("%(a)s or someone above") % {"a": names}
    elif len(same) == 2 and not higher:
        names = _("%(a)s or %(b)s") % {"a": same[0].name, "b": same[1].name}
    else:
        names = _("%(a)s or another %(role)s") % {"a": same[0].name, "role": role}
    return _("Waiting for a %(role)s's approval: %(names)s") % {"role": role, "names": names}


def build(user: Any, ticket: Ticket) -> Workspace:
    proposals = list(
        ticket.proposals.select_related("proposed_by", "agreement__recorded_by").prefetch_related(
            "remedies__department", "approvals__approver"
        )
    )
    orders = list(
        ticket.orders.select_related("department", "remedy__proposal__agreement", "owner")
    )
    activities = list(ticket.activities.defer("content").select_related("author"))
    follow_ups = list(ticket.follow_ups.select_related("done_by").exclude(done_at=None))
    latest = proposals[-1] if proposals else None
    open_orders = [o for o in orders if o.state == ExecutionOrder.State.OPEN]
    ticket.proposals_count = len(proposals)
    ticket.satisfied = bool(follow_ups) and bool(
        max(follow_ups, key=lambda f: (f.done_at, f.pk)).satisfied
    )
    settings = Settings.current()
    attempts, days = (0, 0)
    if ticket.is_open:
        attempts, days = actions.unreachable_progress(ticket)
    ready = attempts >= settings.unreachable_attempts and days >= settings.unreachable_business_days
    steps = offered(user, ticket, latest, open_orders, ready)
    waiting = ""
    if ticket.status == S.AWAITING_APPROVAL and latest is not None and "approve" not in steps:
        waiting = waiting_line(latest)
    contacts = sum(a.kind in (Activity.Kind.CALL, Activity.Kind.VISIT) for a in activities)
    return Workspace(
        stages=stages(ticket, proposals, orders, contacts),
        offered=steps,
        waiting=waiting,
        flow=flow(ticket, proposals, orders, activities, follow_ups),
        open_orders=open_orders,
        unreachable=(
            attempts,
            days,
            settings.unreachable_attempts,
            settings.unreachable_business_days,
        ),
        latest=latest,
    )


ACTIVITY_TITLES = {
    Activity.Kind.CALL: {
        Activity.Direction.INBOUND: gettext_lazy("The customer called"),
        Activity.Direction.OUTBOUND: gettext_lazy("We called the customer"),
    },
    Activity.Kind.VISIT: {
        Activity.Direction.INBOUND: gettext_lazy("The customer came in"),
        Activity.Direction.OUTBOUND: gettext_lazy("We visited the customer"),
    },
}


def _name(staff: Any) -> str:
    return staff.name if staff is not None else _("the system")


def flow(
    ticket: Ticket,
    proposals: list[Proposal],
    orders: list[ExecutionOrder],
    activities: list[Activity],
    follow_ups: list[Any],
) -> list[Entry]:
    """Everything that happened to the ticket, oldest first."""
    from manyi.org.audit import entries_for

    entries = [
        Entry(
            ticket.created_at,
            "register",
            _("Registered by %(channel)s") % {"channel": ticket.get_channel_display()},
            _name(ticket.recorder) if ticket.recorder_id else "",
            [ticket.subject] + ([ticket.description] if ticket.description else []),
        )
    ]
    for a in activities:
        if a.kind in ACTIVITY_TITLES:
            title = str(ACTIVITY_TITLES[a.kind][a.direction or Activity.Direction.OUTBOUND])
            if a.outcome:
                title += f" · {a.get_outcome_display()}"
            kind = "contact"
        elif a.kind == Activity.Kind.ATTACHMENT:
            title, kind = _("Attached %(file)s") % {"file": a.file_name}, "attachment"
        else:
            title, kind = a.get_kind_display(), "note"
        entries.append(Entry(a.at, kind, title, _name(a.author), [a.text] if a.text else []))
    for p in proposals:
        if p.kind == Proposal.Kind.DECLINE:
            title = _("Proposed to decline the demand")
            lines = [
                _("The company's position: %(text)s") % {"text": p.position},
                _("Reasons explained to the customer: %(text)s") % {"text": p.reasons},
            ]
        else:
            title = _("Proposed a resolution of ¥%(total)s") % {"total": f"{p.total:,}"}
            lines = [
                r.get_kind_display()
                + (f" ¥{r.amount:,}" if r.amount else "")
                + (f" {r.description}" if r.description else "")
                + (f" → {r.department.name}" if r.department_id else "")
                for r in p.remedies.all()
            ]
            if p.note:
                lines.append(p.note)
        if p.required_roles:
            lines.append(
                _("Needs the approval of: %(roles)s")
                % {"roles": "、".join(actions.role_label(r) for r in p.required_roles)}
            )
        else:
            lines.append(_("Within the proposer's own authority: no approval needed."))
        entries.append(Entry(p.proposed_at, "proposal", title, _name(p.proposed_by), lines))
        for a in p.approvals.all():
            entries.append(
                Entry(
                    a.at,
                    "approval" if a.approved else "rejection",
                    (_("Approved as %(role)s") if a.approved else _("Rejected as %(role)s"))
                    % {"role": actions.role_label(a.role)},
                    _name(a.approver),
                    [a.comment] if a.comment else [],
                )
            )
        agreement = _agreement(p)
        if agreement is not None:
            how = agreement.get_method_display()
            if agreement.reference:
                how += f" · {agreement.reference}"
            entries.append(
                Entry(
                    agreement.confirmed_at,
                    "agreement",
                    _("The customer agreed"),
                    _name(agreement.recorded_by),
                    [_("Confirmed by %(how)s") % {"how": how}],
                    order=1,
                )
            )
    for o in orders:
        sent = _agreement(o.remedy.proposal) if o.remedy_id else None
        details = [
            _("due %(when)s") % {"when": _when(o.due_at)} if o.due_at else "",
            _("owner %(name)s") % {"name": o.owner.name} if o.owner_id else "",
        ]
        entries.append(
            Entry(
                sent.confirmed_at if sent is not None else ticket.created_at,
                "order",
                _("Order sent: %(order)s") % {"order": order_label(o)},
                "",
                [d for d in details if d],
                order=2,
            )
        )
        if o.completed_at:
            entries.append(
                Entry(
                    o.completed_at,
                    "order_done",
                    _("Order done: %(order)s") % {"order": order_label(o)},
                    _name(o.owner),
                    [o.note] if o.note else [],
                )
            )
    for f in follow_ups:
        entries.append(
            Entry(
                f.done_at,
                "follow_up",
                _("Follow-up: the customer is satisfied")
                if f.satisfied
                else _("Follow-up: the customer is not satisfied, handled again"),
                _name(f.done_by),
                [f.note] if f.note else [],
            )
        )
    from manyi.org.models import Staff

    logged = list(entries_for(ticket, ("tickets.assign", "tickets.reopen", "tickets.close")))
    assigned = {
        str(pk): name
        for pk, name in Staff.objects.filter(
            pk__in=[e.after.get("assignee") for e in logged if e.after and e.after.get("assignee")]
        ).values_list("pk", "name")
    }
    for entry in logged:
        after = entry.after or {}
        who = entry.actor.staff.name if entry.actor_id and hasattr(entry.actor, "staff") else ""
        if entry.action == "tickets.assign":
            name = assigned.get(str(after.get("assignee", "")), "")
            title = _("Assigned to %(name)s") % {"name": name}
            entries.append(Entry(entry.at, "assign", title, who))
        elif entry.action == "tickets.reopen" and "satisfied" not in after:
            entries.append(
                Entry(entry.at, "reopen", _("Reopened"), who, [entry.note] if entry.note else [])
            )
        elif entry.action == "tickets.close":
            outcome = after.get("outcome") or ClosingOutcome.RESOLVED
            title = _("Closed: %(outcome)s") % {"outcome": ClosingOutcome(outcome).label}
            lines = [entry.note] if entry.note else []
            entries.append(Entry(entry.at, "close", title, who, lines, order=3))
    entries.sort(key=lambda e: (e.at, e.order))
    return entries


def done_message(action: str, ticket: Ticket) -> str:
    """What a step did, said plainly (the ticket as it is after the step)."""
    status = ticket.status
    if action in ("propose", "decline"):
        proposal = ticket.proposals.order_by("-pk").first()
        if status == S.AWAITING_APPROVAL and proposal is not None:
            role = actions.role_label(proposal.required_roles[0]) if proposal.required_roles else ""
            if action == "decline":
                return _("Decline submitted; waiting for a %(role)s's decision.") % {"role": role}
            return _("Proposal submitted; waiting for a %(role)s's approval.") % {"role": role}
        if action == "decline":
            return _("Declined with reasons; the ticket is closed.")
        return _(
            "Proposal submitted; it is within your authority: record the customer's agreement."
        )
    if action == "approve":
        if status == S.CLOSED:
            return _("Decline approved; the ticket is closed.")
        if status == S.AWAITING_APPROVAL:
            return _("Approved at your level; it still needs a higher approval.")
        return _("Proposal approved; the agent records the customer's agreement next.")
    if action == "agree":
        orders = ticket.orders.count()
        if orders:
            return ngettext(
                "Agreement recorded; %(n)d execution order sent.",
                "Agreement recorded; %(n)d execution orders sent.",
                orders,
            ) % {"n": orders}
        return _("Agreement recorded; the follow-up is due next.")
    if action == "complete_order":
        if status == S.FOLLOW_UP:
            return _("Order done; every order is done, the follow-up is due next.")
        return _("Order done.")
    if action == "follow_up":
        if status == S.FOLLOW_UP:
            return _("Follow-up recorded: the customer is satisfied. You may close the ticket.")
        return _("Follow-up recorded: the customer is not satisfied; the ticket is open again.")
    messages = {
        "assign": _("Assigned to %(name)s.")
        % {"name": ticket.assignee.name if ticket.assignee_id else "—"},
        "contact": _("Contact recorded."),
        "note": _("Note added."),
        "attach": _("Attachment added."),
        "investigate": _("Analysis saved."),
        "reject": _("Proposal rejected and sent back to the agent."),
        "close": _("Closed."),
        "close_unreachable": _("Closed: the customer could not be reached."),
        "reopen": _("Reopened."),
        "pause": _("The clock is stopped while we wait for the customer."),
        "resume": _("The clock runs again."),
        "promise": _("Promise recorded."),
        "merge": _("Merged into %(number)s.")
        % {"number": ticket.merged_into.number if ticket.merged_into_id else ""},
        "link": _("Linked."),
    }
    return messages.get(action, _("Done."))
