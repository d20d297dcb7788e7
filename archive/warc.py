"""The WARC store: a rotating WARC/1.1 writer and a by-pointer reader.

This is the only module that imports warcio. Writing: one gzip member per record, files named
``{prefix}-{UTC timestamp}-{pid}-{serial}.warc.gz`` and written as ``NAME.open`` (under an
exclusive ``flock``) until closed or rotated. A pointer (file, offset, length) is what the
database stores; ``read_record`` resolves it with one seek. Reading does not depend on warcio's
lenient iterator: it checks that a pointer covers exactly one complete record and that the block
digest matches, so a torn or wrong pointer raises ``WarcError`` instead of returning garbage.

HTTP header strings are the ISO-8859-1 decoding of the wire bytes (as ``http.client`` does);
they are written back byte for byte, so headers read back equal the headers given.
"""

from __future__ import annotations

import errno
import fcntl
import http
import logging
import os
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit
from uuid import uuid4

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from archive.errors import WarcError

log = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
GZIP_LEVEL = 6
MAX_DECODED_PAYLOAD = 64 * 1024 * 1024
REVISIT_PROFILES = {
    "identical-payload-digest": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "server-not-modified": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}
_REASONS = {s.value: s.phrase for s in http.HTTPStatus}
_CHUNK = 1 << 16
_MAX_WARC_HEAD = 1 << 20


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


@dataclass(frozen=True)
class WarcPointer:
    """Where a record lives: ``file`` is the final name relative to the WARC directory."""

    file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    request_record_id: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    """One record read back. ``payload`` is exactly as stored (still content-encoded)."""

    rec_type: str
    warc_headers: list[tuple[str, str]]
    target_uri: str | None
    date: str
    status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes
    status_line: str | None = None  # "HTTP/1.1 200 OK" or "GET /x HTTP/1.1"

    @property
    def record_id(self) -> str | None:
        return self.warc_header("WARC-Record-ID")

    def warc_header(self, name: str) -> str | None:
        return _first(self.warc_headers, name)

    def http_header(self, name: str) -> str | None:
        return _first(self.http_headers, name)

    def decoded_payload(self, limit: int = MAX_DECODED_PAYLOAD) -> bytes:
        """The payload with gzip/deflate Content-Encoding removed, at most ``limit`` bytes."""
        codings = [c.strip().lower() for name, value in self.http_headers
                   if name.lower() == "content-encoding" for c in value.split(",") if c.strip()]
        data = self.payload
        for coding in reversed(codings):  # codings are listed in the order they were applied
            if coding == "identity":
                continue
            if coding in ("gzip", "x-gzip"):
                data = _inflate(data, 31, limit)
            elif coding == "deflate":  # RFC 9110 says zlib-wrapped; some servers send raw
                wrapped = len(data) > 1 and data[0] & 0x0F == 8 and (
                    (data[0] << 8 | data[1]) % 31 == 0)
                data = _inflate(data, 15 if wrapped else -15, limit)
            else:
                raise WarcError(f"unsupported Content-Encoding {coding!r} in {self.target_uri}")
        if len(data) > limit:
            raise WarcError(f"payload of {self.target_uri} exceeds {limit} bytes")
        return data


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    return next((v for k, v in headers if k.lower() == lname), None)


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    """Decompress every member (gzip may be multi-member). Like browsers and Scrapy, a truncated
    stream yields what it has and junk after a complete member is ignored. Over ``limit`` raises."""
    out: list[bytes] = []
    size = 0
    while data:
        d = zlib.decompressobj(wbits)
        try:
            chunk = d.decompress(data, limit + 1 - size)
        except zlib.error as exc:
            if out:
                break
            raise WarcError(f"cannot decode payload: {exc}") from exc
        size += len(chunk)
        out.append(chunk)
        if size > limit or d.unconsumed_tail:
            raise WarcError(f"decoded payload exceeds {limit} bytes")
        data = d.unused_data if d.eof else b""
    return b"".join(out)


class _Latin1Head(StatusAndHeaders):
    """An HTTP head serialised byte for byte; warcio would percent-encode non-ASCII values."""

    def to_ascii_bytes(self, filter_func=None) -> bytes:
        text = self.to_str(filter_func)
        try:
            return text.encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:  # not from the wire; keep it readable rather than fail
            return text.encode("utf-8") + b"\r\n"


def _check_fields(fields: list[tuple[str, str]] | dict[str, str], what: str) -> None:
    items = fields.items() if isinstance(fields, dict) else fields
    for name, value in items:
        if not name or ":" in name or any(c in f"{name}{value}" for c in "\r\n"):
            raise WarcError(f"invalid {what} {name!r}: {value!r}")


