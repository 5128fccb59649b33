"""A throw-away Django environment for benchmarks: its own SQLite file under a temp directory
(or the database named by BENCH_DATABASE_URL), migrated, and a URLconf that adds floor views.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_READY = False


def setup() -> None:
    global _READY
    if _READY:
        return
    var = tempfile.mkdtemp(prefix="manyi-bench-")
    atexit.register(shutil.rmtree, var, ignore_errors=True)
    os.environ["MANYI_VAR_DIR"] = var
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{var}/bench.sqlite3")
    if url.startswith(("postgres://", "postgresql://")):
        url = _fresh_postgres_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
    os.environ["MANYI_LOG_LEVEL"] = "ERROR"
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench.urls"
    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    _READY = True


def _fresh_postgres_database(url: str, name: str = "manyi_bench") -> str:
    """Benchmarks never write into the database they are pointed at: they use a new
    database (`manyi_bench`; a peer's its own) on the same server, created afresh each run."""
    import psycopg

    base, _, _name = url.rpartition("/")
    if os.environ.get("BENCH_REUSE") == "1":  # measure again on the data of the last run
        return f"{base}/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"
