"""Customer API: search, profiles, contacts, transactions, the timeline and segments."""

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from manyi.core.pagination import Page
from manyi.core.schemas import (
    DecimalIn,
    Id,
    Int64,
    IsoDateTime,
    LocalTime,
    MaskedAddress,
    MaskedIdNumber,
    MaskedPhone,
    if_match_header,
)
from manyi.core.versioning import etag, parse_version
from manyi.org.models import Branch
from manyi.org.permissions import require_permission
from manyi.org.scoping import get_visible_or_404

from . import actions, segments
from .card import purchase_figures
from .models import Contact, Customer, Segment, Transaction
from .search import search_customers
from .timeline import kind_label, timeline_for

router = Router(tags=["customers"])


class ContactOut(Schema):
    id: int
    kind: str
    value: MaskedPhone
    is_primary: bool

    @staticmethod
    def resolve_value(obj: Contact) -> str:
        return obj.value


class CustomerListOut(Schema):
    id: int
    external_key: str
    name: str
    kind: str
    company_name: str
    tier: str
    branch: str = Field(..., alias="branch.code")
    phone: MaskedPhone = ""

    @staticmethod
    def resolve_phone(obj: Customer) -> str:
        primary = [c for c in obj.contacts.all() if c.kind in ("mobile", "landline")]
        return primary[0].normalized if primary else ""


class CustomerOut(Schema):
    id: int
    external_key: str
    kind: str
    name: str
    company_name: str
    gender: str
    birth_year: int | None
    family: str
    income_band: str
    occupation: str
    education: str
    id_number: MaskedIdNumber
    province: str
    city: str
    district: str
    town: str
    address: MaskedAddress
    preferred_channel: str
    callback_consent: bool
    callback_from: LocalTime | None
    callback_until: LocalTime | None
    tier: str
    lifecycle: str
    relationship: str = Field(
        ..., description="A-E: how much the long-term relationship weighs; empty: not graded"
    )
    branch: str = Field(..., alias="branch.code")
    account_manager: str | None = Field(None, alias="account_manager.name")
    tags: list[str]
    contacts: list[ContactOut]
    r_score: int | None
    f_score: int | None
    m_score: int | None
    merged_into: int | None = Field(None, alias="merged_into_id")
    version: int = Field(
        ..., description="Counts every change; send it back as If-Match to edit safely."
    )

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_contacts(obj: Customer) -> list[Contact]:
        return list(obj.contacts.all())


class CustomerIn(Schema):
    branch: str
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = "person"
    company_name: str = ""
    gender: str = ""
    birth_year: Int64 | None = None
    occupation: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    tier: str = "ordinary"
    relationship: str = ""
    preferred_channel: str = ""
    callback_consent: bool = False
    callback_from: LocalTime | None = None
    callback_until: LocalTime | None = None
    phones: list[str] = []
    tags: list[str] = []
    external_key: str | None = None


class CustomerPatch(Schema):
    """Only the fields sent are changed; `null` clears only the call-back window."""

    name: str = Field(None, min_length=1, max_length=200)
    company_name: str = Field(None, max_length=200)
    tier: str = Field(None, max_length=20)
    lifecycle: str = Field(None, max_length=20)
    relationship: str = Field(None, max_length=1)
    occupation: str = Field(None, max_length=100)
    address: str = Field(None, max_length=300)
    preferred_channel: str = Field(None, max_length=20)
    callback_consent: bool = Field(None)
    callback_from: LocalTime | None = None
    callback_until: LocalTime | None = None
    tags: list[str] = Field(None)


class ContactIn(Schema):
    kind: str = Field(..., description="mobile | landline | email | wechat")
    value: str
    primary: bool = False


class TransactionIn(Schema):
    product: str
    amount: DecimalIn
    occurred_at: IsoDateTime | None = None
    category: str = ""
    quantity: DecimalIn = Decimal(1)
    area: DecimalIn | None = None
    promotion: str = ""
    channel: str = ""
    external_ref: str = ""


class TransactionOut(Schema):
    id: int
    product: str
    category: str
    occurred_at: dt.datetime
    quantity: Decimal
    area: Decimal | None
    amount: Decimal
    promotion: str
    channel: str
    branch: str = Field(..., alias="branch.code")


class TimelineOut(Schema):
    at: dt.datetime
    kind: str
    label: str
    title: str
    detail: dict
    url: str


class FiguresOut(Schema):
    lifetime_revenue: Decimal
    purchases: int
    last_purchase: dt.datetime | None


class SegmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    rules: list[dict]
    strategy: str = ""
    description: str = ""


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    rules: list[dict]
    strategy: str


class SegmentSummaryOut(Schema):
    size: int
    population: int
    size_share: float
    revenue: Decimal
    revenue_share: float


def _customers():
    return Customer.objects.select_related("branch", "account_manager").prefetch_related(
        "contacts", "tags"
    )


def _customer(request: HttpRequest, customer_id: Id) -> Customer:
    require_permission(request.user, "customers.view")
    return get_visible_or_404(_customers(), request.user, pk=customer_id)


@router.get(
    "/customers",
    response=list[CustomerListOut],
    summary=gettext_lazy("Search: name, pinyin initials (zw), phone or its last 4 digits, company"),
)
@paginate(Page)
def list_customers(request: HttpRequest, q: str = "", tag: str = "", branch: str = ""):
    require_permission(request.user, "customers.view")
    return (
        search_customers(request.user, q, tag=tag, branch_code=branch)
        .select_related("branch")
        .prefetch_related("contacts")
    )


