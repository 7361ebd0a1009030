"""Synthetic classes for the peer-review tests: nbformat notebooks with the
inline-question markup, solution notebooks, grades.csv, and a 'student' who
fills a sheet in like a text editor would."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course.markers import ANSWER_STUB, BEGIN_SOLUTION, END_SOLUTION
from course.rubric import load_rubric

PARTS = {"part1": ["1.1", "1.2", "1.3"], "part2": ["2.1", "2.2", "2.3"]}
FILES = {"part1": "part1_linear_softmax.ipynb", "part2": "part2_two_layer_net.ipynb"}


def answer_cell(qid: str, body: str, colab_user: str | None = None):
    cell = new_markdown_cell(f"**Your answer (inline question {qid}):**\n{body}")
    if colab_user:  # what Colab writes into cell metadata
        cell.metadata["executionInfo"] = {"user": {"displayName": colab_user, "userId": "123"}}
        cell.metadata["colab"] = {"base_uri": "https://localhost:8080/"}
    return cell


def solution_notebook(part: str):
    cells = [new_markdown_cell(f"# {part}")]
    for q in PARTS[part]:
        cells.append(answer_cell(q, f"{BEGIN_SOLUTION}\nReference answer for {q}.\n{END_SOLUTION}"))
    return new_notebook(cells=cells)


def student_notebook(part: str, student: str, name: str = "", answered=True, reorder=False):
    """A submission as Colab downloads it: metadata with the user, a Drive path in an output."""
    out = new_output(
        "stream",
        name="stdout",
        text=f"Mounted at /content/drive/MyDrive/{name or student}/hw\n"
        f"mail {student}@uni.example.org; cwd /home/{student}/x\n",
    )
    cells = [new_code_cell(f"print(open('/Users/{student}/data.txt').read())", outputs=[out])]
    for q in PARTS[part]:
        body = f"My answer to {q} by student {student}." if answered else ANSWER_STUB
        cells.append(answer_cell(q, body, colab_user=name or student))
    if reorder:
        cells.reverse()
    nb = new_notebook(cells=cells)
    nb.metadata["colab"] = {"provenance": [{"file_id": "abc", "user": name}], "name": FILES[part]}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_solutions(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for part, fname in FILES.items():
        nbformat.write(solution_notebook(part), str(folder / fname))
    return folder


def write_class(root: Path, students: list[str], nbgrader=False) -> Path:
    """SUBMISSIONS/<id>/*.ipynb (or submitted/<id>/<assignment>/*.ipynb)."""
    for s in students:
        folder = root / s / ("nn_from_scratch" if nbgrader else "")
        folder.mkdir(parents=True, exist_ok=True)
        for part, fname in FILES.items():
            nbformat.write(student_notebook(part, s, name=f"Name {s}"), str(folder / f"Copy of {fname}"))
    return root


def write_grades(path: Path, students: list[str], auto_of=lambda s: None) -> dict[str, float]:
    """A grades.csv like the autograder's; auto_of(s) -> points per item or None for full marks."""
    rubric = load_rubric()
    path.parent.mkdir(parents=True, exist_ok=True)
    totals = {}
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student_id", *(i.id for i in rubric.auto), "total", "max_total", "status"])
        for s in students:
            pts = auto_of(s) or {i.id: i.points for i in rubric.auto}
            totals[s] = sum(pts.values())
            w.writerow([s, *(pts[i.id] for i in rubric.auto), totals[s], rubric.auto_max, "ok"])
    return totals


def fill_sheet(text: str, deductions: dict[str, dict[str, str]], feedback: dict[str, str]) -> str:
    """Type numbers into the deduction column and paragraphs into the boxes."""
    lines = text.splitlines()
    filled = []
    for line in lines:
        m = re.match(r"^\| (\w+) \| (\S+) \|(.*)\|\s*\|$", line)
        if m and m[1] in deductions and m[2] in deductions[m[1]]:
            line = line.rstrip().rstrip("|").rstrip() + f" {deductions[m[1]][m[2]]} |"
        filled.append(line)
        m = re.match(r"^```feedback (\w+)$", line)
        if m and m[1] in feedback:
            filled.append(feedback[m[1]])
    return "\n".join(filled) + "\n"


def codes_on(sheet_text: str) -> list[str]:
    return re.findall(r"^```feedback (\w+)$", sheet_text, flags=re.M)


PARAGRAPH = (
    "Clear derivations and tidy plots; the loss curve needs axis labels and the "
    "heatmap would read better with a log scale on both axes."
)


def sheet_total_by_hand(d: dict[str, float], blank=frozenset()) -> float:
    """One sheet under the course's rule, written out independently of peer_review.rule:
    its points (a blank answer earns nothing) plus its own forgiven mistake(s)."""
    rubric = load_rubric()
    points = sum(0.0 if i.id in blank else i.points - d[i.id] for i in rubric.peer_graded)
    mistakes = sorted((d[q.id] for q in rubric.inline if q.id not in blank), reverse=True)
    return points + sum(min(m, rubric.forgiveness_points) for m in mistakes[: rubric.forgiven_mistakes])


def raw_by_hand(auto_total: float, sheets: list[dict[str, float]], blank=frozenset()) -> float:
    """The median of the sheets' totals plus the autograder, capped at max_raw."""
    totals = sorted(sheet_total_by_hand(d, blank) for d in sheets)
    n = len(totals)
    median = totals[n // 2] if n % 2 else (totals[n // 2 - 1] + totals[n // 2]) / 2
    return min(load_rubric().max_raw, auto_total + median)
