"""Render a results JSON as markdown: `python -m benchmarks.report benchmarks/results/reference.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.measure import Figure, describe_machine, table

FIELDS = ("key", "name", "size", "unit", "runs", "goal", "note", "extra", "available")


def figures(report: dict[str, Any]) -> list[Figure]:
    return [Figure(**{k: f[k] for k in FIELDS}) for f in report["figures"]]


def scaling_sentence(report: dict[str, Any]) -> str:
    fit = report.get("clone_scaling") or {}
    if "seconds_per_object" not in fit:
        return ""
    points = ", ".join(f"{p['objects']}: {p['median_s']:.2f} s / {p['requests']:.0f} requests" for p in fit["points"])
    overhead = sorted(set(fit["request_overhead"]))
    return (
        f"Clone time grows linearly with environment size: about {fit['seconds_per_object'] * 1000:.1f} ms per object "
        f"plus {fit['fixed_seconds']:.2f} s fixed (R² = {fit['r_squared']:.3f}; {points}), and a clone makes "
        f"objects + {'/'.join(str(o) for o in overhead)} API requests (5 of them create the objects of the "
        f"`temporary` type's templates)."
    )


def idle_sentences(report: dict[str, Any]) -> list[str]:
    """What an idle dashboard asked the API server, per data size: requests less the baseline window's."""
    lines = []
    for f in report["figures"]:
        mine = f["extra"].get("dashboard_only")
        if f["key"] != "dash_idle_lists" or mine is None:
            continue
        asked = ", ".join(f"{n} {what}" for what, n in mine.items()) or "nothing"
        watches = ", ".join(f"{n} {what}" for what, n in f["extra"].get("watches_opened", {}).items()) or "none"
        lines.append(
            f"- {f['size']}: requests of an idle dashboard less the same window without it: {asked}; "
            f"watches it holds open: {watches}."
        )
    return lines


def server_limit_sentences(report: dict[str, Any]) -> list[str]:
    lines = []
    for f in report["figures"]:
        if f["key"].startswith("server_limit_") and "tuning_seconds" in f["extra"]:
            tried = ", ".join(f"{t} threads {s:.3f} s" for t, s in f["extra"]["tuning_seconds"].items())
            lines.append(
                f"API server limit: the minimal client (urllib3, bodies encoded beforehand), best of two per "
                f"thread count: {tried}; "
                f"the best, {f['extra']['threads']} threads, is the one measured."
            )
    return lines


def cross_cluster_sentences(report: dict[str, Any]) -> list[str]:
    """Issue 14: what a clone into another cluster costs next to one within the source's cluster."""
    by_key = {f["key"]: f for f in report["figures"]}
    cross, same = by_key.get("clone_cross_cluster"), by_key.get("clone_same_cluster")
    if not cross or not same or not cross["runs"] or not same["runs"]:
        return []
    extra = cross["extra"]

    def requests(values: list[int]) -> str:
        low, high = min(values), max(values)
        return f"{low}" if low == high else f"{low}-{high}"

    return [
        f"Cross-cluster clone ({cross['size']}): production ({extra['objects_in_source']} objects) from a first "
        f"local control plane into a second one, through one session over both contexts of one kubeconfig "
        f"(type `{extra['env_type']}` names the second's context), {extra['objects_created_in_b']} objects "
        f"created there; {cross['median']:.3f} s median against {same['median']:.3f} s for the same clone within "
        f"the first plane, paired run by run. Requests per clone: {requests(extra['requests_a'])} to the source "
        f"cluster and {requests(extra['requests_b'])} to the target, against "
        f"{requests(same['extra']['requests_a'])} for the clone within one cluster."
    ]


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Machine: {describe_machine(report['machine'])}; Kubernetes {report['machine'].get('kubernetes', '')} "
        f"(local etcd + kube-apiserver + kube-controller-manager started by the benchmark).",
        f"Method: {report['method']} (runs = {report['runs']}).",
        "",
        "Data:",
    ]
    for size, info in report["datasets"].items():
        lines.append(
            f"- {size}: {info['description']}; {info['objects']} objects in {info['environments']} environments "
            f"({info['objects_in_main_app']} in `{info['main_app']}`), seeded in {info['seed_seconds']} s"
        )
    loads: dict[str, list[float]] = {}
    for f in report["figures"]:
        if "load_average_1m_after" in f["extra"]:
            loads.setdefault(f["size"], []).append(f["extra"]["load_average_1m_after"])
    if loads:
        shown = ", ".join(f"{size} {min(v):.1f}-{max(v):.1f}" for size, v in loads.items())
        lines += ["", f"Load average (1 min) of the machine after each group of figures: {shown}."]
    lines += ["", table(figures(report)), ""]
    sentence = scaling_sentence(report)
    if sentence:
        lines += [sentence, ""]
    for extra in (server_limit_sentences(report), idle_sentences(report), cross_cluster_sentences(report)):
        if extra:
            lines += [*extra, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1]).read_text())))
