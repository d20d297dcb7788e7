"""The ``pressclips`` command line: click commands only, thin layers over the packages beside it.

The entry point is ``archive.cli.main:main``. This package imports nothing itself: importing
``archive.cli.main`` here made ``python -m archive.cli.main`` warn (runpy finds the module
already loaded), a second line on stderr where every error must be exactly one.
"""
