"""Contacts and complaints as tickets, following seed 003's seven-step procedure.

A ticket moves through an explicit state machine (see `workflow.py`); everything that
happens to it (notes, contact attempts, proposals, approvals, the customer's agreement,
execution orders, follow-ups, promises) is a row of its own, so the history is complete
and every figure (first-contact resolution, promises kept, SLA breaches) is computed
from facts rather than from a status field.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.core.models import Versioned
from manyi.customers.models import Customer
from manyi.org.models import Branch, Department, Staff
from manyi.org.roles import Role
from manyi.org.scoping import ScopedQuerySet


class ReasonCode(Versioned):
    """The root cause of a contact (seed 004 "源头锁定"), as a configurable tree."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent reason"),
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def path(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    COUNTER = "counter", _("Counter")
    VISIT = "visit", _("Visit")
    WEB = "web", _("Web form")
    EMAIL = "email", _("E-mail")
    SOCIAL = "social", _("Social media")
    SURVEY = "survey", _("Survey")


class TicketType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    ENQUIRY = "enquiry", _("Enquiry")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ASSIGNED = "assigned", _("Assigned")
    INVESTIGATING = "investigating", _("Investigating")
    PROPOSED = "proposed", _("Proposed")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    AGREED = "agreed", _("Agreed by the customer")
    EXECUTING = "executing", _("Executing")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


class ClosingOutcome(models.TextChoices):
    """How a ticket ended. Only a satisfied customer (or an enquiry answered) is resolved;
    the others are closed honestly and reported apart (seed 003: say NO with reasons)."""

    RESOLVED = "resolved", _("Resolved, the customer is satisfied")
    DECLINED = "declined", _("Declined with reasons")
    UNREACHABLE = "unreachable", _("The customer could not be reached")
    MERGED = "merged", _("Merged into another ticket")


class SLAPolicy(Versioned):
    """Targets in business hours for a ticket type and priority (blank = any)."""

    name = models.CharField(_("name"), max_length=100)
    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    same_day_reply = models.BooleanField(
        _("reply the same business day"),
        default=True,
        help_text=_("Seed 003: best give the customer an answer the same day."),
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def specificity(self) -> int:
        return bool(self.ticket_type) + bool(self.priority)


class ApprovalRule(Versioned):
    """Who may approve how much (CNY) and how severe a case ("层次高一点").

    A proposal needs the approval of every level whose rule it exceeds the level below:
    the lowest role whose limit covers the total and whose severity covers the case
    approves; with `two_step`, the level below must approve first."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("Higher ranks approve more."))
    max_amount = models.DecimalField(
        _("up to amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: no limit."),
    )
    max_severity = models.PositiveSmallIntegerField(_("up to severity"), default=4)
    two_step = models.BooleanField(
        _("needs the level below first"),
        default=False,
    )

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ≤ {self.max_amount or '∞'}"

    def covers(self, amount: Decimal, severity: int) -> bool:
        return (self.max_amount is None or amount <= self.max_amount) and severity <= (
            self.max_severity
        )


class Ticket(Versioned):
    class Fault(models.TextChoices):
        UNKNOWN = "", _("Not yet known")
        YES = "yes", _("Yes")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")

    class Relationship(models.TextChoices):
        # Seed 003 "互相协商": how much the long-term relationship and word of mouth weigh.
        A = "A", _("A: key customer, relationship at stake")
        B = "B", _("B: valuable customer")
        C = "C", _("C: ordinary customer")
        D = "D", _("D: occasional customer")
        E = "E", _("E: unreasonable demand")

    number = models.CharField(_("number"), max_length=20, unique=True)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    ticket_type = models.CharField(
        _("type"), max_length=20, choices=TicketType.choices, default=TicketType.COMPLAINT
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    reason = models.ForeignKey(
        ReasonCode, verbose_name=_("reason"), on_delete=models.PROTECT, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Registration form of seed 003 (投诉登记表): as told at the time of the contact.
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    recorder = models.ForeignKey(
        Staff, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    product = models.CharField(_("product"), max_length=200, blank=True)
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    batch_number = models.CharField(_("batch number"), max_length=100, blank=True)
    used_at = models.CharField(_("when used"), max_length=100, blank=True)
    symptoms = models.TextField(_("symptoms"), blank=True)
    previous_brand = models.CharField(_("brand used before"), max_length=100, blank=True)
    # Investigation and analysis (steps 2-3).
    assignee = models.ForeignKey(
        Staff,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    cause = models.TextField(_("cause"), blank=True)
    severity = models.PositiveSmallIntegerField(
        _("severity"), default=1, help_text=_("1 minor … 4 critical")
    )
    company_fault = models.CharField(
        _("company at fault"), max_length=10, choices=Fault.choices, blank=True
    )
    customer_demand = models.TextField(_("the customer's demand"), blank=True)
    relationship = models.CharField(
        _("relationship"), max_length=1, choices=Relationship.choices, blank=True
    )
    word_of_mouth_risk = models.PositiveSmallIntegerField(
        _("word-of-mouth risk"), default=1, help_text=_("1 low … 4 high")
    )
    # Time (business time of the branch's calendar).
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    reply_due = models.DateTimeField(_("reply due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(
        pgettext_lazy("ticket", "outcome"),
        max_length=12,
        choices=ClosingOutcome.choices,
        blank=True,
        db_index=True,
    )
    paused_at = models.DateTimeField(_("waiting for the customer since"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    reopened_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    repeat_cause = models.TextField(
        _("why the earlier contact did not solve it"),
        blank=True,
        help_text=_("For a repeat contact: what the first handling missed."),
    )
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The words of the ticket's text cut by jieba, for full-text search (see search.py).
    search_text = models.TextField(blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["branch", "status", "-created_at"]),
            models.Index(fields=["branch", "-created_at"], name="ticket_branch_newest"),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["customer", "reason", "-created_at"]),
            models.Index(fields=["status", "resolution_due"]),
            # The queues show open tickets, most urgent first; closed ones are the mass of a
            # year's history and stay out of these indexes.
            models.Index(
                fields=["branch", "resolution_due"],
                condition=~models.Q(status="closed"),
                name="ticket_open_by_branch",
            ),
            models.Index(
                fields=["assignee", "resolution_due"],
                condition=~models.Q(status="closed"),
                name="ticket_open_by_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def refresh_search_text(self) -> None:
        """The words of the ticket's own text, its analysis, and its notes, calls and
        attachments' names (what an agent remembers a case by)."""
        from manyi.analytics.text import search_document

        notes: list[str] = []
        if self.pk is not None:
            for text, file_name in self.activities.values_list("text", "file_name"):
                notes += [text, file_name]
        self.search_text = search_document(
            self.subject,
            self.description,
            self.symptoms,
            self.product,
            self.cause,
            self.customer_demand,
            self.repeat_cause,
            *notes,
        )

    def add_search_words(self, *texts: str) -> None:
        from manyi.analytics.text import search_document

        extra = search_document(*texts)
        if extra:
            self.search_text = f"{self.search_text} {extra}".strip()

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


class Activity(models.Model):
    """A note, a contact attempt or an attachment on a ticket (step 2)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Phone call")
        VISIT = "visit", _("Visit")
        ATTACHMENT = "attachment", _("Attachment")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        REACHED = "reached", _("Reached the customer")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        CALLBACK = "callback", _("Asked to call back")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    class Direction(models.TextChoices):
        # First-contact resolution counts the customer's contacts, not ours (reports.py).
        NONE = "", _("—")
        OUTBOUND = "outbound", _("We contacted the customer")
        INBOUND = "inbound", _("The customer contacted us")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    direction = models.CharField(
        _("who contacted whom"), max_length=10, choices=Direction.choices, blank=True
    )
    text = models.TextField(_("text"), blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    content = models.BinaryField(_("content"), blank=True, editable=False)
    author = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "ticket__branch"

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Proposal(models.Model):
    """A resolution proposal (step 4) with its remedies and the approvals it needs."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Kind(models.TextChoices):
        REMEDY = "remedy", _("A resolution with remedies")
        DECLINE = "decline", _("Declining the demand, with reasons")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(
        pgettext_lazy("proposal", "kind"), max_length=10, choices=Kind.choices, default=Kind.REMEDY
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    position = models.TextField(
        _("the company's position"),
        blank=True,
        help_text=_("For a decline: what we can and cannot do."),
    )
    reasons = models.TextField(_("the reasons explained to the customer"), blank=True)
    total = models.DecimalField(_("total (CNY)"), max_digits=12, decimal_places=2, default=0)
    required_roles = models.JSONField(_("approvals needed"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    proposed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "ticket__branch"

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["proposed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.total} ({self.get_state_display()})"


class Remedy(models.Model):
    class Kind(models.TextChoices):
        APOLOGY = "apology", _("Apology")
        DISCOUNT = "discount", _("Discount")
        GIFT = "gift", _("Gift")
        REPLACEMENT = "replacement", _("Replacement")
        REPAIR = "repair", _("Repair")
        REFUND = "refund", _("Refund")
        GOODS = "goods", _("Compensation in goods")
        MONEY = "money", _("Compensation in money")
        CARE_VISIT = "care_visit", _("Personal care visit")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="remedies")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2, default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("executed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("A department that must act: an execution order goes to it."),
    )

    class Meta:
        verbose_name = _("remedy")
        verbose_name_plural = _("remedies")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class Approval(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="approvals")
    role = models.CharField(_("as"), max_length=20, choices=Role.choices)
    approver = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField(_("approved"))
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.role}: {'✓' if self.approved else '✗'}"


class Agreement(models.Model):
    """The customer's agreement to the remedies (处理协议, step 5)."""

    class Method(models.TextChoices):
        SIGNATURE = "signature", _("Signature")
        SMS_CODE = "sms_code", _("SMS code")
        RECORDED_CALL = "recorded_call", _("Recorded call")
        IN_PERSON = "in_person", _("In person")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="agreements")
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="agreement")
    method = models.CharField(_("confirmed by"), max_length=15, choices=Method.choices)
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("SMS code, call id …")
    )
    signature = models.BinaryField(_("signature image"), blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.confirmed_at:%Y-%m-%d}"


class ExecutionOrder(models.Model):
    """A remedy another department carries out (step 6)."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="orders")
    remedy = models.OneToOneField(Remedy, on_delete=models.PROTECT, related_name="order")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "ticket__branch"

    class Meta:
        verbose_name = _("execution order")
        verbose_name_plural = _("execution orders")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_state_display()}"


class FollowUp(models.Model):
    """Asking the customer whether they are satisfied (step 7)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups")
    due_at = models.DateTimeField(_("due"))
    satisfied = models.BooleanField(_("satisfied"), null=True)
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.due_at:%Y-%m-%d}"


