from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "manyi.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from manyi.core import lookups  # noqa: F401  (registers __prefix)
        from manyi.core.registry import DashboardCard, NavItem, register_card, register_nav

        from . import outcomes, rfm  # noqa: F401  (the index's outcomes, the nightly RFM job)
        from .models import Customer

        register_nav(NavItem("customers", _("Customers"), "customers:list", "customers.view", 5))
        register_nav(
            NavItem("customers.segments", _("Segments"), "customers:segments", "customers.view", 6)
        )
        register_card(
            DashboardCard(
                "customers",
                _("Customers"),
                lambda user: (
                    Customer.objects.visible_to(user).filter(merged_into__isnull=True).count()
                ),
                "customers:list",
                "customers.view",
                5,
            )
        )
