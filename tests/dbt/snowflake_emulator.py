"""A local Snowflake emulator (fakesnow's HTTP server) as a process, and how to fill it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import snowflake.connector

from lakehouse.sandbox import free_port

# The profile's `snowflake_emulator` output reads the port from here.
EMULATOR_PORT_VARIABLE = "LAKEHOUSE_SNOWFLAKE_EMULATOR_PORT"


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with code {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("localhost", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"the emulator did not listen on port {port} within {timeout}s")


@contextmanager
def running_emulator(timeout: float = 60) -> Iterator[int]:
    """Start `fakesnow -s` on a free port (in-memory databases); yield the port; stop it."""
    port = free_port()
    executable = f"{sys.prefix}/bin/fakesnow"
    process = subprocess.Popen(
        [executable, "-s", "-p", str(port), "--host", "localhost"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, timeout)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def connect(port: int) -> Any:
    """A connector session on the emulator, with short timeouts and no retries."""
    return snowflake.connector.connect(
        account="emulator",
        user="lakehouse",
        password="emulator",
        host="localhost",
        port=port,
        protocol="http",
        login_timeout=10,
        network_timeout=30,
    )


def create_table(
    connection: Any, table: str, columns: Sequence[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> None:
    """Create (or replace) a table with typed columns and insert the rows."""
    cursor = connection.cursor()
    definition = ", ".join(f"{name} {data_type}" for name, data_type in columns)
    cursor.execute(f"create or replace table {table} ({definition})")
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"insert into {table} values ({placeholders})", rows)
