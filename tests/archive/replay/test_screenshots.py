"""Replay that looks like the page, judged by a real browser: headless Chromium screenshots of the
styled local site (tests/styledsite.py) live, then of the same pages replayed by ``pressclips
replay serve`` (with ``?banner=0``; and with the banner, compared below it) and by pywb.

Tolerance: at most ``TOLERANCE`` of the pixels may differ by more than ``browserkit.diff_fraction``'s
channel threshold. The same page unrewritten (``id_``: no stylesheet, font or image can load under
its CSP) differs from the live one in far more pixels (``BROKEN_AT_LEAST``), so the comparison
tells a styled replay from a broken one. While the replays render, the live site must see no
request: nothing leaves the replay server.

Two archives: one written by ``styledsite.build_archive`` (the page requisites as a crawl with
assets stores them), and one from a real ``pressclips crawl`` of the site with the default settings.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from archive.replay.banner import BANNER_HEIGHT
from archive.replay.target import timestamp14
from tests.archive.replay.test_pywb import free_port, tool, tools  # noqa: F401  (tools: the pywb venv fixture)
from tests.browserkit import diff_fraction, load_image, screenshot
from tests.replaykit import Served, crawl, fetch, wait_for
from tests.styledsite import StyledArchive, StyledSite, build_archive

WIDTH, HEIGHT = 1200, 1300
MASTHEAD_LOGO = (80, 48)  # a pixel of the masthead's background image (styledsite.py: 20px in, centred)
TOLERANCE = 0.01  # share of pixels allowed to differ (anti-aliasing, image decoding timing)
PYWB_BANNER_AT_MOST = 160  # px: pywb's own bar above its frame
BROKEN_AT_LEAST = 0.15  # the unrewritten page differs from the live one in at least this share


@pytest.fixture(scope="module")
def site() -> Iterator[StyledSite]:
    with StyledSite() as running:
        yield running


@pytest.fixture(scope="module")
def live_shots(site: StyledSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("live")
    shots = {}
    for i, page in enumerate(site.pages):
        for attempt in range(2):  # once more if Chromium on a loaded machine shot it before its stylesheet arrived
            shot = load_image(screenshot(page, out / f"live-{i}-{attempt}.png", width=WIDTH, height=HEIGHT))
            if _styled(shot):
                break
        assert _styled(shot), f"the live page {page} did not render styled"
        shots[page] = shot
    return shots


def _styled(shot: Any) -> bool:
    """The masthead's orange logo image is where the stylesheet puts it."""
    red, green, blue = shot.getpixel(MASTHEAD_LOGO)
    return abs(red - 240) < 30 and abs(green - 120) < 30 and abs(blue - 40) < 30


@pytest.fixture(scope="module")
def kit_archive(site: StyledSite, tmp_path_factory: pytest.TempPathFactory) -> StyledArchive:
    return build_archive(site, tmp_path_factory.mktemp("styled") / "archive")


@pytest.fixture(scope="module")
def served(kit_archive: StyledArchive) -> Iterator[Served]:
    server = Served(kit_archive.root, "-q")
    try:
        yield server
    finally:
        assert "Traceback" not in server.stop()


def _shoot_replay(site: StyledSite, base: str, target: str, out: Path) -> Any:
    before = len(site.requests)
    image = load_image(screenshot(base.rstrip("/") + target, out, width=WIDTH, height=HEIGHT))
    assert site.requests[before:] == [], "the replayed page made the browser fetch from the live site"
    return image


def _replay_difference(site: StyledSite, base: str, target: str, out: Path,
                       measure: Callable[[Any], float]) -> tuple[Any, float]:
    """The replay's screenshot and ``measure`` of it; taken once more when it misses ``TOLERANCE``,
    because on a loaded machine Chromium can take the picture before every requisite has arrived
    (a second miss fails the test)."""
    image = _shoot_replay(site, base, target, out)
    difference = measure(image)
    if difference > TOLERANCE:
        image = _shoot_replay(site, base, target, out.with_name(f"{out.stem}-again.png"))
        difference = measure(image)
    return image, difference


def test_replayed_pages_look_like_the_live_ones(site: StyledSite, live_shots: dict[str, Any],
                                                kit_archive: StyledArchive, served: Served, tmp_path: Path) -> None:
    for i, page in enumerate(site.pages):
        stamp = timestamp14(kit_archive.captured[page])
        _image, difference = _replay_difference(site, served.url, f"/{stamp}/{page}?banner=0",
                                                tmp_path / f"replay-{i}.png", partial(diff_fraction, live_shots[page]))
        assert difference <= TOLERANCE, f"{page}: {difference:.2%} of pixels differ from the live page"
    # the same page unrewritten (nothing can load under its CSP): the comparison tells broken pages apart
    page = site.pages[0]
    unrewritten = _shoot_replay(site, served.url, f"/{timestamp14(kit_archive.captured[page])}id_/{page}",
                                tmp_path / "raw.png")
    assert diff_fraction(live_shots[page], unrewritten) >= BROKEN_AT_LEAST


def test_the_banner_moves_the_page_down_by_its_height_only(site: StyledSite, live_shots: dict[str, Any],
                                                          kit_archive: StyledArchive, served: Served,
                                                          tmp_path: Path) -> None:
    page = site.pages[0]
    stamp = timestamp14(kit_archive.captured[page])
    shifted_live = live_shots[page].crop((0, 0, WIDTH, HEIGHT - BANNER_HEIGHT))
    with_banner, difference = _replay_difference(
        site, served.url, f"/{stamp}/{page}", tmp_path / "banner.png",
        lambda shot: diff_fraction(shot.crop((0, BANNER_HEIGHT, WIDTH, HEIGHT)), shifted_live))
    assert difference <= TOLERANCE, f"below the banner {difference:.2%} of pixels differ"
    banner_strip = with_banner.crop((0, 0, WIDTH, BANNER_HEIGHT))
    assert diff_fraction(banner_strip, live_shots[page].crop((0, 0, WIDTH, BANNER_HEIGHT))) > 0.1  # it is there


