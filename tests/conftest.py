"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.localsite import LocalSite


# --- local site ---
@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A started two-outlet news site on 127.0.0.1 (see tests/localsite.py), stopped afterwards."""
    site = LocalSite(outlets=2).start()
    try:
        yield site
    finally:
        site.stop()
