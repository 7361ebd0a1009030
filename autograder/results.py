"""What grading one submission produces; shared by the runner and the reports.

Plain dataclasses, no behaviour beyond sums (and `placeholder_result`, the row
of a submission the tests never ran on), so the runner (which fills them) and
cli/report code (which writes grades.csv, results.json, feedback.md) can be
built and tested apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from course.rubric import load_rubric

# Item statuses
PASSED, PARTIAL, FAILED, NOT_GRADABLE = "passed", "partial", "failed", "not_gradable"

# What a student is told for a failed check whose message is not shown
# (TestOutcome.visible False, or a message that would leak; see report.scrub).
HIDDEN_CHECK = "a hidden check failed (details are not shown for this check)"


# Test kinds (the `kind` of @pytest.mark.graded): a "value" test compares the
# student's results with the course's; a "structure" test checks a property
# that garbage can also have (no loops, shapes, inputs unchanged, agreement
# with its own numerical gradient, speed). Structure earns points only on an
# item some of whose values are right (with a `group`, values of that group:
# "loss", "forward"...), and only when every item it `needs` has right values
# too (runner.score_item).
VALUE, STRUCTURE = "value", "structure"


@dataclass
class TestOutcome:
    """One hidden test's verdict. `message` (what is wrong) and `fix` (how to
    fix it, shown in the "explain" feedback mode) are written for the student
    and never contain test source, expected arrays or text from student code."""

    name: str
    item: str
    weight: float
    passed: bool
    message: str = ""
    visible: bool = True  # False: counted, but feedback says only that a hidden check failed
    fix: str = ""
    kind: str = VALUE
    needs: tuple[str, ...] = ()  # items whose values must be right for this test to count
    group: str = ""  # what part of the item it is about ("loss", "forward", ...)
    not_implemented: bool = False  # failed because the release's stub is still there


@dataclass
class ItemResult:
    """One rubric item (a grades.csv column)."""

    id: str
    title: str
    points: float
    max_points: float
    status: str  # PASSED / PARTIAL / FAILED / NOT_GRADABLE
    feedback: list[str] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)  # how to fix feedback[i] ("" when none); "explain" mode


@dataclass(frozen=True)
class Status:
    """A submission's status, turned into text ("partial: 1 item(s) not gradable (p2_affine)")
    only where it is written (grades.csv, logs, feedback); parsed back with `Status.parse`.

      ok            every item was graded (whatever the score)
      partial       some items could not be graded (reason says which and why)
      not_gradable  nothing could be graded (no notebook, unreadable...)
      error         the grader failed on this submission (a bug of ours; logged)
    """

    kind: str
    reason: str = ""
    OK: ClassVar[str] = "ok"
    PARTIAL: ClassVar[str] = "partial"
    NOT_GRADABLE: ClassVar[str] = "not_gradable"
    ERROR: ClassVar[str] = "error"
    KINDS: ClassVar[tuple[str, ...]] = (OK, PARTIAL, NOT_GRADABLE, ERROR)

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ValueError(f"status kind {self.kind!r} is not one of {', '.join(self.KINDS)}")

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}" if self.reason else self.kind

    @property
    def graded(self) -> bool:
        """Some or all items were graded."""
        return self.kind in (self.OK, self.PARTIAL)

    @classmethod
    def parse(cls, text: str) -> Status:
        """The inverse of str(): 'not_gradable: no .ipynb found' -> Status('not_gradable', 'no ...')."""
        kind, _, reason = str(text).partition(": ")
        return cls(kind.strip(), reason)


@dataclass
class SubmissionResult:
    student_id: str
    status: Status
    items: dict[str, ItemResult] = field(default_factory=dict)
    notebooks: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    log: list[str] = field(default_factory=list)  # instructor-facing notes (isolation level, restarts...)
    # student-facing notes on what was handed in but not graded, and why: which of two
    # copies of a part was graded, links and pipes not read, a .py instead of a notebook,
    # a loose file named for this student (discover.Submission.notices; one line each)
    notices: list[str] = field(default_factory=list)
    # where duration_s went, in seconds: "hidden_tests" (test bodies and fixtures, the
    # student's code included, sandbox start-ups excluded), "sandbox_start" (time spent
    # waiting for sandboxes), "overhead" (everything but hidden_tests: the grader's own cost),
    # "test_bodies" (hidden test functions only, fixtures such as training excluded)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(i.points for i in self.items.values()), 4)

    @property
    def max_total(self) -> float:
        return round(sum(i.max_points for i in self.items.values()), 4)


def placeholder_result(student_id: str, status: Status, reason: str, notebooks=(), duration_s=0.0) -> SubmissionResult:
    """A row for a submission the tests never ran on: every rubric item 0 and not gradable."""
    items = {a.id: ItemResult(a.id, a.title, 0.0, a.points, NOT_GRADABLE, [reason]) for a in load_rubric().auto}
    return SubmissionResult(
        status=status, student_id=student_id, items=items, notebooks=[str(p) for p in notebooks], duration_s=duration_s
    )
