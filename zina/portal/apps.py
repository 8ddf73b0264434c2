from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "zina.portal"
    label = "portal"
    verbose_name = _("Self-service portal")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registration)
