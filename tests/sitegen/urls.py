"""URL grammar of a generated outlet: clean article URLs per scheme, AMP and print copies, link
variants, and the request key the router looks pages up by.

A *clean* URL is the one the ground truth names (an article's canonical URL); every other form
an outlet links (tracking parameters, fragments, toggled trailing slash, absolute links, AMP and
print copies) must fold back into it.  The router accepts all of them: it ignores unknown query
parameters and a toggled trailing slash, as real CMSs do.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

# Query parameters that select a different resource; everything else is ignored by the router.
SIGNIFICANT_PARAMS = ("id", "amp", "print", "page")


def article_path(scheme: str, published: datetime, slug: str, number: int) -> str:
    if scheme == "dated":
        return f"/{published:%Y/%m/%d}/{slug}/"
    if scheme == "numeric":
        return f"/news/{number}"
    if scheme == "slug":
        return f"/{slug}"
    if scheme == "html":
        return f"/articles/{slug}.html"
    if scheme == "query":
        return f"/article.php?id={number}"
    raise ValueError(f"unknown URL scheme {scheme!r}")


def _with_param(path: str, param: str) -> str:
    return path + ("&" if "?" in path else "?") + param


def amp_path(style: str, path: str) -> str | None:
    if style == "path":
        return "/amp" + path
    if style == "query":
        return _with_param(path, "amp=1")
    return None


def print_path(path: str) -> str:
    return _with_param(path, "print=1")


def variant_href(kind: str, path: str, base_url: str, token: str) -> str:
    """``path`` as an outlet links it with variant ``kind``; ``token`` seeds click ids."""
    params = {
        "ref": "ref=home",
        "utm": "utm_source=newsletter&utm_medium=email&utm_campaign=daily",
        "fbclid": f"fbclid=IwAR{token}",
        "gclid": f"gclid=Cj0K{token}",
        "mc_cid": f"mc_cid={token[:10]}&mc_eid={token[-10:]}",
        "cmpid": f"cmpid=org_{token[:6]}",
        "ito": "ito=792",
        "taid": f"taid={token[:12]}",
    }
    if kind in params:
        return _with_param(path, params[kind])
    if kind == "fragment":
        return path + "#comments"
    if kind == "slash" and "?" not in path and not path.endswith(".html"):
        return path[:-1] if path.endswith("/") else path + "/"
    if kind == "absolute":
        return base_url + path
    return path


def request_key(path: str, query: str) -> tuple[str, str, bool, bool, int]:
    """(path without trailing slash and AMP prefix, id, amp?, print?, page) of a request target."""
    params = dict(parse_qsl(query))
    amp = params.get("amp") == "1"
    if path.startswith("/amp/"):
        path, amp = path[len("/amp"):], True
    page = params.get("page", "1")
    return (path.rstrip("/") or "/", params.get("id", ""), amp, params.get("print") == "1",
            int(page) if page.isdigit() else 0)


def clean_key(path: str) -> tuple[str, str]:
    """The (path, id) part of ``request_key`` for a clean article path."""
    bare, _, query = path.partition("?")
    return bare.rstrip("/") or "/", dict(parse_qsl(query)).get("id", "")

