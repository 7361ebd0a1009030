"""Who reviews whom.

Initial allocation (`allocate`): the submitters are sorted, shuffled with
random.Random(seed), and placed on a circle; every reviewer reviews the
students at k distinct offsets d_1..d_k around the circle (offsets also drawn
from the seeded generator). On a circle each student is then reviewed exactly
k times, never by themself (0 < d < n) and never twice by the same peer.
Reciprocal pairs (a reviews b and b reviews a) come from two offsets with
d + d' = n, or from d = n/2. The offsets are drawn one per pair {d, n - d}
first, then n/2 (n even), and only then the second offset of a pair. When
n > 2k this gives no reciprocal pair at all. When n <= 2k some are
unavoidable: n students reviewing k others each make nk pairs, but only
n(n-1)/2 unordered pairs exist, so at least nk - n(n-1)/2 are reciprocal; the
draw above reaches exactly that minimum (k at n = 2k, i.e. 2k ordered pairs).
Fewer than k + 1 submitters is an error: someone would have to review
themself or the same work twice.

Late submissions and drop-outs (`reassign`), as TAs handle them by hand:
each review that needs a (new) reviewer goes to the least-loaded active
reviewer (fewest reviews already assigned) who is not the author, does not
already review that submission, and, when possible, is not reviewed by the
author (no reciprocal pair); ties are broken by the seeded generator. When no
peer qualifies the review goes to the TA queue (reviewer "TA").
"""

from __future__ import annotations

import random
from collections import Counter

TA = "TA"


class AllocationError(ValueError):
    pass


def _offsets(n: int, k: int, rng: random.Random) -> list[int]:
    """k distinct offsets in 1..n-1 with as few reciprocal pairs as possible."""
    pairs = list(range(1, (n - 1) // 2 + 1))  # {d, n - d} for d < n/2
    if n > 2 * k:
        return [d if rng.random() < 0.5 else n - d for d in rng.sample(pairs, k)]
    rng.shuffle(pairs)
    offsets = [d if rng.random() < 0.5 else n - d for d in pairs]  # one of each pair
    if n % 2 == 0:
        offsets.append(n // 2)
    offsets += [n - d for d in offsets if d != n - d]  # completing a pair: only when needed
    return offsets[:k]


def min_reciprocal(n: int, k: int) -> int:
    """The fewest unordered reciprocal pairs any allocation of n students, k reviews each, can have."""
    return max(0, n * k - n * (n - 1) // 2)


def reciprocal_count(pairs: list[tuple[str, str]]) -> int:
    """Unordered pairs of students who review each other."""
    pair_set = set(pairs)
    return sum(1 for r, a in pair_set if (a, r) in pair_set) // 2


def allocate(students: list[str], k: int, seed: int) -> list[tuple[str, str]]:
    """students, reviews per submission, seed -> [(reviewer, author)], reviewer-sorted."""
    students = sorted(set(students))
    n = len(students)
    if k < 1:
        raise AllocationError(f"--reviews must be at least 1 (got {k})")
    if n < k + 1:
        raise AllocationError(
            f"{n} student(s) submitted, but each must review {k} others: "
            f"peer review needs at least {k + 1} submitters (lower --reviews or let a TA grade)"
        )
    rng = random.Random(seed)
    circle = students[:]
    rng.shuffle(circle)
    offsets = _offsets(n, k, rng)
    pairs = [(circle[i], circle[(i + d) % n]) for i in range(n) for d in offsets]
    return sorted(pairs)


def check_invariants(pairs: list[tuple[str, str]], students: list[str], k: int) -> list[str]:
    """Everything allocate promises, as a list of violations (empty when fine)."""
    problems = []
    given, received = Counter(r for r, _ in pairs), Counter(a for _, a in pairs)
    for s in students:
        if given[s] != k or received[s] != k:
            problems.append(f"{s} reviews {given[s]} and is reviewed {received[s]} times, not {k}")
    problems += [f"{r} reviews themself" for r, a in pairs if r == a]
    if len(set(pairs)) != len(pairs):
        problems.append("a reviewer reviews the same submission twice")
    mutual, least = reciprocal_count(pairs), min_reciprocal(len(students), k)
    if mutual > least:
        problems.append(f"{mutual} pairs review each other where {least} is possible")
    return problems


def reassign(
    pairs: list[tuple[str, str]], authors_needing: list[str], active: list[str], seed: int | str
) -> list[tuple[str, str]]:
    """New (reviewer, author) pairs: one per entry of authors_needing.

    pairs: the current live allocation (used for loads and exclusions).
    active: who may still review. Reviewer TA when no peer qualifies.
    """
    rng = random.Random(seed)
    live = list(pairs)
    new = []
    for author in authors_needing:
        load = Counter(r for r, _ in live)
        taken = {r for r, a in live if a == author}
        reviews_author = {a for r, a in live if r == author}
        eligible = [s for s in sorted(active) if s != author and s not in taken]
        # prefer no reciprocal pair; fall back to allowing one rather than the TA queue
        preferred = [s for s in eligible if s not in reviews_author] or eligible
        if not preferred:
            choice = TA
        else:
            least = min(load[s] for s in preferred)
            choice = rng.choice([s for s in preferred if load[s] == least])
        live.append((choice, author))
        new.append((choice, author))
    return new
