"""``LocalSite``: the outlets' state and lifecycle, built from the saved corpus.

Owns corpus loading, the split of pages into outlets and of each outlet's articles across
the discovery channels, rendering article bytes once the port is known, starting and
stopping one ``OutletServer`` per outlet, the request log and in-flight counters the
handler reports to, and the mutation API (add/edit/delete) for incremental-crawl tests.
"""

from __future__ import annotations

import json
import random
import socket
import string
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from .model import PRIVATE_PATHS, TAGS, OutletSite, RequestLogEntry, SiteArticle
from .pages import amp_copy, find_charset, insert_paragraphs, parse_date, rewrite_article, slugify
from .routes import Page, route
from .server import OutletServer

# The package sits in tests/localsite/, the corpus in tests/data/corpus/.
CORPUS_DIR = Path(__file__).resolve().parent.parent / "data" / "corpus"

CHANNELS = frozenset({"links", "sitemap", "news_sitemap", "rss", "atom"})
# The rotation applied to non-front articles; see the package docstring.
_CYCLE: tuple[frozenset[str], ...] = (
    frozenset({"links"}),
    frozenset({"sitemap"}),
    frozenset({"rss"}),
    frozenset({"atom"}),
    frozenset({"links", "sitemap", "rss", "atom"}),
)
AMP_ARTICLES = 2


