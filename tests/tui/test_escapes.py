"""The dashboard never sends a control character from the cluster to the terminal.

Textual drops BEL and CR but passes ESC, C1 and bidi controls straight through to the
terminal, and reads a DataTable cell as markup. Hostile text is put into the fake's
store (a ConfigMap value, a history reason, an image, an annotation, the user), then
every screen that shows it is checked: what would be drawn holds none of them raw.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select

from hotclone.core.errors import Conflict
from hotclone.core.models import ConnectionInfo, HistoryEntry
from hotclone.core.schema import ANNOTATION_CREATED_BY
from tests.tui.conftest import focus_env, make_app, settle
from tests.tui.fake_session import CONTEXT, NOW, SERVER, FakeSession
from tests.tui.secret_scan import screen_text

RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
VALUE = "x\x1b]0;pwned\x07\x1b[2J"
REASON = "\x1b[31mred \u202eKO-118"
IMAGE = "topicshare/web:1.9.4\x1b[8m"
CLONE = "topicshare-hotfix-ko"


class HostileSession(FakeSession):
    """The fake's world with hostile text where a cluster may hold any text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        settings = self.store.get(CLONE, "ConfigMap/app-settings")
        settings["data"]["CHARSET"] = VALUE
        self.store.put(CLONE, settings)
        web = self.store.get(CLONE, "Deployment/web")
        web["spec"]["template"]["spec"]["containers"][0]["image"] = IMAGE
        self.store.put(CLONE, web)
        self.store.namespaces[CLONE]["metadata"]["annotations"][ANNOTATION_CREATED_BY] = "mallory\x1b]0;pwned\x07"
        entry = HistoryEntry(
            self.store.next_revision(CLONE),
            "set-config",
            "mallory\x9b2J",
            NOW - timedelta(minutes=5),
            (f"ConfigMap/app-settings data.CHARSET: UTF-8 -> {VALUE}",),
            REASON,
        )
        self.store.record(CLONE, entry, [])

    def connection_info(self) -> ConnectionInfo:
        super().connection_info()
        return ConnectionInfo(CONTEXT + "\x1b[2J", SERVER, "oncall\x1b]0;pwned\x07", self.read_only)


def assert_clean(app: App[Any]) -> str:
    """The screen as drawn (the SVG export is made of the strips sent to the terminal) and its widgets' text."""
    text = screen_text(app)
    found = sorted(set(RAW.findall(text)))
    assert not found, f"raw control characters on {type(app.screen).__name__}: {found!r}"
    return text.replace("&#160;", " ")  # the SVG's spaces


async def _on_hotfix(pilot: Pilot[Any], *keys: str) -> None:
    await focus_env(pilot, "topicshare/hotfix-ko")
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def test_main_screen() -> None:
    app = make_app(HostileSession())
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await _on_hotfix(pilot)
        shown = assert_clean(app)  # env title, workloads table, context bar
        assert r"by mallory\u001b]0;pwned\u0007" in shown and r"1.9.4\u001b[8m" in shown
        assert r"oncall\u001b]0;pwned\u0007" in shown


async def test_history_screen_and_its_detail() -> None:
    app = make_app(HostileSession())
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await _on_hotfix(pilot, "h")
        shown = assert_clean(app)  # table and detail line
        assert r"\u001b[31mred \u202eKO-118" in shown
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TextModal"
        shown = assert_clean(app)
        assert r"reason: \u001b[31mred" in shown and r"\u009b2J" in shown


async def test_diff_screen_lines_and_side_by_side() -> None:
    app = make_app(HostileSession())
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await _on_hotfix(pilot, "d")
        objects = app.screen.query_one("#diff-objects", OptionList)
        prompts = [str(objects.get_option_at_index(i).prompt) for i in range(objects.option_count)]
        objects.highlighted = next(i for i, p in enumerate(prompts) if "app-settings" in p)
        await settle(pilot)
        shown = assert_clean(app)
        assert r'-> "x\u001b]0;pwned\u0007\u001b[2J"' in shown and r"\e]0;pwned\a\e[2J" in shown


async def test_promote_dialog_summary() -> None:
    app = make_app(HostileSession())
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await _on_hotfix(pilot, "p")
        assert type(app.screen).__name__ == "PromoteModal"
        assert r'"x\u001b]0;pwned\u0007\u001b[2J"' in assert_clean(app)


async def test_edit_config_value_and_preview() -> None:
    app = make_app(HostileSession())
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await _on_hotfix(pilot, "v")
        app.screen.query_one("#config-key", Select).value = "CHARSET"
        await settle(pilot)
        box = app.screen.query_one("#config-value", Input)
        assert box.value == ""  # an Input draws its value raw: not typed out into it
        assert r'now "x\u001b]0;pwned' in box.placeholder
        assert_clean(app)
        box.value = "UTF-8"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert r'data.CHARSET: "x\u001b]0;pwned\u0007\u001b[2J" -> UTF-8' in assert_clean(app)


async def test_error_notifications_escape_the_message() -> None:
    fake = HostileSession(fail={"diff": Conflict("ConfigMap x\x1b[2J changed\x1b]0;pwned\x07 [/oops]")})
    app = make_app(fake)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await focus_env(pilot, "topicshare/hotfix-ko")
        await pilot.press("d")
        await settle(pilot)
        shown = assert_clean(app)  # the toast (and markup is not read: `[/oops]` would stop the app)
        assert r"x\u001b[2J changed" in shown
        await pilot.press("escape", "exclamation_mark")
        await settle(pilot)
        assert r"x\u001b[2J changed" in assert_clean(app)  # the error log


async def test_gates_screens_escape_requests_and_check_results() -> None:
    """A request's requester, reason and summary and a check's detail and log tail are cluster text."""
    from tests.tui.fake_gates import FAILED_JOB

    fake = HostileSession(gates=True)
    fake.gate_store.outcomes["smoke"] = ("failed", FAILED_JOB + REASON, (VALUE, "[/oops] done"))
    fake.request_as("mallory\x1b]0;pwned\x07", reason=REASON)
    app = make_app(fake)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await _on_hotfix(pilot, "a")
        assert type(app.screen).__name__ == "RequestsScreen"
        assert r"mallory\u001b]0;pwned\u0007" in assert_clean(app)
        await pilot.press("enter")
        await settle(pilot)
        assert r"reason: \u001b[31mred \u202eKO-118" in assert_clean(app)
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert type(app.screen).__name__ == "VerifyScreen"
        assert r"backoff limit\u001b[31mred" in assert_clean(app)
        await pilot.press("l")
        await settle(pilot)
        shown = assert_clean(app)
        assert r"x\u001b]0;pwned\u0007\u001b[2J" in shown and "[/oops] done" in shown
