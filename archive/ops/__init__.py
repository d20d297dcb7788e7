"""Operations on a whole archive: the run lock, repair on start, verify, re-extraction,
rebuilding stories, the cron line and the log file.
"""


from archive.ops.cronline import crontab_lines, last_outlets_file, runtime_limit, schedule
from archive.ops.lock import ArchiveLock
from archive.ops.logfile import rotating_handler
from archive.ops.reextract import reextract_archive
from archive.ops.repair import repair_on_start
from archive.ops.restory import RestoryReport, restory
from archive.ops.verify import verify_archive

__all__ = [
    "ArchiveLock",
    "RestoryReport",
    "crontab_lines",
    "last_outlets_file",
    "reextract_archive",
    "repair_on_start",
    "restory",
    "rotating_handler",
    "runtime_limit",
    "schedule",
    "verify_archive",
]
