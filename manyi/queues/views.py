"""Queue pages for staff: the branch's hall at a glance, the counter console (keyboard
driven), numbers given by staff, appointments, and the branch's rules and devices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.core import clock
from manyi.core.versioning import EditConflict
from manyi.org.models import Branch
from manyi.org.permissions import has_permission, require_permission
from manyi.org.scoping import staff_of

from . import actions, live
from .forms import QueueRulesForm, RowVersionForm
from .models import (
    Appointment,
    Counter,
    CounterService,
    Priority,
    QueueSettings,
    QueueTicket,
    ServiceType,
    StaffSession,
)

S = QueueTicket.Status


def _branch(request: HttpRequest) -> Branch | None:
    """The branch the page is about: chosen, or the person's first."""
    branches = Branch.objects.visible_to(request.user).filter(is_active=True).order_by("code")
    chosen = request.GET.get("branch") or request.session.get("queues_branch")
    branch = branches.filter(code=chosen).first() if chosen else None
    branch = branch or branches.first()
    if branch is not None:
        request.session["queues_branch"] = branch.code
    return branch


@login_required
def home(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "queues.serve")
    branch = _branch(request)
    context: dict[str, Any] = {"branch": branch}
    if branch is not None:
        settings = actions.settings_for(branch)
        sessions = {
            s.counter_id: s
            for s in StaffSession.objects.filter(
                counter__branch=branch, ended_at__isnull=True
            ).select_related("staff")
        }
        # Each counter's businesses in order of preference, and its current number, for all
        # the counters at once: the page takes the same queries for 3 counters or 30.
        in_order = CounterService.objects.select_related("service").order_by("preference", "pk")
        counters = list(
            Counter.objects.filter(branch=branch, active=True)
            .order_by("number")
            .prefetch_related(Prefetch("profile", queryset=in_order))
        )
        current = live.current_tickets(counters)
        for counter in counters:
            counter.session = sessions.get(counter.pk)
            counter.current = current.get(counter.pk)
            counter.service_names = [cs.service.prefix for cs in counter.profile.all()]
        context.update(
            settings=settings,
            branches=Branch.objects.visible_to(request.user).filter(is_active=True),
            counters=counters,
            waiting=live.waiting_counts(branch),
            parked=QueueTicket.objects.filter(branch=branch, status=S.PARKED).select_related(
                "service"
            ),
            services=ServiceType.objects.filter(branch=branch, active=True),
            priorities=Priority.choices,
            appointments=Appointment.objects.filter(
                branch=branch,
                scheduled_at__date=timezone.localdate(clock.now()),
            )
            .select_related("service")
            .order_by("scheduled_at"),
            may_manage=has_permission(request.user, "queues.manage"),
            devices={
                "kiosk": request.build_absolute_uri(
                    reverse("queues_public:kiosk", args=[settings.kiosk_key])
                ),
                "board": request.build_absolute_uri(
                    reverse("queues_public:board", args=[settings.board_key])
                ),
                "door": request.build_absolute_uri(
                    reverse("queues_public:door", args=[settings.door_key])
                ),
            },
        )
    return render(request, "queues/home.html", context)


@login_required
def counter_console(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "queues.serve")
    counter = get_object_or_404(Counter.objects.visible_to(request.user), pk=pk)
    session = StaffSession.objects.filter(counter=counter, ended_at__isnull=True).first()
    mine = session is not None and session.staff == staff_of(request.user)
    current = actions.current_ticket(counter)
    line = actions.line_for(counter)
    return render(
        request,
        "queues/counter.html",
        {
            "counter": counter,
            "session": session,
            "mine": mine,
            "current": current,
            "line": line[:12],
            "line_length": len(line),
            "services": ServiceType.objects.filter(branch=counter.branch, active=True).exclude(
                pk=current.service_id if current else None
            ),
            "recall_limit": actions.settings_for(counter.branch).recall_limit,
        },
    )


