"""Dashboard figures: the real `hotclone` dashboard under a pseudo-terminal (a private tmux server).

First frame: from starting the process to the header (the context bar, "hotclone …" on
the top line) showing, whatever else is on screen. Environment list: from starting the
process to the first environment row showing in the list. Focus change: from pressing
`j` (first environment -> the next) to the next environment's workloads showing on the
right (every environment runs its own version, so its images tell which environment's
workloads are shown). External change: with that environment shown and no key pressed,
the benchmark changes its `api` Deployment's image through the API (what `kubectl set
image` sends), and times from the PATCH's response to the new tag on screen; the image
is put back afterwards. RSS: VmHWM (peak resident set) of the dashboard process after
all that, read from /proc.

Idle requests: `idle()` keeps one dashboard open and still for a window (60 s) and
returns the API server's request counters' deltas over it (see benchmarks/apimetrics.py).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.apimetrics import Counts
from benchmarks.data import version_of

POLL = 0.01
WIDTH, HEIGHT = 160, 48


# Changes the image of app/env's `api` Deployment to one with `tag`; returns when the API server
# has answered (the clock of the external-change figure starts then).
ImageChanger = Callable[[str, str, str], None]


@dataclass
class DashboardRun:
    first_frame: float
    env_list: float
    focus_change: float
    external_change: float | None  # None: the change did not show within the timeout
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


# The context bar on the top line: "hotclone connecting…" or "hotclone ctx: …".
HEADER = re.compile(r"\A\s*hotclone\s+\S")
# A row of the environment list: name, then its type, then its age.
ENV_ROW = re.compile(
    r"(?m)^.{0,4}\b(production|qa|development|env-\d+)\s+(production|qa|development)\s+(<1m|\d+[smhd]\b)"
)
# The title above the workloads: "app/env · type".
TITLE = re.compile(r"\b([a-z0-9-]+)/([a-z0-9-]+) · (production|qa|development|temporary)\b")


def _workloads_of(app: str, env: str, tag: str | None = None) -> re.Pattern[str]:
    """The `api` Deployment's image as the workload table shows it for this environment."""
    return re.compile(re.escape(f"{app}/api:{tag or version_of(env)}") + r"\s")


def changed_tag(env: str, run: int) -> str:
    """A tag as long as the environment's own (so the image column keeps its width): the last character
    replaced by a letter."""
    version = version_of(env)
    return version[:-1] + "abcdefghijklmnopqrstuvwxyz"[run % 26]


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _command(hotclone: Path, kubeconfig: Path, context: str) -> str:
    env = "TERM=xterm-256color COLORTERM=truecolor"
    return (
        f"exec env {env} {shlex.quote(str(hotclone))} --kubeconfig {shlex.quote(str(kubeconfig))} --context {context}"
    )


def _other_title(first: str) -> re.Pattern[str]:
    return re.compile(TITLE.pattern.replace("([a-z0-9-]+) ·", f"(?!{first} )([a-z0-9-]+) ·"))


def measure_once(
    tmux: Tmux,
    hotclone: Path,
    kubeconfig: Path,
    context: str,
    change: ImageChanger,
    run: int,
    *,
    timeout: float = 120.0,
    change_timeout: float = 15.0,
) -> DashboardRun:
    """One dashboard process: first frame, environment list, one focus change, one external change,
    peak RSS; then quit."""
    started = time.perf_counter()
    tmux.respawn(_command(hotclone, kubeconfig, context))
    framed, _ = _wait_for(tmux, HEADER, timeout)
    painted, _ = _wait_for(tmux, ENV_ROW, timeout)
    # Whichever environment is focused first: wait until its workloads show, then move down one.
    _, title = _wait_for(tmux, TITLE, timeout)
    first = title.group(2)
    _wait_for(tmux, _workloads_of(title.group(1), first), timeout)
    time.sleep(0.3)  # let the permission checks of the first environment settle
    moved = time.perf_counter()
    tmux.keys("j")
    _, title = _wait_for(tmux, _other_title(first), timeout)
    app, env = title.group(1), title.group(2)
    shown, _ = _wait_for(tmux, _workloads_of(app, env), timeout)
    time.sleep(0.5)  # nothing in flight: what follows is the dashboard noticing by itself
    tag = changed_tag(env, run)
    change(app, env, tag)
    written = time.perf_counter()
    try:
        seen, _ = _wait_for(tmux, _workloads_of(app, env, tag), change_timeout)
        external: float | None = seen - written
    except TimeoutError:
        external = None
    finally:
        change(app, env, version_of(env))  # the next run's dashboard finds the seeded image again
    rss = _peak_rss_mb(tmux.pane_pid())
    tmux.keys("q")
    time.sleep(0.3)
    return DashboardRun(framed - started, painted - started, shown - moved, external, rss)


def measure(
    runs: int,
    hotclone: Path,
    kubeconfig: Path,
    context: str,
    change: ImageChanger,
    *,
    warmup: int = 1,
    change_timeout: float = 15.0,
) -> list[DashboardRun]:
    tmux = Tmux()
    try:
        args = (tmux, hotclone, kubeconfig, context, change)
        for n in range(warmup):
            measure_once(*args, n, change_timeout=change_timeout)
        return [measure_once(*args, warmup + n, change_timeout=change_timeout) for n in range(runs)]
    finally:
        tmux.close()


@dataclass
class Idle:
    baseline: Counts  # requests ended over the window without the dashboard
    during: Counts  # the same, over the window with the dashboard open
    watches: Counter[str]  # watches open at the window's end that were not open before the dashboard


def idle(
    hotclone: Path, kubeconfig: Path, context: str, counts: Callable[[], Counts], seconds: float, *, settle: float = 5.0
) -> Idle:
    """The API server's request counters over `seconds` without the dashboard, then over `seconds` with
    one open and untouched (from `settle` seconds after its first environment's workloads showed)."""
    before = counts()
    time.sleep(seconds)
    without = counts()
    tmux = Tmux()
    try:
        tmux.respawn(_command(hotclone, kubeconfig, context))
        _, title = _wait_for(tmux, TITLE, 120.0)
        _wait_for(tmux, _workloads_of(title.group(1), title.group(2)), 120.0)
        time.sleep(settle)
        start = counts()
        time.sleep(seconds)
        end = counts()
        tmux.keys("q")
        time.sleep(0.3)
    finally:
        tmux.close()
    return Idle(without - before, end - start, end.open_watches - without.open_watches)


if __name__ == "__main__":  # manual check: python -m benchmarks.dashboard KUBECONFIG CONTEXT
    from benchmarks.rawclient import RawClient, image_changer

    raw = RawClient(Path(sys.argv[1]), sys.argv[2])
    print(
        measure(
            1, Path(sys.executable).parent / "hotclone", Path(sys.argv[1]), sys.argv[2], image_changer(raw), warmup=0
        )
    )
