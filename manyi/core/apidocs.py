"""The API reference as a page in the reader's language, built from the same OpenAPI
document programs read: each operation with its purpose, parameters, body and answers.
Swagger's interactive page (English only: swagger-ui has no translations) stays beside it
for trying calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from ninja.openapi.docs import DocsBase, Swagger

from .openapi import ERROR_STATUSES

if TYPE_CHECKING:
    from ninja import NinjaAPI

METHODS = ("get", "post", "put", "patch", "delete")
WHERE = {"path": _("in the address"), "query": _("in the query"), "header": _("header")}
TYPES = {
    "string": pgettext_lazy("data type", "text"),
    "integer": pgettext_lazy("data type", "whole number"),
    "number": pgettext_lazy("data type", "number"),
    "boolean": pgettext_lazy("data type", "yes or no"),
    "array": pgettext_lazy("data type", "list"),
    "object": pgettext_lazy("data type", "object"),
}
GROUPS = {
    "org": _("Organisation"),
    "calendar": _("Business calendar"),
    "customers": _("Customers"),
    "segments": _("Segments"),
    "tickets": _("Complaints and contacts"),
    "surveys": _("Surveys"),
    "feedback": _("Feedback"),
    "queues": _("Branch queues"),
    "insight": _("Satisfaction index"),
}


@dataclass
class Field:
    name: str
    kind: str
    required: bool
    where: str = ""
    choices: list[str] = field(default_factory=list)


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Field]
    body: list[Field]
    answers: list[tuple[str, str]]
    anchor: str


def words(value: Any) -> str:
    """Text written for people (marked for translation) in the reader's language; English
    a programmer wrote for programmers (a docstring, a generated name) is left out."""
    return str(value) if isinstance(value, Promise) else ""


def _resolve(schema: Mapping[str, Any], document: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], document)
    return schema


def _kind(schema: Mapping[str, Any], document: Mapping[str, Any]) -> tuple[str, list[str]]:
    schema = _resolve(schema, document)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        kinds = [_kind(o, document) for o in options if o.get("type") != "null"]
        if len(kinds) == 1:
            return kinds[0]
        return " / ".join(k for k, _c in kinds), []
    choices = [str(c) for c in schema.get("enum", [])]
    kind = str(TYPES.get(schema.get("type", "object"), schema.get("type", "")))
    if schema.get("type") == "array":
        item, item_choices = _kind(schema.get("items", {}), document)
        return f"{kind}（{item}）", item_choices
    if schema.get("format") in {"date-time", "date"}:
        kind = str(
            pgettext_lazy("data type", "date and time")
            if schema["format"] == "date-time"
            else pgettext_lazy("data type", "date")
        )
    return kind, choices


def _fields(schema: Mapping[str, Any], document: Mapping[str, Any]) -> list[Field]:
    schema = _resolve(schema, document)
    required = set(schema.get("required", []))
    found = []
    for name, prop in schema.get("properties", {}).items():
        kind, choices = _kind(prop, document)
        found.append(Field(name, kind, name in required, choices=choices))
    return found


def reference(document: Mapping[str, Any]) -> list[tuple[str, list[Operation]]]:
    """The document's operations grouped by their first path segment, in the reader's
    words."""
    groups: dict[str, list[Operation]] = {}
    prefix = "/api/v1/"
    for path, operations in document.get("paths", {}).items():
        segment = path.removeprefix(prefix).split("/", 1)[0]
        for method in METHODS:
            spec = operations.get(method)
            if spec is None:
                continue
            parameters = []
            for parameter in spec.get("parameters", []):
                kind, choices = _kind(parameter.get("schema", {}), document)
                parameters.append(
                    Field(
                        parameter["name"],
                        kind,
                        bool(parameter.get("required")),
                        where=str(WHERE.get(parameter.get("in", ""), "")),
                        choices=choices,
                    )
                )
            body: list[Field] = []
            for media in spec.get("requestBody", {}).get("content", {}).values():
                body = _fields(media.get("schema", {}), document)
                break
            answers = [  # what this operation answers beyond the errors every one may give
                (str(status), words(answer.get("description")))
                for status, answer in sorted(spec.get("responses", {}).items(), key=str)
                if answer.get("description") is not ERROR_STATUSES.get(int(status))
            ]
            groups.setdefault(segment, []).append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=words(spec.get("summary")),
                    description=words(spec.get("description")),
                    parameters=parameters,
                    body=body,
                    answers=answers,
                    anchor=spec.get("operationId", f"{method}-{path}"),
                )
            )
    return [(str(GROUPS.get(name, name)), groups[name]) for name in sorted(groups)]


class Reference(DocsBase):
    """/api/v1/docs: the reference page; the interactive one is at /api/v1/docs/try."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        document = api.get_openapi_schema(path_params=kwargs)
        return render(
            request,
            "core/api_docs.html",
            {
                "groups": reference(document),
                "openapi_url": self.get_openapi_url(api, kwargs),
                "version": api.version,
                "errors": [(status, str(words)) for status, words in ERROR_STATUSES.items()],
            },
        )


def try_it(request: HttpRequest) -> HttpResponse:
    """Swagger's page for trying calls against this server."""
    from manyi.api import api

    return Swagger().render_page(request, api)
