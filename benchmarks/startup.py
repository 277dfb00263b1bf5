"""Start-up time of a headless command, as a user sees it: a whole `hotclone envs APP --json` process.

    .venv/bin/python -m benchmarks.startup --kubeconfig K --app A [--context C] [--runs 15]
    .venv/bin/python -m benchmarks.startup                     # starts and seeds its own control plane
    .venv/bin/python -m benchmarks.startup ... --hotclone /old/venv/bin/hotclone --hotclone .venv/bin/hotclone

Python start, imports, kubeconfig, one list call to the API server and the JSON: median,
min and max of --runs runs after one unrecorded warm-up. With several --hotclone the runs
take turns (a, b, a, b, ...) so a busy machine slows every installation alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.measure import Figure, describe_machine, machine, run_process, table
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, ControlPlane

HOTCLONE = Path(sys.executable).parent / "hotclone"


def measure(executables: list[str], kubeconfig: str, context: str, app: str, runs: int) -> list[Figure]:
    commands = {
        exe: [exe, "envs", app, "--json", "--kubeconfig", kubeconfig, "--context", context] for exe in executables
    }
    figures = {exe: Figure(key=f"startup:{exe}", name=f"{exe} envs APP --json", size=app) for exe in executables}
    for command in commands.values():
        run_process(command)  # warm-up: file cache, .pyc files
    for _ in range(runs):
        for exe, command in commands.items():
            figures[exe].runs.append(run_process(command))
    return list(figures.values())


@contextmanager
def seeded_plane() -> Iterator[tuple[str, str]]:
    """A local control plane of its own with TopicShare seeded: (kubeconfig, app)."""
    from hotclone.core.cluster import Cluster
    from hotclone.core.demo import DEMO_APP, seed

    plane = ControlPlane.start(with_kwok=False)  # envs lists namespaces: no pods needed
    try:
        cluster = Cluster.connect(str(plane.kubeconfig), ADMIN_CONTEXT)
        seed(cluster, DEMO_APP)
        cluster.close()
        yield str(plane.kubeconfig), DEMO_APP
    finally:
        plane.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", help="a cluster seeded with --app (default: start a local control plane)")
    parser.add_argument("--context", default=ADMIN_CONTEXT)
    parser.add_argument("--app", help="application to list (required with --kubeconfig)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hotclone", action="append", help="console script(s) to time (default: this venv's)")
    parser.add_argument("--json", dest="json_path", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.kubeconfig and not args.app:
        parser.error("--app is required with --kubeconfig")
    executables = args.hotclone or [str(HOTCLONE)]

    if args.kubeconfig:
        figures = measure(executables, args.kubeconfig, args.context, args.app, args.runs)
    else:
        with seeded_plane() as (kubeconfig, app):
            figures = measure(executables, kubeconfig, ADMIN_CONTEXT, app, args.runs)

    info = machine()
    print(table(figures))
    print(f"\n{args.runs} runs each after one warm-up; machine: {describe_machine(info)}")
    if args.json_path:
        data = {"machine": info, "figures": [f.as_json() for f in figures]}
        Path(args.json_path).write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
