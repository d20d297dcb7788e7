"""``GeneratedSite``: a seeded multi-outlet news site, its lifecycle, ground truth and log.

Build it with a seed, ``start()`` it (one server per outlet on 127.0.0.1, port 0), crawl it,
``advance(round=2)`` to apply that round's edits, removals and additions, crawl again.  The
ground truth (``real_articles``, ``non_article_urls``, ``changes``) and the request ``log`` are
what crawl-quality tests compare the archive with.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from .model import VALIDATORS, GenArticle, GenOutlet, LogEntry, RoundChanges
from .plan import (
    CORPUS_DIR,
    ArticleFactory,
    CorpusPage,
    load_corpus,
    outlet_pages,
    plan_outlet,
    sentence,
)
from .router import Resource, route
from .server import OutletServer
from .urls import clean_key, request_key

# Per outlet and round: about a tenth of the site changes, as between two cron runs of a news
# site (the recrawl target of ≤ 15% of the first run's bytes assumes that much).
EDIT_SHARE = 0.12  # of live articles edited (at least 2: half announced, half silent)
REMOVE_SHARE = 0.05  # removed (at least 1), answering 404 or 410
ADDED_PER_ROUND = 1
ROUNDS_IN_RESERVE = 3  # corpus pages are held back for this many advance() calls


@dataclass(frozen=True)
class HeldPath:
    """``reached`` is set when a request for the held path arrives (``outlets`` names whose); it
    waits for ``release``."""

    reached: threading.Event
    release: threading.Event
    outlets: set[str] = field(default_factory=set)


class GeneratedSite:
    """See the package docstring for what a seed varies."""

    def __init__(self, seed: int, *, outlets: int = 3, articles: tuple[int, int] = (14, 20),
                 corpus_dir: Path = CORPUS_DIR) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._factory = ArticleFactory(self._rng)
        corpus = load_corpus(corpus_dir)
        self.outlets: list[GenOutlet] = []
        self._reserve: dict[str, list[CorpusPage]] = {}
        first_mode = self._rng.randrange(len(VALIDATORS))
        for i in range(outlets):
            validators = VALIDATORS[(first_mode + i) % len(VALIDATORS)]
            plan = plan_outlet(self._rng, f"gen{seed}-{chr(ord('a') + i)}", validators)
            reserve = ADDED_PER_ROUND * ROUNDS_IN_RESERVE
            count = min(self._rng.randint(*articles), len(corpus) - reserve)
            pages = self._rng.sample(corpus, count + reserve)
            outlet = GenOutlet(plan)
            # Newest first, a few hours apart, so listings, feeds and news sitemaps have an order.
            hours = sorted(self._rng.uniform(1, 24 * 14) for _ in range(count))
            outlet.articles = [self._factory.make(plan, page, h) for page, h in zip(pages, hours)]
            outlet.pages = outlet_pages(plan, outlet.articles)
            self._reserve[plan.name] = pages[count:]
            self.outlets.append(outlet)
        self.changes: dict[int, RoundChanges] = {}
        self.log: list[LogEntry] = []
        self.max_in_flight: dict[str, int] = {o.name: 0 for o in self.outlets}
        self._in_flight: dict[str, int] = {o.name: 0 for o in self.outlets}
        self._first_served: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._held: dict[str, HeldPath] = {}
        self._servers: list[OutletServer] = []
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        for outlet in self.outlets:
            server = OutletServer(self, outlet)
            outlet.base_url = f"http://127.0.0.1:{server.server_address[1]}"
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"sitegen-{outlet.name}", daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def hold(self, path: str) -> HeldPath:
        """Make requests for ``path`` (any outlet) wait until ``release`` is set (or 60 s pass), so
        a test can kill a crawl at exactly that point of its discovery."""
        held = HeldPath(threading.Event(), threading.Event())
        with self._lock:
            self._held[path] = held
        return held

    def stop(self) -> None:
        with self._lock:
            for held in self._held.values():
                held.release.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ ground truth

    @property
    def round(self) -> int:
        return self.outlets[0].round

    def real_articles(self) -> dict[str, GenArticle]:
        """Every article ever published (removed ones too), by canonical URL."""
        return {o.base_url + a.path: a for o in self.outlets for a in o.articles}

    def non_article_urls(self) -> set[str]:
        """Canonical URLs of the pages that are not articles (listings, galleries, legal, ...)."""
        urls = {o.base_url + "/" for o in self.outlets}
        for outlet in self.outlets:
            urls |= {outlet.base_url + p.path for p in outlet.pages}
        return urls

    def attribute(self, url: str) -> str | None:
        """The canonical URL of the real article that ``url`` shows (any variant), else None."""
        parts = urlsplit(url)
        for outlet in self.outlets:
            if outlet.base_url.lower() == f"{parts.scheme}://{parts.netloc}".lower():
                key_path, key_id, *_ = request_key(parts.path or "/", parts.query)
                for art in outlet.articles:
                    if clean_key(art.path) == (key_path, key_id):
                        return outlet.base_url + art.path
        return None

    def outlets_toml(self) -> str:
        blocks = []
        for outlet in self.outlets:
            blocks.append(f'[[outlets]]\nname = "{outlet.name}"\nhomepage = "{outlet.base_url}/"\n\n'
                          f"[outlets.politeness]\ndownload_delay = {outlet.plan.download_delay}\n")
        return "\n".join(blocks)

    # ------------------------------------------------------------ rounds

    def advance(self, round: int) -> RoundChanges:
        """Move every outlet to ``round``: edit, remove and add articles; return the ground truth."""
        if round != self.round + 1:
            raise ValueError(f"the site is at round {self.round}; advance to {self.round + 1} next")
        rng = random.Random(f"{self.seed}-round-{round}")
        changes = RoundChanges(round)
        with self._lock:
            for outlet in self.outlets:
                outlet.round = round
                when = outlet.round_date()
                live = outlet.live()
                n_edit = max(2, int(len(live) * EDIT_SHARE + 0.5))  # (``round`` shadows the builtin)
                edited = rng.sample(live, n_edit)
                for i, art in enumerate(edited):
                    art.edits.append("Update: " + sentence(rng, 20))
                    url = outlet.base_url + art.path
                    if i % 2 == 0 and outlet.plan.announces_edits:  # sitemaps/feeds show the new date
                        art.lastmod = when
                        changes.edited_announced.append(url)
                    else:
                        changes.edited_silent.append(url)
                unedited = [a for a in live if a not in edited]
                for art in rng.sample(unedited, max(1, int(len(live) * REMOVE_SHARE + 0.5))):
                    art.removed_status = rng.choice((404, 410))
                    changes.removed[outlet.base_url + art.path] = art.removed_status
                if len(self._reserve[outlet.name]) < ADDED_PER_ROUND:
                    raise LookupError(f"no corpus pages left for round {round} (ROUNDS_IN_RESERVE)")
                for page in self._reserve[outlet.name][:ADDED_PER_ROUND]:
                    art = self._factory.make(outlet.plan, page, -rng.uniform(1, 12), round_added=round)
                    outlet.articles.append(art)
                    changes.added.append(outlet.base_url + art.path)
                self._reserve[outlet.name] = self._reserve[outlet.name][ADDED_PER_ROUND:]
                outlet.pages = outlet_pages(outlet.plan, outlet.articles)
        self.changes[round] = changes
        return changes

    # ------------------------------------------------------------ called by the handler

    def _resolve(self, outlet: GenOutlet, path: str, query: str) -> tuple[Resource, float, str]:
        """The resource, its Last-Modified (when this URL's current body first went out) and the
        body's digest."""
        with self._lock:
            resource = route(outlet, path, query)
            key = (outlet.name, path, query)
            digest = hashlib.sha1(resource.body).hexdigest()
            known = self._first_served.get(key)
            if known is None or known[0] != digest:
                known = (digest, outlet.round_date().timestamp())
                self._first_served[key] = known
            return resource, known[1], digest

    def _wait_if_held(self, outlet: str, path: str) -> None:
        with self._lock:
            held = self._held.get(path)
            if held is not None:
                held.outlets.add(outlet)
        if held is not None:
            held.reached.set()
            held.release.wait(timeout=60)

    def _enter(self, outlet: str) -> int:
        with self._lock:
            self._in_flight[outlet] += 1
            self.max_in_flight[outlet] = max(self.max_in_flight[outlet], self._in_flight[outlet])
            return self._in_flight[outlet]

    def _leave(self, outlet: str) -> None:
        with self._lock:
            self._in_flight[outlet] -= 1

    def _log(self, entry: LogEntry) -> None:
        with self._lock:
            self.log.append(entry)
