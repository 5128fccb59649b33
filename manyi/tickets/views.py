"""Agent pages: the queues, registering a contact, and a ticket with its next steps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from pydantic import ValidationError as PydanticValidationError

from manyi.analytics.text import normalise_phone
from manyi.core.schemas import describe_errors
from manyi.core.versioning import EditConflict
from manyi.customers.card import lifetime_revenues, purchase_figures
from manyi.customers.models import Contact, Customer
from manyi.org.models import Branch, Department, Staff
from manyi.org.permissions import has_permission, require_permission
from manyi.org.scoping import get_visible_or_404, staff_of

from . import actions, filters, reports, workspace
from .approvals import earlier_tickets, waiting_for
from .config import reason_tree
from .forms import AnalysisForm
from .history import customer_history
from .models import (
    Agreement,
    Channel,
    Priority,
    Promise,
    ReasonCode,
    Remedy,
    Status,
    Ticket,
    TicketType,
)
from .replies import replies_for
from .search import capped_count
from .steps import SCHEMAS, parse, take


class _SearchPaginator(Paginator):
    more = False

    @cached_property
    def count(self) -> int:
        found, self.more = capped_count(self.object_list)
        return found


REMEDY_ROWS = 4


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "tickets.view")
    visible = Ticket.objects.visible_to(request.user)
    me = staff_of(request.user)
    given = request.GET.dict()
    try:  # the same filter as GET /api/v1/tickets
        chosen = filters.TicketFilter.model_validate(given)
    except PydanticValidationError as exc:  # say what was wrong, keep the rest
        messages.error(request, describe_errors(exc.errors()))
        wrong = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        chosen = filters.TicketFilter.model_validate(
            {key: value for key, value in given.items() if key not in wrong}
        )
    tabs = filters.queues(visible, request.user)
    counts = {key: tabs[key].count() for key in ("mine", "unassigned", "team", "breached")}
    which = chosen.queue
    if which is None:  # where the person's work is: theirs, else the unclaimed
        which = "mine" if counts["mine"] else "unassigned" if counts["unassigned"] else "team"
    tickets = filters.apply(
        visible.select_related("branch", "reason", "assignee", "customer"),
        chosen,
        request.user,
        which,
    )
    paginator = _SearchPaginator if chosen.q else Paginator
    page = paginator(tickets, 25).get_page(request.GET.get("page"))
    marks = filters.deadline_marks(list(page.object_list))
    kept = request.GET.copy()
    kept.pop("page", None)
    kept["queue"] = which
    return render(
        request,
        "tickets/queue.html",
        {
            "page": page,
            "rows": [(t, marks.get(t.pk)) for t in page.object_list],
            "queue": which,
            "queues": [
                ("mine", _("My queue"), counts["mine"]),
                ("unassigned", _("Not yet assigned"), counts["unassigned"]),
                ("team", _("Team queue"), counts["team"]),
                ("breached", _("Past a deadline"), counts["breached"]),
                ("all", _("All"), None),
            ],
            "chosen": chosen,
            "statuses": Status.choices,
            "reasons": reason_tree(),
            "sorts": [
                ("due", _("Nearest deadline first")),
                ("newest", _("Newest first")),
                ("oldest", _("Oldest first")),
            ],
            "dues": [("overdue", _("Past a deadline")), ("soon", _("Due soon"))],
            "may_create": has_permission(request.user, "tickets.create"),
            "may_configure": has_permission(request.user, "tickets.configure"),
            "saved_views": me.saved_views.all() if me is not None else [],
            "query": request.GET.urlencode(),
            "page_query": kept.urlencode(),
        },
    )


VIEW_KEYS = tuple(filters.TicketFilter.model_fields)


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    """Keep the queue's current filters under a name (the person's own list)."""
    require_permission(request.user, "tickets.view")
    me = staff_of(request.user)
    name = (request.POST.get("name") or "").strip()[:100]
    if me is None or not name:
        messages.error(request, _("Give the view a name."))
        return redirect("tickets:queue")
    from django.http import QueryDict

    given = QueryDict(request.POST.get("query", ""))
    kept = QueryDict(mutable=True)
    for key in VIEW_KEYS:
        if given.get(key):
            kept[key] = given[key]
    actions.save_view(request.user, name=name, query=kept.urlencode())
    messages.success(request, _("View “%(name)s” saved.") % {"name": name})
    return redirect(f"{reverse('tickets:queue')}?{kept.urlencode()}")


@login_required
@require_POST
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    actions.delete_view(request.user, pk)
    return redirect("tickets:queue")


def _customer_for(user: Any, branch: Branch, lookup: str) -> Customer | None:
    """The caller by phone number or customer number, within the person's branches."""
    lookup = lookup.strip()
    if not lookup:
        return None
    customers = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    by_key = customers.filter(external_key=lookup).first()
    if by_key is not None:
        return by_key
    phone = normalise_phone(lookup)
    if phone:
        contact = (
            Contact.objects.filter(normalized=phone, customer__in=customers)
            .select_related("customer")
            .first()
        )
        if contact is not None:
            return contact.customer
    return None


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """待我审批: the proposals this person may approve now, oldest first, with what the
    decision needs on the row (amount, severity, the customer's value and history)."""
    require_permission(request.user, "tickets.approve")
    rows = waiting_for(request.user)
    customers = {p.ticket.customer_id for p in rows}
    revenue = lifetime_revenues(customers)
    history = earlier_tickets(customers)
    return render(
        request,
        "tickets/approvals.html",
        {
            "rows": [
                {
                    "proposal": p,
                    "ticket": p.ticket,
                    "level": actions.role_label(p.level),
                    "revenue": revenue.get(p.ticket.customer_id, "¥0.00"),
                    "tickets": history.get(p.ticket.customer_id, 1),
                }
                for p in rows
            ],
        },
    )


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Repeats and first-contact resolution over a period (default: the last 90 days)."""
    require_permission(request.user, "tickets.view")
    days = request.GET.get("days") or "90"
    since = timezone.now() - timezone.timedelta(days=int(days)) if days.isdigit() else None
    tickets = Ticket.objects.visible_to(request.user)
    return render(
        request,
        "tickets/report.html",
        {
            "days": days,
            "repeats": reports.repeats(tickets, since)[:200],
            "promises": reports.promises(tickets, since),
            "outcomes": reports.closing_outcomes(tickets, "reason", since),
            "fcr": {
                by: reports.first_contact_resolution(tickets, by, since)
                for by in ("agent", "branch", "reason")
            },
        },
    )


@login_required
def register(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "tickets.create")
    branches = Branch.objects.visible_to(request.user).order_by("code")
    reasons = ReasonCode.objects.filter(active=True).select_related("parent")
    values: dict[str, Any] = {"channel": "phone", "ticket_type": "complaint", "priority": "normal"}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            branch = get_visible_or_404(Branch, request.user, pk=values.get("branch") or 0)
            customer = _customer_for(request.user, branch, values.get("customer", ""))
            new_customer = None
            if customer is None:
                new_customer = {
                    "name": values.get("customer_name", ""),
                    "phone": values.get("customer", ""),
                }
            fields = {
                name: values.get(name, "")
                for name in actions.REGISTRATION_FIELDS
                if name != "production_date"
            }
            if values.get("production_date"):
                fields["production_date"] = values["production_date"]
            ticket = actions.create_ticket(
                request.user,
                branch=branch,
                customer=customer,
                new_customer=new_customer,
                reason=values.get("reason") or None,
                **fields,
            )
        except (ValidationError, PermissionDenied) as error:
            for message in getattr(error, "messages", [str(error)]):
                messages.error(request, message)
        else:
            messages.success(request, _("Registered as %(number)s.") % {"number": ticket.number})
            return redirect("tickets:detail", pk=ticket.pk)
    return render(
        request,
        "tickets/register.html",
        {
            "branches": branches,
            "reasons": reasons,
            "channels": Channel.choices,
            "types": TicketType.choices,
            "priorities": Priority.choices,
            "values": values,
        },
    )


# The steps that belong to each stage of the procedure: shown first, the others under
# "more"; a step offered in no stage here is always under "more".
STAGE_STEPS = {
    "contact": ("assign", "contact", "investigate", "close"),
    "analyse": ("investigate", "contact"),
    "propose": ("approve", "reject", "propose", "decline", "investigate"),
    "agree": ("agree",),
    "execute": ("complete_order",),
    "close": ("follow_up", "close", "close_unreachable"),
    "": ("reopen",),
}


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "tickets.view")
    return _workspace_page(request, pk)


def _workspace_page(
    request: HttpRequest,
    pk: int,
    *,
    failed: str = "",
    analysis_form: AnalysisForm | None = None,
) -> HttpResponse:
    """The ticket's page; after a refused step, with what the person typed into that
    step's form still there (`failed`), to correct and send again."""
    ticket = get_visible_or_404(
        Ticket.objects.select_related(
            "branch", "customer", "reason", "assignee", "repeat_of", "recorder", "merged_into"
        ),
        request.user,
        pk=pk,
    )
    now = timezone.now()
    deadlines = [
        (_("First response"), ticket.first_response_due, ticket.first_responded_at),
        (_("Same-day reply"), ticket.reply_due, ticket.first_responded_at),
        (_("Resolution"), ticket.resolution_due, ticket.resolved_at),
    ]
    space = workspace.build(request.user, ticket)
    current = next((s.key for s in space.stages if s.state == "current"), "")
    primary = [step for step in STAGE_STEPS.get(current, ()) if step in space.offered]
    me = staff_of(request.user)
    staff = Staff.objects.none()
    if "assign" in space.offered:
        staff = (
            Staff.objects.visible_to(request.user)
            .filter(user__is_active=True, branches=ticket.branch)
            .order_by("name")
            if has_permission(request.user, "tickets.assign")
            else Staff.objects.filter(pk=me.pk)
        )
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            "space": space,
            "primary": primary,
            "more": sorted(space.offered - set(primary), key=MORE_ORDER.index),
            "history": customer_history(ticket.customer),
            "spending": purchase_figures(ticket.customer),
            "deadlines": [
                {
                    "label": label,
                    "due": due,
                    "met": met,
                    "late": due is not None and (met or now) > due,
                }
                for label, due, met in deadlines
            ],
            "promises": ticket.promises.all(),
            "offered": space.offered,
            "staff": staff,
            "remedy_kinds": Remedy.Kind.choices,
            "remedy_rows": [
                {
                    "n": row,
                    **(
                        {
                            field: request.POST.get(f"{field}_{row}", "")
                            for field in ("kind", "amount", "description", "department")
                        }
                        if failed == "propose"
                        else {}
                    ),
                }
                for row in range(1, REMEDY_ROWS + 1)
            ],
            "failed": failed,
            "posted": request.POST if failed else {},
            "departments": Department.objects.filter(branch__in=[ticket.branch_id, None]),
            "methods": Agreement.Method.choices,
            "promise_kinds": Promise.Kind.choices,
            "analysis_form": analysis_form or AnalysisForm(instance=ticket),
            "replies": replies_for(ticket),
            "orders": [(o, workspace.order_label(o)) for o in space.open_orders],
        },
    )


