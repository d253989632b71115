"""Load the project's DAGs under a given environment (DAG files read conf/ when parsed)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from unittest import mock

from airflow.dag_processing.dagbag import DagBag

from lakehouse.orchestration.operators import DAGS_FOLDER


def load_dagbag(environment: Mapping[str, str] | None = None) -> DagBag:
    """A DagBag of airflow/dags, parsed with LAKEHOUSE_* variables replaced by `environment`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    with mock.patch.dict(os.environ, {**clean, **(environment or {})}, clear=True):
        return DagBag(str(DAGS_FOLDER))
