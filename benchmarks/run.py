"""hotclone benchmarks: `.venv/bin/python -m benchmarks.run [--quick] [--sizes S,M,L,XL] [--runs 5] [--json PATH]`.

A benchmark, not a test: it starts its own local control plane per data size (never
your cluster), seeds it, measures, prints a table (median, min, max of --runs runs
after one unrecorded warm-up run) and writes the same figures as JSON. `--only GROUPS`
runs some groups of figures (e.g. `--sizes M --only cross-cluster`: issue 14's clone from
one control plane into a second one).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import dashboard, handmade, rawclient
from benchmarks.apimetrics import reader
from benchmarks.data import DataSet, dataset, env_objects, scaling_set, seed, seed_writes
from benchmarks.measure import Figure, machine, repeat, repeat_values, run_process, timed
from benchmarks.rawclient import RawClient, image_changer
from benchmarks.report import render
from hotclone.core import api_discovery, demo, envtypes, inventory, kinds, material_policy
from hotclone.core import diff as diff_ops
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, ControlPlane, find_binaries, join_kubeconfigs, versions
from hotclone.core.errors import AlreadyExists, Conflict, NotFound
from hotclone.core.models import CloneResult, ImageSpec
from hotclone.core.schema import SYSTEM_NAMESPACE, TYPE_TEMPLATES_KEY, TYPE_TTL_KEY, environment_type_configmap_name
from hotclone.core.session import Session

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOTCLONE = VENV_BIN / "hotclone"
PYTHON = Path(sys.executable)
SCALING_SIZES = (10, 40, 160, 640)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Bench:
    plane: ControlPlane
    cluster: Cluster
    data: DataSet
    runs: int
    wait_deletions: bool = True  # off in --quick: deleted namespaces then go away in the background
    counter: Any = None

    def __post_init__(self) -> None:
        self.counter = itertools.count(1)

    @property
    def app(self) -> str:
        return self.data.main_app

    def hotclone(self, *args: str) -> list[str]:
        return [str(HOTCLONE), *args, "--kubeconfig", str(self.plane.kubeconfig), "--context", ADMIN_CONTEXT]

    def session(self) -> Session:
        return Session.connect(str(self.plane.kubeconfig), ADMIN_CONTEXT)

    def counted_session(self) -> tuple[Session, Cluster]:
        """A session and its connection, whose request counter the figures read."""
        cluster = Cluster.connect(str(self.plane.kubeconfig), ADMIN_CONTEXT)
        return Session(cluster), cluster

    def fresh_name(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def remove_namespace(self, namespace: str, timeout: float = 180.0) -> None:
        """Delete and wait until gone, so background deletion does not overlap the next run."""
        try:
            self.cluster.delete(kinds.NAMESPACE, None, namespace)
        except NotFound:
            return
        self.wait_gone(self.cluster, namespace, timeout)

    def wait_gone(self, where: Cluster, namespace: str, timeout: float = 180.0) -> None:
        """Wait until a namespace deleted in `where` (this plane or another) is gone (not in --quick)."""
        if not self.wait_deletions:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                where.get(kinds.NAMESPACE, None, namespace)
            except NotFound:
                return
            time.sleep(0.2)
        log(f"warning: namespace {namespace} still terminating after {timeout:.0f} s")


# -- waiting for the control plane to go quiet -------------------------------------------------


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def wait_quiet(plane: ControlPlane, *, cap: float = 180.0, window: float = 2.0, threshold: float = 0.2) -> float:
    """Wait until the control plane uses < `threshold` of one core (controllers caught up)."""
    hz = os.sysconf("SC_CLK_TCK")
    started = time.monotonic()
    pids = list(plane.pids.values())
    while time.monotonic() - started < cap:
        before = _cpu_ticks(pids)
        time.sleep(window)
        used = (_cpu_ticks(pids) - before) / hz / window
        if used < threshold:
            break
    return time.monotonic() - started


# -- figures ------------------------------------------------------------------------------------


def list_figures(b: Bench, size: str) -> list[Figure]:
    """Figure 1 and 7 (listing): whole processes, interleaved with kubectl on the same data."""
    goal = 1.0 if size == "L" else None
    apps = Figure("apps", "`hotclone apps --json` (process)", size, goal=goal)
    apps.runs = repeat(lambda: run_process(b.hotclone("apps", "--json")), b.runs)
    envs = Figure("envs", f"`hotclone envs {b.app} --json` (process)", size, goal=goal)
    kubectl = Figure("kubectl_envs", "`kubectl get namespaces -l hotclone.io/app=APP -o json`", size)
    ratio_goal = 5.0 if size in ("L", "XL") else None  # issue 13: within 5x of kubectl
    ratio = Figure("ratio_envs", "ratio hotclone envs / kubectl get namespaces", size, unit="x", goal=ratio_goal)
    kube = handmade.list_envs_argv(find_binaries() / "kubectl", b.plane.kubeconfig, ADMIN_CONTEXT, b.app)
    run_process(b.hotclone("envs", b.app, "--json"))
    run_process(kube)
    for _ in range(b.runs):
        h = run_process(b.hotclone("envs", b.app, "--json"))
        k = run_process(kube)
        envs.runs.append(h)
        kubectl.runs.append(k)
        ratio.runs.append(h / k)
    return [apps, envs, kubectl, ratio]


DASHBOARD_GOALS: dict[str, dict[str, float]] = {  # issue 13's goals (RSS on L: the earlier issue's)
    "L": {"frame": 0.3, "list": 0.8, "focus": 0.1, "external": 1.0, "rss": 200.0},
    "XL": {"list": 1.5, "focus": 0.1, "external": 1.0, "rss": 300.0, "idle_lists": 0.0},
}
IDLE_SECONDS = 60.0
CHANGE_TIMEOUT = 15.0  # longer than today's 10 s poll: a polling dashboard still shows the change


def dashboard_figures(b: Bench, size: str) -> list[Figure]:
    """Figures 2 and 6: first frame, environment list, focus change, an external change on screen and
    peak RSS of the real dashboard in tmux."""
    goals = DASHBOARD_GOALS.get(size, {})
    frame = Figure("dash_first_frame", "dashboard: start to first frame (header)", size, goal=goals.get("frame"))
    paint = Figure("dash_first_paint", "dashboard: start to environment list", size, goal=goals.get("list"))
    focus = Figure("dash_focus", "dashboard: focus change to workloads shown", size, goal=goals.get("focus"))
    external = Figure(
        "dash_external", "dashboard: external image PATCH to new tag on screen", size, goal=goals.get("external")
    )
    rss = Figure("dash_rss", "dashboard: peak RSS (VmHWM)", size, unit="MB", goal=goals.get("rss"))
    figures = [frame, paint, focus, external, rss]
    ok, why = dashboard.available(PYTHON)
    if not ok:
        for f in figures:
            f.available, f.note = False, why
        return figures
    raw = RawClient(b.plane.kubeconfig, ADMIN_CONTEXT, connections=2)
    try:
        results = dashboard.measure(
            b.runs, HOTCLONE, b.plane.kubeconfig, ADMIN_CONTEXT, image_changer(raw), change_timeout=CHANGE_TIMEOUT
        )
    except (TimeoutError, OSError, ValueError, RuntimeError) as error:
        log(f"dashboard measurement failed: {error}")
        for f in figures:
            f.available, f.note = False, f"n/a (failed: {str(error).splitlines()[0][:80]})"
        return figures
    finally:
        raw.close()
    frame.runs = [r.first_frame for r in results]
    paint.runs = [r.env_list for r in results]
    focus.runs = [r.focus_change for r in results]
    rss.runs = [r.peak_rss_mb for r in results]
    seen = [r.external_change for r in results if r.external_change is not None]
    # A change not on screen within the timeout counts as the timeout: the median stays honest.
    external.runs = [r.external_change if r.external_change is not None else CHANGE_TIMEOUT for r in results]
    if len(seen) < len(results):
        external.note = f"{len(results) - len(seen)} of {len(results)} not on screen within {CHANGE_TIMEOUT:.0f} s"
        external.extra["not_seen_within_s"] = CHANGE_TIMEOUT
    return figures


def idle_figures(b: Bench, size: str, seconds: float = IDLE_SECONDS) -> list[Figure]:
    """API requests of an open, untouched dashboard over `seconds`, less the same window without it."""
    goal = DASHBOARD_GOALS.get(size, {}).get("idle_lists")
    window = f"{seconds:.0f} s"
    lists = Figure("dash_idle_lists", f"dashboard idle {window}: LIST requests", size, unit="requests", goal=goal)
    watches = Figure("dash_idle_watches", f"dashboard idle {window}: WATCH requests ended", size, unit="requests")
    others = Figure("dash_idle_other", f"dashboard idle {window}: GET and reviews", size, unit="requests")
    opened = Figure("dash_open_watches", "dashboard idle: watches open", size, unit="watches")
    figures = [lists, watches, others, opened]
    ok, why = dashboard.available(PYTHON)
    if not ok:
        for f in figures:
            f.available, f.note = False, why
        return figures
    raw = RawClient(b.plane.kubeconfig, ADMIN_CONTEXT, connections=1)
    try:
        found = dashboard.idle(HOTCLONE, b.plane.kubeconfig, ADMIN_CONTEXT, lambda: reader(raw), seconds)
    finally:
        raw.close()
    mine = found.during.minus(found.baseline).a_client_reads()
    lists.runs = [float(mine.verb("LIST"))]
    watches.runs = [float(mine.verb("WATCH"))]
    others.runs = [float(sum(mine.ended.values()) - mine.verb("LIST") - mine.verb("WATCH"))]
    opened.runs = [float(sum(found.watches.values()))]
    for f in figures:
        f.note = "one window (a count, not a timing)"
    lists.extra.update(
        baseline=found.baseline.as_json()["ended"],
        with_dashboard=found.during.as_json()["ended"],
        less_baseline=found.during.minus(found.baseline).as_json()["ended"],  # before a_client_reads()
        dashboard_only=mine.as_json()["ended"],
        watches_opened=dict(sorted(found.watches.items())),
    )
    return figures


def clone_figures(b: Bench, size: str) -> list[Figure]:
    """Figure 3 (whole process, 157-object env) and 7 (hand-made kubectl clone), interleaved."""
    source = f"{b.app}-production"
    objects = len(inventory.load(b.cluster, source))
    goal = 3.0 if size == "M" else None
    mine = Figure("clone_process", f"`hotclone clone` {objects}-object env (process)", size, goal=goal)
    theirs = Figure("kubectl_clone", "hand-made clone: kubectl get | strip | kubectl apply", size)
    ratio = Figure("ratio_clone", "ratio hotclone clone / hand-made kubectl clone", size, unit="x")
    kubectl = find_binaries() / "kubectl"

    def one() -> tuple[float, float]:
        name = b.fresh_name("c")
        h = run_process(b.hotclone("clone", b.app, "production", name, "--yes"))
        b.remove_namespace(f"{b.app}-{name}")
        target = f"hand-{b.fresh_name('k')}"
        k = run_process(handmade.clone_argv(kubectl, PYTHON, b.plane.kubeconfig, ADMIN_CONTEXT, source, target))
        b.remove_namespace(target)
        return h, k

    one()  # warm-up
    for _ in range(b.runs):
        h, k = one()
        mine.runs.append(h)
        theirs.runs.append(k)
        ratio.runs.append(h / k)
    mine.extra["objects_in_source"] = objects
    return [mine, theirs, ratio]


CROSS_TYPE = "remote-temp"  # the `temporary` type's templates and TTL, placing its clones in cluster B
HOME_CONTEXT, AWAY_CONTEXT = "bench-a", "bench-b"  # the merged kubeconfig's two contexts


def cross_type(app: str, context: str) -> Obj:
    """`app`'s `temporary` type as seeded, under another name and naming `context` as its cluster."""
    wanted = environment_type_configmap_name("temporary", app)
    temporary = next(c for c in demo.type_configmaps(app) if c["metadata"]["name"] == wanted)
    data = temporary["data"]
    return envtypes.type_configmap(
        CROSS_TYPE, data[TYPE_TEMPLATES_KEY], data.get(TYPE_TTL_KEY), app=app, cluster=context
    )


