"""Tests for archive.warc.writer: real WARC files in tmp_path, cross-checked with warcio's own tools."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import textwrap
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.errors import WarcError
from archive.warc.reader import (
    StoredRecord,
    WarcPointer,
    finalise_open_files,
    iter_records,
    read_record,
)
from archive.warc.writer import HttpExchange, WarcWriter
from tests.paths import REPO

WHEN = datetime(2024, 5, 17, 9, 30, 1, 123456, tzinfo=timezone.utc)
HTML = ("<html><body>" + "Premiere night review. " * 200 + "</body></html>").encode()
NAME_RX = re.compile(r"^pressclips-\d{20}-\d+-\d{5}\.warc\.gz$")


def exchange(url: str = "http://127.0.0.1:8123/news/a?id=7&page=2", *, body: bytes = HTML,
             status: int = 200, reason: str = "OK", response_headers=None, request_headers=None,
             when: datetime = WHEN, ip: str | None = "127.0.0.1") -> HttpExchange:
    return HttpExchange(
        url=url, method="GET",
        request_headers=request_headers or [("User-Agent", "pressclips-test"),
                                            ("Accept-Encoding", "gzip, deflate")],
        status=status, reason=reason, http_version="HTTP/1.1",
        response_headers=response_headers or [("Content-Type", "text/html; charset=utf-8")],
        body=body, fetched_at=when, ip_address=ip)


GZ_BODY = gzip.compress(HTML)
GZ_HEADERS = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
              ("Content-Length", str(len(HTML))),  # stale: the decoded length, as Scrapy leaves it
              ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"),
              ("X-Title", "Caf\xe9 cr\xe8me"), ("Vary", "Accept-Encoding")]


def warcio_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warcio.cli", *args],
                          capture_output=True, text=True, check=False)


def assert_warcio_check(path: Path) -> None:
    result = warcio_cli("check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""  # non-verbose check prints only problems


def warcio_spans(path: Path) -> list[tuple[int, int, str]]:
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        spans = []
        for record in it:
            record.content_stream().read()
            it.read_to_end(record)
            spans.append((it.get_record_offset(), it.get_record_length(),
                          record.rec_headers.get_header("WARC-Type")))
    return spans


def records(path: Path) -> list[tuple[int, int, StoredRecord]]:
    return list(iter_records(path))


def test_exchange_round_trip_while_open_and_after_close(tmp_path):
    ex = exchange(body=GZ_BODY, response_headers=GZ_HEADERS)
    with WarcWriter(tmp_path, warcinfo={"operator": "tests"}) as writer:
        pointer = writer.write_exchange(ex)
        assert pointer.file == writer.files_written[0] and NAME_RX.match(pointer.file)
        assert not (tmp_path / pointer.file).exists()  # still NAME.open, yet readable by pointer
        assert (tmp_path / (pointer.file + ".open")).exists()
        live = read_record(tmp_path, pointer)
    after = read_record(tmp_path, pointer)
    assert not list(tmp_path.glob("*.open"))
    for record in (live, after):
        assert record.rec_type == "response"
        assert record.payload == GZ_BODY  # still gzip-encoded, as on the wire
        assert record.http_headers == GZ_HEADERS  # order, repeats, latin-1 and stale length kept
        assert record.status == 200 and record.status_line == "HTTP/1.1 200 OK"
        assert record.target_uri == ex.url
        assert record.date == "2024-05-17T09:30:01.123456Z"
        assert record.record_id == pointer.record_id
        assert record.warc_header("WARC-IP-Address") == "127.0.0.1"
        assert record.warc_header("WARC-Payload-Digest") == pointer.payload_digest
        assert record.decoded_payload() == HTML
        assert record.http_header("Transfer-Encoding") is None
    raw = gzip.decompress((tmp_path / pointer.file).read_bytes())
    assert b"WARC/1.0" not in raw and raw.count(b"WARC/1.1\r\n") == 3


def test_request_record_linked_and_rebuilt(tmp_path):
    with WarcWriter(tmp_path) as writer:
        pointer = writer.write_exchange(exchange())
    path = tmp_path / pointer.file
    by_id = {r.record_id: (off, length, r) for off, length, r in records(path)}
    _, _, request = by_id[pointer.request_record_id]
    assert request.rec_type == "request"
    assert request.warc_header("WARC-Concurrent-To") == pointer.record_id
    assert request.status_line == "GET /news/a?id=7&page=2 HTTP/1.1"
    assert request.http_headers == [("Host", "127.0.0.1:8123"), ("User-Agent", "pressclips-test"),
                                    ("Accept-Encoding", "gzip, deflate")]
    assert request.status is None and request.date == by_id[pointer.record_id][2].date


def test_host_kept_and_reason_derived(tmp_path):
    headers = [("Accept", "*/*"), ("host", "example.org")]
    with WarcWriter(tmp_path) as writer:
        p404 = writer.write_exchange(exchange("http://example.org/", status=404, reason="",
                                              request_headers=headers, body=b"gone"))
        p599 = writer.write_exchange(exchange("http://example.org/x", status=599, reason=""))
    assert read_record(tmp_path, p404).status_line == "HTTP/1.1 404 Not Found"
    assert read_record(tmp_path, p599).status == 599
    request = next(r for _, _, r in records(tmp_path / p404.file)
                   if r.record_id == p404.request_record_id)
    assert request.http_headers == headers and request.status_line == "GET / HTTP/1.1"


@pytest.mark.parametrize("compress", [True, False])
def test_pointers_match_warcio_iterator_index_and_check(tmp_path, compress):
    pointers = []
    with WarcWriter(tmp_path, gzip=compress) as writer:
        for i in range(4):
            ex = exchange(f"http://127.0.0.1/p{i}?q={i}", body=GZ_BODY if i % 2 else HTML,
                          response_headers=GZ_HEADERS if i % 2 else None)
            pointers.append(writer.write_exchange(ex))
        pointers.append(writer.write_metadata(target_uri="http://127.0.0.1/p0",
                                              refers_to=pointers[0], payload=b'{"k": 1}'))
    path = tmp_path / writer.files_written[0]
    assert path.name.endswith(".warc.gz" if compress else ".warc")
    ours = [(off, length, r.rec_type) for off, length, r in records(path)]
    assert ours == warcio_spans(path)
    assert [t for _, _, t in ours] == ["warcinfo"] + ["response", "request"] * 4 + ["metadata"]
    listing = warcio_cli("index", "-f", "offset,length,warc-record-id", str(path)).stdout
    index = [json.loads(line) for line in listing.splitlines()]
    indexed = {row["warc-record-id"]: (int(row["offset"]), int(row["length"])) for row in index}
    for pointer in pointers:
        assert indexed[pointer.record_id] == (pointer.offset, pointer.length)
    assert_warcio_check(path)


def test_warcinfo_is_first_record_of_every_file(tmp_path):
    with WarcWriter(tmp_path, prefix="pressclips", max_size=1,
                    warcinfo={"operator": "desk", "isPartOf": "run-42"}) as writer:
        writer.write_exchange(exchange())
        writer.write_exchange(exchange())
    assert len(writer.files_written) == 2
    for name in writer.files_written:
        offset, _, info = records(tmp_path / name)[0]
        fields = info.payload.decode()
        assert offset == 0 and info.rec_type == "warcinfo"
        assert info.warc_header("WARC-Filename") == name
        assert re.search(r"^software: pressclips/\S+\r$", fields, re.M)
        assert "format: WARC File Format 1.1\r\n" in fields
        assert "operator: desk\r\n" in fields and "isPartOf: run-42\r\n" in fields


def test_rotation_by_size(tmp_path):
    pointers = []
    with WarcWriter(tmp_path, max_size=6_000) as writer:
        for i in range(12):
            body = os.urandom(1_500)  # incompressible, so sizes are predictable
            pointer = writer.write_exchange(exchange(f"http://127.0.0.1/{i}", body=body))
            pointers.append((body, pointer))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(writer.files_written) and len(names) >= 3
    assert all(NAME_RX.match(n) for n in names)
    serials = sorted(int(n.rsplit("-", 1)[1].split(".")[0]) for n in names)
    assert serials == list(range(len(names)))
    for body, pointer in pointers:
        assert read_record(tmp_path, pointer).payload == body
    for name in names:
        path = tmp_path / name
        spans = records(path)
        assert spans[0][2].rec_type == "warcinfo"
        last_start = spans[-1][0]
        # a file rotates as soon as a write crosses max_size (one exchange is < 2,000 bytes)
        assert last_start < 6_000 + 2 * 2_000
        assert_warcio_check(path)


@pytest.mark.parametrize("profile", ["identical-payload-digest", "server-not-modified"])
def test_revisit_records(tmp_path, profile):
    later = WHEN + timedelta(days=1)
    with WarcWriter(tmp_path) as writer:
        original = writer.write_exchange(exchange())
        if profile == "identical-payload-digest":
            again = exchange(when=later)
        else:
            again = exchange(when=later, status=304, reason="Not Modified", body=b"",
                             response_headers=[("ETag", '"v1"')])
        revisit = writer.write_revisit(again, refers_to=original, refers_to_uri=again.url,
                                       refers_to_date=WHEN, profile=profile)
    record = read_record(tmp_path, revisit)
    assert record.rec_type == "revisit" and record.payload == b""
    uri = f"http://netpreserve.org/warc/1.1/revisit/{profile}"
    assert record.warc_header("WARC-Profile") == uri
    assert record.warc_header("WARC-Refers-To") == original.record_id
    assert record.warc_header("WARC-Refers-To-Target-URI") == again.url
    assert record.warc_header("WARC-Refers-To-Date") == "2024-05-17T09:30:01.123456Z"
    assert record.date == "2024-05-18T09:30:01.123456Z"
    assert record.http_headers == list(again.response_headers)
    assert revisit.payload_digest == original.payload_digest
    assert revisit.request_record_id is not None
    assert_warcio_check(tmp_path / revisit.file)


def test_revisit_refuses_mismatch_and_unknown_profile(tmp_path):
    with WarcWriter(tmp_path) as writer:
        original = writer.write_exchange(exchange())
        size = (tmp_path / (original.file + ".open")).stat().st_size
        with pytest.raises(WarcError, match="differs"):
            writer.write_revisit(exchange(body=b"edited"), refers_to=original,
                                 refers_to_uri="http://x/", refers_to_date=WHEN)
        with pytest.raises(WarcError, match="profile"):
            writer.write_revisit(exchange(), refers_to=original, refers_to_uri="http://x/",
                                 refers_to_date=WHEN, profile="identical")
        assert (tmp_path / (original.file + ".open")).stat().st_size == size


def test_metadata_record_refers_to_response(tmp_path):
    payload = json.dumps({"title": "Caf\u00e9", "extractor": "trafilatura"}).encode()
    with WarcWriter(tmp_path) as writer:
        response = writer.write_exchange(exchange())
        meta = writer.write_metadata(target_uri=exchange().url, refers_to=response, payload=payload)
    record = read_record(tmp_path, meta)
    assert record.rec_type == "metadata" and record.payload == payload
    assert record.warc_header("WARC-Refers-To") == response.record_id
    assert record.warc_header("Content-Type") == "application/json"
    assert record.http_headers == [] and record.status is None
    assert_warcio_check(tmp_path / meta.file)


def test_invalid_input_raises_and_writes_nothing(tmp_path):
    with WarcWriter(tmp_path) as writer:
        writer.write_exchange(exchange())
        path = tmp_path / (writer.files_written[0] + ".open")
        size = path.stat().st_size
        with pytest.raises(WarcError, match="timezone"):
            writer.write_exchange(exchange(when=datetime(2024, 1, 1)))
        with pytest.raises(WarcError, match="header"):
            writer.write_exchange(exchange(response_headers=[("X-Evil", "a\r\nInjected: 1")]))
        with pytest.raises(WarcError, match="URL"):
            writer.write_exchange(exchange("http://127.0.0.1/a b"))
        assert path.stat().st_size == size


def test_unwritable_directory(tmp_path):
    (tmp_path / "afile").write_text("not a directory")
    for bad in (tmp_path / "afile" / "warcs", tmp_path / "afile"):
        with pytest.raises(WarcError) as info:
            WarcWriter(bad)
        message = str(info.value)
        assert str(bad) in message and "\n" not in message


def test_no_file_until_first_record(tmp_path):
    with WarcWriter(tmp_path) as writer:
        assert list(tmp_path.iterdir()) == [] and writer.files_written == []
    assert list(tmp_path.iterdir()) == []


FSIZE_SCRIPT = textwrap.dedent("""
    import json, os, resource, signal, sys
    from datetime import datetime, timezone
    from pathlib import Path
    from archive.errors import WarcError
    from archive.warc.writer import HttpExchange, WarcWriter

    def exchange(body):
        return HttpExchange("http://127.0.0.1/x", "GET", [], 200, "OK", "HTTP/1.1",
                            [("Content-Type", "application/octet-stream")], body,
                            datetime.now(timezone.utc))

    directory = Path(sys.argv[1])
    writer = WarcWriter(directory)
    first = writer.write_exchange(exchange(b"small"))
    path = directory / (first.file + ".open")
    before = path.stat().st_size
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (before + 4096, hard))
    try:
        writer.write_exchange(exchange(os.urandom(100_000)))
        error = None
    except WarcError as exc:
        error = str(exc)
    after_failure = path.stat().st_size
    second = writer.write_exchange(exchange(b"after the failure"))
    writer.close()
    print(json.dumps({"error": error, "before": before, "after_failure": after_failure,
                      "file": first.file, "first": [first.offset, first.length, first.record_id],
                      "second": [second.offset, second.length, second.record_id]}))
