"""Write OUT/pairs.csv, OUT/groups.csv, OUT/histogram.png and OUT/report.html.

The CSV lists every scored pair (ranked); the HTML shows the flagged and top
pairs with their code side by side, the matching regions aligned, for a
person to judge: a score is a reason to look, not a verdict. Student ids,
file names and code are hostile text: the HTML is rendered by jinja2 with
autoescaping (nothing is marked safe), CSV text cells go through
course.safe_text.csv_cell, terminal lines through printable().
"""

from __future__ import annotations

import base64
import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape

from course.safe_text import csv_cell, printable

from . import align
from .cluster import GROUP_JACCARD
from .evidence import answer_words, own_statements, question_of
from .fingerprint import Fingerprints
from .index import Index, Pairs
from .submissions import Details

FLAG_SCORE = 0.85  # code score at or above which a pair is flagged for a person to read
GROUP_MIN_SIZE = 3  # near-identical hand-ins reported as a group (two are a pair)
MAX_TABLE_ROWS = 500  # ranked pairs listed in the HTML table (all of them are in pairs.csv)
MAX_DETAILED = 300  # pairs shown side by side at most (every flagged pair, up to this many)
ID_LIMIT = 120  # characters of a student id shown


@dataclass
class Context:
    """Everything the report says besides the pairs."""

    submissions_dir: str
    found: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why it was never read)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (student, what could not be compared)
    notes: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Ranked:
    pairs: Pairs
    order: np.ndarray  # (R,) row indices, best first
    code: np.ndarray  # (P,)
    answers: np.ndarray  # (P,)
    group_of: dict[int, str]  # student index -> "G1"... for members of groups of 2 or more

    def flagged(self, k: int) -> bool:
        return bool(self.code[k] >= FLAG_SCORE)


def rank(index: Index, pairs: Pairs) -> Ranked:
    code, answers = pairs.code, pairs.answers
    keep = np.flatnonzero((code > 0) | (answers > 0) | pairs.within)
    order = keep[np.lexsort((-answers[keep], -code[keep]))]
    group_of = {int(s): f"G{g}" for g, members in enumerate(reported_groups(index), start=1) for s in members}
    return Ranked(pairs, order, code, answers, group_of)


def reported_groups(index: Index) -> list[np.ndarray]:
    return [g for g in index.groups() if len(g) >= GROUP_MIN_SIZE]


def _name(index: Index, i: int) -> str:
    return printable(index.students[i], ID_LIMIT)


# -------------------------------------------------------------------- CSV

_THOUSANDTHS = np.array([f"{k / 1000:.3f}" for k in range(1001)], dtype=object)


def _fixed3(x: np.ndarray) -> np.ndarray:
    """Scores in [0, 1] -> "0.123" strings, by table look-up (a class of 10,000 has 10^5-10^6 rows)."""
    return _THOUSANDTHS[np.rint(np.clip(x, 0, 1) * 1000).astype(np.int64)]


def write_csv(path: Path, index: Index, ranked: Ranked) -> None:
    """One row per scored pair, built column by column; a unit's column is empty when
    either student lacks it. Ids pass through csv_cell: none can start a formula."""
    p, o, units = ranked.pairs, ranked.order, index.corpus.units
    ids = np.array([csv_cell(s) for s in index.students], dtype=object)
    group = np.array([ranked.group_of.get(i, "") for i in range(len(index.students))], dtype=object)
    a, b = p.a[o], p.b[o]
    kind = np.where(p.within[o] & (group[a] != ""), "group member and representative", "pair")
    columns = [
        np.arange(1, len(o) + 1),
        ids[a],
        ids[b],
        _fixed3(ranked.code[o]),
        _fixed3(ranked.answers[o]),
        np.where(ranked.code[o] >= FLAG_SCORE, "yes", ""),
        group[a],
        group[b],
        kind,
    ]
    for u in range(len(units)):
        den = p.denom[o, u]
        col = _fixed3(np.divide(p.shared[o, u], den, out=np.zeros(len(o)), where=den > 0))
        col[den == 0] = ""
        columns.append(col)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "rank",
                "student_a",
                "student_b",
                "code_score",
                "answers_score",
                "flagged",
                "group_a",
                "group_b",
                "compared_as",
                *units,
            ]
        )
        out.writerows(zip(*columns))


def write_groups_csv(path: Path, index: Index, ranked: Ranked) -> None:
    """One row per member of each group of near-identical hand-ins."""
    p = ranked.pairs
    score = {(int(p.a[k]), int(p.b[k])): ranked.code[k] for k in np.flatnonzero(p.within)}
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["group", "size", "student", "role", "code_score_vs_representative"])
        for g, members in enumerate(reported_groups(index), start=1):
            rep = int(members[0])
            for s in members.tolist():
                pair = (min(s, rep), max(s, rep))
                out.writerow(
                    [
                        f"G{g}",
                        len(members),
                        csv_cell(index.students[s]),
                        "representative" if s == rep else "member",
                        "" if s == rep else f"{score.get(pair, 0.0):.3f}",
                    ]
                )


