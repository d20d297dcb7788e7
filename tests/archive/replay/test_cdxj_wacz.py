"""``pressclips export-cdxj`` and ``export-wacz`` on a real crawl and on the hand-built archive: every
index line points at the record it names, the WACZ holds what its datapackage says, byte for byte.
(pywb replaying the index and ``wacz validate`` accepting the WACZ are in test_pywb.py.)"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.replay.cdxj import surt
from archive.warc.reader import StoredRecord, iter_records, read_record
from tests.replaykit import (
    SharedCrawl,
    Synthetic,
    build_synthetic,
    get_shared_crawl,
    run_cli,
)


@pytest.fixture(scope="module")
def shared_crawl(tmp_path_factory: pytest.TempPathFactory) -> SharedCrawl:
    return get_shared_crawl(tmp_path_factory)


def parse_cdxj(data: str) -> list[tuple[str, str, dict[str, str]]]:
    lines = data.splitlines()
    assert lines and [line.encode() for line in lines] == sorted(line.encode() for line in lines)
    parsed = []
    for line in lines:
        key, stamp, blob = line.split(" ", 2)
        assert re.fullmatch(r"\d{14}", stamp) and " " not in key
        fields = json.loads(blob)
        assert list(fields) == [f for f in ("url", "mime", "status", "digest", "length", "offset", "filename")
                                if f in fields]
        parsed.append((key, stamp, fields))
    return parsed


def cli_ok(*args: str) -> bytes:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def check_lines_point_at_records(warc_dir: Path, parsed: list[tuple[str, str, dict[str, str]]]) -> None:
    for key, stamp, fields in parsed:
        record = read_record(warc_dir, fields["filename"], int(fields["offset"]), int(fields["length"]))
        assert record.rec_type in ("response", "revisit")
        assert record.target_uri == fields["url"] and key == surt(fields["url"])
        assert re.sub(r"\D", "", record.date)[:14] == stamp
        assert fields.get("status") == (str(record.status) if record.status is not None else None)
        if record.rec_type == "revisit":
            assert fields["mime"] == "warc/revisit"
        else:
            assert fields.get("mime") == ((record.http_header("Content-Type") or "").split(";")[0].strip() or None)
            assert fields["digest"] == record.warc_header("WARC-Payload-Digest")


# -- CDXJ -----------------------------------------------------------------------------------------
def test_surt_keys() -> None:
    assert surt("http://www.Example.com:80/A/b/?b=2&a=1#x") == "com,example)/a/b?a=1&b=2"
    assert surt("https://example.com") == "com,example)/"
    assert surt("http://127.0.0.1:8080/news/2024/01/01/a-b/") == "1,0,0,127:8080)/news/2024/01/01/a-b"
    assert surt("example.com/%7Efoo/./x/../y//z?Q=%41") == "com,example)/~foo/y/z?q=a"
    assert surt("http://user:pw@www2.example.co.uk:443/x") == "uk,co,example:443)/x"
    assert surt("http://bücher.example/ü") == "example,xn--bcher-kva)/%c3%bc"
    assert surt("http://example.com/a?jsessionid=0123456789abcdef0123456789abcdef&b=1") == "com,example)/a?b=1"
    assert surt("urn:pressclips:x") == "urn:pressclips:x"


def test_cdxj_lines_point_at_their_records(shared_crawl: SharedCrawl, tmp_path: Path) -> None:
    archive = ["--archive", str(shared_crawl.archive)]
    to_stdout = cli_ok("export-cdxj", *archive).decode()
    cli_ok("export-cdxj", "-o", str(tmp_path / "index.cdxj"), *archive)
    assert (tmp_path / "index.cdxj").read_text() == to_stdout
    parsed = parse_cdxj(to_stdout)
    check_lines_point_at_records(shared_crawl.warc_dir, parsed)
    records = {(p.name, off): rec.rec_type for p in shared_crawl.warc_dir.glob("*.warc.gz")
               for off, _length, rec in iter_records(p)}
    indexed = {(f["filename"], int(f["offset"])) for _, _, f in parsed}
    assert indexed == {where for where, kind in records.items() if kind in ("response", "revisit")}
    assert "metadata" in records.values()  # extraction records exist, and are not replay targets
    captures = {(f, o) for f, o in shared_crawl.rows("SELECT warc_file, warc_offset FROM captures")}
    assert captures <= indexed


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Synthetic:
    return build_synthetic(tmp_path_factory.mktemp("cdxj"))


def test_cdxj_of_revisits(synthetic: Synthetic) -> None:
    parsed = parse_cdxj(cli_ok("export-cdxj", "--archive", str(synthetic.archive)).decode())
    check_lines_point_at_records(synthetic.warc_dir, parsed)
    assert {f["filename"] for _, _, f in parsed} == set(synthetic.files)  # the symlink to /etc/passwd: skipped
    by_url_time = {(f["url"], stamp): f for _, stamp, f in parsed}
    original = by_url_time[("http://example.test/page", "20240101000000")]
    not_modified = by_url_time[("http://example.test/page", "20240301000000")]
    assert not_modified["mime"] == "warc/revisit" and not_modified["status"] == "304"
    assert not_modified["digest"] == original["digest"]  # not in the record: taken from the captures table
    same_payload = by_url_time[("http://example.test/page", "20240901000000")]
    assert same_payload["digest"] == by_url_time[("http://example.test/page", "20240601000000")]["digest"]
    assert by_url_time[("http://example.test/old", "20240101000000")]["status"] == "301"


# -- WACZ -----------------------------------------------------------------------------------------
def open_wacz(path: Path) -> Iterator[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            yield info, zf.read(info)


def check_wacz(path: Path, warc_dir: Path) -> tuple[list[str], list[dict], list[tuple[str, str, dict[str, str]]]]:
    """Structure, hashes and sizes; returns (WARC names, pages, index). A WARC in the WACZ is
    either one of the archive's files, byte for byte, or an ``-excerpt`` of one: whole records
    of it, each byte-identical to the archive's."""
    entries = {info.filename: (info, data) for info, data in open_wacz(path)}
    warcs = sorted(name.split("/", 1)[1] for name in entries if name.startswith("archive/"))
    assert set(entries) == {*(f"archive/{n}" for n in warcs), "indexes/index.cdxj", "pages/pages.jsonl",
                            "datapackage.json", "datapackage-digest.json"}
    unpacked = path.with_name(path.name + ".warcs")
    unpacked.mkdir()
    for name in warcs:
        info, data = entries[f"archive/{name}"]
        assert info.compress_type == zipfile.ZIP_STORED
        (unpacked / name).write_bytes(data)
        if name.endswith("-excerpt.warc.gz"):
            source = (warc_dir / name.replace("-excerpt.warc.gz", ".warc.gz")).read_bytes()
            spans = [(offset, length) for offset, length, _ in iter_records(unpacked / name)]
            assert sum(length for _, length in spans) == len(data)
            assert all(data[offset:offset + length] in source for offset, length in spans)
        else:
            assert data == (warc_dir / name).read_bytes()
    package_bytes = entries["datapackage.json"][1]
    package = json.loads(package_bytes)
    assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", package["created"])
    resources = {r["path"]: r for r in package["resources"]}
    assert set(resources) == set(entries) - {"datapackage.json", "datapackage-digest.json"}
    for name, resource in resources.items():
        data = entries[name][1]
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data) and resource["name"] == name.rsplit("/", 1)[1].lower()
    digest = json.loads(entries["datapackage-digest.json"][1])
    assert digest == {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
    index = parse_cdxj(entries["indexes/index.cdxj"][1].decode())
    assert {f["filename"] for _, _, f in index} <= set(warcs)
    check_lines_point_at_records(unpacked, index)
    header, *pages = [json.loads(line) for line in entries["pages/pages.jsonl"][1].decode().splitlines()]
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    replayable = {(f["url"], stamp) for _, stamp, f in index if f.get("mime") != "warc/revisit"}
    for page in pages:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page["ts"]) and page["title"] and page["id"]
        assert (page["url"], re.sub(r"\D", "", page["ts"])) in replayable
    return warcs, pages, index