def cross_cluster_figures(b: Bench, size: str) -> list[Figure]:
    """Issue 14: in-process clone of production from this plane (A) into a second plane (B), the type
    naming B's context, paired run by run with the same clone within A (`temporary`, same templates)
    through the same two-context session; each clone destroyed and its namespace gone before the next."""
    log(f"{size}: starting a second control plane (cluster B)")
    other = ControlPlane.start(with_kwok=False)
    try:
        quiet = wait_quiet(other)
        log(f"{size}: cluster B quiet after {quiet:.1f} s")
        config = join_kubeconfigs(
            other.workdir / "two-clusters.kubeconfig",
            [(b.plane, {ADMIN_CONTEXT: HOME_CONTEXT}), (other, {ADMIN_CONTEXT: AWAY_CONTEXT})],
        )
        with contextlib.suppress(AlreadyExists):
            b.cluster.create(kinds.CONFIGMAP, SYSTEM_NAMESPACE, cross_type(b.app, AWAY_CONTEXT))
        home = Cluster.connect(str(config), HOME_CONTEXT)
        away = Cluster.connect(str(config), AWAY_CONTEXT)
        session = Session(home, others=[away])
        try:
            return _cross_cluster_runs(b, size, session, home, away)
        finally:
            session.close()
    finally:
        other.stop()


