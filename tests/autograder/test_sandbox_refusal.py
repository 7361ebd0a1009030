"""As root with neither namespaces nor Landlock, a child that stays root could read and
change every hand-in and stop the grader: the sandbox refuses to start it, and
`autograde` exits 2 saying why, unless told it grades one hand-in on a throwaway machine."""

import os

import pytest

from autograder.extract import Chunk
from autograder.sandbox import Policy, Sandbox, SandboxError
from autograder.sandbox.runtime import ALLOW_UNCONFINED_ROOT, UNCONFINED_ROOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the refusal concerns a grader running as root")
CODE = [Chunk("f", "def f(x):\n    return x\n")]


def test_an_unconfined_root_child_is_refused(monkeypatch):
    monkeypatch.delenv(ALLOW_UNCONFINED_ROOT, raising=False)
    with pytest.raises(SandboxError, match="refusing to run student code as root"):
        with Sandbox(CODE, policy=Policy.named("basic")) as sb:
            sb.call("f", 1)


def test_a_throwaway_machine_may_allow_it(monkeypatch):
    monkeypatch.setenv(ALLOW_UNCONFINED_ROOT, "1")
    with Sandbox(CODE, policy=Policy.named("basic")) as sb:
        assert sb.call("f", 2) == 2
    with Sandbox(CODE, policy=Policy(namespaces=False, landlock=False, allow_unconfined_root=True)) as sb:
        assert sb.call("f", 3) == 3
    assert ALLOW_UNCONFINED_ROOT in UNCONFINED_ROOT


def test_autograde_exits_2_before_any_student_code_runs(tmp_path, monkeypatch, capsys):
    import sys

    from variants import make_submission

    from autograder import cli

    monkeypatch.delenv(ALLOW_UNCONFINED_ROOT, raising=False)
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parent))
    monkeypatch.setenv("PYTHONPATH", ":".join(sys.path))
    make_submission(tmp_path / "subs", "someone")
    rc = cli.main(
        [str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--jobs", "1", "--grader", "basic_mode_grader:grade"]
    )
    assert rc == 2 and "refusing to run student code as root" in capsys.readouterr().err
    assert not (tmp_path / "out" / "grades.csv").exists()
