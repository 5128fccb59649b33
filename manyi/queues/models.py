"""Branch queues: service types with number series, counters and the services they serve
in order of preference, staff sessions at counters, the branch's fairness rules, queue
tickets (walk-ins and checked-in appointments), appointments, and every step of a ticket
as an event (the board's feed, the statistics, the replay format)."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.core.models import Versioned
from manyi.customers.models import Customer
from manyi.org.models import Branch, Staff
from manyi.org.scoping import ScopedQuerySet


class Priority(models.TextChoices):
    APPOINTMENT = "appointment", _("Appointment")
    VIP = "vip", _("VIP")
    ELDERLY = "elderly", _("Elderly or disabled")
    ORDINARY = "ordinary", _("Ordinary")


class QueueSettings(Versioned):
    """A branch's queue rules: shown to staff, explained to customers, used by the counters,
    the wait estimate and the simulation alike (`manyi.analytics.queue_policy`)."""

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="queue_settings")
    vip_head_start_s = models.PositiveIntegerField(_("VIP head start (seconds)"), default=600)
    elderly_head_start_s = models.PositiveIntegerField(
        _("elderly or disabled head start (seconds)"), default=300
    )
    appointment_early_s = models.PositiveIntegerField(
        _("appointments served first from (seconds before their time)"), default=900
    )
    appointment_late_s = models.PositiveIntegerField(
        _("appointments served first until (seconds after their time)"), default=600
    )
    by_preference = models.BooleanField(
        _("counters take their services in order of preference"), default=True
    )
    remote_check_in = models.BooleanField(_("customers may take a number remotely"), default=False)
    recall_limit = models.PositiveSmallIntegerField(
        _("calls before a no-show"), default=3, help_text=_("The first call and the recalls.")
    )
    target_wait_minutes = models.PositiveSmallIntegerField(_("target wait (minutes)"), default=15)
    running_text = models.CharField(_("running text on the board"), max_length=300, blank=True)
    # Unguessable keys of the branch's devices: the kiosk, the board, the QR code at the door.
    kiosk_key = models.CharField(max_length=32, unique=True)
    board_key = models.CharField(max_length=32, unique=True)
    door_key = models.CharField(max_length=32, unique=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("queue settings")
        verbose_name_plural = _("queue settings")

    def __str__(self) -> str:
        return f"{self.branch.code} queue settings"


class ServiceType(Versioned):
    """A kind of business with its own number series (A001, B001...)."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="service_types")
    prefix = models.CharField(_("number prefix"), max_length=2)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("order on the kiosk"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["branch", "position", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "prefix"], name="one_prefix_per_branch")
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class Counter(Versioned):
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("counter number"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["branch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "number"], name="one_counter_number")
        ]

    def __str__(self) -> str:
        return self.name or f"{self.number}"

    def services_in_order(self) -> list[ServiceType]:
        return [cs.service for cs in self.profile.select_related("service").order_by("preference")]


class CounterService(models.Model):
    """A service a counter serves, and where it comes in the counter's preference."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="profile")
    service = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")
    preference = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["counter", "preference"]
        constraints = [
            models.UniqueConstraint(fields=["counter", "service"], name="one_service_per_counter")
        ]

    def __str__(self) -> str:
        return f"{self.counter_id}:{self.service_id}#{self.preference}"


class StaffSession(models.Model):
    """A member of staff signed in at a counter: the counter is open while a session is."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="sessions")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "counter__branch"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["counter"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_session_per_counter",
            ),
            models.UniqueConstraint(
                fields=["staff"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_session_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} @ {self.counter}"


class NumberSeries(models.Model):
    """The last number given per service and day (numbers start at 001 every morning)."""

    service = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "day"], name="one_series_a_day")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.day}: {self.last}"


class Appointment(models.Model):
    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        NO_SHOW = "no_show", _("Did not come")
        CANCELLED = "cancelled", _("Cancelled")

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="appointments")
    service = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True)
    code = models.CharField(_("appointment code"), max_length=8)
    scheduled_at = models.DateTimeField(_("appointment time"), db_index=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.BOOKED)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(fields=["branch", "code"], name="one_appointment_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.scheduled_at:%Y-%m-%d %H:%M}"


class QueueTicket(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", pgettext_lazy("queue", "Waiting")
        CALLED = "called", _("Called")
        SERVING = "serving", _("Being served")
        PARKED = "parked", _("Set aside")
        DONE = "done", _("Served")
        NO_SHOW = "no_show", _("Did not come")
        ABANDONED = "abandoned", _("Left")

    class Channel(models.TextChoices):
        KIOSK = "kiosk", _("Kiosk")
        MOBILE = "mobile", _("QR code at the door")
        REMOTE = "remote", _("Remote check-in")
        STAFF = "staff", _("Staff")
        API = "api", _("API")

    OPEN = (Status.WAITING, Status.CALLED, Status.SERVING, Status.PARKED)

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="queue_tickets")
    service = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="tickets")
    number = models.CharField(_("number"), max_length=8)
    day = models.DateField()
    priority = models.CharField(max_length=12, choices=Priority.choices, default=Priority.ORDINARY)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.KIOSK)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="queue_tickets"
    )
    appointment = models.OneToOneField(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="ticket"
    )
    phone = models.CharField(max_length=32, blank=True)  # for "your turn is near" messages
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    issued_at = models.DateTimeField(db_index=True)
    # The place in line: issue time less the class's head start when issued; a transfer
    # keeps it, a resumed ticket keeps it.
    queued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    calls = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counter = models.ForeignKey(
        Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    transferred_from = models.ForeignKey(
        ServiceType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The estimate told at issue (kept to measure how honest it was).
    estimate_s = models.PositiveIntegerField(null=True, blank=True)
    estimate_low_s = models.PositiveIntegerField(null=True, blank=True)
    estimate_high_s = models.PositiveIntegerField(null=True, blank=True)
    # the predicted quantiles behind it: later estimates of the day are calibrated on them
    estimate_grid = models.JSONField(default=list, blank=True)
    digest = models.CharField(max_length=64, unique=True)  # of the customer's status link

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        indexes = [
            models.Index(
                fields=["branch", "status"],
                condition=models.Q(status__in=["waiting", "called", "serving", "parked"]),
                name="queue_open_by_branch",
            ),
            models.Index(fields=["branch", "day"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["branch", "day", "number"], name="one_number_a_day")
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class QueueEvent(models.Model):
    """Every step of a ticket, in order: the board's live feed (by id), the statistics and
    the replay export."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Number taken")
        CALLED = "called", _("Called")
        RECALLED = "recalled", _("Called again")
        STARTED = "started", _("Service started")
        FINISHED = "finished", _("Served")
        TRANSFERRED = "transferred", _("Transferred")
        PARKED = "parked", _("Set aside")
        RESUMED = "resumed", _("Back in line")
        NO_SHOW = "no_show", _("Did not come")
        ABANDONED = "abandoned", _("Left")

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(QueueTicket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    counter = models.ForeignKey(
        Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        indexes = [models.Index(fields=["branch", "id"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"
