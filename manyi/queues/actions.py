"""Every change to a branch's queue goes through these functions: one transaction, the
permission check, an audit entry and the ticket's event (the board's feed).

Who is called next is decided by `manyi.analytics.queue_policy` (the branch's fairness
rules); a counter claims a ticket with a conditional update, so two counters pressing
"next" at the same moment never call the same customer. What the queue reads (the rules,
the set-up, the line, a number by its token) is in `config.py`; only changes are here.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.core import clock
from manyi.core.events import emit
from manyi.core.versioning import apply_changes
from manyi.customers.models import Customer
from manyi.customers.timeline import append as timeline_append
from manyi.org import audit
from manyi.org.actors import Actor, DeviceActor, is_non_person
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import require_branch, staff_of

from . import config
from .auditing import AuditAction
from .events import QueueTicketServed
from .models import (
    Appointment,
    Counter,
    CounterService,
    NumberSeries,
    Priority,
    QueueEvent,
    QueueSettings,
    QueueTicket,
    ServiceType,
    StaffSession,
)

S = QueueTicket.Status
K = QueueEvent.Kind


class QueueRefused(ValidationError):
    """A step the ticket's or counter's state does not allow (the API answers 409)."""


# -- settings ---------------------------------------------------------------------------------
def ensure_settings(branch: Branch) -> QueueSettings:
    """The branch's stored rules, made with the defaults (and fresh device keys) on first
    use: for the pages that need a stored row (the device addresses, a versioned edit).
    Reading the rules never writes: `config.settings_for`."""
    found = QueueSettings.objects.filter(branch=branch).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return QueueSettings.objects.create(
                branch=branch,
                kiosk_key=secrets.token_urlsafe(16),
                board_key=secrets.token_urlsafe(16),
                door_key=secrets.token_urlsafe(16),
            )
    except IntegrityError:  # made at the same moment by another request
        return QueueSettings.objects.get(branch=branch)


def save_settings(
    actor: Any, branch: Branch, *, seen: int | None = None, **fields: Any
) -> QueueSettings:
    """Change the rules given, and only those; one someone else changed after version
    `seen` (the page the manager edited) is refused rather than overwritten."""
    require_permission(actor, "queues.manage")
    require_branch(actor, branch.pk)
    settings_pk = ensure_settings(branch).pk
    with transaction.atomic():
        settings = QueueSettings.objects.select_for_update().get(pk=settings_pk)
        before = {name: getattr(settings, name) for name in fields}
        changed = apply_changes(settings, fields, seen=seen)
        settings.full_clean()
        if changed:
            settings.save(update_fields=changed)
            names = [name for name in changed if name in fields]
            audit.record(
                actor,
                AuditAction.SETTINGS,
                settings,
                before={name: before[name] for name in names},
                after={name: getattr(settings, name) for name in names},
            )
    return settings


# -- the branch's set-up: service types and counters ------------------------------------------
PREFIX_RE = re.compile(r"^[A-Z]{1,2}$")


def save_service_type(
    actor: Any,
    branch: Branch,
    *,
    service: ServiceType | None = None,
    prefix: str,
    name: str,
    name_en: str = "",
    description: str = "",
    position: int = 0,
    active: bool = True,
    seen: int | None = None,
) -> ServiceType:
    """A new kind of business (with its own number series) or a change to one. A business
    customers are still waiting for is not retired: they are served or transferred first.
    `seen`: the version the row was edited from; a value someone else changed since is
    refused rather than overwritten (the row is posted whole, so even one the manager left
    as shown)."""
    require_permission(actor, "queues.manage")
    require_branch(actor, branch.pk)
    prefix = prefix.strip().upper()
    if not PREFIX_RE.match(prefix):
        raise ValidationError(_("The number prefix is one or two letters, such as A or VA."))
    if not name.strip():
        raise ValidationError(_("Give the business a name."))
    clash = ServiceType.objects.filter(branch=branch, prefix=prefix)
    if service is not None:
        if service.branch_id != branch.pk:
            raise ValidationError(_("This service is not offered at this branch."))
        clash = clash.exclude(pk=service.pk)
    if clash.exists():
        raise ValidationError(_("Prefix %(p)s is already used at this branch.") % {"p": prefix})
    if service is not None and service.active and not active:
        waiting = QueueTicket.objects.filter(
            service=service, status__in=(S.WAITING, S.PARKED)
        ).count()
        if waiting:
            raise QueueRefused(
                _(
                    "%(n)d customers still wait for %(name)s: serve or transfer them before "
                    "retiring it."
                )
                % {"n": waiting, "name": service.name},
                code="still_waiting",
            )
    fields = {
        "prefix": prefix,
        "name": name.strip(),
        "name_en": name_en.strip(),
        "description": description.strip(),
        "position": position,
        "active": active,
    }
    with transaction.atomic():
        if service is None:
            before = None
            service = ServiceType(branch=branch, **fields)
            service.full_clean()
            service.save()
        else:
            service = ServiceType.objects.select_for_update().get(pk=service.pk)
            before = {k: getattr(service, k) for k in fields}
            changed = apply_changes(service, fields, seen=seen)
            service.full_clean()
            if not changed:
                return service
            service.save(update_fields=changed)
        audit.record(actor, AuditAction.SERVICE_SAVE, service, before=before, after=fields)
    return service


def _check_nobody_stranded(counter: Counter, keeps: list[ServiceType]) -> None:
    """A counter that stops serving a business must not leave its waiting customers with
    no counter at all."""
    dropped = {cs.service_id for cs in counter.profile.all()} - {s.pk for s in keeps}
    if not counter.active or not dropped:
        return
    still_served = set(
        CounterService.objects.filter(
            counter__branch_id=counter.branch_id, counter__active=True, service_id__in=dropped
        )
        .exclude(counter=counter)
        .values_list("service_id", flat=True)
    )
    stranded = (
        QueueTicket.objects.filter(
            service_id__in=dropped - still_served, status__in=(S.WAITING, S.PARKED)
        )
        .values_list("service__name", flat=True)
        .first()
    )
    if stranded is not None:
        raise QueueRefused(
            _(
                "Customers still wait for %(name)s and no other counter serves it: serve or "
                "transfer them first."
            )
            % {"name": stranded},
            code="still_waiting",
        )


def save_counter(
    actor: Any,
    branch: Branch,
    *,
    counter: Counter | None = None,
    number: int,
    name: str = "",
    active: bool = True,
    services: list[ServiceType],
    seen: int | None = None,
) -> Counter:
    """A counter and the businesses it serves, most preferred first (it calls the first
    one's numbers before the second's). An open counter is closed before it is retired."""
    require_permission(actor, "queues.manage")
    require_branch(actor, branch.pk)
    if number < 1:
        raise ValidationError(_("Counter numbers start at 1."))
    if any(s.branch_id != branch.pk for s in services):
        raise ValidationError(_("This service is not offered at this branch."))
    if len({s.pk for s in services}) != len(services):
        raise ValidationError(_("Each business comes once in a counter's order."))
    if active and not services:
        raise ValidationError(_("Choose at least one business the counter serves."))
    clash = Counter.objects.filter(branch=branch, number=number)
    if counter is not None:
        if counter.branch_id != branch.pk:
            raise ValidationError(_("This counter is not at this branch."))
        clash = clash.exclude(pk=counter.pk)
    if clash.exists():
        raise ValidationError(_("Counter %(n)d already exists at this branch.") % {"n": number})
    if (
        counter is not None
        and counter.active
        and not active
        and StaffSession.objects.filter(counter=counter, ended_at__isnull=True).exists()
    ):
        raise QueueRefused(
            _("Counter %(n)d is open: close it before retiring it.") % {"n": counter.number},
            code="open",
        )
    if counter is not None:
        _check_nobody_stranded(counter, services if active else [])
    before = None
    if counter is not None:
        before = {
            "number": counter.number,
            "name": counter.name,
            "active": counter.active,
            "services": [s.prefix for s in counter.services_in_order()],
        }
    after = {
        "number": number,
        "name": name.strip(),
        "active": active,
        "services": [s.prefix for s in services],
    }
    with transaction.atomic():
        if counter is None:
            counter = Counter(branch=branch, number=number, name=name.strip(), active=active)
            counter.full_clean()
            counter.save()
        else:
            counter = Counter.objects.select_for_update().get(pk=counter.pk)
            reordered = before is not None and before["services"] != after["services"]
            changed = apply_changes(
                counter,
                {"number": number, "name": name.strip(), "active": active},
                seen=seen,
                also=["services"] if reordered else [],
            )
            counter.full_clean()
            if not changed:
                return counter
            counter.save(update_fields=changed)
        wanted = {s.pk: preference for preference, s in enumerate(services, start=1)}
        for row in list(CounterService.objects.filter(counter=counter)):
            if row.service_id not in wanted:
                row.delete()
            elif row.preference != wanted[row.service_id]:
                row.preference = wanted.pop(row.service_id)
                row.save(update_fields=["preference"])
            else:
                wanted.pop(row.service_id)
        for service_id, preference in wanted.items():
            CounterService.objects.create(
                counter=counter, service_id=service_id, preference=preference
            )
        audit.record(actor, AuditAction.COUNTER_SAVE, counter, before=before, after=after)
    return counter


def _actor_name(actor: Actor, channel: str, branch: Branch) -> Actor:
    """The audit trail's actor: the person, or the branch's device."""
    if getattr(actor, "is_authenticated", False) or is_non_person(actor):
        return actor
    return DeviceActor(channel, branch.code)


def _event(
    ticket: QueueTicket,
    kind: str,
    at: dt.datetime,
    *,
    counter: Counter | None = None,
    staff: Any = None,
    **detail: Any,
) -> QueueEvent:
    return QueueEvent.objects.create(
        branch_id=ticket.branch_id,
        ticket=ticket,
        kind=kind,
        at=at,
        counter=counter,
        staff=staff,
        detail=detail,
    )


# -- taking a number ----------------------------------------------------------------------------
def _next_number(service: ServiceType, day: dt.date) -> str:
    """The service's next number today, taken in one statement (an upsert that returns the
    counter), so two kiosks at the same moment never print the same number. The statement
    takes no number for a business retired since this process read its set-up."""
    table, services = NumberSeries._meta.db_table, ServiceType._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (service_id, day, last) SELECT %s, %s, 1 "
            f"WHERE EXISTS (SELECT 1 FROM {services} WHERE id = %s AND active) "
            f"ON CONFLICT (service_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [service.pk, day, service.pk],  # (a date object: typed as a date on PostgreSQL)
        )
        row = cursor.fetchone()
    if row is None:
        raise ValidationError(_("This service is not offered at this branch."))
    return f"{service.prefix}{row[0]:03d}"


def _check_open(branch: Branch, at: dt.datetime) -> None:
    from manyi.businesstime.services import calendar_for_branch

    calendar = calendar_for_branch(branch)
    if not calendar.is_open(at):
        opens = timezone.localtime(calendar.next_open(at))
        raise QueueRefused(
            _("The branch is closed now; it opens again at %(when)s.")
            % {"when": opens.strftime("%Y-%m-%d %H:%M")},
            code="closed",
        )


def take_number(
    actor: Any,
    branch: Branch,
    service: ServiceType,
    *,
    channel: str = QueueTicket.Channel.KIOSK,
    priority: str = Priority.ORDINARY,
    customer: Customer | None = None,
    phone: str = "",
    appointment: Appointment | None = None,
) -> tuple[QueueTicket, str]:
    """A number for `service`; the token of the customer's status page is returned once.
    Staff may give any priority; a kiosk or phone gives VIP only to a customer whose tier
    says so, and elderly or disabled on the customer's word (staff can see it)."""
    staff_channel = channel in (QueueTicket.Channel.STAFF, QueueTicket.Channel.API)
    if staff_channel:
        require_permission(actor, "queues.serve")
        require_branch(actor, branch.pk)
    if service.branch_id != branch.pk or not service.active:
        raise ValidationError(_("This service is not offered at this branch."))
    if priority not in Priority.values:
        raise ValidationError(_("Unknown priority %(p)s.") % {"p": priority})
    if priority == Priority.APPOINTMENT and appointment is None:
        raise ValidationError(_("An appointment number is checked in with its code."))
    if (
        priority == Priority.VIP
        and not staff_channel
        and (customer is None or customer.tier not in ("vip", "key"))
    ):
        raise ValidationError(_("VIP numbers are for customers whose card says so."))
    if not config.is_served(branch.pk, service.prefix) and not config.is_served(
        branch.pk,
        service.prefix,
        fresh=True,  # set up a moment ago in another process?
    ):
        raise ValidationError(_("No counter serves this business here."))
    now = clock.now()
    _check_open(branch, now)
    policy = config.policy_for(branch)
    from .estimates import at_issue, remember_told  # (loaded on first use: numpy, SciPy)

    # Told on the kiosk and kept with the ticket: computed before the ticket is written, so
    # the number costs one write and one commit.
    estimate = at_issue(
        branch,
        service.prefix,
        priority,
        now,
        policy,
        appointment_at=appointment.scheduled_at if appointment is not None else None,
    )
    token = secrets.token_urlsafe(16)
    with transaction.atomic():
        day = timezone.localtime(now).date()
        ticket = QueueTicket.objects.create(
            branch=branch,
            service=service,
            number=_next_number(service, day),
            day=day,
            priority=priority,
            channel=channel,
            customer=customer,
            appointment=appointment,
            phone=phone[:32],
            issued_at=now,
            queued_at=now - dt.timedelta(seconds=policy.head_start_of(priority)),
            digest=QueueTicket.digest_of(token),
            **estimate.fields(),
        )
        _event(ticket, K.ISSUED, now, priority=priority, channel=channel)
        audit.record(
            _actor_name(actor, channel, branch),
            AuditAction.TICKET_ISSUE,
            ticket,
            after={"number": ticket.number, "service": service.prefix, "priority": priority},
        )
        if customer is not None:
            timeline_append(
                customer.pk,
                now,
                "queue",
                _("Number %(number)s taken at %(branch)s")
                % {
                    "number": ticket.number,
                    "branch": branch.name,
                },
                detail={"ticket": ticket.pk, "service": service.name},
                source=f"queue:{ticket.pk}",
            )
    transaction.on_commit(lambda: remember_told(ticket.pk, estimate))
    ticket.estimate = estimate
    return ticket, token