def test_export_wacz_of_the_whole_archive(shared_crawl: SharedCrawl, tmp_path: Path) -> None:
    out = tmp_path / "all.wacz"
    summary = cli_ok("export-wacz", str(out), "--archive", str(shared_crawl.archive)).decode()
    assert summary.startswith(f"wrote {out}:")
    warcs, pages, index = check_wacz(out, shared_crawl.warc_dir)
    assert warcs == sorted(p.name for p in shared_crawl.warc_dir.glob("*.warc.gz"))
    cdxj = parse_cdxj(cli_ok("export-cdxj", "--archive", str(shared_crawl.archive)).decode())
    assert index == cdxj
    articles = dict(shared_crawl.rows("SELECT canonical_url, id FROM articles"))
    assert sorted(p["id"] for p in pages) == sorted(f"article-{i}" for i in articles.values())
    texts = {p["id"]: p.get("text") for p in pages}
    assert all(texts.values())
    assert not list(tmp_path.glob("*.part"))
    no_text = tmp_path / "no-text.wacz"
    cli_ok("export-wacz", str(no_text), "--no-text", "--archive", str(shared_crawl.archive))
    assert not any("text" in p for p in check_wacz(no_text, shared_crawl.warc_dir)[1])


def records_in(wacz: Path) -> list[StoredRecord]:
    unpacked = wacz.with_name(wacz.name + ".warcs")
    return [record for path in sorted(unpacked.iterdir()) for _, _, record in iter_records(path)]