def _cross_cluster_runs(b: Bench, size: str, session: Session, home: Cluster, away: Cluster) -> list[Figure]:
    source_objects = len(inventory.load(b.cluster, f"{b.app}-production"))
    production = session.environment(b.app, f"production@{HOME_CONTEXT}")
    session.identity  # noqa: B018 - who A says we are: asked once per session, before the clock as in clone_in_process
    counts: dict[str, list[int]] = {"cross_a": [], "cross_b": [], "same_a": [], "same_b": [], "objects": []}

    def one(env_type: str, where: Cluster, kind: str) -> float:
        name = b.fresh_name("x")
        made: list[CloneResult] = []
        before = home.request_count, away.request_count
        seconds = timed(lambda: made.append(session.clone(production, name, env_type=env_type)))
        counts[f"{kind}_a"].append(home.request_count - before[0])
        counts[f"{kind}_b"].append(away.request_count - before[1])
        result = made[0]
        if kind == "cross":
            if result.environment.cluster != AWAY_CONTEXT:
                raise RuntimeError(
                    f"the {CROSS_TYPE} clone landed in {result.environment.cluster!r}, not {AWAY_CONTEXT}"
                )
            counts["objects"].append(len(result.copied) + len(result.generated))
        session.destroy(result.environment)
        b.wait_gone(where, result.environment.namespace)
        return seconds

    one(CROSS_TYPE, away, "cross")  # warm-up: B's discovery and identity, connection pools
    one("temporary", home, "same")
    for values in counts.values():
        values.clear()
    cross = Figure("clone_cross_cluster", "", size)
    same = Figure("clone_same_cluster", "", size)
    ratio = Figure("ratio_cross_cluster", "ratio clone across clusters / within one", size, unit="x")
    for _ in range(b.runs):
        c = one(CROSS_TYPE, away, "cross")
        s = one("temporary", home, "same")
        cross.runs.append(c)
        same.runs.append(s)
        ratio.runs.append(c / s)
    objects = counts["objects"][0]
    cross.name = f"clone {source_objects}-object production, cluster A -> cluster B (in-process)"
    same.name = f"clone {source_objects}-object production within cluster A (in-process), paired"
    requests = [
        Figure("clone_cross_requests_a", "… its requests to cluster A (source)", size, unit="requests"),
        Figure("clone_cross_requests_b", "… its requests to cluster B (target)", size, unit="requests"),
        Figure("clone_same_requests_a", "same-cluster clone's requests to cluster A", size, unit="requests"),
    ]
    for figure, key in zip(requests, ("cross_a", "cross_b", "same_a"), strict=True):
        figure.runs = [float(n) for n in counts[key]]
        figure.note = "a count, not a timing"
    if any(counts["same_b"]):
        log(f"{size}: warning: the same-cluster clone asked cluster B too: {counts['same_b']}")
    cross.extra.update(
        objects_in_source=source_objects,
        objects_created_in_b=objects,
        requests_a=counts["cross_a"],
        requests_b=counts["cross_b"],
        env_type=CROSS_TYPE,
        contexts=[HOME_CONTEXT, AWAY_CONTEXT],
    )
    same.extra.update(objects_in_source=source_objects, requests_a=counts["same_a"], requests_b=counts["same_b"])
    return [cross, same, ratio, *requests]


