"""The fake's stand-in for what an API server stores: namespaces, their objects, hotclone's history.

It holds data and answers reads as core reads them: `read` is inventory.read over what
is stored (the kinds the fake server serves, core's material_policy for what is left out
and why, kind order then name); every other hotclone rule stays in core's pure
functions, which FakeSession calls.
Workload status is what healthy controllers would report; `roll` and `advance` play a
rollout the way a Deployment controller would, so core's own rollout rules read it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from hotclone.core import inventory, kinds, material_policy, normalize
from hotclone.core.cluster import Obj
from hotclone.core.inventory import Inventory
from hotclone.core.material_policy import Exclusions
from hotclone.core.models import HistoryEntry, Skipped
from hotclone.core.schema import TIME_FORMAT
from tests.tui import fake_world as world

_WORKLOAD_KINDS = tuple(kind.kind for kind in kinds.WORKLOAD_KINDS)
_POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass
class Revision:
    entry: HistoryEntry
    before: list[Obj]  # the material objects just before the change, in copy form, as core keeps them


@dataclass
class Store:
    namespaces: dict[str, Obj] = field(default_factory=dict)
    objects: dict[str, dict[str, Obj]] = field(default_factory=dict)  # namespace -> "Kind/name" -> object
    revisions: dict[str, list[Revision]] = field(default_factory=dict)
    bases: dict[str, tuple[str, list[Obj]]] = field(default_factory=dict)  # clone -> (source namespace, objects)
    stalls: dict[str, str] = field(default_factory=dict)  # "namespace/Kind/name" -> why its rollout gives up
    # Kinds (as refs name them) this user may not list, and the API server's words: RBAC, in short.
    unlistable: dict[str, str] = field(default_factory=dict)
    # With a second cluster (FakeSession(clusters=2)): the context this store is read through, and
    # the kinds its API server does not serve (a CRD not installed there).
    context: str = ""
    server: str = ""
    unserved: frozenset[str] = frozenset()

    # -- namespaces ----------------------------------------------------------------------
    def create_namespace(self, body: Obj, created: datetime) -> Obj:
        stored = copy.deepcopy(body)
        stored["metadata"]["creationTimestamp"] = created.strftime(TIME_FORMAT)
        self.namespaces[stored["metadata"]["name"]] = stored
        self.objects.setdefault(stored["metadata"]["name"], {})
        return stored

    def delete_namespace(self, name: str) -> None:
        for table in (self.namespaces, self.objects, self.revisions, self.bases):
            table.pop(name, None)

    # -- objects -------------------------------------------------------------------------
    def put(self, namespace: str, body: Obj) -> None:
        """Create or replace, keeping the status controllers gave the object before."""
        stored = normalize.for_copy(body)
        stored["metadata"]["namespace"] = namespace
        old = self.objects[namespace].get(inventory.ref(stored))
        stored["status"] = copy.deepcopy(old["status"]) if old and "status" in old else _healthy(stored)
        self.objects[namespace][inventory.ref(stored)] = stored

    def remove(self, namespace: str, ref: str) -> None:
        del self.objects[namespace][ref]

    def stored(self, namespace: str) -> list[Obj]:
        """Every object held, skipped ones included (what a leak scan must see), in creation order."""
        found = self.objects.get(namespace, {}).values()
        return [copy.deepcopy(o) for o in inventory.in_creation_order(found)]

    def read(self, namespace: str, exclusions: Exclusions | None = None) -> Inventory:
        """As inventory.read: the objects of the material kinds, and what was left out with its reason."""
        wanted, excluded = material_policy.material_kinds(world.served_kinds())
        readable = {k.qualified for k in wanted} - set(self.unlistable)
        unreadable = [Skipped(k, f"not allowed to list: {why}") for k, why in self.unlistable.items()]
        found = [o for o in self.stored(namespace) if inventory.kind_of_ref(inventory.ref(o)) in readable]
        reasons = material_policy.object_skip_reasons(found, exclusions)
        read = Inventory(excluded_kinds=excluded, unreadable=unreadable)
        for obj in found:
            reason = reasons.get(inventory.ref(obj))
            if reason:
                read.skipped.append(Skipped(inventory.ref(obj), reason))
            else:
                read.objects.append(obj)
        return read

    def load(self, namespace: str) -> list[Obj]:
        """As inventory.load: what hotclone manages (skipped objects left out), in creation order."""
        return self.read(namespace).objects

    def material(self, namespace: str) -> dict[str, Obj]:
        """As inventory.material: not environment-scoped, and nothing material_policy skips (Helm's records)."""
        return {inventory.ref(o): o for o in self.load(namespace) if not inventory.is_environment_scoped(o)}

    def workload_objects(self, namespace: str) -> list[Obj]:
        """In inventory.workloads order: by kind, then name (its LISTs see every workload)."""
        loaded = [o for o in self.stored(namespace) if o["kind"] in _WORKLOAD_KINDS]
        return sorted(loaded, key=lambda o: (_WORKLOAD_KINDS.index(o["kind"]), o["metadata"]["name"]))

    def get(self, namespace: str, ref: str) -> Obj:
        return copy.deepcopy(self.objects[namespace][ref])

    # -- history -------------------------------------------------------------------------
    def record(self, namespace: str, entry: HistoryEntry, before: list[Obj]) -> None:
        self.revisions.setdefault(namespace, []).append(Revision(entry, copy.deepcopy(before)))

    def next_revision(self, namespace: str) -> int:
        return max((r.entry.revision for r in self.revisions.get(namespace, [])), default=0) + 1

    # -- controllers -----------------------------------------------------------------------
    def roll(self, namespace: str, ref: str, *, stall: str | None = None) -> None:
        """A new pod template, no pod on it yet; `stall`: the controller will give up with this message."""
        obj = self.objects[namespace][ref]
        obj["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
        obj["status"]["updatedReplicas"] = 0
        if stall:
            self.stalls[f"{namespace}/{ref}"] = stall

    def advance(self, namespace: str, ref: str) -> Obj:
        """One step of the controller (observe, one more pod on the new template), then the object as read."""
        obj = self.objects[namespace][ref]
        status, wanted = obj["status"], (obj.get("spec") or {}).get("replicas", 1)
        status["observedGeneration"] = obj["metadata"].get("generation", 1)
        stall = self.stalls.get(f"{namespace}/{ref}")
        if stall:  # the new pods never become ready: no progress, then the controller gives up
            status["conditions"] = [
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": stall}
            ]
        else:
            status["updatedReplicas"] = min(wanted, status.get("updatedReplicas", 0) + 1)
        return copy.deepcopy(obj)


def _healthy(obj: Obj) -> Obj:
    """The status a healthy controller reports: every pod ready on the current template."""
    if obj["kind"] not in _POD_KINDS:
        return {}
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    counts = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}
    return {**counts, "updatedReplicas": replicas, "observedGeneration": 1}
