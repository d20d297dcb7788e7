"""Writing the WARC store: a rotating WARC/1.1 writer (``WarcWriter``) and ``HttpExchange``.

This is the only module that imports warcio. Owns response/request pairs, revisit and metadata
records, one gzip member per record, files named ``{prefix}-{UTC timestamp}-{pid}-{serial}.warc.gz``
(a distributed worker's: ``{prefix}-{UTC timestamp}-{serial}-{host}-{pid}.warc.gz``, unique across hosts)
and written as ``NAME.open`` (under an exclusive ``flock``) until closed or rotated, and rollback
of a failed write so no partial record remains. Each write returns a ``WarcPointer``.

Reading lives in ``archive.warc.reader`` (warcio-free).

HTTP header strings are the ISO-8859-1 decoding of the wire bytes (as ``http.client`` does);
they are written back byte for byte, so headers read back equal the headers given.
"""

from __future__ import annotations

import errno
import fcntl
import http
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive.errors import WarcError
from archive.warc.reader import (
    OPEN_SUFFIX,
    WarcPointer,
    _digest,
    _first,
    _fsync_dir,
)

GZIP_LEVEL = 6
REVISIT_PROFILES = {
    "identical-payload-digest": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "server-not-modified": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}
_REASONS = {s.value: s.phrase for s in http.HTTPStatus}


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request/response as seen on the wire; no Scrapy types."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    body: bytes  # still content-encoded, already de-chunked
    fetched_at: datetime  # tz-aware
    ip_address: str | None = None


