"""The task mechanism: a thin layer over django-q2.

Why django-q2: its ORM broker keeps the queue in our own database, so the embedded SQLite
install needs no extra service; the same code runs on Redis (MANYI_TASK_BROKER=redis) or on
PostgreSQL with workers on several machines; and its schedules keep their next run time in the
database, so a restarted worker runs what fell due while it was down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: str
    minutes: int


_PERIODIC: dict[str, PeriodicJob] = {}


def dotted_path(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def enqueue(func: Callable[..., Any] | str, *args: Any, **kwargs: Any) -> str:
    """Run `func(*args, **kwargs)` on a worker. Arguments must be plain data (ids, strings)."""
    from django_q.tasks import async_task

    target = func if isinstance(func, str) else dotted_path(func)
    return async_task(target, *args, **kwargs)


def periodic(name: str, *, minutes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a job that runs every `minutes`; its schedule row is created by migrate."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _PERIODIC[name] = PeriodicJob(name=name, func=dotted_path(func), minutes=minutes)
        return func

    return register


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_PERIODIC.values(), key=lambda job: job.name)


def ensure_schedules() -> int:
    """Create missing schedule rows; an existing row keeps its next run time."""
    from django_q.models import Schedule

    created = 0
    for job in periodic_jobs():
        schedule, was_created = Schedule.objects.get_or_create(
            name=job.name,
            defaults={
                "func": job.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": job.minutes,
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )
        if not was_created and (schedule.func != job.func or schedule.minutes != job.minutes):
            schedule.func, schedule.minutes = job.func, job.minutes
            schedule.schedule_type = Schedule.MINUTES
            schedule.save(update_fields=["func", "minutes", "schedule_type"])
        created += was_created
    return created


def worker_status() -> dict[str, Any]:
    """What /healthz and `manyi check` report about the workers."""
    from django_q.brokers import get_broker
    from django_q.models import Failure, Success
    from django_q.status import Stat

    status: dict[str, Any] = {"ok": False, "clusters": 0, "queued": None}
    try:
        broker = get_broker()
        clusters = [stat for stat in Stat.get_all(broker=broker) if stat.status != "Stopped"]
        status["clusters"] = len(clusters)
        status["queued"] = broker.queue_size()
        last = Success.objects.order_by("-stopped").values_list("stopped", flat=True).first()
        status["last_success"] = last.isoformat() if last else None
        status["failures_24h"] = Failure.objects.filter(
            stopped__gte=timezone.now() - timedelta(hours=24)
        ).count()
        status["ok"] = bool(clusters)
    except Exception as exc:  # report, never crash the health check
        status["error"] = str(exc)
    return status


@periodic("core.sweep_event_deliveries", minutes=1)
def sweep_event_deliveries() -> int:
    """Re-dispatch event deliveries that are due: lost after a crash, or waiting to retry."""
    from .events import sweep_deliveries

    return sweep_deliveries()