class Promise(models.Model):
    """What we told the customer (seed 001: promise 8 minutes, arrive in 5)."""

    class Kind(models.TextChoices):
        REPLY_BY = "reply_by", _("Reply by")
        FIXED_BY = "fixed_by", _("Fixed by")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="promises")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("promised for"))
    told_at = models.DateTimeField(_("told at"), default=timezone.now)
    kept_at = models.DateTimeField(_("kept at"), null=True, blank=True)
    told_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def kept(self) -> bool | None:
        """True when kept in time, False when broken, None while still open and not late."""
        if self.kept_at is not None:
            return self.kept_at <= self.due_at
        return False if timezone.now() > self.due_at else None


class AssignmentRule(Versioned):
    """Who gets new tickets: a pool of people (those with the skill) for a branch and/or a
    reason (with its sub-reasons), taken in turn or by the lightest open workload."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("In turn")
        LEAST_LOADED = "least_loaded", _("Fewest open tickets")

    name = models.CharField(_("name"), max_length=100)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, null=True, blank=True
    )
    reason = models.ForeignKey(
        ReasonCode, verbose_name=_("reason"), on_delete=models.CASCADE, null=True, blank=True
    )
    pool = models.ManyToManyField(Staff, verbose_name=_("people"), related_name="+")
    strategy = models.CharField(
        _("strategy"), max_length=15, choices=Strategy.choices, default=Strategy.LEAST_LOADED
    )
    last_assigned = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A queue filter an agent keeps (e.g. "my urgent complaints about cards")."""

    owner = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=500)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="uniq_saved_view_name")
        ]

    def __str__(self) -> str:
        return self.name


