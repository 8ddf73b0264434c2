"""Portal URLs: the service status page, its feeds, and e-mail subscriptions."""

from django.urls import URLPattern, path

from . import status_feeds, views_status

urlpatterns: list[URLPattern] = [
    path("status/", views_status.status_index, name="status"),
    path("status.json", status_feeds.status_json, name="status_json"),
    path("status/feed.atom", status_feeds.StatusFeed(), name="status_feed"),
    path("status/maintenance.ics", status_feeds.status_ics, name="status_ics"),
    path("status/service/<int:pk>/", views_status.status_service, name="status_service"),
    path("status/event/<int:pk>/", views_status.status_event, name="status_event"),
    path("status/subscribe/", views_status.status_subscribe, name="status_subscribe"),
    path("status/confirm/<str:signed>/", views_status.status_confirm, name="status_confirm"),
    path(
        "status/unsubscribe/<str:token>/",
        views_status.status_unsubscribe,
        name="status_unsubscribe",
    ),
]
