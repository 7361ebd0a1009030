"""grades.csv, results.json (Gradescope schema), feedback.md, atomic writes."""

from __future__ import annotations

import json
import os
import re

import pytest
from pipeline_helpers import gradescope_problems

from autograder import report
from autograder import results as R
from autograder.results import FAILED, NOT_GRADABLE, PASSED, ItemResult, SubmissionResult
from course.rubric import load_rubric

AUTO = load_rubric().auto


def result(status="ok", **overrides) -> SubmissionResult:
    """Full marks, except items given as id -> (points, status, feedback, tests)."""
    items = {}
    for a in AUTO:
        pts, st, fb, tests = overrides.get(a.id, (a.points, PASSED, [], []))
        items[a.id] = ItemResult(a.id, a.title, pts, a.points, st, fb, tests)
    return SubmissionResult(
        student_id="s1", status=R.Status.parse(status), items=items, notebooks=["/x/part1.ipynb"], duration_s=2.4
    )


def test_scrub_keeps_actionable_messages_and_drops_arrays():
    ok = "dW: relative error 3e-2, largest at W[3,1]; check the regularization term"
    assert report.scrub(ok) == ok
    for leak in (
        "expected [0.1 0.2 0.3 0.4]",
        "got (1, 2, 3, 4, 5)",
        "array([1.5e-3, 2., 3., 4.])",
        "def test_secret():\n    assert x == 1",
        "assert loss == 2.3",
    ):
        assert report.scrub(leak) == report.HIDDEN_CHECK, leak
    assert "\n" not in report.scrub("two\nlines")
    assert len(report.scrub("x" * 5000)) <= report.MAX_LINE


def test_fmt_is_what_a_person_writes():
    assert [report.fmt(x) for x in (2.0, 1.25, 0.0, 1 / 3)] == ["2", "1.25", "0", "0.333"]


def test_grades_csv_columns_follow_the_rubric_and_missing_items_score_zero():
    r = result()
    del r.items[AUTO[0].id]
    header, *rows = report.grades_csv([r]).splitlines()
    assert header.split(",") == ["student_id", *(a.id for a in AUTO), "total", "max_total", "status"]
    cells = rows[0].split(",")
    assert cells[1] == "0"
    assert float(cells[-3]) == load_rubric().auto_max - AUTO[0].points
    assert float(cells[-2]) == load_rubric().auto_max


def test_results_json_is_valid_gradescope_and_sums_up():
    bad = AUTO[1]
    doc = report.gradescope_results(result(**{bad.id: (0.5, FAILED, ["dW: relative error 3e-2"], [])}))
    assert gradescope_problems(doc) == []
    assert doc["score"] == load_rubric().auto_max - bad.points + 0.5
    assert [t["extra_data"]["item"] for t in doc["tests"]] == [a.id for a in AUTO]
    failed = [t for t in doc["tests"] if t["status"] == "failed"]
    assert [t["output"] for t in failed] == ["dW: relative error 3e-2"]
    json.dumps(doc)  # plain JSON


def test_feedback_separates_wrong_from_not_gradable_and_hides_hidden_checks():
    a, b, c = AUTO[0], AUTO[1], AUTO[4]
    hidden = R.TestOutcome("test_secret", b.id, 1, False, "expected loss 2.302585 for the hidden batch", visible=False)
    md = report.feedback_markdown(
        result(
            "partial: part 2 does not parse",
            **{
                a.id: (1.0, FAILED, ["dW: relative error 3e-2, largest at W[3,1]; check the regularization term"], []),
                b.id: (0.0, FAILED, [], [hidden]),
                c.id: (0.0, NOT_GRADABLE, ["affine_forward is not defined in any code cell"], []),
            },
        )
    )
    fix, _, not_graded = md.partition("## Could not be graded")
    assert r"largest at W\[3,1\]" in fix and report.HIDDEN_CHECK in fix  # markup escaped
    assert "2.302585" not in md and "test_secret" not in md
    assert "affine_forward is not defined" in not_graded and "affine_forward is not defined" not in fix
    assert "part 2 does not parse" in md


