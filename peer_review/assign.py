"""`peer-review assign SUBMISSIONS --out DIR [--reviews 2] [--seed S]`.

Pipeline: find submitters -> codes -> allocation -> anonymised copies ->
one folder per reviewer (sheet.md, sheet.html, notebooks) -> allocation.csv,
distribution.csv. The building blocks (`Context`, `issue_sheets`) are reused
by late.py for late submissions and drop-outs.
"""

from __future__ import annotations

import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from course.config import load_config
from course.rubric import Rubric, load_rubric
from course.safe_text import printable
from peer_review import allocation, anonymise, answers, notebooks, store
from peer_review.autograded import AutoResult, read_grades
from peer_review.sheet import ReviewTask, SheetSpec, render
from peer_review.submissions import find_submissions

DEFAULT_GRADES = Path("build/grades/grades.csv")
NO_ROSTER_WARNING = (
    "peer-review: WARNING: no --roster given. Colab metadata, Drive paths and e-mail addresses are "
    "removed from the copies reviewers get, but a name a student typed INTO a notebook (a title, a "
    "comment, a plot) cannot be found without a roster, so reviewers may see it. Give "
    "--roster roster.csv (columns student_id,name,email; one row per student) to redact names too."
)


@dataclass(frozen=True)
class Copies:
    """A submission's anonymised notebooks, as its review tasks show them."""

    notebooks: list[str]  # file names in DIR/anonymised/<CODE>/, sorted
    answers: dict[str, str]  # answers.student_answers of those notebooks, in that order

    @classmethod
    def of(cls, notebooks: dict) -> Copies:
        """{file name: anonymised notebook} -> Copies."""
        names = sorted(notebooks)
        return cls(names, answers.student_answers([notebooks[n] for n in names]))

    @classmethod
    def read(cls, folder: Path) -> Copies:
        """The copies an earlier run wrote to DIR/anonymised/<CODE>/ (read once)."""
        return cls.of({p.name: notebooks.read(p) for p in sorted(Path(folder).glob("*.ipynb"))})

    def blank(self, rubric: Rubric) -> frozenset[str]:
        """Inline questions left blank (placeholder, empty, or no answer cell in any notebook)."""
        return answers.blank_questions(self.answers, [q.id for q in rubric.inline])


@dataclass
class Context:
    out: Path
    rubric: Rubric
    references: dict[str, str]
    autos: dict[str, AutoResult] | None  # None: no grades.csv at all
    code_of: dict[str, str]  # student id -> submission code
    copies: dict[str, Copies] = field(default_factory=dict)  # code -> its anonymised notebooks
    hand_in_names: dict[str, list[str]] = field(default_factory=dict)  # student -> file names (to redact)
    identities: dict[str, list[str]] = field(default_factory=dict)  # student -> id, name, e-mail


def load_references(solutions: Path | None, rubric: Rubric) -> dict[str, str]:
    """Reference answers from the solution notebooks; an error naming what is missing."""
    config = load_config()
    if solutions is None:
        paths = list(config.solution_notebooks().values())
    else:
        paths = sorted(Path(solutions).glob("*.ipynb"))
    absent = [str(p) for p in paths if not p.exists()]
    if absent or not paths:
        raise FileNotFoundError(
            "reference answers come from the solution notebooks, but "
            f"{', '.join(absent) or str(solutions) + '/*.ipynb'} not found"
        )
    refs = answers.reference_answers(paths)
    missing = answers.missing_references(refs, [q.id for q in rubric.inline])
    if missing:
        raise ValueError(
            f"no reference answer for inline question(s) {', '.join(missing)} in {', '.join(map(str, paths))}"
        )
    return refs


def load_autos(grades: Path | None, rubric: Rubric, out: Path) -> dict[str, AutoResult] | None:
    """grades.csv (given, or the default when present) -> results; copied into DIR."""
    path = grades if grades is not None else (DEFAULT_GRADES if DEFAULT_GRADES.exists() else None)
    if path is None:
        print(
            "peer-review: no autograder results (no --grades and no build/grades/grades.csv); the sheets say so",
            file=sys.stderr,
        )
        return None
    autos = read_grades(path, rubric)
    if Path(path).resolve() != store.grades_path(out).resolve():
        shutil.copyfile(path, store.grades_path(out))
        handins = Path(path).parent / "handins.csv"  # hand-in times and LMS ids: the late policy's input
        if handins.is_file():
            shutil.copyfile(handins, store.handins_path(out))
    return autos


def part_of(nb, path: Path, rubric: Rubric) -> str | None:
    """Which part a notebook is: by the inline questions it holds, else by file name."""
    parts = {i.id: i.part for i in rubric.inline}
    found = {parts[q] for q, _ in answers.answer_cells(nb) if q in parts}
    if len(found) == 1:
        return found.pop()
    names = load_config().notebooks
    return next((p for p, name in names.items() if Path(name).stem in path.stem), None)


def anonymise_submission(ctx: Context, student: str, paths: list[Path], identities: list[str]) -> None:
    """Write DIR/anonymised/<CODE>/<CODE>-<part>.ipynb for every readable notebook
    (and keep what the sheets show about them in ctx.copies)."""
    code = ctx.code_of[student]
    folder = ctx.out / "anonymised" / code
    folder.mkdir(parents=True, exist_ok=True)
    used: defaultdict[str, int] = defaultdict(int)
    written = {}
    ctx.hand_in_names[student] = [n for p in paths for n in (Path(p).name, Path(p).stem)]
    ctx.identities[student] = identities
    for i, path in enumerate(paths, start=1):
        try:
            nb = notebooks.read(path)
        except notebooks.NotebookError as exc:
            print(
                printable(f"peer-review: WARNING {student}: {exc}; reviewers of {code} will not see it", 400),
                file=sys.stderr,
            )
            continue
        stem = f"{code}-{part_of(nb, path, ctx.rubric) or f'notebook{i}'}"
        used[stem] += 1
        name = f"{stem}.ipynb" if used[stem] == 1 else f"{stem}-{used[stem]}.ipynb"
        written[name] = anonymise.anonymise_notebook(nb, identities)
        notebooks.write(written[name], folder / name)
    ctx.copies[code] = Copies.of(written)


