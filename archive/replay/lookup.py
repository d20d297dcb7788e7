"""Replay's read side: which capture a request means, and what that capture says.

Owns capture lookup (by capture ID, article ID, or URL matched exactly and through its
canonical form, closest to a time; timestamps and URL forms are parsed by
``archive.replay.target``), revisit resolution, body decoding, and the WARC path check.

Revisit resolution, first hit wins: the row's ``refers_to_id``; the record's ``WARC-Refers-To``
(a record ID); ``WARC-Refers-To-Target-URI`` + ``WARC-Refers-To-Date``; the same URL with the
same payload digest, closest in time. An ``identical-payload-digest`` revisit keeps its own
status and headers (the payload is the original's), as pywb does; a ``server-not-modified``
(304) revisit, or one without an HTTP head, takes status and headers from the original
response, so a client that never sent a conditional request gets the page, not a bare 304.

Only files named by capture rows are read, and only after the path, symlinks resolved, is
found inside the archive's WARC directory. No HTTP here: ``archive.replay.server`` serves this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dateutil import parser as dateparser
from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.orm import Session

from archive.db.kinds import CaptureKind
from archive.db.models import Article, Capture, UrlState
from archive.db.session import reading
from archive.errors import ArchiveError, ConfigError, NotFoundError, WarcError
from archive.replay.target import timestamp14, url_variants
from archive.urls import canonicalize
from archive.warc.paths import safe_warc_path
from archive.warc.reader import StoredRecord, WarcPointer, read_record

_MAX_REVISIT_DEPTH = 5  # a revisit of a revisit of ...: bounded, so a cycle cannot loop
_NEIGHBOURS = 5  # captures tried on each side of the wanted time when the closest is unreadable
NOT_MODIFIED_PROFILE = "server-not-modified"
_SECOND = timedelta(seconds=1)


class CaptureNotFound(NotFoundError):
    """No capture matches, or a revisit's payload is not in the archive (HTTP 404)."""


@dataclass(frozen=True)
class CaptureInfo:
    """One captures row, detached from its session."""

    id: int
    url: str
    fetched_at: datetime
    status: int
    mime: str | None
    kind: str | None
    pointer: WarcPointer
    refers_to_id: int | None
    article_id: int | None

    @property
    def timestamp(self) -> str:
        return timestamp14(self.fetched_at)

    @classmethod
    def of(cls, row: Capture) -> CaptureInfo:
        return cls(row.id, row.url, row.fetched_at, row.status, row.mime, row.kind, row.pointer, row.refers_to_id,
                   row.article_id)


@dataclass(frozen=True)
class Resolved:
    """A capture ready to replay: the status and headers to show, and the stored payload.

    ``headers`` are the archived HTTP headers as recorded (Content-Encoding, Transfer-Encoding
    and all); ``payload`` is exactly as stored. ``payload_record`` is the record that holds the
    payload (the capture's own, or a revisit's original), whose headers say how it is encoded.
    """

    capture: CaptureInfo
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    payload_record: StoredRecord
    original: CaptureInfo | None = None  # set for revisits: the capture holding the payload

    @property
    def payload(self) -> bytes:
        return self.payload_record.payload

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    def body(self) -> bytes:
        """The usable entity body: de-chunked if it is still chunk-framed, and with gzip/deflate
        Content-Encoding removed. Raises ``WarcError`` for an encoding we cannot decode."""
        record = self.payload_record
        return replace(record, payload=_dechunked(record)).decoded_payload()

    def status_line(self) -> str:
        return f"{self.http_version} {self.status} {self.reason}".rstrip()


# -- WARC access ---------------------------------------------------------------------------------
def dechunk(data: bytes) -> bytes | None:
    """Undo HTTP/1.1 chunked framing; None when ``data`` is not validly chunked (then it is
    most likely already de-chunked, as Twisted stores it, and is used as it is)."""
    out: list[bytes] = []
    pos = 0
    while True:
        eol = data.find(b"\n", pos)
        if eol < 0:
            return None
        size_text = data[pos:eol].rstrip(b"\r").split(b";", 1)[0].strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text) or len(size_text) > 16:
            return None
        size = int(size_text, 16)
        start = eol + 1
        if size == 0:
            return b"".join(out)  # trailers, if any, are not part of the body
        end = start + size
        if end > len(data):
            return None
        out.append(data[start:end])
        if data[end:end + 2] == b"\r\n":
            pos = end + 2
        elif data[end:end + 1] == b"\n":
            pos = end + 1
        else:
            return None


def _dechunked(record: StoredRecord) -> bytes:
    codings = ",".join(v for k, v in record.http_headers if k.lower() == "transfer-encoding").lower()
    if "chunked" in codings:
        plain = dechunk(record.payload)
        if plain is not None:
            return plain
    return record.payload


