"""The kit's one configuration object, read from course.toml.

Everything that two places need (paths, seeds, thresholds) is read from here,
so that changing a number in course.toml changes it everywhere.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS_DIR = REPO_ROOT / "solutions"
ASSIGNMENTS_DIR = REPO_ROOT / "assignments"
EXAMPLES_DIR = REPO_ROOT / "examples" / "submissions"


FEEDBACK_MODES = ("diagnose", "explain")
ROSTER_FIELDS = ("student_id", "name", "email", "lms_id", "section")  # what a roster gives the kit


@dataclass(frozen=True)
class LateSettings:
    """[late] of course.toml as written; autograder/platforms/late_policy.py applies it."""

    due: str = ""  # "" = no late policy
    timezone: str = "UTC"
    grace_minutes: float = 0.0
    penalty_per_day: float = 0.0
    max_penalty: float = 1.0
    marker_days: float = 1.0
    extensions: tuple[tuple[str, str | float], ...] = ()  # (student_id, new due time or extra days)


@dataclass(frozen=True)
class RosterSettings:
    """[roster] of course.toml: where the class list is and which column holds what."""

    path: str = ""
    columns: tuple[tuple[str, str], ...] = tuple((f, f) for f in ROSTER_FIELDS)  # (field, column name)

    def file(self) -> Path | None:
        """The roster file (relative paths are from the kit's root), or None."""
        if not self.path:
            return None
        path = Path(self.path)
        return path if path.is_absolute() else REPO_ROOT / path


@dataclass(frozen=True)
class LmsSettings:
    """[lms] of course.toml: the gradebook column the LMS exports fill."""

    assignment_name: str = "Homework"
    canvas_assignment_id: int = 0
    blackboard_column_id: int = 0


class ConfigError(Exception):
    """The kit's configuration is wrong: one line naming the file and the fix.
    Commands turn it into exit status 2 (never a traceback)."""


@dataclass(frozen=True)
class Config:
    repository_url: str
    branch: str
    assignment_id: str
    seed: int
    notebooks: dict[str, str]  # part id -> notebook file name
    data: dict[str, int]
    targets: dict[str, float]
    grading: dict[str, float]
    # what a student's feedback says about a failed check: "diagnose" = what is wrong and
    # where; "explain" = and how to fix it ([grading] feedback; see README "Feedback")
    feedback: str = "diagnose"
    late: LateSettings = LateSettings()
    roster: RosterSettings = RosterSettings()
    lms: LmsSettings = LmsSettings()

    def solution_notebook(self, part: str) -> Path:
        return SOLUTIONS_DIR / self.assignment_id / self.notebooks[part]

    def solution_notebooks(self) -> dict[str, Path]:
        """{part: solution notebook} for every part, in course.toml order."""
        return {part: self.solution_notebook(part) for part in self.notebooks}

    def release_notebook(self, part: str, root: Path = ASSIGNMENTS_DIR) -> Path:
        """A part's release notebook under `root` (assignments/, or where a release was generated)."""
        return root / self.assignment_id / self.notebooks[part]

    def colab_url(self, part: str) -> str:
        """Colab opens a notebook straight from a public GitHub repository."""
        repo = self.repository_url.rstrip("/").removeprefix("https://github.com/")
        path = f"assignments/{self.assignment_id}/{self.notebooks[part]}"
        return f"https://colab.research.google.com/github/{repo}/blob/{self.branch}/{path}"


CONFIG_PATH = Path(__file__).with_name("course.toml")


@lru_cache(maxsize=1)
def load_config(path: Path | None = None) -> Config:
    path = path or CONFIG_PATH
    try:
        raw = tomllib.loads(Path(path).read_text())
        config = _config(raw)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except KeyError as exc:
        raise ConfigError(f"{path}: the key {exc.args[0]!r} is missing") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: a value has the wrong type ({exc})") from None
    if config.feedback not in FEEDBACK_MODES:
        raise ConfigError(f"{path}: [grading] feedback = {config.feedback!r}; use one of {', '.join(FEEDBACK_MODES)}")
    return config


def _config(raw: dict) -> Config:
    course = raw["course"]
    grading = dict(raw["grading"])
    feedback = grading.pop("feedback", "diagnose")
    return Config(
        repository_url=course["repository_url"],
        branch=course["branch"],
        assignment_id=course["assignment_id"],
        seed=int(course["seed"]),
        notebooks=dict(raw["notebooks"]),
        data=dict(raw["data"]),
        targets=dict(raw["targets"]),
        grading=grading,
        feedback=feedback,
        late=_late(raw.get("late", {})),
        roster=_roster(raw.get("roster", {})),
        lms=LmsSettings(**raw.get("lms", {})),
    )


def _late(raw: dict) -> LateSettings:
    raw = dict(raw)
    extensions = raw.pop("extensions", {})
    for sid, value in extensions.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"[late.extensions] {sid} = {value!r}: give a due time or a number of days")
    floats = {k: float(v) for k, v in raw.items() if k not in ("due", "timezone")}
    return LateSettings(
        due=str(raw.get("due", "")),
        timezone=str(raw.get("timezone", "UTC")),
        extensions=tuple(sorted(extensions.items())),
        **floats,
    )


def _roster(raw: dict) -> RosterSettings:
    columns = dict(RosterSettings().columns) | {str(k): str(v) for k, v in raw.get("columns", {}).items()}
    unknown = sorted(set(columns) - set(ROSTER_FIELDS))
    if unknown:
        raise ValueError(f"[roster.columns] {', '.join(unknown)}: the fields are {', '.join(ROSTER_FIELDS)}")
    return RosterSettings(path=str(raw.get("path", "")), columns=tuple(columns.items()))
