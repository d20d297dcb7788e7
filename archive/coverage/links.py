"""Where a report item links to: its replay URL on ``pressclips replay serve``.

The paths come from ``archive.replay`` (the server owns its URL grammar); a report only adds the
server's base URL: empty on the server's own report page, ``http://127.0.0.1:8080`` (the server's
default address) or the user's ``--replay-base`` in a report file.
"""

from __future__ import annotations

from archive.coverage.pieces import Piece
from archive.replay.responses import article_path, replay_path
from archive.replay.target import timestamp14


def replay_link(piece: Piece, base: str = "") -> str:
    """The replay URL of the capture the piece's current text came from; its article page when there is none."""
    root = base.rstrip("/")
    if piece.capture_url and piece.captured_at is not None:
        return root + replay_path(timestamp14(piece.captured_at), piece.capture_url)
    return root + article_path(piece.article_id)


def article_link(article_id: int, base: str = "") -> str:
    return base.rstrip("/") + article_path(article_id)
