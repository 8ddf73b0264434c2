"""The filter bar of a dashboard: the period and the service, type, channel and level filters.

A GET form. Its service choices are the services in the dashboard's scope, so a service
outside the viewer's part cannot be chosen, listed or smuggled in through the address: it
is an invalid choice (a 400 with a message), never a silently wider or narrower figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zina.tickets.choices import Channel, Kind, Level

from .context import Filters
from .period import Period, PeriodError

PERIOD_CHOICES = [
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
    ("custom", _("Custom dates")),
]
# Parameters of the dashboard address that are not filters.
NOT_FILTERS = ("export", "table")


def _choices(field: forms.ChoiceField) -> list[tuple[Any, Any]]:
    return list(field.choices)  # type: ignore[arg-type]


class DateInput(forms.DateInput):
    input_type = "date"


class ReportFilterForm(forms.Form):
    """Read from ``request.GET``; every field is optional (empty means "all", or this month)."""

    period = forms.ChoiceField(
        label=_("Period"),
        choices=PERIOD_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("Unknown period “%(value)s”.")},
    )
    on = forms.CharField(
        label=_("Date"),
        required=False,
        max_length=32,
        widget=DateInput,
    )
    service = forms.TypedMultipleChoiceField(
        label=_("Service"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("“%(value)s” is not a service on this dashboard."),
        },
    )
    type = forms.MultipleChoiceField(
        label=_("Type"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("“%(value)s” is not a type of ticket.")},
    )
    channel = forms.MultipleChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("“%(value)s” is not a channel.")},
    )
    level = forms.TypedMultipleChoiceField(
        label=_("Support level"),
        coerce=int,
        choices=[(str(value), label) for value, label in Level.choices],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("“%(value)s” is not a support level.")},
    )

    def __init__(
        self, data: Any = None, *, services: Iterable[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        # "from" is a Python keyword: these two are added by name.
        self.fields["from"] = forms.CharField(
            label=_("From"), required=False, max_length=32, widget=DateInput
        )
        self.fields["to"] = forms.CharField(
            label=_("To"), required=False, max_length=32, widget=DateInput
        )
        self.order_fields(["period", "on", "from", "to", "service", "type", "channel", "level"])
        field = self.fields["service"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(str(pk), name) for pk, name in services]
        self._period: Period | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "period" in self.errors:
            return cleaned
        try:
            self._period = Period.from_query(self.data)
        except PeriodError as exc:
            self.add_error(None, str(exc))
        return cleaned

    @property
    def invalid_dates(self) -> set[str]:
        """The date fields to mark ``aria-invalid``: the period could not be read from them."""
        if not self.is_bound or not self.errors or self._period is not None:
            return set()
        if "period" in self.errors:
            return set()
        return {"from", "to"} if self.data.get("period") == "custom" else {"on"}

    @property
    def report_period(self) -> Period:
        assert self._period is not None, "call is_valid() first"
        return self._period

    @property
    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            services=tuple(sorted(set(data.get("service") or ()))),
            kinds=tuple(sorted(set(data.get("type") or ()))),
            channels=tuple(sorted(set(data.get("channel") or ()))),
            levels=tuple(sorted(set(data.get("level") or ()))),
        )

    def summary(self) -> list[tuple[str, str]]:
        """Each filter with the chosen values' labels, or "all" (for print and exports)."""
        out: list[tuple[str, str]] = []
        for name in ("service", "type", "channel", "level"):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            chosen = {str(v) for v in self.cleaned_data.get(name) or ()}
            labels = [str(label) for value, label in _choices(field) if str(value) in chosen]
            out.append((str(field.label), ", ".join(labels) if labels else str(_("all"))))
        return out

    def groups(self) -> list[dict[str, Any]]:
        """The multiple-choice filters as the template draws them: a box of checkboxes each,
        with how many are ticked. A filter without choices (no services in scope) is left out."""
        out = []
        getlist = getattr(self.data, "getlist", None)
        for name in ("service", "type", "channel", "level"):
            bound = self[name]
            field = bound.field
            assert isinstance(field, forms.MultipleChoiceField)
            ticked = set(getlist(name) if getlist else ())
            choices = [
                (str(value), label, str(value) in ticked) for value, label in _choices(field)
            ]
            if not choices:
                continue
            out.append(
                {
                    "name": name,
                    "label": field.label,
                    "choices": choices,
                    "count": sum(1 for c in choices if c[2]),
                    "errors": bound.errors,
                }
            )
        return out

    def shown_values(self) -> dict[str, str]:
        """The period fields as the filter bar shows them: the period actually selected
        when it could be read, what was typed otherwise."""
        if self._period is not None and not self.errors:
            p = self._period
            return {
                "period": p.kind,
                "on": p.first_day.isoformat() if p.kind != "custom" else "",
                "from": p.first_day.isoformat() if p.kind == "custom" else "",
                "to": p.last_day.isoformat() if p.kind == "custom" else "",
            }
        return {name: str(self.data.get(name, ""))[:32] for name in ("period", "on", "from", "to")}
