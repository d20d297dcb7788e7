"""Time in one place: now, ISO 8601 output, and the parsers for the dates the archive reads.

Every timestamp the archive stores or prints is an aware UTC ``datetime``; every string it writes
is ISO 8601. Dates come in from three kinds of source, each with its own parser here:

- our own rows and settings (``parse_aware``): strict ISO 8601, naive only where we wrote it;
- sitemaps, feeds and HTTP (``parse_date``): W3C datetime, RFC 822 and free text, never raising,
  since a publisher's typo must never stop a crawl;
- the command line (``parse_user_date``): ISO 8601, ``YYYY``/``YYYY-MM``, or relative to now
  (``7d``, ``2w``, ``today``), UTC when unzoned, and a ``ValueError`` the CLI turns into one line
  (a user's typo must not be guessed at).

Page-level date extraction lives with extraction (``archive.extract.markup``), and replay's
14-digit timestamps with replay (``archive.replay.target``): their rules are specific to them.
"""

from __future__ import annotations

import calendar
import re
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 text for a datetime, None for None (JSON output, exports)."""
    return value.isoformat() if value else None


def parse_aware(value: Any, *, assume_utc: bool = False) -> datetime | None:
    """An ISO 8601 string as an aware datetime; None when missing, malformed, or naive (unless
    ``assume_utc``: our own settings and CLI dates are UTC when no offset is given)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc) if assume_utc else None
    return parsed


_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")
_RELATIVE = re.compile(r"^(\d{1,6})\s*([hdwmy])$", re.IGNORECASE)
RELATIVE_DAYS = {"today": 0, "yesterday": 1}  # midnight UTC that many days ago: whole calendar days
RELATIVE_UNITS = "h hours, d days, w weeks, m months, y years"


def is_whole_day(value: str) -> bool:
    """``today``/``yesterday``: a whole calendar day, so an inclusive upper bound runs to its end."""
    return value.strip().lower() in RELATIVE_DAYS


def relative_date(value: str, now: datetime | None = None) -> datetime | None:
    """``7d``/``2w``/``3m``/``1y``/``12h`` (that long before now; months and years by the calendar),
    ``today``/``yesterday`` (midnight UTC), ``now``; None when ``value`` is not relative."""
    text = value.strip().lower()
    now = now or utcnow()
    if text == "now":
        return now
    if text in RELATIVE_DAYS:
        midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - timedelta(days=RELATIVE_DAYS[text])
    match = _RELATIVE.match(text)
    if not match:
        return None
    count, unit = int(match.group(1)), match.group(2)
    if unit in "hdw":
        try:
            return now - timedelta(**{{"h": "hours", "d": "days", "w": "weeks"}[unit]: count})
        except OverflowError:
            raise ValueError(f"not a date: {value!r} (before year 1)") from None
    months = count * (12 if unit == "y" else 1)
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    if year < 1:
        raise ValueError(f"not a date: {value!r} (before year 1)")
    # the same day of the month, or the month's last day (31 March minus 1 month is 28/29 February)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def parse_user_date(value: str, now: datetime | None = None) -> datetime:
    """A date typed on the command line: ISO 8601 (``2026-11-01``, ``2026-11-01T10:00+01:00``), a
    W3C year/month (``2026``, ``2026-11``), or relative to ``now`` (``relative_date``: ``7d``,
    ``2w``, ``3m``, ``1y``, ``12h``, ``today``, ``yesterday``); UTC when no offset is given.
    ``ValueError`` otherwise."""
    text = value.strip()
    relative = relative_date(text, now)
    if relative is not None:
        return relative
    match = _YEAR_MONTH.match(text)
    try:
        if match:
            parsed = datetime(int(match.group(1)), int(match.group(2) or 1), 1)
        else:
            parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise ValueError(f"not a date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_date(value: str | None) -> datetime | None:
    """Parse W3C datetime, RFC 822 or date-only text; tz-aware (UTC when unzoned); never raises.

    The original offset is kept (``+05:30`` stays ``+05:30``); years before 1900 are treated as
    CMS placeholders and yield None.
    """
    if not value or not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if not value or len(value) > 100:
        return None
    result: datetime | None = None
    try:
        match = _YEAR_MONTH.match(value)
        if match:  # W3C "YYYY" / "YYYY-MM", which fromisoformat rejects
            result = datetime(int(match.group(1)), int(match.group(2) or 1), 1)
        else:
            result = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        from email.utils import parsedate_to_datetime  # only here: ~10 ms, and the CLI never needs it

        try:
            result = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError, OverflowError):
            # Last resort for "May 17, 2024 10:00 AM" and friends; demand a 4-digit year so
            # dateutil cannot turn "7" or "May" into today's date.
            if re.search(r"\b\d{4}\b", value):
                from dateutil import parser as dateutil_parser  # only here: it costs ~13 ms to import

                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = dateutil_parser.parse(value, default=datetime(2000, 1, 1))
                except (ValueError, OverflowError, TypeError, LookupError):
                    result = None
    if result is None:
        return None
    try:
        if result.tzinfo is None or result.utcoffset() is None:
            result = result.replace(tzinfo=timezone.utc)
        if result.astimezone(timezone.utc).year < 1900:
            return None
    except (ValueError, OverflowError):
        return None
    return result

