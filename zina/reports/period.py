"""The reporting period: a day, an ISO week, a calendar month, or custom dates (Europe/Riga).

``start`` and ``end`` are aware datetimes, ``end`` exclusive; ``bucket`` is the unit of the
time series drawn over the period (hour, day, week or month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _

PeriodKind = Literal["day", "week", "month", "custom"]
Bucket = Literal["hour", "day", "week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month", "custom")
MAX_CUSTOM_DAYS = 3 * 366


class PeriodError(ValueError):
    """Bad period input; the message is translated and meant for the user."""


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first_day: date  # inclusive
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return _midnight(self.last_day + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def bucket(self) -> Bucket:
        if self.days == 1:
            return "hour"
        if self.days <= 62:
            return "day"
        if self.days <= 366:
            return "week"
        return "month"

    def shifted(self, steps: int) -> Period:
        """The previous (-1) or next (+1) period of the same kind."""
        if self.kind == "month":
            month = self.first_day.month - 1 + steps
            first = date(self.first_day.year + month // 12, month % 12 + 1, 1)
            return Period.of("month", first)
        delta = timedelta(days=self.days * steps)
        return Period(self.kind, self.first_day + delta, self.last_day + delta)

    def query(self) -> dict[str, str]:
        """GET parameters that select this period again."""
        if self.kind == "custom":
            return {
                "period": "custom",
                "from": self.first_day.isoformat(),
                "to": self.last_day.isoformat(),
            }
        return {"period": self.kind, "on": self.first_day.isoformat()}

    @classmethod
    def of(cls, kind: PeriodKind, on: date) -> Period:
        if kind == "day":
            return cls("day", on, on)
        if kind == "week":
            monday = on - timedelta(days=on.weekday())
            return cls("week", monday, monday + timedelta(days=6))
        first = on.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls("month", first, following - timedelta(days=1))

    @classmethod
    def from_query(cls, params: dict[str, str] | object) -> Period:
        """Read ``period``, ``on``, ``from`` and ``to``; raise :class:`PeriodError`."""
        get = getattr(params, "get", None)
        assert get is not None
        kind = get("period") or "month"
        if kind not in PERIOD_KINDS:
            raise PeriodError(_("Unknown period “%(kind)s”.") % {"kind": kind})
        today = timezone.localdate()
        if kind == "custom":
            first, last = _date(get("from"), _("from")), _date(get("to"), _("to"))
            if first is None or last is None:
                raise PeriodError(_("Give both dates of a custom period."))
            if last < first:
                raise PeriodError(_("The period ends before it starts."))
            if (last - first).days + 1 > MAX_CUSTOM_DAYS:
                raise PeriodError(
                    _("A custom period can be at most %(days)d days long.")
                    % {"days": MAX_CUSTOM_DAYS}
                )
            return cls("custom", first, last)
        return cls.of(kind, _date(get("on"), _("date")) or today)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError(
            _("“%(value)s” is not a date (%(name)s); write it as YYYY-MM-DD.")
            % {"value": value, "name": name}
        ) from None
