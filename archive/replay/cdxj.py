"""A CDXJ index of the archive's WARC files, for pywb and replayweb.page (``pressclips export-cdxj``).

One line per ``response`` and ``revisit`` record, whatever it holds (pages, feeds, sitemaps, and
page requisites: stylesheets, scripts, images, fonts, and their revisits), so a replay tool finds
every archived response: ``<SURT key> <14-digit timestamp> <JSON>`` with
url, mime, status, digest, length, offset and filename, the fields and spellings cdxj-indexer
writes (``warc/revisit`` as a revisit's mime, ``sha1:`` digests, numbers as strings). Lines are
sorted by their UTF-8 bytes (``LC_ALL=C sort``), which is the (key, timestamp) order pywb's
binary search expects. Each file's lines are sorted in memory and the files are merged through
temporary files, so memory is bounded by the largest WARC file, not the archive.

Built by scanning the WARCs, not from the captures table: the files are the authority (a record
whose row was lost to a crash is still indexed, offsets and lengths are the ones on disk, and
every record is digest-checked on the way). An unreadable record (truncated, flipped bytes, a gzip
member cut in half, garbage) is left out and reading resumes at the next readable record; the
``SkipLedger`` warns once per file with the count, or, strict, aborts the export. Request,
warcinfo and metadata records are not indexed, like pywb's own indexer:
metadata records name the article URL, and a replay tool's closest-capture lookup must never
land on extraction JSON instead of the page. A revisit without WARC-Payload-Digest (the 304
profile) gets the digest of the payload it stands for from the captures table; when unknown the
field is left out, so pywb finds the original by WARC-Refers-To-Target-URI/-Date alone.

``surt`` implements the SURT form pywb and cdxj-indexer key their indexes by (the ``surt``
package's default canonicaliser), written here because that package is an unmaintained AGPL
module pulling in tldextract for a function of ~60 lines; tests compare the two.
"""

from __future__ import annotations

import heapq
import json
import logging
import re
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import quote_from_bytes, unquote_to_bytes

from sqlalchemy import Engine, select

from archive.db.models import Capture
from archive.db.session import reading
from archive.errors import WarcError
from archive.warc.damage import SkipLedger
from archive.warc.paths import safe_warc_path
from archive.warc.reader import StoredRecord
from archive.warc.scan import iter_readable

log = logging.getLogger(__name__)

__all__ = ["IndexEntry", "cdxj_lines", "index_entry", "index_line", "merge_sorted", "revisit_digests", "sort_key",
           "surt", "warc_files", "write_cdxj"]