# -- lookup and resolution -----------------------------------------------------------------------
class Replayer:
    """Finds and resolves captures of one archive (its engine and WARC directory)."""

    def __init__(self, engine: Engine, warc_dir: Path) -> None:
        self.engine = engine
        self.warc_dir = Path(warc_dir)

    # lookups return candidates best first; ``resolve_first`` tries them in that order, as pywb
    # tries the next index line when a record cannot be loaded.
    def capture(self, capture_id: int) -> CaptureInfo:
        with reading(self.engine, f"looking up capture {capture_id}") as session:
            row = session.get(Capture, capture_id)
            if row is None:
                raise CaptureNotFound(f"no capture {capture_id}")
            return CaptureInfo.of(row)

    def by_url(self, url: str, at: datetime | None = None) -> list[CaptureInfo]:
        """Captures of ``url`` (scheme optional; exact, then same canonical form, either scheme),
        closest to ``at`` first (latest first without ``at``)."""
        variants = url_variants(url)
        with reading(self.engine, f"looking up captures of {url}") as session:
            canon = {canonicalize(v) for v in variants}
            known = set(session.scalars(select(UrlState.url).where(UrlState.canonical_url.in_(canon))))
            urls = sorted(set(variants) | canon | known)
            rows = self._around(session, Capture.url.in_(urls), at)
        exact = set(variants)
        return _rank(rows, at, lambda c: 0 if c.url in exact else 1)

    def by_article(self, article_id: int, at: datetime | None = None) -> list[CaptureInfo]:
        """Captures of an article: those of its own URL before AMP or other variants, each group
        closest to ``at`` first (latest first without ``at``)."""
        with reading(self.engine, f"looking up captures of article {article_id}") as session:
            key = session.scalar(select(Article.url_key).where(Article.id == article_id))
            if key is None:
                raise CaptureNotFound(f"no article {article_id}")
            rows = [CaptureInfo.of(r) for r in session.scalars(
                select(Capture).where(Capture.article_id == article_id))]
        return _rank(rows, at, lambda c: 0 if canonicalize(c.url) == key else 1, group_first=True)

    def lookup(self, target: str, at: datetime | None = None) -> list[CaptureInfo]:
        """The CLI's target grammar: ``capture:N``, ``article:N`` or a bare number (an article
        ID, as ``search`` and ``show`` print), else a URL."""
        text = target.strip()
        kind, _, number = text.partition(":")
        if kind in ("capture", "article") and number.isdigit():
            found = [self.capture(int(number))] if kind == "capture" else self.by_article(int(number), at)
        elif text.isdigit():
            found = self.by_article(int(text), at)
        elif "." in text or "/" in text:
            found = self.by_url(text, at)
        else:
            raise ConfigError(f"not an ID or URL: {target!r}",
                              hint="give an article ID, capture:ID, or a URL")
        if not found:
            raise CaptureNotFound(f"no capture of {text}")
        return found

    def resolve_first(self, candidates: list[CaptureInfo]) -> Resolved:
        """Resolve the first candidate that resolves; re-raise the first failure if none does."""
        if not candidates:
            raise CaptureNotFound("no capture")
        first_error: ArchiveError | CaptureNotFound | None = None
        for capture in candidates[: 2 * _NEIGHBOURS]:
            try:
                return self.resolve(capture)
            except (CaptureNotFound, WarcError) as exc:
                first_error = first_error or exc
        assert first_error is not None
        raise first_error

    def resolve(self, capture: CaptureInfo) -> Resolved:
        with reading(self.engine, f"resolving capture {capture.id}") as session:
            record = self._read(capture)
            if record.rec_type == "response":
                return _resolved(capture, record, record, None)
            if record.rec_type != "revisit":
                raise WarcError(f"capture {capture.id} is a {record.rec_type!r} record, not a response")
            original, payload = self._original(session, capture, record, depth=0)
        profile = record.warc_header("WARC-Profile") or ""
        use_original_head = record.status is None or not record.http_headers or (
            profile.endswith(NOT_MODIFIED_PROFILE) or record.status == 304)
        return _resolved(capture, payload if use_original_head else record, payload, original)

    # -- internals -------------------------------------------------------------------------------
    def _read(self, capture: CaptureInfo) -> StoredRecord:
        pointer = capture.pointer
        safe_warc_path(self.warc_dir, pointer.file)
        record = read_record(self.warc_dir, pointer.file, pointer.offset, pointer.length)
        if record.record_id != pointer.record_id:
            raise WarcError(f"capture {capture.id}: the record at its pointer is {record.record_id}")
        return record

    def _original(self, session: Session, capture: CaptureInfo, record: StoredRecord,
                  depth: int) -> tuple[CaptureInfo, StoredRecord]:
        if depth >= _MAX_REVISIT_DEPTH:
            raise CaptureNotFound(f"revisit chain from capture {capture.id} is too long")
        for candidate in self._original_candidates(session, capture, record):
            if candidate.id == capture.id:
                continue
            try:
                found = self._read(candidate)
            except WarcError:
                continue  # try the next way of finding it, as pywb tries the next index line
            if found.rec_type == "response":
                return candidate, found
            if found.rec_type == "revisit":
                try:
                    return self._original(session, candidate, found, depth + 1)
                except CaptureNotFound:
                    continue
        raise CaptureNotFound(f"the payload of revisit capture {capture.id} ({capture.url}) is not in the archive")

    def _original_candidates(self, session: Session, capture: CaptureInfo,
                             record: StoredRecord) -> Iterator[CaptureInfo]:
        def rows(*conditions: ColumnElement[bool]) -> list[CaptureInfo]:
            return [CaptureInfo.of(r) for r in session.scalars(select(Capture).where(*conditions).limit(20))]

        if capture.refers_to_id is not None:
            yield from rows(Capture.id == capture.refers_to_id)
        refers_to = record.warc_header("WARC-Refers-To")
        if refers_to:
            yield from rows(Capture.warc_record_id == refers_to)
        target = record.warc_header("WARC-Refers-To-Target-URI")
        date = _warc_date(record.warc_header("WARC-Refers-To-Date"))
        if target and date is not None:
            # the row keeps microseconds; a WARC date may not: match within the stated precision
            yield from _rank(rows(Capture.url == target, Capture.fetched_at >= date.replace(microsecond=0),
                                  Capture.fetched_at < date.replace(microsecond=0) + _SECOND), date, None)
        digest = record.warc_header("WARC-Payload-Digest") or capture.pointer.payload_digest
        if digest:
            same = rows(Capture.url.in_({capture.url, target or capture.url}), Capture.payload_digest == digest,
                        Capture.kind.is_distinct_from(CaptureKind.REVISIT))
            # an original comes before its revisit: prefer the closest earlier one
            yield from _rank(same, capture.fetched_at, lambda c: 0 if c.fetched_at <= capture.fetched_at else 1,
                             group_first=True)

    def _around(self, session: Session, condition: ColumnElement[bool], at: datetime | None) -> list[CaptureInfo]:
        """The captures nearest ``at`` on each side (latest ones without ``at``): two small
        indexed queries rather than loading every capture of a much-recaptured URL."""
        base = select(Capture).where(condition)
        if at is None:
            found = session.scalars(base.order_by(Capture.fetched_at.desc(), Capture.id.desc()).limit(2 * _NEIGHBOURS))
            return [CaptureInfo.of(r) for r in found]
        before = session.scalars(base.where(Capture.fetched_at <= at)
                                 .order_by(Capture.fetched_at.desc(), Capture.id.desc()).limit(_NEIGHBOURS))
        after = session.scalars(base.where(Capture.fetched_at > at)
                                .order_by(Capture.fetched_at.asc(), Capture.id.desc()).limit(_NEIGHBOURS))
        return [CaptureInfo.of(r) for r in [*before, *after]]


