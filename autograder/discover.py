"""Find who handed in what: SUBMISSIONS folder -> one `Submission` per student.

Layouts accepted (CONTRACT.md section 2), one small function each (`_layout_*`):
  flat        SUBMISSIONS/<student_id>/*.ipynb (any depth below the student's folder)
  nbgrader    SUBMISSIONS/submitted/<student_id>/<assignment>/*.ipynb   (SUBMISSIONS is the course root)
              SUBMISSIONS/<student_id>/<assignment>/*.ipynb             (SUBMISSIONS is submitted/ itself)
              When a student folder holds a subfolder named like the course's
              assignment id, only that subfolder is graded.
  canvas      SUBMISSIONS/lastfirst_12345_67890_<file>.ipynb (and lastfirst_LATE_...): Canvas's
              "Download Submissions"; one hand-in per Canvas user id, whatever the files are called
  moodle      SUBMISSIONS/Full Name_12345_assignsubmission_file_/ (a folder per student), or
              SUBMISSIONS/Full Name_12345_assignsubmission_file_<file>.ipynb; one hand-in per participant
  blackboard  SUBMISSIONS/Assignment_username_attempt_2026-12-01-23-59-00_<file>.ipynb; one hand-in per
              username, its latest attempt graded (older attempts named in a notice)
              The LMS layouts keep what the LMS says: its id for the student, a "late"
              marker, the attempt's time. With a roster (course.toml [roster], or
              --roster) the LMS id gives the course's student id; else the LMS's name does.
  nbgrader    submitted/<student>/<assignment>/timestamp.txt gives the hand-in's time.
  loose files SUBMISSIONS/<name>.ipynb directly in the folder, as other bulk downloads write them.
              The student id is the name before the part's notebook name
              ("alice_part1_linear_softmax (1).ipynb" -> "alice"), else the
              name itself ("bob.ipynb" -> "bob"); see handin_names.
              A student's own folder always wins: a loose file whose id is a
              folder's id is never merged into it and never graded; the
              student is told (a notice) and so is the instructor (the log).

What is read, and what is not (every command that reads hand-ins - grading,
similarity, peer review - comes through here):
  - only regular files inside SUBMISSIONS: a symbolic link (to a file or a
    folder, a student folder included) is never followed, a FIFO or device
    file never opened; each is named in the student's notices, and a hand-in
    left with no notebook is a `problem` (a not_gradable row) saying why.
    SUBMISSIONS itself (and nbgrader's submitted/) are the instructor's and are
    resolved once; the notebooks returned are real paths below that root,
    which notebook_io re-opens folder by folder without following links.
  - two copies of one part (a browser's "X (1).ipynb", Colab's "Copy of X"):
    one is graded, chosen by `choose_copy`, and the student is told which.
    A notebook's part is what its name says (handin_names); a notebook whose
    name says no part is read (bounded, notebook_io) only when it has to
    compete: its part is the one whose contract functions it defines - if it
    defines functions of several parts, it is no copy of any and is kept.
  - a .py, .html, .pdf or .zip where a notebook should be: the problem or
    notice says exactly what to download instead.
  - student ids are cleaned and made unique by student_ids.assign_ids.
Checkpoint copies, hidden entries and macOS litter are ignored.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from course.config import load_config
from course.contract import CONTRACT

from .file_walk import Walk, ignored_name, walk_files
from .handin_names import LmsName, lms_name, loose_owner, notebook_stem, read_name
from .notebook_io import DOWNLOAD_HINT, NotebookError, read_cells, register_handin_root, shown_name
from .student_ids import assign_ids, clean_id, id_key

MAX_TIMESTAMP_BYTES = 200  # nbgrader's timestamp.txt: one line
MAX_NOTEBOOKS = 10  # per student: the homework has two parts; more is not a hand-in of it
LOOKALIKES = {
    ".py": "a Python script",
    ".html": "an HTML page",
    ".htm": "an HTML page",
    ".pdf": "a PDF",
    ".zip": "a zip archive",
    ".docx": "a Word document",
    ".md": "a Markdown file",
}
_DEFINES = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)


class DiscoveryError(Exception):
    """SUBMISSIONS cannot be used at all; the message names the path."""


@dataclass(frozen=True)
class HandinInfo:
    """Where a hand-in came from and when (OUT/handins.csv; the late policy reads it)."""

    source: str = "folder"  # folder, nbgrader, loose, canvas, moodle, blackboard, gradescope
    lms_id: str = ""  # the LMS's id for the student (Canvas user id, Moodle participant, username)
    lms_name: str = ""  # the LMS's name for the student (student text)
    submitted_at: str = ""  # ISO 8601 time the platform recorded, "" when unknown
    late_marker: bool = False  # the LMS said "late" (Canvas, Blackboard)


@dataclass
class Submission:
    student_id: str
    folder: Path
    notebooks: list[Path] = field(default_factory=list)
    problem: str | None = None  # set when there is nothing to grade
    notices: list[str] = field(default_factory=list)  # for the student (and the run log): what was not graded
    log: list[str] = field(default_factory=list)  # for the instructor only
    info: HandinInfo = field(default_factory=HandinInfo)

    def __post_init__(self):
        if not self.notebooks and self.problem is None:
            self.problem = f"no .ipynb found in {shown_name(self.folder)}/"


@dataclass
class _HandIn:
    """One student's files before choosing: what a layout found."""

    raw_id: str
    folder: Path
    walk: Walk
    log: list[str] = field(default_factory=list)
    problem: str | None = None
    loose: bool = False  # files lying directly in SUBMISSIONS, not a folder
    info: HandinInfo = field(default_factory=HandinInfo)
    notices: list[str] = field(default_factory=list)

    def nothing_found(self) -> str:
        """Start of the problem of a hand-in with no readable notebook."""
        named = [p for p in self.walk.links + self.walk.special if notebook_stem(p.name) is not None]
        where = "" if self.loose else f" in {shown_name(self.folder)}/"
        return f"no notebook could be read{where}" if named else f"no .ipynb found{where}"


