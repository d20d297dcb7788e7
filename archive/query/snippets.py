"""Snippets the database cannot make: around substring matches (CJK terms, which the word index
does not hold, so neither FTS5's ``snippet()`` nor ``ts_headline`` can mark them)."""

from __future__ import annotations

import re


def substring_snippet(body: str, needles: list[str], marks: tuple[str, str], width: int, ellipsis: str) -> str:
    """About ``width`` characters of ``body`` around the first needle found (case-insensitive), every
    needle in it marked with ``marks``; the start of the text when none occurs."""
    flat = " ".join(body.split())
    wanted = sorted({n for n in needles if n}, key=len, reverse=True)  # longest first: no nested marks
    pattern = re.compile("|".join(re.escape(n) for n in wanted), re.IGNORECASE) if wanted else None
    first = pattern.search(flat) if pattern else None
    start = 0 if first is None else max(0, first.start() - width // 3)
    window = flat[start:start + width]
    if pattern is not None:
        window = pattern.sub(lambda m: marks[0] + m.group(0) + marks[1], window)
    return (ellipsis if start else "") + window + (ellipsis if start + width < len(flat) else "")
