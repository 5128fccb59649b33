from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "manyi.queues"
    label = "queues"
    verbose_name = _("Branch queues")

    def ready(self) -> None:
        from manyi.core.registry import NavItem, register_nav
        from manyi.customers.timeline import timeline_kind

        from . import actions  # noqa: F401  (the periodic close of the day)

        timeline_kind("queue", _("Branch visit"))
        register_nav(NavItem("queues", _("Queues"), "queues:home", "queues.serve", 18))
