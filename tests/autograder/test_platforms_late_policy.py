"""course.toml [late]: started days after due + grace, extensions, LMS markers, the cap,
time zones, and a wrong setting refused with the key named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autograder.platforms.late_policy import LatePolicy, apply, parse_time, statement
from course.config import ConfigError, LateSettings

BERLIN = "Europe/Berlin"


def policy(**kw) -> LatePolicy:
    base = dict(
        due="2026-12-01T23:59", timezone=BERLIN, grace_minutes=15, penalty_per_day=0.1, max_penalty=0.5, marker_days=1
    )
    return LatePolicy(LateSettings(**(base | kw)))


def at(text: str) -> datetime:
    return parse_time(text, BERLIN)


@pytest.mark.parametrize(
    "when, days",
    [
        ("2026-12-01T23:00", 0),
        ("2026-12-02T00:14", 0),  # on time; within the grace
        ("2026-12-02T00:15", 1),
        ("2026-12-03T00:14", 1),  # first started day
        ("2026-12-03T00:15", 2),
        ("2026-12-31T12:00", 30),
        ("2026-12-01 23:30:00.5 UTC", 1),  # nbgrader's timestamp: 00:30 in Berlin
    ],
)
def test_started_days_after_due_and_grace(when, days):
    assert policy().lateness("a", at(when)).days == days


def test_penalty_per_day_capped_and_applied_to_the_score():
    p = policy()
    assert [p.penalty(d) for d in (0, 1, 3, 5, 9)] == [0, 0.1, 0.3, 0.5, 0.5]
    late = p.lateness("a", at("2026-12-03T12:00"))
    assert (late.days, late.penalty) == (2, 0.2) and apply(8.7, late, 1) == 7.0 and apply(None, late, 1) is None


def test_extensions_by_days_or_by_date():
    p = policy(extensions=(("bob", 2), ("eve", "2026-12-10T12:00")))
    assert p.lateness("bob", at("2026-12-03T20:00")).days == 0 and p.lateness("bob", at("2026-12-04T00:30")).days == 1
    assert p.lateness("eve", at("2026-12-10T11:00")).days == 0 and p.lateness("ann", at("2026-12-10T11:00")).late


def test_a_marker_without_a_time_and_no_time_at_all():
    p = policy(marker_days=2)
    marked = p.lateness("a", None, marker=True)
    assert (marked.days, marked.by_marker, marked.penalty) == (2, True, 0.2)
    assert not p.lateness("a", None).late  # the kit never guesses a student late


def test_no_policy_means_nobody_is_late():
    p = LatePolicy(LateSettings(due=""))
    assert not p.active and not p.lateness("a", at("2030-01-01T00:00"), marker=True).late


def test_statement_says_what_when_and_the_rule():
    p = policy()
    late = p.lateness("a", at("2026-12-02T10:00"))
    text = statement(late, p, 8.7, apply(8.7, late, 1), 10)
    assert "handed in 2026-12-02 10:00, due 2026-12-01 23:59: 1 started day late" in text
    assert "penalty 10%" in text and "8.7 -> 7.8 / 10" in text and "15 minutes' grace" in text
    assert statement(p.lateness("a", at("2026-12-01T10:00")), p, 9, 9, 10) == ""


def test_times_from_every_platform():
    assert parse_time("2026-12-01-23-59-00", "UTC") == datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    assert parse_time("2026-12-01T23:59:00Z", BERLIN).utcoffset() == timedelta(0)
    assert parse_time("2026-12-01T23:59:00+01:00", "UTC").utcoffset() == timedelta(hours=1)
    assert parse_time("2026-07-01T12:00", BERLIN).utcoffset() == timedelta(hours=2)  # summer time
    assert parse_time("", "UTC") is None
    with pytest.raises(ValueError):
        parse_time("next tuesday", "UTC")


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"due": "soon"}, "soon"),
        ({"max_penalty": 2.0}, "max_penalty"),
        ({"penalty_per_day": -0.1}, "penalty_per_day"),
        ({"extensions": (("a", "whenever"),)}, "whenever"),
    ],
)
def test_a_wrong_setting_is_refused_naming_it(kw, words):
    with pytest.raises(ConfigError, match=words):
        policy(**kw)
