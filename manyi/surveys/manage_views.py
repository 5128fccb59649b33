"""Survey pages for staff: questionnaires (upload an XLSForm, versions), links with QR
codes, campaigns with their response rates, and the figures of a question."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from manyi.analytics.xlsform import form_from_dict
from manyi.core.masking import mask
from manyi.core.qr import qr_svg
from manyi.customers.models import Segment
from manyi.org.permissions import has_permission, require_permission

from . import actions, export, metrics
from .models import (
    CallAttempt,
    CallCase,
    CallList,
    Campaign,
    Channel,
    Questionnaire,
    ScoreTally,
)
from .views import respondent_texts


@login_required
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    require_permission(request.user, "surveys.view")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an XLSForm workbook."))
        else:
            try:
                version, unsupported = actions.import_xlsform(
                    request.user, content=upload.read(), file_name=upload.name
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Imported “%(title)s”, version %(n)d.")
                    % {"title": version.questionnaire.title, "n": version.number},
                )
                for item in unsupported:
                    messages.warning(
                        request, _("Not supported, left out: %(item)s") % {"item": item}
                    )
                return redirect("surveys:questionnaire", code=version.questionnaire.code)
    # Response counts from the running tallies: reading a million rows is not needed.
    answered = dict(
        ScoreTally.objects.filter(question="").values_list("questionnaire_id").annotate(n=Sum("n"))
    )
    questionnaires = list(Questionnaire.objects.annotate(version_count=Count("versions")))
    for questionnaire in questionnaires:
        questionnaire.response_count = answered.get(questionnaire.pk, 0)
    return render(
        request,
        "surveys/list.html",
        {
            "questionnaires": questionnaires,
            "may_design": has_permission(request.user, "surveys.design"),
        },
    )


def _versions(questionnaire: Questionnaire) -> list[Any]:
    answered = dict(
        ScoreTally.objects.filter(questionnaire=questionnaire, question="")
        .values_list("version")
        .annotate(n=Sum("n"))
    )
    versions = list(questionnaire.versions.order_by("-number"))
    for version in versions:
        version.answers = answered.get(version.number, 0)
    return versions


def question_label(labels: dict[str, str], name: str) -> str:
    """A question's text in the page's language: the Chinese one on a Chinese page, the
    English one on an English page, else whichever the questionnaire has (its code last)."""
    wanted = "en" if (get_language() or "zh").startswith("en") else "zh"
    return (
        labels.get(wanted)
        or labels.get("zh")
        or labels.get("default")
        or next((text for text in labels.values() if text), name)
    )


def _score_questions(questionnaire: Questionnaire) -> list[tuple[str, str, str]]:
    """(name, label, the metric that suits it) of the questions that have figures."""
    found = []
    for question in export.questions_of(questionnaire):
        label = question_label(question.labels, question.name)
        scale = actions.rating_scale(question)
        if scale == (0.0, 10.0):
            found.append((question.name, label, "nps"))
        elif scale is not None or question.kind in ("integer", "decimal"):
            found.append((question.name, label, "csat"))
    return found


BY_CHOICES = {
    "branch": _lazy("Branch"),
    "channel": _lazy("Channel"),
    "month": pgettext_lazy("group by", "Month"),
    "version": pgettext_lazy("group by", "Version"),
    "agent": _lazy("Agent"),
    "tier": _lazy("Customer tier"),
    "campaign": _lazy("Campaign"),
}
METRIC_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "mean": _lazy("Mean")}


def _named_groups(figures: dict[str, Any], by: str) -> dict[str, Any]:
    """The groups as a person reads them: a channel by its name, a version as "version 2"
    (the figures themselves keep the codes, as the API gives them)."""
    if by == "channel":
        names = dict(Channel.choices)
        for group in figures["groups"]:
            group["group"] = names.get(group["group"], group["group"])
    elif by == "version":
        for group in figures["groups"]:
            if group["group"] is not None:
                group["group"] = _("version %(n)s") % {"n": group["group"]}
    return figures


def _figures(
    request: HttpRequest,
    questionnaire: Questionnaire,
    *,
    allowed: tuple[str, ...],
    campaign: Campaign | None = None,
    segments: bool = False,
) -> dict[str, Any]:
    """The figures block of a page: the chosen question, metric and grouping, overall and by
    group, within the person's branches (for one campaign or segment when chosen)."""
    scores = _score_questions(questionnaire)
    chosen = request.GET.get("question") or (scores[0][0] if scores else "")
    metric = request.GET.get("metric") or next((m for n, _l, m in scores if n == chosen), "csat")
    by = request.GET.get("by") or allowed[0]
    segment = None
    if segments and request.GET.get("segment"):
        segment = Segment.objects.filter(pk=request.GET["segment"]).first()
        allowed = tuple(a for a in allowed if a in ("branch", "channel", "month", "version"))
    by = by if by in allowed else allowed[0]
    figures, problem = None, ""
    if chosen:
        try:
            figures = metrics.compute(
                questionnaire,
                request.user,
                question=chosen,
                metric=metric,
                by=by,
                campaign=campaign,
                segment=segment,
            )
            figures["all"] = metrics.compute(
                questionnaire,
                request.user,
                question=chosen,
                metric=metric,
                campaign=campaign,
                segment=segment,
            )["overall"]
            figures = _named_groups(figures, by)
        except ValidationError as exc:
            problem = " ".join(exc.messages)
    return {
        "scores": scores,
        "chosen": chosen,
        "metric": metric,
        "metric_name": METRIC_NAMES.get(metric, ""),
        "by": by,
        "by_choices": [(key, BY_CHOICES[key]) for key in allowed],
        "figures": figures,
        "problem": problem,
        "segment_choices": Segment.objects.order_by("name") if segments else None,
        "segment": segment,
    }


