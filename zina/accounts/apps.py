from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zina.accounts"
    label = "accounts"
    verbose_name = _("Institutions and users")

    def ready(self) -> None:
        from . import navigation, permissions, verbs  # noqa: F401  (registrations)
