"""Shared pytest fixtures, and the one kit for running the ``pressclips`` CLI in tests.

``run_cli`` (a real subprocess) and ``invoke_cli`` (click's runner, in process) never let the
developer's ``PRESSCLIPS_ARCHIVE`` or ``PRESSCLIPS_DATABASE_URL`` reach the command: a test names its
archive with ``--archive``/``--database-url`` (or ``env=``), and one that forgets fails on a
nonexistent path instead of reading or writing someone's real archive. ``one_line_error`` is the
assertion every bad-input test makes.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.backends import BACKEND_ENV, PG_URL, backend, on_postgresql, postgresql_unavailable, with_database
from tests.localsite import LocalSite
from tests.paths import REPO

if TYPE_CHECKING:
    from click.testing import Result

# --- the backend the suite's archives live in (tests/backends.py) ---
def pytest_report_header() -> str:
    return f"archives on {backend()} ({BACKEND_ENV})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not on_postgresql():
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            why = marker.args[0] if marker.args else "about the SQLite archive file"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))
        elif _PG_SKIP:
            item.add_marker(pytest.mark.skip(reason=f"{BACKEND_ENV}=postgresql: {_PG_SKIP}"))


# --- the pressclips CLI ---
ISOLATED = {"PRESSCLIPS_ARCHIVE": "/nonexistent/pressclips-test-archive"}
DROPPED = ("PRESSCLIPS_ARCHIVE", "PRESSCLIPS_DATABASE_URL")



def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the developer's archive settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    return {**env, **ISOLATED, **(extra or {})}


def pressclips_argv(*args: str) -> list[str]:
    """The command line of ``pressclips ARGS`` for a test's own ``subprocess`` call (with the run's
    backend: ``tests/backends.py``); give it ``env=cli_env()``."""
    return [sys.executable, "-m", "archive.cli.main", *with_database(args)]


def run_cli(*args: str, cwd: Path | None = REPO, env: dict[str, str] | None = None, timeout: float = 300,
            binary: bool = False) -> subprocess.CompletedProcess[Any]:
    """``pressclips ARGS`` as a user runs it: a subprocess, no stdin, an isolated environment."""
    return subprocess.run([sys.executable, "-m", "archive.cli.main", *with_database(args)], capture_output=True,
                          text=not binary,
                          cwd=cwd, env=cli_env(env), timeout=timeout, stdin=subprocess.DEVNULL, check=False)


def invoke_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """``pressclips ARGS`` in this process through click's runner (fast), equally isolated."""
    from click.testing import CliRunner

    from archive.cli.main import main

    unset: dict[str, str | None] = {name: None for name in DROPPED}
    return CliRunner().invoke(main, with_database(args), env={**unset, **ISOLATED, **(env or {})}, catch_exceptions=False)


def one_line_error(result: subprocess.CompletedProcess[Any] | Result, code: int, *needles: str,
                   ignore_case: bool = False) -> str:
    """Assert the command failed the documented way: exit ``code``, exactly one line on stderr, of
    the form ``pressclips: error: …``, holding every needle, no traceback. Returns the line."""
    status = result.returncode if isinstance(result, subprocess.CompletedProcess) else result.exit_code
    stderr = result.stderr.decode() if isinstance(result.stderr, bytes) else result.stderr
    stdout = result.stdout.decode() if isinstance(result.stdout, bytes) else result.stdout
    assert status == code, (status, stdout[-500:], stderr[-1500:])
    assert "Traceback" not in stdout + stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pressclips: error: "), lines[0]
    for needle in needles:
        if ignore_case:
            assert needle.lower() in lines[0].lower(), (needle, lines[0])
        else:
            assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture
def read_only_copy(tmp_path: Path) -> Iterator[Any]:
    """``read_only_copy(src)``: a copy of directory ``src`` on a read-only file system.

    Tests run as root, which ignores permission bits, so a chmod proves nothing: the copy goes on a
    small tmpfs that is then remounted read-only (skipped, with the reason, where mounting is not
    allowed). Unmounted afterwards."""
    mounts: list[Path] = []

    def make(src: Path) -> Path:
        mount = tmp_path / f"ro-{len(mounts)}"
        mount.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs for a read-only archive: {done.stderr.strip() or done.returncode}")
        mounts.append(mount)
        shutil.copytree(src, mount / src.name)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True, capture_output=True)
        probe = mount / "probe"
        try:
            probe.touch()
        except OSError:
            return mount / src.name
        pytest.skip("the remounted tmpfs is still writable")
        raise AssertionError  # unreachable: skip raises

    try:
        yield make
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", str(mount)], capture_output=True, check=False)


# --- local site ---
@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A started two-outlet news site on 127.0.0.1 (see tests/localsite/), stopped afterwards."""
    site = LocalSite(outlets=2).start()
    try:
        yield site
    finally:
        site.stop()


# --- databases ---

_PG_SKIP = postgresql_unavailable()


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A private, empty schema on the test PostgreSQL, dropped afterwards; skips when absent."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, and a private schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.sqlite3'}"
        return
    with _pg_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A private schema on the test PostgreSQL (skipped, with the reason, when unreachable)."""
    with _pg_schema() as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Any]:
    """A store on a fresh database (SQLite and PostgreSQL) with the outlet ``outlet``."""
    from archive.db.engine import make_engine
    from archive.db.store import Store

    engine = make_engine(database_url)
    s = Store(engine)
    s.ensure_outlets([("outlet", "https://www.example-outlet.com/", ["www.example-outlet.com"])])
    yield s
    engine.dispose()


@pytest.fixture()
def dtd_server():
    """A 127.0.0.1 server that records every request: external entities must never reach it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            hits.append(self.path)
            body = b'<!ENTITY leak "NETWORK-ENTITY-EXPANDED">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
