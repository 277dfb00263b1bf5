"""An in-memory `SessionContract` for the dashboard's tests: only the cluster's I/O is faked.

The objects are the demo's own (`hotclone.core.demo`), held in a `Store`; every answer is
computed by core's pure functions (diff, matrix, validation, durations, image and
ConfigMap edits, the three-way merge, rollback, plan preview, rollout status), so the
screens show exactly the text the product shows. What core does over the network around
those functions (re-reading labels, the checks before a write) is repeated here in a few
lines each; tests/test_session_contract.py runs the same behaviours against this and the
real Session to keep the two honest. The clock is fixed at NOW; calls are recorded.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from hotclone.core import (
    configmap_values,
    demo,
    discovery,
    durations,
    envtypes,
    images,
    inventory,
    kinds,
    matrix,
    plan_apply,
    preflight,
    promote,
    rollback,
    rollout,
)
from hotclone.core.cluster import Obj
from hotclone.core.configmap_values import ConfigChange
from hotclone.core.contract import Progress
from hotclone.core.demo.seeding import TYPE_TTLS
from hotclone.core.destroy import INCOMPLETE_GRACE, refuse_protected
from hotclone.core.diff import compare, summary_lines
from hotclone.core.errors import AlreadyExists, Conflict, Forbidden, InvalidInput, NotFound, Refused, Unreachable
from hotclone.core.models import (
    PROTECTED_TYPES,
    TEMPORARY,
    Application,
    CloneResult,
    ConnectionInfo,
    EnvDiff,
    Environment,
    EnvironmentType,
    HistoryEntry,
    ImageChange,
    ImageSpec,
    ProgressStep,
    PromotePlan,
    RolloutStatus,
    VersionMatrix,
    Workload,
)
from hotclone.core.normalize import for_copy
from hotclone.core.permissions import Action, safety_refusal
from hotclone.core.schema import (
    ANNOTATION_CLONED_FROM,
    ANNOTATION_CREATED_BY,
    ANNOTATION_EXPIRES_AT,
    ANNOTATION_PREFLIGHT,
    LABEL_APP,
    PREFLIGHT_MAX_CHARS,
    TIME_FORMAT,
    environment_namespace,
)
from hotclone.core.validation import validate_environment_name, validate_label
from tests.tui.fake_store import Store
from tests.tui.secret_scan import Secrets, secret_values

if TYPE_CHECKING:
    from hotclone.core.contract import SessionContract

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
USER = "oncall@example.com"
CONTEXT, SERVER = "kind-topicshare", "https://127.0.0.1:6443"
OTHER_APP = "billing"
UNREACHABLE = f"cannot reach {SERVER}: connection refused"
STALLED = 'ReplicaSet "web-7d9c5" has timed out progressing.'
_DAY = timedelta(days=1)
_AGES = {"production": 400 * _DAY, "qa": 180 * _DAY, "development": 200 * _DAY}


def _ignore(_step: ProgressStep) -> None:
    return None


class FakeSession:
    """The demo app (production, qa, development, the hotfix-ko clone, an expired clone) and `billing`."""

    def __init__(
        self,
        app: str = demo.DEMO_APP,
        *,
        read_only: bool = False,
        denied: dict[Action, str] | None = None,
        rollout_fails: bool = False,
        fail: dict[str, Exception] | None = None,
        story: bool = True,
    ) -> None:
        self.app = app
        self.read_only = read_only
        self.denied = denied or {}  # what RBAC would refuse, with its reason
        self.rollout_fails = rollout_fails  # web's next rollout stalls (ProgressDeadlineExceeded)
        self.fail = fail or {}  # method name -> error it raises
        self.unreachable = False
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.store = Store()
        self.types = _demo_types()
        self._clock = NOW
        self._seed(story)
        self.calls.clear()

    # -- test hooks ------------------------------------------------------------------------
    def called(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for n, a, k in self.calls if n == name]

    @property
    def conflicting(self) -> bool:
        return self._charset("production") == "EUC-KR"

    @conflicting.setter
    def conflicting(self, value: bool) -> None:
        """Someone sets production's CHARSET too, so promoting hotfix-ko's CHARSET conflicts."""
        if value:
            namespace = environment_namespace(self.app, "production")
            settings = self.store.get(namespace, "ConfigMap/app-settings")
            settings["data"]["CHARSET"] = "EUC-KR"
            self.store.put(namespace, settings)

    def secrets(self) -> Secrets:
        """Every sensitive Secret value the fake holds (seeded and generated), for leak scans."""
        return {
            label: value
            for namespace in self.store.objects
            for label, value in secret_values(self.store.load(namespace), namespace).items()
        }

    def _charset(self, env: str) -> str:
        settings = self.store.get(environment_namespace(self.app, env), "ConfigMap/app-settings")
        return str(settings["data"]["CHARSET"])

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Environments are recorded by name, plans by (action, target name): what tests assert on."""
        shown = tuple(a.name if isinstance(a, Environment) else a for a in args)
        self.calls.append((name, shown, kwargs))
        if self.unreachable:
            raise Unreachable(UNREACHABLE)
        if name in self.fail:
            raise self.fail[name]

    def _guard(self, action: Action) -> None:
        if self.read_only:
            raise Forbidden(f"read-only mode: {action.value} is disabled")

    # -- the world ---------------------------------------------------------------------------
    def _seed(self, story: bool) -> None:
        """What `demo.seed` creates, then the hotfix story so far, played through this session."""
        for env, version in demo.VERSIONS.items():
            objects = _demo_objects(self.app, env, version)
            self._add(demo.namespace_object(self.app, env, env), list(objects), NOW - _AGES[env])
        self._seed_other_app()
        if not story:
            return
        production = self._environment(self.app, "production")
        self._clock = NOW - timedelta(hours=3, minutes=12)
        hotfix = self._clone(production, "hotfix-ko", TEMPORARY, None, False, _ignore).environment
        self._clock = NOW - timedelta(hours=2)
        self._set_image(hotfix, [ImageSpec("web", None, f"{self.app}/web:1.9.4")], "KO-118 Hangul mojibake")
        self._clock = NOW - timedelta(hours=1, minutes=30)
        self._set_config(hotfix, "app-settings", {"CHARSET": "UTF-8"}, "KO-118 Hangul mojibake")
        self._clock = NOW - 13 * _DAY  # with temporary's 24h TTL: expired 12 days ago
        self._clone(self._environment(self.app, "qa"), "demo-0301", TEMPORARY, None, False, _ignore)
        self._clock = NOW

    def _add(self, namespace: Obj, objects: list[Obj], created: datetime) -> None:
        name = self.store.create_namespace(namespace, created)["metadata"]["name"]
        for obj in objects:
            self.store.put(name, obj)

    def _seed_other_app(self) -> None:
        for env, env_type in (("production", "production"), ("staging", "qa")):
            namespace = demo.namespace_object(OTHER_APP, env, env_type)
            self._add(namespace, _ledger_objects("ghcr.io/acme/ledger:4.2.0"), NOW - 90 * _DAY)

    # -- who and where -------------------------------------------------------------------------
    def connection_info(self) -> ConnectionInfo:
        self._record("connection_info")
        return ConnectionInfo(CONTEXT, SERVER, USER, self.read_only)

    def now(self) -> datetime:
        return NOW

    def close(self) -> None:
        self.calls.append(("close", (), {}))

    # -- reading ---------------------------------------------------------------------------------
    def _all_environments(self) -> list[Environment]:
        return [discovery.from_namespace(ns) for ns in self.store.namespaces.values() if _labels(ns).get(LABEL_APP)]

    def _environments(self, app: str) -> list[Environment]:
        validate_label(app, "application name")
        return sorted((e for e in self._all_environments() if e.app == app), key=discovery.sort_key)

    def _environment(self, app: str, env: str) -> Environment:
        """As discovery.environment, with its messages."""
        validate_label(env, "environment name")
        known = self._environments(app)
        if not known:
            raise NotFound(f"unknown application {app!r}: no namespace is labelled {LABEL_APP}={app}")
        for candidate in known:
            if candidate.name == env:
                return candidate
        names = ", ".join(e.name for e in known)
        raise NotFound(f"unknown environment {env!r} of application {app!r} (known: {names})")

    def _current(self, environment: Environment) -> Environment:
        """As discovery.current: the environment as its namespace is labelled now."""
        namespace = self.store.namespaces.get(environment.namespace)
        if namespace is None:
            raise NotFound(f"{environment.ref} no longer exists (namespace {environment.namespace})")
        fresh = discovery.from_namespace(namespace)
        if (fresh.app, fresh.name) != (environment.app, environment.name):
            raise NotFound(f"namespace {environment.namespace} is no longer {environment.ref} (now {fresh.ref})")
        return fresh

    def _workloads(self, environment: Environment) -> list[Workload]:
        objects = self.store.workload_objects(environment.namespace)
        return [inventory.to_workload(o) for o in objects if not o["metadata"].get("ownerReferences")]

    def applications(self) -> list[Application]:
        self._record("applications")
        apps = sorted({e.app for e in self._all_environments()})
        return [Application(app, tuple(self._environments(app))) for app in apps]

    def environments(self, app: str) -> list[Environment]:
        self._record("environments", app)
        return self._environments(app)

    def environment(self, app: str, env: str) -> Environment:
        self._record("environment", app, env)
        return self._environment(app, env)

    def workloads(self, environment: Environment) -> list[Workload]:
        self._record("workloads", environment)
        return self._workloads(environment)

    def environment_types(self) -> list[EnvironmentType]:
        self._record("environment_types")
        return [self.types[name].summary() for name in sorted(self.types)]

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
        namespace = self.store.namespaces.get(environment.namespace) or {}
        text = _annotations(namespace).get(ANNOTATION_PREFLIGHT, "")
        return [line for line in text.splitlines() if line]

    def configmaps(self, environment: Environment) -> dict[str, dict[str, str]]:
        self._record("configmaps", environment)
        return {o["metadata"]["name"]: dict(o.get("data") or {}) for o in self._configmap_objects(environment)}

    def history(self, environment: Environment) -> list[HistoryEntry]:
        """Oldest first, as core returns it."""
        self._record("history", environment)
        return sorted((r.entry for r in self.store.revisions.get(environment.namespace, [])), key=lambda e: e.revision)

    def allowed(self, action: Action, environment: Environment | None) -> tuple[bool, str]:
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
            self.store.load(left.namespace),
            self.store.load(right.namespace),
            left_namespace=left.namespace,
            right_namespace=right.namespace,
            left_name=left.ref,
            right_name=right.ref,
            include_env_scoped=include_env_scoped,
        )

    def expired(self) -> list[Environment]:
        self._record("expired")
        return self._expired()

    def _expired(self) -> list[Environment]:
        """As destroy.expired: expired environments and clones interrupted long ago, never protected ones."""
        found = []
        for environment in self._all_environments():
            if environment.type in PROTECTED_TYPES:
                continue
            created = environment.created
            stale = environment.incomplete and created is not None and NOW - created > INCOMPLETE_GRACE
            if environment.expired(NOW) or stale:
                found.append(environment)
        return sorted(found, key=lambda e: (e.app, e.name))

    # -- set-image and set-config ---------------------------------------------------------------
    def _edit_images(
        self, environment: Environment, specs: list[ImageSpec]
    ) -> tuple[Environment, list[Obj], list[Obj], list[ImageChange]]:
        current = self._current(environment)
        before, after, changes = images.edit(current, self.store.workload_objects(current.namespace), specs)
        return current, before, after, changes

    def plan_set_image(self, environment: Environment, specs: list[ImageSpec]) -> tuple[list[ImageChange], EnvDiff]:
        self._record("plan_set_image", environment, specs)
        current, before, after, changes = self._edit_images(environment, specs)
        return changes, _change_diff(current, before, after, "set-image")

    def set_image(self, environment: Environment, specs: list[ImageSpec], *, reason: str = "") -> list[ImageChange]:
        self._record("set_image", environment, specs, reason=reason)
        self._guard(Action.SET_IMAGE)
        return self._set_image(environment, specs, reason)

    def _set_image(self, environment: Environment, specs: list[ImageSpec], reason: str) -> list[ImageChange]:
        current, _before, after, changes = self._edit_images(environment, specs)
        summary = [f"{c.workload} {c.container}: {c.old} -> {c.new}" for c in changes]
        self._write(current, after, "set-image", summary, reason)
        return changes

    def _configmap_objects(self, environment: Environment) -> list[Obj]:
        return [o for o in self.store.load(environment.namespace) if o["kind"] == "ConfigMap"]

    def _edit_config(
        self, environment: Environment, name: str, values: dict[str, str]
    ) -> tuple[Environment, Obj, Obj, list[ConfigChange]]:
        current = self._current(environment)
        maps = {o["metadata"]["name"]: o for o in self._configmap_objects(current)}
        before, after, changes = configmap_values.edit(current, maps.get(name), name, values, list(maps))
        return current, before, after, changes

    def plan_set_config(
        self, environment: Environment, configmap: str, values: dict[str, str]
    ) -> tuple[list[ConfigChange], EnvDiff]:
        self._record("plan_set_config", environment, configmap, values)
        current, before, after, changes = self._edit_config(environment, configmap, values)
        return changes, _change_diff(current, [before], [after], "set-config")

    def set_config(
        self, environment: Environment, configmap: str, values: dict[str, str], *, reason: str = ""
    ) -> list[ConfigChange]:
        self._record("set_config", environment, configmap, values, reason=reason)
        self._guard(Action.SET_CONFIG)
        return self._set_config(environment, configmap, values, reason)

    def _set_config(
        self, environment: Environment, name: str, values: dict[str, str], reason: str
    ) -> list[ConfigChange]:
        current, _before, after, changes = self._edit_config(environment, name, values)
        self._write(current, [after], "set-config", [c.describe() for c in changes], reason)
        return changes

    def _write(
        self, environment: Environment, objects: list[Obj], action: str, summary: list[str], reason: str
    ) -> None:
        """Store the changed objects and a revision holding the material objects from before."""
        if not summary:
            return
        before = self._snapshot(environment)
        for obj in objects:
            self.store.put(environment.namespace, obj)
        self._remember(environment, action, summary, reason, before)

    def _snapshot(self, environment: Environment) -> list[Obj]:
        """What a revision keeps, as history.material_snapshot: material objects in copy form."""
        return [for_copy(o) for o in self.store.material(environment.namespace).values()]

    def _remember(
        self, environment: Environment, action: str, summary: list[str], reason: str, before: list[Obj]
    ) -> None:
        revision = self.store.next_revision(environment.namespace)
        when = self._clock.replace(microsecond=0)  # history keeps seconds
        entry = HistoryEntry(revision, action, USER, when, tuple(summary[:200]), reason)
        self.store.record(environment.namespace, entry, before)

    # -- clone --------------------------------------------------------------------------------------
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
        """clone.clone's steps over the store, each rule from core."""
        app = source.app
        validate_environment_name(app, new)
        lifetime = durations.parse(ttl) if ttl else None
        definition = self._type(env_type)
        origin = self._current(source)
        if origin.incomplete:
            raise Refused(f"{origin.ref} is incomplete (an interrupted clone); destroy it or wait")
        if new in {e.name for e in self._environments(app)}:
            raise AlreadyExists(f"environment {new!r} of {app!r} already exists")
        namespace = environment_namespace(app, new)
        if namespace in self.store.namespaces:
            raise AlreadyExists(f"namespace {namespace} already exists (not a hotclone environment of {app})")
        report(ProgressStep("read", 0, 1, f"reading {origin.namespace}"))
        objects = self.store.load(origin.namespace)
        material = [o for o in objects if not inventory.is_environment_scoped(o)]
        generated = definition.render(app, new, namespace)
        generated_refs = {inventory.ref(o) for o in generated}
        warnings = [
            f"{inventory.ref(o)} is environment-scoped in {origin.name} and type {definition.name!r} has no template "
            "for it: the clone has none"
            for o in objects
            if inventory.is_environment_scoped(o) and inventory.ref(o) not in generated_refs
        ]
        report(ProgressStep("preflight", 0, 1, "checking references to the source"))
        copies = [for_copy(o) for o in material]
        findings = preflight.rewrite_namespace(copies, origin.namespace, namespace)
        remaining = preflight.remaining_references(copies, preflight.endpoints(objects))
        if remaining and not allow_refs:
            listed = "; ".join(f.describe() for f in remaining)
            raise Refused(
                f"clone refused: {len(remaining)} value(s) in material objects still point at {origin.name}: {listed} "
                "(make them environment-scoped, or pass --allow-prod-references)"
            )
        findings += remaining
        report(
            ProgressStep(
                "preflight", 1, 1, f"{len(findings)} reference(s), {len(remaining)} left pointing at {origin.name}"
            )
        )
        lifetime = lifetime or definition.ttl
        expires = self._clock + lifetime if lifetime else None
        annotations = {
            ANNOTATION_CLONED_FROM: origin.name,
            ANNOTATION_CREATED_BY: USER,
            ANNOTATION_PREFLIGHT: "\n".join(f.describe() for f in findings)[:PREFLIGHT_MAX_CHARS],
        }
        if expires:
            annotations[ANNOTATION_EXPIRES_AT] = expires.strftime(TIME_FORMAT)
        body = demo.namespace_object(app, new, definition.name)
        body["metadata"]["annotations"] = annotations
        created = self.store.create_namespace(body, self._clock)
        report(ProgressStep("namespace", 1, 1, namespace))
        ordered = sorted(copies + generated, key=lambda o: _CREATION_ORDER.index(o["kind"]))
        for done, obj in enumerate(ordered, start=1):
            self.store.put(namespace, obj)
            if done == len(ordered) or ordered[done]["kind"] != obj["kind"]:
                report(ProgressStep("objects", done, len(ordered), obj["kind"]))
        report(ProgressStep("templates", len(generated), len(generated), ", ".join(sorted(generated_refs))))
        self.store.bases[namespace] = (origin.namespace, [for_copy(o) for o in material])
        summary = f"cloned from {origin.name} ({len(copies)} objects, {len(generated)} from templates)"
        self._remember(discovery.from_namespace(created), "clone", [summary], "", [])
        report(ProgressStep("history", 1, 1, "revision 1 recorded"))
        return CloneResult(
            environment=discovery.from_namespace(created),
            copied=tuple(inventory.ref(o) for o in copies),
            generated=tuple(sorted(generated_refs)),
            warnings=tuple(warnings),
            findings=tuple(findings),
        )

    def _type(self, name: str) -> envtypes.TypeDefinition:
        if name not in self.types:
            known = ", ".join(sorted(self.types))
            raise NotFound(f"unknown environment type {name!r} (known: {known})")
        return self.types[name]

    # -- promote and rollback -------------------------------------------------------------------------
    def plan_promote(
        self, source: Environment, target: Environment | None = None, *, prune: bool = False
    ) -> PromotePlan:
        self._record("plan_promote", source, target, prune=prune)
        origin = self._current(source)
        if target is None:
            if not origin.cloned_from:
                raise InvalidInput(
                    f"{origin.ref} was not cloned from another environment: name the target (promote APP FROM TO)"
                )
            destination = self._environment(origin.app, origin.cloned_from)
        else:
            destination = self._current(target)
        if destination.namespace == origin.namespace:
            raise InvalidInput(f"cannot promote {origin.ref} onto itself")
        for environment in (origin, destination):
            if environment.incomplete:
                raise Refused(f"{environment.ref} is incomplete (an interrupted clone)")
        ours, theirs = self.store.material(origin.namespace), self.store.material(destination.namespace)
        base, base_namespace = None, destination.namespace
        if origin.cloned_from == destination.name and origin.namespace in self.store.bases:
            base_namespace, base_objects = self.store.bases[origin.namespace]
            base = {inventory.ref(o): o for o in base_objects}
        desired, deletions, conflicts = promote.merge_plan(
            origin, destination, ours, theirs, base, base_namespace, prune=prune
        )
        # No server here to dry-run the writes: what would be written is what the preview shows.
        return plan_apply.preview("promote", origin.name, destination, theirs, desired, desired, deletions, conflicts)

    def plan_rollback(self, environment: Environment, revision: int | None = None) -> PromotePlan:
        self._record("plan_rollback", environment, revision)
        current = self._current(environment)
        revisions = self.store.revisions.get(current.namespace, [])
        if revision is None:
            if not revisions:
                raise NotFound(f"{current.ref} has no history to roll back")
            revision = max(r.entry.revision for r in revisions)
        found = next((r for r in revisions if r.entry.revision == revision), None)
        if found is None:
            known = ", ".join(str(r.entry.revision) for r in revisions) or "none"
            raise NotFound(f"unknown revision {revision} of {current.ref} (known: {known})")
        live = self.store.material(current.namespace)
        desired, deletions = rollback.restore_plan(current, found.entry, found.before, live)
        return plan_apply.preview("rollback", f"revision {revision}", current, live, desired, desired, deletions, ())

    def apply(
        self, plan: PromotePlan, *, confirm: str | None = None, reason: str = "", progress: Progress | None = None
    ) -> list[str]:
        self._record("apply", plan.action, plan.target, confirm=confirm, reason=reason)
        self._guard(Action.ROLLBACK if plan.action == "rollback" else Action.PROMOTE)
        report = progress or _ignore
        target = plan.target
        self._check_plan(plan, confirm)
        if plan.empty:
            return []
        self._check_unchanged(plan)
        before = self._snapshot(target)
        total = len(plan.writes) + len(plan.deletions)
        for done, body in enumerate(plan.writes):
            report(ProgressStep("apply", done, total, inventory.ref(body)))
            self.store.put(target.namespace, body)
        for ref in plan.deletions:
            self.store.remove(target.namespace, ref)
        report(ProgressStep("apply", total, total))
        lines = summary_lines(plan.diff) + [f"{ref} deleted" for ref in plan.deletions]
        report(ProgressStep("history", 0, 1))
        self._remember(target, plan.action, [f"from {plan.source}", *lines], reason, before)
        for ref in plan.restarts:  # the controllers start rolling the new pod templates out
            stall = STALLED if self.rollout_fails and ref.endswith("/web") else None
            self.store.roll(target.namespace, ref, stall=stall)
        return lines

    def _check_plan(self, plan: PromotePlan, confirm: str | None) -> None:
        """plan_apply.apply's first checks, with its messages."""
        target = plan.target
        if plan.conflicts:
            listed = "; ".join(c.describe() for c in plan.conflicts)
            raise Conflict(f"{len(plan.conflicts)} conflict(s), nothing applied: {listed}")
        if target.is_production and confirm != target.name:
            raise Refused(f"{target.ref} is production: confirm by typing its name ({target.name!r})")

    def _check_unchanged(self, plan: PromotePlan) -> None:
        """plan_apply.apply's check that the target is still what the preview showed."""
        target = plan.target
        current = self.store.material(target.namespace)
        for ref, seen in plan.preconditions.items():
            now = current.get(ref)
            if now is None or plan_apply.fingerprint(now, target.namespace) != seen:
                raise Conflict(
                    f"{ref} in {target.ref} changed since the diff; nothing applied (run {plan.action} again)"
                )
        appeared = [
            w for w in plan.writes if inventory.ref(w) not in plan.preconditions and inventory.ref(w) in current
        ]
        if appeared:
            raise Conflict(f"{inventory.ref(appeared[0])} appeared in {target.ref} since the diff; nothing applied")

    # -- destroy ------------------------------------------------------------------------------------------
    def destroy(self, environment: Environment) -> Environment:
        self._record("destroy", environment)
        self._guard(Action.DESTROY)
        current = self._current(environment)
        refuse_protected(current)
        self.store.delete_namespace(current.namespace)
        return current

    def gc(self) -> list[Environment]:
        self._record("gc")
        self._guard(Action.DESTROY)
        removed = self._expired()
        for environment in removed:
            self.store.delete_namespace(environment.namespace)
        return removed

    # -- after a change -------------------------------------------------------------------------------------
    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        """Each poll is one step of the controllers; core's rollout.status_of reads the result."""
        self._record("rollout_status", environment, list(workloads))
        return [self._poll(environment, ref) for ref in workloads]

    def _poll(self, environment: Environment, ref: str) -> RolloutStatus:
        if ref not in self.store.objects.get(environment.namespace, {}):
            raise NotFound(f"{ref} not found in {environment.namespace}")
        return rollout.status_of(ref, self.store.advance(environment.namespace, ref))

    def wait_for_rollout(
        self, environment: Environment, workloads: list[str], *, timeout: float = 180.0
    ) -> list[RolloutStatus]:
        self._record("wait_for_rollout", environment, list(workloads), timeout=timeout)
        statuses: list[RolloutStatus] = []
        for _step in range(_MAX_CONTROLLER_STEPS):  # the fake's controllers finish or give up within a few steps
            statuses = [self._poll(environment, ref) for ref in workloads]
            if all(s.done or s.failed for s in statuses):
                break
        return statuses


