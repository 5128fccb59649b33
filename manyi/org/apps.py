from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "manyi.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        from manyi.core.registry import DashboardCard, NavItem, register_card, register_nav

        from .models import Branch, Staff

        autodiscover_modules("auditing")  # every app's audit actions, for the audit page
        post_migrate.connect(
            _keep_the_trail_append_only, sender=self, weak=False, dispatch_uid="org.append_only"
        )
        register_nav(NavItem("org.branches", _("Branches"), "org:branches", "org.view", 10))
        register_nav(NavItem("org.staff", _("Staff"), "org:staff", "org.view", 20))
        register_nav(NavItem("org.audit", _("Audit trail"), "org:audit", "audit.view", 800))
        register_card(
            DashboardCard(
                "org.branches",
                _("Branches"),
                lambda user: Branch.objects.visible_to(user).filter(is_active=True).count(),
                "org:branches",
                "org.view",
                10,
            )
        )
        register_card(
            DashboardCard(
                "org.staff",
                _("Staff"),
                lambda user: Staff.objects.visible_to(user).filter(user__is_active=True).count(),
                "org:staff",
                "org.view",
                20,
            )
        )


def _keep_the_trail_append_only(sender: object, using: str = "default", **kwargs: object) -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table: put the audit
    trail's triggers (no update, no delete) back after every migrate (PostgreSQL keeps them)."""
    import importlib

    from django.db import connections

    db = connections[using]
    if db.vendor == "sqlite" and "org_auditentry" in db.introspection.table_names():
        with db.cursor() as cursor:
            for name in ("0002_audit_append_only", "0003_audit_no_delete"):
                migration = importlib.import_module(f"manyi.org.migrations.{name}")
                cursor.execute(migration.SQLITE_UP)
