"""Scrapy settings for pressclips: polite by default, every default overridable with ``-s NAME=VALUE``.

Every ``PRESSCLIPS_*`` setting is declared here, once, with its default; ``crawler.config``
validates them all (and the Scrapy settings we rely on) when a crawl starts, and refuses a
``PRESSCLIPS_*`` name that is not declared here (a typo would otherwise be silently ignored).
"""

from __future__ import annotations

from archive import __version__
from archive.config import ArchiveConfig

# -- pressclips' own settings ---------------------------------------------------------------------
PRESSCLIPS_OUTLETS = ""  # outlets TOML file; required: no default may send the crawler to the internet
PRESSCLIPS_ARCHIVE = ""  # archive directory; "" = $PRESSCLIPS_ARCHIVE or the XDG data dir
PRESSCLIPS_DATABASE_URL = ""  # SQLAlchemy URL; "" = $PRESSCLIPS_DATABASE_URL or SQLite inside the archive
PRESSCLIPS_WARC_ENABLED = True  # record every response to WARC
PRESSCLIPS_WARC_MAX_SIZE = ArchiveConfig.warc_max_size  # rotate WARC files past this many bytes
PRESSCLIPS_WARC_PREFIX = "pressclips"  # WARC file names start with this
PRESSCLIPS_EXTRACT_WORKERS = 0  # extraction processes; 0 = one per CPU
PRESSCLIPS_SINCE = ""  # ISO date/time: only articles published since (UTC unless an offset is given)
PRESSCLIPS_UNTIL = ""  # ISO date/time: only articles published until
PRESSCLIPS_PROGRESS = False  # a progress line on stderr every PRESSCLIPS_PROGRESS_INTERVAL seconds
PRESSCLIPS_PROGRESS_INTERVAL = 10.0
PRESSCLIPS_LOG_FILE = ""  # also log INFO and up to this (rotated) file
# Page requisites (crawler/assets.py): bytes of requisites first fetched for one page, and for the
# whole run; past a cap the remaining requisites are skipped (counted, logged once). 0 = no cap.
PRESSCLIPS_ASSET_PAGE_BYTES = 10 * 1024 * 1024
PRESSCLIPS_ASSET_RUN_BYTES = 2 * 1024 * 1024 * 1024
# Distributed crawl (pressclips crawl --distributed; archive.cluster, crawler.cluster): workers
# share a scrapy-redis queue at this Redis URL and write one PostgreSQL archive. "" = one process.
PRESSCLIPS_REDIS_URL = ""
PRESSCLIPS_UNTIL_IDLE = 0.0  # seconds the shared queue must stay empty before a worker exits; 0 = never
PRESSCLIPS_SEED_INTERVAL = 300.0  # seconds between two seedings (sitemaps, feeds, homepages) of a cycle

BOT_NAME = "pressclips"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

PRESSCLIPS_CONTACT = ""  # contact (URL or e-mail) put in the User-Agent
# Built by the spider from PRESSCLIPS_CONTACT unless USER_AGENT is set explicitly.
USER_AGENT = f"pressclips/{__version__} (press archive crawler; contact not configured)"

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
# AutoThrottle starts a slot without a delay of its own at max(DOWNLOAD_DELAY, this); Scrapy's
# 5 s default would hold every new host for 5 s. Starting at the polite floor is enough: the
# delay rises from there as soon as the server answers slowly. Outlet slots (DOWNLOAD_SLOTS)
# start at the outlet's own delay.
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
# A request that failed after its retries is one line on stderr, the spider's "fetch failed"
# warning (with the cause); Scrapy's own "Gave up retrying" ERROR for the same request would make
# it two. It stays in the log file (INFO), and 5xx answers are summed up per outlet at the end.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
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
    # robots.txt and other requests Scrapy makes itself wait in their outlet's slot too.
    "crawler.middlewares.slots.OutletSlotMiddleware": 50,
    "crawler.middlewares.warc.WarcRecorderMiddleware": 950,
    # After robots.txt (100) in process_request, so a requisite robots.txt forbids spends nothing;
    # above the recorder in process_response, so it counts the bytes as they came off the wire.
    "crawler.middlewares.assets.AssetBudgetMiddleware": 960,
    # Same slots as Scrapy's own: retries wait (backoff, Retry-After); redirects detect loops.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # Below the retries, so it counts only the robots.txt fetches they gave up on (crawler.faults).
    "crawler.faults.RobotsTxtFailureCounter": 540,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.redirect.LoopAwareRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.redirect.HeadOnlyMetaRefreshMiddleware": 580,
}
# Hostile responses (crawler/middlewares/retry.py, crawler/traps.py):
PRESSCLIPS_RETRY_BACKOFF = 1.0  # seconds before the first retry, doubling each time
PRESSCLIPS_RETRY_AFTER_MAX = 300  # a longer Retry-After is not waited for in this run
PRESSCLIPS_MAX_QUERY_VARIANTS = 20  # distinct ?query variants per path from link following; 0 = no cap
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
    # Owns the run's resources and the archive lock; before RunRecorder, which needs them open.
    "crawler.runtime.ArchiveRuntime": 100,
    "crawler.extensions.RunRecorder": 500,
    # Distributed crawl only (NotConfigured otherwise): heartbeats, seeding lease, reconciliation.
    "crawler.cluster.ClusterMember": 600,
    # After Scrapy's AutoThrottle (0), so its response_downloaded handler runs after AutoThrottle's.
    "crawler.throttle.OutletDelayFloor": 10,
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
