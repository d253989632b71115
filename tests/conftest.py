"""Shared fixtures: one Spark session for the run, a real Kafka broker, an isolated stack."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from bench.ingest_profile import SNAPSHOT_PARTITIONS
from lakehouse.config import load_settings
from lakehouse.kafka.broker import KafkaBroker
from lakehouse.sandbox import free_port, sandbox_environment
from lakehouse.settings import PROJECT_ROOT, Settings
from lakehouse.streaming.spark_submit import driver_java_options
from tests.s3_server import S3Server
from tests.small_run import SmallRun, build_small_run

SPARK_JARS_DIR = PROJECT_ROOT / ".lakehouse" / "jars" / "spark"
KAFKA_JARS_DIR = PROJECT_ROOT / ".lakehouse" / "jars" / "kafka"
# The interpreter the EMR environment is built with and linked to in tests: this run's own
# Python 3.11, so the tests do not need one at emr.python's path (/usr/bin/python3.11).
EMR_BUILD_PYTHON = str(Path(sys.base_prefix) / "bin" / "python3.11")


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One small local Spark session with Delta, shared by the whole test run."""
    # On the driver's class path, not spark.jars: see jar_options (spark_submit.py).
    jars = os.pathsep.join(str(jar) for jar in sorted(SPARK_JARS_DIR.glob("*.jar")))
    # The driver JVM's options every local job gets: the class archive set-up trained
    # (class_archive.py) and spark.driver_java_options.
    settings = load_settings()
    java_options = driver_java_options(settings)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("lakehouse-tests")
        .config("spark.driver.extraClassPath", jars)
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"
        )
        .config("spark.sql.shuffle.partitions", "2")
        # The local jobs' setting (conf/local.yaml): Delta rebuilds a table's state from its
        # log in 50 tasks by default, which dominates the tests' tiny tables.
        .config(SNAPSHOT_PARTITIONS, settings.spark.conf[SNAPSHOT_PARTITIONS])
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A real single-node KRaft broker on free ports, for the whole test run."""
    broker = KafkaBroker(
        jars_dir=KAFKA_JARS_DIR,
        state_dir=tmp_path_factory.mktemp("kafka-state"),
        port=free_port(),
        controller_port=free_port(),
    )
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3-compatible server (moto) on a free port, for the whole test run."""
    server = S3Server(tmp_path_factory.mktemp("s3-server") / "moto.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker) -> str:
    """host:port of the shared test broker."""
    return kafka_broker.bootstrap_servers


@pytest.fixture
def stack(tmp_path: Path, kafka_broker: KafkaBroker, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of an isolated stack on the shared broker; subprocesses see the same."""
    environment = sandbox_environment(tmp_path, kafka_broker.port, kafka_broker.controller_port)
    # Topics of one test must not leak into another: each test gets its own names.
    suffix = tmp_path.name.replace("_", "-")
    for topic in ("plays", "skips", "likes"):
        environment[f"LAKEHOUSE__KAFKA__TOPICS__{topic.upper()}"] = f"{topic}-{suffix}"
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallRun]:
    """One small run of the whole pipeline, its broker running, for the tests that look at it
    (notebook, dashboard, status); built once, on first use."""
    run = build_small_run(tmp_path_factory.mktemp("small-run"))
    yield run
    run.broker.stop()
