"""Per-outlet extraction health: is each outlet still yielding titles, bylines, dates and whole texts?

A site redesign silently breaks extraction (the text shrinks to a teaser, the byline disappears, a
consent wall answers every page); every press monitor has been bitten by it. For each outlet and
ISO week (of when the archive extracted each version, ``article_versions.first_seen``):

- ``title``, ``authors``, ``date``: the share of new versions with a title, at least one author,
  a publication date;
- ``length``: the share whose text length is in the outlet's normal range: from half its 10th
  percentile to twice its 90th percentile over the baseline weeks (below);
- ``blocked``: the share of the outlet's judged pages (captures of kind article, not-article or
  blocked) that were blocked (challenge, CAPTCHA, consent wall, paywall).

**The drop statistic.** A week is judged against the outlet's own history: the median of the same
share over its previous ``baseline_weeks`` weeks (default 8) that have at least ``min_articles``
versions (5). A share more than ``drop`` (0.25, i.e. 25 points) below that median is flagged; for
``blocked``, more than 25 points above. A week with fewer than ``min_articles`` versions, or with
fewer than ``min_baseline_weeks`` (3) usable weeks before it, is not judged: a handful of pages
says nothing, and a new outlet has no history yet. The median (not the mean) keeps one odd week in
the history from moving the baseline. The length range comes from the same baseline weeks (all the
outlet's weeks in view while it has fewer than ``MIN_LENGTHS`` texts), so a broken week does not
widen its own range.

``pressclips health`` exits 1 when the newest week of any outlet is flagged, so cron mails it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from archive.db.kinds import CaptureKind
from archive.db.models import Article, ArticleVersion, Capture, Outlet
from archive.db.session import reading

SHARES = ("title", "authors", "date", "length")  # shares that should stay high
JUDGED_KINDS = (CaptureKind.ARTICLE, CaptureKind.NOT_ARTICLE, CaptureKind.BLOCKED)
MIN_LENGTHS = 20


@dataclass(frozen=True)
class HealthRule:
    baseline_weeks: int = 8
    min_articles: int = 5
    min_baseline_weeks: int = 3
    drop: float = 0.25


@dataclass
class WeekHealth:
    outlet: str
    week: str  # ISO week, "2026-W45"
    start: date  # its Monday
    articles: int  # versions first extracted that week
    shares: dict[str, float | None]  # SHARES and "blocked"; None when there is nothing to divide
    pages: int  # judged pages (the blocked share's denominator)
    baseline: dict[str, float] = field(default_factory=dict)  # the median each share was judged against
    flags: list[str] = field(default_factory=list)  # "authors 0.10 (usual 0.95)"
    judged: bool = False

    def row(self) -> dict[str, Any]:
        return {"outlet": self.outlet, "week": self.week, "articles": self.articles,
                **{name: _round(self.shares.get(name)) for name in (*SHARES, "blocked")},
                "pages": self.pages, "judged": self.judged, "flags": list(self.flags),
                "baseline": {k: _round(v) for k, v in self.baseline.items()}}


@dataclass(frozen=True)
class _Version:
    outlet_id: int
    week: date
    title: bool
    authors: bool
    dated: bool
    length: int


def monday(when: datetime | date) -> date:
    day = when.date() if isinstance(when, datetime) else when
    return day - timedelta(days=day.weekday())


def iso_week(start: date) -> str:
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def extraction_health(engine: Engine, *, weeks: int = 8, outlet: str | None = None,
                      rule: HealthRule = HealthRule()) -> list[WeekHealth]:
    """The newest ``weeks`` weeks of each outlet (up to the archive's newest extraction), judged by ``rule``."""
    with reading(engine, "reading extraction health") as session:
        names = dict(session.execute(select(Outlet.id, Outlet.name)).all())
        wanted = None
        if outlet is not None:
            from archive.query.search import resolve_outlet

            wanted = resolve_outlet(session, outlet)
        newest = session.scalar(select(func.max(ArticleVersion.first_seen)))
        if newest is None:
            return []
        start = monday(newest) - timedelta(weeks=weeks + rule.baseline_weeks - 1)
        first_moment = datetime.combine(start, datetime.min.time(), tzinfo=newest.tzinfo)
        version_rows = session.execute(
            select(Article.outlet_id, ArticleVersion.first_seen, ArticleVersion.title, ArticleVersion.authors,
                   ArticleVersion.published_at.is_not(None), func.length(ArticleVersion.text))
            .join(Article, Article.id == ArticleVersion.article_id)
            .where(ArticleVersion.first_seen >= first_moment, Article.outlet_id.is_not(None),
                   *([Article.outlet_id == wanted] if wanted is not None else []))).all()
        capture_rows = session.execute(
            select(Capture.outlet_id, Capture.fetched_at, Capture.kind)
            .where(Capture.fetched_at >= first_moment, Capture.kind.in_([str(k) for k in JUDGED_KINDS]),
                   Capture.outlet_id.is_not(None),
                   *([Capture.outlet_id == wanted] if wanted is not None else []))).all()
    versions = [_Version(int(o), monday(seen), bool((title or "").strip()), bool(authors), bool(dated), int(n or 0))
                for o, seen, title, authors, dated, n in version_rows if o is not None]
    pages: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])  # (judged, blocked)
    for outlet_id, fetched, kind in capture_rows:
        if outlet_id is None:
            continue
        counts = pages[(int(outlet_id), monday(fetched))]
        counts[0] += 1
        counts[1] += kind == CaptureKind.BLOCKED
    by_outlet: dict[int, list[_Version]] = defaultdict(list)
    for version in versions:
        by_outlet[version.outlet_id].append(version)
    result = []
    for outlet_id in sorted({*by_outlet, *(o for o, _ in pages)}, key=lambda o: names.get(o, "")):
        outlet_pages = {week: counts for (o, week), counts in pages.items() if o == outlet_id}
        rows = _outlet_weeks(names.get(outlet_id, str(outlet_id)), by_outlet.get(outlet_id, []), outlet_pages, rule)
        result.extend(rows[-weeks:])
    return result


