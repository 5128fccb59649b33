"""What the queue reads on every number taken, every call and every estimate: the branch's
rules, its businesses and counters (kept per process, see `manyi.core.configcache` for
when a change is seen), the line in the order a counter calls it, and a number by the
token of its status page.

Nothing here writes: the changes are in `actions.py`, which reads through this module
like the estimate, the board, the history and the pages do. A branch whose queue was never
set up reads as the defaults (`settings_for`); `actions.ensure_settings` stores that row,
with the device keys, where a stored one is needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics.queue_policy import Policy, Waiting, order
from manyi.core import clock
from manyi.core.configcache import ConfigCache
from manyi.org.models import Branch

from .models import Counter, CounterService, Priority, QueueSettings, QueueTicket, ServiceType

S = QueueTicket.Status


@dataclass(frozen=True)
class CounterProfile:
    number: int
    active: bool
    services: tuple[str, ...]  # the prefixes it serves, most preferred first


# -- the branch's rules -------------------------------------------------------------------------
def settings_for(branch: Branch) -> QueueSettings:
    """The branch's rules as stored, or the defaults (unsaved, without device keys) for a
    branch whose queue was never set up: reading never writes."""
    found = QueueSettings.objects.filter(branch=branch).first()
    return found if found is not None else QueueSettings(branch=branch)


_PREFIXES: ConfigCache[dict[int, str]] = ConfigCache(
    "queue-service-prefixes", depends_on=["queues.ServiceType"]
)
_SERVICES: ConfigCache[dict[str, ServiceType]] = ConfigCache(
    "queue-services", depends_on=["queues.ServiceType"]
)
_POLICIES: ConfigCache[Policy] = ConfigCache("queue-policy", depends_on=["queues.QueueSettings"])
_PROFILES: ConfigCache[dict[int, CounterProfile]] = ConfigCache(
    "queue-counter-profiles",
    depends_on=["queues.Counter", "queues.CounterService", "queues.ServiceType"],
)


def policy_of(settings: QueueSettings) -> Policy:
    """The fairness rule (`manyi.analytics.queue_policy`) the settings row describes."""
    return Policy(
        head_start={
            Priority.VIP: float(settings.vip_head_start_s),
            Priority.ELDERLY: float(settings.elderly_head_start_s),
            Priority.ORDINARY: 0.0,
        },
        appointment_early=float(settings.appointment_early_s),
        appointment_late=float(settings.appointment_late_s),
        by_preference=settings.by_preference,
    )


def policy_for(branch: Branch) -> Policy:
    """The branch's fairness rules, kept per process (read for every number taken)."""
    return _POLICIES.get(branch.pk, lambda: policy_of(settings_for(branch)), copied=False)


# -- the branch's set-up ------------------------------------------------------------------------
def service_by_prefix(branch: Branch, prefix: str) -> ServiceType | None:
    """The branch's service type with this number prefix (kept per process)."""

    def read() -> dict[str, ServiceType]:
        return {s.prefix: s for s in ServiceType.objects.filter(branch_id=branch.pk)}

    found = _SERVICES.get(branch.pk, read).get(prefix)
    if found is None:  # set up a moment ago in another process?
        _SERVICES.forget(branch.pk)
        found = _SERVICES.get(branch.pk, read).get(prefix)
    return found


def service_prefixes(branch_id: int, *, fresh: bool = False) -> dict[int, str]:
    """Every service type of the branch (retired ones too: the day's numbers keep them).
    `fresh`: read again (another process may have set up more since)."""
    if fresh:
        _PREFIXES.forget(branch_id)
    return _PREFIXES.get(
        branch_id,
        lambda: dict(ServiceType.objects.filter(branch_id=branch_id).values_list("pk", "prefix")),
        copied=False,
    )


def counter_profiles(branch_id: int, *, fresh: bool = False) -> dict[int, CounterProfile]:
    """Every counter of the branch by id with the services it serves in order of
    preference, kept per process (read for every number taken and every estimate)."""
    if fresh:
        _PROFILES.forget(branch_id)

    def read() -> dict[int, CounterProfile]:
        counters = {
            pk: (number, active, [])
            for pk, number, active in Counter.objects.filter(branch_id=branch_id).values_list(
                "pk", "number", "active"
            )
        }
        for counter_id, prefix in (
            CounterService.objects.filter(counter__branch_id=branch_id, service__active=True)
            .order_by("counter_id", "preference", "service__prefix")
            .values_list("counter_id", "service__prefix")
        ):
            counters[counter_id][2].append(prefix)
        return {
            pk: CounterProfile(number, active, tuple(services))
            for pk, (number, active, services) in counters.items()
        }

    return _PROFILES.get(branch_id, read, copied=False)


def is_served(branch_id: int, prefix: str, *, fresh: bool = False) -> bool:
    """Whether an active counter of the branch serves the business with this prefix."""
    return any(
        profile.active and prefix in profile.services
        for profile in counter_profiles(branch_id, fresh=fresh).values()
    )


# -- the line -----------------------------------------------------------------------------------
def _waiting_rows(branch_id: int) -> list[QueueTicket]:
    return list(
        QueueTicket.objects.filter(branch_id=branch_id, status=S.WAITING)
        .select_related("service", "appointment")
        .order_by("queued_at", "pk")
    )


def line_for(counter: Counter, now: dt.datetime | None = None) -> list[QueueTicket]:
    """The waiting tickets in the order this counter would call them."""
    now = now or clock.now()
    settings = settings_for(counter.branch)
    services = [s.prefix for s in counter.services_in_order()]
    tickets = _waiting_rows(counter.branch_id)
    epoch = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    by_id = {str(t.pk): t for t in tickets}
    ordered = order(
        [_policy_view(t, epoch) for t in tickets],
        services,
        (now - epoch).total_seconds(),
        _policy_for_virtual(settings),
    )
    return [by_id[w.ticket] for w in ordered]


def _policy_view(ticket: QueueTicket, epoch: dt.datetime) -> Waiting:
    """The rule's view of a ticket: its place in line is its virtual time (`queued_at`,
    fixed at issue and kept by transfers), so the rule is applied with no further head
    start; an appointment keeps its time."""
    appointment_at = None
    if ticket.appointment_id and ticket.priority == Priority.APPOINTMENT:
        appointment_at = (ticket.appointment.scheduled_at - epoch).total_seconds()
    return Waiting(
        ticket=str(ticket.pk),
        service=ticket.service.prefix,
        priority=ticket.priority,
        issued_at=(ticket.queued_at - epoch).total_seconds(),
        appointment_at=appointment_at,
    )


def _policy_for_virtual(settings: QueueSettings) -> Policy:
    """The branch's rule with the head starts already folded into `queued_at`."""
    policy = policy_of(settings)
    return Policy(
        head_start={},
        appointment_early=policy.appointment_early,
        appointment_late=policy.appointment_late,
        by_preference=policy.by_preference,
    )


def current_ticket(counter: Counter) -> QueueTicket | None:
    """The number the counter is calling or serving (`live.current_tickets` for many)."""
    return (
        QueueTicket.objects.filter(counter=counter, status__in=[S.CALLED, S.SERVING])
        .select_related("service")
        .first()
    )


def ticket_by_token(token: str) -> QueueTicket:
    """The number behind a customer's status link; ValidationError when there is none."""
    ticket = (
        QueueTicket.objects.select_related("branch", "service", "counter")
        .filter(digest=QueueTicket.digest_of(token or ""))
        .first()
    )
    if ticket is None:
        raise ValidationError(_("This number is not known."), code="unknown")
    return ticket
