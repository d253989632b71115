"""A real S3-compatible HTTP server (moto's standalone server) as a process, for the S3 tests.

It speaks the S3 REST API on a local port, so Spark's S3A, boto3 and DuckDB's httpfs all
talk to it exactly as they would to AWS, only with a custom endpoint and path-style URLs.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

from lakehouse.sandbox import free_port

# Any value works: the server accepts every signature, but clients refuse to sign without one.
ACCESS_KEY_ID = "lakehouse-test"
SECRET_ACCESS_KEY = "lakehouse-test-secret"
REGION = "us-east-1"


class S3Server:
    """moto_server on 127.0.0.1 and a free port, its output in log_file."""

    def __init__(self, log_file: Path, start_timeout_seconds: float = 60) -> None:
        self.port = free_port()
        self.log_file = log_file
        self.start_timeout_seconds = start_timeout_seconds
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """The URL clients use as their S3 endpoint."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials(self) -> dict[str, str]:
        """AWS_* variables the standard credential chain of every client picks up."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        executable = Path(sys.executable).parent / "moto_server"
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen(
                [str(executable), "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.start_timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited; see {self.log_file}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not listen within {self.start_timeout_seconds}s")

    def stop(self) -> None:
        """Stop the server (its buckets live in memory and go with it)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=30)
        self._process = None

    def client(self):  # type: ignore[no-untyped-def]  # boto3 clients are generated at run time
        """A boto3 S3 client for this server."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )
