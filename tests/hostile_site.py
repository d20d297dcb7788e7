"""A real misbehaving news site on 127.0.0.1: every way the open web breaks a crawler, one URL each.

``HostileSite`` is a stdlib ``ThreadingHTTPServer`` (port 0) whose handler writes to the socket
itself where a well-behaved server could not misbehave enough: a body shorter than its
Content-Length followed by a close, a stall longer than the crawler's timeout, 21 MiB streamed
without a length. Every request is logged (``Hit``: path with query, method, headers, arrival
time, status) so tests can count attempts and measure the time between them.

It is an ordinary outlet: ``outlets_toml()`` gives the outlets file; robots.txt names
``/sitemap.xml``, which lists every page endpoint below; the homepage links the traps and
a control article. Run it by hand: ``python -m tests.hostile_site``.

Endpoints (``ENDPOINTS`` lists the sitemap ones; expected outcomes are the tests' business):

    /news/flaky-500-story              500 for the first ``fail_times`` requests, then the article
    /news/busy-503-story               503 + ``Retry-After: <retry_after>`` once, then the article
    /news/throttled-429-story          429 + ``Retry-After: <HTTP-date>`` (Date + retry_after+1 s) once
    /news/retry-after-too-long-story   503 + ``Retry-After: 86400`` always
    /news/moved-story                  301 → /news/moved-story-hop → 302 → /news/2024/05/17/moved-story-final/
    /news/loop-story                   302 → /news/loop-story-b → 302 → /news/loop-story …
    /news/redirect-chain/N             302 → /news/redirect-chain/N+1, forever (never a loop)
    /news/stall-story                  nothing at all for ``stall`` seconds
    /news/huge-story                   21 MiB of HTML with a Content-Length
    /news/huge-streamed-story          21 MiB of HTML, chunked, no length
    /news/gzip-bomb-story              ~1 MB gzip that inflates to 1 GiB of spaces (Content-Encoding: gzip)
    /news/truncated-story              Content-Length N, N*2/5 bytes sent, connection closed
    /news/charset-*-story              CHARSET_PAGES: meta-only, http-equiv, wrong header both ways,
                                       windows-1252, latin-1, BOM over a wrong header, header over meta
    /media/report.pdf, /media/photo.png, /media/report-download (PDF, no extension),
    /media/mislabelled.html (a PNG served as text/html)
    /news/empty-story                  200, no body
    /news/soft-404-story               200 "Page not found"
    /news/challenge-story              403 Cloudflare "Just a moment..." (cf-mitigated: challenge)
    /news/challenge-503-story          503, the same challenge
    /news/ddos-guard-story             200 DDoS-Guard "Checking your browser" interstitial
    /news/captcha-story                200 DataDome/reCAPTCHA "verify you are human"
    /news/consent-story                200 OneTrust consent wall, no article
    /news/paywall-story                200 teaser + "Subscribe to continue reading" + paywall markup
    /news/furnished-story              200 a real article wearing all that furniture (must be stored)
    /calendar/YYYY/MM/DD/              previous/next day, forever (linked from the homepage)
    /topics/?sort=..&filter=..&page=N  faceted listing: every page links 30 more combinations
"""

from __future__ import annotations

import argparse
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

MiB = 1024 * 1024
HUGE_BYTES = 21 * MiB
BOMB_BYTES = 1024 * MiB
OUTLET = "hostile"

