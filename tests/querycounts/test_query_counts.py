"""Every page and every JSON API read keeps the number of queries it has in baseline.json.

For each role the site is walked from "/" (the links each page shows, one page per shape of
address), and every GET route of the API is called (each list, and each detail with a real
id); each address is requested twice and the second request's queries counted, so that
the per-process configuration caches filled by the first are in place, as they are in
production, and the counts do not depend on the order of the walk or the machine's speed.
A page that makes more queries than its baseline fails the test (an N+1 appeared, or a
regression); one that makes fewer is reported as a warning. After a deliberate change,
regenerate the baseline:

    MANYI_QUERY_BASELINE=update .venv/bin/pytest tests/querycounts

(and the same with DATABASE_URL=postgres://... where the PostgreSQL counts changed).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.crawl.crawler import crawl, shape

BASELINE = Path(__file__).with_name("baseline.json")
UPDATING = os.environ.get("MANYI_QUERY_BASELINE") == "update"
REGENERATE = "MANYI_QUERY_BASELINE=update .venv/bin/pytest tests/querycounts"
VENDORS = ("postgresql", "sqlite")
ROLES = ["admin", "manager", "supervisor", "agent", "analyst"]
PUBLIC = "public"  # no login: the kiosk, the board, the door, a number's page, a survey

Expected = int | dict[str, int]  # one count for every database, or one per vendor


class FewerQueries(UserWarning):
    """A page makes fewer queries than its baseline (or is no longer visited)."""


# --- counting --------------------------------------------------------------------------


def count_get(get: Callable[..., Any], url: str, **kwargs: Any) -> tuple[int, Any]:
    """The queries of one GET of `url`, made after a first GET that fills the caches."""
    _fetch(get, url, **kwargs)
    with CaptureQueriesContext(connection) as queries:
        response = _fetch(get, url, **kwargs)
    return len(queries.captured_queries), response


def _fetch(get: Callable[..., Any], url: str, **kwargs: Any) -> Any:
    response = get(url, **kwargs)
    # A streamed download queries as it is read; a live feed never ends (none is linked).
    live = response.get("Content-Type", "").startswith("text/event-stream")
    if getattr(response, "streaming", False) and not live:
        b"".join(response.streaming_content)
    return response


# --- the comparison --------------------------------------------------------------------


def expected_for(value: Expected | None, vendor: str) -> int | None:
    if isinstance(value, dict):
        return value.get(vendor)
    return value


@dataclass
class Verdict:
    over: list[str] = field(default_factory=list)  # more queries than the baseline: fails
    missing: list[str] = field(default_factory=list)  # not in the baseline: fails
    under: list[str] = field(default_factory=list)  # fewer: the baseline may come down
    gone: list[str] = field(default_factory=list)  # in the baseline, no longer visited

    @property
    def failed(self) -> bool:
        return bool(self.over or self.missing)

    def report(self) -> str:
        lines = self.over + self.missing
        if self.missing:
            lines.append(f"Add the pages missing from {BASELINE.name}: `{REGENERATE}`.")
        return "\n".join(lines)


def compare(
    measured: Mapping[str, int],
    baseline: Mapping[str, Expected],
    vendor: str,
    *,
    prefixes: tuple[str, ...] = (),
) -> Verdict:
    """Each measured count against its baseline; `prefixes` (the roles measured) name the
    baseline's entries that should have been measured too."""
    verdict = Verdict()
    for key in sorted(measured):
        count, expected = measured[key], expected_for(baseline.get(key), vendor)
        if expected is None:
            verdict.missing.append(f"{key}: {count} queries, not in the baseline ({vendor})")
        elif count > expected:
            verdict.over.append(
                f"{key}: {count} queries, {count - expected} more than the baseline's "
                f"{expected} ({vendor}): an N+1 or a regression; if the change is meant, "
                f"`{REGENERATE}`"
            )
        elif count < expected:
            verdict.under.append(
                f"{key}: {count} queries, fewer than the baseline's {expected} ({vendor}): "
                f"lower it with `{REGENERATE}`"
            )
    for key in sorted(baseline):
        if prefixes and key.startswith(prefixes) and key not in measured:
            verdict.gone.append(f"{key}: in the baseline but not visited any more")
    return verdict


def merged(old: Expected | None, count: int, vendor: str) -> Expected:
    """The baseline's value after measuring `count` on `vendor`: one number while every
    database agrees, one per vendor where they differ."""
    if old is None:
        return count
    values = dict(old) if isinstance(old, dict) else dict.fromkeys(VENDORS, old)
    values[vendor] = count
    if set(values) >= set(VENDORS) and len(set(values.values())) == 1:
        return count
    return dict(sorted(values.items()))