class _Latin1Head(StatusAndHeaders):  # type: ignore[misc]  # warcio ships no type hints
    """An HTTP head serialised byte for byte; warcio would percent-encode non-ASCII values."""

    def to_ascii_bytes(self, filter_func: Callable[..., Any] | None = None) -> bytes:
        text: str = self.to_str(filter_func)
        try:
            return text.encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:  # not from the wire; keep it readable rather than fail
            return text.encode("utf-8") + b"\r\n"


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest a response record with this entity body would carry."""
    return _digest(body)


def _check_fields(fields: list[tuple[str, str]] | dict[str, str], what: str) -> None:
    items = fields.items() if isinstance(fields, dict) else fields
    for name, value in items:
        if not name or ":" in name or any(c in f"{name}{value}" for c in "\r\n"):
            raise WarcError(f"invalid {what} {name!r}: {value!r}")


def _warc_date(when: datetime) -> str:
    if when.tzinfo is None or when.utcoffset() is None:
        raise WarcError(f"fetched_at must be timezone-aware, got {when!r}")
    utc = when.astimezone(timezone.utc).replace(tzinfo=None)
    return str(datetime_to_iso_date(utc, use_micros=True))


def _new_id() -> str:
    return f"<urn:uuid:{uuid4()}>"


class WarcWriter:
    """Appends records to ``{directory}/{name}.open``; rotates after ``max_size`` bytes."""

    def __init__(self, directory: Path, *, prefix: str = "pressclips",
                 max_size: int = 1_000_000_000, warcinfo: dict[str, str] | None = None,
                 gzip: bool = True, worker: str | None = None) -> None:
        self.directory = Path(directory)
        self.worker = worker  # ``host-pid`` of a distributed worker: part of its file names
        self.prefix = prefix
        self.max_size = max_size
        self.gzip = gzip
        self.files_written: list[str] = []
        try:
            version = metadata.version("pressclips")
        except metadata.PackageNotFoundError:
            version = "unknown"
        self._info = {"software": f"pressclips/{version}", "format": "WARC File Format 1.1",
                      **(warcinfo or {})}
        _check_fields(self._info, "warcinfo field")
        # warcio serialises uncompressed; we gzip each record ourselves at level 6, which is
        # about twice as fast as warcio's level 9 for ~3% larger files (on the crawl's hot path).
        self._warcio = WARCWriter(None, gzip=False, warc_version="1.1")
        self._fd: int | None = None
        self._name = ""
        self._size = 0
        self._serial = 0
        try:  # a probe file proves writability even for root, who ignores permission bits
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / f".probe-{os.getpid()}-{uuid4().hex}"
            probe.touch(exist_ok=False)
            probe.unlink()
        except OSError as exc:
            raise WarcError(f"WARC directory {self.directory} is not writable: "
                            f"{exc.strerror or exc}", hint="check the archive path") from None

    # -- public API -------------------------------------------------------------------
    def write_exchange(self, exchange: HttpExchange) -> WarcPointer:
        """Write a response record and its request record (WARC-Concurrent-To the response)."""
        date = _warc_date(exchange.fetched_at)
        extra = {"WARC-IP-Address": exchange.ip_address} if exchange.ip_address else {}
        response = self._http_record(exchange, "response", date, exchange.body, extra)
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        return self._write_with_request(exchange, response, date, digest)

    def write_revisit(self, exchange: HttpExchange, *, refers_to: WarcPointer, refers_to_uri: str,
                      refers_to_date: datetime,
                      profile: str = "identical-payload-digest") -> WarcPointer:
        """Write a revisit (HTTP head only) plus its request record. The pointer's payload digest
        is that of the content the revisit stands for, i.e. ``refers_to.payload_digest``."""
        if profile not in REVISIT_PROFILES:
            raise WarcError(f"unknown revisit profile {profile!r}")
        date = _warc_date(exchange.fetched_at)
        extra = {"WARC-Profile": REVISIT_PROFILES[profile], "WARC-Refers-To": refers_to.record_id,
                 "WARC-Refers-To-Target-URI": refers_to_uri,
                 "WARC-Refers-To-Date": _warc_date(refers_to_date)}
        if profile == "identical-payload-digest":
            digest = _digest(exchange.body)
            if digest != refers_to.payload_digest:
                raise WarcError(f"payload of {exchange.url} differs from {refers_to.record_id}; "
                                "write a response record instead of a revisit")
            extra["WARC-Payload-Digest"] = digest
        if exchange.ip_address:
            extra["WARC-IP-Address"] = exchange.ip_address
        revisit = self._http_record(exchange, "revisit", date, b"", extra)
        return self._write_with_request(exchange, revisit, date, refers_to.payload_digest)

    def write_metadata(self, *, target_uri: str, refers_to: WarcPointer, payload: bytes,
                       content_type: str = "application/json") -> WarcPointer:
        """Write a metadata record about ``refers_to`` (e.g. extraction results)."""
        _check_fields([("WARC-Target-URI", target_uri), ("Content-Type", content_type)], "header")
        record = self._warcio.create_warc_record(
            target_uri, "metadata", payload=BytesIO(payload), length=len(payload),
            warc_content_type=content_type,
            warc_headers_dict={"WARC-Type": "metadata", "WARC-Record-ID": _new_id(),
                               "WARC-Date": _warc_date(datetime.now(timezone.utc)),
                               "WARC-Target-URI": target_uri,
                               "WARC-Refers-To": refers_to.record_id})
        name, [(offset, length)] = self._append([record])
        get = record.rec_headers.get_header
        return WarcPointer(name, offset, length, get("WARC-Record-ID"), get("WARC-Payload-Digest"))

    def close(self) -> None:
        """Flush, fsync and rename the current file to its final name. Idempotent."""
        if self._fd is not None:
            self._finish_file()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- records ----------------------------------------------------------------------
    def _http_record(self, ex: HttpExchange, rec_type: str, date: str, body: bytes,
                     extra: dict[str, str]) -> Any:
        _check_url(ex.url)
        _check_fields(ex.response_headers, "response header")
        reason = ex.reason or _REASONS.get(ex.status, "")
        head = _Latin1Head(f"{ex.status} {reason}".rstrip(), list(ex.response_headers),
                           protocol=ex.http_version)
        warc = {"WARC-Type": rec_type, "WARC-Record-ID": _new_id(), "WARC-Date": date,
                "WARC-Target-URI": ex.url, **extra}
        return self._warcio.create_warc_record(ex.url, rec_type, payload=BytesIO(body),
                                               length=len(body), http_headers=head,
                                               warc_headers_dict=warc)

    def _write_with_request(self, ex: HttpExchange, main: Any, date: str, digest: str) -> WarcPointer:
        _check_fields(ex.request_headers, "request header")
        parts = urlsplit(ex.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = list(ex.request_headers)
        if _first(headers, "Host") is None:
            headers.insert(0, ("Host", parts.netloc.rpartition("@")[2]))
        main_id = main.rec_headers.get_header("WARC-Record-ID")
        request = self._warcio.create_warc_record(
            ex.url, "request", payload=BytesIO(b""), length=0,
            http_headers=_Latin1Head(f"{target} {ex.http_version}", headers, protocol=ex.method),
            warc_headers_dict={"WARC-Type": "request", "WARC-Record-ID": _new_id(),
                               "WARC-Date": date, "WARC-Target-URI": ex.url,
                               "WARC-Concurrent-To": main_id})
        name, [(offset, length), _] = self._append([main, request])
        return WarcPointer(name, offset, length, main_id, digest,
                           request.rec_headers.get_header("WARC-Record-ID"))

    def _serialise(self, record: Any) -> bytes:
        buf = BytesIO()
        self._warcio.out = buf
        self._warcio.write_record(record)
        if not self.gzip:
            return buf.getvalue()
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # one gzip member per record
        return packer.compress(buf.getvalue()) + packer.flush()

    # -- files ------------------------------------------------------------------------
    def _append(self, records: list[Any]) -> tuple[str, list[tuple[int, int]]]:
        """Write records as one unit; on failure truncate back so no partial record remains."""
        blobs = [self._serialise(r) for r in records]  # before touching the file
        if self._fd is not None and self._size >= self.max_size:
            self._finish_file()  # rotate lazily: a record is never split across files
        if self._fd is None:
            self._open_file()
        spans, pos = [], self._size
        for blob in blobs:
            # warcio (and so CDX/pywb) counts the CRLFCRLF separator only inside gzip members
            spans.append((pos, len(blob) if self.gzip else len(blob) - 4))
            pos += len(blob)
        self._write_or_rollback(b"".join(blobs), self._size)
        return self._name, spans

    def _write_or_rollback(self, data: bytes, start: int) -> None:
        assert self._fd is not None
        view = memoryview(data)
        try:
            while view:  # os.write may write less than asked (e.g. at a file-size limit)
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            path = self.directory / (self._name + OPEN_SUFFIX)
            try:
                os.ftruncate(self._fd, start)
                os.lseek(self._fd, start, os.SEEK_SET)
            except OSError:  # leave the .open file for finalise_open_files to repair
                os.close(self._fd)
                self._fd = None
                raise WarcError(f"write to {path} failed ({exc.strerror or exc}) and the partial "
                                "record could not be removed") from exc
            raise WarcError(f"write to {path} failed: {exc.strerror or exc}") from exc
        self._size = start + len(data)

    def _open_file(self) -> None:
        ext = ".warc.gz" if self.gzip else ".warc"
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        if self.worker:
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.worker}{ext}"
        else:
            name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}{ext}"
        try:  # O_EXCL: never append to or clobber another writer's file (pid reuse)
            if (self.directory / name).exists():
                raise FileExistsError(errno.EEXIST, "file exists", name)
            fd = os.open(self.directory / (name + OPEN_SUFFIX),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # tells finalise_open_files "in use"
        except OSError as exc:
            raise WarcError(f"cannot create {name} in {self.directory}: "
                            f"{exc.strerror or exc}") from exc
        self._fd, self._name, self._size = fd, name, 0
        self._serial += 1
        try:
            self._write_or_rollback(
                self._serialise(self._warcio.create_warcinfo_record(name, self._info)), 0)
        except WarcError:
            if self._fd is not None:
                os.close(self._fd)
            self._fd = None
            (self.directory / (name + OPEN_SUFFIX)).unlink(missing_ok=True)
            raise
        self.files_written.append(name)

    def _finish_file(self) -> None:
        assert self._fd is not None
        fd, self._fd = self._fd, None
        open_path = self.directory / (self._name + OPEN_SUFFIX)
        try:
            os.fsync(fd)
            os.rename(open_path, self.directory / self._name)  # still locked while renaming
            _fsync_dir(self.directory)
        except OSError as exc:
            raise WarcError(f"cannot close {open_path}: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc or any(c.isspace() or ord(c) < 32 for c in url):
        raise WarcError(f"not an absolute URL without whitespace: {url!r}")
