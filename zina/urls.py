"""Top-level URL map."""

from django.urls import include, path
from django.views.i18n import set_language

from .api import api

urlpatterns = [
    path("", include("zina.core.urls")),
    path("accounts/", include("zina.accounts.urls")),
    path("catalog/", include("zina.catalog.urls")),
    path("knowledge/", include("zina.knowledge.urls")),
    path("search/", include("zina.search.urls")),
    path("tickets/", include("zina.tickets.urls")),
    path("portal/", include("zina.portal.urls")),
    path("reports/", include("zina.reports.urls")),
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
]

handler400 = "zina.core.views.bad_request"
handler403 = "zina.core.views.permission_denied"
handler404 = "zina.core.views.page_not_found"
handler500 = "zina.core.views.server_error"
