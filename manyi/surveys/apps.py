from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "manyi.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from manyi.core.registry import NavItem, register_nav
        from manyi.customers.timeline import timeline_kind

        from . import actions, insight_source  # noqa: F401  (reminder jobs, the data source)

        timeline_kind("survey", _("Survey answer"))
        register_nav(NavItem("surveys", _("Surveys"), "surveys:list", "surveys.view", 15))
