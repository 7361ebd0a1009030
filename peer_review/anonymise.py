"""Anonymity: salted codes for submissions and sheets; name-free notebook copies.

Codes. A submission's code is the first 6 base32 characters of
sha256(salt + ":" + purpose + ":" + student_id). Without the salt nobody can
recompute a code from a list of student ids; with it the TA gets the same
codes every time. The salt is a random 32-hex-digit string that `assign`
creates in DIR/private/salt.txt unless `--salt-file` names one; the TA keeps
it (DIR/private/ is never part of what reviewers receive).

Scrubbing. The copies reviewers receive keep only the notebook metadata a
kernel needs (kernelspec, language_info) and only cell metadata the grader
uses (nbgrader, tags): Colab's per-cell `executionInfo.user` (display name,
photo, user id), `colab.provenance` and the like go. In every source and
text output, these are redacted:
  /content/drive/MyDrive/<name>/...  (and "My Drive", Shareddrives)
  /Users/<name>/..., /home/<name>/..., C:\\Users\\<name>\\...
  e-mail addresses
  the student's id, name and e-mail (from the roster when one is given).
Images in outputs are kept as they are (plots carry no names unless a
student writes one into a title; reviewers are asked to report that).

Autograder statuses shown on sheets (`redact_status`): the student's hand-in
file names, any segment naming a file or a path, and their identities are
replaced, so "partial: First_Last_homework.ipynb: ..." reads "partial: [file]: ...".
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from course.safe_text import printable

REDACTED = "[redacted]"
PATH_PATTERNS = [
    re.compile(r"(/content/drive/(?:MyDrive|My Drive|Shareddrives)/)[^/\n'\"]+"),
    re.compile(r"(/(?:Users|home)/)[^/\s'\"]+"),
    re.compile(r"([A-Za-z]:\\+(?:Users|Documents and Settings)\\+)[^\\\s'\"]+"),
]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
KEEP_NB_METADATA = ("kernelspec", "language_info")
KEEP_CELL_METADATA = ("nbgrader", "tags")


def load_or_create_salt(path: Path) -> str:
    """The TA's salt; created (random) on first use so later runs reuse it."""
    path = Path(path)
    if path.exists():
        salt = path.read_text().strip()
        if not salt:
            raise ValueError(f"{path}: salt file is empty; delete it to make a new one")
        return salt
    path.parent.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(16)
    path.write_text(salt + "\n")
    return salt


def code(salt: str, purpose: str, student_id: str, length: int = 6) -> str:
    digest = hashlib.sha256(f"{salt}:{purpose}:{student_id}".encode()).digest()
    return base64.b32encode(digest).decode()[:length]


def unique_codes(salt: str, purpose: str, ids: list[str]) -> dict[str, str]:
    """{id: code}, lengthening all codes on the (rare) collision."""
    for length in range(6, 53):
        codes = {i: code(salt, purpose, i, length) for i in ids}
        if len(set(codes.values())) == len(codes):
            return codes
    raise RuntimeError("sha256 collision: this cannot happen")


def scrub_text(text: str, identities: Sequence[str] = ()) -> str:
    """Redact paths with user names, e-mails and the given identities."""
    for pattern in PATH_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    text = EMAIL.sub(REDACTED, text)
    for ident in sorted((i for i in identities if i and len(i) >= 2), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(ident)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    return text


# A status segment (between : ; , ( ) or line ends) naming a file or a path is
# replaced whole: hand-in names are often "Copy of First Last homework.ipynb".
STATUS_SEGMENT = re.compile(r"[^:;,()\n]+")
FILE_OR_PATH = re.compile(r"[/\\]|\.(?:ipynb|py|json|txt|csv|zip|pdf|docx?|md|html?)\b", re.IGNORECASE)
STATUS_LIMIT = 160


def _leading_space(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def redact_status(status: str, identities: Sequence[str] = (), hand_in_names: Sequence[str] = ()) -> str:
    """An autograder status as a reviewer may see it: one printable line, no file
    name, no path, no identity ("partial: First_Last.ipynb: bad JSON" -> "partial: [file]: bad JSON")."""
    for name in sorted((n for n in hand_in_names if n), key=len, reverse=True):
        status = re.sub(re.escape(name), "[file]", status, flags=re.IGNORECASE)
    status = STATUS_SEGMENT.sub(
        lambda m: _leading_space(m[0]) + "[file]" if FILE_OR_PATH.search(m[0]) else m[0], status
    )
    return printable(scrub_text(status, identities), STATUS_LIMIT)


def _scrub_output(out, identities) -> None:
    if "text" in out:
        out["text"] = scrub_text(out["text"], identities)
    for mime, value in out.get("data", {}).items():
        if mime.startswith("text/") or mime in ("application/javascript", "application/json"):
            if isinstance(value, str):
                out["data"][mime] = scrub_text(value, identities)
    if "evalue" in out:
        out["evalue"] = scrub_text(out["evalue"], identities)
    if "traceback" in out:
        out["traceback"] = [scrub_text(t, identities) for t in out["traceback"]]
    if "metadata" in out:  # display data may carry e.g. Colab widget ids
        out["metadata"] = {}


def anonymise_notebook(nb, identities: Sequence[str] = ()):
    """A scrubbed deep copy of nb (the original is left untouched)."""
    nb = copy.deepcopy(nb)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NB_METADATA}
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        cell.source = scrub_text(cell.source, identities)
        for out in cell.get("outputs", []):
            _scrub_output(out, identities)
    return nb
