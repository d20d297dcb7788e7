"""Crawl quality on seeded generated news sites (issue 10): the real CLI with default settings
(AutoThrottle and robots.txt on) crawls each site twice, ``advance(round=2)`` in between, and the
archive and the server log are held against the site's ground truth.

Each target is its own test, per seed, so targets that hold are asserted for real.  A target
that fails today because of a known crawler/archive bug is marked ``xfail(strict=True)`` for the
seeds it fails on (``KNOWN_FAILURES``): when the bug is fixed the test passes, strict xfail
turns that into a failure, and the entry must go.  Figures are printed per seed (``-s``).

Definitions (``tests.sitegen.measure``): rows are attributed to a real article through the site's
router, so a row made from ``?ito=…`` or ``?print=1`` counts against its article; "variant
downloads" are article bodies sent beyond one per article (AMP, print, tracking variants);
"re-requests" are round-2 GETs of URLs that answered 200 *with a validator* in round 1 (robots.txt,
fetched by Scrapy's middleware, aside); bytes are entity bytes the server sent (gzip on the wire).
Round 2 runs on the real schedule: no article is due by its recrawl schedule, so what round 2
fetches is what discovery (lastmod, feeds, links) asks for.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.backends import archive_url, place
from tests.sitegen import GeneratedSite
from tests.sitegen.crawl import crawl, log_problems
from tests.sitegen.measure import (
    ArchiveFigures,
    Traffic,
    archive_figures,
    traffic,
    unchanged_documents,
)

SEEDS = (1, 3)  # on the run's backend (tests/backends.py)
# Seed 2 crawls into PostgreSQL in every run, in its own module (test_crawl_quality_seed2.py, so
# that pytest-xdist's --dist loadfile runs it beside these): the default run crawls into both
# backends without running each seed twice.
POSTGRESQL_SEED = 2

ALL = frozenset({*SEEDS, POSTGRESQL_SEED})
# target -> (seeds it fails on today, why). See the module docstring; figures in the reasons are
# from the run that set these entries.
KNOWN_FAILURES: dict[str, tuple[frozenset[int], str]] = {
    "gone": (ALL, ("a removed article is re-checked in the very next run only when it left a sitemap or feed "
                   "that run read in full, and only if the feeder still claims after that read; one first "
                   "sighted through a listing link waits for the daily re-check share (seen: 3/3, 1/3, 2/3; "
                   "seed 1 varies between 2/3 and 3/3 with timing)")),
}
# Targets whose known failure depends on timing: an unexpected pass is not an error for them.
TIMING_DEPENDENT = frozenset({"gone"})


def expect_known_failure(request: pytest.FixtureRequest, target: str, seed: int) -> None:
    seeds, reason = KNOWN_FAILURES.get(target, (frozenset(), ""))
    if seed in seeds:
        request.applymarker(pytest.mark.xfail(strict=target not in TIMING_DEPENDENT, reason=f"issue 10: {reason}"))


@dataclass
class TwoRounds:
    seed: int
    site: GeneratedSite
    runs: list[subprocess.CompletedProcess[str]]
    traffic: list[Traffic]  # [round 1, round 2]
    figures: list[ArchiveFigures]  # after run 1, after run 2

    def report(self) -> str:
        t1, t2 = self.traffic
        f1, f2 = self.figures
        ch = self.site.changes[2]
        announced = sum(f2.versions.get(u, 0) >= 2 for u in ch.edited_announced)
        silent = sum(f2.versions.get(u, 0) >= 2 for u in ch.edited_silent)
        unchanged = unchanged_documents(self.site, 2)
        return (
            f"seed {self.seed}: real articles {f1.real_articles} -> {f2.real_articles}; "
            f"rows/article {f1.rows_per_article:.3f}, {f2.rows_per_article:.3f}; "
            f"lost {len(f1.lost)}, {len(f2.lost)}; non-article rows {len(f1.non_article_rows)}/{f1.article_rows} "
            f"({f1.non_article_share:.1%}); variant downloads run 1 {t1.variant_extra}/{t1.articles_downloaded} "
            f"({t1.variant_extra_share:.1%}), run 2 {t2.variant_extra}; "
            f"run 2 bytes {t2.bytes_sent}/{t1.bytes_sent} ({t2.bytes_sent / t1.bytes_sent:.1%}), "
            f"conditional {t2.conditional}/{t2.re_requests} ({t2.conditional_share:.1%}); "
            f"round-2 bytes {t2.bytes_sent / max(1, t1.bytes_sent):.1%} of round 1, "
            f"{t2.overhead_bytes / max(1, t1.bytes_sent):.1%} beyond the changed articles; "
            f"edits announced {announced}/{len(ch.edited_announced)}, silent {silent}/{len(ch.edited_silent)}; "
            f"gone {len(f2.gone & set(ch.removed))}/{len(ch.removed)}; "
            f"unchanged documents revisited {len(unchanged & f2.revisits)}/{len(unchanged)}; "
            f"log problems {len(log_problems(self.runs[0].stderr))}, {len(log_problems(self.runs[1].stderr))}; "
            f"max in flight per outlet {max(self.site.max_in_flight.values())}"
        )


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def rounds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRounds]:
    yield from two_rounds(request.param, tmp_path_factory)


def two_rounds(seed: int, tmp_path_factory: pytest.TempPathFactory, backend: str | None = None) -> Iterator[TwoRounds]:
    """The two crawls of seed ``seed``'s site, into an archive on ``backend`` (default: the run's)."""
    root = tmp_path_factory.mktemp(f"quality-seed{seed}")
    outlets, archive = root / "outlets.toml", root / "archive"
    if backend is not None:
        place(archive, backend)
    site = GeneratedSite(seed).start()
    outlets.write_text(site.outlets_toml())
    database = archive_url(archive)
    try:
        first = crawl(outlets, archive)
        figures = [archive_figures(site, database, run_id=1)]
        site.advance(round=2)
        second = crawl(outlets, archive)
        figures.append(archive_figures(site, database, run_id=2))
        result = TwoRounds(seed, site, [first, second], [traffic(site, 1), traffic(site, 2)], figures)
        print("\n" + result.report())
        yield result
    finally:
        site.stop()


def test_every_run_exits_0(rounds: TwoRounds) -> None:
    for run in rounds.runs:
        assert run.returncode == 0, run.stderr[-3000:]


def test_log_has_no_traceback_and_no_error(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "clean-log", rounds.seed)
    for run in rounds.runs:
        assert log_problems(run.stderr) == []


def test_one_row_per_real_article(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "one-row", rounds.seed)
    for figures in rounds.figures:
        assert figures.rows_per_article <= 1.02, figures


def test_no_real_article_lost(rounds: TwoRounds) -> None:
    first, second = rounds.figures
    assert first.lost == []
    assert second.lost == []  # including the articles added in round 2
    assert set(rounds.site.changes[2].added) <= set(second.versions)


def test_non_article_rows_at_most_1_percent(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "non-articles", rounds.seed)
    for figures in rounds.figures:
        assert figures.non_article_share <= 0.01, figures.non_article_rows


def test_variant_downloads_first_run_at_most_5_percent(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "variants-run-1", rounds.seed)
    assert rounds.traffic[0].variant_extra_share <= 0.05, rounds.traffic[0]


def test_no_variant_downloads_in_later_runs(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "variants-run-2", rounds.seed)
    assert rounds.traffic[1].variant_extra == 0, rounds.traffic[1]


def test_every_announced_edit_becomes_a_new_version(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "announced-edits", rounds.seed)
    versions = rounds.figures[1].versions
    announced = rounds.site.changes[2].edited_announced
    assert announced
    assert {url: versions.get(url, 0) for url in announced} == {url: 2 for url in announced}


def test_re_requests_are_conditional(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "conditional", rounds.seed)
    second = rounds.traffic[1]
    assert second.re_requests > 0
    assert second.conditional_share >= 0.90, second


def test_second_run_bytes_beyond_the_changed_articles_at_most_5_percent(
        request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    # Issue 10 asks for round-2 bytes <= 15 % of round 1 when ~15 % of the articles are new or
    # edited. Which articles change is the seed's draw and corpus pages differ tenfold in size, so
    # the ratio mostly measured the draw (seed 1: its six changed pages alone are 11 % of round 1).
    # What the crawler controls is everything else: listings, feeds, sitemaps, revalidations, the
    # requisites of the changed pages and any needless download. That overhead is held here.
    expect_known_failure(request, "bytes", rounds.seed)
    first, second = rounds.traffic
    assert second.overhead_bytes <= 0.05 * first.bytes_sent, (second, first.bytes_sent)


def test_unchanged_documents_become_revisit_records(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "revisits", rounds.seed)
    unchanged = unchanged_documents(rounds.site, 2)
    assert unchanged
    assert sorted(unchanged - rounds.figures[1].revisits) == []


def test_removed_articles_are_marked_gone(request: pytest.FixtureRequest, rounds: TwoRounds) -> None:
    expect_known_failure(request, "gone", rounds.seed)
    removed = set(rounds.site.changes[2].removed)
    assert removed
    assert sorted(removed - rounds.figures[1].gone) == []


def test_politeness_holds_per_outlet(rounds: TwoRounds) -> None:
    """The crawler's default of 2 requests per outlet, seen from the server side."""
    assert all(1 <= peak <= 2 for peak in rounds.site.max_in_flight.values()), rounds.site.max_in_flight
    assert max(entry.in_flight for entry in rounds.site.log) <= 2
