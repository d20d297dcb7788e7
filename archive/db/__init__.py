"""The database: models, the unit of work (``Database``), the write side (store), the crawl
frontier (every write to ``urls``), the closed vocabularies (kinds), the full-text index and the
schema migrations (``archive.db.migrate``, Alembic).
"""


from archive.db.engine import make_engine
from archive.db.frontier import Frontier
from archive.db.kinds import CaptureKind, PageOutcome, ReextractOutcome, RunStatus
from archive.db.models import Article, ArticleVersion, Base, Capture, CrawlRun, Outlet, UrlState
from archive.db.records import CaptureRecord, DocumentState, DueUrl, PageResult, PreviousCapture, UrlSighting, Window
from archive.db.session import Database, database_error, reading, translated
from archive.db.store import Store

__all__ = [
    "Article",
    "ArticleVersion",
    "Base",
    "Capture",
    "CaptureKind",
    "CaptureRecord",
    "CrawlRun",
    "Database",
    "DocumentState",
    "DueUrl",
    "Frontier",
    "Outlet",
    "PageOutcome",
    "PageResult",
    "PreviousCapture",
    "ReextractOutcome",
    "RunStatus",
    "Store",
    "UrlSighting",
    "UrlState",
    "Window",
    "database_error",
    "make_engine",
    "reading",
    "translated",
]
