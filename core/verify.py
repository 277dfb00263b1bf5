"""Verification of an environment: its type's checks run as Jobs, bound to the state they verified.

`run` creates one Job per check in the environment's namespace (labelled as hotclone's
history, so never material: not cloned, diffed, promoted or fingerprinted), waits for the
Jobs' own status, and records the outcome in one ConfigMap (schema.VERIFICATION_CONFIGMAP)
together with the fingerprint of the environment's material objects when the run started.

`state` is what a gate asks. The record is a ConfigMap anyone with write access could have
written, so it proves nothing alone: the environment's fingerprint must equal the recorded
one now, and every passed check's Job must still exist with the recorded uid (a uid cannot
be chosen) and its own condition Complete=True (written only through jobs/status, by the
Job controller). A passed check is never recorded without that condition.

In production only checks annotated read-only run. `compare` also runs the read-only
checks in the environment the clone was made from, for comparison (production fails, the
clone passes: the incident and its fix side by side).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from hotclone.core import check_logs, discovery, envtypes, fingerprint, inventory, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.envtypes import TypeDefinition
from hotclone.core.errors import AlreadyExists, Conflict, HotcloneError, InvalidInput, NotFound, Refused
from hotclone.core.models import (
    CheckDefinition,
    CheckOutcome,
    CheckResult,
    Environment,
    ProgressStep,
    Verification,
    VerificationState,
)
from hotclone.core.schema import (
    HISTORY_CHECK,
    HISTORY_VERIFICATION,
    LABEL_CHECK,
    LABEL_CHECK_RUN,
    LABEL_HISTORY,
    TIME_FORMAT,
    VERIFICATION_CONFIGMAP,
    VERIFICATION_FORMAT,
    VERIFICATION_KEY,
)

Progress = Callable[[ProgressStep], None]

POLL_SECONDS = 0.25
_NAME_SUFFIX = 5
_MAX_NAME = 63  # the Job controller copies the name into a label value
_ALPHABET = string.ascii_lowercase + string.digits
_IMAGE = re.compile(r"\$\{image:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(/([a-z0-9]([-a-z0-9]*[a-z0-9])?))?\}")
_PLAIN_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")
_MAX_WHY = 3  # changed objects named in why_not; the rest counted


# -- the gate's question ---------------------------------------------------------------


def state(cluster: Cluster, environment: Environment, *, types: Cluster | None = None) -> VerificationState:
    """The latest verification, re-checked against the environment and its Jobs now. `types`: the
    cluster whose environment types define the environment's (a clone made across clusters: its
    source's; default `cluster`)."""
    definition = envtypes.load(types or cluster, environment.type, environment.app)
    names = tuple(c.name for c in definition.checks)
    try:
        configmap = cluster.get(kinds.CONFIGMAP, environment.namespace, VERIFICATION_CONFIGMAP)
    except NotFound:
        return VerificationState(environment, None, checks=names)
    try:
        record = _Record.parse(configmap, environment)
    except (ValueError, KeyError, TypeError) as error:
        why = f"the verification record {VERIFICATION_CONFIGMAP} is unreadable ({error})"
        return VerificationState(environment, None, why_not=why, checks=names)
    why_not = _why_not_current(cluster, environment, definition, record)
    return VerificationState(environment, record.verification, current=not why_not, why_not=why_not, checks=names)


def _why_not_current(cluster: Cluster, environment: Environment, definition: TypeDefinition, record: _Record) -> str:
    """Empty when the record still holds; else the first reason it does not."""
    verification = record.verification
    if record.namespace != environment.namespace or verification.environment.name != environment.name:
        return f"the record names {record.namespace}, not {environment.namespace}"
    material = inventory.read(cluster, environment.namespace).material
    if fingerprint.environment(material, environment.namespace) != verification.fingerprint:
        return _changes(record.objects, _digests(material, environment.namespace))
    for check in definition.checks:
        ran = [r for r in verification.results if r.name == check.name]
        if not ran and (check.read_only or not environment.is_production):
            return f"check {check.name} did not run in this verification"
        if ran and record.checks.get(check.name) != _check_digest(check):
            return f"check {check.name} changed since the verification"
    checks = {c.name: c for c in definition.checks}
    for result in verification.results:
        if result.passed:
            job, why = _job_still_passed(cluster, environment.namespace, result)
            if job is not None and not why and result.name in checks:
                why = _job_runs_the_check(definition, checks[result.name], environment, material, job)
            if why:
                return why
    return ""


