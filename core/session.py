"""The one entry point front ends use: a connected, permission-aware hotclone session.

The CLI and the dashboard both drive core through this class only, typed against
core.contract.SessionContract; the cluster connection stays private to it. Every method
blocks on the network (the dashboard calls them from thread workers) and raises
only core.errors.HotcloneError subclasses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from hotclone.core import (
    approval_policy,
    discovery,
    envtypes,
    gates,
    images,
    inventory,
    journal,
    matrix,
    permissions,
    plan_apply,
    requests,
    rollout,
)
from hotclone.core import clone as clone_ops
from hotclone.core import configmap_values as config_ops
from hotclone.core import destroy as destroy_ops
from hotclone.core import diff as diff_ops
from hotclone.core import history as history_ops
from hotclone.core import promote as promote_ops
from hotclone.core import rollback as rollback_ops
from hotclone.core import verify as verify_ops
from hotclone.core.cluster import CONNECT_TIMEOUT, Cluster, Identity
from hotclone.core.contract import Progress
from hotclone.core.errors import Forbidden, HotcloneError, NotFound
from hotclone.core.live import Live
from hotclone.core.models import (
    Action,
    Application,
    ClonePlan,
    CloneResult,
    ConfigChange,
    ConnectionInfo,
    EnvDiff,
    Environment,
    EnvironmentType,
    HistoryEntry,
    ImageChange,
    ImageSpec,
    LiveChange,
    PolicyStatus,
    PromotePlan,
    PromotionRequest,
    RevisionPatch,
    RolloutStatus,
    Verification,
    VerificationState,
    VersionMatrix,
    Workload,
)
from hotclone.core.schema import SYSTEM_NAMESPACE
from hotclone.core.settings import Settings

_POLICY_CACHE_SECONDS = 30.0  # the approval policy's status, asked with a dry-run forgery, per namespace


class Session:
    """The real implementation of `core.contract.SessionContract`, over one cluster connection."""

    def __init__(self, cluster: Cluster, *, read_only: bool = False, production_context: bool = False) -> None:
        self._cluster = cluster
        self.read_only = read_only
        self.production_context = production_context  # marked production in the config file
        self._identity: Identity | None = None
        self._policy_cache: dict[str, tuple[float, PolicyStatus]] = {}
        self.request_lifetime = requests.DEFAULT_LIFETIME  # how long a new promotion request stays valid

    @classmethod
    def connect(
        cls,
        kubeconfig: str | None = None,
        context: str | None = None,
        *,
        read_only: bool = False,
        request_timeout: float | None = None,
        settings: Settings | None = None,
    ) -> Session:
        """`settings` (the config file) may make the context read-only or production; read-only
        from either the flag or the file holds."""
        timeout = (min(CONNECT_TIMEOUT, request_timeout), request_timeout) if request_timeout else None
        cluster = Cluster.connect(kubeconfig, context, timeout=timeout)
        chosen = (settings or Settings()).for_context(cluster.context)
        return cls(cluster, read_only=read_only or chosen.read_only, production_context=chosen.production)

    @property
    def context(self) -> str:
        """The kubeconfig context in use (the current one unless --context named another)."""
        return self._cluster.context

    def close(self) -> None:
        self._cluster.close()

    # -- who and where ---------------------------------------------------------------

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = self._cluster.whoami()
        return self._identity

    def connection_info(self) -> ConnectionInfo:
        return ConnectionInfo(
            self._cluster.context, self._cluster.server, self.identity.username, self.read_only, self.production_context
        )

    def now(self) -> datetime:
        return datetime.now(UTC)

    # -- reading -------------------------------------------------------------------------

    def applications(self) -> list[Application]:
        """All applications and their environments: one LIST of namespaces."""
        return discovery.applications(self._cluster)

    def environments(self, app: str) -> list[Environment]:
        return discovery.environments(self._cluster, app)

    def environment(self, app: str, env: str) -> Environment:
        return discovery.environment(self._cluster, app, env)

    def workloads(self, environment: Environment) -> list[Workload]:
        """Workloads of one environment with ready/desired: one LIST per workload kind."""
        return inventory.workloads(self._cluster, environment.namespace)

    def environment_types(self, app: str | None = None) -> list[EnvironmentType]:
        """With `app`: the types that apply to it (its own win over global ones); without: every type."""
        return envtypes.summaries(envtypes.configmaps(self._cluster), app)

    def version_matrix(self, app: str) -> VersionMatrix:
        return self.version_matrices([Application(app, tuple(self.environments(app)))])[app]

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        """One matrix per application, from one cluster-wide LIST per workload kind."""
        namespaces = [e.namespace for a in apps for e in a.environments]
        loaded = inventory.workloads_by_namespace(self._cluster, namespaces)
        return {a.name: matrix.build(list(a.environments), [loaded[e.namespace] for e in a.environments]) for a in apps}

    def image_suggestions(self, app: str) -> dict[str, list[str]]:
        """Images seen per container name across the app's environments, newest first."""
        envs = self.environments(app)
        loaded = inventory.workloads_by_namespace(self._cluster, [e.namespace for e in envs])
        return matrix.image_suggestions([w for ws in loaded.values() for w in ws])

    def preflight(self, environment: Environment) -> list[str]:
        """Preflight findings recorded on a clone (shown beside its workloads)."""
        return clone_ops.recorded_findings(self._cluster, environment)

    def allowed(self, action: Action, environment: Environment | None) -> tuple[bool, str]:
        """May this user do `action` here? Asks the API server; read-only and safety rules first."""
        return permissions.check(self._cluster, action, environment, read_only=self.read_only)

    # -- changing --------------------------------------------------------------------------

    def _guard(self, action: Action) -> None:
        """Read-only mode refuses every change here, whichever front end asked."""
        if self.read_only:
            raise Forbidden(f"read-only mode: {action.value} is disabled")

    def plan_clone(
        self,
        source: Environment,
        new: str,
        *,
        env_type: str = "temporary",
        allow_prod_references: bool = False,
    ) -> ClonePlan:
        """What `clone` would copy, generate, rewrite, adjust and skip; creates nothing (read-only mode too)."""
        return clone_ops.plan(
            self._cluster, source, new, env_type=env_type, allow_prod_references=allow_prod_references
        )

    def clone(
        self,
        source: Environment,
        new: str,
        *,
        env_type: str = "temporary",
        ttl: str | None = None,
        allow_prod_references: bool = False,
        progress: Progress | None = None,
    ) -> CloneResult:
        self._guard(Action.CLONE)
        return clone_ops.clone(
            self._cluster,
            source,
            new,
            env_type=env_type,
            ttl=ttl,
            allow_prod_references=allow_prod_references,
            user=self.identity.username,
            progress=progress,
        )

    def plan_set_image(self, environment: Environment, specs: list[ImageSpec]) -> tuple[list[ImageChange], EnvDiff]:
        """Validate and compute the change (and its diff) without applying it."""
        return images.plan(self._cluster, environment, specs)

    def set_image(
        self, environment: Environment, specs: list[ImageSpec], *, seen: list[ImageChange], reason: str = ""
    ) -> list[ImageChange]:
        self._guard(Action.SET_IMAGE)
        user = self.identity.username
        return images.apply(self._cluster, environment, specs, seen=seen, user=user, reason=reason)

    def configmaps(self, environment: Environment) -> dict[str, dict[str, str]]:
        return config_ops.configmaps(self._cluster, environment)

    def plan_set_config(
        self, environment: Environment, configmap: str, values: dict[str, str]
    ) -> tuple[list[ConfigChange], EnvDiff]:
        return config_ops.plan(self._cluster, environment, configmap, values)

    def set_config(
        self,
        environment: Environment,
        configmap: str,
        values: dict[str, str],
        *,
        seen: list[ConfigChange],
        reason: str = "",
    ) -> list[ConfigChange]:
        self._guard(Action.SET_CONFIG)
        user = self.identity.username
        return config_ops.apply(self._cluster, environment, configmap, values, seen=seen, user=user, reason=reason)

    def recover(self, environment: Environment) -> list[HistoryEntry]:
        """Restore the before-state of every unfinished (interrupted) revision; read back."""
        self._guard(Action.ROLLBACK)
        return journal.recover(
            self._cluster, discovery.current(self._cluster, environment), user=self.identity.username
        )

    def diff(self, left: Environment, right: Environment, *, include_env_scoped: bool = False) -> EnvDiff:
        return diff_ops.diff_environments(self._cluster, left, right, include_env_scoped=include_env_scoped)

    def plan_promote(
        self, source: Environment, target: Environment | None = None, *, prune: bool = False, include_rbac: bool = False
    ) -> PromotePlan:
        return promote_ops.plan(self._cluster, source, target, prune=prune, include_rbac=include_rbac)

    def plan_rollback(self, environment: Environment, revision: int | None = None) -> PromotePlan:
        return rollback_ops.plan(self._cluster, environment, revision)

    def apply(
        self,
        plan: PromotePlan,
        *,
        confirm: str | None = None,
        reason: str = "",
        progress: Progress | None = None,
        request: str | None = None,
        skip_verification: str = "",
    ) -> list[str]:
        """Apply a promote or rollback plan; production targets need confirm == target name. A promote
        passes its target type's gates first (core/gates.py); `request` is used up by this apply."""
        self._guard(Action.ROLLBACK if plan.action == "rollback" else Action.PROMOTE)
        user = self.identity.username
        plan_apply.check_plan(plan, confirm)  # a wrong confirmation is told before any gate is asked
        extra = gates.enforce(
            self._cluster,
            plan,
            user=user,
            request=request,
            skip_verification=skip_verification,
        )
        claim = gates.claim(self._cluster, plan, user=user, request=request)
        try:
            return plan_apply.apply(
                self._cluster,
                plan,
                confirm=confirm,
                reason=reason,
                user=user,
                progress=progress,
                gate_lines=extra,
                before_write=claim,
            )
        except HotcloneError as error:
            if claim is not None and claim.possibly_used:  # the writes failed after the request was used
                raise type(error)(f"{error} (request {request} is used up: request again)") from None
            raise

    # -- four-eyes approval (core/gates.py, core/requests.py, core/approval_policy.py) -------

    def policy_status(self, environment: Environment | None = None) -> PolicyStatus:
        """Does the API server enforce the approval policy? Asked (a dry-run forgery) in `environment`'s
        namespace, else in hotclone's system namespace; remembered for a moment, for the dashboard.
        Every request, decision and gated apply asks again itself."""
        namespace = environment.namespace if environment else SYSTEM_NAMESPACE
        now = time.monotonic()
        cached = self._policy_cache.get(namespace)
        if cached is not None and now - cached[0] < _POLICY_CACHE_SECONDS:
            return cached[1]
        status = approval_policy.status(self._cluster, namespace, self.identity.username)
        self._policy_cache[namespace] = (now, status)
        return status

    def install_policy(self) -> list[str]:
        self._guard(Action.INSTALL_POLICY)
        lines = approval_policy.install(self._cluster)
        self._policy_cache.clear()
        return lines

    def request_promotion(self, plan: PromotePlan, *, reason: str, skip_verification: str = "") -> PromotionRequest:
        """Record a request for `plan` in its target; the verification gate must hold, or be skipped
        with a reason (recorded in the request, so the approvers see it)."""
        self._guard(Action.PROMOTE)
        user = self.identity.username
        return gates.request(
            self._cluster,
            plan,
            user=user,
            reason=reason,
            skip_verification=skip_verification,
            lifetime=self.request_lifetime,
        )

    def promotion_requests(self, app: str, env: str | None = None) -> list[PromotionRequest]:
        """Requests into the app's environments (or into `env`), newest first."""
        targets = [self.environment(app, env)] if env else self.environments(app)
        if not targets:
            raise NotFound(f"unknown application {app!r}")
        return gates.listed(self._cluster, targets)

    def waiting_for_me(self) -> list[PromotionRequest]:
        """Pending requests across applications that this user has not decided and did not make."""
        environments = [e for a in self.applications() for e in a.environments]
        return gates.waiting(self._cluster, environments, self.identity.username, self.now())

    def decide(
        self, environment: Environment, request_id: str, *, approve: bool, comment: str = ""
    ) -> PromotionRequest:
        """Approve or reject a request into `environment` as this user (never their own); read back."""
        self._guard(Action.APPROVE)
        user = self.identity.username
        return gates.decide(self._cluster, environment, request_id, user=user, approve=approve, comment=comment)

    def verification(self, environment: Environment) -> VerificationState:
        """The latest verification, re-checked: the fingerprint matches now and each passed Job still says so."""
        return verify_ops.state(self._cluster, environment)

    def verify(
        self, environment: Environment, *, compare: bool = False, progress: Progress | None = None
    ) -> Verification:
        """Run the type's checks as Jobs (read-only ones only in production), wait, record, return."""
        self._guard(Action.VERIFY)
        fresh = discovery.current(self._cluster, environment)  # the type and production label as they are now
        return verify_ops.run(self._cluster, fresh, user=self.identity.username, compare=compare, progress=progress)

    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        return rollout.rollout_status(self._cluster, environment, workloads)

    def wait_for_rollout(
        self, environment: Environment, workloads: list[str], *, timeout: float = 180.0
    ) -> list[RolloutStatus]:
        return rollout.wait_for_rollout(self._cluster, environment, workloads, timeout=timeout)

    def history(self, environment: Environment) -> list[HistoryEntry]:
        return history_ops.entries(self._cluster, environment)

    def history_patch(self, environment: Environment, revision: int) -> RevisionPatch:
        return history_ops.recorded_patch(self._cluster, environment, revision)

    def destroy(self, environment: Environment) -> Environment:
        self._guard(Action.DESTROY)
        return destroy_ops.destroy(self._cluster, environment)

    def live(self, on_change: Callable[[LiveChange], None]) -> Live:
        """Watch namespaces and workloads cluster-wide; reads from memory (core/live.py)."""
        return Live(self._cluster, on_change).start()

    def expired(self) -> list[Environment]:
        return destroy_ops.expired(self._cluster, self.now())

    def gc(self) -> list[Environment]:
        self._guard(Action.DESTROY)
        return destroy_ops.gc(self._cluster, self.now())
