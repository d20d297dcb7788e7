"""A requisite host whose robots.txt cannot be downloaded is a WARNING, not an ERROR (crawler.assets)."""

from __future__ import annotations

import logging

import pytest
import scrapy

from archive.db.kinds import CaptureKind
from crawler.assets import quiet_requisite_robots_failures

ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


def log_robots_error(request: scrapy.Request) -> None:
    # What Scrapy's RobotsTxtMiddleware logs when the robots.txt download fails.
    try:
        raise OSError("DNS lookup failed: no results for hostname lookup: cdn.example.")
    except OSError as exc:
        logging.getLogger(ROBOTS_LOGGER).error("Error downloading %(request)s: %(f_exception)s",
                                               {"request": request, "f_exception": exc}, exc_info=True)


@pytest.mark.parametrize(("meta", "level", "traceback"), [
    ({"pc_kind": CaptureKind.ASSET, "pc_outlet": "a"}, logging.WARNING, False),
    ({"pc_outlet": "a"}, logging.ERROR, True),  # an article page's robots.txt failing stays an error
])
def test_requisite_robots_failures_are_warnings(caplog: pytest.LogCaptureFixture, meta: dict[str, object],
                                                level: int, traceback: bool) -> None:
    quiet_requisite_robots_failures()
    quiet_requisite_robots_failures()  # idempotent: one filter however many crawls a process runs
    assert sum(type(f).__name__ == "RequisiteRobotsFailures"
               for f in logging.getLogger(ROBOTS_LOGGER).filters) == 1
    with caplog.at_level(logging.DEBUG, logger=ROBOTS_LOGGER):
        log_robots_error(scrapy.Request("https://cdn.example/site.css", meta=meta))
    [record] = caplog.records
    assert record.levelno == level and record.levelname == logging.getLevelName(level)
    assert (record.exc_info is not None) is traceback
