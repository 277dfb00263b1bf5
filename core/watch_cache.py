"""Watch-fed caches: LIST once, then WATCH, so readers never wait on the network.

One `WatchCache` keeps one kind current (cluster-wide, or one namespace, optionally by
label selector) the way client-go's reflector does: LIST, then WATCH from the list's
resourceVersion with bookmarks; when the server ends a watch (it does every few minutes)
watch again from the last resourceVersion seen; on 410 Gone (the server no longer keeps
that history) LIST again; on a broken connection or a restarting server back off
(doubling, capped) and resume. Forbidden is final: the caller falls back to reading per
namespace, as before.

No Textual here: the cache calls `on_change` from its own thread with the events it
applied; `Coalescer` turns a burst of them into one call, so a front end repaints once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hotclone.core.cluster import Cluster, Obj, WatchStream
from hotclone.core.errors import Expired, Forbidden, HotcloneError
from hotclone.core.kinds import Kind

EventType = Literal["ADDED", "MODIFIED", "DELETED", "RELISTED"]
State = Literal["starting", "synced", "reconnecting", "forbidden", "stopped"]
Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped kinds


@dataclass(frozen=True)
class WatchEvent:
    """One change the cache applied. RELISTED: everything may have changed (a fresh LIST)."""

    type: EventType
    key: Key
    obj: Obj | None = None  # the object after the change (before it, for DELETED); None for RELISTED


Listener = Callable[[list[WatchEvent]], None]


def key_of(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class WatchCache:
    """One kind kept current in memory; thread-safe reads (`items`, `get`) that never block on I/O."""

    def __init__(
        self,
        cluster: Cluster,
        kind: Kind,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        on_change: Listener | None = None,
        transform: Callable[[Obj], Obj] | None = None,
        page: int | None = None,
        watch_seconds: int = 300,
        backoff: tuple[float, float] = (0.25, 8.0),
    ) -> None:
        """`transform` slims each object before it is kept (what the readers need, not managedFields):
        memory stays proportional to what is shown, not to what the server sends."""
        self.cluster = cluster
        self.kind = kind
        self.namespace = namespace
        self.label_selector = label_selector
        self._on_change = on_change
        self._transform = transform or (lambda obj: obj)
        self._page = page
        self._watch_seconds = watch_seconds
        self._backoff = backoff
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, Obj]] = {}  # namespace -> name -> object
        self._version: str | None = None
        self._listed = False
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._stream: WatchStream | None = None
        self._thread: threading.Thread | None = None
        self.state: State = "starting"
        self.error = ""  # the last failure, one line (while reconnecting, or why forbidden)
        self.lists = 0  # LISTs made: a steady cache makes none
        self.watches = 0  # WATCHes opened

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> WatchCache:
        name = f"watch-{self.kind.plural}-{self.namespace or 'all'}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """End the watch and the thread (a blocked read is unblocked by closing its stream)."""
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.close()
        if self._thread is not None:
            self._thread.join(timeout)
        self.state = "stopped"

    def wait_synced(self, timeout: float) -> bool:
        """True once the first LIST is in (or the cache can never get one: see `state`)."""
        return self._synced.wait(timeout)

    # -- reads --------------------------------------------------------------------------

    def items(self) -> list[Obj]:
        with self._lock:
            return [obj for names in self._objects.values() for obj in names.values()]

    def in_namespace(self, namespace: str) -> list[Obj]:
        with self._lock:
            return list((self._objects.get(namespace) or {}).values())

    def get(self, namespace: str, name: str) -> Obj | None:
        with self._lock:
            return (self._objects.get(namespace) or {}).get(name)

    @property
    def resource_version(self) -> str | None:
        return self._version

    # -- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        delay = self._backoff[0]
        while not self._stop.is_set():
            try:
                if not self._listed:
                    self._list()
                self._watch()
                delay = self._backoff[0]  # a watch that opened and ended normally: no back-off
            except Expired:
                self._listed = False  # the history we wanted is gone: list again, at once
            except Forbidden as error:
                self.state, self.error = "forbidden", str(error)
                self._synced.set()
                return
            except Exception as error:  # any failure: a cache that stopped quietly would show a stale state as live
                if self._stop.is_set():
                    break
                detail = str(error) if isinstance(error, HotcloneError) else f"{type(error).__name__}: {error}"
                self.state, self.error = "reconnecting", detail
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
        self.state = "stopped"

    def _list(self) -> None:
        """LIST, by default whole: the API server answers it from its watch cache, fast even for
        26,000 Deployments. With `page`, in pages slimmed one by one (a lower memory peak), but
        paged LISTs are read from etcd, which at that size takes a minute; pages share one
        snapshot (the continue token), and if it expires mid-way (410) the run loop lists again."""
        fresh: dict[str, dict[str, Obj]] = {}
        token = ""
        while True:
            query = ({"limit": str(self._page)} if self._page else {}) | ({"continue": token} if token else {})
            if self.label_selector:
                query["labelSelector"] = self.label_selector
            payload = self.cluster.request("GET", self.kind.collection_path(self.namespace), query=query)
            for item in payload.get("items") or []:
                item.setdefault("apiVersion", self.kind.api_version)
                item.setdefault("kind", self.kind.kind)
                namespace, name = key_of(item)
                fresh.setdefault(namespace, {})[name] = self._transform(item)
            meta = payload.get("metadata") or {}
            token = str(meta.get("continue") or "")
            if not token:
                break
        self.lists += 1
        with self._lock:
            self._objects = fresh
        self._version = str(meta.get("resourceVersion") or "")
        self._listed = True
        self.state, self.error = "synced", ""
        self._synced.set()
        self._emit([WatchEvent("RELISTED", ("", ""))])

    def _watch(self) -> None:
        stream = self.cluster.watch(
            self.kind,
            self.namespace,
            resource_version=self._version or "",
            label_selector=self.label_selector,
            timeout_seconds=self._watch_seconds,
        )
        self.watches += 1
        self._stream = stream
        if self._stop.is_set():  # stop() ran before the stream existed
            stream.close()
            return
        self.state, self.error = "synced", ""
        self._synced.set()
        try:
            for event in stream:
                if self._stop.is_set():
                    return
                self._apply(event)
        finally:
            self._stream = None
            stream.close()

    def _apply(self, event: Obj) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            code = obj.get("code")
            message = str(obj.get("message") or f"watch error {code}")
            if code == 410:
                raise Expired(message)
            raise HotcloneError(message)
        version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if kind == "BOOKMARK":
            self._version = version or self._version
            return
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            return
        obj.setdefault("apiVersion", self.kind.api_version)
        obj.setdefault("kind", self.kind.kind)
        key = key_of(obj)
        namespace, name = key
        obj = self._transform(obj)
        with self._lock:
            if kind == "DELETED":
                names = self._objects.get(namespace) or {}
                names.pop(name, None)
                if not names:
                    self._objects.pop(namespace, None)
            else:
                self._objects.setdefault(namespace, {})[name] = obj
        self._version = version or self._version
        self._emit([WatchEvent(kind, key, obj)])

    def _emit(self, events: list[WatchEvent]) -> None:
        if self._on_change is not None:
            with contextlib.suppress(Exception):  # a listener's bug must not kill the watch
                self._on_change(events)


class Coalescer:
    """Collects events and hands them on in one call once `quiet` seconds pass without more,
    or `at_most` seconds after the first one waiting: a burst of events, one repaint."""

    def __init__(self, listener: Listener, *, quiet: float = 0.05, at_most: float = 0.25) -> None:
        self._listener = listener
        self._quiet = quiet
        self._at_most = at_most
        self._lock = threading.Lock()
        self._pending: list[WatchEvent] = []
        self._first = 0.0
        self._last = 0.0
        self._wake = threading.Event()
        self._closed = False
        self.calls = 0
        self._thread = threading.Thread(target=self._run, name="watch-coalescer", daemon=True)
        self._thread.start()

    def __call__(self, events: list[WatchEvent]) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._pending:
                self._first = now
            self._pending.extend(events)
            self._last = now
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._thread.join(2.0)

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            while not self._closed:
                with self._lock:
                    if not self._pending:
                        break
                    now = time.monotonic()
                    due = min(self._last + self._quiet, self._first + self._at_most)
                    if now >= due:
                        batch, self._pending = self._pending, []
                    else:
                        batch = []
                if batch:
                    self.calls += 1
                    with contextlib.suppress(Exception):
                        self._listener(batch)
                    continue
                self._wake.wait(max(0.0, due - now))
                self._wake.clear()
