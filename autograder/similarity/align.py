"""Two students' versions of a unit, side by side, with the matching regions aligned.

Every fingerprint both hold links the lines its tokens came from in one
student's code to the lines in the other's. The longest chain of links that
runs forward in both texts (a longest increasing subsequence) becomes the
rows' anchors: each anchor sits on one row, left and right, and the lines
between two anchors fill the rows between them, as in a diff. Matching lines
that a copier moved (not on the chain) are highlighted where they are and
say which line they match on the other side.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from .fingerprint import Fingerprints

MATCH, IDIOM, GIVEN, PLAIN = "match", "idiom", "given", ""


@dataclass
class Side:
    """One student's unit as the report shows it."""

    lines: list[str]  # display text, line by line
    tokens: list  # own tokens (emit.Token), in fingerprint positions
    given: set[int]  # lines of statements the release gave everyone
    prints: Fingerprints


@dataclass
class Cell:
    number: int  # 1-based line number
    text: str
    state: str  # MATCH, IDIOM, GIVEN or PLAIN
    elsewhere: int | None = None  # moved match: the other side's line (1-based)


def links(a: Side, b: Side, common: set[int]) -> dict[tuple[int, int], bool]:
    """(line in a, line in b) -> True when the link comes from evidence (not only common idioms)."""
    out: dict[tuple[int, int], bool] = {}
    for h in a.prints.spans.keys() & b.prints.spans.keys():
        evidence = h not in common
        for (fa, la), (fb, lb) in zip(a.prints.spans[h], b.prints.spans[h]):
            for i in range(min(la - fa, lb - fb) + 1):
                key = (a.tokens[fa + i].line, b.tokens[fb + i].line)
                out[key] = out.get(key, False) or evidence
    return out


def covered_positions(a: Side, b: Side) -> tuple[set[int], set[int]]:
    """Own-token positions of a and of b inside fingerprints they share."""
    pa: set[int] = set()
    pb: set[int] = set()
    for h in a.prints.spans.keys() & b.prints.spans.keys():
        for first, last in a.prints.spans[h]:
            pa.update(range(first, last + 1))
        for first, last in b.prints.spans[h]:
            pb.update(range(first, last + 1))
    return pa, pb


def _chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain increasing in both coordinates (patience sorting, O(n log n))."""
    pairs = sorted(pairs, key=lambda p: (p[0], -p[1]))
    tails: list[int] = []  # tails[i]: smallest y ending a chain of i + 1 pairs
    tail_at: list[int] = []  # the pair at that tail
    back: list[int | None] = [None] * len(pairs)  # the pair before each one in its chain
    for k, (_, y) in enumerate(pairs):
        i = bisect_left(tails, y)
        back[k] = tail_at[i - 1] if i else None
        if i == len(tails):
            tails.append(y)
            tail_at.append(k)
        else:
            tails[i], tail_at[i] = y, k
    out: list[tuple[int, int]] = []
    at: int | None = tail_at[-1] if tail_at else None  # walk the longest chain back from its end
    while at is not None:
        out.append(pairs[at])
        at = back[at]
    return out[::-1]


def _states(side: Side, matched: dict[int, bool]) -> list[str]:
    return [
        MATCH if matched.get(i) else IDIOM if i in matched else GIVEN if i in side.given else PLAIN
        for i in range(len(side.lines))
    ]


def rows(a: Side, b: Side, common: set[int]) -> list[tuple[Cell | None, Cell | None]]:
    """Side-by-side rows: anchors on one row, the lines between them filling the rows between."""
    found = links(a, b, common)
    in_a: dict[int, bool] = {}  # line -> True when some link from it is evidence
    in_b: dict[int, bool] = {}
    for (la, lb), evidence in found.items():
        in_a[la] = in_a.get(la, False) or evidence
        in_b[lb] = in_b.get(lb, False) or evidence
    anchors = _chain(list(found))
    partner_a: dict[int, int] = {}  # line -> its first matching line on the other side
    partner_b: dict[int, int] = {}
    for la, lb in sorted(found):
        partner_a.setdefault(la, lb)
        partner_b.setdefault(lb, la)
    on_chain_a, on_chain_b = {p[0] for p in anchors}, {p[1] for p in anchors}
    sa, sb = _states(a, in_a), _states(b, in_b)

    def cell(side, states, i, on_chain, partner):
        moved = partner.get(i) if i in partner and i not in on_chain else None
        return Cell(i + 1, side.lines[i], states[i], None if moved is None else moved + 1)

    out, i, j = [], 0, 0
    for la, lb in anchors + [(len(a.lines), len(b.lines))]:
        left = [cell(a, sa, k, on_chain_a, partner_a) for k in range(i, la)]
        right = [cell(b, sb, k, on_chain_b, partner_b) for k in range(j, lb)]
        for k in range(max(len(left), len(right))):
            out.append((left[k] if k < len(left) else None, right[k] if k < len(right) else None))
        if la < len(a.lines):
            out.append((cell(a, sa, la, on_chain_a, partner_a), cell(b, sb, lb, on_chain_b, partner_b)))
        i, j = la + 1, lb + 1
    return out
