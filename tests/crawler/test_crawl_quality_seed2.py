"""Crawl quality, seed 2, crawled into PostgreSQL in every run: the targets of
``test_crawl_quality`` (imported below, so they are collected here too) against this module's
``rounds``. Its own module so that pytest-xdist's ``--dist loadfile`` runs it beside seeds 1 and 3."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawler.test_crawl_quality import (  # noqa: F401 - collected in this module as well
    POSTGRESQL_SEED,
    TwoRounds,
    test_every_announced_edit_becomes_a_new_version,
    test_every_run_exits_0,
    test_log_has_no_traceback_and_no_error,
    test_no_real_article_lost,
    test_no_variant_downloads_in_later_runs,
    test_non_article_rows_at_most_1_percent,
    test_one_row_per_real_article,
    test_politeness_holds_per_outlet,
    test_re_requests_are_conditional,
    test_removed_articles_are_marked_gone,
    test_second_run_bytes_beyond_the_changed_articles_at_most_5_percent,
    test_unchanged_documents_become_revisit_records,
    test_variant_downloads_first_run_at_most_5_percent,
    two_rounds,
)


@pytest.fixture(scope="module", params=[POSTGRESQL_SEED], ids=lambda s: f"seed{s}-postgresql")
def rounds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRounds]:
    yield from two_rounds(request.param, tmp_path_factory, backend="postgresql")
