"""The article text's edges: newsletter and notification prompts, a repeated headline.

Prompts ("To make sure you never miss out…", "Sign up for our newsletter") open or close some
texts; a first or last paragraph that starts with one of the phrases in
``archive/data/extraction.toml`` is cut, a few paragraphs deep at either end, never the middle.
"""

from __future__ import annotations

import unicodedata

from archive.extract.markup import normalise_text
from archive.extract.wordlists import word_lists

EDGE_PARAGRAPHS = 3  # how many paragraphs at each end may be prompts
MAX_PROMPT_CHARS = 400  # a prompt is a sentence or two, never a real paragraph of the story


def _is_prompt(paragraph: str, prompts: tuple[str, ...]) -> bool:
    text = " ".join(unicodedata.normalize("NFKC", paragraph).split()).casefold().replace("’", "'")
    return len(text) <= MAX_PROMPT_CHARS and text.startswith(prompts)


def strip_prompts(text: str) -> str:
    paragraphs = text.split("\n")
    prompts = word_lists().prompts
    start, end = 0, len(paragraphs)
    while start < min(EDGE_PARAGRAPHS, end) and (
            not paragraphs[start].strip() or _is_prompt(paragraphs[start], prompts)):
        start += 1
    while end > start and end > len(paragraphs) - EDGE_PARAGRAPHS and (
            not paragraphs[end - 1].strip() or _is_prompt(paragraphs[end - 1], prompts)):
        end -= 1
    return "\n".join(paragraphs[start:end]).strip()


def drop_repeated_title(text: str, title: str | None) -> str:
    """The headline is stored as the title, not again as the first paragraph."""
    first, _, rest = text.partition("\n")
    if title and rest and normalise_text(first) == normalise_text(title):
        return rest.strip()
    return text

