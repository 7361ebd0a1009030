"""What a hand-in's file name says: which part, whose (for loose files), which copy.

Browsers, Colab, Jupyter and file managers decorate a name when a file is
saved again or copied; these are recognised and removed (case-insensitive):
  "Copy of X"                      Colab / Google Drive copy          (one copy)
  "X (1)", "X(2)"                  Chrome / Edge / Firefox re-download (n copies)
  "X-Copy1"                        Jupyter's Duplicate                 (n copies, at least 1)
  "X - Copy", "X - Copy (2)"       Windows Explorer                    (n copies, at least 1)
  "X copy", "X copy 2"             macOS Finder                        (n copies, at least 1)
The remaining name says a part when it contains the part's configured
notebook name (course.toml [notebooks], with spaces, dashes or dots for
underscores), or else the part's id as a word ("Part 1", "part-2").

`generation` counts the copies the decorations say, so that of two copies
the later one can be told by its name when their modification times agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NOTEBOOK_SUFFIXES = (".ipynb", ".ipynb.json", ".ipynb.txt")  # the last two: browsers that add an extension
_SEP = r"[\s_\-.]+"
_COPY_OF = re.compile(r"^copy\s+of\s+", re.I)
_SUFFIXES = (  # (pattern at the end of the stem, copies when no number is given)
    (re.compile(r"\s+-\s+copy(?:\s*\((\d{1,4})\))?$", re.I), 1),
    (re.compile(r"\s*\((\d{1,4})\)$"), 1),
    (re.compile(r"-copy(\d{0,4})$", re.I), 1),
    (re.compile(r"\s+copy(?:\s+(\d{1,4}))?$", re.I), 1),
)


@dataclass(frozen=True)
class NameInfo:
    stem: str  # the name without extension and copy decorations
    part: str | None  # the part the name says, or None
    owner: str  # text before the part's name (a loose file's student id), "" if none
    generation: int  # copies the decorations say: "X" 0, "Copy of X" 1, "X (2)" 2


def notebook_stem(filename: str) -> str | None:
    """The name without its notebook extension, or None when it is not a notebook's name."""
    lower = filename.lower()
    for suffix in NOTEBOOK_SUFFIXES:
        if lower.endswith(suffix) and len(filename) > len(suffix):
            return filename[: -len(suffix)]
    return None


def strip_copies(stem: str) -> tuple[str, int]:
    """("part1 (2)" -> ("part1", 2)); decorations may be stacked ("Copy of X (1)" -> (X, 2))."""
    generation, changed = 0, True
    while changed:
        changed = False
        if m := _COPY_OF.match(stem):
            stem, generation, changed = stem[m.end() :], generation + 1, True
        for pattern, default in _SUFFIXES:
            if (m := pattern.search(stem)) and m.start() > 0:
                stem, changed = stem[: m.start()], True
                generation += int(m.group(1)) if m.group(1) else default
    return stem.strip(), generation


def _part_patterns(parts: dict[str, str]) -> list[tuple[str, re.Pattern]]:
    """Configured notebook names first (longest first), then part ids as words."""
    named = sorted(parts.items(), key=lambda kv: -len(kv[1]))
    out = []
    for part, filename in named:
        words = [w for w in re.split(_SEP, notebook_stem(filename) or filename) if w]
        out.append((part, re.compile(_SEP.join(map(re.escape, words)), re.I)))
    for part in sorted(parts, key=len, reverse=True):
        m = re.fullmatch(r"([A-Za-z]+)[\s_\-]*(\d+)", part)
        if m:
            out.append((part, re.compile(rf"(?<![A-Za-z0-9]){m.group(1)}[\s_\-]*{m.group(2)}(?![0-9])", re.I)))
    return out


def read_name(filename: str, parts: dict[str, str]) -> NameInfo:
    """What `filename` says; `parts` is course.toml's {part id: notebook file name}."""
    stem = notebook_stem(filename) or filename.rsplit(".", 1)[0]
    stem, generation = strip_copies(stem)
    for part, pattern in _part_patterns(parts):
        if m := pattern.search(stem):
            owner = re.sub(rf"^{_SEP}|{_SEP}$", "", stem[: m.start()])
            return NameInfo(stem, part, owner, generation)
    return NameInfo(stem, None, "", generation)


def loose_owner(filename: str, parts: dict[str, str]) -> str:
    """Student id of a file lying directly in SUBMISSIONS: the name before the part's
    name ("alice_part1_linear_softmax (1).ipynb" -> "alice"), else the whole stem
    without decorations ("bob.ipynb" -> "bob")."""
    info = read_name(filename, parts)
    return info.owner or info.stem


# ------------------------------------------------------------- LMS downloads
# What each LMS's bulk download calls a student's files (one pattern each, matched
# case-insensitively on the whole name; the student's own file name is what is left):
#   Canvas      lastfirst_12345_67890_<file>          12345 user id, 67890 attachment id
#               lastfirst_LATE_12345_67890_<file>     handed in after the due date
#   Moodle      Full Name_12345_assignsubmission_file_<file>  12345 participant number
#               Full Name_12345_assignsubmission_file_/       ("download in folders": a folder)
#   Blackboard  Assignment_username_attempt_2026-12-01-23-59-00_<file>   (an attempt's time)
#               ..._attempt_<time>.txt is the attempt's receipt (not a hand-in)
_CANVAS = re.compile(r"^(?P<owner>[a-z0-9\-]+?)_(?P<late>late_)?(?P<id>\d+)_\d+_(?P<file>.+)$", re.I)
_MOODLE = re.compile(r"^(?P<owner>[^_]+)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$", re.I)
_BLACKBOARD = re.compile(
    r"^.+?_(?P<id>[^_]+)_attempt_(?P<time>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?P<late>_late)?"
    r"(?:_(?P<file>.+))?$",
    re.I,
)
LMS_PATTERNS = (("moodle", _MOODLE), ("blackboard", _BLACKBOARD), ("canvas", _CANVAS))


@dataclass(frozen=True)
class LmsName:
    """What an LMS download's name says about whose file it is."""

    lms: str  # "canvas", "moodle", "blackboard"
    owner: str  # the name the LMS gives the student (Canvas's lastfirst, Moodle's full name)
    lms_id: str  # Canvas user id, Moodle participant number, Blackboard username
    filename: str  # the student's own file name ("" for a Moodle folder)
    late: bool = False  # the LMS marked it late (Canvas's LATE_, Blackboard's _late)
    attempt: str = ""  # Blackboard's attempt time, as written ("2026-12-01-23-59-00")


def lms_name(name: str, folder: bool = False) -> LmsName | None:
    """The LMS a download's file (or Moodle folder) name comes from, or None."""
    for lms, pattern in LMS_PATTERNS:
        m = pattern.match(name)
        if m and (lms == "moodle") >= folder and (not folder or not m.group("file")):
            groups = m.groupdict()
            owner = groups.get("owner") or groups["id"]
            return LmsName(
                lms,
                owner.strip(),
                groups["id"],
                groups.get("file") or "",
                bool(groups.get("late")),
                groups.get("time") or "",
            )
    return None
