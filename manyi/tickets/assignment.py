"""Automatic assignment of new tickets by rules (branch, reason, skill pool; in turn or by
the lightest workload). The most specific matching rule wins: branch and reason, then reason,
then branch, then a rule for everything."""

from __future__ import annotations

from django.db.models import Count

from manyi.org.models import Staff
from manyi.org.scoping import can_see_branch

from .config import active_assignment_rules, reason_chain
from .models import AssignmentRule, Status, Ticket


def matching_rule(ticket: Ticket) -> AssignmentRule | None:
    chain = reason_chain(ticket.reason_id)
    rules = [
        rule
        for rule in active_assignment_rules()
        if rule.branch_id in (None, ticket.branch_id) and rule.reason_id in (None, *chain)
    ]

    def specificity(rule: AssignmentRule) -> tuple[int, int, int]:
        depth = len(chain) - chain.index(rule.reason_id) if rule.reason_id else 0
        return (rule.reason_id is not None, depth, rule.branch_id is not None)

    candidates = sorted(rules, key=specificity, reverse=True)
    return candidates[0] if candidates else None


def choose(rule: AssignmentRule, ticket: Ticket) -> Staff | None:
    """The person who gets the ticket, or None when nobody in the pool can take it. The
    caller (the registration's action) records the choice as the rule's last assignee,
    which the round robin reads under a lock here."""
    pool = [
        s
        for s in rule.pool.filter(user__is_active=True).select_related("user").order_by("pk")
        if can_see_branch(s.user, ticket.branch_id)
    ]
    if not pool:
        return None
    if rule.strategy == AssignmentRule.Strategy.ROUND_ROBIN:
        ids = [s.pk for s in pool]
        # The cached rule does not know who had the last one: read it under a lock.
        after = (
            AssignmentRule.objects.select_for_update()
            .filter(pk=rule.pk)
            .values_list("last_assigned_id", flat=True)
            .first()
        )
        position = (ids.index(after) + 1) % len(ids) if after in ids else 0
        chosen = pool[position]
    else:
        load = dict(
            Ticket.objects.filter(assignee__in=pool)
            .exclude(status=Status.CLOSED)
            .exclude(pk=ticket.pk)  # (given to whoever registered it, until now)
            .values_list("assignee")
            .annotate(n=Count("pk"))
        )
        chosen = min(pool, key=lambda s: (load.get(s.pk, 0), s.pk))
    return chosen
