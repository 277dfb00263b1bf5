"""Destroy refuses production and qa; gc removes expired temporary environments."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from hotclone.core import kinds
from hotclone.core.clone import clone
from hotclone.core.destroy import destroy, expired, gc
from hotclone.core.errors import NotFound, Refused
from tests.conftest import Seeded


def _gone(seeded: Seeded, env: str) -> bool:
    try:
        namespace = seeded.cluster.get(kinds.NAMESPACE, None, seeded.namespace(env))
    except NotFound:
        return True
    return bool(namespace["metadata"].get("deletionTimestamp"))


def test_destroy_refuses_production_and_qa(seeded: Seeded) -> None:
    for env in ("production", "qa"):
        with pytest.raises(Refused, match="never destroys"):
            destroy(seeded.cluster, seeded.env(env))
        assert not _gone(seeded, env)


def test_destroy_deletes_a_clone(seeded: Seeded) -> None:
    clone(seeded.cluster, seeded.env("production"), "tmp")
    destroy(seeded.cluster, seeded.env("tmp"))
    assert _gone(seeded, "tmp")


def test_gc_removes_only_expired_environments(seeded: Seeded) -> None:
    cluster = seeded.cluster
    clone(cluster, seeded.env("production"), "short", ttl="1m")
    clone(cluster, seeded.env("production"), "long", ttl="48h")
    later = seeded.session.now() + timedelta(minutes=2)
    found = [e.name for e in expired(cluster, later) if e.app == seeded.app]
    assert found == ["short"]
    environment = seeded.session.environment(seeded.app, "short")
    assert environment.expired(later) and not environment.expired(seeded.session.now())
    removed = [e.name for e in gc(cluster, later) if e.app == seeded.app]
    assert removed == ["short"]
    assert _gone(seeded, "short") and not _gone(seeded, "long")
    assert not _gone(seeded, "production")


def test_interrupted_clone_is_collected_after_a_grace_period(seeded: Seeded) -> None:
    cluster = seeded.cluster
    namespace = seeded.namespace("halfway")
    cluster.create(
        kinds.NAMESPACE,
        None,
        {
            "metadata": {
                "name": namespace,
                "labels": {
                    "hotclone.io/app": seeded.app,
                    "hotclone.io/env": "halfway",
                    "hotclone.io/env-type": "temporary",
                },
                "annotations": {"hotclone.io/state": "creating"},
            }
        },
    )
    environment = seeded.session.environment(seeded.app, "halfway")
    assert environment.incomplete
    assert "halfway" not in [e.name for e in expired(cluster, seeded.session.now())]
    later = seeded.session.now() + timedelta(hours=1)
    assert "halfway" in [e.name for e in expired(cluster, later)]
    time.sleep(0)  # nothing else to wait for: expiry is computed from timestamps
