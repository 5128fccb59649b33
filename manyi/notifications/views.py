"""The inbox behind the bell, and a person's e-mail preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.org.scoping import staff_of

from . import actions
from .forms import PreferenceForm
from .inbox import mine
from .kinds import detail, headline


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(mine(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "rows": [(n, headline(n), detail(n)) for n in page.object_list],
        },
    )


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Marked read on open, then on to what it is about."""
    notification = actions.open_notification(request.user, pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    done = actions.mark_all_read(request.user)
    messages.success(request, _("%(n)d marked as read.") % {"n": done})
    return redirect("notifications:inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    current = actions.preference_of(staff) if staff is not None else None
    initial = {
        "email_kinds": current.email_kinds if current else [],
        "digest": current.digest if current else "single",
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_preference(
                request.user,
                email_kinds=form.cleaned_data["email_kinds"],
                digest=form.cleaned_data["digest"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "address": request.user.email},
    )