def _outlet_weeks(name: str, versions: list[_Version], pages: dict[date, list[int]],
                  rule: HealthRule) -> list[WeekHealth]:
    by_week: dict[date, list[_Version]] = defaultdict(list)
    for version in versions:
        by_week[version.week].append(version)
    weeks = sorted({*by_week, *pages})
    history: list[WeekHealth] = []
    for week in weeks:
        members = by_week.get(week, [])
        baseline_weeks = [h for h in history if h.start >= week - timedelta(weeks=rule.baseline_weeks)
                          and h.articles >= rule.min_articles]
        baseline_lengths = [v.length for v in versions if v.week in {h.start for h in baseline_weeks}]
        low, high = _normal_range(baseline_lengths if len(baseline_lengths) >= MIN_LENGTHS
                                  else [v.length for v in versions])
        judged, blocked = pages.get(week, [0, 0])
        shares: dict[str, float | None] = {
            "title": _share(sum(v.title for v in members), len(members)),
            "authors": _share(sum(v.authors for v in members), len(members)),
            "date": _share(sum(v.dated for v in members), len(members)),
            "length": _share(sum(low <= v.length <= high for v in members), len(members)),
            "blocked": _share(blocked, judged),
        }
        health = WeekHealth(outlet=name, week=iso_week(week), start=week, articles=len(members), shares=shares,
                            pages=judged)
        judge_week(health, baseline_weeks, rule)
        history.append(health)
    return history


def judge_week(health: WeekHealth, baseline: list[WeekHealth], rule: HealthRule) -> None:
    """Set ``judged``, ``baseline`` and ``flags`` of ``health`` against the outlet's usable ``baseline`` weeks."""
    if len(baseline) < rule.min_baseline_weeks:
        return
    if health.articles >= rule.min_articles:
        health.judged = True
        for name in SHARES:
            past = [h.shares[name] for h in baseline if h.shares[name] is not None]
            now = health.shares[name]
            if past and now is not None:
                usual = statistics.median(v for v in past if v is not None)
                health.baseline[name] = usual
                if now < usual - rule.drop:
                    health.flags.append(f"{name} {now:.2f} (usual {usual:.2f})")
    past_blocked = [h.shares["blocked"] for h in baseline if h.pages >= rule.min_articles]
    now_blocked = health.shares["blocked"]
    if len(past_blocked) >= rule.min_baseline_weeks and now_blocked is not None and health.pages >= rule.min_articles:
        health.judged = True
        usual = statistics.median(v for v in past_blocked if v is not None)
        health.baseline["blocked"] = usual
        if now_blocked > usual + rule.drop:
            health.flags.append(f"blocked {now_blocked:.2f} (usual {usual:.2f})")


def _normal_range(lengths: list[int]) -> tuple[float, float]:
    """Half the 10th percentile to twice the 90th: wide enough for briefs and long reads alike."""
    if len(lengths) < 2:
        return 0.0, float("inf")
    deciles = statistics.quantiles(lengths, n=10)
    return deciles[0] / 2, deciles[-1] * 2


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def newest_flagged(rows: list[WeekHealth]) -> list[WeekHealth]:
    """Each outlet's newest week, when it is flagged: what ``pressclips health`` exits 1 for."""
    newest: dict[str, WeekHealth] = {}
    for row in rows:
        if row.outlet not in newest or row.start > newest[row.outlet].start:
            newest[row.outlet] = row
    return [row for row in newest.values() if row.flags]
