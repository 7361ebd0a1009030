"""The reviewer's sheet, rendered twice from one description (`SheetSpec`):

  sheet.html  the sheet as a form in the browser (templates/sheet.html.j2):
              one self-contained file (style and script inlined, no network),
              deductions chosen from the allowed values, a feedback box, the
              running total as the course computes it, work kept in the
              browser's local storage, and a Save button that checks the sheet
              and downloads `peer-review-<SHEET ID>.json` (sheet_json.py reads it).
  sheet.md    the same sheet as plain text for reviewers who prefer an editor
              (templates/sheet.md.j2; sheet_md.py reads it back).

Student answers reach the HTML only through student_text.answer_html (every
character escaped). The page's Content-Security-Policy allows no network and
only the sheet's own script and style, by their sha256 hashes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from course.formatting import points
from course.rubric import Rubric
from course.templates import environment
from peer_review import rule
from peer_review.student_text import answer_html, clean

TABLE_HEADER = ("code", "item", "max", "allowed deductions", "deduction")
SAVE_FORMAT = "nn-from-scratch peer review sheet"
SAVE_VERSION = 1
BLANK_NOTE = "blank answer: no points from a peer (your TA may override)"

_env = environment(Path(__file__).with_name("templates"))


@dataclass
class ReviewTask:
    """One submission on a sheet (everything the reviewer sees about it)."""

    code: str
    notebooks: list[str]
    auto: dict[str, float] | None  # None: no autograder result available
    auto_status: str  # already redacted (anonymise.redact_status)
    answers: dict[str, str]
    blank: frozenset[str] = field(default_factory=frozenset)


@dataclass
class SheetSpec:
    sheet_id: str
    reviewer: str
    tasks: list[ReviewTask]


fmt = points  # course.formatting: one rule for numbers in every file the kit writes


def allowed_text(item) -> str:
    return ", ".join(fmt(d) for d in (0.0, *item.deductions))


def save_file_name(sheet_id: str) -> str:
    """The file the HTML sheet's Save button writes (named after the sheet)."""
    return f"peer-review-{sheet_id}.json"


def _script_json(data) -> Markup:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can end the block."""
    text = json.dumps(data, ensure_ascii=True, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def page_data(spec: SheetSpec, rubric: Rubric) -> dict:
    """What the page's script needs: the rule's parameters and, per submission, only numbers."""
    return {
        "format": SAVE_FORMAT,
        "version": SAVE_VERSION,
        "sheet_id": spec.sheet_id,
        "file_name": save_file_name(spec.sheet_id),
        "storage_key": f"peer-review:{spec.sheet_id}",
        "rule": rule.page_rule(rubric),
        "submissions": [
            {
                "code": t.code,
                "blank": sorted(t.blank),
                "auto_subtotal": None if t.auto is None else sum(t.auto[i.id] for i in rubric.auto),
            }
            for t in spec.tasks
        ],
    }


@functools.cache
def _script_style_csp() -> tuple[str, str, str]:
    """The sheet's inlined script and style and the CSP that allows exactly them: the same
    for every sheet (the templates take no values), so rendered and hashed once."""
    script = _env.get_template("sheet.js.j2").render()
    style = _env.get_template("sheet.css.j2").render()
    csp = (
        f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "img-src 'none'; form-action 'none'; base-uri 'none'"
    )
    return script, style, csp


def _html(ctx: dict, spec: SheetSpec, rubric: Rubric) -> str:
    script, style, csp = _script_style_csp()
    return _env.get_template("sheet.html.j2").render(
        ctx,
        csp=csp,
        script=Markup(script),
        style=Markup(style),
        data=_script_json(page_data(spec, rubric)),
        answer_html=answer_html,
    )


def render(spec: SheetSpec, rubric: Rubric, references: dict[str, str]) -> tuple[str, str]:
    """-> (markdown, html) of one sheet."""
    ctx = dict(
        sheet=spec,
        rubric=rubric,
        refs=references,
        min_words=rubric.min_feedback_words,
        fmt=fmt,
        allowed=allowed_text,
        header=TABLE_HEADER,
        blank_note=BLANK_NOTE,
        save_name=save_file_name(spec.sheet_id),
        quote=lambda t: "\n".join("> " + line for line in clean(t).splitlines()) or ">",
    )
    return _env.get_template("sheet.md.j2").render(ctx), _html(ctx, spec, rubric)
