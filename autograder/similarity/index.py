"""Every student's fingerprints -> scored pairs, without comparing all n(n-1)/2 texts.

1. Fingerprints are pooled per student (tagged by unit, so equal code in two
   functions is not a match) and numbered densely (a "fid" each).
2. Groups of near-identical hand-ins (cluster.py) are found first; a group
   counts as one *hand-in* from here on.
3. Weight of a fingerprint: w = ln((m + 1) / df), df = the number of hand-ins
   (of m) holding it. What everyone writes weighs almost nothing, what few
   write weighs most (inverse document frequency). The release's code never
   has a fingerprint at all (evidence.py).
4. Candidate pairs come from an inverted index over the fingerprints held by
   at most `limit` hand-ins, limit = max(COMMON_MIN, COMMON_SHARE * m): a
   fingerprint more hand-ins hold is a *common idiom* (what independent
   solutions share) and is not evidence of copying by itself. So that a huge
   class cannot run out of memory, the limit is lowered until the pairs the
   index forms stay under MAX_PAIR_INCIDENCES (the report says when); pairs
   whose rare evidence scores below PRESCORE_MIN go no further. Pairs that
   share most of their code (cluster.similar_pairs) are candidates too,
   however common their fingerprints: a copy of commonplace code is a copy.
5. Each candidate pair (and each group member against its representative)
   is then scored exactly, over every fingerprint, idioms included:

       score(a, b) = sum of w over fingerprints a and b share
                     / sum over units both wrote of min(W_a, W_b),  W = sum of w in a unit

   1.0: the smaller hand-in's own code is entirely in the other. Identical
   hand-ins score 1.0 whatever they contain; a pair that shares only what
   many write scores low, because what they do not share weighs more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cluster import near_identical_groups, similar_pairs
from .evidence import question_of

COMMON_SHARE = 0.10  # a fingerprint held by more than this share of the hand-ins is an idiom...
COMMON_MIN = 5  # ...but only when held by more than this many hand-ins
MAX_PAIR_INCIDENCES = 20_000_000  # (pair, shared fingerprint) incidences the inverted index may form
PRESCORE_MIN = 0.05  # candidates whose rare evidence alone scores below this are not rescored
CODE, ANSWERS = "code", "answers"
_CHUNK = 20_000  # pairs per block of exact scoring (bounds memory)
_UNIT_MIX = 0x9E3779B97F4A7C15  # odd (golden ratio): unit tags far apart


def _unit_tags(count: int) -> np.ndarray:
    """(count,) uint64: XORed into a unit's hashes, so equal code in two units is not one fingerprint."""
    return np.array([((u + 1) * _UNIT_MIX) % 2**64 for u in range(count)], dtype=np.uint64)


