"""Scrapy settings for pressclips: polite by default, every default overridable with ``-s NAME=VALUE``.

Our own settings are prefixed ``PRESSCLIPS_``:

- ``PRESSCLIPS_OUTLETS``       outlets TOML file (default: the bundled starter file)
- ``PRESSCLIPS_ARCHIVE``       archive directory (default: ``$PRESSCLIPS_ARCHIVE`` or the XDG data dir)
- ``PRESSCLIPS_DATABASE_URL``  SQLAlchemy URL (default: SQLite inside the archive directory)
- ``PRESSCLIPS_WARC_MAX_SIZE`` rotate WARC files past this many bytes
- ``PRESSCLIPS_WARC_ENABLED``  record WARCs (default True)
- ``PRESSCLIPS_EXTRACT_WORKERS`` extraction processes (default: CPU count)
- ``PRESSCLIPS_CONTACT``       contact (URL or e-mail) put in the User-Agent
- ``PRESSCLIPS_RECHECK_SHARE`` share of each outlet's page budget for re-checking known articles (0.1)
"""

from __future__ import annotations

from archive import __version__

BOT_NAME = "pressclips"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

PRESSCLIPS_CONTACT = ""
# Built by the spider from PRESSCLIPS_CONTACT unless USER_AGENT is set explicitly.
USER_AGENT = f"pressclips/{__version__} (press archive crawler; contact not configured)"

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 15 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
COOKIES_ENABLED = False

# Only encodings warcio and pywb can replay (DESIGN §4): no br, no zstd.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",
}

# The asyncio reactor was measured not to hold CONCURRENT_REQUESTS_PER_DOMAIN; epoll does (DESIGN §4).
TWISTED_REACTOR = "twisted.internet.epollreactor.EPollReactor"

# No listening ports: telnet console and remote control off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Non-2xx pages reach the spider so their URL state is stored (a 404/410 is news too).
HTTPERROR_ALLOW_ALL = True

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.warc.WarcRecorderMiddleware": 950,
    # Same slots as Scrapy's own: retries wait (backoff, Retry-After); redirects detect loops.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.redirect.LoopAwareRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.redirect.HeadOnlyMetaRefreshMiddleware": 580,
}
# Hostile responses (crawler/middlewares/retry.py, crawler/traps.py):
PRESSCLIPS_RETRY_BACKOFF = 1.0  # seconds before the first retry, doubling each time
PRESSCLIPS_RETRY_AFTER_MAX = 300  # a longer Retry-After is not waited for in this run
PRESSCLIPS_MAX_QUERY_VARIANTS = 20  # distinct ?query variants per path from link following
# Share of each outlet's page budget (max_pages) spent re-checking known articles whose recrawl
# schedule has ended, least recently fetched first (edits nobody announced, pages now gone).
PRESSCLIPS_RECHECK_SHARE = 0.1
# A body shorter than its Content-Length is kept (flagged, archived, retried, stored as
# "truncated") instead of vanishing as a download error.
DOWNLOAD_FAIL_ON_DATALOSS = False
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.RunRecorder": 500,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.OutletAutoThrottle": 0,
}

# Scrapy starts CONCURRENT_ITEMS cooperative tasks per response; our callbacks yield one page
# item each, so Scrapy's default of 100 was measured as pure reactor overhead (~20% of it).
CONCURRENT_ITEMS = 8

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Outlets share the scheduler fairly: requests are handed out per download slot (one per outlet).
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
# The frontier in the database deduplicates pages; Scrapy's fingerprint set would grow with the crawl.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
