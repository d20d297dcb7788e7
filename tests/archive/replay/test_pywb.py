"""The archive in the real tools: pywb replays a crawl's WARCs, indexed by pywb itself and by our
WACZ's CDXJ, with the bytes the local site sent; cdxj-indexer and the ``surt`` package agree with
our index and keys; ``wacz validate`` accepts our WACZ files (and rejects a tampered one).

pywb cannot share the project's venv (DESIGN §4: it pins an old redis and its brotlipy shadows
Scrapy's brotli), so these tests build their own venv with pinned pywb and wacz, cached under
``~/.cache/pressclips-tests/`` (``$PRESSCLIPS_TEST_CACHE``) and keyed by the pins and the Python
version: the first run installs (~20-40 s with a package index), later runs reuse it. Without a
reachable package index the tests skip, saying so. These are the slow tests (``-m "not slow"``
leaves them out); they run by default.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.replay.cdxj import surt
from archive.replay.target import timestamp14
from archive.warc.reader import iter_records
from tests.replaykit import (
    SharedCrawl,
    build_synthetic,
    fetch,
    get_shared_crawl,
    run_cli,
    wait_for,
)

pytestmark = pytest.mark.slow

PINS = ("pywb==2.10.0", "wacz==0.6.0")
_NETWORK_ERRORS = ("NewConnectionError", "Network is unreachable", "Temporary failure in name resolution",
                   "Name or service not known", "No matching distribution found", "Could not find a version",
                   "Max retries exceeded", "ProxyError", "ConnectionError", "timed out")


def venv_dir() -> Path:
    key = hashlib.sha256("|".join([*PINS, sys.version]).encode()).hexdigest()[:12]
    base = Path(os.environ.get("PRESSCLIPS_TEST_CACHE") or Path.home() / ".cache" / "pressclips-tests")
    return base / f"pywb-venv-{key}"


def _build(venv: Path) -> None:
    """Create the venv in place (venv scripts hard-code their path, so no build-and-rename);
    ``.complete`` marks a finished one, anything else is rebuilt."""
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    for command in (pip + ["install", "--upgrade", "pip"], pip + ["install", *PINS]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=1200)
        if result.returncode != 0:
            output = (result.stderr + result.stdout).strip()
            shutil.rmtree(venv, ignore_errors=True)
            tail = " | ".join(output.splitlines()[-3:])
            if any(marker in output for marker in _NETWORK_ERRORS):
                pytest.skip(f"cannot install {' '.join(PINS)} into a test venv (package index unreachable?): {tail}")
            pytest.fail(f"installing {' '.join(PINS)} into {venv} failed: {tail}")
    (venv / ".complete").write_text(" ".join(PINS) + "\n")


@pytest.fixture(scope="module")
def tools() -> Path:
    """The bin/ directory of the pywb + wacz venv (built once, then cached)."""
    venv = venv_dir()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs must not build the same venv at once
        if not (venv / ".complete").exists():
            _build(venv)
    return venv / "bin"


@pytest.fixture(scope="module")
def shared_crawl(tmp_path_factory: pytest.TempPathFactory) -> SharedCrawl:
    return get_shared_crawl(tmp_path_factory)


def tool(tools: Path, name: str, *args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(tools / name), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse(lines: str) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """CDXJ lines keyed by (filename, offset)."""
    out = {}
    for line in lines.splitlines():
        if line.strip():
            key, stamp, blob = line.split(" ", 2)
            fields = json.loads(blob)
            out[(fields["filename"], fields["offset"])] = (f"{key} {stamp}", fields)
    return out


@pytest.fixture(scope="module")
def wayback(tools: Path, shared_crawl: SharedCrawl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pywb serving two collections of the crawl: ``indexed`` (WARCs added with wb-manager, so
    pywb built the index) and ``wacz`` (the WARCs and CDXJ unpacked from our export-wacz)."""
    root = tmp_path_factory.mktemp("pywb")
    warcs = sorted(str(p) for p in shared_crawl.warc_dir.glob("*.warc.gz"))
    for coll in ("indexed", "wacz"):
        assert tool(tools, "wb-manager", "init", coll, cwd=root).returncode == 0
    added = tool(tools, "wb-manager", "add", "indexed", *warcs, cwd=root)
    assert added.returncode == 0, added.stderr
    wacz = root / "export.wacz"
    result = run_cli("export-wacz", str(wacz), "--archive", str(shared_crawl.archive))
    assert result.returncode == 0, result.stderr
    coll = root / "collections" / "wacz"
    with zipfile.ZipFile(wacz) as zf:
        for name in zf.namelist():
            if name.startswith("archive/"):
                (coll / name).write_bytes(zf.read(name))
        (coll / "indexes" / "index.cdxj").write_bytes(zf.read("indexes/index.cdxj"))
    port = free_port()
    log = open(root / "wayback.log", "wb")
    proc = subprocess.Popen([str(tools / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=root,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        def up() -> bool:
            assert proc.poll() is None, (root / "wayback.log").read_text()[-2000:]
            try:
                return fetch(base, "/indexed/").status == 200
            except OSError:
                return False

        wait_for(up, timeout=90)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _expected(shared_crawl: SharedCrawl) -> Iterator[tuple[str, str, bytes]]:
    """(URL, 14-digit timestamp, entity body the site sent) of every article's capture."""
    for art in shared_crawl.site.articles:
        _article_id, _capture_id, url, when = shared_crawl.article_capture(art.canonical_url)
        sent = shared_crawl.site.last_body_sent[url]
        entity = gzip.decompress(sent) if sent[:2] == b"\x1f\x8b" else sent  # pywb's id_ mode decodes gzip
        assert entity == art.body
        yield url, timestamp14(when), entity


def test_pywb_replays_articles_from_our_wacz_index(wayback: str, shared_crawl: SharedCrawl) -> None:
    expected = list(_expected(shared_crawl))
    gzipped = [a for a in shared_crawl.site.articles if a.last_sent_gzip]
    assert gzipped and any(a.last_sent_chunked for a in shared_crawl.site.articles)
    for url, stamp, entity in expected:
        reply = fetch(wayback, f"/wacz/{stamp}id_/{url}")
        assert reply.status == 200, (url, reply.body[:300])
        assert reply.body == entity, url


def test_pywb_replays_articles_from_its_own_index(wayback: str, shared_crawl: SharedCrawl) -> None:
    """The WARCs added with ``wb-manager add``, indexed by pywb itself. pywb indexes metadata
    records too, which is why the extraction records have their own urn: target URI: with the
    page's URL, one written in the same second as its response shadowed the page."""
    wrong = []
    for url, stamp, entity in _expected(shared_crawl):
        reply = fetch(wayback, f"/indexed/{stamp}id_/{url}")
        if not (reply.status == 200 and reply.body == entity):
            wrong.append((url, reply.status, reply.header("Content-Type"), reply.body[:200]))
    assert not wrong


def test_our_index_matches_cdxj_indexer(tools: Path, shared_crawl: SharedCrawl, tmp_path: Path) -> None:
    synthetic = build_synthetic(tmp_path)
    for warc_dir, archive in ((shared_crawl.warc_dir, shared_crawl.archive), (synthetic.warc_dir, synthetic.archive)):
        files = sorted(p.name for p in warc_dir.iterdir() if p.name.endswith(".warc.gz") and not p.is_symlink())
        theirs = tool(tools, "cdxj-indexer", *files, cwd=warc_dir)
        assert theirs.returncode == 0, theirs.stderr
        ours = run_cli("export-cdxj", "--archive", str(archive))
        assert ours.returncode == 0, ours.stderr
        mine, reference = parse(ours.stdout.decode()), parse(theirs.stdout)
        kinds = {(path.name, str(offset)): record.rec_type for path in map(warc_dir.joinpath, files)
                 for offset, _length, record in iter_records(path)}
        replayable = {k: v for k, v in reference.items() if kinds[k] in ("response", "revisit")}
        assert set(mine) == set(replayable)  # theirs also lists our extraction metadata records
        for where, (key, fields) in mine.items():
            ref_key, ref_fields = replayable[where]
            assert key == ref_key, where
            if fields.get("mime") == "warc/revisit" and "WARC-Payload-Digest" not in _warc_head(warc_dir, fields):
                # a 304 revisit has no payload digest: cdxj-indexer hashes its empty payload, we name
                # the digest of the payload it stands for
                ref_fields = {**ref_fields, "digest": fields["digest"]}
            assert fields == ref_fields, where


def _warc_head(warc_dir: Path, fields: dict[str, str]) -> str:
    from archive.warc.reader import read_record

    record = read_record(warc_dir, fields["filename"], int(fields["offset"]), int(fields["length"]))
    return " ".join(name for name, _ in record.warc_headers)


def test_surt_matches_the_surt_package(tools: Path, shared_crawl: SharedCrawl) -> None:
    urls = sorted({u for u, in shared_crawl.rows("SELECT url FROM captures")} | {
        "http://www.Example.com:80/A/b/?b=2&a=1#x", "https://example.com:443/x?", "http://EXAMPLE.com/a/./b/../c//d/",
        "http://user:pw@www2.example.co.uk/x", "http://[::1]:8080/p", "http://2130706433/x", "http://127.1/x",
        "http://bücher.example/ü?ä=1", "http://example.com/%7Efoo/%2Fbar?Q=%41%20b", "http://example.com/a%",
        "http://example.com/x?b&a=&a", "http://example.com/a?jsessionid=0123456789abcdef0123456789abcdef&b=1",
        "http://example.com/(a(0123456789abcdef01234567))/page.aspx", "http://http://example.com/x",
        "http:////example.com/x", "http://example.com/?", "http://example.com/..", "example.com/no-scheme",
        "http://example.com/a;b=c?d=e;f&c=%7e"})
    script = "import json, sys\nfrom surt import surt\nprint(json.dumps([surt(u) for u in json.load(sys.stdin)]))"
    result = subprocess.run([str(tools / "python"), "-c", script], input=json.dumps(urls), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    theirs = json.loads(result.stdout)
    assert [surt(u) for u in urls] == theirs


def test_wacz_validate_accepts_our_exports(tools: Path, shared_crawl: SharedCrawl, tmp_path: Path) -> None:
    archive = ["--archive", str(shared_crawl.archive)]
    for name, args in (("all.wacz", []), ("outlet-b.wacz", ["--outlet", "outlet-b", "--no-text"]),
                       ("since.wacz", ["--captured-since", shared_crawl.between.isoformat()])):
        out = tmp_path / name
        assert run_cli("export-wacz", str(out), *args, *archive).returncode == 0
        result = tool(tools, "wacz", "validate", "-f", str(out))
        assert result.returncode == 0 and "Validation succeeded" in result.stdout, (name, result.stdout, result.stderr)
    # the validator really checks: a WACZ whose pages file changed after hashing is refused
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(tmp_path / "all.wacz") as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data += b'{"url": "http://example.test/", "ts": "2024-01-01T00:00:00Z", "title": "added"}\n'
            dst.writestr(info, data)
    result = tool(tools, "wacz", "validate", "-f", str(tampered))
    assert result.returncode != 0 and "Validation failed" in result.stdout
