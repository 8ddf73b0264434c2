from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "zina.portal"
    label = "portal"
    verbose_name = _("Self-service portal")

    def ready(self) -> None:
        from zina.tickets.notifications import register_reporter_link

        from . import permissions  # noqa: F401  (registration)
        from .operations import tracking_url

        # Reporters without an account follow their request on the private tracking page.
        register_reporter_link(tracking_url)
