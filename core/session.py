"""The one entry point front ends use: a connected, permission-aware hotclone session.

The CLI and the dashboard both drive core through this class only, typed against
core.contract.SessionContract; the cluster connections stay private to it. Every method
blocks on the network (the dashboard calls them from thread workers) and raises
only core.errors.HotcloneError subclasses.

Several kubeconfig contexts (issue 14): the first is home (environment types for `types`,
the dashboard's header); every Environment names the context it was read through, and each
call about it goes to that cluster, as the user's own identity there. Lists ask every cluster
at once and merge; one that cannot be reached is reported (`clusters()`), never blocking the
others. A context an environment type names is connected when first needed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

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
    signals_held,
)
from hotclone.core import clone as clone_ops
from hotclone.core import configmap_values as config_ops
from hotclone.core import destroy as destroy_ops
from hotclone.core import diff as diff_ops
from hotclone.core import history as history_ops
from hotclone.core import kubeconfig as kubeconfig_file
from hotclone.core import promote as promote_ops
from hotclone.core import rollback as rollback_ops
from hotclone.core import verify as verify_ops
from hotclone.core.cluster import CONNECT_TIMEOUT, Cluster, Identity
from hotclone.core.contract import Progress
from hotclone.core.errors import Forbidden, HotcloneError, InvalidInput, NotFound, ServerError, Unreachable
from hotclone.core.live import Live, LiveAcross, merged_applications
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
_T = TypeVar("_T")


class Session:
    """The real implementation of `core.contract.SessionContract`, over one cluster connection."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        read_only: bool = False,
        production_context: bool = False,
        others: Sequence[Cluster] = (),
        connect: Callable[[str], Cluster] | None = None,
        read_only_contexts: frozenset[str] = frozenset(),
        server_of: Callable[[str], str] | None = None,
    ) -> None:
        """`cluster` is home; `others` the other contexts asked for; `connect` opens another context
        of the same kubeconfig (one an environment type names, or `ENV@CONTEXT`);
        `read_only_contexts`: contexts the config file makes read-only; `server_of` reads a
        context's API server from the kubeconfig (no connection)."""
        self._cluster = cluster
        self._clusters: dict[str, Cluster] = {cluster.context: cluster}
        for other in others:
            _check_distinct(self._clusters, other)
            self._clusters[other.context] = other
        self._connect = connect
        self._aliases: dict[str, Cluster] = {}  # contexts connected for one use (a type's), on a cluster shown
        self._server_of = server_of
        self._read_only_contexts = read_only_contexts
        self.read_only = read_only
        self.production_context = production_context  # marked production in the config file
        self.production_context_name = cluster.context if production_context else ""
        self._identities: dict[str, Identity] = {}
        self._status: dict[str, ClusterStatus] = {}
        self._unusable: list[ClusterStatus] = []  # contexts that could not even be set up (a failed credential plugin)
        self._lock = threading.Lock()  # workers connect contexts and record statuses concurrently
        self._policy_cache: dict[tuple[str, str], tuple[float, PolicyStatus]] = {}
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
        contexts: Sequence[str] = (),
    ) -> Session:
        """`settings` (the config file) may make a context read-only or production; read-only
        from either the flag or the file holds. `contexts` (or `context`, or the file's
        default-contexts, or the kubeconfig's current context) are the clusters to show."""
        timeout = (min(CONNECT_TIMEOUT, request_timeout), request_timeout) if request_timeout else None
        chosen_settings = settings or Settings()
        names = list(dict.fromkeys(contexts)) or ([context] if context else list(chosen_settings.default_contexts))

        def open_context(name: str | None) -> Cluster:
            return Cluster.connect(kubeconfig, name, timeout=timeout)

        opened = [open_context(names[0] if names else None)]
        unusable: list[ClusterStatus] = []
        for name in names[1:]:
            server = kubeconfig_file.view(kubeconfig, name).server  # a context not in the file: an error
            try:
                opened.append(open_context(name))
            except Unreachable as error:  # its credential plugin failed: shown as such, the others go on
                unusable.append(ClusterStatus(name, server, state="unreachable", error=f"context {name}: {error}"))
        home = chosen_settings.for_context(opened[0].context)
        production = [c.context for c in opened if chosen_settings.for_context(c.context).production]
        read_only_contexts = frozenset(c.context for c in opened if chosen_settings.for_context(c.context).read_only)

        def connect_more(name: str) -> Cluster:
            cluster = open_context(name)
            if chosen_settings.for_context(name).read_only:
                session._read_only_contexts = session._read_only_contexts | {name}
            return cluster

        session = cls(
            opened[0],
            # One context marked read-only makes the session so; among several, only that context.
            read_only=read_only or (home.read_only and len(opened) == 1),
            production_context=home.production,
            others=opened[1:],
            connect=connect_more,
            read_only_contexts=read_only_contexts,
            server_of=lambda name: kubeconfig_file.view(kubeconfig, name).server,
        )
        # Among several contexts, one marked production makes every change ask for its name: the
        # cautious reading, since a change's cluster is known only once its environment is.
        session.production_context_name = production[0] if production else ""
        session._unusable = unusable
        return session

    @property
    def context(self) -> str:
        """The home kubeconfig context (the first --context, else the kubeconfig's current one)."""
        return self._cluster.context

    @property
    def contexts(self) -> list[str]:
        return list(self._clusters)

    def close(self) -> None:
        for cluster in [*self._clusters.values(), *self._aliases.values()]:
            cluster.close()

    # -- which cluster -----------------------------------------------------------------------

    def _on(self, environment: Environment | None) -> Cluster:
        """The session's cluster `environment` is in (home for none), always with this session's own
        identity there: an Environment read through another context of the same API server (another
        session's, say `restricted` vs `admin`) is this session's cluster, never a way to reach that
        context's credentials; one of a cluster this session does not use is refused."""
        if environment is None or not environment.cluster:
            return self._cluster
        found = self._clusters.get(environment.cluster)
        if found is not None and (not environment.server or _same(found.server, environment.server)):
            return found
        server = environment.server
        if not server and self._server_of is not None:
            with contextlib.suppress(HotcloneError):
                server = self._server_of(environment.cluster)
        for cluster in self._clusters.values():
            if server and _same(cluster.server, server):
                return cluster
        used = ", ".join(self._clusters)
        raise InvalidInput(
            f"{environment.ref} is in context {environment.cluster!r}, a cluster this session does not use "
            f"({used}): add --context {environment.cluster}"
        )

    def _context(self, name: str) -> Cluster:
        """A connected context, or the kubeconfig's context of that name, connected now."""
        with self._lock:
            found = self._clusters.get(name) or self._aliases.get(name)
            if found is not None:
                return found
            if self._connect is None:
                raise NotFound(f"context {name!r} is not connected in this session")
            opened = self._connect(name)
            if any(c.server == opened.server for c in self._clusters.values()):
                self._aliases[name] = opened  # another identity on a cluster already shown: not listed twice
            else:
                self._clusters[name] = opened
            return opened

    def _origin_cluster(self, environment: Environment) -> Cluster:
        """The cluster a clone's source is in: its own, unless it was cloned across clusters; then
        the session's context with the recorded API server."""
        here = self._on(environment)
        server = environment.cloned_from_server
        if not server or server == here.server:
            return here
        for cluster in list(self._clusters.values()):
            if _same(cluster.server, server):
                return cluster
        # Only the session's own contexts: the clone's record names a context of whoever cloned it,
        # and connecting it here could mean other credentials than the ones this user chose.
        recorded = environment.cloned_from_context or "its context"
        raise NotFound(
            f"{environment.ref} was cloned from {environment.cloned_from} in cluster {server}, which no context "
            f"of this session reaches: add --context {recorded}"
        )

    def _types_of(self, environment: Environment) -> Cluster:
        """The cluster whose environment types define `environment`'s: a clone made across clusters
        got its type where it was cloned from; every other environment, its own cluster's."""
        return self._origin_cluster(environment)

    def _across(self, read: Callable[[Cluster], _T]) -> list[tuple[Cluster, _T]]:
        """`read` in every cluster at once; one that fails is recorded (`clusters()`) and left out.
        Only if every cluster fails is the first error raised (one cluster: exactly as before)."""
        clusters = list(self._clusters.values())
        if len(clusters) == 1:
            value = read(clusters[0])
            self._record(clusters[0], None)
            return [(clusters[0], value)]
        results: list[tuple[Cluster, _T]] = []
        errors: list[HotcloneError] = []
        answers: dict[str, _T] = {}
        failures: dict[str, HotcloneError] = {}

        def ask(cluster: Cluster) -> None:
            try:
                answers[cluster.context] = read(cluster)
            except HotcloneError as error:
                failures[cluster.context] = error
            except Exception as error:  # a thread's traceback must never reach the terminal
                failures[cluster.context] = ServerError(f"reading failed: {type(error).__name__}: {error}")

        # Daemon threads, not a pool: Ctrl-C while one cluster hangs (a paused API server) ends the
        # command now, instead of waiting out that request's timeout at exit.
        threads = [threading.Thread(target=ask, args=(c,), daemon=True, name="hotclone-cluster") for c in clusters]
        signals_held.start_all(threads)  # Ctrl-C inside Thread.start() is a RuntimeError, not an interrupt
        for thread in threads:
            thread.join()
        for cluster in clusters:
            if cluster.context in answers:
                results.append((cluster, answers[cluster.context]))
                self._record(cluster, None)
            else:
                failed = failures.get(cluster.context) or ServerError("reading failed")
                errors.append(failed)
                self._record(cluster, failed)
        if not results:
            raise errors[0]
        return results

    def _record(self, cluster: Cluster, error: HotcloneError | None) -> None:
        known = self._identities.get(cluster.context)
        user = known.username if known else ""
        if error is None:
            status = ClusterStatus(cluster.context, cluster.server, user, "ok")
        else:
            line = f"context {cluster.context}: {error}"
            if isinstance(error, Forbidden):
                status = ClusterStatus(cluster.context, cluster.server, user, "forbidden", line)
            else:
                status = ClusterStatus(cluster.context, cluster.server, user, "unreachable", line)
        with self._lock:
            self._status[cluster.context] = status

    def clusters(self) -> list[ClusterStatus]:
        """Every context of the session, home first, as the last read found it."""
        with self._lock:
            known = [self._status.get(name) or ClusterStatus(name, c.server) for name, c in self._clusters.items()]
            return known + self._unusable

    def _read_only_in(self, cluster: Cluster) -> bool:
        return self.read_only or cluster.context in self._read_only_contexts

    # -- who and where ---------------------------------------------------------------

    @property
    def identity(self) -> Identity:
        """Who the home cluster's API server says we are."""
        return self._identity_in(self._cluster)

    def _identity_in(self, cluster: Cluster) -> Identity:
        found = self._identities.get(cluster.context)
        if found is None:
            found = self._identities[cluster.context] = cluster.whoami()
        return found

    def _user(self, cluster: Cluster) -> str:
        """The user each cluster's own API server reports: what its history records."""
        return self._identity_in(cluster).username

    def connection_info(self) -> ConnectionInfo:
        clusters = self.clusters()
        return ConnectionInfo(
            self._cluster.context,
            self._cluster.server,
            self.identity.username,
            self.read_only,
            self.production_context,
            clusters=tuple(clusters) if len(clusters) > 1 else (),
        )

    def now(self) -> datetime:
        return datetime.now(UTC)

    # -- reading -------------------------------------------------------------------------

    def applications(self) -> list[Application]:
        """All applications and their environments: one LIST of namespaces per cluster, at once."""
        return merged_applications([apps for _c, apps in self._across(discovery.applications)])

    def environments(self, app: str) -> list[Environment]:
        found = self._across(lambda cluster: discovery.environments(cluster, app))
        return sorted((e for _c, envs in found for e in envs), key=discovery.sort_key)

    def environment(self, app: str, env: str) -> Environment:
        """`env` may name its context (`production@eu-1`): then only that cluster is asked."""
        name, _, context = env.partition("@")
        if context:
            return discovery.environment(self._context(context), app, name)
        if len(self._clusters) == 1:
            return discovery.environment(self._cluster, app, env)
        return discovery.pick(app, env, self.environments(app))

    def workloads(self, environment: Environment) -> list[Workload]:
        """Workloads of one environment with ready/desired: one LIST per workload kind."""
        return inventory.workloads(self._on(environment), environment.namespace)

    def environment_types(self, app: str | None = None) -> list[EnvironmentType]:
        """With `app`: the types that apply to it (its own win over global ones); without: every type.
        The home cluster's (a clone reads its source cluster's types)."""
        return envtypes.summaries(envtypes.configmaps(self._cluster), app)

    def version_matrix(self, app: str) -> VersionMatrix:
        return self.version_matrices([Application(app, tuple(self.environments(app)))])[app]

    def _workloads_of(self, environments: list[Environment]) -> dict[tuple[str, str], list[Workload]]:
        """Workloads per (context, namespace): one cluster-wide LIST per workload kind and cluster."""
        by_cluster: dict[str, list[str]] = {}
        for e in environments:
            by_cluster.setdefault(self._on(e).context, []).append(e.namespace)
        loaded: dict[tuple[str, str], list[Workload]] = {}
        for context, namespaces in by_cluster.items():
            found = inventory.workloads_by_namespace(self._context(context), namespaces)
            loaded |= {(context, namespace): workloads for namespace, workloads in found.items()}
        return loaded

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        """One matrix per application, from one cluster-wide LIST per workload kind (and cluster)."""
        loaded = self._workloads_of([e for a in apps for e in a.environments])
        return {
            a.name: matrix.build(
                list(a.environments), [loaded[(self._on(e).context, e.namespace)] for e in a.environments]
            )
            for a in apps
        }

    def image_suggestions(self, app: str) -> dict[str, list[str]]:
        """Images seen per container name across the app's environments, newest first."""
        loaded = self._workloads_of(self.environments(app))
        return matrix.image_suggestions([w for ws in loaded.values() for w in ws])

    def preflight(self, environment: Environment) -> list[str]:
        """Preflight findings recorded on a clone (shown beside its workloads)."""
        return clone_ops.recorded_findings(self._on(environment), environment)

    def allowed(self, action: Action, environment: Environment | None) -> tuple[bool, str]:
        """May this user do `action` here? Asks that cluster's API server; read-only and safety rules first."""
        cluster = self._on(environment)
        return permissions.check(cluster, action, environment, read_only=self._read_only_in(cluster))

    # -- changing --------------------------------------------------------------------------

    def _guard(self, action: Action, cluster: Cluster | None = None) -> None:
        """Read-only mode (the flag, or the config file for that context) refuses every change here."""
        if self.read_only:
            raise Forbidden(f"read-only mode: {action.value} is disabled")
        if cluster is not None and cluster.context in self._read_only_contexts:
            raise Forbidden(f"read-only context {cluster.context}: {action.value} is disabled")

    def plan_clone(
        self,
        source: Environment,
        new: str,
        *,
        env_type: str = "temporary",
        allow_prod_references: bool = False,
    ) -> ClonePlan:
        """What `clone` would copy, generate, rewrite, adjust and skip; creates nothing (read-only mode too).
        The type may place the clone in another context (connected now, with the user's kubeconfig)."""
        return clone_ops.plan(
            self._on(source),
            source,
            new,
            env_type=env_type,
            allow_prod_references=allow_prod_references,
            into=self._context,
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

        def into(context: str) -> Cluster:
            target = self._context(context)
            self._guard(Action.CLONE, target)
            return target

        # `identify`: who the target's API server says we are, asked before anything is created there.
        return clone_ops.clone(
            self._on(source),
            source,
            new,
            env_type=env_type,
            ttl=ttl,
            allow_prod_references=allow_prod_references,
            progress=progress,
            into=into,
            identify=self._user,
        )

    def plan_set_image(self, environment: Environment, specs: list[ImageSpec]) -> tuple[list[ImageChange], EnvDiff]:
        """Validate and compute the change (and its diff) without applying it."""
        return images.plan(self._on(environment), environment, specs)

    def set_image(
        self, environment: Environment, specs: list[ImageSpec], *, seen: list[ImageChange], reason: str = ""
    ) -> list[ImageChange]:
        cluster = self._on(environment)
        self._guard(Action.SET_IMAGE, cluster)
        user = self._user(cluster)
        return images.apply(cluster, environment, specs, seen=seen, user=user, reason=reason)

    def configmaps(self, environment: Environment) -> dict[str, dict[str, str]]:
        return config_ops.configmaps(self._on(environment), environment)

    def plan_set_config(
        self, environment: Environment, configmap: str, values: dict[str, str]
    ) -> tuple[list[ConfigChange], EnvDiff]:
        return config_ops.plan(self._on(environment), environment, configmap, values)

    def set_config(
        self,
        environment: Environment,
        configmap: str,
        values: dict[str, str],
        *,
        seen: list[ConfigChange],
        reason: str = "",
    ) -> list[ConfigChange]:
        cluster = self._on(environment)
        self._guard(Action.SET_CONFIG, cluster)
        user = self._user(cluster)
        return config_ops.apply(cluster, environment, configmap, values, seen=seen, user=user, reason=reason)

    def recover(self, environment: Environment) -> list[HistoryEntry]:
        """Restore the before-state of every unfinished (interrupted) revision; read back."""
        cluster = self._on(environment)
        self._guard(Action.ROLLBACK, cluster)
        return journal.recover(cluster, discovery.current(cluster, environment), user=self._user(cluster))

    def diff(self, left: Environment, right: Environment, *, include_env_scoped: bool = False) -> EnvDiff:
        """Across clusters too: each side read from its own."""
        return diff_ops.diff_environments(
            self._on(left), left, right, include_env_scoped=include_env_scoped, right=self._on(right)
        )

    def plan_promote(
        self, source: Environment, target: Environment | None = None, *, prune: bool = False, include_rbac: bool = False
    ) -> PromotePlan:
        """Default target: the environment `source` was cloned from, in whichever cluster that is."""
        into = self._on(target) if target is not None else self._origin_cluster(source)
        return promote_ops.plan(self._on(source), source, target, prune=prune, include_rbac=include_rbac, into=into)

    def plan_rollback(self, environment: Environment, revision: int | None = None) -> PromotePlan:
        return rollback_ops.plan(self._on(environment), environment, revision)

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
        """Apply a promote or rollback plan in its target's cluster; production targets need confirm ==
        target name. A promote passes its target type's gates first (core/gates.py); `request` is used
        up by this apply."""
        cluster = self._on(plan.target)
        self._guard(Action.ROLLBACK if plan.action == "rollback" else Action.PROMOTE, cluster)
        user = self._user(cluster)
        plan_apply.check_plan(plan, confirm)  # a wrong confirmation is told before any gate is asked
        extra = gates.enforce(
            cluster,
            plan,
            user=user,
            request=request,
            skip_verification=skip_verification,
        )
        claim = gates.claim(cluster, plan, user=user, request=request)
        try:
            return plan_apply.apply(
                cluster,
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
        cluster = self._on(environment)
        namespace = environment.namespace if environment else SYSTEM_NAMESPACE
        key = (cluster.context, namespace)
        now = time.monotonic()
        cached = self._policy_cache.get(key)
        if cached is not None and now - cached[0] < _POLICY_CACHE_SECONDS:
            return cached[1]
        status = approval_policy.status(cluster, namespace, self._user(cluster))
        self._policy_cache[key] = (now, status)
        return status

    def install_policy(self) -> list[str]:
        """In every connected cluster (each line names its context when there are several)."""
        self._guard(Action.INSTALL_POLICY)
        lines: list[str] = []
        clusters = list(self._clusters.values())
        for cluster in clusters:
            self._guard(Action.INSTALL_POLICY, cluster)
            done = approval_policy.install(cluster)
            lines += [f"{cluster.context}: {line}" for line in done] if len(clusters) > 1 else done
        self._policy_cache.clear()
        return lines

    def request_promotion(self, plan: PromotePlan, *, reason: str, skip_verification: str = "") -> PromotionRequest:
        """Record a request for `plan` in its target; the verification gate must hold, or be skipped
        with a reason (recorded in the request, so the approvers see it)."""
        cluster = self._on(plan.target)
        self._guard(Action.PROMOTE, cluster)
        return gates.request(
            cluster,
            plan,
            user=self._user(cluster),
            reason=reason,
            skip_verification=skip_verification,
            lifetime=self.request_lifetime,
        )

    def promotion_requests(self, app: str, env: str | None = None) -> list[PromotionRequest]:
        """Requests into the app's environments (or into `env`), newest first."""
        targets = [self.environment(app, env)] if env else self.environments(app)
        if not targets:
            raise NotFound(f"unknown application {app!r}")
        found = [r for cluster, group in self._by_cluster(targets) for r in gates.listed(cluster, group)]
        return sorted(found, key=lambda r: r.created, reverse=True) if len(self._clusters) > 1 else found

    def _by_cluster(self, environments: list[Environment]) -> list[tuple[Cluster, list[Environment]]]:
        grouped: dict[str, list[Environment]] = {}
        for e in environments:
            grouped.setdefault(self._on(e).context, []).append(e)
        return [(self._context(context), group) for context, group in grouped.items()]

    def waiting_for_me(self) -> list[PromotionRequest]:
        """Pending requests across applications that this user has not decided and did not make
        (in each cluster as the user that cluster knows)."""
        environments = [e for a in self.applications() for e in a.environments]
        return [
            r
            for cluster, group in self._by_cluster(environments)
            for r in gates.waiting(cluster, group, self._user(cluster), self.now())
        ]

    def decide(
        self, environment: Environment, request_id: str, *, approve: bool, comment: str = ""
    ) -> PromotionRequest:
        """Approve or reject a request into `environment` as this user (never their own); read back."""
        cluster = self._on(environment)
        self._guard(Action.APPROVE, cluster)
        user = self._user(cluster)
        return gates.decide(cluster, environment, request_id, user=user, approve=approve, comment=comment)

    def verification(self, environment: Environment) -> VerificationState:
        """The latest verification, re-checked: the fingerprint matches now and each passed Job still says so."""
        return verify_ops.state(self._on(environment), environment, types=self._types_of(environment))

    def verify(
        self, environment: Environment, *, compare: bool = False, progress: Progress | None = None
    ) -> Verification:
        """Run the type's checks as Jobs (read-only ones only in production), wait, record, return."""
        cluster = self._on(environment)
        self._guard(Action.VERIFY, cluster)
        fresh = discovery.current(cluster, environment)  # the type and production label as they are now
        if compare and self._origin_cluster(fresh) is not cluster:
            raise InvalidInput(
                f"--compare runs the checks in {fresh.ref}'s source too, which is in another cluster "
                f"(context {fresh.cloned_from_context}): verify each environment on its own"
            )
        user = self._user(cluster)
        types = self._types_of(fresh)
        return verify_ops.run(cluster, fresh, user=user, compare=compare, progress=progress, types=types)

    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        return rollout.rollout_status(self._on(environment), environment, workloads)

    def wait_for_rollout(
        self, environment: Environment, workloads: list[str], *, timeout: float = 180.0
    ) -> list[RolloutStatus]:
        return rollout.wait_for_rollout(self._on(environment), environment, workloads, timeout=timeout)

    def history(self, environment: Environment) -> list[HistoryEntry]:
        return history_ops.entries(self._on(environment), environment)

    def history_patch(self, environment: Environment, revision: int) -> RevisionPatch:
        return history_ops.recorded_patch(self._on(environment), environment, revision)

    def destroy(self, environment: Environment) -> Environment:
        cluster = self._on(environment)
        self._guard(Action.DESTROY, cluster)
        return destroy_ops.destroy(cluster, environment)

    def live(self, on_change: Callable[[LiveChange], None]) -> Live | LiveAcross:
        """Watch namespaces and workloads cluster-wide, in every cluster; reads from memory (core/live.py)."""
        if len(self._clusters) == 1:
            return Live(self._cluster, on_change).start()
        lives = {name: (c.server, Live(c, on_change)) for name, c in self._clusters.items()}
        return LiveAcross(lives).start()

    def expired(self) -> list[Environment]:
        return [e for _c, found in self._across(lambda c: destroy_ops.expired(c, self.now())) for e in found]

    def gc(self) -> list[Environment]:
        self._guard(Action.DESTROY)
        removed: list[Environment] = []
        for cluster in list(self._clusters.values()):
            if cluster.context not in self._read_only_contexts:
                removed += destroy_ops.gc(cluster, self.now())
        return removed


def _same(server: str, other: str) -> bool:
    return server.rstrip("/") == other.rstrip("/")


def _check_distinct(clusters: dict[str, Cluster], other: Cluster) -> None:
    """Two contexts of one API server would list every environment twice: refused in one line."""
    for name, cluster in clusters.items():
        if cluster.server == other.server and name != other.context:
            raise InvalidInput(
                f"contexts {name!r} and {other.context!r} both reach {other.server}: name one context per cluster"
            )
