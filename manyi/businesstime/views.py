from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.org.models import Branch
from manyi.org.permissions import has_permission, require_permission

from . import actions
from .forms import ClosureForm, OfficialYearForm
from .models import WEEKDAYS, Closure, OfficialYear
from .services import calendars_for_branches, year_coverage

WEEKDAY_NAMES = dict(WEEKDAYS)


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "calendar.view")
    may_manage = has_permission(request.user, "calendar.manage")
    year_form = OfficialYearForm(prefix="year")
    closure_form = ClosureForm(prefix="closure", user=request.user)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if "year-year" in request.POST:
            year_form = OfficialYearForm(request.POST, prefix="year")
            if year_form.is_valid():
                data = year_form.cleaned_data
                try:
                    actions.declare_official_year(
                        request.user,
                        data["year"],
                        holidays=data["holidays"],
                        workdays=data["workdays"],
                        source=data["source"],
                    )
                except ValidationError as exc:
                    year_form.add_error(None, exc)
                else:
                    messages.success(
                        request, _("The holidays of %(year)s are saved.") % {"year": data["year"]}
                    )
                    return redirect("businesstime:calendar")
        else:
            closure_form = ClosureForm(request.POST, prefix="closure", user=request.user)
            if closure_form.is_valid():
                data = closure_form.cleaned_data
                try:
                    actions.add_closure(
                        request.user,
                        branch=data["branch"],
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        reason=data["reason"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    closure_form.add_error(None, str(getattr(exc, "message", exc)))
                else:
                    messages.success(request, _("The closure is saved."))
                    return redirect("businesstime:calendar")
    now = timezone.now()
    branches = list(Branch.objects.visible_to(request.user).order_by("code"))
    calendars = calendars_for_branches(branches)  # one read for all, however many
    branch_rows = []
    for branch in branches:
        calendar = calendars[branch.pk]
        try:
            next_open = calendar.next_open(now)
        except ValueError:  # closed until further notice: no opening within ten years
            next_open = None
        branch_rows.append(
            {
                "branch": branch,
                "hours": [
                    (WEEKDAY_NAMES[day], spans)
                    for day, spans in sorted(calendar.weekly_hours.items())
                ],
                "open_now": calendar.is_open(now),
                "next_open": next_open,
            }
        )
    coverage = year_coverage()
    return render(
        request,
        "businesstime/calendar.html",
        {
            "coverage": coverage,
            "fallback_years": [row["year"] for row in coverage if row["source"] == "fallback"],
            "entered_years": OfficialYear.objects.prefetch_related("days"),
            "branch_rows": branch_rows,
            "closures": Closure.objects.filter(ends_at__gte=now)
            .filter(Q(branch__isnull=True) | Q(branch__in=branches))
            .select_related("branch")[:50],
            "may_manage": may_manage,
            "year_form": year_form,
            "closure_form": closure_form,
        },
    )
