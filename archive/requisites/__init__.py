"""Page requisites: what an archived page needs to replay like the page (stylesheets and what they
import, fonts, images, scripts, icons), found without a reactor, and which of them a crawl fetches.

``find_requisites`` reads an HTML page, ``css_references`` a stylesheet or a ``style`` attribute;
``AssetScope`` decides, per outlet, which requisite hosts are in scope (the outlet's own domains,
its ``asset_hosts``, and CDN hosts learned during the run) and leaves trackers and ads out
(``is_tracker``, rules in ``archive/data/asset_trackers.txt``).
"""

from archive.requisites.css import css_references, style_attribute_references
from archive.requisites.html import Requisite, find_requisites, largest_candidate
from archive.requisites.scope import AssetScope, Pending, is_tracker

__all__ = ["AssetScope", "Pending", "Requisite", "css_references", "find_requisites", "is_tracker",
           "largest_candidate", "style_attribute_references"]
