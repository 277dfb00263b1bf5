"""Destroy non-production environments; garbage-collect expired and interrupted ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotclone.core import discovery, kinds
from hotclone.core.cluster import Cluster
from hotclone.core.errors import Refused
from hotclone.core.models import PROTECTED_TYPES, Environment
from hotclone.core.schema import LABEL_APP

# An interrupted clone younger than this may still be running in another terminal.
INCOMPLETE_GRACE = timedelta(minutes=15)


def refuse_protected(environment: Environment) -> None:
    if environment.type in PROTECTED_TYPES:
        raise Refused(f"{environment.ref} is of type {environment.type}: hotclone never destroys it")


def destroy(cluster: Cluster, environment: Environment) -> Environment:
    environment = discovery.current(cluster, environment)
    refuse_protected(environment)
    cluster.delete(kinds.NAMESPACE, None, environment.namespace)
    return environment


def expired(cluster: Cluster, now: datetime) -> list[Environment]:
    """Expired environments and clones interrupted long ago, never production or qa."""
    found = []
    for namespace in cluster.list(kinds.NAMESPACE, label_selector=LABEL_APP):
        environment = discovery.from_namespace(namespace, cluster.context, cluster.server)
        if environment.type in PROTECTED_TYPES or namespace["metadata"].get("deletionTimestamp"):
            continue
        stale = (
            environment.incomplete and environment.created is not None and now - environment.created > INCOMPLETE_GRACE
        )
        if environment.expired(now) or stale:
            found.append(environment)
    return sorted(found, key=lambda e: (e.app, e.name))


def gc(cluster: Cluster, now: datetime) -> list[Environment]:
    removed = []
    for environment in expired(cluster, now):
        cluster.delete(kinds.NAMESPACE, None, environment.namespace)
        removed.append(environment)
    return removed
