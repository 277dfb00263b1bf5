"""The Kubernetes kinds hotclone reads and writes, with their REST paths.

Paths are built from this table instead of API discovery: discovery costs a round
trip per group, and these kinds have been stable (GA) for years.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from hotclone.core.errors import InvalidInput


@dataclass(frozen=True)
class Kind:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

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

# The kinds an environment is made of, in the order a clone creates them:
# identities and config first so that workloads find what they reference.
ENVIRONMENT_KINDS: tuple[Kind, ...] = (
    SERVICEACCOUNT,
    ROLE,
    ROLEBINDING,
    CONFIGMAP,
    SECRET,
    PVC,
    SERVICE,
    DEPLOYMENT,
    STATEFULSET,
    DAEMONSET,
    CRONJOB,
    HPA,
    PDB,
    NETWORKPOLICY,
    INGRESS,
)

WORKLOAD_KINDS: tuple[Kind, ...] = (DEPLOYMENT, STATEFULSET, DAEMONSET, CRONJOB)

BY_NAME: dict[str, Kind] = {k.kind: k for k in (*ENVIRONMENT_KINDS, NAMESPACE)}


def kind_named(name: str) -> Kind:
    return BY_NAME[name]
