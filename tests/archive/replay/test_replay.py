"""Replay over real HTTP: ``pressclips replay serve`` on a real crawl of the local site, and the
server in a thread on a hand-built archive with the WARC cases a short crawl never produces.
Also ``pressclips replay get``. Every response body is checked for traceback text."""

from __future__ import annotations

import gzip
import io
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from archive.db.engine import make_engine
from archive.replay.cdxj import write_cdxj
from archive.replay.lookup import Replayer, dechunk
from archive.replay.responses import ARCHIVED_CSP, PAGE_CSP, REPLAY_CSP
from archive.replay.server import ReplayApp, make_server
from archive.replay.target import parse_timestamp, timestamp14
from archive.replay.wacz import WaczFilter, export_wacz
from tests.backends import archive_url
from tests.paths import REPO
from tests.replaykit import (
    BODY_A,
    BODY_B,
    BODY_E,
    BROTLI,
    CHAIN,
    HOSTILE,
    LOST,
    MISSING,
    OLD,
    OTHER,
    PAGE,
    Served,
    SharedCrawl,
    build_synthetic,
    fetch,
    get_shared_crawl,
    raw_request,
    run_cli,
    utc,
)


@pytest.fixture(scope="module")
def shared_crawl(tmp_path_factory: pytest.TempPathFactory) -> SharedCrawl:
    return get_shared_crawl(tmp_path_factory)

HOP = ("connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "upgrade",
       "transfer-encoding", "x-hop")


# -- a real crawl ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(shared_crawl: SharedCrawl) -> Iterator[Served]:
    server = Served(shared_crawl.archive)
    try:
        yield server
    finally:
        err = server.stop()
        assert "Traceback" not in err


def _capture_ts(crawl: SharedCrawl, url: str) -> list[datetime]:
    return [utc(t) for t, in crawl.rows("SELECT fetched_at FROM captures WHERE url = :u ORDER BY fetched_at", u=url)]


def test_articles_replay_with_the_bytes_the_site_sent(shared_crawl: SharedCrawl, served: Served) -> None:
    gzipped = chunked = 0
    for art in shared_crawl.site.articles:
        _article_id, _capture_id, url, when = shared_crawl.article_capture(art.canonical_url)
        reply = fetch(served.url, f"/{timestamp14(when)}id_/{url}")  # id_: the archived bytes, unrewritten
        assert reply.status == 200, (url, reply.body[:200])
        assert reply.body == art.body
        sent = shared_crawl.site.last_body_sent[url]
        if art.last_sent_gzip:
            gzipped += 1
            assert gzip.decompress(sent) == reply.body  # the archive kept the gzip bytes, we decode them
        else:
            assert sent == reply.body
        chunked += bool(art.last_sent_chunked)
        assert reply.header("Content-Length") == str(len(art.body))
        assert reply.header("Content-Encoding") is None and reply.header("Transfer-Encoding") is None
        assert reply.header("Content-Type") == art.content_type
        assert reply.header("ETag") and reply.header("Last-Modified") and reply.header("Vary") == "Accept-Encoding"
        assert reply.all("Content-Security-Policy") == [ARCHIVED_CSP]
        assert reply.header("X-Content-Type-Options") == "nosniff"
        assert reply.header("Referrer-Policy") == "no-referrer"
        assert parsedate_to_datetime(reply.header("Memento-Datetime")) == when.replace(microsecond=0)
    assert gzipped and chunked


def test_closest_capture_is_chosen_by_timestamp(shared_crawl: SharedCrawl, served: Served) -> None:
    first, second = _capture_ts(shared_crawl, shared_crawl.home)
    assert (second - first).total_seconds() >= 2
    early = first + (second - first) / 4
    late = second - (second - first) / 4
    cases = [(timestamp14(first), shared_crawl.first_home), (timestamp14(second), shared_crawl.second_home),
             (timestamp14(early), shared_crawl.first_home), (timestamp14(late), shared_crawl.second_home),
             ("1999", shared_crawl.first_home), ("2999", shared_crawl.second_home)]
    for stamp, body in cases:
        reply = fetch(served.url, f"/{stamp}id_/{shared_crawl.home}")
        assert reply.status == 200 and reply.body == body, stamp
    latest = fetch(served.url, f"/{shared_crawl.home}")  # no timestamp: the latest, rewritten
    assert latest.status == 200 and latest.body == fetch(served.url, f"/{timestamp14(second)}/{shared_crawl.home}").body