""")


def test_failed_write_is_truncated_back(tmp_path):
    result = subprocess.run([sys.executable, "-c", FSIZE_SCRIPT, str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["error"] and "File too large" in out["error"]
    assert out["after_failure"] == out["before"]  # no partial record left behind
    path = tmp_path / out["file"]
    assert [r.rec_type for _, _, r in records(path)] == ["warcinfo"] + ["response", "request"] * 2
    assert out["second"][0] == out["before"]  # the next record starts where the failed one began
    for offset, length, record_id in (out["first"], out["second"]):
        assert read_record(tmp_path, out["file"], offset, length).record_id == record_id
    assert read_record(tmp_path, out["file"], out["second"][0]).payload == b"after the failure"
    assert_warcio_check(path)


KILLED_WRITER = textwrap.dedent("""
    import json, os, signal, sys
    from datetime import datetime, timezone
    from pathlib import Path
    from archive.warc.writer import HttpExchange, WarcWriter

    writer = WarcWriter(Path(sys.argv[1]))
    pointers = []
    for i in range(3):
        ex = HttpExchange(f"http://127.0.0.1/{i}", "GET", [], 200, "OK", "HTTP/1.1", [],
                          f"body {i}".encode() * 50, datetime.now(timezone.utc))
        p = writer.write_exchange(ex)
        pointers.append([p.file, p.offset, p.length, p.record_id, p.payload_digest])
    print(json.dumps(pointers), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_finalise_open_files_repairs_torn_file(tmp_path):
    result = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, check=False)
    assert result.returncode == -9
    pointers = [WarcPointer(*row) for row in json.loads(result.stdout)]
    open_path = tmp_path / (pointers[0].file + ".open")
    good_size = open_path.stat().st_size
    last = pointers[-1]
    record_bytes = open_path.read_bytes()[last.offset:last.offset + last.length]
    with open(open_path, "ab") as fh:  # a torn record, then garbage
        fh.write(record_bytes[: len(record_bytes) // 2])
        fh.write(b"\x00garbage\xff" * 10)
    with pytest.raises(WarcError):
        records(open_path)
    (tmp_path / "junk-1-00000.warc.gz.open").write_bytes(b"not a warc at all")

    assert finalise_open_files(tmp_path) == [pointers[0].file]
    assert sorted(p.name for p in tmp_path.iterdir()) == [pointers[0].file]
    final = tmp_path / pointers[0].file
    assert final.stat().st_size == good_size
    assert_warcio_check(final)
    assert len(records(final)) == 7
    for pointer in pointers:
        assert read_record(tmp_path, pointer).payload.startswith(b"body ")
    assert finalise_open_files(tmp_path) == []


def test_finalise_leaves_live_writer_alone(tmp_path):
    with WarcWriter(tmp_path) as writer:
        pointer = writer.write_exchange(exchange())
        assert finalise_open_files(tmp_path) == []
        assert (tmp_path / (pointer.file + ".open")).exists()
        second = writer.write_exchange(exchange())
    assert read_record(tmp_path, second).payload == HTML
    assert_warcio_check(tmp_path / pointer.file)


def test_read_errors_are_warc_errors(tmp_path):
    with WarcWriter(tmp_path) as writer:
        pointer = writer.write_exchange(exchange())
    path = tmp_path / pointer.file
    size = path.stat().st_size
    bad = [
        (pointer.file, pointer.offset + 1, pointer.length),
        (pointer.file, pointer.offset, pointer.length - 1),
        (pointer.file, pointer.offset, pointer.length + 5),
        (pointer.file, size, None),
        (pointer.file, size + 100, 10),
        (pointer.file, -1, None),
        ("missing.warc.gz", 0, None),
        ("../outside.warc.gz", 0, None),
        ("/etc/passwd", 0, None),
    ]
    for file, offset, length in bad:
        with pytest.raises(WarcError):
            read_record(tmp_path, file, offset, length)
    with pytest.raises(WarcError, match="expected"):
        read_record(tmp_path, WarcPointer(pointer.file, 0, pointer.offset, pointer.record_id, ""))
    data = bytearray(path.read_bytes())
    data[pointer.offset + pointer.length // 2] ^= 0xFF  # corrupt the compressed response
    path.write_bytes(bytes(data))
    with pytest.raises(WarcError):
        read_record(tmp_path, pointer)


def test_read_detects_block_digest_mismatch_in_plain_warc(tmp_path):
    with WarcWriter(tmp_path, gzip=False) as writer:
        pointer = writer.write_exchange(exchange())
    path = tmp_path / pointer.file
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Premiere night", b"Premiere NIGHT", 1))
    with pytest.raises(WarcError, match="digest"):
        read_record(tmp_path, pointer)


def stored(body: bytes, encoding: str) -> StoredRecord:
    return StoredRecord("response", [], "http://x/", "", 200,
                        [("Content-Encoding", encoding)], body)


def test_decoded_payload_encodings_and_limit():
    raw_deflate = zlib.compressobj(wbits=-15)
    raw = raw_deflate.compress(HTML) + raw_deflate.flush()
    assert stored(zlib.compress(HTML), "deflate").decoded_payload() == HTML
    assert stored(raw, "deflate").decoded_payload() == HTML
    two_members = gzip.compress(HTML) + gzip.compress(b"tail")
    assert stored(two_members, "x-gzip").decoded_payload() == HTML + b"tail"
    assert stored(gzip.compress(gzip.compress(HTML)), "gzip, gzip").decoded_payload() == HTML
    assert stored(HTML, "identity").decoded_payload() == HTML
    truncated = stored(gzip.compress(HTML)[:-30], "gzip").decoded_payload()
    assert 0 < len(truncated) < len(HTML) and HTML.startswith(truncated)
    assert stored(gzip.compress(HTML) + b"\0\0junk", "gzip").decoded_payload() == HTML
    with pytest.raises(WarcError, match="unsupported"):
        stored(HTML, "br").decoded_payload()
    with pytest.raises(WarcError, match="cannot decode"):
        stored(b"not gzip at all", "gzip").decoded_payload()
    with pytest.raises(WarcError, match="exceeds"):
        stored(gzip.compress(b"\0" * 10_000), "gzip").decoded_payload(limit=9_999)
    zeros = stored(gzip.compress(b"\0" * 10_000), "gzip")
    assert len(zeros.decoded_payload(limit=10_000)) == 10_000
    with pytest.raises(WarcError, match="exceeds"):
        stored(HTML, "identity").decoded_payload(limit=10)
