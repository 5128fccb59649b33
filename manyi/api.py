"""The JSON API under /api/v1/: one NinjaAPI, token or session authentication, stable errors.

Every error is JSON: {"code": "not_found", "message": "<human message in the request's
language>"}; validation errors add "details".
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from manyi.org.actions import authenticate_token

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """Authorization: Bearer <token>, as printed by `manyi token create USERNAME`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class ApiError(HttpError):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


ERROR_STATUSES = {
    400: "The change is refused (the message says why)",
    401: "Authentication required",
    403: "Not permitted for this person",
    404: "Not found, or outside this person's branches",
    409: "A conflicting change was made first",
    413: "The request body is too large",
    422: "The request does not match this document",
    429: "Too many requests: wait and try again",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "stable, machine-readable"},
        "message": {"type": "string", "description": "in the request's language"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["code", "message"],
}


NUL_FREE = "^[^\\u0000]*$"


def _nul_errors(value: Any, where: list[Any]) -> list[dict[str, Any]]:
    """Where a NUL character hides in parsed input (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        if "\x00" in value:
            return [{"type": "string_pattern_mismatch", "loc": where, "msg": "NUL character"}]
        return []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += _nul_errors(str(key), [*where, "(key)"]) + _nul_errors(item, [*where, key])
        return found
    if isinstance(value, list):
        return [e for n, item in enumerate(value) for e in _nul_errors(item, [*where, n])]
    return []


class ObjectBodyParser(Parser):
    """A JSON body is one object: `[null]` or `"x"` is refused (422), never read as an empty
    change; no text may hold a NUL character (documented as a pattern on every input)."""

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        if data is not request.GET:  # form fields and files: a file's bytes may hold NUL
            return result
        errors = _nul_errors(result, ["query"])
        if errors:
            raise NinjaValidationError(errors)
        return result

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise NinjaValidationError(
                [{"type": "json_invalid", "loc": ["body"], "msg": "The body is not valid JSON."}]
            ) from None
        if not isinstance(data, dict):
            raise NinjaValidationError(
                [{"type": "dict_type", "loc": ["body"], "msg": "The body must be a JSON object."}]
            )
        errors = _nul_errors(data, ["body"])
        if errors:
            raise NinjaValidationError(errors)
        return data


class ManyiAPI(NinjaAPI):
    """Documents the errors every operation can answer, in the one JSON shape they have."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(*args, **kwargs)
        document.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        inputs: set[str] = set()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    _no_nul(parameter.get("schema", {}))
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    _collect_refs(media.get("schema", {}), inputs)
                    _no_nul(media.get("schema", {}))
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(status, {"description": description, "content": error})
        schemas = document["components"]["schemas"]
        pending = list(inputs)
        while pending:  # the input schemas and the schemas they use
            name = pending.pop()
            found: set[str] = set()
            _collect_refs(schemas.get(name, {}), found)
            pending += [n for n in found - inputs]
            inputs |= found
        for name in inputs:
            _no_nul(schemas.get(name, {}))
        schemas["NulFree"] = NUL_FREE_VALUE
        return document


def _collect_refs(schema: Any, into: set[str]) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            into.add(ref.rsplit("/", 1)[1])
        for value in schema.values():
            _collect_refs(value, into)
    elif isinstance(schema, list):
        for value in schema:
            _collect_refs(value, into)


# Any JSON value without a NUL character: what an input object may carry beyond its named
# fields (ignored, but read by the parser, which refuses NUL anywhere).
NUL_FREE_REF = {"$ref": "#/components/schemas/NulFree"}
NUL_FREE_VALUE = {
    "title": "NulFree",
    "anyOf": [
        {"type": "string", "pattern": NUL_FREE},
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": NUL_FREE_REF},
        {
            "type": "object",
            "propertyNames": {"pattern": NUL_FREE},
            "additionalProperties": NUL_FREE_REF,
        },
    ],
}


def _no_nul(schema: Any) -> None:
    """Text inputs may not hold NUL: say so in the document, as the parser refuses it."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "pattern" not in schema and "format" not in schema:
            schema["pattern"] = NUL_FREE
        if schema.get("type") == "object":
            schema.setdefault("propertyNames", {"pattern": NUL_FREE})
            if schema.get("additionalProperties", True) is True:
                schema["additionalProperties"] = NUL_FREE_REF
        if schema.get("type") == "array" and schema.get("items", True) in (True, {}):
            schema["items"] = NUL_FREE_REF
        for key, value in schema.items():
            if key != "$ref":
                _no_nul(value)
    elif isinstance(schema, list):
        for value in schema:
            _no_nul(value)


api = ManyiAPI(
    title="Manyi API",
    version="1",
    description="Manyi (满意) customer service and satisfaction platform. "
    "Authenticate with `Authorization: Bearer <token>` (`manyi token create USERNAME`).",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api-v1",
    parser=ObjectBodyParser(),
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    response = api.create_response(
        request, {"code": code, "message": message, **extra}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


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
    return error_response(
        request, 422, "validation_error", _("The request is not valid."), details=exc.errors
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
    return error_response(request, 413, "too_large", _("The request is too large."))


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


_mount_routers()
