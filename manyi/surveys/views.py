"""The respondent's page behind a survey link (public: the link is the credential)."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from manyi.core import ratelimit
from manyi.org.actions import SYSTEM

from . import actions, reading
from .forms import WidgetFeedbackForm
from .models import Feedback, SurveyLink


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    who = ratelimit.address(request)
    if ratelimit.exceeded(ratelimit.BAD_TOKENS_PER_ADDRESS, who):
        context = {
            "title": _("Survey"),
            "unusable": _("Too many wrong survey links: please try again later."),
        }
        return render(request, "surveys/answer.html", context, status=429)
    try:
        link = actions.open_link(token)
        version = reading.version_for(link)
    except actions.LinkUnusable as exc:
        if exc.code == "unknown":
            ratelimit.hit(ratelimit.BAD_TOKENS_PER_ADDRESS, who)
        context = {"title": _("Survey"), "unusable": " ".join(exc.messages)}
        return render(request, "surveys/answer.html", context, status=exc.status)
    definition = version.definition
    wanted = request.GET.get("lang") or (
        "zh" if (get_language() or "zh").startswith("zh") else "en"
    )
    language = wanted if wanted in definition["languages"] else definition["default_language"]
    survey = {
        "token": token,
        "language": language,
        "today": timezone.localdate().isoformat(),
        "definition": definition,
        "version": version.number,
        # A shared link (a QR code on the counter) keeps unfinished answers on the device
        # only: one respondent must never see another's.
        "draft": link.draft if link.single_use else {},
        "personal": link.customer_id is not None,
        "seed": _order_seed(link),
        "urls": {
            "optOut": f"/api/v1/surveys/s/{token}/opt-out",
            "draft": f"/api/v1/surveys/s/{token}/draft" if link.single_use else "",
            "submit": f"/api/v1/surveys/s/{token}/responses",
        },
    }
    return render(
        request,
        "surveys/answer.html",
        {
            "title": definition["title"],
            "survey": survey,
            "texts": respondent_texts(),
            "language_code": "zh-Hans" if language == "zh" else language,
        },
    )


def _order_seed(link: SurveyLink) -> str:
    """Where the page's randomised choice orders come from: the link's own, so a reload, a
    resumed draft or a reminder's token shows the same order, and another respondent's link
    another. A link many people share (a QR code) gives "": the page then uses its
    per-visit submission key. Derived from the stored digest, never the token itself."""
    if not link.single_use and link.customer_id is None:
        return ""
    return hashlib.sha256(f"manyi-choice-order:{link.digest}".encode()).hexdigest()[:16]


def respondent_texts() -> dict[str, str]:
    """The page's words, in the request's language (also used by the phone console)."""
    return {
        "next": _("Next"),
        "back": _("Back"),
        "submit": _("Submit"),
        "saved": _("Your answers are saved; you can come back to this link."),
        "sending": _("Sending…"),
        "thanks": _("Thank you! Your answers have been received."),
        "failed": _("Sending failed. Please try again."),
        "fix": _("Please correct the answers marked in red."),
        "required": _("This question needs an answer."),
        "integer": _("Enter a whole number."),
        "decimal": _("Enter a number."),
        "date": _("Enter a date (YYYY-MM-DD)."),
        "choice": _("Choose one of the options given."),
        "rank": _("Put all the options in order, each exactly once."),
        "rankRequired": _("Put the options in your order, or confirm the order shown."),
        "rankHint": _("Use the arrow buttons to order the options: the first is at the top."),
        "rankConfirm": _("Keep this order"),
        "rankConfirmed": _("Order confirmed"),
        # %(label)s, %(position)s and %(count)s are filled in by the page
        "moveUp": _("Move %(label)s up"),
        "moveDown": _("Move %(label)s down"),
        "moved": _("%(label)s is now number %(position)s of %(count)s."),
        "constraint": _("This answer is not accepted."),
        "optOut": _("Send me no more surveys"),
        "optedOut": _("You will receive no more surveys from us."),
    }


def _too_many() -> HttpResponse:
    message = _("Too many requests from your address: please try again in a few minutes.")
    response = JsonResponse({"code": "rate_limited", "message": message}, status=429)
    response["Retry-After"] = "600"
    return response


def _cors(response: HttpResponse) -> HttpResponse:
    """The widget sits on the company's own web pages, another origin than Manyi's."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    return response


@csrf_exempt
def widget_feedback(request: HttpRequest) -> HttpResponse:
    """What the embeddable widget (static/surveys/widget.js) sends: public, any origin."""
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204))
    if request.method != "POST":
        return _cors(JsonResponse({"code": "method_not_allowed"}, status=405))
    if ratelimit.hit(ratelimit.FEEDBACK_PER_ADDRESS, ratelimit.address(request)):
        return _cors(_too_many())
    form = WidgetFeedbackForm.from_body(request.body)
    if not form.is_valid():
        if form.not_json():
            return _cors(JsonResponse({"code": "invalid", "message": _("Not JSON.")}, status=400))
        if form.has_error("branch", "not_found"):
            message = _("Not found.")
            return _cors(JsonResponse({"code": "not_found", "message": message}, status=404))
        return _cors(JsonResponse({"code": "invalid", "message": form.message()}, status=400))
    data = form.cleaned_data
    try:
        feedback = actions.add_feedback(
            SYSTEM,
            source=Feedback.Source.WIDGET,
            text=data["text"],
            kind=data["kind"],
            contact=data["contact"],
            branch=data["branch"],
        )
    except ValidationError as exc:
        message = " ".join(exc.messages)
        return _cors(JsonResponse({"code": "invalid", "message": message}, status=400))
    return _cors(JsonResponse({"id": feedback.pk}, status=201))