@dataclass
class Corpus:
    """Every student's fingerprints as dense arrays (CSR by student)."""

    students: list[str]
    units: list[str]  # unit id -> name
    indptr: np.ndarray  # (n+1,) student s owns fids[indptr[s]:indptr[s+1]], sorted
    fids: np.ndarray  # (E,) int64 fingerprint ids
    fid_unit: np.ndarray  # (V,) unit id of each fid
    vocab: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # (V,) sorted tagged hashes

    @property
    def is_code(self) -> np.ndarray:
        return np.array([question_of(u) is None for u in self.units], dtype=bool)

    def owners(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.students)), np.diff(self.indptr))

    @classmethod
    def build(cls, students: list[str], prints: list[dict[str, np.ndarray]]) -> Corpus:
        """students: (n,) ids; prints: (n,) {unit: uint64 hashes of that unit}."""
        units = sorted({u for p in prints for u in p}, key=lambda u: (question_of(u) is not None, u))
        uid = {u: i for i, u in enumerate(units)}
        arrays, owners, unit_ids = [], [], []
        for s, p in enumerate(prints):
            for u, hashes in p.items():
                arrays.append(hashes)
                owners.append(s)
                unit_ids.append(uid[u])
        if not arrays:
            return cls(
                students,
                units,
                np.zeros(len(students) + 1, dtype=np.int64),
                np.zeros(0, dtype=np.int64),
                np.zeros(0, dtype=np.int64),
            )
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        owner, unit = np.repeat(owners, lengths).astype(np.int64), np.repeat(unit_ids, lengths).astype(np.int64)
        keys = np.concatenate(arrays).astype(np.uint64) ^ _unit_tags(len(units))[unit]
        vocab, fid = np.unique(keys, return_inverse=True)
        fid_unit = np.zeros(len(vocab), dtype=np.int64)
        fid_unit[fid] = unit
        held = np.unique(owner * len(vocab) + fid)  # sorted by student, then fid; a repeat counts once
        indptr = np.concatenate([[0], np.cumsum(np.bincount(held // len(vocab), minlength=len(students)))])
        return cls(students, units, indptr, held % len(vocab), fid_unit, vocab)

    def fids_of(self, unit: str, hashes: np.ndarray) -> np.ndarray:
        """A unit's raw hashes -> their fids (-1 for a hash nobody in the corpus holds)."""
        if unit not in self.units or len(self.vocab) == 0:
            return np.full(len(hashes), -1)
        keys = hashes.astype(np.uint64) ^ _unit_tags(len(self.units))[self.units.index(unit)]
        at = np.minimum(np.searchsorted(self.vocab, keys), len(self.vocab) - 1)
        return np.where(self.vocab[at] == keys, at, -1)

    def code_only(self) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, fids) restricted to code units: what near-identical means."""
        keep = self.is_code[self.fid_unit[self.fids]]
        owners = self.owners()[keep]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=len(self.students)))])
        return indptr, self.fids[keep]


@dataclass
class Index:
    corpus: Corpus
    representative: np.ndarray  # (n,) the representative of each student's group (itself if alone)
    weight: np.ndarray  # (V,) weight of each fid
    df: np.ndarray  # (V,) hand-ins (groups counted once) holding each fid
    totals: np.ndarray  # (n, U) sum of weights per student and unit
    limit: int  # a fid held by more hand-ins than this is a common idiom
    generated_limit: int  # the limit the inverted index used (lower in a huge class)
    similar: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # cluster.similar_pairs
    notes: list[str] = field(default_factory=list)

    @property
    def students(self) -> list[str]:
        return self.corpus.students

    @property
    def hand_ins(self) -> int:
        return int(np.count_nonzero(self.representative == np.arange(len(self.representative))))

    def groups(self) -> list[np.ndarray]:
        """Groups of two or more near-identical hand-ins, largest first: each an array of
        student indices, its representative first."""
        rep = self.representative
        out = []
        for r in np.unique(rep):
            members = np.flatnonzero(rep == r)
            if len(members) >= 2:
                out.append(np.concatenate([[r], members[members != r]]))
        return sorted(out, key=lambda g: (-len(g), g[0]))

    def common(self, fids: np.ndarray) -> np.ndarray:
        return self.df[fids] > self.limit


def build_index(corpus: Corpus) -> Index:
    n = len(corpus.students)
    indptr, fids = corpus.code_only()
    sa, sb, estimate = similar_pairs(indptr, fids)
    rep = near_identical_groups(indptr, fids, sa, sb, estimate)
    owners, vocab = corpus.owners(), max(len(corpus.fid_unit), 1)
    held = np.unique(rep[owners] * vocab + corpus.fids)  # (hand-in, fid), each once
    df = np.bincount(held % vocab, minlength=len(corpus.fid_unit))
    m = int(np.count_nonzero(rep == np.arange(n)))
    weight = np.log((m + 1) / np.maximum(df, 1))
    totals = np.bincount(
        owners * len(corpus.units) + corpus.fid_unit[corpus.fids],
        weights=weight[corpus.fids],
        minlength=n * len(corpus.units),
    ).reshape(n, len(corpus.units))
    limit = max(COMMON_MIN, int(COMMON_SHARE * m))
    index = Index(corpus, rep, weight, df, totals, limit, limit, (sa, sb))
    index.generated_limit = _affordable_limit(df, limit)
    if index.generated_limit < limit:
        index.notes.append(
            f"Large class: candidate pairs were formed from fingerprints held by at most "
            f"{index.generated_limit} hand-ins (instead of {limit}) to bound memory."
        )
    return index


def _affordable_limit(df: np.ndarray, limit: int) -> int:
    """The largest limit <= `limit` whose pair incidences sum(df * (df - 1) / 2) fit the budget."""
    sizes = np.bincount(df[(df >= 2) & (df <= limit)], minlength=limit + 1).astype(np.float64)
    cost = np.cumsum(sizes * np.arange(limit + 1) * (np.arange(limit + 1) - 1) / 2)
    fits = np.flatnonzero(cost <= MAX_PAIR_INCIDENCES)
    return int(fits[-1]) if len(fits) else 1


# ---------------------------------------------------------------- candidates


def _postings_pairs(holders: np.ndarray, fids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(holder, fid) entries sorted by fid -> (pair codes a * n + b with a < b, the fid each pair shares)."""
    bounds = np.flatnonzero(np.diff(fids)) + 1
    starts = np.concatenate([[0], bounds])
    sizes = np.diff(np.concatenate([starts, [len(fids)]]))
    codes, which = [], []
    for size in np.unique(sizes[sizes >= 2]):
        first = starts[sizes == size]  # (G,) groups of this size
        block = holders[first[:, None] + np.arange(size)]  # (G, size), ascending within a row
        ia, ib = np.triu_indices(size, 1)
        codes.append((block[:, ia] * n + block[:, ib]).ravel())
        which.append(np.repeat(fids[first], len(ia)))
    if not codes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(codes), np.concatenate(which)


def candidate_pairs(index: Index) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of representatives sharing evidence (rare fingerprints) worth an exact score:
    (a, b) student indices, a < b. Memory stays linear in the pairs formed: per pair only
    its shared code and answer weight, the denominators computed block by block."""
    c, n = index.corpus, len(index.students)
    owners = c.owners()
    keep = (
        (index.representative[owners] == owners) & (index.df[c.fids] >= 2) & (index.df[c.fids] <= index.generated_limit)
    )
    holders, fids = owners[keep], c.fids[keep]
    order = np.lexsort((holders, fids))
    codes, which = _postings_pairs(holders[order], fids[order], n)
    if len(codes) == 0:
        return codes, codes
    pair_codes, inverse = np.unique(codes, return_inverse=True)
    del codes
    is_code = c.is_code[c.fid_unit[which]]
    weight = index.weight[which]
    shared_code = np.bincount(inverse, weights=np.where(is_code, weight, 0.0), minlength=len(pair_codes))
    shared_answers = np.bincount(inverse, weights=np.where(is_code, 0.0, weight), minlength=len(pair_codes))
    del inverse, which, is_code, weight
    a, b = pair_codes // n, pair_codes % n
    worth = np.zeros(len(pair_codes), dtype=bool)
    for lo in range(0, len(a), _CHUNK * 10):
        block = slice(lo, lo + _CHUNK * 10)
        smaller = np.minimum(index.totals[a[block]], index.totals[b[block]])
        for shared, mask in ((shared_code, c.is_code), (shared_answers, ~c.is_code)):
            den = smaller[:, mask].sum(axis=1)
            worth[block] |= shared[block] >= PRESCORE_MIN * np.where(den > 0, den, np.inf)
    return a[worth], b[worth]


def _pooled(shared: np.ndarray, denom: np.ndarray, mask: np.ndarray) -> np.ndarray:
    num, den = shared[:, mask].sum(axis=1), denom[:, mask].sum(axis=1)
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


# ------------------------------------------------------------- exact scores


def gather(indptr: np.ndarray, fids: np.ndarray, who: np.ndarray, tag_base: int) -> np.ndarray:
    """Fids of each student in `who`, as keys tag * tag_base + fid (tag = position in `who`):
    two such arrays intersect into (pair, fid) matches in one sort."""
    starts, stops = indptr[who], indptr[who + 1]
    lengths = stops - starts
    tags = np.repeat(np.arange(len(who)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return tags * tag_base + fids[np.repeat(starts, lengths) + offsets]


def shared_weights(index: Index, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(P, U) total weight of the fingerprints each pair (a[k], b[k]) shares, per unit."""
    c = index.corpus
    vocab, n_units = max(len(c.fid_unit), 1), len(c.units)
    out = np.zeros((len(a), n_units))
    for lo in range(0, len(a), _CHUNK):
        ka, kb = (
            gather(c.indptr, c.fids, a[lo : lo + _CHUNK], vocab),
            gather(c.indptr, c.fids, b[lo : lo + _CHUNK], vocab),
        )
        both = np.intersect1d(ka, kb, assume_unique=True)
        pair, fid = both // vocab, both % vocab
        out[lo : lo + _CHUNK] = np.bincount(
            pair * n_units + c.fid_unit[fid], weights=index.weight[fid], minlength=min(_CHUNK, len(a) - lo) * n_units
        ).reshape(-1, n_units)
    return out


@dataclass
class Pairs:
    """Scored pairs: a, b (P,) student indices; shared, denom (P, U) weights per unit;
    within (P,) True for a group member paired with its group's representative."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray
    denom: np.ndarray
    within: np.ndarray
    code_mask: np.ndarray

    def score(self, mask: np.ndarray) -> np.ndarray:
        return _pooled(self.shared, self.denom, mask)

    @property
    def code(self) -> np.ndarray:
        return self.score(self.code_mask)

    @property
    def answers(self) -> np.ndarray:
        return self.score(~self.code_mask)

    def order(self) -> np.ndarray:
        """Ranked: code score, then answers score, both descending."""
        return np.lexsort((-self.answers, -self.code))


def _similar_candidates(index: Index) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of hand-ins sharing most of their code (cluster.similar_pairs), as pairs of
    representatives, whatever their fingerprints' rarity."""
    rep = index.representative
    a, b = rep[index.similar[0]], rep[index.similar[1]]
    keep = a != b
    return np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])


def score_pairs(index: Index) -> Pairs:
    """Candidate pairs between hand-ins, plus every group member against its representative."""
    n = max(len(index.students), 1)
    codes = np.unique(np.concatenate([a * n + b for a, b in (candidate_pairs(index), _similar_candidates(index))]))
    a, b = codes // n, codes % n
    members = np.flatnonzero(index.representative != np.arange(len(index.students)))
    reps = index.representative[members]
    within = np.concatenate([np.zeros(len(a), dtype=bool), np.ones(len(members), dtype=bool)])
    a, b = np.concatenate([a, np.minimum(members, reps)]), np.concatenate([b, np.maximum(members, reps)])
    shared = shared_weights(index, a, b)
    denom = np.minimum(index.totals[a], index.totals[b])
    return Pairs(a, b, shared, denom, within, index.corpus.is_code)
