"""The ``pressclips`` command line: click commands only, thin layers over the packages beside it.

``main`` is looked up lazily: importing it here eagerly would load ``archive.cli.main`` before
``python -m archive.cli.main`` runs it, which makes runpy print a RuntimeWarning on stderr (and
every error would then be two lines instead of one).
"""

from __future__ import annotations

from typing import Any

__all__ = ["main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        from archive.cli.main import main

        # Importing the submodule bound ``archive.cli.main`` to the module; rebind it to the
        # command, so ``from archive.cli import main`` (older console scripts) gets the command.
        globals()["main"] = main
        return main
    raise AttributeError(f"module 'archive.cli' has no attribute {name!r}")
