"""Who takes part in peer review: the students the autograder finds
(`autograder.discover`, so every SUBMISSIONS layout the grader accepts works
here too) who handed in at least one notebook. A student whose folder holds
no notebook handed in nothing and is neither reviewed nor reviewing.
"""

from __future__ import annotations

from pathlib import Path

from autograder.discover import DiscoveryError, discover


def find_submissions(root: Path, roster: Path | None = None) -> dict[str, list[Path]]:
    """root -> {student_id: [notebook paths]} for every student who handed in something.
    `roster` (default: course.toml's) maps LMS ids to student ids, as for `autograde`.

    Raises FileNotFoundError (naming the folder) when SUBMISSIONS cannot be used."""
    from autograder.platforms.roster import course_roster

    try:
        found = discover(Path(root), roster=course_roster(roster))
    except DiscoveryError as exc:
        raise FileNotFoundError(str(exc)) from exc
    return {sub.student_id: sorted(sub.notebooks) for sub in found if sub.notebooks}
