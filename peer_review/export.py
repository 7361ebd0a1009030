"""`peer-review export DIR --lms canvas|moodle|blackboard --out FILE [--roster roster.csv]`.

The final gradebook `collect` wrote (DIR/gradebook.csv: autograder + peer review
+ late policy, out of 10) in the import format of the course's LMS
(autograder/platforms/lms_export.py says which format and why). The roster is
--roster, else DIR/private/roster.csv (assign's copy), else course.toml's.
Students the file cannot carry (no LMS id where the LMS needs one, on the
roster but not graded) are listed on stderr and the exit status is 1; the file
is written with everyone else.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.platforms import lms_export
from autograder.platforms.roster import course_roster, read_roster
from course.safe_text import printable
from peer_review import store

LMS = lms_export.LMS


def run(out: Path, lms: str, target: Path, roster: Path | None = None) -> int:
    out = Path(out)
    saved = store.roster_path(out)
    people = read_roster(roster) if roster else read_roster(saved) if saved.exists() else course_roster()
    result = lms_export.export(out / "gradebook.csv", lms, people, store.handins_path(out))
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(result.text, encoding="utf-8")
    for problem in result.problems:
        print(printable(f"peer-review export: {problem}", 400), file=sys.stderr)
    print(f"peer-review export: {result.rows} student(s) -> {target} ({lms} import format)")
    return 1 if result.problems else 0
