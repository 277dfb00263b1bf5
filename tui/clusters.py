"""Environments in more than one cluster (issue 14): how the dashboard tells them apart and says
which cluster is down. Pure text; every cluster-given string is escaped (core/display.py)."""

from __future__ import annotations

from collections.abc import Iterable

from hotclone.core.display import safe
from hotclone.core.models import ClusterStatus, Environment

# A mark and a word for each state: read the same with NO_COLOR (the colour only adds to them).
MARKS = {"ok": "✓", "unreachable": "✗", "forbidden": "✗", "unknown": "…"}


def key(env: Environment) -> str:
    """One environment's identity in the dashboard: "app/name", and its context when it has one
    (the same name may be in two clusters; `production@eu-1`, as the command line writes it)."""
    return f"{env.app}/{env.address}"


def several(statuses: Iterable[ClusterStatus], environments: Iterable[Environment]) -> bool:
    """More than one cluster in this session: the list names each environment's."""
    return len(list(statuses)) > 1 or len({e.cluster for e in environments}) > 1


_SEPARATORS = "-_:/."


def short_names(contexts: Iterable[str]) -> dict[str, str]:
    """Each context without the part every one shares up to a separator (`kind-a`, `kind-b`: `a`,
    `b`), so a narrow column shows what tells them apart; the details line names them in full."""
    names = sorted(set(contexts))
    common = 0
    for chars in zip(*names, strict=False) if len(names) > 1 else ():
        if len(set(chars)) > 1:
            break
        common += 1
    cut = max((i + 1 for i in range(common) if names[0][i] in _SEPARATORS), default=0)
    if any(len(name) <= cut for name in names):
        cut = 0
    return {name: name[cut:] for name in names}


def status_text(status: ClusterStatus) -> str:
    """`kind-a ✓`, `kind-b ✗ unreachable`: the header's words for one context."""
    mark = MARKS.get(status.state, "?")
    word = "" if status.ok else f" {status.state}"
    return safe(f"{status.context} {mark}{word}")


def problem(status: ClusterStatus) -> str:
    """The list's line for a cluster that does not answer ("" when it does, or has not yet)."""
    if status.state in ("ok", "unknown"):
        return ""
    error = status.error.removeprefix(f"context {status.context}: ")  # core may name the context already
    line = " ".join(error.split()) or "no answer"
    return "⚠ " + safe(f"context {status.context} {status.state}: {line}")


def down(statuses: Iterable[ClusterStatus]) -> set[str]:
    """Contexts whose environments are (at best) their last known state."""
    return {s.context for s in statuses if s.state in ("unreachable", "forbidden")}