class LocalSite:
    """Several outlets, each a real HTTP server on 127.0.0.1; see the package docstring."""

    def __init__(
        self,
        outlets: int = 2,
        *,
        pages_per_outlet: int | None = None,
        corpus_dir: Path = CORPUS_DIR,
        seed: int = 0,
        reserve: int = 3,
        article_delay: float = 0.03,
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        if not 1 <= outlets <= 26:
            raise ValueError("outlets must be between 1 and 26")
        self.article_delay = article_delay
        self.verbose = verbose
        self._port = port
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._connections: set[socket.socket] = set()
        self._paths: set[str] = set()
        self._servers: list[OutletServer] = []
        self._threads: list[threading.Thread] = []
        self.requests: list[RequestLogEntry] = []
        self.max_in_flight: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self.last_body_sent: dict[str, bytes] = {}  # by absolute URL
        self.private_paths = PRIVATE_PATHS
        self.conditional_get = True  # False: answer If-None-Match/If-Modified-Since with a full 200

        pool = self._load_corpus(Path(corpus_dir))
        self._rng.shuffle(pool)
        per = pages_per_outlet if pages_per_outlet is not None else (len(pool) - reserve) // outlets
        if per < 1 or per * outlets > len(pool):
            raise ValueError(f"{len(pool)} corpus pages cannot give {outlets} outlets {per} pages each")
        self.outlets: list[OutletSite] = []
        for i in range(outlets):
            outlet = OutletSite(name=f"outlet-{string.ascii_lowercase[i]}")
            pages = pool[i * per : (i + 1) * per]
            arts = [self._make_article(outlet, slug, meta, src) for slug, meta, src in pages]
            arts.sort(key=lambda a: a.published, reverse=True)
            front = min(5, max(1, len(arts) - 5))
            for index, art in enumerate(arts):
                art.index = index
                art.discoverable_via = set(CHANNELS if index < front else _CYCLE[(index - front) % len(_CYCLE)])
            linked = [a for a in arts if "links" in a.discoverable_via]
            for art in linked[:AMP_ARTICLES]:
                art.amp_path = art.path + "amp/"
            outlet.articles = arts
            self.outlets.append(outlet)
        self._unused = pool[outlets * per :]

    # ------------------------------------------------------------ lifecycle

    def start(self) -> LocalSite:
        for i, outlet in enumerate(self.outlets):
            server = OutletServer(("127.0.0.1", self._port + i if self._port else 0), self, outlet)
            port = server.server_address[1]
            outlet.host = f"127.0.0.1:{port}"
            outlet.base_url = f"http://{outlet.host}"
            with self._lock:
                self.max_in_flight[outlet.name] = 0
                self._in_flight[outlet.name] = 0
                for art in outlet.articles:
                    self._render(outlet, art)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                      name=f"localsite-{outlet.name}", daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        with self._lock:
            conns, self._connections = list(self._connections), set()
        for conn in conns:  # wake handler threads parked on idle keep-alive connections
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ queries

    def outlet(self, name: str) -> OutletSite:
        for outlet in self.outlets:
            if outlet.name == name:
                return outlet
        raise KeyError(f"no outlet named {name!r}")

    @property
    def articles(self) -> list[SiteArticle]:
        return [a for o in self.outlets for a in o.articles]

    def paths_requested(self, outlet: str | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if outlet is None or r.outlet == outlet]

    def outlets_toml(self) -> str:
        # The corpus pages keep their original sites' requisite URLs (real internet hosts); the
        # default scope keeps a loopback outlet's requisites on loopback, so nothing leaves 127.0.0.1.
        blocks = [f'[[outlets]]\nname = "{o.name}"\nhomepage = "{o.base_url}/"\n'
                  for o in self.outlets]
        return "\n".join(blocks)

    # ------------------------------------------------------------ mutations

    def add_article(self, outlet: str, slug: str | None = None, channels: Iterable[str] = CHANNELS) -> SiteArticle:
        """Publish an unused corpus page (``slug`` = its corpus slug) as the outlet's newest story,
        announced on ``channels`` (all five by default)."""
        site = self.outlet(outlet)
        with self._lock:
            if slug is None:
                if not self._unused:
                    raise LookupError("no unused corpus page left (raise reserve=)")
                entry = self._unused.pop(0)
            else:
                matches = [e for e in self._unused if e[0] == slug]
                if not matches:
                    raise ValueError(f"corpus page {slug!r} is unknown or already in use")
                entry = matches[0]
                self._unused.remove(entry)
            newest = max(a.published for a in self.articles)
            art = self._make_article(site, *entry, published=(newest + timedelta(hours=1)).astimezone(timezone.utc))
            art.index = len(site.articles)
            art.discoverable_via = set(channels)
            site.articles.append(art)
            if site.base_url:
                self._render(site, art)
        return art

    def edit_article(self, outlet: str, path: str, new_paragraph: str) -> None:
        site = self.outlet(outlet)
        with self._lock:
            art = site.article(path)
            art.edits.append(new_paragraph)
            # Last-Modified has one-second resolution: move it well past the old value.
            art.last_modified = art.last_modified.replace(microsecond=0) + timedelta(hours=1)
            if site.base_url:
                self._render(site, art)

    def delete_article(self, outlet: str, path: str) -> None:
        site = self.outlet(outlet)
        with self._lock:
            site.article(path).deleted = True

    # ------------------------------------------------------------ internals

    @staticmethod
    def _load_corpus(corpus_dir: Path) -> list[tuple[str, dict, bytes]]:
        pages = []
        for html_file in sorted(corpus_dir.glob("*.html")):
            meta_file = html_file.with_suffix(".json")
            if meta_file.exists():
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
                pages.append((html_file.stem, meta, html_file.read_bytes()))
        if not pages:
            raise ValueError(f"no corpus pages (*.html + *.json) in {corpus_dir}")
        return pages

    def _article_path(self, published: datetime, corpus_slug: str) -> str:
        base = f"/news/{published:%Y/%m/%d}/{slugify(corpus_slug)}"
        path, n = base + "/", 2
        while path in self._paths:  # two corpus slugs may slugify alike
            path, n = f"{base}-{n}/", n + 1
        self._paths.add(path)
        return path

    def _make_article(self, outlet: OutletSite, slug: str, meta: dict, source: bytes,
                      published: datetime | None = None) -> SiteArticle:
        """``published`` defaults to the corpus date (naive dates are taken as UTC)."""
        if published is None:
            fallback = datetime(2016, 1, 1, tzinfo=timezone.utc) + timedelta(days=len(self._paths))
            published = parse_date(meta.get("date"), fallback)
        art = SiteArticle(
            outlet=outlet.name,
            path="",
            title=str(meta.get("title") or slug),
            published=published,
            corpus_slug=slug,
            expected=meta,
            tags=sorted(self._rng.sample(TAGS, 2)),
            authors=[str(a) for a in meta.get("authors") or []] or ["Staff"],
            last_modified=published,
            charset=find_charset(source),
            source=source,
        )
        art.path = self._article_path(published, slug)
        return art

    def _render(self, outlet: OutletSite, art: SiteArticle) -> None:
        art.canonical_url = outlet.base_url + art.path
        amp_url = outlet.base_url + art.amp_path if art.amp_path else None
        text = str(art.expected.get("body") or art.expected.get("body_prefix") or "")
        source = insert_paragraphs(art.source, art.charset, text, art.edits)
        art.body = rewrite_article(source, art.canonical_url, amp_url)
        art.amp_body = amp_copy(source, art.canonical_url) if art.amp_path else b""

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    def _enter(self, outlet: str) -> None:
        with self._lock:
            self._in_flight[outlet] += 1
            self.max_in_flight[outlet] = max(self.max_in_flight[outlet], self._in_flight[outlet])

    def _leave(self, outlet: str) -> None:
        with self._lock:
            self._in_flight[outlet] -= 1

    def _record(self, entry: RequestLogEntry, outlet: OutletSite, target: str,
                payload: bytes | None, article: SiteArticle | None) -> None:
        with self._lock:
            self.requests.append(entry)
            if payload is not None:
                outlet.last_body_sent[target] = payload
                self.last_body_sent[outlet.base_url + target] = payload
            if article is not None and entry.method == "GET":
                article.last_sent_gzip = entry.content_encoding == "gzip"
                article.last_sent_chunked = entry.chunked

    def _route(self, outlet: OutletSite, target: str) -> Page:
        parts = urlsplit(target)
        path, query = parts.path or "/", dict(parse_qsl(parts.query))
        with self._lock:  # a consistent snapshot against concurrent mutations
            return route(outlet, path, query)
