"""The replay job against the real broker: records a config change fixes move to bronze once."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka import Producer
from pyspark.sql import SparkSession

from jobs import replay_quarantine as replay_job
from jobs.bronze_ingest import written_locations
from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.kafka.topics import ensure_topics
from lakehouse.lake.tables import lake_connection
from lakehouse.settings import Settings
from lakehouse.streaming import locks
from lakehouse.streaming import replay as replay_command
from lakehouse.streaming.replay import replay_quarantine

pytestmark = pytest.mark.integration

KEY = b"u-000001"
# Over the default ingest.max_payload_bytes (65536), under the limit the test raises it to.
PADDING = "x" * 70_000


def event(number: int, *, age: timedelta = timedelta(hours=1), padding: str = "") -> bytes:
    """A valid play event, `age` before now; padding only makes the payload bigger."""
    body = {
        "event_id": f"00000000-0000-4000-8000-{number:012d}",
        "event_type": "play",
        "event_at": (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "user_id": "u-000001",
        "track_id": f"t-{number:06d}",
        "artist_id": "a-00001",
        "session_id": "5d1c1f7e-0000-4000-8000-000000000001",
        "device": "web",
        "country": "DE",
        "track_duration_ms": 180_000,
        "ms_played": 90_000,
        "schema_version": 1,
    }
    if padding:
        body["padding"] = padding
    return json.dumps(body).encode()


def send(settings: Settings, values: list[bytes | None]) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    for value in values:
        producer.produce(settings.kafka.topics["plays"], value=value, key=KEY)
    assert producer.flush(30) == 0


def rows(settings: Settings, location: str) -> list[tuple[Any, ...]]:
    """Every row of a Delta table, in coordinate order."""
    with lake_connection(settings) as connection:
        return connection.execute(
            "select * from delta_scan(?) order by kafka_topic, kafka_partition, kafka_offset",
            [location],
        ).fetchall()


def event_ids(settings: Settings) -> list[str]:
    with lake_connection(settings) as connection:
        found = connection.execute(
            "select event_id from delta_scan(?) order by event_id",
            [settings.bronze_events_location],
        ).fetchall()
    return [event_id for (event_id,) in found]


def reasons(settings: Settings) -> list[str]:
    with lake_connection(settings) as connection:
        found = connection.execute(
            "select reason from delta_scan(?) order by reason", [settings.quarantine_location]
        ).fetchall()
    return [reason for (reason,) in found]


def coordinates(settings: Settings) -> list[tuple[str, int, int]]:
    with lake_connection(settings) as connection:
        found = connection.execute(
            "select kafka_topic, kafka_partition, kafka_offset from delta_scan(?) "
            "union all select kafka_topic, kafka_partition, kafka_offset from delta_scan(?)",
            [settings.bronze_events_location, settings.quarantine_location],
        ).fetchall()
    return [(str(topic), int(partition), int(offset)) for topic, partition, offset in found]


def ids(*numbers: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{number:012d}" for number in numbers]


@pytest.mark.slow
def test_records_fixed_by_a_config_change_move_to_bronze_once(
    stack: Settings,
    spark: SparkSession,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    ensure_topics(stack.kafka_bootstrap, stack.kafka.topics.values(), 2)
    valid = [event(n) for n in range(10)]
    too_large = [event(100 + n, padding=PADDING) for n in range(3)]
    too_old = [event(200 + n, age=timedelta(days=400)) for n in range(2)]
    # Too large today; once the limit is raised, what is left to say is that it is not JSON.
    large_and_broken = b"{" + PADDING.encode()
    hopeless: list[bytes | None] = [b"{broken", b"\xff\xfe", None]
    records = [*valid, *too_large, *too_old, large_and_broken, *hopeless]
    send(stack, records)
    pipeline.ingest(stack, "available-now")

    assert event_ids(stack) == ids(*range(10))
    assert [reason.split(":")[0] for reason in reasons(stack)] == [
        "empty_value",
        "event_time_too_old",
        "event_time_too_old",
        "invalid_json",
        "invalid_utf8",
        *["payload_too_large"] * 4,
    ]
    bronze_before = rows(stack, stack.bronze_events_location)
    quarantine_before = rows(stack, stack.quarantine_location)

    monkeypatch.setenv("LAKEHOUSE__INGEST__MAX_PAYLOAD_BYTES", "131072")
    monkeypatch.setenv("LAKEHOUSE__INGEST__MAX_EVENT_AGE_DAYS", "1000")
    settings = load_settings()
    assert settings.ingest.max_payload_bytes == 131072

    # The job's own functions in this process's session save two spark-submits.
    expected = replay_job.ReplaySummary(
        examined=9,
        inserted_into_bronze=5,
        already_in_bronze=0,
        still_quarantined={"empty_value": 1, "invalid_json": 2, "invalid_utf8": 1},
        reasons_updated=1,
    )
    assert replay_job.replay(spark, settings, dry_run=True) == expected
    assert rows(settings, settings.bronze_events_location) == bronze_before
    assert rows(settings, settings.quarantine_location) == quarantine_before

    def crash(*arguments: object) -> None:
        raise RuntimeError("killed between the bronze insert and the quarantine delete")

    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="killed"):
        patch.setattr(replay_job, "settle_quarantine", crash)
        replay_job.replay(spark, settings, dry_run=False)
    # In both tables, never in neither.
    assert event_ids(settings) == ids(*range(10), 100, 101, 102, 200, 201)
    assert rows(settings, settings.quarantine_location) == quarantine_before
    bronze_after = rows(settings, settings.bronze_events_location)
    assert set(bronze_before) < set(bronze_after)

    capfd.readouterr()
    replay_quarantine(settings)
    assert (
        "[replay] examined 9, move to bronze 5 (5 already there), stay quarantined 4 "
        "(empty_value 1, invalid_json 2, invalid_utf8 1), reasons updated 1"
    ) in capfd.readouterr().out
    assert rows(settings, settings.bronze_events_location) == bronze_after
    assert [reason.split(":")[0] for reason in reasons(settings)] == [
        "empty_value",
        "invalid_json",
        "invalid_json",
        "invalid_utf8",
    ]
    everything = coordinates(settings)
    assert len(set(everything)) == len(everything) == len(records)
    with lake_connection(settings) as connection:
        moved = connection.execute(
            "select count(*), min(strlen(raw_value)), min(kafka_key) from delta_scan(?) "
            "where event_id in (select unnest(?))",
            [settings.bronze_events_location, ids(100, 101, 102)],
        ).fetchone()
    assert moved == (3, len(too_large[0]), KEY.decode())

    quarantine_after = rows(settings, settings.quarantine_location)
    replay_quarantine(settings)
    assert "examined 4, move to bronze 0 (0 already there)" in capfd.readouterr().out
    assert rows(settings, settings.bronze_events_location) == bronze_after
    assert rows(settings, settings.quarantine_location) == quarantine_after


def test_replay_is_refused_while_another_writer_holds_the_tables(
    stack: Settings, capfd: pytest.CaptureFixture[str]
) -> None:
    with (
        locks.exclusive_all(stack.state_path, written_locations(stack), "test writer"),
        pytest.raises(pipeline.PipelineError, match="exit code 3"),
    ):
        replay_quarantine(stack)
    # spark-submit passes the job's stderr on through its stdout.
    output = capfd.readouterr()
    assert f"in use by pid {os.getpid()} (test writer" in output.out + output.err

    # Once the writer is gone the replay runs; with no quarantine table it has nothing to do.
    replay_quarantine(stack)
    assert "no quarantine table" in capfd.readouterr().out


def test_dry_run_reaches_the_job(stack: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    submitted: list[list[str]] = []
    monkeypatch.setattr(
        replay_command, "run_spark_submit", lambda settings, command: submitted.append(command)
    )
    replay_quarantine(stack, dry_run=True)
    replay_quarantine(stack)

    dry, writing = submitted
    assert dry[-4:] == [str(replay_command.REPLAY_JOB), "--env", "local", "--dry-run"]
    assert writing[-3:] == [str(replay_command.REPLAY_JOB), "--env", "local"]
    assert replay_job.parse_args(dry[-3:]).dry_run is True
    assert replay_job.parse_args(writing[-2:]).dry_run is False
