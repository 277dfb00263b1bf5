"""Faults in the middle of a promote of a few hundred objects, and of a clone.

The test owns its API server: it kills it, hangs it (SIGSTOP), and interrupts the
`hotclone` process (SIGINT, SIGHUP, SIGTERM, SIGKILL) while writes are under way.
Every run must end in one of two states, read back from the cluster: fully applied or
fully restored, or, where restoring is impossible at that moment (the server is gone,
the process is dead), an unfinished revision that blocks other changes until
`hotclone recover` restores the state from before it. And what hotclone printed must
say which of these happened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotclone.core import demo, history, kinds
from hotclone.core.clone import clone
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, ControlPlane
from hotclone.core.discovery import environment, environments
from hotclone.core.errors import HotcloneError, NotFound
from hotclone.core.models import HistoryEntry
from tests.conftest import fresh_app

OBJECTS = 300  # ConfigMaps the promote changes: enough for an interruption to land mid-way
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def own_plane() -> Iterator[ControlPlane]:
    plane = ControlPlane.start(with_kwok=False)  # this module kills and hangs it: not the shared one
    try:
        yield plane
    finally:
        plane.stop()


@dataclass
class World:
    plane: ControlPlane
    cluster: Cluster
    app: str

    @property
    def production(self) -> str:
        return f"{self.app}-production"

    def changed(self) -> int:
        """How many of the bulk ConfigMaps in production hold the clone's value."""
        items = self.cluster.list(kinds.CONFIGMAP, self.production, label_selector="bulk=yes")
        return sum(1 for c in items if (c.get("data") or {}).get("v") == "2")

    def entries(self) -> list[HistoryEntry]:
        return history.entries(self.cluster, environment(self.cluster, self.app, "production"))

    def hotclone(self, *argv: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "hotclone", *argv, "--kubeconfig", str(self.plane.kubeconfig)]
        command += ["--context", ADMIN_CONTEXT, "--request-timeout", "4"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def promote(self) -> subprocess.Popen[str]:
        return self.hotclone(
            "promote", self.app, "fix", "--yes", "--confirm", "production", "--reason", "fault test", "--no-wait"
        )

    def recover(self) -> subprocess.CompletedProcess[str]:
        process = self.hotclone("recover", self.app, "production", "--yes", "--confirm", "production")
        out, err = process.communicate(timeout=120)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture
def world(own_plane: ControlPlane) -> Iterator[World]:
    """Production with OBJECTS bulk ConfigMaps, and a clone `fix` in which every one of them changed."""
    cluster = Cluster.connect(str(own_plane.kubeconfig), ADMIN_CONTEXT)
    app = fresh_app()
    demo.seed(cluster, app)
    for n in range(OBJECTS):
        body = {"metadata": {"name": f"bulk-{n:03d}", "labels": {"bulk": "yes"}}, "data": {"v": "1"}}
        cluster.create(kinds.CONFIGMAP, f"{app}-production", {"apiVersion": "v1", "kind": "ConfigMap", **body})
    clone(cluster, environment(cluster, app, "production"), "fix")
    for n in range(OBJECTS):
        cluster.patch(kinds.CONFIGMAP, f"{app}-fix", f"bulk-{n:03d}", {"data": {"v": "2"}})
    yield World(own_plane, cluster, app)
    cluster.close()


def _when_mid_way(world: World, process: subprocess.Popen[str], at_least: int = 20, timeout: float = 60) -> int:
    """Wait until the promote has written some objects but not all; returns how many."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = world.changed()
        if at_least <= count < OBJECTS:
            return count
        assert process.poll() is None, f"promote ended before it could be interrupted: {process.communicate()}"
        time.sleep(0.005)
    raise AssertionError("the promote never got mid-way")


def _ended(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    _out, err = process.communicate(timeout=timeout)
    return process.returncode, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP, signal.SIGTERM], ids=["SIGINT", "SIGHUP", "SIGTERM"])
def test_a_signal_mid_promote_restores_everything_and_says_so(world: World, signum: int) -> None:
    process = world.promote()
    written = _when_mid_way(world, process)
    process.send_signal(signum)
    code, err = _ended(process)
    assert code == 130, err
    assert world.changed() == 0, f"{written} were written; after the restore some are still changed"
    assert "stopped and was undone; read back, nothing changed" in err, err
    assert len(err.strip().splitlines()) == 1, err  # one line, no traceback
    latest = world.entries()[-1]
    assert (latest.action, latest.state) == ("promote", "undone")
    # Nothing is left unfinished: the next promote runs to the end.
    code, err = _ended(world.promote())
    assert code == 0, err
    assert world.changed() == OBJECTS


def test_a_killed_api_server_leaves_an_interrupted_revision_that_recover_restores(world: World) -> None:
    process = world.promote()
    _when_mid_way(world, process)
    world.plane.kill("kube-apiserver")
    code, err = _ended(process)
    world.plane.restart("kube-apiserver")
    assert code == 2, err
    assert "could not be restored yet" in err and "hotclone recover" in err, err
    partial = world.changed()
    assert 0 < partial < OBJECTS  # the server died mid-way: neither state, and history says so
    (latest,) = [e for e in world.entries() if e.action == "promote"]
    assert not latest.finished
    blocked = world.promote()
    code, err = _ended(blocked)
    assert code == 2 and "unfinished revision" in err and "hotclone recover" in err, err
    assert world.changed() == partial  # refused before writing anything
    recovered = world.recover()
    assert recovered.returncode == 0, recovered.stderr
    assert "restored and read back" in recovered.stdout
    assert world.changed() == 0
    assert [e.state for e in world.entries() if e.action == "promote"] == ["recovered"]


def test_a_hung_api_server_mid_promote_and_the_write_it_carries_out_later(world: World) -> None:
    """SIGSTOP: requests time out on the client; the in-flight write lands when the server resumes."""
    process = world.promote()
    _when_mid_way(world, process)
    world.plane.pause("kube-apiserver")
    try:
        code, err = _ended(process, timeout=90)
    finally:
        world.plane.resume("kube-apiserver")
    assert code == 2, err
    assert "could not be restored yet" in err or "could not be marked" in err, err
    time.sleep(1)  # let the server finish what it had accepted before it stopped
    recovered = world.recover()
    assert recovered.returncode == 0, recovered.stderr
    assert world.changed() == 0  # including the write the server carried out after the stall


def test_a_killed_client_leaves_a_pending_revision_that_blocks_and_recovers(world: World) -> None:
    process = world.promote()
    _when_mid_way(world, process)
    process.kill()  # no handler runs: the journal's pending revision is all that is left
    process.communicate(timeout=30)
    assert 0 < world.changed() < OBJECTS
    (latest,) = [e for e in world.entries() if e.action == "promote"]
    assert latest.state == "pending"
    history_text = world.hotclone("history", world.app, "production")
    out, _ = history_text.communicate(timeout=60)
    assert "pending" in out and "hotclone recover" in out
    recovered = world.recover()
    assert recovered.returncode == 0, recovered.stderr
    assert world.changed() == 0


def test_sigint_mid_clone_leaves_no_environment(world: World) -> None:
    process = world.hotclone("clone", world.app, "production", "second", "--yes")
    namespace = f"{world.app}-second"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            objects = world.cluster.list(kinds.CONFIGMAP, namespace, label_selector="bulk=yes")
        except HotcloneError:
            objects = []
        if len(objects) >= 20:
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    code, err = _ended(process)
    assert code == 130, err
    assert "clone stopped (interrupted)" in err and "read back" in err, err
    try:
        live = world.cluster.get(kinds.NAMESPACE, None, namespace)
        assert live["metadata"].get("deletionTimestamp"), "the half-made namespace is still there"
    except NotFound:
        pass
    usable = {e.name for e in environments(world.cluster, world.app) if not e.incomplete}
    assert "second" not in usable
