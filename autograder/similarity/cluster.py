"""Pairs of hand-ins that share most of their code, and groups of near-identical ones.

Two questions need the hand-ins that have most of their code fingerprints in
common (Jaccard similarity J of the pooled code fingerprint sets):
- groups: a solution passed around a group of students is what the report
  exists to show, so hand-ins with J >= GROUP_JACCARD form one group whatever
  its size, and a group counts as one hand-in when fingerprints are counted
  (index.py): a fingerprint held by one group of 40 is not a "common idiom";
- candidates: a copy of a student whose code is all common phrasing shares
  no rare fingerprint with its original, yet shares almost all of them; such
  pairs (estimated J >= CANDIDATE_JACCARD) are scored even without rare evidence.

Finding them without comparing all n(n-1)/2 pairs: MinHash signatures
(Broder 1997) cut into bands (locality-sensitive hashing, Leskovec,
Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3). Two hand-ins fall
into a common bucket of some band with probability 1 - (1 - J^ROWS)^BANDS:
99.9% at J = 0.8, 98% at J = 0.6, 35% at J = 0.3. The pairs of a bucket are
kept when their signatures estimate J >= CANDIDATE_JACCARD; a bucket larger
than BUCKET_CAP (a solution shared by hundreds) pairs each member with a few
of its members only, so the work stays near-linear in the class size. Every
group edge is then checked exactly (J >= GROUP_JACCARD on the fingerprints).
"""

from __future__ import annotations

import numpy as np

GROUP_JACCARD = 0.8  # near-identical: at least this share of the pooled fingerprints in common
CANDIDATE_JACCARD = 0.5  # estimated share above which a pair is scored whatever its fingerprints' rarity
BANDS, ROWS = 16, 3  # 48 MinHashes per hand-in
BUCKET_CAP = 200  # larger buckets: each member paired with LEADERS of them only
LEADERS = 4
_BLOCK = 512  # students per block when computing signatures (bounds memory)
_CHUNK = 200_000  # pairs per block when comparing signatures or fingerprints
_RNG_SEED = 20260101  # fixed: the same class gives the same report on every run


def _hash_parameters(count: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_RNG_SEED)
    a = rng.integers(1, 2**63 - 1, size=count, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63 - 1, size=count, dtype=np.uint64)
    return a, b


def signatures(indptr: np.ndarray, fids: np.ndarray) -> np.ndarray:
    """indptr (n+1,), fids: each student's fingerprint ids -> (n, BANDS * ROWS) uint32 MinHashes
    (all 0xFFFFFFFF for a student without fingerprints)."""
    n, m = len(indptr) - 1, BANDS * ROWS
    a, b = _hash_parameters(m)
    out = np.full((n, m), np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, n, _BLOCK):
        stop = min(n, start + _BLOCK)
        lo, hi = indptr[start], indptr[stop]
        if hi == lo:
            continue
        x = fids[lo:hi].astype(np.uint64)[:, None]
        hashed = ((x * a[None, :] + b[None, :]) >> np.uint64(32)).astype(np.uint32)  # (E, m)
        counts = np.diff(indptr[start : stop + 1])
        nonempty = np.flatnonzero(counts)
        offsets = (indptr[start:stop][nonempty] - lo).astype(np.int64)
        out[start + nonempty] = np.minimum.reduceat(hashed, offsets, axis=0)
    return out


def _bucket_pairs(members: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of a bucket, or for a huge one each member with LEADERS random members."""
    if len(members) <= BUCKET_CAP:
        ia, ib = np.triu_indices(len(members), 1)
        return members[ia], members[ib]
    leaders = rng.choice(members, LEADERS, replace=False)
    return np.repeat(leaders, len(members)), np.tile(members, LEADERS)


def _band_pairs(sig: np.ndarray, active: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pair codes a * n + b (a < b) of students sharing a bucket in at least one band."""
    n, codes = len(sig), []
    for band in range(BANDS):
        rows = np.ascontiguousarray(sig[active, band * ROWS : (band + 1) * ROWS])
        keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * ROWS))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
        sizes = np.diff(np.concatenate([starts, [len(order)]]))
        for start, size in zip(starts[sizes >= 2], sizes[sizes >= 2]):
            a, b = _bucket_pairs(active[order[start : start + size]], rng)
            keep = a != b
            lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
            codes.append(lo * n + hi)
    return np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)


