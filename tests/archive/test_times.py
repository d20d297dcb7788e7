"""Dates typed on the command line: ISO 8601, W3C year/month and relative dates, against a fixed now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from archive.times import is_whole_day, parse_user_date

NOW = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(("typed", "expected"), [
    ("7d", NOW - timedelta(days=7)), ("2w", NOW - timedelta(weeks=2)), ("12h", NOW - timedelta(hours=12)),
    (" 3D ", NOW - timedelta(days=3)), ("0d", NOW), ("now", NOW),
    ("1m", datetime(2026, 2, 28, 15, 30, tzinfo=UTC)),  # 31 March minus a month: the end of February
    ("3m", datetime(2025, 12, 31, 15, 30, tzinfo=UTC)), ("13m", datetime(2025, 2, 28, 15, 30, tzinfo=UTC)),
    ("1y", datetime(2025, 3, 31, 15, 30, tzinfo=UTC)),
    ("today", datetime(2026, 3, 31, tzinfo=UTC)), ("Yesterday", datetime(2026, 3, 30, tzinfo=UTC)),
    ("2026", datetime(2026, 1, 1, tzinfo=UTC)), ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
    ("2026-11-05T10:00+01:00", datetime(2026, 11, 5, 10, tzinfo=timezone(timedelta(hours=1)))),
])
def test_user_dates(typed: str, expected: datetime) -> None:
    assert parse_user_date(typed, now=NOW) == expected


def test_today_is_a_utc_calendar_day_whatever_the_zone_of_now() -> None:
    tokyo_morning = datetime(2026, 4, 1, 2, 0, tzinfo=timezone(timedelta(hours=9)))  # still 31 March in UTC
    assert parse_user_date("today", now=tokyo_morning) == datetime(2026, 3, 31, tzinfo=UTC)
    assert is_whole_day("today") and is_whole_day(" YESTERDAY") and not is_whole_day("7d")


@pytest.mark.parametrize("typed", ["last tuesday", "7", "d", "7x", "-7d", "7 days ago", "999999999d", "99999y", "",
                                   "2026-13", "tomorrow"])
def test_anything_else_is_a_value_error(typed: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_user_date(typed, now=NOW)
