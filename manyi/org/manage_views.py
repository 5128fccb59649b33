"""Administration on our own pages: people and their logins, API tokens, and the
organisation tree (regions, branches, departments). Every change goes through
`org.actions`; these views only parse the forms and show the outcome."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.core.versioning import EditConflict

from . import actions
from .forms import (
    BranchForm,
    DeactivateForm,
    DepartmentForm,
    PasswordResetForm,
    RegionForm,
    StaffCreateForm,
    StaffEditForm,
    TokenCreateForm,
)
from .models import ApiToken, Branch, Department, Region, Staff
from .permissions import require_permission
from .scoping import get_visible_or_404


def _refused(form: Any, exc: ValidationError) -> None:
    """The action's refusal shown on the form: beside the field it names, or on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _person(request: HttpRequest, pk: int, permission: str) -> Staff:
    """The person a page manages, once the viewer may manage people (or their tokens)."""
    require_permission(request.user, permission)
    return get_visible_or_404(Staff.objects.select_related("user"), request.user, pk=pk)


def _secret(request: HttpRequest, staff: Staff, *, title: str, label: str, value: str) -> Any:
    """A password or token shown this once: the page is not cached and is not reached
    again by reloading (the POST is not repeated by a redirect)."""
    response = render(
        request,
        "org/secret.html",
        {"staff": staff, "title": title, "label": label, "value": value},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def staff_new(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "org.manage_staff")
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data["password"] or actions.new_password()
        try:
            staff = actions.create_staff(
                request.user,
                username=data["username"],
                name=data["name"],
                role=data["role"],
                scope=data["scope"],
                branches=list(data["branches"]),
                regions=list(data["regions"]),
                department=data["department"],
                phone=data["phone"],
                password=password,
                employee_no=data["employee_no"] or None,
            )
        except ValidationError as exc:
            _refused(form, exc)
        else:
            if data["password"]:
                messages.success(request, _("%(name)s was added.") % {"name": staff.name})
                return redirect("org:staff_detail", staff.pk)
            return _secret(
                request,
                staff,
                title=_("%(name)s was added") % {"name": staff.name},
                label=_("First password"),
                value=password,
            )
    return render(request, "org/staff_form.html", {"form": form, "staff": None})


@login_required
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _person(request, pk, "org.manage_staff")
    form = StaffEditForm(request.POST or None, instance=staff)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_staff(request.user, staff, seen=form.seen, **form.changes())
        except EditConflict as conflict:
            form.rebase(Staff.objects.get(pk=staff.pk), conflict)
        except ValidationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:staff_detail", staff.pk)
    return render(request, "org/staff_form.html", {"form": form, "staff": staff})


@login_required
@require_POST
def staff_password(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _person(request, pk, "org.manage_staff")
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        typed = form.cleaned_data["password"]
        try:
            password = actions.reset_password(request.user, staff, password=typed or None)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if typed:
                messages.success(request, _("The new password is set."))
            else:
                return _secret(
                    request,
                    staff,
                    title=_("New password for %(name)s") % {"name": staff.name},
                    label=_("New password"),
                    value=password,
                )
    return redirect("org:staff_detail", staff.pk)


@login_required
@require_POST
def staff_active(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _person(request, pk, "org.manage_staff")
    form = DeactivateForm(request.POST)
    if form.is_valid():
        active = form.cleaned_data["active"]
        try:
            actions.set_staff_active(
                request.user, staff, active=active, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            done = (
                _("%(name)s can log in again.") if active else _("%(name)s can no longer log in.")
            )
            messages.success(request, done % {"name": staff.name})
    return redirect("org:staff_detail", staff.pk)


@login_required
@require_POST
def staff_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _person(request, pk, "org.manage_staff")
    if actions.unlock_login(request.user, staff):
        messages.success(request, _("%(name)s can try to log in again.") % {"name": staff.name})
    else:
        messages.info(request, _("%(name)s was not locked out.") % {"name": staff.name})
    return redirect("org:staff_detail", staff.pk)


@login_required
@require_POST
def token_new(request: HttpRequest, pk: int) -> HttpResponse:
    staff = _person(request, pk, "org.manage_tokens")
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what the token is for."))
        return redirect("org:staff_detail", staff.pk)
    _token, raw = actions.create_api_token(request.user, staff.user, name=form.cleaned_data["name"])
    return _secret(
        request,
        staff,
        title=_("API token for %(name)s") % {"name": staff.name},
        label=_("API token"),
        value=raw,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int, token: int) -> HttpResponse:
    require_permission(request.user, "org.manage_tokens")
    staff = get_visible_or_404(Staff, request.user, pk=pk)
    found = get_object_or_404(ApiToken, pk=token, user_id=staff.user_id)
    if found.revoked_at is None:
        actions.revoke_api_token(request.user, found)
        messages.success(request, _("The token was revoked: it no longer opens the API."))
    return redirect("org:staff_detail", staff.pk)


# --- the organisation tree --------------------------------------------------------------


@login_required
def structure(request: HttpRequest) -> HttpResponse:
    """Regions with their branches counted, and the departments, for the administrator."""
    require_permission(request.user, "org.manage_structure")
    regions = Region.objects.annotate(branch_count=Count("branches")).order_by("code")
    departments = Department.objects.select_related("branch").order_by("branch__code", "kind")
    return render(request, "org/structure.html", {"regions": regions, "departments": departments})


def _edit(
    request: HttpRequest,
    form_class: type,
    instance: Any,
    *,
    create: Any,
    update: Any,
    title: str,
    done: Any,
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if instance is None:
                saved = create(request.user, **form.cleaned_data)
            else:
                saved = update(request.user, instance, **values)
        except ValidationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Saved: %(what)s.") % {"what": saved})
            return done(saved)
    return render(request, "org/structure_form.html", {"form": form, "title": title})


@login_required
def region_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    require_permission(request.user, "org.manage_structure")
    region = get_object_or_404(Region, code=code) if code else None
    return _edit(
        request,
        RegionForm,
        region,
        create=actions.create_region,
        update=actions.update_region,
        title=_("New region") if region is None else _("Change %(what)s") % {"what": region},
        done=lambda saved: redirect("org:structure"),
    )


@login_required
def branch_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    require_permission(request.user, "org.manage_structure")
    branch = get_object_or_404(Branch, code=code) if code else None
    return _edit(
        request,
        BranchForm,
        branch,
        create=actions.create_branch,
        update=actions.update_branch,
        title=_("New branch") if branch is None else _("Change %(what)s") % {"what": branch.name},
        done=lambda saved: redirect("org:branch", saved.code),
    )


@login_required
def department_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_permission(request.user, "org.manage_structure")
    department = get_object_or_404(Department, pk=pk) if pk else None
    return _edit(
        request,
        DepartmentForm,
        department,
        create=actions.create_department,
        update=actions.update_department,
        title=_("New department")
        if department is None
        else _("Change %(what)s") % {"what": department.name},
        done=lambda saved: redirect("org:structure"),
    )
