"""Reading the WARC store: resolving pointers to records and repairing unfinished files.

Owns ``WarcPointer`` (what the database stores and ``read_record`` resolves with one seek),
``StoredRecord``, ``read_record``, ``iter_records`` and ``finalise_open_files``, plus the record
parsing they share. It does not import warcio (only ``archive.warc.writer``, the writer, does) and does
not depend on a lenient iterator: it checks that a pointer covers exactly one complete record
(one gzip member, or one uncompressed record) and that the block digest matches, so a torn or
wrong pointer raises ``WarcError`` instead of returning garbage. A file still being written is
named ``NAME.open``; readers fall back to it until the writer renames it.

HTTP header strings are the ISO-8859-1 decoding of the wire bytes (as ``http.client`` does).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from archive.errors import RecordUnreadableError, WarcError

log = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
MAX_DECODED_PAYLOAD = 64 * 1024 * 1024
_CHUNK = 1 << 16
_MAX_WARC_HEAD = 1 << 20


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


def read_record(root: Path, pointer_or_file: WarcPointer | str, offset: int | None = None,
                length: int | None = None) -> StoredRecord:
    """Read one record by pointer (or file + offset [+ length]); the file may still be ``.open``.

    Damaged bytes at the pointer raise ``RecordUnreadableError`` (naming file and offset), so a
    caller can skip that one record and go on; a missing file or a bad name is a plain ``WarcError``.
    """
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
        try:  # the file is there: whatever fails from here on is this one record's bytes
            found = _read_at(fh, offset, length, where)
            if found is None:
                raise WarcError("no record there: end of file")
            used, _, raw = found
            if length is not None and used != length:
                raise WarcError(f"pointer length {length} does not match the record ({used})")
            record = _parse_record(raw, where)
        except RecordUnreadableError:
            raise
        except WarcError as exc:
            raise RecordUnreadableError(file, offset, str(exc)) from exc
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


def _digest(data: bytes) -> str:
    """``sha1:`` + base32 of the SHA-1, the form warcio writes in WARC-*-Digest headers
    (warcio's ``Digester`` computes exactly this; done here with hashlib to stay warcio-free)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    status_line, status, payload = None, None, block
    http_headers: list[tuple[str, str]] = []
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