def submissions_root(path: Path) -> Path:
    """The folder whose children are student folders, resolved: `path`, or its
    submitted/ when it is an nbgrader course root."""
    path = Path(path)
    if not path.exists():
        raise DiscoveryError(f"SUBMISSIONS folder {path} does not exist")
    if not path.is_dir():
        raise DiscoveryError(f"SUBMISSIONS {path} is a file; give the folder that holds one folder per student")
    root = path.resolve()
    if (root / "submitted").is_dir():  # an nbgrader course root (source/, release/, submitted/, ...)
        return (root / "submitted").resolve()
    return root


# ------------------------------------------------------------------ layouts


def _layout_folders(entries: list[os.DirEntry], assignment_id: str) -> list[_HandIn]:
    """flat and nbgrader: one hand-in per student folder (a linked folder is a hand-in that says so)."""
    out = []
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink() and _loose_kind(entry) is None:
            out.append(
                _HandIn(
                    entry.name,
                    path,
                    Walk([], [path], []),
                    problem=f"the folder handed in ({shown_name(path)}) is a symbolic link; links are "
                    "never followed: hand in the notebook files themselves",
                )
            )
        elif entry.is_dir(follow_symlinks=False):
            own = path / assignment_id
            nbgrader = own.is_dir() and not own.is_symlink()
            hand_in = _HandIn(entry.name, path, walk_files(own if nbgrader else path))
            if nbgrader:
                hand_in.info, problem = _nbgrader_info(own)
                hand_in.log += [problem] if problem else []
            out.append(hand_in)
    return out


def _nbgrader_info(folder: Path) -> tuple[HandinInfo, str]:
    """nbgrader's submitted/<student>/<assignment>/timestamp.txt -> (info, log line or "")."""
    from .platforms.late_policy import parse_time

    path = folder / "timestamp.txt"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return HandinInfo("nbgrader"), ""
    except OSError as exc:
        return HandinInfo("nbgrader"), f"{shown_name(path)} not read ({exc.strerror}); hand-in time unknown"
    try:
        with os.fdopen(fd, "rb") as f:
            text = f.read(MAX_TIMESTAMP_BYTES + 1).decode("utf-8", "replace")
        if len(text) > MAX_TIMESTAMP_BYTES or "\n" in text.strip():
            raise ValueError("more than one line")
        when = parse_time(text, load_config().late.timezone)
    except (OSError, ValueError) as exc:
        return HandinInfo("nbgrader"), f"{shown_name(path)} is not a time ({exc}); hand-in time unknown"
    return HandinInfo("nbgrader", submitted_at=when.isoformat() if when else ""), ""


