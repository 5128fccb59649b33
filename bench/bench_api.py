"""API overhead: a token-authenticated, scoped, masked GET against a bare Django view."""

from __future__ import annotations

from bench import django_env
from bench.timing import median_ms


def run() -> list[dict]:
    django_env.setup()
    from django.db import connection
    from django.test import Client

    from manyi.core.demo import database_is_empty, run_demo
    from manyi.org.actions import SYSTEM, create_api_token
    from manyi.org.models import Staff

    if database_is_empty():
        run_demo(seed=1, log=lambda line: None, overrides={"customers": 1000})
    agent = Staff.objects.get(user__username="agent")
    _token, raw = create_api_token(SYSTEM, agent.user)
    client = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    api_url = f"/api/v1/org/staff/{agent.pk}"
    assert client.get(api_url, headers=headers).status_code == 200
    bare_url = f"/bench/bare/staff/{agent.pk}"
    assert client.get(bare_url).status_code == 200

    api_ms = median_ms(lambda: client.get(api_url, headers=headers))
    bare_ms = median_ms(lambda: client.get(bare_url))
    health_ms = median_ms(lambda: client.get("/healthz"))
    vendor = connection.vendor
    return [
        {
            "benchmark": f"API GET /org/staff/{{id}} with token ({vendor})",
            "median_ms": api_ms,
            "ratio_to_bare": round(api_ms / bare_ms, 2),
        },
        {"benchmark": f"bare Django view, same row ({vendor})", "median_ms": bare_ms},
        {"benchmark": f"/healthz ({vendor})", "median_ms": health_ms},
    ]
