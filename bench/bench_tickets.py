"""Complaint handling at scale, on BENCH_TICKETS tickets (default 1,000,000) over a year:

- registering a ticket through the JSON API (token, scope, number, SLA due times in business
  time, repeat check, audit entry, timeline, event) against a bare Django view that inserts
  one ticket row (the floor; the ratio is reported);
- Chinese full-text search through the API (jieba words, FTS5 or PostgreSQL full text);
- the agent's queue page, with its query count.

The tickets are written with bulk inserts (closed ones with their resolution times, open
ones assigned to the branch's agents); the full-text index is kept by the same triggers and
index the application uses. To measure again on the same data, point BENCH_DATABASE_URL at
a kept SQLite file, or set BENCH_REUSE=1 for PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time

from bench import django_env
from bench.timing import median_ms

TICKETS = int(os.environ.get("BENCH_TICKETS", 1_000_000))
CUSTOMERS = int(os.environ.get("BENCH_TICKET_CUSTOMERS", 50_000))


def run() -> list[dict]:
    django_env.setup()
    from django.db import connection

    from manyi.core.demo import database_is_empty, run_demo
    from manyi.tickets.models import Ticket

    vendor = connection.vendor
    rows: list[dict] = []
    if database_is_empty():
        start = time.perf_counter()
        run_demo(seed=11, log=lambda line: None, overrides={"customers": CUSTOMERS})
        _bulk_tickets(TICKETS)
        rows.append(
            {
                "benchmark": f"writing {TICKETS:,} tickets with bulk inserts ({vendor})",
                "median_ms": (time.perf_counter() - start) * 1000,
                "runs": 1,
            }
        )
    total = Ticket.objects.count()
    rows.extend(_creation(vendor, total))
    rows.extend(_search(vendor, total))
    rows.extend(_queue_page(vendor, total))
    return rows


def _bulk_tickets(count: int) -> None:
    """A year of tickets, written in batches; numbers follow the readable daily series."""
    from django.db import connection, transaction
    from django.utils import timezone

    from manyi.analytics.text import search_document
    from manyi.customers.models import Customer
    from manyi.org.models import Staff
    from manyi.tickets.models import NumberSeries, ReasonCode, Status, Ticket

    rng = random.Random(5)
    reasons = {r.code: r.pk for r in ReasonCode.objects.filter(parent__isnull=False)}
    customers = list(Customer.objects.values_list("pk", "branch_id"))
    agents: dict[int, list[int]] = {}
    for staff in Staff.objects.filter(role="agent").prefetch_related("branches"):
        for branch in staff.branches.all():
            agents.setdefault(branch.pk, []).append(staff.pk)
    from manyi.tickets.demo import DETAILS, SUBJECTS

    texts: dict[tuple[str, int], tuple[str, str, str]] = {}
    for code, (_weight, subjects) in SUBJECTS.items():
        for subject in subjects:
            for i, detail in enumerate(DETAILS):
                texts[(subject, i)] = (code, subject, detail)
    documents = {key: search_document(f"{s} {d}") for key, (_c, s, d) in texts.items()}
    keys = list(texts)
    now = timezone.now()
    start = now - dt.timedelta(days=365)
    open_states = [Status.ASSIGNED, Status.INVESTIGATING, Status.PROPOSED, Status.EXECUTING]
    # The demo's own year of tickets already took the first numbers of many days.
    per_day: dict[dt.date, int] = dict(NumberSeries.objects.values_list("day", "last"))
    batch: list[Ticket] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS tickets_ticket_search_vector")

    def flush() -> None:
        with transaction.atomic():
            Ticket.objects.bulk_create(batch, batch_size=2000)
        batch.clear()

    offsets = sorted(rng.random() * 365 * 86400 for _ in range(count))
    for n, offset in enumerate(offsets):
        created = start + dt.timedelta(seconds=offset)
        day = timezone.localtime(created).date()
        per_day[day] = per_day.get(day, 0) + 1
        customer_id, branch_id = customers[rng.randrange(len(customers))]
        key = keys[rng.randrange(len(keys))]
        code, subject, detail = texts[key]
        recent = (now - created).days < 10
        status = rng.choice(open_states) if recent and rng.random() < 0.6 else Status.CLOSED
        team = agents.get(branch_id) or [None]
        due = created + dt.timedelta(days=3)
        closed_at = created + dt.timedelta(hours=rng.uniform(1, 120))
        batch.append(
            Ticket(
                number=f"TS-{day:%Y%m%d}-{per_day[day]:04d}",
                branch_id=branch_id,
                customer_id=customer_id,
                channel=rng.choice(["phone", "counter", "web", "email"]),
                ticket_type="complaint" if rng.random() < 0.6 else "enquiry",
                priority="high" if rng.random() < 0.1 else "normal",
                reason_id=reasons[code],
                status=status,
                subject=subject,
                description=detail,
                assignee_id=team[n % len(team)],
                created_at=created,
                first_response_due=created + dt.timedelta(hours=4),
                reply_due=created + dt.timedelta(hours=8),
                resolution_due=due,
                first_responded_at=created + dt.timedelta(hours=rng.uniform(0.1, 6)),
                resolved_at=closed_at if status == Status.CLOSED else None,
                closed_at=closed_at if status == Status.CLOSED else None,
                search_text=documents[key],
            )
        )
        if len(batch) >= 20_000:
            flush()
    if batch:
        flush()
    NumberSeries.objects.bulk_create(
        [NumberSeries(day=day, last=last) for day, last in per_day.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
    )
    if connection.vendor == "postgresql":
        from manyi.tickets.search import ensure_index

        ensure_index()
        with connection.cursor() as cursor:  # what autovacuum does soon after a bulk load
            cursor.execute("VACUUM ANALYZE tickets_ticket")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _agent_client():
    from django.test import Client

    from manyi.org.actions import SYSTEM, create_api_token
    from manyi.org.models import Staff

    agent = Staff.objects.get(user__username="agent")
    _token, raw = create_api_token(SYSTEM, agent.user)
    return agent, Client(), {"Authorization": f"Bearer {raw}"}


def _creation(vendor: str, total: int) -> list[dict]:
    from manyi.customers.models import Customer
    from manyi.tickets.demo import DETAILS, SUBJECTS

    agent, client, headers = _agent_client()
    branch = agent.branches.order_by("pk").first()
    customer_ids = list(
        Customer.objects.filter(branch=branch).order_by("pk").values_list("pk", flat=True)[:2000]
    )
    rng = random.Random(9)
    subjects = [s for _weight, subjects in SUBJECTS.values() for s in subjects]

    def body() -> str:
        return json.dumps(
            {
                "branch": branch.code,
                "customer_id": rng.choice(customer_ids),
                "channel": "phone",
                "ticket_type": "complaint",
                "reason": rng.choice(list(SUBJECTS)),
                "subject": rng.choice(subjects),
                "description": rng.choice(DETAILS),
            }
        )

    def api() -> None:
        response = client.post(
            "/api/v1/tickets", body(), content_type="application/json", headers=headers
        )
        assert response.status_code == 201, response.content

    def bare() -> None:
        response = client.post("/bench/bare/tickets", body(), content_type="application/json")
        assert response.status_code == 201, response.content

    api_ms = median_ms(api, repeat=300)
    bare_ms = median_ms(bare, repeat=300)
    return [
        {
            "benchmark": f"API POST /tickets ({vendor})",
            "median_ms": api_ms,
            "ratio_to_bare": round(api_ms / bare_ms, 2),
            "tickets": total,
        },
        {
            "benchmark": f"bare Django view inserting one ticket row ({vendor})",
            "median_ms": bare_ms,
        },
    ]


def _search(vendor: str, total: int) -> list[dict]:
    from manyi.org.actions import SYSTEM, create_api_token
    from manyi.org.models import Staff

    rng = random.Random(4)
    words = ["投诉", "退款", "手机银行", "排队", "信用卡年费", "理财", "吞卡", "手续费", "态度"]
    rows = []
    for username, scope in (("agent", "agent, 1 branch"), ("manager", "manager, whole company")):
        who = Staff.objects.get(user__username=username)
        _token, raw = create_api_token(SYSTEM, who.user)
        from django.test import Client

        client = Client()
        headers = {"Authorization": f"Bearer {raw}"}

        def query(client=client, headers=headers) -> None:
            response = client.get(
                f"/api/v1/tickets?q={rng.choice(words)}&limit=20", headers=headers
            )
            assert response.status_code == 200, response.content

        rows.append(
            {
                "benchmark": f"API Chinese search ?q= ({scope}, {vendor})",
                "median_ms": median_ms(query, repeat=200),
                "tickets": total,
            }
        )
    return rows


def _queue_page(vendor: str, total: int) -> list[dict]:
    from django.db import connection
    from django.test import Client

    from manyi.org.models import Staff

    agent = Staff.objects.get(user__username="agent")
    client = Client()
    client.force_login(agent.user, backend="django.contrib.auth.backends.ModelBackend")
    rows = []
    for which in ("mine", "team", "breached", "all"):
        url = f"/tickets/?queue={which}"
        assert client.get(url).status_code == 200
        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert client.get(url).status_code == 200
        rows.append(
            {
                "benchmark": f"agent queue page, {which} ({vendor})",
                "median_ms": median_ms(lambda url=url: client.get(url), repeat=200),
                "queries": len(executed),
                "tickets": total,
            }
        )
    return rows
