"""Names leave the copies reviewers get: metadata, outputs, sources."""

import json

import nbformat
from pr_helpers import student_notebook

from peer_review.anonymise import anonymise_notebook, scrub_text, unique_codes


def test_paths_and_emails_redacted():
    text = (
        "/content/drive/MyDrive/Alice Smith/hw/a.npy /content/drive/My Drive/bob/x "
        "/Users/carol/data /home/dave/work C:\\Users\\erin\\hw eve.doe+hw@uni.example.org"
    )
    out = scrub_text(text)
    for name in ("Alice", "bob", "carol", "dave", "erin", "eve.doe"):
        assert name not in out
    assert "/content/drive/MyDrive/[redacted]/hw/a.npy" in out and "/home/[redacted]/work" in out


def test_identities_redacted_whole_words_only():
    assert scrub_text("by Alice (alice) in malice", ["alice"]) == "by [redacted] ([redacted]) in malice"


def test_notebook_copy_has_no_name_anywhere():
    nb = student_notebook("part1", "s042", name="Zoe Quill")
    clean = anonymise_notebook(nb, ["s042", "Zoe Quill", "Zoe", "Quill"])
    dumped = json.dumps(clean)
    for leak in ("s042", "Zoe", "Quill", "uni.example.org", "displayName", "provenance"):
        assert leak not in dumped, leak
    assert clean.metadata["kernelspec"]["name"] == "python3"
    nbformat.validate(clean)
    assert "Zoe" in json.dumps(nb)  # the original is untouched


def test_codes_are_salted_stable_and_unique():
    ids = [f"s{i}" for i in range(500)]
    a, b = unique_codes("salt1", "submission", ids), unique_codes("salt1", "submission", ids)
    assert a == b and len(set(a.values())) == 500
    assert unique_codes("salt2", "submission", ids) != a