class CannedReply(Versioned):
    """A reply agents reuse; {客户} {工单编号} {网点} {处理人} {答复期限} {解决期限} are filled
    in from the ticket (English names work too: {customer} {number} {branch} {agent}
    {reply_due} {resolution_due})."""

    title = models.CharField(_("title"), max_length=100, unique=True)
    body = models.TextField(_("text"))
    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .replies import unknown_variables

        unknown = unknown_variables(self.body)
        if unknown:
            raise ValidationError(
                {"body": _("Unknown variables: %(names)s") % {"names": ", ".join(unknown)}}
            )


class Settings(Versioned):
    """Company-wide ticket settings (one row)."""

    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeat contact window (days)"), default=7
    )
    follow_up_after_minutes = models.PositiveIntegerField(
        _("follow-up after execution (business minutes)"), default=24 * 60
    )
    decline_role = models.CharField(
        _("declining a demand needs"),
        max_length=20,
        choices=Role.choices,
        default=Role.SUPERVISOR,
        help_text=_("The lowest level that may decide to decline a customer's demand."),
    )
    unreachable_attempts = models.PositiveSmallIntegerField(
        _("attempts before a customer counts as unreachable"), default=3
    )
    unreachable_business_days = models.PositiveSmallIntegerField(
        _("over at least (business days)"), default=2
    )
    breach_warning_minutes = models.PositiveIntegerField(
        _("warn before a deadline (business minutes)"),
        default=120,
        help_text=_(
            "Tickets due within this time are marked in the queues, and their owners told."
        ),
    )

    class Meta:
        verbose_name = _("ticket settings")
        verbose_name_plural = _("ticket settings")

    def __str__(self) -> str:
        return str(_("ticket settings"))

    @classmethod
    def current(cls) -> Settings:
        from .config import settings

        return settings()


class NumberSeries(models.Model):
    """The day's counter behind readable numbers such as TS-20261123-0042."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number series")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


__all__ = [
    "Activity",
    "Agreement",
    "Approval",
    "ApprovalRule",
    "Channel",
    "ExecutionOrder",
    "FollowUp",
    "Priority",
    "Promise",
    "Proposal",
    "ReasonCode",
    "Remedy",
    "SLAPolicy",
    "Settings",
    "Status",
    "Ticket",
    "TicketType",
]


class RegistrationKey(models.Model):
    """An `Idempotency-Key` a client sent with a registration: the same key from the same
    person gives back the ticket it made, so a retried request makes one ticket."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=100)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("registration key")
        verbose_name_plural = _("registration keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_registration_key")
        ]

    def __str__(self) -> str:
        return self.key
