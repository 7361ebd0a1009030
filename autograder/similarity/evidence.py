"""Units and inline answers -> fingerprints: what two submissions can share as evidence.

Code: winnowed k-grams over the unit's own tokens (statements the release
gave are left out of the run) plus the multiset of its own statements.
Nothing the release contains ever counts: no k-gram of any release
definition, no statement written anywhere in the release. Inline answers:
word 3-shingles, minus those of the release's answer placeholder.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from .fingerprint import Fingerprints, all_kgrams, kgram_fingerprints, merged, statement_fingerprints
from .units import Release, UnitCode

SHINGLE_WORDS = 3
ANSWER_PREFIX = "answer "  # an inline answer's unit name: "answer 1.2"


def answer_unit(qid: str) -> str:
    """Question id "1.2" -> its unit name "answer 1.2"."""
    return ANSWER_PREFIX + qid


def question_of(unit: str) -> str | None:
    """Unit name "answer 1.2" -> "1.2"; a code unit -> None."""
    return unit[len(ANSWER_PREFIX) :] if unit.startswith(ANSWER_PREFIX) else None


@dataclass
class Starter:
    """Hashes of everything the release gives every student."""

    release: Release = field(default_factory=Release)
    kgrams: set[int] = field(default_factory=set)
    shingles: set[int] = field(default_factory=set)

    @classmethod
    def from_release(cls, release: Release, answers: list[str]) -> Starter:
        st = cls(release)
        for run in release.token_runs:
            st.kgrams |= all_kgrams(run)
        for text in answers:
            st.shingles |= set(answer_fingerprints(text).spans)
        return st


def own_statements(unit: UnitCode) -> tuple[list[str], list[tuple[str, int, int]]]:
    """(own token texts, [(statement key, first, last token position)]) of a unit.
    Braces are part of the run but are not statements."""
    texts: list[str] = []
    stmts: list[tuple[str, int, int]] = []
    for s in unit.statements:
        if not s.own:
            continue
        first = len(texts)
        texts += [t.text for t in s.tokens]
        if s.header is None:
            stmts.append((s.key, first, len(texts) - 1))
    return texts, stmts


def code_fingerprints(unit: UnitCode, starter: Starter) -> Fingerprints:
    texts, stmts = own_statements(unit)
    return merged(
        kgram_fingerprints(texts, starter.kgrams), statement_fingerprints(stmts, starter.release.statement_keys)
    )


def answer_words(text: str) -> list[str]:
    """The answer's whitespace-separated words, as written (the display segments)."""
    return text.split()


def answer_fingerprints(text: str, starter: Starter | None = None) -> Fingerprints:
    """Word shingles: every SHINGLE_WORDS consecutive words, lower-cased, punctuation dropped."""
    words = [(i, w) for i, raw in enumerate(answer_words(text)) if (w := re.sub(r"[^\w]", "", raw.lower()))]
    fp = Fingerprints()
    for j in range(len(words) - SHINGLE_WORDS + 1):
        run = words[j : j + SHINGLE_WORDS]
        h = zlib.crc32(" ".join(w for _, w in run).encode())
        if starter is None or h not in starter.shingles:
            fp.add(h, run[0][0], run[-1][0])
    return fp
