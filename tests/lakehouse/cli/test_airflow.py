"""`lakehouse airflow ...`: the exports that point Airflow at the project, and the package."""

from __future__ import annotations

import json
import shlex

from typer.testing import CliRunner

from lakehouse.cli.main import app
from lakehouse.settings import PROJECT_ROOT
from tests.conftest import EMR_BUILD_PYTHON


def test_env_points_airflow_at_the_project_and_the_configured_master() -> None:
    result = CliRunner().invoke(app, ["--env", "local", "airflow", "env"], env={})
    assert result.exit_code == 0, result.output
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in result.output.splitlines()
    )
    assert exports["AIRFLOW_HOME"] == str(PROJECT_ROOT / ".lakehouse" / "airflow")
    assert exports["AIRFLOW__CORE__DAGS_FOLDER"] == str(PROJECT_ROOT / "airflow" / "dags")
    assert exports["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert json.loads(exports["AIRFLOW_CONN_SPARK_DEFAULT"]) == {
        "conn_type": "spark",
        "host": "local[*]",
    }
    assert exports["LAKEHOUSE_ENV"] == "local"


def test_package_emr_writes_the_zip_entry_point_and_conf(tmp_path: object) -> None:
    output = f"{tmp_path}/emr"
    result = CliRunner().invoke(
        app,
        ["--env", "prod", "airflow", "package-emr", "--output", output],
        env={"LAKEHOUSE__EMR__PYTHON": EMR_BUILD_PYTHON},
    )
    assert result.exit_code == 0, result.output
    assert f"aws s3 sync {output}/code s3://example-lakehouse-prod/code" in result.output
    assert f"aws s3 sync {output}/jars s3://example-lakehouse-prod/jars" in result.output
