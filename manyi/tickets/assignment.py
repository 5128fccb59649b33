"""Automatic assignment of new tickets by rules (branch, reason, skill pool; in turn or by
the lightest workload). The most specific matching rule wins: branch and reason, then reason,
then branch, then a rule for everything."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from manyi.org.models import Staff
from manyi.org.permissions import has_permission
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


def rule_problems(rule: AssignmentRule, pool: Iterable[Staff]) -> list[str]:
    """What in an active rule, as a person could enter it, would route new tickets to
    nobody, to someone who may not take them, or by chance between two rules: an empty
    pool, people who cannot log in, may not work on tickets or do not work at the rule's
    branch, a reason no new ticket can have, another active rule for the same branch and
    reason. An inactive rule routes nothing and may always be saved (to retire it)."""
    if not rule.active:
        return []
    people = list(pool)
    problems = []
    if not people:
        problems.append(_("Choose at least one person for the rule."))

    def names(staff: list[Staff]) -> str:
        return pgettext("list separator", ", ").join(s.name for s in staff)

    gone = [s for s in people if not s.user.is_active]
    if gone:
        problems.append(_("%(names)s can no longer log in.") % {"names": names(gone)})
    people = [s for s in people if s.user.is_active]
    barred = [s for s in people if not has_permission(s.user, "tickets.work")]
    if barred:
        problems.append(_("%(names)s may not work on tickets.") % {"names": names(barred)})
    if rule.branch_id is not None:
        away = [s for s in people if s not in barred and not can_see_branch(s.user, rule.branch_id)]
        if away:
            problems.append(
                _("%(names)s do not work at %(branch)s: this rule would never give them a ticket.")
                % {"names": names(away), "branch": rule.branch.name}
            )
    if rule.reason_id is not None and not rule.reason.active:
        problems.append(
            _("The reason %(reason)s is no longer in use: no new ticket would match this rule.")
            % {"reason": rule.reason.name}
        )
    twin = (
        AssignmentRule.objects.filter(
            active=True, branch_id=rule.branch_id, reason_id=rule.reason_id
        )
        .exclude(pk=rule.pk)
        .first()
    )
    if twin is not None:
        problems.append(
            _(
                "The active rule “%(name)s” already routes tickets of this branch and reason: "
                "change that rule, or deactivate one of the two."
            )
            % {"name": twin.name}
        )
    return problems
