from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:key>/", views.dashboard, name="dashboard"),
    path("<slug:key>/print/", views.dashboard_print, name="print"),
]
