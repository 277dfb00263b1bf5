"""Four-eyes approval enforced by the API server: the ValidatingAdmissionPolicy hotclone installs.

hotclone has no server of its own, so a promotion request (core/requests.py) is only as strong
as what the API server refuses. This policy makes it refuse, for every ConfigMap carrying the
request label (schema.LABEL_PROMOTION_REQUEST), whoever writes it and with whatever tool:

- CREATE: the requester is the user creating it (request.userInfo.username); no decision and
  no `applied` key yet; the name is REQUEST_CONFIGMAP_PREFIX + the label's id; it expires after
  it was created and within MAX_LIFETIME of it.
- UPDATE: it was a request before (a ConfigMap cannot become one); hotclone's labels and
  annotations are unchanged; every key it had keeps its value; the only new keys are one
  decision `decision.N` (N = decisions so far + 1, value "<approved|rejected> <time> <user>")
  with its optional `comment.N`, or `applied` ("<time> <user>"), where <user> is the user
  writing it, and a decision's user is never the requester.
- DELETE stays allowed: withdrawing a request takes nothing from anyone.

What it cannot stop: whoever can change or delete the policy or its binding (cluster-admin), or
impersonate another user, can forge anything; and someone with write access to the target
namespace can still change it without hotclone at all. The policy makes the *record* of an
approval trustworthy; RBAC decides who may write production.

`status` asks the API server whether it enforces the policy, by attempting a forgery as a dry
run: refused by this policy means enforced; accepted means not (absent, or its binding only
warns or audits).
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, datetime, timedelta

from hotclone.core import kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.errors import AlreadyExists, Forbidden, HotcloneError, NotFound
from hotclone.core.kinds import Kind
from hotclone.core.models import PolicyStatus
from hotclone.core.schema import (
    APPROVAL_POLICY,
    APPROVER_CLUSTER_ROLE,
    DECISION_APPROVED,
    DECISION_REJECTED,
    HISTORY_REQUEST,
    HOTCLONE_PREFIX,
    LABEL_HISTORY,
    LABEL_PROMOTION_REQUEST,
    REQUEST_APPLIED_KEY,
    REQUEST_COMMENT_PREFIX,
    REQUEST_CONFIGMAP_PREFIX,
    REQUEST_CREATED_KEY,
    REQUEST_DECISION_PREFIX,
    REQUEST_EXPIRES_KEY,
    REQUEST_FINGERPRINT_KEY,
    REQUEST_REQUESTER_KEY,
    REQUEST_SOURCE_KEY,
    REQUEST_TARGET_KEY,
    TIME_FORMAT,
)

POLICY = Kind("ValidatingAdmissionPolicy", "admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", False)
BINDING = Kind(
    "ValidatingAdmissionPolicyBinding",
    "admissionregistration.k8s.io",
    "v1",
    "validatingadmissionpolicybindings",
    False,
)
CLUSTER_ROLE = Kind("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False)

MAX_LIFETIME = timedelta(days=7)  # a request's expiry, counted from when the API server created it
MAX_COMMENT = 1024
DENIED = f"ValidatingAdmissionPolicy '{APPROVAL_POLICY}'"  # how the API server's refusal starts
_UNKNOWN = "could not ask the API server"  # how a PolicyStatus that is neither yes nor no starts
_TIME = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"  # TIME_FORMAT as a regular expression

# CEL, in the order the API server evaluates them; the first failing one is the refusal's message.
_CREATE = "request.operation != 'CREATE' || "
_UPDATE = "request.operation != 'UPDATE' || "
_VARIABLES = [
    ("data", "has(object.data) ? object.data : {}"),
    ("old", "request.operation == 'UPDATE' && has(oldObject.data) ? oldObject.data : {}"),
    ("added", "variables.data.filter(k, !(k in variables.old))"),
    ("n", f"string(variables.old.filter(k, k.startsWith('{REQUEST_DECISION_PREFIX}')).size() + 1)"),
    ("me", "request.userInfo.username"),
    ("labels", "has(object.metadata.labels) ? object.metadata.labels : {}"),
    ("oldLabels", "request.operation == 'UPDATE' && has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}"),
    ("annotations", "has(object.metadata.annotations) ? object.metadata.annotations : {}"),
    (
        "oldAnnotations",
        "request.operation == 'UPDATE' && has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {}",
    ),
]


def _owned_unchanged(new: str, old: str) -> str:
    """Every hotclone label (or annotation) of either side is on both, with the same value."""
    return (
        f"variables.{old}.all(k, !k.startsWith('{HOTCLONE_PREFIX}') || "
        f"(k in variables.{new} && variables.{new}[k] == variables.{old}[k])) && "
        f"variables.{new}.all(k, !k.startsWith('{HOTCLONE_PREFIX}') || k in variables.{old})"
    )


_DECISION = f"'{REQUEST_DECISION_PREFIX}' + variables.n"
_COMMENT = f"'{REQUEST_COMMENT_PREFIX}' + variables.n"
_VALIDATIONS: list[tuple[str, str]] = [
    # -- creating a request
    (
        _CREATE + f"variables.labels[{LABEL_PROMOTION_REQUEST!r}] != '' && "
        f"object.metadata.name == {REQUEST_CONFIGMAP_PREFIX!r} + variables.labels[{LABEL_PROMOTION_REQUEST!r}] && "
        f"{LABEL_HISTORY!r} in variables.labels && variables.labels[{LABEL_HISTORY!r}] == {HISTORY_REQUEST!r}",
        f"a promotion request is named {REQUEST_CONFIGMAP_PREFIX}<id> after its {LABEL_PROMOTION_REQUEST} label"
        f" and labelled {LABEL_HISTORY}={HISTORY_REQUEST}",
    ),
    (
        _CREATE
        + f"{REQUEST_REQUESTER_KEY!r} in variables.data && variables.data.{REQUEST_REQUESTER_KEY} == variables.me",
        "nobody may create a promotion request in another user's name (requester must be who creates it)",
    ),
    (
        _CREATE + f"variables.data.all(k, !k.startsWith('{REQUEST_DECISION_PREFIX}') && "
        f"!k.startsWith('{REQUEST_COMMENT_PREFIX}') && k != '{REQUEST_APPLIED_KEY}')",
        "a new promotion request carries no decision and is not used yet",
    ),
    (
        _CREATE
        + " && ".join(
            f"{key!r} in variables.data"
            for key in (REQUEST_FINGERPRINT_KEY, REQUEST_SOURCE_KEY, REQUEST_TARGET_KEY, REQUEST_CREATED_KEY)
        )
        + f" && {REQUEST_EXPIRES_KEY!r} in variables.data && variables.data.{REQUEST_EXPIRES_KEY}.matches('{_TIME}')"
        f" && timestamp(variables.data.{REQUEST_EXPIRES_KEY}) > timestamp(object.metadata.creationTimestamp)"
        f" && timestamp(variables.data.{REQUEST_EXPIRES_KEY}) <= timestamp(object.metadata.creationTimestamp)"
        f" + duration('{int(MAX_LIFETIME.total_seconds())}s')",
        f"a promotion request names its plan's fingerprint, source, target and an expiry within"
        f" {MAX_LIFETIME.days} days of its creation",
    ),
    (
        "!has(object.binaryData)",
        "a promotion request holds no binaryData",
    ),
    # -- changing one: append a decision, or mark it used; nothing else
    (
        _UPDATE + f"{LABEL_PROMOTION_REQUEST!r} in variables.oldLabels",
        "a ConfigMap cannot become a promotion request: a request is created as one",
    ),
    (
        _UPDATE + _owned_unchanged("labels", "oldLabels") + " && " + _owned_unchanged("annotations", "oldAnnotations"),
        "a promotion request's hotclone labels and annotations never change",
    ),
    (
        _UPDATE + "variables.old.all(k, k in variables.data && variables.data[k] == variables.old[k])",
        "a promotion request is never changed after it was created: its keys and decisions stay as written",
    ),
    (
        _UPDATE + f"variables.added.all(k, k == {_DECISION} || k == {_COMMENT} || k == '{REQUEST_APPLIED_KEY}') && "
        f"(variables.added.size() == 0 || (variables.added.size() == 1 && !({_COMMENT} in variables.added)) || "
        f"(variables.added.size() == 2 && {_DECISION} in variables.added && {_COMMENT} in variables.added))",
        f"a promotion request only gains one decision ({REQUEST_DECISION_PREFIX}<next number>, with its"
        f" {REQUEST_COMMENT_PREFIX}<number>) or its '{REQUEST_APPLIED_KEY}' mark at a time",
    ),
    (
        _UPDATE + f"!({_DECISION} in variables.added) || ("
        f"variables.data[{_DECISION}].split(' ', 3).size() == 3 && "
        f"variables.data[{_DECISION}].split(' ', 3)[0] in ['{DECISION_APPROVED}', '{DECISION_REJECTED}'] && "
        f"variables.data[{_DECISION}].split(' ', 3)[1].matches('{_TIME}'))",
        f"a decision reads '<{DECISION_APPROVED}|{DECISION_REJECTED}> <time> <user>'",
    ),
    (
        _UPDATE + f"!({_DECISION} in variables.added) || variables.data[{_DECISION}].split(' ', 3)[2] == variables.me",
        "nobody may write a decision in another user's name",
    ),
    (
        _UPDATE + f"!({_DECISION} in variables.added) || "
        f"variables.data[{_DECISION}].split(' ', 3)[2] != variables.old.{REQUEST_REQUESTER_KEY}",
        "nobody may approve (or reject) their own promotion request",
    ),
    (
        _UPDATE + f"!({_COMMENT} in variables.added) || variables.data[{_COMMENT}].size() <= {MAX_COMMENT}",
        f"a decision's comment has at most {MAX_COMMENT} characters",
    ),
    (
        _UPDATE + f"!('{REQUEST_APPLIED_KEY}' in variables.added) || ("
        f"variables.data.{REQUEST_APPLIED_KEY}.split(' ', 2).size() == 2 && "
        f"variables.data.{REQUEST_APPLIED_KEY}.split(' ', 2)[0].matches('{_TIME}') && "
        f"variables.data.{REQUEST_APPLIED_KEY}.split(' ', 2)[1] == variables.me)",
        f"a request's '{REQUEST_APPLIED_KEY}' mark reads '<time> <user>', in the name of the user applying it",
    ),
]


def policy() -> Obj:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": APPROVAL_POLICY},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["configmaps"],
                    }
                ],
                # On UPDATE the selector matches when the old or the new object carries the label.
                "objectSelector": {"matchExpressions": [{"key": LABEL_PROMOTION_REQUEST, "operator": "Exists"}]},
            },
            "variables": [{"name": name, "expression": expression} for name, expression in _VARIABLES],
            "validations": [
                {"expression": expression, "message": f"hotclone: {message}", "reason": "Forbidden"}
                for expression, message in _VALIDATIONS
            ],
        },
    }


def binding() -> Obj:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": APPROVAL_POLICY},
        "spec": {"policyName": APPROVAL_POLICY, "validationActions": ["Deny"]},  # no namespace selector: all
    }


def approver_role() -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": APPROVER_CLUSTER_ROLE},
        "rules": [
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch", "update", "patch"]}
        ],
    }


def objects() -> list[tuple[Kind, Obj]]:
    """What install-policy writes, in order: the policy before its binding."""
    return [(POLICY, policy()), (BINDING, binding()), (CLUSTER_ROLE, approver_role())]


def describe() -> list[str]:
    """One line per object install-policy writes."""
    return [f"{kind.kind}/{body['metadata']['name']}" for kind, body in objects()]


def _same(live: Obj, body: Obj) -> bool:
    fields = ("spec",) if "spec" in body else ("rules",)
    # The server fills defaults into spec (matchPolicy, namespaceSelector, ...): compare what we set.
    return all(_contains(live.get(f), body.get(f)) for f in fields)


def _contains(live: object, wanted: object) -> bool:
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(_contains(live.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(live, list) and len(live) == len(wanted) and all(map(_contains, live, wanted))
    return live == wanted


def install(cluster: Cluster) -> list[str]:
    """Create or update the policy, its binding and the approver role; read each back.

    Returns one line per object: created, updated or unchanged. Forbidden: one line saying so.
    """
    lines = []
    for kind, body in objects():
        name = body["metadata"]["name"]
        try:
            try:
                live = cluster.get(kind, None, name)
            except NotFound:
                live = None
            if live is None:
                with contextlib.suppress(AlreadyExists):  # a racing install made it: compared below
                    cluster.create(kind, None, body)
                verb = "created"
            elif _same(live, body):
                verb = "unchanged"
            else:
                updated = dict(
                    body, metadata=dict(body["metadata"], resourceVersion=live["metadata"]["resourceVersion"])
                )
                cluster.replace(kind, None, updated)
                verb = "updated"
            if not _same(cluster.get(kind, None, name), body):
                raise HotcloneError(f"{kind.kind}/{name} reads back different from what was written")
        except Forbidden as error:
            raise Forbidden(f"install-policy needs cluster-admin: {error}") from None
        lines.append(f"{kind.kind}/{name} {verb}")
    return lines


# -- is it enforced? ----------------------------------------------------------------------------


_FORGERY_REFUSED = ("in another user's name", "their own promotion request")  # what the probes must be refused for


def _refused_as_forgery(error: HotcloneError) -> bool:
    """Refused by this policy, for being a forgery (and not for another of its rules)."""
    return denied_by_policy(error) and any(reason in str(error) for reason in _FORGERY_REFUSED)


def denied_by_policy(error: HotcloneError) -> bool:
    """Was this write refused by hotclone's approval policy (and not by RBAC or anything else)?"""
    return DENIED in str(error)


