"""cProfile of the figures that miss their goal: `python -m benchmarks.profile [--size L] [--out FILE]`.

Starts its own control plane, seeds one data size and profiles, in this process
unless said otherwise:
- start-up: `python -X importtime` of `hotclone envs APP --json`, biggest imports;
- what the dashboard does before its first paint (MainScreen.load_all: applications()
  then version_matrix() of every application);
- one focus change (Session.workloads of one environment);
- diff compute of production vs qa (core.diff.compare);
- a clone of production and the promote plan + apply of that clone.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.data import dataset, seed
from hotclone.core import diff as diff_ops
from hotclone.core import inventory
from hotclone.core.cluster import Cluster
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, ControlPlane
from hotclone.core.errors import Conflict
from hotclone.core.models import ImageSpec
from hotclone.core.session import Session

HOTCLONE = Path(sys.executable).parent / "hotclone"


def profiled(title: str, action: Callable[[], object], top: int = 22) -> str:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    action()
    profile.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(12)
    body = "\n".join(line for line in out.getvalue().splitlines() if line.strip())
    return f"## {title}: {elapsed:.3f} s (under cProfile)\n\n```\n{body}\n```\n"


def import_times(argv: list[str], top: int = 25) -> str:
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.rstrip()))
    rows.sort(reverse=True)
    body = "\n".join(f"{us / 1000:8.1f} ms  {name}" for us, name in rows[:top])
    return f"## imports of `{' '.join(argv[:4])}` (cumulative, -X importtime)\n\n```\n{body}\n```\n"


def process_times(commands: list[list[str]], runs: int = 5) -> str:
    lines = [f"load average before: {os.getloadavg()[0]:.2f}"]
    for argv in commands:
        subprocess.run(argv, capture_output=True, check=False)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=False)
            times.append(time.perf_counter() - started)
        lines.append(
            f"{Path(argv[0]).name} {' '.join(argv[1:3])}: median {statistics.median(times):.3f} s, "
            f"min {min(times):.3f} s, max {max(times):.3f} s"
        )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import hotclone.cli.main"], check=False)
    lines.append(f"python -c 'import hotclone.cli.main': {time.perf_counter() - started:.3f} s")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import kubernetes"], check=False)
    lines.append(f"python -c 'import kubernetes': {time.perf_counter() - started:.3f} s")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=False)
    lines.append(f"python -c pass: {time.perf_counter() - started:.3f} s")
    return "## whole processes again (quiet check)\n\n```\n" + "\n".join(lines) + "\n```\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    data = dataset(args.size)
    app = data.main_app
    plane = ControlPlane.start(with_kwok=False)
    sections = [f"# cProfile, data {args.size}: {data.description}\n"]
    try:
        cluster = Cluster.connect(str(plane.kubeconfig), ADMIN_CONTEXT)
        seed(cluster, data)
        time.sleep(20)  # let the controllers catch up a little
        kube = ["--kubeconfig", str(plane.kubeconfig), "--context", ADMIN_CONTEXT]
        sections.append(import_times(["-m", "hotclone", "envs", app, "--json", *kube]))
        sections.append(
            process_times([[str(HOTCLONE), "apps", "--json", *kube], [str(HOTCLONE), "envs", app, "--json", *kube]])
        )
        session = Session(cluster)
        session.identity  # noqa: B018 - connection set-up is not what is profiled

        def dashboard_load() -> None:  # what tui.screens.main.MainScreen.load_all does
            apps = session.applications()
            if hasattr(session, "version_matrices"):
                session.version_matrices(apps)
            else:  # core before "one LIST per workload kind across namespaces"
                for a in apps:
                    session.version_matrix(a.name)

        before = cluster.request_count
        sections.append(profiled("dashboard load_all (applications + version matrices)", dashboard_load))
        sections.append(f"API requests of load_all: {cluster.request_count - before}\n")
        production = session.environment(app, "production")
        sections.append(profiled("focus change (workloads of one environment)", lambda: session.workloads(production)))
        left, right = f"{app}-production", f"{app}-qa"
        a, b = inventory.load(cluster, left), inventory.load(cluster, right)
        sections.append(
            profiled(
                f"diff compute, {len(a)} vs {len(b)} objects",
                lambda: diff_ops.compare(
                    a, b, left_namespace=left, right_namespace=right, left_name="a", right_name="b"
                ),
            )
        )
        production = session.environment(app, "production")
        sections.append(profiled("clone of production", lambda: session.clone(production, "prof1")))
        clone = session.environment(app, "prof1")
        for _ in range(10):  # a fresh clone's Deployments get their first status: retry the precondition
            try:
                spec = [ImageSpec("web", None, f"{app}/web:9.9.9")]
                shown, _ = session.plan_set_image(clone, spec)
                session.set_image(clone, spec, seen=shown)
                break
            except Conflict:
                time.sleep(0.5)

        def promote() -> None:
            plan = session.plan_promote(clone)
            session.apply(plan, confirm="production", reason="profile")

        sections.append(profiled("promote plan + apply of the clone", promote))
    finally:
        plane.stop()
    text = "\n".join(sections)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
