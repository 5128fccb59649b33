"""Request limits every page and endpoint shares: an over-large body is refused with 413
before anything reads it; a path holding a NUL character names nothing (404); what a
signed-in person is shown is never stored by a cache."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# The largest file a person may upload (an analysis data set, 100 MB) with room for the form.
MAX_REQUEST_BYTES = 101 * 1024 * 1024


def refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """The API's JSON error shape under /api/, plain text in the person's language elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def too_large(request: HttpRequest) -> HttpResponse:
    return refuse(request, 413, "too_large", _("The request is too large."))


class RequestLimits:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:  # no record is named with a NUL (PostgreSQL cannot hold one)
            return refuse(request, 404, "not_found", _("Not found."))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.content_type == "multipart/form-data"
        limit = MAX_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return too_large(request)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Expires"):
            # pages and answers for staff carry personal data: never kept by a cache
            patch_cache_control(response, private=True, no_store=True)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
            return too_large(request)
        return None
