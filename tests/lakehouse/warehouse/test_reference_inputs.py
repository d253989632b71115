"""lakehouse.warehouse.reference_inputs: when a scheduled run may leave the reference branch
out. (tests/dbt/test_incremental_gold.py checks that the runs which leave it out still equal
a full rebuild.)"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.lake.object_store import object_versions
from lakehouse.warehouse.reference_inputs import (
    RECORD_TABLE,
    ReferencePlan,
    record_fingerprint,
    recorded_fingerprint,
    reference_fingerprint,
)
from tests.s3_server import S3Server

VARS = {"reference_path": "/lake/reference", "lookback_minutes": "5"}


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """A reference folder of three files and a small dbt project."""
    reference = tmp_path / "reference"
    reference.mkdir()
    for name in ("users", "tracks", "artists"):
        (reference / f"{name}.parquet").write_bytes(b"PAR1" + name.encode())
    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: lakehouse\n")
    (project / "models" / "dim_users.sql").write_text("select 1 as user_id\n")
    return reference, project


def fingerprint(reference: Path, project: Path, dbt_vars: dict[str, str] = VARS) -> str:
    return reference_fingerprint(str(reference), project, "duckdb", dbt_vars)


def test_the_same_inputs_give_the_same_fingerprint_whatever_dbt_wrote(
    inputs: tuple[Path, Path],
) -> None:
    reference, project = inputs
    before = fingerprint(reference, project)
    # What dbt writes into the project folder is output, not input.
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("Running with dbt")
    (project / ".user.yml").write_text("id: 5a1f\n")

    assert fingerprint(reference, project) == before


def test_a_rewritten_reference_file_changes_the_fingerprint_even_with_the_same_size(
    inputs: tuple[Path, Path],
) -> None:
    reference, project = inputs
    before = fingerprint(reference, project)
    users = reference / "users.parquet"
    users.write_bytes(b"PAR1" + b"USERS")
    status = users.stat()
    os.utime(users, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))

    assert fingerprint(reference, project) != before


def test_a_new_reference_file_changes_the_fingerprint(inputs: tuple[Path, Path]) -> None:
    reference, project = inputs
    before = fingerprint(reference, project)
    (reference / "labels.parquet").write_bytes(b"PAR1")

    assert fingerprint(reference, project) != before


def test_a_change_to_the_dbt_project_or_its_vars_changes_the_fingerprint(
    inputs: tuple[Path, Path],
) -> None:
    reference, project = inputs
    before = fingerprint(reference, project)

    assert fingerprint(reference, project, VARS | {"reference_path": "/lake/other"}) != before
    (project / "models" / "dim_users.sql").write_text("select 2 as user_id\n")
    assert fingerprint(reference, project) != before


def test_a_missing_reference_folder_has_a_fingerprint_of_its_own(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    reference, project = inputs

    assert fingerprint(tmp_path / "nowhere", project) != fingerprint(reference, project)


def test_on_s3_a_rewritten_object_of_the_same_size_changes_the_fingerprint(
    inputs: tuple[Path, Path], s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, project = inputs
    for name, value in s3_server.credentials.items():
        monkeypatch.setenv(name, value)
    environ = {
        "LAKEHOUSE__S3__ENDPOINT": s3_server.endpoint,
        "LAKEHOUSE__S3__PATH_STYLE_ACCESS": "true",
    }
    s3 = load_settings("local", environ=environ).s3
    client = s3_server.client()
    client.create_bucket(Bucket="reference-inputs")
    location = "s3a://reference-inputs/lake/reference"
    client.put_object(Bucket="reference-inputs", Key="lake/reference/users.parquet", Body=b"PAR1a")
    before = reference_fingerprint(location, project, "duckdb", VARS, s3)

    client.put_object(Bucket="reference-inputs", Key="lake/reference/users.parquet", Body=b"PAR1b")

    (version,) = object_versions(location, s3)
    assert version[:2] == ("users.parquet", 5)
    assert reference_fingerprint(location, project, "duckdb", VARS, s3) != before


def test_the_warehouse_records_the_last_fingerprint(tmp_path: Path) -> None:
    database = tmp_path / "lakehouse.duckdb"
    assert recorded_fingerprint(database) is None
    duckdb.connect(str(database)).close()
    assert recorded_fingerprint(database) is None

    record_fingerprint(database, "first")
    record_fingerprint(database, "second")

    assert recorded_fingerprint(database) == "second"
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute(f"select count(*) from {RECORD_TABLE}").fetchone() == (1,)


def test_a_current_plan_leaves_the_branch_out_and_keeps_cross_tests() -> None:
    current = ReferencePlan(fingerprint="f", current=True)

    assert current.selection("tag:daily resource_type:unit_test") == (
        "tag:daily resource_type:unit_test tag:reference",
        ["--indirect-selection", "cautious"],
    )
    assert current.selection(None) == ("tag:reference", ["--indirect-selection", "cautious"])
    assert ReferencePlan(fingerprint="f", current=False).selection("tag:daily") == (
        "tag:daily",
        [],
    )
    assert ReferencePlan.from_dict(current.to_dict()) == current


def test_a_plan_follows_the_record_and_snowflake_always_builds_the_branch(
    tmp_path: Path,
) -> None:
    environ = {
        "LAKEHOUSE__LAKE__ROOT": str(tmp_path / "lake"),
        "LAKEHOUSE__WAREHOUSE__DUCKDB_PATH": str(tmp_path / "lakehouse.duckdb"),
    }
    settings = load_settings("local", environ=environ)
    first = pipeline.reference_plan(settings)
    assert first.fingerprint is not None
    assert not first.current

    pipeline.record_reference(settings, first)

    assert pipeline.reference_plan(settings) == ReferencePlan(first.fingerprint, current=True)
    # A run that left the branch out, or kept no record, records nothing.
    database = tmp_path / "lakehouse.duckdb"
    ReferencePlan("other", current=True).record(database)
    ReferencePlan(None, current=False).record(database)
    assert recorded_fingerprint(database) == first.fingerprint
    snowflake = settings.model_copy(
        update={"warehouse": settings.warehouse.model_copy(update={"target": "snowflake"})}
    )
    assert pipeline.reference_plan(snowflake) == ReferencePlan(None, current=False)
