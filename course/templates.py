"""The kit's one Jinja set-up, for every template it renders.

    environment(folder)    templates in `folder`: StrictUndefined (a missing value is an
                           error, never an empty string), trailing newlines kept, block
                           lines trimmed, and HTML templates (*.html, *.html.j2)
                           autoescaped: every value is escaped unless marked safe.

Markdown is not HTML: a Markdown template escapes with the `md` filter, which the
caller registers (autograder.report: feedback.md).
"""

from __future__ import annotations

from pathlib import Path

import jinja2


def environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(folder)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(["html", "html.j2"], default_for_string=True),
    )
