"""Outlet profiles: the TOML file that says what to crawl, validated into frozen dataclasses.

Outlets are data, not code. A file holds one ``[[outlets]]`` table per outlet and an optional
``[defaults]`` table whose keys apply to every outlet (an outlet's own value wins; the
``politeness`` sub-table is merged key by key). The bundled file
``archive/data/outlets.toml`` documents every key in its header comment.

Every problem becomes one ``ConfigError`` whose message is a single line naming the file,
the outlet (name and 1-based index, or index alone when the name is unusable) and the key::

    outlets.toml: outlet "variety" (#1): unknown key "sitemap" (did you mean "sitemaps"?)

Nothing here fetches anything: URLs are checked for form only.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from archive.errors import ConfigError
from archive.urls import is_http_url, netloc_of, normalize_domain, same_site

__all__ = [
    "Outlet",
    "Politeness",
    "bundled_outlets_path",
    "load_outlets",
    "parse_duration",
    "parse_outlets",
]

_HINT = "the outlets file format is described at the top of the bundled archive/data/outlets.toml"

_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DURATION_RE = re.compile(r"([1-9][0-9]*)([smhdw])")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

_URL_LIST_KEYS = ("sitemaps", "news_sitemaps", "feeds", "start_urls")
_PATTERN_KEYS = ("allow", "deny")
_OUTLET_KEYS = (
    "name", "homepage", "domains", *_URL_LIST_KEYS, *_PATTERN_KEYS,
    "max_depth", "max_pages", "discover", "politeness", "recrawl", "timezone",
    "assets", "assets_obey_robots", "asset_hosts",
)
# name/homepage identify one outlet; a shared domains list would make every outlet the same site.
_PER_OUTLET_ONLY = ("name", "homepage", "domains")
_DEFAULTS_KEYS = tuple(key for key in _OUTLET_KEYS if key not in _PER_OUTLET_ONLY)
# No per-outlet AutoThrottle target: Scrapy's AutoThrottle has one global target, and a key
# that is accepted but ignored would mislead.
_POLITENESS_KEYS = ("download_delay", "concurrency")
_TOP_LEVEL_KEYS = ("outlets", "defaults")


def parse_duration(text: str) -> timedelta:
    """Parse ``"30m"``, ``"6h"``, ``"1d"``, ``"2w"`` (also ``s``); raise ``ValueError`` otherwise."""
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=int(match.group(1)) * _DURATION_SECONDS[match.group(2)])


@dataclass(frozen=True)
class Politeness:
    """Per-outlet overrides of the crawler's politeness settings; None = global setting."""

    download_delay: float | None = None
    concurrency: int | None = None


@dataclass(frozen=True)
class Outlet:
    """One press outlet: where to discover its articles and how far to wander."""

    name: str
    homepage: str
    # host[:port] entries; empty means "the homepage's host (and port when non-default)".
    domains: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    news_sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()  # regexes searched in the URL; empty = everything on-site
    deny: tuple[str, ...] = ()  # regexes searched in the URL; a match always excludes
    max_depth: int = 3
    max_pages: int = 2000
    discover: bool = True  # also use robots.txt sitemaps and homepage <link rel=alternate> feeds
    politeness: Politeness = Politeness()
    recrawl: tuple[str, ...] = ("1h", "6h", "1d", "3d", "7d")
    assets: bool = True  # fetch page requisites (CSS, fonts, images, scripts) with each page
    assets_obey_robots: bool = True  # robots.txt applies to requisites too (Heritrix's default)
    # Requisite hosts allowed besides the outlet's domains; None = learn CDN hosts during the run.
    asset_hosts: tuple[str, ...] | None = None
    # IANA zone of the outlet's newsroom: the local publication day of a page whose dates carry
    # no UTC offset of their own (archive.extract.dates). None = UTC.
    timezone: str | None = None
    _allow_re: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _deny_re: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The loader has validated everything already; these checks cover direct construction.
        if not self.domains:
            netloc = netloc_of(self.homepage)
            if not netloc:
                raise ConfigError(
                    f"outlet {self.name!r}: homepage is not an http(s) URL: {self.homepage!r}"
                )
            object.__setattr__(self, "domains", (netloc,))
        try:
            object.__setattr__(self, "_allow_re", tuple(re.compile(p) for p in self.allow))
            object.__setattr__(self, "_deny_re", tuple(re.compile(p) for p in self.deny))
        except re.error as exc:
            raise ConfigError(f"outlet {self.name!r}: invalid pattern {exc.pattern!r}: {exc}") from exc

    @property
    def recrawl_delays(self) -> tuple[timedelta, ...]:
        """``recrawl`` as timedeltas (the strings are kept as written for display)."""
        return tuple(parse_duration(text) for text in self.recrawl)

    def allows(self, url: str) -> bool:
        """True when ``url`` is on one of the outlet's domains and passes allow/deny."""
        if not same_site(url, self.domains):
            return False
        if any(pattern.search(url) for pattern in self._deny_re):
            return False
        return not self._allow_re or any(pattern.search(url) for pattern in self._allow_re)


