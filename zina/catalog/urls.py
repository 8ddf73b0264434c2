from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.service_list, name="service_list"),
    path("services/new/", views.service_create, name="service_create"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/service-level/", views.service_level_edit, name="service_level_edit"),
    path(
        "services/<int:pk>/dependencies/",
        views.service_dependency_add,
        name="service_dependency_add",
    ),
    path("services/<int:pk>/roles/", views.service_assign, name="service_assign"),
    path(
        "service-dependencies/<int:pk>/remove/",
        views.service_dependency_remove,
        name="service_dependency_remove",
    ),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/new/", views.resource_create, name="resource_create"),
    path("resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource_edit"),
    path(
        "resources/<int:pk>/dependencies/",
        views.resource_dependency_add,
        name="resource_dependency_add",
    ),
    path("resources/<int:pk>/roles/", views.resource_assign, name="resource_assign"),
    path(
        "resource-dependencies/<int:pk>/remove/",
        views.resource_dependency_remove,
        name="resource_dependency_remove",
    ),
    path("import/", views.catalog_import, name="import"),
    path("export/", views.catalog_export, name="export"),
]
