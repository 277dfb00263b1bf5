"""Other tools' ownership of objects: who else manages an object, and a clone's copy without their marks.

Helm (`app.kubernetes.io/managed-by: Helm`, `meta.helm.sh/*`), Argo CD (its tracking
annotation and `argocd.argoproj.io/*` marks), Flux (its kustomize- and helm-controller
labels), `kubectl apply` (its last-applied annotation) and server-side appliers (their
managedFields). Detection names the tool for the promote and rollback plans; `detach`
removes the marks from a clone's copy, so the clone does not claim to be production's
Helm release or Argo CD application (Helm would refuse to adopt it, Argo CD with
annotation tracking would list it as its own, and prune it).
"""

from __future__ import annotations

import copy

from hotclone.core.cluster import Obj

# Other tools' marks on the objects they manage.
MANAGED_BY = "app.kubernetes.io/managed-by"
INSTANCE = "app.kubernetes.io/instance"
HELM_RELEASE = "meta.helm.sh/release-name"
ARGO_PREFIX = "argocd.argoproj.io/"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"  # "<app>:<group>/<kind>:<namespace>/<name>"
FLUX = {"kustomize.toolkit.fluxcd.io/": "Flux Kustomization", "helm.toolkit.fluxcd.io/": "Flux HelmRelease"}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Field managers of the cluster itself (status, revision annotations): they never revert a spec.
_SYSTEM_MANAGERS = frozenset(
    {"kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver", "cloud-controller-manager"}
)
# Managers of known tools, to name them and not list one tool twice.
_KNOWN_MANAGERS = {
    "helm": "Helm",
    "argocd-controller": "Argo CD",
    "argocd-application-controller": "Argo CD",
    "kustomize-controller": "Flux",
    "helm-controller": "Flux",
    "kubectl-client-side-apply": "kubectl apply",
}


def other_tools(obj: Obj) -> tuple[str, ...]:
    """The tools other than hotclone that manage `obj`, named as precisely as its marks allow."""
    meta = obj.get("metadata") or {}
    labels: dict[str, str] = meta.get("labels") or {}
    annotations: dict[str, str] = meta.get("annotations") or {}
    found: list[str] = []
    families: set[str] = set()  # tools already named, so managedFields does not name them again
    managed_by = str(labels.get(MANAGED_BY, ""))
    release = annotations.get(HELM_RELEASE)
    if release or managed_by.lower() == "helm":
        found.append(f"Helm release {release}" if release else "Helm")
        families.add("Helm")
    if any(key.startswith(ARGO_PREFIX) for key in (*annotations, *labels)):
        app = str(annotations.get(ARGO_TRACKING, "")).split(":", 1)[0] or labels.get(INSTANCE)
        found.append(f"Argo CD application {app}" if app else "Argo CD")
        families.add("Argo CD")
    for prefix, what in FLUX.items():
        if any(key.startswith(prefix) for key in labels):
            name, namespace = labels.get(prefix + "name"), labels.get(prefix + "namespace")
            found.append(f"{what} {namespace}/{name}" if name and namespace else what)
            families.add("Flux")
    if managed_by and managed_by.lower() not in ("helm", "hotclone") and not families:
        found.append(f"managed by {managed_by}")
        families.add(managed_by)
    if LAST_APPLIED in annotations and not families & {"Argo CD", "Flux"}:  # they apply with kubectl themselves
        instance = labels.get(INSTANCE)
        # Argo CD's label tracking leaves only this label and kubectl's annotation behind.
        guess = f" or Argo CD application {instance}" if instance and "Helm" not in families else ""
        found.append(f"kubectl apply{guess}")
        families.add("kubectl apply")
    for entry in meta.get("managedFields") or []:
        manager = str(entry.get("manager", ""))
        if entry.get("subresource") or manager in _SYSTEM_MANAGERS or manager.startswith("hotclone"):
            continue
        family = _KNOWN_MANAGERS.get(manager)
        if family is None and entry.get("operation") != "Apply":
            continue  # a one-off edit (kubectl edit, a script, hotclone itself) does not come back
        if (family or manager) in families:
            continue
        found.append(family or f"server-side apply by {manager}")
        families.add(family or manager)
    return tuple(found)


_DETACHED_ANNOTATION_PREFIXES = ("meta.helm.sh/", ARGO_PREFIX)


def detach(obj: Obj) -> tuple[Obj, tuple[str, ...]]:
    """A copy of `obj` without other tools' ownership marks, and the tools whose marks were removed.

    Only the object's own metadata changes: pod-template labels feed selectors and stay.
    `app.kubernetes.io/instance` stays too: Helm charts select pods and Services by it.
    """
    tools = tuple(t for t in other_tools(obj) if not t.startswith("server-side apply"))
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    labels: dict[str, str] = meta.get("labels") or {}
    annotations: dict[str, str] = meta.get("annotations") or {}
    for key in list(annotations):
        if key.startswith(_DETACHED_ANNOTATION_PREFIXES) or key == LAST_APPLIED:
            del annotations[key]
    for key in list(labels):
        if key.startswith(tuple(FLUX)) or key.startswith(ARGO_PREFIX):
            del labels[key]
    if str(labels.get(MANAGED_BY, "")).lower() == "helm":
        del labels[MANAGED_BY]
    for key, mapping in (("labels", labels), ("annotations", annotations)):
        if not mapping:
            meta.pop(key, None)
    return out, tools
