"""Student ids from folder and file names: student text made safe for every place an id goes.

An id becomes a grades.csv cell, a line of run_log.txt and of the printed
summary, a folder name OUT/<id>/, a shard key and a peer-review sheet's name.
Decision (one rule, here): the id is the name with control characters and line
breaks turned into spaces (course/safe_text.printable), path separators into
"_", leading apostrophes (the CSV escape), dots and spaces and trailing dots
and spaces removed, at most MAX_ID_BYTES of UTF-8 (a folder name's limit is
255 bytes); an empty result is "unnamed". Names that end up equal (ignoring
case and Unicode normalisation, so that OUT/ works on a case-insensitive disk
too) are told apart by "~2", "~3"...; a name that was already clean keeps it,
so a folder "\\x1balice" can never take the id of the real "alice".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from course.safe_text import printable

MAX_ID_BYTES = 150
UNNAMED = "unnamed"


def clean_id(raw: str) -> str:
    """One student id as it is shown and used (see the module docstring)."""
    text = printable(raw, limit=MAX_ID_BYTES).replace("/", "_").replace("\\", "_")
    text = text.lstrip("'. ").rstrip(". ")
    while len(text.encode("utf-8")) > MAX_ID_BYTES:
        text = text[:-1].rstrip(". ")
    return text or UNNAMED


def id_key(student_id: str) -> str:
    """What makes two ids the same folder on any disk."""
    return unicodedata.normalize("NFC", student_id).casefold()


def assign_ids(raw_names: list[str], taken: Iterable[str] = frozenset()) -> dict[str, str]:
    """{raw name: unique clean id} for every name; `taken` holds id_keys already in use.
    Clean names first, then the others in sorted order, each getting the first free suffix."""
    used, out = set(taken), {}
    for raw in sorted(set(raw_names), key=lambda r: (clean_id(r) != r, r)):
        base = candidate = clean_id(raw)
        n = 2
        while id_key(candidate) in used:
            candidate, n = f"{base}~{n}", n + 1
        used.add(id_key(candidate))
        out[raw] = candidate
    return out
