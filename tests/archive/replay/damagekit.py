"""An archive with damaged WARC files, written by the real writer and then broken on disk the four
ways the exports must survive: a truncated file, 50 flipped bytes in the middle of a record, a gzip
member cut in half, garbage appended. Plus a clean file of page requisites (stylesheet, image,
font, script, and a revisit of the stylesheet) and an older good capture of a damaged page."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from archive.db.kinds import CaptureKind
from archive.db.store import CaptureRecord
from archive.warc.reader import WarcPointer
from archive.warc.writer import HttpExchange, WarcWriter
from tests.archivekit import HOME, T0, ArchiveKit, article

DAMAGES = ("truncated", "flipped", "cut-member", "garbage")
OLD_BODY = b"<html><body><p>the older, intact capture</p></body></html>"
ASSETS = {  # path: (Content-Type, body)
    "/static/site.css": ("text/css", b"@import url(/static/fonts.css); body{background:url(/img/bg.png)}"),
    "/img/bg.png": ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    "/static/font.woff2": ("font/woff2", b"wOF2" + os.urandom(600)),
    "/static/app.js": ("application/javascript", b"console.log('archived, never run');"),
}


@dataclass
class Damaged:
    kit: ArchiveKit
    files: dict[str, Path] = field(default_factory=dict)  # damage -> its WARC file
    pages: dict[str, list[WarcPointer]] = field(default_factory=dict)  # damage -> its pages, as written
    assets: dict[str, WarcPointer] = field(default_factory=dict)  # URL -> pointer (and "revisit")
    old_page: WarcPointer | None = None

    def digests(self) -> dict[str, str]:
        """sha256 of every file under the WARC directory: what 'nothing archived changed' compares."""
        return {str(p.relative_to(self.kit.warc_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(self.kit.warc_dir.rglob("*")) if p.is_file()}

    @property
    def archive(self) -> list[str]:
        return ["--archive", str(self.kit.root), "--database-url", self.kit.database_url]


def asset_exchange(url: str, mime: str, body: bytes, when: datetime) -> HttpExchange:
    return HttpExchange(url=url, method="GET", request_headers=[("User-Agent", "pressclips-test")], status=200,
                        reason="OK", http_version="HTTP/1.1", response_headers=[("Content-Type", mime)], body=body,
                        fetched_at=when, ip_address="127.0.0.1")


def build_damaged(kit: ArchiveKit) -> Damaged:
    found = Damaged(kit)
    with WarcWriter(kit.warc_dir, prefix="clean") as writer:
        old_url = HOME + "/flipped/1"
        found.old_page = writer.write_exchange(asset_exchange(old_url, "text/html", OLD_BODY, T0 - timedelta(days=1)))
        kit.capture(found.old_page, old_url, T0 - timedelta(days=1))
        for path, (mime, body) in ASSETS.items():
            when = kit.tick()
            pointer = writer.write_exchange(asset_exchange(HOME + path, mime, body, when))
            kit.capture(pointer, HOME + path, when, kind="not-article")
            found.assets[HOME + path] = pointer
        css_url = HOME + "/static/site.css"
        when = kit.tick()
        revisit = writer.write_revisit(asset_exchange(css_url, "text/css", ASSETS["/static/site.css"][1], when),
                                       refers_to=found.assets[css_url], refers_to_uri=css_url,
                                       refers_to_date=when - timedelta(hours=5))
        kit.store.add_capture(_revisit_row(kit, revisit, css_url, when, found.assets[css_url]))
        found.assets["revisit"] = revisit
    for damage in DAMAGES:
        with WarcWriter(kit.warc_dir, prefix=damage) as writer:
            found.pages[damage] = [kit.page(writer, f"/{damage}/{i}", article(f"Story {damage} {i}. " * 40,
                                                                              title=f"{damage} {i}"))
                                   for i in range(4)]
        found.files[damage] = kit.warc_dir / found.pages[damage][0].file
    kit.finish_run()
    _break(found)
    return found


def _revisit_row(kit: ArchiveKit, pointer: WarcPointer, url: str, when: datetime,
                 original: WarcPointer) -> CaptureRecord:
    return CaptureRecord(url=url, fetched_at=when, status=200, mime="text/css", pointer=pointer,
                         outlet="outlet", run_id=kit.run_id, kind=CaptureKind.REVISIT,
                         refers_to_id=kit.capture_id(original.record_id))


def _break(found: Damaged) -> None:
    truncated, p = found.files["truncated"], found.pages["truncated"]
    data = truncated.read_bytes()
    truncated.write_bytes(data[: p[3].offset + p[3].length // 2])

    flipped, p = found.files["flipped"], found.pages["flipped"]
    data = bytearray(flipped.read_bytes())
    middle = p[1].offset + p[1].length // 2
    for at in range(middle - 25, middle + 25):
        data[at] ^= 0xFF
    flipped.write_bytes(bytes(data))

    cut, p = found.files["cut-member"], found.pages["cut-member"]
    data = cut.read_bytes()
    cut.write_bytes(data[: p[1].offset + p[1].length // 2] + data[p[1].offset + p[1].length:])

    with open(found.files["garbage"], "ab") as fh:
        fh.write(b"\x1f\x8b\x08garbage" + os.urandom(4000))
