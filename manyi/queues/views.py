"""Queue pages for staff: the branch's hall at a glance, the counter console (keyboard
driven), numbers given by staff, appointments, and the branch's rules and devices.

Every post is read through its form (`forms.py`); a refused one is shown again on its page
with what was typed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
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

from . import actions, config, live
from .forms import (
    STALE,
    BookForm,
    CounterForm,
    CounterStepForm,
    IssueForm,
    QueueRulesForm,
    ResumeForm,
    ServiceTypeForm,
    SetupRowForm,
    error_text,
)
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


def _home_context(request: HttpRequest, branch: Branch | None) -> dict[str, Any]:
    """The hall at a glance: counters, waiting, numbers set aside, today's appointments and
    (for managers) the addresses of the branch's screens."""
    context: dict[str, Any] = {"branch": branch}
    if branch is None:
        return context
    settings = actions.ensure_settings(branch)  # (the screens' addresses need its keys)
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
        parked=QueueTicket.objects.filter(branch=branch, status=S.PARKED).select_related("service"),
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
    return context


def _home_page(
    request: HttpRequest,
    branch: Branch | None,
    *,
    issue_form: IssueForm | None = None,
    book_form: BookForm | None = None,
) -> HttpResponse:
    """The hall's page; a refused number or booking is shown in its form, as typed."""
    context = _home_context(request, branch)
    context["issue_form"] = issue_form or IssueForm(user=request.user)
    context["book_form"] = book_form or BookForm(user=request.user)
    return render(request, "queues/home.html", context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "queues.serve")
    return _home_page(request, _branch(request))


def _console(
    request: HttpRequest, counter: Counter, step_form: CounterStepForm | None = None
) -> HttpResponse:
    session = StaffSession.objects.filter(counter=counter, ended_at__isnull=True).first()
    mine = session is not None and session.staff == staff_of(request.user)
    current = config.current_ticket(counter)
    line = config.line_for(counter)
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
            "recall_limit": config.settings_for(counter.branch).recall_limit,
            "step_form": step_form or CounterStepForm(),
        },
    )


@login_required
def counter_console(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "queues.serve")
    return _console(request, get_object_or_404(Counter.objects.visible_to(request.user), pk=pk))


@login_required
@require_POST
def counter_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    counter = get_object_or_404(Counter.objects.visible_to(request.user), pk=pk)
    if action not in actions.COUNTER_STEPS:
        messages.error(request, _("Unknown step."))
        return redirect("queues:counter", pk=pk)
    form = CounterStepForm(request.POST)
    if not form.is_valid():  # shown on the console with the note as typed
        require_permission(request.user, "queues.serve")
        messages.error(request, error_text(form, labels=False))
        return _console(request, counter, form)
    try:
        result = actions.counter_step(request.user, counter, action, **form.cleaned_data)
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
    form = ResumeForm(request.POST, host=request.get_host(), secure=request.is_secure())
    form.is_valid()  # (an address of another site is dropped, not followed)
    try:
        actions.resume(request.user, ticket)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(form.cleaned_data.get("next") or reverse("queues:home"))


def _posted_branch(form: IssueForm | BookForm) -> Branch:
    """The branch a number or booking was posted for: one the person sees, or 404."""
    form.is_valid()
    branch = form.cleaned_data.get("branch")
    if branch is None:
        raise Http404(_("No such branch."))
    return branch


