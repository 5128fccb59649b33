"""Proposals waiting for a person's approval ("待我审批"): the list, and its count in the
top bar. A read module: the approving itself is `actions.approve`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from manyi.org.permissions import has_permission
from manyi.org.scoping import staff_of

from . import policy
from .models import Proposal, Status, Ticket


def next_role(required: Iterable[str], approved_roles: Iterable[str]) -> str | None:
    """The level a proposal needs next: the first required role not yet approved (each
    approval counts once, in order)."""
    done = list(approved_roles)
    for role in required:
        if role in done:
            done.remove(role)
        else:
            return role
    return None


def waiting_for(user: Any) -> list[Proposal]:
    """Every pending proposal this person may approve now, oldest first; each carries
    `.level`, the role it waits for."""
    remembered = getattr(user, "_manyi_waiting", None)
    if remembered is not None:  # the top bar and the page in one request
        return remembered
    staff = staff_of(user)
    if staff is None or not has_permission(user, "tickets.approve"):
        return []
    rules = policy.approval_rules()
    pending = (
        Proposal.objects.visible_to(user)
        .filter(state=Proposal.State.PENDING, ticket__status=Status.AWAITING_APPROVAL)
        .select_related("ticket__customer", "ticket__branch", "ticket__reason", "proposed_by")
        .prefetch_related("approvals", "remedies__department")
        .order_by("proposed_at", "pk")
    )
    mine = []
    for proposal in pending:
        approvals = [a for a in proposal.approvals.all() if a.approved]
        level = next_role(proposal.required_roles, [a.role for a in approvals])
        if level is None or not policy.may_approve(staff.role, level, rules):
            continue
        if proposal.proposed_by_id == staff.pk or any(a.approver_id == staff.pk for a in approvals):
            continue
        proposal.level = level
        mine.append(proposal)
    user._manyi_waiting = mine
    return mine


def count_for(user: Any) -> int:
    return len(waiting_for(user))


def earlier_tickets(customer_ids: Iterable[int]) -> dict[int, int]:
    """How many tickets each customer has had, in one query (the rows' history)."""
    rows = (
        Ticket.objects.filter(customer_id__in=list(customer_ids))
        .values("customer_id")
        .annotate(n=Count("pk"))
    )
    return {row["customer_id"]: row["n"] for row in rows}


def approvers(proposal: Proposal, level: str) -> list[Any]:
    """The people who may give the approval a proposal waits for: the level itself first,
    then higher ones; never its proposer or someone who already approved it."""
    from manyi.org.scoping import staff_reaching

    rules = policy.approval_rules()
    done = {a.approver_id for a in proposal.approvals.all() if a.approved}
    ranks = {rule.role: rule.rank for rule in rules}
    people = [
        s
        for s in staff_reaching(proposal.ticket.branch).order_by("name")
        if policy.may_approve(s.role, level, rules)
        and s.pk != proposal.proposed_by_id
        and s.pk not in done
    ]
    return sorted(people, key=lambda s: (s.role != level, ranks.get(s.role, 99)))
