"""Portal URLs: the virtual assistant (chat page, questions, "Did this help?", the request
made from the conversation)."""

from django.urls import URLPattern, path

from . import views_assistant as views

urlpatterns: list[URLPattern] = [
    path("assistant/", views.assistant, name="assistant"),
    path("assistant/ask/", views.ask, name="assistant_ask"),
    path("assistant/turns/<int:pk>/rate/", views.rate, name="assistant_rate"),
    path("assistant/new/", views.restart, name="assistant_restart"),
    path("assistant/request/", views.make_request, name="assistant_request"),
]
