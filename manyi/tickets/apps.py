from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "manyi.tickets"
    label = "tickets"
    verbose_name = _("Complaints and contacts")

    def ready(self) -> None:
        from manyi.core.registry import NavItem, register_nav
        from manyi.customers.timeline import timeline_kind

        register_nav(NavItem("tickets", _("Complaints"), "tickets:queue", "tickets.view", 10))
        from . import sla  # noqa: F401  (registers the escalation job)

        timeline_kind("ticket", _("Complaint or contact"))