INDEXED_TYPES = ("response", "revisit")
_SAFE = b"!\"$&'()*+,-./:;<=>?@[\\]^_`{|}~"  # escaped once: everything else outside printable ASCII
_WWW = re.compile(rb"^www\d*\.")
_SCHEME = re.compile(rb"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_URL = re.compile(rb"^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$", re.S)
_DECIMAL_IP = re.compile(rb"^[1-9][0-9]*(\.[0-9]+){0,3}$")
_OCTAL_IP = re.compile(rb"^0[0-7]*(\.[0-7]+){0,3}$")
_SESSION_PATH = (re.compile(rb"^(.*/)(\((?:[a-z]\([0-9a-z]{24}\))+\)/)([^?]+\.aspx.*)$", re.I),
                 re.compile(rb"^(.*/)(\([0-9a-z]{24}\)/)([^?]+\.aspx.*)$", re.I))
_SESSION_QUERY = tuple(re.compile(p, re.I) for p in (
    rb"^(.*)(?:jsessionid=[0-9a-zA-Z]{32})(?:&(.*))?$", rb"^(.*)(?:phpsessid=[0-9a-zA-Z]{32})(?:&(.*))?$",
    rb"^(.*)(?:sid=[0-9a-zA-Z]{32})(?:&(.*))?$", rb"^(.*)(?:ASPSESSIONID[a-zA-Z]{8}=[a-zA-Z]{24})(?:&(.*))?$",
    rb"^(.*)(?:cfid=[^&]+&cftoken=[^&]+)(?:&(.*))?$"))


# -- SURT ----------------------------------------------------------------------------------------
def surt(url: str) -> str:
    """``http://www.Example.com:80/A/b/?b=2&a=1#x`` → ``com,example)/a/b?a=1&b=2``.

    Scheme, ``www``/``wwwN`` prefix, userinfo, default port, fragment and session IDs dropped;
    escapes normalised (decoded repeatedly, then non-printable bytes escaped once); dot segments
    and repeated slashes resolved; path and query lower-cased; query parameters sorted; a
    trailing slash dropped unless the path is only ``/``. Non-http(s) URLs are returned as given.
    """
    raw = url.encode("utf-8")
    raw = re.sub(rb"[\t\r\n]", b"", raw.strip())
    if not raw:
        return "-"
    if not _SCHEME.match(raw):
        raw = b"http://" + raw
    raw = re.sub(rb"^(https?://)+", lambda m: m.group(1), raw)
    m = _URL.match(raw)
    scheme = (m.group(1) or b"").lower() if m else b""
    if m is None or scheme not in (b"http", b"https"):
        return url
    netloc, path, query = m.group(2) or b"", m.group(3) or b"", m.group(4)
    if not netloc and path:  # "http:////host/x": the host hides in the path
        host_part, _, rest = path.lstrip(b"/").partition(b"/")
        netloc, path = host_part, b"/" + rest
    hostport = netloc.rpartition(b"@")[2].rstrip(b":")
    host, port = _split_port(hostport)
    if port is not None and port == {b"http": 80, b"https": 443}[scheme]:
        port = None
    host = _host(host)
    path = _escape(_normalise_path(_unescape(path)))
    path = path.lower()
    for pattern in _SESSION_PATH:
        if hit := pattern.match(path):
            path = hit.group(1) + hit.group(3)
    if len(path) > 1 and path.endswith(b"/"):
        path = path[:-1]
    if query is not None:
        query = _escape(_unescape(query))
        for pattern in _SESSION_QUERY:
            if hit := pattern.match(query):
                query = hit.group(1) + (hit.group(2) or b"")
        query = _sort_query(query.lower()) or None
    key = b",".join(reversed(host.split(b"."))) + (b":%d" % port if port is not None else b"") + b")"
    key += path if path else (b"/" if query is not None else b"")
    if query is not None:
        key += b"?" + query
    return key.decode("utf-8", "surrogateescape")


def _split_port(hostport: bytes) -> tuple[bytes, int | None]:
    if hostport.startswith(b"["):  # IPv6 literal
        end = hostport.find(b"]")
        host, rest = hostport[1:end], hostport[end + 1:]
        return host, int(rest[1:]) if rest.startswith(b":") and rest[1:].isdigit() else None
    host, sep, port = hostport.rpartition(b":")
    if sep and port.isdigit():
        return host, int(port)
    return hostport, None


def _host(host: bytes) -> bytes:
    host = _unescape(host)
    try:
        host.decode("ascii")
    except UnicodeDecodeError:
        try:
            host = host.decode("utf-8", "ignore").encode("idna")
        except UnicodeError:
            pass
    host = host.replace(b"..", b".").strip(b".")
    if host.isdigit():
        host = socket.inet_ntoa((int(host) & 0xFFFFFFFF).to_bytes(4, "big")).encode("ascii")
    elif _DECIMAL_IP.match(host) or _OCTAL_IP.match(host):
        try:  # the numeric forms resolvers accept (127.1, 0177.0.0.1); no DNS involved
            host = socket.inet_ntoa(socket.inet_aton(host.decode("ascii"))).encode("ascii")
        except OSError:
            host = _escape(host.lower())
    else:
        host = _escape(host.lower())
    return _WWW.sub(b"", host)


def _unescape(data: bytes) -> bytes:
    while True:
        decoded = unquote_to_bytes(data)
        if decoded == data:
            return data
        data = decoded


def _escape(data: bytes) -> bytes:
    return quote_from_bytes(data, safe=_SAFE).encode("ascii") if data else data


def _normalise_path(path: bytes) -> bytes:
    if not path:
        return b"/"
    kept: list[bytes] = []
    for segment in path.split(b"/")[1:]:
        if segment == b".":
            continue
        if segment == b"..":
            if kept:
                kept.pop()
            else:
                kept.append(segment)
            continue
        kept.append(segment)
    if not kept:
        return b"/"
    return b"/" + b"".join(s + b"/" for s in kept[:-1] if s) + kept[-1]


def _sort_query(query: bytes) -> bytes:
    if len(query) <= 1:
        return query
    pairs = sorted(tuple(arg.split(b"=", 1)) for arg in query.split(b"&"))
    return b"&".join(b"=".join(p) for p in pairs)


# -- index lines ---------------------------------------------------------------------------------
def warc_files(warc_dir: Path) -> list[str]:
    """The archive's finished WARC files, by name: ``.open`` ones are still being written, and a
    symlink leading out of the WARC directory is skipped (replay would refuse it too)."""
    root = Path(warc_dir).resolve()
    names = []
    for path in sorted(root.iterdir()):
        if not path.name.endswith((".warc.gz", ".warc")) or path.name.startswith("."):
            continue
        resolved = path.resolve()
        if not resolved.is_relative_to(root) or not resolved.is_file():
            log.warning("%s leads outside %s; not indexed", path.name, root)
            continue
        names.append(path.name)
    return names


def cdxj_lines(path: Path, filename: str,
               revisit_digest: Callable[[StoredRecord], str | None] | None = None,
               ledger: SkipLedger | None = None) -> Iterator[str]:
    """Index lines (unsorted, newline-terminated) for the readable records of one WARC file;
    unreadable ones go to ``ledger`` (default: strict, the first one raises)."""
    for offset, length, record in iter_readable(path, ledger or SkipLedger(strict=True), filename):
        line = index_line(record, offset, length, filename, revisit_digest)
        if line is not None:
            yield line


def index_line(record: StoredRecord, offset: int, length: int, filename: str,
               revisit_digest: Callable[[StoredRecord], str | None] | None = None) -> str | None:
    """The index line (newline-terminated) of one record at ``offset`` in ``filename``, or None
    for a record type that is not indexed."""
    entry = index_entry(record, length, revisit_digest)
    return None if entry is None else entry.line(filename, offset)


@dataclass(frozen=True)
class IndexEntry:
    """A record's index line before it knows the file (and offset) it will be read from."""

    key: str
    stamp: str
    fields: dict[str, str]

    def line(self, filename: str, offset: int) -> str:
        fields = {**self.fields}
        length = fields.pop("length")
        fields.update(length=length, offset=str(offset), filename=filename)
        return f"{self.key} {self.stamp} {json.dumps(fields, ensure_ascii=False)}\n"


def index_entry(record: StoredRecord, length: int,
                revisit_digest: Callable[[StoredRecord], str | None] | None = None) -> IndexEntry | None:
    """What the index says about ``record`` (None for a type that is not indexed)."""
    if record.rec_type not in INDEXED_TYPES or not record.target_uri:
        return None
    fields: dict[str, str] = {"url": record.target_uri}
    mime = _mime(record)
    if mime:  # no Content-Type (a bare redirect): left out, as cdxj-indexer does
        fields["mime"] = mime
    if record.status is not None:
        fields["status"] = str(record.status)
    digest = record.warc_header("WARC-Payload-Digest")
    if not digest and record.rec_type == "revisit" and revisit_digest is not None:
        digest = revisit_digest(record)
    if digest:
        fields["digest"] = digest
    fields["length"] = str(length)
    stamp = re.sub(r"\D", "", record.date)[:14].ljust(14, "0")
    return IndexEntry(surt(record.target_uri), stamp, fields)


def sort_key(line: str) -> bytes:
    """Lines sort by their UTF-8 bytes, as ``LC_ALL=C sort`` does and pywb's binary search expects."""
    return line.encode("utf-8")


def merge_sorted(runs: Iterable[list[str]], out: TextIO) -> int:
    """Write the merge of already sorted runs of lines to ``out``, holding one run in memory at
    a time (the others wait in temporary files); returns the number of lines."""
    count = 0
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="pressclips-cdxj-") as tmp:
        files: list[TextIO] = []
        for lines in runs:
            count += len(lines)
            run = stack.enter_context(open(Path(tmp) / f"{len(files)}.cdxj", "w+", encoding="utf-8"))
            run.writelines(lines)
            run.seek(0)
            files.append(run)
        for line in heapq.merge(*files, key=sort_key):
            out.write(line)
    return count


