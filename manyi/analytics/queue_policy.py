"""Who a counter calls next: the one fairness rule shared by the branch app, the wait
estimate, the replay and the simulation (seed 002: unfair waits feel longer).

Every waiting ticket has a *virtual arrival time*: when it was issued, less the head start
of its priority class (VIP 10 minutes, elderly or disabled 5 minutes by default). A counter
calls the smallest virtual time among the services it serves, taking its services in its
order of preference. So a VIP goes ahead of the ordinary customers who came at most 10
minutes before them, and never of anyone who has waited longer than that: however many
VIPs arrive, an ordinary customer is overtaken only by those who came within its head
start, and its wait stays bounded. An appointment whose time is near (within the window)
goes first of all; one that comes late is an ordinary walk-in from then on. A ticket
transferred to another service keeps its virtual time: its place, not the back of the line.

No Django here: the same function runs in the branch, in a replay of a past day and in a
simulated one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PRIORITIES = ("appointment", "vip", "elderly", "ordinary")


@dataclass(frozen=True)
class Policy:
    """The branch's rules, in seconds; shown to staff and explained to customers."""

    head_start: dict[str, float] = field(
        default_factory=lambda: {"vip": 600.0, "elderly": 300.0, "ordinary": 0.0}
    )
    appointment_early: float = 900.0  # an appointment checked in this long before its time
    appointment_late: float = 600.0  # ... or this long after it is served first
    by_preference: bool = True  # False: the longest (virtual) wait across the services

    def head_start_of(self, priority: str) -> float:
        return self.head_start.get(priority, 0.0)


@dataclass(frozen=True)
class Waiting:
    """A ticket in the queue, as the rule sees it (times in seconds on one clock)."""

    ticket: str
    service: str
    priority: str = "ordinary"
    issued_at: float = 0.0
    appointment_at: float | None = None


def virtual_time(waiting: Waiting, now: float, policy: Policy) -> tuple[int, float]:
    """The sort key: (0, appointment time) for an appointment due now, otherwise
    (1, issued time less the class's head start)."""
    if waiting.priority == "appointment" and waiting.appointment_at is not None:
        if (
            waiting.appointment_at - policy.appointment_early
            <= now
            <= waiting.appointment_at + policy.appointment_late
        ):
            return (0, waiting.appointment_at)
        # far too early, or late: a walk-in as issued (early ones move up once it is time)
        return (1, waiting.issued_at)
    return (1, waiting.issued_at - policy.head_start_of(waiting.priority))


def _key(
    candidate: Waiting, rank: int, now: float, policy: Policy
) -> tuple[float, float, float, float]:
    urgency, when = virtual_time(candidate, now, policy)
    # an appointment due now beats preference; otherwise preference, then virtual time
    return (urgency, rank if policy.by_preference else 0, when, candidate.issued_at)


def next_ticket(
    waiting: Iterable[Waiting],
    services: Sequence[str],
    now: float,
    policy: Policy | None = None,
) -> Waiting | None:
    """The ticket a counter serving `services` (in its order of preference) calls now."""
    line = order(waiting, services, now, policy)
    return line[0] if line else None


def order(
    waiting: Iterable[Waiting],
    services: Sequence[str],
    now: float,
    policy: Policy | None = None,
) -> list[Waiting]:
    """The line as one counter would call it, first first (positions and estimates)."""
    policy = policy or Policy()
    rank = {service: n for n, service in enumerate(services)}
    allowed = [w for w in waiting if w.service in rank]
    return sorted(allowed, key=lambda w: _key(w, rank[w.service], now, policy))