def _rank(rows: list[CaptureInfo], at: datetime | None, group: Callable[[CaptureInfo], int] | None, *,
          group_first: bool = False) -> list[CaptureInfo]:
    """Closest to ``at`` first (latest first without it); ``group`` breaks ties, or comes first
    when ``group_first``; the newer capture wins what is left."""
    def distance(c: CaptureInfo) -> float:
        return -c.fetched_at.timestamp() if at is None else abs((c.fetched_at - at).total_seconds())

    def key(c: CaptureInfo) -> tuple[float, ...]:
        g = group(c) if group else 0
        return (g, distance(c), -c.id) if group_first else (distance(c), g, -c.id)

    return sorted({c.id: c for c in rows}.values(), key=key)


def _warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        return None
    result: datetime = parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return result


def _resolved(capture: CaptureInfo, head: StoredRecord, payload: StoredRecord,
              original: CaptureInfo | None) -> Resolved:
    line = head.status_line or ""
    parts = line.split(" ", 2)
    version = parts[0] if parts and parts[0].startswith("HTTP/") else "HTTP/1.1"
    status = head.status if head.status is not None else capture.status
    reason = parts[2] if len(parts) > 2 else ""
    return Resolved(capture=capture, status=status, reason=reason, http_version=version,
                    headers=list(head.http_headers), payload_record=payload, original=original)
