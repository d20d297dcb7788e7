"""Building real archives for verify/versions/CLI tests: WARC records written by ``WarcWriter``,
rows written by ``Store``, exactly as a crawl leaves them (no fake pointers)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db.engine import make_engine
from archive.db.kinds import CaptureKind
from archive.db.models import Capture
from archive.db.store import CaptureRecord, PageResult, Store
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.warc.reader import WarcPointer
from archive.warc.writer import HttpExchange, WarcWriter
from tests.backends import archive_url

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
OUTLET = "outlet"
HOME = "http://127.0.0.1:8123"


def exchange(url: str, body: bytes, when: datetime = T0, status: int = 200) -> HttpExchange:
    return HttpExchange(url=url, method="GET", request_headers=[("User-Agent", "pressclips-test")],
                        status=status, reason="", http_version="HTTP/1.1",
                        response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body,
                        fetched_at=when, ip_address="127.0.0.1")


def article(text: str, *, title: str = "A headline", authors: tuple[str, ...] = ("Ann Writer",),
            published: str = "2026-11-01T09:30:00+00:00") -> Extraction:
    return Extraction(is_article=True, reason=None, title=title, authors=list(authors), published=published,
                      language="en", text=text, content_hash=content_hash(text))


class ArchiveKit:
    """An archive directory (``root/warcs``) plus its database, filled through the real writers."""

    def __init__(self, root: Path, database_url: str | None = None) -> None:
        self.root = root
        self.warc_dir = root / "warcs"
        self.warc_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or archive_url(root)
        self.engine = make_engine(self.database_url)
        self.store = Store(self.engine)
        self.store.ensure_outlets([(OUTLET, HOME + "/", ["127.0.0.1:8123"])])
        self.run_id = self.store.start_run("outlets.toml")
        self.clock = T0

    def close(self) -> None:
        self.engine.dispose()

    def tick(self) -> datetime:
        self.clock += timedelta(hours=1)
        return self.clock

    def finish_run(self) -> None:
        self.store.finish_run(self.run_id, status="ok", finish_reason="finished", counts={}, warc_files=[],
                              stats={})

    def dead_run(self) -> int:
        """A run started by a crawl process that then died (killed before it could finish its row)."""
        script = ("import sys; from archive.db.engine import make_engine; from archive.db.store import Store; "
                  "print(Store(make_engine(sys.argv[1])).start_run('outlets.toml'))")
        result = subprocess.run([sys.executable, "-c", script, self.database_url], cwd=REPO, capture_output=True,
                                text=True, timeout=60, check=True)
        return int(result.stdout)

    def capture(self, pointer: WarcPointer, url: str, when: datetime | None = None, kind: str | None = None) -> None:
        self.store.add_capture(CaptureRecord(
            url=url, fetched_at=when or self.clock, status=200, mime="text/html",
            pointer=pointer, outlet=OUTLET, run_id=self.run_id, kind=None if kind is None else CaptureKind(kind)))

    def page(self, writer: WarcWriter, path: str, ext: Extraction) -> WarcPointer:
        """Fetch-archive-store one article page, as the pipeline does."""
        url = HOME + path
        when = self.tick()
        body = f"<html><body><h1>{ext.title}</h1><p>{ext.text}</p></body></html>".encode()
        pointer = writer.write_exchange(exchange(url, body, when))
        self.capture(pointer, url, when)
        self.store.record_page(PageResult(outlet=OUTLET, warc_record_id=pointer.record_id, requested_url=url,
                                          final_url=url, fetched_at=when, status=200, extraction=ext))
        return pointer

    def capture_id(self, record_id: str) -> int:
        with Session(self.engine) as session:
            found = session.scalar(select(Capture.id).where(Capture.warc_record_id == record_id))
        assert found is not None
        return found


# A writer killed with SIGKILL after writing, leaving NAME.open with a torn half record at its end.
KILLED_WRITER = textwrap.dedent("""
    import json, os, signal, sys
    from datetime import datetime, timezone
    from pathlib import Path
    from archive.warc.writer import HttpExchange, WarcWriter

    writer = WarcWriter(Path(sys.argv[1]), prefix=sys.argv[2])
    pointers = []
    for i in range(int(sys.argv[3])):
        ex = HttpExchange(f"http://127.0.0.1:8123/crashed/{i}", "GET", [], 200, "OK", "HTTP/1.1", [],
                          f"<p>crashed page {i}</p>".encode() * 40, datetime.now(timezone.utc))
        p = writer.write_exchange(ex)
        pointers.append([p.file, p.offset, p.length, p.record_id, p.payload_digest])
    last = pointers[-1]
    path = Path(sys.argv[1]) / (last[0] + ".open")
    record = path.read_bytes()[last[1]:last[1] + last[2]]
    with open(path, "ab") as fh:  # the kill hits in the middle of the next record
        fh.write(record[: len(record) // 2])
    print(json.dumps(pointers), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def killed_writer(warc_dir: Path, prefix: str, records: int) -> list[WarcPointer]:
    """Run a real writer process that dies by SIGKILL mid-record; returns its pointers."""
    result = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(warc_dir), prefix, str(records)],
                            cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == -9, result.stderr
    return [WarcPointer(*row) for row in json.loads(result.stdout)]
