"""The fake's stand-in for what an API server stores: namespaces, their objects, hotclone's history.

It holds data and answers reads in the order core reads them (kind order, then name);
it knows no hotclone rule: those stay in core's pure functions, which FakeSession calls.
Workload status is what healthy controllers would report; `roll` and `advance` play a
rollout the way a Deployment controller would, so core's own rollout rules read it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from hotclone.core import inventory, kinds, material_policy, normalize
from hotclone.core.cluster import Obj
from hotclone.core.models import HistoryEntry
from hotclone.core.schema import TIME_FORMAT

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

    def load(self, namespace: str) -> list[Obj]:
        """As inventory.load: in creation order, without what material_policy skips (Helm's records)."""
        found = list(self.objects.get(namespace, {}).values())
        skipped = material_policy.object_skip_reasons(found)
        kept = [o for o in found if inventory.ref(o) not in skipped]
        return [copy.deepcopy(o) for o in inventory.in_creation_order(kept)]

    def material(self, namespace: str) -> dict[str, Obj]:
        return {inventory.ref(o): o for o in self.load(namespace) if not inventory.is_environment_scoped(o)}

    def workload_objects(self, namespace: str) -> list[Obj]:
        """In inventory.workloads order: by kind, then name."""
        loaded = [o for o in self.load(namespace) if o["kind"] in _WORKLOAD_KINDS]
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
