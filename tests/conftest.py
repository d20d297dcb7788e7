"""Shared pytest fixtures."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.localsite import LocalSite


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
import os  # noqa: E402
import uuid  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

PG_URL = os.environ.get("PRESSCLIPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_reason() -> str | None:
    """None when the test PostgreSQL answers, else why it is skipped."""
    try:
        import psycopg
    except ImportError:
        return "psycopg not installed (pip install 'pressclips[test]')"
    try:
        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means: not available here
        return f"PostgreSQL not reachable at {PG_URL}: {str(exc).strip().splitlines()[0]}"


_PG_SKIP = _pg_reason()


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
