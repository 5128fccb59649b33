"""Branch queues on a branch with three months of history (the demo's):

- taking a number through the API (opening hours, number series, the wait estimate, event
  and audit entry) and at the kiosk page (the same, plus the page with its QR code), against
  a bare Django view that inserts one ticket row (the floor);
- a counter calling the next number by the fairness rule;
- the board's state and the customer's status page;
- the statistics page over the three months.
"""

from __future__ import annotations

import json
import statistics
import time

from bench import django_env
from bench.timing import median_ms

BRANCH = "SH01"


def run() -> list[dict]:
    django_env.setup()
    from django.db import connection
    from django.test import Client

    from manyi.businesstime.testing import open_around_the_clock
    from manyi.core.demo import database_is_empty, run_demo
    from manyi.org.actions import SYSTEM, create_api_token
    from manyi.org.models import Branch, Staff
    from manyi.queues import actions
    from manyi.queues.models import Counter, QueueTicket, ServiceType

    vendor = connection.vendor
    if database_is_empty():
        run_demo(
            seed=11,
            log=lambda line: None,
            overrides={"customers": 3000, "tickets": 50, "survey_responses": 0},
        )
    branch = Branch.objects.get(code=BRANCH)
    open_around_the_clock(branch)
    history = QueueTicket.objects.filter(branch=branch).count()
    service = ServiceType.objects.get(branch=branch, prefix="A")
    clerk = Staff.objects.filter(branches=branch, role="agent").first()
    _token, raw = create_api_token(SYSTEM, clerk.user)
    api = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    settings = actions.ensure_settings(branch)
    counter = Counter.objects.filter(branch=branch, profile__service=service).first()
    actions.open_counter(clerk.user, counter)

    # a realistic hall: forty waiting, and a counter serving one for each number taken
    for _ in range(40):
        actions.take_number(f"kiosk:{BRANCH}", branch, service)

    def steady(take, repeat: int) -> float:
        samples = []
        for n in range(repeat + 10):
            start = time.perf_counter()
            take()
            if n >= 10:
                samples.append((time.perf_counter() - start) * 1000)
            actions.call_next(clerk.user, counter)
            actions.finish(clerk.user, counter)
        return statistics.median(samples)

    def take_api() -> None:
        response = api.post(
            f"/api/v1/queues/branches/{BRANCH}/tickets",
            json.dumps({"service": "A"}),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 201, response.content

    kiosk = Client()

    def take_kiosk() -> None:
        response = kiosk.post(f"/q/kiosk/{settings.kiosk_key}/", {"service": "A"})
        assert response.status_code == 200 and b"<svg" in response.content

    floor = Client()
    body = json.dumps({"branch_id": branch.pk, "service_id": service.pk})

    def bare() -> None:
        response = floor.post("/bench/bare/queue", body, content_type="application/json")
        assert response.status_code == 201

    rows = [
        {
            "benchmark": f"API take a number ({vendor})",
            "median_ms": steady(take_api, 200),
            "history": history,
            "waiting": QueueTicket.objects.filter(branch=branch, status="waiting").count(),
        },
        {
            "benchmark": f"kiosk page: take a number, page with QR code ({vendor})",
            "median_ms": steady(take_kiosk, 100),
        },
        {
            "benchmark": f"floor: bare view inserting one ticket row ({vendor})",
            "median_ms": median_ms(bare, repeat=200),
        },
    ]

    def call_and_finish() -> None:
        actions.call_next(clerk.user, counter)
        actions.finish(clerk.user, counter)
        actions.take_number(f"kiosk:{BRANCH}", branch, service)  # the hall stays as full

    rows.append(
        {
            "benchmark": f"counter: call next and finish, one more number taken ({vendor})",
            "median_ms": median_ms(call_and_finish, repeat=100, warmup=5),
            "waiting": QueueTicket.objects.filter(branch=branch, status="waiting").count(),
        }
    )
    board = Client()

    def board_state() -> None:
        assert board.get(f"/q/board/{settings.board_key}/state").status_code == 200

    rows.append(
        {
            "benchmark": f"board state ({vendor})",
            "median_ms": median_ms(board_state, repeat=100),
        }
    )
    manager = Staff.objects.filter(role="manager").first()
    stats = Client()
    stats.force_login(manager.user, backend="django.contrib.auth.backends.ModelBackend")

    def stats_page() -> None:
        assert stats.get(f"/queues/stats/?branch={BRANCH}&start=2000-01-01").status_code == 200

    rows.append(
        {
            "benchmark": f"statistics page, three months ({vendor})",
            "median_ms": median_ms(stats_page, repeat=10, warmup=1),
            "history": history,
        }
    )
    return rows
