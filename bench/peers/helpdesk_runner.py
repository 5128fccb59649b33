"""django-helpdesk, the peer of bench/bench_helpdesk.py, run in its own environment
(bench/.peers/helpdesk, from bench/peers/helpdesk_requirements.txt) on the same database
engine as Manyi's run. Reads a JSON spec on stdin, prints one JSON object.

What it measures, each through django-helpdesk's own code and Django's test client (as
Manyi's side is measured):

- registering a ticket through its REST API (POST /api/tickets/, DRF, an admin user: its
  API is for staff), which validates through its TicketForm, writes the ticket and its
  first follow-up and mails the submitter (to Django's in-memory backend);
- its search: the ticket list's data endpoint with a search string, which is a substring
  match (`icontains`) over title, description, resolution, e-mails, custom fields and
  dates; the number it finds is reported with the time;
- the agent's open-ticket list: the same endpoint, the agent's open and reopened tickets,
  newest first, one page of 25.

The tickets are written with bulk inserts through its models, spread over a year, with the
same Chinese subjects and descriptions as Manyi's tickets.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import statistics
import sys
import time
from urllib.parse import urlparse

SPEC = json.loads(sys.stdin.read())


def _database(url: str) -> dict:
    if url.startswith("sqlite:///"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url[len("sqlite:///") :]}
    parsed = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
    }


def configure() -> None:
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        TIME_ZONE="Asia/Shanghai",
        LANGUAGE_CODE="zh-hans",
        SITE_ID=1,
        ROOT_URLCONF=__name__,
        DATABASES={"default": _database(SPEC["database"])},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "django.contrib.sites",
            "django.contrib.humanize",
            "rest_framework",
            "account",  # django-user-accounts, pinax-invitations, pinax-teams:
            "pinax.invitations",  # django-helpdesk's migrations depend on its teams
            "pinax.teams",
            "reversion",
            "helpdesk",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        STATIC_URL="/static/",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LOGGING_CONFIG=None,
    )
    import django

    django.setup()


configure()

from django.urls import include, path  # noqa: E402

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]


def _median_ms(func, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def load(count: int, agent, queue) -> None:
    from django.db import transaction
    from django.utils import timezone
    from helpdesk.models import Ticket

    rng = random.Random(7)
    subjects, details = SPEC["subjects"], SPEC["details"]
    now = timezone.now()
    start = now - dt.timedelta(days=365)
    have = Ticket.objects.count()
    batch: list = []
    for i in range(have, count):
        created = start + dt.timedelta(seconds=365 * 86400 * i / count)
        closed = created < now - dt.timedelta(days=21) or rng.random() < 0.4
        batch.append(
            Ticket(
                queue=queue,
                title=rng.choice(subjects),
                description=rng.choice(details),
                submitter_email=f"c{rng.randrange(50_000)}@example.com",
                assigned_to=agent if rng.random() < 0.05 else None,
                status=Ticket.CLOSED_STATUS if closed else Ticket.OPEN_STATUS,
                priority=rng.choice([2, 3, 3, 3, 4]),
                created=created,
                modified=created,
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Ticket.objects.bulk_create(batch)


def _list_url(filtering: dict, search: str = "") -> str:
    query = {
        "filtering": filtering,
        "filtering_null": {},
        "sorting": "created",
        "sortreverse": True,
        "search_string": search,
    }
    encoded = base64.b64encode(json.dumps(query).encode()).decode()
    return f"/datatables_ticket_list/{encoded}?draw=1&start=0&length=25"


def main() -> None:
    from importlib.metadata import version

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from helpdesk.models import Queue, Ticket

    call_command("migrate", verbosity=0, interactive=False)
    agent = User.objects.filter(username="agent").first() or User.objects.create_superuser(
        "agent", "agent@example.com", "bench-only"
    )
    queue = Queue.objects.filter(slug="complaints").first() or Queue.objects.create(
        title="投诉", slug="complaints", allow_public_submission=False
    )
    started = time.perf_counter()
    load(SPEC["tickets"], agent, queue)
    load_ms = (time.perf_counter() - started) * 1000
    client = Client()
    client.force_login(agent)
    rng = random.Random(9)

    def create() -> None:
        body = {
            "queue": queue.pk,
            "title": rng.choice(SPEC["subjects"]),
            "description": rng.choice(SPEC["details"]),
            "submitter_email": f"c{rng.randrange(50_000)}@example.com",
            "priority": 3,
        }
        response = client.post("/api/tickets/", json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content[:500]

    create_ms = _median_ms(create, SPEC["create_repeats"])
    searches = []
    for words in SPEC["searches"]:
        url = _list_url({}, words)
        found = client.get(url).json()["recordsFiltered"]
        searches.append(
            {
                "words": words,
                "found": found,
                "median_ms": _median_ms(lambda url=url: client.get(url), SPEC["search_repeats"], 1),
            }
        )
    mine = _list_url({"status__in": [1, 2], "assigned_to__id__in": [agent.pk]})
    assert client.get(mine).status_code == 200
    list_ms = _median_ms(lambda: client.get(mine), SPEC["list_repeats"])
    print(
        json.dumps(
            {
                "version": version("django-helpdesk"),
                "django": version("django"),
                "tickets": Ticket.objects.count(),
                "load_ms": load_ms,
                "create_ms": create_ms,
                "searches": searches,
                "list_ms": list_ms,
            }
        )
    )


if __name__ == "__main__":
    main()
