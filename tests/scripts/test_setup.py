"""scripts/setup.sh names what a machine lacks and how to get it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse.settings import PROJECT_ROOT

SETUP = PROJECT_ROOT / "scripts" / "setup.sh"
TOOLS = ("bash", "dirname", "sed", "head", "cat")


def fake_path(tmp_path: Path, **fakes: str) -> str:
    """A PATH with only the basic tools plus fake programs (name -> shell script body)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(found)
    # The real interpreter, not a version-manager shim that needs its own PATH entries.
    (folder / "python3.11").symlink_to(os.path.realpath(sys.executable))
    for name, body in fakes.items():
        program = folder / name
        program.write_text(f"#!/bin/sh\n{body}\n")
        program.chmod(0o755)
    return str(folder)


def run_setup(path: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "LAKEHOUSE_PYTHON"}
    return subprocess.run(
        ["bash", str(SETUP)],
        env={**environment, "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_java_is_named_with_the_install_command(tmp_path: Path) -> None:
    result = run_setup(fake_path(tmp_path))
    assert result.returncode == 1
    assert "Java 17+ is required" in result.stderr
    assert "openjdk-17-jdk-headless" in result.stderr


def test_old_java_is_named_with_its_version(tmp_path: Path) -> None:
    old_java = "echo 'openjdk version \"11.0.22\" 2024-01-16' >&2"
    result = run_setup(fake_path(tmp_path, java=old_java))
    assert result.returncode == 1
    assert "'java' on PATH is version 11" in result.stderr


@pytest.mark.parametrize("java_version", ['"17.0.15" 2025-04-15', '"21.0.2" 2024-01-16'])
def test_missing_maven_is_named(tmp_path: Path, java_version: str) -> None:
    java = f"echo 'openjdk version {java_version}' >&2"
    result = run_setup(fake_path(tmp_path, java=java))
    assert result.returncode == 1
    assert "Maven is required" in result.stderr
    assert "apt-get install maven" in result.stderr
