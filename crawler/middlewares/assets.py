"""Byte budgets of page requisites, enforced where requests leave for the network.

Each requisite request carries its run's ``AssetBudget`` and the ``PageBudget`` of the page that
first wanted it (``crawler.assets``). ``process_request`` (after robots.txt) skips a requisite
once its page or the run has spent its cap, raising ``AssetBudgetExceeded`` (an
``IgnoreRequest``: the request's errback counts it); ``process_response`` charges the bytes as
they came off the wire, so a cap is overshot by at most the requisites already in flight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

logger = logging.getLogger(__name__)

BUDGET_META = "pc_asset_budget"
PAGE_META = "pc_asset_page"


class AssetBudgetExceeded(IgnoreRequest):
    """A requisite not fetched because its page's or the run's byte budget is spent."""


@dataclass
class PageBudget:
    """Bytes of requisites fetched for one page (each requisite is charged to the first page)."""

    spent: int = 0


@dataclass
class AssetBudget:
    """The run's requisite byte caps (0 = none) and what has been spent and skipped."""

    page_cap: int
    run_cap: int
    spent: int = 0
    skipped_page: int = 0
    skipped_run: int = 0

    @property
    def run_spent(self) -> bool:
        return bool(self.run_cap) and self.spent >= self.run_cap

    def refusal(self, page: PageBudget) -> str | None:
        """Why a requisite of ``page`` may not be fetched now ("run" or "page"), else None."""
        if self.run_spent:
            self.skipped_run += 1
            if self.skipped_run == 1:
                logger.info("requisites: the run's budget of %d bytes is spent; further requisites are skipped "
                            "(PRESSCLIPS_ASSET_RUN_BYTES)", self.run_cap)
            return "run"
        if self.page_cap and page.spent >= self.page_cap:
            self.skipped_page += 1
            if self.skipped_page == 1:
                logger.info("requisites: a page's budget of %d bytes is spent; its further requisites are skipped "
                            "(PRESSCLIPS_ASSET_PAGE_BYTES; counted in the run's stats)", self.page_cap)
            return "page"
        return None

    def charge(self, page: PageBudget, size: int) -> None:
        page.spent += size
        self.spent += size


class AssetBudgetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AssetBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        budget: AssetBudget | None = request.meta.get(BUDGET_META)
        if budget is None:
            return
        why = budget.refusal(request.meta[PAGE_META])
        if why is not None:
            self.stats.inc_value(f"pressclips/assets/budget_skipped_{why}")
            raise AssetBudgetExceeded(f"requisite budget of the {why} spent")

    def process_response(self, request: Request, response: Response) -> Response:
        budget: AssetBudget | None = request.meta.get(BUDGET_META)
        if budget is not None:
            budget.charge(request.meta[PAGE_META], len(response.body))
            self.stats.inc_value("pressclips/assets/responses")
            self.stats.inc_value("pressclips/assets/bytes", len(response.body))
        return response
