"""The typed contract between core and its front ends: everything the CLI and the dashboard call.

`core.session.Session` implements it against a cluster; the dashboard's tests implement
it in memory on core's own pure functions (tests/tui/fake_session.py). A contract test
runs the same behaviours against both. Every method may block on the network and raises
only `core.errors.HotcloneError` subclasses. Environments are resolved once, by
`environment(app, env)`, and passed back in; writes re-read their labels before acting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from hotclone.core.models import (
    Action,
    Application,
    ClonePlan,
    CloneResult,
    ClusterStatus,
    ConfigChange,
    ConnectionInfo,
    EnvDiff,
    Environment,
    EnvironmentType,
    HistoryEntry,
    ImageChange,
    ImageSpec,
    LiveChange,
    LiveState,
    PolicyStatus,
    ProgressStep,
    PromotePlan,
    PromotionRequest,
    RevisionPatch,
    RolloutStatus,
    Verification,
    VerificationState,
    VersionMatrix,
    Workload,
)

Progress = Callable[[ProgressStep], None]


class LiveView(Protocol):
    """Environments and workloads kept current by watches (core/live.py); every read is memory only.

    `state` "live": reads are current; "starting"/"reconnecting": they are the last known state;
    "fallback": the user may not watch cluster-wide, so read through the session instead.
    With several contexts, "live" once any cluster is live; `clusters` says which one is down
    (its environments are the last known, none if it never answered)."""

    @property
    def state(self) -> LiveState: ...
    @property
    def error(self) -> str: ...
    @property
    def clusters(self) -> list[ClusterStatus]: ...
    def stop(self) -> None: ...
    def applications(self) -> list[Application]: ...
    def workloads(self, environment: Environment) -> list[Workload]: ...
    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]: ...
    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]: ...


class SessionContract(Protocol):
    read_only: bool

    # -- who and where
    def connection_info(self) -> ConnectionInfo: ...
    def clusters(self) -> list[ClusterStatus]:
        """Every kubeconfig context of the session, this one first, as the last read found it."""
        ...

    def now(self) -> datetime: ...
    def close(self) -> None: ...

    # -- reading
    def applications(self) -> list[Application]: ...
    def environments(self, app: str) -> list[Environment]: ...
    def environment(self, app: str, env: str) -> Environment: ...
    def workloads(self, environment: Environment) -> list[Workload]: ...
    def environment_types(self, app: str | None = None) -> list[EnvironmentType]: ...
    def version_matrix(self, app: str) -> VersionMatrix: ...
    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]: ...
    def image_suggestions(self, app: str) -> dict[str, list[str]]: ...
    def preflight(self, environment: Environment) -> list[str]: ...
    def configmaps(self, environment: Environment) -> dict[str, dict[str, str]]: ...
    def history(self, environment: Environment) -> list[HistoryEntry]: ...
    def history_patch(self, environment: Environment, revision: int) -> RevisionPatch:
        """The revision's change as a kustomize-style patch (Secret values never in it); not `recorded`
        for clones, changes that did not complete and older revisions."""
        ...

    def allowed(self, action: Action, environment: Environment | None) -> tuple[bool, str]: ...
    def diff(self, left: Environment, right: Environment, *, include_env_scoped: bool = False) -> EnvDiff: ...
    def expired(self) -> list[Environment]: ...
    def live(self, on_change: Callable[[LiveChange], None]) -> LiveView:
        """Start watching namespaces and workloads (returns at once, from another thread
        `on_change` says what changed, coalesced: a burst of events is one call)."""
        ...

    # -- planning (changes nothing)
    def plan_clone(
        self,
        source: Environment,
        new: str,
        *,
        env_type: str = "temporary",
        allow_prod_references: bool = False,
    ) -> ClonePlan:
        """What `clone` would copy, generate, rewrite, adjust and skip (with reasons); creates nothing."""
        ...

    def plan_set_image(self, environment: Environment, specs: list[ImageSpec]) -> tuple[list[ImageChange], EnvDiff]: ...
    def plan_set_config(
        self, environment: Environment, configmap: str, values: dict[str, str]
    ) -> tuple[list[ConfigChange], EnvDiff]: ...
    def plan_promote(
        self, source: Environment, target: Environment | None = None, *, prune: bool = False, include_rbac: bool = False
    ) -> PromotePlan:
        """RBAC objects (ServiceAccounts, Roles, RoleBindings) are only listed as skipped unless include_rbac."""
        ...

    def plan_rollback(self, environment: Environment, revision: int | None = None) -> PromotePlan:
        """The state from just before `revision`; None undoes the latest revision."""
        ...

    # -- changing (refused in read-only mode)
    def clone(
        self,
        source: Environment,
        new: str,
        *,
        env_type: str = "temporary",
        ttl: str | None = None,
        allow_prod_references: bool = False,
        progress: Progress | None = None,
    ) -> CloneResult: ...
    def set_image(
        self, environment: Environment, specs: list[ImageSpec], *, seen: list[ImageChange], reason: str = ""
    ) -> list[ImageChange]:
        """Apply, guarded by `seen`: the changes of the preview the user confirmed."""
        ...

    def set_config(
        self,
        environment: Environment,
        configmap: str,
        values: dict[str, str],
        *,
        seen: list[ConfigChange],
        reason: str = "",
    ) -> list[ConfigChange]:
        """Apply, guarded by `seen`: the changes of the preview the user confirmed."""
        ...

    def recover(self, environment: Environment) -> list[HistoryEntry]:
        """Restore the before-state of every unfinished revision (an interrupted change)."""
        ...

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
        """Apply a promote or rollback plan; production targets need confirm == the target's name.

        A promote passes the target type's gates (plan.gates) or is refused: a current, passed
        verification of the source unless `skip_verification` gives the override's reason (recorded);
        with approvals required, `request` names an approved, unexpired, unused promotion request
        whose fingerprint is this plan's (it is used up by this apply)."""
        ...

    # -- gates: verification and four-eyes approval
    def verification(self, environment: Environment) -> VerificationState:
        """The environment's latest verification and whether it still holds for its state now."""
        ...

    def verify(
        self, environment: Environment, *, compare: bool = False, progress: Progress | None = None
    ) -> Verification:
        """Run the type's checks in the environment (and, with compare, the read-only ones in its
        source), wait, record and return one result per check. Creates the check Jobs."""
        ...

    def promotion_requests(self, app: str, env: str | None = None) -> list[PromotionRequest]:
        """Promotion requests into the app's environments (or into `env`), newest first."""
        ...

    def waiting_for_me(self) -> list[PromotionRequest]:
        """Pending requests across applications that this user could decide (not their own)."""
        ...

    def request_promotion(self, plan: PromotePlan, *, reason: str, skip_verification: str = "") -> PromotionRequest:
        """Record a promotion request for `plan` in its target (changes nothing else)."""
        ...

    def decide(
        self, environment: Environment, request_id: str, *, approve: bool, comment: str = ""
    ) -> PromotionRequest:
        """Approve or reject a request into `environment` as this user (never their own); read back."""
        ...

    def policy_status(self) -> PolicyStatus:
        """Does the API server enforce the approval policy? (asked with a dry-run forgery)"""
        ...

    def install_policy(self) -> list[str]:
        """Install or update the approval policy (cluster admin); returns what was written."""
        ...

    def destroy(self, environment: Environment) -> Environment: ...
    def gc(self) -> list[Environment]: ...

    # -- after a change
    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]: ...
    def wait_for_rollout(
        self, environment: Environment, workloads: list[str], *, timeout: float = 180.0
    ) -> list[RolloutStatus]: ...
