from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessTimeConfig(AppConfig):
    name = "manyi.businesstime"
    label = "businesstime"
    verbose_name = _("Business calendar")

    def ready(self) -> None:
        from manyi.core.registry import NavItem, register_nav

        register_nav(
            NavItem(
                "calendar", _("Business calendar"), "businesstime:calendar", "calendar.view", 700
            )
        )
