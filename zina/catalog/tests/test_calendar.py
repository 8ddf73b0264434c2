"""The business-hours calendar behind SLA clocks: working days, Latvian holidays, DST, sums."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.utils import translation

from zina.catalog import calendar as calendar_module
from zina.catalog.calendar import BusinessCalendar, SupportHours, transferred_from

RIGA = ZoneInfo("Europe/Riga")
OFFICE = SupportHours()  # Mon–Fri 08:30–17:00, except public holidays
ALWAYS = SupportHours.around_the_clock()


def riga(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=RIGA, fold=fold)


@pytest.fixture
def office() -> BusinessCalendar:
    return BusinessCalendar(OFFICE)


@pytest.fixture
def always() -> BusinessCalendar:
    return BusinessCalendar(ALWAYS)


# Working days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 9), True),  # Monday
        (date(2026, 3, 10), True),
        (date(2026, 3, 11), True),
        (date(2026, 3, 12), True),
        (date(2026, 3, 13), True),  # Friday
        (date(2026, 3, 14), False),  # Saturday
        (date(2026, 3, 15), False),  # Sunday
    ],
    ids=lambda value: value.strftime("%a-%d") if isinstance(value, date) else None,
)
def test_weekdays_work_and_weekends_rest(
    office: BusinessCalendar, day: date, working: bool
) -> None:
    assert office.is_working_day(day) is working
    assert office.is_holiday(day) is False


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 1, 1), id="new-year"),
        pytest.param(date(2026, 4, 3), id="good-friday"),
        pytest.param(date(2026, 4, 6), id="easter-monday"),
        pytest.param(date(2026, 5, 1), id="labour-day"),
        pytest.param(date(2026, 5, 4), id="independence-restoration"),
        pytest.param(date(2026, 6, 23), id="ligo"),
        pytest.param(date(2026, 6, 24), id="jani"),
        pytest.param(date(2026, 11, 18), id="proclamation-day-wednesday"),
        pytest.param(date(2026, 12, 24), id="christmas-eve"),
        pytest.param(date(2026, 12, 25), id="christmas"),
        pytest.param(date(2026, 12, 26), id="second-christmas-day"),
        pytest.param(date(2026, 12, 31), id="new-years-eve"),
        pytest.param(date(2026, 1, 2), id="transferred-day-off-january"),
        pytest.param(date(2026, 6, 22), id="transferred-day-off-june"),
        pytest.param(date(2025, 11, 17), id="transferred-day-off-2025"),
    ],
)
def test_latvian_public_holidays_are_days_off(office: BusinessCalendar, day: date) -> None:
    assert office.is_holiday(day)
    assert not office.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 4, 2), id="maundy-thursday"),
        pytest.param(date(2026, 4, 7), id="tuesday-after-easter"),
        pytest.param(date(2026, 11, 17), id="before-proclamation-day"),
        pytest.param(date(2026, 11, 19), id="after-proclamation-day"),
        pytest.param(date(2026, 6, 25), id="after-jani"),
        pytest.param(date(2026, 12, 28), id="between-christmas-and-new-year"),
    ],
)
def test_ordinary_weekdays_around_holidays_are_working_days(
    office: BusinessCalendar, day: date
) -> None:
    assert not office.is_holiday(day)
    assert office.is_working_day(day)


@pytest.mark.parametrize(
    ("saturday", "day_off"),
    [
        (date(2026, 1, 17), date(2026, 1, 2)),
        (date(2026, 6, 27), date(2026, 6, 22)),
        (date(2025, 5, 10), date(2025, 5, 2)),
        (date(2025, 11, 8), date(2025, 11, 17)),
        (date(2024, 12, 14), date(2024, 12, 23)),
        (date(2024, 12, 28), date(2024, 12, 30)),
    ],
    ids=str,
)
def test_saturday_worked_for_a_transferred_day_off_is_a_working_day(
    office: BusinessCalendar, saturday: date, day_off: date
) -> None:
    assert saturday.weekday() == 5
    assert office.is_working_day(saturday)
    assert not office.is_holiday(saturday)
    assert not office.is_working_day(day_off)
    assert office.is_working_time(riga(saturday.year, saturday.month, saturday.day, 10))


@pytest.mark.parametrize("saturday", [date(2026, 1, 10), date(2026, 1, 24), date(2026, 6, 20)])
def test_ordinary_saturdays_stay_days_off(office: BusinessCalendar, saturday: date) -> None:
    assert not office.is_working_day(saturday)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Brīvdiena (pārcelta no 17.01.2026)", date(2026, 1, 17)),
        ("Brīvdiena (pārcelta no 8.5.2021)", date(2021, 5, 8)),
        ("Darba svētki; Brīvdiena (pārcelta no 08.05.2021)", date(2021, 5, 8)),
        ("Jaungada diena", None),
        ("Latvijas Republikas Proklamēšanas diena (brīvdiena)", None),
        # The English name puts the month first; the calendar loads Latvian names for this.
        ("Day off (substituted from 01/17/2026)", None),
    ],
)
def test_transferred_from_reads_the_latvian_note(name: str, expected: date | None) -> None:
    assert transferred_from(name) == expected


@pytest.mark.parametrize("year", range(2001, 2031))
def test_parsed_transfers_match_the_packages_weekend_workdays(year: int) -> None:
    """The note in the name and the package's own list of worked weekend days agree."""
    table = holidays.country_holidays("LV", years=year, language="lv")
    parsed = {day for name in table.values() if (day := transferred_from(name)) is not None}
    assert parsed == set(table.weekend_workdays)
    calendar = BusinessCalendar(OFFICE)
    for day in parsed:
        assert day.weekday() in (5, 6)
        assert calendar.is_working_day(day)