MORE_ORDER = (
    "contact",
    "note",
    "attach",
    "assign",
    "investigate",
    "promise",
    "pause",
    "resume",
    "close_unreachable",
    "decline",
    "propose",
    "approve",
    "reject",
    "agree",
    "complete_order",
    "follow_up",
    "close",
    "reopen",
    "link",
    "merge",
)


def _body(post: Any, action: str) -> dict[str, Any]:
    """A step's fields from its form on the page, for the step's schema (as the API's):
    the form's plumbing left out, an empty optional choice as not given."""
    schema = SCHEMAS.get(action)
    fields = schema.model_fields if schema is not None else {}
    body: dict[str, Any] = {}
    for name, value in post.items():
        field = fields.get(name)
        if field is None or (value == "" and not field.is_required() and field.default is None):
            continue
        body[name] = value
    if action == "propose":
        remedies = []
        for row in range(1, REMEDY_ROWS + 1):
            kind = post.get(f"kind_{row}")
            if kind:
                remedies.append(
                    {
                        "kind": kind,
                        "amount": post.get(f"amount_{row}") or "0",
                        "description": post.get(f"description_{row}", ""),
                        "department": post.get(f"department_{row}") or None,
                    }
                )
        body["remedies"] = remedies
    return body


# The words the step forms show for their fields, to name them when a step is refused
# (the API names them by their codes): most fields, those a step labels its own way, and
# the columns of the remedy rows.
FIELD_WORDS = {
    "assignee": gettext_lazy("Assign to"),
    "direction": gettext_lazy("Who contacted whom"),
    "outcome": gettext_lazy("Outcome"),
    "note": gettext_lazy("Note"),
    "reply": gettext_lazy("Canned reply"),
    "remedies": gettext_lazy("Remedy"),
    "position": gettext_lazy("The company's position (what we can and cannot do)"),
    "reasons": gettext_lazy("The reasons explained to the customer"),
    "comment": gettext_lazy("Comment"),
    "method": gettext_lazy("The customer agreed by"),
    "reference": gettext_lazy("SMS code or call reference"),
    "order_id": gettext_lazy("Execution orders"),
    "satisfied": gettext_lazy("Is the customer satisfied?"),
    "due_at": gettext_lazy("By when"),
}
STEP_FIELD_WORDS = {
    "contact": {"kind": gettext_lazy("Contact attempt"), "note": gettext_lazy("What was said")},
    "reject": {"comment": gettext_lazy("Why rejected")},
    "close": {"note": gettext_lazy("Closing note")},
    "close_unreachable": {"note": gettext_lazy("Closing note")},
    "reopen": {"note": gettext_lazy("Why reopen")},
    "pause": {"note": gettext_lazy("What we wait for")},
    "promise": {"kind": gettext_lazy("What was promised")},
    "merge": {"number": gettext_lazy("A duplicate: merge into ticket number")},
    "link": {"number": gettext_lazy("Related to ticket number")},
}
REMEDY_WORDS = {
    "kind": gettext_lazy("Remedy"),
    "amount": gettext_lazy("Amount (CNY)"),
    "description": gettext_lazy("Description"),
    "department": gettext_lazy("Executed by"),
}


