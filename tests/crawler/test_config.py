"""Settings validation (crawler.config): typed defaults, one-line errors, unknown names refused,
and every PRESSCLIPS_* name the crawler reads declared once in crawler/settings.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.settings import Settings

from archive.errors import ConfigError
from crawler import run
from crawler import settings as project
from crawler.config import CrawlConfig, declared_names
from tests.crawler.crawlerkit import write_outlets_file

CRAWLER_DIR = Path(project.__file__).parent


def settings_with(tmp_path: Path, **values: object) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("PRESSCLIPS_OUTLETS", str(write_outlets_file(tmp_path)), priority="cmdline")
    settings.set("PRESSCLIPS_ARCHIVE", str(tmp_path / "archive"), priority="cmdline")
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    return settings


def test_defaults_become_a_typed_config(tmp_path: Path) -> None:
    config = CrawlConfig.from_settings(settings_with(tmp_path))
    assert config.archive.root == (tmp_path / "archive").absolute()
    assert config.archive.warc_max_size == project.PRESSCLIPS_WARC_MAX_SIZE
    assert [o.name for o in config.outlets] == ["local"]
    assert config.warc_enabled and config.warc_prefix == "pressclips"
    assert config.retry_backoff == project.PRESSCLIPS_RETRY_BACKOFF
    assert config.max_query_variants == project.PRESSCLIPS_MAX_QUERY_VARIANTS
    assert config.since is None and config.log_file is None and not config.progress
    assert (config.asset_page_bytes, config.asset_run_bytes) == (10 * 2**20, 2 * 2**30)
    with pytest.raises(AttributeError):
        config.warc_prefix = "x"  # type: ignore[misc]  # frozen


def test_command_line_values_are_parsed(tmp_path: Path) -> None:
    config = CrawlConfig.from_settings(settings_with(
        tmp_path, PRESSCLIPS_WARC_MAX_SIZE="5000", PRESSCLIPS_WARC_ENABLED="False",
        PRESSCLIPS_SINCE="2024-05-01", PRESSCLIPS_PROGRESS="1", PRESSCLIPS_PROGRESS_INTERVAL="0.5"))
    assert config.archive.warc_max_size == 5000 and not config.warc_enabled
    assert config.since is not None and config.since.isoformat() == "2024-05-01T00:00:00+00:00"
    assert config.progress and config.progress_interval == 0.5


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PRESSCLIPS_WARC_MAX_SIZE", "abc", "PRESSCLIPS_WARC_MAX_SIZE='abc': expected a whole number"),
    ("PRESSCLIPS_WARC_MAX_SIZE", "0", "PRESSCLIPS_WARC_MAX_SIZE=0: must be at least 1"),
    ("PRESSCLIPS_EXTRACT_WORKERS", "-1", "PRESSCLIPS_EXTRACT_WORKERS=-1: must be at least 0"),
    ("PRESSCLIPS_RETRY_BACKOFF", "nan", "PRESSCLIPS_RETRY_BACKOFF='nan': must be zero or more"),
    ("PRESSCLIPS_WARC_ENABLED", "perhaps", "PRESSCLIPS_WARC_ENABLED='perhaps': expected true or false"),
    ("PRESSCLIPS_UNTIL", "tomorrow", "PRESSCLIPS_UNTIL='tomorrow': expected an ISO date"),
    ("PRESSCLIPS_WARC_PREFIX", "../x", "PRESSCLIPS_WARC_PREFIX='../x'"),
    ("DOWNLOAD_DELAY", "abc", "DOWNLOAD_DELAY='abc': expected a number of seconds"),
    ("DOWNLOAD_DELAY", "-0.5", "DOWNLOAD_DELAY='-0.5': must be zero or more"),
    ("CONCURRENT_REQUESTS_PER_DOMAIN", "-1", "CONCURRENT_REQUESTS_PER_DOMAIN=-1: must be at least 1"),
    ("CONCURRENT_REQUESTS", "many", "CONCURRENT_REQUESTS='many': expected a whole number"),
    ("AUTOTHROTTLE_TARGET_CONCURRENCY", "0", "AUTOTHROTTLE_TARGET_CONCURRENCY='0': must be positive"),
    ("AUTOTHROTTLE_ENABLED", "yes please", "AUTOTHROTTLE_ENABLED='yes please': expected true or false"),
    ("DOWNLOAD_TIMEOUT", "0", "DOWNLOAD_TIMEOUT='0': must be positive"),
    ("RETRY_TIMES", "-2", "RETRY_TIMES=-2: must be at least 0"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD': expected one of"),
    ("PRESSCLIPS_ASSET_PAGE_BYTES", "lots", "PRESSCLIPS_ASSET_PAGE_BYTES='lots': expected a whole number"),
    ("PRESSCLIPS_ASSET_RUN_BYTES", "-1", "PRESSCLIPS_ASSET_RUN_BYTES=-1: must be at least 0"),
])
def test_bad_values_are_one_line_config_errors(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CrawlConfig.from_settings(settings_with(tmp_path, **{name: value}))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_pressclips_name_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting PRESSCLIPS_CONTATC \(did you mean PRESSCLIPS_CONTACT\?\)"):
        CrawlConfig.from_settings(settings_with(tmp_path, PRESSCLIPS_CONTATC="mailto:x@example.org"))
    with pytest.raises(ConfigError, match="unknown setting PRESSCLIPS_ZZZZZZZZ$") as caught:
        CrawlConfig.from_settings(settings_with(tmp_path, PRESSCLIPS_ZZZZZZZZ="1"))
    assert caught.value.hint and "crawler/settings.py" in caught.value.hint


def test_outlets_file_is_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no outlets file"):
        CrawlConfig.from_settings(settings_with(tmp_path, PRESSCLIPS_OUTLETS=""))


def test_every_pressclips_setting_the_crawler_reads_is_declared_without_an_inline_default() -> None:
    used: set[str] = set()
    for path in CRAWLER_DIR.rglob("*.py"):
        source = path.read_text()
        used |= set(re.findall(r'"(PRESSCLIPS_[A-Z_]+)"', source))
        inline = re.findall(r'get\w*\(\s*"PRESSCLIPS_[A-Z_]+"\s*,', source)
        assert not inline, f"{path.name}: defaults belong in crawler/settings.py: {inline}"
    assert used, "the scan found no setting names"
    assert used <= declared_names(), sorted(used - declared_names())


def test_runner_exits_2_with_one_line_before_starting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outlets = write_outlets_file(tmp_path)
    archive = tmp_path / "archive"
    for bad in ("PRESSCLIPS_CONTATC=x", "PRESSCLIPS_WARC_MAX_SIZE=abc", "DOWNLOAD_DELAY=abc", "oops"):
        code = run.main(["-s", f"PRESSCLIPS_OUTLETS={outlets}", "-s", f"PRESSCLIPS_ARCHIVE={archive}", "-s", bad])
        err = capsys.readouterr().err
        assert code == 2, err
        assert len(err.strip().splitlines()) == 1 and err.startswith("pressclips: error: ")
    assert not archive.exists()  # nothing was opened