def test_transferred_day_off_is_named_in_latvian_by_default_and_localised_otherwise() -> None:
    latvian = holidays.country_holidays("LV", years=2026, language="lv")
    english = holidays.country_holidays("LV", years=2026, language="en_US")
    assert latvian[date(2026, 1, 2)] == "Brīvdiena (pārcelta no 17.01.2026)"
    assert english[date(2026, 1, 2)] == "Day off (substituted from 01/17/2026)"


def test_without_skip_holidays_only_the_weekday_pattern_counts() -> None:
    calendar = BusinessCalendar(SupportHours(skip_holidays=False))
    assert calendar.is_holiday(date(2026, 11, 18))
    assert calendar.is_working_day(date(2026, 11, 18))
    assert not calendar.is_working_day(date(2026, 1, 17))  # no transferred Saturday either


def test_around_the_clock_every_day_and_minute_works(always: BusinessCalendar) -> None:
    assert always.is_working_day(date(2026, 12, 25))
    assert always.is_working_time(riga(2026, 3, 15, 3))
    moment = riga(2026, 3, 14, 23, 59)
    assert always.next_working_time(moment) == moment


def test_is_holiday_refuses_a_datetime(office: BusinessCalendar) -> None:
    with pytest.raises(TypeError):
        office.is_holiday(riga(2026, 11, 18))


