"""SIGKILL at seeded random points, second seed, killed into a PostgreSQL archive in every run (the
first seed's follows PRESSCLIPS_TEST_BACKEND): see ``test_crawl_kill_points`` (its own module so
that pytest-xdist's ``--dist loadfile`` runs it beside the first seed, not after it)."""

from __future__ import annotations

from pathlib import Path

from tests.crawler.test_crawl_kill_points import two_sigkills_then_a_full_run


def test_two_sigkills_then_a_full_run_cover_what_an_uninterrupted_crawl_does(tmp_path: Path) -> None:
    two_sigkills_then_a_full_run(22, tmp_path, backend="postgresql")
