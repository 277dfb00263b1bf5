"""Kubernetes kinds and their REST paths; the built-in kinds hotclone names in its code.

Which kinds an environment holds comes from the API server (core/api_discovery.py), so
custom resources are handled without a release. The built-in kinds below are named here
so that what needs only them (namespaces, history Secrets, workloads) costs no
discovery round trip, and so that a clone creates them in an order that works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from hotclone.core.errors import InvalidInput


@dataclass(frozen=True)
class Kind:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool = True
    verbs: frozenset[str] = field(default=frozenset(), compare=False)  # from discovery; empty for the table's

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """How refs name the kind: "Deployment" for Kubernetes' own groups, "Certificate.cert-manager.io" else.

        Two custom resource definitions may share a kind name; the group tells them apart,
        as kubectl's `certificates.cert-manager.io` does.
        """
        return qualified_name(self.kind, self.group)

    def collection_path(self, namespace: str | None = None) -> str:
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{prefix}/namespaces/{segment(namespace)}/{self.plural}"
        return f"{prefix}/{self.plural}"

    def object_path(self, namespace: str | None, name: str) -> str:
        return f"{self.collection_path(namespace)}/{segment(name)}"


def segment(value: str) -> str:
    """One URL path segment, whatever it holds.

    Names are validated before they get here (core.validation); quoting is the second
    wall: a name that slipped through cannot add segments (`../`), a query (`?dryRun`)
    or a fragment. "." and ".." stay dot segments even quoted, so they are refused.
    """
    if not value or value in (".", ".."):
        raise InvalidInput(f"invalid name {value!r} in an API path")
    return quote(value, safe="")


def is_kubernetes_group(group: str) -> bool:
    """The core group, `apps`, `batch`, ... and `*.k8s.io`: groups whose kinds refs name bare."""
    return "." not in group or group.endswith(".k8s.io")


def qualified_name(kind: str, group: str) -> str:
    return kind if is_kubernetes_group(group) else f"{kind}.{group}"


def group_of(api_version: str) -> str:
    """ "apps/v1" -> "apps", "v1" -> "" (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


NAMESPACE = Kind("Namespace", "", "v1", "namespaces", namespaced=False)
DEPLOYMENT = Kind("Deployment", "apps", "v1", "deployments")
STATEFULSET = Kind("StatefulSet", "apps", "v1", "statefulsets")
DAEMONSET = Kind("DaemonSet", "apps", "v1", "daemonsets")
CRONJOB = Kind("CronJob", "batch", "v1", "cronjobs")
SERVICE = Kind("Service", "", "v1", "services")
CONFIGMAP = Kind("ConfigMap", "", "v1", "configmaps")
SECRET = Kind("Secret", "", "v1", "secrets")
INGRESS = Kind("Ingress", "networking.k8s.io", "v1", "ingresses")
SERVICEACCOUNT = Kind("ServiceAccount", "", "v1", "serviceaccounts")
PVC = Kind("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims")
HPA = Kind("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers")
PDB = Kind("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets")
NETWORKPOLICY = Kind("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies")
ROLE = Kind("Role", "rbac.authorization.k8s.io", "v1", "roles")
ROLEBINDING = Kind("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings")
LIMITRANGE = Kind("LimitRange", "", "v1", "limitranges")
RESOURCEQUOTA = Kind("ResourceQuota", "", "v1", "resourcequotas")
ENDPOINTS = Kind("Endpoints", "", "v1", "endpoints")
JOB = Kind("Job", "batch", "v1", "jobs")
REPLICASET = Kind("ReplicaSet", "apps", "v1", "replicasets")
CRD = Kind("CustomResourceDefinition", "apiextensions.k8s.io", "v1", "customresourcedefinitions", namespaced=False)

# The order a clone creates an environment's objects in: quotas and limits first (they
# apply to what follows), then identities and config, so that workloads find what they
# reference; built-in kinds not named here come after these, custom resources last
# (they reference Services, Secrets and workloads; their operators read them once all exist).
CREATION_ORDER: tuple[Kind, ...] = (
    LIMITRANGE,
    RESOURCEQUOTA,
    SERVICEACCOUNT,
    ROLE,
    ROLEBINDING,
    CONFIGMAP,
    SECRET,
    PVC,
    SERVICE,
    ENDPOINTS,
    DEPLOYMENT,
    STATEFULSET,
    DAEMONSET,
    REPLICASET,
    JOB,
    CRONJOB,
    HPA,
    PDB,
    NETWORKPOLICY,
    INGRESS,
)

WORKLOAD_KINDS: tuple[Kind, ...] = (DEPLOYMENT, STATEFULSET, DAEMONSET, CRONJOB)

# Built-in kinds by (group, kind): resolved without a discovery round trip.
BUILTIN: dict[tuple[str, str], Kind] = {(k.group, k.kind): k for k in (*CREATION_ORDER, NAMESPACE, CRD)}

_RANK = {k.kind: index for index, k in enumerate(CREATION_ORDER)}


def creation_rank(qualified: str) -> tuple[int, str]:
    """Sort key of a kind (as refs name it) in creation order; reversed, it is deletion order."""
    if qualified in _RANK:
        return (0, f"{_RANK[qualified]:03d}")
    return (1, qualified) if "." not in qualified else (2, qualified)
