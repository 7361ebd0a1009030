"""`autograde merge SHARD_OUT... --out OUT [--expect N --allow-missing [--submissions SUBMISSIONS]]`.

Combines the OUT folders of `autograde --shard I/N` runs into one gradebook.
By default it refuses anything but a complete, consistent set (every shard
1..N once, same N, same columns, no student twice). With --allow-missing (the
CI workflow's merge, which always runs) a shard that failed - its folder
absent, or holding no finished grades.csv - is reported instead of dropping the
whole gradebook: the others are merged, OUT/missing_shards.txt names the
failed shards (and, given --submissions, the students in them with the
command that grades just them), and the exit status is 1.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from course.safe_text import csv_text, printable

from . import report
from .batch import shard_of
from .platforms import handins as handin_rows
from .student_ids import clean_id


class MergeError(Exception):
    """The shards cannot be merged; the message names the folder at fault."""


@dataclass
class Shard:
    folder: Path
    manifest: dict
    header: list[str]
    rows: list[dict]

    @property
    def index(self) -> tuple[int, int]:
        i, n = self.manifest["shard"]
        return int(i), int(n)


@dataclass
class MergePlan:
    shards: list[Shard]
    n: int
    failed: dict[int, str] = field(default_factory=dict)  # shard index -> why it is missing


def read_shard(folder: Path) -> Shard:
    manifest_path, csv_path = folder / "manifest.json", folder / "grades.csv"
    if not folder.is_dir():
        raise MergeError(f"shard output {folder} does not exist or is not a folder")
    if not csv_path.is_file() or not manifest_path.is_file():
        raise MergeError(
            f"{folder}: no grades.csv/manifest.json; is it the OUT folder of a finished `autograde --shard I/N` run?"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        header, rows = report.read_grades_csv(csv_path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, csv.Error) as exc:
        raise MergeError(f"{folder}: cannot read its manifest.json/grades.csv ({type(exc).__name__}: {exc})") from exc
    if not isinstance(manifest, dict) or not manifest.get("shard"):
        raise MergeError(f"{folder} was graded without --shard; merge combines shard outputs only")
    for line, row in enumerate(rows, start=2):
        sid = row.get("student_id") or ""
        if clean_id(sid) != sid:  # it names a folder below OUT: never a path, a dot name or control text
            raise MergeError(
                f"{csv_path}:{line}: student id {printable(repr(sid))} is not one autograde writes; "
                "was this grades.csv edited?"
            )
    return Shard(folder, manifest, header, rows)


def plan(folders: list[Path], expect: int | None, allow_missing: bool) -> MergePlan:
    """Read and check the shards; with allow_missing a failed shard is recorded, not fatal."""
    shards, unreadable = [], {}
    for folder in folders:
        try:
            shards.append(read_shard(folder))
        except MergeError as exc:
            if not allow_missing:
                raise
            unreadable[folder] = str(exc)
    ns = {s.index[1] for s in shards} | ({expect} if expect else set())
    if len(ns) != 1:
        raise MergeError(
            f"shard outputs come from different splits (N = {sorted(ns)}); re-run with one N"
            if ns
            else "no shard output could be read: " + "; ".join(unreadable.values())
        )
    n = ns.pop()
    seen: dict[int, Path] = {}
    for s in shards:
        i = s.index[0]
        if i in seen:
            raise MergeError(f"{seen[i]} and {s.folder} are both shard {i}/{n}")
        seen[i] = s.folder
    if len({tuple(s.header) for s in shards}) > 1:
        raise MergeError("shard outputs have different grades.csv columns (different rubric versions?)")
    owner: dict[str, Path] = {}
    for s in shards:
        for row in s.rows:
            if row["student_id"] in owner:
                raise MergeError(
                    f"student {row['student_id']} appears in two shards: {owner[row['student_id']]} and {s.folder}"
                )
            owner[row["student_id"]] = s.folder
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing and not allow_missing:
        raise MergeError(
            "missing shard(s) " + ", ".join(f"{i}/{n}" for i in missing) + "; pass every shard's OUT folder"
        )
    why = "; ".join(unreadable.values()) or "no output"
    return MergePlan(sorted(shards, key=lambda s: s.index), n, {i: why for i in missing})


def _copy_students(shards: list[Shard], out: Path) -> None:
    for s in shards:
        for row in s.rows:
            src, dst = s.folder / row["student_id"], out / row["student_id"]
            if src.resolve() != dst.resolve():
                for name in ("results.json", "feedback.md"):
                    if (src / name).is_file():
                        report.write_atomic(dst / name, (src / name).read_text(encoding="utf-8"))


def missing_students(failed: dict[int, str], n: int, submissions: Path | None) -> list[str]:
    """Students whose shard failed (needs SUBMISSIONS: shard_of is a hash of the id)."""
    if not failed or submissions is None:
        return []
    from .discover import discover

    return sorted(sub.student_id for sub in discover(submissions) if shard_of(sub.student_id, n) in failed)


def missing_text(merge: MergePlan, students: list[str], submissions: Path | None) -> str:
    lines = [f"shard {i}/{merge.n} failed: {printable(why, 400)}" for i, why in sorted(merge.failed.items())]
    if students:
        lines += [
            f"{len(students)} student(s) in those shards have no row yet:",
            *("  " + s for s in students),
            "grade them into this gradebook with:",
            f"  autograde {submissions} --out OUT --only " + " ".join(students),
        ]
    elif merge.failed:
        lines.append("pass --submissions SUBMISSIONS to list the students in them")
    return "\n".join(lines) + "\n"


def write(merge: MergePlan, out: Path, folders: list[Path], submissions: Path | None) -> list[str]:
    """Write OUT; -> the students whose shard failed."""
    header = merge.shards[0].header if merge.shards else None
    rows = sorted((row for s in merge.shards for row in s.rows), key=lambda r: r["student_id"])
    _copy_students(merge.shards, out)
    handins: dict[str, handin_rows.Handin] = {}
    for s in merge.shards:
        handins |= handin_rows.read_handins(s.folder / handin_rows.FILENAME)
    logs = [
        f"=== {f} ===\n" + ((f / "run_log.txt").read_text() if (f / "run_log.txt").is_file() else "(no log)\n")
        for f in folders
    ]
    students = missing_students(merge.failed, merge.n, submissions)
    note = missing_text(merge, students, submissions) if merge.failed else ""
    report.write_atomic(
        out / "run_log.txt",
        f"autograde merge of {len(folders)} shard folders\n\n" + (note + "\n" if note else "") + "\n".join(logs),
    )
    if note:
        report.write_atomic(out / "missing_shards.txt", note)
    manifest = {
        "tool": "autograde merge",
        "shard": None,
        "merged_from": [str(s.folder) for s in merge.shards],
        "students": [r["student_id"] for r in rows],
        "items": header[1:-3] if header else [],
        "missing_shards": [f"{i}/{merge.n}" for i in sorted(merge.failed)],
        "missing_students": students,
    }
    report.write_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    report.write_atomic(out / handin_rows.FILENAME, handin_rows.handins_csv(list(handins.values())))
    text = (
        csv_text(header, [[r.get(h, "") for h in header] for r in rows], report.GRADES_TEXT_COLUMNS)
        if header
        else report.grades_csv([])
    )  # every shard failed: the columns, no row
    report.write_atomic(out / "grades.csv", text)
    return students
