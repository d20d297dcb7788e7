"""When a sitemap or feed may be remembered as read, and what a re-request of a known document
or listing page may ask for.

Crash safety (DESIGN §4: discovery state commits with what it discovered): a sitemap's or feed's
validators are stored after the URLs it listed (they ride on its last ``UrlBatchItem``). A sitemap
*index* lists no URLs but child sitemaps, so it is remembered only once every child it scheduled
this run has been read and remembered, or has failed: ``SitemapIndexes`` holds each index's
``DocumentRead`` until then and hands it out, after its last child's own, for the same item. A
run killed before that leaves the index unremembered, so the next run reads it again in full
and reaches the children the killed run never read. An index one of whose children failed is
remembered without validators, so the next run asks for it unconditionally and retries the child.

Conditional re-requests: ``conditional_headers`` turns stored validators into request headers,
and ``previous_body`` gives a 304 listing page the body of the capture it confirms, so its links
are followed as if it had been sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from archive.db.frontier import DocumentRead
from archive.db.records import PreviousCapture
from archive.errors import WarcError
from archive.warc.reader import read_record


@dataclass
class _PendingIndex:
    read: DocumentRead
    parent: str | None  # the index that listed this one, if any
    children: set[str] = field(default_factory=set)
    child_failed: bool = False


class SitemapIndexes:
    """Sitemap indexes read this run whose children are still being read (per outlet)."""

    def __init__(self) -> None:
        self._pending: dict[str, _PendingIndex] = {}

    def index_read(self, read: DocumentRead, parent: str | None, children: set[str], *,
                   complete: bool = True) -> list[DocumentRead]:
        """An index was read and scheduled ``children`` (document URLs); ``complete`` is False when
        it listed children this run could not schedule (page budget spent). Returns the
        documents to remember now, in order: none while children are outstanding."""
        pending = _PendingIndex(read, parent, set(children), child_failed=not complete)
        if children:
            self._pending[read.url] = pending
            return []
        return [self._final(pending), *self._child_done(parent, read.url, ok=complete)]

    def finished(self, url: str, parent: str | None, read: DocumentRead | None) -> list[DocumentRead]:
        """Document ``url`` (listed by index ``parent``) is done: ``read`` when it was read, None
        when it failed. Returns it and every index this completes, innermost first: the order in
        which they must be stored."""
        done = [read] if read is not None else []
        return done + self._child_done(parent, url, ok=read is not None)

    def _child_done(self, parent: str | None, child: str, *, ok: bool) -> list[DocumentRead]:
        done: list[DocumentRead] = []
        while parent is not None and (pending := self._pending.get(parent)) is not None:
            pending.children.discard(child)
            pending.child_failed |= not ok
            if pending.children:
                break
            del self._pending[parent]
            done.append(self._final(pending))
            ok = not pending.child_failed
            child, parent = parent, pending.parent
        return done

    @staticmethod
    def _final(pending: _PendingIndex) -> DocumentRead:
        if pending.child_failed:
            # Remembered as read (its children's lastmod watermarks stand) but without
            # validators: the next run reads it in full and schedules the missing child again.
            return replace(pending.read, etag=None, last_modified=None)
        return pending.read

    def outstanding(self) -> int:
        return len(self._pending)


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def previous_body(warc_dir: Path, previous: PreviousCapture) -> bytes | None:
    """The decoded body of the capture a 304 confirmed, or None when it cannot be read back."""
    try:
        return read_record(warc_dir, previous.pointer).decoded_payload()
    except (WarcError, OSError):
        return None
