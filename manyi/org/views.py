"""Organisation pages: branches, staff, the personal-data reveal and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from . import accounts, actions, audit
from .forms import AuditFilterForm, PasswordResetForm, TokenCreateForm
from .models import ApiToken, Branch, Staff
from .permissions import has_permission, require_permission
from .scoping import get_visible_or_404


@login_required
def branch_list(request: HttpRequest) -> HttpResponse:
    branches = (
        Branch.objects.visible_to(request.user)
        .select_related("region")
        .order_by("region__code", "code")
    )
    return render(
        request,
        "org/branch_list.html",
        {"branches": branches, "may_manage": has_permission(request.user, "org.manage_structure")},
    )


@login_required
def branch_detail(request: HttpRequest, code: str) -> HttpResponse:
    branch = get_visible_or_404(Branch.objects.select_related("region"), request.user, code=code)
    staff = branch.staff.select_related("department").order_by("role", "employee_no")
    return render(
        request,
        "org/branch_detail.html",
        {
            "branch": branch,
            "staff": staff,
            "may_manage": has_permission(request.user, "org.manage_structure"),
        },
    )


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    queryset = (
        Staff.objects.visible_to(request.user)
        .select_related("department", "user")
        .prefetch_related("branches")
        .order_by("employee_no")
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "org/staff_list.html",
        {"page": page, "may_manage": has_permission(request.user, "org.manage_staff")},
    )


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_visible_or_404(
        Staff.objects.select_related("department", "user").prefetch_related("branches", "regions"),
        request.user,
        pk=pk,
    )
    context: dict[str, Any] = {"staff": staff, "may_reveal": actions.may_reveal(request.user)}
    if has_permission(request.user, "org.manage_staff"):
        username = staff.user.get_username()
        context.update(
            may_manage=True,
            locked_until=accounts.locked_out_until([username]).get(username),
            is_self=staff.user_id == request.user.pk,
            password_form=PasswordResetForm(),
        )
    if has_permission(request.user, "org.manage_tokens"):
        context.update(
            may_manage_tokens=True,
            tokens=ApiToken.objects.filter(user_id=staff.user_id).order_by("-created_at"),
            token_form=TokenCreateForm(),
        )
    return render(request, "org/staff_detail.html", context)


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
