from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "manyi.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from .registry import NavItem, register_nav

        # Each app's events, subscribers, periodic jobs (tasks.py) and demo steps register
        # themselves when their module is imported.
        autodiscover_modules("events", "subscribers", "tasks", "demo")
        register_nav(NavItem("home", _("Home"), "home", order=0))
        register_nav(NavItem("api", _("API"), "api-v1:openapi-view", order=900))
        post_migrate.connect(_create_schedules, sender=self)


def _create_schedules(**kwargs) -> None:
    from .tasks import ensure_schedules

    ensure_schedules()
