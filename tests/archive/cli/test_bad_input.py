"""Bad input to the CLI and its config: every case gives one line on stderr, the documented exit
code, no traceback, and leaves a real archive exactly as it was (rows and WARC bytes)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.archivekit import ArchiveKit, article
from tests.backends import archive_url
from tests.conftest import one_line_error, run_cli

GOOD_OUTLET = '[[outlets]]\nname = "local"\nhomepage = "http://127.0.0.1:9/"\n'


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=120)


def snapshot(root: Path) -> dict[str, str]:
    """What the archive holds: every table's rows and every WARC file's bytes, by hash."""
    state: dict[str, str] = {}
    engine = create_engine(archive_url(root))
    with engine.connect() as conn:
        for table in sorted(inspect(engine).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            state[f"table:{table}"] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    engine.dispose()
    for path in sorted((root / "warcs").rglob("*")):
        if path.is_file():
            state[f"file:{path.relative_to(root)}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from archive.warc.writer import WarcWriter

    root = tmp_path_factory.mktemp("bad-input") / "archive"
    kit = ArchiveKit(root)
    with WarcWriter(kit.warc_dir) as writer:
        kit.page(writer, "/news/one", article("The premiere drew a standing ovation in Venice."))
        kit.page(writer, "/news/two", article("A first cut of the review."))
        kit.page(writer, "/news/two", article("A second, longer cut of the review."))
    kit.finish_run()
    kit.close()
    yield root


def files(tmp: Path) -> dict[str, Path]:
    made = {
        "malformed": "[[outlets]\nname = \n",
        "unknown_key": GOOD_OUTLET + 'sitemap = "http://127.0.0.1:9/s.xml"\n',
        "bad_url": '[[outlets]]\nname = "x"\nhomepage = "not a url"\n',
        "duplicate": GOOD_OUTLET + GOOD_OUTLET,
        "good": GOOD_OUTLET,
    }
    out = {}
    for name, body in made.items():
        out[name] = tmp / f"{name}.toml"
        out[name].write_text(body)
    return out


CASES: list[tuple[str, list[str], int, str]] = [
    ("malformed TOML", ["crawl", "--outlets", "{malformed}"], 2, "malformed.toml"),
    ("unknown outlet key", ["crawl", "--outlets", "{unknown_key}"], 2, "unknown key"),
    ("bad homepage URL", ["crawl", "--outlets", "{bad_url}"], 2, "homepage"),
    ("duplicate outlet", ["crawl", "--outlets", "{duplicate}"], 2, "local"),
    ("missing outlets file", ["crawl", "--outlets", "{tmp}/nope.toml"], 2, "nope.toml"),
    ("unknown outlet filter", ["crawl", "--outlets", "{good}", "--outlet", "other"], 2, "other"),
    ("bad -s setting", ["crawl", "--outlets", "{good}", "-s", "NOEQUALS"], 2, "NAME=VALUE"),
    ("bad --published-since", ["crawl", "--outlets", "{good}", "--published-since", "last tuesday"], 2,
     "--published-since"),
    ("--published-since after --published-until", ["crawl", "--outlets", "{good}", "--published-since",
                                                   "2026-12-01", "--published-until", "2026-11-01"],
     2, "--published-since is after --published-until"),
    ("relative date out of range", ["crawl", "--outlets", "{good}", "--published-since", "9999999d"], 2,
     "--published-since"),
    ("retired --since for crawl", ["crawl", "--outlets", "{good}", "--since", "7d"], 2, "use --published-since"),
    ("retired --until for crawl", ["crawl", "--outlets", "{good}", "--until", "7d"], 2, "use --published-until"),
    ("bad --max-runtime", ["crawl", "--outlets", "{good}", "--max-runtime", "soon"], 2, "--max-runtime"),
    ("unwritable --log-file", ["crawl", "--outlets", "{good}", "--log-file", "/proc/pressclips/crawl.log"], 2,
     "--log-file"),
    ("unreachable database", ["crawl", "--outlets", "{good}", "--database-url",
                              "postgresql+psycopg://postgres@127.0.0.1:1/nothing"], 1, "database"),
    ("invalid database URL", ["search", "venice", "--database-url", "nonsense://"], 1, "database URL"),
    pytest.param("missing archive directory", ["search", "venice", "--archive", "{tmp}/no-such-archive"], 2,
                 "no archive", marks=pytest.mark.sqlite_only("an archive directory without a database file")),
    ("archive path is a file", ["crawl", "--outlets", "{good}", "--archive", "{good}"], 2, "is a file"),
    ("unknown article id", ["show", "999999"], 2, "999999"),
    ("non-numeric id", ["show", "abc"], 2, "abc"),
    ("versions of an unknown article", ["versions", "424242"], 2, "424242"),
    ("diff with a version that does not exist", ["diff", "2", "1", "9"], 2, "9"),
    ("search with only exclusions", ["search", "-spoilers"], 2, "search"),
    ("bad --seen-since for export", ["export", "--seen-since", "2026-13-45"], 2, "--seen-since"),
    ("retired --since for export", ["export", "--since", "2026-11"], 2, "use --seen-since"),
    ("retired --until for search", ["search", "x", "--until", "2026-11"], 2, "use --seen-until"),
    ("retired --since for export-wacz", ["export-wacz", "{tmp}/x.wacz", "--since", "7d"], 2, "use --captured-since"),
    ("bad --captured-until", ["export-wacz", "{tmp}/x.wacz", "--captured-until", "soon"], 2, "--captured-until"),
    ("unknown export format", ["export", "--format", "xml"], 2, "xml"),
    ("bad replay timestamp", ["replay", "get", "1", "--at", "yesterday-ish"], 2, "timestamp"),
    ("replay of an unknown URL", ["replay", "get", "http://127.0.0.1:9/never-archived"], 2, "never-archived"),
    ("replay serve on a bad port", ["replay", "serve", "--port", "70000"], 2, "70000"),
    ("cron with a bad schedule", ["cron", "--outlets", "{good}", "--every", "7x"], 2, "7x"),
    ("runs with a bad limit", ["runs", "--limit", "0"], 2, "--limit"),
    ("unknown command", ["serach", "venice"], 2, "serach"),
    # Numbers past 2**63 - 1 used to reach the database driver and end in an OverflowError traceback.
    ("show an id past 2^63", ["show", "99999999999999999999999"], 2, "not an article id"),
    ("export --limit 10**30", ["export", "--limit", str(10**30)], 2, "--limit"),
    ("search --offset past 2^63", ["search", "venice", "--offset", str(2**63)], 2, "--offset"),
    ("search --limit past 2^63", ["search", "venice", "--limit", str(2**64)], 2, "--limit"),
    ("runs --limit past 2^63", ["runs", "--limit", str(2**70)], 2, "--limit"),
    ("versions of an id past 2^63", ["versions", str(2**63)], 2, "not an article id"),
    ("diff of an id past 2^63", ["diff", str(2**64)], 2, "not an article id"),
    ("diff to a version past 2^63", ["diff", "2", "1", str(2**63)], 2, "not a version number"),
    ("replay an id past 2^63", ["replay", "get", str(10**25)], 2, "not an article id"),
    ("replay a capture past 2^63", ["replay", "get", f"capture:{10**25}"], 2, "not an id"),
    ("a negative id", ["show", "-5"], 2, "-5"),
    ("an id that is not a number", ["versions", "1e3"], 2, "1e3"),
]


@pytest.mark.parametrize(("name", "args", "code", "needle"), CASES,
                         ids=[str(getattr(c, "values", c)[0]) for c in CASES])
def test_bad_input_is_one_line_and_leaves_the_archive_unchanged(
        archive: Path, tmp_path: Path, name: str, args: list[str], code: int, needle: str) -> None:
    paths = {k: str(v) for k, v in files(tmp_path).items()}
    argv = [a.format(tmp=tmp_path, **paths) for a in args]
    if "--archive" not in argv and "--database-url" not in argv:
        argv += ["--archive", str(archive)]
    before = snapshot(archive)
    result = cli(*argv)
    one_line_error(result, code, needle, ignore_case=True)
    assert snapshot(archive) == before


def test_bad_search_syntax_is_a_query_not_a_crash(archive: Path) -> None:
    for query in ('"unbalanced', "e-mails:", "NEAR(", "OR OR", "venice*^", ")(", "-"):
        result = cli("search", query, "--archive", str(archive), "--json")
        assert result.returncode in (0, 2), (query, result.stderr)
        assert "Traceback" not in result.stderr
        if result.returncode == 2:
            assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.sqlite_only("copies the archive directory, its database file included")
def test_corrupt_warc_is_reported_by_verify_and_reextract_without_changing_anything(
        archive: Path, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    warc = next((copy / "warcs").glob("*.warc.gz"))
    data = bytearray(warc.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)  # zeroes in the middle of a gzip member
    warc.write_bytes(bytes(data))
    before = snapshot(copy)

    verify = cli("verify", "--archive", str(copy))
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert warc.name in verify.stdout + verify.stderr
    assert "Traceback" not in verify.stdout + verify.stderr

    # reextract skips the unreadable record with one warning for the file and goes on; --strict stops
    reextract = cli("reextract", "--archive", str(copy))
    assert reextract.returncode == 0, reextract.stdout + reextract.stderr
    assert "Traceback" not in reextract.stdout + reextract.stderr
    assert f"pressclips: warning: {warc.name}: skipped 1 unreadable record" in reextract.stderr
    strict = cli("reextract", "--strict", "--archive", str(copy))
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "Traceback" not in strict.stdout + strict.stderr
    assert "error" in strict.stderr.lower()
    after = snapshot(copy)
    assert after == before
