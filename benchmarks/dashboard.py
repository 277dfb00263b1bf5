"""Dashboard figures: the real `hotclone` dashboard under a pseudo-terminal (a private tmux server).

First paint: from starting the process to the first environment row showing in the
list. Focus change: from pressing `j` (first environment -> the next) to the next
environment's workloads showing on the right (every environment runs its own
version, so its images tell which environment's workloads are shown). RSS: VmHWM (peak resident set)
of the dashboard process after both, read from /proc.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.data import version_of

POLL = 0.01
WIDTH, HEIGHT = 160, 48


@dataclass
class DashboardRun:
    first_paint: float
    focus_change: float
    peak_rss_mb: float


def available(python: Path) -> tuple[bool, str]:
    """Can the dashboard be measured here? (tmux present, tui.app importable)"""
    if not shutil.which("tmux"):
        return False, "n/a (tmux not installed)"
    probe = subprocess.run(
        [str(python), "-c", "import tui.app"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent.parent,
    )
    if probe.returncode != 0:
        return False, "n/a (dashboard not available)"
    return True, ""


class Tmux:
    """A private tmux server (own socket) holding one session; removed by close()."""

    def __init__(self) -> None:
        self.socket = f"hotclone-bench-{os.getpid()}"
        self.session = "bench"
        self._tmux("new-session", "-d", "-s", self.session, "-x", str(WIDTH), "-y", str(HEIGHT), "sleep 86400")
        self._tmux("set-option", "-t", self.session, "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False)
        return done.stdout

    def respawn(self, command: str) -> None:
        self._tmux("respawn-pane", "-k", "-t", self.session, command)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.session, *keys)

    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", self.session, "#{pane_pid}").strip() or 0)

    def close(self) -> None:
        self._tmux("kill-server")


def _wait_for(tmux: Tmux, pattern: re.Pattern[str], timeout: float) -> tuple[float, re.Match[str]]:
    """Poll the screen until `pattern` matches; returns (perf_counter() when seen, the match)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        found = pattern.search(tmux.screen())
        if found:
            return time.perf_counter(), found
        time.sleep(POLL)
    raise TimeoutError(f"{pattern.pattern!r} did not show within {timeout:.0f} s; screen:\n{tmux.screen()[-1500:]}")


# A row of the environment list: name, then its type, then its age.
ENV_ROW = re.compile(
    r"(?m)^.{0,4}\b(production|qa|development|env-\d+)\s+(production|qa|development)\s+(<1m|\d+[smhd]\b)"
)
# The title above the workloads: "app/env · type".
TITLE = re.compile(r"\b([a-z0-9-]+)/([a-z0-9-]+) · (production|qa|development|temporary)\b")


def _workloads_of(app: str, env: str) -> re.Pattern[str]:
    """The `api` Deployment's image as the workload table shows it for this environment."""
    return re.compile(re.escape(f"{app}/api:{version_of(env)}") + r"\s")


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure_once(
    tmux: Tmux, hotclone: Path, kubeconfig: Path, context: str, app: str, *, timeout: float = 60.0
) -> DashboardRun:
    """One dashboard process: first paint, one focus change, peak RSS; then quit."""
    env = "TERM=xterm-256color COLORTERM=truecolor"
    command = (
        f"exec env {env} {shlex.quote(str(hotclone))} --kubeconfig {shlex.quote(str(kubeconfig))} --context {context}"
    )
    started = time.perf_counter()
    tmux.respawn(command)
    painted, _ = _wait_for(tmux, ENV_ROW, timeout)
    # Whichever environment is focused first: wait until its workloads show, then move down one.
    _, title = _wait_for(tmux, TITLE, timeout)
    first = title.group(2)
    _wait_for(tmux, _workloads_of(title.group(1), first), timeout)
    time.sleep(0.3)  # let the permission checks of the first environment settle
    moved = time.perf_counter()
    tmux.keys("j")
    _, title = _wait_for(
        tmux, re.compile(TITLE.pattern.replace("([a-z0-9-]+) ·", f"(?!{first} )([a-z0-9-]+) ·")), timeout
    )
    shown, _ = _wait_for(tmux, _workloads_of(title.group(1), title.group(2)), timeout)
    time.sleep(0.5)
    rss = _peak_rss_mb(tmux.pane_pid())
    tmux.keys("q")
    time.sleep(0.3)
    return DashboardRun(painted - started, shown - moved, rss)


def measure(
    runs: int, hotclone: Path, kubeconfig: Path, context: str, app: str, *, warmup: int = 1
) -> list[DashboardRun]:
    tmux = Tmux()
    try:
        for _ in range(warmup):
            measure_once(tmux, hotclone, kubeconfig, context, app)
        return [measure_once(tmux, hotclone, kubeconfig, context, app) for _ in range(runs)]
    finally:
        tmux.close()


if __name__ == "__main__":  # manual check: python -m benchmarks.dashboard KUBECONFIG CONTEXT APP
    result = measure(1, Path(sys.executable).parent / "hotclone", Path(sys.argv[1]), sys.argv[2], sys.argv[3], warmup=0)
    print(result)