# -- appointments ------------------------------------------------------------------------------
def book_appointment(
    actor: Any,
    branch: Branch,
    service: ServiceType,
    scheduled_at: dt.datetime,
    *,
    customer: Customer | None = None,
    name: str = "",
    phone: str = "",
) -> Appointment:
    require_permission(actor, "queues.serve")
    require_branch(actor, branch.pk)
    if service.branch_id != branch.pk:
        raise ValidationError(_("This service is not offered at this branch."))
    if scheduled_at < clock.now():
        raise ValidationError(_("An appointment must be in the future."))
    from manyi.businesstime.services import calendar_for_branch

    if not calendar_for_branch(branch).is_open(scheduled_at):
        raise ValidationError(_("The branch is not open at that time."))
    with transaction.atomic():
        for _attempt in range(5):
            code = f"{secrets.randbelow(10**6):06d}"
            if not Appointment.objects.filter(branch=branch, code=code).exists():
                break
        appointment = Appointment.objects.create(
            branch=branch,
            service=service,
            customer=customer,
            name=name or (customer.name if customer else ""),
            phone=phone,
            code=code,
            scheduled_at=scheduled_at,
        )
        audit.record(
            actor,
            AuditAction.APPOINTMENT_BOOK,
            appointment,
            after={"code": code, "at": scheduled_at.isoformat(), "service": service.prefix},
        )
    return appointment


