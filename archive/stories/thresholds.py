"""The story thresholds: an archive-wide setting kept in the archive's ``meta`` table.

They belong to the archive, not to one run or one outlet: every writer (a crawl, a re-extraction,
``pressclips restory``) must link stories the same way, so they are stored with the data and read
by each ``Store``. ``pressclips restory --similarity X --containment Y`` changes them and
rebuilds the stories with the new values.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db.models import Meta
from archive.errors import ConfigError

SIMILARITY_KEY = "stories.similarity"
CONTAINMENT_KEY = "stories.containment"


@dataclass(frozen=True)
class StoryThresholds:
    """``similarity``: estimated Jaccard of the two texts' word 3-shingles for syndicated copies and
    edited rewrites; unrelated articles on one topic measure < 0.1, light edits > 0.6.
    ``containment``: estimated share of the shorter text found in the longer, for truncated copies
    whose first words match."""

    similarity: float = 0.5
    containment: float = 0.8

    def __post_init__(self) -> None:
        for name, value in (("similarity", self.similarity), ("containment", self.containment)):
            if not 0.2 <= value <= 1.0:
                raise ConfigError(f"story {name} threshold {value} is out of range",
                                  hint="use a number from 0.2 to 1.0")

    @classmethod
    def load(cls, session: Session) -> StoryThresholds:
        stored = {key: value for key, value in session.execute(select(Meta.key, Meta.value).where(
            Meta.key.in_((SIMILARITY_KEY, CONTAINMENT_KEY))))}
        default = cls()
        return cls(float(stored.get(SIMILARITY_KEY, default.similarity)),
                   float(stored.get(CONTAINMENT_KEY, default.containment)))

    def save(self, session: Session) -> None:
        for key, value in ((SIMILARITY_KEY, self.similarity), (CONTAINMENT_KEY, self.containment)):
            row = session.get(Meta, key)
            if row is None:
                session.add(Meta(key=key, value=str(value)))
            else:
                row.value = str(value)
