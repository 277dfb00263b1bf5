"""One duration syntax in, one text out, for the CLI and the dashboard alike (no cluster needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotclone.cli import output
from hotclone.core import durations
from hotclone.core.errors import InvalidInput
from hotclone.core.models import Environment
from hotclone.tui import fmt

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("90m", 5400), ("1h30m", 5400), ("7d", 604800), ("1w", 604800), (" 2H ", 7200), ("45s", 45)],
)
def test_parse(text: str, seconds: int) -> None:
    assert durations.parse(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "1y", "0h", "1h 30m", "1.5h"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^invalid duration {text!r}: "):
        durations.parse(text)


def test_parse_error_messages() -> None:
    with pytest.raises(InvalidInput, match=r"^invalid duration '5y': use e\.g\. 30m, 24h, 1h30m or 7d$"):
        durations.parse("5y")
    with pytest.raises(InvalidInput, match=r"^invalid duration '0m': must be longer than zero$"):
        durations.parse("0m")


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-30), "<1m"),
        (timedelta(0), "<1m"),
        (timedelta(seconds=59), "<1m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=45, seconds=59), "45m"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=3, minutes=12, seconds=40), "3h12m"),
        (timedelta(hours=20, minutes=48), "20h48m"),
        (timedelta(hours=23, minutes=59, seconds=59), "23h59m"),
        (timedelta(days=1), "1d"),
        (timedelta(days=2, hours=4, minutes=59), "2d4h"),
        (timedelta(days=2, minutes=30), "2d"),
        (timedelta(days=40, hours=1), "40d1h"),
    ],
)
def test_compact(delta: timedelta, text: str) -> None:
    assert durations.compact(delta) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=24), "24h"),
        (timedelta(hours=36), "36h"),
        (timedelta(days=2), "2d"),
        (timedelta(days=7), "7d"),
        (timedelta(days=7, hours=1), "169h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=1, seconds=5), "1h5s"),
    ],
)
def test_exact_parses_back(delta: timedelta, text: str) -> None:
    assert durations.exact(delta) == text
    assert durations.parse(text) == delta


def test_age() -> None:
    assert durations.age(None, NOW) == "-"
    assert durations.age(NOW - timedelta(hours=3, minutes=12), NOW) == "3h12m"
    assert durations.age(NOW + timedelta(minutes=5), NOW) == "<1m"  # clock skew: never negative


def test_ttl_left_of_an_expiry_or_an_environment() -> None:
    assert durations.ttl_left(None, NOW) == "-"
    assert durations.ttl_left(NOW + timedelta(hours=20, minutes=48), NOW) == "20h48m"
    assert durations.ttl_left(NOW + timedelta(seconds=30), NOW) == "<1m"
    assert durations.ttl_left(NOW, NOW) == "EXPIRED"
    assert durations.ttl_left(NOW - timedelta(days=1), NOW) == "EXPIRED"
    assert durations.ttl_left(_env(None), NOW) == "-"
    assert durations.ttl_left(_env(NOW + timedelta(days=2, hours=4)), NOW) == "2d4h"


def _env(expires_at: datetime | None, created: datetime | None = None) -> Environment:
    return Environment("topicshare", "hotfix-ko", "topicshare-hotfix-ko", "temporary", created, expires_at)


@pytest.mark.parametrize(
    ("created", "expires_at"),
    [
        (None, None),
        (NOW - timedelta(seconds=20), NOW + timedelta(hours=23, minutes=59, seconds=40)),
        (NOW - timedelta(days=3, hours=2), NOW - timedelta(hours=2)),
        (NOW - timedelta(hours=5), NOW + timedelta(days=6, hours=19)),
    ],
)
def test_cli_and_dashboard_print_the_same(created: datetime | None, expires_at: datetime | None) -> None:
    environment = _env(expires_at, created)
    assert output.age(environment.created, NOW) == fmt.age(environment, NOW)
    assert output.ttl(environment, NOW) == fmt.ttl(environment, NOW)


def test_type_ttl_text_is_the_same_in_both() -> None:
    assert output.type_ttl(timedelta(hours=24)) == fmt.ttl_text(timedelta(hours=24)) == "24h"
    assert output.type_ttl(None) == "-"
