"""The WARC store: the writer (the only warcio user), reading records by pointer, scanning files end to
end, and safe file paths.
"""


from archive.warc.paths import safe_warc_path
from archive.warc.reader import (
    OPEN_SUFFIX,
    StoredRecord,
    WarcPointer,
    finalise_open_files,
    iter_records,
    read_record,
)
from archive.warc.scan import FileScan, scan_file
from archive.warc.writer import HttpExchange, WarcWriter, payload_digest

__all__ = [
    "FileScan",
    "HttpExchange",
    "OPEN_SUFFIX",
    "StoredRecord",
    "WarcPointer",
    "WarcWriter",
    "finalise_open_files",
    "iter_records",
    "payload_digest",
    "read_record",
    "safe_warc_path",
    "scan_file",
]
