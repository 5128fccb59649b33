"""Customer 360: customers, contacts, transactions, tags, segments and the timeline store."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.core.models import Versioned
from manyi.org.models import Branch, Staff
from manyi.org.scoping import ScopedQuerySet


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(Versioned):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", pgettext_lazy("customer kind", "Organisation")

    class Gender(models.TextChoices):
        UNKNOWN = "", _("Unknown")
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Tier(models.TextChoices):
        KEY = "key", _("Key account")
        VIP = "vip", _("VIP")
        ORDINARY = "ordinary", _("Ordinary")
        SMALL = "small", _("Small")

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        CUSTOMER = "customer", _("Customer")
        LAPSED = "lapsed", _("Lapsed")
        WON_BACK = "won_back", _("Won back")

    class Relationship(models.TextChoices):
        # Seed 003 "互相协商": before settling a complaint, weigh whether we trade with the
        # customer for the long term, whether they will buy again, what they will tell
        # others, and whether their demands are reasonable. The grade says it once, for
        # every complaint, remedy and visit that follows; each label says it in words.
        A = "A", _("A: key relationship (long and large business with us; keeping it comes first)")
        B = "B", _("B: valuable (buys again and speaks well of us; worth a generous settlement)")
        C = "C", _("C: ordinary (usual business; settled by the standard rules)")
        D = "D", _("D: occasional (buys now and then; little repeat business expected)")
        E = (
            "E",
            _(
                "E: unreasonable (excessive demands and no further business expected; "
                "a polite, clear no is right)"
            ),
        )

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")
        VISIT = "visit", _("Visit")
        COUNTER = "counter", _("Counter")

    PERSONAL_FIELDS = {"address": "address", "id_number": "id_number"}

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="customers", verbose_name=_("branch")
    )
    account_manager = models.ForeignKey(
        Staff,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("account manager"),
    )
    external_key = models.CharField(
        _("customer number"),
        max_length=64,
        unique=True,
        help_text=_("Stable key used to update on re-import."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    name_pinyin = models.CharField(max_length=100, blank=True, db_index=True)
    name_initials = models.CharField(max_length=30, blank=True, db_index=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    family = models.CharField(_("family"), max_length=100, blank=True)
    income_band = models.CharField(_("income band"), max_length=50, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    education = models.CharField(_("education"), max_length=50, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    town = models.CharField(_("town or street"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    region = models.CharField(
        _("sales region"),
        max_length=50,
        blank=True,
        help_text=_("The company's own area, e.g. 华东 or 城东片区."),
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    callback_consent = models.BooleanField(_("agrees to be called back"), default=False)
    callback_from = models.TimeField(_("call back from"), null=True, blank=True)
    callback_until = models.TimeField(_("call back until"), null=True, blank=True)
    tier = models.CharField(
        _("tier"), max_length=16, choices=Tier.choices, default=Tier.ORDINARY, db_index=True
    )
    lifecycle = models.CharField(
        _("lifecycle stage"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.CUSTOMER
    )
    relationship = models.CharField(
        _("relationship grade"),
        max_length=1,
        choices=Relationship.choices,
        blank=True,
        help_text=_(
            "How much the long-term relationship weighs when a complaint is settled or a "
            "remedy decided: do we trade for the long term, will they buy again, what will "
            "they tell others, are their demands reasonable."
        ),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    # RFM scores (1-5 quintiles), recomputed by a periodic job; stored so segments can filter
    # a million customers with an index instead of aggregating transactions each time.
    r_score = models.PositiveSmallIntegerField(null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_field = "branch"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [models.Index(fields=["branch", "-id"])]

    def __str__(self) -> str:
        return self.name

    @property
    def age(self) -> int | None:
        return timezone.localdate().year - self.birth_year if self.birth_year else None

    @property
    def age_band(self) -> str:
        """'30-39' style bands, as surveys and segment reports use them."""
        age = self.age
        if age is None:
            return ""
        if age < 20:
            return "<20"
        if age >= 70:
            return "70+"
        low = age // 10 * 10
        return f"{low}-{low + 9}"


class Contact(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile phone")
        LANDLINE = "landline", _("Landline")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")

    PERSONAL_FIELDS = {"value": "phone"}

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=200)
    # Digits only for phones, lower-case for the rest: what search and duplicates compare.
    normalized = models.CharField(max_length=200, db_index=True)
    last4 = models.CharField(max_length=4, blank=True, db_index=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    scope_field = "customer__branch"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "normalized"], name="uniq_customer_contact"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def reveal_key(self) -> str:
        return f"contact-{self.pk}"


AUTO_REFERENCE_PREFIX = "auto-"


class Transaction(models.Model):
    class Channel(models.TextChoices):
        STORE = "store", _("Store / branch")
        ONLINE = "online", _("Online")
        PHONE = "phone", _("Phone")
        DEALER = "dealer", _("Dealer")
        ACCOUNT_MANAGER = "account_manager", _("Account manager")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="transactions")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    external_ref = models.CharField(_("reference"), max_length=64, blank=True)
    product = models.CharField(_("product"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=1)
    area = models.DecimalField(
        _("area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    promotion = models.CharField(_("promotion"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=32, choices=Channel.choices, blank=True)

    scope_field = "branch"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["customer", "-occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="uniq_customer_transaction_ref",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} ¥{self.amount}"

    @property
    def reference(self) -> str:
        """The reference people gave (order or contract number); the key an import made up
        for a row without one (so importing the file again adds nothing) is not shown."""
        return "" if self.external_ref.startswith(AUTO_REFERENCE_PREFIX) else self.external_ref


class TimelineEntry(models.Model):
    """Something that happened to a customer, pushed by any module (see timeline.py)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    url = models.CharField(max_length=300, blank=True)
    source = models.CharField(
        max_length=100, blank=True, help_text=_("What recorded it, e.g. tickets.ticket:42")
    )

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["customer", "-at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind"],
                condition=~models.Q(source=""),
                name="uniq_timeline_source_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.title}"


class Segment(models.Model):
    """A saved, rule-based group of customers with a strategy for serving it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    rules = models.JSONField(_("rules"), default=list, blank=True)
    strategy = models.TextField(
        _("strategy"), blank=True, help_text=_("How we serve and sell to this segment.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
