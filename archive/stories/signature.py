"""MinHash signatures of an article text and their LSH bands (no SQL here).

A text becomes the set of its word 3-shingles (lower-cased words; each CJK character counts as a
word, so Japanese and Chinese get character trigrams). Two signatures are kept:

- ``minhash``: 128 MinHash values over all shingles. The share of equal values estimates the
  Jaccard similarity; cut into 42 bands of 3 values, two texts with Jaccard 0.5 share a band
  with probability 0.996, texts with Jaccard 0.1 with probability 0.04 (DESIGN §4).
- ``lead``: 32 values over the shingles of the first ``LEAD_WORDS`` words only. A truncated
  "read more" copy has a low Jaccard with the full text (its share of the text), but the same
  lead: 8 bands of 4 values find it (leads with Jaccard 0.9 share a band with probability
  0.9998, 0.8 with 0.97), and the whole signature then estimates the containment. Four values a
  band, not two: articles sharing only part of a lead (an outlet's standard first sentence)
  rarely share a band, and each text adds 8 index rows, not 16 (revision 0011).

A band's bucket key is its values folded into 64 bits, not a cryptographic hash of them: MinHash
values are already uniform hash values, and the band number is the other half of the key.

MinHash comes from rensa (Rust; deterministic across processes for a fixed seed, which matters
because the bands live in the database; no numpy/scipy dependency, which datasketch needs). On
the corpus texts one 128-value signature takes ~0.06 ms, tokenising and shingling in Python
cost more; bench/stories.py measures the whole check. datasketch was not measured side by side.
"""

from __future__ import annotations

import functools
import re
import struct
from dataclasses import dataclass

from rensa import RMinHash

NUM_PERM = 128
BANDS, ROWS = 42, 3  # 126 of the 128 values are banded; all 128 estimate the similarity
LEAD_PERM = 32
LEAD_BANDS, LEAD_ROWS = 8, 4
LEAD_WORDS = 40
BAND_COUNT = BANDS + LEAD_BANDS  # rows per signed text in story_bands
LEAD_BAND_OFFSET = 1000  # lead bands are numbered 1000.. in the same table as the whole-text bands
SHINGLE = 3
MIN_SHINGLES = 8  # shorter texts join stories only as exact copies: a few words say nothing
SEED = 20261207  # changing it (or the parameters above) needs `pressclips restory`

# A word, or one CJK ideograph / kana / hangul syllable (those scripts have no spaces).
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")


def words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def shingles(tokens: list[str]) -> set[str]:
    if len(tokens) < SHINGLE:
        return {" ".join(tokens)} if tokens else set()
    # zip over shifted lists, not slices per position: the same strings in half the time
    return set(map(" ".join, zip(*(tokens[i:] for i in range(SHINGLE)))))


def _minhash(items: set[str], num_perm: int) -> bytes:
    sketch = RMinHash(num_perm=num_perm, seed=SEED)
    sketch.update(list(items))  # a set: MinHash does not depend on the order
    return struct.pack(f"<{num_perm}I", *sketch.digest())


@dataclass(frozen=True)
class Signature:
    """What the story check stores of one text."""

    shingles: int  # distinct shingles of the whole text
    minhash: bytes
    lead: bytes

    @classmethod
    def of(cls, text: str) -> Signature | None:
        """The text's signature, or None when it is too short to be compared by similarity."""
        tokens = words(text)
        whole = shingles(tokens)
        if len(whole) < MIN_SHINGLES:
            return None
        return cls(len(whole), _minhash(whole, NUM_PERM), _minhash(shingles(tokens[:LEAD_WORDS]), LEAD_PERM))

    def bands(self) -> list[tuple[int, int]]:
        """(band number, 64-bit signed hash of its values): the rows this text adds to the index."""
        return (_bands(self.minhash, BANDS, ROWS, 0)
                + _bands(self.lead, LEAD_BANDS, LEAD_ROWS, LEAD_BAND_OFFSET))


def _bands(values: bytes, bands: int, rows: int, offset: int) -> list[tuple[int, int]]:
    """Each band's values folded into one signed 64-bit key: 32-bit values at alternating 0/32 bit
    offsets, XORed (3 values: v0 | v1 << 32 ^ v2; 4: (v0 | v1 << 32) ^ (v2 | v3 << 32))."""
    width = 4 * rows
    out = []
    for band in range(bands):
        chunk = values[band * width:(band + 1) * width]
        key = 0
        for start in range(0, width, 8):
            key ^= int.from_bytes(chunk[start:start + 8], "little")
        out.append((offset + band, key - (1 << 64) if key >= 1 << 63 else key))
    return out


def agreement(a: bytes, b: bytes) -> float:
    """The share of equal MinHash values: the estimated Jaccard similarity of the two sets.

    Counted on the two signatures as integers, not value by value: XOR them, fold each 32-bit
    value's bits into its lowest bit, and count the values left non-zero. ~2 µs for 128 values
    against ~6.6 µs unpacking both and comparing pairs; the check verifies up to 24 candidates,
    most of them twice (whole text and lead)."""
    n = len(a) // 4
    if n == 0 or len(b) != len(a):
        return 0.0
    differ = int.from_bytes(a, "little") ^ int.from_bytes(b, "little")
    for shift, mask in _fold_masks(n):
        differ = (differ | (differ >> shift)) & mask
    return (n - differ.bit_count()) / n


@functools.cache
def _fold_masks(values: int) -> tuple[tuple[int, int], ...]:
    """(shift, mask) steps that OR each 32-bit value's bits into its lowest: the mask keeps the low
    half of what is left in each value, so nothing crosses into a neighbour."""
    steps = []
    for shift in (16, 8, 4, 2, 1):
        lane = (1 << shift) - 1
        steps.append((shift, sum(lane << (32 * i) for i in range(values))))
    return tuple(steps)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """The estimated share of the smaller set inside the larger, from their Jaccard and sizes:
    |A∩B| = J (|A| + |B|) / (1 + J)."""
    smaller = min(size_a, size_b)
    if smaller == 0:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / ((1 + jaccard) * smaller))
