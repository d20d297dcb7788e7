"""pressclips archive: database, WARC store, extraction, query and CLI (no Scrapy imports here)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__`` on first use: importlib.metadata costs ~40 ms, which every ``pressclips
    --help`` paid when it was read at import."""
    if name != "__version__":
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pressclips")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0+checkout"
