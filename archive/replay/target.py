"""What a replay request names, parsed: pywb-style timestamps and replay URLs.

A timestamp is 1-14 digits, padded with the earliest value and each field clamped to its range
as pywb does (``2024`` is 2024-01-01 00:00:00, ``20241399`` is 2024-12-31), or ISO 8601 for the
CLI (naive means UTC). A replay URL is an http(s) URL, its scheme optional (``example.com/x``).
Bad input raises ``ConfigError`` (HTTP 400, CLI exit 2).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone

from dateutil import parser as dateparser

from archive.errors import ConfigError
from archive.urls import host_of, is_http_url

__all__ = ["parse_timestamp", "timestamp14", "url_variants"]

_DIGITS = re.compile(r"\d{1,14}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def timestamp14(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def parse_timestamp(text: str) -> datetime:
    """A pywb timestamp (1-14 digits: padded with the earliest value, each field clamped to its
    range, e.g. ``2024`` → 2024-01-01 00:00:00, ``20241399`` → 2024-12-31) or ISO 8601 (naive =
    UTC). Raises ``ConfigError`` otherwise."""
    text = text.strip()
    if _DIGITS.fullmatch(text):
        return _from_digits(text)
    try:
        parsed = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        raise ConfigError(f"not a timestamp: {text!r}",
                          hint="use 1-14 digits (YYYYMMDDhhmmss) or ISO 8601, e.g. 2026-11-01T12:00") from None
    result: datetime = parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return result


def _from_digits(digits: str) -> datetime:
    padded = digits + "10000101000000"[len(digits):]
    year = max(1, int(padded[0:4]))
    month = min(max(1, int(padded[4:6])), 12)
    day = min(max(1, int(padded[6:8])), calendar.monthrange(year, month)[1])
    hour, minute, second = min(int(padded[8:10]), 23), min(int(padded[10:12]), 59), min(int(padded[12:14]), 59)
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


def url_variants(url: str) -> list[str]:
    """The absolute URLs a replay URL may mean: as given (or with http:// and https:// when it
    has no scheme, ``example.com/x``), plus the same URL under the other http scheme. Raises
    ``ConfigError`` for anything that is not an http(s) URL with a usable host."""
    text = url.strip()
    if not text or any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise ConfigError(f"not a URL: {url!r}")
    if _SCHEME.match(text):
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise ConfigError(f"only http and https URLs are archived, not {scheme!r}")
        variants = [f"{scheme}://{rest}", f"{'https' if scheme == 'http' else 'http'}://{rest}"]
    else:
        text = text.removeprefix("//")
        variants = [f"http://{text}", f"https://{text}"]
    if not is_http_url(variants[0]) or not host_of(variants[0]).strip("."):
        raise ConfigError(f"not an http(s) URL with a usable host: {url!r}")
    return variants
