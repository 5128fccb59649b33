"""Survey pages for staff: questionnaires (upload an XLSForm, versions), links with QR
codes, campaigns with their response rates, and the figures of a question."""

from __future__ import annotations

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
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.analytics.xlsform import form_from_dict
from manyi.core.masking import mask
from manyi.core.qr import qr_svg
from manyi.customers.models import Segment
from manyi.org.permissions import has_permission, require_permission

from . import actions, export, metrics, reading
from .forms import (
    CallListForm,
    CallOutcomeForm,
    CampaignForm,
    InterviewForm,
    LinkForm,
    XLSFormUploadForm,
    refuse,
)
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
    upload_form = XLSFormUploadForm()
    if request.method == "POST":
        upload_form = XLSFormUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            try:
                version, unsupported = actions.import_xlsform(
                    request.user, content=upload.read(), file_name=upload.name
                )
            except ValidationError as exc:
                refuse(upload_form, exc)
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
            "upload_form": upload_form,
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
        scale = reading.rating_scale(question)
        if scale == (0.0, 10.0):
            found.append((question.name, label, "nps"))
        elif scale is not None or question.kind in ("integer", "decimal"):
            found.append((question.name, label, "csat"))
    return found


BY_CHOICES = {
    "branch": gettext_lazy("Branch"),
    "channel": gettext_lazy("Channel"),
    "month": pgettext_lazy("group by", "Month"),
    "version": pgettext_lazy("group by", "Version"),
    "agent": gettext_lazy("Agent"),
    "tier": gettext_lazy("Customer tier"),
    "campaign": gettext_lazy("Campaign"),
}
METRIC_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "mean": gettext_lazy("Mean")}


def _named_groups(figures: dict[str, Any], by: str) -> dict[str, Any]:
    """The groups as a person reads them: a branch or a channel by its name, a version as
    "version 2" (the figures themselves keep the codes, as the API gives them)."""
    if by in ("branch", "channel"):
        names = reading.branch_names() if by == "branch" else dict(Channel.choices)
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
    segment_id = request.GET.get("segment", "")
    if segments and segment_id.isdigit() and len(segment_id) < 19:  # else: not a segment
        segment = Segment.objects.filter(pk=int(segment_id)).first()
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
    return _detail_page(request, get_object_or_404(Questionnaire, code=code))


def _detail_page(
    request: HttpRequest,
    questionnaire: Questionnaire,
    *,
    campaign_form: CampaignForm | None = None,
    call_form: CallListForm | None = None,
    link_form: LinkForm | None = None,
) -> HttpResponse:
    """The questionnaire's page; after a refused post, with that form as it was filled in
    and why it was refused (the other forms fresh)."""
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
            "campaign_form": campaign_form or CampaignForm(),
            "call_form": call_form or CallListForm(),
            "link_form": link_form or LinkForm(),
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
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            _link, token = actions.create_link(
                request.user,
                questionnaire,
                channel=form.cleaned_data["channel"],
                single_use=False,
            )
        except ValidationError as exc:
            refuse(form, exc)
        else:
            url = reading.public_url(token)
            return render(
                request,
                "surveys/link.html",
                {"questionnaire": questionnaire, "url": url, "qr": qr_svg(url)},
            )
    return _detail_page(request, questionnaire, link_form=form)


@login_required
@require_POST
def new_call_list(request: HttpRequest, code: str) -> HttpResponse:
    """Draw a phone-interview sample from a segment (reproducible with its seed)."""
    require_permission(request.user, "surveys.distribute")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    form = CallListForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            call_list = actions.draw_call_list(
                request.user,
                name=data["name"] or questionnaire.title,
                questionnaire=questionnaire,
                segment=data["segment"],
                size=data["size"],
                seed=data["seed"],
                stratify_by=data["stratify_by"],
            )
        except ValidationError as exc:
            refuse(form, exc)
        else:
            return redirect("surveys:console", pk=call_list.pk)
    return _detail_page(request, questionnaire, call_form=form)


def _with_rates(campaigns: list[Campaign]) -> list[tuple[Campaign, dict[str, Any]]]:
    rates = reading.response_rates(campaigns)
    return [(campaign, rates[campaign.pk]) for campaign in campaigns]


# -- campaigns -------------------------------------------------------------------------------
@login_required
@require_POST
def new_campaign(request: HttpRequest, code: str) -> HttpResponse:
    require_permission(request.user, "surveys.distribute")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    form = CampaignForm(request.POST)
    if form.is_valid():
        try:
            campaign = actions.create_campaign(
                request.user, questionnaire=questionnaire, **form.cleaned_data
            )
        except ValidationError as exc:
            refuse(form, exc)
        else:
            messages.success(request, _("The campaign is saved as a draft; launch it to send."))
            return redirect("surveys:campaign", pk=campaign.pk)
    return _detail_page(request, questionnaire, campaign_form=form)


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
            "rate": reading.response_rates([campaign])[campaign.pk],
            "cells": reading.quota_cells(campaign),
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
    return _console_page(request, call_list, reading.next_call_case(call_list))


def _console_page(
    request: HttpRequest,
    call_list: CallList,
    case: CallCase | None,
    outcome_form: CallOutcomeForm | None = None,
) -> HttpResponse:
    """The console on `case`; after a refused outcome, with what was filled in and why."""
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
            "phone": mask("phone", reading.address_of(case.customer, Channel.SMS)) if case else "",
            "survey": survey,
            "texts": respondent_texts(),
            "outcomes": [o for o in CallAttempt.Outcome.choices if o[0] != "completed"],
            "outcome_form": outcome_form or CallOutcomeForm(),
            "counts": [(label, counts.get(value, 0)) for value, label in CallCase.State.choices],
            "progress": reading.interviewer_progress(call_list),
            "history": case.calls.order_by("-at")[:5] if case else [],
        },
    )


@login_required
@require_POST
def call_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(request.user, "surveys.distribute")
    case = get_object_or_404(
        CallCase.objects.select_related("call_list__questionnaire", "customer"), pk=pk
    )
    form = CallOutcomeForm(request.POST)
    if form.is_valid():
        try:
            actions.record_call(request.user, case, **form.cleaned_data)
        except ValidationError as exc:
            refuse(form, exc)
        else:
            return redirect("surveys:console", pk=case.call_list_id)
    return _console_page(request, case.call_list, case, form)


@login_required
@require_POST
def call_interview(request: HttpRequest, pk: int) -> JsonResponse:
    """The console's script posts the answers here, judged like a respondent's."""
    require_permission(request.user, "surveys.distribute")
    case = get_object_or_404(CallCase, pk=pk)
    form = InterviewForm.from_body(request.body)
    if not form.is_valid():
        return JsonResponse({"code": "invalid", "message": form.message()}, status=400)
    try:
        response = actions.complete_interview(
            request.user,
            case,
            form.cleaned_data["answers"],
            recording_ref=form.cleaned_data["recording_ref"],
        )
    except actions.SubmissionRefused as exc:
        return JsonResponse(
            {"code": "invalid_answers", "message": exc.messages[0], "problems": exc.problems},
            status=422,
        )
    except ValidationError as exc:
        return JsonResponse({"code": "invalid", "message": " ".join(exc.messages)}, status=400)
    return JsonResponse({"id": response.pk, "created": True}, status=201)
