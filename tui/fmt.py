"""Compact display text for ages, TTLs and versions (times come from session.now())."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotclone.core.models import Environment


def duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{seconds // 86400}d"


def ttl_text(delta: timedelta) -> str:
    """A TTL as the duration syntax core parses (24h, 3d, 90m)."""
    minutes = int(delta.total_seconds()) // 60
    if minutes % (24 * 60) == 0 and minutes >= 48 * 60:
        return f"{minutes // (24 * 60)}d"
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def age(env: Environment, now: datetime) -> str:
    return duration(now - env.created) if env.created else "-"


def ttl(env: Environment, now: datetime) -> str:
    left = env.ttl_left(now)
    if left is None:
        return "-"
    return "EXPIRED" if env.expired(now) else duration(left)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
