"""Honest run status through the real CLI: a crawl whose requests all fail is a failed run (exit
1) with one line per outlet and cause, no traceback on stderr, and the tracebacks in the log file
as DEBUG entries; a crawl where one outlet of several fails stays ok and says so quietly.

Every server here is real and on 127.0.0.1: a port that is bound but never listens (connection
refused, and nobody else can take it meanwhile), a server answering 503 to everything, and the
local news site.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.crawlkit import FAST, log_problems, write_outlets
from tests.localsite import LocalSite

# Retries still happen (RETRY_TIMES=2), only without seconds of backoff between them.
QUICK_RETRIES = ["-s", "PRESSCLIPS_RETRY_BACKOFF=0.05"]


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so no one else gets it) but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def unavailable_server() -> Iterator[str]:
    """A server answering ``503 Service Unavailable`` to every request, robots.txt included."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            body = b"down for maintenance"
            self.send_response(503)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def crawl(tmp_path: Path, outlets_toml: str, *extra: str) -> tuple[object, Path]:
    outlets = write_outlets(tmp_path / "outlets.toml", outlets_toml)
    archive = tmp_path / "archive"
    result = run_cli("crawl", "--outlets", str(outlets), "--archive", str(archive), *FAST, *QUICK_RETRIES, *extra)
    return result, archive


def last_run(archive: Path) -> dict[str, object]:
    runs = run_cli("runs", "--json", "--archive", str(archive))
    assert runs.returncode == 0, runs.stderr
    return json.loads(runs.stdout)[0]


def test_refused_connections_fail_the_run_with_one_line_per_cause(tmp_path: Path, refused_port: int) -> None:
    log_file = tmp_path / "crawl.log"
    result, archive = crawl(tmp_path, f'[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:{refused_port}/"\n',
                            "--log-file", str(log_file))
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) < 12, result.stderr  # the run used to print a traceback per failure
    cause = f"outlet local: 2 requests, 0 pages, 2 failed: connection refused by 127.0.0.1:{refused_port}"
    assert lines[-2].startswith("pressclips: run 1: failed (finished)"), lines
    assert lines[-1] == f"pressclips: {cause}", lines
    assert last_run(archive)["causes"] == [cause]
    logged = log_file.read_text()
    assert "Traceback (most recent call last)" in logged
    # Each traceback follows its record as a DEBUG entry; the record itself stays one line.
    assert "] DEBUG: traceback of the above:\nTraceback (most recent call last)" in logged
    assert f"INFO: {cause}" in logged and "run 1: failed (finished)" in logged


def test_quiet_failure_prints_only_the_summary_and_the_causes(tmp_path: Path, refused_port: int) -> None:
    result, _archive = crawl(tmp_path, f'[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:{refused_port}/"\n',
                             "--quiet")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        result.stderr.splitlines()[0],
        f"pressclips: outlet local: 2 requests, 0 pages, 2 failed: connection refused by 127.0.0.1:{refused_port}"]
    assert result.stderr.startswith("pressclips: run 1: failed (finished) — requests ")


def test_a_server_answering_503_to_everything_fails_the_run(tmp_path: Path, unavailable_server: str) -> None:
    result, archive = crawl(tmp_path, f'[[outlets]]\nname = "down"\nhomepage = "http://{unavailable_server}/"\n')
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    # robots.txt and the homepage, each answered 503 after its retries.
    cause = f"outlet down: 2 requests, 0 pages, 2 failed: HTTP 503 from {unavailable_server}"
    assert result.stderr.strip().splitlines()[-1] == f"pressclips: {cause}", result.stderr
    run = last_run(archive)
    assert run["status"] == "failed" and run["causes"] == [cause]


def test_one_failing_outlet_among_working_ones_stays_ok_and_quiet(tmp_path: Path, refused_port: int) -> None:
    site = LocalSite(outlets=1, pages_per_outlet=8).start()
    log_file = tmp_path / "crawl.log"
    try:
        result, archive = crawl(
            tmp_path, site.outlets_toml() + f'\n[[outlets]]\nname = "gone"\nhomepage = "http://127.0.0.1:{refused_port}/"\n',
            "--quiet", "--log-file", str(log_file))
    finally:
        site.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    assert (result.stdout, result.stderr) == ("", "")  # --quiet: nothing on success, for cron
    run = last_run(archive)
    cause = f"outlet gone: 2 requests, 0 pages, 2 failed: connection refused by 127.0.0.1:{refused_port}"
    assert run["status"] == "ok" and run["articles_new"] > 0
    assert run["causes"] == [cause]
    logged = log_file.read_text()
    assert f"INFO: {cause}" in logged and "run 1: ok (finished)" in logged
    # The only errors are the dead outlet's; the file keeps their tracebacks (DEBUG entries).
    errors = log_problems(logged, allowed=[rf"127\.0\.0\.1:{refused_port}"])
    assert [line for line in errors if "Traceback (most recent call last)" not in line] == []


def test_verbose_shows_scrapys_full_log_tracebacks_included(tmp_path: Path, refused_port: int) -> None:
    result, _archive = crawl(tmp_path, f'[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:{refused_port}/"\n',
                             "-v")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr  # -v is for debugging
    assert "[scrapy.core.engine] INFO: Spider opened" in result.stderr
