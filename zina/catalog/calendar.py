"""Business-hours calendar for SLA clocks: when does the support clock run, and when is work due.

Pure Python (no models). Public holidays come from the `holidays` package. Latvia moves
working days: a bridge day such as Friday 2026-01-02 is a day off, worked on Saturday
2026-01-17 instead. The package names the day off "Brīvdiena (pārcelta no 17.01.2026)"
("day off, transferred from 17.01.2026"); the date in that note is a working day even though
it is a Saturday. The note is localised (the English name is "Day off (substituted from
01/17/2026)", month first), so holidays are always loaded in Latvian.

All instants are timezone-aware. Arithmetic happens in UTC, with each working day's window
[start, end) placed on the local wall clock of the calendar's time zone, so the daylight-saving
changes (Europe/Riga: last Sunday of March 03:00 → 04:00, last Sunday of October
04:00 → 03:00) count real elapsed minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils.translation import gettext, pgettext

__all__ = ["BusinessCalendar", "SupportHours", "transferred_from"]

# "Brīvdiena (pārcelta no 17.01.2026)": the day off was moved here from 17.01.2026.
_TRANSFERRED_RE = re.compile(r"pārcelta no (\d{1,2})\.(\d{1,2})\.(\d{4})", re.IGNORECASE)

# Holiday names are parsed, so their language must be fixed (the note is localised).
_HOLIDAY_LANGUAGE = "lv"

# A calendar with no working day in this many consecutive days is treated as broken rather
# than looped over forever (a year plus a margin: every configuration has a working day).
_MAX_IDLE_DAYS = 400

_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)


def transferred_from(name: str) -> date | None:
    """The working day named in a Latvian transferred day off, e.g. "(pārcelta no 17.01.2026)".

    Holidays that fall on the same date are joined with "; " by the package, so the note is
    searched for anywhere in the name. Returns None if the name carries no such note.
    """
    match = _TRANSFERRED_RE.search(name)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    return date(year, month, day)


@dataclass(frozen=True)
class _HolidayYear:
    """One year of public holidays, plus the working days named in its transferred days off."""

    holidays: frozenset[date]
    transferred_workdays: frozenset[date]


@lru_cache(maxsize=256)
def _holiday_year(country: str, year: int) -> _HolidayYear:
    """Load one year of holidays (cached: shared by every calendar of the same country)."""
    table = holidays.country_holidays(country, years=year, language=_HOLIDAY_LANGUAGE)
    days: set[date] = set()
    workdays: set[date] = set()
    for day, name in table.items():
        days.add(day)
        moved = transferred_from(name)
        if moved is not None:
            workdays.add(moved)
    # The package also lists the worked weekend days directly; take them too, so a country
    # whose names carry the note in another format is still covered.
    workdays.update(getattr(table, "weekend_workdays", ()) or ())
    return _HolidayYear(holidays=frozenset(days), transferred_workdays=frozenset(workdays))


@lru_cache(maxsize=256)
def _transferred_workdays(country: str, year: int) -> frozenset[date]:
    """Working days in `year` moved from a day off; the day off may be in a neighbouring year."""
    found: set[date] = set()
    for source_year in (year - 1, year, year + 1):
        found.update(
            day
            for day in _holiday_year(country, source_year).transferred_workdays
            if day.year == year
        )
    return frozenset(found)


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value!r}")


def _weekday_abbreviations() -> tuple[str, ...]:
    # A context keeps these apart from Django's own "Mon"…"Sun" (used in date formats), so the
    # project catalogue can give the Latvian support-hours style: P, O, T, C, Pk, S, Sv.
    return (
        pgettext("weekday abbreviation", "Mon"),
        pgettext("weekday abbreviation", "Tue"),
        pgettext("weekday abbreviation", "Wed"),
        pgettext("weekday abbreviation", "Thu"),
        pgettext("weekday abbreviation", "Fri"),
        pgettext("weekday abbreviation", "Sat"),
        pgettext("weekday abbreviation", "Sun"),
    )


def _describe_weekdays(weekdays: frozenset[int]) -> str:
    """Consecutive runs of three or more days as a range ("Mon–Fri"), the rest listed."""
    names = _weekday_abbreviations()
    ordered = sorted(weekdays)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}–{names[run[-1]]}")
        else:
            parts.extend(names[day] for day in run)
    return ", ".join(parts)


@dataclass(frozen=True)
class SupportHours:
    """When the support clock runs: around the clock, or on working days between start and end
    (local time).

    With `skip_holidays` (the default) public holidays are days off and the Saturdays worked
    in exchange for a transferred day off are working days; without it the clock follows the
    plain weekday pattern.
    """

    always: bool = False  # 24x7
    start: time = time(8, 30)
    end: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    skip_holidays: bool = True

    def __post_init__(self) -> None:
        # Accept any iterable of weekday numbers, but store (and hash) a frozenset.
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if self.always:
            return
        if not self.weekdays:
            raise ValueError("Support hours need at least one weekday.")
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"Weekdays are 0 (Monday) to 6 (Sunday): {sorted(self.weekdays)}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("Support hours are local wall-clock times, without a time zone.")
        if self.start >= self.end:
            raise ValueError(f"Support hours must start before they end: {self.start}–{self.end}")

    @classmethod
    def around_the_clock(cls) -> SupportHours:
        """24/7: every minute counts."""
        return cls(always=True)

    def describe(self) -> str:
        """A short human description in the active language, e.g. "Mon–Fri 08:30–17:00"."""
        if self.always:
            return gettext("24/7")
        values = {
            "days": _describe_weekdays(self.weekdays),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
        }
        if self.skip_holidays:
            return gettext("%(days)s %(start)s–%(end)s, except public holidays") % values
        return gettext("%(days)s %(start)s–%(end)s") % values


class BusinessCalendar:
    """Working days and working time in one time zone, with one country's public holidays."""

    def __init__(self, hours: SupportHours, tz: str = "Europe/Riga", country: str = "LV") -> None:
        self.hours = hours
        self.tz = ZoneInfo(tz)
        self.country = country

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.hours!r}, tz={self.tz.key!r}, country={self.country!r})"

    # Days

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is a public holiday (including a transferred day off)."""
        day = self._as_date(day)
        return day in _holiday_year(self.country, day.year).holidays

    def is_working_day(self, day: date) -> bool:
        """Whether the clock runs on `day`: a support weekday that is not a public holiday, or
        a day worked in exchange for a transferred day off (e.g. Saturday 2026-01-17).

        Around the clock, every day is a working day. Without `skip_holidays`, only the weekday
        pattern counts.
        """
        day = self._as_date(day)
        if self.hours.always:
            return True
        if not self.hours.skip_holidays:
            return day.weekday() in self.hours.weekdays
        if self.is_holiday(day):
            return False
        if day.weekday() in self.hours.weekdays:
            return True
        return day in _transferred_workdays(self.country, day.year)

    # Instants

    def is_working_time(self, at: datetime) -> bool:
        """Whether the clock runs at `at` (timezone-aware): inside [start, end) of a working day."""
        _require_aware(at, "at")
        if self.hours.always:
            return True
        moment = at.astimezone(UTC)
        window = self._window(self._local_date(moment))
        return window is not None and window[0] <= moment < window[1]

    def next_working_time(self, at: datetime) -> datetime:
        """The first working instant at or after `at`: `at` itself (in the calendar's time zone)
        if the clock is running, otherwise the start of the next working window."""
        _require_aware(at, "at")
        moment = at.astimezone(UTC)
        if self.hours.always:
            return self._local(moment)
        for window_start, window_end in self._windows_from(self._local_date(moment)):
            if moment < window_end:
                return self._local(max(moment, window_start))
        raise AssertionError("unreachable: _windows_from never ends")  # pragma: no cover

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant when `minutes` working minutes have run from `start` (timezone-aware).

        The result is in the calendar's time zone. A due time that falls exactly on the end of
        a working day stays there (Friday 16:00 + 60 is Friday 17:00, not Monday 08:30). Adding
        0 minutes gives the next working time. Steps over whole days, so long spans are cheap.
        """
        _require_aware(start, "start")
        if minutes < 0:
            raise ValueError(f"minutes must not be negative: {minutes}")
        moment = start.astimezone(UTC)
        remaining = timedelta(minutes=minutes)
        if self.hours.always:
            return self._local(moment + remaining)
        for window_start, window_end in self._windows_from(self._local_date(moment)):
            if moment >= window_end:
                continue
            moment = max(moment, window_start)
            available = window_end - moment
            if remaining <= available:
                return self._local(moment + remaining)
            remaining -= available
        raise AssertionError("unreachable: _windows_from never ends")  # pragma: no cover

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Whole working minutes from `a` to `b` (both timezone-aware); 0 if `b` is not after `a`.

        The inverse of `add_working_minutes`: working_minutes_between(s, add(s, m)) == m.
        """
        _require_aware(a, "a")
        _require_aware(b, "b")
        begin = a.astimezone(UTC)
        finish = b.astimezone(UTC)
        if finish <= begin:
            return 0
        if self.hours.always:
            return (finish - begin) // _ONE_MINUTE
        total = timedelta(0)
        day = self._local_date(begin)
        last_day = self._local_date(finish)
        while day <= last_day:
            window = self._window(day)
            if window is not None:
                overlap_start = max(begin, window[0])
                overlap_end = min(finish, window[1])
                if overlap_end > overlap_start:
                    total += overlap_end - overlap_start
            day += _ONE_DAY
        return total // _ONE_MINUTE

    # Helpers

    @staticmethod
    def _as_date(day: date) -> date:
        if isinstance(day, datetime):
            # A datetime never equals a date, so it would silently miss every holiday.
            raise TypeError("Pass a date; for an instant use is_working_time().")
        return day

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of `day` in UTC, or None if the clock does not run that day.

        Window edges are local wall-clock times converted to UTC, so a day containing a DST
        change is as long in real minutes as the wall clock says (only matters if the support
        hours straddle the change itself).
        """
        if not self.is_working_day(day):
            return None
        opens = datetime.combine(day, self.hours.start, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.hours.end, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def _windows_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Working windows (UTC) from `day` on, day by day, without end."""
        idle = 0
        while True:
            window = self._window(day)
            if window is None:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise RuntimeError(f"No working day in {_MAX_IDLE_DAYS} days from {day}.")
            else:
                idle = 0
                yield window
            day += _ONE_DAY
