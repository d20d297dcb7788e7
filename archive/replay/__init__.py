"""Replay and web-archive exports: capture lookup, the replay URL grammar, the replay server and its
pages, HTML/CSS rewriting onto the server with the banner, CDXJ and WACZ.
"""


from archive.replay.cdxj import warc_files, write_cdxj
from archive.replay.lookup import Replayer
from archive.replay.server import is_loopback, make_server
from archive.replay.target import parse_timestamp
from archive.replay.wacz import WaczFilter, export_wacz

__all__ = [
    "Replayer",
    "WaczFilter",
    "export_wacz",
    "is_loopback",
    "make_server",
    "parse_timestamp",
    "warc_files",
    "write_cdxj",
]
