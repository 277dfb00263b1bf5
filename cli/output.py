"""Plain-text and JSON rendering of core's results for the command line."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

from hotclone.core import display, durations
from hotclone.core.models import Environment, HistoryEntry


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.repr  # internal fields (plan writes) are repr=False and never printed
        }
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, sort_keys=False)


# Ages and TTLs print exactly as the dashboard prints them: both go through core.durations.
def age(since: datetime | None, now: datetime) -> str:
    return durations.age(since, now)


def ttl(environment: Environment, now: datetime) -> str:
    return durations.ttl_left(environment, now)


def type_ttl(ttl: timedelta | None) -> str:
    """An environment type's default TTL, as the dashboard shows it (and `--ttl` takes it)."""
    return durations.exact(ttl) if ttl else "-"


def table(headers: list[str], rows: list[list[str]]) -> str:
    # Cells are cluster text: one line each, control characters escaped (core.display).
    rows = [[display.safe(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def history_markdown(env_ref: str, entries: list[HistoryEntry]) -> str:
    """An incident timeline for a postmortem."""
    safe = display.safe  # every field on one line: a newline in a reason must not start a fake entry
    lines = [f"# Timeline of {safe(env_ref)}", ""]
    for entry in entries:
        stamp = entry.timestamp.strftime("%Y-%m-%d %H:%M:%SZ")
        reason = f" — {safe(entry.reason)}" if entry.reason else ""
        state = "" if entry.state == "complete" else f" ({safe(entry.state)})"
        lines.append(
            f"- **{stamp}** revision {entry.revision}: `{safe(entry.action)}`{state} by {safe(entry.user)}{reason}"
        )
        lines += [f"  - {safe(line)}" for line in entry.summary[:20]]
    return "\n".join(lines) + "\n"
