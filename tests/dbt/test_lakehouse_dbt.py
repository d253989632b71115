"""lakehouse.warehouse.dbt without Spark: the profile's environment and the DuckDB extensions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from lakehouse.warehouse.dbt import (
    DbtCommandError,
    dbt_environment,
    ensure_duckdb_extensions,
    run_dbt,
)

# Nothing listens here: an INSTALL that tries to download fails at once.
UNREACHABLE_REPOSITORY = "http://127.0.0.1:9/duckdb-extensions"


def connect_offline(extension_dir: Path) -> duckdb.DuckDBPyConnection:
    """A connection whose extension downloads can only fail."""
    return duckdb.connect(
        config={
            "extension_directory": str(extension_dir),
            "custom_extension_repository": UNREACHABLE_REPOSITORY,
            "autoinstall_known_extensions": False,
        }
    )


def test_dbt_environment_gives_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    environment = dbt_environment(Path("warehouse/lakehouse.duckdb"), Path("extensions"))

    assert environment == {
        "LAKEHOUSE_DUCKDB_PATH": str(tmp_path / "warehouse" / "lakehouse.duckdb"),
        "LAKEHOUSE_DUCKDB_EXTENSION_DIR": str(tmp_path / "extensions"),
    }


def test_install_needs_a_download_without_ensure_duckdb_extensions(tmp_path: Path) -> None:
    with connect_offline(tmp_path) as connection, pytest.raises(duckdb.IOException):
        connection.install_extension("delta")


def test_ensure_duckdb_extensions_lets_dbt_install_delta_offline(tmp_path: Path) -> None:
    extension_dir = tmp_path / "extensions"

    ensure_duckdb_extensions(extension_dir)

    # What dbt-duckdb runs for `extensions: [delta]`.
    with connect_offline(extension_dir) as connection:
        connection.install_extension("delta")
        connection.load_extension("delta")
        loaded = connection.execute(
            "select loaded from duckdb_extensions() where extension_name = 'delta'"
        ).fetchone()
    assert loaded == (True,)


def test_ensure_duckdb_extensions_installs_once(tmp_path: Path) -> None:
    ensure_duckdb_extensions(tmp_path)
    (installed_file,) = tmp_path.glob("*/*/delta.duckdb_extension")
    first_install = installed_file.stat().st_mtime_ns

    ensure_duckdb_extensions(tmp_path)

    assert installed_file.stat().st_mtime_ns == first_install


def test_a_failed_command_names_the_log_where_dbt_log_path_puts_it(
    tmp_path: Path,
    dbt_project_dir: Path,
    duckdb_extension_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "elsewhere"))
    with pytest.raises(DbtCommandError) as failure:
        run_dbt(
            ["compile", "--select", "no_such_model", "--no-such-option"],
            project_dir=dbt_project_dir,
            duckdb_path=tmp_path / "lakehouse.duckdb",
            extension_dir=duckdb_extension_dir,
            dbt_vars={},
        )
    assert failure.value.log_file == tmp_path / "elsewhere" / "dbt.log"
