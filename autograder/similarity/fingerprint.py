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
from dataclasses import dataclass, field

import numpy as np

from .tokens import Token

KGRAM = 5         # K: tokens per k-gram (noise threshold)
WINDOW = 6        # W: hashes per winnowing window; guarantee = W + K - 1 tokens
MIN_STATEMENT_TOKENS = 4
_BASE = np.uint64(0x100000001B3)  # FNV prime: odd, so the hash mixes every token
# k-gram and statement hashes share one set per unit: the top bit tells them apart.
_KGRAM_MASK = (1 << 63) - 1
_STATEMENT_TAG = 1 << 63


@dataclass
class Fingerprints:
    """The evidence in one unit (one function, or one inline answer) of one submission.

    `elements` maps a hash to the 0-based segments (code lines, or answer
    words) it covers, so matched hashes can be highlighted."""
    elements: dict[int, set[int]] = field(default_factory=dict)

    def add(self, h: int, segments) -> None:
        self.elements.setdefault(int(h), set()).update(segments)

    def __len__(self) -> int:
        return len(self.elements)


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
        h = h * _BASE + ids[j:j + n]
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


def kgram_fingerprints(toks: list[Token], k: int = KGRAM, w: int = WINDOW) -> Fingerprints:
    """Winnowed k-gram fingerprints of a token run; segments are source lines."""
    hashes = kgram_hashes(token_ids([t.text for t in toks]), k)
    out = Fingerprints()
    for i in winnow(hashes, w).tolist():  # tokens are in source order: lines first..last
        out.add(int(hashes[i]) & _KGRAM_MASK, range(toks[i].line, toks[i + k - 1].line + 1))
    return out


def all_kgrams(toks: list[Token], k: int = KGRAM) -> set[int]:
    """Every k-gram hash (not only the winnowed ones): used for starter code,
    so that no k-gram of the release can ever count as a match."""
    return {int(h) & _KGRAM_MASK for h in kgram_hashes(token_ids([t.text for t in toks]), k)}


def statement_hash(stmt: list[Token]) -> int:
    return zlib.crc32("\x1f".join(t.text for t in stmt).encode())


def statement_fingerprints(stmts: list[list[Token]], starter: set[int] = frozenset()) -> Fingerprints:
    """The multiset of statement hashes: the n-th copy of a statement becomes
    its own element, so set intersection = multiset intersection. Statements
    found in `starter` (plain statement hashes) or too short are left out."""
    out, seen = Fingerprints(), {}
    for stmt in stmts:
        h = statement_hash(stmt)
        if len(stmt) < MIN_STATEMENT_TOKENS or h in starter:
            continue
        n = seen[h] = seen.get(h, 0) + 1
        out.add(_STATEMENT_TAG | (n << 32) | h, {t.line for t in stmt})
    return out
