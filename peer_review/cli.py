"""peer-review: the TA's command line (docs/CONTRACT.md, section 3).

  peer-review assign SUBMISSIONS --out DIR [--reviews 2] [--seed S]
        [--grades grades.csv] [--roster roster.csv] [--salt-file PATH] [--solutions DIR] [--force]
  peer-review collect DIR [--grades grades.csv] [--overrides overrides.csv]
  peer-review late DIR SUBMISSIONS [--student ID ...]
  peer-review drop DIR --reviewer ID
  peer-review export DIR --lms canvas|moodle|blackboard --out FILE [--roster roster.csv]

Exit status: 0 done; 1 collect found problems in the returned sheets (all
listed, outputs still written), or export left students out (listed); 2 the
command could not run (message says why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from peer_review import assign, collect, export, late


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--grades",
        type=Path,
        help="autograder grades.csv (assign: default build/grades/grades.csv when it exists; later: the copy in DIR)",
    )
    p.add_argument(
        "--solutions",
        type=Path,
        help="folder of solution notebooks with the reference "
        "answers (default: solutions/<assignment>/ from course.toml)",
    )
    p.add_argument("--salt-file", type=Path, help="the TA's salt for the codes (default DIR/private/salt.txt)")
    p.add_argument("--roster", type=Path, help="roster.csv: student_id,name,email (names to redact, e-mails)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="peer-review", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("assign", help="allocate reviews and write one folder per reviewer")
    a.add_argument("submissions", type=Path)
    a.add_argument("--out", type=Path, required=True)
    a.add_argument("--reviews", type=int, default=None, help="reviews per submission (default 2, rubric.toml)")
    a.add_argument("--seed", type=int, default=None, help="allocation seed (default: course.toml seed)")
    a.add_argument("--force", action="store_true", help="overwrite an earlier assignment in --out")
    _common(a)
    c = sub.add_parser("collect", help="read the filled sheets back and write the gradebook")
    c.add_argument("dir", type=Path)
    c.add_argument("--grades", type=Path, help="autograder grades.csv (default: the copy assign saved in DIR)")
    c.add_argument("--overrides", type=Path, help="TA overrides CSV (default DIR/overrides.csv when present)")
    lt = sub.add_parser("late", help="add late submitters: k reviews each from the least-loaded peers")
    lt.add_argument("dir", type=Path)
    lt.add_argument("submissions", type=Path)
    lt.add_argument("--student", action="append", help="only these student ids (default: every new one)")
    _common(lt)
    d = sub.add_parser("drop", help="re-assign the reviews of a reviewer who dropped out")
    d.add_argument("dir", type=Path)
    d.add_argument("--reviewer", required=True)
    _common(d)
    e = sub.add_parser("export", help="the final gradebook (after collect) in an LMS's import format")
    e.add_argument("dir", type=Path)
    e.add_argument("--lms", required=True, choices=export.LMS)
    e.add_argument("--out", type=Path, required=True, help="the file to upload to the LMS (.csv)")
    e.add_argument("--roster", type=Path, help="class list (default: DIR's copy, else course.toml [roster] path)")
    return ap


def dispatch(args) -> int:
    if args.command == "export":
        return export.run(args.dir, args.lms, args.out, args.roster)
    common = dict(
        grades=args.grades,
        solutions=getattr(args, "solutions", None),
        salt_file=getattr(args, "salt_file", None),
        roster=getattr(args, "roster", None),
    )
    if args.command == "assign":
        assign.run(args.submissions, args.out, args.reviews, args.seed, force=args.force, **common)
        return 0
    if args.command == "collect":
        return collect.run(args.dir, args.grades, args.overrides)
    if args.command == "late":
        late.late(args.dir, args.submissions, args.student, **common)
        return 0
    late.drop(args.dir, args.reviewer, **common)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return dispatch(args)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"peer-review {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
