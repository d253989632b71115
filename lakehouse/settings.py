"""The settings' schema: one validated model per section of conf/base.yaml, and Settings.

lakehouse/config.py loads them; everything else receives a Settings and asks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
AUTO_COMPACT_SETTING = "spark.databricks.delta.autoCompact.enabled"
DEFAULT_ENV = "local"


def is_local_master(master: str) -> bool:
    """True for a Spark master that runs the executors inside the driver's JVM (`local`,
    `local[*]`, `local[2,3]`, ...)."""
    return master.startswith("local")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrokerConfig(_Section):
    host: str
    port: int = Field(ge=1, le=65535)
    controller_port: int = Field(ge=1, le=65535)
    heap: str
    jars_dir: str
    start_timeout_seconds: float = Field(gt=0)


class KafkaConfig(_Section):
    # null: the local broker that `lakehouse up` runs (broker.host:broker.port).
    bootstrap_servers: str | None
    topics: dict[str, str]
    partitions: int = Field(ge=1)
    broker: BrokerConfig

    @field_validator("topics")
    @classmethod
    def _event_topics(cls, topics: dict[str, str]) -> dict[str, str]:
        expected = {"plays", "skips", "likes"}
        if set(topics) != expected:
            raise ValueError(f"must map exactly {sorted(expected)} to topic names")
        return topics


class LakeConfig(_Section):
    root: str = Field(min_length=1)
    bronze_events_table: str
    quarantine_table: str
    data_loss_table: str
    reference_dir: str
    checkpoint_root: str = Field(min_length=1)


class S3Config(_Section):
    """Where the S3 store is; credentials come from the AWS chain, never from settings."""

    # None: AWS's regional endpoint. A URL (http://host:port) for MinIO, moto, S3Proxy.
    endpoint: str | None = None
    region: str = Field(min_length=1)
    # Bucket in the path (http://host/bucket/key), as MinIO and local servers need.
    path_style_access: bool

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_url(cls, endpoint: str | None) -> str | None:
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise ValueError("must be a URL starting with http:// or https:// (or null for AWS)")
        return endpoint


class IngestConfig(_Section):
    trigger: Literal["available-now", "continuous"]
    trigger_interval: str
    starting_offsets: Literal["earliest", "latest"]
    fail_on_data_loss: bool
    max_offsets_per_trigger: int | None = Field(default=None, ge=1)
    min_partitions: int | None = Field(default=None, ge=1)
    max_records_per_partition: int | None = Field(default=None, ge=1)
    delta_checkpoint_interval: int = Field(ge=1)
    compaction_interval_seconds: float | None = Field(default=None, gt=0)
    max_event_age_days: int = Field(ge=1)
    max_event_future_minutes: int = Field(ge=0)
    max_payload_bytes: int = Field(ge=64)


class SparkConfig(_Section):
    master: str
    app_name: str
    driver_memory: str
    shuffle_partitions: int = Field(ge=1)
    conf: dict[str, str]
    jars_dir: str
    # The driver JVM's class-data-sharing archive (lakehouse/streaming/class_archive.py);
    # None: jobs start without one.
    class_archive: str | None = None
    # Extra options of spark-submit's driver JVM (garbage collector, JIT), after the log
    # configuration and the class archive; "" for none.
    driver_java_options: str = ""


class SimulatorConfig(_Section):
    seed: int | None
    catalog_seed: int
    users: int = Field(ge=1)
    artists: int = Field(ge=1)
    tracks: int = Field(ge=1)
    window_hours: float = Field(gt=0)


class SnowflakeSchemasConfig(_Section):
    bronze: str = Field(min_length=1)
    staging: str = Field(min_length=1)
    silver: str = Field(min_length=1)
    gold: str = Field(min_length=1)


class SnowflakeConfig(_Section):
    database: str = Field(min_length=1)
    schemas: SnowflakeSchemasConfig
    stage: str = Field(min_length=1)
    storage_integration: str = Field(min_length=1)
    external_volume: str = Field(min_length=1)
    catalog_integration: str = Field(min_length=1)
    bronze_read: Literal["external_table", "iceberg"]
    external_table: str = Field(min_length=1)
    iceberg_table: str = Field(min_length=1)
    auto_refresh: bool


class WarehouseConfig(_Section):
    target: Literal["duckdb", "snowflake"]
    duckdb_path: str
    duckdb_extension_dir: str
    dbt_project_dir: str
    # At most a day: a longer lookback re-reads so much that a full refresh is the better tool.
    lookback_minutes: int = Field(ge=0, le=1440)
    # 0 tests whole tables; at most a week, past which whole tables cost about the same.
    data_tests_arrivals_minutes: int = Field(ge=0, le=10080)
    snowflake: SnowflakeConfig


class AirflowConfig(_Section):
    home: str
    # The interpreter of the main environment (.venv): its pyspark and delta run the jobs,
    # whichever environment Airflow itself runs in.
    spark_python: str
    spark_conn_id: str
    ingest_schedule: str
    quality_schedule: str
    maintenance_schedule: str
    recommendations_schedule: str
    retries: int = Field(ge=0)
    retry_delay_seconds: int = Field(ge=1)
    max_retry_delay_seconds: int = Field(ge=1)
    ingest_deadline_minutes: int = Field(ge=1)


class QualityConfig(_Section):
    min_silver_retention: float = Field(gt=0, le=1)
    freshness_minutes: int = Field(ge=1)
    min_volume_ratio: float = Field(ge=0)
    volume_history_days: int = Field(ge=1)
    max_consumer_lag: int = Field(ge=0)
    min_retention_headroom_hours: float = Field(ge=0)


class StatusConfig(_Section):
    """WARN thresholds of `lakehouse status`; FAIL is the quality section's gate."""

    freshness_warn_minutes: int = Field(ge=1)
    consumer_lag_warn: int = Field(ge=0)
    retention_headroom_warn_hours: float = Field(ge=0)
    quarantine_warn_share: float = Field(ge=0, le=1)
    quarantine_fail_share: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _warn_before_fail(self) -> StatusConfig:
        if self.quarantine_warn_share > self.quarantine_fail_share:
            raise ValueError("quarantine_warn_share must not be above quarantine_fail_share")
        return self


