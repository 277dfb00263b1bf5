"""Everything hotclone reads or writes on a cluster: labels, annotations, names, formats.

This is the compatibility surface with every cluster hotclone has ever touched: the
values below are already stored in clusters, so they never change (add, never rename).
Every `hotclone.io/` string in core/, cli/ and tui/ lives here (tests/test_schema.py
checks it). Encoding and decoding of the history Secrets lives here too, for the same
reason; what to store and when stays in core/history.py.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

# An environment is a namespace carrying these three labels; `hotclone clone` writes them,
# people label their long-lived environments by hand (or the demo seed does), discovery
# lists namespaces by LABEL_APP.
LABEL_APP = "hotclone.io/app"  # application name; all environments of an app share it
LABEL_ENV = "hotclone.io/env"  # environment name within the app (qa, hotfix-ko, ...)
LABEL_ENV_TYPE = "hotclone.io/env-type"  # environment type name (production, temporary, ...)

# Annotations `hotclone clone` writes on the namespace of a new environment.
ANNOTATION_CLONED_FROM = "hotclone.io/cloned-from"  # the source environment's name
# Only on a clone made across clusters (an environment type naming a context): the source's
# context name as the cloning user's kubeconfig calls it, and its API server URL (what finds it
# again in another user's kubeconfig, where the context may be named otherwise).
ANNOTATION_CLONED_FROM_CONTEXT = "hotclone.io/cloned-from-context"
ANNOTATION_CLONED_FROM_SERVER = "hotclone.io/cloned-from-server"
ANNOTATION_CREATED_BY = "hotclone.io/created-by"  # the user who ran the clone
ANNOTATION_EXPIRES_AT = "hotclone.io/expires-at"  # TIME_FORMAT; absent for no TTL; gc reads it
ANNOTATION_PREFLIGHT = "hotclone.io/preflight"  # the clone's preflight findings, one a line
PREFLIGHT_MAX_CHARS = 20000  # the findings text is cut here to stay far below the 256 KiB limit
ANNOTATION_STATE = "hotclone.io/state"  # STATE_CREATING until the clone completes, then removed
STATE_CREATING = "creating"  # a namespace still (or forever, if killed) being cloned: incomplete

# Timestamps hotclone writes into annotations: UTC, second precision, RFC 3339.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# People label an object inside an environment with this to keep it out of clones and
# promotes (database credentials, Ingress hosts); environment-type templates get it too.
LABEL_SCOPE = "hotclone.io/scope"
SCOPE_ENVIRONMENT = "environment"  # the only value hotclone gives meaning to
# An object annotated with this ("true") is not part of the environment at all: never
# cloned, diffed, promoted or snapshotted (a tool's own bookkeeping, a one-off debug pod spec).
ANNOTATION_EXCLUDE = "hotclone.io/exclude"

# Environment types: ConfigMaps in SYSTEM_NAMESPACE, written by an administrator (or the
# demo seed), read by clone and `hotclone types`.
SYSTEM_NAMESPACE = "hotclone-system"
LABEL_ENVIRONMENT_TYPE = "hotclone.io/environment-type"  # value: the type's name
ENVIRONMENT_TYPE_CONFIGMAP_PREFIX = "environment-type-"  # the name type_configmap gives a type's ConfigMap
TYPE_TEMPLATES_KEY = "templates"  # data key: multi-document YAML with ${...} placeholders
TYPE_TTL_KEY = "ttl"  # data key: default TTL (durations.parse syntax); absent = no expiry
# A type ConfigMap also labelled LABEL_APP applies to that application only, and wins over a
# global type (no LABEL_APP) of the same name; type_configmap names it
# environment-type-<app>-<name>, since two apps and a global type may all define `temporary`.
TYPE_EXCLUDE_KEY = "exclude"  # data key: one pattern a line (Kind, Kind.group, Kind/name, Kind.group/name; # comments)
TYPE_SERVICE_TYPES_KEY = "serviceTypes"  # data key: SERVICE_TYPES_KEEP or SERVICE_TYPES_CLUSTERIP (the default)
SERVICE_TYPES_KEEP = "keep"  # clones keep LoadBalancer/NodePort Services as they are
SERVICE_TYPES_CLUSTERIP = "clusterip"  # clones make them ClusterIP (no public load balancer per clone)

# Gates, in a type ConfigMap (core/envtypes.py): checks run by `hotclone verify` (core/verify.py),
# and what a promote into an environment of that type requires (core/gates.py).
TYPE_CHECKS_KEY = "checks"  # data key: multi-document YAML, one Job template per check (same placeholders)
TYPE_CHECK_TIMEOUT_KEY = "checkTimeout"  # data key: how long a check may run (durations.parse; default 5m)
TYPE_REQUIRE_VERIFICATION_KEY = "requireVerification"  # data key: "true": promote needs a current, passed verification
# data key: the kubeconfig context new environments of the type go to (resolved in the user's own kubeconfig)
TYPE_CLUSTER_KEY = "cluster"
TYPE_APPROVALS_KEY = "approvals"  # data key: number of people other than the requester who must approve
# On a check's Job template: "true" = it only reads, so it may also run in production (verify --compare).
ANNOTATION_CHECK_READ_ONLY = "hotclone.io/check-read-only"
LABEL_CHECK = "hotclone.io/check"  # on a check's Job: the check's name

# VERIFICATION ---- (core/verify.py's records; LABEL_HISTORY=HISTORY_VERIFICATION / HISTORY_CHECK)
# The latest verification of an environment: one ConfigMap in its namespace, replaced by each run.
# It proves nothing alone (anyone with write access could write one): the gate re-reads each
# passed check's Job (uid and its own Complete condition) and the environment's fingerprint.
VERIFICATION_CONFIGMAP = "hotclone-verification"
VERIFICATION_KEY = "verification"  # data key: JSON, core/verify.py's record (format VERIFICATION_FORMAT)
VERIFICATION_FORMAT = 1
LABEL_CHECK_RUN = "hotclone.io/check-run"  # on a check's Job: the run that made it (an interrupted run deletes by it)
# The local control plane's fake node (kwok, core/demo/topicshare/kwok-stages.yaml) plays a check pod by these;
# a real cluster ignores them. Outcome "fail" (exit 1, message from the annotation), "hang" (never ends).
KWOK_OUTCOME_LABEL = "kwok.hotclone.io/outcome"
KWOK_MESSAGE_ANNOTATION = "kwok.hotclone.io/message"

# PROMOTION REQUESTS ---- (core/requests.py, core/approval_policy.py; LABEL_HISTORY=HISTORY_REQUEST)
# A promotion request is a ConfigMap REQUEST_CONFIGMAP_PREFIX + <id> in the target environment's
# namespace, labelled LABEL_HISTORY=HISTORY_REQUEST and LABEL_PROMOTION_REQUEST=<id>. Its data keys
# below are written once by the requester; decisions and the use are appended, never changed: the
# ValidatingAdmissionPolicy APPROVAL_POLICY (core/approval_policy.py) makes the API server refuse
# anything else, so nobody approves their own request or writes a decision in another's name.
HOTCLONE_PREFIX = "hotclone.io/"  # the labels and annotations hotclone owns (the policy keeps them unchanged)
LABEL_PROMOTION_REQUEST = "hotclone.io/promotion-request"  # value: the request's id (r-xxxxxx)
REQUEST_CONFIGMAP_PREFIX = "hotclone-request-"  # + id: the ConfigMap's name
REQUEST_REQUESTER_KEY = "requester"  # the user as the API server identified them (the policy checks it)
REQUEST_SOURCE_KEY = "source"  # the source environment's name
REQUEST_SOURCE_NAMESPACE_KEY = "sourceNamespace"
REQUEST_TARGET_KEY = "target"  # the target environment's name
REQUEST_FINGERPRINT_KEY = "fingerprint"  # core/fingerprint.plan: the plan it asks to apply
REQUEST_REASON_KEY = "reason"
REQUEST_SUMMARY_KEY = "summary"  # JSON list of the diff summary lines (never a Secret value)
REQUEST_CREATED_KEY = "createdAt"  # TIME_FORMAT
REQUEST_EXPIRES_KEY = "expiresAt"  # TIME_FORMAT
REQUEST_SKIP_VERIFICATION_KEY = "skipVerification"  # the verification override's reason, may be empty
REQUEST_DECISION_PREFIX = "decision."  # decision.1, decision.2, ...: "<word> <TIME_FORMAT> <user>"
DECISION_APPROVED = "approved"
DECISION_REJECTED = "rejected"
REQUEST_APPLIED_KEY = "applied"  # "<TIME_FORMAT> <user>": used once, by that apply
REQUEST_COMMENT_PREFIX = "comment."  # comment.N beside decision.N: the decider's comment (optional)
APPROVAL_POLICY = "hotclone-promotion-requests"  # the ValidatingAdmissionPolicy and its binding
APPROVER_CLUSTER_ROLE = "hotclone-approver"  # get/list/watch/update/patch ConfigMaps, for approvers


# History: Secrets in the environment's own namespace (snapshots hold Secret data, so
# they get Secret RBAC), written by every change hotclone makes, read by history,
# rollback and promote. Discovery of objects skips anything carrying LABEL_HISTORY.
LABEL_HISTORY = "hotclone.io/history"  # HISTORY_REVISION or HISTORY_BASE
HISTORY_REVISION = "revision"  # one revision: the material objects before a change
HISTORY_BASE = "base"  # the source's material objects at clone time (promote's merge base)
# hotclone's other records carry LABEL_HISTORY too, so that no clone, diff, promote or fingerprint
# ever takes them for part of the environment (core/material_policy.py):
HISTORY_VERIFICATION = "verification"  # ConfigMap: the latest verification of the environment
HISTORY_CHECK = "check"  # Job: one run of a check (kept: the gate re-reads its status)
HISTORY_REQUEST = "promotion-request"  # ConfigMap: a promotion request into the environment
HISTORY_SECRET_TYPE = "hotclone.io/history"  # the Secret's `type`
LABEL_REVISION = "hotclone.io/revision"  # revision number, decimal, from 1
ANNOTATION_ACTION = "hotclone.io/action"  # clone, set-image, set-config, promote, rollback, ...
ANNOTATION_USER = "hotclone.io/user"  # who made the change
ANNOTATION_TIME = "hotclone.io/time"  # when, TIME_FORMAT
ANNOTATION_REASON = "hotclone.io/reason"  # the user's free-text reason, may be empty
ANNOTATION_SUMMARY = "hotclone.io/summary"  # JSON list of one-line change descriptions
ANNOTATION_SOURCE_NAMESPACE = "hotclone.io/source-namespace"  # on the base: the clone's source namespace
BASE_SECRET = "hotclone-base"  # the one base Secret of a clone
SNAPSHOT_KEY = "snapshot"  # data key of both kinds of history Secret: pack(objects)
# The journal: a revision is written *before* its change (pending), then marked.
ANNOTATION_REVISION_STATE = "hotclone.io/revision-state"  # REVISION_STATES; absent on old revisions = complete
REVISION_PENDING = "pending"  # recorded, writes may be under way (or the writer died: recover)
REVISION_COMPLETE = "complete"  # every write done and read back
REVISION_UNDONE = "undone"  # stopped part-way, every touched object restored and read back
REVISION_INTERRUPTED = "interrupted"  # stopped, and some objects could not be restored yet: recover
REVISION_RECOVERED = "recovered"  # an interrupted (or dead pending) revision restored by `hotclone recover`
REVISION_STATES = (REVISION_PENDING, REVISION_COMPLETE, REVISION_UNDONE, REVISION_INTERRUPTED, REVISION_RECOVERED)
# Which kinds a revision's snapshot covers: SNAPSHOT_KINDS_DISCOVERED (every material kind the
# server served, core/material_policy.py). Absent on revisions written before kinds came from
# discovery: their snapshots hold only LEGACY_SNAPSHOT_KINDS, so a rollback to one must not
# delete objects of any other kind (they were never recorded, not absent).
ANNOTATION_SNAPSHOT_KINDS = "hotclone.io/snapshot-kinds"
SNAPSHOT_KINDS_DISCOVERED = "discovered"
LEGACY_SNAPSHOT_KINDS = frozenset(
    {
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "Service",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "CronJob",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
    }
)
ANNOTATION_CHANGED = "hotclone.io/changed"  # JSON list of "Kind/name" still changed when interrupted
TOUCHED_KEY = "touched"  # data key: JSON list of the "Kind/name" the change will write (the plan)
# data key: pack(documents), the change as a kustomize-style patch (core/promoted_patch.py), read back
# when the change completed: promote, rollback, set-image, set-config; absent on clones, on changes that
# did not complete and on older revisions. Secret values are never in it (a placeholder stands in).
PATCH_KEY = "patch"
PATCH_MAX_BYTES = 128 * 1024  # compressed: with a full snapshot part, the Secret stays below its 1 MiB
PATCH_TOO_LARGE = ""  # PATCH_KEY's value when the patch was bigger than PATCH_MAX_BYTES (not kept)
ANNOTATION_PARTS = "hotclone.io/parts"  # number of Secrets the snapshot is split across (absent = 1)
HISTORY_PART = "part"  # LABEL_HISTORY value of the 2nd, 3rd, ... Secret of a large snapshot
PART_BYTES = 512 * 1024  # compressed snapshot bytes per Secret: far below the 1 MiB Secret limit
MAX_SUMMARY_LINES = 200  # annotations are bounded: the summary's lines and their length are capped
MAX_SUMMARY_LINE = 300
MAX_REASON = 1024  # a longer --reason is refused before anything is written


def environment_namespace(app: str, env: str) -> str:
    """The namespace `hotclone clone` creates for environment `env` of `app`."""
    return f"{app}-{env}"


def environment_type_configmap_name(name: str, app: str | None = None) -> str:
    """environment-type-temporary (global), environment-type-topicshare-temporary (one app's)."""
    return f"{ENVIRONMENT_TYPE_CONFIGMAP_PREFIX}{app}-{name}" if app else f"{ENVIRONMENT_TYPE_CONFIGMAP_PREFIX}{name}"


def history_secret_name(revision: int) -> str:
    """hotclone-history-00001, ...: zero-padded so the names sort like the revisions."""
    return f"hotclone-history-{revision:05d}"


def part_name(secret_name: str, part: int) -> str:
    """hotclone-history-00001-2, hotclone-base-2, ...: the 2nd, 3rd, ... Secret of a large snapshot."""
    return f"{secret_name}-{part}"


def pack(objects: list[dict[str, Any]]) -> str:
    """Secret data value: base64 (the wire format of Secret data) of gzipped compact JSON."""
    return base64.b64encode(gzip.compress(json.dumps(objects, separators=(",", ":")).encode(), 6)).decode()


def unpack(data: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(gzip.decompress(base64.b64decode(data)))
    return loaded


def pack_parts(objects: list[dict[str, Any]]) -> list[str]:
    """Like pack, split into PART_BYTES of compressed data per value: one value per Secret."""
    blob = gzip.compress(json.dumps(objects, separators=(",", ":")).encode(), 6)
    return [base64.b64encode(blob[i : i + PART_BYTES]).decode() for i in range(0, len(blob), PART_BYTES)]


def unpack_parts(values: list[str]) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(gzip.decompress(b"".join(base64.b64decode(v) for v in values)))
    return loaded


def history_secret(
    name: str, labels: dict[str, str], annotations: dict[str, str], snapshot: list[dict[str, Any]]
) -> dict[str, Any]:
    """A history Secret (revision or base) holding `snapshot` under SNAPSHOT_KEY."""
    return history_secret_with(name, labels, annotations, {SNAPSHOT_KEY: pack(snapshot)})


def history_secret_with(
    name: str, labels: dict[str, str], annotations: dict[str, str], data: dict[str, str]
) -> dict[str, Any]:
    """A history Secret with `data` as given (values already base64, the wire format)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": HISTORY_SECRET_TYPE,
        "metadata": {"name": name, "labels": dict(labels), "annotations": dict(annotations)},
        "data": data,
    }
