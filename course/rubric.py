"""The rubric, loaded from rubric.toml: the single source of points.

`load_rubric()` returns a frozen `Rubric`; the autograder reads its `auto`
items, peer review its `inline` and `peer` items, and grading_rubric.md is
generated from it. `rescale()` is the one place the 23 -> 10 rule lives.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .config import ConfigError

RUBRIC_PATH = Path(__file__).with_name("rubric.toml")
# [peer_review] keys read from rubric.toml, with their types (defaults: the Rubric fields)
PEER_REVIEW_KEYS = {"reviews": int, "disagreement_margin": float, "min_feedback_words": int}
# When Gradescope shows an autograder item's result to the student (its autograder
# specification's `visibility` values); `gradescope_visibility` on an [[auto]] item.
GRADESCOPE_VISIBILITY = ("visible", "after_due_date", "after_published", "hidden")


@dataclass(frozen=True)
class AutoItem:
    id: str
    part: str
    title: str
    points: float
    functions: tuple[str, ...]
    visibility: str = "visible"  # Gradescope: visible, after_due_date, after_published or hidden


@dataclass(frozen=True)
class PeerItem:
    """An inline question (kind "inline") or a peer-graded quality item."""

    id: str
    kind: str
    part: str
    title: str
    points: float
    deductions: tuple[float, ...]
    guidance: str


@dataclass(frozen=True)
class Rubric:
    auto: tuple[AutoItem, ...]
    inline: tuple[PeerItem, ...]
    peer: tuple[PeerItem, ...]
    max_raw: float
    out_of: float
    decimals: int
    forgiven_mistakes: int
    forgiveness_points: float
    # [peer_review] (these defaults keep older rubric.toml files loadable; the one place they are set)
    reviews: int = 2
    disagreement_margin: float = 1.0
    min_feedback_words: int = 10

    @property
    def auto_max(self) -> float:
        return sum(i.points for i in self.auto)

    @property
    def peer_graded(self) -> tuple[PeerItem, ...]:
        """The items reviewers grade: inline questions, then peer items."""
        return (*self.inline, *self.peer)

    @property
    def all_items(self) -> tuple[AutoItem | PeerItem, ...]:
        """Every item: the autograder's, then the ones reviewers grade."""
        return (*self.auto, *self.peer_graded)

    @property
    def items_total(self) -> float:
        return sum(i.points for i in self.all_items)

    def auto_item(self, item_id: str) -> AutoItem:
        for item in self.auto:
            if item.id == item_id:
                return item
        raise KeyError(f"rubric.toml has no autograder item {item_id!r}")

    def rescale(self, raw: float) -> float:
        """Raw points -> score out of `out_of` (20/23 -> 8.7 by default)."""
        return round(raw / self.max_raw * self.out_of, self.decimals)


def _peer_items(rows: list[dict], kind: str) -> tuple[PeerItem, ...]:
    return tuple(
        PeerItem(
            id=str(r["id"]),
            kind=kind,
            part=r["part"],
            title=r["title"],
            points=float(r["points"]),
            deductions=tuple(float(d) for d in r["deductions"]),
            guidance=r.get("guidance", ""),
        )
        for r in rows
    )


@cache
def load_rubric(path: Path = RUBRIC_PATH) -> Rubric:
    try:
        return _load(path, tomllib.loads(Path(path).read_text()))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: an item is incomplete or malformed ({type(exc).__name__}: {exc})") from None


def _visibility(path: Path, row: dict) -> str:
    value = row.get("gradescope_visibility", "visible")
    if value not in GRADESCOPE_VISIBILITY:
        raise ConfigError(
            f"{path}: item {row.get('id')!r} has gradescope_visibility = {value!r}; use one of "
            + ", ".join(GRADESCOPE_VISIBILITY)
        )
    return value


def _load(path: Path, raw: dict) -> Rubric:
    auto = tuple(
        AutoItem(
            id=r["id"],
            part=r["part"],
            title=r["title"],
            points=float(r["points"]),
            functions=tuple(r["functions"]),
            visibility=_visibility(path, r),
        )
        for r in raw["auto"]
    )
    rubric = Rubric(
        auto=auto,
        inline=_peer_items(raw.get("inline", []), "inline"),
        peer=_peer_items(raw.get("peer", []), "peer"),
        max_raw=float(raw["scale"]["max_raw"]),
        out_of=float(raw["scale"]["out_of"]),
        decimals=int(raw["scale"]["decimals"]),
        forgiven_mistakes=int(raw["forgiveness"]["mistakes"]),
        forgiveness_points=float(raw["forgiveness"]["points"]),
        **{
            key: cast(raw["peer_review"][key])
            for key, cast in PEER_REVIEW_KEYS.items()
            if key in raw.get("peer_review", {})
        },
    )
    if abs(rubric.items_total - rubric.max_raw) > 1e-9:
        raise ConfigError(
            f"{path}: the items add up to {rubric.items_total:g} points but [scale] max_raw is "
            f"{rubric.max_raw:g}; change max_raw or an item's points so they agree"
        )
    return rubric
