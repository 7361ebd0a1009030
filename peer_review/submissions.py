"""Who takes part in peer review: the students the autograder finds
(`autograder.discover`, so every SUBMISSIONS layout the grader accepts works
here too) who handed in at least one notebook. A student whose folder holds
no notebook handed in nothing and is neither reviewed nor reviewing.
"""
from __future__ import annotations

from pathlib import Path

from autograder.discover import DiscoveryError, discover


def find_submissions(root: Path) -> dict[str, list[Path]]:
    """root -> {student_id: [notebook paths]} for every student who handed in something.

    Raises FileNotFoundError (naming the folder) when SUBMISSIONS cannot be used."""
    try:
        found = discover(Path(root))
    except DiscoveryError as exc:
        raise FileNotFoundError(str(exc)) from exc
    return {sub.student_id: sorted(sub.notebooks) for sub in found if sub.notebooks}