def _lms_id_to_student(roster, lms_id: str, fallback: str) -> str:
    student = roster.by_lms_id(lms_id) if roster else None
    return student.student_id if student else fallback


def _layout_moodle_folders(entries: list[os.DirEntry], roster) -> tuple[list[_HandIn], set[str]]:
    """Moodle's "download in folders": one hand-in per participant (file and online-text folders merged)."""
    by_id: dict[str, _HandIn] = {}
    claimed = set()
    for entry in entries:
        name = lms_name(entry.name, folder=True) if entry.is_dir(follow_symlinks=False) else None
        if name is None or entry.is_symlink():
            continue
        claimed.add(entry.name)
        walk = walk_files(Path(entry.path))
        hand_in = by_id.get(name.lms_id)
        if hand_in is None:
            by_id[name.lms_id] = _HandIn(
                _lms_id_to_student(roster, name.lms_id, name.owner),
                Path(entry.path),
                walk,
                info=HandinInfo("moodle", name.lms_id, name.owner),
            )
        else:
            hand_in.walk.files += walk.files
            hand_in.walk.links += walk.links
            hand_in.walk.special += walk.special
    return list(by_id.values()), claimed


def _latest_attempt(hand_in: _HandIn, names: dict[Path, LmsName]) -> None:
    """Blackboard: keep the files of the student's latest attempt; say which were not graded."""
    attempts = sorted({names[p].attempt for p in hand_in.walk.files + hand_in.walk.links + hand_in.walk.special})
    if len(attempts) < 2:
        return
    latest = attempts[-1]
    older = [p for p in hand_in.walk.files if names[p].attempt != latest]
    hand_in.walk.files = [p for p in hand_in.walk.files if names[p].attempt == latest]
    hand_in.walk.links = [p for p in hand_in.walk.links if names[p].attempt == latest]
    hand_in.walk.special = [p for p in hand_in.walk.special if names[p].attempt == latest]
    hand_in.notices.append(
        f"{len(attempts)} attempts found: graded the latest ({latest}); not graded: "
        + ", ".join(f"'{shown_name(p)}'" for p in older)
    )


def _layout_lms_files(entries: list[os.DirEntry], roster) -> tuple[list[_HandIn], set[str]]:
    """Canvas, Moodle (files) and Blackboard downloads: one hand-in per LMS id, whatever
    the student named their files; the LMS's late marker and attempt time kept."""
    from .platforms.late_policy import parse_time

    groups: dict[tuple[str, str], _HandIn] = {}
    names: dict[Path, LmsName] = {}
    for entry in entries:
        kind = _loose_kind(entry)
        name = lms_name(entry.name) if kind else None
        if name is None or (entry.is_dir(follow_symlinks=False) and not entry.is_symlink()):
            continue
        path = Path(entry.path)
        names[path] = name
        key = (name.lms, name.lms_id)
        if key not in groups:
            groups[key] = _HandIn(
                _lms_id_to_student(roster, name.lms_id, name.owner),
                path.parent,
                Walk([], [], []),
                loose=True,
                info=HandinInfo(name.lms, name.lms_id, name.owner),
            )
        bucket = (
            groups[key].walk.links
            if entry.is_symlink()
            else groups[key].walk.files
            if entry.is_file(follow_symlinks=False)
            else groups[key].walk.special
        )
        bucket.append(path)
    for hand_in in groups.values():
        if hand_in.info.source == "blackboard":
            _latest_attempt(hand_in, names)
        kept = hand_in.walk.files + hand_in.walk.links + hand_in.walk.special
        late = any(names[p].late for p in kept)
        attempt = max((names[p].attempt for p in kept), default="")
        when = parse_time(attempt, load_config().late.timezone) if attempt else None
        hand_in.info = HandinInfo(
            hand_in.info.source, hand_in.info.lms_id, hand_in.info.lms_name, when.isoformat() if when else "", late
        )
    return list(groups.values()), set(e.name for e in entries if Path(e.path) in names)


