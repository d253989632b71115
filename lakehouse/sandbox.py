"""An isolated stack (own broker ports, state, lake, warehouse) for tests and drills."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

from lakehouse.config import Settings, load_settings


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


def sandbox_environment(
    root: Path, port: int | None = None, controller_port: int | None = None
) -> dict[str, str]:
    """LAKEHOUSE__ overrides that put a whole stack under root, on free (or given) ports."""
    return {
        "LAKEHOUSE_ENV": "local",
        "LAKEHOUSE__STATE_DIR": str(root / "state"),
        "LAKEHOUSE__KAFKA__BROKER__PORT": str(port or free_port()),
        "LAKEHOUSE__KAFKA__BROKER__CONTROLLER_PORT": str(controller_port or free_port()),
        "LAKEHOUSE__LAKE__ROOT": str(root / "lake"),
        "LAKEHOUSE__LAKE__CHECKPOINT_ROOT": str(root / "checkpoints"),
        "LAKEHOUSE__WAREHOUSE__DUCKDB_PATH": str(root / "warehouse" / "lakehouse.duckdb"),
        "LAKEHOUSE__SPARK__MASTER": "local[2]",
        "LAKEHOUSE__SPARK__DRIVER_MEMORY": "1g",
        "LAKEHOUSE__SIMULATOR__USERS": "300",
        "LAKEHOUSE__SIMULATOR__ARTISTS": "60",
        "LAKEHOUSE__SIMULATOR__TRACKS": "600",
    }


def sandbox_settings(environment: Mapping[str, str]) -> Settings:
    """Settings as a subprocess given `environment` on top of ours would load them."""
    return load_settings(environ={**os.environ, **environment})
