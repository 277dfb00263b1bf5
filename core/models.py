"""Domain objects shared by core, the CLI and the dashboard. Plain dataclasses, no I/O.

How they are stored on a cluster (labels, annotations, names) is core/schema.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Literal

from hotclone.core import display

PRODUCTION = "production"
QA = "qa"
TEMPORARY = "temporary"
PROTECTED_TYPES = frozenset({PRODUCTION, QA})  # never destroyed by hotclone


class Action(Enum):
    """What a user may be allowed to do (core/permissions.py asks hotclone's rules, then RBAC)."""

    CLONE = "clone"
    SET_IMAGE = "set-image"
    SET_CONFIG = "set-config"
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    DESTROY = "destroy"
    VERIFY = "verify"
    APPROVE = "approve"  # approve or reject a promotion request
    INSTALL_POLICY = "install-policy"


@dataclass(frozen=True)
class Environment:
    app: str
    name: str
    namespace: str
    type: str
    created: datetime | None = None
    expires_at: datetime | None = None
    cloned_from: str | None = None
    created_by: str | None = None
    incomplete: bool = False  # a clone that was interrupted before it finished
    # The kubeconfig context this environment was read through (core/discovery.py sets it): with
    # several contexts (issue 14) every call about it goes to that cluster.
    cluster: str = ""
    server: str = ""  # that context's API server: what tells clusters apart when context names differ
    # A clone made across clusters records where its source lives: the source's context name as the
    # cloning user called it, and its API server (the stable part; context names are per kubeconfig).
    # Both None for a clone within one cluster.
    cloned_from_context: str | None = None
    cloned_from_server: str | None = None

    @property
    def is_production(self) -> bool:
        return self.type == PRODUCTION

    @property
    def ref(self) -> str:
        return f"{self.app}/{self.name}"

    def cloned_from_env(self, source: Environment) -> bool:
        """Was this environment cloned from `source`? By name, and by cluster: a clone made across
        clusters names its source's API server; one made within a cluster names none (its own)."""
        return self.cloned_from == source.name and (self.cloned_from_server or self.server) == source.server

    @property
    def address(self) -> str:
        """The name as a command line takes it when it is in more than one cluster: `production@eu-1`."""
        return f"{self.name}@{self.cluster}" if self.cluster else self.name

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def ttl_left(self, now: datetime) -> timedelta | None:
        return None if self.expires_at is None else self.expires_at - now


@dataclass(frozen=True)
class Application:
    name: str
    environments: tuple[Environment, ...]

    def environment(self, name: str) -> Environment | None:
        return next((e for e in self.environments if e.name == name), None)


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    init: bool = False

    @property
    def tag(self) -> str:
        """The version part of the image (tag or short digest) for compact display."""
        ref = self.image
        if "@" in ref:
            return ref.split("@", 1)[1][:19]
        last = ref.rsplit("/", 1)[-1]
        return last.split(":", 1)[1] if ":" in last else "latest"


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    containers: tuple[Container, ...]
    ready: int = 0
    desired: int = 0

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class EnvironmentType:
    name: str
    ttl: timedelta | None
    template_names: tuple[str, ...] = ()  # "Kind/name" of each templated object
    builtin: bool = False
    app: str | None = None  # the application it is limited to; None: global
    overrides: bool = False  # an application's type hiding a global one of the same name
    checks: tuple[str, ...] = ()  # names of the checks `hotclone verify` runs
    require_verification: bool = False  # promote into it needs a current, passed verification
    approvals: int = 0  # people other than the requester who must approve a promote into it
    cluster: str = ""  # the kubeconfig context its new environments go to; "" = the source's own cluster


@dataclass(frozen=True)
class PreflightFinding:
    """A value in a material object that names an endpoint of the source environment."""

    object: str  # "ConfigMap/app-settings"
    path: str  # "data.SEARCH_URL"
    points_at: str  # what it names, never a secret value: "namespace topicshare-production"
    rewritten: bool  # True when hotclone rewrote it to the clone's namespace

    def describe(self) -> str:
        action = "rewritten" if self.rewritten else "still points at the source"
        return f"{self.object} {self.path}: {self.points_at} ({action})"


@dataclass
class ProgressStep:
    """Progress of a long change (clone, promote, rollback), reported as it happens."""

    name: str  # clone: "namespace", "objects", "templates", "preflight", "history"; apply: "apply", "history"
    done: int
    total: int
    detail: str = ""


@dataclass(frozen=True)
class Skipped:
    """An object, or a whole kind, that hotclone leaves out, and why: nothing is left out silently."""

    object: str  # "Job/migrate-41", or a kind as refs name it: "Pod", "Certificate.cert-manager.io"
    reason: str

    def describe(self) -> str:
        return f"{self.object}: {self.reason}"


@dataclass(frozen=True)
class Adjustment:
    """What a clone changes in a copy so that it does not share with its source (and says so)."""

    object: str  # "Service/web"
    change: str  # "type LoadBalancer becomes ClusterIP (a clone gets no public load balancer)"

    def describe(self) -> str:
        return f"{self.object}: {self.change}"


@dataclass(frozen=True)
class ClonePlan:
    """Everything a clone will do, computed before it creates anything (`clone --dry-run` shows it)."""

    app: str
    source: str  # environment name
    new: str
    namespace: str
    env_type: str
    copies: tuple[str, ...] = ()  # "Kind/name" of material objects copied, in creation order
    generated: tuple[str, ...] = ()  # "Kind/name" of objects made from the type's templates
    findings: tuple[PreflightFinding, ...] = ()  # references to the source: rewritten, or still pointing at it
    skipped: tuple[Skipped, ...] = ()  # objects read and left out, each with its reason
    excluded_kinds: tuple[Skipped, ...] = ()  # kinds not copied by policy (never read)
    unreadable: tuple[Skipped, ...] = ()  # kinds the user may not list: the clone cannot copy them
    adjustments: tuple[Adjustment, ...] = ()  # Service types, own volumes, other tools' ownership marks
    warnings: tuple[str, ...] = ()
    allow_prod_references: bool = False
    # Across clusters (an environment type naming a context): where the clone goes, and the source's
    # kinds that cluster does not serve (a CRD not installed there): those refuse the clone.
    cluster: str = ""  # the target context; "" = the source's own cluster
    source_cluster: str = ""
    missing_kinds: tuple[Skipped, ...] = ()

    @property
    def cross_cluster(self) -> bool:
        return bool(self.cluster) and self.cluster != self.source_cluster

    @property
    def still_pointing(self) -> tuple[PreflightFinding, ...]:
        return tuple(f for f in self.findings if not f.rewritten)

    @property
    def refused(self) -> bool:
        """The clone will refuse: kinds the target does not serve, or values still naming the source
        that were not allowed."""
        return bool(self.missing_kinds) or (bool(self.still_pointing) and not self.allow_prod_references)

    def copies_by_kind(self) -> list[tuple[str, int]]:
        """(kind, count) in creation order."""
        counts = Counter(ref.split("/", 1)[0] for ref in self.copies)
        return list(counts.items())


@dataclass(frozen=True)
class CloneResult:
    environment: Environment
    copied: tuple[str, ...]  # "Kind/name" of material objects copied
    generated: tuple[str, ...]  # "Kind/name" of objects made from templates
    warnings: tuple[str, ...]
    findings: tuple[PreflightFinding, ...]
    seconds: float = 0.0
    plan: ClonePlan | None = None  # the plan it carried out (the same as `clone --dry-run` showed)


@dataclass(frozen=True)
class ImageSpec:
    """One `WORKLOAD[/CONTAINER]=IMAGE` argument."""

    workload: str
    container: str | None
    image: str


@dataclass(frozen=True)
class ConfigChange:
    configmap: str
    key: str
    old: str | None  # None: the key is new
    new: str

    def describe(self) -> str:
        # Values are cluster or user text: quoted with visible escapes when they hold control characters.
        old = "(new)" if self.old is None else display.value(self.old)
        return f"ConfigMap/{self.configmap} data.{self.key}: {old} -> {display.value(self.new)}"


@dataclass(frozen=True)
class ImageChange:
    workload: str  # "Deployment/web"
    container: str
    old: str
    new: str
    init: bool = False


ChangeKind = Literal["changed", "added", "removed"]
ObjectStatus = Literal["added", "removed", "changed", "same"]


@dataclass(frozen=True)
class FieldChange:
    path: str  # "spec.template.spec.containers[web].image"
    change: ChangeKind
    old: str | None  # display text; "<hidden>" for secret values
    new: str | None

    def describe(self) -> str:
        if self.change == "added":
            return f"{self.path}: + {self.new}"
        if self.change == "removed":
            return f"{self.path}: - {self.old}"
        return f"{self.path}: {self.old} -> {self.new}"


@dataclass(frozen=True)
class ObjectDiff:
    kind: str
    name: str
    status: ObjectStatus
    changes: tuple[FieldChange, ...] = ()
    left_yaml: str = ""  # normalised, secrets masked; "" when absent on that side
    right_yaml: str = ""
    env_scoped: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class EnvDiff:
    left: str  # "topicshare/production"
    right: str
    objects: tuple[ObjectDiff, ...]

    @property
    def changed(self) -> tuple[ObjectDiff, ...]:
        return tuple(o for o in self.objects if o.status != "same")

    @property
    def same(self) -> bool:
        return not self.changed

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for obj in self.changed:
            counts[obj.status] += 1
        return counts


@dataclass(frozen=True)
class Conflict3:
    """Both the clone and the target changed the same field since the clone was made."""

    object: str
    path: str
    ours: str | None
    theirs: str | None

    def describe(self) -> str:
        return f"{self.object} {self.path}: clone has {self.ours}, target has {self.theirs}"


@dataclass(frozen=True)
class Restart:
    """A workload whose pods roll, with how many pods the live object runs."""

    workload: str  # "Deployment/web"
    pods: int | None  # spec.replicas (DaemonSet: status.desiredNumberScheduled); None when the server has not said

    def describe(self) -> str:
        if self.pods is None:
            return f"{self.workload} (pods on every scheduled node)"
        return f"{self.workload} ({self.pods} pod{'' if self.pods == 1 else 's'})"


@dataclass(frozen=True)
class Touched:
    """One object of a class the blast radius names (Services, PVCs, RBAC) and what happens to it."""

    object: str  # "Service/web"
    change: Literal["changed", "added", "deleted", "skipped"]

    def describe(self) -> str:
        return f"{self.object} ({'skipped: --include-rbac' if self.change == 'skipped' else self.change})"


@dataclass(frozen=True)
class OtherOwner:
    """A live object the plan changes or deletes that another tool also manages: it may put its own state back."""

    object: str  # "Deployment/web"
    tools: tuple[str, ...]  # "Helm release topicshare", "Argo CD application shop", "kubectl apply", ...
    # One per tool, what it will do (core/blast_radius.py): "managed by Helm release shop: the next
    # `helm upgrade` will revert this change"
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.warnings:
            return f"{self.object}: {'; '.join(self.warnings)}"
        return f"{self.object} ({', '.join(self.tools)}: may revert this)"


@dataclass(frozen=True)
class BlastRadius:
    """What a promote or rollback touches, per class of object (core/blast_radius.py computes it)."""

    restarts: tuple[Restart, ...] = ()
    deletions: tuple[str, ...] = ()
    services: tuple[Touched, ...] = ()
    pvcs: tuple[Touched, ...] = ()
    rbac: tuple[Touched, ...] = ()  # written or deleted; "skipped" when left out without include_rbac
    other_owners: tuple[OtherOwner, ...] = ()

    @property
    def pods(self) -> int:
        """Pods that restart (those of workloads with an unknown count not included)."""
        return sum(r.pods or 0 for r in self.restarts)

    def classes(self) -> list[tuple[str, list[str]]]:
        """Each class with the text of its objects ([] for none), in the order a confirmation shows them."""
        return [
            ("restarts", [r.describe() for r in self.restarts]),
            ("deletions", list(self.deletions)),
            ("services", [t.describe() for t in self.services]),
            ("PVCs", [t.describe() for t in self.pvcs]),
            ("RBAC", [t.describe() for t in self.rbac]),
            ("owned by other tools", [o.describe() for o in self.other_owners]),
        ]


@dataclass
class PromotePlan:
    """What a promote or rollback will do; computed with a server-side dry run."""

    app: str
    source: str  # environment name, or "revision N" for a rollback
    target: Environment
    diff: EnvDiff  # live target vs dry-run result
    conflicts: tuple[Conflict3, ...] = ()
    deletions: tuple[str, ...] = ()  # pruned "Kind/name", only with prune
    restarts: tuple[str, ...] = ()  # workloads whose pod template changes
    action: str = "promote"  # or "rollback"
    # Left out, each with its reason, so nothing is skipped silently: "RoleBinding/x (RBAC: pass --include-rbac)"
    skipped: tuple[str, ...] = ()
    rbac: tuple[str, ...] = ()  # RBAC objects ("Kind/name") it writes or deletes: only with include_rbac
    blast_radius: BlastRadius = field(default_factory=BlastRadius)
    # internal: the objects to write, and a fingerprint of each live object as the diff saw it
    writes: list[dict[str, Any]] = field(default_factory=list, repr=False)
    preconditions: dict[str, str] = field(default_factory=dict, repr=False)
    gates: Gates = field(default_factory=lambda: Gates())  # promote only: the target type's gates
    source_cluster: str = ""  # the context the source environment was read through (target.cluster: the target's)
    source_namespace: str = ""  # the source environment's namespace (promote only)

    @property
    def empty(self) -> bool:
        return self.diff.same and not self.deletions


@dataclass(frozen=True)
class HistoryEntry:
    revision: int
    action: str  # clone, set-image, set-config, promote, rollback, recover
    user: str
    timestamp: datetime
    summary: tuple[str, ...]
    reason: str = ""
    state: str = "complete"  # pending, complete, undone, interrupted, recovered (core/schema.py)
    changed: tuple[str, ...] = ()  # when interrupted: the objects still changed, to be recovered
    legacy_snapshot: bool = False  # written before kinds came from discovery: its snapshot holds 15 kinds only

    @property
    def finished(self) -> bool:
        """False while the change may still be half-applied: pending (or its writer died) or interrupted."""
        return self.state not in ("pending", "interrupted")


@dataclass(frozen=True)
class RevisionPatch:
    """A revision's change as a kustomize-style patch (`hotclone history APP ENV REV --patch`).

    `documents`: per changed object its apiVersion, kind, metadata.name and only the changed
    fields (core/promoted_patch.py), Secret values replaced by a placeholder. Not `recorded`:
    a clone, a change that did not complete, or a revision older than the patches.
    """

    entry: HistoryEntry
    documents: tuple[dict[str, Any], ...] = ()
    recorded: bool = False
    too_large: bool = False  # recorded, but bigger than a revision Secret keeps


@dataclass(frozen=True)
class RolloutStatus:
    workload: str
    ready: int
    desired: int
    updated: int
    done: bool
    message: str = ""
    failed: bool = False  # the controller gave up (e.g. ProgressDeadlineExceeded)


@dataclass(frozen=True)
class ConnectionInfo:
    context: str
    server: str
    user: str
    read_only: bool
    production_context: bool = False  # the config file marks the context production: every change typed
    # With several contexts (issue 14): every connected cluster, this one first.
    clusters: tuple[ClusterStatus, ...] = ()


@dataclass(frozen=True)
class ClusterStatus:
    """One kubeconfig context of the session, as last read: reachable, or why not."""

    context: str
    server: str
    user: str = ""  # who that cluster's API server says we are ("" until asked)
    state: Literal["ok", "unreachable", "forbidden", "unknown"] = "unknown"
    error: str = ""  # one line, when not ok

    @property
    def ok(self) -> bool:
        return self.state == "ok"


@dataclass(frozen=True)
class VersionMatrix:
    """Workloads x environments; cells are image tags (several containers joined by ',')."""

    environments: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (workload ref, tag per environment)
    baseline: str | None  # the production environment the cells are compared with

    def summary(self, environment: str) -> str:
        """The environment's version at a glance: its most common tag, `+N` for other tags."""
        if environment not in self.environments:
            return ""
        column = self.environments.index(environment)
        counts = Counter(tag for _ref, cells in self.rows for tag in cells[column].split(",") if tag and tag != "-")
        if not counts:
            return "-"
        (top, _), others = counts.most_common(1)[0], len(counts) - 1
        return f"{top} +{others}" if others else top

    def differs(self, row: int, column: int) -> bool:
        if self.baseline is None or self.baseline not in self.environments:
            return False
        base = self.rows[row][1][self.environments.index(self.baseline)]
        return self.rows[row][1][column] != base


# -- promotion gates: verification of a clone, four-eyes approval (core/verify.py, core/requests.py)

CheckOutcome = Literal["passed", "failed", "timed out"]


@dataclass(frozen=True)
class CheckDefinition:
    """One check of an environment type: a Job template run in the environment (`checks` key)."""

    name: str  # the Job template's metadata.name
    document: str  # the raw YAML document, placeholders unexpanded
    read_only: bool = False  # may also run in production (annotated schema.ANNOTATION_CHECK_READ_ONLY "true")
    timeout: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class CheckResult:
    """One check's run, as the Job's own status says; never marked passed without it."""

    name: str
    environment: str  # the environment it ran in
    outcome: CheckOutcome
    seconds: float
    job: str = ""  # the Job's name in that environment's namespace
    job_uid: str = ""  # the gate re-reads this Job: a record alone proves nothing
    detail: str = ""  # the Job's condition reason and message, or why it timed out
    log_tail: tuple[str, ...] = ()  # failed or timed out: the last lines of its log, Secret values masked

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def describe(self) -> str:
        line = f"{self.name}: {self.outcome} in {self.seconds:.1f}s"
        return f"{line} ({self.detail})" if self.detail and not self.passed else line


@dataclass(frozen=True)
class Verification:
    """The result of `hotclone verify`: bound to the exact state it verified (its fingerprint)."""

    environment: Environment
    fingerprint: str  # core/fingerprint.py: the environment's material objects when the checks started
    user: str
    started: datetime
    finished: datetime
    results: tuple[CheckResult, ...]
    compared: tuple[CheckResult, ...] = ()  # the read-only checks run in `compared_with`, for comparison
    compared_with: str | None = None  # environment name (the clone's source)

    @property
    def passed(self) -> bool:
        """Every check passed (and there was at least one)."""
        return bool(self.results) and all(r.passed for r in self.results)


@dataclass(frozen=True)
class VerificationState:
    """An environment's latest verification and whether it still holds for the state now."""

    environment: Environment
    latest: Verification | None
    current: bool = False  # the fingerprint matches now and every check's Job still says so
    why_not: str = ""  # when not current: "web changed since the verification", "check Job gone", ...
    checks: tuple[str, ...] = ()  # the checks its type defines (empty: nothing to verify)

    @property
    def holds(self) -> bool:
        """The gate's question: a passed verification of exactly this state."""
        return self.latest is not None and self.latest.passed and self.current

    def describe(self) -> str:
        if self.latest is None:
            return f"{self.environment.ref} was never verified"
        result = "passed" if self.latest.passed else "failed"
        if self.current:
            return f"verification {result} for the current state of {self.environment.ref}"
        return f"verification {result}, but no longer current: {self.why_not or 'the environment changed'}"


DecisionKind = Literal["approved", "rejected"]
RequestState = Literal["pending", "approved", "rejected", "expired", "applied"]


@dataclass(frozen=True)
class Decision:
    user: str  # as the API server identified them when they decided (the policy checks it)
    decision: DecisionKind
    at: datetime | None = None


@dataclass(frozen=True)
class PromotionRequest:
    """A promotion waiting for a second person: stored in the target environment's namespace."""

    id: str
    app: str
    source: str  # environment name
    target: str  # environment name
    requester: str  # as the API server identified them when the request was created
    reason: str
    fingerprint: str  # the plan's (core/fingerprint.py): applied only while the plan is exactly this
    summary: tuple[str, ...]  # the diff summary the approver is asked about
    created: datetime
    expires_at: datetime
    required: int = 1  # approvals the target's type asks for
    decisions: tuple[Decision, ...] = ()
    applied_by: str | None = None
    applied_at: datetime | None = None
    skipped_verification: str = ""  # the override's reason, when the verification gate was skipped

    @property
    def approvers(self) -> tuple[str, ...]:
        """Distinct people who approved, the requester never among them."""
        found: list[str] = []
        for d in self.decisions:
            if d.decision == "approved" and d.user != self.requester and d.user not in found:
                found.append(d.user)
        return tuple(found)

    @property
    def rejected_by(self) -> tuple[str, ...]:
        return tuple(d.user for d in self.decisions if d.decision == "rejected")

    def state(self, now: datetime) -> RequestState:
        if self.applied_by:
            return "applied"
        if self.rejected_by:
            return "rejected"
        if now >= self.expires_at:
            return "expired"
        return "approved" if len(self.approvers) >= self.required else "pending"


@dataclass(frozen=True)
class PolicyStatus:
    """Is the approval policy enforced by the API server? Found by asking it (a dry-run forgery)."""

    enforced: bool
    detail: str  # one line: what was found


@dataclass(frozen=True)
class Gates:
    """What the target's type requires before a promote, and where the source stands."""

    require_verification: bool = False
    verification: VerificationState | None = None  # the source's, when required
    approvals: int = 0  # approvals required; 0: none
    fingerprint: str = ""  # the plan's fingerprint (what an approval is bound to)

    @property
    def verified(self) -> bool:
        return not self.require_verification or (self.verification is not None and self.verification.holds)

    def lines(self) -> list[str]:
        """One line per gate, for the plan shown before a promote."""
        out: list[str] = []
        if self.require_verification:
            state = self.verification.describe() if self.verification else "not verified"
            out.append(f"verification required: {'ok' if self.verified else 'NOT MET'}: {state}")
        if self.approvals:
            out.append(f"approval required: {self.approvals} person(s) other than the requester")
        return out


# -- the live view (core/live.py): what changed, for a front end that repaints on watch events

LiveState = Literal["starting", "live", "reconnecting", "fallback", "stopped"]


@dataclass(frozen=True)
class LiveChange:
    """What changed since the last call: repaint these, and nothing else."""

    environments: bool = False  # an environment appeared, went, or changed its labels
    namespaces: frozenset[str] = frozenset()  # environments whose workloads changed
    everything: bool = False  # a cache listed again (first sync, 410 Gone): repaint all
