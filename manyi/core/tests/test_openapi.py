"""The OpenAPI document is valid, and each schema has one name (generated clients break
when two schemas share a component name and one silently replaces the other)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def document():
    """The document as served (JSON: response codes are strings)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from manyi.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))


def test_every_schema_has_a_unique_component_name():
    import ninja

    from manyi.api import api

    api.get_openapi_schema()
    seen: dict[str, str] = {}
    clashes = []
    pending = list(ninja.Schema.__subclasses__())
    while pending:
        schema = pending.pop()
        pending.extend(schema.__subclasses__())
        if not schema.__module__.startswith("manyi."):
            continue
        where = f"{schema.__module__}.{schema.__qualname__}"
        if schema.__name__ in seen and seen[schema.__name__] != where:
            clashes.append((seen[schema.__name__], where))
        seen.setdefault(schema.__name__, where)
        for enum in _enums_of(schema):  # an enum is a component too, named by its class
            place = f"{enum.__module__}.{enum.__qualname__}"
            if enum.__name__ in seen and seen[enum.__name__] != place:
                clashes.append((seen[enum.__name__], place))
            seen.setdefault(enum.__name__, place)
    assert clashes == []


def _enums_of(schema) -> set:
    import enum
    import typing

    found, pending = set(), [f.annotation for f in schema.model_fields.values()]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            found.add(annotation)
        pending.extend(typing.get_args(annotation))
    return found


def test_the_document_validates(document):
    from openapi_spec_validator import validate

    validate(document)


def test_complaint_endpoints_are_documented_with_the_complaint_schema(document):
    get = document["paths"]["/api/v1/tickets/{ticket_id}"]["get"]
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "subject" in component["properties"]  # a complaint, not a queue number
    number = document["paths"]["/api/v1/queues/tickets/{ticket_id}"]["get"]
    ref = number["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/QueueNumberOut")
