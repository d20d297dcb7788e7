"""Extraction on pages of outlets the corpus never had: fundus's per-publisher test pages.

fundus (github.com/flairNLP/fundus, MIT) keeps, for each of about 180 publishers in some 40
countries, saved article pages (``tests/resources/parser/test_data/<country>/<Publisher>_<date>.html.gz``)
and the values its hand-written parser for that publisher returns (``<Publisher>.json``: one
entry per parser version, in the order of the pages' dates; the URL is in the country's
``meta.info``). None of these pages is in ``../shared/corpus``, so they are a third set beside
bench/extraction.py's two halves: outlets and languages no rule was written against. Clone
fundus yourself (nothing here reaches the network) and point ``--test-data`` at that folder:

    git clone --depth 1 https://github.com/flairNLP/fundus /tmp/fundus
    PYTHONPATH=. .venv/bin/python bench/extraction_fundus.py --test-data /tmp/fundus/tests/resources/parser/test_data
        [--misses title|authors|date] [--json out.json]

Scored as bench/extraction.py scores (same normalisation, author-set match, same-day date in the
expected offset) and with bare ``trafilatura.extract`` on the same pages in the same run. Read the
figures knowing the expectations' conventions: fundus's parsers often take og:title, which keeps
a kicker this extractor cuts ("Akkutechnik: …"), and list a news agency beside the writer ("dpa",
"AP"), where this extractor names people and keeps organisations apart.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction import Score, count_page, print_pair, run_bare, run_ours, score_page  # noqa: E402


def pages(test_data: Path) -> list[tuple[str, dict[str, Any], bytes]]:
    """(slug, expectations in the shared corpus's keys, HTML) for every page whose parser version
    can be paired with it: a publisher with as many versions as pages."""
    found = []
    for country in sorted(p for p in test_data.iterdir() if p.is_dir()):
        info = country / "meta.info"
        urls = json.loads(info.read_text("utf-8")) if info.exists() else {}
        for expected_file in sorted(country.glob("*.json")):
            versions = json.loads(expected_file.read_text("utf-8"))
            htmls = sorted(country.glob(f"{expected_file.stem}_*.html.gz"))
            if len(htmls) != len(versions):
                continue
            for version, html in zip(sorted(versions, key=lambda v: int(v.lstrip("V"))), htmls):
                url = urls.get(html.name, {}).get("url")
                if url:
                    found.append((f"{country.name}/{html.name[:-len('.html.gz')]}",
                                  _as_corpus_page(versions[version], url), gzip.decompress(html.read_bytes())))
    return found


def _as_corpus_page(expected: dict[str, Any], url: str) -> dict[str, Any]:
    page: dict[str, Any] = {"url": url}
    if expected.get("title"):
        page["title"] = expected["title"]
    if expected.get("authors"):
        page["authors"] = expected["authors"]
    if expected.get("publishing_date"):
        page["date"] = expected["publishing_date"].replace(" ", "T")
    body = expected.get("body")
    if isinstance(body, dict):
        sections = [text for section in body.get("sections", [])
                    for text in (*section.get("headline", []), *section.get("paragraphs", []))]
        page["body"] = "\n".join([*body.get("summary", []), *sections])
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--test-data", type=Path, required=True,
                        help="fundus's tests/resources/parser/test_data folder")
    parser.add_argument("--misses", choices=("title", "authors", "date"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.test_data.is_dir():
        parser.exit(2, f"extraction_fundus: no such folder: {args.test_data}\n")
    warnings.filterwarnings("ignore")  # dateutil's unknown-zone warnings, as the pool does
    scores = {"ours": Score(), "bare": Score()}
    misses: list[str] = []
    for slug, page, body in pages(args.test_data):
        ours, our_ms = run_ours(body, page["url"])
        bare, bare_ms = run_bare(body, page["url"])
        count_page(scores, our_ms, bare_ms)
        score_page(page, ours, bare, scores, misses, args.misses, slug)
    print_pair("fundus", scores)
    for line in misses:
        print(f"    miss {line}")
    if args.json:
        args.json.write_text(json.dumps({side: score.summary() for side, score in scores.items()}, indent=2))


if __name__ == "__main__":
    main()
