"""Fingerprint every submission, index fingerprint -> submissions, score candidate pairs.

No pair of full texts is ever compared: an inverted index (hash -> the
submissions holding it) yields, for each hash, the pairs that share it, and
only those pairs are scored. Hashes that cannot be evidence are dropped
before pairs are formed:
- starter code: any k-gram or statement that occurs anywhere in the release
  notebooks' definitions (and any shingle of the release's answer text);
- common idioms: a hash held by more than max(COMMON_MIN, COMMON_SHARE * n)
  of the n submissions (`probs = exp / np.sum(exp, axis=1, keepdims=True)`
  written independently by a third of the class is not evidence). In a
  class of up to 50 that means held by more than COMMON_MIN = 5 students:
  in a small class, a hash shared by a few is worth a look.

Score of a pair (a, b) over a group of units (code, or inline answers):
    sum over units both handed in of |shared usable hashes|
    / sum over the same units of min(|hashes of a|, |hashes of b|)
so 1.0 means the smaller of the two is entirely contained in the other
(after starter code), and a big function weighs more than a one-liner.
Common hashes stay in the denominator: they are discounted as evidence, not
removed from what a student wrote.
"""
from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain

import numpy as np

from .fingerprint import (Fingerprints, all_kgrams, kgram_fingerprints, statement_fingerprints,
                          statement_hash)
from .submissions import Submission
from .tokens import statements

COMMON_SHARE = 0.10   # a hash held by more than this share of the class is an idiom...
COMMON_MIN = 5        # ...but only when held by more than this many students
SHINGLE_WORDS = 3     # inline answers: word 3-grams
CODE, ANSWERS = "code", "answers"
ANSWER_PREFIX = "answer "  # an inline answer's unit name: "answer 1.2"


def answer_unit(qid: str) -> str:
    """Question id "1.2" -> its unit name "answer 1.2"."""
    return ANSWER_PREFIX + qid


def question_of(unit: str) -> str | None:
    """Unit name "answer 1.2" -> "1.2"; a code unit -> None."""
    return unit[len(ANSWER_PREFIX):] if unit.startswith(ANSWER_PREFIX) else None


@dataclass
class Starter:
    """Hashes of what the release gives everyone."""
    kgrams: set[int] = field(default_factory=set)
    statements: set[int] = field(default_factory=set)
    shingles: set[int] = field(default_factory=set)

    @classmethod
    def from_release(cls, sources: list[str], answers: list[str]) -> "Starter":
        st = cls()
        for src in sources:
            stmts = statements(src)
            st.kgrams |= all_kgrams([t for s in stmts for t in s])
            st.statements |= {statement_hash(s) for s in stmts}
        for text in answers:
            st.shingles |= set(answer_fingerprints(text).elements)
        return st


def code_fingerprints(code: str, starter: Starter) -> Fingerprints:
    """A unit's region text -> winnowed k-grams + statement multiset, minus starter code."""
    stmts = statements(code)
    fp = kgram_fingerprints([t for s in stmts for t in s])
    for h in starter.kgrams & fp.elements.keys():
        del fp.elements[h]
    fp.elements.update(statement_fingerprints(stmts, starter.statements).elements)
    return fp


def answer_words(text: str) -> list[str]:
    """The answer's whitespace-separated words, as written (the display segments)."""
    return text.split()


def answer_fingerprints(text: str, starter: Starter | None = None) -> Fingerprints:
    """Word shingles: every SHINGLE_WORDS consecutive words, lower-cased, punctuation dropped."""
    words = [(i, w) for i, raw in enumerate(answer_words(text))
             if (w := re.sub(r"[^\w]", "", raw.lower()))]
    fp = Fingerprints()
    for j in range(len(words) - SHINGLE_WORDS + 1):
        run = words[j:j + SHINGLE_WORDS]
        h = zlib.crc32(" ".join(w for _, w in run).encode())
        if starter is None or h not in starter.shingles:
            fp.add(h, {i for i, _ in run})
    return fp