@login_required
@require_POST
def counter_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    counter = get_object_or_404(Counter.objects.visible_to(request.user), pk=pk)
    if action not in actions.COUNTER_STEPS:
        messages.error(request, _("Unknown step."))
        return redirect("queues:counter", pk=pk)
    try:
        result = actions.counter_step(
            request.user,
            counter,
            action,
            to=request.POST.get("to", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if action == "next" and result is None:
            messages.info(request, _("Nobody is waiting for this counter's businesses."))
    return redirect("queues:counter", pk=pk)


@login_required
@require_POST
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(QueueTicket.objects.visible_to(request.user), pk=pk)
    try:
        actions.resume(request.user, ticket)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(request.POST.get("next") or reverse("queues:home"))


@login_required
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    """A number given by staff (a customer at the desk, by phone): any priority."""
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user), code=request.POST.get("branch", "")
    )
    service = get_object_or_404(ServiceType, branch=branch, prefix=request.POST.get("service", ""))
    try:
        ticket, token = actions.take_number(
            request.user,
            branch,
            service,
            channel=QueueTicket.Channel.STAFF,
            priority=request.POST.get("priority") or Priority.ORDINARY,
            phone=request.POST.get("phone", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        status_url = request.build_absolute_uri(reverse("queues_public:status", args=[token]))
        messages.success(
            request,
            _("Number %(number)s given; the customer can follow it at %(url)s")
            % {"number": ticket.number, "url": status_url},
        )
    return redirect("queues:home")


@login_required
@require_POST
def book(request: HttpRequest) -> HttpResponse:
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user), code=request.POST.get("branch", "")
    )
    service = get_object_or_404(ServiceType, branch=branch, prefix=request.POST.get("service", ""))
    try:
        when = timezone.make_aware(dt.datetime.fromisoformat(request.POST.get("at", "")))
        appointment = actions.book_appointment(
            request.user,
            branch,
            service,
            when,
            name=request.POST.get("name", ""),
            phone=request.POST.get("phone", ""),
        )
    except ValueError:
        messages.error(request, _("Give the appointment's date and time."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Appointment booked: code %(code)s at %(at)s.")
            % {
                "code": appointment.code,
                "at": timezone.localtime(appointment.scheduled_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return redirect("queues:home")


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The branch's queue rules, for managers to set and staff to read."""
    require_permission(request.user, "queues.serve")
    branch = _branch(request)
    if branch is None:
        return redirect("queues:home")
    settings = actions.settings_for(branch)
    form = QueueRulesForm(request.POST or None, instance=QueueSettings.objects.get(pk=settings.pk))
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_settings(request.user, branch, seen=form.seen, **form.changes())
        except EditConflict as conflict:
            form.rebase(QueueSettings.objects.get(pk=settings.pk), conflict)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The rules are saved."))
            return redirect("queues:rules")
    return render(
        request,
        "queues/rules.html",
        {
            "branch": branch,
            "settings": settings,
            "form": form,
            "may_manage": has_permission(request.user, "queues.manage"),
        },
    )


def _counter_services(request: HttpRequest, services: list[ServiceType]) -> list[ServiceType]:
    """The businesses ticked for a counter, in the order of preference typed beside them."""
    chosen = []
    for service in services:
        raw = request.POST.get(f"pref_{service.pk}", "").strip()
        if raw:
            rank = int(raw)  # ValueError: told to the manager
            if rank < 1:
                raise ValueError(raw)
            chosen.append((rank, service.position, service.prefix, service))
    return [service for *_key, service in sorted(chosen, key=lambda c: c[:3])]


def _keep_typed(
    post: Any,
    services: list[ServiceType],
    counters: list[Counter],
    new_service: dict[str, Any],
    new_counter: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Put what was typed into the row it was typed in (shown again, not saved)."""
    kind, pk = post.get("kind"), post.get("pk") or ""
    active = post.get("active") == "on"
    if kind == "service":
        typed = {key: post.get(key, "") for key in ("prefix", "name", "name_en", "description")}
        typed.update(position=post.get("position", ""), active=active)
        row = next((s for s in services if str(s.pk) == pk), None)
        if row is None:  # (a row of another branch is not shown as this branch's new one)
            return (new_service if pk else typed), new_counter
        for key, value in typed.items():
            setattr(row, key, value)
    elif kind == "counter":
        ranks = [(s, post.get(f"pref_{s.pk}", "")) for s in services]
        typed = {"number": post.get("number", ""), "name": post.get("name", ""), "active": active}
        row = next((c for c in counters if str(c.pk) == pk), None)
        if row is None:
            return new_service, (new_counter if pk else {**typed, "rows": ranks})
        for key, value in typed.items():
            setattr(row, key, value)
        row.rows = ranks
    return new_service, new_counter


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """The branch's businesses (number series) and counters with their order of preference."""
    require_permission(request.user, "queues.manage")
    branch = _branch(request)
    if branch is None:
        return redirect("queues:home")
    services = list(ServiceType.objects.filter(branch=branch).order_by("position", "prefix"))
    counters = list(Counter.objects.filter(branch=branch).order_by("number"))
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("pk") and not any(
                str(row.pk) == post["pk"]
                for row in (services if post.get("kind") == "service" else counters)
            ):  # a row of another branch (the page was for one, the session says another)
                raise ValidationError(_("This row is not at %(branch)s.") % {"branch": branch})
            if post.get("kind") == "service":
                actions.save_service_type(
                    request.user,
                    branch,
                    service=next((s for s in services if str(s.pk) == post.get("pk")), None),
                    prefix=post.get("prefix", ""),
                    name=post.get("name", ""),
                    name_en=post.get("name_en", ""),
                    description=post.get("description", ""),
                    position=int(post.get("position") or 0),
                    active=post.get("active") == "on",
                    seen=RowVersionForm(post).seen(),
                )
                messages.success(request, _("The business is saved."))
            elif post.get("kind") == "counter":
                actions.save_counter(
                    request.user,
                    branch,
                    counter=next((c for c in counters if str(c.pk) == post.get("pk")), None),
                    number=int(post.get("number") or 0),
                    name=post.get("name", ""),
                    active=post.get("active") == "on",
                    services=_counter_services(request, services),
                    seen=RowVersionForm(post).seen(),
                )
                messages.success(request, _("The counter is saved."))
        except ValueError:
            messages.error(request, _("Give the numbers as whole numbers from 1."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except IntegrityError:  # the same prefix or counter number saved at the same moment
            messages.error(request, _("Someone saved the same a moment ago; look again."))
        else:
            return redirect(f"{reverse('queues:setup')}?branch={branch.code}")
    preferences = {
        (row.counter_id, row.service_id): row.preference
        for row in CounterService.objects.filter(counter__branch=branch)
    }
    for counter in counters:
        counter.rows = [(s, preferences.get((counter.pk, s.pk))) for s in services]
        counter.order = [
            s.prefix
            for s, rank in sorted(((s, r) for s, r in counter.rows if r), key=lambda item: item[1])
        ]
    new_service = {"position": len(services) + 1, "active": True}
    new_counter = {
        "number": max((c.number for c in counters), default=0) + 1,
        "active": True,
        "rows": [(s, None) for s in services],
    }
    if request.method == "POST":  # refused: the row shows what the manager typed, to mend
        new_service, new_counter = _keep_typed(
            request.POST, services, counters, new_service, new_counter
        )
    return render(
        request,
        "queues/setup.html",
        {
            "branch": branch,
            "branches": Branch.objects.visible_to(request.user).filter(is_active=True),
            "services": services,
            "counters": counters,
            "new_service": new_service,
            "new_counter": new_counter,
            "refused": (request.POST.get("kind"), request.POST.get("pk") or "new")
            if request.method == "POST"
            else None,
        },
    )
