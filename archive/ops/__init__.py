"""Operations on a whole archive: the run lock, the archive lease, repair on start, verify (with the
quarantine of a damaged WARC file), re-extraction, rebuilding stories, the cron line and the log file.
"""


from archive.ops.cronline import crontab_lines, last_outlets_file, runtime_limit, schedule
from archive.ops.lease import ArchiveLease
from archive.ops.lock import ArchiveLock
from archive.ops.logfile import rotating_handler
from archive.ops.quarantine import quarantine_file, recover
from archive.ops.reextract import reextract_archive
from archive.ops.repair import repair_on_start
from archive.ops.restory import RestoryReport, restory
from archive.ops.verify import verify_archive

__all__ = [
    "ArchiveLease",
    "ArchiveLock",
    "RestoryReport",
    "crontab_lines",
    "last_outlets_file",
    "quarantine_file",
    "recover",
    "reextract_archive",
    "repair_on_start",
    "restory",
    "rotating_handler",
    "runtime_limit",
    "schedule",
    "verify_archive",
]
