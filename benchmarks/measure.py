"""Timing, statistics, the figure table and the machine description."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    """One row of the table: a measured quantity with its runs and (optionally) a goal."""

    key: str
    name: str
    size: str
    unit: str = "s"
    runs: list[float] = field(default_factory=list)
    goal: float | None = None  # upper bound in `unit`
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    available: bool = True

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    @property
    def status(self) -> str:
        if not self.available or not self.runs:
            return "n/a"
        if self.goal is None:
            return "-"
        return "pass" if (self.median or 0.0) <= self.goal else "MISS"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            median=self.median,
            min=min(self.runs) if self.runs else None,
            max=max(self.runs) if self.runs else None,
            status=self.status,
        )
        return data


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def repeat(action: Callable[[], object], runs: int, *, warmup: int = 1) -> list[float]:
    """`warmup` unrecorded runs (file cache, connection pools), then `runs` timed ones."""
    for _ in range(warmup):
        action()
    return [timed(action) for _ in range(runs)]


def repeat_values(measure: Callable[[], float], runs: int, *, warmup: int = 1) -> list[float]:
    """Like repeat(), for actions that time their own critical part (set-up and clean-up excluded)."""
    for _ in range(warmup):
        measure()
    return [measure() for _ in range(runs)]


def run_process(argv: Sequence[str], *, ok: tuple[int, ...] = (0,), stdin: str | None = None) -> float:
    """Wall time of a whole process; raises with its stderr when it fails."""
    started = time.perf_counter()
    done = subprocess.run(list(argv), input=stdin, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv[:4])}... exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return elapsed


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g} {unit}"


def table(figures: Sequence[Figure]) -> str:
    header = ["figure", "data", "median", "min", "max", "goal", "result"]
    rows = []
    for f in figures:
        lo = min(f.runs) if f.runs else None
        hi = max(f.runs) if f.runs else None
        goal = "" if f.goal is None else f"{'=' if f.goal == 0 else '<'} {fmt_value(f.goal, f.unit)}"
        result = f.status if f.available else (f.note or "n/a")
        values = [fmt_value(v, f.unit) for v in (f.median, lo, hi)]
        rows.append([f.name, f.size, *values, goal, result])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = _proc_field("/proc/cpuinfo", "model name")
    mem_kb = _proc_field("/proc/meminfo", "MemTotal").split(" ")[0]
    mem_gb = int(mem_kb) / 1024 / 1024 if mem_kb.isdigit() else 0.0
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "ram_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "os": platform.platform(),
    }


def _proc_field(path: str, name: str) -> str:
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith(name):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def describe_machine(info: dict[str, Any]) -> str:
    return (
        f"{info['nproc']} CPUs ({info['cpu']}), {info['ram_gb']:.0f} GB RAM, "
        f"Python {info['python']}, Linux {info['kernel']}"
    )
