"""LMS bulk downloads and nbgrader's timestamps: one student each, whatever they named their
files; the LMS's late markers and times kept; a roster maps LMS ids to student ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pipeline_helpers import PART1, PART2, notebook

from autograder.discover import discover
from autograder.platforms.roster import Roster, RosterError, Student, read_roster

NO_ROSTER = Roster((Student("nobody"),))  # a roster that maps no LMS id (not course.toml's)


def by_id(root, roster=NO_ROSTER):
    return {s.student_id: s for s in discover(root, roster=roster)}


def names(sub):
    return sorted(Path(p).name for p in sub.notebooks)


def test_canvas_two_loose_files_of_one_student_are_one_hand_in(tmp_path):
    notebook(tmp_path / "smithjohn_1234_9001_homework.ipynb", PART1)
    notebook(tmp_path / "smithjohn_1234_9002_my net.ipynb", PART2)
    notebook(tmp_path / "doejane_LATE_5678_9003_part1_linear_softmax.ipynb", PART1)
    found = by_id(tmp_path)
    assert sorted(found) == ["doejane", "smithjohn"]
    john = found["smithjohn"]
    assert names(john) == ["smithjohn_1234_9001_homework.ipynb", "smithjohn_1234_9002_my net.ipynb"]
    assert (john.info.source, john.info.lms_id, john.info.late_marker) == ("canvas", "1234", False)
    assert found["doejane"].info.late_marker and found["doejane"].info.lms_id == "5678"


def test_canvas_namesakes_stay_two_students(tmp_path):
    notebook(tmp_path / "leeann_11_1_a.ipynb", PART1)
    notebook(tmp_path / "leeann_22_2_b.ipynb", PART1)
    found = by_id(tmp_path)
    assert sorted(found) == ["leeann", "leeann~2"]
    assert {s.info.lms_id for s in found.values()} == {"11", "22"}


def test_moodle_folders_and_files(tmp_path):
    notebook(tmp_path / "Jane Doe_4567_assignsubmission_file_" / "whatever.ipynb", PART1, PART2)
    (tmp_path / "Jane Doe_4567_assignsubmission_onlinetext_").mkdir()
    (tmp_path / "Jane Doe_4567_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>hi</p>")
    notebook(tmp_path / "Max Roe_890_assignsubmission_file_part2_two_layer_net.ipynb", PART2)
    found = by_id(tmp_path)
    assert sorted(found) == ["Jane Doe", "Max Roe"]
    assert found["Jane Doe"].info.lms_id == "4567" and names(found["Jane Doe"]) == ["whatever.ipynb"]
    assert found["Max Roe"].info.source == "moodle"


def test_blackboard_latest_attempt_graded_with_its_time(tmp_path):
    old = tmp_path / "HW3_jdoe_attempt_2026-12-01-10-00-00_part1_linear_softmax.ipynb"
    notebook(old, PART1)
    notebook(tmp_path / "HW3_jdoe_attempt_2026-12-02-09-30-00_part1_linear_softmax.ipynb", PART1, "z = 3")
    (tmp_path / "HW3_jdoe_attempt_2026-12-02-09-30-00.txt").write_text("Name: J Doe (jdoe)\n")
    [sub] = by_id(tmp_path).values()
    assert sub.student_id == "jdoe" and len(sub.notebooks) == 1 and "2026-12-02" in sub.notebooks[0].name
    assert sub.info.submitted_at.startswith("2026-12-02T09:30:00")
    assert any("2 attempts found" in n and old.name in n for n in sub.notices)


def test_nbgrader_timestamp_is_the_hand_in_time(tmp_path):
    folder = tmp_path / "submitted" / "alice" / "nn_from_scratch"
    notebook(folder / "part1_linear_softmax.ipynb", PART1)
    (folder / "timestamp.txt").write_text("2026-12-01 23:59:30.123456 UTC")
    notebook(tmp_path / "submitted" / "bob" / "nn_from_scratch" / "part1_linear_softmax.ipynb", PART1)
    bad = tmp_path / "submitted" / "carol" / "nn_from_scratch"
    notebook(bad / "part1_linear_softmax.ipynb", PART1)
    (bad / "timestamp.txt").write_text("yesterday-ish\x1b[2J")
    found = by_id(tmp_path)
    assert found["alice"].info.submitted_at == "2026-12-01T23:59:30.123456+00:00"
    assert found["bob"].info.source == "nbgrader" and found["bob"].info.submitted_at == ""
    assert found["carol"].info.submitted_at == "" and any("not a time" in line for line in found["carol"].log)


def test_a_linked_timestamp_is_not_followed(tmp_path):
    folder = tmp_path / "submitted" / "alice" / "nn_from_scratch"
    notebook(folder / "part1_linear_softmax.ipynb", PART1)
    secret = tmp_path / "secret.txt"
    secret.write_text("2020-01-01 00:00:00 UTC")
    os.symlink(secret, folder / "timestamp.txt")
    [sub] = discover(tmp_path, roster=NO_ROSTER)
    assert sub.info.submitted_at == "" and any("not read" in line for line in sub.log)


def test_a_roster_maps_lms_ids_to_student_ids(tmp_path):
    notebook(tmp_path / "subs" / "smithjohn_1234_9001_homework.ipynb", PART1)
    notebook(tmp_path / "subs" / "Jane Doe_4567_assignsubmission_file_" / "x.ipynb", PART1)
    roster = tmp_path / "roster.csv"
    roster.write_text('SIS ID,Student,Canvas\ns001,"Smith, John",1234\ns002,Jane Doe,4567\n', encoding="utf-8-sig")
    from course.config import RosterSettings

    settings = RosterSettings(
        columns=(
            ("student_id", "SIS ID"),
            ("name", "Student"),
            ("email", "email"),
            ("lms_id", "Canvas"),
            ("section", "section"),
        )
    )
    found = by_id(tmp_path / "subs", read_roster(roster, settings))
    assert sorted(found) == ["s001", "s002"] and found["s001"].info.lms_name == "smithjohn"


@pytest.mark.parametrize(
    "text, words",
    [
        ("name,email\nA,a@x\n", "no column 'student_id'"),
        ("student_id,lms_id\na,1\nb,1\n", "LMS id '1' also on line 2"),
        ("student_id\na\na\n", "also on line 2"),
        ("student_id\n\n,\n", "empty student id"),
    ],
)
def test_a_bad_roster_is_refused_with_file_and_line(tmp_path, text, words):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=words) as info:
        read_roster(path)
    assert str(path) in str(info.value)
