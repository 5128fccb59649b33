"""The complaint desk's configuration pages: reason codes, SLA targets, approval limits,
repeat and follow-up settings, canned replies and assignment rules. Company-wide, for
people with `tickets.configure`; every change goes through `actions.save_configuration`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from manyi.core.versioning import EditConflict
from manyi.org.permissions import require_permission
from manyi.org.roles import Role

from . import actions, policy
from .forms import (
    ApprovalRuleForm,
    AssignmentRuleForm,
    CannedReplyForm,
    ReasonCodeForm,
    SettingsForm,
    SLAPolicyForm,
)
from .models import (
    ApprovalRule,
    AssignmentRule,
    CannedReply,
    Priority,
    ReasonCode,
    Settings,
    SLAPolicy,
    TicketType,
)

KINDS: dict[str, tuple[type[Model], type[ModelForm], Any]] = {
    "reason": (ReasonCode, ReasonCodeForm, gettext_lazy("Reason code")),
    "sla": (SLAPolicy, SLAPolicyForm, gettext_lazy("SLA policy")),
    "approval": (ApprovalRule, ApprovalRuleForm, gettext_lazy("Approval limit")),
    "settings": (Settings, SettingsForm, gettext_lazy("Repeats and follow-up")),
    "reply": (CannedReply, CannedReplyForm, gettext_lazy("Canned reply")),
    "assignment": (AssignmentRule, AssignmentRuleForm, gettext_lazy("Assignment rule")),
}


def _duration(minutes: float) -> str:
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    return _("%(n)s h") % {"n": f"{minutes / 60:g}"}


def _reason_tree() -> list[tuple[int, ReasonCode]]:
    """(depth, reason) in tree order, parents before their children."""
    reasons = list(ReasonCode.objects.order_by("code"))
    children: dict[int | None, list[ReasonCode]] = {}
    for reason in reasons:
        children.setdefault(reason.parent_id, []).append(reason)
    rows: list[tuple[int, ReasonCode]] = []

    def walk(parent: int | None, depth: int) -> None:
        for reason in children.get(parent, []):
            rows.append((depth, reason))
            walk(reason.pk, depth + 1)

    walk(None, 0)
    return rows


@login_required
def configuration(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "tickets.configure")
    types, priorities = dict(TicketType.choices), dict(Priority.choices)
    default_targets = [
        {
            "type": types.get(ticket_type, _("any")),
            "priority": priorities.get(priority, _("any")),
            "first_response": _duration(t.first_response.total_seconds() / 60),
            "resolution": _duration(t.resolution.total_seconds() / 60),
            "same_day": t.same_day_reply,
        }
        for (ticket_type, priority), t in policy.DEFAULT_TARGETS.items()
    ]
    policies = [
        {
            "row": p,
            "first_response": _duration(p.first_response_minutes),
            "resolution": _duration(p.resolution_minutes),
        }
        for p in SLAPolicy.objects.order_by("ticket_type", "priority", "name")
    ]
    default_rules = [
        {
            "role": Role(r.role).label,
            "rank": r.rank,
            "max_amount": r.max_amount,
            "max_severity": r.max_severity,
            "two_step": r.two_step,
        }
        for r in policy.DEFAULT_RULES
    ]
    return render(
        request,
        "tickets/configuration.html",
        {
            "reasons": _reason_tree(),
            "policies": policies,
            "default_targets": default_targets,
            "rules": ApprovalRule.objects.order_by("rank", "role"),
            "default_rules": default_rules,
            "settings": Settings.objects.first() or Settings(),
            "replies": CannedReply.objects.order_by("title"),
            "assignment_rules": AssignmentRule.objects.select_related(
                "branch", "reason"
            ).prefetch_related("pool"),
        },
    )


def _instance(kind: str, pk: int | None) -> tuple[Model, type[ModelForm], Any]:
    if kind not in KINDS:
        raise Http404(_("Not found."))
    model, form_class, title = KINDS[kind]
    if kind == "settings":
        return Settings.objects.first() or Settings(), form_class, title
    return (get_object_or_404(model, pk=pk) if pk else model()), form_class, title


@login_required
def edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    require_permission(request.user, "tickets.configure")
    instance, form_class, title = _instance(kind, pk)
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        many = {"pool": form.cleaned_data["pool"]} if kind == "assignment" else None
        try:
            if instance.pk is None:
                actions.save_configuration(request.user, form.save(commit=False), many=many)
            else:  # only what the person changed, from the version the page showed
                changes = form.changes()
                changes.pop("pool", None)
                actions.save_configuration(
                    request.user,
                    instance,
                    changes=changes,
                    seen=form.seen,
                    many=many if "pool" in form.changed_data else None,
                )
        except EditConflict as conflict:
            form.rebase(type(instance).objects.get(pk=instance.pk), conflict)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved: %(what)s.") % {"what": title})
            return redirect(reverse("tickets:configuration") + f"#{kind}")
    return render(
        request,
        "tickets/configuration_form.html",
        {"form": form, "title": title, "kind": kind, "instance": instance},
    )


@login_required
@require_POST
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    require_permission(request.user, "tickets.configure")
    if kind == "settings":
        raise Http404(_("Not found."))
    instance, _form, title = _instance(kind, pk)
    try:
        actions.delete_configuration(request.user, instance)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deleted: %(what)s.") % {"what": title})
    return redirect(reverse("tickets:configuration") + f"#{kind}")
