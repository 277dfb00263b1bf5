"""`hotclone demo`: a local control plane seeded with TopicShare, then the dashboard."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from hotclone.core.cluster import Cluster
from hotclone.core.demo import DEMO_APP, seed
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, ControlPlane, cache_root
from hotclone.core.demo.seeding import seed_gates
from hotclone.core.errors import Forbidden
from hotclone.core.session import Session


def state_file() -> Path:
    return cache_root() / "demo" / "state.json"


def running() -> ControlPlane | None:
    path = state_file()
    if not path.exists():
        return None
    plane = ControlPlane.load(path)
    if plane.alive() and plane.kubeconfig.exists():
        return plane
    plane.stop()  # a stale or half-dead demo: clean it up
    path.unlink(missing_ok=True)
    return None


def stop() -> bool:
    plane = running()
    state_file().unlink(missing_ok=True)
    if plane is None:
        return False
    plane.stop()
    return True


def start() -> tuple[ControlPlane, bool]:
    """The running demo plane, or a new one; the flag says whether we started it."""
    existing = running()
    if existing:
        return existing, False
    folder = cache_root() / "demo" / "plane"
    folder.parent.mkdir(parents=True, exist_ok=True)
    print("starting the local Kubernetes control plane (etcd, kube-apiserver, controllers, kwok)...", file=sys.stderr)
    plane = ControlPlane.start(folder)
    plane.save(state_file())
    return plane, True


def _seed(kubeconfig: str | None, context: str | None) -> None:
    cluster = Cluster.connect(kubeconfig, context)
    try:
        seed(cluster, DEMO_APP)
        # Production needs a verification and an approval; the API server enforces the approvals.
        for line in seed_gates(cluster, DEMO_APP):
            print(f"approval policy: {line}", file=sys.stderr)
    finally:
        cluster.close()


def run_demo(
    args: argparse.Namespace,
    kubeconfig: str | None,
    context: str | None,
    read_only: bool,
    open_dashboard: Callable[[Callable[[], Session]], int],
) -> int:
    if args.stop:
        print("demo control plane stopped" if stop() else "no demo control plane was running")
        return 0
    if args.seed_only:
        if read_only:  # seeding writes into the current context: a cluster the user asked not to change
            raise Forbidden("read-only mode: demo --seed-only is disabled (it writes the demo app into the context)")
        _seed(kubeconfig, context)
        print(f"seeded {DEMO_APP} into the current context")
        return 0
    plane, started = start()
    _seed(str(plane.kubeconfig), ADMIN_CONTEXT)
    if args.no_ui:
        print(f"export KUBECONFIG={plane.kubeconfig}")
        print(f"# demo running at {plane.server}; stop it with: hotclone demo --stop", file=sys.stderr)
        return 0
    try:
        return open_dashboard(
            functools.partial(Session.connect, str(plane.kubeconfig), ADMIN_CONTEXT, read_only=read_only)
        )
    finally:
        if started:
            stop()
