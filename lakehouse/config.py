"""The one configuration loader: conf/base.yaml, then conf/<env>.yaml, then environment.

Environment variables read here and nowhere else:
- LAKEHOUSE_ENV: the environment (file conf/<env>.yaml), default ``local``.
- LAKEHOUSE_CONF_DIR: the folder holding base.yaml and the environment files.
- LAKEHOUSE__<SECTION>__<KEY>=value: overrides one setting (values parsed as YAML).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lakehouse.settings import DEFAULT_ENV, PROJECT_ROOT, Settings

DEFAULT_CONF_DIR = PROJECT_ROOT / "conf"
OVERRIDE_PREFIX = "LAKEHOUSE__"


class ConfigError(Exception):
    """Configuration that cannot be used; the message names the file and the key."""


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not {loaded!r}")
    return loaded


def _merge(
    base: dict[str, Any],
    overlay: Mapping[str, Any],
    origin: str,
    origins: dict[tuple[str, ...], str],
    prefix: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Deep-merge overlay into base, remembering which source set each key."""
    merged = dict(base)
    for key, value in overlay.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value, origin, origins, path)
        else:
            merged[key] = value
            origins[path] = origin
            if isinstance(value, Mapping):
                for sub_key in value:
                    origins[(*path, str(sub_key))] = origin
    return merged


def _environment_overrides(environ: Mapping[str, str]) -> dict[str, tuple[dict[str, Any], str]]:
    overrides: dict[str, tuple[dict[str, Any], str]] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(OVERRIDE_PREFIX):
            continue
        keys = [part.lower() for part in name[len(OVERRIDE_PREFIX) :].split("__") if part]
        if not keys:
            continue
        value: Any = yaml.safe_load(raw) if raw != "" else ""
        for key in reversed(keys):
            value = {key: value}
        overrides[name] = (value, f"environment variable {name}")
    return overrides


def _describe(error: ValidationError, origins: dict[tuple[str, ...], str], files: str) -> str:
    lines = []
    for problem in error.errors():
        location = tuple(str(part) for part in problem["loc"])
        # A check across sections (a model validator) has no key of its own: its message names them.
        dotted = ".".join(location) or "settings"
        source = next(
            (origins[location[:i]] for i in range(len(location), 0, -1) if location[:i] in origins),
            files,
        )
        if problem["type"] == "extra_forbidden":
            message = "unknown key (check the spelling against conf/base.yaml)"
        elif problem["type"] == "missing":
            message = "required value is missing"
            source = files
        else:
            message = problem["msg"]
        lines.append(f"  {source}: {dotted}: {message}")
    return "invalid configuration:\n" + "\n".join(lines)


def load_settings(
    env: str | None = None,
    conf_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Load and validate the settings of one environment; raise ConfigError naming what to fix."""
    environ = os.environ if environ is None else environ
    env = env or environ.get("LAKEHOUSE_ENV") or DEFAULT_ENV
    conf_dir = conf_dir or Path(environ.get("LAKEHOUSE_CONF_DIR") or DEFAULT_CONF_DIR)
    base_file = conf_dir / "base.yaml"
    env_file = conf_dir / f"{env}.yaml"
    if not base_file.is_file():
        raise ConfigError(f"{base_file}: not found; set LAKEHOUSE_CONF_DIR to the conf/ folder")
    if not env_file.is_file():
        known = sorted(p.stem for p in conf_dir.glob("*.yaml") if p.stem != "base")
        raise ConfigError(
            f"{env_file}: no such environment {env!r}; choose one of {known} "
            "with --env or LAKEHOUSE_ENV"
        )
    origins: dict[tuple[str, ...], str] = {}
    merged = _merge({}, _read_yaml(base_file), str(base_file), origins)
    merged = _merge(merged, _read_yaml(env_file), str(env_file), origins)
    for overlay, origin in _environment_overrides(environ).values():
        merged = _merge(merged, overlay, origin, origins)
    merged["env"] = env
    merged["project_root"] = conf_dir.resolve().parent
    try:
        return Settings.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(_describe(error, origins, f"{base_file} + {env_file}")) from None