def _job_still_passed(cluster: Cluster, namespace: str, result: CheckResult) -> tuple[Obj | None, str]:
    """The recorded Job as it is now, and why it no longer proves the check passed (empty: it does)."""
    try:
        job = cluster.get(kinds.JOB, namespace, result.job) if result.job else None
    except NotFound:
        job = None
    if job is None:
        return None, f"check Job {result.job or '?'} is gone"
    meta = job.get("metadata") or {}
    if meta.get("uid") != result.job_uid:
        return job, f"check Job {result.job} was replaced since the verification"
    if (meta.get("labels") or {}).get(LABEL_CHECK) != result.name:
        return job, f"check Job {result.job} is not a run of check {result.name}"
    if _condition(job, "Complete") is None:
        return job, f"check Job {result.job} does not say Complete"
    return job, ""


def _job_runs_the_check(
    definition: TypeDefinition, check: CheckDefinition, environment: Environment, material: list[Obj], job: Obj
) -> str:
    """A Job someone made themselves (say, one that exits 0 at once) is no run of the check: its
    containers must be the check's, rendered for this state (images only where ${random:N} varies)."""
    name = job["metadata"]["name"]
    try:
        _check, _env, expected = _render(definition, check, environment, material)
    except InvalidInput as error:
        return f"check {check.name} cannot be rendered for this state ({error})"
    exact = "${random:" not in check.document
    if _containers(job, exact) != _containers(expected, exact):
        return f"check Job {name} does not run check {check.name} as its type defines it"
    return ""


def _containers(job: Obj, exact: bool) -> list[tuple[Any, ...]]:
    pod = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    found = []
    for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        if isinstance(container, dict):
            what = (container.get("name"), container.get("image"))
            found.append(what + ((container.get("command"), container.get("args")) if exact else ()))
    return found


def _changes(recorded: dict[str, str], now: dict[str, str]) -> str:
    lines = [f"{ref} changed" for ref in sorted(recorded) if ref in now and now[ref] != recorded[ref]]
    lines += [f"{ref} added" for ref in sorted(now) if ref not in recorded]
    lines += [f"{ref} removed" for ref in sorted(recorded) if ref not in now]
    if not lines:
        return "the environment changed since the verification"
    more = f" and {len(lines) - _MAX_WHY} more" if len(lines) > _MAX_WHY else ""
    return f"{', '.join(lines[:_MAX_WHY])}{more} since the verification"


def _digests(objects: list[Obj], namespace: str) -> dict[str, str]:
    """Per object, so that `state` can name what changed (Secrets by uid:resourceVersion only)."""
    return {inventory.ref(o): fingerprint.environment([o], namespace) for o in objects}


def _check_digest(check: CheckDefinition) -> str:
    return "sha256:" + hashlib.sha256(f"{check.document}\n{check.timeout}".encode()).hexdigest()


# -- running the checks ----------------------------------------------------------------


@dataclass
class _Running:
    """One check's Job while it runs."""

    check: CheckDefinition
    environment: Environment
    name: str
    uid: str
    started: float
    result: CheckResult | None = None


