"""The `hotclone` command: headless subcommands from core.cli, the dashboard from tui.app.

This is the composition root, so it lives in the top layer: core never imports the
dashboard. Textual is imported only when the dashboard opens, which keeps the
headless commands quick to start.
"""

from __future__ import annotations

import sys

from core import cli
from core.cli_options import DashboardOptions


def _open_dashboard(options: DashboardOptions) -> int:
    from tui.app import run_dashboard

    return run_dashboard(options)


def main(argv: list[str] | None = None) -> int:
    return cli.main(sys.argv[1:] if argv is None else argv, open_dashboard=_open_dashboard)


if __name__ == "__main__":
    sys.exit(main())
