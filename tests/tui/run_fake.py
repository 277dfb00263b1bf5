"""Run the dashboard against the fake session: `python -m tests.tui.run_fake [--read-only]`."""

from __future__ import annotations

import sys

from hotclone.tui.app import HotcloneApp
from tests.tui.fake_session import FakeSession


def build_app(**kwargs: object) -> HotcloneApp:
    session = FakeSession(read_only="--read-only" in sys.argv, rollout_fails="--fail" in sys.argv)
    return HotcloneApp(lambda: session, **kwargs)  # type: ignore[arg-type]


if __name__ == "__main__":
    build_app().run()