def check_in(actor: Any, branch: Branch, code: str) -> tuple[QueueTicket, str]:
    """An appointment's customer arrives: a number with the appointment's place (first
    within its window, a walk-in when late)."""
    appointment = (
        Appointment.objects.select_related("service", "customer")
        .filter(branch=branch, code=(code or "").strip())
        .first()
    )
    if appointment is None:
        raise ValidationError(_("No appointment with this code at this branch."))
    if appointment.state != Appointment.State.BOOKED:
        raise QueueRefused(
            _("This appointment is %(state)s.") % {"state": appointment.get_state_display()},
            code="state",
        )
    if timezone.localtime(appointment.scheduled_at).date() != timezone.localdate(clock.now()):
        raise QueueRefused(_("This appointment is for another day."), code="day")
    ticket, token = take_number(
        actor,
        branch,
        appointment.service,
        channel=QueueTicket.Channel.KIOSK
        if not getattr(actor, "is_authenticated", False)
        else QueueTicket.Channel.STAFF,
        priority=Priority.APPOINTMENT,
        customer=appointment.customer,
        phone=appointment.phone,
        appointment=appointment,
    )
    Appointment.objects.filter(pk=appointment.pk).update(state=Appointment.State.CHECKED_IN)
    return ticket, token


# -- the counter --------------------------------------------------------------------------------
def open_counter(actor: Any, counter: Counter) -> StaffSession:
    """The person signs in at the counter (and out of any other)."""
    require_permission(actor, "queues.serve")
    require_branch(actor, counter.branch_id)
    staff = staff_of(actor)
    if staff is None:
        raise ValidationError(_("Only staff can sign in at a counter."))
    now = clock.now()
    with transaction.atomic():
        StaffSession.objects.filter(staff=staff, ended_at__isnull=True).update(ended_at=now)
        current = StaffSession.objects.filter(counter=counter, ended_at__isnull=True).first()
        if current is not None:
            raise QueueRefused(
                _("%(name)s is signed in at this counter.") % {"name": current.staff.name},
                code="taken",
            )
        session = StaffSession.objects.create(counter=counter, staff=staff, started_at=now)
        audit.record(actor, AuditAction.COUNTER_OPEN, counter, branch_id=counter.branch_id)
    return session


