"""Customer pages: search, the tracking card, a customer's page to add or change them, their
purchases (listed, entered by hand, imported), segments, duplicates, import and export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from manyi.core.formats import money
from manyi.core.versioning import EditConflict
from manyi.org.actions import may_reveal
from manyi.org.permissions import has_permission, require_permission
from manyi.org.scoping import get_visible_or_404
from manyi.org.views import reveal_response

from . import actions, segments
from .card import figures_for
from .duplicates import find_duplicates
from .export import export_customers
from .forms import (
    CustomerForm,
    ImportForm,
    NewContactFormSet,
    PurchaseForm,
    PurchaseImportForm,
    SearchForm,
    SegmentForm,
    TimelinePageForm,
    condition_formset,
    rows_sent,
)
from .models import Contact, Customer, Segment, Transaction
from .search import search_customers
from .timeline import kind_label, timeline_for, title_of

CARD_PURCHASES = 10  # the newest on the card; the rest on the customer's purchases page
PURCHASES_PER_PAGE = 25


def _searched(request: HttpRequest) -> tuple[SearchForm, QuerySet[Customer]]:
    """The search form of the list page and the customers it selects (also exported)."""
    form = SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    customers = search_customers(
        request.user, data.get("q", ""), tag=data.get("tag", ""), branch_code=data.get("branch", "")
    )
    return form, customers


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "customers.view")
    form, customers = _searched(request)
    page = Paginator(customers.select_related("branch").prefetch_related("contacts"), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "page": page,
            "querystring": request.GET.urlencode(),
            "may_export": has_permission(request.user, "customers.export"),
            "may_import": has_permission(request.user, "customers.import"),
            "may_change": has_permission(request.user, "customers.change"),
        },
    )


@login_required
def customer_card(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "customers.view")
    customer = get_visible_or_404(
        Customer.objects.select_related(
            "branch", "account_manager", "merged_into"
        ).prefetch_related("contacts", "tags"),
        request.user,
        pk=pk,
    )
    page = TimelinePageForm(request.GET)
    before = page.cleaned_data["before"] if page.is_valid() else None
    items = timeline_for(customer, before=before, limit=50)
    figures = figures_for(customer)
    count = next((f.value for f in figures if f.key == "purchases"), None)
    purchases = list(customer.transactions.select_related("branch")[:CARD_PURCHASES])
    return render(
        request,
        "customers/card.html",
        {
            "customer": customer,
            "figures": figures,
            "timeline": [(item, kind_label(item.kind), title_of(item)) for item in items],
            "next_before": items[-1].at.isoformat() if len(items) == 50 else None,
            "may_reveal": may_reveal(request.user),
            "may_change": has_permission(request.user, "customers.change")
            and not customer.merged_into_id,
            "purchases": purchases,
            "more_purchases": count if isinstance(count, int) and count > len(purchases) else 0,
        },
    )


def _changeable(request: HttpRequest, pk: int) -> Customer:
    """The customer a page changes: one the person sees and may change, not merged away."""
    require_permission(request.user, "customers.change")
    return get_visible_or_404(
        Customer.objects.select_related("branch", "account_manager", "merged_into"),
        request.user,
        pk=pk,
    )


def _merged_away(request: HttpRequest, customer: Customer) -> HttpResponse | None:
    """A record merged into another is changed there: say so and go to it."""
    if customer.merged_into_id is None:
        return None
    messages.error(
        request,
        _("This record was merged into %(name)s: make the change there.")
        % {"name": customer.merged_into.name},
    )
    return redirect("customers:card", pk=customer.merged_into_id)


@login_required
def customer_new(request: HttpRequest) -> HttpResponse:
    """A person or an organisation entered by hand, with contacts, consent, tier and tags."""
    require_permission(request.user, "customers.change")
    form = CustomerForm(request.POST or None, user=request.user)
    contacts = NewContactFormSet(request.POST or None, prefix="contact")
    if request.method == "POST" and form.is_valid() & contacts.is_valid():
        data = form.cleaned_data
        try:
            customer = actions.create_customer(
                request.user,
                branch=data["branch"],
                name=data["name"],
                contacts=contacts.contacts(),
                tags=data["tags"],
                external_key=data.get("external_key") or None,
                **form.profile(),
            )
        except ValidationError as exc:
            _report(form, exc)
        else:
            messages.success(request, _("Customer %(name)s added.") % {"name": customer.name})
            return redirect("customers:card", pk=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "contacts": contacts, "customer": None},
    )


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's page to change them: only what the person changed is saved, and a
    field someone else changed meanwhile is shown, not overwritten (the version seen)."""
    customer = _changeable(request, pk)
    if (gone := _merged_away(request, customer)) is not None:
        return gone
    customer = Customer.objects.prefetch_related("contacts", "tags").get(pk=customer.pk)
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    contacts = NewContactFormSet(request.POST or None, prefix="contact")
    if request.method == "POST" and form.is_valid() & contacts.is_valid():
        try:
            actions.edit_customer(
                request.user,
                customer,
                seen=form.seen,
                changes=form.changes(),
                add_contacts=contacts.contacts(),
                remove_contacts=[c.pk for c in form.cleaned_data.get("remove_contacts") or []],
            )
        except EditConflict as conflict:
            form.rebase(Customer.objects.get(pk=customer.pk), conflict)  # theirs shown, mine kept
        except ValidationError as exc:
            _report(form, exc)
        else:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": customer.name})
            return redirect("customers:card", pk=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "contacts": contacts,
            "customer": customer,
            "may_reveal": may_reveal(request.user),
        },
    )