def discovery_figures(b: Bench, size: str) -> list[Figure]:
    """What finding every kind costs: aggregated discovery cold (a new connection) and cached,
    and reading one environment's objects (one LIST per material kind)."""
    cold = Figure("discovery_cold", "discovery of every kind, cold (new connection)", size)
    cached = Figure("discovery_cached", "discovery of every kind, cached", size)
    read = Figure("inventory_read", "read one environment, every material kind (in-process)", size)
    source = f"{b.app}-production"
    requests: dict[str, int] = {}

    def fresh() -> float:
        cluster = Cluster.connect(str(b.plane.kubeconfig), ADMIN_CONTEXT)
        try:
            seconds = timed(lambda: api_discovery.catalog(cluster))
            requests["cold"] = api_discovery.catalog(cluster).requests
            before = cluster.request_count
            cached.runs.append(timed(lambda: api_discovery.catalog(cluster)))
            requests["cached"] = cluster.request_count - before
            before = cluster.request_count
            read.runs.append(timed(lambda: inventory.read(cluster, source)))
            requests["read"] = cluster.request_count - before
            return seconds
        finally:
            cluster.close()

    cold.runs = repeat_values(fresh, b.runs)
    del cached.runs[: len(cached.runs) - b.runs], read.runs[: len(read.runs) - b.runs]  # the warm-up's
    catalog = api_discovery.catalog(b.cluster)
    wanted, excluded = material_policy.material_kinds(catalog.namespaced())
    cold.extra.update(requests=requests["cold"], kinds_served=len(catalog.kinds))
    cached.extra["requests"] = requests["cached"]
    read.extra.update(requests=requests["read"], material_kinds=len(wanted), excluded_kinds=len(excluded))
    return [cold, cached, read]