# -------------------------------------------------------------- histogram


def write_histogram(path: Path, n_students: int, ranked: Ranked) -> None:
    """Histogram of code and answer scores over *all* n(n-1)/2 pairs (pairs never
    scored share no evidence: counted at 0), log-scaled counts so a few outliers show."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    total = n_students * (n_students - 1) // 2
    bins = np.linspace(0, 1, 51)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, scores, title in ((axes[0], ranked.code, "code"), (axes[1], ranked.answers, "inline answers")):
        counts, _ = np.histogram(np.clip(scores, 0, 1), bins=bins)
        counts[0] += max(total - len(scores), 0)
        ax.stairs(counts, bins, fill=True, color="#4a78b5")
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xlim(0, 1)
        ax.set_xlabel("pair score")
        ax.set_title(title, fontsize=10)
    axes[0].axvline(FLAG_SCORE, color="#c0392b", linestyle="--", linewidth=1)
    axes[0].text(FLAG_SCORE, 0.95, " flag line", color="#c0392b", fontsize=8, transform=axes[0].get_xaxis_transform())
    axes[0].set_ylabel(f"pairs (of {total:,})")
    fig.suptitle(f"Similarity of {n_students} submissions" if total else "No pairs to compare", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------ pair details


def _side(d: Details, unit: str) -> align.Side:
    code = d.units[unit]
    own_tokens = code.own_tokens()
    own_lines = {t.line for t in own_tokens}
    given = {line for s in code.statements if not s.own and s.header is None for line in s.lines} - own_lines
    return align.Side(code.text.splitlines(), own_tokens, given, d.prints.get(unit, Fingerprints()))


def _common(index: Index, unit: str, *prints) -> set[int]:
    hashes = np.array(sorted(set().union(*(fp.spans for fp in prints))), dtype=np.uint64)
    if len(hashes) == 0:
        return set()
    fids = index.corpus.fids_of(unit, hashes)
    common = np.zeros(len(hashes), dtype=bool)
    common[fids >= 0] = index.common(fids[fids >= 0])
    return {int(h) for h in hashes[common]}


def _answer_side(d: Details, unit: str, shared: set[int]) -> list[dict]:
    question = question_of(unit)
    words = answer_words(d.answers.get(question, "") if question is not None else "")
    fp = d.prints.get(unit)
    marked: set[int] = set()
    for h in shared:
        for first, last in fp.spans.get(h, []) if fp else []:
            marked.update(range(first, last + 1))
    return [{"text": w, "marked": i in marked} for i, w in enumerate(words)]


def _functions(side: align.Side, d: Details, unit: str, matched_lines: set[int]) -> list[str]:
    """The unit and the helpers whose lines take part in the match."""
    segments = d.units[unit].segments
    labels = []
    for k, seg in enumerate(segments):
        stop = segments[k + 1].first_line if k + 1 < len(segments) else len(side.lines)
        if k == 0 or any(seg.first_line <= line < stop for line in matched_lines):
            labels.append(seg.label)
    return labels


def _coverage(d: Details, other: Details) -> tuple[int, int]:
    """(own tokens of d inside fingerprints shared with `other`, own tokens of d), over code units."""
    covered = total = 0
    for unit, code in d.units.items():
        texts, _ = own_statements(code)
        total += len(texts)
        if unit in other.units:
            pa, _ = align.covered_positions(_side(d, unit), _side(other, unit))
            covered += len(pa)
    return covered, total


def pair_view(index: Index, ranked: Ranked, k: int, rank_no: int, details) -> dict:
    p, units = ranked.pairs, index.corpus.units
    a, b = int(p.a[k]), int(p.b[k])
    da, db = details(a), details(b)
    shown = []
    for u in np.argsort(-np.divide(p.shared[k], p.denom[k], out=np.zeros(len(units)), where=p.denom[k] > 0)):
        unit = units[u]
        if p.shared[k, u] <= 0:
            continue
        view = {"unit": unit, "score": float(p.shared[k, u] / p.denom[k, u]) if p.denom[k, u] else 0.0}
        if question_of(unit) is None and unit in da.units and unit in db.units:
            sa, sb = _side(da, unit), _side(db, unit)
            common = _common(index, unit, sa.prints, sb.prints)
            found = align.links(sa, sb, common)
            view.update(
                code=True,
                rows=align.rows(sa, sb, common),
                functions_a=_functions(sa, da, unit, {x for x, _ in found}),
                functions_b=_functions(sb, db, unit, {y for _, y in found}),
            )
        else:
            shared = set(da.prints.get(unit, Fingerprints()).spans) & set(db.prints.get(unit, Fingerprints()).spans)
            view.update(code=False, left=_answer_side(da, unit, shared), right=_answer_side(db, unit, shared))
        shown.append(view)
    (ca, ta), (cb, tb) = _coverage(da, db), _coverage(db, da)
    return {
        "rank": rank_no,
        "a": _name(index, a),
        "b": _name(index, b),
        "group_a": ranked.group_of.get(a, ""),
        "group_b": ranked.group_of.get(b, ""),
        "within": bool(p.within[k]) and a in ranked.group_of,
        "code": float(ranked.code[k]),
        "answers": float(ranked.answers[k]),
        "flagged": ranked.flagged(k),
        "own_a": (ca, ta),
        "own_b": (cb, tb),
        "units": shown,
    }


def _table_row(index: Index, ranked: Ranked, k: int, rank_no: int) -> dict:
    p = ranked.pairs
    a, b = int(p.a[k]), int(p.b[k])
    scores = np.divide(p.shared[k], p.denom[k], out=np.zeros(p.shared.shape[1]), where=p.denom[k] > 0)
    best = [(index.corpus.units[u], float(scores[u])) for u in np.argsort(-scores)[:3] if scores[u] > 0]
    return {
        "rank": rank_no,
        "a": _name(index, a),
        "b": _name(index, b),
        "group_a": ranked.group_of.get(a, ""),
        "group_b": ranked.group_of.get(b, ""),
        "code": float(ranked.code[k]),
        "answers": float(ranked.answers[k]),
        "flagged": ranked.flagged(k),
        "best": best,
    }


def _groups_view(index: Index, ranked: Ranked) -> list[dict]:
    p = ranked.pairs
    score = {(int(p.a[k]), int(p.b[k])): float(ranked.code[k]) for k in np.flatnonzero(p.within)}
    out = []
    for g, members in enumerate(reported_groups(index), start=1):
        rep = int(members[0])
        scored = [(score.get((min(s, rep), max(s, rep)), 1.0), _name(index, s)) for s in members[1:].tolist()]
        scored.sort(key=lambda pair: pair[0])  # by score only: equal scores keep the group's order
        out.append(
            {
                "label": f"G{g}",
                "size": len(members),
                "representative": _name(index, rep),
                "members": [{"student": name, "score": value} for value, name in scored],
            }
        )
    return out


def _detailed(ranked: Ranked, top: int) -> list[tuple[int, int]]:
    """(rank, row) of the pairs shown side by side: every flagged pair and the `top` best,
    but of each reported group only its least similar member against the representative."""
    p, order = ranked.pairs, ranked.order.tolist()
    rank_of = {k: r for r, k in enumerate(order, 1)}

    def group(k: int) -> str | None:
        return ranked.group_of.get(int(p.a[k])) if p.within[k] else None

    chosen = [k for k in order if group(k) is None and (rank_of[k] <= top or ranked.flagged(k))]
    weakest: dict[str, int] = {}
    for k in order:
        if (g := group(k)) is not None and (g not in weakest or ranked.code[k] < ranked.code[weakest[g]]):
            weakest[g] = k
    return [(rank_of[k], k) for k in sorted(chosen + list(weakest.values()), key=rank_of.__getitem__)[:MAX_DETAILED]]


def write_html(path: Path, png: Path, ctx: Context, index: Index, ranked: Ranked, top: int, details) -> None:
    order = ranked.order.tolist()
    n_flagged = int(sum(ranked.flagged(k) for k in order))
    table = [
        _table_row(index, ranked, k, r) for r, k in enumerate(order[: max(top, min(n_flagged, MAX_TABLE_ROWS))], 1)
    ]
    detailed = _detailed(ranked, top)
    if len(detailed) == MAX_DETAILED and n_flagged > MAX_DETAILED:
        ctx.notes.append(
            f"{n_flagged} pairs are flagged; the first {MAX_DETAILED} are shown side by side "
            "(all of them are in pairs.csv)."
        )
    shown = [pair_view(index, ranked, k, r, details) for r, k in detailed]
    env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html", "j2"]))
    page = env.get_template("report.html.j2").render(
        ctx=ctx,
        table=table,
        shown=shown,
        shown_ranks={r for r, _ in detailed},
        groups=_groups_view(index, ranked),
        n_pairs=len(order),
        n_flagged=n_flagged,
        flag=FLAG_SCORE,
        students=index.students,
        hand_ins=index.hand_ins,
        group_min=GROUP_MIN_SIZE,
        group_jaccard=GROUP_JACCARD,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        histogram=base64.b64encode(png.read_bytes()).decode(),
    )
    path.write_text(page, encoding="utf-8")


def write_all(out: Path, ctx: Context, index: Index, pairs: Pairs, top: int, details) -> Ranked:
    """details: student index -> submissions.Details (loaded on demand, for the pairs shown)."""
    out.mkdir(parents=True, exist_ok=True)
    ranked = rank(index, pairs)
    write_csv(out / "pairs.csv", index, ranked)
    write_groups_csv(out / "groups.csv", index, ranked)
    write_histogram(out / "histogram.png", len(index.students), ranked)
    write_html(out / "report.html", out / "histogram.png", ctx, index, ranked, top, details)
    return ranked