@login_required
@require_GET
def purchase_list(request: HttpRequest, pk: int) -> HttpResponse:
    """All of a customer's purchases, newest first, a page at a time."""
    require_permission(request.user, "customers.view")
    customer = get_visible_or_404(Customer.objects.select_related("branch"), request.user, pk=pk)
    rows = Transaction.objects.filter(customer=customer).select_related("branch")
    page = Paginator(rows.order_by("-occurred_at", "-id"), PURCHASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customers/purchases.html",
        {
            "customer": customer,
            "page": page,
            "may_change": has_permission(request.user, "customers.change")
            and not customer.merged_into_id,
        },
    )


@login_required
def purchase_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A purchase entered by hand; the card's figures (lifetime revenue, purchases, last
    purchase) are read from the purchases, so they show it at once."""
    customer = _changeable(request, pk)
    if (gone := _merged_away(request, customer)) is not None:
        return gone
    form = PurchaseForm(request.POST or None, customer=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            row = actions.record_transaction(request.user, customer, **form.cleaned_data)
        except ValidationError as exc:
            _report(form, exc)
        else:
            messages.success(
                request,
                _("Purchase of %(product)s for %(amount)s recorded.")
                % {"product": row.product, "amount": money(row.amount)},
            )
            return redirect("customers:card", pk=customer.pk)
    return render(request, "customers/purchase_form.html", {"form": form, "customer": customer})


def _import(
    request: HttpRequest, form_class: type, run: Callable[..., Any], done: str, template: str
) -> HttpResponse:
    """A file checked first (a preview with the row report), then imported by `run` (an
    import action); `done` words the counts once rows were written."""
    require_permission(request.user, "customers.import")
    form = form_class(request.POST or None, request.FILES or None, user=request.user)
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            result = run(
                request.user,
                upload,
                filename=upload.name,
                branch=data["branch"],
                atomic=data["atomic"],
                dry_run=not data["confirm"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            if data["confirm"] and result.written:
                messages.success(request, done % result.counts())
    return render(request, template, {"form": form, "result": result})


@login_required
def purchase_import(request: HttpRequest) -> HttpResponse:
    """Purchases from a file, checked first, then imported."""
    return _import(
        request,
        PurchaseImportForm,
        actions.import_transactions,
        _(
            "Purchases added: %(created)s; already there: %(unchanged)s; "
            "rows rejected: %(rejected)s."
        ),
        "customers/import_purchases.html",
    )


@login_required
@require_POST
def customer_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    customer = get_visible_or_404(Customer, request.user, pk=pk)
    target: Customer | Contact = customer
    if field.startswith("contact-"):
        target = get_object_or_404(Contact, customer=customer, pk=field.split("-", 1)[1])
        field = "value"
    return reveal_response(request, target, field)


@login_required
def customer_export(request: HttpRequest) -> FileResponse:
    require_permission(request.user, "customers.export")
    if request.GET.get("segment"):
        segment = get_object_or_404(Segment, pk=request.GET["segment"])
        customers = segments.members(request.user, segment)
        name = f"segment-{segment.pk}"
    else:
        _form, customers = _searched(request)
        name = "customers"
    stream = export_customers(request.user, customers)
    return FileResponse(stream, as_attachment=True, filename=f"{name}.xlsx")


@login_required
def customer_import(request: HttpRequest) -> HttpResponse:
    return _import(
        request,
        ImportForm,
        actions.import_customers,
        _("%(created)s customers created, %(updated)s updated, %(rejected)s rows rejected."),
        "customers/import.html",
    )


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "customers.view")
    if request.method == "POST":
        keep = get_visible_or_404(Customer, request.user, pk=request.POST.get("keep"))
        others = [
            get_visible_or_404(Customer, request.user, pk=pk)
            for pk in request.POST.getlist("merge")
            if pk != str(keep.pk)
        ]
        try:
            actions.merge_customers(request.user, keep, others)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Merged into %(name)s.") % {"name": keep.name})
            return redirect("customers:card", pk=keep.pk)
    groups = find_duplicates(request.user, limit=100)
    return render(
        request,
        "customers/duplicates.html",
        {"groups": groups, "may_merge": has_permission(request.user, "customers.merge")},
    )


@login_required
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "customers.view")
    rows = list(Segment.objects.all())
    branches = segments.branch_names(segment.rules for segment in rows)
    return render(
        request,
        "customers/segments.html",
        {
            "segments": [(segment, segments.describe(segment.rules, branches)) for segment in rows],
            "may_edit": has_permission(request.user, "customers.segments"),
        },
    )


@login_required
def segment_new(request: HttpRequest) -> HttpResponse:
    return _segment_form(request, None)


@login_required
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "customers.segments")
    return _segment_form(request, get_object_or_404(Segment, pk=pk))


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    """The rule builder: the segment's name and words, and its conditions as rows."""
    require_permission(request.user, "customers.segments")
    rules = segment.rules if segment is not None else None
    initial = (
        {"name": segment.name, "description": segment.description, "strategy": segment.strategy}
        if segment is not None
        else None
    )
    if request.method == "POST" and "add_condition" in request.POST:
        # "Add a condition" without JavaScript: the same page with one more row, unchecked.
        sent = {name: request.POST.get(name, "") for name in SegmentForm.base_fields}
        form = SegmentForm(initial=sent, segment=segment)
        conditions = condition_formset(request.user, rules=rules, initial=rows_sent(request.POST))
    elif request.method == "POST":
        form = SegmentForm(request.POST, segment=segment)
        conditions = condition_formset(request.user, request.POST, rules=rules)
        if form.is_valid() & conditions.is_valid():  # both, so every mistake shows at once
            data = form.cleaned_data
            try:
                segment = actions.save_segment(
                    request.user,
                    name=data["name"],
                    rules=conditions.rules(),
                    strategy=data["strategy"],
                    description=data["description"],
                    segment=segment,
                )
            except ValidationError as exc:
                _report(form, exc)
            else:
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
                return redirect("customers:segment", pk=segment.pk)
    else:
        form = SegmentForm(initial=initial, segment=segment)
        conditions = condition_formset(request.user, rules=rules)
    return render(
        request,
        "customers/segment_form.html",
        {
            "segment": segment,
            "form": form,
            "conditions": conditions,
            "prototypes": conditions.prototypes(),
            "datalists": conditions.catalogue.datalists(),
        },
    )


def _report(form: forms.BaseForm, exc: ValidationError) -> None:
    """A refusal of the action, next to the field it is about (or above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "customers.view")
    segment = get_object_or_404(Segment, pk=pk)
    members = segments.members(request.user, segment).select_related("branch")
    return render(
        request,
        "customers/segment.html",
        {
            "segment": segment,
            "conditions": segments.describe_rules(segment.rules),
            "rules_json": json.dumps(segment.rules, ensure_ascii=False, indent=1),
            "summary": segments.summary(request.user, segment),
            "sample": members.order_by("-id")[:25],
            "may_export": has_permission(request.user, "customers.export"),
            "may_edit": has_permission(request.user, "customers.segments"),
        },
    )