def test_holidays_are_loaded_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: Counter[tuple[str, Any]] = Counter()
    real = holidays.country_holidays

    def counting(country: str, *args: Any, **kwargs: Any) -> Any:
        loaded[country, kwargs.get("years")] += 1
        return real(country, *args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    calendar_module._holiday_year.cache_clear()
    calendar_module._transferred_workdays.cache_clear()
    try:
        for _ in range(3):
            calendar = BusinessCalendar(OFFICE)  # the cache is shared between calendars
            for offset in range(365):
                calendar.is_working_day(date(2026, 1, 1) + timedelta(days=offset))
    finally:
        calendar_module._holiday_year.cache_clear()
        calendar_module._transferred_workdays.cache_clear()
    assert set(loaded) == {("LV", 2025), ("LV", 2026), ("LV", 2027)}
    assert set(loaded.values()) == {1}


# Working time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "working"),
    [
        (riga(2026, 3, 16, 8, 29), False),
        (riga(2026, 3, 16, 8, 30), True),
        (riga(2026, 3, 16, 16, 59), True),
        (riga(2026, 3, 16, 17, 0), False),  # the window is [start, end)
        (riga(2026, 3, 14, 10), False),  # Saturday
        (riga(2026, 11, 18, 10), False),  # holiday
        (datetime(2026, 3, 16, 6, 30, tzinfo=UTC), True),  # 08:30 EET
        (datetime(2026, 3, 16, 6, 29, tzinfo=UTC), False),
        (datetime(2026, 6, 29, 5, 30, tzinfo=UTC), True),  # 08:30 EEST
        (datetime(2026, 6, 29, 14, 0, tzinfo=UTC), False),  # 17:00 EEST
    ],
    ids=str,
)
def test_is_working_time(office: BusinessCalendar, at: datetime, working: bool) -> None:
    assert office.is_working_time(at) is working


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(riga(2026, 3, 16, 10), riga(2026, 3, 16, 10), id="working-itself"),
        pytest.param(riga(2026, 3, 16, 7), riga(2026, 3, 16, 8, 30), id="before-opening"),
        pytest.param(riga(2026, 3, 13, 17), riga(2026, 3, 16, 8, 30), id="friday-closing"),
        pytest.param(riga(2026, 3, 14, 12), riga(2026, 3, 16, 8, 30), id="saturday"),
        pytest.param(riga(2026, 11, 17, 18), riga(2026, 11, 19, 8, 30), id="proclamation-day"),
        pytest.param(riga(2026, 4, 2, 20), riga(2026, 4, 7, 8, 30), id="easter"),
        pytest.param(riga(2026, 12, 23, 17, 30), riga(2026, 12, 28, 8, 30), id="christmas"),
        pytest.param(riga(2026, 1, 16, 17), riga(2026, 1, 17, 8, 30), id="working-saturday"),
    ],
)
def test_next_working_time(office: BusinessCalendar, at: datetime, expected: datetime) -> None:
    assert office.next_working_time(at) == expected


# Adding working minutes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        pytest.param(riga(2026, 3, 13, 16, 30), 60, riga(2026, 3, 16, 9), id="friday-to-monday"),
        pytest.param(riga(2026, 3, 13, 16), 60, riga(2026, 3, 13, 17), id="ends-at-closing"),
        pytest.param(riga(2026, 3, 13, 16), 61, riga(2026, 3, 16, 8, 31), id="one-past-closing"),
        pytest.param(riga(2026, 3, 16, 8, 30), 510, riga(2026, 3, 16, 17), id="whole-day"),
        pytest.param(riga(2026, 3, 16, 8, 30), 511, riga(2026, 3, 17, 8, 31), id="day-and-one"),
        pytest.param(riga(2026, 3, 16, 10), 0, riga(2026, 3, 16, 10), id="zero-working"),
        pytest.param(riga(2026, 3, 14, 12), 0, riga(2026, 3, 16, 8, 30), id="zero-saturday"),
        pytest.param(riga(2026, 3, 16, 6), 30, riga(2026, 3, 16, 9), id="before-opening"),
        pytest.param(riga(2026, 3, 2, 8, 30), 10_000, riga(2026, 3, 27, 13, 40), id="10000"),
        pytest.param(riga(2026, 11, 17, 16), 120, riga(2026, 11, 19, 9, 30), id="proclamation"),
        pytest.param(riga(2026, 4, 2, 16), 120, riga(2026, 4, 7, 9, 30), id="easter"),
        pytest.param(riga(2026, 6, 19, 16), 120, riga(2026, 6, 25, 9, 30), id="ligo-jani"),
        pytest.param(riga(2026, 12, 23, 16), 120, riga(2026, 12, 28, 9, 30), id="christmas"),
        pytest.param(riga(2025, 12, 30, 16), 120, riga(2026, 1, 5, 9, 30), id="new-year"),
        pytest.param(riga(2026, 1, 16, 16), 120, riga(2026, 1, 17, 9, 30), id="saturday-jan"),
        pytest.param(riga(2026, 6, 26, 16), 120, riga(2026, 6, 27, 9, 30), id="saturday-june"),
    ],
)
def test_add_working_minutes(
    office: BusinessCalendar, start: datetime, minutes: int, due: datetime
) -> None:
    result = office.add_working_minutes(start, minutes)
    assert result == due
    assert result.tzinfo == RIGA
    assert office.working_minutes_between(start, result) == minutes