CLONE_GOALS = {640: 1.2}  # issue 13
SERVER_LIMIT_RATIO_GOAL = 1.5
SERVER_LIMIT_THREADS = (4, 8, 16, 32, 64)


def clone_in_process(b: Bench, n: int, requests: list[int]) -> float:
    """One in-process clone of the n-object environment (connection made and warm beforehand)."""
    session, cluster = b.counted_session()
    name = b.fresh_name("s")
    try:
        session.identity  # noqa: B018 - the whoami round trip is part of a clone, counted below
        source = session.environment("scale", f"n{n}")
        before = cluster.request_count
        seconds = timed(lambda: session.clone(source, name))
        requests.append(cluster.request_count - before)
    finally:
        session.close()
        b.remove_namespace(f"scale-{name}")
    return seconds


def raw_creates(b: Bench, raw: RawClient, objects: list[Obj], threads: int) -> float:
    """The API server's side of a clone: a new namespace, then the same objects created `threads` at a
    time by the minimal client, bodies encoded before the clock starts."""
    namespace = b.fresh_name("raw-")
    writes = seed_writes(b.cluster, [(obj, namespace) for obj in objects])
    ns = rawclient.create(
        kinds.NAMESPACE.collection_path(), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    )
    try:
        started = time.perf_counter()
        statuses = [raw.send(ns), *raw.send_all(writes, threads)]
        elapsed = time.perf_counter() - started
    finally:
        b.remove_namespace(namespace)
    failed = rawclient.failures(statuses, (201,))
    if failed:
        raise RuntimeError(f"raw creates: {len(failed)} of {len(statuses)} failed (HTTP {sorted(set(failed))})")
    return elapsed


def server_limit_figures(b: Bench, n: int) -> list[Figure]:
    """The fastest the API server accepts the creates of an n-object clone (minimal client, the thread
    count tuned: the best of SERVER_LIMIT_THREADS), and hotclone's in-process clone as a ratio to it,
    the two interleaved run by run."""
    objects = env_objects(next(e for e in b.data.envs if e.exact_objects == n))
    limit = Figure(f"server_limit_{n}", f"API server limit: {n} creates + namespace, minimal client", "scaling")
    mine = Figure(f"clone_{n}_paired", f"clone {n} objects (in-process), paired with the limit", "scaling")
    goal = SERVER_LIMIT_RATIO_GOAL if n == 640 else None
    ratio = Figure(f"ratio_server_limit_{n}", "ratio hotclone clone / API server limit", "scaling", unit="x", goal=goal)
    raw = RawClient(b.plane.kubeconfig, ADMIN_CONTEXT, connections=max(SERVER_LIMIT_THREADS))
    try:
        raw_creates(b, raw, objects, SERVER_LIMIT_THREADS[-1])  # warm-up
        # Each thread count's best of two: the tuning only picks the count, the figure is measured below.
        tuning = {t: min(raw_creates(b, raw, objects, t) for _ in range(2)) for t in SERVER_LIMIT_THREADS}
        best = min(tuning, key=lambda t: tuning[t])
        requests: list[int] = []
        clone_in_process(b, n, requests)  # warm-up
        for _ in range(b.runs):
            h = clone_in_process(b, n, requests)
            k = raw_creates(b, raw, objects, best)
            mine.runs.append(h)
            limit.runs.append(k)
            ratio.runs.append(h / k)
    finally:
        raw.close()
    limit.note = f"{best} threads"
    limit.extra.update(threads=best, tuning_seconds={str(t): round(s, 3) for t, s in tuning.items()})
    return [limit, mine, ratio]