def _warc_date(when: datetime) -> str:
    if when.tzinfo is None or when.utcoffset() is None:
        raise WarcError(f"fetched_at must be timezone-aware, got {when!r}")
    utc = when.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(utc, use_micros=True)


def _new_id() -> str:
    return f"<urn:uuid:{uuid4()}>"


def _digest(data: bytes) -> str:
    d = Digester("sha1")
    d.update(data)
    return str(d)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class WarcWriter:
    """Appends records to ``{directory}/{name}.open``; rotates after ``max_size`` bytes."""

    def __init__(self, directory: Path, *, prefix: str = "pressclips",
                 max_size: int = 1_000_000_000, warcinfo: dict[str, str] | None = None,
                 gzip: bool = True) -> None:
        self.directory = Path(directory)
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
                     extra: dict[str, str]):
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

    def _write_with_request(self, ex: HttpExchange, main, date: str, digest: str) -> WarcPointer:
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

    def _serialise(self, record) -> bytes:
        buf = BytesIO()
        self._warcio.out = buf
        self._warcio.write_record(record)
        if not self.gzip:
            return buf.getvalue()
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # one gzip member per record
        return packer.compress(buf.getvalue()) + packer.flush()

    # -- files ------------------------------------------------------------------------
    def _append(self, records: list) -> tuple[str, list[tuple[int, int]]]:
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


# -- reading ----------------------------------------------------------------------------
def read_record(root: Path, pointer_or_file: WarcPointer | str, offset: int | None = None,
                length: int | None = None) -> StoredRecord:
    """Read one record by pointer (or file + offset [+ length]); the file may still be ``.open``."""
    expect_id = None
    if isinstance(pointer_or_file, WarcPointer):
        file, offset, length = pointer_or_file.file, pointer_or_file.offset, pointer_or_file.length
        expect_id = pointer_or_file.record_id
    else:
        file = pointer_or_file
    if offset is None or offset < 0:
        raise WarcError(f"invalid offset {offset!r} for {file}")
    where = f"{file}@{offset}"
    with _open_for_read(Path(root), file) as fh:
        found = _read_at(fh, offset, length, where)
    if found is None:
        raise WarcError(f"no WARC record at {where}: end of file")
    used, _, raw = found
    if length is not None and used != length:
        raise WarcError(f"pointer {where} length {length} does not match the record ({used})")
    record = _parse_record(raw, where)
    if expect_id is not None and record.record_id != expect_id:
        raise WarcError(f"record at {where} is {record.record_id}, expected {expect_id}")
    return record


def iter_records(path: Path) -> Iterator[tuple[int, int, StoredRecord]]:
    """Yield (offset, length, record) for every record in a file; raises on a bad record."""
    try:
        with open(path, "rb") as fh:
            offset = 0
            while (found := _read_at(fh, offset, None, f"{path.name}@{offset}")) is not None:
                length, end, raw = found
                yield offset, length, _parse_record(raw, f"{path.name}@{offset}")
                offset = end
    except OSError as exc:
        raise WarcError(f"cannot read {path}: {exc.strerror or exc}") from exc


def finalise_open_files(directory: Path) -> list[str]:
    """Repair ``*.open`` files left by a killed writer: cut a torn trailing record, rename.

    Files still locked by a live writer are skipped; files without one good record are removed.
    Returns the final names of the files renamed.
    """
    fixed = []
    for path in sorted(Path(directory).glob(f"*.warc*{OPEN_SUFFIX}")):
        final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
        try:
            with open(path, "r+b") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    log.info("%s is in use by a running writer; left alone", path)
                    continue
                good = _good_prefix(fh)
                if good < os.fstat(fh.fileno()).st_size:
                    log.warning("%s: truncating torn data after byte %d", path, good)
                    fh.truncate(good)
                    os.fsync(fh.fileno())
                if good == 0:
                    log.warning("%s holds no complete record; removed", path)
                    path.unlink()
                    continue
                if final.exists():
                    raise WarcError(f"cannot finalise {path}: {final.name} already exists")
                os.rename(path, final)
        except OSError as exc:
            raise WarcError(f"cannot finalise {path}: {exc.strerror or exc}") from exc
        fixed.append(final.name)
    if fixed:
        _fsync_dir(Path(directory))
    return fixed


def _good_prefix(fh: BinaryIO) -> int:
    offset = 0
    while True:
        try:
            found = _read_at(fh, offset, None, f"@{offset}")
            if found is None:
                return offset
            _parse_record(found[2], f"@{offset}")
        except WarcError:
            return offset
        offset = found[1]


