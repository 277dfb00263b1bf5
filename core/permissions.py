"""What the user may do where: hotclone's safety rules first, then the API server (RBAC).

The dashboard disables actions using `check`, so nothing is offered and then failed.
`Action` itself is a domain object (core/models.py), so that front ends name actions without
importing this module's cluster access.
"""

from __future__ import annotations

from hotclone.core import approval_policy, kinds
from hotclone.core.cluster import Cluster
from hotclone.core.models import PROTECTED_TYPES, Action, Environment

# The verb and kind that best stands for each action in an access review.
_PROBES: dict[Action, tuple[str, kinds.Kind, bool]] = {
    # (verb, kind, ask in the environment's namespace?)
    Action.CLONE: ("create", kinds.NAMESPACE, False),
    Action.SET_IMAGE: ("update", kinds.DEPLOYMENT, True),
    Action.SET_CONFIG: ("update", kinds.CONFIGMAP, True),
    Action.PROMOTE: ("update", kinds.DEPLOYMENT, True),
    Action.ROLLBACK: ("update", kinds.DEPLOYMENT, True),
    Action.DESTROY: ("delete", kinds.NAMESPACE, False),
    Action.VERIFY: ("create", kinds.JOB, True),  # a verification runs its checks as Jobs there
    Action.APPROVE: ("update", kinds.CONFIGMAP, True),  # a decision is appended to the request ConfigMap
    Action.INSTALL_POLICY: ("create", approval_policy.POLICY, False),
}


def safety_refusal(action: Action, environment: Environment | None) -> str | None:
    """hotclone's own rules; None when the action is allowed by them."""
    if environment is None:
        return None
    if action is Action.SET_IMAGE and environment.is_production:
        return "images in production change only through promote or rollback"
    if action is Action.SET_CONFIG and environment.is_production:
        return "configuration in production changes only through promote or rollback"
    if action is Action.DESTROY and environment.type in PROTECTED_TYPES:
        return f"{environment.type} environments are never destroyed by hotclone"
    if action is Action.PROMOTE and not environment.cloned_from:
        return f"{environment.name} was not cloned from another environment; nothing to promote it to"
    return None


def check(cluster: Cluster, action: Action, environment: Environment | None, *, read_only: bool) -> tuple[bool, str]:
    if read_only:
        return False, "read-only mode"
    refusal = safety_refusal(action, environment)
    if refusal:
        return False, refusal
    verb, kind, namespaced = _PROBES[action]
    namespace = environment.namespace if (namespaced and environment) else None
    access = cluster.can_i(verb, kind, namespace)
    return access.allowed, ("" if access.allowed else access.reason or f"RBAC: cannot {verb} {kind.plural}")
