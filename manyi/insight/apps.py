from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "manyi.insight"
    label = "insight"
    verbose_name = _("Satisfaction index")

    def ready(self) -> None:
        from manyi.core.registry import NavItem, register_nav

        from . import data  # noqa: F401  (registers the stored-file data sources)

        register_nav(
            NavItem("insight", _("Satisfaction index"), "insight:list", "insight.view", 20)
        )
