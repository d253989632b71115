"""A rehearsal of the EMR Serverless run: the built artifacts, the request, S3 and a real broker.

`package-emr` builds the artifacts; they are uploaded to the S3 server as its printed
`aws s3 sync` lines say; an empty driver folder gets the request's archives unpacked into
`./environment` and `./conf`, as EMR does; then `spark-submit` runs the request's own
sparkSubmitParameters, entry point and arguments with a local master and the packed
environment's Python. What stands in for EMR, and nothing else: the pyspark package's Spark
(EMR's Spark), the set-up's S3A jars on the driver's class path (EMR's own S3A, which the
request leaves out), s3:// served by S3A (EMRFS on EMR), LAKEHOUSE__ overrides that point
conf/prod.yaml at the test broker, the S3 server and this test's topics, and sizes for two
cores (driver memory, shuffle and Delta snapshot partitions, a two-hour event window); the
environment links to this run's Python 3.11 instead of emr.python's /usr/bin/python3.11.
Bronze and quarantine are read back from the S3 server with plain code (Delta log + Parquet)
and must hold every record Kafka has, each once.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pyarrow.parquet as pq
import pyspark
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from bench.ingest_profile import SNAPSHOT_PARTITIONS
from lakehouse import pipeline
from lakehouse.config import load_settings
from lakehouse.kafka.broker import KafkaBroker
from lakehouse.monitoring.reconcile import check
from lakehouse.orchestration.emr import MANIFEST, S3A_JAR_PREFIXES, job_request
from lakehouse.orchestration.emr_package import build_emr_package, sha256
from lakehouse.settings import Settings
from lakehouse.streaming.checkpoint import INGEST_QUERY
from tests.conftest import EMR_BUILD_PYTHON, SPARK_JARS_DIR
from tests.s3_server import REGION, S3Server

# 4m18s to 9m on 2 cores shared with other runs (load 12-18): left out of `make test`, run by
# `make test-slow` (and .ci/run).
pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = 1_500
SEED = 15
MALFORMED = [b"not json", b'{"event_id": 7}', b"\xff\xfe"]
PARTITIONS = 3
TOPICS = ("plays", "skips", "likes")
COORDINATES = ("kafka_topic", "kafka_partition", "kafka_offset")


@pytest.fixture
def emr_settings(
    kafka_broker: KafkaBroker, s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """conf/prod.yaml pointed at the test broker and a fresh bucket on the S3 server."""
    bucket = f"emr-{tmp_path.name.replace('_', '-').lower()}"[:63]
    s3_server.client().create_bucket(Bucket=bucket)
    suffix = tmp_path.name.replace("_", "-")
    overrides = {
        "LAKEHOUSE__KAFKA__BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers,
        "LAKEHOUSE__KAFKA__PARTITIONS": str(PARTITIONS),
        **{f"LAKEHOUSE__KAFKA__TOPICS__{name.upper()}": f"{name}-{suffix}" for name in TOPICS},
        "LAKEHOUSE__LAKE__ROOT": f"s3a://{bucket}/lake",
        "LAKEHOUSE__LAKE__CHECKPOINT_ROOT": f"s3a://{bucket}/checkpoints",
        "LAKEHOUSE__S3__ENDPOINT": s3_server.endpoint,
        "LAKEHOUSE__S3__REGION": REGION,
        "LAKEHOUSE__S3__PATH_STYLE_ACCESS": "true",
        "LAKEHOUSE__SPARK__DRIVER_MEMORY": "1g",
        "LAKEHOUSE__SPARK__SHUFFLE_PARTITIONS": "2",
        "LAKEHOUSE__EMR__CODE_URI": f"s3://{bucket}/code",
        "LAKEHOUSE__EMR__JARS_URI": f"s3://{bucket}/jars",
        "LAKEHOUSE__EMR__LOGS_URI": f"s3://{bucket}/logs",
        "LAKEHOUSE__EMR__PYTHON": EMR_BUILD_PYTHON,
        "LAKEHOUSE__SIMULATOR__USERS": "300",
        "LAKEHOUSE__SIMULATOR__ARTISTS": "60",
        "LAKEHOUSE__SIMULATOR__TRACKS": "600",
        # Two hours of events: two hour partitions to write to S3, not 48.
        "LAKEHOUSE__SIMULATOR__WINDOW_HOURS": "2",
        **s3_server.credentials,
    }  # fmt: skip
    for name, value in overrides.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LAKEHOUSE_CONF_DIR", raising=False)
    return load_settings("prod")


def split_uri(uri: str) -> tuple[str, str]:
    """Bucket and key of an s3:// URI."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def sync_up(s3_server: S3Server, command: str) -> None:
    """What a printed `aws s3 sync <folder> s3://bucket/prefix` line does, with boto3."""
    _, _, _, source, target = command.split(" ")
    bucket, prefix = split_uri(target)
    for path in sorted(Path(source).iterdir()):
        s3_server.client().upload_file(str(path), bucket, f"{prefix}/{path.name}")


def parameter_pairs(parameters: str) -> list[tuple[str, str]]:
    """sparkSubmitParameters as (option, value) pairs."""
    words = parameters.split(" ")
    return list(zip(words[::2], words[1::2], strict=True))


def stage_driver_folder(s3_server: S3Server, parameters: str, folder: Path) -> dict[str, str]:
    """Unpack each `--archives uri#alias` into folder/alias, as EMR does; their checksums."""
    archives = dict(parameter_pairs(parameters))["--archives"].split(",")
    checksums = {}
    for archive in archives:
        uri, alias = archive.split("#")
        local = folder.parent / uri.rsplit("/", 1)[1]
        s3_server.client().download_file(*split_uri(uri), str(local))
        checksums[local.name] = sha256(local)
        with tarfile.open(local) as bundle:
            bundle.extractall(folder / alias, filter="tar")
    return checksums


