"""Run the dashboard against the fake session: `python -m tests.tui.run_fake [--read-only] [--fail]`."""

from __future__ import annotations

import sys

from hotclone.tui.app import HotcloneApp
from tests.tui.fake_session import FakeSession


def build_app(argv: list[str]) -> HotcloneApp:
    session = FakeSession(read_only="--read-only" in argv, rollout_fails="--fail" in argv)
    return HotcloneApp(lambda: session)


if __name__ == "__main__":
    build_app(sys.argv[1:]).run()