def close_counter(actor: Any, counter: Counter) -> None:
    session = _session(actor, counter)
    if config.current_ticket(counter) is not None:
        raise QueueRefused(
            _("Finish, transfer or set aside the current number first."), code="busy"
        )
    with transaction.atomic():
        StaffSession.objects.filter(pk=session.pk).update(ended_at=clock.now())
        audit.record(actor, AuditAction.COUNTER_CLOSE, counter, branch_id=counter.branch_id)


def _session(actor: Any, counter: Counter) -> StaffSession:
    require_permission(actor, "queues.serve")
    require_branch(actor, counter.branch_id)
    staff = staff_of(actor)
    session = StaffSession.objects.filter(
        counter=counter, staff=staff, ended_at__isnull=True
    ).first()
    if session is None:
        raise QueueRefused(_("Sign in at this counter first."), code="not_signed_in")
    return session


def call_next(actor: Any, counter: Counter) -> QueueTicket | None:
    """Call the next customer for this counter (None when nobody waits for its services)."""
    session = _session(actor, counter)
    if config.current_ticket(counter) is not None:
        raise QueueRefused(_("Finish, transfer or mark the current number first."), code="busy")
    now = clock.now()
    for candidate in config.line_for(counter, now)[:20]:
        with transaction.atomic():
            claimed = QueueTicket.objects.filter(pk=candidate.pk, status=S.WAITING).update(
                status=S.CALLED,
                called_at=now,
                calls=1,
                counter=counter,
                staff=session.staff,
            )
            if not claimed:
                continue  # another counter called this one a moment ago
            candidate.refresh_from_db()
            _event(candidate, K.CALLED, now, counter=counter, staff=session.staff)
            audit.record(
                actor, AuditAction.TICKET_CALL, candidate, after={"counter": counter.number}
            )
            return candidate
    return None


