"""Read infra/terraform with python-hcl2: modules, environments, their blocks by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from lakehouse.settings import PROJECT_ROOT

TERRAFORM_ROOT = PROJECT_ROOT / "infra" / "terraform"
MODULES_ROOT = TERRAFORM_ROOT / "modules"
ENVS_ROOT = TERRAFORM_ROOT / "envs"
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and block labels; drop them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse(path: Path) -> dict[str, Any]:
    """One .tf file as python-hcl2's dictionary."""
    with path.open(encoding="utf-8") as handle:
        return dict(hcl2.load(handle))


def blocks(parsed: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Labelled blocks of one kind (variable, output, module, ...) by their label."""
    found = {}
    for entry in parsed.get(kind, []):
        for label, body in entry.items():
            found[unquote(label)] = body
    return found


@dataclass(frozen=True)
class Root:
    """A folder of .tf files (a module or an environment), parsed."""

    path: Path
    files: dict[str, dict[str, Any]]

    def all(self, kind: str) -> dict[str, dict[str, Any]]:
        """Blocks of one kind over every file of the folder."""
        merged: dict[str, dict[str, Any]] = {}
        for parsed in self.files.values():
            merged.update(blocks(parsed, kind))
        return merged

    def has(self, kind: str) -> bool:
        """True when any file holds a block of this kind."""
        return any(parsed.get(kind) for parsed in self.files.values())


def load_root(path: Path) -> Root:
    """Every .tf file of a folder, parsed."""
    return Root(path, {tf.name: parse(tf) for tf in sorted(path.glob("*.tf"))})


def modules() -> dict[str, Root]:
    """Each module under infra/terraform/modules by name."""
    return {path.name: load_root(path) for path in sorted(MODULES_ROOT.iterdir()) if path.is_dir()}


def environments() -> dict[str, Root]:
    """Each environment under infra/terraform/envs by name."""
    return {path.name: load_root(path) for path in sorted(ENVS_ROOT.iterdir()) if path.is_dir()}
