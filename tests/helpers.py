"""Run the real `hotclone` command in-process, the way a user would, and capture what it prints."""

from __future__ import annotations

import contextlib
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from hotclone.cli.main import main
from hotclone.core import api_discovery, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo.controlplane import ADMIN_CONTEXT
from hotclone.core.errors import AlreadyExists
from hotclone.core.kinds import Kind
from hotclone.core.models import ConfigChange, Environment, ImageChange, ImageSpec


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class _NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


def run_cli(*argv: str, kubeconfig: str | None = None, context: str = ADMIN_CONTEXT, stdin: str = "") -> Result:
    args = list(argv)
    if kubeconfig:
        args += ["--kubeconfig", kubeconfig, "--context", context]
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = _NotATerminal(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exit_:  # argparse
                code = int(exit_.code or 0)
    finally:
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


def namespace_objects(cluster: Cluster, namespace: str) -> dict[str, Obj]:
    """kind/name -> object, read straight from the cluster (never trust return values)."""
    from hotclone.core import inventory

    return {inventory.ref(o): o for o in inventory.load(cluster, namespace)}


def kubeconfig_variant(kubeconfig: str, folder: Path, **changes: str) -> str:
    """A copy of the test kubeconfig pointing at another server or carrying another token."""
    with open(kubeconfig) as source:
        config = yaml.safe_load(source)
    if "server" in changes:
        config["clusters"][0]["cluster"]["server"] = changes["server"]
    if "token" in changes:
        config["users"][0]["user"]["token"] = changes["token"]
    path = folder / f"config-{len(changes)}-{'-'.join(changes)}"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def set_image_as_previewed(
    cluster: Cluster, environment: Environment, specs: list[ImageSpec], *, user: str = "u", reason: str = ""
) -> list[ImageChange]:
    """What a front end does: preview, then apply guarded by what the preview showed."""
    from hotclone.core import images

    shown, _ = images.plan(cluster, environment, specs)
    return images.apply(cluster, environment, specs, seen=shown, user=user, reason=reason)


def set_config_as_previewed(
    cluster: Cluster, environment: Environment, name: str, values: dict[str, str], *, user: str = "u", reason: str = ""
) -> list[ConfigChange]:
    from hotclone.core import configmap_values

    shown, _ = configmap_values.plan(cluster, environment, name, values)
    return configmap_values.apply(cluster, environment, name, values, seen=shown, user=user, reason=reason)


def install_crd(cluster: Cluster, group: str, kind: str) -> Kind:
    """A namespaced CRD `<kind>s.<group>` (v1, any fields), once it is Established; kept if it exists."""
    plural = kind.lower() + "s"
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    }
    with contextlib.suppress(AlreadyExists):
        cluster.create(kinds.CRD, None, body)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        conditions = (cluster.get(kinds.CRD, None, f"{plural}.{group}").get("status") or {}).get("conditions") or []
        if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            return api_discovery.kind_named(cluster, f"{kind}.{group}")
        time.sleep(0.1)
    raise AssertionError("the CRD never became Established")
