"""The hostile web (issue 5.1, 5.2): ``pressclips crawl`` over tests/hostile_site.py, a server that
really misbehaves, then assertions on the archive (captures, urls, articles, run stats) and on the
server's request log (attempts, timing). Plus focused tests of the retry, redirect, trap and
fault-classification logic the crawl relies on.

One module-scoped crawl, with a 3 s DOWNLOAD_TIMEOUT and a 0.5 s retry backoff so it stays short.
The crawler's peak RSS is sampled from /proc while it runs (the gzip bomb inflates to 1 GiB).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from sqlalchemy import create_engine, text
from twisted.python.failure import Failure

from archive.errors import WarcError
from archive.warc.reader import read_record
from crawler.faults import classify_failure
from crawler.middlewares.redirect import RedirectLoop, TooManyRedirects, is_redirect_loop
from crawler.middlewares.retry import parse_retry_after, retry_delay, retry_reason
from crawler.traps import QueryVariantCap
from tests import conftest
from tests.backends import archive_url, stored_json
from tests.crawlkit import FAST, assert_clean_log, write_outlets
from tests.hostile_site import BLOCK_PAGES, CHARSET_PAGES, MEDIA, OUTLET, HostileSite, gzip_bomb

BACKOFF = 0.5
TIMEOUT = 3
RETRY_TIMES = 2  # crawler/settings.py: 3 attempts in all
MAX_DEPTH = 3  # archive.outlets.Outlet default
QUERY_VARIANTS = 20  # crawler/settings.py PRESSCLIPS_MAX_QUERY_VARIANTS
RSS_BOUND_KB = 400 * 1024  # the bomb inflated would need > 1 GiB
SETTINGS = [*FAST, "-s", f"DOWNLOAD_TIMEOUT={TIMEOUT}", "-s", f"PRESSCLIPS_RETRY_BACKOFF={BACKOFF}"]


# --------------------------------------------------------------------------- the crawl


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _crawler_pids(parent: int) -> list[int]:
    """Descendants of ``parent`` running ``crawler.run`` (the Scrapy child of ``pressclips crawl``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        status = _status(int(entry.name))
        if status.get("PPid", "").strip() != str(parent):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"crawler.run" in cmdline:
            found.append(int(entry.name))
    return found


class PeakRss(threading.Thread):
    """Samples VmHWM (peak resident set) of the crawler process every 100 ms until it exits."""

    def __init__(self, parent: int) -> None:
        super().__init__(daemon=True)
        self.parent = parent
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        pids: list[int] = []
        while not self.done.is_set():
            # Scan /proc only until the child is found: a busy sampler would slow the test server.
            pids = pids or _crawler_pids(self.parent)
            for pid in pids:
                hwm = _status(pid).get("VmHWM", "0 kB").split()[0]
                self.peak_kb = max(self.peak_kb, int(hwm))
            time.sleep(0.1)


class Crawled:
    def __init__(self, site: HostileSite, archive: Path, result: subprocess.CompletedProcess[str],
                 peak_rss_kb: int, seconds: float) -> None:
        self.site, self.archive, self.result = site, archive, result
        self.peak_rss_kb, self.seconds = peak_rss_kb, seconds
        self.engine = create_engine(archive_url(archive))

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def captures(self, path: str) -> list[Any]:
        return self.rows("SELECT id, status, kind, reason, mime, warc_file, warc_offset, warc_length "
                         "FROM captures WHERE url = :u ORDER BY id", u=self.site.url(path))

    def article_text(self, path: str) -> str | None:
        rows = self.rows("SELECT v.text FROM urls u JOIN articles a ON a.id = u.article_id "
                         "JOIN article_versions v ON v.id = a.current_version_id WHERE u.url = :u",
                         u=self.site.url(path))
        return rows[0][0] if rows else None

    def url_row(self, path: str) -> Any:
        rows = self.rows("SELECT article_id, last_status, failures, next_due_at FROM urls WHERE url = :u",
                         u=self.site.url(path))
        return rows[0] if rows else None

    @property
    def stats(self) -> dict[str, Any]:
        return stored_json(self.rows("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")[0][0])


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The shared CLI runner (isolated from the developer's PRESSCLIPS_* settings)."""
    return conftest.run_cli(*args, timeout=timeout)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    site = HostileSite(fail_times=RETRY_TIMES, retry_after=2, stall=TIMEOUT * 4).start()
    root = tmp_path_factory.mktemp("hostile")
    outlets = root / "outlets.toml"
    write_outlets(outlets, site.outlets_toml())
    archive = root / "archive"
    started = time.monotonic()
    try:
        proc = subprocess.Popen(conftest.pressclips_argv("crawl", "--outlets", str(outlets), "--archive", str(archive), *SETTINGS),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=conftest.cli_env())
        sampler = PeakRss(proc.pid)
        sampler.start()
        try:
            out, err = proc.communicate(timeout=300)
        finally:
            sampler.done.set()
            sampler.join()
        result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        yield Crawled(site, archive, result, sampler.peak_kb, time.monotonic() - started)
    finally:
        site.stop()


def _gaps(site: HostileSite, path: str) -> list[float]:
    times = [h.time for h in site.hits(path)]
    return [b - a for a, b in zip(times, times[1:])]


# --------------------------------------------------------------------------- the run


def test_the_run_completes_and_counts_the_faults(crawled: Crawled) -> None:
    assert crawled.result.returncode == 0, crawled.result.stderr[-3000:]
    assert "run 1: ok" in crawled.result.stdout
    # Scrapy's retry logs its give-ups at ERROR: expected for exactly the stalled and truncated pages.
    assert_clean_log(crawled.result.stderr, allowed=[r"Gave up retrying <GET \S+/news/(stall|truncated)-story>"])
    stats = crawled.stats
    assert stats["pressclips/fetch_errors/timeout"] == 1
    assert stats["pressclips/fetch_errors/too-large"] == 3  # Content-Length, streamed, gzip bomb
    assert stats["pressclips/fetch_errors/redirect-loop"] == 1
    assert stats["pressclips/fetch_errors/too-many-redirects"] == 1
    assert stats["pressclips/fetch_errors"] == 6
    [(status, errors)] = crawled.rows("SELECT status, errors FROM crawl_runs")
    assert status == "ok" and errors >= 3  # the timeouts and size refusals are the run's errors too
    for trouble in ("Spider error", "crawler/middlewares/", "crawler/faults.py", "archive/extract/blockpage.py"):
        assert trouble not in crawled.result.stderr


def test_every_capture_pointer_resolves(crawled: Crawled) -> None:
    warcs = crawled.archive / "warcs"
    captures = crawled.rows("SELECT warc_file, warc_offset, warc_length, warc_record_id, url FROM captures")
    assert len(captures) > 40
    for file, offset, length, record_id, url in captures:
        record = read_record(warcs, file, offset, length)
        assert (record.record_id, record.target_uri) == (record_id, url)


# --------------------------------------------------------------------------- retries


def test_500_is_retried_with_backoff_until_it_answers(crawled: Crawled) -> None:
    path = "/news/flaky-500-story"
    assert [h.status for h in crawled.site.hits(path)] == [500, 500, 200]
    first, second = _gaps(crawled.site, path)
    assert first >= BACKOFF and second >= 2 * BACKOFF  # exponential: 0.5 s, then 1 s
    kinds = [(status, kind, reason) for _, status, kind, reason, *_ in crawled.captures(path)]
    assert kinds == [(500, "error", "retried: http-500"), (500, "error", "retried: http-500"),
                     (200, "article", None)]
    assert "Flaky Server Finally Answers" in (crawled.article_text(path) or "")


def test_503_retry_after_seconds_is_honoured(crawled: Crawled) -> None:
    path = "/news/busy-503-story"
    assert [h.status for h in crawled.site.hits(path)] == [503, 200]
    assert _gaps(crawled.site, path)[0] >= crawled.site.retry_after
    assert crawled.article_text(path)


def test_429_retry_after_http_date_is_honoured(crawled: Crawled) -> None:
    path = "/news/throttled-429-story"
    hits = crawled.site.hits(path)
    assert [h.status for h in hits] == [429, 200]
    assert hits[1].time >= crawled.site.retry_at[path]  # not before the date the server named
    assert crawled.article_text(path)


def test_retry_after_beyond_the_cap_is_not_waited_for(crawled: Crawled) -> None:
    path = "/news/retry-after-too-long-story"
    assert crawled.site.count(path) == 1
    assert [(s, k, r) for _, s, k, r, *_ in crawled.captures(path)] == [(503, "not-article", "http-503")]
    article_id, last_status, failures, next_due = crawled.url_row(path)
    assert article_id is None and last_status == 503 and failures == 1 and next_due is not None
    assert crawled.stats["retry/retry_after_too_long"] == 1


def test_a_challenge_is_not_retried_at_once(crawled: Crawled) -> None:
    assert crawled.site.count("/news/challenge-503-story") == 1  # cf-mitigated: challenge
    assert crawled.stats["retry/skipped_challenge"] == 1


# --------------------------------------------------------------------------- redirects


def test_redirect_chain_is_followed_and_recorded(crawled: Crawled) -> None:
    site = crawled.site
    chain = ["/news/moved-story", "/news/moved-story-hop", "/news/2024/05/17/moved-story-final/"]
    assert [site.hits(p)[0].status for p in chain] == [301, 302, 200]
    assert [(s, k) for p in chain for _, s, k, *_ in crawled.captures(p)] == \
        [(301, "redirect"), (302, "redirect"), (200, "article")]
    article_ids = {crawled.url_row(p)[0] for p in chain}
    assert len(article_ids) == 1 and None not in article_ids  # the first URL leads to the article
    [(canonical,)] = crawled.rows("SELECT canonical_url FROM articles WHERE id = :i", i=article_ids.pop())
    assert canonical == site.url(chain[-1])


def test_redirect_loop_is_stopped_and_counted(crawled: Crawled) -> None:
    site = crawled.site
    assert site.count("/news/loop-story") == 1 and site.count("/news/loop-story-b") == 1
    assert crawled.stats["pressclips/redirect_loops"] == 1
    article_id, _status, failures, _due = crawled.url_row("/news/loop-story")
    assert article_id is None and failures == 1


def test_endless_redirect_chain_stops_at_redirect_max_times(crawled: Crawled) -> None:
    hops = crawled.site.hits("/news/redirect-chain/", prefix=True)
    assert len(hops) == 21  # REDIRECT_MAX_TIMES (20) redirects followed, then given up
    assert crawled.stats["pressclips/too_many_redirects"] == 1


# --------------------------------------------------------------------------- timeouts and sizes


def test_timeout_is_retried_then_counted(crawled: Crawled) -> None:
    path = "/news/stall-story"
    assert crawled.site.count(path) == RETRY_TIMES + 1
    assert all(gap >= TIMEOUT for gap in _gaps(crawled.site, path))
    assert crawled.captures(path) == []  # no response, nothing to archive
    article_id, last_status, failures, next_due = crawled.url_row(path)
    assert article_id is None and last_status is None and failures == 1 and next_due is not None


@pytest.mark.parametrize("path", ["/news/huge-story", "/news/huge-streamed-story"])
def test_huge_page_is_refused_by_the_size_limit(crawled: Crawled, path: str) -> None:
    assert crawled.site.count(path) == 1  # a size refusal is not retried
    assert crawled.captures(path) == []  # refused before its body was complete: no capture
    article_id, _status, failures, _due = crawled.url_row(path)
    assert article_id is None and failures == 1


def test_gzip_bomb_is_refused_without_inflating_it(crawled: Crawled) -> None:
    path = "/news/gzip-bomb-story"
    assert crawled.site.count(path) == 1
    [(_id, status, kind, reason, _mime, file, offset, length)] = crawled.captures(path)
    assert (status, kind, reason) == (200, "not-article", "too-large")
    record = read_record(crawled.archive / "warcs", file, offset, length)
    assert record.http_header("Content-Encoding") == "gzip"
    assert record.payload == gzip_bomb()  # archived still encoded: ~1 MB, not 1 GiB
    with pytest.raises(WarcError):
        record.decoded_payload()  # reading it back is bounded too
    assert crawled.article_text(path) is None
    print(f"\ncrawler peak RSS during the hostile crawl: {crawled.peak_rss_kb / 1024:.0f} MiB "
          f"(bomb: {len(gzip_bomb()) / 1e6:.1f} MB compressed, 1024 MiB inflated); crawl {crawled.seconds:.1f} s")
    assert 0 < crawled.peak_rss_kb < RSS_BOUND_KB


def test_truncated_body_is_kept_as_truncated_not_as_an_article(crawled: Crawled) -> None:
    path = "/news/truncated-story"
    assert crawled.site.count(path) == RETRY_TIMES + 1
    captures = crawled.captures(path)
    assert [(k, r) for _, _, k, r, *_ in captures] == [("error", "retried: truncated")] * RETRY_TIMES + \
        [("not-article", "truncated")]
    *_, file, offset, length = captures[-1]
    record = read_record(crawled.archive / "warcs", file, offset, length)
    assert len(record.payload) < int(record.http_header("Content-Length") or 0)
    assert crawled.article_text(path) is None


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("path", sorted(CHARSET_PAGES))
def test_charsets_decode_to_the_right_words(crawled: Crawled, path: str) -> None:
    words = CHARSET_PAGES[path][0]
    body = crawled.article_text(path)
    assert body is not None, crawled.captures(path)
    for word in words:
        assert word in body
    for mojibake in ("Ã", "â€", "\ufffd", "&#"):
        assert mojibake not in body


@pytest.mark.parametrize("path", sorted(MEDIA))
def test_non_html_is_archived_not_extracted(crawled: Crawled, path: str) -> None:
    [(_id, status, kind, reason, mime, *_)] = crawled.captures(path)
    assert (status, kind, reason, mime) == (200, "not-article", "not-html", MEDIA[path])
    assert crawled.article_text(path) is None


@pytest.mark.parametrize(("path", "reason"), [("/news/empty-story", "empty"), ("/news/soft-404-story", "soft-404")])
def test_empty_and_soft_404_pages_are_not_articles(crawled: Crawled, path: str, reason: str) -> None:
    assert [(s, k, r) for _, s, k, r, *_ in crawled.captures(path)] == [(200, "not-article", reason)]
    assert crawled.article_text(path) is None


def test_calendar_and_facet_traps_are_capped(crawled: Crawled) -> None:
    site = crawled.site
    calendar = {h.path for h in site.hits("/calendar/", prefix=True)}
    assert 1 < len(calendar) <= 2 * MAX_DEPTH  # prev/next from the homepage, max_depth hops deep
    topics = [h.path for h in site.hits("/topics/", prefix=True)]
    assert len(topics) == len(set(topics)) <= QUERY_VARIANTS + 1
    assert crawled.stats["pressclips/trap_dropped"] > 100  # each facet page offered 31 more


# --------------------------------------------------------------------------- blocked pages


@pytest.mark.parametrize("path", sorted(BLOCK_PAGES))
def test_block_pages_are_captures_of_kind_blocked(crawled: Crawled, path: str) -> None:
    [(_id, _status, kind, reason, *_)] = crawled.captures(path)
    assert (kind, reason) == ("blocked", BLOCK_PAGES[path])
    assert crawled.article_text(path) is None
    article_id, _last, failures, next_due = crawled.url_row(path)
    assert article_id is None and failures == 1 and next_due is not None  # tried again later


def test_an_article_wearing_block_page_furniture_is_stored(crawled: Crawled) -> None:
    assert "Festival Jury Names Winners" in (crawled.article_text("/news/furnished-story") or "")
    assert crawled.article_text("/news/2024/05/17/control-story/")


def test_stats_count_blocked_pages_per_outlet(crawled: Crawled) -> None:
    out = run_cli("stats", "--json", "--archive", str(crawled.archive))
    assert out.returncode == 0, out.stderr
    [outlet] = [o for o in json.loads(out.stdout)["outlets"] if o["outlet"] == OUTLET]
    assert outlet["blocked"] == len(BLOCK_PAGES)
    table = run_cli("stats", "--archive", str(crawled.archive)).stdout
    assert "blocked" in table


# --------------------------------------------------------------------------- focused: settings and logic


def test_default_settings_refuse_a_20_mb_page_and_keep_truncated_bodies() -> None:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    assert 0 < settings.getint("DOWNLOAD_MAXSIZE") < 20 * 1024 * 1024
    assert settings.getbool("DOWNLOAD_FAIL_ON_DATALOSS") is False
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert middlewares["crawler.middlewares.retry.BackoffRetryMiddleware"] == 550
    assert middlewares["crawler.middlewares.redirect.LoopAwareRedirectMiddleware"] == 600
    assert settings.getfloat("PRESSCLIPS_RETRY_AFTER_MAX") == 300



NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("value", "date", "expected"), [
    ("2", None, 2.0),
    (b"120", None, 120.0),
    (" 0 ", None, 0.0),
    (format_datetime(NOW + timedelta(seconds=90), usegmt=True), None, 90.0),
    # measured against the server's Date: our clock being 30 s fast does not shorten the wait
    (format_datetime(NOW + timedelta(seconds=60), usegmt=True),
     format_datetime(NOW - timedelta(seconds=30), usegmt=True), 90.0),
    (format_datetime(NOW - timedelta(hours=1), usegmt=True), None, 0.0),  # in the past: now
    ("9" * 40, None, float(int("9" * 12))),  # absurdly long: finite, and beyond any cap
    ("-5", None, None), ("soon", None, None), ("", None, None), (None, None, None), ("1.5", None, None),
])
def test_parse_retry_after(value: Any, date: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW, date=date) == expected


def test_retry_delay_is_exponential_and_never_below_retry_after() -> None:
    assert [retry_delay(n, backoff=1.0, retry_after=None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert retry_delay(1, backoff=1.0, retry_after=30.0) == 30.0
    assert retry_delay(3, backoff=1.0, retry_after=2.0) == 4.0
    assert retry_delay(2, backoff=1.0, retry_after=None, jitter=0.25) == 2.5
    assert retry_delay(10_000, backoff=1.0, retry_after=None) == 2.0 ** 16  # no overflow


def test_retry_reason() -> None:
    codes = {500, 503, 429}
    assert retry_reason(Response("http://x/", status=503), codes) == "http-503"
    assert retry_reason(Response("http://x/", status=404), codes) is None
    assert retry_reason(Response("http://x/", status=200, flags=["dataloss"]), codes) == "truncated"
    assert retry_reason(Response("http://x/", status=200, flags=["partial"]), codes) is None
    challenge = Response("http://x/", status=503, headers={"cf-mitigated": "challenge"})
    assert retry_reason(challenge, codes) is None


def test_redirect_loop_detection_compares_exact_urls() -> None:
    assert is_redirect_loop(["http://x/a", "http://x/b"], "http://x/a")
    assert is_redirect_loop(["http://x/a"], "http://x/a#top")
    assert not is_redirect_loop(["http://x/story"], "http://x/story/")  # trailing slash added: fine
    assert not is_redirect_loop(["http://x/a?utm_source=t"], "http://x/a")  # tracking dropped: fine
    assert not is_redirect_loop(["http://x/a"], "https://x/a")  # upgraded to https: fine


def test_query_variant_cap() -> None:
    cap = QueryVariantCap(3)
    assert all(cap.allow(f"http://x/topics/?sort={i}") for i in range(3))
    assert not cap.allow("http://x/topics/?sort=99")
    assert cap.allow("http://x/topics/")  # the bare path is not a variant
    assert cap.allow("http://x/other/?sort=1")  # per path
    assert cap.allow("http://x/topics/?utm_source=x")  # tracking only: canonically no query
    assert all(QueryVariantCap(0).allow(f"http://x/t/?p={i}") for i in range(100))  # 0 = no cap
    # the next crawl cycle reads the same listings again: the admitted variants still are
    assert all(cap.allow(f"http://x/topics/?sort={i}") for i in range(3))
    assert not cap.allow("http://x/topics/?sort=98")


def _failure(exc: BaseException) -> Failure:
    try:
        raise exc
    except BaseException:  # noqa: BLE001 - building a real Failure with a traceback
        return Failure()


def test_classify_failure() -> None:
    assert classify_failure(_failure(DownloadTimeoutError("took longer than 2.0 seconds"))).reason == "timeout"
    assert classify_failure(_failure(DownloadCancelledError(
        "Expected to receive 9 bytes which is larger than download max size (1)"))).reason == "too-large"
    assert classify_failure(_failure(DownloadCancelledError(""))).reason == "too-large"
    assert classify_failure(_failure(RedirectLoop("loop"))).reason == "redirect-loop"
    assert classify_failure(_failure(TooManyRedirects("many"))).reason == "too-many-redirects"
    assert classify_failure(_failure(IgnoreRequest("Forbidden by robots.txt"))) is None
    bomb = classify_failure(_failure(IgnoreRequest("Ignored response: exceeded DOWNLOAD_MAXSIZE (1 B)")))
    assert bomb is not None and bomb.reason == "too-large" and bomb.capture_kept
    assert classify_failure(_failure(KeyError("x"))).reason == "error: KeyError"


def test_hostile_site_is_runnable_on_its_own() -> None:
    with HostileSite() as site:
        import urllib.request

        with urllib.request.urlopen(site.url("/robots.txt"), timeout=5) as resp:
            assert b"Sitemap:" in resp.read()
        assert site.hits("/robots.txt")[0].headers["User-Agent"].startswith("Python-urllib")
