"""Verdicts: every check in the notebooks ends in lines that say PASS, FAIL or
NOT CHECKED and why, never in a bare AssertionError or a number to judge by eye.

  Result(status, title, message)   one verdict
  show(results, heading)           print verdicts, one block each (and keep them in
                                   PRINTED_VERDICTS, which the self-check reads)
  verdict(ok, title, ...)          print one verdict
  call_student(fn, *args)          run student code: prints silenced, warnings
                                   off, np.random left as it was; an exception
                                   becomes (None, "what went wrong and where")
"""

import collections
import contextlib
import io
import os
import sys
import textwrap
import traceback
import warnings

import numpy as np

PASS, FAIL, UNCHECKED = "PASS", "FAIL", "NOT CHECKED"
Result = collections.namedtuple("Result", ["status", "title", "message"])

_WIDTH = 100  # characters per printed line
_INDENT = " " * 6


def passed(title, message=""):
    return Result(PASS, title, message)


def failed(title, message):
    return Result(FAIL, title, message)


def unchecked(title, message):
    return Result(UNCHECKED, title, message)


def _block(result):
    """One verdict as text: "PASS  title" and the message wrapped under it."""
    head = f"{result.status:<4}  {result.title}"
    if result.status == UNCHECKED:
        head = f"????  {result.title} (not checked)"
    lines = [head]
    for paragraph in str(result.message).splitlines():
        if len(_INDENT + paragraph) <= _WIDTH:  # kept as it is: rows of an array stay aligned
            lines.append(_INDENT + paragraph)
            continue
        lines += textwrap.wrap(
            paragraph,
            _WIDTH,
            initial_indent=_INDENT,
            subsequent_indent=_INDENT,
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(line.rstrip() for line in lines)


# Every verdict the notebook's check cells printed in this session, the latest per
# title (running a cell again replaces its verdicts): the self-check reports those that
# do not say PASS, so it never says "Ready to submit." under a FAIL printed above it.
# The verdicts of check_function and of the self-check itself are not kept: the
# self-check judges those again, on the code as it is when it runs.
PRINTED_VERDICTS: dict = {}  # title -> Result


def show(results, heading=None, brief=False, record=True):
    """Print every result (a heading first when given); True when all passed.
    brief: a passed check is one line, without its message.
    record: keep the verdicts in PRINTED_VERDICTS for the self-check."""
    if heading:
        print(heading)
    for result in results:
        print(_block(result._replace(message="") if brief and result.status == PASS else result))
        if record:
            PRINTED_VERDICTS[result.title] = result
    return all(r.status == PASS for r in results)


def verdict(ok, title, message_if_ok="", message_if_not=""):
    """Print one verdict: PASS with message_if_ok, else FAIL with message_if_not."""
    show([passed(title, message_if_ok) if ok else failed(title, message_if_not or message_if_ok)])


def array_rows(value):
    """An array (or number) as indented text rows, 6 decimals, for "yours" against "expected"."""
    with np.printoptions(precision=6, suppress=True, linewidth=90):
        return "\n".join("    " + line for line in str(np.asarray(value)).splitlines())


def yours_and_expected(got, expected):
    return f"\n  yours:\n{array_rows(got)}\n  expected:\n{array_rows(expected)}"


# ------------------------------------------------------------ student code


def call_student(fn, *args, **kwargs):
    """(value, None) or (None, problem) for fn(*args, **kwargs).

    The student's prints are silenced, numpy warnings (overflow in exp...) are
    not shown (the checks explain what went wrong), and np.random's state is
    restored afterwards so that a check never changes the numbers of the
    notebook's own cells. problem says what went wrong and where, e.g.
    "IndexError: index 3 is out of bounds (softmax_loss_naive, line 9 of the def)".
    """
    state = np.random.get_state()
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs), None
    except NotImplementedError as exc:
        return None, f"not implemented yet ({type(exc).__name__}: {_first_line(exc)})"
    except Exception as exc:  # a student's bug is reported, never raised
        return None, f"{type(exc).__name__}: {_first_line(exc)}{_where(exc)}"
    finally:
        np.random.set_state(state)


def call_as_grader(fn, call, values):
    """call_student(fn, ...) with the arguments of `call`, one of the contract's
    calls: names without "=" passed by position, names with "=" by keyword,
    each taking its value from the dict `values`."""
    positional = [values[name] for name in call if not name.endswith("=")]
    keywords = {name[:-1]: values[name[:-1]] for name in call if name.endswith("=")}
    return call_student(fn, *positional, **keywords)


def not_implemented(problem):
    return problem is not None and problem.startswith("not implemented yet")


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "(no message)"


def _where(exc):
    """ " (name, line N of the def)" for the innermost frame of code written in the
    notebook (not numpy's, not these helpers'), or "" when there is none."""
    for frame, line in reversed(list(traceback.walk_tb(exc.__traceback__))):
        code = frame.f_code
        if not _helper_file(code.co_filename) and not _library_file(code.co_filename):
            return f" ({code.co_name}, line {line - code.co_firstlineno + 1} of the def)"
    return ""


def _helper_file(filename):
    """True for the code of these helpers: their cell in a notebook (their own
    files when they run outside a notebook)."""
    here = _helper_file.__code__.co_filename
    if os.path.basename(here) == "check_report.py":
        return os.path.dirname(filename) == os.path.dirname(here)
    return filename == here


def _library_file(filename):
    return any(part in filename for part in ("site-packages", "dist-packages", sys.prefix + "/lib"))
