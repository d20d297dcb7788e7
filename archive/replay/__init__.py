"""Replay and web-archive exports: capture lookup, the replay URL grammar, the replay server and its
pages, HTML/CSS rewriting onto the server with the banner, replay that skips damaged records, CDXJ,
and WACZ (with the selection of records a filtered one ships).
"""


from archive.replay.cdxj import warc_files, write_cdxj
from archive.replay.lookup import Replayer
from archive.replay.server import is_loopback, make_server
from archive.replay.target import parse_timestamp
from archive.replay.tolerant import SkippingReplayer
from archive.replay.wacz import WaczFilter, export_wacz

__all__ = [
    "Replayer",
    "SkippingReplayer",
    "WaczFilter",
    "export_wacz",
    "is_loopback",
    "make_server",
    "parse_timestamp",
    "warc_files",
    "write_cdxj",
]