def run(
    cluster: Cluster,
    environment: Environment,
    *,
    user: str,
    compare: bool = False,
    progress: Progress | None = None,
    types: Cluster | None = None,
) -> Verification:
    """Run the checks, wait for each Job's own status, record and return the results.

    Interrupted (Ctrl-C, an error), it deletes the Jobs it made, records nothing and re-raises.
    `types`: as for `state`."""
    definition = envtypes.load(types or cluster, environment.type, environment.app)
    if not definition.checks:
        raise InvalidInput(f"environment type {definition.name!r} defines no checks")
    checks = _runnable(definition, environment)
    source: Environment | None = None
    source_checks: list[CheckDefinition] = []
    if compare:
        source, source_checks = _comparison(cluster, environment, definition)

    started_at = datetime.now(UTC)
    material = inventory.read(cluster, environment.namespace).material
    state_now = fingerprint.environment(material, environment.namespace)
    objects = _digests(material, environment.namespace)
    jobs = [_render(definition, c, environment, material) for c in checks]
    if source is not None:
        source_material = inventory.read(cluster, source.namespace).material
        jobs += [_render(definition, c, source, source_material) for c in source_checks]

    run_id = _random(8)
    for _check, _env, body in jobs:
        _label(body, LABEL_CHECK_RUN, run_id)
    created: list[_Running] = []
    recorded = False
    try:
        for check, env, body in jobs:
            created.append(_create(cluster, check, env, body))
            _report(progress, "check", 0, len(jobs), f"started {check.name}")
        _wait(cluster, environment, created, run_id, progress)
        verification = Verification(
            environment=environment,
            fingerprint=state_now,
            user=user,
            started=started_at,
            finished=datetime.now(UTC),
            results=tuple(r.result for r in created if r.environment == environment and r.result),
            compared=tuple(r.result for r in created if r.environment != environment and r.result),
            compared_with=source.name if source else None,
        )
        _write(cluster, _Record(environment.namespace, verification, objects, _check_digests(checks)))
        recorded = True
    finally:
        if not recorded:  # best effort: nothing of an unfinished run stays behind
            _delete_jobs(cluster, created)
            namespaces = {environment.namespace} | ({source.namespace} if source else set())
            _delete_run(cluster, namespaces, run_id)  # a Job created while its create call was cut short
    _delete_jobs(cluster, [r for r in created if r.environment != environment])  # production keeps no litter
    _delete_earlier_runs(cluster, environment.namespace, {r.name for r in created})
    return verification


def _runnable(definition: TypeDefinition, environment: Environment) -> list[CheckDefinition]:
    if not environment.is_production:
        return list(definition.checks)
    allowed = [c for c in definition.checks if c.read_only]
    if not allowed:
        raise Refused(
            f"{environment.ref} is production, where only read-only checks run, "
            f"and no check of type {definition.name!r} is read-only"
        )
    return allowed


def _comparison(
    cluster: Cluster, environment: Environment, definition: TypeDefinition
) -> tuple[Environment, list[CheckDefinition]]:
    if not environment.cloned_from:
        raise InvalidInput(f"{environment.ref} was not cloned from another environment; nothing to compare with")
    source = discovery.environment(cluster, environment.app, environment.cloned_from)
    read_only = [c for c in definition.checks if c.read_only]
    if not read_only:
        raise Refused(
            f"--compare runs only read-only checks in {source.ref}, and no check of type {definition.name!r} is"
        )
    return source, read_only


def _check_digests(checks: list[CheckDefinition]) -> dict[str, str]:
    return {c.name: _check_digest(c) for c in checks}


def expand_images(document: str, material: list[Obj], where: str) -> str:
    """`${image:WORKLOAD}` / `${image:WORKLOAD/CONTAINER}`: that workload's (first) container's image
    in the environment the check runs in (a release's smoke test runs the release's image)."""

    def image(match: re.Match[str]) -> str:
        workload, container = match.group(1), match.group(4)
        for kind in kinds.WORKLOAD_KINDS:
            for obj in material:
                if obj.get("kind") != kind.kind or obj["metadata"].get("name") != workload:
                    continue
                found = [c for c in inventory.containers(obj) if not c.init and container in (None, c.name)]
                if not found:
                    raise InvalidInput(f"{where}: {kind.kind}/{workload} has no container {container!r}")
                if not _PLAIN_IMAGE.match(found[0].image):
                    raise InvalidInput(f"{where}: the image of {kind.kind}/{workload} is not a plain reference")
                return found[0].image
        raise InvalidInput(f"{where}: ${{image:{match.group(0)[8:-1]}}} names no workload of this environment")

    return _IMAGE.sub(image, document)


