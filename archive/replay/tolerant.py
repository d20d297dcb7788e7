"""Replay over damaged WARC files: an unreadable record is skipped, counted, and warned about once.

``Replayer`` already tries the next-closest capture when one cannot be read (as pywb tries the next
index line). ``SkippingReplayer`` adds the bookkeeping the exports have: every
``RecordUnreadableError`` goes to a ``SkipLedger``, whose counts are warned about per file by
``ledger.flush()`` when the command ends; for a server (``warn_at_once``) the first skip in each
file is warned about at once too (it runs for days: the operator should not wait for Ctrl-C). With a strict
ledger only the closest capture is tried and its damage is the answer: ``replay get`` fails with
that one line, ``replay serve`` answers 500 for it instead of showing a neighbouring capture.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from archive.errors import RecordUnreadableError
from archive.replay.lookup import CaptureInfo, CaptureNotFound, Replayer, Resolved
from archive.warc.damage import SkipLedger


class SkippingReplayer(Replayer):
    """A ``Replayer`` that reports the unreadable records it steps over to ``ledger``."""

    def __init__(self, engine: Engine, warc_dir: Path, ledger: SkipLedger, *, warn_at_once: bool = False) -> None:
        super().__init__(engine, warc_dir)
        self.ledger = ledger
        self.warn_at_once = warn_at_once  # a server warns at a file's first skip; a command when it ends

    def resolve_first(self, candidates: list[CaptureInfo]) -> Resolved:
        if self.ledger.strict:
            if not candidates:
                raise CaptureNotFound("no capture")
            return self.resolve(candidates[0])
        return super().resolve_first(candidates)

    def resolve(self, capture: CaptureInfo) -> Resolved:
        try:
            return super().resolve(capture)
        except RecordUnreadableError as exc:
            self.ledger.skip(exc)  # raises when strict
            if self.warn_at_once and self.ledger.counts().get(exc.file) == 1:
                self.ledger.flush(exc.file)
            raise


__all__ = ["SkippingReplayer"]