def _loose_kind(entry: os.DirEntry) -> str | None:
    """ "notebook" / "lookalike" for a file directly in SUBMISSIONS that may be a hand-in, else None."""
    if notebook_stem(entry.name) is not None:
        return "notebook"
    if Path(entry.name).suffix.lower() in LOOKALIKES:
        return "lookalike"
    return None


def _layout_loose(entries: list[os.DirEntry], parts: dict[str, str]) -> list[_HandIn]:
    """loose files: grouped by the id their names give (links and special files too, to say so)."""
    groups: dict[str, _HandIn] = {}
    for entry in entries:
        kind = _loose_kind(entry)
        if kind is None or (entry.is_dir(follow_symlinks=False) and not entry.is_symlink()):
            continue
        if kind == "lookalike" and read_name(entry.name, parts).part is None:
            continue  # an instructor's notes.pdf is nobody's hand-in; "bob_part1_linear_softmax.py" is
        owner = loose_owner(entry.name, parts)
        hand_in = groups.setdefault(owner, _HandIn(owner, Path(entry.path).parent, Walk([], [], []), loose=True))
        path = Path(entry.path)
        if entry.is_symlink():
            hand_in.walk.links.append(path)
        elif entry.is_file(follow_symlinks=False):
            hand_in.walk.files.append(path)
        else:
            hand_in.walk.special.append(path)
    return list(groups.values())


# ------------------------------------------------------------ two copies


def _mtime(path: Path) -> int:
    """Whole seconds: zip archives keep 2-second times, copies made together often share one."""
    try:
        return int(path.stat(follow_symlinks=False).st_mtime)
    except OSError:
        return 0


def _when(path: Path) -> str:
    return datetime.fromtimestamp(_mtime(path), UTC).strftime("%Y-%m-%d %H:%M UTC")


def choose_copy(paths: list[Path], parts: dict[str, str]) -> Path:
    """The copy of one part that is graded. Documented rule: the most recently
    modified file (whole seconds); on a tie, the later copy by its name ("X (2)"
    after "X (1)" after "Copy of X" after "X"); then a name that says the part over
    one that does not; then the name last in sorted order (so the choice never depends
    on the order files were listed)."""

    def key(p: Path):
        info = read_name(p.name, parts)
        return _mtime(p), info.generation, info.part is not None, p.name, str(p)

    return max(paths, key=key)


def _content_part(path: Path) -> str | None:
    """The one part whose contract functions the notebook defines at top level
    (None: unreadable, none, or several parts). A regex, not a parse: bounded and cheap."""
    try:
        code = "\n".join(c.source for c in read_cells(path) if c.cell_type == "code")
    except NotebookError:
        return None
    defined = set(_DEFINES.findall(code))
    found = [part for part, names in CONTRACT.items() if defined & set(names)]
    return found[0] if len(found) == 1 else None


def _copy_notice(part_file: str, chosen: Path, others: list[Path]) -> str:
    dropped = ", ".join(f"'{shown_name(p)}' ({_when(p)})" for p in others)
    return (
        f"{len(others) + 1} files hold {part_file}: graded '{shown_name(chosen)}' (modified {_when(chosen)}); "
        f"not graded: {dropped}. Rule: the most recently modified file, then the later copy by its "
        'name ("X (2)" after "X (1)" after "X"). Hand in one file per part'
    )


