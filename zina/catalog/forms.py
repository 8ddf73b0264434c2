"""Forms of the catalog pages. They validate input; operations do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, User

from .choices import Channel, Priority, Recipient
from .models import Resource, Service, ServiceLevel
from .operations import ResourceData, ServiceData, ServiceLevelData, TargetData


class ServiceForm(forms.ModelForm):
    recipients = forms.MultipleChoiceField(
        label=_("Recipients"),
        choices=Recipient.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Service
        fields = [
            "identifier",
            "name",
            "name_en",
            "description",
            "description_en",
            "category",
            "recipients",
            "channels",
            "status",
            "is_public",
            "fee",
            "legal_basis",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
            "fee": forms.Textarea(attrs={"rows": 2}),
            "legal_basis": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "identifier": _(
                "From the state services register, e.g. “1234” or “URN:IVIS:100001:EP.SRV-123”."
            ),
            "is_public": _("Public services are shown on the public portal and status page."),
        }

    def data_object(self) -> ServiceData:
        return ServiceData(**{f: self.cleaned_data[f] for f in self.Meta.fields})


class RelatedServicesForm(forms.Form):
    related = forms.ModelMultipleChoiceField(
        label=_("Related services"),
        queryset=Service.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Services a recipient of this one often needs too."),
    )

    def __init__(self, *args: Any, service: Service, candidates: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"related": list(service.related.values_list("pk", flat=True))}
        )
        super().__init__(*args, **kwargs)
        self.fields["related"].queryset = candidates.exclude(pk=service.pk)  # type: ignore[attr-defined]


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["identifier", "name", "name_en", "description", "type", "criticality", "status"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"identifier": _("From the resources register.")}

    def data_object(self) -> ResourceData:
        return ResourceData(**{f: self.cleaned_data[f] for f in self.Meta.fields})


class InstitutionChoiceForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]


class ServiceLevelForm(forms.ModelForm):
    class Meta:
        model = ServiceLevel
        fields = [
            "around_the_clock",
            "support_start",
            "support_end",
            "support_days",
            "availability_target",
        ]
        widgets = {
            "support_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "support_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = self.instance.targets_by_priority() if self.instance.pk else {}
        for p in Priority.values:
            t = targets.get(p)
            self.fields[f"{p}_response"] = forms.IntegerField(
                label=_("%s response (minutes)") % p,
                min_value=0,
                required=False,
                initial=t.response_minutes if t else None,
            )
            self.fields[f"{p}_resolution"] = forms.IntegerField(
                label=_("%s resolution (minutes)") % p,
                min_value=0,
                required=False,
                initial=t.resolution_minutes if t else None,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for p in Priority.values:
            response, resolution = cleaned.get(f"{p}_response"), cleaned.get(f"{p}_resolution")
            if (response is None) != (resolution is None):
                self.add_error(f"{p}_resolution", _("Give both targets, or neither."))
        return cleaned

    def data_object(self) -> ServiceLevelData:
        c = self.cleaned_data
        return ServiceLevelData(
            around_the_clock=c["around_the_clock"],
            support_start=c["support_start"],
            support_end=c["support_end"],
            support_days=c["support_days"],
            availability_target=c["availability_target"],
            targets={
                p: TargetData(c[f"{p}_response"], c[f"{p}_resolution"])
                for p in Priority.values
                if c.get(f"{p}_response") is not None
            },
        )


class DependencyForm(forms.Form):
    resource = forms.ModelChoiceField(label=_("Resource"), queryset=Resource.objects.none())

    def __init__(self, *args: Any, resources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]


class AssignmentForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"))
    responsibility = forms.ChoiceField(
        label=_("Responsibility"),
        choices=Responsibility.choices,
        initial=Responsibility.CO_RESPONSIBLE,
    )

    def __init__(self, *args: Any, users: Any, roles: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r.value in roles]  # type: ignore[attr-defined]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.json,.txt"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        files = [d for d in data if d] if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [single(d, initial) for d in files]


class ImportForm(forms.Form):
    MAX_BYTES = 20 * 1024 * 1024

    upload = MultipleFileField(
        label=_("Files"),
        help_text=_("CSV (UTF-8, semicolons or commas) or JSON, at most 20 MB each."),
    )

    def clean_upload(self) -> list[Any]:
        files = self.cleaned_data["upload"]
        for f in files:
            if f.size > self.MAX_BYTES:
                raise forms.ValidationError(_("%(name)s is larger than 20 MB.") % {"name": f.name})
        return files
