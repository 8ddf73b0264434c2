from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("new/", views.new, name="new"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_form, name="team_new"),
    path("teams/<int:pk>/", views.team_form, name="team_edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/files/", views.attach, name="attach"),
    path("files/<int:pk>/", views.download, name="file"),
    path("<int:pk>/<slug:name>/", views.action, name="action"),
]
