"""Which requisite references are worth a request: absolute http(s) URLs, fragment dropped."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def fetchable(url: str) -> str | None:
    """``url`` without its fragment when it is an http(s) URL with a host, else None
    (``data:``, ``javascript:``, ``blob:``, ``about:`` and malformed references)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))