def _mime(record: StoredRecord) -> str | None:
    if record.rec_type == "revisit":
        return "warc/revisit"
    value = (record.http_header("Content-Type") or "").strip()
    return re.split(r"[;\s]", value, maxsplit=1)[0].strip() or None


def revisit_digests(engine: Engine | None) -> Callable[[StoredRecord], str | None] | None:
    """A revisit's payload digest from the captures table: its own row (whose digest is the
    original's, by the writer's design), else the row of the record it refers to."""
    if engine is None:
        return None

    def lookup(record: StoredRecord) -> str | None:
        ids = [i for i in (record.record_id, record.warc_header("WARC-Refers-To")) if i]
        with reading(engine, "indexing WARC records") as session:
            for record_id in ids:
                digest = session.scalar(select(Capture.payload_digest).where(Capture.warc_record_id == record_id))
                if digest:
                    return digest
        return None

    return lookup


def write_cdxj(warc_dir: Path, files: Iterable[str], out: TextIO, *, engine: Engine | None = None,
               ledger: SkipLedger | None = None) -> int:
    """Write the sorted index of ``files`` (names inside ``warc_dir``) to ``out``; returns lines.
    Unreadable records go to ``ledger`` (one warning per file), default strict: the first raises."""
    digest_of = revisit_digests(engine)
    skips = ledger or SkipLedger(strict=True)

    def runs() -> Iterator[list[str]]:
        for name in files:
            if "/" in name:  # a WACZ and pywb want plain names in the index
                raise WarcError(f"WARC file name {name!r} is not a plain file name")
            path = safe_warc_path(Path(warc_dir), name)
            lines = sorted(cdxj_lines(path, name, digest_of, skips), key=sort_key)
            skips.flush(name)
            yield lines

    return merge_sorted(runs(), out)
