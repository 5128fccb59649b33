"""The API fuzzed against its own OpenAPI document (schemathesis), as a manager and as an
agent: no 5xx, every response as documented, no documented request refused wrongly.

Bounded so the suite stays short: `FUZZ_EXAMPLES` examples per operation and role
(`MANYI_FUZZ_EXAMPLES` raises it for a longer probe, see docs/security.md)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES = int(os.environ.get("MANYI_FUZZ_EXAMPLES", "12"))

# A schema-valid request may still be refused by a business rule (400, with a message that
# says why: an empty product, a file that is not an XLSForm); 422 is for requests that do
# not match this document, so a 422 on a schema-valid request is a wrong rejection.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture
def tokens(org):
    from manyi.org.actions import SYSTEM, create_api_token

    from .data import plant

    plant(org)
    return {
        role: create_api_token(SYSTEM, user)[1]
        for role, user in (("manager", org.manager), ("agent", org.agent_a1))
    }


@pytest.fixture
def wsgi():
    """Django's WSGI application, in the test's transaction (as Django's test client does,
    the connection is not closed at the end of each request)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    counted: list[int] = []

    def count(**kwargs):
        counted.append(1)

    request_started.connect(count)
    yield
    request_started.disconnect(count)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    if os.environ.get("MANYI_FUZZ_COUNT_FILE"):  # for the README's figures
        with open(os.environ["MANYI_FUZZ_COUNT_FILE"], "a", encoding="utf-8") as out:
            out.write(f"{len(counted)}\n")


@pytest.mark.fuzz
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
@pytest.mark.parametrize("role", ["manager", "agent"])
def test_api(case, role, tokens, wsgi):
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"})
