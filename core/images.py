"""Set container images of workloads in a non-production environment."""

from __future__ import annotations

import contextlib
import copy

from hotclone.core import discovery, history, inventory, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import compare
from hotclone.core.errors import HotcloneError, InvalidInput, NotFound, Refused
from hotclone.core.models import EnvDiff, Environment, ImageChange, ImageSpec
from hotclone.core.validation import validate_image


def parse_spec(text: str) -> ImageSpec:
    """`WORKLOAD[/CONTAINER]=IMAGE`."""
    target, sep, image = text.partition("=")
    if not sep or not target or not image:
        raise InvalidInput(f"invalid image argument {text!r}: expected WORKLOAD[/CONTAINER]=IMAGE")
    workload, _, container = target.partition("/")
    validate_image(image)
    return ImageSpec(workload, container or None, image)


def _find_workload(by_name: dict[str, list[Obj]], environment: Environment, name: str) -> Obj:
    matches = by_name.get(name, [])
    if not matches:
        known = ", ".join(sorted(by_name)) or "none"
        raise NotFound(f"no workload {name!r} in {environment.ref} (workloads: {known})")
    if len(matches) > 1:
        kinds_found = ", ".join(inventory.ref(m) for m in matches)
        raise InvalidInput(f"workload name {name!r} is ambiguous in {environment.ref}: {kinds_found}")
    return matches[0]


def _containers(obj: Obj) -> list[tuple[Obj, bool]]:
    spec = inventory.pod_spec(obj) or {}
    return [(c, False) for c in spec.get("containers") or []] + [(c, True) for c in spec.get("initContainers") or []]


def _resolve(obj: Obj, spec: ImageSpec) -> tuple[Obj, bool]:
    candidates = _containers(obj)
    if spec.container is None:
        main = [(c, init) for c, init in candidates if not init]
        if len(main) != 1:
            names = ", ".join(c["name"] for c, _ in candidates)
            raise InvalidInput(
                f"{inventory.ref(obj)} has several containers ({names}); name one: {spec.workload}/CONTAINER=IMAGE"
            )
        return main[0]
    for container, init in candidates:
        if container["name"] == spec.container:
            return container, init
    names = ", ".join(c["name"] for c, _ in candidates)
    raise NotFound(f"{inventory.ref(obj)} has no container {spec.container!r} (containers: {names})")


def _check_specs(specs: list[ImageSpec]) -> None:
    if not specs:
        raise InvalidInput("no image change given: expected WORKLOAD[/CONTAINER]=IMAGE")
    for spec in specs:
        validate_image(spec.image)


def _check_environment(environment: Environment) -> None:
    if environment.is_production:
        raise Refused(f"{environment.ref} is production: images there change only through promote or rollback")
    if environment.incomplete:
        raise Refused(f"{environment.ref} is incomplete (an interrupted clone)")


def edit(
    environment: Environment, workloads: list[Obj], specs: list[ImageSpec]
) -> tuple[list[Obj], list[Obj], list[ImageChange]]:
    """The touched workloads before and after the image changes, and the changes. Pure.

    `workloads` are the environment's workload objects (every workload kind).
    """
    _check_specs(specs)
    _check_environment(environment)
    by_name: dict[str, list[Obj]] = {}
    for obj in workloads:
        by_name.setdefault(obj["metadata"]["name"], []).append(obj)
    updated: dict[str, Obj] = {}
    changes: list[ImageChange] = []
    for spec in specs:
        original = _find_workload(by_name, environment, spec.workload)
        key = inventory.ref(original)
        target = updated.setdefault(key, copy.deepcopy(original))
        container, init = _resolve(target, spec)
        if container.get("image") != spec.image:
            changes.append(ImageChange(key, container["name"], container.get("image", ""), spec.image, init))
            container["image"] = spec.image
    touched = [o for o in workloads if inventory.ref(o) in {c.workload for c in changes}]
    return touched, [updated[inventory.ref(o)] for o in touched], changes


def _prepare(
    cluster: Cluster, environment: Environment, specs: list[ImageSpec]
) -> tuple[Environment, list[Obj], list[Obj], list[ImageChange]]:
    _check_specs(specs)  # bad input is reported before any network call
    environment = discovery.current(cluster, environment)
    _check_environment(environment)
    workloads = [
        o for objs in inventory.list_kinds(cluster, environment.namespace, kinds.WORKLOAD_KINDS).values() for o in objs
    ]
    before, after, changes = edit(environment, workloads, specs)
    return environment, before, after, changes


def plan(cluster: Cluster, environment: Environment, specs: list[ImageSpec]) -> tuple[list[ImageChange], EnvDiff]:
    environment, before, after, changes = _prepare(cluster, environment, specs)
    diff = compare(
        before,
        after,
        left_namespace=environment.namespace,
        right_namespace=environment.namespace,
        left_name=f"{environment.ref} (now)",
        right_name=f"{environment.ref} (after set-image)",
    )
    return changes, diff


def apply(
    cluster: Cluster, environment: Environment, specs: list[ImageSpec], *, user: str, reason: str = ""
) -> list[ImageChange]:
    """Patch each workload's images, each patch guarded by a test of the old image.

    A JSON patch `test` makes the write conditional on exactly the field we change,
    so controllers updating the status meanwhile do not make it fail, while someone
    else changing the same image does (and then earlier patches are undone).
    """
    environment, before, after, changes = _prepare(cluster, environment, specs)
    if not changes:
        return []
    snapshot = history.material_snapshot(cluster, environment.namespace)
    applied: list[tuple[Obj, Obj]] = []
    try:
        for old, new in zip(before, after, strict=True):
            _patch_images(cluster, environment.namespace, old, new)
            applied.append((old, new))
    except HotcloneError:
        for old, new in reversed(applied):
            with contextlib.suppress(HotcloneError):
                _patch_images(cluster, environment.namespace, new, old)
        raise
    history.record(
        cluster,
        environment.namespace,
        action="set-image",
        user=user,
        summary=[f"{c.workload} {c.container}: {c.old} -> {c.new}" for c in changes],
        before=snapshot,
        reason=reason,
    )
    return changes


def _pod_spec_pointer(obj: Obj) -> str:
    return "/spec/jobTemplate/spec/template/spec" if obj["kind"] == "CronJob" else "/spec/template/spec"


def _patch_images(cluster: Cluster, namespace: str, old: Obj, new: Obj) -> None:
    pointer = _pod_spec_pointer(old)
    old_spec, new_spec = inventory.pod_spec(old) or {}, inventory.pod_spec(new) or {}
    operations: list[Obj] = []
    for field in ("containers", "initContainers"):
        pairs = zip(old_spec.get(field) or [], new_spec.get(field) or [], strict=True)
        for index, (before, after) in enumerate(pairs):
            if before.get("image") != after.get("image"):
                path = f"{pointer}/{field}/{index}/image"
                operations += [{"op": "test", "path": path, "value": before.get("image")}]
                operations += [{"op": "replace", "path": path, "value": after["image"]}]
    cluster.patch_unchanged(
        kinds.kind_named(old["kind"]),
        namespace,
        old["metadata"]["name"],
        operations,
        lambda live: _images(live) == _images(old),
    )


def _images(obj: Obj) -> list[str]:
    spec = inventory.pod_spec(obj) or {}
    return [c.get("image", "") for field in ("containers", "initContainers") for c in spec.get(field) or []]
