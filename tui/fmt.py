"""Display text for ages, TTLs and durations (times come from session.now()).

All of it is core.durations' text, so the dashboard and the CLI print the same age and
TTL for the same environment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hotclone.core import durations
from hotclone.core.models import Environment


def duration(delta: timedelta) -> str:
    return durations.compact(delta)


def ttl_text(delta: timedelta) -> str:
    """A TTL as the duration syntax core parses (24h, 1h30m, 7d): shown and pre-filled as input."""
    return durations.exact(delta)


def age(env: Environment, now: datetime) -> str:
    return durations.age(env.created, now)


def ttl(env: Environment, now: datetime) -> str:
    return durations.ttl_left(env, now)
