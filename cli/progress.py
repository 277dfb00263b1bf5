"""One live progress line on stderr while clone, promote or rollback works.

Shown only when stderr is a terminal and --json is not given: a script's stderr carries
errors and nothing else. rich is imported only when the line is shown, so every other
run pays nothing for it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, TextIO

from hotclone.core import display

if TYPE_CHECKING:
    from rich.progress import Progress


class Step(Protocol):
    """A step core reports (models.ProgressStep, once CloneStep); read-only, so any such dataclass fits."""

    @property
    def name(self) -> str: ...

    @property
    def done(self) -> int: ...

    @property
    def total(self) -> int: ...

    @property
    def detail(self) -> str: ...


Report = Callable[[Step], None]


def wanted(args: argparse.Namespace, stream: TextIO | None = None) -> bool:
    stream = sys.stderr if stream is None else stream
    return not getattr(args, "json", False) and stream.isatty()


@contextmanager
def live_progress(args: argparse.Namespace, title: str) -> Iterator[Report | None]:
    """Yield core's `progress=` callback, or None when nothing is to be shown.

    On the way out (success, error or Ctrl-C) the line is erased and the cursor shown
    again, so the command's own output or error starts on a clean line.
    """
    if not wanted(args):
        yield None
        return
    line = _Line(title)
    with line.progress:
        yield line


class _Line:
    def __init__(self, title: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.table import Column

        self.title = title
        self.progress: Progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=16),
            TextColumn("{task.fields[count]}", table_column=Column(no_wrap=True)),
            TimeElapsedColumn(),
            # The detail takes what is left of the width and is cut short, so the line never wraps.
            TextColumn("{task.fields[detail]}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
            console=Console(stderr=True),
            expand=True,
            transient=True,  # erased at the end: the command prints its own summary
            redirect_stdout=False,  # stdout is the command's output, maybe a pipe: never touch it
        )
        self.task = self.progress.add_task(title, total=None, count="", detail="")

    def __call__(self, step: Step) -> None:
        from rich.markup import escape

        total = max(step.total, 0)
        self.progress.update(
            self.task,
            description=f"{self.title}: {step.name}",
            completed=min(step.done, total),
            total=total or None,
            count=f"{step.done}/{step.total}" if step.total > 1 else "",
            detail=escape(display.safe(step.detail)),  # names from the cluster: no control codes, no markup
            refresh=True,  # steps are few; draw each one even when the whole run is quick
        )