class DashboardConfig(_Section):
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    now_playing_minutes: int = Field(ge=1)
    cache_seconds: int = Field(ge=0)


# Delta refuses VACUUM below 7 days unless its safety check is switched off; this project
# never switches it off, and never configures less.
MIN_VACUUM_RETENTION_HOURS = 168


class MaintenanceConfig(_Section):
    vacuum_retention_hours: int = Field(ge=MIN_VACUUM_RETENTION_HOURS)
    closed_partition_lag_hours: int = Field(ge=1)


class AlertsConfig(_Section):
    # The Airflow connection (type slackwebhook) that holds the webhook URL, a secret.
    slack_conn_id: str | None
    email: list[str]
    timeout_seconds: float = Field(gt=0)


class EmrConfig(_Section):
    enabled: bool
    application_id: str | None
    execution_role_arn: str | None
    code_uri: str | None
    jars_uri: str | None
    logs_uri: str | None
    aws_conn_id: str
    # The packed environment links to this interpreter: it must exist at this path both
    # where `package-emr` builds and in the application's image.
    python: str
    architecture: Literal["X86_64", "ARM64"]

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> EmrConfig:
        required = ("application_id", "execution_role_arn", "code_uri", "jars_uri", "logs_uri")
        missing = [name for name in required if self.enabled and not getattr(self, name)]
        if missing:
            raise ValueError(f"enabled: true needs {', '.join(missing)}")
        return self


