"""An isolated stack (own broker ports, state, lake, warehouse) for tests, drills and the
benchmark."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path

from lakehouse.config import load_settings
from lakehouse.kafka.broker import KafkaBroker, local_broker
from lakehouse.kafka.topics import ensure_topics
from lakehouse.settings import Settings


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


# Tests and drills run a small Spark and a small catalogue so they stay quick; the benchmark
# keeps conf/base.yaml's sizes, because it measures the product as a user runs it.
TEST_SIZING = {
    "LAKEHOUSE__SPARK__MASTER": "local[2]",
    "LAKEHOUSE__SPARK__DRIVER_MEMORY": "1g",
    "LAKEHOUSE__SIMULATOR__USERS": "300",
    "LAKEHOUSE__SIMULATOR__ARTISTS": "60",
    "LAKEHOUSE__SIMULATOR__TRACKS": "600",
}

# The driver JVMs of test-sized stacks compile with C1 alone. A job over a few hundred records
# ends before the optimizing compiler (C2) pays back its work, and on 2 cores that work takes
# the other core: an available-now run over 50 records took 20 s and 22 CPU-seconds with C1
# alone against 25 s and 40 CPU-seconds configured (README, Development). A 2,000,000-event
# drain is the opposite case, 45% slower with C1 alone, so the product keeps both compilers;
# the full-scale drills (200,000 events) also ran slower with it, 877 s against 756 s.
C1_ONLY = "-XX:TieredStopAtLevel=1"


def quick_driver_java_options() -> str:
    """The driver JVM options of test-sized stacks: the configured ones, then C1_ONLY."""
    configured = load_settings(environ={"LAKEHOUSE_ENV": "local"}).spark.driver_java_options
    return f"{configured} {C1_ONLY}".strip()


def sandbox_environment(
    root: Path,
    port: int | None = None,
    controller_port: int | None = None,
    *,
    test_sized: bool = True,
) -> dict[str, str]:
    """LAKEHOUSE__ overrides that put a whole stack under root, on free (or given) ports;
    `test_sized` also shrinks Spark and the simulator's catalogue (TEST_SIZING) and compiles
    with C1 alone (C1_ONLY)."""
    environment = {
        "LAKEHOUSE_ENV": "local",
        "LAKEHOUSE__STATE_DIR": str(root / "state"),
        "LAKEHOUSE__KAFKA__BROKER__PORT": str(port or free_port()),
        "LAKEHOUSE__KAFKA__BROKER__CONTROLLER_PORT": str(controller_port or free_port()),
        "LAKEHOUSE__LAKE__ROOT": str(root / "lake"),
        "LAKEHOUSE__LAKE__CHECKPOINT_ROOT": str(root / "checkpoints"),
        "LAKEHOUSE__WAREHOUSE__DUCKDB_PATH": str(root / "warehouse" / "lakehouse.duckdb"),
    }
    if test_sized:
        environment.update(TEST_SIZING)
        environment["LAKEHOUSE__SPARK__DRIVER_JAVA_OPTIONS"] = quick_driver_java_options()
    return environment


def sandbox_settings(environment: Mapping[str, str]) -> Settings:
    """Settings as a subprocess given `environment` on top of ours would load them."""
    return load_settings(environ={**os.environ, **environment})


@contextlib.contextmanager
def use_environment(overrides: Mapping[str, str]) -> Iterator[None]:
    """Apply environment overrides for a while (subprocesses started meanwhile inherit them)."""
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def sandbox_stack(
    root: Path, overrides: dict[str, str] | None = None, *, test_sized: bool = True
) -> Iterator[tuple[Settings, KafkaBroker]]:
    """A running broker with topics, and the settings of a stack under root."""
    environment = {**sandbox_environment(root, test_sized=test_sized), **(overrides or {})}
    with use_environment(environment):
        settings = load_settings()
        broker = local_broker(settings)
        broker.start()
        try:
            ensure_topics(
                settings.kafka_bootstrap, settings.kafka.topics.values(), settings.kafka.partitions
            )
            yield settings, broker
        finally:
            broker.stop()
