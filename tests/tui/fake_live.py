"""The fake's live view: core/live.py's reads over the fake's Store, and changes by others.

Reads are what `FakeSession` answers (same rows, same core functions) but recorded nowhere:
the real view reads memory, so a test counting the session's calls sees none. A change made
"outside hotclone" (`external_*` on FakeSession) updates the Store and reaches `on_change`
from another thread, as the watches' own thread would call it, so tests exercise the hop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hotclone.core import matrix, rollout
from hotclone.core.models import (
    Application,
    ClusterStatus,
    Environment,
    LiveChange,
    LiveState,
    RolloutStatus,
    VersionMatrix,
    Workload,
)
from tests.tui import fake_core as core
from tests.tui.fake_store import Store

WATCH_DELAY = 0.02  # seconds between the Store's change and on_change: a watch event's trip


@dataclass
class FakeLive:
    store: Store
    workloads_of: Callable[[Environment], list[Workload]]  # rows, as the fake's workloads() builds them
    on_change: Callable[[LiveChange], None]
    state: LiveState = "live"
    error: str = ""
    stopped: bool = False
    clusters_of: Callable[[], list[ClusterStatus]] = list  # the session's contexts as they are now
    # With several clusters: the merged applications of those that answer, and each environment's store.
    applications_of: Callable[[], list[Application]] | None = None
    store_of: Callable[[Environment], Store] | None = None
    timers: list[threading.Timer] = field(default_factory=list)

    def stop(self) -> None:
        self.stopped = True
        self.state = "stopped"
        for timer in self.timers:
            timer.cancel()

    def applications(self) -> list[Application]:
        if self.applications_of is not None:
            return self.applications_of()
        apps = sorted({e.app for e in core.all_environments(self.store)})
        return [Application(app, tuple(core.environments(self.store, app))) for app in apps]

    @property
    def clusters(self) -> list[ClusterStatus]:
        return self.clusters_of()

    def workloads(self, environment: Environment) -> list[Workload]:
        return self.workloads_of(environment)

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        return {a.name: matrix.build(list(a.environments), [self.workloads(e) for e in a.environments]) for a in apps}

    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        """As Live.rollout_status: the objects as last seen, no controller step (a watch only reads)."""
        store = self.store_of(environment) if self.store_of else self.store
        stored = store.objects.get(environment.namespace, {})
        return [
            rollout.status_of(ref, store.get(environment.namespace, ref))
            if ref in stored
            else RolloutStatus(ref, 0, 0, 0, False, "not found", True)
            for ref in workloads
        ]

    def changed(self, change: LiveChange) -> None:
        """Tell the dashboard from another thread, a moment later, as a watch event would."""
        if self.stopped or self.state in ("fallback", "stopped"):
            return  # a view that does not watch sees nothing
        timer = threading.Timer(WATCH_DELAY, self.on_change, (change,))
        timer.daemon = True
        self.timers.append(timer)
        timer.start()
