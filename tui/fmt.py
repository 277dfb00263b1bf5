"""Compact display text for ages, TTLs and versions (times come from session.now())."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.models import Environment


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


def age(env: Environment, now: datetime) -> str:
    return duration(now - env.created) if env.created else "-"


def ttl(env: Environment, now: datetime) -> str:
    left = env.ttl_left(now)
    if left is None:
        return "-"
    return "EXPIRED" if env.expired(now) else duration(left)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
