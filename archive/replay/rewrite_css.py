"""URLs inside CSS mapped onto the replay server: ``url(...)`` (quoted or not, with CSS escapes)
and ``@import "..."``. Everything else in the stylesheet is kept byte for byte.

A rewritten reference is written back as a double-quoted CSS string, so whatever characters the
replay path holds cannot end the token early. ``data:`` URLs and fragments (``url(#clip)``) are
left exactly as they were.
"""

from __future__ import annotations

import re

from archive.replay.urlmap import UrlMap

# url( <ws> "..." | '...' | unquoted-with-escapes <ws> ) ; @import "..." | '...'
_URL = re.compile(
    r"""(?P<fn>url\(\s*)(?:"(?P<dq>(?:[^"\\\n]|\\.|\\\n)*)"|'(?P<sq>(?:[^'\\\n]|\\.|\\\n)*)'|"""
    r"""(?P<bare>(?:[^"'()\\\s]|\\[0-9A-Fa-f]{1,6}\s?|\\.)*))(?P<end>\s*\))"""
    r"""|(?P<imp>@import\s+)(?:"(?P<idq>(?:[^"\\\n]|\\.)*)"|'(?P<isq>(?:[^'\\\n]|\\.)*)')""",
    re.I | re.S)
_ESCAPE = re.compile(r"\\(?:([0-9A-Fa-f]{1,6})[ \t\n\r\f]?|\n|(.))", re.S)


def unescape_css(text: str) -> str:
    """The characters a CSS string or url token means (``\\41 `` is ``A``, ``\\)`` is ``)``)."""
    def one(m: re.Match[str]) -> str:
        if m.group(1):
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return m.group(2) or ""  # an escaped newline is a line continuation: nothing

    return _ESCAPE.sub(one, text)


def css_string(value: str) -> str:
    """``value`` as a double-quoted CSS string."""
    out = []
    for c in value:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\{ord(c):x} ")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def rewrite_css(css: str, urls: UrlMap) -> str:
    """``css`` with every ``url()`` and ``@import`` reference that names an http(s) resource
    mapped by ``urls``."""
    def one(m: re.Match[str]) -> str:
        if m.group("imp") is not None:
            raw = m.group("idq") if m.group("idq") is not None else m.group("isq")
            mapped = urls.replay(unescape_css(raw))
            return m.group(0) if mapped is None else m.group("imp") + css_string(mapped)
        raw = next(g for g in (m.group("dq"), m.group("sq"), m.group("bare")) if g is not None)
        mapped = urls.replay(unescape_css(raw))
        return m.group(0) if mapped is None else m.group("fn") + css_string(mapped) + m.group("end")

    return _URL.sub(one, css)
