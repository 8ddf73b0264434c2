from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "zina.search"
    label = "search"
    verbose_name = _("Search")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zina.core import audit

        from . import indexer, navigation  # noqa: F401  (registration)

        autodiscover_modules("search")
        audit.observe(indexer.observe_audited)
