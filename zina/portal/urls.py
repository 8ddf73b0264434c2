"""The portal's URLs, one module per part (public knowledge and submitting; status page and
feeds; virtual assistant), all in the ``portal`` namespace."""

from . import urls_assistant, urls_public, urls_status

app_name = "portal"

urlpatterns = [*urls_public.urlpatterns, *urls_status.urlpatterns, *urls_assistant.urlpatterns]
