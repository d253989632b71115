"""The lake on S3: Spark's S3A properties, DuckDB's S3 secret, and uploads of local files.

Credentials are never settings. Spark's S3A, boto3 and DuckDB each take them from the
standard AWS chain (AWS_* variables, ~/.aws, the EMR or EC2 role); this module only says
where the store is (endpoint, region, addressing style).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lakehouse.settings import S3Config

S3_SCHEMES = ("s3a://", "s3://", "s3n://")
CREDENTIAL_CHAIN = "env;config"


def is_s3(location: str) -> bool:
    """True for a location on S3 (any of Hadoop's and AWS's spellings of the scheme)."""
    return location.startswith(S3_SCHEMES)


def duckdb_uri(location: str) -> str:
    """The location as DuckDB spells it: s3:// (delta_scan ignores the S3 secret for s3a://)."""
    for scheme in S3_SCHEMES:
        if location.startswith(scheme):
            return "s3://" + location[len(scheme) :]
    return location


def _uses_tls(s3: S3Config) -> bool:
    return s3.endpoint is None or not s3.endpoint.startswith("http://")


def spark_s3a_conf(s3: S3Config) -> dict[str, str]:
    """Hadoop S3A properties for spark-submit (`spark.hadoop.` passes them to Hadoop)."""
    conf = {
        "spark.hadoop.fs.s3a.endpoint.region": s3.region,
        "spark.hadoop.fs.s3a.path.style.access": str(s3.path_style_access).lower(),
    }
    if s3.endpoint is not None:
        conf["spark.hadoop.fs.s3a.endpoint"] = s3.endpoint
        conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(_uses_tls(s3)).lower()
    return conf


def duckdb_s3_options(s3: S3Config) -> dict[str, str]:
    """CREATE SECRET options (besides the provider) that point DuckDB at the configured store."""
    options = {
        # Variables and ~/.aws only: probing for an instance role would stall every DuckDB
        # connection on a laptop, and DuckDB reads the lake only where those two exist.
        "chain": CREDENTIAL_CHAIN,
        "region": s3.region,
        "url_style": "path" if s3.path_style_access else "vhost",
        "use_ssl": str(_uses_tls(s3)).lower(),
    }
    if s3.endpoint is not None:
        # DuckDB wants host:port; the scheme is what use_ssl says.
        options["endpoint"] = urlsplit(s3.endpoint).netloc or s3.endpoint
    return options


def duckdb_s3_secret_sql(s3: S3Config) -> str:
    """A CREATE SECRET statement whose credentials come from the AWS chain at creation time."""
    options = ", ".join(
        f"{key} '{value.replace(chr(39), chr(39) * 2)}'"
        for key, value in duckdb_s3_options(s3).items()
    )
    # validation 'none': with the lake on local disk no credentials exist, and that is fine.
    return (
        "create or replace secret lakehouse_s3 "
        f"(type s3, provider credential_chain, validation 'none', {options})"
    )


def _bucket_and_key(location: str) -> tuple[str, str]:
    parts = urlsplit(location)
    return parts.netloc, parts.path.lstrip("/")


def _listing(client: Any, folder: str, **options: str) -> tuple[str, Iterable[dict[str, Any]]]:
    """The key prefix of an S3 folder and the pages of LIST results under it."""
    bucket, key = _bucket_and_key(folder)
    prefix = f"{key.rstrip('/')}/"
    paginator = client.get_paginator("list_objects_v2")
    return prefix, paginator.paginate(Bucket=bucket, Prefix=prefix, **options)


def s3_client(s3: S3Config) -> Any:
    """A boto3 S3 client for the configured store (credentials from the AWS chain)."""
    import boto3  # noqa: PLC0415 - only S3 lakes need it, and it is slow to import
    from botocore.config import Config  # noqa: PLC0415

    style = "path" if s3.path_style_access else "auto"
    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        region_name=s3.region,
        config=Config(s3={"addressing_style": style}),
    )


class S3CheckpointFiles:
    """A streaming checkpoint's files on S3, read with boto3 (no Spark, no Hadoop)."""

    def __init__(self, s3: S3Config) -> None:
        self._client = s3_client(s3)

    def list_names(self, folder: str) -> list[str]:
        """Names of the files (and sub-folders) in a folder; empty when there is none."""
        prefix, pages = _listing(self._client, folder, Delimiter="/")
        names = []
        for page in pages:
            names += [item["Key"][len(prefix) :] for item in page.get("Contents", [])]
            names += [
                item["Prefix"][len(prefix) :].rstrip("/") for item in page.get("CommonPrefixes", [])
            ]
        return names

    def read_text(self, path: str) -> str:
        """The whole file as text."""
        bucket, key = _bucket_and_key(path)
        body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
        return str(body.read().decode("utf-8"))


def object_versions(location: str, s3: S3Config) -> list[tuple[str, int, str]]:
    """(name relative to the folder, size, ETag) of every object under the S3 folder
    `location`, sorted by name."""
    prefix, pages = _listing(s3_client(s3), location)
    objects = [item for page in pages for item in page.get("Contents", [])]
    return sorted(
        (item["Key"][len(prefix) :], int(item["Size"]), str(item["ETag"])) for item in objects
    )


def upload_directory(local_dir: Path, location: str, s3: S3Config) -> list[str]:
    """Copy every file of local_dir to the S3 folder `location`; the URIs written, sorted."""
    client = s3_client(s3)
    bucket, prefix = _bucket_and_key(location)
    written = []
    for path in sorted(p for p in local_dir.iterdir() if p.is_file()):
        key = f"{prefix.rstrip('/')}/{path.name}" if prefix else path.name
        # One PUT per file: readers see the old object or the new one, never half of one.
        client.upload_file(str(path), bucket, key)
        written.append(f"s3://{bucket}/{key}")
    return written
