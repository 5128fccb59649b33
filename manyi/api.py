"""The JSON API under /api/v1/: one NinjaAPI, token or session authentication, stable errors.

Every error is JSON: {"code": "not_found", "message": "<human message in the request's
language>"}; validation errors add "details".
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from manyi.core import openapi
from manyi.core.apidocs import Reference
from manyi.core.apierrors import ApiError, error_response
from manyi.core.middleware import too_large
from manyi.core.schemas import describe_errors
from manyi.core.versioning import EditConflict
from manyi.org.actions import authenticate_token

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """Authorization: Bearer <token>, as printed by `manyi token create USERNAME`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class ManyiAPI(NinjaAPI):
    """Documents the errors every operation can answer, in the one JSON shape they have."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return openapi.complete(super().get_openapi_schema(*args, **kwargs))


api = ManyiAPI(
    title="Manyi API",
    version="1",
    description="Manyi (满意) customer service and satisfaction platform. "
    "Authenticate with `Authorization: Bearer <token>` (`manyi token create USERNAME`).",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api-v1",
    parser=openapi.ObjectBodyParser(),
    docs=Reference(),
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(request, exc.status_code, exc.code, str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(
        request,
        401,
        "unauthorized",
        _("Authentication required: send Authorization: Bearer <token>."),
    )


@api.exception_handler(NinjaValidationError)
def _invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """422, with a message in the request's language that names each wrong field."""
    reasons = describe_errors(list(exc.errors))
    message = _("The request is not valid.")
    if reasons:
        message = f"{message} {' '.join(reasons[:10])}"
    return error_response(request, 422, "validation_error", message, details=exc.errors)


@api.exception_handler(EditConflict)
def _edit_conflict(request: HttpRequest, exc: EditConflict) -> HttpResponse:
    """An edit made from an older version meets a newer change of the same field."""
    return error_response(
        request,
        409,
        "edit_conflict",
        " ".join(exc.messages),
        details=[{"field": name, "label": str(label)} for name, label in exc.labelled()],
        version=exc.version,
    )


@api.exception_handler(ValidationError)
def _invalid_change(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(request, 400, "invalid", " ".join(exc.messages))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(
        request, 403, "forbidden", str(exc) or _("You do not have permission to do this.")
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, NinjaValidationError):  # our parser refused the body (ninja wraps it)
        return _invalid_request(request, cause)
    if exc.status_code == 400 and cause is not None:
        return error_response(request, 400, "bad_request", _("The request body cannot be read."))
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        429: "rate_limited",
    }
    return error_response(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body without a Content-Length that grows past the limit (the middleware refuses
    the others before they are read)."""
    return too_large(request)


@api.exception_handler(DataError)
def _unstorable(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A form field with a NUL character reaches PostgreSQL, which cannot store it."""
    if "NUL" in str(exc):
        return error_response(
            request, 422, "validation_error", _("Text may not contain NUL characters.")
        )
    return _server_error(request, exc)


@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    """A number too big for the database (SQLite's integers are 64-bit)."""
    return error_response(
        request, 422, "validation_error", _("A number in the request is too large.")
    )


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path, exc_info=exc)
    return error_response(
        request, 500, "server_error", _("Something went wrong on our side; it has been logged.")
    )


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(request, 404, "not_found", _("No such API endpoint."))


def _mount_routers() -> None:
    from manyi.businesstime.api import router as calendar_router
    from manyi.customers.api import router as customers_router
    from manyi.insight.api import router as insight_router
    from manyi.org.api import router as org_router
    from manyi.queues.api import router as queues_router
    from manyi.surveys.api import router as surveys_router
    from manyi.tickets.api import router as tickets_router

    api.add_router("/org/", org_router)
    api.add_router("/calendar/", calendar_router)
    api.add_router("/", customers_router)
    api.add_router("/", tickets_router)
    api.add_router("/", surveys_router)
    api.add_router("/", queues_router)
    api.add_router("/", insight_router)


_mount_routers()