def updated(
    baseline: Mapping[str, Expected],
    measured: Mapping[str, int],
    vendor: str,
    prefixes: tuple[str, ...],
) -> dict[str, Expected]:
    """The baseline with the measured entries rewritten and, of the roles measured, the
    entries no longer visited dropped; the other roles' entries are kept."""
    kept = {
        key: value
        for key, value in baseline.items()
        if not key.startswith(prefixes) or key in measured
    }
    for key, count in measured.items():
        kept[key] = merged(kept.get(key), count, vendor)
    return dict(sorted(kept.items()))


def dump(baseline: Mapping[str, Expected]) -> str:
    return json.dumps(dict(sorted(baseline.items())), indent=2, sort_keys=True) + "\n"


def load() -> dict[str, Expected]:
    if not BASELINE.exists():
        return {}
    return json.loads(BASELINE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def recorder() -> Iterator[dict[str, int]]:
    """What this run measured; written into baseline.json at the end when updating."""
    measured: dict[str, int] = {}
    yield measured
    if UPDATING and measured:
        roles = tuple(sorted({key.split(" ", 1)[0] + " " for key in measured}))
        BASELINE.write_text(
            dump(updated(load(), measured, connection.vendor, roles)), encoding="utf-8"
        )


# --- the walk --------------------------------------------------------------------------


def _skip(url: str) -> bool:
    return url.startswith(("/admin/", "/static/", "/i18n/", "/logout/"))


def walk(get: Callable[..., Any], start: list[str]) -> dict[str, int]:
    """Each page shape reached from `start`, with the queries of one visit."""
    counts: dict[str, int] = {}

    def counted(url: str) -> Any:
        count, response = count_get(get, url)
        counts.setdefault(shape(url), count)
        return response

    result = crawl(counted, start, skip=_skip, per_shape=1, check_text=False)
    assert result.pages > 3, result.visited
    return counts


def _staff_user(role: str) -> Any:
    from manyi.org.models import Staff

    return Staff.objects.filter(role=role, user__is_active=True).order_by("pk").first().user


def _public_start(client: Client) -> list[str]:
    """The devices of the first branch with a line, a number taken at its door (its
    status page) and a link to each questionnaire."""
    from manyi.org.actions import SYSTEM
    from manyi.queues.config import settings_for
    from manyi.queues.models import ServiceType
    from manyi.surveys.actions import create_link
    from manyi.surveys.models import Questionnaire

    service = ServiceType.objects.filter(active=True).order_by("branch__code", "position").first()
    settings = settings_for(service.branch)
    taken = client.post(f"/q/door/{settings.door_key}/", {"service": service.prefix})
    assert taken.status_code == 302, taken.content.decode()[:300]
    start = [
        "/",
        f"/q/kiosk/{settings.kiosk_key}/",
        f"/q/door/{settings.door_key}/",
        f"/q/board/{settings.board_key}/",
        taken["Location"],
    ]
    for questionnaire in Questionnaire.objects.order_by("code"):
        start.append(f"/s/{create_link(SYSTEM, questionnaire)[1]}/")
    return start


# --- the API ---------------------------------------------------------------------------


def _first(visible: Any, everything: Any) -> Any:
    """The first row the person sees, or the first of all (the answer is then a 404)."""
    return visible.order_by("pk").first() or everything.order_by("pk").first()


def _branch_code(user: Any) -> str:
    from manyi.org.models import Branch

    return Branch.objects.visible_to(user).filter(is_active=True).order_by("code").first().code


def _staff_id(user: Any) -> int:
    from manyi.org.models import Staff

    return _first(Staff.objects.visible_to(user), Staff.objects.all()).pk


def _customer_id(user: Any) -> int:
    from manyi.customers.models import Customer

    return _first(Customer.objects.visible_to(user), Customer.objects.all()).pk


def _segment_id(user: Any) -> int:
    from manyi.customers.models import Segment

    return Segment.objects.order_by("pk").first().pk


def _ticket_id(user: Any) -> int:
    from manyi.tickets.models import Ticket

    return _first(Ticket.objects.visible_to(user), Ticket.objects.all()).pk


def _queue_ticket_id(user: Any) -> int:
    from manyi.queues.models import QueueTicket

    return _first(QueueTicket.objects.visible_to(user), QueueTicket.objects.all()).pk


def _campaign_id(user: Any) -> int:
    from manyi.surveys.models import Campaign

    return Campaign.objects.order_by("pk").first().pk


def _run_id(user: Any) -> int:
    from manyi.insight.models import AnalysisRun

    return AnalysisRun.objects.order_by("pk").values_list("pk", flat=True).first() or 0


def _programme_id(user: Any) -> int:
    from manyi.insight.models import Programme

    # the small demo has no programme: the read answers 404, and its queries still count
    return Programme.objects.order_by("pk").values_list("pk", flat=True).first() or 0


def _questionnaire_code(user: Any) -> str:
    from manyi.surveys.models import Questionnaire

    return Questionnaire.objects.order_by("code").first().code


def _link_token(user: Any) -> str:
    from manyi.org.actions import SYSTEM
    from manyi.surveys.actions import create_link
    from manyi.surveys.models import Questionnaire

    return create_link(SYSTEM, Questionnaire.objects.order_by("code").first())[1]


# A real value for each path parameter, by the route's address up to that parameter.
PATH_VALUES: dict[str, Callable[[Any], object]] = {
    "/api/v1/org/branches/{code}": _branch_code,
    "/api/v1/org/staff/{staff_id}": _staff_id,
    "/api/v1/calendar/branches/{code}": _branch_code,
    "/api/v1/customers/{customer_id}": _customer_id,
    "/api/v1/segments/{segment_id}": _segment_id,
    "/api/v1/tickets/{ticket_id}": _ticket_id,
    "/api/v1/surveys/s/{token}": _link_token,
    "/api/v1/surveys/campaigns/{campaign_id}": _campaign_id,
    "/api/v1/surveys/questionnaires/{code}": _questionnaire_code,
    "/api/v1/surveys/questionnaires/{code}/responses.{fmt}": lambda user: "csv",
    "/api/v1/queues/tickets/{ticket_id}": _queue_ticket_id,
    "/api/v1/queues/branches/{code}": _branch_code,
    "/api/v1/insight/runs/{run_id}": _run_id,
    "/api/v1/insight/programmes/{programme_id}": _programme_id,
}
# A value for each required query parameter, by route. The demo's first questionnaire (by
# code) asks the 0-10 recommendation question "nps" and the open question "comment".
QUERY_VALUES: dict[tuple[str, str], str] = {
    ("/api/v1/calendar/branches/{code}/between", "start"): "2026-01-05T09:00:00+08:00",
    ("/api/v1/calendar/branches/{code}/between", "end"): "2026-01-09T18:00:00+08:00",
    ("/api/v1/tickets/reports/first-contact-resolution", "by"): "agent",
    ("/api/v1/surveys/questionnaires/{code}/metrics", "question"): "nps",
    ("/api/v1/surveys/questionnaires/{code}/words", "question"): "comment",
}


def api_routes() -> list[tuple[str, list[str], list[str]]]:
    """Every GET route of the API: (address template, path parameters, required query
    parameters), sorted."""
    from manyi.api import api

    routes = []
    for template, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        path = [p["name"] for p in parameters if p["in"] == "path"]
        query = [p["name"] for p in parameters if p["in"] == "query" and p.get("required")]
        routes.append((template, path, query))
    return sorted(routes)


def api_address(template: str, path: list[str], query: list[str], user: Any) -> str:
    url = template
    for name in path:
        placeholder = "{" + name + "}"
        resolve = PATH_VALUES.get(template[: template.index(placeholder) + len(placeholder)])
        if resolve is None:
            pytest.fail(
                f"GET {template}: no real value for {placeholder}; add how to find one to "
                f"PATH_VALUES in {Path(__file__).name}"
            )
        url = url.replace(placeholder, str(resolve(user)))
    values = {}
    for name in query:
        if (template, name) not in QUERY_VALUES:
            pytest.fail(
                f"GET {template}: no value for the required ?{name}; add one to QUERY_VALUES "
                f"in {Path(__file__).name}"
            )
        values[name] = QUERY_VALUES[template, name]
    return url + ("?" + urlencode(values) if values else "")


def call_api(user: Any) -> dict[str, int]:
    """Each GET route of the API once, with the person's token: key "GET <template>"."""
    from manyi.org.actions import SYSTEM, create_api_token

    _token, raw = create_api_token(SYSTEM, user)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    counts = {}
    for template, path, query in api_routes():
        count, _response = count_get(client.get, api_address(template, path, query, user))
        counts[f"GET {template}"] = count
    return counts


# --- the test --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ROLES, PUBLIC])
def test_no_page_makes_more_queries_than_its_baseline(demo_site, client, recorder, role):
    if role == PUBLIC:
        counts = walk(client.get, _public_start(client))
    else:
        user = _staff_user(role)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        counts = {**walk(client.get, ["/"]), **call_api(user)}
    measured = {f"{role} {key}": count for key, count in counts.items()}
    recorder.update(measured)
    if UPDATING:
        return
    verdict = compare(measured, load(), connection.vendor, prefixes=(f"{role} ",))
    for note in verdict.under + verdict.gone:
        warnings.warn(note, FewerQueries, stacklevel=1)
    if verdict.failed:
        pytest.fail(f"as {role}:\n{verdict.report()}")


# --- the check's own checks ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.querycounts.badsite")
def test_an_n_plus_one_fails_the_comparison(client):
    """A list that reads each row's region with its own query: counted on two rows, then
    on six, the comparison names it with both numbers; the same list joining the region
    passes."""
    from tests.querycounts.badsite import add_branches

    def measure() -> dict[str, int]:
        return {f"test {url}": count_get(client.get, url)[0] for url in ("/bad/", "/good/")}

    add_branches(2)
    small = measure()
    add_branches(4)
    verdict = compare(measure(), small, connection.vendor)
    assert verdict.failed and len(verdict.over) == 1 and not verdict.missing, verdict
    bad, steady = small["test /bad/"], small["test /good/"]
    assert verdict.over[0].startswith(f"test /bad/: {bad + 4} queries, 4 more than the baseline's")
    assert f"baseline's {bad} " in verdict.over[0]
    assert compare(measure(), {"test /good/": steady}, connection.vendor).missing == [
        f"test /bad/: {bad + 4} queries, not in the baseline ({connection.vendor})"
    ]


def test_fewer_queries_pass_with_a_note_and_a_missing_page_fails_telling_how_to_regenerate():
    verdict = compare(
        {"agent /a/": 3, "agent /b/": 5, "agent /new/": 1},
        {"agent /a/": 3, "agent /b/": {"sqlite": 7, "postgresql": 5}, "agent /old/": 2, "x /": 1},
        "sqlite",
        prefixes=("agent ",),
    )
    assert verdict.failed and not verdict.over
    assert verdict.under == [
        f"agent /b/: 5 queries, fewer than the baseline's 7 (sqlite): lower it with `{REGENERATE}`"
    ]
    assert verdict.gone == ["agent /old/: in the baseline but not visited any more"]
    assert verdict.missing == ["agent /new/: 1 queries, not in the baseline (sqlite)"]
    assert REGENERATE in verdict.report()


def test_the_baseline_keeps_one_count_while_the_databases_agree():
    assert merged(None, 4, "sqlite") == 4
    assert merged(4, 4, "postgresql") == 4
    assert merged(4, 5, "postgresql") == {"postgresql": 5, "sqlite": 4}
    assert merged({"postgresql": 5, "sqlite": 4}, 5, "sqlite") == 5
    new = updated(
        {"agent /old/": 2, "agent /a/": 3, "admin /a/": 9},
        {"agent /a/": 4, "agent /b/": 1},
        "sqlite",
        ("agent ",),
    )
    assert new == {"admin /a/": 9, "agent /a/": {"postgresql": 3, "sqlite": 4}, "agent /b/": 1}
    assert list(json.loads(dump(new))) == sorted(new)


def _add_counters(branch: Any, how_many: int) -> None:
    from manyi.queues.models import Counter, CounterService, ServiceType

    services = list(ServiceType.objects.filter(branch=branch, active=True).order_by("position"))
    first = Counter.objects.filter(branch=branch).order_by("-number").first().number + 1
    for number in range(first, first + how_many):
        counter = Counter.objects.create(branch=branch, number=number)
        turn = number % len(services)  # each counter its own order of preference
        for preference, service in enumerate(services[turn:] + services[:turn], start=1):
            CounterService.objects.create(counter=counter, service=service, preference=preference)


@pytest.mark.django_db
def test_the_queues_page_takes_the_same_queries_for_3_or_12_counters(demo_site, client):
    """Each counter with its businesses in order and the number it is calling."""
    from manyi.queues.models import Counter, QueueTicket

    branch = Counter.objects.order_by("branch__code").select_related("branch").first().branch
    client.force_login(_staff_user("admin"), backend="django.contrib.auth.backends.ModelBackend")
    counts = {}
    for size in (3, 12):
        active = Counter.objects.filter(branch=branch, active=True)
        active.filter(number__gt=size).update(active=False)
        _add_counters(branch, size - active.count())
        tickets = QueueTicket.objects.filter(branch=branch).order_by("pk")
        for counter, ticket in zip(active.order_by("number"), tickets[:size], strict=True):
            QueueTicket.objects.filter(pk=ticket.pk).update(status="called", counter=counter)
        counts[size], page = count_get(client.get, f"/queues/?branch={branch.code}")
        html = page.content.decode()
        assert page.status_code == 200 and html.count('href="/queues/counter/') == size
        assert all(f"<td>{t.number}</td>" in html for t in tickets[:size]), html
    assert counts[3] == counts[12], counts
