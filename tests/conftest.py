"""Fixtures: one real local control plane per test session, a fresh app per test."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hotclone.core import demo, kinds
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, APPROVER_CONTEXT, RESTRICTED_CONTEXT, ControlPlane
from hotclone.core.errors import HotcloneError
from hotclone.core.models import Environment
from hotclone.core.session import Session
from tests.alarm import Alarm

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def plane() -> Iterator[ControlPlane]:
    started = ControlPlane.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def kubeconfig(plane: ControlPlane) -> str:
    return str(plane.kubeconfig)


@pytest.fixture(scope="session")
def admin(kubeconfig: str) -> Iterator[Cluster]:
    cluster = Cluster.connect(kubeconfig, ADMIN_CONTEXT)
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def restricted(kubeconfig: str) -> Iterator[Cluster]:
    cluster = Cluster.connect(kubeconfig, RESTRICTED_CONTEXT)
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def approver(kubeconfig: str) -> Iterator[Cluster]:
    """A second person: may view everything and update ConfigMaps (decide promotion requests)."""
    cluster = Cluster.connect(kubeconfig, APPROVER_CONTEXT)
    yield cluster
    cluster.close()


def fresh_app() -> str:
    return f"ts{next(_counter)}{uuid.uuid4().hex[:4]}"


@dataclass
class Seeded:
    session: Session
    cluster: Cluster  # the admin connection the session uses, for tests that look behind it
    app: str
    kubeconfig: str

    def namespace(self, env: str) -> str:
        return f"{self.app}-{env}"

    def env(self, name: str) -> Environment:
        """The environment as the cluster labels it now (one LIST of namespaces)."""
        return self.session.environment(self.app, name)


@pytest.fixture
def seeded(admin: Cluster, kubeconfig: str) -> Iterator[Seeded]:
    """A freshly seeded TopicShare-shaped app (production, qa, development), removed afterwards."""
    app = fresh_app()
    demo.seed(admin, app)
    yield Seeded(Session(admin), admin, app, kubeconfig)
    # Keep the shared control plane light: later tests should not wait behind old pods.
    for namespace in admin.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={app}"):
        with contextlib.suppress(HotcloneError):
            admin.delete(kinds.NAMESPACE, None, namespace["metadata"]["name"])


@pytest.fixture
def seeded_app(seeded: Seeded) -> tuple[Session, str]:
    """(session, app) for the dashboard's end-to-end test."""
    return seeded.session, seeded.app


@pytest.fixture(autouse=True)
def _no_user_kubeconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never touch the developer's own cluster from a test.
    monkeypatch.setenv("KUBECONFIG", os.devnull + ".missing")


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own ~/.config/hotclone/config.yaml stays out of every test."""
    monkeypatch.setenv("HOTCLONE_CONFIG", os.devnull)


@pytest.fixture
def alarm() -> Iterator[Alarm]:
    """SIGALRM raising KeyboardInterrupt while armed (tests/alarm.py), restored after."""
    alarm = Alarm()
    previous = signal.signal(signal.SIGALRM, alarm.handler)
    try:
        yield alarm
    finally:
        alarm.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
