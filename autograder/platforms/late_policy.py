"""The late policy of course.toml [late]: how late a hand-in is, and what that costs.

    days late  = (hand-in time - (due + the student's extension) - grace) / 24 h, started days
                 counted (1 minute past the grace is 1 day); an LMS "late" marker with no
                 time counts as `marker_days`
    penalty    = min(max_penalty, days late * penalty_per_day)    a share of the score
    final      = round(score * (1 - penalty), rubric decimals)

Applied once, to the final score out of 10 (after peer review and TA overrides), so
rule.py and combine.py stay exactly the course's arithmetic. A hand-in with no
known time and no marker is on time: the kit never guesses a student late.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from course.config import ConfigError, LateSettings, load_config

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Lateness:
    """How late one hand-in was, and what it costs."""

    days: int  # started days after due + grace (0 = on time)
    penalty: float  # share of the score lost, 0..max_penalty
    due: datetime | None  # this student's due time (extension included), aware
    submitted_at: datetime | None
    by_marker: bool = False  # only an LMS marker said "late" (no time known)

    @property
    def late(self) -> bool:
        return self.days > 0


def parse_time(text: str, tz: str = "UTC") -> datetime | None:
    """An aware datetime from what the platforms write, or None for "".

    Accepts ISO 8601 ("2026-12-01T23:59", "...Z", "...+01:00"), nbgrader's
    timestamp.txt ("2026-12-01 23:59:00.123456 UTC") and Blackboard's attempt
    stamp ("2026-12-01-23-59-00"). A time without a zone is in `tz`."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) == 19 and text[4] == text[7] == text[10] == text[13] == text[16] == "-":
        text = f"{text[:10]}T{text[11:13]}:{text[14:16]}:{text[17:]}"  # Blackboard's stamp
    utc = text.endswith((" UTC", "Z"))
    text = text.removesuffix(" UTC").removesuffix("Z")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time (expected e.g. 2026-12-01T23:59)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC if utc else zone(tz))
    return when


def zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"course.toml: [late] timezone = {name!r} is not an IANA time zone "
            "(e.g. UTC, Europe/Berlin, America/New_York)"
        ) from None


class LatePolicy:
    """course.toml [late], checked once (ConfigError naming the key on a bad value)."""

    def __init__(self, settings: LateSettings | None = None):
        self.settings = s = settings or load_config().late
        zone(s.timezone)
        try:
            self.due = parse_time(s.due, s.timezone)
            self.extensions = {sid: self._extended(v) for sid, v in s.extensions}
        except ValueError as exc:
            raise ConfigError(f"course.toml: [late] {exc}") from None
        for key in ("grace_minutes", "penalty_per_day", "marker_days"):
            if getattr(s, key) < 0:
                raise ConfigError(f"course.toml: [late] {key} = {getattr(s, key):g} must not be negative")
        if not 0 <= s.max_penalty <= 1:
            raise ConfigError(f"course.toml: [late] max_penalty = {s.max_penalty:g}; use a share between 0 and 1")

    @property
    def active(self) -> bool:
        return self.due is not None

    def _extended(self, value) -> datetime | None:
        if isinstance(value, (int, float)):
            return None if self.due is None else self.due + value * DAY
        return parse_time(value, self.settings.timezone)

    def due_for(self, student_id: str) -> datetime | None:
        return self.extensions.get(student_id, self.due)

    def lateness(self, student_id: str, submitted_at: datetime | None, marker: bool = False) -> Lateness:
        """How late `student_id`'s hand-in was (0 days when there is no policy or no time)."""
        due = self.due_for(student_id)
        if due is None:
            return Lateness(0, 0.0, None, submitted_at)
        if submitted_at is None:
            days = math.ceil(self.settings.marker_days) if marker else 0
            return Lateness(days, self.penalty(days), due, None, by_marker=marker and days > 0)
        overdue = submitted_at - due - timedelta(minutes=self.settings.grace_minutes)
        days = max(0, math.ceil(overdue / DAY)) if overdue > timedelta(0) else 0
        return Lateness(days, self.penalty(days), due, submitted_at)

    def penalty(self, days: int) -> float:
        return round(min(self.settings.max_penalty, days * self.settings.penalty_per_day), 6)

    def rule_text(self) -> str:
        """The policy in one sentence, for feedback and the guide."""
        s = self.settings
        if not self.active:
            return "no late policy"
        cap = "" if s.max_penalty >= 1 else f", at most {s.max_penalty:.0%}"
        return (
            f"due {self.due:%Y-%m-%d %H:%M} ({s.timezone}), {s.grace_minutes:g} minutes' grace, "
            f"then {s.penalty_per_day:.0%} of the score per started day late{cap}"
        )


def apply(score: float | None, lateness: Lateness, decimals: int) -> float | None:
    """The final score after the late penalty (None stays None: not final yet)."""
    if score is None:
        return None
    return round(score * (1 - lateness.penalty), decimals)


def statement(lateness: Lateness, policy: LatePolicy, before: float | None, after: float | None, out_of: float) -> str:
    """What a late student's feedback says ("" when on time)."""
    if not lateness.late:
        return ""
    if lateness.by_marker:
        when = (
            "your LMS marked the hand-in late (no time recorded), counted as "
            f"{lateness.days} day{'s' * (lateness.days != 1)} late"
        )
    else:
        due, submitted = lateness.due, lateness.submitted_at
        assert due is not None and submitted is not None  # late by the clock: both times are known
        when = (
            f"handed in {submitted.astimezone(due.tzinfo):%Y-%m-%d %H:%M}, due "
            f"{due:%Y-%m-%d %H:%M}: {lateness.days} started day{'s' * (lateness.days != 1)} late"
        )
    score = "" if before is None else f": {before:g} -> {after:g} / {out_of:g}"
    return f"Late work: {when}; penalty {lateness.penalty:.0%} of the score{score}. Policy: {policy.rule_text()}."
