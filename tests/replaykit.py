"""Shared pieces of the replay/CDXJ/WACZ/pywb tests: a real crawl of the local site through the
CLI, a small hand-built archive with the WARC cases a short crawl never produces (revisits of
both profiles, redirects, hop-by-hop headers, chunk-framed gzip, hostile capture rows), a running
``pressclips replay serve``, and an HTTP client that keeps every header as sent."""

from __future__ import annotations

import gzip
import http.client
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from archive.config import ArchiveConfig
from archive.db.engine import make_engine
from archive.db.kinds import CaptureKind
from archive.db.models import Capture
from archive.db.store import CaptureRecord, Store
from archive.warc.reader import (
    WarcPointer,
    _digest,  # a revisit must carry the digest of the body it stands for
)
from archive.warc.writer import HttpExchange, WarcWriter
from tests import conftest
from tests.backends import archive_url
from tests.crawlkit import FAST, assert_clean_log, write_outlets
from tests.localsite import LocalSite

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "archive.errors")


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    """The shared CLI runner (isolated from the developer's PRESSCLIPS_* settings), bytes out."""
    return conftest.run_cli(*args, timeout=timeout, binary=True, env={"PYTHONUNBUFFERED": "1"})


def crawl(site: LocalSite, archive: Path, *extra: str) -> str:
    outlets = archive.parent / f"{archive.name}-outlets.toml"
    write_outlets(outlets, site.outlets_toml())
    result = run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive), *FAST, *extra)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert_clean_log(result.stderr)
    return result.stdout.decode()


@dataclass
class SharedCrawl:
    """Run 1 crawls outlet-a; then a new outlet-a article changes its homepage; run 2 crawls both
    outlets. ``between`` lies between the runs; the site is stopped, its records are kept."""

    site: LocalSite
    archive: Path
    home: str
    first_home: bytes
    second_home: bytes
    between: datetime

    @property
    def warc_dir(self) -> Path:
        return self.archive / "warcs"

    def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(archive_url(self.archive))
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def article_capture(self, canonical_url: str) -> tuple[int, int, str, datetime]:
        """(article id, capture id, URL, fetched_at) of the article's latest response capture."""
        [(article_id, capture_id, url, fetched_at)] = self.rows(
            "SELECT a.id, c.id, c.url, c.fetched_at FROM articles a JOIN captures c ON c.article_id = a.id "
            "WHERE a.canonical_url = :u AND c.kind = 'article' AND c.url NOT LIKE '%/amp/' "
            "ORDER BY c.id DESC LIMIT 1", u=canonical_url)
        return article_id, capture_id, url, utc(fetched_at)


def utc(value: Any) -> datetime:
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


_SHARED: dict[str, SharedCrawl] = {}


def get_shared_crawl(tmp_path_factory: pytest.TempPathFactory) -> SharedCrawl:
    """One real crawl per test session for every module that asks (a crawl costs ~20 s); tests
    only read it."""
    if "crawl" not in _SHARED:
        site = LocalSite(outlets=2, pages_per_outlet=8, article_delay=0.0).start()
        archive = tmp_path_factory.mktemp("shared-crawl") / "archive"
        try:
            crawl(site, archive, "--outlet", "outlet-a")
            home = site.outlets[0].base_url + "/"
            first = site.last_body_sent[home]
            time.sleep(1.1)
            between = datetime.now(timezone.utc)
            time.sleep(1.1)  # 14-digit timestamps have whole seconds: keep the runs apart
            site.add_article("outlet-a")
            crawl(site, archive)
            second = site.last_body_sent[home]
        finally:
            site.stop()
        assert first != second
        _SHARED["crawl"] = SharedCrawl(site, archive, home, first, second, between)
    return _SHARED["crawl"]


