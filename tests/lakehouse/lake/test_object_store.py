"""S3 settings flow into Spark's S3A properties, DuckDB's secret and the spark-submit line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from lakehouse.config import load_settings
from lakehouse.lake.object_store import (
    duckdb_s3_options,
    duckdb_s3_secret_sql,
    duckdb_uri,
    is_s3,
    spark_s3a_conf,
)
from lakehouse.settings import PROJECT_ROOT, S3Config
from lakehouse.streaming import locks
from lakehouse.streaming.spark_submit import storage_conf
from lakehouse.warehouse.dbt import ensure_duckdb_extensions

LOCAL_SERVER = S3Config(endpoint="http://minio:9000", region="eu-west-1", path_style_access=True)
AWS = S3Config(endpoint=None, region="eu-central-1", path_style_access=False)


def test_s3_locations_are_recognised_and_spelled_for_duckdb() -> None:
    assert is_s3("s3a://bucket/lake") and is_s3("s3://bucket/lake")
    assert not is_s3("/data/lake")
    assert duckdb_uri("s3a://bucket/lake/bronze") == "s3://bucket/lake/bronze"
    assert duckdb_uri("/data/lake") == "/data/lake"


def test_spark_s3a_conf_for_a_local_server_turns_tls_off_and_uses_paths() -> None:
    assert spark_s3a_conf(LOCAL_SERVER) == {
        "spark.hadoop.fs.s3a.endpoint.region": "eu-west-1",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.endpoint": "http://minio:9000",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
    }


def test_spark_s3a_conf_on_aws_names_only_the_region() -> None:
    assert spark_s3a_conf(AWS) == {
        "spark.hadoop.fs.s3a.endpoint.region": "eu-central-1",
        "spark.hadoop.fs.s3a.path.style.access": "false",
    }


def test_duckdb_options_take_host_and_port_from_the_endpoint() -> None:
    assert duckdb_s3_options(LOCAL_SERVER) == {
        "chain": "env;config",
        "region": "eu-west-1",
        "url_style": "path",
        "use_ssl": "false",
        "endpoint": "minio:9000",
    }
    assert duckdb_s3_options(AWS) == {
        "chain": "env;config",
        "region": "eu-central-1",
        "url_style": "vhost",
        "use_ssl": "true",
    }


def test_duckdb_secret_is_created_without_any_credentials(tmp_path: Path) -> None:
    ensure_duckdb_extensions(tmp_path)
    with duckdb.connect(config={"extension_directory": str(tmp_path)}) as connection:
        connection.execute("load httpfs")
        connection.execute("load aws")
        connection.execute(duckdb_s3_secret_sql(LOCAL_SERVER))
        (secret,) = connection.execute(
            "select secret_string from duckdb_secrets() where name = 'lakehouse_s3'"
        ).fetchone() or ("",)
    assert "endpoint=minio:9000" in secret
    assert "url_style=path" in secret
    assert "use_ssl=false" in secret
    assert "key_id" not in secret


def test_endpoint_must_be_a_url() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        S3Config(endpoint="minio:9000", region="us-east-1", path_style_access=True)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_aws_environments_keep_the_lake_and_checkpoints_on_s3(env: str) -> None:
    settings = load_settings(env, environ={})

    assert settings.lake_root.startswith("s3a://")
    assert settings.location(settings.lake.checkpoint_root).startswith("s3a://")
    assert settings.s3.endpoint is None
    assert storage_conf(settings)["spark.hadoop.fs.s3a.endpoint.region"] == settings.s3.region


def test_a_local_lake_adds_no_s3a_properties() -> None:
    settings = load_settings("local", PROJECT_ROOT / "conf", environ={})

    assert storage_conf(settings) == {}


def test_single_writer_locks_for_s3_locations_stay_local(tmp_path: Path) -> None:
    tables = ["s3a://lake-bucket/lake/bronze/listening_events", "s3a://lake-bucket/checkpoints/b"]

    with locks.exclusive_all(tmp_path, tables, "first writer"):
        with (
            pytest.raises(locks.LockHeldError, match="first writer"),
            locks.exclusive_all(tmp_path, tables, "second writer"),
        ):
            pass
        lock_files = sorted(path.name for path in (tmp_path / "locks").iterdir())

    assert len(lock_files) == 2
    assert all(name.endswith(".lock") and "s3a" in name for name in lock_files)