def test_feedback_says_a_whole_submission_reason_once():
    r = SubmissionResult(student_id="s2", status=R.Status.parse("not_gradable: no .ipynb found in subs/s2"))
    md = report.feedback_markdown(r)
    assert md.count("no .ipynb found") == 2  # the status line and one section, not once per item
    assert "Nothing could be graded" in md


def test_write_atomic_leaves_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    report.write_atomic(target, "old\n")
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)

    def boom(src, dst):
        raise KeyboardInterrupt  # the run is killed between writing and renaming

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        report.write_atomic(target, "new, half written")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]  # no temp file left behind


def test_summary_and_table_name_the_problems():
    ng = SubmissionResult(student_id="zed", status=R.Status.parse("not_gradable: no .ipynb found in subs/zed"))
    err = SubmissionResult(student_id="yan", status=R.Status.parse("error: grader raised RuntimeError: boom"))
    text = report.summary_text([result(), ng, err])
    assert "Graded 1 of 3" in text and "zed: no .ipynb found" in text and "yan: grader raised" in text
    assert "min 0" in text and f"max {report.fmt(load_rubric().auto_max)}" in text
    table = report.gradebook_table([result(), ng])
    assert "zed" in table and "columns: 1=" + AUTO[0].id in table


def test_feedback_mode_diagnose_never_shows_the_fix_and_explain_does():
    a = AUTO[0]
    item = R.ItemResult(
        a.id,
        a.title,
        1.0,
        a.points,
        FAILED,
        feedback=["dW: relative error 3e-01, largest at dW[2, 1] with reg=0.5 (N=8, C=4)"],
        fixes=["check the gradient of the regularization term (2 * reg * W)"],
    )
    diagnose = report.item_lines(item, "diagnose")
    explain = report.item_lines(item, "explain")
    assert diagnose == ["dW: relative error 3e-01, largest at dW[2, 1] with reg=0.5 (N=8, C=4)"]
    assert explain == [diagnose[0] + "; check the gradient of the regularization term (2 * reg * W)"]
    r = SubmissionResult(student_id="s", status=R.Status.parse("ok"), items={a.id: item})
    assert report.feedback_mode() == "diagnose"  # the course default
    assert "regularization term" not in report.feedback_markdown(r)


def test_student_text_in_feedback_cannot_add_markup_or_lines():
    hostile = "x\n# Score: 15 / 15\n<script>alert(1)</script>[click](javascript:alert(1))"
    r = SubmissionResult(student_id="evil\n# Score: 15", status=R.Status("ok"), notebooks=[hostile + ".ipynb"])
    r.notices = [hostile]
    md = report.feedback_markdown(r)
    assert "<script>" not in md and not re.search(r"(?<!\\)\]\(", md)  # brackets escaped: no link
    assert not any(line.startswith("# Score") for line in md.splitlines())
    doc = report.gradescope_results(r)
    assert doc["output_format"] == "text" and "\n# Score" not in doc["extra_data"]["student_id"]


def test_feedback_rendered_by_githubs_markdown_has_no_link_or_markup_from_student_text():
    import cmarkgfm
    from cmarkgfm.cmark import Options

    hostile = (
        "www.evil-phish.example _x_ ~~y~~ a@b.co http://evil.example <img src=x onerror=alert(1)> [l](javascript:1)"
    )
    r = SubmissionResult(
        student_id=hostile, status=R.Status(R.Status.NOT_GRADABLE, hostile), notebooks=[hostile + ".ipynb"]
    )
    r.notices = [hostile]
    html = cmarkgfm.github_flavored_markdown_to_html(report.feedback_markdown(r), options=Options.CMARK_OPT_UNSAFE)
    for tag in ("<a ", "<em>", "<del>", "<img", "<script"):
        assert tag not in html, tag
