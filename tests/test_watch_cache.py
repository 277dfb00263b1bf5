"""The watch-fed cache against a real API server it owns: events, a burst, 410 Gone, the
server killed and started again, a user who may not watch, and a clean stop."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest

from hotclone.core import kinds
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, RESTRICTED_CONTEXT, ControlPlane
from hotclone.core.watch_cache import Coalescer, WatchCache, WatchEvent
from tests.conftest import fresh_app


@pytest.fixture(scope="module")
def own_plane() -> Iterator[ControlPlane]:
    # This module kills its API server (not the shared one) and compacts its etcd: ConfigMap watches
    # go to etcd itself (no watch cache for them), so that compacted history is a real 410 Gone.
    plane = ControlPlane.start(with_kwok=False, apiserver_args=("--watch-cache-sizes=configmaps#0",))
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def cluster(own_plane: ControlPlane) -> Iterator[Cluster]:
    connection = Cluster.connect(str(own_plane.kubeconfig), ADMIN_CONTEXT)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = fresh_app()
    cluster.create(kinds.NAMESPACE, None, {"metadata": {"name": name}})
    yield name
    cluster.delete(kinds.NAMESPACE, None, name)


def configmap(name: str, value: str = "1") -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> float:
    """Seconds until `check()` held; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout}s")


def values(cache: WatchCache) -> dict[str, str]:
    return {o["metadata"]["name"]: o["data"]["v"] for o in cache.items() if o["metadata"]["name"].startswith("cm-")}


def test_lists_once_then_follows_adds_changes_and_deletes_within_a_second(cluster: Cluster, namespace: str) -> None:
    cluster.create(kinds.CONFIGMAP, namespace, configmap("cm-a"))
    seen: list[WatchEvent] = []
    cache = WatchCache(cluster, kinds.CONFIGMAP, namespace, on_change=seen.extend).start()
    try:
        assert cache.wait_synced(10) and cache.state == "synced"
        assert values(cache) == {"cm-a": "1"} and cache.get(namespace, "cm-a") is not None
        cluster.create(kinds.CONFIGMAP, namespace, configmap("cm-b"))
        cluster.patch(kinds.CONFIGMAP, namespace, "cm-a", {"data": {"v": "2"}})
        cluster.delete(kinds.CONFIGMAP, namespace, "cm-b")
        assert eventually(lambda: values(cache) == {"cm-a": "2"}) < 1.0
        kinds_seen = [(e.type, e.key[1]) for e in seen if e.key[1].startswith("cm-")]
        assert kinds_seen == [("ADDED", "cm-b"), ("MODIFIED", "cm-a"), ("DELETED", "cm-b")]
        assert cache.lists == 1 and cache.items()[0]["kind"] == "ConfigMap"
    finally:
        cache.stop()


