"""Fuzzing archive.urls (issue 5.4): every function is total on arbitrary strings, and the URL
identity functions are idempotent and agree with each other.

Strategies: arbitrary text (every code point, lone surrogates included), and URL-shaped strings
built from random parts — schemes, userinfo, hosts (names, IDNA and full-width Unicode,
IPv4/IPv6 literals, junk), ports (numbers, out of range, non-ASCII digits), paths with random
percent-escapes and dot segments, queries mixing tracking and content parameters in any case,
fragments, surrounding whitespace and embedded tabs/newlines. Bounded: 300 examples per test
(``PRESSCLIPS_FUZZ_EXAMPLES`` to change), no deadline.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.urls import (
    TRACKING_PARAMS,
    canonicalize,
    host_of,
    is_http_url,
    join,
    netloc_of,
    normalize_domain,
    same_site,
    strip_tracking,
)

# PRESSCLIPS_FUZZ_EXAMPLES=5000 for a longer bug hunt; the suite runs 300 per test.
FUZZ = settings(max_examples=int(os.environ.get("PRESSCLIPS_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

_RESERVED = ":/?#[]@!$&'()*+,;=%. -_~"
_piece = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(list(_RESERVED))), max_size=12)
_escape = st.integers(0, 255).map(lambda b: f"%{b:02X}") | st.integers(0, 255).map(lambda b: f"%{b:02x}") \
    | st.sampled_from(["%", "%Z", "%2", "%%41", "%2e%2E", "%u00e9"])
_segment = st.lists(st.one_of(_piece, _escape, st.sampled_from([".", "..", "", "%2e", "~"])), max_size=4).map("".join)
_label = st.one_of(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=8),
    st.sampled_from(["xn--bcher-kva", "ｅｘａｍｐｌｅ", "ß", "ÜBER", "", "-", "xn--", "a" * 64]),
)
_host = st.one_of(
    st.lists(_label, min_size=1, max_size=4).map(".".join),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
    st.sampled_from(["[::1", "[zz::1]", "[::1]x", "localhost", "", ".", "example。com", "a b", "%41.com"]),
)
_port = st.one_of(
    st.just(""), st.integers(0, 70000).map(lambda p: f":{p}"),
    st.sampled_from([":", ":0080", ":x", ":٣", ":-1", ": 80", ":99999999999999999999"]),
)
_names = st.sampled_from(sorted(TRACKING_PARAMS) + ["utm_source", "UTM_Medium", "utm_", "id", "page", "q", "s", ""])
_param_name = st.one_of(_names, _names.map(str.upper), _names.map(str.title), _piece)
_param = st.tuples(_param_name, st.sampled_from(["", "="]), _piece).map("".join)


@st.composite
def url_like(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "hTtPs", "ftp", "", "javascript", "http:", "https:/"]))
    userinfo = draw(st.sampled_from(["", "user@", "u:p@", "a@b@", ":@"]) | _piece.map(lambda p: p + "@"))
    path = "/".join(draw(st.lists(_segment, max_size=6)))
    url = f"{scheme}://{userinfo}{draw(_host)}{draw(_port)}"
    if path or draw(st.booleans()):
        url += "/" + path
    if draw(st.booleans()):
        url += "?" + "&".join(draw(st.lists(_param, max_size=6)))
    if draw(st.booleans()):
        url += "#" + draw(_piece)
    pad = draw(st.sampled_from(["", " ", "\t", "\n", " \r\n", "\x00", "\u3000"]))
    return pad + url + draw(st.sampled_from(["", " ", "\n", "\t"]))


any_string = st.one_of(st.text(), url_like())


def _query_names(url: str) -> list[str]:
    return [name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]


@FUZZ
@given(any_string)
@example("http://example.com/a b#frag")
@example("https://EXAMPLE.com:443/./a/../b//c/?utm_source=x&b=2&a=1#top")
@example("http://[::1]:80/%7e%2F%zz")
def test_canonicalize_is_total_and_idempotent(url: str) -> None:
    once = canonicalize(url)
    assert isinstance(once, str)
    assert canonicalize(once) == once
    assert is_http_url(once) == is_http_url(url)
    if is_http_url(url):
        assert host_of(once) == host_of(url) and netloc_of(once) == netloc_of(url)
        assert once.isascii() and "#" not in once and not any(c.isspace() for c in once)
        assert not [n for n in _query_names(once) if n.lower().startswith("utm_") or n.lower() in TRACKING_PARAMS]


@FUZZ
@given(any_string)
def test_strip_tracking_is_total_idempotent_and_agrees_with_canonicalize(url: str) -> None:
    stripped = strip_tracking(url)
    assert isinstance(stripped, str)
    assert strip_tracking(stripped) == stripped
    assert is_http_url(stripped) == is_http_url(url)
    if is_http_url(url):
        assert canonicalize(stripped) == canonicalize(url)
        assert "#" not in stripped
        assert host_of(stripped) == host_of(url)


@FUZZ
@given(any_string)
def test_host_and_netloc_are_total_and_consistent(url: str) -> None:
    host, netloc = host_of(url), netloc_of(url)
    assert isinstance(host, str) and isinstance(netloc, str)
    assert bool(host) == bool(netloc) == is_http_url(url)
    if host:
        assert host == host.lower() and host.isascii()
        bare = f"[{host}]" if ":" in host else host  # host_of drops IPv6 brackets; domains need them
        assert netloc.startswith(bare)
        assert same_site(url, [netloc]) and same_site(url, [bare])
        assert normalize_domain(netloc) == netloc


@FUZZ
@given(any_string, st.lists(st.one_of(st.text(max_size=30), _host, st.tuples(_host, _port).map("".join)), max_size=4))
def test_same_site_is_total_and_canonical(url: str, domains: list[str]) -> None:
    result = same_site(url, domains)
    assert isinstance(result, bool)
    assert same_site(canonicalize(url), domains) == result
    assert same_site(strip_tracking(url), domains) == result
    if not is_http_url(url):
        assert result is False


@FUZZ
@given(st.one_of(st.text(max_size=40), _host, st.tuples(_host, _port).map("".join)))
def test_normalize_domain_raises_only_value_error_and_is_idempotent(domain: str) -> None:
    try:
        normal = normalize_domain(domain)
    except ValueError:
        return
    assert normalize_domain(normal) == normal
    assert normal == normal.lower() and normal.isascii()


@FUZZ
@given(any_string, st.one_of(st.text(max_size=40), url_like(), _segment, st.sampled_from(
    ["//evil.example/x", "javascript:alert(1)", "mailto:a@b", "data:text/html,x", "../../a", "?q=1", "#f",
     "\\\\evil.example", "http:/x", "https:x", "//[::1", "http://[::1]:99999/"])))
def test_join_is_total_and_returns_only_http_urls(base: str, href: str) -> None:
    joined = join(base, href)
    assert joined is None or is_http_url(joined)