def scaling_figures(b: Bench, sizes: tuple[int, ...]) -> tuple[list[Figure], dict[str, Any]]:
    """Figure 3 (scaling): in-process clone of N-object environments, time and API requests."""
    figures, points = [], []
    for n in sizes:
        figure = Figure(f"clone_{n}", f"clone {n} objects (in-process)", "scaling", goal=CLONE_GOALS.get(n))
        requests: list[int] = []

        def one(n: int = n, requests: list[int] = requests) -> float:
            return clone_in_process(b, n, requests)

        figure.runs = repeat_values(one, b.runs)
        requests = requests[1:]  # drop the warm-up
        figure.extra = {"objects": n, "requests": requests, "requests_minus_objects": [r - n for r in requests]}
        figure.note = f"{statistics.median(requests):.0f} requests"
        figures.append(figure)
        points.append((n, figure.median or 0.0, statistics.median(requests)))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    fit: dict[str, Any] = {"points": [{"objects": n, "median_s": s, "requests": r} for n, s, r in points]}
    if len(xs) >= 2:
        slope, intercept = statistics.linear_regression(xs, ys)
        fit.update(
            seconds_per_object=slope,
            fixed_seconds=intercept,
            r_squared=statistics.correlation(xs, ys) ** 2,
            request_overhead=[r - n for n, _, r in points],
        )
    return figures, fit


def diff_figures(b: Bench, size: str) -> list[Figure]:
    """Figure 4: diff of production and qa (157 objects each): compute only, in-process, process."""
    left, right = f"{b.app}-production", f"{b.app}-qa"
    a, c = inventory.load(b.cluster, left), inventory.load(b.cluster, right)
    goal = 0.3 if size == "M" else None

    def compute() -> object:
        return diff_ops.compare(a, c, left_namespace=left, right_namespace=right, left_name=left, right_name=right)

    result = diff_ops.compare(a, c, left_namespace=left, right_namespace=right, left_name=left, right_name=right)
    only = Figure("diff_compute", f"diff {len(a)} vs {len(c)} objects, compute only", size, goal=goal)
    only.runs = repeat(compute, b.runs)
    only.extra["changed_objects"] = len(result.changed)
    session = b.session()
    try:
        inproc = Figure("diff_inprocess", "diff, reads + compute (in-process Session.diff)", size)
        production, qa = session.environment(b.app, "production"), session.environment(b.app, "qa")
        inproc.runs = repeat(lambda: session.diff(production, qa), b.runs)
    finally:
        session.close()
    process = Figure("diff_process", "`hotclone diff APP production qa` (process)", size)
    process.runs = repeat(lambda: run_process(b.hotclone("diff", b.app, "production", "qa"), ok=(0, 1)), b.runs)
    return [only, inproc, process]


def promote_figures(b: Bench, size: str) -> list[Figure]:
    """Figure 5: promote a 40-workload clone (one image changed) back to production, --no-wait."""
    goal = 5.0 if size == "M" else None
    process = Figure("promote_process", "`hotclone promote` clone -> production, --no-wait (process)", size, goal=goal)
    plan_f = Figure("promote_plan", "promote plan incl. server dry run (in-process)", size)
    apply_f = Figure("promote_apply", "promote apply (in-process)", size)
    session, cluster = b.counted_session()
    production = session.environment(b.app, "production")
    try:

        def prepare() -> str:
            name = b.fresh_name("p")
            clone = session.clone(production, name).environment
            spec = [ImageSpec("web", None, f"{b.app}/web:1.9.4-{name}")]
            for attempt in range(10):
                # A fresh clone's Deployments get their first status from the controller manager,
                # which bumps resourceVersion under set-image's precondition (see the report).
                try:
                    shown, _ = session.plan_set_image(clone, spec)
                    session.set_image(clone, spec, seen=shown)
                    break
                except Conflict:
                    if attempt == 9:
                        raise
                    time.sleep(0.5)
            return name

        def by_process() -> float:
            name = prepare()
            try:
                argv = b.hotclone(
                    "promote", b.app, name, "--yes", "--confirm", "production", "--reason", "benchmark", "--no-wait"
                )
                return run_process(argv)
            finally:
                b.remove_namespace(f"{b.app}-{name}")

        def in_process() -> tuple[float, float, int]:
            name = prepare()
            try:
                clone = session.environment(b.app, name)
                before = cluster.request_count
                started = time.perf_counter()
                plan = session.plan_promote(clone)
                planned = time.perf_counter()
                session.apply(plan, confirm="production", reason="benchmark")
                done = time.perf_counter()
                return planned - started, done - planned, cluster.request_count - before
            finally:
                b.remove_namespace(f"{b.app}-{name}")

        process.runs = repeat_values(by_process, b.runs)
        in_process()  # warm-up
        requests = []
        for _ in range(b.runs):
            p, a, r = in_process()
            plan_f.runs.append(p)
            apply_f.runs.append(a)
            requests.append(r)
        plan_f.extra["requests_plan_and_apply"] = requests
    finally:
        session.close()
    return [process, plan_f, apply_f]


