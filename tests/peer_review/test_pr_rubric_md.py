"""grading_rubric.md is generated from rubric.toml; a stale file fails here."""

import re

from pr_helpers import FILES, write_solutions

from course.rubric import load_rubric
from peer_review import rubric_md


def test_committed_rubric_matches_rubric_toml_and_solutions():
    refs, _ = rubric_md.reference_answers()
    expected = rubric_md.generate(load_rubric(), refs)
    assert rubric_md.OUTPUT.read_text() == expected, (
        "grading_rubric.md is stale: run `make rubric` and commit the result"
    )


def test_points_in_the_markdown_are_the_rubric_points():
    """An independent read of the generated tables: every item and its points."""
    r = load_rubric()
    text = rubric_md.generate(r, {})
    for item in (*r.auto, *r.peer):
        row = next(line for line in text.splitlines() if line.startswith(f"| `{item.id}` |"))
        assert row.split("|")[4].strip() == f"{item.points:g}"
    for q in r.inline:
        assert re.search(
            rf"^### {re.escape(q.id)} .*\({q.points:g} point; deductions: "
            + ", ".join(f"-{d:g}" for d in q.deductions),
            text,
            flags=re.M,
        )
    assert f"Total: {r.max_raw:g} raw points -> {r.out_of:g}." in text
    example = r.max_raw - 3  # the course's "20 / 23 -> 8.7" with its default rubric
    assert f"{example:g} / {r.max_raw:g} -> {r.rescale(example):g}" in text


def test_reference_answers_are_included_and_missing_ones_are_loud(tmp_path, monkeypatch, capsys):
    sol = write_solutions(tmp_path / "sol")
    refs, missing = rubric_md.reference_answers({p: sol / f for p, f in FILES.items()})
    assert missing == [] and "> Reference answer for 2.3." in rubric_md.generate(load_rubric(), refs)
    refs, missing = rubric_md.reference_answers({"part1": sol / FILES["part1"], "part2": tmp_path / "no.ipynb"})
    assert missing == [f"part2: {tmp_path / 'no.ipynb'} does not exist"]
    monkeypatch.setattr(rubric_md, "OUTPUT", tmp_path / "grading_rubric.md")
    monkeypatch.setattr(rubric_md, "reference_answers", lambda: (refs, missing))
    assert rubric_md.main() == 1
    assert "MISSING REFERENCE ANSWERS" in capsys.readouterr().err
    assert (tmp_path / "grading_rubric.md").read_text().count("MISSING: run `make rubric`") == 3
