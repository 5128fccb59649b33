"""Ticket API: register, read, list and search, and every workflow step as an action.

POST /tickets                          register a contact or complaint
GET  /tickets/{id}                     state, due times, proposals, remedies, orders
GET  /tickets?status=&reason=&q=       list and search (the person's branches only)
POST /tickets/{id}/actions/{action}    assign, contact, note, investigate, propose, approve,
                                       reject, agree, complete_order, follow_up, close,
                                       reopen, pause, resume, promise, merge, link,
                                       attach: one typed body per step (`steps.py`)
Refused transitions answer 409, missing rights 403, another branch's ticket 404, a field a
step does not know 422 naming it.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from manyi.core.apierrors import ApiError
from manyi.core.pagination import Page
from manyi.core.schemas import Id, IsoDate, IsoDateTime, MaskedPhone, if_match_header
from manyi.core.versioning import etag, parse_version
from manyi.customers.models import Customer
from manyi.org.permissions import require_permission
from manyi.org.scoping import get_visible_or_404, visible_branch_by_code

from . import actions, reports
from .filters import TicketFilter
from .filters import apply as apply_filter
from .models import Activity, ExecutionOrder, FollowUp, Promise, Proposal, Ticket
from .search import capped_count
from .steps import SCHEMAS, take

router = Router(tags=["tickets"])


class NewCustomer(Schema):
    name: str
    phone: str = ""


class TicketIn(Schema):
    branch: str = Field(..., description="branch code")
    customer_id: Id | None = None
    new_customer: NewCustomer | None = None
    channel: str
    ticket_type: str = "complaint"
    priority: str = "normal"
    reason: str | None = Field(None, description="reason code")
    subject: str
    description: str = ""
    company_name: str = ""
    address: str = ""
    phone: str = ""
    product: str = ""
    specification: str = ""
    production_date: IsoDate | None = None
    batch_number: str = ""
    used_at: str = ""
    symptoms: str = ""
    previous_brand: str = ""


class RemedyOut(Schema):
    id: int
    kind: str
    amount: Decimal
    description: str
    department: str | None = Field(None, alias="department.name")


class ApprovalOut(Schema):
    role: str
    approver: str = Field(..., alias="approver.name")
    approved: bool
    comment: str
    at: dt.datetime


class ProposalOut(Schema):
    id: int
    kind: str = Field(..., description="remedy: a resolution; decline: saying no with reasons")
    state: str
    position: str
    reasons: str
    total: Decimal
    required_roles: list[str]
    remedies: list[RemedyOut]
    approvals: list[ApprovalOut]

    @staticmethod
    def resolve_remedies(obj: Any) -> list[Any]:
        return list(obj.remedies.all())

    @staticmethod
    def resolve_approvals(obj: Any) -> list[Any]:
        return list(obj.approvals.all())


class OrderOut(Schema):
    id: int
    remedy_id: int
    department: str = Field(..., alias="department.name")
    state: str
    due_at: dt.datetime | None
    completed_at: dt.datetime | None


class FollowUpOut(Schema):
    due_at: dt.datetime
    satisfied: bool | None
    done_at: dt.datetime | None


class PromiseOut(Schema):
    kind: str
    due_at: dt.datetime
    kept_at: dt.datetime | None
    kept: bool | None


class ActivityOut(Schema):
    kind: str
    outcome: str
    text: str
    file_name: str
    at: dt.datetime


class TicketListOut(Schema):
    id: int
    number: str
    status: str
    ticket_type: str
    priority: str
    channel: str
    subject: str
    branch: str = Field(..., alias="branch.code")
    customer_id: int
    reason: str | None = Field(None, alias="reason.code")
    assignee: str | None = Field(None, alias="assignee.name")
    created_at: dt.datetime
    resolution_due: dt.datetime | None


class TicketOut(TicketListOut):
    version: int = Field(
        ..., description="Counts every change; send it back as If-Match to edit safely."
    )
    description: str
    phone: MaskedPhone
    first_response_due: dt.datetime | None
    reply_due: dt.datetime | None
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str = Field(
        ..., description="how it ended: resolved, declined, unreachable, merged; blank while open"
    )
    paused: bool
    escalation_level: int
    reopened_count: int
    repeat_of: str | None = Field(None, alias="repeat_of.number")
    merged_into: str | None = Field(None, alias="merged_into.number")
    related: list[str]
    cause: str
    severity: int
    company_fault: str
    customer_demand: str
    relationship: str
    word_of_mouth_risk: int
    repeat_cause: str
    proposals: list[ProposalOut]
    orders: list[OrderOut]
    follow_ups: list[FollowUpOut]
    promises: list[PromiseOut]
    activities: list[ActivityOut]

    @staticmethod
    def resolve_related(obj: Ticket) -> list[str]:
        return sorted(t.number for t in obj.related.all())

    @staticmethod
    def resolve_paused(obj: Ticket) -> bool:
        return obj.paused_at is not None

    @staticmethod
    def resolve_proposals(obj: Ticket) -> list[Any]:
        return list(obj.proposals.all())

    @staticmethod
    def resolve_orders(obj: Ticket) -> list[Any]:
        return list(obj.orders.all())

    @staticmethod
    def resolve_follow_ups(obj: Ticket) -> list[Any]:
        return list(obj.follow_ups.all())

    @staticmethod
    def resolve_promises(obj: Ticket) -> list[Any]:
        return list(obj.promises.all())

    @staticmethod
    def resolve_activities(obj: Ticket) -> list[Any]:
        return list(obj.activities.all())


DETAIL_PREFETCH = (
    Prefetch(
        "proposals",
        queryset=Proposal.objects.prefetch_related("remedies__department", "approvals__approver"),
    ),
    Prefetch("orders", queryset=ExecutionOrder.objects.select_related("department")),
    "follow_ups",
    "promises",
    Prefetch("activities", queryset=Activity.objects.defer("content")),
    Prefetch("related", queryset=Ticket.objects.only("pk", "number")),
)


def _fresh(ticket: Ticket) -> Ticket:
    """A ticket just registered has no proposals, orders or notes yet: answer without
    reading them back."""
    ticket._prefetched_objects_cache = {
        "proposals": _empty(Proposal),
        "orders": _empty(ExecutionOrder),
        "follow_ups": _empty(FollowUp),
        "promises": _empty(Promise),
        "activities": _empty(Activity),
        "related": _empty(Ticket),
    }
    return ticket


def _empty(model: Any) -> Any:
    """An already evaluated, empty queryset (what a prefetch of nothing leaves behind)."""
    queryset = model.objects.none()
    queryset._result_cache = []
    queryset._prefetch_done = True
    return queryset


def _ticket(request: HttpRequest, ticket_id: Id) -> Ticket:
    require_permission(request.auth, "tickets.view")
    return get_visible_or_404(
        Ticket.objects.select_related(
            "branch", "reason", "assignee", "repeat_of", "merged_into"
        ).prefetch_related(*DETAIL_PREFETCH),
        request.auth,
        pk=ticket_id,
    )


@router.post(
    "/tickets",
    response={200: TicketOut, 201: TicketOut},
    summary=gettext_lazy("Register a contact or complaint"),
    description=gettext_lazy(
        "Send an `Idempotency-Key` header (any text up to 100 characters, new for "
        "each registration) so that a retried request makes one ticket: the retry answers 200 "
        "with the ticket the first request made."
    ),
)
def create(
    request: HttpRequest,
    payload: TicketIn,
    idempotency_key: str = Header(
        "", alias="Idempotency-Key", max_length=100, pattern="^[^\\u0000]*$"
    ),
) -> Any:
    data = payload.dict()
    branch = visible_branch_by_code(request.auth, data.pop("branch"))
    customer_id = data.pop("customer_id")
    customer = (
        get_visible_or_404(Customer.objects.only("pk", "branch_id"), request.auth, pk=customer_id)
        if customer_id
        else None
    )
    registration = {
        "branch": branch,
        "customer": customer,
        "new_customer": data.pop("new_customer"),
        "reason": data.pop("reason"),
        **data,
    }
    if idempotency_key:
        ticket, created = actions.register_once(request.auth, idempotency_key, **registration)
    else:
        ticket, created = actions.create_ticket(request.auth, **registration), True
    return Status(201 if created else 200, _fresh(ticket))


class RepeatOut(Schema):
    number: str
    created_at: dt.datetime
    customer: str
    branch: str
    reason: str
    first_number: str
    first_created_at: dt.datetime
    first_status: str
    first_assignee: str
    days_between: int
    why: str


class FcrOut(Schema):
    """First-contact resolution: closed, never reopened, no repeat on the same reason in
    the repeat window, no further contact from the customer (our own calls do not count).
    `one_touch`: the same with at most one call or visit in all."""

    key: int | None
    name: str
    closed: int
    first_contact: int
    rate: float | None
    one_touch: int
    one_touch_rate: float | None


class ReportPeriod(Schema):
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None


@router.get(
    "/tickets/reports/repeats",
    response=list[RepeatOut],
    summary=gettext_lazy("Repeat contacts and why the first contact did not solve them"),
)
def repeat_report(request: HttpRequest, period: Query[ReportPeriod]) -> Any:
    require_permission(request.auth, "tickets.view")
    return reports.repeats(Ticket.objects.visible_to(request.auth), period.since, period.until)


@router.get(
    "/tickets/reports/first-contact-resolution",
    response=list[FcrOut],
    summary=gettext_lazy("First-contact resolution rate by agent, branch or reason"),
)
def fcr_report(request: HttpRequest, by: str, period: Query[ReportPeriod]) -> Any:
    require_permission(request.auth, "tickets.view")
    if by not in reports.GROUPS:
        raise ApiError(400, "invalid", f"by must be one of {', '.join(reports.GROUPS)}")
    return reports.first_contact_resolution(
        Ticket.objects.visible_to(request.auth), by, period.since, period.until
    )


class PromisesOut(Schema):
    key: int | None
    name: str
    total: int
    kept: int
    broken: int
    open: int
    rate: float | None


@router.get(
    "/tickets/reports/promises",
    response=list[PromisesOut],
    summary=gettext_lazy("Promises to customers kept and broken, by agent"),
)
def promise_report(request: HttpRequest, period: Query[ReportPeriod]) -> Any:
    require_permission(request.auth, "tickets.view")
    return reports.promises(Ticket.objects.visible_to(request.auth), period.since, period.until)


class ReplyOut(Schema):
    id: int
    title: str
    text: str


@router.get(
    "/tickets/{ticket_id}/replies",
    response=list[ReplyOut],
    summary=gettext_lazy("Canned replies filled in for this ticket"),
)
def ticket_replies(request: HttpRequest, ticket_id: Id) -> Any:
    from .replies import replies_for

    ticket = _ticket(request, ticket_id)
    return [{"id": r.pk, "title": r.title, "text": text} for r, text in replies_for(ticket)]


@router.get(
    "/tickets/{ticket_id}",
    response=TicketOut,
    summary=gettext_lazy("A ticket with its whole state"),
)
def detail(request: HttpRequest, ticket_id: Id, response: HttpResponse) -> Any:
    ticket = _ticket(request, ticket_id)
    response["ETag"] = etag(ticket)
    return ticket


class TicketPagination(Page):
    """A search counts its matches up to a cap ("1,000 or more"), see `search.COUNT_CAP`."""

    class Output(Schema):
        items: list[Any]
        count: int
        more: bool = Field(False, description="true when a search found more tickets than `count`")

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        if not request.GET.get("q"):
            return {**super().paginate_queryset(queryset, pagination, request), "more": False}
        limit = min(pagination.limit, self.max_limit)
        count, more = capped_count(queryset)
        return {
            "items": queryset[pagination.offset : pagination.offset + limit],
            "count": count,
            "more": more,
        }


@router.get(
    "/tickets",
    response=list[TicketListOut],
    summary=gettext_lazy("List and search tickets"),
    description=gettext_lazy(
        "Newest first. With `q`, every word must occur (Chinese is cut into words "
        "with jieba); the count stops at 1,000 and `more` says there are more."
    ),
)
@paginate(TicketPagination)
def listing(request: HttpRequest, filters: Query[TicketFilter]) -> Any:
    require_permission(request.auth, "tickets.view")
    tickets = Ticket.objects.visible_to(request.auth).select_related("branch", "reason", "assignee")
    return apply_filter(tickets, filters, request.auth)


STEP_SUMMARIES = {
    "assign": gettext_lazy("Step 1: assign the ticket"),
    "contact": gettext_lazy("Step 2: record a contact attempt (call or visit)"),
    "note": gettext_lazy("Add a note"),
    "investigate": gettext_lazy("Step 3: record the analysis"),
    "propose": gettext_lazy("Step 4: propose a resolution"),
    "approve": gettext_lazy("Step 4: approve the pending proposal"),
    "reject": gettext_lazy("Step 4: reject the pending proposal"),
    "agree": gettext_lazy("Step 5: record the customer's agreement"),
    "complete_order": gettext_lazy("Step 6: an execution order is done"),
    "follow_up": gettext_lazy("Step 7: record the follow-up verdict"),
    "close": gettext_lazy("Close the ticket: the customer is satisfied, or an enquiry was settled"),
    "decline": gettext_lazy(
        "Step 4: decline the demand with the company's position and the reasons "
        "explained to the customer (closes once the level the settings name agrees)"
    ),
    "close_unreachable": gettext_lazy(
        "Close: the customer could not be reached after the configured "
        "attempts over the configured business days"
    ),
    "reopen": gettext_lazy("Reopen a closed ticket"),
    "pause": gettext_lazy("Wait for the customer (stop the clock)"),
    "resume": gettext_lazy("Resume the clock"),
    "promise": gettext_lazy("Record a promise told to the customer"),
    "attach": gettext_lazy("Attach a file"),
    "merge": gettext_lazy("Merge this duplicate into another ticket"),
    "link": gettext_lazy("Link a related ticket"),
}


STEP_EDIT_CHECK = gettext_lazy(
    "409 when the ticket's state does not allow the step. Only the fields sent change; "
    "send the ETag of the version you worked from as If-Match and a field someone else "
    "changed since is refused with 409 (edit_conflict) instead of overwritten."
)
STEP_NO_EDIT_CHECK = gettext_lazy(
    "409 when the ticket's state does not allow the step. If-Match is accepted and ignored "
    "for this step."
)


def _step_operation(action: str, schema: type) -> Any:
    """One operation per step, with its own body schema in the OpenAPI document."""

    def operation(
        request: HttpRequest,
        ticket_id: Id,
        payload: Any,
        response: HttpResponse,
        if_match: str | None = if_match_header(),
    ) -> Any:
        ticket = _ticket(request, ticket_id)
        try:
            take(request.auth, ticket, action, payload, seen=parse_version(if_match))
        except actions.TransitionRefused as refused:
            raise ApiError(409, "conflict", " ".join(refused.messages)) from None
        ticket = _ticket(request, ticket_id)
        response["ETag"] = etag(ticket)
        return ticket

    operation.__annotations__["payload"] = schema
    operation.__name__ = operation.__qualname__ = f"step_{action}"
    return operation


for _action, _schema in SCHEMAS.items():
    router.post(
        f"/tickets/{{ticket_id}}/actions/{_action}",
        response=TicketOut,
        summary=STEP_SUMMARIES[_action],
        description=STEP_EDIT_CHECK if _action == "investigate" else STEP_NO_EDIT_CHECK,
    )(_step_operation(_action, _schema))
