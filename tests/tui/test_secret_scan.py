"""The leak scan itself: it must find a secret however a screen would print it."""

from __future__ import annotations

import base64

from tests.tui.fake_session import FakeSession
from tests.tui.secret_scan import leaks, seeded_secrets


def test_finds_a_value_plain_base64_and_svg_escaped() -> None:
    secrets = {"db": "s3cr3t-0123456789abcdef0123"}
    encoded = base64.b64encode(b"s3cr3t-0123456789abcdef0123").decode()
    for shown in ("password: s3cr3t-0123456789abcdef0123", f"data: {encoded}", "s3cr3t&#45;0123456789abcdef0123"):
        assert leaks(f"…{shown}…", secrets) == ["db"], shown
    assert leaks("password: <hidden>", secrets) == []


def test_the_fake_holds_the_demo_values_and_the_clones_own() -> None:
    fake = FakeSession()
    held = set(fake.secrets().values())
    assert set(seeded_secrets(fake.app).values()) <= held  # the demo's real seeded values, not stand-ins
    assert any(label == "topicshare-hotfix-ko Secret/db-credentials password" for label in fake.secrets())