@login_required
def questionnaire_detail(request: HttpRequest, code: str) -> HttpResponse:
    require_permission(request.user, "surveys.view")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    version = questionnaire.current_version()
    form = form_from_dict(version.definition) if version else None
    open_questions = [
        {"name": q.name, "label": question_label(q.labels, q.name)}
        for q in (form.questions if form else [])
        if q.kind == "text" and not q.other_of
    ]
    word_question = request.GET.get("words") or (
        open_questions[0]["name"] if open_questions else ""
    )
    return render(
        request,
        "surveys/detail.html",
        {
            "questionnaire": questionnaire,
            "version": version,
            "form": form,
            "versions": _versions(questionnaire),
            "response_count": ScoreTally.objects.visible_to(request.user)
            .filter(questionnaire=questionnaire, question="")
            .aggregate(n=Sum("n"))["n"]
            or 0,
            **_figures(request, questionnaire, allowed=tuple(BY_CHOICES), segments=True),
            "open_questions": open_questions,
            "word_question": word_question,
            "words": metrics.words(questionnaire, request.user, question=word_question)
            if word_question
            else [],
            "call_lists": CallList.objects.filter(questionnaire=questionnaire).order_by("-pk"),
            "segments": Segment.objects.order_by("name"),
            "campaigns": _with_rates(list(questionnaire.campaigns.order_by("-pk"))),
            "questionnaires": Questionnaire.objects.exclude(pk=questionnaire.pk).filter(
                active=True
            ),
            "channels": Channel.choices,
            "may_distribute": has_permission(request.user, "surveys.distribute"),
            "may_export": has_permission(request.user, "surveys.export"),
            "may_design": has_permission(request.user, "surveys.design"),
        },
    )


