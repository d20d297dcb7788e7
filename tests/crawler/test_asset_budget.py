"""The requisite byte budgets (crawler.middlewares.assets): per page, per run, logged once."""

from __future__ import annotations

import logging

import pytest

from crawler.middlewares.assets import AssetBudget, PageBudget


def test_a_page_budget_stops_that_page_only(caplog: pytest.LogCaptureFixture) -> None:
    budget = AssetBudget(page_cap=100, run_cap=0)
    first, second = PageBudget(), PageBudget()
    with caplog.at_level(logging.INFO, logger="crawler.middlewares.assets"):
        assert budget.refusal(first) is None
        budget.charge(first, 150)  # overshoot by the requisite in flight, never more
        assert budget.refusal(first) == "page" and budget.refusal(first) == "page"
        assert budget.refusal(second) is None
    assert (budget.skipped_page, budget.skipped_run, budget.spent) == (2, 0, 150)
    assert [r.getMessage() for r in caplog.records].count(
        "requisites: a page's budget of 100 bytes is spent; its further requisites are skipped "
        "(PRESSCLIPS_ASSET_PAGE_BYTES; counted in the run's stats)") == 1


def test_the_run_budget_stops_every_page_and_zero_means_no_cap(caplog: pytest.LogCaptureFixture) -> None:
    budget = AssetBudget(page_cap=0, run_cap=1000)
    pages = [PageBudget() for _ in range(3)]
    with caplog.at_level(logging.INFO, logger="crawler.middlewares.assets"):
        for page in pages:
            assert budget.refusal(page) is None
            budget.charge(page, 400)
        assert budget.run_spent and all(budget.refusal(p) == "run" for p in [*pages, PageBudget()])
    assert budget.skipped_run == 4 and len(caplog.records) == 1
    unlimited = AssetBudget(page_cap=0, run_cap=0)
    unlimited.charge(pages[0], 10**12)
    assert unlimited.refusal(pages[0]) is None
