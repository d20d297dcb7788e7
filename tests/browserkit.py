"""Headless Chromium for the browser tests: found, installed where missing, or skipped with the reason.

Debian's ``chromium`` package is the browser. ``chromium_binary()`` returns its path; where it is not on the
machine and this process may install Debian packages (root with ``apt-get``), it installs ``chromium`` once;
otherwise the calling test is skipped with the reason. ``screenshot()`` renders one URL to a PNG with the flags
every test uses: no sandbox (tests run as root in a container), no background networking (nothing leaves
127.0.0.1), a fixed window and a virtual-time budget so fonts and images have loaded when the picture is taken.
``load_image``/``diff_fraction``/``ink_fraction`` compare and inspect screenshots with Pillow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

BINARIES = ("chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-extensions",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-device-scale-factor=1",
    "--font-render-hinting=none",
)


def _which() -> str | None:
    return next((path for name in BINARIES if (path := shutil.which(name))), None)


@cache
def _install() -> str:
    """Install Debian's chromium once per process; the reason it cannot be installed, or ''."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "Debian's chromium is not installed and this process cannot install it (needs root and apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"installing chromium failed: {exc}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"installing chromium failed ({' '.join(command)}): {tail[0]}"
    return ""


def chromium_binary() -> str:
    """The path of headless Chromium, installing Debian's package where missing; skips the test if impossible."""
    found = _which()
    if found:
        return found
    reason = _install()
    found = _which()
    if not found:
        pytest.skip(reason or "chromium was installed but is not on PATH")
    return found


def screenshot(url: str, out: Path, *, width: int = 1280, height: int = 1600, budget_ms: int = 5000,
               timeout: float = 120) -> Path:
    """Render ``url`` in headless Chromium and write a PNG of the first ``width``×``height`` pixels to ``out``."""
    binary = chromium_binary()
    out.parent.mkdir(parents=True, exist_ok=True)
    profile = out.parent / f".chromium-profile-{out.stem}"
    command = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--virtual-time-budget={budget_ms}", f"--screenshot={out}", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    shutil.rmtree(profile, ignore_errors=True)
    if done.returncode != 0 or not out.exists():
        raise AssertionError(f"chromium could not screenshot {url} (exit {done.returncode}): {done.stderr[-2000:]}")
    return out


def load_image(path: Path) -> Any:
    """The PNG at ``path`` as an RGB Pillow image."""
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB")


def diff_fraction(a: Any, b: Any, *, box: tuple[int, int, int, int] | None = None, threshold: int = 24) -> float:
    """The share of pixels (within ``box``) whose channels differ by more than ``threshold`` between two images."""
    from PIL import ImageChops

    if box is not None:
        a, b = a.crop(box), b.crop(box)
    if a.size != b.size:
        raise AssertionError(f"images differ in size: {a.size} vs {b.size}")
    diff = ImageChops.difference(a, b).convert("L")
    changed = sum(count for level, count in enumerate(diff.histogram()) if level > threshold)
    return changed / (a.size[0] * a.size[1])


def ink_fraction(image: Any, *, box: tuple[int, int, int, int] | None = None, background: tuple[int, int, int]
                 = (255, 255, 255), threshold: int = 24) -> float:
    """The share of pixels (within ``box``) that are not the background colour: 0.0 means a blank area."""
    from PIL import Image, ImageChops

    if box is not None:
        image = image.crop(box)
    diff = ImageChops.difference(image, Image.new("RGB", image.size, background)).convert("L")
    inked = sum(count for level, count in enumerate(diff.histogram()) if level > threshold)
    return inked / (image.size[0] * image.size[1])