def kafka_records(settings: Settings) -> int:
    """Records Kafka holds in the event topics: the sum of end minus start offsets."""
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": "rehearsal"})
    try:
        total = 0
        for topic in settings.kafka.topics.values():
            for partition in range(PARTITIONS):
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), 10)
                total += high - low
        return total
    finally:
        consumer.close()


def read_back(s3_server: S3Server, location: str) -> set[tuple[str, int, int]]:
    """Kafka coordinates of a Delta table's rows, read from the S3 server with plain code:
    the live files from the JSON commits of _delta_log, then each Parquet file."""
    bucket, _, prefix = location.removeprefix("s3a://").partition("/")
    client = s3_server.client()
    listing = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/_delta_log/")
    log_keys = sorted(item["Key"] for item in listing.get("Contents", []))
    # A checkpoint would hold actions the JSON files no longer repeat; a run this small has none.
    assert not [key for key in log_keys if key.endswith(".parquet")], log_keys
    live: set[str] = set()
    for key in (key for key in log_keys if key.endswith(".json")):
        for line in client.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines():
            action = json.loads(line)
            if "add" in action:
                live.add(unquote(action["add"]["path"]))
            elif "remove" in action:
                live.discard(unquote(action["remove"]["path"]))
    coordinates = set()
    for path in live:
        body = client.get_object(Bucket=bucket, Key=f"{prefix}/{path}")["Body"].read()
        table = pq.read_table(io.BytesIO(body), columns=list(COORDINATES))
        columns = (table.column(name).to_pylist() for name in COORDINATES)
        coordinates |= set(zip(*columns, strict=True))
    return coordinates


def test_packaged_job_runs_as_emr_would_and_reconciles(
    emr_settings: Settings, s3_server: S3Server, tmp_path: Path
) -> None:
    settings = emr_settings
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    report = pipeline.produce(settings, events=EVENTS, rate=None, seed=SEED, end=end)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for value in MALFORMED:
        producer.produce(settings.kafka.topics["plays"], value=value)
    assert producer.flush(30) == 0

    package = build_emr_package(settings, tmp_path / "dist")
    for command in package.upload_commands(settings):
        sync_up(s3_server, command)
    submit = job_request(settings)["job_driver"]["sparkSubmit"]
    parameters = submit["sparkSubmitParameters"]
    driver = tmp_path / "driver"
    driver.mkdir()
    checksums = stage_driver_folder(s3_server, parameters, driver)
    manifest = json.loads((package.code / MANIFEST).read_text())
    assert checksums == {name: manifest["code"][name]["sha256"] for name in checksums}

    conf = dict(
        value.split("=", 1) for option, value in parameter_pairs(parameters) if option == "--conf"
    )
    s3a_jars = sorted(
        str(j) for j in SPARK_JARS_DIR.glob("*.jar") if j.name.startswith(S3A_JAR_PREFIXES)
    )
    command = [
        str(Path(sys.executable).parent / "spark-submit"),
        "--master", "local[2]",
        # EMR's own S3A is on its cluster's class path; here the set-up's S3A jars stand in.
        "--driver-class-path", ":".join(s3a_jars),
        # s3:// is EMRFS on EMR; here S3A serves the artifacts' s3:// URIs too.
        "--conf", "spark.hadoop.fs.s3.impl=org.apache.hadoop.fs.s3a.S3AFileSystem",
        # Delta rebuilds a table's state in 50 tasks by default; on a 2-core machine against a
        # local S3 server that is most of the run, so the rehearsal uses two.
        "--conf", f"{SNAPSHOT_PARTITIONS}=2",
        *parameters.split(" "),
        submit["entryPoint"],
        *submit["entryPointArguments"],
    ]  # fmt: skip
    environment = {
        **os.environ,
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "SPARK_LOCAL_IP": "127.0.0.1",
        # What spark.emr-serverless.driverEnv.* sets in EMR's driver container.
        "PYSPARK_PYTHON": conf["spark.emr-serverless.driverEnv.PYSPARK_PYTHON"],
        "PYSPARK_DRIVER_PYTHON": conf["spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON"],
    }
    log = tmp_path / "spark-submit.log"
    with log.open("w") as output:
        code = subprocess.run(
            command, cwd=driver, env=environment, stdout=output, stderr=subprocess.STDOUT,
            timeout=780, check=False,
        ).returncode  # fmt: skip
    assert code == 0, log.read_text()[-5000:]

    held = kafka_records(settings)
    bronze = read_back(s3_server, settings.bronze_events_location)
    quarantine = read_back(s3_server, settings.quarantine_location)
    assert report.total_delivered == EVENTS
    assert held == EVENTS + len(MALFORMED)
    assert (len(bronze), len(quarantine)) == (EVENTS, len(MALFORMED))
    assert len(bronze | quarantine) == held

    bucket = settings.lake_root.split("/")[2]
    listing = s3_server.client().list_objects_v2(Bucket=bucket, Prefix="checkpoints/")
    keys = {item["Key"] for item in listing.get("Contents", [])}
    assert {key.split("/")[1] for key in keys} == {INGEST_QUERY}
    assert f"checkpoints/{INGEST_QUERY}/commits/0" in keys
    # `lakehouse check` reconciles the S3 lake from its S3 checkpoint, as the scheduler would.
    report = check(settings)
    assert all(row.verdicts == ("OK",) for row in report.partitions), report.partitions
    assert sum(row.bronze.rows + row.quarantine.rows for row in report.partitions) == held
    # Only the job's lock and progress files are local, in the driver's working folder.
    assert any((driver / ".lakehouse" / "state").glob("locks/*.lock"))
    assert not (driver / ".lakehouse" / "lake").exists()
