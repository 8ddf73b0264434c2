from django import template

from zina.core.audit import verb_label

register = template.Library()


@register.filter(name="verb_label")
def verb_label_filter(verb: str) -> str:
    """The translated label of an audit verb (the verb itself when none is registered)."""
    return verb_label(verb)