def test_export_wacz_filters_ship_only_the_selected_records(shared_crawl: SharedCrawl, tmp_path: Path) -> None:
    archive = ["--archive", str(shared_crawl.archive)]
    between = shared_crawl.between.replace(tzinfo=None)

    def pages_of(sql: str, **params: object) -> list[str]:
        return sorted({f"article-{i}" for i, in shared_crawl.rows(sql, **params)})

    def shipped(sql: str, **params: object) -> set[str]:
        """Record IDs of the selected captures and, transitively, of their revisits' originals."""
        ids = {i for i, in shared_crawl.rows(sql, **params)}
        while more := {r for r, in shared_crawl.rows(
                f"SELECT refers_to_id FROM captures WHERE id IN ({','.join(map(str, ids))}) "
                "AND refers_to_id IS NOT NULL")} - ids:
            ids |= more
        return {r for r, in shared_crawl.rows(f"SELECT warc_record_id FROM captures WHERE id IN ({','.join(map(str, ids))})")}

    of_outlet = "SELECT c.id FROM captures c JOIN outlets o ON o.id = c.outlet_id WHERE o.name = "
    article_of = "SELECT a.id FROM articles a JOIN outlets o ON o.id = a.outlet_id WHERE o.name = 'outlet-b'"
    cases = [
        (["--outlet", "outlet-b"], shipped(of_outlet + "'outlet-b'"), pages_of(article_of)),
        (["--captured-until", shared_crawl.between.isoformat()], shipped("SELECT id FROM captures WHERE fetched_at < :t", t=between),
         pages_of("SELECT article_id FROM captures WHERE kind = 'article' AND fetched_at < :t", t=between)),
        # Run 2 re-read outlet-a's unchanged listing pages and sitemaps as revisit records: their
        # originals (run 1's responses) come along, so that they replay.
        (["--captured-since", shared_crawl.between.isoformat(), "--outlet", "outlet-a"],
         shipped(of_outlet + "'outlet-a' AND c.fetched_at >= :t", t=between),
         pages_of(of_outlet.replace("c.id", "c.article_id") + "'outlet-a' AND c.kind = 'article' AND c.fetched_at >= :t",
                  t=between)),
    ]
    everything = {r for r, in shared_crawl.rows("SELECT warc_record_id FROM captures")}
    for i, (args, expected, page_ids) in enumerate(cases):
        assert expected and page_ids and expected != everything, args
        out = tmp_path / f"filtered-{i}.wacz"
        cli_ok("export-wacz", str(out), *args, *archive)
        warcs, pages, index = check_wacz(out, shared_crawl.warc_dir)
        records = records_in(out)
        exchanges = {r.record_id for r in records if r.rec_type in ("response", "revisit")}
        assert exchanges == expected, args  # every selected record, and nothing of anyone else's
        assert {(f["url"], stamp) for _, stamp, f in index} == {
            (r.target_uri, re.sub(r"\D", "", r.date)[:14]) for r in records if r.rec_type in ("response", "revisit")}
        requests = [r for r in records if r.rec_type == "request"]
        assert {r.warc_header("WARC-Concurrent-To") for r in requests} == expected  # each travels with its response
        assert all(r.warc_header("WARC-Refers-To") in expected for r in records if r.rec_type == "metadata")
        assert all(name.endswith("-excerpt.warc.gz") for name in warcs) or set(warcs) <= {
            p.name for p in shared_crawl.warc_dir.glob("*.warc.gz")}
        assert sorted(p["id"] for p in pages) == page_ids, args


def test_export_wacz_brings_the_originals_of_revisits(synthetic: Synthetic, tmp_path: Path) -> None:
    out = tmp_path / "revisit.wacz"
    cli_ok("export-wacz", str(out), "--captured-since", "2024-08-01", "--archive", str(synthetic.archive))
    warcs, pages, index = check_wacz(out, synthetic.warc_dir)
    assert len(warcs) == 2  # the September revisit's file and its original's
    assert pages == []  # a revisit is not an extracted article capture
    by_stamp = {stamp: f for _, stamp, f in index}
    # C (September) is a revisit of B (June); G (October) a revisit of C: B travels with them
    assert sorted(by_stamp) == ["20240601000000", "20240901000000", "20241001000000"]
    assert by_stamp["20240601000000"]["mime"] == "text/html" and by_stamp["20240901000000"]["mime"] == "warc/revisit"


@pytest.mark.parametrize("args, needle", [
    (["--outlet", "nope"], "no outlet named 'nope'"),
    (["--captured-since", "2031-01-01"], "no captures match"),
    (["--captured-since", "2024-05-01", "--captured-until", "2023-12"], "--captured-since must be before --captured-until"),
    (["--captured-until", "yesterday-ish"], "--captured-until: not a date"),
    (["--since", "2024-05-01"], "--since was renamed to say which date it filters: use --captured-since"),
])
def test_export_wacz_bad_filters(synthetic: Synthetic, tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "bad.wacz"
    result = run_cli("export-wacz", str(out), *args, "--archive", str(synthetic.archive))
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and needle in lines[0], result.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))


@pytest.mark.sqlite_only("an archive directory without a database file")
def test_export_cdxj_without_an_archive(tmp_path: Path) -> None:
    result = run_cli("export-cdxj", "--archive", str(tmp_path / "none"))
    assert result.returncode == 2 and b"no archive" in result.stderr