_CREATION_ORDER = [kind.kind for kind in kinds.ENVIRONMENT_KINDS]  # clone creates config before workloads
_MAX_CONTROLLER_STEPS = 20


def _labels(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _annotations(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def _change_diff(environment: Environment, before: list[Obj], after: list[Obj], action: str) -> EnvDiff:
    """The preview of a set-image or set-config, named as core names it."""
    return compare(
        before,
        after,
        left_namespace=environment.namespace,
        right_namespace=environment.namespace,
        left_name=f"{environment.ref} (now)",
        right_name=f"{environment.ref} (after {action})",
        include_env_scoped=True,
    )


@functools.cache
def _demo_objects(app: str, env: str, version: str) -> tuple[Obj, ...]:
    """What demo.seed creates in one environment; parsed once per test run (Store.put copies)."""
    return (*demo.material_objects(app, env, version), *demo.environment_objects(app, env))


def _demo_types() -> dict[str, envtypes.TypeDefinition]:
    """The environment types `demo.seed_types` installs, read from the demo's own files."""
    files = resources.files("hotclone.core.demo").joinpath("types")
    found = {
        name: envtypes.from_configmap(envtypes.type_configmap(name, files.joinpath(f"{name}.yaml").read_text(), ttl))
        for name, ttl in TYPE_TTLS.items()
    }
    found.setdefault(TEMPORARY, envtypes.BUILTIN_TEMPORARY)
    return found


def _ledger_objects(image: str) -> list[Obj]:
    """The second app: one Deployment and its settings."""
    labels = {"app.kubernetes.io/name": "ledger"}
    container = {"name": "ledger", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ledger", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    settings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ledger"}, "data": {"CURRENCY": "EUR"}}
    return [settings, deployment]


if TYPE_CHECKING:
    _: SessionContract = FakeSession()
