"""The database refuses to delete audit entries too: a row-level DELETE trigger on both
engines and, on PostgreSQL, a statement-level TRUNCATE trigger (TRUNCATE fires no row
triggers). The one supported way to archive old entries is described in docs/security.md:
a database owner, outside the application, with the triggers disabled for that session."""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER IF NOT EXISTS org_auditentry_no_delete
BEFORE DELETE ON org_auditentry
BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be deleted'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS org_auditentry_no_delete;"

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION org_auditentry_no_delete() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the audit trail cannot be deleted'; END
$$ LANGUAGE plpgsql;
CREATE TRIGGER org_auditentry_no_delete BEFORE DELETE ON org_auditentry
FOR EACH ROW EXECUTE FUNCTION org_auditentry_no_delete();
CREATE TRIGGER org_auditentry_no_truncate BEFORE TRUNCATE ON org_auditentry
FOR EACH STATEMENT EXECUTE FUNCTION org_auditentry_no_delete();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS org_auditentry_no_truncate ON org_auditentry;
DROP TRIGGER IF EXISTS org_auditentry_no_delete ON org_auditentry;
DROP FUNCTION IF EXISTS org_auditentry_no_delete();
"""


def forwards(apps, schema_editor):
    sql = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    sql = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(
        schema_editor.connection.vendor
    )
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("org", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
