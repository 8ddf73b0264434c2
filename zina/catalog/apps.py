from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "zina.catalog"
    label = "catalog"
    verbose_name = _("Service and resource catalog")

    def ready(self) -> None:
        from . import navigation, permissions, scopes, verbs  # noqa: F401  (registration)
