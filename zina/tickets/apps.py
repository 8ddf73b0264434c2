from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "zina.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from . import navigation, panels, permissions, search, verbs  # noqa: F401  (registration)