def refusal(error: HotcloneError) -> str:
    """The policy's own message (hotclone: ...), without the API server's preamble."""
    text = str(error)
    return text[text.index("hotclone: ") :] if "hotclone: " in text else text


def _probe(namespace: str, me: str) -> Obj:
    """A request in someone else's name: the policy must refuse it."""
    request_id = "r-probe" + secrets.token_hex(3)
    now = datetime.now(UTC)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": REQUEST_CONFIGMAP_PREFIX + request_id,
            "namespace": namespace,
            "labels": {LABEL_HISTORY: HISTORY_REQUEST, LABEL_PROMOTION_REQUEST: request_id},
        },
        "data": {
            REQUEST_REQUESTER_KEY: f"not-{me}",
            REQUEST_FINGERPRINT_KEY: "sha256:probe",
            REQUEST_SOURCE_KEY: "probe",
            REQUEST_TARGET_KEY: "probe",
            REQUEST_CREATED_KEY: now.strftime(TIME_FORMAT),
            REQUEST_EXPIRES_KEY: (now + timedelta(hours=1)).strftime(TIME_FORMAT),
        },
    }


def status(cluster: Cluster, namespace: str, me: str) -> PolicyStatus:
    """Ask the API server: a dry-run create of a request in someone else's name into `namespace`."""
    try:
        cluster.create(kinds.CONFIGMAP, namespace, _probe(namespace, me), dry_run=True)
    except HotcloneError as error:
        if _refused_as_forgery(error):
            return PolicyStatus(True, f"the API server enforces {APPROVAL_POLICY} (a forged request was refused)")
        return _not_asked(error, namespace)
    return PolicyStatus(
        False, f"the API server accepted a forged request in {namespace}: {APPROVAL_POLICY} is not enforced"
    )