def _require(ticket: QueueTicket | None, *allowed: str) -> QueueTicket:
    if ticket is None:
        raise QueueRefused(_("No number is being handled at this counter."), code="none")
    if ticket.status not in allowed:
        raise QueueRefused(
            _("Number %(number)s is %(status)s: this step does not apply.")
            % {"number": ticket.number, "status": ticket.get_status_display()},
            code="state",
        )
    return ticket


def _step(
    actor: Any,
    ticket: QueueTicket,
    kind: str,
    changes: dict[str, Any],
    *,
    at: dt.datetime,
    counter: Counter | None = None,
    staff: Any = None,
    note: str = "",
    **detail: Any,
) -> QueueTicket:
    """One step of a number: its row, its event on the feed and its audit entry, together."""
    with transaction.atomic():
        QueueTicket.objects.filter(pk=ticket.pk).update(**changes)
        ticket.refresh_from_db()
        if kind == K.RECALLED or kind == K.NO_SHOW:
            detail["calls"] = ticket.calls
        if note:
            detail["note"] = note[:200]
        _event(ticket, kind, at, counter=counter, staff=staff, **detail)
        audit.record(
            actor,
            AuditAction(f"queues.ticket.{kind}"),
            ticket,
            after=detail or None,
            note=note[:200],
        )
    return ticket


