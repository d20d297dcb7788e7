"""Exports, reextract and replay over damaged WARC files (a truncated file, 50 flipped bytes in a
record, a gzip member cut in half, garbage appended): each unreadable record is skipped with one
warning per file and the command goes on; ``--strict`` stops with one line and exit 1. Nothing
archived changes. The index lists every kind of response, page requisites and their revisits too."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.db.engine import make_engine
from archive.errors import RecordUnreadableError
from archive.replay.server import ReplayApp
from archive.replay.tolerant import SkippingReplayer
from archive.warc.damage import SkipLedger
from archive.warc.reader import iter_records, read_record
from tests.archive.replay.damagekit import DAMAGES, OLD_BODY, Damaged, build_damaged
from tests.archive.replay.test_pywb import tool, tools  # noqa: F401  the wacz venv fixture, built once and cached
from tests.archivekit import HOME, ArchiveKit
from tests.conftest import one_line_error, run_cli

WARNING = re.compile(r"^pressclips: warning: (\S+): skipped (\d+) unreadable record\(s\) \(first at byte (\d+): .+\); "
                     r"run 'pressclips verify'$")


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Damaged]:
    """One damaged archive (SQLite) for the tests that only read it: what they exercise is WARC
    reading; the SQL they run is covered on both databases elsewhere (and below, for the filter)."""
    kit = ArchiveKit(tmp_path_factory.mktemp("damaged") / "archive")
    yield build_damaged(kit)
    kit.close()


@pytest.fixture
def damaged_on_each_database(database_url: str, tmp_path: Path) -> Iterator[Damaged]:
    kit = ArchiveKit(tmp_path / "archive", database_url)
    yield build_damaged(kit)
    kit.close()


def warnings(stderr: str) -> dict[str, int]:
    """file -> records skipped; every stderr line must be one such warning."""
    found = {}
    for line in stderr.strip().splitlines():
        m = WARNING.match(line)
        assert m, line
        assert m.group(1) not in found, f"two warnings for {m.group(1)}"
        found[m.group(1)] = int(m.group(2))
    return found


def readable(found: Damaged) -> set[tuple[str, str]]:
    """(URL, record ID) of every response/revisit record still readable at its written place."""
    out = set()
    for pointer in [found.old_page, *found.assets.values(), *(p for ps in found.pages.values() for p in ps)]:
        assert pointer is not None
        try:
            record = read_record(found.kit.warc_dir, pointer)
        except RecordUnreadableError:
            continue
        out.add((record.target_uri or "", pointer.record_id))
    return out


def test_export_cdxj_skips_each_kind_of_damage_and_indexes_every_kind_of_response(damaged: Damaged,
                                                                                  tmp_path: Path) -> None:
    before = damaged.digests()
    result = run_cli("export-cdxj", "-o", str(tmp_path / "index.cdxj"), *damaged.archive)
    assert result.returncode == 0, result.stderr
    *warned, summary = result.stderr.strip().splitlines()
    assert summary.startswith("wrote ")
    assert warnings("\n".join(warned)) == {damaged.files[d].name: 1 for d in DAMAGES}
    lines = [(line.split(" ", 2)[1], json.loads(line.split(" ", 2)[2]))
             for line in (tmp_path / "index.cdxj").read_text().splitlines()]
    by_place = {(f["filename"], int(f["offset"])): f for _, f in lines}
    # every readable record is indexed, whatever it holds: the cut member shifted the records after
    # it, so those are found where they now are, not by their written pointers
    expected_ids = {rid for _, rid in readable(damaged)}
    indexed_ids = set()
    for (name, offset), fields in by_place.items():
        record = read_record(damaged.kit.warc_dir, name, offset, int(fields["length"]))
        indexed_ids.add(record.record_id)
    cut = damaged.pages["cut-member"]
    assert indexed_ids == expected_ids | {cut[2].record_id, cut[3].record_id}
    mimes = {f["url"].removeprefix(HOME): f["mime"] for _, f in lines if f["mime"] != "warc/revisit"}
    assert {k: v for k, v in mimes.items() if not k.startswith(tuple(f"/{d}/" for d in DAMAGES))} == {
        "/static/site.css": "text/css", "/img/bg.png": "image/png",
        "/static/font.woff2": "font/woff2", "/static/app.js": "application/javascript"}
    revisit = by_place[(damaged.assets["revisit"].file, damaged.assets["revisit"].offset)]
    assert revisit["mime"] == "warc/revisit" and revisit["digest"] == damaged.assets[HOME + "/static/site.css"].payload_digest
    assert damaged.digests() == before


@pytest.mark.parametrize("command", [["export-cdxj"], ["export-wacz", "{tmp}/out.wacz"], ["reextract", "--workers", "1"],
                                     ["replay", "get", HOME + "/flipped/1"]])
def test_strict_aborts_with_one_line_and_changes_nothing(damaged: Damaged, tmp_path: Path, command: list[str]) -> None:
    before = damaged.digests()
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = run_cli(*args, "--strict", *damaged.archive)
    one_line_error(result, 1, "unreadable WARC record at byte", "--strict")
    assert not list(tmp_path.glob("*.wacz")) and not list(tmp_path.glob(".*part"))
    assert damaged.digests() == before


def test_export_wacz_ships_the_readable_records(damaged: Damaged, tmp_path: Path) -> None:
    before = damaged.digests()
    out = tmp_path / "all.wacz"
    result = run_cli("export-wacz", str(out), *damaged.archive)
    assert result.returncode == 0, result.stderr
    assert warnings(result.stderr) == {damaged.files[d].name: 1 for d in DAMAGES}
    with zipfile.ZipFile(out) as zf:
        names = sorted(n.removeprefix("archive/") for n in zf.namelist() if n.startswith("archive/"))
        unpacked = tmp_path / "unpacked"
        zf.extractall(unpacked)
    clean = damaged.old_page.file if damaged.old_page else ""
    assert names == sorted([clean, *(damaged.files[d].name.replace(".warc.gz", "-excerpt.warc.gz") for d in DAMAGES)])
    assert (unpacked / "archive" / clean).read_bytes() == (damaged.kit.warc_dir / clean).read_bytes()
    for damage in DAMAGES:  # a new file of whole, readable records: strict reading finds no fault in it
        excerpt = unpacked / "archive" / damaged.files[damage].name.replace(".warc.gz", "-excerpt.warc.gz")
        ids = {r.record_id for _, _, r in iter_records(excerpt)}
        lost = {"truncated": [3], "flipped": [1], "cut-member": [1], "garbage": []}[damage]
        for i, page in enumerate(damaged.pages[damage]):
            assert (page.record_id in ids) == (i not in lost), (damage, i)
    pages = [json.loads(line) for line in (unpacked / "pages" / "pages.jsonl").read_text().splitlines()[1:]]
    titles = {p["title"] for p in pages}
    assert "flipped 1" not in titles and "truncated 3" not in titles and "flipped 0" in titles
    assert damaged.digests() == before


@pytest.mark.slow  # like test_pywb.py, whose venv (pywb + wacz, cached) it uses
def test_wacz_validate_accepts_a_filtered_export_of_a_damaged_archive(damaged_on_each_database: Damaged,
                                                                      tmp_path: Path, tools: Path) -> None:  # noqa: F811
    found = damaged_on_each_database
    out = tmp_path / "filtered.wacz"
    # from 13:00: the requisites and every page, not the older capture of /flipped/1
    result = run_cli("export-wacz", str(out), "--captured-since", "2026-11-01T13:00:00Z", *found.archive)
    assert result.returncode == 0, result.stderr
    assert warnings(result.stderr) == {found.files[d].name: 1 for d in DAMAGES}
    with zipfile.ZipFile(out) as zf:
        index = zf.read("indexes/index.cdxj").decode()
    assert " 20261031120000 " not in index  # the older capture of /flipped/1 is outside the window
    assert f"{HOME}/static/site.css" in index and "warc/revisit" in index
    check = tool(tools, "wacz", "validate", "-f", str(out))
    assert check.returncode == 0, check.stdout + check.stderr


def test_reextract_skips_unreadable_records(damaged: Damaged) -> None:
    before = damaged.digests()
    result = run_cli("reextract", "--workers", "1", *damaged.archive)
    assert result.returncode == 0, result.stderr
    # the cut member also moved the records after it away from their pointers: 3 there
    assert warnings(result.stderr) == {damaged.files["truncated"].name: 1, damaged.files["flipped"].name: 1,
                                       damaged.files["cut-member"].name: 3}
    assert "skipped 5" in result.stdout and "errors" not in result.stdout
    assert damaged.digests() == before


def test_replay_get_skips_to_the_next_capture(damaged: Damaged) -> None:
    result = run_cli("replay", "get", HOME + "/flipped/1", *damaged.archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout == OLD_BODY.decode()
    assert warnings(result.stderr) == {damaged.files["flipped"].name: 1}


def test_replay_server_skips_or_answers_500_when_strict(damaged: Damaged) -> None:
    engine = make_engine(damaged.kit.database_url)
    try:
        said: list[str] = []
        ledger = SkipLedger(warn=said.append)
        app = ReplayApp(SkippingReplayer(engine, damaged.kit.warc_dir, ledger, warn_at_once=True))
        for _ in range(3):
            response = app.handle(f"/20270101id_/{HOME}/flipped/1")  # id_: the archived bytes, unrewritten
            assert response.status == 200 and response.body == OLD_BODY
        assert len(said) == 1 and damaged.files["flipped"].name in said[0]  # at once, and once
        assert ledger.counts() == {damaged.files["flipped"].name: 3}
        ledger.flush()
        assert len(said) == 2 and "skipped 3 unreadable" in said[1]
        strict = ReplayApp(SkippingReplayer(engine, damaged.kit.warc_dir, SkipLedger(strict=True)))
        response = strict.handle(f"/20270101id_/{HOME}/flipped/1")
        assert response.status == 500 and b"could not be read" in response.body
    finally:
        engine.dispose()

