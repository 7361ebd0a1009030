"""Groups of identical or near-identical hand-ins, whatever their size.

A solution passed around a group of students is what the report exists to
show, so such a group must never look like a "common idiom". Hand-ins are
grouped when the Jaccard similarity of their code fingerprint sets (all
units pooled) is at least GROUP_JACCARD. Finding them without comparing all
n(n-1)/2 pairs: MinHash signatures (Broder 1997) cut into bands
(locality-sensitive hashing, as in Leskovec, Rajaraman & Ullman, "Mining of
Massive Datasets", ch. 3): two hand-ins land in a common bucket of some band
with probability 1 - (1 - J^ROWS)^BANDS (99.8% at J = 0.8, 13% at J = 0.2).
Within a bucket every hand-in is checked against one member (a different one
per band), first by the signatures, then exactly; so the work is linear in
the class size, even for a group of a thousand identical hand-ins.

The group's representative (the member with the most fingerprints) stands
for the group when fingerprints are counted (index.py), so a fingerprint
held by one group of 40 is held by one hand-in, not by 40 students.
"""
from __future__ import annotations

import numpy as np

GROUP_JACCARD = 0.8   # near-identical: at least this share of the pooled fingerprints in common
BANDS, ROWS = 12, 4   # 48 MinHashes per hand-in
SIGNATURE_SLACK = 0.15  # signature estimates (standard error ~0.06) this far below are checked exactly
_BLOCK = 512          # students per block when computing signatures (bounds memory)
_RNG_SEED = 20260101  # fixed: the same class gives the same groups on every run


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
        counts = np.diff(indptr[start:stop + 1])
        nonempty = np.flatnonzero(counts)
        offsets = (indptr[start:stop][nonempty] - lo).astype(np.int64)
        out[start + nonempty] = np.minimum.reduceat(hashed, offsets, axis=0)
    return out


def _jaccard(fids: np.ndarray, indptr: np.ndarray, i: int, j: int) -> float:
    a, b = fids[indptr[i]:indptr[i + 1]], fids[indptr[j]:indptr[j + 1]]
    if len(a) == 0 or len(b) == 0:
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


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


def _band_buckets(sig: np.ndarray, band: int, active: np.ndarray) -> list[np.ndarray]:
    """Students (of `active`) whose signatures agree on all ROWS of `band`, buckets of 2 or more."""
    rows = sig[active, band * ROWS:(band + 1) * ROWS]
    _, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return [active[order[bounds[k]:bounds[k + 1]]] for k in np.flatnonzero(counts >= 2)]


def near_identical_groups(indptr: np.ndarray, fids: np.ndarray) -> np.ndarray:
    """-> (n,) representative index of each student's group (itself when alone)."""
    n = len(indptr) - 1
    sizes = np.diff(indptr)
    active = np.flatnonzero(sizes > 0)
    uf = _UnionFind(n)
    if len(active) >= 2:
        sig = signatures(indptr, fids)
        for band in range(BANDS):
            salt = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15 + 2 * band)) >> np.uint64(40)
            for bucket in _band_buckets(sig, band, active):
                leader = bucket[np.argmin(salt[bucket])]
                estimate = (sig[bucket] == sig[leader]).mean(axis=1)
                for member in bucket[estimate >= GROUP_JACCARD - SIGNATURE_SLACK]:
                    if member != leader and uf.find(member) != uf.find(leader) \
                            and _jaccard(fids, indptr, leader, member) >= GROUP_JACCARD:
                        uf.union(member, leader)
    return _representatives(uf, sizes)


def _representatives(uf: _UnionFind, sizes: np.ndarray) -> np.ndarray:
    """Each group's representative: its member with the most fingerprints (lowest index on ties)."""
    roots = np.array([uf.find(i) for i in range(len(sizes))], dtype=np.int64)
    order = np.lexsort((np.arange(len(sizes)), -sizes, roots))  # by group, then most fingerprints first
    first = np.ones(len(order), dtype=bool)
    first[1:] = roots[order][1:] != roots[order][:-1]
    best = dict(zip(roots[order][first].tolist(), order[first].tolist()))
    return np.array([best[r] for r in roots.tolist()], dtype=np.int64)
