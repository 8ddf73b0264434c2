"""Forms of the ticket pages. They only parse input; the operations validate and write."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service
from zina.knowledge.choices import Audience

from .choices import (
    ChangeType,
    Channel,
    EntryKind,
    Impact,
    Kind,
    Level,
    LinkKind,
    Urgency,
    WaitingOn,
)
from .models import Team, Ticket
from .operations import TicketData

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

# Fields of one kind only (the rest stay empty on other kinds), in the order shown.
KIND_ONLY: dict[str, list[str]] = {
    Kind.INCIDENT: ["interruption", "interruption_start", "interruption_end"],
    Kind.CHANGE: ["change_type", "planned_start", "planned_end", "expected_downtime_minutes"],
    Kind.PROBLEM: ["root_cause"],
    Kind.COMPLAINT: ["evaluation", "answer"],
    Kind.SUGGESTION: ["evaluation", "answer"],
}
ALL_KIND_ONLY = {name for names in KIND_ONLY.values() for name in names}
DATA_FIELDS = [
    "subject",
    "description",
    "channel",
    "service",
    "resource",
    "impact",
    "urgency",
    "level",
    *sorted(ALL_KIND_ONLY),
]

_REFERENCE = re.compile(r"^\s*(?:([A-Za-z]{1,4})-)?(\d{1,12})\s*$")


def parse_reference(text: str) -> tuple[str, int] | None:
    """ "INC-12", "inc-12" or "12" → ("INC", 12); None when it is not a reference."""
    match = _REFERENCE.match(text or "")
    if match is None:
        return None
    return (match.group(1) or "").upper(), int(match.group(2))


class TicketFieldsForm(forms.Form):
    """What a ticket says: the fields of TicketData for one kind (new-ticket and edit forms)."""

    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False
    )
    resource = forms.ModelChoiceField(
        label=_("Resource"), queryset=Resource.objects.none(), required=False
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.LOW
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.STAFF)
    level = forms.TypedChoiceField(
        label=_("Support level"), choices=Level.choices, coerce=int, initial=Level.FIRST
    )
    interruption = forms.BooleanField(label=_("Availability interruption"), required=False)
    interruption_start = forms.DateTimeField(
        label=_("Interruption from"), widget=DATETIME, required=False
    )
    interruption_end = forms.DateTimeField(
        label=_("Interruption until"), widget=DATETIME, required=False
    )
    change_type = forms.ChoiceField(
        label=_("Change type"), choices=ChangeType.choices, initial=ChangeType.NORMAL
    )
    planned_start = forms.DateTimeField(label=_("Planned from"), widget=DATETIME, required=False)
    planned_end = forms.DateTimeField(label=_("Planned until"), widget=DATETIME, required=False)
    expected_downtime_minutes = forms.IntegerField(
        label=_("Expected downtime (minutes)"), min_value=0, max_value=100000, required=False
    )
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    evaluation = forms.CharField(
        label=_("Evaluation"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    answer = forms.CharField(
        label=_("Answer to the author"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, kind: str, services: Any, resources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in ALL_KIND_ONLY - set(KIND_ONLY.get(kind, [])):
            del self.fields[name]
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]

    def data_object(self, *, skip: frozenset[str] = frozenset()) -> TicketData:
        c = self.cleaned_data
        values = {name: c[name] for name in DATA_FIELDS if name in c and name not in skip}
        given = {name for name, value in values.items() if value is None}
        return TicketData(**values, given=given)


class NewTicketForm(TicketFieldsForm):
    """Who records the ticket for whom: institution, team, assignee and the reporter."""

    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none()
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=200, required=False)
    reporter_email = forms.EmailField(label=_("Reporter's e-mail"), required=False)
    reporter_phone = forms.CharField(label=_("Reporter's phone"), max_length=40, required=False)

    field_order = ["institution", "subject", "description"]

    def __init__(
        self, *args: Any, institutions: Any, teams: Any, users: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = users  # type: ignore[attr-defined]
        if len(institutions) == 1:
            self.fields["institution"].initial = institutions[0].pk


class EditTicketForm(TicketFieldsForm):
    """Edit details; ``version`` is the ticket's version the form was rendered with."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        initial = {name: getattr(ticket, name) for name in DATA_FIELDS if hasattr(ticket, name)}
        initial["service"], initial["resource"] = ticket.service_id, ticket.resource_id
        initial["version"] = ticket.version
        if ticket.kind == Kind.CHANGE and not ticket.change_type:
            initial["change_type"] = ChangeType.NORMAL
        kwargs.setdefault("initial", initial)
        super().__init__(*args, kind=ticket.kind, **kwargs)
        del self.fields["level"]  # the level changes by escalation, with a reason


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, teams: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = users  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    """One workflow move; the text fields matter to some moves only."""

    action = forms.CharField(max_length=20)
    version = forms.IntegerField(required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea)
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=forms.Textarea)
    waiting_on = forms.ChoiceField(
        label=_("Waiting on"), choices=[("", "—"), *WaitingOn.choices], required=False
    )
    article = forms.IntegerField(required=False)  # resolve: a suggested article used
    draft = forms.BooleanField(required=False)  # resolve: then draft an article