def recall(actor: Any, counter: Counter) -> QueueTicket:
    session = _session(actor, counter)
    ticket = _require(config.current_ticket(counter), S.CALLED)
    limit = config.settings_for(counter.branch).recall_limit
    if ticket.calls >= limit:
        raise QueueRefused(
            _("Number %(number)s has been called %(n)d times: mark it as not come.")
            % {"number": ticket.number, "n": ticket.calls},
            code="recall_limit",
        )
    return _step(
        actor,
        ticket,
        K.RECALLED,
        {"calls": F("calls") + 1},
        at=clock.now(),
        counter=counter,
        staff=session.staff,
    )


def start(actor: Any, counter: Counter) -> QueueTicket:
    session = _session(actor, counter)
    ticket = _require(config.current_ticket(counter), S.CALLED)
    now = clock.now()
    return _step(
        actor,
        ticket,
        K.STARTED,
        {"status": S.SERVING, "started_at": now},
        at=now,
        counter=counter,
        staff=session.staff,
    )


def finish(actor: Any, counter: Counter, *, note: str = "") -> QueueTicket:
    session = _session(actor, counter)
    ticket = _require(config.current_ticket(counter), S.CALLED, S.SERVING)
    now = clock.now()
    started = ticket.started_at or now
    with transaction.atomic():
        ticket = _step(
            actor,
            ticket,
            K.FINISHED,
            {"status": S.DONE, "started_at": started, "finished_at": now},
            at=now,
            counter=counter,
            staff=session.staff,
            note=note,
        )
        waited = (ticket.called_at - ticket.issued_at).total_seconds()
        served = (now - started).total_seconds()
        if ticket.customer_id:
            timeline_append(
                ticket.customer_id,
                now,
                "queue",
                _("Served at counter %(counter)s (%(service)s), waited %(minutes)d min")
                % {
                    "counter": counter.number,
                    "service": ticket.service.name,
                    "minutes": round(waited / 60),
                },
                detail={"ticket": ticket.pk, "waited_s": waited, "served_s": served},
                source=f"queue:{ticket.pk}:served",
            )
        emit(
            QueueTicketServed(
                ticket_id=ticket.pk,
                branch_id=ticket.branch_id,
                customer_id=ticket.customer_id,
                staff_id=session.staff_id,
                service=ticket.service.prefix,
                waited_s=waited,
                served_s=served,
            ),
            actor=actor,
        )
    return ticket


def no_show(actor: Any, counter: Counter) -> QueueTicket:
    session = _session(actor, counter)
    ticket = _require(config.current_ticket(counter), S.CALLED)
    now = clock.now()
    return _step(
        actor,
        ticket,
        K.NO_SHOW,
        {"status": S.NO_SHOW, "finished_at": now},
        at=now,
        counter=counter,
        staff=session.staff,
    )


def transfer(actor: Any, counter: Counter, to: ServiceType, *, note: str = "") -> QueueTicket:
    """Send the customer to another service, keeping their place: the ticket goes back in
    line with the time it was first queued, ahead of everyone who came later."""
    session = _session(actor, counter)
    ticket = _require(config.current_ticket(counter), S.CALLED, S.SERVING)
    if to.branch_id != counter.branch_id or not to.active:
        raise ValidationError(_("This service is not offered at this branch."))
    if to.pk == ticket.service_id:
        raise ValidationError(_("The number is already in this service's line."))
    changes = {
        "status": S.WAITING,
        "transferred_from": ticket.service_id,
        "service": to,
        "counter": None,
        "staff": None,
        "calls": 0,
    }
    return _step(
        actor,
        ticket,
        K.TRANSFERRED,
        changes,
        at=clock.now(),
        counter=counter,
        staff=session.staff,
        note=note,
        to=to.prefix,
    )


