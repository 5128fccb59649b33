"""Questionnaires (versioned: answers keep the version they were given on), the links
respondents answer through, and their responses."""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.customers.models import Customer
from manyi.org.models import Branch, Staff
from manyi.org.scoping import ScopedQuerySet


class Questionnaire(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        Staff, verbose_name=_("created by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    # {question: highest answer that counts as low}; a rating question not named here is
    # low at 0-6 of 0-10 (a detractor) or in the bottom two points of a shorter scale.
    low_score_at_most = models.JSONField(_("low score thresholds"), default=dict, blank=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def current_version(self) -> QuestionnaireVersion | None:
        return self.versions.order_by("-number").first()


class QuestionnaireVersion(models.Model):
    """One fixed state of a questionnaire. Once answered it never changes: editing makes
    the next version."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    source_name = models.CharField(_("source file"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("questionnaire version")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="uniq_version")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} v{self.number}"


class Channel(models.TextChoices):
    WEB = "web", _("Web link")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    QR = "qr", _("QR code")
    PHONE = "phone", _("Phone interview")
    WIDGET = "widget", _("Feedback widget")
    PAPER = "paper", _("Comment card")


class SurveyLink(models.Model):
    """An unguessable link to a questionnaire, for one respondent (single use) or for
    many (a QR code on a counter). Only a digest of its token is stored."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="links")
    digest = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    campaign = models.ForeignKey(
        "Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    # The staff member whose service the answers rate (the ticket's owner, the counter clerk).
    agent = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    single_use = models.BooleanField(_("single use"), default=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    responses_count = models.PositiveIntegerField(default=0)
    draft = models.JSONField(default=dict, blank=True)  # answers saved to resume later
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("survey link")

    def __str__(self) -> str:
        return f"{self.questionnaire.code} {self.get_channel_display()}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class LinkAlias(models.Model):
    """A further token for the same link: a reminder carries a fresh token (the first one
    is not kept, only its digest), and the first SMS keeps working too."""

    link = models.ForeignKey(SurveyLink, on_delete=models.CASCADE, related_name="aliases")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"alias of {self.link_id}"


class Response(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="responses"
    )
    link = models.ForeignKey(
        SurveyLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    campaign = models.ForeignKey(
        "Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    agent = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tier = models.CharField(_("customer tier"), max_length=16, blank=True)  # when answered
    # What the respondent sent, and the values after the form's logic (skipped questions
    # emptied, calculations filled): analyses read `values`.
    answers = models.JSONField(_("answers"))
    values = models.JSONField(_("values"))
    submission_key = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=10, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["questionnaire", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} #{self.pk}"


class Campaign(models.Model):
    """Invitations to a questionnaire for a segment of customers, by SMS or e-mail, with
    reminders to those who have not answered and an optional quota per cell."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", pgettext_lazy("campaign state", "Running")
        CLOSED = "closed", pgettext_lazy("campaign state", "Closed")

    class QuotaBy(models.TextChoices):
        NONE = "", _("No quota")
        BRANCH = "branch", _("Branch")
        TIER = "tier", _("Customer tier")

    name = models.CharField(_("name"), max_length=200)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="campaigns"
    )
    segment = models.ForeignKey(
        "customers.Segment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[(Channel.SMS, Channel.SMS.label), (Channel.EMAIL, Channel.EMAIL.label)],
    )
    message = models.TextField(
        _("message"),
        help_text=_("{客户} is the customer's name, {链接} the survey link."),
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind non-responders after (days)"), null=True, blank=True
    )
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=1)
    quota_by = models.CharField(
        _("quota by"), max_length=10, choices=QuotaBy.choices, blank=True, default=""
    )
    quota_per_cell = models.PositiveIntegerField(_("responses per cell"), null=True, blank=True)
    divert_to = models.ForeignKey(
        Questionnaire,
        verbose_name=_("when a cell is full, divert to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: stop taking answers from that cell."),
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    expires_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # kept by `send_invitations`, so the campaign's page never counts a million invitations
    invited_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Sending failed")
        OPTED_OUT = "opted_out", _("Opted out")
        NO_ADDRESS = "no_address", _("No address")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    link = models.OneToOneField(
        SurveyLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    address = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="one_invitation")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.customer_id} ({self.status})"


class OptOut(models.Model):
    """A customer who asked for no more surveys (seed 004: respect the customer's wish)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.customer_id} opted out {self.at:%Y-%m-%d}"


class SurveyTrigger(models.Model):
    """Send a questionnaire after something happened to a customer, after a delay, at most
    once per customer per `once_per_days` (counting every survey invitation)."""

    class Event(models.TextChoices):
        TICKET_CLOSED = "ticket.closed", _("A complaint or contact is closed")
        PURCHASE = "customer.transaction_recorded", _("A purchase is recorded")
        VISIT_ENDED = "visit.ended", _("A customer visit ends")
        QUEUE_SERVED = "queue.served", _("A queue ticket is served")

    name = models.CharField(_("name"), max_length=200)
    event = models.CharField(_("when"), max_length=60, choices=Event.choices)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[(Channel.SMS, Channel.SMS.label), (Channel.EMAIL, Channel.EMAIL.label)],
    )
    message = models.TextField(_("message"))
    delay_minutes = models.PositiveIntegerField(_("delay (minutes)"), default=60)
    once_per_days = models.PositiveSmallIntegerField(_("at most once per (days)"), default=30)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey trigger")
        verbose_name_plural = _("survey triggers")

    def __str__(self) -> str:
        return self.name


class TriggeredInvitation(models.Model):
    """A survey due to go out because of an event; the periodic job sends it when due."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("survey invitation", "Waiting")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")

    trigger = models.ForeignKey(SurveyTrigger, on_delete=models.CASCADE, related_name="pending")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=100)  # e.g. "ticket.closed:42"
    due_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    link = models.ForeignKey(SurveyLink, on_delete=models.SET_NULL, null=True, blank=True)
    agent = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trigger", "source"], name="one_per_event")]

    def __str__(self) -> str:
        return f"{self.trigger} → {self.customer_id} ({self.state})"


class CallList(models.Model):
    """A sample of customers to interview by phone (CATI), drawn reproducibly."""

    name = models.CharField(_("name"), max_length=200)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    segment = models.ForeignKey(
        "customers.Segment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    size = models.PositiveIntegerField(_("sample size"))
    seed = models.PositiveBigIntegerField(_("random seed"))
    stratify_by = models.CharField(_("strata"), max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("call list")

    def __str__(self) -> str:
        return self.name


class CallCase(models.Model):
    class State(models.TextChoices):
        TO_CALL = "to_call", _("To call")
        CALLBACK = "callback", _("Call back")
        COMPLETED = "completed", _("Interview completed")
        REFUSED = "refused", _("Refused")
        UNREACHABLE = "unreachable", _("Not reached")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="cases")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    stratum = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=14, choices=State.choices, default=State.TO_CALL)
    interviewer = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, blank=True)
    next_call_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    response = models.OneToOneField(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call_list", "customer"], name="one_case")]

    def __str__(self) -> str:
        return f"{self.call_list} · {self.customer_id} ({self.state})"


class CallAttempt(models.Model):
    """One call, with its AAPOR-style outcome and the call recording's reference."""

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed (AAPOR 1.1)")
        REFUSED = "refused", _("Refused (AAPOR 2.11)")
        NO_ANSWER = "no_answer", _("No answer (AAPOR 3.13)")
        BUSY = "busy", _("Busy (AAPOR 3.12)")
        CALLBACK = "callback", _("Asked to be called back (AAPOR 2.21)")
        WRONG_NUMBER = "wrong_number", _("Wrong number (AAPOR 4.41)")

    case = models.ForeignKey(CallCase, on_delete=models.CASCADE, related_name="calls")
    interviewer = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    at = models.DateTimeField(default=timezone.now)
    recording_ref = models.CharField(_("recording reference"), max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome}"


class Feedback(models.Model):
    """What customers say outside questionnaires, in one store: the web widget, comment
    cards keyed in, social-media posts and app reviews imported (seed 004: listening posts)."""

    class Source(models.TextChoices):
        WIDGET = "widget", _("Web feedback widget")
        PAPER = "paper", _("Comment card")
        SOCIAL = "social", _("Social media")
        APP_REVIEW = "app_review", _("App review")

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        OPINION = "opinion", _("Opinion")
        SUGGESTION = "suggestion", _("Suggestion")
        PRAISE = "praise", _("Praise")

    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OPINION)
    platform = models.CharField(_("platform"), max_length=60, blank=True)  # 微博, 小红书, App Store
    author = models.CharField(_("author"), max_length=120, blank=True)  # handle or name
    text = models.TextField(_("text"))
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now, db_index=True)
    url = models.URLField(_("address"), blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True)
    contact = models.CharField(_("contact"), max_length=120, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("customer feedback")
        verbose_name_plural = _("customer feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "platform", "external_id"],
                condition=~models.Q(external_id=""),
                name="feedback_once_per_post",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.text[:30]}"


class _Counts(models.Model):
    """A running total of a numeric question's answers: `c0`..`c10` count the whole-number
    answers 0 to 10 (NPS, CSAT top boxes); rows with an empty `question` count the
    responses themselves."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="+")
    question = models.CharField(max_length=100)
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, null=True, blank=True)
    n = models.PositiveIntegerField(default=0)
    total = models.FloatField(default=0)
    squares = models.FloatField(default=0)
    c0 = models.PositiveIntegerField(default=0)
    c1 = models.PositiveIntegerField(default=0)
    c2 = models.PositiveIntegerField(default=0)
    c3 = models.PositiveIntegerField(default=0)
    c4 = models.PositiveIntegerField(default=0)
    c5 = models.PositiveIntegerField(default=0)
    c6 = models.PositiveIntegerField(default=0)
    c7 = models.PositiveIntegerField(default=0)
    c8 = models.PositiveIntegerField(default=0)
    c9 = models.PositiveIntegerField(default=0)
    c10 = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_field = "branch"

    class Meta:
        abstract = True


class ScoreTally(_Counts):
    """Per day, branch, channel and version, kept by `submit`: the figures of a million
    responses are read from a few thousand rows."""

    version = models.PositiveIntegerField()
    day = models.DateField()
    channel = models.CharField(max_length=10)

    # the key's columns, in the order of the unique index the upsert names
    KEY = ("questionnaire_id", "question", "version", "day", "branch_id", "channel")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "questionnaire",
                "question",
                "version",
                "day",
                Coalesce("branch", 0),
                "channel",
                name="one_tally",
            )
        ]
        indexes = [models.Index(fields=["questionnaire", "question"])]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} {self.question} {self.day}: {self.n}"


class ScoreBreakdown(_Counts):
    """Per month and branch by one more dimension (campaign, agent, customer tier), so
    figures by agent or for one campaign are read from a few hundred rows too."""

    DIMENSIONS = ("campaign", "agent", "tier")
    month = models.DateField()
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=32)

    KEY = ("questionnaire_id", "question", "month", "branch_id", "dimension", "key")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "questionnaire",
                "question",
                "month",
                Coalesce("branch", 0),
                "dimension",
                "key",
                name="one_breakdown",
            )
        ]
        indexes = [models.Index(fields=["questionnaire", "dimension", "question"])]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} {self.question} {self.dimension}={self.key}: {self.n}"