def estimated_jaccard(sig: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(P,) share of equal MinHashes: an unbiased estimate of J (standard error <= 0.07)."""
    out = np.zeros(len(a))
    for lo in range(0, len(a), _CHUNK):
        out[lo : lo + _CHUNK] = (sig[a[lo : lo + _CHUNK]] == sig[b[lo : lo + _CHUNK]]).mean(axis=1)
    return out


def exact_jaccard(indptr: np.ndarray, fids: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(P,) |A & B| / |A | B| of each pair's fingerprint sets."""
    from .index import gather  # one implementation of "the fids of these students, tagged"

    vocab = int(fids.max()) + 1 if len(fids) else 1
    shared = np.zeros(len(a))
    for lo in range(0, len(a), _CHUNK):
        ka, kb = gather(indptr, fids, a[lo : lo + _CHUNK], vocab), gather(indptr, fids, b[lo : lo + _CHUNK], vocab)
        both = np.intersect1d(ka, kb, assume_unique=True)
        shared[lo : lo + _CHUNK] = np.bincount(both // vocab, minlength=min(_CHUNK, len(a) - lo))
    sizes = np.diff(indptr)
    union = sizes[a] + sizes[b] - shared
    return np.divide(shared, union, out=np.zeros(len(a)), where=union > 0)


def similar_pairs(indptr: np.ndarray, fids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> (a, b, estimated J) of the pairs with estimated J >= CANDIDATE_JACCARD, a < b."""
    n = len(indptr) - 1
    active = np.flatnonzero(np.diff(indptr) > 0)
    if len(active) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    sig = signatures(indptr, fids)
    codes = _band_pairs(sig, active, np.random.default_rng(_RNG_SEED))
    a, b = codes // n, codes % n
    estimate = estimated_jaccard(sig, a, b)
    keep = estimate >= CANDIDATE_JACCARD
    return a[keep], b[keep], estimate[keep]


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def near_identical_groups(
    indptr: np.ndarray, fids: np.ndarray, a: np.ndarray, b: np.ndarray, estimate: np.ndarray
) -> np.ndarray:
    """Similar pairs (a, b, estimated J) -> (n,) representative of each student's group
    (itself when alone): pairs with an exact J >= GROUP_JACCARD are joined."""
    sizes = np.diff(indptr)
    uf = _UnionFind(len(sizes))
    close = estimate >= GROUP_JACCARD - 0.2  # the estimate errs by 0.07 at most in practice: check exactly
    exact = exact_jaccard(indptr, fids, a[close], b[close])
    for x, y in zip(a[close][exact >= GROUP_JACCARD].tolist(), b[close][exact >= GROUP_JACCARD].tolist()):
        uf.union(x, y)
    return _representatives(uf, sizes)


def _representatives(uf: _UnionFind, sizes: np.ndarray) -> np.ndarray:
    """Each group's representative: its member with the most fingerprints (lowest index on ties)."""
    roots = np.array([uf.find(i) for i in range(len(sizes))], dtype=np.int64)
    order = np.lexsort((np.arange(len(sizes)), -sizes, roots))  # by group, then most fingerprints first
    first = np.ones(len(order), dtype=bool)
    first[1:] = roots[order][1:] != roots[order][:-1]
    best = dict(zip(roots[order][first].tolist(), order[first].tolist()))
    return np.array([best[r] for r in roots.tolist()], dtype=np.int64)