def status_by_update(cluster: Cluster, configmap: Obj, requester: str) -> PolicyStatus:
    """Ask with a dry-run decision in the requester's own name on an existing request: for users who
    may update requests but not create them (approvers)."""
    meta = configmap["metadata"]
    data = configmap.get("data") or {}
    number = sum(1 for k in data if k.startswith(REQUEST_DECISION_PREFIX)) + 1
    forged = f"{DECISION_APPROVED} {datetime.now(UTC).strftime(TIME_FORMAT)} {requester}"
    patch = [{"op": "add", "path": f"/data/{REQUEST_DECISION_PREFIX}{number}", "value": forged}]
    try:
        cluster.json_patch(kinds.CONFIGMAP, meta["namespace"], meta["name"], patch, dry_run=True)
    except HotcloneError as error:
        if _refused_as_forgery(error):
            return PolicyStatus(True, f"the API server enforces {APPROVAL_POLICY} (a forged approval was refused)")
        return _not_asked(error, meta["namespace"])
    return PolicyStatus(False, f"the API server accepted a forged approval: {APPROVAL_POLICY} is not enforced")


def _not_asked(error: HotcloneError, namespace: str) -> PolicyStatus:
    if denied_by_policy(error):  # refused, but not for the forgery: not the policy this hotclone installs
        return PolicyStatus(False, f"{APPROVAL_POLICY} refused the probe for another reason ({refusal(error)})")
    return PolicyStatus(False, f"{_UNKNOWN} in {namespace}: {error}")


def unknown(status: PolicyStatus) -> bool:
    """The question could not be asked (the user may not write requests there): neither yes nor no."""
    return not status.enforced and status.detail.startswith(_UNKNOWN)


def not_enforced_message(type_name: str, status: PolicyStatus) -> str:
    return (
        f"environment type {type_name!r} requires approvals, but the API server does not enforce hotclone's "
        f"approval policy ({status.detail}): ask a cluster admin to run `hotclone install-policy`"
    )
