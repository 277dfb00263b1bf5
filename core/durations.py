"""Durations: the one syntax users type (TTLs) and the one text every front end prints.

`parse` reads what users and environment-type ConfigMaps write (`24h`, `1h30m`, `7d`).
Two texts come out: `compact` for reading at a glance (ages, time left: the two largest
units, rounded down, like kubectl's AGE column) and `exact` for a type's TTL, shown
or pre-filled as input (it parses back to the same duration). The CLI and the dashboard
both print through `age` and `ttl_left`, so they show the same text for the same
environment.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hotclone.core.errors import InvalidInput

if TYPE_CHECKING:
    from hotclone.core.models import Environment

_DURATION = re.compile(r"([0-9]+)([smhdw])")  # ASCII digits only
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_COMPACT_UNITS = (("d", 86400), ("h", 3600), ("m", 60))
_EXACT_UNITS = (("h", 3600), ("m", 60), ("s", 1))

# The longest lifetime anyone types for a temporary environment is weeks; a year is a
# generous cap that still catches typos (`999999999h`) before they overflow a datetime.
MAX = timedelta(days=365)

NONE = "-"  # no creation time, or no TTL
EXPIRED = "EXPIRED"


def parse(text: str) -> timedelta:
    """`24h`, `90m`, `1h30m`, `7d`; like Go's durations plus days and weeks, at most `MAX`."""
    compact_text = text.strip().lower()
    if not compact_text or _DURATION.sub("", compact_text) or not _DURATION.search(compact_text):
        raise InvalidInput(f"invalid duration {text!r}: use e.g. 30m, 24h, 1h30m or 7d")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(compact_text))
    if seconds <= 0:
        raise InvalidInput(f"invalid duration {text!r}: must be longer than zero")
    if seconds > MAX.total_seconds():  # Python ints never overflow; timedelta and datetime do
        raise InvalidInput(f"invalid duration {text!r}: at most {MAX.days} days ({MAX.days}d)")
    return timedelta(seconds=seconds)


def _split(seconds: int, units: tuple[tuple[str, int], ...]) -> list[tuple[int, str]]:
    parts = []
    for unit, size in units:
        count, seconds = divmod(seconds, size)
        parts.append((count, unit))
    return parts


def compact(delta: timedelta) -> str:
    """`<1m`, `45m`, `3h`, `3h12m`, `2d`, `2d4h`: the two largest units, rounded down."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "<1m"  # also for negative deltas (clock skew): never a minus sign
    parts = _split(seconds, _COMPACT_UNITS)
    first = next(i for i, (count, _) in enumerate(parts) if count)
    return "".join(f"{count}{unit}" for count, unit in parts[first : first + 2] if count)


def exact(delta: timedelta) -> str:
    """`24h`, `36h`, `1h30m`, `90s`, `7d`: a TTL as people write one; `parse` reads it back.

    Whole days from two days up are days; anything else is hours, minutes and seconds.
    """
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    if days >= 2 and not rest:
        return f"{days}d"
    return "".join(f"{count}{unit}" for count, unit in _split(seconds, _EXACT_UNITS) if count) or "0s"


def age(since: datetime | None, now: datetime) -> str:
    return NONE if since is None else compact(now - since)


def ttl_left(expiry: Environment | datetime | None, now: datetime) -> str:
    """Time left before an environment (or an expiry time) expires; `EXPIRED` once past."""
    expires_at = expiry if isinstance(expiry, datetime) or expiry is None else expiry.expires_at
    if expires_at is None:
        return NONE
    return EXPIRED if now >= expires_at else compact(expires_at - now)
