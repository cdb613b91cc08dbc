"""Reading configuration from ``FIREGOV_*`` environment variables.

Every setting can also be given as ``FIREGOV_X_FILE`` naming a file that holds the value (for secrets
mounted by an orchestrator). The plain variable wins when both are set. docs/configuration.md lists
every variable.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "FIREGOV_"
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    pass


def raw(name: str, default: str | None = None) -> str | None:
    key = PREFIX + name
    if key in os.environ:
        return os.environ[key]
    file_key = key + "_FILE"
    if file_key in os.environ:
        path = Path(os.environ[file_key])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{file_key}: cannot read {path}: {exc}") from exc
    return default


def string(name: str, default: str = "") -> str:
    value = raw(name)
    return default if value is None else value


def boolean(name: str, default: bool = False) -> bool:
    value = raw(name)
    if value is None:
        return default
    low = value.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ConfigError(f"{PREFIX}{name}: expected a boolean (1/0, true/false, yes/no, on/off), got {value!r}")


def integer(name: str, default: int) -> int:
    value = raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name}: expected an integer, got {value!r}") from exc


def listing(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
