"""PostgreSQL pool settings: defaults that suit many workers, overridable in the database URL, and a
bad value is one line with exit 2."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from archive.db.engine import make_engine
from archive.db.pool import POOL_DEFAULTS, postgres_engine_options
from archive.errors import ConfigError
from tests.conftest import one_line_error, run_cli

BASE = "postgresql+psycopg://u@127.0.0.1:5432/press"


def test_defaults_and_overrides_from_the_url() -> None:
    url, options = postgres_engine_options(BASE)
    assert options["pool_size"] == 4 and options["max_overflow"] == 4 and options["pool_pre_ping"] is True
    assert options["pool_recycle"] == 1800 and options["connect_args"]["connect_timeout"] == 10
    assert options["connect_args"]["application_name"].startswith("pressclips:")
    assert not url.query

    url, options = postgres_engine_options(
        BASE + "?pool_size=2&max_overflow=0&pool_pre_ping=off&pool_recycle=60&pool_timeout=2.5"
        "&application_name=worker-7&connect_timeout=3&sslmode=disable")
    assert {k: options[k] for k in POOL_DEFAULTS} == {
        "pool_size": 2, "max_overflow": 0, "pool_pre_ping": False, "pool_recycle": 60, "pool_timeout": 2.5}
    # libpq's own options stay in the URL for the driver; no default is added over them
    assert dict(url.query) == {"application_name": "worker-7", "connect_timeout": "3", "sslmode": "disable"}
    assert options["connect_args"] == {}


@pytest.mark.parametrize("query", ["pool_size=many", "max_overflow=-1", "pool_pre_ping=maybe", "pool_timeout=0"])
def test_a_bad_pool_option_is_a_configuration_error(query: str) -> None:
    key = query.split("=")[0]
    with pytest.raises(ConfigError, match=f"database URL option {key}"):
        postgres_engine_options(f"{BASE}?{query}")


def test_the_settings_reach_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url + "&pool_size=2&max_overflow=1&application_name=pressclips-pool-test")
    try:
        assert engine.pool.size() == 2  # type: ignore[attr-defined]
        with engine.connect() as conn:
            name = conn.execute(text("SELECT current_setting('application_name')")).scalar()
        assert name == "pressclips-pool-test"
    finally:
        engine.dispose()
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_setting('application_name')")).scalar().startswith("pressclips:")
    finally:
        engine.dispose()
    bad = run_cli("stats", "--database-url", postgres_url + "&pool_size=lots")
    one_line_error(bad, 2, "pool_size")
