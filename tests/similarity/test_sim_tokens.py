"""Normalisation: what a copier changes without changing the program must vanish."""
from autograder.similarity.tokens import statements, tokens


def texts(code):
    return [t.text for t in tokens(code)]


def test_renaming_and_literals_vanish():
    assert texts("probs = np.exp(s) / 2.0") == texts("p_hat = np.exp(logits) / 7")


def test_api_names_after_a_dot_and_builtins_are_kept():
    assert texts("a = np.sum(b)") != texts("a = np.max(b)")
    assert texts("for i in range(n): pass") != texts("for i in enumerate(n): pass")


def test_comments_whitespace_and_line_splits_vanish():
    one = "loss = -np.log(p[y]).mean() + reg * np.sum(W * W)"
    other = ("loss = -np.log(p[y]).mean()  \\\n    + reg*np.sum(W *\n"  # backslash, then a split inside brackets
             "                 W)  # L2 penalty\n")
    assert texts(one) == texts(other + "\n\n# trailing comment\n")


def test_merged_lines_are_the_same_statements_as_separate_lines():
    merged = [[t.text for t in s] for s in statements("a = 1; b = a + 2")]
    separate = [[t.text for t in s] for s in statements("a = 1\nb = a + 2\n")]
    assert merged == separate and len(merged) == 2


def test_indented_region_and_token_lines():
    toks = tokens("    x = 1\n    y = (x +\n         2)\n")
    assert [t.line for t in toks if t.text == "N"] == [0, 2]


def test_code_tokenize_rejects_is_still_tokenised():
    broken = "    a = (1 +\n  b = 2\n"  # unclosed bracket, bad dedent
    assert texts(broken)  # does not raise, still yields tokens
    assert "V" in texts(broken)


def reference_statements(code):
    """The same normalisation done with the standard `tokenize` module."""
    import io
    import textwrap
    import tokenize as tk
    from autograder.similarity.tokens import KEPT_NAMES
    out, current, prev = [], [], ""
    skip = {tk.COMMENT, tk.NL, tk.INDENT, tk.DEDENT, tk.ENCODING, tk.ENDMARKER}
    for t in tk.generate_tokens(io.StringIO(textwrap.dedent(code)).readline):
        if t.type in skip:
            continue
        if t.type == tk.NEWLINE or t.string == ";":
            out, current, prev = out + [current] if current else out, [], ""
            continue
        norm = {tk.NUMBER: "N", tk.STRING: "S"}.get(t.type, t.string)
        if t.type == tk.NAME and prev != "." and t.string not in KEPT_NAMES:
            norm = "V"
        current.append((norm, t.start[0] - 1))
        prev = t.string
    return out + [current] if current else out


def test_agrees_with_the_tokenize_module_on_real_code():
    import glob
    from pathlib import Path
    from sim_implementations import DISGUISED_A, IMPLEMENTATIONS, function_source
    repo = Path(__file__).resolve().parents[2]
    codes = [function_source(n, r) for n, rs in IMPLEMENTATIONS.items() for r in rs] + list(DISGUISED_A.values())
    # this package and its tests: real, varied Python that does not change under our feet
    codes += [Path(f).read_text() for d in ("autograder/similarity", "tests/similarity")
              for f in glob.glob(str(repo / d / "*.py"))]
    codes.append('x = f"{a!r:>{w}}" + rb\'\\x00\' + """doc\nstring""" + 0x1F + 1.5e-3j + .5; y = [\n 1,\n 2]')
    for code in codes:
        assert [[(t.text, t.line) for t in s] for s in statements(code)] == reference_statements(code)