def park(actor: Any, counter: Counter, *, note: str = "") -> QueueTicket:
    """Set the customer aside (fetching a document, filling a form); they come back to
    their place with `resume`."""
    session = _session(actor, counter)
    ticket = _require(config.current_ticket(counter), S.CALLED, S.SERVING)
    return _step(
        actor,
        ticket,
        K.PARKED,
        {"status": S.PARKED, "counter": None},
        at=clock.now(),
        counter=counter,
        staff=session.staff,
        note=note,
    )


def resume(actor: Any, ticket: QueueTicket) -> QueueTicket:
    require_permission(actor, "queues.serve")
    require_branch(actor, ticket.branch_id)
    if ticket.status != S.PARKED:
        raise QueueRefused(_("Only a number set aside can come back in line."), code="state")
    return _step(actor, ticket, K.RESUMED, {"status": S.WAITING, "calls": 0}, at=clock.now())


_STEPS: dict[str, Any] = {
    "open": lambda actor, counter, note: open_counter(actor, counter),
    "close": lambda actor, counter, note: close_counter(actor, counter),
    "next": lambda actor, counter, note: call_next(actor, counter),
    "recall": lambda actor, counter, note: recall(actor, counter),
    "start": lambda actor, counter, note: start(actor, counter),
    "finish": lambda actor, counter, note: finish(actor, counter, note=note),
    "no_show": lambda actor, counter, note: no_show(actor, counter),
    "park": lambda actor, counter, note: park(actor, counter, note=note),
}
COUNTER_STEPS = (*_STEPS, "transfer")  # the console's keys and the API's actions


def counter_step(
    actor: Any, counter: Counter, step: str, *, to: str = "", note: str = ""
) -> QueueTicket | StaffSession | None:
    """One of the counter's steps by name (`COUNTER_STEPS`); callers check the name."""
    if step == "transfer":
        service = ServiceType.objects.filter(branch=counter.branch, prefix=to).first()
        if service is None:
            raise ValidationError(_("Choose the business to transfer to."))
        return transfer(actor, counter, service, note=note)
    return _STEPS[step](actor, counter, note)


def leave(token: str) -> QueueTicket:
    """The customer says on their phone that they are not waiting any more."""
    ticket = config.ticket_by_token(token)
    if ticket.status != S.WAITING:
        raise QueueRefused(_("This number is no longer waiting."), code="state")
    now = clock.now()
    with transaction.atomic():
        updated = QueueTicket.objects.filter(pk=ticket.pk, status=S.WAITING).update(
            status=S.ABANDONED, finished_at=now
        )
        if not updated:
            raise QueueRefused(_("This number is no longer waiting."), code="state")
        ticket.refresh_from_db()
        _event(ticket, K.ABANDONED, now, by="customer")
        audit.record(DeviceActor("customer", ticket.number), AuditAction.TICKET_LEAVE, ticket)
    return ticket


# -- housekeeping -------------------------------------------------------------------------------
def close_the_day(now: dt.datetime | None = None) -> int:
    """Numbers still open from an earlier day are closed as left; appointments whose window
    has passed without a check-in are marked as not come."""
    now = now or clock.now()
    today = timezone.localdate(now)
    closed = 0
    for ticket in QueueTicket.objects.filter(day__lt=today, status__in=QueueTicket.OPEN):
        with transaction.atomic():
            QueueTicket.objects.filter(pk=ticket.pk).update(status=S.ABANDONED, finished_at=now)
            _event(ticket, K.ABANDONED, now, by="day closed")
        closed += 1
    missed = Appointment.objects.filter(
        state=Appointment.State.BOOKED, scheduled_at__lt=now - dt.timedelta(hours=1)
    )
    late_by_branch: dict[int, int] = {}  # one settings read per branch, not per appointment
    for appointment in missed.select_related("branch"):
        if appointment.branch_id not in late_by_branch:
            late_by_branch[appointment.branch_id] = config.settings_for(
                appointment.branch
            ).appointment_late_s
        late = late_by_branch[appointment.branch_id]
        if appointment.scheduled_at + dt.timedelta(seconds=late) < now:
            Appointment.objects.filter(pk=appointment.pk).update(state=Appointment.State.NO_SHOW)
    return closed
