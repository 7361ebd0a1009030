"""Write OUT/pairs.csv, OUT/histogram.png and OUT/report.html.

The CSV lists every pair that shares any usable fingerprint (ranked); the
HTML shows the top pairs with their matching regions side by side, for a
person to judge: a score is a reason to look, not a verdict.
"""
from __future__ import annotations

import base64
import csv
import html
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .index import ANSWERS, CODE, Index, Pairs, answer_words, matched_segments, question_of
from .submissions import Submission


@dataclass
class Ranked:
    """Pairs ordered by code score, then answers score; only pairs with some score."""
    order: np.ndarray                  # (R,) indices into Pairs
    code: np.ndarray                   # (P,) code score of every candidate pair
    answers: np.ndarray                # (P,) answers score
    code_units: list[str]
    answer_units: list[str]


@dataclass
class Context:
    """Everything the report says besides the pairs."""
    submissions_dir: str
    students: list[str]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    release: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)


def rank(index: Index, pairs: Pairs) -> Ranked:
    code_units = [u for u, g in index.group.items() if g == CODE]
    answer_units = [u for u, g in index.group.items() if g == ANSWERS]
    code, answers = pairs.score(code_units), pairs.score(answer_units)
    keep = np.flatnonzero((code > 0) | (answers > 0))
    order = keep[np.lexsort((-answers[keep], -code[keep]))]
    return Ranked(order, code, answers, code_units, answer_units)


_THOUSANDTHS = np.array([f"{k / 1000:.3f}" for k in range(1001)], dtype=object)


def _fixed3(x: np.ndarray) -> np.ndarray:
    """Scores in [0, 1] -> "0.123" strings, by table look-up (100x faster than np.char.mod)."""
    return _THOUSANDTHS[np.rint(np.clip(x, 0, 1) * 1000).astype(np.int64)]


def write_csv(path: Path, index: Index, pairs: Pairs, ranked: Ranked) -> None:
    """One row per ranked pair; a unit's column is empty when either student lacks it.
    Built column-wise with numpy: a large class has hundreds of thousands of pairs."""
    o, names = ranked.order, np.array(index.students, dtype=object)
    units = ranked.code_units + ranked.answer_units
    columns = [np.arange(1, len(o) + 1), names[pairs.a[o]], names[pairs.b[o]],
               _fixed3(ranked.code[o]), _fixed3(ranked.answers[o])]
    for u in units:
        col = _fixed3(pairs.unit_score(u)[o])
        col[pairs.denom[u][o] == 0] = ""
        columns.append(col)
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["rank", "student_a", "student_b", "code_score", "answers_score", *units])
        out.writerows(zip(*columns))


def write_histogram(path: Path, n_students: int, ranked: Ranked) -> None:
    """Histogram of code and answer scores over *all* n(n-1)/2 pairs (pairs that
    share nothing score 0), log-scaled counts so a handful of outliers show."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    total = n_students * (n_students - 1) // 2
    bins = np.linspace(0, 1, 51)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, scores, title in ((axes[0], ranked.code, "code (START/END CODE HERE regions)"),
                              (axes[1], ranked.answers, "inline answers")):
        counts, _ = np.histogram(np.clip(scores, 0, 1), bins=bins)
        counts[0] += total - len(scores)  # pairs never formed share nothing: score 0
        ax.stairs(counts, bins, fill=True, color="#4a78b5")
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xlim(0, 1)
        ax.set_xlabel("pair score")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel(f"pairs (of {total:,})")
    fig.suptitle(f"Similarity of {n_students} submissions" if total else "No pairs to compare", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _render_segments(text: str, marked: set[int], unit_group: str) -> Markup:
    """Code: one segment per line; answers: one per word. Marked ones are highlighted."""
    pieces = text.split("\n") if unit_group == CODE else answer_words(text)  # as tokens/shingles count
    sep = "\n" if unit_group == CODE else " "
    out = [f"<mark>{html.escape(p)}</mark>" if i in marked else html.escape(p) for i, p in enumerate(pieces)]
    return Markup(sep.join(out))


def _pair_details(index, pairs, ranked, subs, p) -> list[dict]:
    """Units the pair shares evidence in, best first, with both sides rendered."""
    i, j, rows = int(pairs.a[p]), int(pairs.b[p]), []
    for unit in ranked.code_units + ranked.answer_units:
        if not pairs.shared[unit][p]:
            continue
        left, right = matched_segments(index, unit, i, j)
        group = index.group[unit]
        text_i, text_j = (_unit_text(subs[k], unit, group) for k in (i, j))
        shared, denom = int(pairs.shared[unit][p]), int(pairs.denom[unit][p])
        rows.append({"unit": unit, "score": shared / denom if denom else 0.0, "shared": shared,
                     "code": group == CODE,
                     "left": _render_segments(text_i, left, group),
                     "right": _render_segments(text_j, right, group)})
    return sorted(rows, key=lambda r: -r["score"])


def _unit_text(sub: Submission, unit: str, group: str) -> str:
    return sub.code[unit] if group == CODE else sub.answers[question_of(unit)]


def write_html(path: Path, png: Path, ctx: Context, index: Index, pairs: Pairs, ranked: Ranked,
               subs: list[Submission], top: int) -> None:
    shown = ranked.order[:top]
    rows = [{"rank": r, "a": index.students[pairs.a[p]], "b": index.students[pairs.b[p]],
             "code": ranked.code[p], "answers": ranked.answers[p],
             "details": _pair_details(index, pairs, ranked, subs, p)}
            for r, p in enumerate(shown, start=1)]
    env = Environment(loader=FileSystemLoader(Path(__file__).parent),
                      autoescape=select_autoescape(["html", "j2"]))
    page = env.get_template("report.html.j2").render(
        ctx=ctx, rows=rows, n_candidates=len(ranked.order), top=top,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        histogram=base64.b64encode(png.read_bytes()).decode(), histogram_name=png.name)
    path.write_text(page, encoding="utf-8")


def write_all(out: Path, ctx: Context, index: Index, pairs: Pairs, subs: list[Submission],
              top: int = 50) -> Ranked:
    out.mkdir(parents=True, exist_ok=True)
    ranked = rank(index, pairs)
    write_csv(out / "pairs.csv", index, pairs, ranked)
    write_histogram(out / "histogram.png", len(index.students), ranked)
    write_html(out / "report.html", out / "histogram.png", ctx, index, pairs, ranked, subs, top)
    return ranked
