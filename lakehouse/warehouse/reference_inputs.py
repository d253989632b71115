"""Whether a scheduled dbt run may leave the reference branch out.

The reference branch (dbt tag `reference`: the three reference staging views, the
users_snapshot snapshot and dim_users, dim_tracks, dim_artists) reads nothing but the
reference Parquet files. Built again from the same files by the same project, it comes out
the same: the snapshot uses the timestamp strategy, so it records a profile version only when
a user's updated_at moves. A scheduled run therefore leaves the branch, and the data tests
that read only the branch, out when the warehouse records that its last successful build of
the branch saw the inputs a build would see now. The data tests that join events to the
branch (silver to the reference users and tracks, fct_listens to the dimensions) still run:
dbt's cautious indirect selection keeps a test while one of its models is built.

The inputs, as one SHA-256 fingerprint:
- each reference file's name, size and version: its modification time on a local disk, its
  ETag on S3 (one LIST call; a rewritten object gets a new ETag even with the same bytes);
- every file of the dbt project but its `target/`, `logs/` and dot files (any change to the
  SQL, the macros, installed packages or dbt_project.yml builds the branch once more);
- the dbt target and vars (reference_path among them).

The warehouse keeps the fingerprint in RECORD_TABLE, so it travels with the warehouse file
(a copied or restored warehouse carries its own record; a new one has none and builds the
branch). Only the DuckDB target keeps a record; on Snowflake every run builds the branch.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lakehouse.lake.object_store import is_s3, object_versions
from lakehouse.settings import S3Config

# dbt selector of the branch (the tag is set in the models' and the snapshot's YAML).
REFERENCE_BRANCH = "tag:reference"
# Schema and table in the DuckDB warehouse: one row, the fingerprint of the last build.
RECORD_SCHEMA = "lakehouse_state"
RECORD_TABLE = f"{RECORD_SCHEMA}.reference_inputs"
# What dbt writes into the project folder when no artifacts folder is given. (Installed
# packages, dbt_packages/, are inputs: their macros build the models.)
_PROJECT_OUTPUTS = {"target", "logs"}


def _reference_files(location: str, s3: S3Config | None) -> Iterator[tuple[str, int, str]]:
    """(name, size, version) of each file in the reference folder, sorted by name."""
    if is_s3(location):
        if s3 is None:
            raise ValueError(f"reference location {location} is on S3 but no S3 config was given")
        yield from object_versions(location, s3)
        return
    folder = Path(location)
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.is_file():
            status = path.stat()
            yield path.name, status.st_size, str(status.st_mtime_ns)


def _project_files(project_dir: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(project_dir):
        subfolders[:] = sorted(
            name for name in subfolders if name not in _PROJECT_OUTPUTS and not name.startswith(".")
        )
        # Dot files are dbt's and tools' own (.user.yml, .sqlfluff), not the project's.
        yield from (Path(folder) / name for name in sorted(files) if not name.startswith("."))


def reference_fingerprint(
    reference_location: str,
    project_dir: Path,
    target: str,
    dbt_vars: Mapping[str, str],
    s3: S3Config | None = None,
) -> str:
    """The fingerprint of what the reference branch is built from (see the module's doc)."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"target": target, "vars": dict(sorted(dbt_vars.items()))}).encode())
    for name, size, version in _reference_files(reference_location, s3):
        digest.update(f"\0reference\0{name}\0{size}\0{version}".encode())
    for path in _project_files(project_dir):
        digest.update(f"\0project\0{path.relative_to(project_dir).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def recorded_fingerprint(database: Path) -> str | None:
    """The fingerprint the warehouse recorded at its last build of the branch, or None."""
    if not database.exists():
        return None
    with duckdb.connect(str(database), read_only=True) as connection:
        try:
            row = connection.execute(f"select fingerprint from {RECORD_TABLE}").fetchone()
        except duckdb.CatalogException:
            return None  # no build has recorded its inputs yet
    return None if row is None else str(row[0])


def record_fingerprint(database: Path, fingerprint: str) -> None:
    """Record that the branch was built, and its tests passed, from these inputs."""
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"create schema if not exists {RECORD_SCHEMA}")
        connection.execute(
            f"create or replace table {RECORD_TABLE} as "
            "select ?::varchar as fingerprint, now()::timestamptz as recorded_at",
            [fingerprint],
        )


def plan_reference(
    reference_location: str,
    project_dir: Path,
    target: str,
    dbt_vars: Mapping[str, str],
    *,
    database: Path,
    s3: S3Config | None = None,
) -> ReferencePlan:
    """The fingerprint of the inputs now, and whether `database` recorded the same."""
    fingerprint = reference_fingerprint(reference_location, project_dir, target, dbt_vars, s3)
    return ReferencePlan(fingerprint, current=recorded_fingerprint(database) == fingerprint)


@dataclass(frozen=True)
class ReferencePlan:
    """What a scheduled run does with the reference branch, decided before its first dbt
    command (the inputs are read then, so a file rewritten during the run is seen next time).

    `current`: the warehouse's record matches `fingerprint`, so the run leaves the branch out.
    `fingerprint` is None where the target keeps no record (Snowflake): the branch is built."""

    fingerprint: str | None
    current: bool

    def selection(self, exclude: str | None) -> tuple[str | None, list[str]]:
        """The --exclude value and the extra dbt arguments of one of the run's commands."""
        if not self.current:
            return exclude, []
        excluded = f"{exclude} {REFERENCE_BRANCH}" if exclude else REFERENCE_BRANCH
        return excluded, ["--indirect-selection", "cautious"]

    def record(self, database: Path) -> None:
        """After the run built the branch and its tests passed: record its inputs (nothing to
        do when it left the branch out, or where the target keeps no record)."""
        if self.fingerprint is not None and not self.current:
            record_fingerprint(database, self.fingerprint)

    def to_dict(self) -> dict[str, object]:
        """For Airflow's XCom, between the DAG's tasks."""
        return {"fingerprint": self.fingerprint, "current": self.current}

    @classmethod
    def from_dict(cls, values: Mapping[str, object]) -> ReferencePlan:
        fingerprint = values.get("fingerprint")
        return cls(None if fingerprint is None else str(fingerprint), bool(values.get("current")))
