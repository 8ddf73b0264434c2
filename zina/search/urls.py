from django.urls import path

from . import views

app_name = "search"
urlpatterns = [
    path("", views.search_page, name="search"),
    path("facets/", views.search_facets, name="facets"),
    path("suggest/", views.suggest, name="suggest"),
    path("go/<int:log_id>/<slug:kind>/<int:pk>/<int:rank>/", views.click, name="click"),
    path("gaps/", views.gaps, name="gaps"),
]
