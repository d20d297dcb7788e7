"""The read side: articles for export and reports, full-text search and its syntax, one article's
detail, versions and diffs.
"""


from archive.query.articles import (
    EXPORT_FIELDS,
    RUN_FIELDS,
    ArticleFilter,
    get_run,
    iter_articles,
    last_run_id,
    list_runs,
    outlet_stats,
    totals,
)
from archive.query.detail import article_detail
from archive.query.search import COUNT_CAP, HIGHLIGHT, SearchFilters, article_condition, parse_query, search
from archive.query.syntax import Query, parse
from archive.query.versions import diff_versions, list_versions

__all__ = [
    "ArticleFilter",
    "COUNT_CAP",
    "EXPORT_FIELDS",
    "HIGHLIGHT",
    "RUN_FIELDS",
    "SearchFilters",
    "article_condition",
    "article_detail",
    "diff_versions",
    "get_run",
    "iter_articles",
    "last_run_id",
    "list_runs",
    "list_versions",
    "outlet_stats",
    "parse",
    "parse_query",
    "Query",
    "search",
    "totals",
]
