"""An in-memory `SessionContract` for the dashboard's tests: only the cluster's I/O is faked.

The objects are the demo's own (`hotclone.core.demo`), held in a `Store` (fake_store);
every answer is computed by core's pure functions (diff, matrix, validation, durations,
image and ConfigMap edits, the three-way merge, rollback, plan preview, rollout status),
so the screens show the text the product shows. Core's steps around those functions
(finding environments, re-reading labels, a clone's steps, the checks before a write)
are repeated over the Store in fake_core. The clock is fixed at NOW; calls are recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hotclone.core import (
    approval_policy,
    configmap_values,
    demo,
    discovery,
    envtypes,
    gates,
    history,
    images,
    inventory,
    journal,
    matrix,
    plan_apply,
    rollout,
)
from hotclone.core.cluster import Obj
from hotclone.core.contract import Progress
from hotclone.core.destroy import refuse_protected
from hotclone.core.diff import compare, summary_lines
from hotclone.core.errors import Forbidden, InvalidInput, NotFound, Refused, Unreachable
from hotclone.core.live import merged_applications
from hotclone.core.models import (
    TEMPORARY,
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
from hotclone.core.permissions import safety_refusal
from hotclone.core.schema import ANNOTATION_PREFLIGHT, environment_namespace
from hotclone.core.settings import Settings
from tests.tui import fake_core as core
from tests.tui import fake_gates
from tests.tui import fake_world as world
from tests.tui.fake_live import FakeLive
from tests.tui.fake_store import Store
from tests.tui.secret_scan import Secrets, secret_values

if TYPE_CHECKING:
    from hotclone.core.contract import SessionContract

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
USER = "oncall@example.com"
CONTEXT, SERVER = "kind-topicshare", "https://127.0.0.1:6443"
UNREACHABLE = f"cannot reach {SERVER}: connection refused"
# FakeSession(clusters=2): a second context, where staging and throwaway environments live.
CONTEXT_B, SERVER_B = "kind-staging", "https://127.0.0.1:6444"
UNREACHABLE_B = f"cannot reach {SERVER_B}: dial tcp 127.0.0.1:6444: connect: connection refused"
STALLED = 'ReplicaSet "web-7d9c5" has timed out progressing.'
REASON = "KO-118 Hangul mojibake"
_DAY = timedelta(days=1)
_AGES = {"production": 400 * _DAY, "qa": 180 * _DAY, "development": 200 * _DAY}
_MAX_CONTROLLER_STEPS = 20  # the fake's controllers finish, or give up, within a few steps


def _ignore(_step: ProgressStep) -> None:
    return None


class FakeSession:
    """The demo app (production, qa, development, the hotfix-ko clone, an expired clone) and `billing`.

    `story=False` seeds exactly what demo.seed does (the contract test compares with a real seed).
    """

    def __init__(
        self,
        app: str = demo.DEMO_APP,
        *,
        read_only: bool = False,
        denied: dict[Action, str] | None = None,
        rollout_fails: bool = False,
        fail: dict[str, Exception] | None = None,
        story: bool = True,
        long_names: bool = False,
        settings: Settings | None = None,
        gates: bool = False,
        live_state: LiveState = "fallback",
        clusters: int = 1,
        down: bool = False,
    ) -> None:
        self.app = app
        # What live() starts as: "fallback" (a user who may not watch cluster-wide: the dashboard polls,
        # as every test written before the watches expects) or "live" (the dashboard reads memory).
        self.live_state = live_state
        self.live_views: list[FakeLive] = []
        chosen = (settings or Settings()).for_context(CONTEXT)  # the config file, combined as Session does
        self.read_only = read_only or chosen.read_only
        self.production_context = chosen.production
        self.denied = denied or {}  # what RBAC would refuse, with its reason
        self.rollout_fails = rollout_fails  # web's next rollout stalls (ProgressDeadlineExceeded)
        self.fail = fail or {}  # method name -> error it raises
        self.unreachable = False
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        # One Store per cluster. With one (the default) its environments carry no context, as before
        # issue 14; with two, each carries the context it was read through.
        several = clusters > 1
        self.store = Store(context=CONTEXT if several else "", server=SERVER)
        self.stores: dict[str, Store] = {CONTEXT: self.store}
        self.down: dict[str, str] = {}  # context -> why it cannot be reached (cluster_down)
        self.types = world.demo_types(app)
        if several:
            self.stores[CONTEXT_B] = Store(context=CONTEXT_B, server=SERVER_B, unserved=world.SECOND_UNSERVED)
            self.types.update(world.remote_types(self.types[TEMPORARY], CONTEXT_B))
        self.gate_store = fake_gates.GateWorld()  # verification records, check Jobs, requests; the test's hooks
        if gates:
            self.set_gates(TEMPORARY, checks=fake_gates.STORY_CHECKS)
            self.set_gates("production", require_verification=True, approvals=1)
        self.long_names = long_names  # a third application, with names too long for 80 columns
        self._clock = NOW  # when the next change happens; moved back while the story is replayed
        self._seed()
        if story:
            self._replay_story()
        if down:
            self.cluster_down()
        self.calls.clear()

    # -- test hooks ------------------------------------------------------------------------
    def called(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for n, a, k in self.calls if n == name]

    def cluster_down(self, context: str = CONTEXT_B, error: str = UNREACHABLE_B) -> None:
        """That cluster stops answering: its environments are no longer listed, every call about one fails."""
        self.down[context] = error

    def _store(self, env: Environment) -> Store:
        """The store of the cluster `env` was read through (the home one when it names none)."""
        return self.stores.get(env.cluster, self.store)

    def _at(self, env: Environment) -> Store:
        """As Session._on: the environment's cluster, which must answer."""
        store = self._store(env)
        self._reachable(store)
        return store

    def _reachable(self, store: Store) -> None:
        context = store.context or CONTEXT
        if context in self.down:
            raise Unreachable(f"context {context}: {self.down[context]}")

    def _up(self) -> list[Store]:
        """The stores that answer, home first; none answering is the home cluster's error (as Session._across)."""
        found = [s for c, s in self.stores.items() if c not in self.down]
        if not found:
            self._reachable(self.store)
        return found

    def _cluster_statuses(self) -> list[ClusterStatus]:
        return [
            ClusterStatus(c, s.server, "", "unreachable", f"context {c}: {self.down[c]}")
            if c in self.down
            else ClusterStatus(c, s.server, USER, "ok")
            for c, s in self.stores.items()
        ]

    @property
    def conflicting(self) -> bool:
        return bool(self._settings("production")["data"]["CHARSET"] == "EUC-KR")

    @conflicting.setter
    def conflicting(self, value: bool) -> None:
        """Someone sets production's CHARSET too, so promoting hotfix-ko's CHARSET conflicts."""
        if value:
            settings = self._settings("production")
            settings["data"]["CHARSET"] = "EUC-KR"
            self.store.put(environment_namespace(self.app, "production"), settings)

    def point_at_production(self) -> None:
        """Production's settings name its public host (an Ingress host), so a clone of it is refused by preflight."""
        settings = self._settings("production")
        settings["data"]["PUBLIC_URL"] = f"https://{demo.public_host(self.app, 'production')}/"
        self.store.put(environment_namespace(self.app, "production"), settings)

    # -- changes made outside hotclone (kubectl, a controller): the live view hears of them ---------
    def external_set_image(self, env: str, workload: str, image: str, *, app: str | None = None) -> None:
        """`kubectl set image deployment/<workload> <workload>=<image>` in `env` (the container named like it)."""
        namespace = environment_namespace(app or self.app, env)
        ref = next(r for r in self.store.objects[namespace] if r.split("/", 1)[1] == workload)
        obj = self.store.get(namespace, ref)
        for container in (inventory.pod_spec(obj) or {}).get("containers", []):
            if container["name"] == workload:
                container["image"] = image
        self.store.put(namespace, obj)
        self._changed(LiveChange(namespaces=frozenset({namespace})))

    def external_add_environment(self, env: str, env_type: str = "qa", *, app: str | None = None) -> None:
        """Someone (another hotclone, Argo CD) creates an environment: a labelled namespace and its objects."""
        name = app or self.app
        self._add(demo.namespace_object(name, env, env_type), world.demo_objects(name, env, "2.0.0"), timedelta(0))
        self._changed(LiveChange(environments=True, namespaces=frozenset({environment_namespace(name, env)})))

    def external_rollout_step(self, env: Environment, ref: str) -> None:
        """The controller makes one step of `ref`'s rollout (as each rollout_status poll does, unasked)."""
        self._store(env).advance(env.namespace, ref)
        self._changed(LiveChange(namespaces=frozenset({env.namespace})))

    def _changed(self, change: LiveChange) -> None:
        for view in self.live_views:
            view.changed(change)

    def _settings(self, env: str) -> Obj:
        return self.store.get(environment_namespace(self.app, env), "ConfigMap/app-settings")

    def secrets(self) -> Secrets:
        """Every sensitive Secret value the fake holds (seeded and generated), for leak scans."""
        return {
            label: value
            for store in self.stores.values()
            for namespace in store.objects
            for label, value in secret_values(store.stored(namespace), namespace).items()
        }

    def set_gates(
        self,
        env_type: str,
        *,
        checks: tuple[str, ...] | None = None,
        require_verification: bool | None = None,
        approvals: int | None = None,
    ) -> None:
        """Give a type checks and gates, as its ConfigMap's checks/requireVerification/approvals keys would."""
        self.types[env_type] = fake_gates.with_gates(
            self.types[env_type], checks=checks, require_verification=require_verification, approvals=approvals
        )

    def request_as(self, requester: str, source: str = "hotfix-ko", reason: str = REASON) -> PromotionRequest:
        """Someone else asks to promote `source` into its origin (the plan as it is now)."""
        plan = self._plan_promote(core.environment(self.store, self.app, source), None, False, False)
        summary = plan_apply.history_summary(plan, summary_lines(plan.diff))
        return self.gate_store.new_request(plan, summary, requester=requester, reason=reason, skip="", now=NOW)

    def decide_as(self, user: str, request_id: str, *, approve: bool = True) -> PromotionRequest:
        """Someone else decides on a request (the fake's own user is USER)."""
        found = self.gate_store.requests[request_id]
        return self.gate_store.decide(found, core.environment(self.store, found.app, found.target), user, approve, NOW)

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Environments are recorded by name: what the tests assert on."""
        shown = tuple(a.name if isinstance(a, Environment) else a for a in args)
        self.calls.append((name, shown, kwargs))
        if self.unreachable:
            raise Unreachable(UNREACHABLE)
        if name in self.fail:
            raise self.fail[name]

    def _guard(self, action: Action) -> None:
        if self.read_only:
            raise Forbidden(f"read-only mode: {action.value} is disabled")

    # -- the world -----------------------------------------------------------------------------
    def _seed(self) -> None:
        """What demo.seed creates for the app, and the second app."""
        for env, version in demo.VERSIONS.items():
            self._add(demo.namespace_object(self.app, env, env), world.demo_objects(self.app, env, version), _AGES[env])
        for env, env_type in world.OTHER_ENVIRONMENTS.items():
            self._add(demo.namespace_object(world.OTHER_APP, env, env_type), world.ledger_objects(), 90 * _DAY)
        for env, env_type in world.LONG_ENVIRONMENTS.items() if self.long_names else ():
            self._add(demo.namespace_object(world.LONG_APP, env, env_type), world.long_named_objects(), 30 * _DAY)
        second = self.stores.get(CONTEXT_B)
        for env, (env_type, version) in world.SECOND_ENVIRONMENTS.items() if second else ():
            objects = world.demo_objects(self.app, env, version)
            self._add(demo.namespace_object(self.app, env, env_type), objects, 30 * _DAY, second)

    def _add(
        self, namespace: Obj, objects: tuple[Obj, ...] | list[Obj], age: timedelta, store: Store | None = None
    ) -> None:
        into = store or self.store
        name = into.create_namespace(namespace, NOW - age)["metadata"]["name"]
        for obj in objects:
            into.put(name, obj)

    def _replay_story(self) -> None:
        """The hotfix story so far, played through this session so history and merge base are core's."""
        production = core.environment(self.store, self.app, "production")
        self._clock = NOW - timedelta(hours=3, minutes=12)
        hotfix = self._clone(production, "hotfix-ko", TEMPORARY, None, False, _ignore).environment
        self._clock = NOW - timedelta(hours=2)
        fix = [ImageSpec("web", None, f"{self.app}/web:1.9.4")]
        self._set_image(hotfix, fix, REASON, self._edit_images(hotfix, fix)[3])
        self._clock = NOW - timedelta(hours=1, minutes=30)
        charset = {"CHARSET": "UTF-8"}
        self._set_config(hotfix, "app-settings", charset, REASON, self._edit_config(hotfix, "app-settings", charset)[3])
        self._clock = NOW - 13 * _DAY  # with temporary's 24h TTL: expired 12 days ago
        self._clone(core.environment(self.store, self.app, "qa"), "demo-0301", TEMPORARY, None, False, _ignore)
        if CONTEXT_B in self.stores:  # a hotfix tried out in the second cluster, away from production's nodes
            self._clock = NOW - timedelta(minutes=50)
            remote = self._clone(production, "hotfix-eu", world.REMOTE_LEAN, None, False, _ignore).environment
            fix = [ImageSpec("web", None, f"{self.app}/web:1.9.5")]
            self._set_image(remote, fix, REASON, self._edit_images(remote, fix)[3])
        self._clock = NOW

    # -- who and where -------------------------------------------------------------------------
    def connection_info(self) -> ConnectionInfo:
        self._record("connection_info")
        several = tuple(self._cluster_statuses()) if len(self.stores) > 1 else ()
        return ConnectionInfo(CONTEXT, SERVER, USER, self.read_only, self.production_context, clusters=several)

    def clusters(self) -> list[ClusterStatus]:
        """Every context, this one first: one, reachable, in the single-cluster world."""
        self._record("clusters")
        return self._cluster_statuses()

    def now(self) -> datetime:
        return NOW

    def close(self) -> None:
        self.calls.append(("close", (), {}))

    # -- reading ---------------------------------------------------------------------------------
    def _workloads(self, env: Environment) -> list[Workload]:
        objects = self._store(env).workload_objects(env.namespace)
        return [inventory.to_workload(o) for o in objects if not o["metadata"].get("ownerReferences")]

    def applications(self) -> list[Application]:
        self._record("applications")
        return self._applications()

    def _applications(self) -> list[Application]:
        """Every answering cluster's, merged by application (as Session.applications)."""
        per_cluster = []
        for store in self._up():
            apps = sorted({e.app for e in core.all_environments(store)})
            per_cluster.append([Application(app, tuple(core.environments(store, app))) for app in apps])
        return merged_applications(per_cluster)

    def _environments(self, app: str) -> list[Environment]:
        found = [e for store in self._up() for e in core.environments(store, app)]
        return sorted(found, key=discovery.sort_key)

    def environments(self, app: str) -> list[Environment]:
        self._record("environments", app)
        return self._environments(app)

    def environment(self, app: str, env: str) -> Environment:
        self._record("environment", app, env)
        name, _, context = env.partition("@")
        if context:
            if context not in self.stores:
                raise NotFound(f"unknown context {context!r}")
            store = self.stores[context]
            self._reachable(store)
            return core.environment(store, app, name)
        if len(self.stores) == 1:
            return core.environment(self.store, app, env)
        return discovery.pick(app, env, self._environments(app))

    def workloads(self, environment: Environment) -> list[Workload]:
        self._record("workloads", environment)
        return self._workloads(environment)

    def environment_types(self, app: str | None = None) -> list[EnvironmentType]:
        self._record("environment_types", app)
        found = envtypes.summaries(demo.type_configmaps(self.app), app)  # as demo.seed_types installs them
        return found + [t.summary() for t in self.types.values() if t.cluster]  # the second cluster's

    def version_matrix(self, app: str) -> VersionMatrix:
        self._record("version_matrix", app)
        envs = self._environments(app)
        return matrix.build(envs, [self._workloads(e) for e in envs])

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        self._record("version_matrices", [a.name for a in apps])
        return {a.name: matrix.build(list(a.environments), [self._workloads(e) for e in a.environments]) for a in apps}

    def image_suggestions(self, app: str) -> dict[str, list[str]]:
        self._record("image_suggestions", app)
        return matrix.image_suggestions([w for e in self._environments(app) for w in self._workloads(e)])

    def preflight(self, environment: Environment) -> list[str]:
        """The findings a clone recorded on its namespace, as clone.recorded_findings reads them."""
        self._record("preflight", environment)
        namespace = self._at(environment).namespaces.get(environment.namespace) or {"metadata": {}}
        text = (namespace["metadata"].get("annotations") or {}).get(ANNOTATION_PREFLIGHT, "")
        return [line for line in text.splitlines() if line]

    def configmaps(self, environment: Environment) -> dict[str, dict[str, str]]:
        self._record("configmaps", environment)
        return {o["metadata"]["name"]: dict(o.get("data") or {}) for o in self._configmap_objects(environment)}

    def history(self, environment: Environment) -> list[HistoryEntry]:
        """Oldest first, as core returns it."""
        self._record("history", environment)
        revisions = self._at(environment).revisions.get(environment.namespace, [])
        return sorted((r.entry for r in revisions), key=lambda e: e.revision)

    def history_patch(self, environment: Environment, revision: int) -> RevisionPatch:
        """The fake records no patches (the dashboard does not show them): every revision has none."""
        self._record("history_patch", environment, revision)
        entries = self.history(environment)
        entry = next((e for e in entries if e.revision == revision), None)
        if entry is None:
            known = ", ".join(str(e.revision) for e in entries) or "none"
            raise NotFound(f"unknown revision {revision} of {environment.ref} (known: {known})")
        return RevisionPatch(entry)

    def allowed(self, action: Action, environment: Environment | None) -> tuple[bool, str]:
        """As permissions.check, with `denied` standing for the API server's access review."""
        self._record("allowed", action, environment)
        if self.read_only:
            return False, "read-only mode"
        refusal = safety_refusal(action, environment)
        if refusal:
            return False, refusal
        if action in self.denied:
            return False, self.denied[action]
        return True, ""

    def diff(self, left: Environment, right: Environment, *, include_env_scoped: bool = False) -> EnvDiff:
        self._record("diff", left, right, include_env_scoped=include_env_scoped)
        return compare(
            self._at(left).load(left.namespace),
            self._at(right).load(right.namespace),
            left_namespace=left.namespace,
            right_namespace=right.namespace,
            left_name=left.ref,
            right_name=right.ref,
            include_env_scoped=include_env_scoped,
        )

    def live(self, on_change: Callable[[LiveChange], None]) -> FakeLive:
        """As Session.live: returns at once; its reads are recorded nowhere (the real one reads memory)."""
        self._record("live")
        view = FakeLive(
            self.store,
            self._workloads,
            on_change,
            self.live_state,
            clusters_of=self._cluster_statuses,
            applications_of=self._applications,
            store_of=self._store,
        )
        self.live_views.append(view)
        if self.live_state == "live":
            view.changed(LiveChange(everything=True))  # the first sync, as the caches' RELISTED
        return view

    def expired(self) -> list[Environment]:
        self._record("expired")
        return [e for store in self._up() for e in core.expired(store, NOW)]

    # -- set-image and set-config ---------------------------------------------------------------
    def _edit_images(
        self, environment: Environment, specs: list[ImageSpec]
    ) -> tuple[Environment, list[Obj], list[Obj], list[ImageChange]]:
        store = self._at(environment)
        fresh = core.current(store, environment)
        before, after, changes = images.edit(fresh, store.workload_objects(fresh.namespace), specs)
        return fresh, before, after, changes

    def plan_set_image(self, environment: Environment, specs: list[ImageSpec]) -> tuple[list[ImageChange], EnvDiff]:
        self._record("plan_set_image", environment, specs)
        fresh, before, after, changes = self._edit_images(environment, specs)
        return changes, core.change_diff(fresh, before, after, "set-image")

    def set_image(
        self, environment: Environment, specs: list[ImageSpec], *, seen: list[ImageChange], reason: str = ""
    ) -> list[ImageChange]:
        self._record("set_image", environment, specs, seen=seen, reason=reason)
        self._guard(Action.SET_IMAGE)
        return self._set_image(environment, specs, reason, seen)

    def _set_image(
        self, environment: Environment, specs: list[ImageSpec], reason: str, seen: list[ImageChange]
    ) -> list[ImageChange]:
        """As images.apply: written only if the preview the user confirmed (`seen`) still holds."""
        history.check_reason(reason)
        fresh, before, after, changes = self._edit_images(environment, specs)
        images.check_seen(fresh, seen, changes)
        summary = [f"{c.workload} {c.container}: {c.old} -> {c.new}" for c in changes]
        self._write(fresh, before, after, ("set-image", summary, reason))
        return changes

    def _configmap_objects(self, env: Environment) -> list[Obj]:
        return [o for o in self._at(env).load(env.namespace) if o["kind"] == "ConfigMap"]

    def _edit_config(
        self, environment: Environment, name: str, values: dict[str, str]
    ) -> tuple[Environment, Obj, Obj, list[ConfigChange]]:
        fresh = core.current(self._at(environment), environment)
        maps = {o["metadata"]["name"]: o for o in self._configmap_objects(fresh)}
        before, after, changes = configmap_values.edit(fresh, maps.get(name), name, values, list(maps))
        return fresh, before, after, changes

    def plan_set_config(
        self, environment: Environment, configmap: str, values: dict[str, str]
    ) -> tuple[list[ConfigChange], EnvDiff]:
        self._record("plan_set_config", environment, configmap, values)
        fresh, before, after, changes = self._edit_config(environment, configmap, values)
        return changes, core.change_diff(fresh, [before], [after], "set-config")

    def set_config(
        self,
        environment: Environment,
        configmap: str,
        values: dict[str, str],
        *,
        seen: list[ConfigChange],
        reason: str = "",
    ) -> list[ConfigChange]:
        self._record("set_config", environment, configmap, values, seen=seen, reason=reason)
        self._guard(Action.SET_CONFIG)
        return self._set_config(environment, configmap, values, reason, seen)

    def _set_config(
        self, environment: Environment, name: str, values: dict[str, str], reason: str, seen: list[ConfigChange]
    ) -> list[ConfigChange]:
        """As configmap_values.apply: written only if the preview the user confirmed (`seen`) still holds."""
        history.check_reason(reason)
        fresh, before, after, changes = self._edit_config(environment, name, values)
        configmap_values.check_seen(fresh, name, seen, changes)
        self._write(fresh, [before], [after], ("set-config", [c.describe() for c in changes], reason))
        return changes

    def _write(self, env: Environment, old: list[Obj], new: list[Obj], entry: tuple[str, list[str], str]) -> None:
        """Store the changed objects and a revision holding what was there before; nothing if no change."""
        if not entry[1]:
            return
        store = self._at(env)
        core.refuse_if_unfinished(store, env)
        # As the journal keeps it: the material objects, and the environment-scoped ones the change touches.
        before = journal.including(core.snapshot(store, env), old)
        for obj in new:
            store.put(env.namespace, obj)
        core.remember(store, env, entry, before, USER, self._clock)

    def recover(self, environment: Environment) -> list[HistoryEntry]:
        """Nothing to recover: the fake's writes cannot stop half-way, so every revision is finished."""
        self._record("recover", environment)
        self._guard(Action.ROLLBACK)
        store = self._at(environment)
        fresh = core.current(store, environment)
        return [r.entry for r in store.revisions.get(fresh.namespace, []) if not r.entry.finished]

    # -- clone, promote, rollback, destroy ----------------------------------------------------------
    def plan_clone(
        self, source: Environment, new: str, *, env_type: str = TEMPORARY, allow_prod_references: bool = False
    ) -> ClonePlan:
        """clone.plan: every check before the read, then core's plan_from; creates nothing (read-only too)."""
        self._record("plan_clone", source, new, env_type=env_type, allow_prod_references=allow_prod_references)
        return core.prepare(
            self._at(source),
            self.types,
            source,
            new,
            env_type=env_type,
            allow_refs=allow_prod_references,
            report=_ignore,
            into=self._into(env_type),
        )[-1].plan

    def _into(self, env_type: str) -> Store | None:
        """As clone.target_cluster: the store of the context the type names (None: the source's own)."""
        definition = self.types.get(env_type)
        if definition is None or not definition.cluster:
            return None
        if definition.cluster not in self.stores:
            raise InvalidInput(f"{definition.where} places environments in context {definition.cluster!r}: not here")
        if definition.cluster in self.down:
            raise Unreachable(
                f"{definition.where} places environments in context {definition.cluster!r}: "
                f"{self.down[definition.cluster]}"
            )
        return self.stores[definition.cluster]

    def clone(
        self,
        source: Environment,
        new: str,
        *,
        env_type: str = TEMPORARY,
        ttl: str | None = None,
        allow_prod_references: bool = False,
        progress: Progress | None = None,
    ) -> CloneResult:
        self._record("clone", source, new, env_type=env_type, ttl=ttl, allow_prod_references=allow_prod_references)
        self._guard(Action.CLONE)
        return self._clone(source, new, env_type, ttl, allow_prod_references, progress or _ignore)

    def _clone(
        self, source: Environment, new: str, env_type: str, ttl: str | None, allow_refs: bool, report: Progress
    ) -> CloneResult:
        return core.clone(
            self._at(source),
            self.types,
            source,
            new,
            env_type=env_type,
            ttl=ttl,
            allow_refs=allow_refs,
            report=report,
            user=USER,
            now=self._clock,
            into=self._into(env_type),
        )

    def plan_promote(
        self, source: Environment, target: Environment | None = None, *, prune: bool = False, include_rbac: bool = False
    ) -> PromotePlan:
        self._record("plan_promote", source, target, prune=prune)
        return self._plan_promote(source, target, prune, include_rbac)

    def _plan_promote(
        self, source: Environment, target: Environment | None, prune: bool, include_rbac: bool
    ) -> PromotePlan:
        """promote.plan, ending as it does with the target type's gates (gates.for_promote)."""
        store = self._at(source)
        plan = core.promote_plan(store, source, target, prune, include_rbac=include_rbac, stores=self.stores)
        origin = core.current(store, source)
        definition = core.type_named(self.types, plan.target.type)
        there = self._at(plan.target)
        state = self._verification(origin)
        plan.gates = fake_gates.gates_for(store, plan, origin, definition, state, there)
        return plan

    def plan_rollback(self, environment: Environment, revision: int | None = None) -> PromotePlan:
        self._record("plan_rollback", environment, revision)
        return core.rollback_plan(self._at(environment), environment, revision)

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
        """As plan_apply.apply, past the target type's gates; then the controllers start rolling out
        the pods whose template changed."""
        self._record(
            "apply",
            plan.action,
            plan.target,
            confirm=confirm,
            reason=reason,
            request=request,
            skip_verification=skip_verification,
        )
        self._guard(Action.ROLLBACK if plan.action == "rollback" else Action.PROMOTE)
        report, target = progress or _ignore, plan.target
        plan_apply.check_plan(plan, confirm)  # a wrong confirmation is told before any gate is asked
        extra = self._enforce(plan, request, skip_verification)
        if plan.empty:
            return []
        plan_apply.require_reason(plan, reason)
        history.check_reason(reason)
        store = self._at(target)
        core.check_unchanged(store, plan)
        core.refuse_if_unfinished(store, target)
        if request is not None and plan.action == "promote":
            self.gate_store.claim(request, USER, NOW)  # used up just before the first write, as gates.claim
        before = core.snapshot(store, target)
        total = len(plan.writes) + len(plan.deletions)
        for done, body in enumerate(plan.writes):
            report(ProgressStep("apply", done, total, inventory.ref(body)))
            store.put(target.namespace, body)
        for ref in plan.deletions:
            store.remove(target.namespace, ref)
        report(ProgressStep("apply", total, total))
        lines = summary_lines(plan.diff) + [f"{ref} deleted" for ref in plan.deletions]
        report(ProgressStep("history", 0, 1))
        core.remember(
            store,
            target,
            (plan.action, plan_apply.history_summary(plan, lines, extra), reason),
            before,
            USER,
            self._clock,
        )
        for ref in plan.restarts:
            stall = STALLED if self.rollout_fails and ref.endswith("/web") else None
            store.roll(target.namespace, ref, stall=stall)
        return lines

    def _enforce(self, plan: PromotePlan, request: str | None, skip_verification: str) -> list[str]:
        """gates.enforce with the gates as they are now (the plan's may be stale)."""
        if plan.action != "promote":
            return []
        home = self.stores.get(plan.source_cluster, self.store)
        source = core.environment(home, plan.app, plan.source)
        definition = core.type_named(self.types, plan.target.type)
        state = self._verification(source)
        now = fake_gates.gates_for(home, plan, source, definition, state, self._at(plan.target))
        return self.gate_store.enforce(
            plan, definition, now, user=USER, request=request, skip_verification=skip_verification, now=NOW
        )

    # -- gates: verification and four-eyes approval --------------------------------------------------
    def _verification(self, env: Environment) -> VerificationState:
        store = self._at(env)
        fresh = core.current(store, env)
        return self.gate_store.state(store, fresh, core.type_named(self.types, fresh.type))

    def verification(self, environment: Environment) -> VerificationState:
        self._record("verification", environment)
        return self._verification(environment)

    def verify(
        self, environment: Environment, *, compare: bool = False, progress: Progress | None = None
    ) -> Verification:
        """As verify.run: every check's Job at once, one progress step as each ends, then the record."""
        self._record("verify", environment, compare=compare)
        self._guard(Action.VERIFY)
        report = progress or _ignore
        store = self._at(environment)
        fresh = core.current(store, environment)
        definition = core.type_named(self.types, fresh.type)
        if not definition.checks:
            raise InvalidInput(f"environment type {definition.name!r} defines no checks")
        checks = [c for c in definition.checks if c.read_only or not fresh.is_production]
        if not checks:
            raise Refused(
                f"{fresh.ref} is production, where only read-only checks run, "
                f"and no check of type {definition.name!r} is read-only"
            )
        state, digests = fake_gates.state_digests(store, fresh)
        total = len(checks)
        for check in checks:
            report(ProgressStep("check", 0, total, f"started {check.name}"))
        results = []
        for done, check in enumerate(checks, start=1):
            images = [c.image for w in self._workloads(fresh) for c in w.containers]
            results.append(self.gate_store.run_check(check, fresh, images))
            report(ProgressStep("check", done, total, f"{check.name}: {results[-1].outcome}"))
        took = timedelta(seconds=max(r.seconds for r in results))
        verification = Verification(fresh, state, USER, self._clock, self._clock + took, tuple(results))
        self.gate_store.verifications[fresh.namespace] = (verification, digests)
        return verification

    def promotion_requests(self, app: str, env: str | None = None) -> list[PromotionRequest]:
        self._record("promotion_requests", app, env)
        found = [r for r in self.gate_store.requests.values() if r.app == app and env in (None, r.target)]
        return sorted(found, key=lambda r: r.created, reverse=True)

    def waiting_for_me(self) -> list[PromotionRequest]:
        self._record("waiting_for_me")
        found = [
            r
            for r in self.gate_store.requests.values()
            if r.state(NOW) == "pending" and r.requester != USER and all(d.user != USER for d in r.decisions)
        ]
        return sorted(found, key=lambda r: r.created, reverse=True)

    def request_promotion(self, plan: PromotePlan, *, reason: str, skip_verification: str = "") -> PromotionRequest:
        """As gates.request: the target type must want approvals and the verification gate hold (or be
        skipped with a reason the request carries); recorded in the target, nothing else changes."""
        self._record("request_promotion", plan.action, plan.target, reason=reason, skip_verification=skip_verification)
        self._guard(Action.PROMOTE)
        plan_apply.check_plan(plan, plan.target.name)
        if plan.action != "promote" or plan.empty:
            raise Refused(f"nothing to request: {plan.target.ref} already matches")
        target = core.current(self._at(plan.target), plan.target)
        definition = core.type_named(self.types, target.type)
        self.gate_store.require_policy(target, definition)
        if not definition.approvals:
            raise Refused(f"{target.ref} (type {target.type}) requires no approval: promote it directly")
        if definition.require_verification and not plan.gates.verified:
            if not skip_verification.strip():
                raise Refused(gates.verification_needed(plan))
            gates.check_override(skip_verification)
        else:
            skip_verification = ""  # nothing skipped: the request claims no override
        history.check_reason(reason)
        lines = summary_lines(plan.diff) + [f"{ref} deleted" for ref in plan.deletions]
        return self.gate_store.new_request(
            plan,
            plan_apply.history_summary(plan, lines),
            requester=USER,
            reason=reason,
            skip=skip_verification,
            now=self._clock,
        )

    def decide(
        self, environment: Environment, request_id: str, *, approve: bool, comment: str = ""
    ) -> PromotionRequest:
        self._record("decide", environment, request_id, approve=approve, comment=comment)
        self._guard(Action.APPROVE)
        target = core.current(self._at(environment), environment)
        return self.gate_store.decide(self.gate_store.request(target, request_id), target, USER, approve, NOW)

    def policy_status(self, environment: Environment | None = None) -> PolicyStatus:
        self._record("policy_status", environment)
        return self.gate_store.policy()

    def install_policy(self) -> list[str]:
        self._record("install_policy")
        self._guard(Action.INSTALL_POLICY)
        self.gate_store.policy_enforced = True
        return approval_policy.describe()

    def destroy(self, environment: Environment) -> Environment:
        self._record("destroy", environment)
        self._guard(Action.DESTROY)
        store = self._at(environment)
        fresh = core.current(store, environment)
        refuse_protected(fresh)
        store.delete_namespace(fresh.namespace)
        return fresh

    def gc(self) -> list[Environment]:
        self._record("gc")
        self._guard(Action.DESTROY)
        removed = []
        for store in self._up():
            for env in core.expired(store, NOW):
                store.delete_namespace(env.namespace)
                removed.append(env)
        return removed

    # -- after a change -------------------------------------------------------------------------------
    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        """Each poll is one step of the controllers; core's rollout.status_of reads the result."""
        self._record("rollout_status", environment, list(workloads))
        return [self._poll(environment, ref) for ref in workloads]

    def _poll(self, env: Environment, ref: str) -> RolloutStatus:
        store = self._at(env)
        if ref not in store.objects.get(env.namespace, {}):
            raise NotFound(f"{ref} not found in {env.namespace}")
        return rollout.status_of(ref, store.advance(env.namespace, ref))

    def wait_for_rollout(
        self, environment: Environment, workloads: list[str], *, timeout: float = 180.0
    ) -> list[RolloutStatus]:
        self._record("wait_for_rollout", environment, list(workloads), timeout=timeout)
        statuses: list[RolloutStatus] = []
        for _step in range(_MAX_CONTROLLER_STEPS):
            statuses = [self._poll(environment, ref) for ref in workloads]
            if all(s.done or s.failed for s in statuses):
                break
        return statuses


if TYPE_CHECKING:
    _: SessionContract = FakeSession()  # FakeSession implements the contract, checked by mypy
