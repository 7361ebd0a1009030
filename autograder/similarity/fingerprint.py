"""Fingerprints of normalised tokens: k-gram hashing + winnowing, and statement hashes.

Winnowing (Schleimer, Wilkerson & Aiken, "Winnowing: local algorithms for
document fingerprinting", SIGMOD 2003; the method behind MOSS) hashes every
run of K consecutive tokens and keeps, in every window of W consecutive
hashes, the minimal one (the rightmost on ties). Why this method:
- a guarantee: any run of at least W + K - 1 tokens two submissions share
  yields at least one common fingerprint, whatever surrounds it (and runs
  shorter than K never do, so tiny idioms are noise-filtered by design);
- positions: each fingerprint remembers where its k-gram lies, which is what
  lets the report show the matching regions side by side;
- compact: about 2 / (W + 1) of the k-grams are kept, so the index stays small.

Reordered statements break only the k-grams that straddle a moved boundary.
To make reordering of independent statements cost nothing at all, each
statement is also hashed on its own, and submissions are compared on these
statement multisets as well (order-free). Statements shorter than
MIN_STATEMENT_TOKENS (`else:`, `return V`, `pass`) are too generic to count.

Hashes are stable across runs and machines (crc32 of token text, then a
polynomial rolling hash in uint64 arithmetic), so a report can be reproduced.
"""

from __future__ import annotations

import zlib
from collections.abc import Set
from dataclasses import dataclass, field

import numpy as np

KGRAM = 5  # K: tokens per k-gram (noise threshold)
WINDOW = 6  # W: hashes per winnowing window; guarantee = W + K - 1 tokens
MIN_STATEMENT_TOKENS = 4
_BASE = np.uint64(0x100000001B3)  # FNV prime: odd, so the hash mixes every token
# k-gram and statement hashes share one set per unit: the top bit tells them apart.
_KGRAM_MASK = (1 << 63) - 1
_STATEMENT_TAG = 1 << 63


@dataclass
class Fingerprints:
    """The evidence in one unit (one function, or one inline answer) of one submission.

    `spans` maps a hash to the (first, last) positions it covers in the unit's
    own tokens (or answer words), so matched hashes can be highlighted."""

    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def add(self, h: int, first: int, last: int) -> None:
        self.spans.setdefault(int(h), []).append((first, last))

    def hashes(self) -> np.ndarray:
        return np.fromiter(self.spans, dtype=np.uint64, count=len(self.spans))

    def __len__(self) -> int:
        return len(self.spans)


_IDS: dict[str, int] = {}  # normalised token -> crc32; a few hundred distinct tokens in all


def _token_id(text: str) -> int:
    found = _IDS.get(text)
    if found is None:
        found = _IDS[text] = zlib.crc32(text.encode())
    return found


def token_ids(texts: list[str]) -> np.ndarray:
    """texts: (T,) -> (T,) uint64 stable ids."""
    return np.fromiter(map(_token_id, texts), dtype=np.uint64, count=len(texts))


def kgram_hashes(ids: np.ndarray, k: int) -> np.ndarray:
    """ids: (T,) uint64 -> (T - k + 1,) uint64 hashes of every k consecutive ids ((0,) if T < k)."""
    n = len(ids) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # h = sum ids[i + j] * BASE**(k - 1 - j), wrapping mod 2**64
        h = h * _BASE + ids[j : j + n]
    return h ^ (h >> np.uint64(29))  # fold high bits down so minima are not biased to the last token


def winnow(hashes: np.ndarray, w: int) -> np.ndarray:
    """hashes: (H,) -> sorted indices of the selected hashes: the rightmost
    minimum of every window of w, each position once (robust winnowing)."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(hashes) <= w:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))])
    windows = np.lib.stride_tricks.sliding_window_view(hashes, w)
    picked = w - 1 - np.argmin(windows[:, ::-1], axis=1) + np.arange(len(windows))
    keep = np.empty(len(picked), dtype=bool)  # picked never decreases: drop repeats
    keep[0], keep[1:] = True, picked[1:] != picked[:-1]
    return picked[keep]


def kgram_fingerprints(
    texts: list[str], starter: Set[int] = frozenset(), k: int = KGRAM, w: int = WINDOW
) -> Fingerprints:
    """Winnowed k-gram fingerprints of a token run, minus any k-gram in `starter`."""
    hashes = kgram_hashes(token_ids(texts), k) & np.uint64(_KGRAM_MASK)
    out = Fingerprints()
    for i in winnow(hashes, w).tolist():
        h = int(hashes[i])
        if h not in starter:
            out.add(h, i, i + k - 1)
    return out


def all_kgrams(texts: list[str], k: int = KGRAM) -> set[int]:
    """Every k-gram hash (not only the winnowed ones): used for release code,
    so that no k-gram of the release can ever count as a match."""
    return {int(h) for h in kgram_hashes(token_ids(texts), k) & np.uint64(_KGRAM_MASK)}


def statement_hash(key: str) -> int:
    return zlib.crc32(key.encode())


def statement_fingerprints(statements: list[tuple[str, int, int]], starter: Set[str] = frozenset()) -> Fingerprints:
    """statements: (normalised text, first and last position of its tokens).
    The multiset of statement hashes: the n-th copy of a statement becomes
    its own element, so set intersection = multiset intersection. Statements
    in `starter` (the release's) or shorter than MIN_STATEMENT_TOKENS are left out."""
    out = Fingerprints()
    seen: dict[int, int] = {}  # statement hash -> copies of it so far
    for key, first, last in statements:
        if last - first + 1 < MIN_STATEMENT_TOKENS or key in starter:
            continue
        h = statement_hash(key)
        n = seen[h] = seen.get(h, 0) + 1
        out.add(_STATEMENT_TAG | (n << 32) | h, first, last)
    return out


def merged(*parts: Fingerprints) -> Fingerprints:
    out = Fingerprints()
    for part in parts:
        for h, spans in part.spans.items():
            out.spans.setdefault(h, []).extend(spans)
    return out
