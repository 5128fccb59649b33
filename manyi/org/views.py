"""Organisation pages: branches, staff, the personal-data reveal and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from . import actions, audit
from .forms import AuditFilterForm
from .models import Branch, Staff
from .permissions import has_permission, require_permission
from .scoping import get_visible_or_404


@login_required
def branch_list(request: HttpRequest) -> HttpResponse:
    branches = (
        Branch.objects.visible_to(request.user)
        .select_related("region")
        .order_by("region__code", "code")
    )
    return render(request, "org/branch_list.html", {"branches": branches})


@login_required
def branch_detail(request: HttpRequest, code: str) -> HttpResponse:
    branch = get_visible_or_404(Branch.objects.select_related("region"), request.user, code=code)
    staff = branch.staff.select_related("department").order_by("role", "employee_no")
    return render(request, "org/branch_detail.html", {"branch": branch, "staff": staff})


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    queryset = (
        Staff.objects.visible_to(request.user)
        .select_related("department", "user")
        .prefetch_related("branches")
        .order_by("employee_no")
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "org/staff_list.html", {"page": page})


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_visible_or_404(
        Staff.objects.select_related("department", "user").prefetch_related("branches", "regions"),
        request.user,
        pk=pk,
    )
    return render(
        request,
        "org/staff_detail.html",
        {"staff": staff, "may_reveal": actions.may_reveal(request.user)},
    )


@login_required
@require_POST
def staff_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    return reveal_response(request, get_visible_or_404(Staff, request.user, pk=pk), field)


def reveal_response(request: HttpRequest, obj: Any, field: str) -> JsonResponse:
    """The page's "show" button for any personal field: permission, audit, JSON answer."""
    try:
        value = actions.reveal_personal_data(
            request.user, obj, field, reason=request.POST.get("reason", "")
        )
    except PermissionDenied as exc:
        return JsonResponse({"code": "forbidden", "message": str(exc)}, status=403)
    except ValidationError as exc:
        return JsonResponse({"code": "invalid", "message": " ".join(exc.messages)}, status=400)
    return JsonResponse({"field": field, "value": value})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "audit.view")
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit.search(request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "org/audit_list.html",
        {
            "form": form,
            "page": page,
            "rows": audit.readable(page),
            "querystring": _without_page(request),
            "may_view": has_permission(request.user, "audit.view"),
        },
    )


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
