"""Labels of the catalog's audit verbs."""

from django.utils.translation import gettext_lazy as _

from zina.core.audit import register_verbs

register_verbs(
    {
        "service.created": _("Service created"),
        "service.updated": _("Service changed"),
        "service.related_changed": _("Related services changed"),
        "service.level_set": _("Service level set"),
        "service.dependency_added": _("Dependency added"),
        "service.dependencies_added": _("Dependencies added"),
        "service.dependency_removed": _("Dependency removed"),
        "resource.created": _("Resource created"),
        "resource.updated": _("Resource changed"),
        "resource.dependency_added": _("Dependency added"),
        "resource.dependencies_added": _("Dependencies added"),
        "resource.dependency_removed": _("Dependency removed"),
        "catalog.imported": _("Catalog imported"),
    }
)