def copies(ctx: Context, code: str) -> Copies:
    """A submission's anonymised notebooks: kept by anonymise_submission, else (drop,
    late: a submission anonymised by an earlier run) read once from DIR/anonymised/<CODE>/."""
    if code not in ctx.copies:
        ctx.copies[code] = Copies.read(ctx.out / "anonymised" / code)
    return ctx.copies[code]


def review_task(ctx: Context, code: str, author: str) -> ReviewTask:
    """What a sheet shows about one submission, from its anonymised copies."""
    found = copies(ctx, code)
    auto = ctx.autos.get(author) if ctx.autos is not None else None
    status = (
        anonymise.redact_status(
            str(auto.status), ctx.identities.get(author, [author]), ctx.hand_in_names.get(author, [])
        )
        if auto
        else ""
    )
    return ReviewTask(
        code=code,
        notebooks=list(found.notebooks),
        auto=dict(auto.points) if auto else None,
        auto_status=status,
        answers=dict(found.answers),
        blank=found.blank(ctx.rubric),
    )


def write_sheet(ctx: Context, reviewer: str, sheet_id: str, sheet_file: str, authors: list[str]) -> None:
    """A reviewer's sheet (md + html) and copies of the notebooks it grades."""
    md_path = ctx.out / sheet_file
    md_path.parent.mkdir(parents=True, exist_ok=True)
    tasks = [review_task(ctx, ctx.code_of[a], a) for a in sorted(authors, key=lambda a: ctx.code_of[a])]
    for task in tasks:
        for name in task.notebooks:
            shutil.copyfile(ctx.out / "anonymised" / task.code / name, md_path.parent / name)
    md, html = render(SheetSpec(sheet_id, reviewer, tasks), ctx.rubric, ctx.references)
    md_path.write_text(md, encoding="utf-8")
    md_path.with_suffix(".html").write_text(html, encoding="utf-8")


def issue_sheets(
    ctx: Context, pairs: list[tuple[str, str]], sheet_for, seed: int, k: int, reason: str = store.Row.reason
) -> list[store.Row]:
    """One sheet per reviewer for `pairs` [(reviewer, author)] and its allocation rows:
    reviewers in sorted order, each one's authors in pair order.
    sheet_for(reviewer) -> (sheet id, sheet file relative to DIR)."""
    by_reviewer: defaultdict[str, list[str]] = defaultdict(list)
    for reviewer, author in pairs:
        by_reviewer[reviewer].append(author)
    rows = []
    for reviewer, authors in sorted(by_reviewer.items()):
        sheet_id, sheet_file = sheet_for(reviewer)
        write_sheet(ctx, reviewer, sheet_id, sheet_file, authors)
        rows += [store.Row(seed, k, reviewer, a, ctx.code_of[a], sheet_id, sheet_file, reason=reason) for a in authors]
    return rows


def identities(student: str, roster: dict) -> list[str]:
    row = roster.get(student, {})
    return [student, row.get("name", ""), row.get("email", ""), *row.get("name", "").split()]


def run(
    submissions: Path,
    out: Path,
    reviews: int | None = None,
    seed: int | None = None,
    grades: Path | None = None,
    roster: Path | None = None,
    salt_file: Path | None = None,
    solutions: Path | None = None,
    force: bool = False,
) -> list[store.Row]:
    rubric, out = load_rubric(), Path(out)
    k = rubric.reviews if reviews is None else reviews
    seed = load_config().seed if seed is None else seed
    if (out / "allocation.csv").exists() and not force:
        raise FileExistsError(
            f"{out}/allocation.csv exists: this folder was assigned already "
            "(use `peer-review late`/`drop` to change it, or --force to start over)"
        )
    found = find_submissions(submissions, roster)
    pairs = allocation.allocate(list(found), k, seed)  # before writing anything: fails fast
    references = load_references(solutions, rubric)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("reviewers", "anonymised"):  # --force: start over
        shutil.rmtree(out / stale, ignore_errors=True)
    people = store.read_roster(roster)
    if roster is None:
        print(NO_ROSTER_WARNING, file=sys.stderr)
    else:
        store.roster_path(out).parent.mkdir(exist_ok=True)
        shutil.copyfile(roster, store.roster_path(out))
    salt = anonymise.load_or_create_salt(salt_file or store.salt_path(out))
    ctx = Context(
        out,
        rubric,
        references,
        load_autos(grades, rubric, out),
        anonymise.unique_codes(salt, "submission", list(found)),
    )
    for student, paths in found.items():
        anonymise_submission(ctx, student, paths, identities(student, people))
    sheet_ids = anonymise.unique_codes(salt, "sheet", list(found))
    rows = issue_sheets(ctx, pairs, lambda r: (sheet_ids[r], f"reviewers/{r}/sheet.md"), seed, k)
    store.write_rows(out / "allocation.csv", rows)
    store.write_distribution(out, rows, people)
    (out / "returned").mkdir(exist_ok=True)
    print(
        f"peer-review: {len(found)} submitters, {k} reviews each, seed {seed}: "
        f"{len(rows)} reviews in {out}/reviewers; put the filled sheets in {out}/returned/"
    )
    return rows
