"""A wrong configuration of the kit is exit status 2 with one line naming the file and the fix,
never a traceback (issue 9)."""

from pathlib import Path

import pytest

from autograder import cli, reference
from course import rubric as rubric_module
from course.rubric import RUBRIC_PATH


def run(argv, capsys):
    rc = cli.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    return rc, err


def test_rubric_points_that_do_not_add_up(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "rubric.toml"
    max_raw = rubric_module.load_rubric().max_raw
    bad.write_text(RUBRIC_PATH.read_text().replace(f"max_raw = {max_raw:g}", f"max_raw = {max_raw + 1:g}"))
    monkeypatch.setattr(cli, "load_rubric", lambda: rubric_module.load_rubric(bad))
    rc, err = run([str(tmp_path), "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and len(err) == 1, err
    assert str(bad) in err[0] and "max_raw" in err[0] and "Traceback" not in err[0]


def test_missing_solutions(tmp_path, capsys, monkeypatch):
    gone = [tmp_path / "solutions" / "part1.ipynb", tmp_path / "solutions" / "part2.ipynb"]
    monkeypatch.setattr(reference, "solution_notebooks", lambda: gone)
    rc, err = run([str(tmp_path), "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and len(err) == 1, err
    assert str(gone[0]) in err[0] and "solutions/" in err[0]


def test_unknown_feedback_mode(tmp_path, capsys, monkeypatch):
    from course import config

    toml = tmp_path / "course.toml"
    toml.write_text(Path(config.CONFIG_PATH).read_text().replace('feedback = "diagnose"', 'feedback = "verbose"'))
    monkeypatch.setattr(cli, "load_config", lambda: config.load_config.__wrapped__(toml))
    rc, err = run([str(tmp_path), "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and len(err) == 1 and "diagnose, explain" in err[0] and str(toml) in err[0], err


@pytest.mark.parametrize("text, words", [("[course\n", "not valid TOML"), ("[course]\nseed = 1\n", "missing")])
def test_broken_course_toml(tmp_path, text, words):
    from course import config

    toml = tmp_path / "course.toml"
    toml.write_text(text)
    with pytest.raises(config.ConfigError, match=words):
        config.load_config.__wrapped__(toml)
