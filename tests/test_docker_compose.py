"""docker-compose.yml is consistent: full stack, pinned images, defined variables, real settings.

Docker cannot run here, so this reads the file as Compose would (YAML with merge keys and
${VARIABLE} interpolation from .env.example) and checks what would break `docker compose up`.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml

from lakehouse.config import load_settings
from lakehouse.settings import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
AIRFLOW_DOCKERFILE = PROJECT_ROOT / "docker" / "airflow" / "Dockerfile"
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
)
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
# ${NAME} or ${NAME:-default}; $$ escapes a dollar for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(:?-[^}]*)?\}")
PINNED_TAG = re.compile(r"^[^:@]+:(?=.*\d)[\w.\-]+$")


def env_example() -> dict[str, str]:
    """NAME=value lines of .env.example."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ${NAME} substitution (the test of definitions is separate)."""
    return VARIABLE.sub(lambda match: values[match.group(1)], text)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """docker-compose.yml after interpolation with .env.example."""
    loaded = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), env_example()))
    assert isinstance(loaded, dict)
    return loaded


def test_every_referenced_variable_is_defined_in_env_example() -> None:
    referenced = {match.group(1) for match in VARIABLE.finditer(COMPOSE_FILE.read_text())}
    defined = set(env_example())

    assert referenced, "docker-compose.yml references no variables"
    assert sorted(referenced - defined) == []
    assert sorted(defined - referenced) == [], "unused variables in .env.example"


def test_the_full_stack_is_there(compose: dict[str, Any]) -> None:
    services = set(compose["services"])

    assert {"kafka", "minio", "minio-init", "spark-ingest", "postgres"} <= services
    assert {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"} <= services
    assert not any("zookeeper" in name for name in services)


def test_every_image_is_pinned_to_a_version(compose: dict[str, Any]) -> None:
    images = {name: service.get("image", "") for name, service in compose["services"].items()}
    built = {name for name, service in compose["services"].items() if "build" in service}

    unpinned = {
        name: image
        for name, image in images.items()
        if name not in built and (not PINNED_TAG.match(image) or image.endswith(":latest"))
    }
    assert unpinned == {}
    assert images["spark-ingest"] == "lakehouse:local"
    base = (PROJECT_ROOT / "docker" / "lakehouse.Dockerfile").read_text()
    (from_line,) = [line for line in base.splitlines() if line.startswith("FROM ")]
    assert PINNED_TAG.match(from_line.split()[1])


def test_kafka_runs_in_kraft_mode_for_the_host_and_the_containers(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]["environment"]

    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "localhost:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert "kafka:29092" in kafka["KAFKA_ADVERTISED_LISTENERS"]


def test_host_ports_are_the_documented_ones_and_unique(compose: dict[str, Any]) -> None:
    published = [
        int(str(port).split(":")[0])
        for service in compose["services"].values()
        for port in service.get("ports", [])
    ]

    assert sorted(published) == [8080, 9000, 9001, 9092]


def test_dependencies_name_existing_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


@pytest.mark.parametrize("service", ["lakehouse", "spark-ingest", "airflow-scheduler"])
def test_containers_use_the_projects_conf_with_valid_overrides(
    compose: dict[str, Any], service: str
) -> None:
    definition = compose["services"][service]
    environment = {key: str(value) for key, value in definition["environment"].items()}
    mounts = [volume.split(":")[:2] for volume in definition["volumes"] if volume.startswith("./")]
    overrides = {k: v for k, v in environment.items() if k.startswith("LAKEHOUSE")}
    conf_dir = overrides.pop("LAKEHOUSE_CONF_DIR", "/opt/lakehouse/conf")

    assert ["./conf", conf_dir] in mounts
    # The same loader the containers run: every override is a real, valid setting.
    settings = load_settings(environ=overrides)
    bucket = env_example()["LAKE_BUCKET"]
    assert settings.lake_root == f"s3a://{bucket}/lake"
    assert settings.s3.endpoint == "http://minio:9000"
    assert settings.s3.path_style_access is True
    assert settings.kafka_bootstrap == "kafka:29092"
    assert environment["AWS_ACCESS_KEY_ID"] == env_example()["AWS_ACCESS_KEY_ID"]


def test_minio_credentials_are_the_lakes_credentials(compose: dict[str, Any]) -> None:
    minio = compose["services"]["minio"]["environment"]
    job = compose["services"]["spark-ingest"]["environment"]

    assert minio["MINIO_ROOT_USER"] == job["AWS_ACCESS_KEY_ID"]
    assert minio["MINIO_ROOT_PASSWORD"] == job["AWS_SECRET_ACCESS_KEY"]


def test_env_file_stays_out_of_git_and_the_example_holds_no_aws_key() -> None:
    ignored = (PROJECT_ROOT / ".gitignore").read_text().split()

    assert ".env" in ignored
    assert not env_example()["AWS_ACCESS_KEY_ID"].startswith(("AKIA", "ASIA"))


def locked_version(lock_file: str, package: str) -> str:
    """The version a uv.lock pins for one package."""
    lock = tomllib.loads((PROJECT_ROOT / lock_file).read_text())
    (version,) = [entry["version"] for entry in lock["package"] if entry["name"] == package]
    return str(version)


def test_airflow_image_is_the_locked_airflow_version(compose: dict[str, Any]) -> None:
    version = locked_version("airflow/uv.lock", "apache-airflow")
    (from_line,) = [
        line for line in AIRFLOW_DOCKERFILE.read_text().splitlines() if line.startswith("FROM ")
    ]

    assert version == "3.3.2"
    assert from_line == f"FROM apache/airflow:{version}-python3.11"
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert service["build"] == {"context": ".", "dockerfile": "docker/airflow/Dockerfile"}
        assert service["image"] == f"lakehouse-airflow:{version}", name


def test_airflow_image_installs_the_project_from_the_locks() -> None:
    lines = [line.strip() for line in AIRFLOW_DOCKERFILE.read_text().splitlines()]
    setup = (PROJECT_ROOT / "scripts" / "setup.sh").read_text()
    (uv_version,) = re.findall(r'^UV_VERSION="([^"]+)"', setup, flags=re.MULTILINE)

    assert "COPY pyproject.toml uv.lock README.md ./" in lines
    assert "COPY airflow/pyproject.toml airflow/uv.lock airflow/" in lines
    assert f"RUN pip install --no-cache-dir uv=={uv_version}" in lines
    # Both environments, frozen to their locks: the project (spark-submit's .venv) and
    # Airflow's (Airflow, providers, the lakehouse package), the latter first on PATH.
    assert "RUN uv sync --frozen --no-dev \\" in lines
    assert (
        '&& UV_PROJECT_ENVIRONMENT="$AIRFLOW_VENV" uv sync --frozen --no-dev --group docker \\'
        in lines
    )
    assert "ENV PATH=/opt/lakehouse/.lakehouse/airflow-venv/bin:$PATH" in lines
    airflow_project = tomllib.loads((PROJECT_ROOT / "airflow" / "pyproject.toml").read_text())
    assert "lakehouse" in airflow_project["project"]["dependencies"]
    assert airflow_project["tool"]["uv"]["sources"]["lakehouse"]["path"] == ".."
    docker_group = airflow_project["dependency-groups"]["docker"]
    assert {pin.split("==")[0] for pin in docker_group} == {
        "apache-airflow-providers-postgres",
        "apache-airflow-providers-fab",
    }