def test_scripts_mode_runs_the_page_in_a_sandboxed_frame(site: StyledSite, live_shots: dict[str, Any],
                                                        kit_archive: StyledArchive, tmp_path: Path) -> None:
    """``--scripts``: the archived page runs (its lazy-load script swaps the image in) inside an
    opaque-origin iframe, and still loads only from the replay server."""
    server = Served(kit_archive.root, "-q", "--scripts")
    try:
        page = site.pages[0]
        stamp = timestamp14(kit_archive.captured[page])
        # the frame is as tall as the window, which headless Chromium may settle only after the picture:
        # the bottom of the window is left out of the comparison
        top = (0, 0, WIDTH, HEIGHT - 250)
        _image, difference = _replay_difference(site, server.url, f"/{stamp}/{page}?banner=0",
                                                tmp_path / "scripts.png",
                                                partial(diff_fraction, live_shots[page], box=top))
        assert difference <= TOLERANCE, f"--scripts: {difference:.2%} of pixels differ from the live page"
    finally:
        assert "Traceback" not in server.stop()


@pytest.fixture(scope="module")
def crawled_archive(site: StyledSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole path users take: ``pressclips crawl`` of the styled site with default settings."""
    archive = tmp_path_factory.mktemp("crawled") / "archive"
    crawl(site, archive)  # type: ignore[arg-type]  # any site with outlets_toml() will do
    return archive


@pytest.mark.slow
@pytest.mark.parametrize("source", ["kit", "crawl"])
def test_pywb_replays_the_styled_pages(source: str, site: StyledSite, live_shots: dict[str, Any],
                                       request: pytest.FixtureRequest, tools: Path,  # noqa: F811
                                       tmp_path: Path) -> None:
    """pywb (its own venv, as in test_pywb.py) loads the replayed article with its stylesheet,
    font and images from our WARCs, and it looks like the live page below pywb's own bar."""
    if source == "kit":
        kit: StyledArchive = request.getfixturevalue("kit_archive")
        warc_dir, stamp = kit.root / "warcs", timestamp14(kit.captured[site.pages[0]])
    else:
        warc_dir, stamp = request.getfixturevalue("crawled_archive") / "warcs", "2999"
    root = tmp_path / "pywb"
    root.mkdir()
    assert tool(tools, "wb-manager", "init", "styled", cwd=root).returncode == 0
    added = tool(tools, "wb-manager", "add", "styled", *sorted(str(p) for p in warc_dir.glob("*.warc.gz")), cwd=root)
    assert added.returncode == 0, added.stderr
    port = free_port()
    with open(root / "wayback.log", "wb") as log:
        proc = subprocess.Popen([str(tools / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=root,
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(proc, base), timeout=90)
        page = site.pages[0]
        # the stylesheet, font and images come from the archive (mp_: the resource itself, no frame)
        css = fetch(base, f"/styled/{stamp}mp_/{site.origin}/static/css/site.css")
        assert css.status == 200 and b"Press Serif" in css.body and b"/static/img/masthead.png" in css.body
        for path in ("/static/img/hero.png", "/static/img/lazy.png", "/static/img/paper.png",
                     "/static/fonts/press-serif.woff2"):
            reply = fetch(base, f"/styled/{stamp}id_/{site.origin}{path}")
            assert reply.status == 200 and reply.header("Content-Type") == site.files[path][0], path
            assert reply.body == site.files[path][1], path
        # pywb frames the page under its own bar: compare below it
        replayed, difference = _replay_difference(site, base, f"/styled/{stamp}/{page}", tmp_path / "pywb.png",
                                                  lambda shot: _below_banner(live_shots[page], shot)[1])
        offset, _ = _below_banner(live_shots[page], replayed)
        assert difference <= TOLERANCE, f"pywb: {difference:.2%} of pixels differ from the live page"
        assert 0 < offset <= PYWB_BANNER_AT_MOST
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _below_banner(live: Any, replayed: Any) -> tuple[int, float]:
    """(height of the bar above the replayed page, share of differing pixels below it): the bar's
    height is the vertical shift that makes a band of the two pictures agree best."""
    band = 300

    def at(offset: int) -> float:
        return diff_fraction(replayed.crop((0, offset, WIDTH, offset + band)), live.crop((0, 0, WIDTH, band)))

    offset = min(range(PYWB_BANNER_AT_MOST + 1), key=at)
    below = diff_fraction(replayed.crop((0, offset, WIDTH, HEIGHT)), live.crop((0, 0, WIDTH, HEIGHT - offset)))
    return offset, below


def _up(proc: subprocess.Popen[bytes], base: str) -> bool:
    assert proc.poll() is None, "pywb exited"
    try:
        return fetch(base, "/styled/").status == 200
    except OSError:
        return False


def test_a_crawled_site_replays_like_the_live_one(site: StyledSite, live_shots: dict[str, Any], crawled_archive: Path,
                                                  tmp_path: Path) -> None:
    """``pressclips crawl`` then ``pressclips replay serve``: the pages look like the live ones."""
    server = Served(crawled_archive, "-q")
    try:
        for i, page in enumerate(site.pages):
            _image, difference = _replay_difference(site, server.url, f"/2999/{page}?banner=0",
                                                    tmp_path / f"crawled-{i}.png",
                                                    partial(diff_fraction, live_shots[page]))
            assert difference <= TOLERANCE, f"{page}: {difference:.2%} of pixels differ from the live page"
    finally:
        assert "Traceback" not in server.stop()
