"""`manyi check`: Django's system checks, then Manyi's configuration self-test."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.check import Command as DjangoCheckCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(DjangoCheckCommand):
    help = "Run Django's system checks and Manyi's self-test of the configuration."

    def handle(self, *app_labels, **options) -> None:
        super().handle(*app_labels, **options)
        results = list(self_test())
        for level, message in results:
            style = {
                "ok": self.style.SUCCESS,
                "warn": self.style.WARNING,
                "fail": self.style.ERROR,
            }[level]
            self.stdout.write(style(f"{level.upper():<4} {message}"))
        if any(level == "fail" for level, _ in results):
            raise CommandError("Manyi self-test failed.")


def self_test():
    from manyi.businesstime.services import unknown_years
    from manyi.core.tasks import periodic_jobs, worker_status

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        yield "fail", f"database {settings.DATABASES['default']['NAME']}: {exc}"
        return
    yield "ok", f"database reachable ({connection.vendor})"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            fks = cursor.execute("PRAGMA foreign_keys").fetchone()[0]
        yield ("ok" if mode == "wal" else "warn"), f"SQLite journal mode {mode}"
        yield ("ok" if fks else "fail"), f"SQLite foreign keys {'on' if fks else 'off'}"
    plan = MigrationExecutor(connection).migration_plan(
        MigrationExecutor(connection).loader.graph.leaf_nodes()
    )
    if plan:
        yield "fail", f"{len(plan)} migrations not applied: run `manyi migrate`"
        return
    yield "ok", "migrations applied"
    mo = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    yield (
        ("ok" if mo.exists() else "warn"),
        (
            "Chinese translations compiled"
            if mo.exists()
            else "Chinese translations not compiled: run `manyi compilemessages`"
        ),
    )
    if settings.DEBUG:
        yield "warn", "DEBUG is on: never in production"
    if not settings.HTTPS:
        yield (
            "warn",
            (
                "MANYI_HTTPS is off: session cookies are not marked Secure "
                "(fine on 127.0.0.1, required behind a public address)"
            ),
        )
    missing_years = unknown_years()
    for year in missing_years:
        yield (
            "warn",
            (
                f"no official holidays for {year}: business time follows weekly hours "
                "only until an administrator enters them (Business calendar page)"
            ),
        )
    if not missing_years:
        yield "ok", "official holidays known for last, this and next year"
    from django_q.models import Schedule

    names = set(Schedule.objects.values_list("name", flat=True))
    missing = [job.name for job in periodic_jobs() if job.name not in names]
    yield (
        ("fail" if missing else "ok"),
        (
            f"periodic jobs missing: {', '.join(missing)}"
            if missing
            else f"{len(names)} periodic jobs scheduled"
        ),
    )
    worker = worker_status()
    yield (
        ("ok" if worker["ok"] else "warn"),
        (
            f"task workers running: {worker['clusters']} cluster(s), {worker['queued']} queued"
            if worker["ok"]
            else "no task worker running (`manyi serve` starts one; or `manyi qcluster`)"
        ),
    )
