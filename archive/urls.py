"""URL canonicalisation and the small URL predicates shared by the crawler and the archive.

This module owns the answer to "are these two strings the same page?" (``canonicalize``),
plus the host/site questions the crawler asks about every link (``host_of``, ``netloc_of``,
``same_site``, ``join``). Standard library only, so both sides of the crawler → archive
boundary can use it without a reactor (courlan supplies the list of tracking parameters).

Canonical form, in short: ``scheme://host[:port]/path[?query]`` with a lower-case scheme and
host (IDNA-encoded), no userinfo, no default port, no fragment, no well-known tracking
parameters, the remaining parameters sorted by name, percent-escapes upper-cased with
unreserved characters decoded (and unsafe characters encoded as UTF-8), dot segments
resolved, duplicate and trailing slashes removed. ``http`` and ``https`` stay distinct.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

from courlan.clean import TRACKERS_RE

__all__ = [
    "TRACKING_PARAMS",
    "canonicalize",
    "host_of",
    "identity_key",
    "is_http_url",
    "join",
    "netloc_of",
    "normalize_domain",
    "same_site",
    "strip_tracking",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 3986 §2.3: these never need escaping, so "%7E" and "~" are the same URL.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

# Characters kept literally in each component; everything else (spaces, quotes, brackets,
# non-ASCII, stray "%") is percent-encoded so a canonical URL is plain ASCII.
# "/" is literal in paths because it is the segment separator we split on.
_PATH_LITERAL = r"A-Za-z0-9\-._~!$&'()*+,;=:@/"
_QUERY_LITERAL = r"A-Za-z0-9\-._~!$&'()*+,;=:@/?"
_PATH_TOKENS = re.compile(rf"%[0-9A-Fa-f]{{2}}|[^{_PATH_LITERAL}]")
_QUERY_TOKENS = re.compile(rf"%[0-9A-Fa-f]{{2}}|[^{_QUERY_LITERAL}]")

# Characters that cannot appear in a host we would fetch (WHATWG "forbidden host code
# points" plus "%": we do not decode escaped hosts, so treat them as unusable).
_FORBIDDEN_HOST_CHARS = frozenset("\x00\t\n\r #%/:<>?@[\\]^|")

# Tracking parameters come from two lists. courlan's ``TRACKERS_RE`` (trafilatura's URL library,
# drawn from the ClearURLs and AdGuard tracking-parameter lists and Firefox's query stripping)
# names the families: ``utm_*``, ``fbclid``, ``gclid``, ``mc_*``, ``*_source``, ``ref``... It is a
# prefix search, so a match counts only when it covers the whole name or a whole ``_`` part of it:
# ``ref`` and ``ref_src`` are trackers, ``refresh``, ``gallery`` (not Google Analytics' ``ga``) and
# ``sourceid`` are not. TRACKING_PARAMS adds what that list misses (publishers' campaign ids).
# Parameters that name content (``id``, ``p``, ``page``, ``story``...) match neither.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",  # Facebook
        "gclid", "dclid", "gbraid", "wbraid", "_gl", "_ga", "srsltid",  # Google
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid", "ref_src", "ref_url",  # Twitter/X
        "ttclid",  # TikTok
        "igshid",  # Instagram
        "mc_cid", "mc_eid",  # Mailchimp
        "_hsenc", "_hsmi",  # HubSpot
        "mkt_tok",  # Marketo
        "ref", "cmpid", "icid", "intcmp", "cmp", "ncid", "ocid", "sr_share", "taid", "ito",  # publishers' campaigns
        "smid", "smtyp", "guccounter", "__twitter_impression", "s_cid", "cid_source",
    }
)

# courlan counts these as trackers, but some sites address content with them (``?cid=1234``).
_CONTENT_PARAMS = frozenset({"cid"})


class _Unusable(ValueError):
    """Raised internally when a string is not a fetchable http(s) URL."""


@dataclass(frozen=True, slots=True)
class _Authority:
    scheme: str
    host: str  # lower-case ASCII; IPv6 literals without brackets
    port: int | None  # None when absent or the scheme's default

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _DEFAULT_PORTS[self.scheme]


def _check_host_chars(host: str) -> None:
    for ch in host:
        if ch in _FORBIDDEN_HOST_CHARS or ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise _Unusable(f"forbidden character {ch!r} in host")


def _normalize_hostname(host: str) -> str:
    """Lower-case and IDNA-encode a (non-IPv6) host; raise ``_Unusable`` when it cannot be."""
    if not host:
        raise _Unusable("empty host")
    _check_host_chars(host)
    host = host.lower()
    if not host.isascii():
        # The stdlib codec applies nameprep (case folding, NFKC) and punycode per label;
        # it raises UnicodeError for empty or over-long labels.
        host = host.encode("idna").decode("ascii").lower()
        if not host:
            raise _Unusable("host is empty after IDNA encoding")
        # nameprep maps some characters (e.g. fullwidth forms) onto delimiters.
        _check_host_chars(host)
    return host


def _parse_hostport(text: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (host possibly ``[IPv6]``) into a normalised host and port."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise _Unusable("unterminated IPv6 literal")
        try:
            host = ipaddress.IPv6Address(text[1:end]).compressed
        except ValueError as exc:
            raise _Unusable(str(exc)) from exc
        rest = text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _Unusable("garbage after IPv6 literal")
        port_text = rest[1:]
    else:
        name, _, port_text = text.partition(":")
        host = _normalize_hostname(name)
    if not port_text:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()):
        raise _Unusable(f"bad port {port_text!r}")
    port = int(port_text)
    if port > 65535:
        raise _Unusable(f"port out of range: {port}")
    return host, port


def _split(url: str) -> tuple[SplitResult, _Authority] | None:
    """Parse an absolute http(s) URL; None when the string is not one."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        # Userinfo is dropped: rpartition because "@" may legally appear in the password.
        host, port = _parse_hostport(parts.netloc.rpartition("@")[2])
    except (ValueError, UnicodeError):
        # urlsplit raises ValueError on malformed IPv6 netlocs; the idna codec UnicodeError.
        return None
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return parts, _Authority(scheme, host, port)


