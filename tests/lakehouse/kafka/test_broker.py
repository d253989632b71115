"""The local broker's storage format, with the cluster ids that once broke it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from lakehouse.kafka import broker as broker_module
from lakehouse.kafka.broker import KafkaBroker
from lakehouse.sandbox import free_port
from tests.conftest import KAFKA_JARS_DIR


@pytest.mark.integration
def test_a_cluster_id_starting_with_a_dash_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 0xF8 as the first byte makes the base64url id start with "-", which the storage
    # tool's argument parser took for an option (a 1-in-64 failure of `lakehouse up`).
    dashed = uuid.UUID(bytes=b"\xf8" + bytes(range(15)))
    monkeypatch.setattr(broker_module.uuid, "uuid4", lambda: dashed)
    broker = KafkaBroker(
        jars_dir=KAFKA_JARS_DIR,
        state_dir=tmp_path,
        port=free_port(),
        controller_port=free_port(),
    )
    broker._format_storage(broker._write_config())
    meta = (broker.data_dir / "meta.properties").read_text()
    assert "cluster.id=-" in meta
