from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "zina.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from . import dashboards, navigation  # noqa: F401  (registration)