@dataclass
class Reply:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def fetch(base: str, target: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Reply:
    """One request with the target sent exactly as given (no normalisation, no redirects)."""
    host, port = base.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest(method, target, skip_host=headers is not None and "Host" in headers,
                        skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        reply = Reply(response.status, response.reason, list(response.getheaders()), body)
    finally:
        conn.close()
    assert_no_traceback(reply.body)
    return reply


def raw_request(base: str, data: bytes) -> bytes:
    import socket

    host, port = base.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    reply = b"".join(chunks)
    assert_no_traceback(reply)
    return reply


def assert_no_traceback(body: bytes) -> None:
    text = body.decode("latin-1")
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"{marker!r} in a response body: {text[:500]!r}"


class Served:
    """``pressclips replay serve`` in a child process on a free port."""

    def __init__(self, archive: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(conftest.pressclips_argv("replay", "serve", "--archive", str(archive), "--port", "0", *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=conftest.cli_env({"PYTHONUNBUFFERED": "1"}))
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("serving "), (line, self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.url = line.split(" at ", 1)[1].split(" ", 1)[0]

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _out, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _out, err = self.proc.communicate()
        return err


# -- the hand-built archive ----------------------------------------------------------------------
PAGE = "http://example.test/page"
OTHER = "http://example.test/other"
LOST = "http://example.test/lost"
OLD = "http://example.test/old"
MISSING = "http://example.test/missing"
BROTLI = "http://example.test/br"
CHAIN = "http://example.test/chain"
HOSTILE = {"http://example.test/passwd": "../../etc/passwd", "http://example.test/absolute": "/etc/passwd",
           "http://example.test/symlink": "evil.warc.gz", "http://example.test/encoded": "%2e%2e/%2e%2e/etc/passwd"}
BODY_A = b"<!doctype html><html><head><title>A</title></head><body><p>Version A of the page.</p>" + b"x" * 3000 + b"</body></html>"
BODY_B = b"<!doctype html><html><head><title>B</title></head><body><p>Version B, edited.</p></body></html>"
BODY_E = b"<html><body>the other page</body></html>"
HOP_HEADERS = [("Connection", "close, X-Hop"), ("X-Hop", "named by Connection"), ("Keep-Alive", "timeout=5"),
               ("Proxy-Authenticate", 'Basic realm="proxy"'), ("Proxy-Connection", "keep-alive"), ("TE", "trailers"),
               ("Trailer", "X-Checksum"), ("Upgrade", "h2c"), ("Transfer-Encoding", "chunked")]
RISKY_HEADERS = [("Set-Cookie", "session=secret; Path=/"), ("Access-Control-Allow-Origin", "*"),
                 ("Content-Security-Policy", "script-src *; report-uri http://example.test/csp"),
                 ("Report-To", '{"url":"http://example.test/report"}'), ("Link", "<http://example.test/a.css>; rel=preload"),
                 ("Refresh", "0; url=http://example.test/elsewhere"), ("Bad Header", "a space in the name"),
                 ("X-Nul", "a\x00b")]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def chunk_frame(data: bytes, size: int = 1000) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size]) for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"


@dataclass
class Synthetic:
    archive: Path
    database_url: str = ""
    ids: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def warc_dir(self) -> Path:
        return self.archive / "warcs"


def build_synthetic(root: Path, database_url: str | None = None) -> Synthetic:
    """Captures of PAGE: A 2024-01-01 (gzip, chunk-framed, every hop-by-hop and risky header),
    D 2024-03-01 (304 revisit of A, no refers_to_id), B 2024-06-01, C 2024-09-01 (identical-
    payload revisit of B, refers_to_id set, in a second WARC file; CHAIN is a revisit of C). OTHER: E 2024-02-01, F
    2024-02-15 (revisit whose WARC-Refers-To is wrong: found by target URI + date). LOST: a
    revisit whose original is nowhere. OLD: a 301. MISSING: an archived 404. BROTLI: an encoding
    we cannot decode. HOSTILE: rows pointing outside the archive."""
    archive = root / "synthetic"
    config = ArchiveConfig.build(archive, database_url)
    config.ensure_dirs()
    engine = make_engine(config.database_url)
    store = Store(engine)
    store.ensure_outlets([("example", "http://example.test/", ["example.test"])])
    syn = Synthetic(archive, config.database_url)

    def exchange(url: str, at: str, status: int, headers: list[tuple[str, str]], body: bytes) -> HttpExchange:
        return HttpExchange(url=url, method="GET", request_headers=[("User-Agent", "pressclips-test")],
                            status=status, reason="", http_version="HTTP/1.1", response_headers=headers,
                            body=body, fetched_at=when(at))

    def add(name: str, ex: HttpExchange, pointer: WarcPointer, kind: str | None, refers_to: str | None = None) -> None:
        mime = next((v.split(";")[0] for k, v in ex.response_headers if k.lower() == "content-type"), None)
        store.add_capture(CaptureRecord(
            url=ex.url, fetched_at=ex.fetched_at, status=ex.status, mime=mime, pointer=pointer,
            outlet="example", kind=None if kind is None else CaptureKind(kind),
            refers_to_id=syn.ids[refers_to] if refers_to else None))
        with Session(engine) as session:
            syn.ids[name] = session.scalar(select(Capture.id).where(Capture.warc_record_id == pointer.record_id))

    html = [("Content-Type", "text/html; charset=utf-8")]
    with WarcWriter(syn.warc_dir, prefix="synthetic-1") as w:
        ex_a = exchange(PAGE, "2024-01-01T00:00:00", 200, [*html, ("Content-Encoding", "gzip"), *HOP_HEADERS,
                        *RISKY_HEADERS, ("ETag", '"a1"'), ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
                        ("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding"), ("Content-Length", "999")],
                        chunk_frame(gzip.compress(BODY_A, mtime=0)))
        a = w.write_exchange(ex_a)
        add("A", ex_a, a, "article")
        ex_d = exchange(PAGE, "2024-03-01T00:00:00", 304, [("ETag", '"a1"'), ("Date", "Fri, 01 Mar 2024 00:00:00 GMT")], b"")
        add("D", ex_d, w.write_revisit(ex_d, refers_to=a, refers_to_uri=PAGE, refers_to_date=ex_a.fetched_at,
                                       profile="server-not-modified"), "revisit")
        ex_b = exchange(PAGE, "2024-06-01T00:00:00", 200, [*html, ("ETag", '"b2"'),
                                                            ("Content-Length", str(len(BODY_B)))], BODY_B)
        b = w.write_exchange(ex_b)
        add("B", ex_b, b, "article")
        ex_e = exchange(OTHER, "2024-02-01T00:00:00", 200, html, BODY_E)
        e = w.write_exchange(ex_e)
        add("E", ex_e, e, "not-article")
        ex_f = exchange(OTHER, "2024-02-15T00:00:00", 200, [*html, ("X-Fetch", "second")], BODY_E)
        wrong = WarcPointer(e.file, e.offset, e.length, "<urn:uuid:00000000-0000-0000-0000-000000000000>", e.payload_digest)
        add("F", ex_f, w.write_revisit(ex_f, refers_to=wrong, refers_to_uri=OTHER, refers_to_date=ex_e.fetched_at),
            "revisit")
        ex_lost = exchange(LOST, "2024-01-01T00:00:00", 200, html, b"never archived")
        nowhere = WarcPointer(e.file, 0, 1, "<urn:uuid:11111111-1111-1111-1111-111111111111>", _digest(b"never archived"))
        add("LOST", ex_lost, w.write_revisit(ex_lost, refers_to=nowhere, refers_to_uri="http://example.test/nowhere",
                                             refers_to_date=when("2023-01-01T00:00:00")), "revisit")
        ex_old = exchange(OLD, "2024-01-01T00:00:00", 301, [("Location", "/page?from=old"), ("Content-Length", "0")], b"")
        add("OLD", ex_old, w.write_exchange(ex_old), "redirect")
        ex_missing = exchange(MISSING, "2024-01-01T00:00:00", 404, html, b"<html>archived not-found page</html>")
        add("MISSING", ex_missing, w.write_exchange(ex_missing), "error")
        ex_br = exchange(BROTLI, "2024-01-01T00:00:00", 200, [*html, ("Content-Encoding", "br")], b"\x1b\x03\x00brotli?")
        add("BROTLI", ex_br, w.write_exchange(ex_br), "not-article")
        syn.files.extend(w.files_written)
    with WarcWriter(syn.warc_dir, prefix="synthetic-2") as w:
        ex_c = exchange(PAGE, "2024-09-01T00:00:00", 200, [*html, ("ETag", '"b2"'), ("X-Seen", "revisit")], BODY_B)
        c = w.write_revisit(ex_c, refers_to=b, refers_to_uri=PAGE, refers_to_date=ex_b.fetched_at)
        add("C", ex_c, c, "revisit", refers_to="B")
        ex_g = exchange(CHAIN, "2024-10-01T00:00:00", 200, html, BODY_B)  # a revisit of the revisit C
        add("G", ex_g, w.write_revisit(ex_g, refers_to=c, refers_to_uri=PAGE, refers_to_date=ex_c.fetched_at),
            "revisit", refers_to="C")
        syn.files.extend(w.files_written)
    (syn.warc_dir / "evil.warc.gz").symlink_to("/etc/passwd")
    for i, (url, bad_file) in enumerate(HOSTILE.items()):
        store.add_capture(CaptureRecord(url=url, fetched_at=when("2024-01-01T00:00:00"), status=200, mime="text/html",
                                        pointer=WarcPointer(bad_file, 0, 100, f"<urn:uuid:bad-{i}>", "sha1:X"),
                                        outlet="example"))
    engine.dispose()
    return syn


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)
