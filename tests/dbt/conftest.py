"""Fixtures for the dbt tests (the Spark session comes from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.settings import PROJECT_ROOT


@pytest.fixture(scope="session")
def dbt_project_dir() -> Path:
    """The repository's dbt project."""
    return PROJECT_ROOT / "dbt"


@pytest.fixture(scope="session")
def duckdb_extension_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB extension directory private to this test run."""
    return tmp_path_factory.mktemp("duckdb_extensions")