def _render(
    definition: TypeDefinition, check: CheckDefinition, environment: Environment, material: list[Obj]
) -> tuple[CheckDefinition, Environment, Obj]:
    where = f"{definition.where}, check {check.name!r}"
    expanded = replace(check, document=expand_images(check.document, material, where))
    job = definition.render_check(expanded, environment.app, environment.name, environment.namespace)
    return check, environment, _as_check_job(job, check)


def _as_check_job(job: Obj, check: CheckDefinition) -> Obj:
    """The Job as hotclone runs it: its own name and labels (pod template too), once, within the timeout."""
    meta = job["metadata"]
    meta.pop("generateName", None)
    base = check.name[: _MAX_NAME - _NAME_SUFFIX - 1].rstrip("-.")
    meta["name"] = f"{base}-{_random(_NAME_SUFFIX)}"
    ours = {LABEL_HISTORY: HISTORY_CHECK, LABEL_CHECK: check.name}
    meta["labels"] = (meta.get("labels") or {}) | ours
    spec = _mapping(job, "spec", check)
    spec.pop("ttlSecondsAfterFinished", None)  # kept: the gate re-reads the Job's own status
    spec.setdefault("backoffLimit", 0)  # a check runs once: a retry would hide a flaky failure
    # hotclone stops waiting at the timeout; the deadline also ends a check whose run was killed.
    spec.setdefault("activeDeadlineSeconds", max(1, int(check.timeout.total_seconds())))
    template = _mapping(spec, "template", check)
    template_meta = _mapping(template, "metadata", check)
    template_meta["labels"] = (template_meta.get("labels") or {}) | ours
    pod = _mapping(template, "spec", check)
    pod.setdefault("restartPolicy", "Never")
    for container in pod.get("containers") or []:
        if isinstance(container, dict):
            container.setdefault("terminationMessagePolicy", "FallbackToLogsOnError")
    return job


def _mapping(parent: Obj, key: str, check: CheckDefinition) -> Obj:
    value = parent.get(key)
    if value is None:
        value = parent[key] = {}
    if not isinstance(value, dict):
        raise InvalidInput(f"check {check.name!r}: the Job's {key} is not a mapping")
    return value


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _label(job: Obj, key: str, value: str) -> None:
    """On the Job and on its pod template (kubectl and the fake node see it on the pods)."""
    job["metadata"].setdefault("labels", {})[key] = value
    job["spec"]["template"]["metadata"].setdefault("labels", {})[key] = value


def _create(cluster: Cluster, check: CheckDefinition, environment: Environment, body: Obj) -> _Running:
    created = cluster.create(kinds.JOB, environment.namespace, body)
    meta = created["metadata"]
    return _Running(check, environment, meta["name"], str(meta.get("uid", "")), time.monotonic())


def _wait(
    cluster: Cluster, environment: Environment, running: list[_Running], run_id: str, progress: Progress | None
) -> None:
    """One LIST per namespace per round (this run's Jobs, by its label), whatever the number of checks."""
    total = len(running)
    while True:
        waiting = [r for r in running if r.result is None]
        if not waiting:
            return
        jobs: dict[tuple[str, str], Obj] = {}
        for namespace in {r.environment.namespace for r in waiting}:
            for job in cluster.list(kinds.JOB, namespace, label_selector=f"{LABEL_CHECK_RUN}={run_id}"):
                jobs[(namespace, job["metadata"]["name"])] = job
        for item in waiting:
            item.result = _poll(cluster, item, jobs.get((item.environment.namespace, item.name)))
            if item.result is not None:
                done = total - sum(1 for r in running if r.result is None)
                where = "" if item.environment == environment else f" in {item.environment.name}"
                _report(progress, "check", done, total, f"{item.check.name}{where}: {item.result.outcome}")
        if any(r.result is None for r in running):
            time.sleep(POLL_SECONDS)