def _select(notebooks: list[Path], parts: dict[str, str], notices: list[str]) -> list[Path]:
    """One notebook per part (`choose_copy`), others kept; ordered so that the chosen
    copies come last (a later definition wins in extraction): notebooks of no single
    part first, then each part's copy in course.toml order."""
    by_part: dict[str, list[Path]] = {}
    unnamed: list[Path] = []
    for path in notebooks:
        part = read_name(path.name, parts).part
        (by_part.setdefault(part, []) if part else unnamed).append(path)
    kept: list[Path] = []
    for path in unnamed:
        part = _content_part(path) if len(notebooks) > 1 else None
        (by_part.setdefault(part, []) if part else kept).append(path)
    for part in parts:
        copies = by_part.get(part, [])
        if not copies:
            continue
        chosen = choose_copy(copies, parts)
        if len(copies) > 1:
            notices.append(_copy_notice(parts[part], chosen, [p for p in copies if p != chosen]))
        kept.append(chosen)
    return kept


# ------------------------------------------------------------ one student


def _quoted(paths: list[Path]) -> str:
    return ", ".join(f"'{shown_name(p)}'" for p in paths)


def _skipped_notices(walk: Walk) -> list[str]:
    """Student-facing lines (one per kind) for everything found that is not read."""
    lines = []
    if walk.links:
        lines.append(
            f"not read, symbolic link{'s' * (len(walk.links) > 1)}: {_quoted(walk.links)}; links are "
            "never followed: hand in the files themselves"
        )
    if walk.special:
        lines.append(f"not read, not a regular file (a pipe or device): {_quoted(walk.special)}")
    lookalikes = [p for p in walk.files if notebook_stem(p.name) is None and p.suffix.lower() in LOOKALIKES]
    if lookalikes:
        kinds = ", ".join(f"'{shown_name(p)}' ({LOOKALIKES[p.suffix.lower()]})" for p in lookalikes)
        lines.append(f"not a notebook, cannot be graded: {kinds}; download the notebook itself ({DOWNLOAD_HINT})")
    if walk.truncated:
        lines.append("the folder holds too many files or folders; only the first were looked at")
    return lines


def _finish(hand_in: _HandIn, student_id: str, parts: dict[str, str]) -> Submission:
    """The Submission of one hand-in: its notebooks chosen, or the problem that leaves none."""
    log, info = list(hand_in.log), hand_in.info
    if hand_in.raw_id != student_id:
        log.append(f"name {hand_in.raw_id!r} is shown as student id {student_id!r}")
    if info.lms_id:
        log.append(f"{info.source} id {info.lms_id!r}" + (" (marked late by the LMS)" if info.late_marker else ""))
    if hand_in.problem:
        return Submission(student_id, hand_in.folder, problem=hand_in.problem, log=log, info=info)
    notices = hand_in.notices + _skipped_notices(hand_in.walk)
    notebooks = [p for p in hand_in.walk.files if notebook_stem(p.name) is not None]
    if len(notebooks) > MAX_NOTEBOOKS:
        return Submission(
            student_id,
            hand_in.folder,
            log=log,
            notices=notices,
            info=info,
            problem=f"{len(notebooks)} notebooks handed in, more than {MAX_NOTEBOOKS}; "
            "hand in only the homework's notebooks, one per part",
        )
    chosen = _select(notebooks, parts, notices)
    if not chosen:  # say why there is nothing: links, pipes, a .py...
        problem = hand_in.nothing_found() + (": " + "; ".join(notices) if notices else f" ({DOWNLOAD_HINT})")
        return Submission(student_id, hand_in.folder, problem=problem, log=log, info=info)
    return Submission(student_id, hand_in.folder, chosen, notices=notices, log=log, info=info)


# --------------------------------------------------------------- discover


