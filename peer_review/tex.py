"""Simple TeX math as readable Unicode text (for answers shown on sheets).

Covers what students write in this homework: Greek letters, the common
operators and relations, \\frac, \\sqrt, font commands, and one-character
or braced super/subscripts ("x^2" -> "x²", "W_{ij}" -> "Wᵢⱼ"). Anything else
is kept as written, so the reader still sees the student's TeX. The result is
plain text: the caller escapes it like any other student text.
"""

from __future__ import annotations

import re
import unicodedata

GREEK = dict(
    zip(
        (
            "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi "
            "rho sigma tau upsilon phi chi psi omega"
        ).split(),
        "αβγδεζηθικλμνξοπρστυφχψω",
    )
)
SYMBOLS = {
    **GREEK,
    **{
        "Gamma": "Γ",
        "Delta": "Δ",
        "Theta": "Θ",
        "Lambda": "Λ",
        "Xi": "Ξ",
        "Pi": "Π",
        "Sigma": "Σ",
        "Phi": "Φ",
        "Psi": "Ψ",
        "Omega": "Ω",
        "varepsilon": "ε",
        "varphi": "φ",
        "ell": "ℓ",
    },
    "cdot": "·",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "propto": "∝",
    "equiv": "≡",
    "ll": "≪",
    "gg": "≫",
    "infty": "∞",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "partial": "∂",
    "nabla": "∇",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "forall": "∀",
    "exists": "∃",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftrightarrow": "⇔",
    "mapsto": "↦",
    "ldots": "…",
    "cdots": "⋯",
    "dots": "…",
    "top": "⊤",
    "odot": "⊙",
    "circ": "∘",
    "otimes": "⊗",
    "oplus": "⊕",
    "mid": "|",
    "|": "‖",
    "langle": "⟨",
    "rangle": "⟩",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "{": "{",
    "}": "}",
    "%": "%",
    "$": "$",
    "_": "_",
    "#": "#",
    "&": "&",
    **{
        f: f
        for f in (
            "log",
            "ln",
            "exp",
            "max",
            "min",
            "arg",
            "argmax",
            "argmin",
            "sin",
            "cos",
            "tanh",
            "sup",
            "inf",
            "lim",
            "det",
            "tr",
            "softmax",
            "ReLU",
        )
    },
    **{space: " " for space in (",", ";", ":", "!", "quad", "qquad", " ")},
    **{sized: "" for sized in ("left", "right", "big", "Big", "bigg", "Bigg", "displaystyle")},
}
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼"}
FONT_COMMANDS = (
    "mathbf",
    "mathrm",
    "mathit",
    "mathsf",
    "mathcal",
    "boldsymbol",
    "bm",
    "text",
    "textbf",
    "textit",
    "operatorname",
    "mathtt",
)
ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "vec": "\u20d7", "dot": "\u0307"}
# prefix operators: TeX's space after them is not part of the formula ("\partial L" -> "∂L")
PREFIX = {"partial", "nabla", "sum", "prod", "int"}
SUPERSCRIPT = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ",
    )
)
SUBSCRIPT = dict(zip("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))

BRACED = r"\{([^{}]*)\}"
FRAC = re.compile(r"\\[dt]?frac\s*" + BRACED + r"\s*" + BRACED)
SQRT = re.compile(r"\\sqrt\s*" + BRACED)
BB = re.compile(r"\\mathbb\s*\{(\w)\}")
FONT = re.compile(r"\\(?:" + "|".join(FONT_COMMANDS) + r")\s*" + BRACED)
ACCENT = re.compile(r"\\(" + "|".join(ACCENTS) + r")\s*(?:\{(\w)\}|(\w))")
COMMAND = re.compile(r"\\([A-Za-z]+|.)(\s*)")
# a one-character script never starts with "(": that is how an unconvertible script is written back
SCRIPT = re.compile(r"([\^_])(?:" + BRACED + r"|([^\s{}\\()]))")
# innermost groups are rewritten first, so nested \frac{\frac{..}{..}}{..} unfold in passes
MAX_PASSES = 8


def _group(text: str) -> str:
    return text if len(text) <= 1 else f"({text})"


def _script(match: re.Match) -> str:
    body = match[2] if match[2] is not None else match[3]
    table = SUPERSCRIPT if match[1] == "^" else SUBSCRIPT
    if body and all(ch in table for ch in body):
        return "".join(table[ch] for ch in body)
    return f"{match[1]}{_group(body)}"


def _command(match: re.Match) -> str:
    name, space = match[1], match[2]
    if name not in SYMBOLS:
        return match[0]
    return SYMBOLS[name] + ("" if name in PREFIX else space)


def tex_to_text(tex: str) -> str:
    """TeX math -> readable Unicode text (unknown commands kept as written)."""
    text = tex.strip()
    for _ in range(MAX_PASSES):
        before = text
        text = BB.sub(lambda m: BLACKBOARD.get(m[1], m[1]), text)
        text = ACCENT.sub(lambda m: (m[2] or m[3]) + ACCENTS[m[1]], text)
        text = FONT.sub(lambda m: m[1], text)
        text = FRAC.sub(lambda m: f"{_group(m[1].strip())}/{_group(m[2].strip())}", text)
        text = SQRT.sub(lambda m: f"√{_group(m[1].strip())}", text)
        text = SCRIPT.sub(_script, text)
        if text == before:
            break
    text = COMMAND.sub(_command, text)
    text = SCRIPT.sub(_script, text)  # scripts of symbols: x_\\alpha -> x_α
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text).strip())  # y + hat -> ŷ