def _poll(cluster: Cluster, item: _Running, job: Obj | None) -> CheckResult | None:
    """The check's result once its Job (as just listed) says so, or hotclone's timeout passed; None while
    it runs."""
    namespace = item.environment.namespace
    seconds = time.monotonic() - item.started
    if job is None:
        return _result(item, "failed", seconds, "its Job was deleted while it ran")
    if (job.get("metadata") or {}).get("uid") != item.uid:
        return _result(item, "failed", seconds, "its Job was replaced while it ran")
    if _condition(job, "Complete") is not None:
        return _result(item, "passed", seconds)
    failed = _condition(job, "Failed")
    if failed is not None:
        outcome: CheckOutcome = "timed out" if failed.get("reason") == "DeadlineExceeded" else "failed"
        detail = _failure(cluster, namespace, item.name, failed)
        return _result(item, outcome, seconds, check_logs.masked(detail, cluster, namespace), logs=cluster)
    if seconds >= item.check.timeout.total_seconds():
        result = _result(item, "timed out", seconds, f"no result within {_duration(item.check)}", logs=cluster)
        _delete_jobs(cluster, [item])
        return result
    return None


def _failure(cluster: Cluster, namespace: str, job: str, condition: Obj) -> str:
    """Why the Job failed: its pod's exit code when it simply failed, else the Job's own reason."""
    reason, message = str(condition.get("reason") or ""), str(condition.get("message") or "")
    if reason == "BackoffLimitExceeded":
        code = check_logs.exit_code(cluster, namespace, job)
        if code is not None:
            return f"exit code {code}"
    return f"{reason}: {message}" if reason and message else reason or message


def _result(
    item: _Running, outcome: CheckOutcome, seconds: float, detail: str = "", *, logs: Cluster | None = None
) -> CheckResult:
    tail = check_logs.tail(logs, item.environment.namespace, item.name) if logs is not None else ()
    return CheckResult(
        item.check.name,
        item.environment.name,
        outcome,
        round(seconds, 1),
        job=item.name,
        job_uid=item.uid,
        detail=detail,
        log_tail=tail,
    )


def _duration(check: CheckDefinition) -> str:
    total = int(check.timeout.total_seconds())
    return f"{total // 60}m{total % 60:02d}s" if total >= 60 else f"{total}s"


def _condition(job: Obj, kind: str) -> Obj | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            found: Obj = condition
            return found
    return None


def _report(progress: Progress | None, name: str, done: int, total: int, detail: str) -> None:
    if progress is not None:
        progress(ProgressStep(name, done, total, detail))


def _delete_jobs(cluster: Cluster, running: list[_Running]) -> None:
    for item in running:
        with contextlib.suppress(HotcloneError):  # gone already, or the server is down: nothing more to do
            cluster.delete(kinds.JOB, item.environment.namespace, item.name)


def _delete_run(cluster: Cluster, namespaces: set[str], run_id: str) -> None:
    for namespace in namespaces:
        with contextlib.suppress(HotcloneError):
            for job in cluster.list(kinds.JOB, namespace, label_selector=f"{LABEL_CHECK_RUN}={run_id}"):
                with contextlib.suppress(HotcloneError):
                    cluster.delete(kinds.JOB, namespace, job["metadata"]["name"])


def _stopped_or_stale(job: Obj) -> bool:
    """Finished, or older than its own deadline allows (its run was killed): not another run's live check."""
    if _condition(job, "Complete") is not None or _condition(job, "Failed") is not None:
        return True
    created = str((job.get("metadata") or {}).get("creationTimestamp") or "")
    deadline = (job.get("spec") or {}).get("activeDeadlineSeconds") or 3600
    try:
        age = (datetime.now(UTC) - _time(created)).total_seconds()
    except ValueError:
        return True
    return age > float(deadline) + 60


