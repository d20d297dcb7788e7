"""A report's charts as inline SVG, drawn by matplotlib (the optional extra ``pressclips[reports]``).

matplotlib is imported only here and only when a chart is drawn, so the rest of pressclips works
without it; when it is missing, ``require_matplotlib`` raises one ``ConfigError`` saying how to
install it. Figures are built with ``matplotlib.figure.Figure`` and saved as SVG, never through
``pyplot``: no global figure registry to leak figures from the long-running replay server. Text stays
text in the SVG (``svg.fonttype = none``): smaller files, selectable labels.
"""

from __future__ import annotations

import io
import re
import threading
from typing import Any

from archive.coverage.report import CoverageReport
from archive.errors import ConfigError

CHART_BACKGROUND = "#f7f7f2"  # the charts' own background: the browser test finds the chart areas by it
MAX_SERIES = 8  # outlets drawn on their own in the timeline; the rest are stacked as "others"
MAX_BARS = 15  # outlets in the pickups chart
# matplotlib's rc settings are process-global and the replay server draws from several threads.
_DRAWING = threading.Lock()
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
# Colour-blind-safe (Okabe-Ito), then grey for "others".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#999999")


def require_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("charts need matplotlib, which is not installed",
                          hint="pip install 'pressclips[reports]'") from None
    return matplotlib


def timeline_svg(report: CoverageReport) -> str:
    """Pieces per day or week, stacked by outlet (the largest ``MAX_SERIES``, the rest as "others")."""
    with _DRAWING:
        return _timeline_svg(report)


def pickups_svg(report: CoverageReport) -> str:
    """Pieces per outlet, the largest first (at most ``MAX_BARS`` outlets)."""
    with _DRAWING:
        return _pickups_svg(report)


def _timeline_svg(report: CoverageReport) -> str:
    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    names = [row["outlet"] for row in report.outlets]
    shown, rest = names[:MAX_SERIES], set(names[MAX_SERIES:])
    labels = [row["period"] for row in report.timeline]
    series: dict[str, list[int]] = {name: [row["by_outlet"].get(name, 0) for row in report.timeline] for name in shown}
    if rest:
        series["others"] = [sum(n for name, n in row["by_outlet"].items() if name in rest) for row in report.timeline]
    figure = Figure(figsize=(9, 3.6), dpi=100, facecolor=CHART_BACKGROUND)
    axes = figure.add_subplot(facecolor=CHART_BACKGROUND)
    bottom = [0] * len(labels)
    positions = list(range(len(labels)))
    for index, (name, values) in enumerate(series.items()):
        colour = PALETTE[-1] if name == "others" else PALETTE[index % (len(PALETTE) - 1)]
        axes.bar(positions, values, bottom=bottom, label=_plain(name), color=colour, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    step = max(1, len(labels) // 12)  # at most ~12 tick labels, whatever the span
    axes.set_xticks(positions[::step], labels[::step], rotation=30, ha="right", fontsize=8)
    axes.set_ylabel("pieces")
    axes.set_title(f"Mentions per {report.period}, by outlet", fontsize=11)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if series:
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _svg(figure)


def _pickups_svg(report: CoverageReport) -> str:
    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = report.outlets[:MAX_BARS]
    figure = Figure(figsize=(9, 0.45 * max(len(rows), 2) + 1.0), dpi=100, facecolor=CHART_BACKGROUND)
    axes = figure.add_subplot(facecolor=CHART_BACKGROUND)
    positions = list(range(len(rows)))[::-1]  # the largest on top
    axes.barh(positions, [row["pieces"] for row in rows], color=PALETTE[0], height=0.7)
    axes.set_yticks(positions, [_plain(row["outlet"]) for row in rows], fontsize=9)
    for position, row in zip(positions, rows):
        axes.annotate(f" {row['pieces']}", (row["pieces"], position), va="center", fontsize=8)
    axes.set_xlabel("pieces (pickups)")
    axes.set_title("Pickups per outlet", fontsize=11)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _svg(figure)


def _plain(label: str) -> str:
    """A label drawn as written: matplotlib reads text between two ``$`` as math and fails on bad math."""
    return label.replace("$", r"\$")


def _svg(figure: Any) -> str:
    matplotlib = require_matplotlib()
    figure.tight_layout()
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pressclips"}):
        figure.savefig(buffer, format="svg", facecolor=CHART_BACKGROUND)
    return _PROLOG.sub("", buffer.getvalue(), count=1)
