from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "manyi.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from manyi.core.registry import NavItem, register_nav

        from . import mail  # noqa: F401  (the e-mail and digest job)
        from .inbox import unread_count

        register_nav(
            NavItem(
                "inbox",
                _("Notifications"),
                "notifications:inbox",
                None,
                1000,
                unread_count,
                "tools",
            )
        )
