"""From an archived response to what the browser gets: HTML and CSS rewritten onto the replay
server, the banner, and the headers of the mode the server runs in.

Modifiers (pywb's): none = the page as it should look (rewritten, with the banner; with
``--scripts`` the banner page framing the document); ``id_`` = the archived bytes, unrewritten,
under the strict ``ARCHIVED_CSP``; ``if_`` = the framed document of the ``--scripts`` mode.
Other responses (images, fonts, scripts) pass as archived, Content-Type included.

With ``--scripts`` the framed document has an opaque origin, so to it every request to this
server is cross-origin: archived captures then carry ``Cross-Origin-Resource-Policy:
cross-origin`` (else the browser would refuse its images), and fonts, which browsers always fetch
with CORS, ``Access-Control-Allow-Origin: null``. Without ``--scripts`` the rewritten page keeps
this server's origin and neither header is needed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import Engine

from archive.replay.banner import FRAME_MODIFIER, banner_html, frame_page
from archive.replay.context import describe
from archive.replay.lookup import Resolved
from archive.replay.responses import (
    FRAME_PAGE_CSP,
    FRAMED_CSP,
    REPLAY_CSP,
    Response,
    html_response,
)
from archive.replay.rewrite_css import rewrite_css
from archive.replay.rewrite_html import document_codec, rewrite_html
from archive.replay.urlmap import UrlMap

RAW_MODIFIER = "id_"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
CSS_TYPES = frozenset({"text/css"})
FONT_EXTENSIONS = (".woff2", ".woff", ".ttf", ".otf", ".eot")  # fonts served as application/octet-stream
FONT_TYPES = ("font/", "application/font", "application/x-font", "application/vnd.ms-fontobject")


def media_type(response: Response) -> str:
    value = next((v for k, v in response.headers if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def render(engine: Engine, res: Resolved, response: Response, *, modifier: str = "", banner: bool = True,
           scripts: bool = False, requested: str | None = None) -> Response:
    """``response`` (built from ``res`` as archived) made ready for the browser (module docstring).

    A page's links and requisites are looked up at the page's capture time; a stylesheet's at the
    ``requested`` timestamp, which for a stylesheet the page names is the page's time again, so
    fonts and images deep in ``@import`` chains still come from the captures nearest the page."""
    if scripts:
        response = _cross_origin(response, res.capture.url)
    encoded = any(k.lower() == "content-encoding" for k, _ in response.headers)
    if modifier == RAW_MODIFIER or encoded or not response.body or 300 <= response.status < 400:
        return response
    kind = media_type(response)
    content_type = next((v for k, v in response.headers if k.lower() == "content-type"), None)
    framed = scripts and modifier == FRAME_MODIFIER
    if kind in HTML_TYPES:
        context = describe(engine, res.capture) if banner and not framed else None
        top = banner_html(res.capture, context, FRAME_MODIFIER if scripts else "") if context else ""
        if scripts and not framed:
            page = html_response(frame_page(res.capture, top), res.status, csp=FRAME_PAGE_CSP)
            page.reason = response.reason
            return page
        urls = UrlMap(res.capture.url, res.capture.timestamp, FRAME_MODIFIER if framed else "", scripts=framed)
        body = rewrite_html(response.body, content_type, urls, top)
        return _with(response, body, FRAMED_CSP if framed else REPLAY_CSP)
    if kind in CSS_TYPES:
        codec = document_codec(response.body, content_type) or "utf-8"
        urls = UrlMap(res.capture.url, requested or res.capture.timestamp, FRAME_MODIFIER if framed else "",
                      scripts=framed)
        try:
            text = response.body.decode(codec, "surrogateescape")
            body = rewrite_css(text, urls).encode(codec, "surrogateescape")
        except (UnicodeError, LookupError):
            return response  # served as archived rather than garbled
        return _with(response, body, None)
    return response


def _with(response: Response, body: bytes, csp: str | None) -> Response:
    headers = [(k, v) for k, v in response.headers if csp is None or k.lower() != "content-security-policy"]
    if csp is not None:
        headers += [("Content-Security-Policy", csp), ("X-DNS-Prefetch-Control", "off")]
    return Response(response.status, body, headers, response.reason)


def _cross_origin(response: Response, url: str) -> Response:
    extra = [("Cross-Origin-Resource-Policy", "cross-origin")]
    path = urlsplit(url).path.lower()
    if media_type(response).startswith(FONT_TYPES) or path.endswith(FONT_EXTENSIONS):
        extra.append(("Access-Control-Allow-Origin", "null"))
    return Response(response.status, response.body, [*response.headers, *extra], response.reason)
