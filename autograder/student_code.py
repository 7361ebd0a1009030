"""Calling the student's code in a sandbox: every student-side problem becomes a `Fail`.

What a student is told about their own exception is built here from the
grader's templates only: the exception's type when it is a standard one, and
the line of the student's own function where it was raised. The exception's
message is text the student's code chose (it could spell out hidden inputs
or the reference), so it never reaches feedback.
"""

from __future__ import annotations

import builtins
import re

from course.safe_text import printable

from .checks import Fail, NotImplementedFail

# Exception types a student is told by name; any other is "an exception".
KNOWN_EXCEPTIONS = frozenset(
    [name for name, obj in vars(builtins).items() if isinstance(obj, type) and issubclass(obj, BaseException)]
    + ["LinAlgError", "AxisError"]
)
_WHERE = re.compile(r"^(?P<label>.+), line (?P<line>\d{1,6})$")
MAX_LABEL = 60
KIT_LABEL = "the grader's helpers"  # runner.KIT_CHUNK: never named to a student as "their" code
CALLBACK_ERROR = "GraderFunctionError"  # the child's exception for a failed grader callback


def exception_words(exc_type: str) -> str:
    """'ValueError' for a standard exception type, 'an exception' otherwise."""
    return exc_type if exc_type in KNOWN_EXCEPTIONS else "an exception"


def where_words(where: str, lines: dict[str, int]) -> str:
    """' on line 5 of softmax_loss_vectorized' when the child's `where` names one of the
    sandbox's own chunks ({label: its number of lines}) and a line inside it. The child
    may lie (student code can rewrite a code object's line numbers to spell out numbers
    it saw): anything else is dropped, so at most the line count of the student's own
    function can be chosen."""
    match = _WHERE.match(where or "")
    if not match or match["label"] not in lines or match["label"] == KIT_LABEL:
        return ""
    line = int(match["line"])
    if not 1 <= line <= lines[match["label"]]:
        return ""
    return f" on line {line} of {printable(match['label'], MAX_LABEL)}"


class StudentCode:
    """Calls into a sandbox on behalf of the hidden tests.

    `problems` maps a contract name or "Class.method" to (why it cannot be
    called as the grader calls it: not defined, wrong signature, failed to
    load; how to fix it): a test calling it fails with that reason, and only
    that test, so a wrong method costs that method's checks only."""

    def __init__(self, sandbox, problems: dict[str, tuple[str, str]] | None = None):
        self._sandbox = sandbox  # a sandbox, or a callable returning it (opened lazily, on first use)
        self.problems = dict(problems or {})

    @property
    def sb(self):
        return self._sandbox() if callable(self._sandbox) else self._sandbox

    def _check_callable(self, *names: str) -> None:
        for name in names:
            if name in self.problems:
                raise Fail(*self.problems[name])

    def _guard(self, what: str, thunk):
        from autograder.sandbox import BadOutput, StudentCrash, StudentError, StudentException, StudentTimeout

        try:
            return thunk()
        except StudentException as exc:
            if exc.exc_type == "NotImplementedError":
                raise NotImplementedFail(f"{what} is not implemented yet (it raises NotImplementedError)") from None
            if exc.exc_type == CALLBACK_ERROR:
                raise Fail(
                    f"{what} called one of the course's functions (a layer, or self.loss while the grader "
                    f"runs train) with arguments it cannot use",
                    "check the shapes and types of what you pass to it",
                ) from None
            lines = {c.label: c.source.count("\n") + 1 for c in getattr(self.sb, "chunks", [])}
            raise Fail(
                f"{what} raised {exception_words(exc.exc_type)}{where_words(exc.where, lines)}",
                "run it on a small input in the notebook to see the error",
            ) from None
        except StudentTimeout:
            raise Fail(f"{what} did not finish in time", "look for an endless loop or much slower code") from None
        except StudentCrash:
            raise Fail(
                f"the process running {what} stopped (it used too much memory or CPU time, printed too much, or exited)"
            ) from None
        except BadOutput:
            raise Fail(f"{what} returned something that is not numbers, arrays, tuples, lists or dicts") from None
        except StudentError:
            raise Fail(f"{what} failed in the sandbox") from None

    # ---------------------------------------------------------------- calls

    def call(self, name, *args, **kwargs):
        self._check_callable(name)
        return self._guard(name, lambda: self.sb.call(name, *args, **kwargs))

    def kit(self, name, *args, what: str = "the grader's set-up of your object", **kwargs):
        """Call one of the kit's own helpers loaded into the sandbox (reference_calls.KIT_SOURCE);
        `what` names, in a failure, the student's code the helper runs."""
        return self._guard(what, lambda: self.sb.call(name, *args, **kwargs))

    def new(self, cls, *args, **kwargs):
        self._check_callable(cls, f"{cls}.__init__")
        return self._guard(f"{cls}(...)", lambda: self.sb.new(cls, *args, **kwargs))

    def bare(self, cls):
        """An instance of `cls` made without running its __init__, so that a test of
        one method does not depend on the student's constructor."""
        self._check_callable(cls)
        return self.kit("__kit_bare", cls)

    def method(self, handle, qualname, *args, **kwargs):
        self._check_callable(qualname.split(".")[0], qualname)
        return self._guard(qualname, lambda: self.sb.method(handle, qualname.rsplit(".", 1)[-1], *args, **kwargs))

    def getattr(self, handle, qualname):
        return self._guard(qualname, lambda: self.sb.getattr(handle, qualname.rsplit(".", 1)[-1]))

    def setattr(self, handle, qualname, value):
        return self._guard(qualname, lambda: self.sb.setattr(handle, qualname.rsplit(".", 1)[-1], value))

    def store(self, array):
        """Keep an array in the child (a Handle to pass as an argument)."""
        return self._guard("storing the test data", lambda: self.sb.store(array))

    def cpu_seconds(self) -> float:
        """CPU time of the whole sandbox so far, measured from outside it (student code cannot change it)."""
        return self.sb.cpu_seconds()

    def seed(self, value: int):
        return self._guard("seeding numpy", lambda: self.sb.seed(value))
