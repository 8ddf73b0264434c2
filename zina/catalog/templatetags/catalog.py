from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def minutes(value: int | None) -> str:
    """240 → “4 h”, 90 → “1 h 30 min”, 2400 → “40 h” (working time, so no days)."""
    if value is None:
        return "—"
    hours, mins = divmod(int(value), 60)
    if hours and mins:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": mins}