def _entries(root: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(root) as it:
            return sorted((e for e in it if not ignored_name(e.name)), key=lambda e: e.name)
    except OSError as exc:
        raise DiscoveryError(f"cannot list SUBMISSIONS folder {root}: {exc.strerror}") from exc


def _loose_against_folders(loose: list[_HandIn], folders: dict[str, Submission]) -> list[_HandIn]:
    """Loose hand-ins whose id is no folder's; the others are reported to that student and the log."""
    kept = []
    for hand_in in loose:
        owner = folders.get(id_key(clean_id(hand_in.raw_id)))
        if owner is None:
            kept.append(hand_in)
            continue
        for path in hand_in.walk.files + hand_in.walk.links + hand_in.walk.special:
            owner.notices.append(
                f"a file named for you, '{shown_name(path)}', lay loose in the submissions "
                "folder; it was not graded: your own folder is"
            )
            owner.log.append(
                f"loose file '{shown_name(path)}' in the SUBMISSIONS root names "
                f"{owner.student_id}, who has a folder: not merged, not graded"
            )
    return kept


def _named(hand_ins: list[_HandIn], parts: dict[str, str]) -> dict[str, Submission]:
    """{id_key: Submission}, each hand-in with a unique clean id: two LMS students with
    one name (two Canvas "smithjohn") stay two students, the second "smithjohn~2"."""
    ids = assign_ids([h.raw_id for h in hand_ins])
    used = {id_key(v) for v in ids.values()}
    out, named = {}, set()
    for h in sorted(hand_ins, key=lambda h: (h.raw_id, h.info.lms_id)):
        sid = ids[h.raw_id]
        if h.raw_id in named:
            sid = assign_ids([h.raw_id], taken=used)[h.raw_id]
            used.add(id_key(sid))
        named.add(h.raw_id)
        out[id_key(sid)] = _finish(h, sid, parts)
    return out


def discover_handin(folder: Path, student_id: str, info: HandinInfo = HandinInfo()) -> Submission:
    """gradescope: one student's upload, `folder` holding their files (any names, any
    subfolders): one hand-in, its parts told apart by name or, failing that, by content."""
    root = Path(folder).resolve()
    if not root.is_dir():
        raise DiscoveryError(f"the submission folder {folder} does not exist")
    register_handin_root(root)
    return _finish(
        _HandIn(student_id, root, walk_files(root), info=info), clean_id(student_id), load_config().notebooks
    )


def discover(path: Path, roster=None) -> list[Submission]:
    """All submissions below SUBMISSIONS, sorted by student id. `roster` (a
    platforms.roster.Roster; default: course.toml's) maps LMS ids to student ids.

    Raises DiscoveryError when the folder is missing, a file, or holds no
    student folder and no notebook (most likely the wrong path)."""
    root = submissions_root(path)
    register_handin_root(root)
    cfg = load_config()
    if roster is None:
        from .platforms.roster import RosterError, course_roster

        try:
            roster = course_roster()
        except RosterError as exc:
            raise DiscoveryError(str(exc)) from exc
    entries = _entries(root)
    moodle, claimed = _layout_moodle_folders(entries, roster)
    lms, claimed_files = _layout_lms_files(entries, roster)
    entries = [e for e in entries if e.name not in claimed | claimed_files]
    folders = _layout_folders(entries, cfg.assignment_id)
    found = _named(folders + moodle + lms, cfg.notebooks)
    loose = _loose_against_folders(_layout_loose(entries, cfg.notebooks), found)
    ids = assign_ids([h.raw_id for h in loose], taken=set(found))
    found |= {id_key(ids[h.raw_id]): _finish(h, ids[h.raw_id], cfg.notebooks) for h in loose}
    if not found:
        raise DiscoveryError(
            f"{root} holds no student folder and no .ipynb file; expected "
            f"{root}/<student_id>/*.ipynb or an nbgrader course with submitted/"
        )
    _log_lookalike_ids(list(found.values()))
    return sorted(found.values(), key=lambda s: s.student_id)


def _log_lookalike_ids(submissions: list[Submission]) -> None:
    """Ids that were one name but for case, accents or a "~N" (which one got the plain id is
    only the sort order: a file "ALICE_part1..." beside "alice_part1..." may be someone posing
    as alice) are named in each one's log, for the instructor to check before grades go out."""
    groups: dict[str, list[str]] = {}
    for sub in submissions:
        groups.setdefault(id_key(re.sub(r"~\d+$", "", sub.student_id)), []).append(sub.student_id)
    for sub in submissions:
        same = groups[id_key(re.sub(r"~\d+$", "", sub.student_id))]
        if len(same) > 1:
            others = ", ".join(repr(i) for i in sorted(same) if i != sub.student_id)
            sub.log.append(
                f"id check: {sub.student_id!r} was the same name as {others} but for case, accents or a "
                "number; check which hand-in is whose (file dates, handins.csv) before grades are imported"
            )
