"""The ``pressclips`` command line (``archive.cli.main:main``): click commands only, thin layers over
the packages beside it. Nothing is imported here, so ``python -m archive.cli.main`` runs cleanly."""