def test_add_working_minutes_steps_day_by_day(
    office: BusinessCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real_window = office._window

    def counting(day: date) -> Any:
        nonlocal calls
        calls += 1
        return real_window(day)

    monkeypatch.setattr(office, "_window", counting)
    start = riga(2026, 3, 2, 8, 30)
    assert office.add_working_minutes(start, 10_000) == riga(2026, 3, 27, 13, 40)
    assert calls <= 30  # one look per calendar day, not one per minute


def test_a_million_working_minutes_round_trip(office: BusinessCalendar) -> None:
    start = riga(2026, 3, 2, 8, 30)
    due = office.add_working_minutes(start, 1_000_000)
    assert due.year >= 2033
    assert office.working_minutes_between(start, due) == 1_000_000


def test_result_is_in_the_calendar_time_zone(office: BusinessCalendar) -> None:
    start = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # 09:00 in Riga
    due = office.add_working_minutes(start, 60)
    assert due.tzinfo == RIGA
    assert (due.hour, due.minute) == (10, 0)


# Daylight saving time (Europe/Riga) ----------------------------------------------------------


def test_spring_forward_counts_real_minutes_around_the_clock(always: BusinessCalendar) -> None:
    start = riga(2026, 3, 29, 2, 30)  # EET, +02:00; at 03:00 clocks jump to 04:00
    due = always.add_working_minutes(start, 60)
    assert (due.hour, due.minute) == (4, 30)
    assert due.utcoffset() == timedelta(hours=3)
    # Same-zone subtraction is wall-clock arithmetic (two hours); the real gap is one hour.
    assert due - start == timedelta(hours=2)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=60)
    assert always.working_minutes_between(start, due) == 60


@pytest.mark.parametrize(
    ("minutes", "utc", "offset_hours"),
    [
        (60, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 3),  # 03:30 EEST, first pass
        (120, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), 2),  # 03:30 EET, second pass
        (180, datetime(2026, 10, 25, 2, 30, tzinfo=UTC), 2),  # 04:30 EET
    ],
)
def test_fall_back_counts_real_minutes_around_the_clock(
    always: BusinessCalendar, minutes: int, utc: datetime, offset_hours: int
) -> None:
    start = riga(2026, 10, 25, 2, 30)  # EEST, +03:00; at 04:00 clocks go back to 03:00
    due = always.add_working_minutes(start, minutes)
    # Compare in UTC: ambiguous local times compare by wall clock, not by instant.
    assert due.astimezone(UTC) == utc
    assert due.utcoffset() == timedelta(hours=offset_hours)
    assert always.working_minutes_between(start, due) == minutes


@pytest.mark.parametrize(
    ("day", "minutes"),
    [
        pytest.param(date(2026, 3, 28), 24 * 60, id="ordinary-saturday"),
        pytest.param(date(2026, 3, 29), 23 * 60, id="spring-forward"),
        pytest.param(date(2026, 10, 25), 25 * 60, id="fall-back"),
    ],
)
def test_a_whole_local_day_around_the_clock(
    always: BusinessCalendar, day: date, minutes: int
) -> None:
    start = riga(day.year, day.month, day.day)
    end = start + timedelta(days=1)  # the same wall-clock time the next day
    assert always.working_minutes_between(start, end) == minutes
    assert always.add_working_minutes(start, minutes) == end


@pytest.mark.parametrize(
    ("friday", "monday", "friday_offset", "monday_offset"),
    [
        pytest.param(date(2026, 3, 27), date(2026, 3, 30), 2, 3, id="spring"),
        pytest.param(date(2026, 10, 23), date(2026, 10, 26), 3, 2, id="autumn"),
    ],
)
def test_business_hours_across_a_dst_weekend(
    office: BusinessCalendar, friday: date, monday: date, friday_offset: int, monday_offset: int
) -> None:
    start = riga(friday.year, friday.month, friday.day, 16, 30)
    due = office.add_working_minutes(start, 60)
    assert due == riga(monday.year, monday.month, monday.day, 9)
    assert start.utcoffset() == timedelta(hours=friday_offset)
    assert due.utcoffset() == timedelta(hours=monday_offset)
    opening = riga(friday.year, friday.month, friday.day, 8, 30)
    closing = riga(monday.year, monday.month, monday.day, 17)
    assert office.working_minutes_between(opening, closing) == 2 * 510