def _fix_escape(match: re.Match[str]) -> str:
    token = match.group()
    if token[0] == "%" and len(token) == 3:
        char = chr(int(token[1:], 16))
        return char if char in _UNRESERVED else token.upper()
    # One character that may not appear literally: encode its UTF-8 bytes. surrogatepass
    # keeps lone surrogates (possible in Python str) from raising.
    return "".join(f"%{byte:02X}" for byte in token.encode("utf-8", "surrogatepass"))


def _normalize_path(path: str) -> str:
    # Decode first so "%2E%2E" is recognised as "..", then resolve segments with a stack.
    # Dropping empty segments both collapses "//" and removes the trailing slash.
    segments: list[str] = []
    for segment in _PATH_TOKENS.sub(_fix_escape, path).split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


def _is_tracker(name: str) -> bool:
    lowered = name.lower()
    if lowered.startswith("utm_") or lowered in TRACKING_PARAMS:
        return True
    if lowered in _CONTENT_PARAMS:
        return False
    for match in TRACKERS_RE.finditer(lowered):
        end = match.end()
        if end == len(lowered) or lowered[end] == "_" or lowered[end - 1] == "_":
            return True
    return False


def _normalize_query(query: str) -> str:
    kept: list[tuple[str, str]] = []
    for param in query.split("&"):
        if not param:
            continue
        param = _QUERY_TOKENS.sub(_fix_escape, param)
        name = param.partition("=")[0]
        if not _is_tracker(name):
            kept.append((name, param))
    # Stable sort on the name only: repeated names keep their relative order (a=2&a=1
    # may mean something different from a=1&a=2), blank values stay as written.
    kept.sort(key=lambda item: item[0])
    return "&".join(param for _, param in kept)


def canonicalize(url: str) -> str:
    """Return the canonical form of an http(s) URL (see the module docstring).

    Total and idempotent: never raises for a ``str``, and ``canonicalize(canonicalize(u))
    == canonicalize(u)``. Input that is not an absolute http(s) URL with a usable host is
    returned stripped of surrounding whitespace and otherwise unchanged.
    """
    text = url.strip()
    split = _split(text)
    if split is None:
        return text
    parts, authority = split
    path = _normalize_path(parts.path)
    query = _normalize_query(parts.query)
    canonical = f"{authority.scheme}://{authority.netloc}{path}"
    return f"{canonical}?{query}" if query else canonical


# AMP and print copies of a page: path segments and query parameters that only select another
# rendering of the same article. Matched on the canonical form (no trailing slash, sorted query).
_COPY_SEGMENTS = frozenset({"amp", "print"})
_COPY_PARAMS = {
    "amp": frozenset({"", "1", "true", "yes"}),
    "print": frozenset({"", "1", "true", "yes"}),
    "outputtype": frozenset({"amp", "print"}),
    "output": frozenset({"amp", "print"}),
    "view": frozenset({"amp", "print"}),
}


def _is_copy_param(param: str) -> bool:
    name, _, value = param.partition("=")
    return value.lower() in _COPY_PARAMS.get(name.lower(), frozenset())


def identity_key(url: str) -> str:
    """The canonical form of the page a URL renders: ``canonicalize`` plus AMP and print copies
    folded onto their article (``/amp/``, ``/amp`` suffix, ``?amp=1``, ``?outputType=amp``,
    ``/print/``, ``?print=1``, ``?output=print`` …). Two URLs with one identity key are one
    article on the frontier, so a copy of a known page is never fetched on its own account.

    A segment counts only when something else is left in the path: ``/amp`` alone is a page."""
    canonical = canonicalize(url)
    split = _split(canonical)
    if split is None:
        return canonical
    parts, authority = split
    segments = [s for s in parts.path.split("/") if s]
    kept = [s for s in segments if s.lower() not in _COPY_SEGMENTS]
    path = "/" + "/".join(kept if kept else segments)
    query = "&".join(p for p in parts.query.split("&") if p and not _is_copy_param(p))
    base = f"{authority.scheme}://{authority.netloc}{path}"
    return f"{base}?{query}" if query else base