@login_required
@require_POST
def new_link(request: HttpRequest, code: str) -> HttpResponse:
    """A multi-use link for a counter or poster, shown with its QR code."""
    require_permission(request.user, "surveys.distribute")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    try:
        _link, token = actions.create_link(
            request.user,
            questionnaire,
            channel=request.POST.get("channel") or Channel.QR,
            single_use=False,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("surveys:questionnaire", code=code)
    url = actions.public_url(token)
    return render(
        request,
        "surveys/link.html",
        {"questionnaire": questionnaire, "url": url, "qr": qr_svg(url)},
    )


@login_required
@require_POST
def new_call_list(request: HttpRequest, code: str) -> HttpResponse:
    """Draw a phone-interview sample from a segment (reproducible with its seed)."""
    require_permission(request.user, "surveys.distribute")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    segment = Segment.objects.filter(pk=request.POST.get("segment") or 0).first()
    try:
        size, seed = int(request.POST.get("size") or 0), int(request.POST.get("seed") or 0)
        if segment is None:
            raise ValidationError(_("Choose the segment to invite."))
        call_list = actions.draw_call_list(
            request.user,
            name=request.POST.get("name") or questionnaire.title,
            questionnaire=questionnaire,
            segment=segment,
            size=size,
            seed=seed,
            stratify_by=request.POST.get("stratify_by") or "",
        )
    except (ValidationError, ValueError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return redirect("surveys:questionnaire", code=code)
    return redirect("surveys:console", pk=call_list.pk)


def _with_rates(campaigns: list[Campaign]) -> list[tuple[Campaign, dict[str, Any]]]:
    rates = actions.response_rates(campaigns)
    return [(campaign, rates[campaign.pk]) for campaign in campaigns]


# -- campaigns -------------------------------------------------------------------------------
@login_required
@require_POST
def new_campaign(request: HttpRequest, code: str) -> HttpResponse:
    require_permission(request.user, "surveys.distribute")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    post = request.POST
    try:
        reminder = int(post["reminder_after_days"]) if post.get("reminder_after_days") else None
        per_cell = int(post["quota_per_cell"]) if post.get("quota_per_cell") else None
        expires = (
            timezone.make_aware(dt.datetime.fromisoformat(post["expires_at"]))
            if post.get("expires_at")
            else None
        )
        campaign = actions.create_campaign(
            request.user,
            name=post.get("name", "").strip(),
            questionnaire=questionnaire,
            segment=Segment.objects.filter(pk=post.get("segment") or 0).first(),
            channel=post.get("channel", ""),
            message=post.get("message", ""),
            reminder_after_days=reminder,
            max_reminders=int(post.get("max_reminders") or 1),
            quota_by=post.get("quota_by", ""),
            quota_per_cell=per_cell,
            divert_to=Questionnaire.objects.filter(code=post.get("divert_to") or "").first(),
            expires_at=expires,
        )
    except ValueError:
        messages.error(request, _("Numbers and dates must be filled in as numbers and dates."))
        return redirect("surveys:questionnaire", code=code)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("surveys:questionnaire", code=code)
    messages.success(request, _("The campaign is saved as a draft; launch it to send."))
    return redirect("surveys:campaign", pk=campaign.pk)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "surveys.view")
    campaign = get_object_or_404(
        Campaign.objects.select_related("questionnaire", "segment", "divert_to"), pk=pk
    )
    return render(
        request,
        "surveys/campaign.html",
        {
            "campaign": campaign,
            "rate": actions.response_rates([campaign])[campaign.pk],
            "cells": actions.quota_cells(campaign),
            **_figures(
                request, campaign.questionnaire, allowed=("branch", "month"), campaign=campaign
            ),
            "may_distribute": has_permission(request.user, "surveys.distribute"),
        },
    )


@login_required
@require_POST
def campaign_launch(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("segment"), pk=pk)
    try:
        counts = actions.launch_campaign(request.user, campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if "queued" in counts:
            messages.success(
                request,
                _("%(n)d invitations are being sent in the background.") % {"n": counts["queued"]},
            )
        else:
            messages.success(
                request,
                _(
                    "Sent %(sent)d; opted out %(opted_out)d; no address %(no_address)d; "
                    "failed %(failed)d."
                )
                % counts,
            )
    return redirect("surveys:campaign", pk=pk)


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        actions.close_campaign(request.user, campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("surveys:campaign", pk=pk)


# -- the phone interviewer's console ---------------------------------------------------------
@login_required
def call_console(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "surveys.distribute")
    call_list = get_object_or_404(CallList.objects.select_related("questionnaire"), pk=pk)
    case = actions.next_call_case(call_list)
    survey = None
    if case is not None:
        version = call_list.questionnaire.current_version()
        survey = {
            "token": f"case-{case.pk}",
            "language": "zh" if (get_language() or "zh").startswith("zh") else "en",
            "today": timezone.localdate().isoformat(),
            "definition": version.definition,
            "draft": {},
            "personal": False,
            "csrf": get_token(request),
            "urls": {
                "submit": reverse("surveys:interview", args=[case.pk]),
                "done": reverse("surveys:console", args=[call_list.pk]),
            },
        }
    counts = dict(call_list.cases.values_list("state").annotate(n=Count("pk")))
    return render(
        request,
        "surveys/console.html",
        {
            "call_list": call_list,
            "case": case,
            "phone": mask("phone", actions.address_of(case.customer, Channel.SMS)) if case else "",
            "survey": survey,
            "texts": respondent_texts(),
            "outcomes": [o for o in CallAttempt.Outcome.choices if o[0] != "completed"],
            "counts": [(label, counts.get(value, 0)) for value, label in CallCase.State.choices],
            "progress": actions.interviewer_progress(call_list),
            "history": case.calls.order_by("-at")[:5] if case else [],
        },
    )


@login_required
@require_POST
def call_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "surveys.distribute")
    case = get_object_or_404(CallCase, pk=pk)
    callback_at = None
    if request.POST.get("callback_at"):
        try:
            callback_at = timezone.make_aware(
                dt.datetime.fromisoformat(request.POST["callback_at"])
            )
        except ValueError:
            messages.error(request, _("Give the callback time as date and time."))
            return redirect("surveys:console", pk=case.call_list_id)
    try:
        actions.record_call(
            request.user,
            case,
            outcome=request.POST.get("outcome", ""),
            recording_ref=request.POST.get("recording_ref", ""),
            note=request.POST.get("note", ""),
            callback_at=callback_at,
            consent=request.POST.get("consent") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("surveys:console", pk=case.call_list_id)


@login_required
@require_POST
def call_interview(request: HttpRequest, pk: int) -> JsonResponse:
    """The console's script posts the answers here, judged like a respondent's."""
    require_permission(request.user, "surveys.distribute")
    case = get_object_or_404(CallCase, pk=pk)
    try:
        body = json.loads(request.body or b"{}")
        response = actions.complete_interview(
            request.user,
            case,
            body.get("answers") or {},
            recording_ref=str(body.get("recording_ref") or ""),
        )
    except actions.SubmissionRefused as exc:
        return JsonResponse(
            {"code": "invalid_answers", "message": exc.messages[0], "problems": exc.problems},
            status=422,
        )
    except (ValidationError, ValueError) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return JsonResponse({"code": "invalid", "message": message}, status=400)
    return JsonResponse({"id": response.pk, "created": True}, status=201)
