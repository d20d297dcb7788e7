"""The database: models, engine, the write side (store), the crawl frontier (every write to ``urls``) and the full-text index.
"""


from archive.db.engine import make_engine
from archive.db.frontier import DocumentState, DueUrl, Frontier, PreviousCapture, UrlSighting, Window
from archive.db.models import Article, ArticleVersion, Base, Capture, CrawlRun, Outlet, UrlState
from archive.db.store import CaptureRecord, PageResult, Store

__all__ = [
    "Article",
    "ArticleVersion",
    "Base",
    "Capture",
    "CaptureRecord",
    "CrawlRun",
    "DocumentState",
    "DueUrl",
    "Frontier",
    "Outlet",
    "PageResult",
    "PreviousCapture",
    "Store",
    "UrlSighting",
    "UrlState",
    "Window",
    "make_engine",
]
