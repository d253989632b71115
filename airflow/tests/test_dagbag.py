"""Every DAG file imports without errors or warnings, in each environment."""

from __future__ import annotations

import warnings

import pytest
from dagbag import load_dagbag

EXPECTED = {
    "lakehouse_ingestion",
    "lakehouse_transformation",
    "lakehouse_quality",
    "lakehouse_maintenance",
    "lakehouse_recommendations",
}


INGEST_OPERATOR = {
    "local": "SparkSubmitOperator",
    "dev": "SparkSubmitOperator",
    "prod": "EmrServerlessStartJobOperator",
}


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_dags_import_without_errors_or_warnings(env: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bag = load_dagbag({"LAKEHOUSE_ENV": env})
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == EXPECTED
    # Each parse reads its own environment's settings (none frozen from an earlier parse).
    ingest = bag.dags["lakehouse_ingestion"].get_task("ingest_bronze")
    assert type(ingest).__name__ == INGEST_OPERATOR[env]
    assert bag.captured_warnings == {}
    ours = [
        w for w in caught if "airflow/dags" in str(w.filename) or "lakehouse" in str(w.filename)
    ]
    assert [str(w.message) for w in ours] == []
