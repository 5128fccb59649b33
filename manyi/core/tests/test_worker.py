"""A real task worker (`manyi qcluster`) in its own process: it runs a queued task, and a
periodic job whose due time passed while the worker was stopped runs after a restart."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(params['NAME']).resolve()}"
    user, host = params.get("USER") or "postgres", params.get("HOST") or "127.0.0.1"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{params.get('PORT') or 5432}/{params['NAME']}"


def start_worker(log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MANYI_TASK_WORKERS": "1",
        "MANYI_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "manyi.cli", "qcluster"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition: Callable[[], object], timeout: float, what: str, log: Path) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def test_worker_runs_a_task_and_a_periodic_job_survives_a_restart(monkeypatch, tmp_path, client):
    from django_q.conf import Conf
    from django_q.models import Schedule, Success, Task
    from django_q.tasks import async_task

    monkeypatch.setattr(Conf, "SYNC", False)  # queue for the real worker
    log = tmp_path / "worker.log"
    schedule = Schedule.objects.create(
        name="test.hourly",
        func="manyi.core.tests.jobs.tick",
        schedule_type=Schedule.HOURLY,
        repeats=-1,
        next_run=timezone.now() - dt.timedelta(seconds=1),
    )
    task_id = async_task("manyi.core.tests.jobs.add", 2, 3)

    worker = start_worker(log)
    try:
        task = wait_for(lambda: Task.objects.filter(id=task_id).first(), 60, "the task", log)
        assert task.success and task.result == 5
        health = wait_for(
            lambda: (h := client.get("/healthz").json())["worker"]["ok"] and h,
            30,
            "the worker in /healthz",
            log,
        )
        assert health["status"] == "ok"
        wait_for(
            lambda: Success.objects.filter(group="test.hourly").count() == 1,
            60,
            "the first periodic run",
            log,
        )
    finally:
        stop_worker(worker)

    schedule.refresh_from_db()
    assert schedule.next_run > timezone.now() + dt.timedelta(minutes=55)  # kept in the DB
    # The worker is down when the job falls due; the due time is in the database.
    Schedule.objects.filter(pk=schedule.pk).update(
        next_run=timezone.now() - dt.timedelta(minutes=5)
    )

    worker = start_worker(log)
    try:
        wait_for(
            lambda: Success.objects.filter(group="test.hourly").count() == 2,
            60,
            "the periodic run after the restart",
            log,
        )
    finally:
        stop_worker(worker)
    schedule.refresh_from_db()
    assert schedule.next_run > timezone.now()
