"""The version matrix: which image tag runs where."""

from __future__ import annotations

from hotclone.core.models import PRODUCTION, Environment, VersionMatrix, Workload


def column_names(environments: list[Environment]) -> tuple[str, ...]:
    """Each environment's column: its name, or `name@context` where two clusters share the name."""
    counts: dict[str, int] = {}
    for e in environments:
        counts[e.name] = counts.get(e.name, 0) + 1
    return tuple(e.address if counts[e.name] > 1 else e.name for e in environments)


def build(environments: list[Environment], workloads: list[list[Workload]]) -> VersionMatrix:
    names = column_names(environments)
    table: dict[str, list[str]] = {}
    for column, loaded in enumerate(workloads):
        for workload in loaded:
            row = table.setdefault(workload.ref, ["-"] * len(names))
            row[column] = ",".join(c.tag for c in workload.containers if not c.init)
    baseline = next((name for e, name in zip(environments, names, strict=True) if e.type == PRODUCTION), None)
    rows = tuple((ref, tuple(cells)) for ref, cells in sorted(table.items()))
    return VersionMatrix(names, rows, baseline)


def image_suggestions(workloads: list[Workload]) -> dict[str, list[str]]:
    """Container name -> distinct images seen anywhere in the app, newest-looking first."""
    seen: dict[str, list[str]] = {}
    for workload in workloads:
        for container in workload.containers:
            images = seen.setdefault(container.name, [])
            if container.image not in images:
                images.append(container.image)
    return {name: sorted(images, reverse=True) for name, images in seen.items()}