@pytest.mark.parametrize(
    ("day", "minutes"),
    [
        pytest.param(date(2026, 3, 28), 5 * 60, id="ordinary"),
        pytest.param(date(2026, 3, 29), 4 * 60, id="spring-forward"),
        pytest.param(date(2026, 10, 25), 6 * 60, id="fall-back"),
    ],
)
def test_support_hours_straddling_the_clock_change_count_real_minutes(
    day: date, minutes: int
) -> None:
    night = BusinessCalendar(
        SupportHours(start=time(1), end=time(6), weekdays=frozenset(range(7)), skip_holidays=False)
    )
    start = riga(day.year, day.month, day.day)
    assert night.working_minutes_between(start, start + timedelta(days=1)) == minutes
    assert night.add_working_minutes(start, minutes) == riga(day.year, day.month, day.day, 6)


# Inverse and oracle properties -----------------------------------------------------------

CALENDARS = {
    "office": OFFICE,
    "always": ALWAYS,
    "six-days-short": SupportHours(
        start=time(9, 15), end=time(13, 45), weekdays=frozenset(range(6))
    ),
    "no-holidays": SupportHours(skip_holidays=False),
}

PERIODS = {
    "spring-dst": datetime(2026, 3, 24, tzinfo=UTC),
    "autumn-dst": datetime(2026, 10, 20, tzinfo=UTC),
    "easter": datetime(2026, 3, 31, tzinfo=UTC),
    "ligo": datetime(2026, 6, 17, tzinfo=UTC),
    "christmas-new-year": datetime(2025, 12, 20, tzinfo=UTC),
    "working-saturday": datetime(2026, 1, 14, tzinfo=UTC),
}

MINUTES = (0, 1, 59, 60, 270, 509, 510, 511, 1234, 10_000)


@pytest.mark.parametrize("hours", CALENDARS.values(), ids=CALENDARS.keys())
@pytest.mark.parametrize("period", PERIODS.values(), ids=PERIODS.keys())
def test_working_minutes_between_inverts_add_working_minutes(
    hours: SupportHours, period: datetime
) -> None:
    calendar = BusinessCalendar(hours)
    for step in range(0, 8 * 24 * 60, 97):  # eight days of starts, at odd times
        start = period + timedelta(minutes=step)
        previous = None
        for minutes in MINUTES:
            due = calendar.add_working_minutes(start, minutes)
            assert calendar.working_minutes_between(start, due) == minutes, (start, minutes)
            assert due >= start
            if previous is not None:
                assert due > previous  # strictly increasing in minutes
            previous = due
            if minutes and not hours.always:
                # A due time is inside working time, or exactly at the close of a window.
                before = due - timedelta(minutes=1)
                assert calendar.is_working_time(due) or calendar.is_working_time(before)


@pytest.mark.parametrize("hours", CALENDARS.values(), ids=CALENDARS.keys())
@pytest.mark.parametrize(
    "start",
    [
        pytest.param(riga(2026, 3, 26, 7, 13), id="spring-dst"),
        pytest.param(riga(2026, 10, 22, 15, 2), id="autumn-dst"),
        pytest.param(riga(2026, 12, 22, 11, 11), id="christmas"),
        pytest.param(riga(2026, 1, 15, 16, 45), id="working-saturday"),
    ],
)
def test_working_minutes_between_matches_a_minute_by_minute_count(
    hours: SupportHours, start: datetime
) -> None:
    calendar = BusinessCalendar(hours)
    start = start.astimezone(UTC)
    span = 6 * 24 * 60
    counted = 0
    for minute in range(span):
        counted += calendar.is_working_time(start + timedelta(minutes=minute))
        if minute % 181 == 0:
            assert calendar.working_minutes_between(start, start + timedelta(minutes=minute)) == (
                counted - calendar.is_working_time(start + timedelta(minutes=minute))
            )
    assert calendar.working_minutes_between(start, start + timedelta(minutes=span)) == counted


