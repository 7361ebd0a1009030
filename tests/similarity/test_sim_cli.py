"""`autograde similarity` end to end, on real notebooks, hostile folders included."""

import csv
import os
from pathlib import Path

import pytest
from sim_helpers import (
    ANSWERS,
    TWO_LAYER_NET_STARTER,
    rename_assigned,
    reorder_independent,
    style,
    write_release,
    write_submission,
)
from sim_implementations import DISGUISED_A

from autograder.notebook_io import MAX_NOTEBOOK_BYTES
from autograder.similarity.cli import main


def rows(out: Path, name: str = "pairs.csv") -> list[dict]:
    with open(out / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def score(out: Path, a: str, b: str) -> float:
    found = [float(r["code_score"]) for r in rows(out) if {r["student_a"], r["student_b"]} == {a, b}]
    return found[0] if found else 0.0


def run(subs: Path, out: Path, release: Path, *extra) -> int:
    return main([str(subs), "--out", str(out), "--release", str(release), "--jobs", "1", *extra])


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """3 honest students writing differently, and 2 disguised copies."""
    root = tmp_path_factory.mktemp("planted")
    subs = root / "subs"
    for i in range(3):
        write_submission(subs / f"honest{i}", style(i), {q: a[i] for q, a in ANSWERS.items()})
    copy_a = {name: rename_assigned(code, "_x") for name, code in style(0).items()} | DISGUISED_A
    write_submission(subs / "copier_a", copy_a, {"1.1": ANSWERS["1.1"][0].replace("tiny", "very small")})
    copy_b = {name: reorder_independent(rename_assigned(code)) for name, code in style(1).items()}
    write_submission(subs / "copier_b", copy_b, {"2.1": ANSWERS["2.1"][2]})
    release = write_release(root / "release")
    assert run(subs, root / "out", release) == 0
    return root / "out"


def test_planted_copies_rank_above_independent_solutions(planted):
    ranked = rows(planted)
    top_two = [{r["student_a"], r["student_b"]} for r in ranked[:2]]
    assert {"copier_a", "honest0"} in top_two and {"copier_b", "honest1"} in top_two
    copies = [float(r["code_score"]) for r in ranked[:2]]
    others = [float(r["code_score"]) for r in ranked[2:]]
    assert min(copies) > 0.95 and max(others, default=0) < 0.5, (copies, others)
    assert [r["flagged"] for r in ranked[:2]] == ["yes", "yes"] and not any(r["flagged"] for r in ranked[2:])


def test_every_flagged_pair_is_shown_side_by_side(planted, tmp_path):
    html = (planted / "report.html").read_text()
    for r in rows(planted):
        if r["flagged"]:
            assert f'id="pair-{r["rank"]}"' in html
    # and beyond --top: with --top 0 only the flagged ones are shown
    subs = planted.parent / "subs"
    assert run(subs, tmp_path / "out", planted.parent / "release", "--top", "0") == 0
    shown = (tmp_path / "out" / "report.html").read_text().count('<div class="pair"')
    assert shown == sum(1 for r in rows(tmp_path / "out") if r["flagged"]) == 2


def test_copied_inline_answer_is_found_separately(planted):
    assert [
        float(r["answers_score"]) for r in rows(planted) if {r["student_a"], r["student_b"]} == {"copier_a", "honest0"}
    ][0] > 0.8
    assert [
        float(r["answers_score"]) for r in rows(planted) if {r["student_a"], r["student_b"]} == {"copier_b", "honest2"}
    ][0] == 1.0


def test_report_html_csv_and_histogram_are_written(planted):
    html = (planted / "report.html").read_text()
    assert "copier_a" in html and 'class="match"' in html and "data:image/png;base64," in html
    assert "softmax_loss_vectorized" in html and "W + K - 1" in html and "Own code that matches" in html
    assert (planted / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = (planted / "pairs.csv").read_text().splitlines()[0].split(",")
    assert header[:6] == ["rank", "student_a", "student_b", "code_score", "answers_score", "flagged"]
    assert "softmax_loss_naive" in header and "answer 1.1" in header


def test_identical_starter_code_does_not_raise_scores(tmp_path, release):
    for sid, i in (("a", 0), ("b", 1)):
        write_submission(tmp_path / "plain" / sid, style(i))
        # the same code plus the release's untouched TwoLayerNet (regions still `raise NotImplementedError`)
        write_submission(tmp_path / "starter" / sid, style(i), extra_code=TWO_LAYER_NET_STARTER)
    assert run(tmp_path / "plain", tmp_path / "out_plain", release) == 0
    assert run(tmp_path / "starter", tmp_path / "out_starter", release) == 0
    plain, with_starter = score(tmp_path / "out_plain", "a", "b"), score(tmp_path / "out_starter", "a", "b")
    assert with_starter == plain < 0.5
    # the check can fail: without the release, the untouched regions do count
    (tmp_path / "empty_release").mkdir()
    assert run(tmp_path / "starter", tmp_path / "out_none", tmp_path / "empty_release") == 0
    assert score(tmp_path / "out_none", "a", "b") > with_starter


def test_class_of_one(tmp_path, release, capsys):
    write_submission(tmp_path / "subs" / "alone", style(0))
    assert run(tmp_path / "subs", tmp_path / "out", release) == 0
    assert "nothing to compare" in capsys.readouterr().out
    assert rows(tmp_path / "out") == [] and (tmp_path / "out" / "histogram.png").exists()
    assert "nothing to compare" in (tmp_path / "out" / "report.html").read_text()


def test_class_of_two(tmp_path, release, capsys):
    write_submission(tmp_path / "subs" / "one", style(0))
    write_submission(tmp_path / "subs" / "two", style(2))
    assert run(tmp_path / "subs", tmp_path / "out", release) == 0
    assert "Only 2 submissions" in capsys.readouterr().out
    assert len(rows(tmp_path / "out")) <= 1


def test_six_or_more_identical_hand_ins_are_one_group(tmp_path, release):
    subs = tmp_path / "subs"
    write_submission(subs / "honest0", style(0))
    write_submission(subs / "honest2", style(2))
    for i in range(7):  # the same solution passed around seven students (some renamed it)
        code = style(1) if i % 2 else {k: rename_assigned(v, f"_{i}") for k, v in style(1).items()}
        write_submission(subs / f"ring{i}", code)
    assert run(subs, tmp_path / "out", release) == 0
    members = rows(tmp_path / "out", "groups.csv")
    assert sorted(m["student"] for m in members) == [f"ring{i}" for i in range(7)]
    assert {m["size"] for m in members} == {"7"} and all(
        float(m["code_score_vs_representative"] or 1) == 1.0 for m in members
    )
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Groups of near-identical hand-ins (1)" in html
    assert html.count("Same group of near-identical hand-ins (G1)") == 1  # one member shown for the group


def test_unreadable_notebooks_are_reported_and_the_rest_compared(tmp_path, release, capsys):
    subs = tmp_path / "subs"
    write_submission(subs / "good", style(0))
    write_submission(subs / "copy", style(0))
    (subs / "copy" / "part3_extra.ipynb").write_text("{ not json")  # the good part1/part2 still count
    (subs / "broken").mkdir()
    (subs / "broken" / "part1_linear_softmax.ipynb").write_text("")
    (subs / "empty").mkdir()
    assert run(subs, tmp_path / "out", release) == 0
    err = capsys.readouterr().err
    assert "part3_extra.ipynb: not a notebook" in err and "broken: part1_linear_softmax.ipynb: the file is empty" in err
    assert "empty: no notebook that could be read safely" in err
    assert score(tmp_path / "out", "good", "copy") == 1.0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Skipped or not compared" in html and "the file is empty" in html


def test_fifos_symlinks_and_huge_notebooks_are_listed_and_never_read(tmp_path, release, capsys):
    subs = tmp_path / "subs"
    write_submission(subs / "good", style(0))
    write_submission(subs / "copy", style(0))
    secret = tmp_path / "outside" / "part1_linear_softmax.ipynb"
    write_submission(secret.parent, style(2))  # another student's work outside SUBMISSIONS
    os.mkfifo(subs / "good" / "part9_fifo.ipynb")  # opening it would block for ever
    (subs / "eve").mkdir()
    os.symlink(secret, subs / "eve" / "part1_linear_softmax.ipynb")
    os.symlink(secret.parent, subs / "mallory")  # a whole student folder that is a link
    (subs / "huge").mkdir()
    with open(subs / "huge" / "part1_linear_softmax.ipynb", "wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES + 1)  # sparse: no disk used
    assert run(subs, tmp_path / "out", release, "--time-limit", "120") == 0
    html = (tmp_path / "out" / "report.html").read_text()
    for path, why in (
        ("good/part9_fifo.ipynb", "a FIFO"),
        ("eve/part1_linear_softmax.ipynb", "a symbolic link"),
        ("mallory", "a symbolic link"),
        ("huge/part1_linear_softmax.ipynb", "above the 50 MiB"),
    ):
        assert path in html and why in html, path
    assert score(tmp_path / "out", "good", "copy") == 1.0
    compared = {r["student_a"] for r in rows(tmp_path / "out")} | {r["student_b"] for r in rows(tmp_path / "out")}
    assert not compared & {"eve", "mallory", "huge"}  # nothing behind a link or over the cap was read


def test_the_time_limit_ends_reading_and_says_what_was_left(tmp_path, release, capsys):
    for i in range(3):
        write_submission(tmp_path / "subs" / f"s{i}", style(i))
    assert run(tmp_path / "subs", tmp_path / "out", release, "--time-limit", "0") == 0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "time limit" in html and html.count("not read: the time limit") == 3
    assert "time limit" in capsys.readouterr().out


def test_ids_cannot_start_a_spreadsheet_formula(tmp_path, release):
    subs = tmp_path / "subs"
    for i, sid in enumerate(['=HYPERLINK("x")', "+cmd", "@SUM(A1)", "-2+3"]):
        write_submission(subs / sid, style(i % 2))
    assert run(subs, tmp_path / "out", release) == 0
    text = (tmp_path / "out" / "pairs.csv").read_text()
    ids = {r["student_a"] for r in rows(tmp_path / "out")} | {r["student_b"] for r in rows(tmp_path / "out")}
    assert ids == {'\'=HYPERLINK("x")', "'+cmd", "'@SUM(A1)", "'-2+3"}
    assert not any(cell.startswith(("=", "+", "@", "-")) for line in text.splitlines() for cell in line.split(","))


def test_nbgrader_layout(tmp_path, release):
    submitted = tmp_path / "course" / "submitted"
    write_submission(submitted / "s1" / "nn_from_scratch", style(0))
    write_submission(submitted / "s2" / "nn_from_scratch", style(0))
    assert run(tmp_path / "course", tmp_path / "out", release) == 0
    assert score(tmp_path / "out", "s1", "s2") == 1.0


def test_missing_folders_are_clear_errors(tmp_path, capsys):
    assert main([str(tmp_path / "nope"), "--out", str(tmp_path / "out")]) == 2
    assert "nope does not exist" in capsys.readouterr().err
    write_submission(tmp_path / "subs" / "s1", style(0))
    assert run(tmp_path / "subs", tmp_path / "out", tmp_path / "typo") == 2
    assert "--release" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_dispatched_by_the_autograde_command(tmp_path, release):
    from autograder.cli import main as autograde

    write_submission(tmp_path / "subs" / "s1", style(0))
    write_submission(tmp_path / "subs" / "s2", style(1))
    assert (
        autograde(
            [
                "similarity",
                str(tmp_path / "subs"),
                "--out",
                str(tmp_path / "out"),
                "--release",
                str(release),
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    assert (tmp_path / "out" / "report.html").exists()
