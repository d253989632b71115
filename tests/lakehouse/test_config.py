"""The configuration loader: merge order, overrides, and errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.config import DEFAULT_CONF_DIR, ConfigError, load_settings


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    """A copy of the real conf/ folder to edit."""
    folder = tmp_path / "conf"
    folder.mkdir()
    for source in DEFAULT_CONF_DIR.glob("*.yaml"):
        (folder / source.name).write_text(source.read_text())
    return folder


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_every_shipped_environment_loads(env: str) -> None:
    settings = load_settings(env, environ={})
    assert settings.env == env
    assert set(settings.kafka.topics) == {"plays", "skips", "likes"}


def test_local_defaults_resolve_under_the_project(conf_dir: Path) -> None:
    settings = load_settings("local", conf_dir, environ={})
    root = conf_dir.parent
    assert settings.kafka_bootstrap == "localhost:9092"
    assert settings.bronze_events_location == f"{root}/.lakehouse/lake/bronze/listening_events"
    assert settings.checkpoint_location("bronze") == f"{root}/.lakehouse/checkpoints/bronze"
    assert settings.ingest.trigger == "available-now"


def test_environment_file_overrides_base(conf_dir: Path) -> None:
    (conf_dir / "local.yaml").write_text("kafka:\n  partitions: 7\n")
    settings = load_settings("local", conf_dir, environ={})
    assert settings.kafka.partitions == 7
    assert settings.kafka.topics["plays"] == "plays"


def test_environment_variables_override_files(conf_dir: Path) -> None:
    environ = {
        "LAKEHOUSE_ENV": "prod",
        "LAKEHOUSE__KAFKA__BROKER__PORT": "19092",
        "LAKEHOUSE__INGEST__TRIGGER": "continuous",
        "LAKEHOUSE__LAKE__ROOT": "s3a://bucket/lake",
    }
    settings = load_settings(conf_dir=conf_dir, environ=environ)
    assert settings.env == "prod"
    assert settings.kafka.broker.port == 19092
    assert settings.ingest.trigger == "continuous"
    assert settings.bronze_events_location == "s3a://bucket/lake/bronze/listening_events"


def test_s3_lake_locations_are_kept_as_uris(conf_dir: Path) -> None:
    settings = load_settings("dev", conf_dir, environ={})
    assert settings.lake_root.startswith("s3a://")
    assert settings.checkpoint_location("x").startswith("s3a://")


def test_unknown_key_names_the_file_and_key(conf_dir: Path) -> None:
    (conf_dir / "local.yaml").write_text("ingest:\n  trigerr: continuous\n")
    with pytest.raises(ConfigError) as raised:
        load_settings("local", conf_dir, environ={})
    message = str(raised.value)
    assert f"{conf_dir / 'local.yaml'}: ingest.trigerr: unknown key" in message


def test_bad_value_names_its_source(conf_dir: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings("local", conf_dir, environ={"LAKEHOUSE__INGEST__TRIGGER": "sometimes"})
    message = str(raised.value)
    assert "environment variable LAKEHOUSE__INGEST__TRIGGER: ingest.trigger" in message
    assert "available-now" in message


@pytest.mark.parametrize("minutes", ["-1", "1441"])
def test_incremental_lookback_is_minutes_up_to_a_day(conf_dir: Path, minutes: str) -> None:
    variable = "LAKEHOUSE__WAREHOUSE__LOOKBACK_MINUTES"
    with pytest.raises(ConfigError, match=r"warehouse\.lookback_minutes"):
        load_settings("local", conf_dir, environ={variable: minutes})

    assert load_settings("local", conf_dir, environ={}).warehouse.lookback_minutes == 5
    assert (
        load_settings("local", conf_dir, environ={variable: "1440"}).warehouse.lookback_minutes
        == 1440
    )


@pytest.mark.parametrize("minutes", ["-1", "10081"])
def test_data_tests_arrival_window_is_minutes_up_to_a_week(conf_dir: Path, minutes: str) -> None:
    variable = "LAKEHOUSE__WAREHOUSE__DATA_TESTS_ARRIVALS_MINUTES"
    with pytest.raises(ConfigError, match=r"warehouse\.data_tests_arrivals_minutes"):
        load_settings("local", conf_dir, environ={variable: minutes})

    settings = load_settings("local", conf_dir, environ={})
    assert settings.warehouse.data_tests_arrivals_minutes == 60
    assert (
        load_settings(
            "local", conf_dir, environ={variable: "0"}
        ).warehouse.data_tests_arrivals_minutes
        == 0
    )


def test_missing_required_value_is_reported(conf_dir: Path) -> None:
    base = (conf_dir / "base.yaml").read_text().replace("  partitions: 3\n", "")
    (conf_dir / "base.yaml").write_text(base)
    with pytest.raises(ConfigError, match=r"kafka\.partitions: required value is missing"):
        load_settings("local", conf_dir, environ={})


def test_unknown_environment_lists_the_known_ones(conf_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"no such environment 'staging'.*'dev', 'local'"):
        load_settings("staging", conf_dir, environ={})


def test_invalid_yaml_names_the_file(conf_dir: Path) -> None:
    (conf_dir / "local.yaml").write_text("kafka: [unclosed\n")
    with pytest.raises(ConfigError, match=r"local\.yaml: not valid YAML"):
        load_settings("local", conf_dir, environ={})


def config_error(conf_dir: Path, overrides: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as error:
        load_settings("local", conf_dir, environ=overrides)
    return str(error.value)


def test_a_status_warning_past_its_quality_gate_is_refused(conf_dir: Path) -> None:
    message = config_error(
        conf_dir,
        {
            "LAKEHOUSE__STATUS__FRESHNESS_WARN_MINUTES": "500",
            "LAKEHOUSE__STATUS__RETENTION_HEADROOM_WARN_HOURS": "1",
        },
    )
    assert "status.freshness_warn_minutes must not be above quality.freshness_minutes" in message
    assert (
        "status.retention_headroom_warn_hours must not be below "
        "quality.min_retention_headroom_hours" in message
    )


def test_dashboard_port_and_quarantine_shares_are_checked(conf_dir: Path) -> None:
    message = config_error(
        conf_dir,
        {
            "LAKEHOUSE__DASHBOARD__PORT": "0",
            "LAKEHOUSE__STATUS__QUARANTINE_WARN_SHARE": "0.5",
            "LAKEHOUSE__STATUS__QUARANTINE_FAIL_SHARE": "0.1",
        },
    )
    assert "environment variable LAKEHOUSE__DASHBOARD__PORT: dashboard.port:" in message
    assert "quarantine_warn_share must not be above quarantine_fail_share" in message