def test_archived_cookies_and_headers_are_inert(shared_crawl: SharedCrawl, served: Served) -> None:
    reply = fetch(served.url, f"/2999/{shared_crawl.home}")
    assert reply.header("Set-Cookie") is None
    assert len(reply.all("X-Archive-Orig-Set-Cookie")) == 2
    assert reply.header("X-Archive-Orig-Server") == "pressclips-localsite/1.0"
    assert reply.header("Server") != "pressclips-localsite/1.0"


def test_replay_get_writes_the_body(shared_crawl: SharedCrawl) -> None:
    art = next(a for a in shared_crawl.site.articles if a.last_sent_gzip)
    article_id, _capture_id, url, _when = shared_crawl.article_capture(art.canonical_url)
    archive = ["--archive", str(shared_crawl.archive)]
    got = run_cli("replay", "get", str(article_id), *archive)
    assert got.returncode == 0 and got.stdout == art.body
    raw = run_cli("replay", "get", f"article:{article_id}", "--raw", *archive)
    assert raw.stdout == shared_crawl.site.last_body_sent[url]
    head = run_cli("replay", "get", url, "--headers", *archive).stdout.decode("latin-1")
    assert head.startswith("HTTP/1.1 200 OK\n") and "Content-Encoding: gzip\n" in head
    first, second = _capture_ts(shared_crawl, shared_crawl.home)
    at_first = run_cli("replay", "get", shared_crawl.home, "--at", first.isoformat(), *archive)
    assert at_first.stdout == shared_crawl.first_home
    schemeless = shared_crawl.home.split("://", 1)[1]
    assert run_cli("replay", "get", schemeless, "--at", timestamp14(second), *archive).stdout == shared_crawl.second_home
    [(capture_id,)] = shared_crawl.rows("SELECT id FROM captures WHERE url = :u ORDER BY id LIMIT 1", u=shared_crawl.home)
    assert run_cli("replay", "get", f"capture:{capture_id}", *archive).stdout == shared_crawl.first_home
    for args, code, needle in ((["999999"], 2, "no article 999999"), (["capture:999999"], 2, "no capture 999999"),
                               (["http://nowhere.test/x"], 2, "no capture"), (["1", "--at", "soon"], 2, "timestamp"),
                               (["not-an-id"], 2, "not an ID or URL")):
        bad = run_cli("replay", "get", *args, *archive)
        lines = bad.stderr.decode().strip().splitlines()
        assert bad.returncode == code and len(lines) == 1 and needle in lines[0], (args, bad.stderr)
        assert bad.stdout == b""


def test_index_search_and_article_pages(shared_crawl: SharedCrawl, served: Served) -> None:
    index = fetch(served.url, "/")
    assert index.status == 200 and index.header("Content-Type") == "text/html; charset=utf-8"
    assert index.all("Content-Security-Policy") == [PAGE_CSP] and b'<form action="/"' in index.body
    art = shared_crawl.site.articles[0]
    word = max((w.strip(".,:;!?'\"()") for w in art.title.split()), key=len)
    found = fetch(served.url, "/?q=" + quote(word))
    assert found.status == 200
    article_id, _capture_id, url, when = shared_crawl.article_capture(art.canonical_url)
    assert f'href="/article/{article_id}"'.encode() in found.body
    page = fetch(served.url, f"/article/{article_id}")
    assert page.status == 200 and page.all("Content-Security-Policy") == [PAGE_CSP]
    link = f"/{timestamp14(when)}/{url}"
    assert f'href="{link}"'.encode() in page.body
    replayed = fetch(served.url, link)
    assert replayed.status == 200 and f'href="/article/{article_id}"'.encode() in replayed.body  # the banner
    assert fetch(served.url, f"/{timestamp14(when)}id_/{url}").body == art.body
    hostile = fetch(served.url, "/?q=" + quote('<script>alert(1)</script> "x'))
    assert b"<script>alert" not in hostile.body and b"&lt;script&gt;" in hostile.body
    assert fetch(served.url, "/article/999999").status == 404


def test_bind_warning_only_off_loopback(shared_crawl: SharedCrawl, served: Served) -> None:
    wide = Served(shared_crawl.archive, "--host", "0.0.0.0", "-q")
    try:
        port = wide.url.rsplit(":", 1)[1].rstrip("/")
        assert fetch(f"http://127.0.0.1:{port}", "/").status == 200
    finally:
        err = wide.stop()
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "0.0.0.0" in warnings[0] and warnings[0].startswith("pressclips: warning:")
    local = Served(shared_crawl.archive, "-q")
    assert "warning" not in local.stop()


