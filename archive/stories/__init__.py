"""Stories across outlets: the articles that carry one text (a wire story, a press release, a
scoop rewritten), grouped on insert by MinHash with LSH bands kept in the archive's own tables.

``signature`` (shingles, MinHash, bands; no SQL), ``thresholds`` (the archive-wide setting),
``linker`` (the check the store runs on each new text), ``rebuild`` (``pressclips restory``).
"""

from archive.stories.linker import Match, NewText, StoryLinker
from archive.stories.signature import Signature
from archive.stories.thresholds import StoryThresholds

__all__ = ["Match", "NewText", "Signature", "StoryLinker", "StoryThresholds"]
