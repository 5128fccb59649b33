"""The complaint desk against django-helpdesk (2.6.x), the helpdesk Python shops deploy,
side by side in one run on the same database engine and the same number of tickets
(BENCH_TICKETS, default 1,000,000), each loaded through its own models:

- registering a ticket through each product's API (Manyi: the whole procedure's
  bookkeeping, see bench_tickets; django-helpdesk: its DRF API, which validates through its
  ticket form, writes the ticket and its first follow-up and mails the submitter);
- Chinese search: Manyi's full-text search (jieba words) against django-helpdesk's
  substring search (`icontains` over its text fields), with what each finds;
- the agent's open tickets: Manyi's queue page (mine) against django-helpdesk's ticket
  list data (the agent's open tickets, one page of 25).

django-helpdesk runs in bench/.peers/helpdesk (bench/peers/helpdesk_requirements.txt),
driven by bench/peers/helpdesk_runner.py; on PostgreSQL it gets a database of its own,
`helpdesk_bench`, on the same server. The goals (issue 16): registration and the list at
least as fast as django-helpdesk, the search at least 10x faster and finding what it misses.
"""

from __future__ import annotations

import os
import tempfile

from bench import bench_tickets, django_env
from bench.peer_env import PeerUnavailable, run_peer
from bench.timing import median_ms

WORDS = ["退款", "手机银行", "排队", "信用卡年费", "理财", "吞卡", "手续费", "态度"]
# Two words the customer used, not next to each other: a substring search looks for the
# whole string and finds nothing; a word search finds the tickets with both.
PAIRS = ["手机银行 转账", "排队 时间", "信用卡 年费"]


def run() -> list[dict]:
    ours = bench_tickets.run()
    from django.db import connection

    vendor = connection.vendor
    ours_search = _our_searches()
    rows = [*ours, *ours_search]
    from manyi.tickets.demo import DETAILS, SUBJECTS

    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        database = django_env._fresh_postgres_database(url, "helpdesk_bench")
    else:
        database = f"sqlite:///{tempfile.mkdtemp(prefix='helpdesk-bench-')}/helpdesk.sqlite3"
    spec = {
        "database": database,
        "tickets": bench_tickets.TICKETS,
        "subjects": [s for _weight, subjects in SUBJECTS.values() for s in subjects],
        "details": list(DETAILS),
        "searches": WORDS + PAIRS,
        "create_repeats": 300,
        "search_repeats": 3,
        "list_repeats": 200,
    }
    try:
        peer = run_peer("helpdesk", spec, timeout=4 * 3600)
    except PeerUnavailable as exc:
        rows.append({"benchmark": "django-helpdesk", "median_ms": float("nan"), "note": str(exc)})
        return rows
    label = f"django-helpdesk {peer['version']} (Django {peer['django']}, {vendor})"
    rows.append(
        {
            "benchmark": f"{label}: writing {peer['tickets']:,} tickets with bulk inserts",
            "median_ms": peer["load_ms"],
            "runs": 1,
        }
    )
    ours_create = _row(ours, "API POST /tickets")
    rows.append({"benchmark": f"{label}: API POST /api/tickets/", "median_ms": peer["create_ms"]})
    rows.append(
        _ratio("registration: django-helpdesk time / Manyi time", peer["create_ms"], ours_create)
    )
    ours_by_words = {r["words"]: r for r in ours_search}
    for search in peer["searches"]:
        mine = ours_by_words[search["words"]]
        rows.append(
            {
                "benchmark": f"{label}: search “{search['words']}”",
                "median_ms": search["median_ms"],
                "found": search["found"],
                "manyi_found": mine["found"],
                "manyi_ms": round(mine["median_ms"], 2),
                "speed_up": round(search["median_ms"] / mine["median_ms"], 1),
            }
        )
    ours_list = _row(ours, "agent queue page, mine")
    rows.append({"benchmark": f"{label}: the agent's open tickets", "median_ms": peer["list_ms"]})
    rows.append(_ratio("open list: django-helpdesk time / Manyi time", peer["list_ms"], ours_list))
    return rows


def _row(rows: list[dict], prefix: str) -> float:
    return next(r["median_ms"] for r in rows if r["benchmark"].startswith(prefix))


def _ratio(name: str, peer_ms: float, ours_ms: float) -> dict:
    return {"benchmark": name, "median_ms": peer_ms / ours_ms, "note": "ratio, not ms"}


def _our_searches() -> list[dict]:
    """Each word through Manyi's API as the company-wide manager (django-helpdesk's admin
    sees every ticket too), with how many it finds (the count stops at 1,000)."""
    from django.test import Client

    from manyi.org.actions import SYSTEM, create_api_token
    from manyi.org.models import Staff

    who = Staff.objects.get(user__username="manager")
    _token, raw = create_api_token(SYSTEM, who.user)
    client, headers = Client(), {"Authorization": f"Bearer {raw}"}
    rows = []
    for words in WORDS + PAIRS:
        url = f"/api/v1/tickets?q={words}&limit=25"
        answer = client.get(url, headers=headers).json()
        found = f"{answer['count']}{'+' if answer.get('more') else ''}"
        rows.append(
            {
                "benchmark": f"Manyi: search “{words}”",
                "words": words,
                "found": found,
                "median_ms": median_ms(lambda url=url: client.get(url, headers=headers), repeat=20),
            }
        )
    return rows