@pytest.mark.parametrize("command", [["replay", "get"], ["replay", "serve"], ["export-cdxj"], ["export-wacz"]])
def test_commands_have_help_and_are_documented(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and b"Usage:" in result.stdout
    readme = (REPO / "README.md").read_text()
    assert f"pressclips {' '.join(command)}" in readme


# -- the hand-built archive -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    syn = build_synthetic(tmp_path_factory.mktemp("synthetic"))
    engine = make_engine(archive_url(syn.archive))
    server = make_server(Replayer(engine, syn.warc_dir), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()


def test_hop_by_hop_headers_dropped_and_body_decoded(synthetic: str) -> None:
    reply = fetch(synthetic, f"/20240101id_/{PAGE}")
    assert reply.status == 200 and reply.body == BODY_A  # de-chunked, then gunzipped
    names = {k.lower() for k, _ in reply.headers}
    assert not names & set(HOP), names & set(HOP)
    assert reply.header("Content-Length") == str(len(BODY_A)) and reply.header("Content-Encoding") is None
    assert reply.header("ETag") == '"a1"' and reply.header("Cache-Control") == "max-age=60"
    assert reply.header("Last-Modified") == "Mon, 01 Jan 2024 00:00:00 GMT"
    for risky in ("Set-Cookie", "Access-Control-Allow-Origin", "Report-To", "Link", "Refresh"):
        assert reply.header(risky) is None and reply.header("X-Archive-Orig-" + risky), risky
    assert reply.all("Content-Security-Policy") == [ARCHIVED_CSP]
    assert "report-uri" in reply.header("X-Archive-Orig-Content-Security-Policy")
    assert not [k for k, _ in reply.headers if "Bad" in k or "Nul" in k]  # unparsable headers are not forwarded
    head = fetch(synthetic, f"/20240101id_/{PAGE}", method="HEAD")
    assert head.status == 200 and head.body == b"" and head.header("Content-Length") == str(len(BODY_A))


@pytest.mark.parametrize("stamp, body, etag, own", [
    ("20240101", BODY_A, '"a1"', None),
    ("2024", BODY_A, '"a1"', None),
    ("20240301", BODY_A, '"a1"', None),  # 304 revisit: status and headers of the original
    ("20240520", BODY_B, '"b2"', None),  # closer to June than to the March revisit
    ("20241231", BODY_B, '"b2"', "revisit"),  # identical-payload revisit: its own headers win
    ("", BODY_B, '"b2"', "revisit"),  # no timestamp: the latest
    ("20241399", BODY_B, '"b2"', "revisit"),  # month and day clamped, as pywb does
])
def test_closest_capture_and_revisits(synthetic: str, stamp: str, body: bytes, etag: str, own: str | None) -> None:
    reply = fetch(synthetic, f"/{stamp}id_/{PAGE}" if stamp else f"/{PAGE}")
    assert (reply.status, reply.header("ETag")) == (200, etag)
    assert reply.body == body if stamp else body.split(b"<body>")[1].split(b"</body>")[0] in reply.body
    assert reply.header("X-Archive-Orig-X-Seen") == own
    assert reply.header("Content-Type") == "text/html; charset=utf-8"


def test_revisit_fallbacks_and_missing_originals(synthetic: str) -> None:
    chain = fetch(synthetic, f"/2024id_/{CHAIN}")  # a revisit of a revisit
    assert chain.status == 200 and chain.body == BODY_B
    other = fetch(synthetic, f"/20240215id_/{OTHER}")  # WARC-Refers-To is wrong: found by target URI + date
    assert other.status == 200 and other.body == BODY_E and other.header("X-Archive-Orig-X-Fetch") == "second"
    lost = fetch(synthetic, f"/2024/{LOST}")
    assert lost.status == 404 and lost.header("Content-Type") == "text/plain; charset=utf-8"
    assert len(lost.body.decode().strip().splitlines()) == 1


def test_redirect_capture_stays_in_the_replay_namespace(synthetic: str) -> None:
    reply = fetch(synthetic, f"/2024/{OLD}")
    assert reply.status == 301 and reply.header("Location") == "/20240101000000/http://example.test/page?from=old"
    assert reply.header("X-Archive-Orig-Location") == "/page?from=old"
    assert fetch(synthetic, f"/2024id_/{OLD}").header("Location") == "/20240101000000id_/http://example.test/page?from=old"
    assert fetch(synthetic, reply.header("Location")).status == 404  # no capture of ?from=old: unknown, not an error
    followed = fetch(synthetic, "/20240101000000id_/http://example.test/page")
    assert followed.status == 200 and followed.body == BODY_A


def test_archived_error_status_and_undecodable_bodies(synthetic: str) -> None:
    missing = fetch(synthetic, f"/2024id_/{MISSING}")
    assert missing.status == 404 and missing.body == b"<html>archived not-found page</html>"
    assert missing.header("Content-Security-Policy") == ARCHIVED_CSP
    shown = fetch(synthetic, f"/2024/{MISSING}")  # rewritten, with the banner
    assert shown.status == 404 and b"<pressclips-banner" in shown.body and b"archived not-found page" in shown.body
    assert shown.header("Content-Security-Policy") == REPLAY_CSP
    br = fetch(synthetic, f"/2024/{BROTLI}")
    assert br.status == 200 and br.header("Content-Encoding") == "br" and br.body == b"\x1b\x03\x00brotli?"


@pytest.mark.parametrize("target", [
    "/2024/example.test/page", "/2024/http://EXAMPLE.test/page?utm_source=x", "/2024/https://example.test/page",
    "/2024/http%3A%2F%2Fexample.test%2Fpage", "/2024/http:/example.test/page", "/2024mp_/http://example.test/page",
])
def test_url_forms_find_the_page(synthetic: str, target: str) -> None:
    reply = fetch(synthetic, target)
    assert reply.status == 200 and reply.body == fetch(synthetic, f"/20240101/{PAGE}").body
    assert b"Version A of the page." in reply.body


@pytest.mark.parametrize("target, status", [
    ("/article/123456", 404), ("/article/x1", 400), ("/article/99999999999999999999", 404), ("/favicon.ico", 404),
    ("/notatimestamp/http://example.test/page", 400), ("/%ff", 400), ("/%ff/x", 400),
    ("/123456789012345/http://example.test/page", 400), ("/2024/ftp://example.test/page", 400),
    ("/2024/", 400), ("/2024/%20", 400), ("/2024*/http://example.test/page", 400),
    ("/2024/javascript:alert(1)", 400), ("/?q=%ff", 400), ("/2024/..", 400),
])
def test_unknown_is_404_and_malformed_is_400(synthetic: str, target: str, status: int) -> None:
    reply = fetch(synthetic, target)
    assert reply.status == status, reply.body
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    assert len(reply.body.decode().strip().splitlines()) == 1
    assert reply.header("X-Content-Type-Options") == "nosniff" and reply.header("Content-Security-Policy") == PAGE_CSP


@pytest.mark.parametrize("target, needle", [
    ("/20240101/http://example.test/nothing", b"http://example.test/page"),  # same-host captures offered
    ("/20240101/http://never.test/", b"nothing from this host"),
])
def test_not_archived_page_names_the_url_and_offers_nearby(synthetic: str, target: str, needle: bytes) -> None:
    reply = fetch(synthetic, target)
    assert reply.status == 404 and reply.header("Content-Type") == "text/html; charset=utf-8"
    assert b"Not archived" in reply.body and target.split("/", 2)[2].encode() in reply.body and needle in reply.body
    assert reply.header("Content-Security-Policy") == PAGE_CSP


@pytest.mark.parametrize("target, message", [
    ("/article/999999", "not found: no article 999999"),
    ("/article/abc", "not an article ID: 'abc'"),
    ("/2024-01-01/http://example.test/page", "malformed timestamp '2024-01-01'"),
    ("/123456789012345/http://example.test/page", "malformed timestamp '123456789012345'"),
    ("/nowhere", "not a replay URL"),
])
def test_errors_say_what_happened(synthetic: str, target: str, message: str) -> None:
    reply = fetch(synthetic, target)
    assert reply.status in (400, 404) and message in reply.body.decode(), reply.body


@pytest.mark.parametrize("request_bytes, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /x HTTX/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /x HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
    (b"GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n", 400),  # DNS rebinding
    (b"GET http://example.test/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),  # proxy-style target
    (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 501),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET /\x7f HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /2024/http://example.test/\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
])
def test_raw_bad_requests_get_one_plain_line(synthetic: str, request_bytes: bytes, status: int) -> None:
    reply = raw_request(synthetic, request_bytes.replace(b"Host: 127.0.0.1", b"Host: 127.0.0.1:1"))
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and head.split(b" ")[1] == str(status).encode(), head
    assert b"text/plain" in head and len(body.strip().splitlines()) == 1 and b"Traceback" not in body


@pytest.mark.parametrize("target", [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/20240101/../../etc/passwd",
    "/20240101/..%2f..%2fetc%2fpasswd", "/20240101/file:///etc/passwd", "/20240101/http://example.test/../../etc/passwd",
    "/article/..%2f..%2fetc%2fpasswd", "//etc/passwd", *(f"/2024/{url}" for url in HOSTILE),
])
def test_no_path_traversal(synthetic: str, target: str) -> None:
    reply = fetch(synthetic, target)
    assert b"root:" not in reply.body
    if target.startswith("/2024/http://example.test/") and target.split("/2024/", 1)[1] in HOSTILE:
        # a capture row naming a file outside the archive: refused, never read
        assert reply.status == 500 and reply.body == b"internal error: the archived record could not be read\n"
    else:
        assert reply.status in (400, 404)


def test_lookup_resolution_and_exports_on_both_databases(database_url: str, tmp_path: Path) -> None:
    """The SQL behind replay and the exports, on SQLite and PostgreSQL (no HTTP: the app directly)."""
    syn = build_synthetic(tmp_path, database_url)
    engine = make_engine(database_url)
    try:
        app = ReplayApp(Replayer(engine, syn.warc_dir))
        for target, status, body in ((f"/20240101/{PAGE}", 200, BODY_A), (f"/20240301/{PAGE}", 200, BODY_A),
                                     (f"/20240520/{PAGE}", 200, BODY_B), (f"/{PAGE}", 200, None),
                                     (f"/20240215/{OTHER}", 200, BODY_E), (f"/2024/{OLD}", 301, b""),
                                     (f"/2024/{LOST}", 404, None), ("/2024/http://example.test/passwd", 500, None),
                                     ("/2024/http://example.test/nothing", 404, None)):
            response = app.handle(re.sub(r"^/(\d+)/", r"/\1id_/", target) if body else target)
            assert response.status == status, (target, response.body)
            assert body is None or response.body == body, target
        replayer = Replayer(engine, syn.warc_dir)
        assert replayer.resolve_first(replayer.lookup(f"capture:{syn.ids['C']}")).body() == BODY_B
        summary = export_wacz(engine, syn.warc_dir, tmp_path / "x.wacz", WaczFilter(since=parse_timestamp("20240801")))
        # only the selected records and the originals of their revisits: an excerpt of the first
        # file (B), the second whole (every record of it is selected)
        first, second = sorted(syn.files)
        assert summary.warc_files == [first.replace(".warc.gz", "-excerpt.warc.gz"), second]
        assert summary.pages == 0
        out = io.StringIO()
        assert write_cdxj(syn.warc_dir, syn.files, out, engine=engine) == len(syn.ids) == 11
        assert '"mime": "warc/revisit", "status": "304", "digest": "sha1:' in out.getvalue()
    finally:
        engine.dispose()


# -- units ----------------------------------------------------------------------------------------
def test_timestamps_pad_clamp_and_parse() -> None:
    utc = timezone.utc
    assert parse_timestamp("2024") == datetime(2024, 1, 1, tzinfo=utc)
    assert parse_timestamp("20240230") == datetime(2024, 2, 29, tzinfo=utc)
    assert parse_timestamp("20241399996199") == datetime(2024, 12, 31, 23, 59, 59, tzinfo=utc)
    assert parse_timestamp("2024-05-06T07:08:09+02:00") == datetime(2024, 5, 6, 5, 8, 9, tzinfo=utc)
    assert parse_timestamp("2024-05-06") == datetime(2024, 5, 6, tzinfo=utc)
    assert timestamp14(datetime(2024, 5, 6, 7, 8, 9, 999999, tzinfo=utc) + timedelta(0)) == "20240506070809"
    for bad in ("", "soon", "123456789012345", "2024-13-01"):
        with pytest.raises(Exception, match="timestamp"):
            parse_timestamp(bad)


def test_dechunk() -> None:
    assert dechunk(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n") == b"hello world"
    assert dechunk(b"5\nhello\n0\n\n") == b"hello"
    for bad in (b"hello", b"5\r\nhel", b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n", b""):
        assert dechunk(bad) is None