def _field_words(action: str) -> Any:
    """`name_field` for `parse`: a refused field by the words its form shows."""
    words = {**FIELD_WORDS, **STEP_FIELD_WORDS.get(action, {})}

    def name(location: tuple[Any, ...]) -> str:
        parts = [p for p in location if p not in ("body", "payload")]
        if len(parts) >= 3 and parts[0] == "remedies" and isinstance(parts[1], int):
            column = REMEDY_WORDS.get(str(parts[2]), parts[2])
            return f"{_('Remedy')} {parts[1] + 1} · {column}"
        if parts and str(parts[0]) in words:
            return str(words[str(parts[0])])
        return ".".join(str(p) for p in parts) or "?"

    return name


@login_required
@require_POST
def step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    ticket = get_visible_or_404(Ticket, request.user, pk=pk)
    if action not in SCHEMAS:
        messages.error(request, _("Unknown step."))
        return redirect("tickets:detail", pk=pk)
    body = _body(request.POST, action)
    upload = request.FILES.get("file")
    content = None
    if action == "attach" and upload is None:  # the form's button pressed with no file
        messages.error(request, _("Choose a file to attach."))
        return _workspace_page(request, pk, failed=action)
    if upload is not None:
        if upload.size > actions.MAX_ATTACHMENT_BYTES:
            messages.error(request, _("Attachments may be at most 10 MB."))
            return redirect("tickets:detail", pk=pk)
        content = upload.read()
        body.update(file_name=upload.name, content_type=upload.content_type or "", content="")
    seen = None
    analysis = None
    if action == "investigate":
        analysis = AnalysisForm(request.POST, instance=Ticket(pk=ticket.pk))
        if not analysis.is_valid():
            for field, errors in analysis.errors.items():
                label = analysis.fields[field].label if field in analysis.fields else ""
                for message in errors:
                    messages.error(request, f"{label}：{message}" if label else message)
            return _workspace_page(request, pk, failed=action, analysis_form=analysis)
        body = {**analysis.changes(), **({"reason": body["reason"]} if body.get("reason") else {})}
        seen = analysis.seen
    try:
        data = parse(action, body, name_field=_field_words(action))
        take(request.user, ticket, action, data, seen=seen, upload=content)
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
        if analysis is not None and isinstance(error, EditConflict):
            analysis.rebase(Ticket.objects.get(pk=pk), error)  # theirs shown, mine kept
        back = request.POST.get("next", "")
        if not back:  # the page again, with what was typed
            return _workspace_page(request, pk, failed=action, analysis_form=analysis)
    else:
        ticket = Ticket.objects.select_related("assignee", "merged_into").get(pk=pk)
        messages.success(request, workspace.done_message(action, ticket))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
        return redirect(back)  # e.g. the approvals list the step was taken from
    return redirect("tickets:detail", pk=pk)
