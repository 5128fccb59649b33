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
        from .approvals import count_for

        register_nav(
            NavItem(
                "approvals",
                _("Waiting for my approval"),
                "tickets:approvals",
                "tickets.approve",
                11,
                badge=count_for,
            )
        )
        from django.db.models.signals import post_migrate

        from . import history, outcomes  # noqa: F401  (the card's figures, index outcomes)
        from .search import ensure_index

        post_migrate.connect(
            lambda sender, using="default", **kwargs: ensure_index(using),
            sender=self,
            weak=False,
            dispatch_uid="tickets.ensure_index",
        )

        timeline_kind("ticket", _("Complaint or contact"))
