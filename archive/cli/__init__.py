"""The ``pressclips`` command line: click commands only, thin layers over the packages beside it."""

from archive.cli.main import main

__all__ = ["main"]
