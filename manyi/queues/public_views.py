"""The queue's public pages: the kiosk in the hall, the phone page behind the QR code at
the door (and remote check-in where the branch allows it), the customer's own status page,
and the display board with its live feed. The devices are known by unguessable keys; a
customer's page by the token of their number."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from manyi.core import ratelimit
from manyi.core.qr import qr_svg
from manyi.customers.models import Contact
from manyi.org.models import Branch

from . import actions, config, estimates, live
from .forms import TakeNumberForm, error_text
from .models import QueueSettings, QueueTicket, ServiceType

# Numbers one phone number, or one address, may take in ten minutes (an address is often a
# whole branch's Wi-Fi, hence the larger figure).


def _settings(**key: str) -> QueueSettings:
    settings = QueueSettings.objects.select_related("branch").filter(**key).first()
    if settings is None or not settings.branch.is_active:
        raise Http404(_("This device is not known."))
    return settings


def _services(branch: Branch) -> list[dict[str, Any]]:
    counts = {row["prefix"]: row["waiting"] for row in live.waiting_counts(branch)}
    return [
        {"service": service, "waiting": counts.get(service.prefix, 0)}
        for service in ServiceType.objects.filter(branch=branch, active=True).order_by("position")
    ]


def _customer_by_phone(phone: str) -> Any:
    contact = (
        Contact.objects.filter(kind="mobile", value=phone.strip())
        .select_related("customer")
        .order_by("-is_primary", "pk")
        .first()
    )
    return contact.customer if contact else None


def _status_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("queues_public:status", args=[token]))


def _too_many(request: HttpRequest, phone: str) -> bool:
    """A QR code at the door or a remote check-in can be abused from anywhere: a phone
    number or an address takes a few numbers in ten minutes at most."""
    over = ratelimit.hit(ratelimit.NUMBERS_PER_ADDRESS, ratelimit.address(request))
    if phone:
        over = ratelimit.hit(ratelimit.NUMBERS_PER_PHONE, phone) or over
    return over


def _take(form: TakeNumberForm, settings: QueueSettings, channel: str) -> tuple[Any, str]:
    """A number from the kiosk's or the phone page's form (checked): for a business, or
    for the appointment whose code was typed; raises ValidationError."""
    branch = settings.branch
    data = form.cleaned_data
    if data["appointment"]:
        return actions.check_in(f"{channel}:{branch.code}", branch, data["appointment"])
    phone = data["phone"]
    return actions.take_number(
        f"{channel}:{branch.code}",
        branch,
        data["service"],
        channel=channel,
        priority=form.priority,
        customer=_customer_by_phone(phone) if phone else None,
        phone=phone,
    )


@never_cache
def kiosk(request: HttpRequest, key: str) -> HttpResponse:
    settings = _settings(kiosk_key=key)
    context: dict[str, Any] = {"settings": settings, "branch": settings.branch}
    if request.method == "POST" and ratelimit.hit(ratelimit.NUMBERS_PER_KIOSK, key):
        context["problem"] = _("Numbers are being taken too fast here: wait a moment.")
        context["services"] = _services(settings.branch)
        return render(request, "queues/kiosk.html", context, status=429)
    if request.method == "POST":
        # (a shared screen: what was typed is not shown again to the next customer)
        form = TakeNumberForm(request.POST, branch=settings.branch)
        try:
            if not form.is_valid():
                raise ValidationError(error_text(form, labels=False))
            ticket, token = _take(form, settings, QueueTicket.Channel.KIOSK)
        except ValidationError as exc:
            context["problem"] = " ".join(exc.messages)
        else:
            url = _status_url(request, token)
            estimate = ticket.estimate
            return render(
                request,
                "queues/kiosk_done.html",
                {
                    **context,
                    "ticket": ticket,
                    "qr": qr_svg(url, scale=5),
                    "status_url": url,
                    "estimate": estimates.describe(estimate),
                },
            )
    context["services"] = _services(settings.branch)
    return render(request, "queues/kiosk.html", context)


def _phone_page(request: HttpRequest, settings: QueueSettings, channel: str) -> HttpResponse:
    remote = channel == QueueTicket.Channel.REMOTE
    form = TakeNumberForm(
        request.POST if request.method == "POST" else None,
        branch=settings.branch,
        phone_required=remote,
    )
    context: dict[str, Any] = {
        "settings": settings,
        "branch": settings.branch,
        "remote": remote,
        "form": form,
    }
    if request.method == "POST":
        if not form.is_valid():
            context["problem"] = error_text(form, labels=False)
        elif _too_many(request, form.cleaned_data["phone"]):
            context["problem"] = _("Too many numbers taken from this phone; ask at the counter.")
        else:
            try:
                _ticket, token = _take(form, settings, channel)
            except ValidationError as exc:
                context["problem"] = " ".join(exc.messages)
            else:
                return redirect("queues_public:status", token=token)
    context["services"] = _services(settings.branch)
    return render(request, "queues/phone.html", context)


@never_cache
def door(request: HttpRequest, key: str) -> HttpResponse:
    return _phone_page(request, _settings(door_key=key), QueueTicket.Channel.MOBILE)


@never_cache
def remote(request: HttpRequest, code: str) -> HttpResponse:
    settings = _settings(branch__code=code)
    if not settings.remote_check_in:
        raise Http404(_("This branch does not take numbers remotely."))
    return _phone_page(request, settings, QueueTicket.Channel.REMOTE)


def _ticket(token: str) -> QueueTicket:
    try:
        return config.ticket_by_token(token)
    except ValidationError:
        raise Http404(_("This number is not known.")) from None


@never_cache
def status(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket(token)
    return render(
        request,
        "queues/status.html",
        {"ticket": ticket, "state": live.ticket_state(ticket), "token": token},
    )


@never_cache
def status_state(request: HttpRequest, token: str) -> JsonResponse:
    return JsonResponse(live.ticket_state(_ticket(token)))


@require_POST
def status_leave(request: HttpRequest, token: str) -> HttpResponse:
    try:
        actions.leave(token)
    except ValidationError as exc:
        return JsonResponse({"message": " ".join(exc.messages)}, status=409)
    return redirect("queues_public:status", token=token)


@never_cache
def board(request: HttpRequest, key: str) -> HttpResponse:
    settings = _settings(board_key=key)
    return render(
        request,
        "queues/board.html",
        {
            "branch": settings.branch,
            "state": live.board_state(settings.branch),
            "key": key,
        },
    )


@never_cache
def board_state(request: HttpRequest, key: str) -> JsonResponse:
    """The polling fallback when the live feed cannot be held open."""
    return JsonResponse(live.board_state(_settings(board_key=key).branch))


def board_stream(request: HttpRequest, key: str) -> StreamingHttpResponse:
    """Server-sent events: every call and recall as it happens."""
    settings = _settings(board_key=key)
    try:
        after = int(request.headers.get("Last-Event-ID") or request.GET.get("after") or 0)
    except ValueError:
        after = 0
    if isinstance(request, ASGIRequest):
        content: Any = live.astream(settings.branch_id, after)
    else:
        content = live.stream(settings.branch_id, after)
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # no buffering behind nginx
    return response