# path → (known non-ASCII words, encoding of the body, Content-Type header, how the charset is given)
CHARSET_PAGES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "/news/charset-meta-only-story": (("Café", "naïve", "€"), "cp1252", "text/html",
                                      '<meta charset="windows-1252">'),
    "/news/charset-http-equiv-story": (("Zoë", "naïve"), "latin-1", "text/html",
                                       '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'),
    # Apache's AddDefaultCharset says ISO-8859-1; the CMS writes UTF-8.
    "/news/charset-wrong-header-latin1-story": (("Zoë", "naïve", "€"), "utf-8", "text/html; charset=ISO-8859-1", ""),
    # A legacy CMS writes windows-1252 behind a server that claims UTF-8.
    "/news/charset-wrong-header-utf8-story": (("Café", "€"), "cp1252", "text/html; charset=utf-8", ""),
    "/news/charset-cp1252-story": (("Café", "€", "naïve"), "cp1252", "text/html; charset=windows-1252", ""),
    "/news/charset-latin1-story": (("Zoë", "naïve"), "latin-1", "text/html; charset=iso-8859-1", ""),
    # The BOM wins over the header (WHATWG encoding sniffing).
    "/news/charset-bom-story": (("Zoë", "€"), "utf-8-sig", "text/html; charset=iso-8859-1", ""),
    # The header wins over <meta>.
    "/news/charset-header-over-meta-story": (("Café", "naïve"), "utf-8", "text/html; charset=utf-8",
                                             '<meta charset="windows-1252">'),
}
BLOCK_PAGES = {  # path → expected reason
    "/news/challenge-story": "challenge",
    "/news/challenge-503-story": "challenge",
    "/news/ddos-guard-story": "challenge",
    "/news/captcha-story": "captcha",
    "/news/consent-story": "consent",
    "/news/paywall-story": "paywall",
}
MEDIA = {"/media/report.pdf": "application/pdf", "/media/photo.png": "image/png",
         "/media/report-download": "application/pdf", "/media/mislabelled.html": "text/html"}
ENDPOINTS = (
    "/news/flaky-500-story", "/news/busy-503-story", "/news/throttled-429-story",
    "/news/retry-after-too-long-story", "/news/moved-story", "/news/loop-story", "/news/redirect-chain/1",
    "/news/stall-story", "/news/huge-story", "/news/huge-streamed-story", "/news/gzip-bomb-story",
    "/news/truncated-story", *CHARSET_PAGES, *MEDIA, "/news/empty-story", "/news/soft-404-story",
    *BLOCK_PAGES, "/news/furnished-story", "/news/2024/05/17/control-story/",
)
FACET_SORTS = ("newest", "oldest", "popular", "relevance", "az")
FACET_FILTERS = ("film", "tv", "music", "style", "awards", "box-office")


@dataclass
class Hit:
    path: str  # with the query string
    method: str
    headers: dict[str, str]
    time: float  # epoch seconds when the request line arrived
    status: int = 0


# --------------------------------------------------------------------------- page bodies

_WORDS = ("studio", "premiere", "festival", "director", "casting", "soundtrack", "producer", "sequel",
          "screening", "season", "finale", "interview", "critics", "audience", "streaming", "release")


def story_paragraphs(slug: str, extra: str = "", n: int = 6) -> list[str]:
    """Distinct, article-like paragraphs (~1,500 characters) for ``slug``."""
    seed = sum(map(ord, slug))
    out = []
    for i in range(n):
        words = [_WORDS[(seed + i * 7 + j * 3) % len(_WORDS)] for j in range(6)]
        out.append(
            f"The {words[0]} of \u201c{slug.replace('-', ' ').title()}\u201d drew a crowd on day {i + 1}, "
            f"and the {words[1]} said the {words[2]} had changed the plans for the {words[3]}. "
            f"Reporters asked about the {words[4]} and the {words[5]}; {extra} the answers ran long "
            f"into the evening, paragraph {i + 1} of the story."
        )
    return out


def article_html(slug: str, *, title: str | None = None, head: str = "", extra: str = "",
                 before: str = "", after: str = "", paragraphs: list[str] | None = None) -> str:
    title = title or slug.replace("-", " ").title()
    paras = paragraphs if paragraphs is not None else story_paragraphs(slug, extra)
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head>{head}<title>{title} | Hostile Times</title>"
            f'<meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="2024-05-17T09:30:00+00:00">'
            f"</head><body><header><a href=\"/\">Hostile Times</a></header>{before}"
            f"<article><h1>{title}</h1><p class=\"byline\">By Ann Writer</p>\n{body}\n</article>"
            f"{after}<footer><a href=\"/privacy\">Privacy</a></footer></body></html>")