@pytest.mark.parametrize("calendar", [BusinessCalendar(OFFICE), BusinessCalendar(ALWAYS)])
def test_nothing_between_a_later_and_an_earlier_instant(calendar: BusinessCalendar) -> None:
    assert calendar.working_minutes_between(riga(2026, 3, 16, 12), riga(2026, 3, 16, 10)) == 0
    assert calendar.working_minutes_between(riga(2026, 3, 16, 12), riga(2026, 3, 16, 12)) == 0


# Refusals --------------------------------------------------------------------------------

NAIVE = datetime(2026, 3, 16, 10, 0)
AWARE = riga(2026, 3, 16, 10)

NAIVE_CALLS: dict[str, Callable[[BusinessCalendar], object]] = {
    "is_working_time": lambda c: c.is_working_time(NAIVE),
    "next_working_time": lambda c: c.next_working_time(NAIVE),
    "add_working_minutes": lambda c: c.add_working_minutes(NAIVE, 10),
    "between-first": lambda c: c.working_minutes_between(NAIVE, AWARE),
    "between-second": lambda c: c.working_minutes_between(AWARE, NAIVE),
}


@pytest.mark.parametrize("hours", [OFFICE, ALWAYS], ids=["office", "always"])
@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_naive_datetimes_are_refused(
    hours: SupportHours, call: Callable[[BusinessCalendar], object]
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(BusinessCalendar(hours))


@pytest.mark.parametrize("hours", [OFFICE, ALWAYS], ids=["office", "always"])
def test_negative_minutes_are_refused(hours: SupportHours) -> None:
    with pytest.raises(ValueError, match="negative"):
        BusinessCalendar(hours).add_working_minutes(AWARE, -1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"start": time(17), "end": time(8, 30)}, "start before", id="end-first"),
        pytest.param({"start": time(9), "end": time(9)}, "start before", id="empty-window"),
        pytest.param({"weekdays": frozenset()}, "at least one weekday", id="no-weekdays"),
        pytest.param({"weekdays": frozenset({7})}, "0 \\(Monday\\)", id="weekday-range"),
    ],
)
def test_invalid_support_hours_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SupportHours(**kwargs)


def test_support_hours_are_hashable_and_normalise_weekdays() -> None:
    hours = SupportHours(weekdays={0, 1, 2, 3, 4})  # type: ignore[arg-type]
    assert hours == OFFICE
    assert hash(hours) == hash(OFFICE)
    assert isinstance(hours.weekdays, frozenset)
    assert SupportHours.around_the_clock().always


# Descriptions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "english"),
    [
        pytest.param(OFFICE, "Mon–Fri 08:30–17:00, except public holidays", id="office"),
        pytest.param(ALWAYS, "24/7", id="always"),
        pytest.param(
            SupportHours(start=time(9), end=time(13), weekdays=frozenset({0, 2, 4})),
            "Mon, Wed, Fri 09:00–13:00, except public holidays",
            id="alternate-days",
        ),
        pytest.param(
            SupportHours(weekdays=frozenset({0, 1, 3, 4, 5}), skip_holidays=False),
            "Mon, Tue, Thu–Sat 08:30–17:00",
            id="mixed-runs-with-holidays",
        ),
        pytest.param(
            SupportHours(start=time(10), end=time(14), weekdays=frozenset({5, 6})),
            "Sat, Sun 10:00–14:00, except public holidays",
            id="weekend",
        ),
        pytest.param(
            SupportHours(start=time(0), end=time(23, 59), weekdays=frozenset(range(7))),
            "Mon–Sun 00:00–23:59, except public holidays",
            id="every-day",
        ),
    ],
)
def test_describe(hours: SupportHours, english: str) -> None:
    with translation.override("en"):
        assert hours.describe() == english
    with translation.override("lv"):
        latvian = hours.describe()
    # The Latvian catalogue may not carry these strings yet: untranslated falls back to English.
    assert latvian.strip()
    assert "%(" not in latvian
