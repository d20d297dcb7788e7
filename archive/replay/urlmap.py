"""Where a URL found in an archived document points on the replay server.

``UrlMap`` is what the HTML and CSS rewriters share: it resolves a reference against the
document's URL (or its ``<base href>``) and maps http(s) targets to ``/<timestamp><mod>/<url>``,
pywb's grammar, so every link and requisite stays on this server and is looked up at the time of
the page that names it. What is not an http(s) link (``data:``, ``#fragment``, ``mailto:`` ...)
stays as it is; ``javascript:`` is neutralised unless archived scripts are allowed to run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from archive.replay.responses import replay_path

# Left exactly as written: they never reach the network (or, for mailto/tel, never this server).
_KEEP_SCHEMES = frozenset({"data", "mailto", "tel", "sms", "about", "blob", "cid", "urn"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_STRIP = "\t\n\f\r "
NEUTRAL_LINK = "#"  # what a javascript: URL becomes when scripts are off


@dataclass
class UrlMap:
    """Maps references in one archived document (``document_url``, captured at ``timestamp``)."""

    document_url: str
    timestamp: str
    modifier: str = ""
    scripts: bool = False

    def __post_init__(self) -> None:
        self.base = self.document_url

    def set_base(self, href: str) -> None:
        """A ``<base href>``: later relative references resolve against it (first one wins, as in browsers)."""
        if self.base == self.document_url:
            absolute = self.absolute(href)
            if absolute is not None:
                self.base = absolute

    def absolute(self, ref: str) -> str | None:
        """The absolute http(s) URL ``ref`` means in this document, or None when it is not one."""
        text = ref.strip(_STRIP)
        if not text or text.startswith("#"):
            return None
        match = _SCHEME.match(text)
        if match and match.group(1).lower() not in ("http", "https"):
            return None
        try:
            target = urljoin(self.base, text)
            scheme = urlsplit(target).scheme.lower()
        except ValueError:
            return None
        if scheme not in ("http", "https"):
            return None
        return scheme + target[len(scheme):]  # HTTPS://x and https://x are one URL

    def replay(self, ref: str) -> str | None:
        """The replay path for ``ref``, or None to leave it as written (``javascript:`` gives
        ``NEUTRAL_LINK`` when scripts are off)."""
        text = ref.strip(_STRIP)
        match = _SCHEME.match(text)
        if match and match.group(1).lower() == "javascript":
            return None if self.scripts else NEUTRAL_LINK
        if match and match.group(1).lower() in _KEEP_SCHEMES:
            return None
        absolute = self.absolute(text)
        if absolute is None:
            return None
        return replay_path(self.timestamp, _printable(absolute), self.modifier)


def _printable(url: str) -> str:
    """Spaces, controls and non-ASCII percent-encoded (as UTF-8), so the path is one ASCII request
    target a browser sends as it is, whatever the document's encoding."""
    return "".join(c if 0x21 <= ord(c) <= 0x7E else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
                   for c in url)
