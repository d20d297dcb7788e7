"""A real Scrapy ``Crawler`` with the project's settings, for testing components without a crawl
(``scrapy.utils.test.get_crawler``): extensions built, optionally the engine, nothing fetched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project
from crawler.spiders.press import PressSpider
from tests.backends import archive_url, on_postgresql


def project_settings(**overrides: Any) -> dict[str, Any]:
    """``crawler.settings`` as a dict, with ``overrides``. The reactor is left to get_crawler,
    which matches whatever reactor this test process has installed."""
    values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    values.pop("TWISTED_REACTOR", None)
    values.update(overrides)
    return values


def write_outlets_file(tmp_path: Path, body: str = "") -> Path:
    path = tmp_path / "outlets.toml"
    path.write_text(body or '[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n')
    return path


def project_crawler(tmp_path: Path, *, outlets: str = "", **overrides: Any) -> Crawler:
    """A crawler of the press spider over an archive in ``tmp_path``; extensions are built."""
    archive = tmp_path / "archive"
    database = archive_url(archive) if on_postgresql() else ""  # "": the archive's own SQLite file
    settings = project_settings(PRESSCLIPS_OUTLETS=str(write_outlets_file(tmp_path, outlets)),
                                PRESSCLIPS_ARCHIVE=str(archive), PRESSCLIPS_DATABASE_URL=database,
                                PRESSCLIPS_EXTRACT_WORKERS=1, **overrides)
    return get_crawler(PressSpider, settings)


def a_spider(crawler: Crawler | None = None) -> Spider:
    """A plain spider for signals; bound to ``crawler`` when given (Scrapy helpers read
    ``spider.crawler``)."""
    return Spider.from_crawler(crawler, name="press") if crawler is not None else Spider(name="press")
