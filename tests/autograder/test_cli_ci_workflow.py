"""The instructors' example GitHub Actions workflow (autograder/ci/grade.yml) is well formed
and calls `autograde` the way the CLI accepts."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from autograder import cli

WORKFLOW = Path(cli.__file__).with_name("ci") / "grade.yml"


def load():
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(job):
    return {s.get("name", s.get("uses")): s for s in job["steps"]}


def test_workflow_is_valid_yaml_with_the_expected_jobs():
    doc = load()
    assert "workflow_dispatch" in doc["on"]
    assert set(doc["jobs"]) == {"grade", "merge"}
    assert doc["jobs"]["merge"]["needs"] == "grade"
    for job in doc["jobs"].values():
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step  # each step does exactly one thing


def test_matrix_covers_every_shard_once():
    doc = load()
    shards = doc["jobs"]["grade"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(doc["env"]["SHARDS"]) + 1))
    assert doc["jobs"]["grade"]["strategy"]["fail-fast"] is False


def test_private_checkout_uses_the_secret_and_does_not_keep_it():
    grade = steps(load()["jobs"]["grade"])
    private = next(s for name, s in grade.items() if "private" in name.lower() and "uses" in s)
    assert private["with"]["token"] == "${{ secrets.HIDDEN_TESTS_TOKEN }}"
    assert private["with"]["persist-credentials"] is False
    assert all("secrets." not in s.get("run", "") for s in grade.values())  # never on a command line


def _autograde_argv(run: str, **values) -> list[str]:
    text = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m.group(1)], " ".join(run.split()))
    argv = shlex.split(text)
    return argv[argv.index(next(a for a in argv if a.endswith("autograde"))) + 1:]


def test_grade_and_merge_commands_parse_with_the_real_cli():
    doc = load()
    calls = lambda job: [s for s in doc["jobs"][job]["steps"] if re.search(r"autograde\s", s.get("run", ""))]
    [grade] = calls("grade")
    argv = _autograde_argv(grade["run"], **{"inputs.submissions": "submissions", "matrix.shard": "3",
                                            "env.SHARDS": doc["env"]["SHARDS"].__str__()})
    args = cli._grade_parser().parse_args(argv)
    assert args.shard == (3, int(doc["env"]["SHARDS"])) and args.jobs == 2
    [merge] = calls("merge")
    margv = _autograde_argv(merge["run"])
    assert margv[0] == "merge" and cli._merge_parser().parse_args(margv[1:]).out == Path("gradebook")
    uploads = [s for s in doc["jobs"]["merge"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert uploads and uploads[-1]["with"]["path"] == "gradebook"