class EscalateForm(forms.Form):
    to_level = forms.TypedChoiceField(
        label=_("Support level"),
        choices=[(Level.FIRST, Level.FIRST.label), (Level.SECOND, Level.SECOND.label)],
        coerce=int,
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class HandOverForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none()
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]


class EntryForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(EntryKind.REPLY, EntryKind.REPLY.label), (EntryKind.NOTE, EntryKind.NOTE.label)],
        initial=EntryKind.NOTE,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}))
    minutes = forms.IntegerField(
        label=_("Time spent (minutes)"), min_value=0, max_value=24 * 60, initial=0, required=False
    )


class MessageForm(forms.Form):
    """The reporter writes to their own ticket."""

    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}))


class ReferenceForm(forms.Form):
    """Another ticket by reference ("INC-12") or number."""

    target = forms.CharField(label=_("Ticket (e.g. INC-12)"), max_length=30, required=False)
    relation = forms.ChoiceField(label=_("Relation"), choices=LinkKind.choices, required=False)

    def clean_target(self) -> tuple[str, int] | None:
        text = self.cleaned_data["target"]
        if not text.strip():
            return None
        parsed = parse_reference(text)
        if parsed is None:
            raise forms.ValidationError(_("Write a ticket reference such as INC-12."))
        return parsed


class KnownErrorForm(forms.Form):
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    workaround = forms.CharField(label=_("Workaround"), widget=forms.Textarea(attrs={"rows": 3}))
    audience = forms.ChoiceField(
        label=_("Article audience"), choices=Audience.choices, initial=Audience.INTERNAL
    )


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    op = forms.ChoiceField(choices=[("assign", "assign"), ("resolve", "resolve")])
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )
    resolution = forms.CharField(label=_("Resolution"), required=False)

    def __init__(self, *args: Any, teams: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = users  # type: ignore[attr-defined]
        # Any number: each id is checked against the tickets the user sees.
        self.fields["ids"].valid_value = lambda value: True  # type: ignore[attr-defined]


class TeamForm(forms.Form):
    """A team's details; ``institution`` only when creating."""

    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none()
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    level = forms.TypedChoiceField(
        label=_("Support level"),
        choices=[(Level.FIRST, Level.FIRST.label), (Level.SECOND, Level.SECOND.label)],
        coerce=int,
    )
    email = forms.EmailField(label=_("Team e-mail"), required=False)
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, instance_team: Team | None, institutions: Any, users: Any, **kwargs: Any
    ) -> None:
        if instance_team is not None and not args[0]:
            kwargs["initial"] = {
                "name": instance_team.name,
                "level": instance_team.level,
                "email": instance_team.email,
                "members": list(instance_team.members.all()),
            }
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = users  # type: ignore[attr-defined]
        if instance_team is None:
            self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        else:
            del self.fields["institution"]

    def data_object(self) -> Any:
        from .operations import TeamData

        c = self.cleaned_data
        return TeamData(
            name=c["name"], level=c["level"], email=c["email"], members=list(c["members"])
        )


class AttachmentForm(forms.Form):
    upload = forms.FileField(label=_("File"))
    internal = forms.BooleanField(
        label=_("Internal (hidden from the reporter)"), required=False, initial=False
    )