CLOUDFLARE_CHALLENGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1"><style>*{box-sizing:border-box}</style>
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">hostile.example</h1><h2 class="h2" id="challenge-running">Verifying you are human.
This may take a few seconds.</h2><div id="challenge-stage"></div>
<div id="challenge-body-text" class="core-msg spacer">hostile.example needs to review the security of your
connection before proceeding.</div></div></div>
<noscript><div id="challenge-error-title"><div class="h2"><span id="challenge-error-text">Enable JavaScript
and cookies to continue</span></div></div></noscript>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "hostile.example",cType: 'managed',
cRay: '8a1b2c3d4e5f6789',cH: 'x',cUPMDTk: "/news/challenge-story?__cf_chl_tk=abc"};
var cpo=document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b';
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">
<div class="ray-id">Ray ID: <code>8a1b2c3d4e5f6789</code></div></div>
<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div></div></div>
</body></html>"""

DDOS_GUARD = """<!DOCTYPE html><html><head><title>DDoS-Guard</title><meta charset="utf-8">
<script src="/.well-known/ddos-guard/check?context=free_splash"></script></head>
<body><div class="ddg-box"><h1>Checking your browser before accessing hostile.example.</h1>
<p>This process is automatic. Your browser will redirect to your requested content shortly.</p>
<p>Please allow up to 5 seconds&hellip;</p><p>DDoS protection by DDoS-Guard</p></div></body></html>"""

CAPTCHA = """<!DOCTYPE html><html lang="en"><head><title>hostile.example</title><meta charset="utf-8">
<script src="https://www.google.com/recaptcha/api.js" async defer></script>
<script>var dd={'rt':'c','cid':'AHrlqAAAAAMA','hsh':'0D0A','t':'fe','host':'geo.captcha-delivery.com'}</script>
</head><body><main><h1>Please verify you are a human</h1>
<p>We have detected unusual activity from your device. Please complete the check below to continue.</p>
<form action="/verify" method="post"><div class="g-recaptcha" data-sitekey="6LdXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"></div>
<button type="submit">Continue</button></form><p>Reference ID: 3f1e5b2a</p></main></body></html>"""

CONSENT_WALL = """<!DOCTYPE html><html lang="en"><head><title>Hostile Times</title><meta charset="utf-8">
<script src="https://cdn.cookielaw.org/scripttemplates/otSDKStub.js" data-domain-script="0000-1111"></script>
</head><body class="consent-wall"><div id="onetrust-consent-sdk"><div id="onetrust-banner-sdk" role="dialog"
aria-label="We value your privacy"><div id="onetrust-policy"><h2 id="onetrust-policy-title">We value your privacy</h2>
<div id="onetrust-policy-text">We and our 842 partners store and/or access information on a device, such as
cookies, and process personal data, such as unique identifiers and standard information sent by a device, for
personalised ads and content, ad and content measurement, audience research and services development. With
your permission we and our partners may use precise geolocation data and identification through device
scanning. You may click to consent to our and our 842 partners' processing as described above.
Alternatively you may click to refuse to consent or access more detailed information and change your
preferences before consenting. Some partners do not ask for your consent to process your data; instead,
they rely on their legitimate interest. You can object to this by managing your preferences.</div></div>
<div id="onetrust-button-group"><button id="onetrust-reject-all-handler">Reject All</button>
<button id="onetrust-pc-btn-handler">Manage Preferences</button>
<button id="onetrust-accept-btn-handler">Accept All Cookies</button></div></div></div>
<main><p>Please make a choice to continue to Hostile Times.</p></main></body></html>"""


def paywall_page() -> str:
    teaser = ("Hollywood\u2019s biggest studio quietly shelved its summer tentpole on Thursday, three people "
              "familiar with the decision said, leaving a hole in the release calendar that rivals rushed to fill.")
    ld = ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
          '"headline":"Studio shelves summer tentpole","isAccessibleForFree":false,'
          '"hasPart":{"@type":"WebPageElement","isAccessibleForFree":false,"cssSelector":".paywall"}}</script>')
    wall = ('<div class="paywall tp-modal"><h2>Subscribe to continue reading</h2>'
            '<p>Get unlimited access to Hostile Times journalism for $1 a week.</p>'
            '<a href="/subscribe">Subscribe now</a> <p>Already a subscriber? <a href="/login">Log in</a></p></div>')
    return article_html("studio-shelves-summer-tentpole", title="Studio shelves summer tentpole", head=ld,
                        paragraphs=[teaser], after=wall)


def furnished_page() -> str:
    """A genuine article carrying every marker the detectors look at, outside its text."""
    head = ('<script src="https://cdn.cookielaw.org/scripttemplates/otSDKStub.js"></script>'
            '<script src="https://www.google.com/recaptcha/api.js"></script>'
            '<script>(function(){var a=document.createElement("script");'
            'a.src="/cdn-cgi/challenge-platform/scripts/jsd/main.js";document.head.appendChild(a)})()</script>'
            '<script type="application/ld+json">{"@type":"NewsArticle","isAccessibleForFree":true}</script>')
    after = ('<aside class="newsletter paywall-free"><h3>Subscribe to our newsletter</h3>'
             '<p>Already a subscriber? Manage your preferences.</p></aside>'
             '<section id="comments"><form><div class="g-recaptcha" data-sitekey="x"></div>'
             "<p>Confirm you're not a robot to post a comment.</p></form></section>"
             '<div id="onetrust-banner-sdk"><p>We value your privacy. We and our partners use cookies. '
             "Accept All. Reject All.</p></div>")
    return article_html("festival-jury-names-winners", title="Festival jury names its winners", after=after,
                        head=head, extra="critics cheered;")


def soft_404() -> str:
    return ("<!DOCTYPE html><html><head><title>Page not found | Hostile Times</title></head><body>"
            "<h1>Sorry, we couldn't find that page</h1><p>Try the search box or go back to the "
            "<a href=\"/\">homepage</a>.</p></body></html>")


def pdf_bytes() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", (1).to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00")
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


_BOMB: bytes | None = None
_BOMB_LOCK = threading.Lock()


def gzip_bomb(size: int = BOMB_BYTES) -> bytes:
    """One gzip member inflating to ``size`` bytes of HTML-looking spaces (cached; ~3 s to build)."""
    global _BOMB
    with _BOMB_LOCK:
        if _BOMB is None or size != BOMB_BYTES:
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            parts = [packer.compress(b"<!DOCTYPE html><html><body><p>")]
            block = b" " * MiB
            for _ in range(size // MiB):
                parts.append(packer.compress(block))
            parts.append(packer.flush())
            data = b"".join(parts)
            if size != BOMB_BYTES:
                return data
            _BOMB = data
        return _BOMB


def _huge_chunk() -> bytes:
    return b"<p>" + b"filler text for a page far too large to archive " * 21000 + b"</p>\n"  # ~1 MiB


# --------------------------------------------------------------------------- server


class HostileSite:
    def __init__(self, *, fail_times: int = 2, retry_after: int = 2, stall: float = 10.0,
                 huge_bytes: int = HUGE_BYTES) -> None:
        self.fail_times = fail_times
        self.retry_after = retry_after
        self.stall = stall
        self.huge_bytes = huge_bytes
        self.log: list[Hit] = []
        self.retry_at: dict[str, float] = {}  # path → epoch second the Retry-After date named
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> HostileSite:
        gzip_bomb()  # built once per process (~3 s): a request must never wait for it
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.site = self  # type: ignore[attr-defined]
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- queries -------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str | None = None, *, prefix: bool = False) -> list[Hit]:
        with self._lock:
            return [h for h in self.log if path is None or (h.path.startswith(path) if prefix else h.path == path)]

    def count(self, path: str) -> int:
        return len(self.hits(path))

    def outlets_toml(self, name: str = OUTLET, extra: str = "") -> str:
        return (f'[[outlets]]\nname = "{name}"\nhomepage = "{self.base_url}/"\n{extra}'
                f"[outlets.politeness]\nconcurrency = 4\n")

    # -- internals -----------------------------------------------------------------------------
    def _arrived(self, hit: Hit) -> int:
        """Log the hit; returns how many earlier requests the same path had."""
        with self._lock:
            before = sum(1 for h in self.log if h.path == hit.path)
            self.log.append(hit)
            return before


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostile/1.0"
    sys_version = ""
    timeout = 30

    @property
    def site(self) -> HostileSite:
        return self.server.site  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        hit = Hit(self.path, self.command, dict(self.headers.items()), time.time())
        earlier = self.site._arrived(hit)
        try:
            self._route(hit, earlier)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the crawler hung up (size limit, timeout): expected

    # -- responses -----------------------------------------------------------------------------
    def _send(self, hit: Hit, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
              headers: tuple[tuple[str, str], ...] = ()) -> None:
        hit.status = status
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _html(self, hit: Hit, html: str, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self._send(hit, status, html.encode("utf-8"), headers=headers)

    def _redirect(self, hit: Hit, status: int, location: str) -> None:
        self._send(hit, status, b"", ctype="", headers=(("Location", location),))

    def _route(self, hit: Hit, earlier: int) -> None:
        site = self.site
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qsl(parts.query, keep_blank_values=True)
        if path == "/robots.txt":
            self._send(hit, 200, f"User-agent: *\nDisallow: /private/\nSitemap: {site.url('/sitemap.xml')}\n".encode(),
                       ctype="text/plain")
        elif path == "/sitemap.xml":
            locs = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in ENDPOINTS)
            self._send(hit, 200, f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                       f'"http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode(),
                       ctype="application/xml")
        elif path == "/":
            links = ('<a href="/calendar/2024/05/17/">Calendar</a> <a href="/topics/">Topics</a> '
                     '<a href="/news/2024/05/17/control-story/">Festival opens with a record crowd</a>')
            self._html(hit, f"<!DOCTYPE html><html><head><title>Hostile Times</title></head><body>"
                            f"<h1>Hostile Times</h1><nav>{links}</nav></body></html>")
        elif path.startswith("/calendar/"):
            self._calendar(hit, path)
        elif path.rstrip("/") == "/topics":
            self._facets(hit, query)
        elif path == "/news/flaky-500-story":
            if earlier < site.fail_times:
                self._html(hit, "<html><body><h1>Internal Server Error</h1></body></html>", status=500)
            else:
                self._html(hit, article_html("flaky-server-finally-answers"))
        elif path == "/news/busy-503-story":
            if earlier == 0:
                self._html(hit, "<html><body>Service Unavailable</body></html>", status=503,
                           headers=(("Retry-After", str(site.retry_after)),))
            else:
                self._html(hit, article_html("busy-server-comes-back"))
        elif path == "/news/throttled-429-story":
            if earlier == 0:
                # The Date header (send_response) is this second, truncated; the retry time is
                # a whole number of seconds after it.
                retry_at = int(time.time()) + site.retry_after + 1
                site.retry_at[path] = retry_at
                self._html(hit, "<html><body>Too Many Requests</body></html>", status=429,
                           headers=(("Retry-After", formatdate(retry_at, usegmt=True)),))
            else:
                self._html(hit, article_html("rate-limited-story-arrives"))
        elif path == "/news/retry-after-too-long-story":
            self._html(hit, "<html><body>Down for maintenance</body></html>", status=503,
                       headers=(("Retry-After", "86400"),))
        elif path == "/news/moved-story":
            self._redirect(hit, 301, "/news/moved-story-hop")
        elif path == "/news/moved-story-hop":
            self._redirect(hit, 302, site.url("/news/2024/05/17/moved-story-final/"))
        elif path == "/news/2024/05/17/moved-story-final/":
            self._html(hit, article_html("premiere-moves-to-new-venue"))
        elif path == "/news/loop-story":
            self._redirect(hit, 302, "/news/loop-story-b")
        elif path == "/news/loop-story-b":
            self._redirect(hit, 302, "/news/loop-story")
        elif path.startswith("/news/redirect-chain/"):
            n = int(path.rsplit("/", 1)[1] or 0) if path.rsplit("/", 1)[1].isdigit() else 0
            self._redirect(hit, 302, f"/news/redirect-chain/{n + 1}")
        elif path == "/news/stall-story":
            hit.status = -1  # never answered
            site._stop.wait(site.stall)
            self.close_connection = True
        elif path == "/news/huge-story":
            self._huge(hit, chunked=False)
        elif path == "/news/huge-streamed-story":
            self._huge(hit, chunked=True)
        elif path == "/news/gzip-bomb-story":
            self._send(hit, 200, gzip_bomb(), headers=(("Content-Encoding", "gzip"),))
        elif path == "/news/truncated-story":
            body = article_html("story-cut-short-by-a-dropped-connection").encode()
            hit.status = 200
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) * 2 // 5])
            self.wfile.flush()
            self.close_connection = True
        elif path in CHARSET_PAGES:
            words, encoding, ctype, meta = CHARSET_PAGES[path]
            slug = path.rsplit("/", 1)[1]
            text = " ".join(words)
            html = article_html(slug, head=meta, extra=f"{text} \u2014 {text} again;")
            # Characters the page's encoding lacks (curly quotes in latin-1) become references, as CMSes do.
            self._send(hit, 200, html.encode(encoding, "xmlcharrefreplace"), ctype=ctype)
        elif path in MEDIA:
            body = png_bytes() if path.endswith((".png", ".html")) else pdf_bytes()
            self._send(hit, 200, body, ctype=MEDIA[path])
        elif path == "/news/empty-story":
            self._send(hit, 200, b"")
        elif path == "/news/soft-404-story":
            self._html(hit, soft_404())
        elif path == "/news/challenge-story":
            self._html(hit, CLOUDFLARE_CHALLENGE, status=403,
                       headers=(("cf-mitigated", "challenge"), ("Server", "cloudflare")))
        elif path == "/news/challenge-503-story":
            self._html(hit, CLOUDFLARE_CHALLENGE, status=503,
                       headers=(("cf-mitigated", "challenge"), ("Server", "cloudflare")))
        elif path == "/news/ddos-guard-story":
            self._html(hit, DDOS_GUARD)
        elif path == "/news/captcha-story":
            self._html(hit, CAPTCHA)
        elif path == "/news/consent-story":
            self._html(hit, CONSENT_WALL)
        elif path == "/news/paywall-story":
            self._html(hit, paywall_page())
        elif path == "/news/furnished-story":
            self._html(hit, furnished_page())
        elif path == "/news/2024/05/17/control-story/":
            self._html(hit, article_html("festival-opens-with-a-record-crowd"))
        else:
            self._html(hit, "<html><head><title>404 Not Found</title></head><body>Not found</body></html>",
                       status=404)

    def _huge(self, hit: Hit, *, chunked: bool) -> None:
        site = self.site
        piece = _huge_chunk()
        count = site.huge_bytes // len(piece) + 1
        hit.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(piece) * count))
        self.end_headers()
        for _ in range(count):
            if site._stop.is_set():
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _calendar(self, hit: Hit, path: str) -> None:
        try:
            y, m, d = (int(x) for x in path.strip("/").split("/")[1:4])
            day = date(y, m, d)
        except ValueError:
            self._html(hit, "<html><body>Not found</body></html>", status=404)
            return
        prev, nxt = day - timedelta(days=1), day + timedelta(days=1)
        self._html(hit, f"<!DOCTYPE html><html><head><title>Archive for {day}</title></head><body>"
                        f"<h1>Stories of {day:%B %d, %Y}</h1>"
                        f'<a href="/calendar/{prev:%Y/%m/%d}/">Previous day</a> '
                        f'<a href="/calendar/{nxt:%Y/%m/%d}/">Next day</a></body></html>')

    def _facets(self, hit: Hit, query: list[tuple[str, str]]) -> None:
        """Every combination links 30 more: the sort options, one more filter each, the next page."""
        params = dict(query)
        filters = [v for k, v in query if k == "filter"]
        page = int(params.get("page", "1")) if params.get("page", "1").isdigit() else 1
        links = []
        for sort in FACET_SORTS:
            links.append([("sort", sort), *[("filter", f) for f in filters]])
        for extra in FACET_FILTERS:
            for sort in FACET_SORTS[:4]:
                links.append([("sort", sort), *[("filter", f) for f in filters], ("filter", extra)])
        links.append([*query, ("page", str(page + 1))] if "page" not in params
                     else [(k, v) for k, v in query if k != "page"] + [("page", str(page + 1))])
        anchors = " ".join(f'<a href="/topics/?{urlencode(q)}">{urlencode(q)}</a>' for q in links)
        self._html(hit, f"<!DOCTYPE html><html><head><title>Topics</title></head><body><h1>Topics</h1>"
                        f"<nav>{anchors}</nav></body></html>")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.hostile_site")
    parser.parse_args()
    site = HostileSite().start()
    print(f"hostile site on {site.base_url}/ (Ctrl-C to stop)\n\n{site.outlets_toml()}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
