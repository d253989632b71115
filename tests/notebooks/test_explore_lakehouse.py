"""notebooks/explore_lakehouse.ipynb: committed without outputs, and runs top to bottom."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from lakehouse.sandbox import use_environment
from lakehouse.settings import PROJECT_ROOT
from tests.small_run import MAX_OFFSETS_PER_TRIGGER, SmallRun

NOTEBOOK = PROJECT_ROOT / "notebooks" / "explore_lakehouse.ipynb"


def code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def printed(notebook: Any) -> str:
    """Everything the cells printed or showed as text, in order."""
    texts = []
    for cell in code_cells(notebook):
        for output in cell.outputs:
            if output.output_type == "stream":
                texts.append(output.text)
            elif "text/plain" in output.get("data", {}):
                texts.append(output.data["text/plain"])
    return "\n".join(texts)


def test_the_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    cells = code_cells(notebook)
    assert len(cells) > 5
    assert [(cell.outputs, cell.execution_count) for cell in cells] == [([], None)] * len(cells)


@pytest.mark.integration
def test_the_notebook_runs_on_a_small_run(small_run: SmallRun, tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    # The kernel reads its settings like any command: from the environment it starts with.
    with use_environment(small_run.environment):
        client.execute()
    text = printed(notebook)
    events = small_run.ingested_events
    assert re.search(rf"bronze: +{re.escape(small_run.settings.bronze_events_location)}\n", text)
    assert f"bronze rows: {events:,}" in text
    assert f"silver rows: {events:,} ({events:,} distinct event ids)" in text
    for reason in ("invalid_json", "invalid_utf8", "missing_field"):
        assert reason in text

    # Delta history: the table's creation, then one STREAMING UPDATE per micro-batch, the first
    # capped.
    assert len(re.findall(r"\|CREATE TABLE\s*\|", text)) == 1
    assert (
        len(re.findall(r"\|STREAMING UPDATE\s*\|", text)) >= events // MAX_OFFSETS_PER_TRIGGER + 1
    )
    travelled = re.search(r"version 1: ([\d,]+) rows\nversion (\d+) \(now\): ([\d,]+) rows", text)
    assert travelled, text
    assert 0 < int(travelled[1].replace(",", "")) <= MAX_OFFSETS_PER_TRIGGER
    assert int(travelled[2]) >= 2
    assert int(travelled[3].replace(",", "")) == events

    # Partition pruning: Spark's scan filters on the partition; DuckDB reads fewer files.
    assert re.search(r"PartitionFilters: \[isnotnull\(event_date#\d+\), \(event_date#\d+ = ", text)
    files = re.search(r"DuckDB reads (\d+) of (\d+) files for event_date = ", text)
    assert files, text
    assert 0 < int(files[1]) < int(files[2])

    charts = [
        output
        for cell in code_cells(notebook)
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(charts) == 1
    assert "Figure size 1200x400 with 2 Axes" in charts[0].data["text/plain"]
