"""Forms of the accounts pages. They validate input; operations do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .choices import MembershipKind, Responsibility, Role
from .models import Institution, User
from .security import client_address, login_blocked, note_login_attempt


class LoginForm(AuthenticationForm):
    """Django's login form with rate limiting per account and per address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is wrong. Both are case-sensitive."),
        "rate_limited": _("Too many failed attempts. Wait 15 minutes, or reset your password."),
    }

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        address = client_address(self.request) if self.request else None
        if username and login_blocked(username, address):
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                note_login_attempt(username, address, succeeded=False)
            raise
        note_login_attempt(username, address, succeeded=True)
        return cleaned


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = Institution
        fields = [
            "code",
            "name",
            "name_en",
            "short_name",
            "registration_number",
            "email",
            "phone",
            "website",
        ]
        help_texts = {
            "code": _("Used in addresses and imports, e.g. “vid” or “varam”."),
        }


class UserDataForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language"]


class NewUserForm(UserDataForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=MembershipKind.choices)
    title = forms.CharField(label=_("Position"), max_length=200, required=False)
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), empty_label=None
    )

    class Meta(UserDataForm.Meta):
        fields = ["username", *UserDataForm.Meta.fields]

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        self.order_fields(["institution", "username", "first_name", "last_name", "email"])


class RoleAssignmentForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), empty_label=None
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    responsibility = forms.ChoiceField(
        label=_("Responsibility"),
        choices=Responsibility.choices,
        initial=Responsibility.CO_RESPONSIBLE,
    )

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for."))
    expires_at = forms.DateField(
        label=_("Expires"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token that does not expire."),
    )


class SetupOrResetPasswordForm(PasswordResetForm):
    """Password reset that also reaches new users, who have no password until they set one.

    Django's form skips users with an unusable password; here only blocked users are skipped.
    """

    def get_users(self, email: str) -> Any:
        email_field = User.get_email_field_name()
        return User._default_manager.filter(
            **{f"{email_field}__iexact": email, "is_active": True}
        ).iterator()
