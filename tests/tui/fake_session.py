"""An in-memory stand-in for core.session.Session: TopicShare data, a fixed clock, recorded calls.

Same method names and return types as the real Session, so the dashboard cannot tell
the difference. Secret values live here only; like core, every YAML it returns masks them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from hotclone.core.configmap_values import ConfigChange
from hotclone.core.errors import AlreadyExists, Forbidden, InvalidInput, NotFound, Refused, Unreachable
from hotclone.core.models import (
    Application,
    CloneResult,
    Conflict3,
    ConnectionInfo,
    Container,
    EnvDiff,
    Environment,
    EnvironmentType,
    FieldChange,
    HistoryEntry,
    ImageChange,
    ImageSpec,
    ObjectDiff,
    PreflightFinding,
    ProgressStep,
    PromotePlan,
    RolloutStatus,
    VersionMatrix,
    Workload,
)
from hotclone.core.permissions import Action, safety_refusal

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
FAKE_DB_PASSWORD = "pw-Zebra-7731-secret"  # must never appear on screen
FAKE_API_TOKEN = "tok-Quartz-9912-hidden"
FAKE_CLONE_PASSWORD = "pw-clone-generated-0042-x"
USER = "oncall@example.com"

# (kind, name, [(container, image, init)], replicas)
_WORKLOADS: list[tuple[str, str, list[tuple[str, str, bool]], int]] = [
    ("Deployment", "web", [("web", "registry.example.com/topicshare/web:1.9.3", False)], 3),
    (
        "Deployment",
        "api",
        [
            ("migrate", "registry.example.com/topicshare/api:1.9.3", True),
            ("api", "registry.example.com/topicshare/api:1.9.3", False),
        ],
        2,
    ),
    ("CronJob", "digest", [("digest", "registry.example.com/topicshare/worker:1.9.3", False)], 0),
]
_SECRET_KINDS = {"Secret"}


def _images(version: str) -> dict[tuple[str, str], str]:
    return {
        (f"{kind}/{name}", c): img.rsplit(":", 1)[0] + ":" + version
        for kind, name, containers, _ in _WORKLOADS
        for c, img, _init in containers
    }


class FakeSession:
    """TopicShare (development, qa, production, hotfix-ko) and a small second app."""

    def __init__(
        self,
        *,
        read_only: bool = False,
        denied: dict[Action, str] | None = None,
        rollout_fails: bool = False,
        fail: dict[str, Exception] | None = None,
    ) -> None:
        self.read_only = read_only
        self.denied = denied or {}
        self.rollout_fails = rollout_fails
        self.conflicting = False  # plan_promote reports a conflict on data.CHARSET
        self.fail = fail or {}  # method name -> error to raise
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.unreachable = False
        self._polls: dict[str, int] = {}
        self.secrets = {"password": FAKE_DB_PASSWORD, "token": FAKE_API_TOKEN}
        self.clone_secrets = {"password": FAKE_CLONE_PASSWORD, "token": FAKE_API_TOKEN}  # from the template
        self.envs: dict[str, dict[str, Environment]] = {"topicshare": {}, "billing": {}}
        self.images: dict[str, dict[tuple[str, str], str]] = {}
        self.settings: dict[str, dict[str, str]] = {}
        self.hist: dict[str, list[HistoryEntry]] = {}
        self.findings: dict[str, list[str]] = {}
        day = timedelta(days=1)
        for name, typ, age, version in [
            ("development", "development", 200 * day, "2.0.0-rc2"),
            ("qa", "qa", 180 * day, "2.0.0-rc1"),
            ("production", "production", 400 * day, "1.9.3"),
        ]:
            self._add("topicshare", Environment("topicshare", name, f"topicshare-{name}", typ, NOW - age))
            self.images[f"topicshare/{name}"] = _images(version)
            self.settings[f"topicshare/{name}"] = {"CHARSET": "latin1", "SEARCH_URL": "http://search:9200"}
        hotfix = Environment(
            "topicshare",
            "hotfix-ko",
            "topicshare-hotfix-ko",
            "temporary",
            NOW - timedelta(hours=3, minutes=12),
            NOW + timedelta(hours=20, minutes=48),
            "production",
            USER,
        )
        self._add("topicshare", hotfix)
        imgs = _images("1.9.3")
        imgs[("Deployment/web", "web")] = "registry.example.com/topicshare/web:1.9.4"
        self.images["topicshare/hotfix-ko"] = imgs
        self.settings["topicshare/hotfix-ko"] = {"CHARSET": "utf-8", "SEARCH_URL": "http://search:9200"}
        self.findings["topicshare/hotfix-ko"] = [
            "ConfigMap/app-settings data.SEARCH_URL: namespace topicshare-production (rewritten)"
        ]
        old = Environment(
            "topicshare", "demo-0301", "topicshare-demo-0301", "temporary", NOW - 13 * day, NOW - 12 * day, "qa", USER
        )
        self._add("topicshare", old)
        self.images["topicshare/demo-0301"] = _images("2.0.0-rc1")
        self.settings["topicshare/demo-0301"] = {"CHARSET": "latin1", "SEARCH_URL": "http://search:9200"}
        for name, typ in [("production", "production"), ("staging", "qa")]:
            self._add("billing", Environment("billing", name, f"billing-{name}", typ, NOW - 90 * day))
            self.images[f"billing/{name}"] = {("Deployment/ledger", "ledger"): "ghcr.io/acme/ledger:4.2.0"}
            self.settings[f"billing/{name}"] = {}
        self.hist["topicshare/production"] = [
            HistoryEntry(
                1,
                "promote",
                "alice@example.com",
                NOW - 30 * day,
                ("Deployment/web image 1.9.2 -> 1.9.3",),
                "release 1.9.3",
            ),
            HistoryEntry(
                2, "set-image", "bob@example.com", NOW - 2 * day, ("CronJob/digest image 1.9.2 -> 1.9.3",), "digest fix"
            ),
        ]
        self.hist["topicshare/hotfix-ko"] = [
            HistoryEntry(1, "clone", USER, NOW - timedelta(hours=3), ("cloned from production",), ""),
            HistoryEntry(
                2, "set-image", USER, NOW - timedelta(hours=2), ("Deployment/web web 1.9.3 -> 1.9.4",), "KO-118"
            ),
        ]

    # -- helpers -------------------------------------------------------------------------
    def _add(self, app: str, env: Environment) -> None:
        self.envs[app][env.name] = env

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if self.unreachable:
            raise Unreachable("cannot reach https://127.0.0.1:6443: connection refused")
        if name in self.fail:
            raise self.fail[name]

    def called(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(a, k) for n, a, k in self.calls if n == name]

    def _env(self, app: str, env: str) -> Environment:
        try:
            return self.envs[app][env]
        except KeyError:
            raise NotFound(f"environment {app}/{env} not found") from None

    def _workloads(self, app: str, env: str) -> list[Workload]:
        imgs = self.images[f"{app}/{env}"]
        by_ref: dict[str, list[Container]] = {}
        for (ref, c), image in imgs.items():
            init = any(c == cn and i for _k, _n, cs, _r in _WORKLOADS for cn, _img, i in cs)
            by_ref.setdefault(ref, []).append(Container(c, image, init))
        out = []
        for ref, containers in by_ref.items():
            kind, name = ref.split("/", 1)
            desired = next((r for k, n, _c, r in _WORKLOADS if f"{k}/{n}" == ref), 1)
            ready = desired - 1 if (env == "qa" and name == "api") else desired
            out.append(Workload(kind, name, tuple(containers), ready, desired))
        return out

    def _manifests(self, app: str, env: str) -> dict[str, tuple[dict[str, Any], bool]]:
        """ref -> (normalised manifest, env_scoped); secrets already masked like core does."""
        out: dict[str, tuple[dict[str, Any], bool]] = {}
        for w in self._workloads(app, env):
            containers = [{"name": c.name, "image": c.image} for c in w.containers if not c.init]
            inits = [{"name": c.name, "image": c.image} for c in w.containers if c.init]
            pod: dict[str, Any] = {"containers": containers}
            if inits:
                pod["initContainers"] = inits
            spec: dict[str, Any] = {"template": {"spec": pod}}
            if w.kind == "Deployment":
                spec = {"replicas": w.desired, "selector": {"matchLabels": {"app": w.name}}, **spec}
            else:
                spec = {"schedule": "0 6 * * *", "jobTemplate": {"spec": spec}}
            out[w.ref] = ({"apiVersion": "apps/v1", "kind": w.kind, "metadata": {"name": w.name}, "spec": spec}, False)
        if self.settings[f"{app}/{env}"]:
            out["ConfigMap/app-settings"] = (
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "app-settings"},
                    "data": dict(self.settings[f"{app}/{env}"]),
                },
                False,
            )
        out["Secret/db-credentials"] = (
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "db-credentials"},
                "data": {
                    k: _mask(v)
                    for k, v in (self.clone_secrets if self.envs[app][env].cloned_from else self.secrets).items()
                },
            },
            True,
        )
        out["Ingress/web"] = (
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "web"},
                "spec": {"rules": [{"host": f"{env}.{app}.preview.example.com"}]},
            },
            True,
        )
        return out

    # -- who and where -------------------------------------------------------------------
    def connection_info(self) -> ConnectionInfo:
        self._record("connection_info")
        return ConnectionInfo("kind-topicshare", "https://127.0.0.1:6443", USER, self.read_only)

    def now(self) -> datetime:
        return NOW

    def close(self) -> None:
        self.calls.append(("close", (), {}))

    # -- reading -------------------------------------------------------------------------
    def applications(self) -> list[Application]:
        self._record("applications")
        return [Application(app, tuple(envs.values())) for app, envs in sorted(self.envs.items())]

    def environments(self, app: str) -> list[Environment]:
        self._record("environments", app)
        return list(self.envs[app].values())

    def environment(self, app: str, env: str) -> Environment:
        self._record("environment", app, env)
        return self._env(app, env)

    def workloads(self, environment: Environment) -> list[Workload]:
        self._record("workloads", environment.name)
        return self._workloads(environment.app, environment.name)

    def environment_types(self) -> list[EnvironmentType]:
        self._record("environment_types")
        return [
            EnvironmentType("temporary", timedelta(hours=24), (), True),
            EnvironmentType("preview", timedelta(hours=72), ("Secret/db-credentials", "Ingress/web")),
            EnvironmentType("development", None, ("Secret/db-credentials",)),
        ]

    def version_matrix(self, app: str) -> VersionMatrix:
        self._record("version_matrix", app)
        envs = list(self.envs[app])
        rows = []
        for w in self._workloads(app, envs[0]):
            tags = []
            for e in envs:
                wl = next((x for x in self._workloads(app, e) if x.ref == w.ref), None)
                tags.append(",".join(dict.fromkeys(c.tag for c in wl.containers)) if wl else "-")
            rows.append((w.ref, tuple(tags)))
        baseline = next((e for e in envs if self.envs[app][e].is_production), None)
        return VersionMatrix(tuple(envs), tuple(rows), baseline)

    def version_matrices(self, apps: list[Application]) -> dict[str, VersionMatrix]:
        return {a.name: self.version_matrix(a.name) for a in apps}

    def image_suggestions(self, app: str) -> dict[str, list[str]]:
        self._record("image_suggestions", app)
        out: dict[str, list[str]] = {}
        for key, imgs in self.images.items():
            if key.startswith(app + "/"):
                for (_ref, c), img in imgs.items():
                    if img not in out.setdefault(c, []):
                        out[c].append(img)
        return {c: sorted(v, reverse=True) for c, v in out.items()}

    def preflight(self, environment: Environment) -> list[str]:
        self._record("preflight", environment.name)
        return list(self.findings.get(environment.ref, []))

    def allowed(self, action: Action, environment: Environment | None) -> tuple[bool, str]:
        self._record("allowed", action, environment.name if environment else None)
        if self.read_only:
            return False, "read-only mode"
        refusal = safety_refusal(action, environment)
        if refusal:
            return False, refusal
        if action in self.denied:
            return False, self.denied[action]
        return True, ""

    # -- changing ------------------------------------------------------------------------
    def _guard(self) -> None:
        if self.read_only:
            raise Forbidden("read-only mode")

    def clone(
        self,
        app: str,
        source: str,
        new: str,
        *,
        env_type: str = "temporary",
        ttl: str | None = None,
        allow_prod_references: bool = False,
        progress: Callable[[ProgressStep], None] | None = None,
    ) -> CloneResult:
        self._record("clone", app, source, new, env_type=env_type, ttl=ttl, allow_prod_references=allow_prod_references)
        self._guard()
        src = self._env(app, source)
        if new in self.envs[app]:
            raise AlreadyExists(f"environment {app}/{new} already exists")
        types = {t.name: t for t in self.environment_types()}
        if env_type not in types:
            raise InvalidInput(f"unknown environment type {env_type!r}")
        steps = [("namespace", 1), ("objects", 6), ("templates", 2), ("preflight", 1), ("history", 1)]
        for name, total in steps:
            for i in range(1, total + 1):
                if progress:
                    progress(ProgressStep(name, i, total, f"{name} {i}/{total}"))
        hours = int(ttl[:-1]) if ttl and ttl.endswith("h") else 24
        env = Environment(app, new, f"{app}-{new}", env_type, NOW, NOW + timedelta(hours=hours), source, USER)
        self._add(app, env)
        self.images[env.ref] = dict(self.images[src.ref])
        self.settings[env.ref] = dict(self.settings[src.ref])
        self.hist[env.ref] = [HistoryEntry(1, "clone", USER, NOW, (f"cloned from {source}",))]
        finding = PreflightFinding("ConfigMap/app-settings", "data.SEARCH_URL", f"namespace {src.namespace}", True)
        self.findings[env.ref] = [finding.describe()]
        return CloneResult(env, ("Deployment/web", "Deployment/api"), ("Secret/db-credentials",), (), (finding,), 1.5)

    def _apply_specs(
        self, app: str, env: str, specs: list[ImageSpec]
    ) -> tuple[list[ImageChange], dict[tuple[str, str], str]]:
        imgs = dict(self.images[f"{app}/{env}"])
        changes = []
        for spec in specs:
            matched = False
            for (ref, c), old in list(imgs.items()):
                if ref.split("/", 1)[1] == spec.workload.split("/")[-1] and (spec.container in (None, c)):
                    imgs[(ref, c)] = spec.image
                    matched = True
                    if old != spec.image:
                        changes.append(ImageChange(ref, c, old, spec.image))
            if not matched:
                raise NotFound(f"workload {spec.workload} not found in {app}/{env}")
        return changes, imgs

    def plan_set_image(self, app: str, env: str, specs: list[ImageSpec]) -> tuple[list[ImageChange], EnvDiff]:
        self._record("plan_set_image", app, env, specs)
        environment = self._env(app, env)
        if environment.is_production:
            raise Refused("images in production change only through promote or rollback")
        changes, imgs = self._apply_specs(app, env, specs)
        before = self._manifests(app, env)
        saved = self.images[environment.ref]
        self.images[environment.ref] = imgs
        after = self._manifests(app, env)
        self.images[environment.ref] = saved
        return changes, _diff(f"{app}/{env}", f"{app}/{env} (new)", before, after, False)

    def set_image(self, app: str, env: str, specs: list[ImageSpec], *, reason: str = "") -> list[ImageChange]:
        self._record("set_image", app, env, specs, reason=reason)
        self._guard()
        changes, imgs = self._apply_specs(app, env, specs)
        self.images[f"{app}/{env}"] = imgs
        self._history(
            app, env, "set-image", [f"{c.workload} {c.container} {c.old} -> {c.new}" for c in changes], reason
        )
        return changes

    def configmaps(self, environment: Environment) -> dict[str, dict[str, str]]:
        self._record("configmaps", environment.name)
        settings = self.settings.get(environment.ref) or {}
        return {"app-settings": dict(settings)} if settings else {}

    def _config_changes(self, app: str, env: str, configmap: str, values: dict[str, str]) -> list[ConfigChange]:
        environment = self._env(app, env)
        if environment.is_production:
            raise Refused("configuration in production changes only through promote or rollback")
        current = self.configmaps(environment).get(configmap)
        if current is None:
            raise NotFound(f"no ConfigMap {configmap!r} in {environment.ref}")
        return [ConfigChange(configmap, k, current.get(k), v) for k, v in values.items() if current.get(k) != v]

    def plan_set_config(
        self, app: str, env: str, configmap: str, values: dict[str, str]
    ) -> tuple[list[ConfigChange], EnvDiff]:
        self._record("plan_set_config", app, env, configmap, values)
        changes = self._config_changes(app, env, configmap, values)
        before = self._manifests(app, env)
        saved = dict(self.settings[f"{app}/{env}"])
        self.settings[f"{app}/{env}"].update(values)
        after = self._manifests(app, env)
        self.settings[f"{app}/{env}"] = saved
        return changes, _diff(f"{app}/{env}", f"{app}/{env} (new)", before, after, False)

    def set_config(
        self, app: str, env: str, configmap: str, values: dict[str, str], *, reason: str = ""
    ) -> list[ConfigChange]:
        self._record("set_config", app, env, configmap, values, reason=reason)
        self._guard()
        changes = self._config_changes(app, env, configmap, values)
        self.settings[f"{app}/{env}"].update(values)
        self._history(app, env, "set-config", [c.describe() for c in changes], reason)
        return changes

    def _history(self, app: str, env: str, action: str, summary: list[str], reason: str) -> None:
        entries = self.hist.setdefault(f"{app}/{env}", [])
        entries.append(HistoryEntry(len(entries) + 1, action, USER, NOW, tuple(summary), reason))

    def diff(self, app: str, left: str, right: str, *, include_env_scoped: bool = False) -> EnvDiff:
        self._record("diff", app, left, right, include_env_scoped=include_env_scoped)
        self._env(app, left), self._env(app, right)
        return _diff(
            f"{app}/{left}",
            f"{app}/{right}",
            self._manifests(app, left),
            self._manifests(app, right),
            include_env_scoped,
        )

    def plan_promote(self, app: str, source: str, target: str | None = None, *, prune: bool = False) -> PromotePlan:
        self._record("plan_promote", app, source, target, prune=prune)
        src = self._env(app, source)
        tgt = self._env(app, target or src.cloned_from or "")
        d = _diff(tgt.ref, tgt.ref + " (dry run)", self._manifests(app, tgt.name), self._manifests(app, source), False)
        restarts = tuple(o.ref for o in d.changed if o.kind in ("Deployment", "StatefulSet", "DaemonSet"))
        conflicts = (
            (Conflict3("ConfigMap/app-settings", "data.CHARSET", "utf-8", "euc-kr"),) if self.conflicting else ()
        )
        plan = PromotePlan(
            app, source, tgt, d, restarts=restarts, deletions=("Service/legacy",) if prune else (), conflicts=conflicts
        )
        plan.writes.append({"images": dict(self.images[src.ref]), "settings": dict(self.settings[src.ref])})
        return plan

    def plan_rollback(self, app: str, env: str, revision: int) -> PromotePlan:
        self._record("plan_rollback", app, env, revision)
        tgt = self._env(app, env)
        if not any(h.revision == revision for h in self.hist.get(tgt.ref, [])):
            raise NotFound(f"revision {revision} not found in {tgt.ref}")
        before = _images("1.9.2") if tgt.is_production else _images("1.9.3")
        saved = self.images[tgt.ref]
        self.images[tgt.ref] = before
        after = self._manifests(app, env)
        self.images[tgt.ref] = saved
        d = _diff(tgt.ref, f"revision {revision}", self._manifests(app, env), after, False)
        restarts = tuple(o.ref for o in d.changed if o.kind == "Deployment")
        plan = PromotePlan(app, f"revision {revision}", tgt, d, restarts=restarts, action="rollback")
        plan.writes.append({"images": before, "settings": dict(self.settings[tgt.ref])})
        return plan

    def apply(self, plan: PromotePlan, *, confirm: str | None = None, reason: str = "") -> list[str]:
        self._record("apply", plan.action, plan.target.name, confirm=confirm, reason=reason)
        self._guard()
        if plan.target.is_production and confirm != plan.target.name:
            raise Refused(f"type {plan.target.name!r} to confirm a change to production")
        state = plan.writes[0] if plan.writes else {}
        self.images[plan.target.ref] = copy.deepcopy(state.get("images", self.images[plan.target.ref]))
        self.settings[plan.target.ref] = dict(state.get("settings", self.settings[plan.target.ref]))
        self._history(plan.app, plan.target.name, plan.action, [o.ref for o in plan.diff.changed], reason)
        return [o.ref for o in plan.diff.changed]

    def rollout_status(self, environment: Environment, workloads: list[str]) -> list[RolloutStatus]:
        self._record("rollout_status", environment.name, list(workloads))
        out = []
        for w in workloads:
            n = self._polls[w] = self._polls.get(w, 0) + 1
            if self.rollout_fails and w.endswith("/web"):
                out.append(
                    RolloutStatus(w, 2, 3, 1, False, "ProgressDeadlineExceeded: web-7d9 ImagePullBackOff", failed=True)
                )
            else:
                done = n >= 2
                out.append(RolloutStatus(w, 3 if done else 1, 3, 3 if done else 2, done, "" if done else "updating"))
        return out

    def history(self, app: str, env: str) -> list[HistoryEntry]:
        self._record("history", app, env)
        return list(reversed(self.hist.get(self._env(app, env).ref, [])))

    def destroy(self, app: str, env: str) -> Environment:
        self._record("destroy", app, env)
        self._guard()
        e = self._env(app, env)
        if e.type in ("production", "qa"):
            raise Refused(f"{e.type} environments are never destroyed by hotclone")
        del self.envs[app][env]
        return e


def _mask(value: str) -> str:
    """Like core: a secret value is never returned; only a change shows (here: by its length)."""
    return f"<hidden: {len(value)} bytes>" if value else ""


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            key = v.get("name", i) if isinstance(v, dict) else i
            out.update(_flatten(v, f"{prefix}[{key}]"))
        return out
    return {prefix: str(value)}


def _diff(
    left_name: str,
    right_name: str,
    left: dict[str, tuple[dict[str, Any], bool]],
    right: dict[str, tuple[dict[str, Any], bool]],
    include_env_scoped: bool,
) -> EnvDiff:
    objects = []
    for ref in sorted(set(left) | set(right)):
        lm, ls = left.get(ref, ({}, False))
        rm, rs = right.get(ref, ({}, False))
        scoped = ls or rs
        if scoped and not include_env_scoped:
            continue
        kind, name = ref.split("/", 1)
        lf, rf = _flatten(lm), _flatten(rm)
        changes = []
        for path in sorted(set(lf) | set(rf)):
            a, b = lf.get(path), rf.get(path)
            if a != b:
                change = "added" if a is None else "removed" if b is None else "changed"
                changes.append(FieldChange(path, change, a, b))  # type: ignore[arg-type]
        status = "added" if not lm else "removed" if not rm else ("changed" if changes else "same")
        dump = lambda m: yaml.safe_dump(m, sort_keys=False) if m else ""  # noqa: E731
        objects.append(ObjectDiff(kind, name, status, tuple(changes), dump(lm), dump(rm), scoped))  # type: ignore[arg-type]
    return EnvDiff(left_name, right_name, tuple(objects))