class Settings(_Section):
    """Validated settings for one environment, with paths resolved against the project."""

    env: str = DEFAULT_ENV
    project_root: Path = PROJECT_ROOT
    state_dir: str
    kafka: KafkaConfig
    lake: LakeConfig
    s3: S3Config
    ingest: IngestConfig
    spark: SparkConfig
    simulator: SimulatorConfig
    warehouse: WarehouseConfig
    airflow: AirflowConfig
    quality: QualityConfig
    status: StatusConfig
    dashboard: DashboardConfig
    maintenance: MaintenanceConfig
    alerts: AlertsConfig
    emr: EmrConfig

    @model_validator(mode="after")
    def _status_warns_before_quality_fails(self) -> Settings:
        status, quality = self.status, self.quality
        pairs = [
            (
                status.freshness_warn_minutes <= quality.freshness_minutes,
                "status.freshness_warn_minutes must not be above quality.freshness_minutes",
            ),
            (
                status.consumer_lag_warn <= quality.max_consumer_lag,
                "status.consumer_lag_warn must not be above quality.max_consumer_lag",
            ),
            (
                status.retention_headroom_warn_hours >= quality.min_retention_headroom_hours,
                "status.retention_headroom_warn_hours must not be below "
                "quality.min_retention_headroom_hours",
            ),
        ]
        problems = [message for consistent, message in pairs if not consistent]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _one_compaction(self) -> Settings:
        auto = self.spark.conf.get(AUTO_COMPACT_SETTING, "false").strip().lower()
        if self.ingest.compaction_interval_seconds is not None and auto != "false":
            raise ValueError(
                f"ingest.compaction_interval_seconds compacts bronze beside the stream and "
                f"spark.conf {AUTO_COMPACT_SETTING} compacts it inside the micro-batches' "
                "commits: the two would rewrite the same files at once. Set "
                'ingest.compaction_interval_seconds to null, or the Spark setting to "false"'
            )
        return self

    def path(self, value: str) -> Path:
        """A local path setting, absolute (relative ones hang off the project root)."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else self.project_root / candidate

    def location(self, value: str) -> str:
        """A lake location: a URI (s3a://...) as it is, or an absolute local path."""
        return value if "://" in value else str(self.path(value))

    @property
    def kafka_bootstrap(self) -> str:
        """The Kafka bootstrap servers clients use."""
        broker = self.kafka.broker
        return self.kafka.bootstrap_servers or f"{broker.host}:{broker.port}"

    @property
    def event_topics(self) -> dict[str, str]:
        """Topic of each event type: play -> plays topic, skip -> skips, like -> likes."""
        topics = self.kafka.topics
        return {"play": topics["plays"], "skip": topics["skips"], "like": topics["likes"]}

    @property
    def state_path(self) -> Path:
        """Folder of the local stack's state (broker data, logs, pid files)."""
        return self.path(self.state_dir)

    @property
    def lake_root(self) -> str:
        """The lake's root location."""
        return self.location(self.lake.root)

    def table_location(self, table: str) -> str:
        """Location of a table given relative to the lake root."""
        return f"{self.lake_root.rstrip('/')}/{table}"

    @property
    def bronze_events_location(self) -> str:
        """Location of the bronze listening-events Delta table."""
        return self.table_location(self.lake.bronze_events_table)

    @property
    def quarantine_location(self) -> str:
        """Location of the quarantine Delta table."""
        return self.table_location(self.lake.quarantine_table)

    @property
    def data_loss_location(self) -> str:
        """Location of the Delta table recording offsets lost to Kafka retention."""
        return self.table_location(self.lake.data_loss_table)

    @property
    def reference_location(self) -> str:
        """Folder of the reference data (users, tracks, artists) the simulator writes."""
        return self.table_location(self.lake.reference_dir)

    def checkpoint_location(self, sink: str) -> str:
        """Checkpoint folder of one streaming sink: one per sink, under the checkpoint root."""
        return f"{self.location(self.lake.checkpoint_root).rstrip('/')}/{sink}"