# -- driver ---------------------------------------------------------------------------------


def run_step(size: str, name: str, step: Callable[[], list[Figure]]) -> list[Figure]:
    """One group of figures; a failure is recorded as a row instead of ending the run."""
    log(f"{size}: {name} (load average {os.getloadavg()[0]:.2f})")
    try:
        found = step()
    except Exception as error:
        log(f"{size}: {name} failed: {error}")
        message = str(error).splitlines()[0][-160:]
        return [Figure(f"{name}_failed", f"{name}: failed", size, available=False, note=f"failed: {message}")]
    for figure in found:  # other work on the machine shows here
        figure.extra["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    return found


def bench_scaling(runs: int, scaling: tuple[int, ...], *, quick: bool, report: dict[str, Any]) -> list[Figure]:
    """Clone scaling on its own control plane (the local service range is a /24: see data.py)."""
    data = scaling_set(scaling)
    log("scaling: starting a local control plane")
    plane = ControlPlane.start(with_kwok=False)
    try:
        cluster = Cluster.connect(str(plane.kubeconfig), ADMIN_CONTEXT)
        seed(cluster, data)
        wait_quiet(plane)
        b = Bench(plane, cluster, data, runs, wait_deletions=not quick)

        def step() -> list[Figure]:
            found, fit = scaling_figures(b, scaling)
            report["clone_scaling"] = fit
            return found

        figures = run_step("scaling", "clone scaling", step)
        figures += run_step("scaling", "API server limit", lambda: server_limit_figures(b, max(scaling)))
        cluster.close()
    finally:
        plane.stop()
    return figures


NO_CONTROLLERS = ("XL",)  # sizes measured without the controller manager: read figures only


def bench_size(
    size: str,
    runs: int,
    *,
    change_figures: bool,
    quick: bool,
    report: dict[str, Any],
    seed_only: bool = False,
    idle_seconds: float = IDLE_SECONDS,
    only: frozenset[str] = frozenset(),
) -> list[Figure]:
    data = dataset(size)
    log(f"{size}: starting a local control plane")
    plane = ControlPlane.start(with_kwok=False)
    figures: list[Figure] = []
    try:
        cluster = Cluster.connect(str(plane.kubeconfig), ADMIN_CONTEXT)
        b = Bench(plane, cluster, data, runs, wait_deletions=not quick)
        if size in NO_CONTROLLERS:
            # The controllers would write a first status into each of XL's 26,000 Deployments (and every
            # StatefulSet, PDB and HPA) at their 20 requests/s: 20 minutes of writes under every figure.
            plane.kill("kube-controller-manager")
            log(f"{size}: kube-controller-manager stopped (no status writes under the figures)")
        log(f"{size}: seeding {data.total_objects()} objects ({data.description})")
        raw = RawClient(plane.kubeconfig, ADMIN_CONTEXT)
        seconds = timed(lambda: seed(cluster, data, raw=raw))
        raw.close()
        quiet = wait_quiet(plane)
        log(f"{size}: seeded in {seconds:.1f} s, control plane quiet after {quiet:.1f} s more")
        report["datasets"][size] = {
            "description": data.description,
            "apps": len({e.app for e in data.envs}),
            "environments": len(data.envs),
            "objects": data.total_objects(),
            "main_app": data.main_app,
            "objects_in_main_app": data.objects_in(data.main_app),
            "seed_seconds": round(seconds, 1),
            "settle_seconds": round(quiet, 1),
        }
        if seed_only:
            cluster.close()
            return figures
        steps: list[tuple[str, Callable[[], list[Figure]]]] = [
            ("listing", lambda: list_figures(b, size)),
            ("dashboard", lambda: dashboard_figures(b, size)),
            ("dashboard idle", lambda: idle_figures(b, size, idle_seconds)),
        ]
        if change_figures:
            steps += [
                ("discovery", lambda: discovery_figures(b, size)),
                ("diff", lambda: diff_figures(b, size)),
                ("clone", lambda: clone_figures(b, size)),
                ("promote", lambda: promote_figures(b, size)),
                ("cross-cluster", lambda: cross_cluster_figures(b, size)),
            ]
        for name, step in steps:
            if selected(name, only):
                figures += run_step(size, name, step)
        cluster.close()
    finally:
        plane.stop()
    return figures


READ_GROUPS = frozenset({"listing", "dashboard", "dashboard-idle"})  # on every size; the rest on one or none
GROUPS = (
    "listing",
    "dashboard",
    "dashboard-idle",
    "discovery",
    "diff",
    "clone",
    "promote",
    "cross-cluster",
    "scaling",
)


def selected(name: str, only: frozenset[str]) -> bool:
    """Is the group of figures `name` (as logged; a dash for a space) asked for? All when none are named."""
    return not only or name.replace(" ", "-") in only


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="S only, 3 runs, scaling 10 and 40 (about a minute)")
    parser.add_argument("--sizes", help="comma-separated data sizes: S,M,L,XL (default: S,M,L,XL; --quick: S)")
    parser.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS, help="the idle window (default 60)")
    parser.add_argument("--seed-only", action="store_true", help="only start, seed and time the seeding of --sizes")
    parser.add_argument("--runs", type=int, help="timed runs per figure (default 5; --quick 3)")
    parser.add_argument(
        "--only",
        help=f"comma-separated groups of figures to run (default: all): {', '.join(GROUPS)}; the clone, diff, "
        "promote and cross-cluster groups run on M (else the largest writable size)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    args = parser.parse_args(argv)
    only = frozenset(g.strip().lower() for g in (args.only or "").split(",") if g.strip())
    if only - set(GROUPS):
        parser.error(f"--only: unknown group(s) {', '.join(sorted(only - set(GROUPS)))} (known: {', '.join(GROUPS)})")
    sizes = [s.strip().upper() for s in (args.sizes or ("S" if args.quick else "S,M,L,XL")).split(",") if s.strip()]
    runs = args.runs or (3 if args.quick else 5)
    scaling = SCALING_SIZES[:2] if args.quick else SCALING_SIZES
    # Clone, diff, promote and cross-cluster run on M (the 160-object environments), else on the
    # largest size given.
    # Never on XL, whose control plane runs without controllers (namespaces are never deleted there).
    writable = [s for s in sizes if s not in NO_CONTROLLERS]
    change_size = "M" if "M" in writable else (writable[-1] if writable else "")

    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "kubernetes": versions().get("KUBERNETES_VERSION", "")},
        "runs": runs,
        "quick": args.quick,
        "method": "median/min/max of --runs timed runs after one unrecorded warm-up run",
        "datasets": {},
        "figures": [],
    }
    figures: list[Figure] = []
    for size in sizes:
        change = size == change_size
        if only and not args.seed_only and not (only & READ_GROUPS or (change and only - READ_GROUPS - {"scaling"})):
            log(f"{size}: skipped (none of --only's groups run on it)")
            continue
        figures += bench_size(
            size,
            runs,
            change_figures=change,
            quick=args.quick,
            report=report,
            seed_only=args.seed_only,
            idle_seconds=args.idle_seconds,
            only=only,
        )
        report["figures"] = [f.as_json() for f in figures]
        write(args.json, report)  # after every size: a cut-short run still leaves its figures
    if scaling and not args.seed_only and selected("scaling", only):
        figures += bench_scaling(runs, scaling, quick=args.quick, report=report)
        report["figures"] = [f.as_json() for f in figures]
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    write(args.json, report)
    print()
    print(render(report))
    print(f"\nJSON: {args.json}")
    return 0


def write(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
