"""Reading the inline answers of the notebook a self-check runs in: Colab's front end,
the file Jupyter started the kernel for, the saved notebook in the working directory,
and an honest "could not check" when none of them works."""

import json
import sys
import types

import nbformat
import pytest
from student_code import finished_notebook, readiness, run_code, stand_in_experiments

from course import notebook_source
from course.notebook_source import answer_cells, current_notebook

QUESTIONS = ["1.1", "1.2", "1.3"]


def as_json(nb):
    return json.loads(nbformat.writes(nb))


@pytest.fixture
def no_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delitem(sys.modules, "google", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)


def fake_colab(monkeypatch, reply=None, error=None):
    """Install google.colab._message as Colab has it: blocking_request("get_ipynb", ...)."""
    calls = []

    def blocking_request(kind, request="", timeout_sec=None):
        calls.append((kind, timeout_sec))
        if error:
            raise error
        return reply

    google, colab = types.ModuleType("google"), types.ModuleType("google.colab")
    colab._message = types.SimpleNamespace(blocking_request=blocking_request)
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    return calls


def test_colab_sends_the_open_notebook_with_unsaved_answers(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    nb = finished_notebook("part1")
    calls = fake_colab(monkeypatch, reply={"ipynb": as_json(nb)})
    found, where = current_notebook({}, QUESTIONS)
    assert where == "the notebook open in Colab" and calls == [("get_ipynb", notebook_source.COLAB_TIMEOUT_SECONDS)]
    assert set(answer_cells(found)) == set(QUESTIONS)


@pytest.mark.parametrize(
    "reply, error, says",
    [
        (None, None, "no reply within"),
        ({"error": "busy"}, None, "no reply within"),
        (None, TimeoutError("front end gone"), "TimeoutError: front end gone"),
    ],
)
def test_colab_without_an_answer_is_reported(monkeypatch, tmp_path, reply, error, says):
    monkeypatch.chdir(tmp_path)
    fake_colab(monkeypatch, reply=reply, error=error)
    found, why = current_notebook({}, QUESTIONS)
    assert found is None and "Colab did not send the notebook" in why and says in why


def test_jupyter_names_the_kernels_notebook(no_colab, monkeypatch, tmp_path):
    saved = tmp_path / "elsewhere" / "my copy.ipynb"
    saved.parent.mkdir()
    nbformat.write(finished_notebook("part1"), saved)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(saved))
    found, where = current_notebook({}, QUESTIONS)
    assert found is not None and where.startswith("my copy.ipynb as saved at") and "save the notebook first" in where
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert current_notebook({"__session__": str(saved)}, QUESTIONS)[0] is not None


def test_the_newest_saved_notebook_of_this_part_is_read(no_colab, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    nbformat.write(finished_notebook("part1"), tmp_path / "part1.ipynb")
    nbformat.write(finished_notebook("part2"), tmp_path / "part2 newer.ipynb")  # newest, but the other part
    (tmp_path / "broken.ipynb").write_text("{not json")
    found, where = current_notebook({}, QUESTIONS)
    assert found is not None and where.startswith("part1.ipynb")


def test_nothing_to_read_is_said_plainly(no_colab, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.ipynb").write_text("{not json")
    found, why = current_notebook({}, QUESTIONS)
    assert found is None
    assert (
        "could not read broken.ipynb" in why and f"no saved notebook with this part's answer cells in {tmp_path}" in why
    )


def test_answers_are_read_from_list_or_text_sources():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["**Your answer (inline question 1.1):**\n", "\n", "Because.\n"]},
            {"cell_type": "markdown", "source": "**Your answer (inline question 1.2):**\n\n_Write your answer here._"},
            {"cell_type": "markdown", "source": "**Your answer (inline question 1.2):**\n\nMore in a second cell."},
            {"cell_type": "markdown", "source": "**Your answer (inline question 1.3):**\n_Write your answer here._\n"},
            {"cell_type": "code", "source": "**Your answer (inline question 1.4):**"},
        ]
    }
    assert answer_cells(nb) == {"1.1": "Because.", "1.2": "More in a second cell.", "1.3": ""}


def test_the_self_check_never_says_ready_when_it_cannot_read_the_answers(no_colab, tmp_path, monkeypatch):
    nb = finished_notebook("part1")
    namespace = run_code(nb)
    stand_in_experiments(namespace, "part1")
    monkeypatch.setattr(notebook_source, "_candidate_files", lambda ns: [])  # not even the saved file
    namespace["_candidate_files"] = lambda ns: []
    report, printed = readiness(namespace, nb, "part1", tmp_path)
    assert not report["ready"] and "Ready to submit." not in printed
    assert "????  inline answers (not checked)" in printed and "could not check the inline answers" in printed
    assert "Not confirmed: 1 item(s) could not be checked" in printed and "FAIL" not in printed


def test_the_self_check_reads_colab_answers_in_the_notebook(monkeypatch, tmp_path):
    nb = finished_notebook("part2")
    namespace = run_code(nb)
    stand_in_experiments(namespace, "part2")
    blank = as_json(nb)
    for cell in blank["cells"]:
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith(
            "**Your answer (inline question 2.1)"
        ):
            cell["source"] = "**Your answer (inline question 2.1):**\n\n_Write your answer here._"
    fake_colab(monkeypatch, reply={"ipynb": blank})
    report, printed = readiness(namespace, nb, "part2", tmp_path)  # the saved file has the answer; Colab wins
    assert not report["ready"] and "blank: 2.1" in printed and "Read from the notebook open in Colab" in printed
