"""Approval levels and SLA targets: what the company configures, with sensible defaults.

With no rows entered, the defaults below apply, so a fresh install behaves like the issue
describes: agents settle up to CNY 200, supervisors up to 2,000, department heads up to
20,000, managers above; more severe cases need a higher level ("层次高一点").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from manyi.businesstime.engine import BusinessCalendar
from manyi.org.roles import Role

from .config import sla_policies
from .models import Priority, TicketType


@dataclass(frozen=True)
class Rule:
    role: str
    rank: int
    max_amount: Decimal | None
    max_severity: int
    two_step: bool = False

    def covers(self, amount: Decimal, severity: int) -> bool:
        return (self.max_amount is None or amount <= self.max_amount) and (
            severity <= self.max_severity
        )


DEFAULT_RULES = (
    Rule(Role.AGENT, 1, Decimal("200"), 2),
    Rule(Role.ACCOUNT_MANAGER, 1, Decimal("200"), 2),
    Rule(Role.SUPERVISOR, 2, Decimal("2000"), 3),
    Rule(Role.DEPARTMENT_HEAD, 3, Decimal("20000"), 4),
    Rule(Role.MANAGER, 4, None, 4, two_step=True),
)


def approval_rules() -> list[Rule]:
    from .config import approval_rules as configured

    rows = [Rule(r.role, r.rank, r.max_amount, r.max_severity, r.two_step) for r in configured()]
    return rows or list(DEFAULT_RULES)


def rule_for(role: str, rules: list[Rule] | None = None) -> Rule | None:
    for rule in rules or approval_rules():
        if rule.role == role:
            return rule
    return None


def required_approvals(proposer_role: str, amount: Decimal, severity: int) -> list[str]:
    """The roles that must approve, lowest first; empty when the proposer may decide."""
    rules = approval_rules()
    own = rule_for(proposer_role, rules)
    if own is not None and own.covers(amount, severity):
        return []
    ranks = sorted({r.rank for r in rules})
    for rank in ranks:
        level = [r for r in rules if r.rank == rank and r.covers(amount, severity)]
        if level:
            deciding = level[0]
            chain = [deciding.role]
            if deciding.two_step:
                below = [r for r in rules if r.rank < rank]
                if below:
                    chain.insert(0, max(below, key=lambda r: r.rank).role)
            return chain
    # Beyond every limit: the highest level decides.
    top = max(rules, key=lambda r: r.rank)
    return [top.role]


def may_approve(approver_role: str, required_role: str, rules: list[Rule] | None = None) -> bool:
    """A higher level may stand in for a lower one; never the other way round. `rules`:
    the ladder already read, when many proposals are checked at once."""
    rules = rules if rules is not None else approval_rules()
    mine, needed = rule_for(approver_role, rules), rule_for(required_role, rules)
    return mine is not None and needed is not None and mine.rank >= needed.rank


@dataclass(frozen=True)
class Targets:
    first_response: dt.timedelta
    resolution: dt.timedelta
    same_day_reply: bool


# The longest target a policy may set: sixty working days of eight hours. A deadline is
# found by walking the branch's calendar, which gives up after ten years; a branch open a
# few hours a week would reach that with a much longer target, and every registration the
# policy applies to would fail.
MAX_TARGET_MINUTES = 60 * 8 * 60

DEFAULT_TARGETS = {
    (TicketType.COMPLAINT, Priority.URGENT): Targets(
        dt.timedelta(minutes=30), dt.timedelta(hours=9), True
    ),
    (TicketType.COMPLAINT, Priority.HIGH): Targets(
        dt.timedelta(hours=1), dt.timedelta(hours=18), True
    ),
    (TicketType.COMPLAINT, ""): Targets(dt.timedelta(hours=2), dt.timedelta(hours=27), True),
    ("", ""): Targets(dt.timedelta(hours=4), dt.timedelta(hours=18), True),
}


def targets_for(ticket_type: str, priority: str) -> Targets:
    """The most specific SLA policy entered, else the built-in defaults."""
    candidates = [
        p
        for p in sla_policies()
        if p.ticket_type in ("", ticket_type) and p.priority in ("", priority)
    ]
    if candidates:
        best = max(candidates, key=lambda p: p.specificity())
        return Targets(
            dt.timedelta(minutes=best.first_response_minutes),
            dt.timedelta(minutes=best.resolution_minutes),
            best.same_day_reply,
        )
    for key in ((ticket_type, priority), (ticket_type, ""), ("", "")):
        if key in DEFAULT_TARGETS:
            return DEFAULT_TARGETS[key]
    return DEFAULT_TARGETS[("", "")]


def end_of_business_day(calendar: BusinessCalendar, instant: dt.datetime) -> dt.datetime:
    """The close of the business day on which a contact arriving at `instant` is handled:
    today's closing time when open now or later today, else the next open day's."""
    opened = calendar.next_open(instant)
    intervals = calendar.intervals_on(opened.astimezone(calendar.tz).date())
    return max(end for _start, end in intervals)


def due_times(
    calendar: BusinessCalendar, created: dt.datetime, targets: Targets
) -> dict[str, dt.datetime | None]:
    return {
        "first_response_due": calendar.add(created, targets.first_response),
        "reply_due": end_of_business_day(calendar, created) if targets.same_day_reply else None,
        "resolution_due": calendar.add(created, targets.resolution),
    }


def shift_after_pause(
    calendar: BusinessCalendar, due: dt.datetime | None, paused: dt.datetime, resumed: dt.datetime
) -> dt.datetime | None:
    """A due time after waiting for the customer: the business time that was left when the
    clock stopped is counted again from the moment it restarts."""
    if due is None or due <= paused:
        return due
    left = calendar.seconds_between(paused, due)
    return calendar.add(resumed, dt.timedelta(seconds=left))
