"""`hotclone demo`: a local control plane seeded with TopicShare, then the dashboard."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from hotclone.core.cluster import Cluster
from hotclone.core.demo import DEMO_APP, seed
from hotclone.core.demo.controlplane import (
    ADMIN_CONTEXT,
    APPROVER_CONTEXT,
    REMOTE_CONTEXT,
    RESTRICTED_CONTEXT,
    ControlPlane,
    cache_root,
    join_kubeconfigs,
)
from hotclone.core.demo.seeding import seed_gates, seed_remote
from hotclone.core.errors import Forbidden
from hotclone.core.session import Session


def state_file(name: str = "state") -> Path:
    return cache_root() / "demo" / f"{name}.json"


def running(name: str = "state") -> ControlPlane | None:
    path = state_file(name)
    if not path.exists():
        return None
    plane = ControlPlane.load(path)
    if plane.alive() and plane.kubeconfig.exists():
        return plane
    plane.stop()  # a stale or half-dead demo: clean it up
    path.unlink(missing_ok=True)
    return None


_REMOTE = "state-remote"  # the second cluster of `--two-clusters`


def _joined() -> Path:
    return cache_root() / "demo" / "kubeconfig-two-clusters"


def stop(names: tuple[str, ...] = ("state", _REMOTE)) -> bool:
    """Stop the demo's planes (both, unless `names` says which); True if one was running."""
    stopped = False
    if _REMOTE in names:
        _joined().unlink(missing_ok=True)  # names a plane that no longer runs
    for name in names:
        plane = running(name)
        state_file(name).unlink(missing_ok=True)
        if plane is not None:
            plane.stop()
            stopped = True
    return stopped


def start(name: str = "state", folder_name: str = "plane") -> tuple[ControlPlane, bool]:
    """The running demo plane, or a new one; the flag says whether we started it."""
    existing = running(name)
    if existing:
        return existing, False
    folder = cache_root() / "demo" / folder_name
    folder.parent.mkdir(parents=True, exist_ok=True)
    print("starting the local Kubernetes control plane (etcd, kube-apiserver, controllers, kwok)...", file=sys.stderr)
    plane = ControlPlane.start(folder)
    plane.save(state_file(name))
    return plane, True


def start_second(home: ControlPlane) -> tuple[Path, bool]:
    """A second local cluster for TopicShare's clones, and one kubeconfig holding both (the
    home plane's three identities, and the second plane's admin as REMOTE_CONTEXT)."""
    remote, started = start(_REMOTE, "plane-remote")
    path = join_kubeconfigs(
        _joined(),
        [
            (home, {c: c for c in (ADMIN_CONTEXT, RESTRICTED_CONTEXT, APPROVER_CONTEXT)}),
            (remote, {ADMIN_CONTEXT: REMOTE_CONTEXT}),
        ],
    )
    a, b = Cluster.connect(str(path), ADMIN_CONTEXT), Cluster.connect(str(path), REMOTE_CONTEXT)
    try:
        seed_remote(a, b, REMOTE_CONTEXT)
    finally:
        a.close()
        b.close()
    return path, started


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
    kubeconfig_path, contexts, also = str(plane.kubeconfig), [ADMIN_CONTEXT], False
    if args.two_clusters:
        joined, also = start_second(plane)
        kubeconfig_path, contexts = str(joined), [ADMIN_CONTEXT, REMOTE_CONTEXT]
    if args.no_ui:
        print(f"export KUBECONFIG={kubeconfig_path}")
        flags = " ".join(f"--context {c}" for c in contexts) if len(contexts) > 1 else ""
        where = f"; show both with: hotclone {flags}" if flags else ""
        print(f"# demo running at {plane.server}{where}; stop it with: hotclone demo --stop", file=sys.stderr)
        return 0
    try:
        return open_dashboard(
            functools.partial(Session.connect, kubeconfig_path, ADMIN_CONTEXT, read_only=read_only, contexts=contexts)
        )
    finally:
        stop(tuple(name for name, ours in (("state", started), (_REMOTE, also)) if ours))
