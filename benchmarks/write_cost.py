"""What the write path costs, as a user sees it: whole `hotclone clone` and `hotclone promote` processes.

    .venv/bin/python -m benchmarks.write_cost [--runs 5] [--hotclone OLD/bin/hotclone --hotclone .venv/bin/hotclone]

Starts its own control plane (no kwok: no pods, so a promote waits for nothing), seeds
one M-sized app (production: 40 workloads, 157 objects), and per run and installation:
clones production, changes one image in the clone, and promotes it back with --no-wait;
only the clone and the promote are timed. Installations take turns, so a busy machine
slows each alike. Used to price the journal (issue 10): pass the installation from
before it and this one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from benchmarks.data import EnvSpec, env_objects
from benchmarks.measure import Figure, describe_machine, machine, run_process, table
from hotclone.core import api_discovery, demo, kinds
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, ControlPlane

HOTCLONE = Path(sys.executable).parent / "hotclone"
APP = "wcost"


def seed(cluster: Cluster) -> int:
    demo.seed_types(cluster, APP)
    spec = EnvSpec(APP, "production", "1.9.3", workloads=40)
    cluster.create(kinds.NAMESPACE, None, demo.namespace_object(APP, "production", "production"))
    objects = env_objects(spec)
    for obj in objects:
        cluster.create(api_discovery.kind_of(cluster, obj), spec.namespace, obj)
    return len(objects)


def measure(executables: list[str], kubeconfig: str, runs: int) -> list[Figure]:
    base = ["--kubeconfig", kubeconfig, "--context", ADMIN_CONTEXT]
    clones = {exe: Figure(key=f"clone:{exe}", name=f"{exe} clone (157 objects)", size="M") for exe in executables}
    promotes = {exe: Figure(key=f"promote:{exe}", name=f"{exe} promote --no-wait", size="M") for exe in executables}
    names = (f"c{n}" for n in itertools.count())
    for run in range(runs + 1):  # the first round is a warm-up
        for exe in executables:
            name = next(names)
            cloned = run_process([exe, "clone", APP, "production", name, "--yes", *base])
            run_process([exe, "set-image", APP, name, f"web={APP}/web:9.{run}.{name}", "--yes", *base])
            argv = [exe, "promote", APP, name, "--yes", "--confirm", "production", "--no-wait", *base]
            argv += ["--reason", "benchmark"]
            promoted = run_process(argv)
            run_process([exe, "destroy", APP, name, "--yes", *base])
            if run:
                clones[exe].runs.append(cloned)
                promotes[exe].runs.append(promoted)
    return [*clones.values(), *promotes.values()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hotclone", action="append", help="an installation's hotclone executable (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    executables = args.hotclone or [str(HOTCLONE)]
    plane = ControlPlane.start(with_kwok=False)
    try:
        cluster = Cluster.connect(str(plane.kubeconfig), ADMIN_CONTEXT)
        print(f"seeded {seed(cluster)} objects in {APP}-production", file=sys.stderr)
        figures = measure(executables, str(plane.kubeconfig), args.runs)
    finally:
        plane.stop()
    print(describe_machine(machine()))
    print(table(figures))
    if args.json:
        payload = {"machine": machine(), "figures": [f.as_json() for f in figures]}
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
