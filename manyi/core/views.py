"""The shell pages: the home dashboard and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .registry import cards_for
from .tasks import worker_status


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "core/home.html", {"cards": cards_for(request.user), "now": timezone.now()}
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; the worker's state is reported, not required, so a
    load balancer keeps serving pages while an operator restarts the workers."""
    database = {"ok": False, "vendor": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database["ok"] = True
    except Exception as exc:
        database["error"] = str(exc)
    worker = worker_status() if database["ok"] else {"ok": False}
    status = (
        "ok" if database["ok"] and worker.get("ok") else ("degraded" if database["ok"] else "down")
    )
    return JsonResponse(
        {
            "status": status,
            "database": database,
            "worker": worker,
            "time": timezone.now().isoformat(),
        },
        status=200 if database["ok"] else 503,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form in the person's language, inside the shell (Django's own page is a
    bare English one rendered without the request)."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    return render(
        request, "403_csrf.html", {"no_cookie": reason == REASON_NO_CSRF_COOKIE}, status=403
    )
