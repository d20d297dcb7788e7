"""What the replay server answers with: the response type, its security headers, and replay paths.

Shared by the server (archived captures, errors) and its own pages (search, article), so neither
has to import the other to build a response.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ARCHIVED_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "font-src 'self' data:; media-src 'self' data:; form-action 'none'; base-uri 'none'; "
                "frame-ancestors 'none'")
# A rewritten archived page, scripts off: its own origin kept (fonts and images load from this
# server without CORS), but no script, form, plugin or popup, and nothing from anywhere else.
REPLAY_CSP = ("sandbox allow-same-origin; default-src 'none'; script-src 'none'; object-src 'none'; "
              "img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
              "media-src 'self' data:; frame-src 'self'; form-action 'none'; base-uri 'self'; "
              "frame-ancestors 'self'")
# The archived document inside the --scripts frame: scripts run, in an opaque origin, and may load
# only from this server.
FRAMED_CSP = ("sandbox allow-scripts; default-src 'self' data: blob: 'unsafe-inline' 'unsafe-eval'; "
              "object-src 'none'; form-action 'none'; base-uri 'self'; frame-ancestors 'self'")
# The outer page of the --scripts mode: the banner and one same-server iframe.
FRAME_PAGE_CSP = ("default-src 'none'; frame-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; "
                  "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
COMMON_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                  ("Cross-Origin-Resource-Policy", "same-origin"))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None


def error_response(status: int, message: str) -> Response:
    """One plain line, never a traceback."""
    line = " ".join(message.split())[:300]
    return Response(status, (line + "\n").encode("utf-8"),
                    [("Content-Type", "text/plain; charset=utf-8"), ("Content-Security-Policy", PAGE_CSP)])


def html_response(page: str, status: int = 200, csp: str = PAGE_CSP) -> Response:
    return Response(status, page.encode("utf-8"),
                    [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", csp),
                     ("Cache-Control", "no-store")])


def replay_path(timestamp: str, url: str, modifier: str = "") -> str:
    """The path this server replays ``url`` at ``timestamp`` under."""
    return f"/{timestamp}{modifier}/{url}"


def article_path(article_id: int) -> str:
    """The path of this server's page for one article (its versions and captures)."""
    return f"/article/{article_id}"
