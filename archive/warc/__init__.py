"""The WARC store: the writer (the only warcio user), reading records by pointer, scanning files end to
end (tolerantly: ``iter_readable`` with a ``SkipLedger``), and safe file paths.
"""


from archive.warc.damage import SkipLedger
from archive.warc.paths import safe_warc_path
from archive.warc.reader import (
    OPEN_SUFFIX,
    StoredRecord,
    WarcPointer,
    finalise_open_files,
    iter_records,
    read_record,
)
from archive.warc.scan import FileScan, iter_readable, scan_file
from archive.warc.writer import HttpExchange, WarcWriter, payload_digest

__all__ = [
    "FileScan",
    "HttpExchange",
    "OPEN_SUFFIX",
    "SkipLedger",
    "StoredRecord",
    "WarcPointer",
    "WarcWriter",
    "finalise_open_files",
    "iter_readable",
    "iter_records",
    "payload_digest",
    "read_record",
    "safe_warc_path",
    "scan_file",
]
