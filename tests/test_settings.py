"""core.settings: the per-context config file, parsed and checked without a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotclone.core.errors import InvalidInput
from hotclone.core.settings import ContextSettings, Settings, config_path, load, parse

EXAMPLE = """
contexts:
  prod-eu-1: {read-only: true}
  prod-us-1: {production: true}
  kind-dev:
default-contexts: [prod-eu-1, staging]
"""


def test_the_example_parses() -> None:
    settings = parse(EXAMPLE, "config.yaml")
    assert settings.for_context("prod-eu-1") == ContextSettings(read_only=True)
    assert settings.for_context("prod-us-1") == ContextSettings(production=True)
    assert settings.for_context("kind-dev") == ContextSettings()
    assert settings.for_context("elsewhere") == ContextSettings()  # not listed: nothing special
    assert settings.default_contexts == ("prod-eu-1", "staging")
    assert settings.path == "config.yaml"


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "contexts:\n"])
def test_an_empty_file_changes_nothing(text: str) -> None:
    assert parse(text, "c.yaml").contexts == {} and parse(text, "c.yaml").default_contexts == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("contexts:\n  prod: {readonly: true}\n", "c.yaml: unknown key 'contexts.prod.readonly'"),
        ("context:\n  prod: {}\n", "c.yaml: unknown key 'context'"),
        ("contexts:\n  prod: {read-only: yes please}\n", "c.yaml: contexts.prod.read-only must be true or false"),
        ("contexts:\n  prod: {production: 1}\n", "c.yaml: contexts.prod.production must be true or false"),
        ("contexts: [prod]\n", "c.yaml: contexts must be a mapping"),
        ("contexts:\n  prod: true\n", "c.yaml: contexts.prod must be a mapping"),
        ("default-contexts: prod\n", "c.yaml: default-contexts must be a list"),
        ("default-contexts: [1]\n", "c.yaml: default-contexts must be a list"),
        ("- just a list\n", "c.yaml: the top level must be a mapping"),
        ("contexts:\n  prod: {read-only: true\n", "c.yaml: not valid YAML (line"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_the_key(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse(text, "c.yaml")
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_where_the_file_is() -> None:
    assert config_path({"HOME": "/home/u"}) == (Path("/home/u/.config/hotclone/config.yaml"), False)
    assert config_path({"HOME": "/home/u", "XDG_CONFIG_HOME": "/x"}) == (Path("/x/hotclone/config.yaml"), False)
    assert config_path({"HOTCLONE_CONFIG": "/etc/hc.yaml", "XDG_CONFIG_HOME": "/x"}) == (Path("/etc/hc.yaml"), True)


def test_load_reads_the_file_and_a_missing_default_is_no_settings(tmp_path: Path) -> None:
    assert load({"XDG_CONFIG_HOME": str(tmp_path)}) == Settings()
    (tmp_path / "hotclone").mkdir()
    (tmp_path / "hotclone" / "config.yaml").write_text(EXAMPLE)
    assert load({"XDG_CONFIG_HOME": str(tmp_path)}).for_context("prod-eu-1").read_only


def test_a_named_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    """A typo in $HOTCLONE_CONFIG must not silently leave a read-only cluster writable."""
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InvalidInput, match="does not exist"):
        load({"HOTCLONE_CONFIG": str(missing)})