@dataclass
class Index:
    students: list[str]
    group: dict[str, str]                              # unit -> CODE / ANSWERS
    prints: dict[str, list[Fingerprints | None]]       # unit -> per student (None: not handed in)
    common: dict[str, set[int]] = field(default_factory=dict)  # unit -> discounted idiom hashes (build_index)

    @property
    def limit(self) -> int:
        """A hash held by more students than this is a common idiom."""
        return max(COMMON_MIN, int(COMMON_SHARE * len(self.students)))


def submission_fingerprints(sub: Submission, starter: Starter) -> dict[str, Fingerprints]:
    """unit ("softmax_loss_naive", "answer 1.2") -> that unit's fingerprints, for one student."""
    out = {u: code_fingerprints(text, starter) for u, text in sub.code.items()}
    out.update({answer_unit(q): answer_fingerprints(text, starter) for q, text in sub.answers.items()})
    return out


def build_index(students: list[str], prints: list[dict[str, Fingerprints]]) -> Index:
    """students: (n,) ids; prints: (n,) per-student output of submission_fingerprints."""
    units = sorted({u for p in prints for u in p})
    group = {u: CODE if question_of(u) is None else ANSWERS for u in units}
    index = Index(students, group, {u: [p.get(u) for p in prints] for u in units})
    for u, fps in index.prints.items():
        held = Counter(chain.from_iterable(fp.elements for fp in fps if fp))  # hash -> students holding it
        index.common[u] = {h for h, count in held.items() if count > index.limit}
    return index


@lru_cache(maxsize=512)
def _triu(m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(m, 1)


def _shared_counts(index: Index, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """-> (pair codes a * n + b with a < b, number of usable hashes each pair shares)."""
    n, postings = len(index.students), {}
    for i, fp in enumerate(index.prints[unit]):
        if fp:
            for h in fp.elements:
                postings.setdefault(h, []).append(i)
    codes = []
    for ids in postings.values():
        if 2 <= len(ids) <= index.limit:
            holders = np.asarray(ids, dtype=np.int64)  # ascending, so a < b below
            ia, ib = _triu(len(ids))
            codes.append(holders[ia] * n + holders[ib])
    if not codes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(codes), return_counts=True)


@dataclass
class Pairs:
    """Every candidate pair (sharing at least one usable hash), with per-unit counts.
    a, b: (P,) student indices, a < b; shared / denom: unit -> (P,) int."""
    a: np.ndarray
    b: np.ndarray
    shared: dict[str, np.ndarray]
    denom: dict[str, np.ndarray]

    def score(self, units: list[str]) -> np.ndarray:
        """(P,) pooled score over `units` (0 where the pair has none of them in common)."""
        num = sum((self.shared[u] for u in units), np.zeros(len(self.a)))
        den = sum((self.denom[u] for u in units), np.zeros(len(self.a)))
        return np.divide(num, den, out=np.zeros(len(self.a)), where=den > 0)

    def unit_score(self, unit: str) -> np.ndarray:
        return self.score([unit])


def candidate_pairs(index: Index) -> Pairs:
    n = len(index.students)
    per_unit = {u: _shared_counts(index, u) for u in index.prints}
    every = [codes for codes, _ in per_unit.values()]
    codes = np.unique(np.concatenate(every)) if every else np.zeros(0, dtype=np.int64)
    a, b = codes // max(n, 1), codes % max(n, 1)
    shared, denom = {}, {}
    for u, (ucodes, counts) in per_unit.items():
        shared[u] = np.zeros(len(codes), dtype=np.int64)
        shared[u][np.searchsorted(codes, ucodes)] = counts
        sizes = np.array([len(fp) if fp else 0 for fp in index.prints[u]], dtype=np.int64)
        denom[u] = np.minimum(sizes[a], sizes[b])
    return Pairs(a, b, shared, denom)


def matched_segments(index: Index, unit: str, i: int, j: int) -> tuple[set[int], set[int]]:
    """Segments (code lines / answer words) of students i and j covered by usable shared hashes."""
    fi, fj = index.prints[unit][i], index.prints[unit][j]
    if not fi or not fj:
        return set(), set()
    hits = (fi.elements.keys() & fj.elements.keys()) - index.common.get(unit, set())
    left = set().union(*(fi.elements[h] for h in hits)) if hits else set()
    right = set().union(*(fj.elements[h] for h in hits)) if hits else set()
    return left, right