@login_required
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    """A number given by staff (a customer at the desk, by phone): any priority."""
    form = IssueForm(request.POST, user=request.user)
    branch = _posted_branch(form)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket, token = actions.take_number(
                request.user,
                branch,
                data["service"],
                channel=QueueTicket.Channel.STAFF,
                priority=data["priority"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            form.add_error(None, ValidationError(exc.messages))  # (as one line)
        else:
            status_url = request.build_absolute_uri(reverse("queues_public:status", args=[token]))
            messages.success(
                request,
                _("Number %(number)s given; the customer can follow it at %(url)s")
                % {"number": ticket.number, "url": status_url},
            )
            return redirect("queues:home")
    require_permission(request.user, "queues.serve")
    return _home_page(request, branch, issue_form=form)


@login_required
@require_POST
def book(request: HttpRequest) -> HttpResponse:
    form = BookForm(request.POST, user=request.user)
    branch = _posted_branch(form)
    if form.is_valid():
        data = form.cleaned_data
        try:
            appointment = actions.book_appointment(
                request.user,
                branch,
                data["service"],
                data["at"],
                name=data["name"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            form.add_error(None, ValidationError(exc.messages))  # (as one line)
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
    require_permission(request.user, "queues.serve")
    return _home_page(request, branch, book_form=form)


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The branch's queue rules, for managers to set and staff to read."""
    require_permission(request.user, "queues.serve")
    branch = _branch(request)
    if branch is None:
        return redirect("queues:home")
    settings = actions.ensure_settings(branch)  # (an edit is made from a stored version)
    form = QueueRulesForm(request.POST or None, instance=QueueSettings.objects.get(pk=settings.pk))
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_settings(request.user, branch, seen=form.seen, **form.changes())
        except EditConflict as conflict:
            form.rebase(QueueSettings.objects.get(pk=settings.pk), conflict)
        except ValidationError as exc:
            form.add_error(None, ValidationError(exc.messages))  # (as one line)
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


def _keep_typed(
    form: ServiceTypeForm | CounterForm,
    row: ServiceType | Counter | None,
    services: list[ServiceType],
    new_service: dict[str, Any],
    new_counter: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Put what was typed into the row it was typed in (shown again, not saved)."""
    if isinstance(form, ServiceTypeForm):
        names = ("prefix", "name", "name_en", "description", "position", "active")
    else:
        names = ("number", "name", "active")
    typed: dict[str, Any] = {name: form[name].value() for name in names}
    for key in ("prefix", "name", "name_en", "description", "number", "position"):
        if key in typed and typed[key] is None:
            typed[key] = ""
    if isinstance(form, CounterForm):
        ranks = [(s, form[f"pref_{s.pk}"].value() or "") for s in services]
    if row is None:
        if isinstance(form, ServiceTypeForm):
            return typed, new_counter
        return new_service, {**typed, "rows": ranks}
    for key, value in typed.items():
        setattr(row, key, value)
    if isinstance(form, CounterForm):
        row.rows = ranks
    return new_service, new_counter


def _save_row(
    request: HttpRequest,
    branch: Branch,
    kind: str,
    row: ServiceType | Counter | None,
    form: ServiceTypeForm | CounterForm,
) -> None:
    """One row of the set-up table, through its action (ValidationError: refused)."""
    if not form.is_valid():
        raise ValidationError(error_text(form))
    data = form.cleaned_data
    if kind == "service":
        actions.save_service_type(
            request.user,
            branch,
            service=row,
            prefix=data["prefix"],
            name=data["name"],
            name_en=data["name_en"],
            description=data["description"],
            position=data["position"],
            active=data["active"],
            seen=form.seen,
        )
        messages.success(request, _("The business is saved."))
    else:
        actions.save_counter(
            request.user,
            branch,
            counter=row,
            number=data["number"],
            name=data["name"],
            active=data["active"],
            services=data["services"],
            seen=form.seen,
        )
        messages.success(request, _("The counter is saved."))


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """The branch's businesses (number series) and counters with their order of preference."""
    require_permission(request.user, "queues.manage")
    branch = _branch(request)
    if branch is None:
        return redirect("queues:home")
    services = list(ServiceType.objects.filter(branch=branch).order_by("position", "prefix"))
    counters = list(Counter.objects.filter(branch=branch).order_by("number"))
    refused: tuple[str, str] | None = None
    typed: tuple[ServiceTypeForm | CounterForm, Any] | None = None
    if request.method == "POST":
        which = SetupRowForm(request.POST)
        try:
            if not which.is_valid():
                raise ValidationError(STALE)
            kind, pk = which.cleaned_data["kind"], which.cleaned_data["pk"]
            rows: list[Any] = services if kind == "service" else counters
            row = next((r for r in rows if r.pk == pk), None)
            form: ServiceTypeForm | CounterForm = (
                ServiceTypeForm(request.POST)
                if kind == "service"
                else CounterForm(request.POST, services=services)
            )
            refused, typed = (kind, str(pk or "new")), (form, row)
            if pk and row is None:  # a row of another branch (the page was for one, the
                # session says another)
                typed = None
                raise ValidationError(_("This row is not at %(branch)s.") % {"branch": branch})
            _save_row(request, branch, kind, row, form)
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
    if typed is not None:  # refused: the row shows what the manager typed, to mend
        new_service, new_counter = _keep_typed(*typed, services, new_service, new_counter)
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
            "refused": refused,
        },
    )
