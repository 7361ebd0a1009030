"""DIR/returned/: every file a reviewer sent back, read whatever its encoding,
and one copy per sheet.

Files (any name, subfolders too; hidden files and __MACOSX litter skipped):
  .json                   the file the HTML sheet saves        -> sheet_json.parse
  .md .txt .markdown ...  the Markdown sheet edited as text     -> sheet_md.parse
                          (UTF-8, UTF-8 with BOM, UTF-16/32 with or without BOM as Windows
                          editors save it, else Windows-1252)
  .docx .pdf .odt ...     a clear problem naming the file and what to send instead
  anything else           a problem: not a sheet, ignored
A file is judged by its first bytes as well as its name (a Word file renamed .md
is still a Word file).

Several copies of one sheet: identical copies count once; otherwise the newest
is used (the time the HTML sheet recorded when saving, else the file's
modification time) and every older copy is reported as not used.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from peer_review import sheet_json, sheet_md
from peer_review.parsed import Expected, ParsedSheet, Problem

MAX_RETURN_BYTES = 5 * 1024 * 1024
TEXT_SUFFIXES = {".md", ".txt", ".markdown", ".mdown", ".text", ""}
SKIPPED_DIRS = {"__MACOSX", ".ipynb_checkpoints"}
SEND_INSTEAD = (
    "send the sheet as plain text (sheet.md, saved from a text editor), or fill in sheet.html "
    "in a browser and send the .json file its Save button writes"
)
OTHER_FORMATS = {
    ".docx": "a Word document",
    ".doc": "a Word document",
    ".odt": "an OpenDocument text",
    ".rtf": "a rich-text document",
    ".pdf": "a PDF",
    ".pages": "a Pages document",
    ".png": "an image",
    ".jpg": "an image",
    ".jpeg": "an image",
    ".heic": "an image",
}
MAGIC = [
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a Word or OpenDocument file (zip)"),
    (b"{\\rtf", "a rich-text document"),
    (b"\xd0\xcf\x11\xe0", "an old Word document"),
]
HTML_PAGE = (
    "this is the sheet page itself: open sheet.html in a browser, fill it in and press Save, "
    "then send the peer-review-<sheet id>.json file it writes"
)
BOMS = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]


def decode(raw: bytes) -> str:
    """Bytes of a text file -> text: BOMs, UTF-16 without BOM (NUL bytes), UTF-8, else Windows-1252."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    if b"\x00" in raw[:200]:
        even_nuls = raw[0:200:2].count(0)
        return raw.decode("utf-16-be" if even_nuls > raw[1:200:2].count(0) else "utf-16-le", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def returned_files(out: Path) -> list[Path]:
    folder = Path(out) / "returned"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist: put the filled sheets there")
    return sorted(
        p
        for p in folder.rglob("*")
        if not (set(p.relative_to(folder).parts) & SKIPPED_DIRS)
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and (p.is_file() or p.is_symlink())
    )


def _not_a_sheet(path: Path, raw: bytes) -> str | None:
    """Why this file cannot be a sheet, or None when it may be one."""
    for magic, what in MAGIC:
        if raw.startswith(magic):
            return f"{what}: collect cannot read it; {SEND_INSTEAD}"
    suffix = path.suffix.lower()
    if suffix in OTHER_FORMATS:
        return f"{OTHER_FORMATS[suffix]}: collect cannot read it; {SEND_INSTEAD}"
    if suffix in (".html", ".htm"):
        return HTML_PAGE
    if suffix != ".json" and suffix not in TEXT_SUFFIXES:
        return "not a sheet (collect reads .md/.txt sheets and the .json the HTML sheet saves): ignored"
    return None


def read_one(path: Path, rel: str, exp: Expected) -> ParsedSheet:
    """One returned file -> ParsedSheet (sheet_id None when it is no usable sheet)."""
    if path.is_symlink():
        return ParsedSheet(rel, None, {}, [Problem(rel, None, "a symbolic link, not a file: ignored")])
    size = path.stat().st_size
    if size > MAX_RETURN_BYTES:
        return ParsedSheet(
            rel, None, {}, [Problem(rel, None, f"{size / 1e6:.1f} MB is far too large for a sheet; {SEND_INSTEAD}")]
        )
    raw = path.read_bytes()
    if why := _not_a_sheet(path, raw):
        return ParsedSheet(rel, None, {}, [Problem(rel, None, why)])
    text = decode(raw)
    parser = sheet_json.parse if path.suffix.lower() == ".json" else sheet_md.parse
    parsed = parser(text, rel, exp)
    parsed.digest = hashlib.sha256(raw).hexdigest()
    if parsed.saved_at is None:
        parsed.saved_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    elif parsed.saved_at.tzinfo is None:
        parsed.saved_at = parsed.saved_at.replace(tzinfo=UTC)
    return parsed


def newest_copies(parsed: list[ParsedSheet]) -> tuple[dict[str, ParsedSheet], list[Problem]]:
    """Sheets read -> ({sheet id: the copy used}, problems of the copies not used).

    The copy used is the newest; ties go to the later file name (reported)."""
    by_id: dict[str, list[ParsedSheet]] = {}
    for p in parsed:
        if p.sheet_id is not None:
            by_id.setdefault(p.sheet_id, []).append(p)
    used, problems = {}, []
    for sheet_id, copies in by_id.items():
        distinct = list({c.digest: c for c in sorted(copies, key=lambda c: c.file)}.values())
        distinct.sort(key=lambda c: (c.saved_at, c.file))
        used[sheet_id] = newest = distinct[-1]
        for older in distinct[:-1]:
            tie = (
                " (same time: the later file name was used; remove the wrong copy)"
                if older.saved_at == newest.saved_at
                else ""
            )
            problems.append(
                Problem(
                    older.file,
                    None,
                    f"older copy of sheet {sheet_id} (saved "
                    f"{_when(older.saved_at)}): not used; {newest.file} (saved "
                    f"{_when(newest.saved_at)}) is used instead{tie}",
                )
            )
    return used, problems


def _when(t: datetime | None) -> str:
    assert t is not None  # read_one() gives every sheet it reads a time
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def read_returned(out: Path, exp: Expected) -> tuple[dict[str, ParsedSheet], list[Problem]]:
    """Every returned file -> ({sheet id: copy used}, every problem of the files used or not)."""
    out = Path(out)
    parsed = [read_one(path, str(path.relative_to(out)), exp) for path in returned_files(out)]
    used, problems = newest_copies(parsed)
    kept = {id(p) for p in used.values()}
    for p in parsed:  # problems of an older copy do not matter: it is not used
        if p.sheet_id is None or id(p) in kept:
            problems += p.problems
    return used, problems
