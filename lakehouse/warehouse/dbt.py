"""Run the dbt project: environment for its profile, DuckDB extensions, and the dbt command.

Nothing here reads configuration; callers pass paths, vars and the target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from duckdb_extensions import import_extension

# The extensions the duckdb profile loads (`extensions:` in dbt/profiles.yml): delta for
# delta_scan, httpfs to reach S3, aws for the credential-chain S3 secret.
DUCKDB_EXTENSIONS = ("delta", "httpfs", "aws")

DUCKDB_PATH_VARIABLE = "LAKEHOUSE_DUCKDB_PATH"
DUCKDB_EXTENSION_DIR_VARIABLE = "LAKEHOUSE_DUCKDB_EXTENSION_DIR"
# The profile's S3 secret option each variable fills (see object_store.duckdb_s3_options).
S3_OPTION_VARIABLES = {
    "chain": "LAKEHOUSE_S3_CHAIN",
    "region": "LAKEHOUSE_S3_REGION",
    "endpoint": "LAKEHOUSE_S3_ENDPOINT",
    "url_style": "LAKEHOUSE_S3_URL_STYLE",
    "use_ssl": "LAKEHOUSE_S3_USE_SSL",
}


class DbtCommandError(RuntimeError):
    """A dbt command exited with a non-zero code."""

    def __init__(self, command: list[str], target: str, exit_code: int, log_file: Path) -> None:
        self.command = command
        self.target = target
        self.exit_code = exit_code
        self.log_file = log_file
        super().__init__(
            f"`dbt {' '.join(command)}` failed on target {target!r} with exit code "
            f"{exit_code}; dbt's log is {log_file}"
        )


def dbt_environment(
    duckdb_path: Path, extension_dir: Path, s3_options: dict[str, str] | None = None
) -> dict[str, str]:
    """Return the environment variables that dbt/profiles.yml reads for the duckdb target."""
    environment = {
        DUCKDB_PATH_VARIABLE: str(duckdb_path.resolve()),
        DUCKDB_EXTENSION_DIR_VARIABLE: str(extension_dir.resolve()),
    }
    for option, value in (s3_options or {}).items():
        environment[S3_OPTION_VARIABLES[option]] = value
    return environment


def ensure_duckdb_extensions(extension_dir: Path) -> None:
    """Install the profile's DuckDB extensions into extension_dir from their PyPI packages."""
    extension_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(config={"extension_directory": str(extension_dir.resolve())}) as connection:
        for name in DUCKDB_EXTENSIONS:
            row = connection.execute(
                "select installed from duckdb_extensions() where extension_name = ?", [name]
            ).fetchone()
            if row is None or not row[0]:
                import_extension(name, con=connection)


def run_dbt(
    command: list[str],
    *,
    project_dir: Path,
    duckdb_path: Path,
    extension_dir: Path,
    dbt_vars: dict[str, str],
    target: str = "duckdb",
    artifacts_dir: Path | None = None,
    s3_options: dict[str, str] | None = None,
) -> None:
    """Run `dbt <command>` on the project and target, streaming dbt's output; raise on failure."""
    if target == "duckdb":
        duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        ensure_duckdb_extensions(extension_dir)

    project_dir = project_dir.resolve()
    # profiles.yml lives in the project folder.
    arguments = [
        *command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        target,
        "--vars",
        json.dumps(dbt_vars),
    ]
    # dbt's own default, or where DBT_LOG_PATH moves it.
    log_dir = Path(os.environ.get("DBT_LOG_PATH") or project_dir / "logs")
    if artifacts_dir is not None:
        log_dir = artifacts_dir.resolve() / "logs"
        target_dir = artifacts_dir.resolve() / "target"
        arguments += ["--log-path", str(log_dir), "--target-path", str(target_dir)]

    # The dbt next to this interpreter, so the run uses this environment's adapters.
    executable = Path(sys.executable).parent / "dbt"
    environment = {**os.environ, **dbt_environment(duckdb_path, extension_dir, s3_options)}
    if not sys.stdout.isatty():
        # Colour codes are noise in CI logs and files.
        environment.setdefault("DBT_USE_COLORS", "false")
    completed = subprocess.run([str(executable), *arguments], env=environment, check=False)
    if completed.returncode != 0:
        raise DbtCommandError(command, target, completed.returncode, log_dir / "dbt.log")