# --- error reporting -----------------------------------------------------------------------


def _quote(text: str, limit: int = 80) -> str:
    """A user value as a one-line, double-quoted string (escapes newlines, trims long ones)."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _describe(value: Any) -> str:
    """What the user wrote, for "expected X, got Y" messages."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"{'integer' if isinstance(value, int) else 'float'} {value}"
    if isinstance(value, str):
        return f"string {_quote(value, 40)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # TOML dates and times


def _did_you_mean(key: str, known: Iterable[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f' (did you mean "{prefix}{close[0]}"?)' if close else ""


@dataclass(frozen=True)
class _Where:
    """Where in the file a value came from; builds the one-line messages."""

    source: str
    label: str  # 'outlet "variety" (#1)', 'outlet #2' or '[defaults]'

    def error(self, message: str) -> ConfigError:
        text = f"{self.source}: {self.label}: {message}"
        return ConfigError(" ".join(text.splitlines()), hint=_HINT)

    def key_error(self, key: str, message: str) -> ConfigError:
        return self.error(f'key "{key}": {message}')

    def reject_unknown(self, table: Mapping[str, Any], known: tuple[str, ...], prefix: str = "") -> None:
        for key in table:
            if key not in known:
                shown = prefix + _quote(key)[1:-1]
                raise self.error(f'unknown key "{shown}"{_did_you_mean(key, known, prefix)}')


# --- value converters: (where, key, raw value) -> typed value, or raise ConfigError ----------


def _string_list(where: _Where, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise where.key_error(
            key, f"expected an array of strings, got {_describe(value)} (write [{_quote(value)}])"
        )
    if not isinstance(value, list):
        raise where.key_error(key, f"expected an array of strings, got {_describe(value)}")
    for number, item in enumerate(value, start=1):
        if not isinstance(item, str):
            raise where.key_error(key, f"item {number} must be a string, got {_describe(item)}")
    return tuple(item.strip() for item in value)


def _url(where: _Where, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise where.key_error(key, f"expected a URL string, got {_describe(value)}")
    if not is_http_url(value):
        raise where.key_error(key, f"not an absolute http(s) URL: {_quote(value)}")
    return value.strip()


def _url_list(where: _Where, key: str, value: Any) -> tuple[str, ...]:
    urls = _string_list(where, key, value)
    for number, url in enumerate(urls, start=1):
        if not is_http_url(url):
            raise where.key_error(key, f"item {number} is not an absolute http(s) URL: {_quote(url)}")
    return urls


def _domains(where: _Where, key: str, value: Any) -> tuple[str, ...]:
    entries = _string_list(where, key, value)
    if not entries:
        raise where.key_error(key, "must not be empty (omit it to use the homepage's host)")
    normalized = []
    for number, entry in enumerate(entries, start=1):
        try:
            normalized.append(normalize_domain(entry))
        except ValueError:
            raise where.key_error(
                key, f"item {number} is not a host or host:port (no scheme or path): {_quote(entry)}"
            ) from None
    return tuple(normalized)


def _patterns(where: _Where, key: str, value: Any) -> tuple[str, ...]:
    patterns = _string_list(where, key, value)
    for number, pattern in enumerate(patterns, start=1):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise where.key_error(
                key, f"item {number} is not a valid regular expression ({exc}): {_quote(pattern)}"
            ) from None
    return patterns


def _integer(minimum: int) -> Callable[[_Where, str, Any], int]:
    def convert(where: _Where, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.key_error(key, f"expected an integer, got {_describe(value)}")
        if value < minimum:
            raise where.key_error(key, f"must be at least {minimum}, got {value}")
        return value

    return convert


def _number(*, allow_zero: bool) -> Callable[[_Where, str, Any], float]:
    def convert(where: _Where, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise where.key_error(key, f"expected a number, got {_describe(value)}")
        if not math.isfinite(value):
            raise where.key_error(key, f"must be a finite number, got {value}")
        if value < 0 or (value == 0 and not allow_zero):
            bound = "zero or more" if allow_zero else "greater than zero"
            raise where.key_error(key, f"must be {bound}, got {value}")
        return float(value)

    return convert


def _zone(where: _Where, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise where.key_error(key, f"expected an IANA time zone name, got {_describe(value)}")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise where.key_error(key, f"unknown time zone {_quote(value)} (an IANA name such as "
                                   f'"Europe/Berlin" or "America/New_York")') from None
    return value.strip()


def _boolean(where: _Where, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise where.key_error(key, f"expected true or false, got {_describe(value)}")
    return value


def _durations(where: _Where, key: str, value: Any) -> tuple[str, ...]:
    texts = _string_list(where, key, value)
    previous: timedelta | None = None
    for number, text in enumerate(texts, start=1):
        try:
            delay = parse_duration(text)
        except ValueError:
            raise where.key_error(
                key, f'item {number} is not a duration like "30m", "6h", "1d" or "2w": {_quote(text)}'
            ) from None
        if previous is not None and delay <= previous:
            raise where.key_error(
                key, f"item {number} ({_quote(text)}) must be longer than the one before it"
            )
        previous = delay
    return texts


_POLITENESS_CONVERTERS: dict[str, Callable[[_Where, str, Any], Any]] = {
    "download_delay": _number(allow_zero=True),  # 0 = no fixed delay, AutoThrottle still applies
    "concurrency": _integer(1),
}


def _politeness(where: _Where, key: str, value: Any) -> dict[str, Any]:
    """Validated politeness keys as a partial dict, so defaults and outlets merge per key."""
    if not isinstance(value, dict):
        raise where.key_error(key, f"expected a table ([outlets.politeness]), got {_describe(value)}")
    where.reject_unknown(value, _POLITENESS_KEYS, prefix=f"{key}.")
    return {name: _POLITENESS_CONVERTERS[name](where, f"{key}.{name}", raw) for name, raw in value.items()}


_OPTION_CONVERTERS: dict[str, Callable[[_Where, str, Any], Any]] = {
    **{key: _url_list for key in _URL_LIST_KEYS},
    **{key: _patterns for key in _PATTERN_KEYS},
    "max_depth": _integer(0),  # 0 = only the listed pages, sitemaps and feeds; follow no links
    "max_pages": _integer(1),
    "discover": _boolean,
    "politeness": _politeness,
    "recrawl": _durations,
    "assets": _boolean,
    "assets_obey_robots": _boolean,
    "asset_hosts": lambda where, key, value: () if value == [] else _domains(where, key, value),  # [] = none
    "timezone": _zone,
}


def _options(where: _Where, table: Mapping[str, Any]) -> dict[str, Any]:
    """Convert every shared (defaultable) key present in ``table``, in a fixed order."""
    return {key: _OPTION_CONVERTERS[key](where, key, table[key]) for key in _DEFAULTS_KEYS if key in table}


# --- the file -----------------------------------------------------------------------------


def _parse_defaults(source: str, value: Any) -> dict[str, Any]:
    where = _Where(source, "[defaults]")
    if not isinstance(value, dict):
        raise where.error(f"expected a table, got {_describe(value)}")
    for key in value:
        if key in _PER_OUTLET_ONLY:
            raise where.error(f'key "{key}" cannot be set in [defaults]; set it on each outlet')
    where.reject_unknown(value, _DEFAULTS_KEYS)
    return _options(where, value)


def _build_outlet(source: str, index: int, raw: Any, defaults: Mapping[str, Any]) -> Outlet:
    where = _Where(source, f"outlet #{index}")
    if not isinstance(raw, dict):
        raise where.error(f"expected a table ([[outlets]]), got {_describe(raw)}")
    name = raw.get("name")
    if isinstance(name, str) and _NAME_RE.fullmatch(name):
        where = _Where(source, f'outlet "{name}" (#{index})')
    where.reject_unknown(raw, _OUTLET_KEYS)
    for required in ("name", "homepage"):
        if required not in raw:
            raise where.error(f'missing required key "{required}"')
    if not isinstance(name, str):
        raise where.key_error("name", f"expected a string, got {_describe(name)}")
    if not _NAME_RE.fullmatch(name):
        raise where.key_error(
            "name", f"must be 1-64 characters from A-Z, a-z, 0-9, '.', '_', '-', got {_quote(name)}"
        )
    homepage = _url(where, "homepage", raw["homepage"])
    own = _options(where, raw)
    options = {**defaults, **own}
    options["politeness"] = Politeness(**{**defaults.get("politeness", {}), **own.get("politeness", {})})
    domains = _domains(where, "domains", raw["domains"]) if "domains" in raw else ()
    return Outlet(name=name, homepage=homepage, domains=domains, **options)


def parse_outlets(text: str, *, source: str = "<string>") -> list[Outlet]:
    """Parse and validate outlets TOML; ``source`` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line L, column C)".
        raise ConfigError(" ".join(f"{source}: invalid TOML: {exc}".splitlines()), hint=_HINT) from None
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            suggestion = _did_you_mean(key, _TOP_LEVEL_KEYS) or (
                " (each outlet is an [[outlets]] table; shared settings go in [defaults])"
            )
            raise ConfigError(f"{source}: unknown top-level key {_quote(key)}{suggestion}", hint=_HINT)
    defaults = _parse_defaults(source, data["defaults"]) if "defaults" in data else {}
    raw_outlets = data.get("outlets", [])
    if isinstance(raw_outlets, dict):
        raise ConfigError(
            f'{source}: key "outlets": found a single [outlets] table;'
            " write [[outlets]] (double brackets) for each outlet",
            hint=_HINT,
        )
    if not isinstance(raw_outlets, list):
        raise ConfigError(
            f'{source}: key "outlets": expected [[outlets]] tables, got {_describe(raw_outlets)}', hint=_HINT
        )
    if not raw_outlets:
        raise ConfigError(f"{source}: no outlets defined; add at least one [[outlets]] table", hint=_HINT)

    outlets: list[Outlet] = []
    first_index: dict[str, int] = {}  # case-folded name -> 1-based index of its first use
    for index, raw in enumerate(raw_outlets, start=1):
        outlet = _build_outlet(source, index, raw, defaults)
        folded = outlet.name.casefold()
        if folded in first_index:
            earlier = first_index[folded]
            first_name = outlets[earlier - 1].name
            raise _Where(source, f'outlet "{outlet.name}" (#{index})').key_error(
                "name", f'duplicate outlet name (names are case-insensitive): outlet #{earlier} is "{first_name}"'
            )
        first_index[folded] = index
        outlets.append(outlet)
    return outlets


def load_outlets(path: Path | str) -> list[Outlet]:
    """Read and validate an outlets TOML file; every problem is a one-line ``ConfigError``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"{path}: cannot read outlets file: {reason}", hint=_HINT) from None
    try:
        text = raw.decode("utf-8-sig")  # tolerate a BOM from Windows editors
    except UnicodeDecodeError as exc:
        message = f"{path}: not UTF-8 text (invalid byte at offset {exc.start})"
        raise ConfigError(message, hint=_HINT) from None
    return parse_outlets(text, source=str(path))


def bundled_outlets_path() -> Path:
    """The starter outlets file shipped in the package (``archive/data/outlets.toml``)."""
    resource = resources.files("archive") / "data" / "outlets.toml"
    if not isinstance(resource, Path):
        # Only a zipped install ends up here; Scrapy and users need a real file path.
        raise ConfigError(f"bundled outlets file is not on the file system: {resource}")
    return resource
