"""The OpenAPI document as the API really behaves, and the request parser behind it.

Ninja documents each operation's successful answers from its schemas; `complete` adds the
error answers every operation can give and the NUL-free rule on every text input, which
`ObjectBodyParser` enforces (PostgreSQL cannot store a NUL). No view imports this: only
`manyi/api.py`."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

ERROR_STATUSES = {
    400: _("The change is refused (the message says why)"),
    401: _("Authentication required"),
    403: _("Not permitted for this person"),
    404: _("Not found, or outside this person's branches"),
    409: _("A conflicting change was made first"),
    413: _("The request body is too large"),
    422: _("The request does not match this document"),
    429: _("Too many requests: wait and try again"),
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "stable, machine-readable"},
        "message": {"type": "string", "description": "in the request's language"},
        "details": {"type": "array", "items": {"type": "object"}},
        "version": {
            "type": "integer",
            "description": "edit_conflict: the record's version now (its ETag)",
        },
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


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add what ninja leaves out: the errors every operation can answer, in their one
    shape, and that no text input may hold a NUL (the parser below refuses it)."""
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