@contextmanager
def _open_for_read(root: Path, file: str) -> Iterator[BinaryIO]:
    """Open ``root/file``, falling back to ``file.open`` while its writer is still running."""
    rel = PurePosixPath(file)
    if not file or rel.is_absolute() or ".." in rel.parts:
        raise WarcError(f"WARC file name {file!r} is not relative to the archive")
    for candidate in (root / file, root / (file + OPEN_SUFFIX), root / file):
        try:  # the writer may rename between our attempts, hence final name twice
            fh = open(candidate, "rb")
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise WarcError(f"cannot read {candidate}: {exc.strerror or exc}") from exc
        with fh:
            yield fh
        return
    raise WarcError(f"WARC file {root / file} not found")


def _read_at(fh: BinaryIO, offset: int, length: int | None,
             where: str) -> tuple[int, int, bytes] | None:
    """Return (record length as warcio reports it, offset of the next record, uncompressed
    record) for the record at ``offset``, or None at end of file. A gzip member must be
    complete: that is what rules out torn writes."""
    try:
        fh.seek(offset)
        magic = fh.read(2)
        if not magic:
            return None
        fh.seek(offset)
        if magic == b"\x1f\x8b":
            d = zlib.decompressobj(31)
            out, used = [], 0
            while not d.eof:
                want = _CHUNK if length is None else min(_CHUNK, length - used)
                chunk = fh.read(want) if want > 0 else b""
                if not chunk:
                    raise WarcError(f"incomplete gzip member at {where}")
                out.append(d.decompress(chunk))
                used += len(chunk)
            used -= len(d.unused_data)
            return used, offset + used, b"".join(out)
        if magic != b"WA":
            raise WarcError(f"no WARC record at {where}")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = fh.read(4096)
            if not chunk or len(head) > _MAX_WARC_HEAD:
                raise WarcError(f"incomplete WARC header at {where}")
            head += chunk
        head_len = head.index(b"\r\n\r\n") + 4
        total = head_len + _content_length(_parse_fields(head[:head_len - 4], where), where) + 4
        fh.seek(offset)
        data = fh.read(total)
        if len(data) != total:
            raise WarcError(f"incomplete WARC record at {where}")
        return total - 4, offset + total, data
    except (zlib.error, OSError, ValueError) as exc:
        raise WarcError(f"cannot read WARC record at {where}: {exc}") from exc


def _parse_fields(head: bytes, where: str,
                  encoding: str = "utf-8") -> tuple[str, list[tuple[str, str]]]:
    """Split a head (first line + ``Name: value`` lines, continuation lines folded)."""
    try:
        lines = head.decode(encoding).split("\r\n")
    except UnicodeDecodeError as exc:
        raise WarcError(f"undecodable header at {where}") from exc
    fields: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + line)
        elif ":" in line:
            name, _, value = line.partition(":")
            fields.append((name.rstrip(" \t"), value.strip(" \t")))
        elif line:
            raise WarcError(f"malformed header line {line!r} at {where}")
    return lines[0], fields


def _content_length(head: tuple[str, list[tuple[str, str]]], where: str) -> int:
    first, fields = head
    value = _first(fields, "Content-Length")
    if first not in ("WARC/1.0", "WARC/1.1") or value is None or not value.isdigit():
        raise WarcError(f"not a WARC record header at {where}")
    return int(value)


def _parse_record(raw: bytes, where: str) -> StoredRecord:
    head_end = raw.find(b"\r\n\r\n")
    if head_end < 0:
        raise WarcError(f"incomplete WARC header at {where}")
    head = _parse_fields(raw[:head_end], where)
    block_start = head_end + 4
    block_end = block_start + _content_length(head, where)
    if len(raw) < block_end or raw[block_end:] != b"\r\n\r\n":
        raise WarcError(f"WARC record at {where} is truncated or has trailing data")
    block = raw[block_start:block_end]
    fields = head[1]
    block_digest = _first(fields, "WARC-Block-Digest")
    if block_digest and block_digest.startswith("sha1:") and _digest(block) != block_digest:
        raise WarcError(f"block digest mismatch at {where}")
    rec_type = _first(fields, "WARC-Type") or ""
    status_line, status, http_headers, payload = None, None, [], block
    content_type = (_first(fields, "Content-Type") or "").lower()
    is_http = content_type.startswith("application/http")
    if rec_type in ("response", "request", "revisit") and is_http and block:
        http_end = block.find(b"\r\n\r\n")
        if http_end < 0:
            raise WarcError(f"incomplete HTTP head in record at {where}")
        status_line, http_headers = _parse_fields(block[:http_end], where, "latin-1")
        payload = block[http_end + 4:]
        if rec_type != "request":
            code = status_line.split(" ", 2)[1:2]
            status = int(code[0]) if code and code[0].isdigit() else None
    return StoredRecord(rec_type=rec_type, warc_headers=fields,
                        target_uri=_first(fields, "WARC-Target-URI"),
                        date=_first(fields, "WARC-Date") or "", status=status,
                        http_headers=http_headers, payload=payload, status_line=status_line)
