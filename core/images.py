"""Set container images of workloads in a non-production environment."""

from __future__ import annotations

import copy

from hotclone.core import api_discovery, discovery, history, inventory, journal, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.diff import compare
from hotclone.core.errors import Conflict, InvalidInput, NotFound, Refused
from hotclone.core.models import EnvDiff, Environment, ImageChange, ImageSpec
from hotclone.core.validation import validate_image, validate_label, validate_object_name


def parse_spec(text: str) -> ImageSpec:
    """`WORKLOAD[/CONTAINER]=IMAGE`."""
    target, sep, image = text.partition("=")
    if not sep or not target or not image:
        raise InvalidInput(f"invalid image argument {text!r}: expected WORKLOAD[/CONTAINER]=IMAGE")
    workload, _, container = target.partition("/")
    validate_object_name(workload, "workload name")
    if container:
        validate_label(container, "container name")
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
    seen: dict[tuple[str, str | None], ImageSpec] = {}
    for spec in specs:
        validate_object_name(spec.workload, "workload name")
        if spec.container is not None:
            validate_label(spec.container, "container name")
        validate_image(spec.image)
        _refuse_twice(seen, (spec.workload, spec.container), spec)


def _refuse_twice(seen: dict[tuple[str, str | None], ImageSpec], key: tuple[str, str | None], spec: ImageSpec) -> None:
    """Two images for one container: which one was meant is a guess, so neither is applied."""
    first = seen.setdefault(key, spec)
    if first is not spec:
        container = f" container {key[1]!r}" if key[1] else ""
        raise InvalidInput(
            f"workload {spec.workload!r}{container} is given twice ({_text(first)} and {_text(spec)}): give it once"
        )


def _text(spec: ImageSpec) -> str:
    target = f"{spec.workload}/{spec.container}" if spec.container else spec.workload
    return f"{target}={spec.image}"


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
    resolved: dict[tuple[str, str | None], ImageSpec] = {}
    for spec in specs:
        original = _find_workload(by_name, environment, spec.workload)
        key = inventory.ref(original)
        target = updated.setdefault(key, copy.deepcopy(original))
        container, init = _resolve(target, spec)
        _refuse_twice(resolved, (spec.workload, container["name"]), spec)  # `web` and `web/web` too
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
    cluster: Cluster,
    environment: Environment,
    specs: list[ImageSpec],
    *,
    seen: list[ImageChange],
    user: str,
    reason: str = "",
) -> list[ImageChange]:
    """Patch each workload's images, journaled, guarded by the images the preview showed.

    `seen` are the changes of the preview the user confirmed: if the environment no
    longer gives exactly those (a colleague changed an image since), nothing is written.
    Each JSON patch then `test`s the old image, so a change racing the write fails too,
    while controllers updating the status meanwhile do not.
    """
    history.check_reason(reason)
    environment, before, after, changes = _prepare(cluster, environment, specs)
    check_seen(environment, seen, changes)
    if not changes:
        return []
    # Environment-scoped workloads (a template's database) are not in the material snapshot:
    # the journal needs the before-state of everything it may have to restore.
    snapshot = journal.including(history.material_snapshot(cluster, environment.namespace), before)

    def write(writes: journal.Writes) -> None:
        for old, new in zip(before, after, strict=True):
            with writes.writing(inventory.ref(old)):
                _patch_images(cluster, environment.namespace, old, new)

    journal.run(
        cluster,
        environment,
        action="set-image",
        user=user,
        reason=reason,
        summary=[f"{c.workload} {c.container}: {c.old} -> {c.new}" for c in changes],
        before=snapshot,
        touched=[inventory.ref(o) for o in before],
        write=write,
    )
    return changes


def check_seen(environment: Environment, seen: list[ImageChange], changes: list[ImageChange]) -> None:
    """Pure: nothing is written unless the changes are still those the preview showed."""
    if changes != list(seen):
        raise Conflict(f"{environment.ref} changed since the preview: {_moved(seen, changes)}; nothing applied")


def _moved(seen: list[ImageChange], now: list[ImageChange]) -> str:
    shown = {(c.workload, c.container): c for c in seen}
    for change in now:
        old = shown.get((change.workload, change.container))
        if old is None or old.old != change.old:
            was = old.old if old else change.new
            return f"{change.workload} {change.container} is now {change.old} (the preview showed {was})"
    gone = [c for c in seen if (c.workload, c.container) not in {(n.workload, n.container) for n in now}]
    if gone:
        return f"{gone[0].workload} {gone[0].container} already runs {gone[0].new}"
    return "the planned changes differ from the preview"


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
        api_discovery.kind_of(cluster, old),
        namespace,
        old["metadata"]["name"],
        operations,
        lambda live: _images(live) == _images(old),
    )


def _images(obj: Obj) -> list[str]:
    spec = inventory.pod_spec(obj) or {}
    return [c.get("image", "") for field in ("containers", "initContainers") for c in spec.get(field) or []]
