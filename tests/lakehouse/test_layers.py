"""The package's layering: lakehouse/ never imports jobs/, and the CLI starts without Spark."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import lakehouse

PACKAGE = Path(lakehouse.__file__).parent
# The job code spark-submit runs; lakehouse/ is the library it imports, never the reverse.
JOB_PACKAGES = {"jobs", "transformations"}
# Modules of the commands that run no Spark (everything but ingest, replay and the drills'
# stacks, which start spark-submit as a separate process anyway).
NO_SPARK_MODULES = [
    "lakehouse.cli.main",
    "lakehouse.cli.status_view",
    "lakehouse.monitoring.status",
    "lakehouse.monitoring.reconcile",
    "lakehouse.monitoring.quality",
    "lakehouse.monitoring.kafka_health",
    "lakehouse.pipeline",
    "lakehouse.warehouse.project",
    "lakehouse.orchestration.operators",
    "lakehouse.orchestration.emr",
    "lakehouse.dashboard.data",
]


def _imported_packages(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_in_lakehouse_imports_the_jobs() -> None:
    offenders = {
        str(source.relative_to(PACKAGE.parent)): sorted(_imported_packages(source) & JOB_PACKAGES)
        for source in sorted(PACKAGE.rglob("*.py"))
        if _imported_packages(source) & JOB_PACKAGES
    }
    assert offenders == {}


def test_the_import_check_sees_an_import_of_the_jobs(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(
        "import os\n\ndef f():\n    from jobs.bronze_ingest import main\n    return main\n"
    )
    assert _imported_packages(source) & JOB_PACKAGES == {"jobs"}


def _modules_loaded_by(*modules: str) -> set[str]:
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout))


def _top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_commands_without_spark_do_not_import_pyspark_or_the_jobs() -> None:
    loaded = _top_level(_modules_loaded_by(*NO_SPARK_MODULES))
    assert "lakehouse" in loaded
    assert loaded & {"pyspark", "py4j", "delta", *JOB_PACKAGES} == set()


def test_the_cli_loads_no_engine_or_client_before_a_command_runs() -> None:
    loaded = _modules_loaded_by("lakehouse.cli.main")
    heavy = {"pyspark", "duckdb", "confluent_kafka", "pydantic", "lakehouse.pipeline"}
    assert "typer" in loaded
    assert heavy & (loaded | _top_level(loaded)) == set()