def test_a_burst_of_events_reaches_the_listener_in_a_few_calls(cluster: Cluster, namespace: str) -> None:
    calls: list[int] = []
    coalescer = Coalescer(lambda events: calls.append(len(events)), quiet=0.05, at_most=0.25)
    cache = WatchCache(cluster, kinds.CONFIGMAP, namespace, on_change=coalescer).start()
    burst = 200
    try:
        assert cache.wait_synced(10)
        threads = [
            threading.Thread(
                target=lambda n=n: [
                    cluster.create(kinds.CONFIGMAP, namespace, configmap(f"cm-{n}-{i}")) for i in range(20)
                ]
            )
            for n in range(burst // 20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        eventually(lambda: len(values(cache)) == burst, timeout=10)
        eventually(lambda: sum(calls) >= burst + 1)  # every event, and the first LIST's RELISTED
        assert len(calls) <= burst / 10, calls  # a repaint per batch, not per event
    finally:
        cache.stop()
        coalescer.close()


def compact_etcd(plane: ControlPlane, cluster: Cluster) -> None:
    """Write what the cache does not see (twice: compacting at revision R keeps R itself), then drop
    etcd's history up to now. ConfigMaps of `default`: their LIST comes from etcd, so its
    resourceVersion is etcd's latest revision."""
    for _ in range(2):
        cluster.create(kinds.CONFIGMAP, "default", configmap(f"scratch-{time.monotonic_ns()}"))
    revision = cluster.request("GET", kinds.CONFIGMAP.collection_path("default"))["metadata"]["resourceVersion"]
    body = json.dumps({"revision": revision, "physical": True}).encode()
    url = f"http://127.0.0.1:{plane.etcd_port}/v3/kv/compaction"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def test_history_the_server_no_longer_keeps_answers_410_and_the_cache_lists_again(
    own_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    cluster.create(kinds.CONFIGMAP, namespace, configmap("cm-kept"))
    cache = WatchCache(cluster, kinds.CONFIGMAP, namespace, watch_seconds=1).start()  # re-watches every second
    try:
        assert cache.wait_synced(10) and cache.lists == 1
        for _attempt in range(5):
            # Compacted past the cache's resourceVersion: its next watch is a 410 and it lists. (A
            # bookmark can move the cache past the compacted revision first; then compact again.)
            compact_etcd(own_plane, cluster)
            with contextlib.suppress(AssertionError):
                eventually(lambda: cache.lists >= 2, timeout=3)
                break
        assert cache.lists >= 2
        assert values(cache) == {"cm-kept": "1"} and cache.state == "synced"
        cluster.create(kinds.CONFIGMAP, namespace, configmap("cm-after"))
        eventually(lambda: "cm-after" in values(cache), timeout=3)
    finally:
        cache.stop()


def test_the_cache_survives_the_api_server_killed_and_started_again(
    own_plane: ControlPlane, cluster: Cluster, namespace: str
) -> None:
    cluster.create(kinds.CONFIGMAP, namespace, configmap("cm-before"))
    cache = WatchCache(cluster, kinds.CONFIGMAP, namespace, backoff=(0.1, 1.0)).start()
    try:
        assert cache.wait_synced(10)
        own_plane.kill("kube-apiserver")
        eventually(lambda: cache.state == "reconnecting", timeout=10)
        assert "API server" in cache.error or "watch" in cache.error
        assert values(cache) == {"cm-before": "1"}  # readers keep the last state meanwhile
        own_plane.restart("kube-apiserver")
        cluster.create(kinds.CONFIGMAP, namespace, configmap("cm-after"))
        eventually(lambda: values(cache) == {"cm-before": "1", "cm-after": "1"}, timeout=10)
        assert cache.state == "synced" and cache.error == ""
    finally:
        cache.stop()


def test_a_user_who_may_not_watch_is_told_so_once(own_plane: ControlPlane) -> None:
    restricted = Cluster.connect(str(own_plane.kubeconfig), RESTRICTED_CONTEXT)
    try:
        cache = WatchCache(restricted, kinds.SECRET).start()  # `view` may not list Secrets
        assert cache.wait_synced(10)
        eventually(lambda: cache.state == "forbidden")
        assert "forbidden" in cache.error and cache.lists == 0
        cache.stop()
    finally:
        restricted.close()


def test_stop_ends_an_open_watch_at_once(cluster: Cluster, namespace: str) -> None:
    cache = WatchCache(cluster, kinds.CONFIGMAP, namespace).start()
    assert cache.wait_synced(10)
    time.sleep(0.2)  # the watch is open and idle: its read blocks
    started = time.monotonic()
    cache.stop()
    assert time.monotonic() - started < 1.0 and cache.state == "stopped"
    assert cache._thread is not None and not cache._thread.is_alive()


def test_the_first_list_comes_in_pages_and_misses_nothing(cluster: Cluster, namespace: str) -> None:
    for n in range(120):
        cluster.create(kinds.CONFIGMAP, namespace, configmap(f"cm-{n:03d}"))
    before = cluster.request_count
    cache = WatchCache(cluster, kinds.CONFIGMAP, namespace, page=50, transform=lambda o: {**o, "slim": True}).start()
    try:
        assert cache.wait_synced(10)
        assert len(values(cache)) == 120 and all(o.get("slim") for o in cache.items())
        assert cluster.request_count - before >= 3 + 1  # three pages (50, 50, 21 with kube-root-ca), a watch
        assert cache.lists == 1
    finally:
        cache.stop()
