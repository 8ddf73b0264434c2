"""The portal's public forms: submitting a request, replying to one, “Was this helpful?” and
“This answered my question”. Every form a visitor sends carries the spam protection: a
honeypot field and a signed timestamp (minimum fill time)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from zina.accounts.models import Institution
from zina.tickets.choices import Kind

from . import spam
from .operations import INSTITUTION_KINDS, public_services

# URL slugs of the four forms, with their headings (the ticket kind behind each).
KIND_SLUGS = {
    "question": Kind.INCIDENT,
    "request": Kind.REQUEST,
    "complaint": Kind.COMPLAINT,
    "suggestion": Kind.SUGGESTION,
}
KIND_TITLES = {
    Kind.INCIDENT: _("A question or a problem"),
    Kind.REQUEST: _("A service request"),
    Kind.COMPLAINT: _("A complaint"),
    Kind.SUGGESTION: _("A suggestion"),
}
KIND_HELP = {
    Kind.INCIDENT: _("Something does not work, or you do not know how to do something."),
    Kind.REQUEST: _("Ask for something a service provides: access, a document, a change."),
    Kind.COMPLAINT: _("Tell an institution about something that went wrong in its work."),
    Kind.SUGGESTION: _("Tell an institution how its services could be better."),
}


def localized_name(obj: Any) -> str:
    """A service's or institution's name in the page's language (Latvian when not given)."""
    if translation.get_language() == "en" and getattr(obj, "name_en", None):
        return str(obj.name_en)
    return str(obj.name)


class LocalizedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return localized_name(obj)


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{localized_name(obj)} — {localized_name(obj.institution)}"


class ProtectedForm(forms.Form):
    """A honeypot (hidden from people and assistive technology; bots fill it in) and the
    signed time the form was shown (bots send at once)."""

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A fresh stamp every time the form is shown (again).
        self.initial["stamp"] = spam.form_stamp()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if spam.honeypot_filled(self.data):
            raise forms.ValidationError(
                _("Your message could not be sent. Please try again."), code="spam"
            )
        if spam.filled_too_fast(self.data.get("stamp")):
            # Shown again with a fresh stamp, so a form left open too long can be resent.
            fresh = dict(self.data.items())
            fresh["stamp"] = spam.form_stamp()
            self.data = fresh
            raise forms.ValidationError(
                _(
                    "The form was sent too quickly, or it was open for more than a day. "
                    "Please check your message and send it again."
                ),
                code="too_fast",
            )
        return data


class SubmitForm(ProtectedForm):
    """A question or incident, a service request, a complaint or a suggestion."""

    service = ServiceChoiceField(
        label=_("Service"), queryset=public_services().none(), required=False
    )
    institution = LocalizedChoiceField(
        label=_("Or the institution"),
        queryset=Institution.objects.none(),
        required=False,
        help_text=_("For a complaint or suggestion about an institution as a whole."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(
        label=_("Describe it"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, what you expected, and anything that helps us help you."),
    )
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send the reference and a private link to follow your request here."),
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)

    field_order = ["service", "institution", "subject", "description", "name", "email", "phone"]

    def __init__(self, *args: Any, kind: str, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        services = public_services().select_related("institution").order_by("name")
        service_field = self.fields["service"]
        assert isinstance(service_field, forms.ModelChoiceField)
        service_field.queryset = services
        if kind in INSTITUTION_KINDS:
            institution_field = self.fields["institution"]
            assert isinstance(institution_field, forms.ModelChoiceField)
            institution_field.queryset = Institution.objects.visible_to(AnonymousUser()).filter(
                is_active=True
            )
            service_field.help_text = _("Choose the service, or the institution below.")
        else:
            del self.fields["institution"]
            service_field.required = True
        if getattr(user, "is_authenticated", False):
            # A logged-in recipient is known: the address is optional (it defaults to theirs).
            self.fields["email"].required = False
            self.fields["email"].help_text = _("Leave empty to use the address of your account.")
            self.fields["name"].initial = user.get_full_name()
            self.fields["email"].initial = user.email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            self.kind in INSTITUTION_KINDS
            and not data.get("service")
            and not data.get("institution")
            and "service" not in self.errors
            and "institution" not in self.errors
        ):
            self.add_error("service", _("Choose a service or an institution."))
        return data


class ReplyForm(ProtectedForm):
    """The reporter writes to their own request."""

    body = forms.CharField(
        label=_("Your message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    field_order = ["body"]


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What was missing? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if spam.honeypot_filled(self.data):
            raise forms.ValidationError(_("Your message could not be sent. Please try again."))
        return data


class DeflectForm(forms.Form):
    """“This answered my question” under a suggested article."""

    article = forms.IntegerField(min_value=1)
    kind = forms.CharField(required=False, max_length=20)
    service = forms.IntegerField(required=False, min_value=1)
    institution = forms.IntegerField(required=False, min_value=1)
    query = forms.CharField(required=False, max_length=5000)