@router.post(
    "/customers",
    response={201: CustomerOut},
    summary=gettext_lazy("Add a customer"),
)
def create_customer(request: HttpRequest, payload: CustomerIn):
    branch = get_visible_or_404(Branch, request.user, code=payload.branch)
    data = payload.dict(exclude={"branch", "phones", "tags", "external_key", "name"})
    customer = actions.create_customer(
        request.user,
        branch=branch,
        name=payload.name,
        contacts=[("phone", p) for p in payload.phones],
        tags=payload.tags,
        external_key=payload.external_key,
        **data,
    )
    return Status(201, _customers().get(pk=customer.pk))


@router.get(
    "/customers/{customer_id}",
    response=CustomerOut,
    summary=gettext_lazy("A customer's profile"),
)
def get_customer(request: HttpRequest, customer_id: Id, response: HttpResponse):
    customer = _customer(request, customer_id)
    response["ETag"] = etag(customer)
    return customer


@router.patch(
    "/customers/{customer_id}",
    response=CustomerOut,
    summary=gettext_lazy("Change a customer"),
    description=gettext_lazy(
        "Only the fields sent are changed. Send the ETag of the version you edited "
        "as If-Match: a field someone else changed since is refused with 409 (edit_conflict, "
        "naming the field), not overwritten; changes to other fields are kept."
    ),
)
def update_customer(
    request: HttpRequest,
    customer_id: Id,
    payload: CustomerPatch,
    response: HttpResponse,
    if_match: str | None = if_match_header(),
):
    customer = _customer(request, customer_id)
    actions.update_customer(
        request.user,
        customer,
        seen=parse_version(if_match),
        **payload.dict(exclude_unset=True),
    )
    customer = _customers().get(pk=customer.pk)
    response["ETag"] = etag(customer)
    return customer


@router.get(
    "/customers/{customer_id}/figures",
    response=FiguresOut,
    summary=gettext_lazy("The figures on a customer's card"),
)
def customer_figures(request: HttpRequest, customer_id: Id):
    return purchase_figures(_customer(request, customer_id))


@router.post(
    "/customers/{customer_id}/contacts",
    response={201: ContactOut},
    summary=gettext_lazy("Add a contact (phone, e-mail, WeChat)"),
)
def add_contact(request: HttpRequest, customer_id: Id, payload: ContactIn):
    customer = _customer(request, customer_id)
    contact = actions.add_contact(
        request.user, customer, payload.kind, payload.value, primary=payload.primary
    )
    return Status(201, contact)


@router.get(
    "/customers/{customer_id}/transactions",
    response=list[TransactionOut],
    summary=gettext_lazy("A customer's purchases, newest first"),
)
@paginate(Page)
def list_transactions(request: HttpRequest, customer_id: Id):
    customer = _customer(request, customer_id)
    return Transaction.objects.filter(customer=customer).select_related("branch")


@router.post(
    "/customers/{customer_id}/transactions",
    response={201: TransactionOut},
    summary=gettext_lazy("Record a purchase"),
)
def record_transaction(request: HttpRequest, customer_id: Id, payload: TransactionIn):
    customer = _customer(request, customer_id)
    row = actions.record_transaction(request.user, customer, **payload.dict())
    return Status(201, Transaction.objects.select_related("branch").get(pk=row.pk))


@router.get(
    "/customers/{customer_id}/timeline",
    response=list[TimelineOut],
    summary=gettext_lazy("Everything that happened with a customer, newest first"),
)
def customer_timeline(
    request: HttpRequest,
    customer_id: Id,
    before: IsoDateTime | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    customer = _customer(request, customer_id)
    return [
        {
            "at": item.at,
            "kind": item.kind,
            "label": str(kind_label(item.kind)),
            "title": item.title,
            "detail": item.detail,
            "url": item.url,
        }
        for item in timeline_for(customer, before=before, limit=limit)
    ]


@router.get(
    "/segments",
    response=list[SegmentOut],
    summary=gettext_lazy("The segments"),
)
def list_segments(request: HttpRequest):
    require_permission(request.user, "customers.view")
    return Segment.objects.all()


@router.post(
    "/segments",
    response={201: SegmentOut},
    summary=gettext_lazy("A segment from rules"),
)
def create_segment(request: HttpRequest, payload: SegmentIn):
    segment = actions.save_segment(request.user, **payload.dict())
    return Status(201, segment)


@router.get(
    "/segments/{segment_id}/summary",
    response=SegmentSummaryOut,
    summary=gettext_lazy("A segment's size and figures"),
)
def segment_summary(request: HttpRequest, segment_id: Id):
    require_permission(request.user, "customers.view")
    return segments.summary(request.user, get_object_or_404(Segment, pk=segment_id))


@router.get(
    "/segments/{segment_id}/customers",
    response=list[CustomerListOut],
    summary=gettext_lazy("The customers in a segment"),
)
@paginate(Page)
def segment_customers(request: HttpRequest, segment_id: Id):
    require_permission(request.user, "customers.view")
    segment = get_object_or_404(Segment, pk=segment_id)
    return (
        segments.members(request.user, segment)
        .select_related("branch")
        .prefetch_related("contacts")
        .order_by("-id")
    )
