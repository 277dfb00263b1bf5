"""Terminal escapes never reach the terminal (the class of kubectl's CVE-2021-25743).

A ConfigMap value, a `--reason`, an annotation or an image can hold ESC sequences that
retitle, clear or recolour the on-call's terminal, a CR that overwrites a line, or bidi
controls that reorder one. Every human-readable output shows them escaped; `--json`
keeps the exact data.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator

import pytest
import yaml

from hotclone.core import demo, kinds
from hotclone.core.cluster import Cluster
from hotclone.core.diff import display_yaml, show
from hotclone.core.display import safe, value
from hotclone.core.errors import HotcloneError
from hotclone.core.models import ConfigChange
from hotclone.core.schema import ANNOTATION_CLONED_FROM, environment_namespace
from tests.conftest import fresh_app
from tests.helpers import Result, run_cli

# What must never be written raw: C0 but newline, DEL, C1, bidi overrides and isolates.
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
VALUE = "x\x1b]0;pwned\x07\x1b[2J"  # retitle the terminal, then clear it
REASON = "\x1b[31mred"
IMAGE = "evil/web:1.0\x1b[8m"  # "conceal": what follows would be invisible
BIDI = "\u202e1.9.4"  # right-to-left override: the line reads differently from what it holds
SHOWN_VALUE = r"x\u001b]0;pwned\u0007\u001b[2J"
SHOWN_REASON = r"\u001b[31mred"


def assert_clean(result: Result) -> None:
    for name, text in (("stdout", result.out), ("stderr", result.err)):
        found = RAW.findall(text)
        assert not found, f"raw control characters on {name}: {found!r}"


# -- the rule itself (no cluster) -------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[2Jb", r"a\u001b[2Jb"),  # ESC
        ("ding\x07", r"ding\u0007"),  # BEL
        ("\x9b31m", r"\u009b31m"),  # C1 CSI: ESC [ in one byte for some terminals
        ("del\x7f", r"del\u007f"),  # DEL
        ("nul\x00", r"nul\u0000"),  # NUL
        ("ok\rFAKE", r"ok\rFAKE"),  # CR: would overwrite the line
        ("a\tb", r"a\tb"),  # tab: would break columns
        ("back\b\b", r"back\b\b"),
        ("\u202eevil\u202c", r"\u202eevil\u202c"),  # right-to-left override, pop
        ("\u2066iso\u2069", r"\u2066iso\u2069"),  # isolates
        ("zero\u200bwidth\ufeff", r"zero\u200bwidth\ufeff"),
        ("line\u2028sep", r"line\u2028sep"),
        ("lone\udcff", r"lone\udcff"),  # a surrogate (undecodable argv) cannot even be written
    ],
)
def test_control_characters_become_visible_escapes(raw: str, shown: str) -> None:
    assert safe(raw) == shown
    assert not RAW.search(safe(raw))
    assert safe(safe(raw)) == safe(raw)  # applying it twice does no harm


@pytest.mark.parametrize(
    "text",
    [
        "한글이 깨져 보입니다 (UTF-8)",  # the README's story
        "café naïve Ærøskøbing",
        "👨\u200d👩\u200d👧 ❤\ufe0f 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # ZWJ, VS16, tags
        "فارسی\u200cنویسی",  # Persian needs the zero-width non-joiner
        r"C:\path\u001b and a [bracket]",  # backslashes and brackets are text
    ],
)
def test_printable_text_is_untouched(text: str) -> None:
    assert safe(text) == text
    assert value(text) == text


def test_newlines_kept_only_in_blocks() -> None:
    assert safe("a\nb") == r"a\nb"
    assert safe("a\nb\x1b", multiline=True) == "a\nb\\u001b"


def test_a_value_with_escapes_is_quoted_so_it_cannot_pass_for_another() -> None:
    literal = r"x\u001b"  # the six characters, harmless
    assert value(literal) == literal
    assert value("x\x1b") == r'"x\u001b"'
    assert json.loads(value("x\x1b\u202e\x9b")) == "x\x1b\u202e\x9b"  # the quoted form is exact JSON
    change = ConfigChange("app-settings", "CHARSET", "UTF-8", "UTF-8\x1b[8m")
    assert change.describe() == r'ConfigMap/app-settings data.CHARSET: UTF-8 -> "UTF-8\u001b[8m"'


def test_diff_text_shows_escapes_and_yaml_stays_exact() -> None:
    assert show(VALUE) == f'"{SHOWN_VALUE}"'
    assert show({"k": "\u202e"}) == r'{"k":"\u202e"}'
    assert show("한글\n") == '"한글\\n"'  # multi-line values quoted, Hangul as itself
    obj = {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"A": VALUE, "B": "\u202eabc", "C": "한글"}}
    text = display_yaml(obj)
    assert not RAW.search(text)
    assert "C: 한글" in text
    assert yaml.safe_load(text) == obj  # escaped inside double quotes: still the same YAML


def test_json_output_escapes_control_characters_itself() -> None:
    from hotclone.cli.output import dumps

    text = dumps({"reason": REASON, "value": VALUE, "bidi": "\u202e", "c1": "\x9b"})
    assert not RAW.search(text)
    assert json.loads(text) == {"reason": REASON, "value": VALUE, "bidi": "\u202e", "c1": "\x9b"}


def test_cli_tables_and_markdown_escape_cells() -> None:
    from datetime import UTC, datetime

    from hotclone.cli.output import history_markdown, table
    from hotclone.core.models import HistoryEntry

    rows = table(["who", "why"], [["a\x1b[2J", "line\nFAKE ROW"]])
    assert rows.splitlines() == [f"{'WHO':<10}  WHY", r"a\u001b[2J  line\nFAKE ROW"]  # one row, aligned
    entry = HistoryEntry(3, "set-config", "u\x07", datetime(2026, 3, 14, tzinfo=UTC), ("s\x1b",), "why\n- fake")
    text = history_markdown("a/b", [entry])
    assert not RAW.search(text)
    assert r"by u\u0007 — why\n- fake" in text and r"  - s\u001b" in text


# -- the real commands on the local control plane ---------------------------------------------
@pytest.fixture(scope="module")
def hostile(admin: Cluster, kubeconfig: str) -> Iterator[dict[str, str]]:
    """A clone whose ConfigMap value, history reason, image and cloned-from annotation are hostile."""
    app = fresh_app()
    demo.seed(admin, app)
    world = {"app": app, "kubeconfig": kubeconfig}
    assert run_cli("clone", app, "production", "hotfix", "--yes", kubeconfig=kubeconfig).code == 0
    namespace = environment_namespace(app, "hotfix")
    deployment = admin.get(kinds.DEPLOYMENT, namespace, "web")
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = IMAGE
    admin.replace(kinds.DEPLOYMENT, namespace, deployment)
    set_config = run_cli(
        "set-config", app, "hotfix", "app-settings", f"CHARSET={VALUE}", f"BIDI={BIDI}", "--reason", REASON, "--yes",
        kubeconfig=kubeconfig,
    )  # fmt: skip
    assert set_config.code == 0, set_config.text
    world["set-config"] = set_config.out
    yield world
    for ns in admin.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={app}"):
        with contextlib.suppress(HotcloneError):
            admin.delete(kinds.NAMESPACE, None, ns["metadata"]["name"])


def cli(world: dict[str, str], *argv: str) -> Result:
    return run_cli(*(a.format(**world) for a in argv), kubeconfig=world["kubeconfig"])


def test_set_config_plan_lines_show_the_value_escaped(hostile: dict[str, str]) -> None:
    assert not RAW.search(hostile["set-config"])
    assert f'data.CHARSET: ISO-8859-1 -> "{SHOWN_VALUE}"' in hostile["set-config"]


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["diff", "{app}", "production", "hotfix"], [f'data.CHARSET: ISO-8859-1 -> "{SHOWN_VALUE}"']),
        # YAML's own escapes inside double quotes (\e is ESC, \a is BEL), and the image
        (
            ["diff", "{app}", "production", "hotfix", "--side-by-side", "--width", "200"],
            [r'"x\e]0;pwned\a\e[2J"', r'BIDI: "\u202e1.9.4"'],
        ),
        (["history", "{app}", "hotfix"], [SHOWN_REASON]),
        (["history", "{app}", "hotfix", "--markdown"], [f"— {SHOWN_REASON}", SHOWN_VALUE]),
    ],
    ids=["diff", "diff-side-by-side", "history", "history-markdown"],
)
def test_human_output_has_no_raw_control_characters(hostile: dict[str, str], argv: list[str], shown: list[str]) -> None:
    result = cli(hostile, *argv)
    assert result.code in (0, 1), result.text
    assert_clean(result)
    for text in shown:
        assert text in result.out
    if argv[0] == "diff":
        assert r"evil/web:1.0\u001b[8m" in result.out or r"evil/web:1.0\e[8m" in result.out


def test_set_image_lines_show_the_old_image_escaped(hostile: dict[str, str]) -> None:
    result = cli(hostile, "set-image", "{app}", "hotfix", "web={app}/web:1.9.5", "--yes")
    assert result.code == 0, result.text
    assert_clean(result)
    assert r"Deployment/web web: evil/web:1.0\u001b[8m ->" in result.out


def test_envs_table_escapes_annotations(hostile: dict[str, str], admin: Cluster) -> None:
    namespace = environment_namespace(hostile["app"], "development")
    admin.patch(kinds.NAMESPACE, None, namespace, {"metadata": {"annotations": {ANNOTATION_CLONED_FROM: "qa\x1b[2J"}}})
    result = cli(hostile, "envs", "{app}")
    assert result.code == 0, result.text
    assert_clean(result)
    assert r"qa\u001b[2J" in result.out


def test_json_keeps_the_exact_values(hostile: dict[str, str]) -> None:
    history = cli(hostile, "history", "{app}", "hotfix", "--json")
    assert history.code == 0 and not RAW.search(history.out)
    assert REASON in [entry["reason"] for entry in json.loads(history.out)]
    diff = cli(hostile, "diff", "{app}", "production", "hotfix", "--json")
    assert diff.code == 1 and not RAW.search(diff.out)
    (settings,) = [o for o in json.loads(diff.out)["diff"]["objects"] if o["name"] == "app-settings"]
    assert yaml.safe_load(settings["right_yaml"])["data"]["CHARSET"] == VALUE
    applied = cli(hostile, "set-config", "{app}", "hotfix", "app-settings", f"LOG_LEVEL={VALUE}", "--yes", "--json")
    assert applied.code == 0, applied.text
    assert [(c["key"], c["new"]) for c in json.loads(applied.out)] == [("LOG_LEVEL", VALUE)]


@pytest.mark.parametrize(
    "argv",
    [
        ["diff", "{app}", "production", "x\x1b]0;pwned\x07"],
        ["set-config", "{app}", "hotfix", "app\x1b[2J", "A=1", "--yes"],
        ["set-config", "{app}", "hotfix", "app-settings", "K\x1b[2J=1", "--yes"],
        ["set-image", "{app}", "hotfix", "web=a:1\x1b[2J", "--yes"],
        ["history", "{app}", "\u202enoitcudorp"],
    ],
    ids=["env-name", "configmap-name", "key", "image", "bidi-env-name"],
)
def test_error_lines_escape_what_they_quote(hostile: dict[str, str], argv: list[str]) -> None:
    result = cli(hostile, *argv)
    assert result.code == 2, result.text
    assert_clean(result)
    assert len(result.err.strip().splitlines()) == 1, result.err
