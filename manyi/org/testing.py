"""For the test suite only: flushing the test database between tests that commit.

The audit trail's triggers refuse DELETE and TRUNCATE, which is what Django's `flush`
runs. The test database's owner lifts them for the flush and puts them back; the
application never calls this (on PostgreSQL only the table's owner may, and production
runs the application as a role that does not own its tables, see docs/security.md).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def audit_triggers_lifted(connection: Any) -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE org_auditentry DISABLE TRIGGER org_auditentry_no_delete")
            cursor.execute("ALTER TABLE org_auditentry DISABLE TRIGGER org_auditentry_no_truncate")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE org_auditentry ENABLE TRIGGER org_auditentry_no_delete")
                cursor.execute(
                    "ALTER TABLE org_auditentry ENABLE TRIGGER org_auditentry_no_truncate"
                )
    elif connection.vendor == "sqlite":
        migration = importlib.import_module("manyi.org.migrations.0003_audit_no_delete")
        with connection.cursor() as cursor:
            cursor.execute(migration.SQLITE_DOWN)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(migration.SQLITE_UP)
    else:
        yield
