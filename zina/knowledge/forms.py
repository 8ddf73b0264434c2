"""Forms of the knowledge pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service

from .choices import TEMPLATES, ArticleRelationKind, ArticleType, Audience, Language, Licence
from .models import ArticleRevision
from .operations import ArticleSettings, ArticleText


class ArticleSettingsForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=ArticleType.choices)
    audience = forms.ChoiceField(
        label=_("Audience"), choices=Audience.choices, initial=Audience.INTERNAL
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services"), queryset=Service.objects.none(), required=False
    )
    resources = forms.ModelMultipleChoiceField(
        label=_("Resources"), queryset=Resource.objects.none(), required=False
    )
    shared_with_all = forms.BooleanField(label=_("Share with every institution"), required=False)
    shared_with = forms.ModelMultipleChoiceField(
        label=_("Share with institutions"), queryset=Institution.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, services: Any, resources: Any, institutions: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services  # type: ignore[attr-defined]
        self.fields["resources"].queryset = resources  # type: ignore[attr-defined]
        self.fields["shared_with"].queryset = institutions  # type: ignore[attr-defined]

    def settings_object(self) -> ArticleSettings:
        c = self.cleaned_data
        return ArticleSettings(
            type=c["type"],
            audience=c["audience"],
            shared_with_all=c["shared_with_all"],
            shared_with=list(c["shared_with"]),
            services=list(c["services"]),
            resources=list(c["resources"]),
        )


class ArticleTextForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ArticleRevision
        fields = ["title", "symptoms", "environment", "cause", "resolution", "body", "keywords"]
        widgets = {
            "symptoms": forms.Textarea(attrs={"rows": 3}),
            "environment": forms.Textarea(attrs={"rows": 2}),
            "cause": forms.Textarea(attrs={"rows": 3}),
            "resolution": forms.Textarea(attrs={"rows": 4}),
            "body": forms.Textarea(attrs={"rows": 12}),
        }
        help_texts = {
            "body": _("Markdown: **bold**, lists with 1. or -, links [text](https://…)."),
            "keywords": _("Comma-separated; add the words people type."),
        }

    def __init__(
        self, *args: Any, preview_url: str = "", article_type: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if article_type in TEMPLATES:  # the type's own template: its fields, its words
            used = dict(TEMPLATES[article_type])
            for name in ("symptoms", "environment", "cause", "resolution"):
                if name in used:
                    self.fields[name].label = used[name]
                else:
                    self.fields[name].widget = forms.HiddenInput()
        if preview_url:  # live Markdown preview while typing (htmx), debounced
            self.fields["body"].widget.attrs.update(
                {
                    "hx-post": preview_url,
                    "hx-trigger": "input changed delay:500ms",
                    "hx-target": "#preview",
                }
            )

    def text_object(self) -> ArticleText:
        return ArticleText(**{f: self.cleaned_data[f] for f in self.Meta.fields})


class NewArticleForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), empty_label=None
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # A field people never see; bots fill it in.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("website"):
            raise forms.ValidationError(_("Your feedback could not be accepted."))
        return cleaned


class FlagForm(forms.Form):
    reason = forms.CharField(
        label=_("What is outdated or incorrect?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectFlagForm(forms.Form):
    resolution = forms.CharField(label=_("Why is no change needed?"), max_length=4000)


class ProcedureForm(forms.Form):
    text = forms.CharField(
        label=_("Procedure (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Who writes, who approves what, the templates in use, how knowledge is kept current."
        ),
    )

    def __init__(self, *args: Any, procedure: Any = None, **kwargs: Any) -> None:
        from .operations import DEFAULT_REVIEW_DAYS

        super().__init__(*args, **kwargs)
        configured = (procedure.review_days if procedure else {}) or {}
        if procedure is not None:
            self.fields["text"].initial = procedure.text
        for value, label in ArticleType.choices:
            self.fields[f"days_{value}"] = forms.IntegerField(
                label=_("Review every … days: %s") % label,
                min_value=1,
                max_value=3650,
                initial=configured.get(value, DEFAULT_REVIEW_DAYS[ArticleType(value)]),
            )

    def review_days(self) -> dict[str, int]:
        return {value: self.cleaned_data[f"days_{value}"] for value in ArticleType.values}


class RelationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Relation"), choices=ArticleRelationKind.choices)
    other = forms.IntegerField(label=_("Article number"), min_value=1)


class AttachmentForm(forms.Form):
    upload = forms.FileField(
        label=_("File"),
        help_text=_("PDF, images, text, CSV or office documents, at most 10 MB."),
    )


class LicenceForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    level = forms.ChoiceField(label=_("Licence"), choices=Licence.choices)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users.order_by("last_name", "first_name")  # type: ignore[attr-defined]
