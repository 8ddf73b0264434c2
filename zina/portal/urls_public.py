"""Portal URLs: public knowledge and submitting."""

from django.urls import URLPattern, path

from . import views_public as views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("services/", views.services, name="services"),
    path("services/<int:pk>/", views.service, name="service"),
    path("articles/<int:pk>/", views.article, name="article"),
    path("articles/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("submit/", views.submit_choose, name="submit_choose"),
    path("submit/answered/", views.deflect, name="deflect"),
    path("submit/<slug:kind_slug>/", views.submit, name="submit"),
    path("requests/<str:token>/", views.track, name="track"),
    path("my/", views.my_requests, name="my_requests"),
    path("my/<int:pk>/", views.my_request, name="my_request"),
]
