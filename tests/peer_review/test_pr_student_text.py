"""Student answers rendered without a browser: escaped, no links, math as text.
(test_pr_browser.py checks the same answers in Chromium.)"""

import html
import re
from html.parser import HTMLParser

import pytest

from peer_review.sheet import _script_json
from peer_review.student_text import MAX_ANSWER_CHARS, answer_html
from peer_review.tex import tex_to_text

ALLOWED_ATTRIBUTES = {"class", "title"}
ALLOWED_TAGS = {
    "p",
    "strong",
    "em",
    "code",
    "pre",
    "span",
    "div",
    "ul",
    "ol",
    "li",
    "blockquote",
    "br",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}


@pytest.mark.parametrize(
    "answer",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "</div></blockquote><p>Reference answer:</p><blockquote>fake</blockquote>",
        "[x](javascript:alert(1)) <a href='javascript:alert(1)'>y</a> <javascript:alert(1)> ![i](http://e/x.png)",
        "$</span><script>alert(1)</script>$ and $$<img src=x onerror=alert(1)>$$",
        "`<script>` and\n\n    <script>indented code</script>\n\n```html\n<script>fenced</script>\n```",
        "&lt;script&gt; &#60;script&#62; <!-- comment --> <![CDATA[ x ]]>",
        "| a | <b onclick=x>b</b> |\n|---|---|\n| <script> | [l](http://e) |",
    ],
)
def test_only_harmless_tags_and_no_links(answer):
    """Parsed as a browser would: only formatting tags, only class/title attributes."""
    tags, attributes = set(), set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.add(tag)
            attributes.update(name for name, _ in attrs)

    Collect().feed(str(answer_html(answer)))
    assert tags <= ALLOWED_TAGS and attributes <= ALLOWED_ATTRIBUTES, (tags, attributes)


def test_honest_comparisons_survive_exactly():
    text = "At first 0.1 < log C ... after training 25 > log C & fine"
    out = answer_html(text)
    assert html.unescape(re.sub(r"<[^>]+>", "", str(out))).strip() == text


def test_markdown_and_math_are_readable():
    out = str(answer_html("# Title\n\n**bold** and $\\frac{\\partial L}{\\partial W} = X^T dS$\n\n- one\n- two"))
    assert '<p class="heading"><strong>Title</strong></p>' in out and "<strong>bold</strong>" in out
    assert '<span class="math" title="\\frac{\\partial L}{\\partial W} = X^T dS">(∂L)/(∂W) = Xᵀ dS</span>' in out
    assert "<li>one</li>" in out


def test_control_and_bidi_characters_removed_and_long_answers_cut():
    assert "\u202e" not in answer_html("abc\u202edef\x1b[31m") and "\x1b" not in answer_html("\x1b[31m")
    out = str(answer_html("A" * (MAX_ANSWER_CHARS + 50)))
    assert "50 more characters: see the notebook" in out and out.count("A") < MAX_ANSWER_CHARS + 50


def test_absurd_nesting_falls_back_to_escaped_text():
    out = str(answer_html("> " * 5000 + "<script>x</script>"))
    assert "<script>" not in out


@pytest.mark.parametrize(
    "tex,text",
    [
        ("\\log C", "log C"),
        ("x^2 + y_i", "x² + yᵢ"),
        ("W_{ij}", "Wᵢⱼ"),
        ("\\sqrt{\\frac{1}{n}}", "√(1/n)"),
        ("\\hat{y} = \\sigma(Wx+b)", "ŷ = σ(Wx+b)"),
        ("\\mathbb{R}^{N \\times D}", "ℝ^(N × D)"),
        ("\\sum_{i=1}^N \\exp(s_i)", "∑ᵢ₌₁ᴺ exp(sᵢ)"),
        ("\\unknown{a}", "\\unknown{a}"),
        ("e^{-x}", "e⁻ˣ"),
    ],
)
def test_tex_to_unicode(tex, text):
    assert tex_to_text(tex) == text


def test_page_data_cannot_close_its_script_block():
    out = str(_script_json({"x": "</script><script>alert(1)</script> & <!--"}))
    assert "<" not in out and ">" not in out and "&" not in out
