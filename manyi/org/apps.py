from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "manyi.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from manyi.core.registry import DashboardCard, NavItem, register_card, register_nav

        from .models import Branch, Staff

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
