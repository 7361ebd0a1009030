"""Student answers as HTML a reviewer can read and nothing can abuse.

`answer_html(text)` renders an inline answer the way the student wrote it:
Markdown (mistune, the library Jupyter's nbconvert renders notebook Markdown
with) with raw HTML ESCAPED (shown as the characters typed), and `$...$` /
`$$...$$` math shown as readable Unicode text (`\\frac{\\partial L}{\\partial W}`
-> "(∂L)/(∂W)", `x^2` -> "x²"; tex.py), the TeX source in a tooltip.
Decision: no math typesetting library runs in the page (no network, no CDN,
no script beyond the sheet's own); TeX a student can read in a notebook stays
readable here.

What a student cannot do from an answer:
  - run script or inject markup: every character of their text is escaped
    (raw HTML, entities, math, code, link targets);
  - add a link or load anything: Markdown links and images are shown as text
    with their target in brackets, never as <a>/<img>; no ids or names are
    emitted (no DOM clobbering of the sheet's own elements);
  - break out of the box: headings inside an answer are plain bold lines, the
    box clips and scrolls (sheet.css.j2), control and bidi-override characters
    are removed, and very long answers are cut with a note.
The sheet's Content-Security-Policy (no network, only the sheet's own hashed
script and style) is a second wall behind this one.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import mistune
from markupsafe import Markup, escape

from peer_review.tex import tex_to_text

MAX_ANSWER_CHARS = 20_000
# C0 controls but tab/newline, DEL, bidi embeddings/overrides/isolates: they can
# reorder or hide the text around them.
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200e\u200f]")


class _SafeRenderer(mistune.HTMLRenderer):
    """mistune's HTML renderer with raw HTML escaped and nothing that leaves the page."""

    def __init__(self):
        super().__init__(escape=True)

    def link(self, text: str, url: str, title=None) -> str:
        target = escape(unquote(url))  # mistune percent-encodes; show what the student typed
        return text if text == target else f'{text} <span class="url">⟨{target}⟩</span>'

    def image(self, text: str, url: str, title=None) -> str:
        return f'<span class="url">[image {text} ⟨{escape(unquote(url))}⟩]</span>'

    def heading(self, text: str, level: int, **attrs) -> str:
        return f'<p class="heading"><strong>{text}</strong></p>\n'

    def inline_math(self, text: str) -> str:
        return f'<span class="math" title="{escape(text)}">{escape(tex_to_text(text))}</span>'

    def block_math(self, text: str) -> str:
        return f'<div class="math" title="{escape(text)}">{escape(tex_to_text(text))}</div>\n'


_markdown = mistune.create_markdown(renderer=_SafeRenderer(), plugins=["math", "table", "strikethrough"])


def clean(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Unsafe characters removed, line ends normalised, cut at `limit` with a note."""
    text = UNSAFE_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > limit:
        text = text[:limit] + f"\n\n[... {len(text) - limit} more characters: see the notebook]"
    return text


def answer_html(text: str) -> Markup:
    """Markdown + math text -> safe HTML (a fragment for the answer box)."""
    text = clean(text)
    try:
        html = _markdown(text)
    except RecursionError:  # absurdly nested lists or quotes: show the text as typed
        html = f'<pre class="plain">{escape(text)}</pre>'
    return Markup(html)
