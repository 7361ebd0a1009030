"""Student code -> normalised tokens, grouped into statements.

What a copier changes without changing the program is thrown away here, so
that it cannot hide a copy:
- identifiers (variables, helper functions, arguments) -> one placeholder `V`,
  so consistent *and* inconsistent renaming both vanish;
- number literals -> `N`, string literals (f-strings too) -> `S`;
- comments, blank lines, indentation and line breaks -> dropped, so
  re-formatting and splitting/merging lines change nothing.
What is kept is what a renaming cannot change: keywords, operators, builtins
(`range`, `len`), `np`/`self`, and attribute names after a dot (`.sum`,
`.shape`, `.T`): the numpy API a solution is written in.

Statements are Python's logical lines (as tokenize's NEWLINE, plus `;`): a
line split inside brackets or with a backslash stays one statement and
`a = 1; b = 2` is two, exactly as if written on two lines.
"""
from __future__ import annotations

import builtins
import keyword
import re
from typing import NamedTuple

IDENT, NUMBER, STRING = "V", "N", "S"
# Names a renaming does not touch (renaming them would change the program).
KEPT_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) \
    | {"np", "numpy", "self"}

# Python's tokens, split as the `tokenize` module splits them (as far as
# normalisation can tell). Not `tokenize` itself: on Python 3.11 it is pure
# Python and 2.3x slower than this one regex (measured on the test fixtures),
# and it raises on the half-written code students hand in, where this never
# fails. tests/similarity/test_sim_tokens.py checks that both agree.
_TOKEN = re.compile(r"""
 (?P<skip>[ \t\f]+|\#[^\r\n]*|\\\r?\n)
|(?P<nl>\r?\n)
|(?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
|(?P<name>[^\W\d]\w*)
|(?P<number>0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)
|(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|\.\.\.|[-+*/%@&|^<>=!]=|[-+*/%@&|^~<>=.,:;()\[\]{}])
|(?P<other>\S)
""", re.VERBOSE)
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")


class Token(NamedTuple):
    text: str  # normalised text: "V", "N", "S", a keyword, an operator...
    line: int  # 0-based line of the source it came from (for highlighting)


def statements(code: str) -> list[list[Token]]:
    """code (any indentation, even broken) -> its statements, each a non-empty
    list of Tokens. A statement ends at a line break outside brackets or at `;`."""
    out, current, depth, line, prev = [], [], 0, 0, ""
    for match in _TOKEN.finditer(code):
        kind, text = match.lastgroup, match.group()
        if kind == "skip":
            line += text[-1] == "\n"  # a backslash continuation
        elif kind == "nl" or (text == ";" and depth == 0):
            line += kind == "nl"
            if depth == 0 and current:
                out.append(current)
                current, prev = [], ""
        else:
            if kind == "name":
                norm = text if prev == "." or text in KEPT_NAMES else IDENT
            elif kind == "op":
                norm = text
                depth += text in _OPEN
                depth -= depth > 0 and text in _CLOSE
            elif kind == "string":
                norm = STRING
            else:
                norm = NUMBER if kind == "number" else text
            current.append(Token(norm, line))
            if kind == "string":
                line += text.count("\n")
            prev = text
    if current:
        out.append(current)
    return out


def tokens(code: str) -> list[Token]:
    """The statements' tokens in one run."""
    return [t for stmt in statements(code) for t in stmt]
