"""The database itself refuses to change an audit entry, whatever code path tries."""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER IF NOT EXISTS org_auditentry_append_only
BEFORE UPDATE ON org_auditentry
BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be edited'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS org_auditentry_append_only;"

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION org_auditentry_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the audit trail cannot be edited'; END
$$ LANGUAGE plpgsql;
CREATE TRIGGER org_auditentry_append_only BEFORE UPDATE ON org_auditentry
FOR EACH ROW EXECUTE FUNCTION org_auditentry_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS org_auditentry_append_only ON org_auditentry;
DROP FUNCTION IF EXISTS org_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    sql = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    sql = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(
        schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
