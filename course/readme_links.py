"""Rebuild the README's "Open in Colab" links from course.toml.

    python -m course.readme_links          # rewrite the block (make readme)
    python -m course.readme_links --check  # exit 1 when the README is stale

The block sits between the two marker comments below; everything else in the
README is left alone.
"""

from __future__ import annotations

import sys

from .config import REPO_ROOT, load_config

BEGIN, END = "<!-- colab-links:begin -->", "<!-- colab-links:end -->"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
TITLES = {"part1": "Part 1: linear softmax classifier", "part2": "Part 2: two-layer neural network"}


def links_block() -> str:
    cfg = load_config()
    rows = [f"| {TITLES.get(p, p)} | [![Open In Colab]({BADGE})]({cfg.colab_url(p)}) |" for p in cfg.notebooks]
    return "\n".join([BEGIN, "| Notebook | Open |", "|---|---|", *rows, END])


def updated(readme: str) -> str:
    head, sep, rest = readme.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not (sep and sep2):
        raise ValueError(f"README.md: the markers {BEGIN} and {END} are missing")
    return head + links_block() + tail


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = REPO_ROOT / "README.md"
    text = path.read_text()
    new = updated(text)
    if "--check" in argv:
        if new != text:
            print("README.md: Colab links are stale; run `make readme`", file=sys.stderr)
            return 1
        return 0
    path.write_text(new)
    print("README.md: Colab links rebuilt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
