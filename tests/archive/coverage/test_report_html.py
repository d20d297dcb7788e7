"""The HTML coverage report as a browser shows it: ``pressclips report --html`` through the real CLI and
the replay server's ``/report`` page, rendered in headless Chromium; both charts must have ink.

The chart areas are found by the charts' own background colour (``CHART_BACKGROUND``), so the test
does not depend on where the page's text pushes them. Also: the file is self-contained (no script,
nothing fetched from anywhere), each piece links to its replay URL and that URL replays, and the
search page's author, language and date filters.
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from archive.coverage.charts import CHART_BACKGROUND, PALETTE
from archive.replay import Replayer, make_server
from tests.archive.coverage.coveragekit import CoverageArchive, build
from tests.backends import archive_url
from tests.browserkit import ink_fraction, load_image, screenshot
from tests.conftest import invoke_cli, run_cli

WIRE_REPLAY = "/20261113090000/https://variety.example/film/bugonia-wraps"
BACKGROUND = tuple(int(CHART_BACKGROUND[i:i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoverageArchive]:
    root = tmp_path_factory.mktemp("report-html")
    built = build(archive_url(root), root)
    added = invoke_cli("watch", "add", "bugonia", "bugonia", '"emma stone"', "--archive", str(root))
    assert added.exit_code == 0, added.output
    yield built
    built.close()


@pytest.fixture(scope="module")
def server(archive: CoverageArchive) -> Iterator[str]:
    replay = make_server(Replayer(archive.engine, archive.root / "warcs"), "127.0.0.1", 0)
    thread = threading.Thread(target=replay.serve_forever, daemon=True)
    thread.start()
    yield replay.url.rstrip("/")
    replay.shutdown()
    replay.server_close()


def get(url: str) -> tuple[int, str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers


def chart_areas(image: Any) -> list[tuple[int, int, int, int]]:
    """Boxes of the bands of rows mostly painted in the charts' background colour, top to bottom."""
    width, height = image.size
    pixels = image.load()
    rows = [sum(pixels[x, y] == BACKGROUND for x in range(0, width, 4)) > width // 16 for y in range(height)]
    bands: list[tuple[int, int]] = []
    for y, is_chart in enumerate(rows):
        if is_chart and bands and y - bands[-1][1] <= 2:
            bands[-1] = (bands[-1][0], y)
        elif is_chart:
            bands.append((y, y))
    boxes = []
    for top, bottom in bands:
        if bottom - top < 40:
            continue  # a stray line, not a figure
        xs = [x for x in range(width) if pixels[x, (top + bottom) // 2] == BACKGROUND]
        boxes.append((min(xs), top, max(xs) + 1, bottom + 1))
    return boxes


def assert_charts_drawn(png: Path) -> None:
    image = load_image(png)
    boxes = chart_areas(image)
    assert len(boxes) == 2, boxes  # the timeline, then pickups per outlet
    blue = tuple(int(PALETTE[0][i:i + 2], 16) for i in (1, 3, 5))
    for box in boxes:
        assert ink_fraction(image, box=box, background=BACKGROUND) > 0.04, box  # bars, axes and labels, not blank
        # the first outlet's bars are there: pixels of its colour, within 8 levels per channel
        off_blue = ImageChops.difference(image.crop(box), Image.new("RGB", image.crop(box).size, blue)).convert("L")
        bars = sum(off_blue.histogram()[:9])
        assert bars > 0.01 * off_blue.size[0] * off_blue.size[1], (box, bars)


def test_html_report_file_renders_with_charts(archive: CoverageArchive, tmp_path: Path) -> None:
    target = tmp_path / "bugonia.html"
    result = run_cli("report", "bugonia", "--html", str(target), "--archive", str(archive.root))
    assert result.returncode == 0, result.stderr
    assert "7 pieces, 4 stories" in result.stdout
    page = target.read_text()
    assert "<script" not in page and not re.search(r"""(src|href)=["']?(https?:)?//(?!127\.0\.0\.1:8080/)""", page)
    assert "@import" not in page and "url(http" not in page
    assert page.count("<svg") == 2
    assert f'href="http://127.0.0.1:8080{WIRE_REPLAY}"' in page
    assert_charts_drawn(screenshot(target.as_uri(), tmp_path / "report.png", height=1400))


def test_replay_server_report_page(archive: CoverageArchive, server: str, tmp_path: Path) -> None:
    before = invoke_cli("watch", "list", "--json", "--archive", str(archive.root)).stdout
    status, page, headers = get(server + "/report?w=bugonia&by=week")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert page.count("<svg") == 2 and "Coverage: bugonia" in page and "2026-W45" in page
    assert f'href="{WIRE_REPLAY}"' in page
    replayed_status, replayed, _ = get(server + WIRE_REPLAY)  # the link replays the archived page
    assert replayed_status == 200 and "Lanthimos finished shooting Bugonia" in replayed
    assert_charts_drawn(screenshot(server + "/report?w=bugonia", tmp_path / "page.png", height=1400))
    assert get(server + "/report?w=nope")[0] == 400
    assert get(server + "/report?q=bugonia&since=soon")[0] == 400
    status, narrowed, _ = get(server + "/report?q=bugonia&since=2026-11-03&until=2026-11-05")
    assert status == 200 and "<b>2</b>pieces" in narrowed
    # viewing the page does not count as the watchlist's last report
    assert invoke_cli("watch", "list", "--json", "--archive", str(archive.root)).stdout == before


def test_search_page_filters(archive: CoverageArchive, server: str) -> None:
    def titles(query: str) -> list[str]:
        status, page, _ = get(server + "/?" + query)
        assert status == 200, page
        return sorted(re.findall(r'<div class=hit><a href="/article/\d+">([^<]+)</a>', page))

    assert titles("q=bugonia") == ["Bugonia poster", "Bugonia wraps (syndicated)", "Bugonia wraps shooting",
                                   "Emma Stone on Bugonia", "Lanthimos beendet Bugonia"]
    assert titles("q=bugonia&author=bob") == ["Emma Stone on Bugonia"]
    assert titles("q=bugonia&published_from=2026-11-03&published_to=2026-11-05") == [
        "Emma Stone on Bugonia", "Lanthimos beendet Bugonia"]
    assert titles("q=bugonia&language=de") == []
    assert titles("q=stone&language=en") == ["Emma Stone im Gespräch", "Emma Stone interview", "Emma Stone on Bugonia"]
    assert get(server + "/?q=bugonia&published_from=someday")[0] == 400
    # the search links to its coverage report, window included
    page = get(server + "/?q=bugonia&published_from=2026-11-03")[1]
    assert 'href="/report?q=bugonia&amp;since=2026-11-03"' in page
