"""Extraction: the result type, page markup and metadata, page kinds, block pages and the process pool.

``archive.extract.extractor`` (the trafilatura adapter) is deliberately not imported here: only the
pool's worker processes load trafilatura, never the crawler's main process.
"""


from archive.extract.blockpage import BLOCK_REASONS, error_page_block_reason
from archive.extract.pool import extraction_pool, run_extraction
from archive.extract.result import Extraction, provenance_json

__all__ = [
    "BLOCK_REASONS",
    "Extraction",
    "error_page_block_reason",
    "extraction_pool",
    "provenance_json",
    "run_extraction",
]