def _delete_earlier_runs(cluster: Cluster, namespace: str, keep: set[str]) -> None:
    """Check Jobs of earlier runs (and of runs that were killed before they could clean up)."""
    with contextlib.suppress(HotcloneError):
        for job in cluster.list(kinds.JOB, namespace, label_selector=f"{LABEL_HISTORY}={HISTORY_CHECK}"):
            name = job["metadata"]["name"]
            if name not in keep and _stopped_or_stale(job):
                with contextlib.suppress(HotcloneError):
                    cluster.delete(kinds.JOB, namespace, name)


# -- the record ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    namespace: str
    verification: Verification
    objects: dict[str, str]  # ref -> digest, as fingerprinted when the run started
    checks: dict[str, str]  # check name -> digest of its definition when it ran

    def configmap(self) -> Obj:
        v = self.verification
        data = {
            "format": VERIFICATION_FORMAT,
            "environment": v.environment.name,
            "namespace": self.namespace,
            "fingerprint": v.fingerprint,
            "user": v.user,
            "started": v.started.strftime(TIME_FORMAT),
            "finished": v.finished.strftime(TIME_FORMAT),
            "results": [_result_json(r) for r in v.results],
            "compared": [_result_json(r) for r in v.compared],
            "comparedWith": v.compared_with,
            "objects": self.objects,
            "checks": self.checks,
        }
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": VERIFICATION_CONFIGMAP,
                "namespace": self.namespace,
                "labels": {LABEL_HISTORY: HISTORY_VERIFICATION},
            },
            "data": {VERIFICATION_KEY: json.dumps(data, ensure_ascii=False, sort_keys=True)},
        }

    @classmethod
    def parse(cls, configmap: Obj, environment: Environment) -> _Record:
        data = json.loads((configmap.get("data") or {})[VERIFICATION_KEY])
        if data.get("format") != VERIFICATION_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        verification = Verification(
            environment=environment if data["environment"] == environment.name else replace(environment, name="?"),
            fingerprint=str(data["fingerprint"]),
            user=str(data["user"]),
            started=_time(data["started"]),
            finished=_time(data["finished"]),
            results=tuple(_result_from(r) for r in data["results"]),
            compared=tuple(_result_from(r) for r in data.get("compared") or ()),
            compared_with=data.get("comparedWith"),
        )
        objects = {str(k): str(v) for k, v in dict(data["objects"]).items()}
        checks = {str(k): str(v) for k, v in dict(data.get("checks") or {}).items()}
        return cls(str(data["namespace"]), verification, objects, checks)


def _time(text: Any) -> datetime:
    return datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=UTC)


def _result_json(result: CheckResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "environment": result.environment,
        "outcome": result.outcome,
        "seconds": result.seconds,
        "job": result.job,
        "jobUid": result.job_uid,
        "detail": result.detail,
        "logTail": list(result.log_tail),
    }


_OUTCOMES: tuple[CheckOutcome, ...] = ("passed", "failed", "timed out")


def _result_from(data: dict[str, Any]) -> CheckResult:
    outcome = data["outcome"]
    if outcome not in _OUTCOMES:
        raise ValueError(f"outcome {outcome!r}")
    return CheckResult(
        str(data["name"]),
        str(data["environment"]),
        outcome,
        float(data["seconds"]),
        job=str(data.get("job") or ""),
        job_uid=str(data.get("jobUid") or ""),
        detail=str(data.get("detail") or ""),
        log_tail=tuple(str(line) for line in data.get("logTail") or ()),
    )


def _write(cluster: Cluster, record: _Record) -> None:
    """Replace the environment's record (create it the first time)."""
    body = record.configmap()
    for _attempt in range(3):
        try:
            live = cluster.get(kinds.CONFIGMAP, record.namespace, VERIFICATION_CONFIGMAP)
        except NotFound:
            try:
                cluster.create(kinds.CONFIGMAP, record.namespace, body)
                return
            except AlreadyExists:
                continue  # another run recorded first: replace theirs
        body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        try:
            cluster.replace(kinds.CONFIGMAP, record.namespace, body)
            return
        except Conflict:
            continue  # replaced meanwhile by another run: read it again
    raise Refused(f"could not record the verification in {record.namespace}: it kept changing")
