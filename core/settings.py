"""Per-context settings from the user's config file, as k9s users expect one.

`$HOTCLONE_CONFIG`, else `$XDG_CONFIG_HOME/hotclone/config.yaml` (default
`~/.config/hotclone/config.yaml`):

    contexts:
      prod-eu-1: {read-only: true}     # every change refused, as with --read-only
      prod-us-1: {production: true}    # every change asks for the typed context name
    default-contexts: [prod-eu-1, staging]   # shown together when no --context is given

Parsing is pure (`parse`); a bad file is one `InvalidInput` line naming the file and the
key. Unknown keys are refused rather than ignored: a misspelt `read-only` must not leave
a cluster writable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hotclone.core.errors import InvalidInput

ENV_VAR = "HOTCLONE_CONFIG"
_TOP_KEYS = ("contexts", "default-contexts")
_CONTEXT_KEYS = ("read-only", "production")


@dataclass(frozen=True)
class ContextSettings:
    read_only: bool = False
    production: bool = False  # every change in this context is confirmed by typing its name


@dataclass(frozen=True)
class Settings:
    path: str = ""  # the file they were read from; "" when there is none
    contexts: Mapping[str, ContextSettings] = field(default_factory=dict)
    default_contexts: tuple[str, ...] = ()  # the contexts shown together when no --context is given

    def for_context(self, name: str) -> ContextSettings:
        return self.contexts.get(name, ContextSettings())


def config_path(environ: Mapping[str, str]) -> tuple[Path, bool]:
    """Where the file is, and whether the user named it ($HOTCLONE_CONFIG): then it must exist."""
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]).expanduser(), True
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".config")
    return Path(base) / "hotclone" / "config.yaml", False


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in effect: none when the default file does not exist."""
    path, named = config_path(os.environ if environ is None else environ)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if named:
            raise InvalidInput(f"config file {path} (from ${ENV_VAR}) does not exist") from None
        return Settings()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"config file {path} cannot be read: {error}") from None
    return parse(text, str(path))


def parse(text: str, path: str) -> Settings:
    """Settings from the file's text; `path` names the file in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise InvalidInput(f"{path}: not valid YAML{line}") from None
    if data is None:
        return Settings(path)
    top = _mapping(data, path, "the top level")
    _known(top, _TOP_KEYS, path, "")
    contexts = {
        name: _context(value, path, f"contexts.{name}")
        for name, value in _mapping(top.get("contexts") or {}, path, "contexts").items()
    }
    defaults = top.get("default-contexts") or []
    if not isinstance(defaults, list) or not all(isinstance(n, str) and n for n in defaults):
        raise InvalidInput(f"{path}: default-contexts must be a list of context names")
    return Settings(path, contexts, tuple(defaults))


def _mapping(value: object, path: str, key: str) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InvalidInput(f"{path}: {key} must be a mapping of names")
    return value


def _known(mapping: Mapping[str, object], allowed: tuple[str, ...], path: str, prefix: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise InvalidInput(f"{path}: unknown key '{prefix}{key}' (known: {', '.join(allowed)})")


def _context(value: object, path: str, key: str) -> ContextSettings:
    if value is None:
        return ContextSettings()
    entry = _mapping(value, path, key)
    _known(entry, _CONTEXT_KEYS, path, f"{key}.")
    for flag in _CONTEXT_KEYS:
        if not isinstance(entry.get(flag, False), bool):
            raise InvalidInput(f"{path}: {key}.{flag} must be true or false")
    return ContextSettings(read_only=bool(entry.get("read-only")), production=bool(entry.get("production")))