def strip_tracking(url: str) -> str:
    """The URL to fetch: tracking parameters, empty parameters and the fragment removed.

    Unlike ``canonicalize`` nothing else changes (path, slashes, case, escapes and parameter
    order stay as the site wrote them), so fetching it does not provoke a redirect. Total:
    input that is not an http(s) URL is returned stripped of surrounding whitespace.
    """
    text = url.strip()
    if _split(text) is None:
        return text
    # Tabs and newlines inside a URL are ignored by browsers and urlsplit alike.
    text = text.replace("\t", "").replace("\r", "").replace("\n", "")
    # urlsplit agrees: the fragment starts at the first "#", the query at the first "?"
    # before it (an authority cannot contain a literal "?" or "#").
    base, _, query = text.partition("#")[0].partition("?")
    kept = [
        param
        for param in query.split("&")
        if param and not _is_tracker(_QUERY_TOKENS.sub(_fix_escape, param.partition("=")[0]))
    ]
    result = f"{base}?{'&'.join(kept)}" if kept else base
    # Whitespace that stood before a dropped fragment is part of the path or query; escape
    # it so it survives as such instead of being trimmed as surrounding whitespace.
    trimmed = result.rstrip()
    tail = result[len(trimmed) :].encode("utf-8", "surrogatepass")
    return trimmed + "".join(f"%{byte:02X}" for byte in tail)


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a usable host (and a valid port, if any)."""
    return _split(url) is not None


def host_of(url: str) -> str:
    """Lower-cased (IDNA) host without port or brackets; "" when ``url`` is not http(s)."""
    split = _split(url)
    return split[1].host if split else ""


def netloc_of(url: str) -> str:
    """Lower-cased ``host[:port]`` without userinfo or default port; "" when not http(s)."""
    split = _split(url)
    return split[1].netloc if split else ""


def _parse_domain(domain: str) -> tuple[str, int | None]:
    text = domain.strip()
    if not text or any(ch in "/?#@" for ch in text):
        raise ValueError(f"not a host or host:port: {domain!r}")
    try:
        return _parse_hostport(text)
    except UnicodeError as exc:
        raise ValueError(f"not a host or host:port: {domain!r}") from exc


def normalize_domain(domain: str) -> str:
    """Normalise a ``host`` or ``host:port`` entry (as used by ``same_site``).

    The port, when given, is kept even if it is a scheme default: ``example.com:443``
    means "only port 443". Raises ``ValueError`` for anything else (URLs, paths, bad ports).
    """
    host, port = _parse_domain(domain)
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_local_host(host: str) -> bool:
    """True for ``localhost`` (and its subdomains) and loopback, private, link-local or unspecified
    IP literals: hosts that are not on the public web. Decided from the name alone, no DNS lookup."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified


def is_local_domain(domain: str) -> bool:
    """``is_local_host`` for a ``host[:port]`` domain entry (as ``same_site`` takes them); False
    for an entry that is not one."""
    try:
        host, _port = _parse_domain(domain)
    except ValueError:
        return False
    return is_local_host(host)


def same_site(url: str, domains: Iterable[str]) -> bool:
    """True when ``url``'s host equals one of ``domains`` or is a subdomain of it.

    A domain given with a port (``127.0.0.1:18701``) only matches URLs on that port
    (the URL's explicit port, or its scheme's default); without a port any port matches.
    This is the check Scrapy's offsite filter gets wrong for loopback hosts with ports.
    Entries that are not ``host[:port]`` never match.
    """
    split = _split(url)
    if split is None:
        return False
    authority = split[1]
    if isinstance(domains, str):  # a lone string would otherwise iterate per character
        domains = (domains,)
    for domain in domains:
        try:
            host, port = _parse_domain(domain)
        except ValueError:
            continue
        if port is not None and port != authority.effective_port:
            continue
        if authority.host == host:
            return True
        # IP addresses have no subdomains.
        if not _is_ip_literal(host) and authority.host.endswith("." + host):
            return True
    return False


def join(base: str, href: str) -> str | None:
    """Resolve ``href`` against ``base``; None when the result is not an http(s) URL.

    ``mailto:``, ``javascript:``, ``data:`` and unparsable links give None. The result is
    absolute but not canonical: pass it through ``canonicalize`` for identity checks.
    """
    try:
        absolute = urljoin(base.strip(), href.strip())
    except ValueError:
        return None
    return absolute if is_http_url(absolute) else None
