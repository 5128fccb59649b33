"""The API's one error shape, {"code": ..., "message": ...}, for the project's NinjaAPI and
for the app routers that raise or answer errors themselves. Here, in core, so the app
routers need not import the project's `manyi.api` (which imports them to mount them)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.errors import HttpError
from ninja.responses import NinjaJSONEncoder


class ApiError(HttpError):
    """An error an operation answers on purpose: a status, a stable code for programs and a
    message in the request's language for people."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


def error_response(
    request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    response = JsonResponse(
        {"code": code, "message": message, **extra},
        status=status,
        encoder=NinjaJSONEncoder,
        content_type="application/json; charset=utf-8",  # as ninja answers
    )
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response
