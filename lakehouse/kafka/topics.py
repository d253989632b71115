"""Topic housekeeping: create the event topics; what every Kafka client here shares."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, Final, Protocol

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

# The documented confluent_kafka.admin.NewTopic, imported where the type stubs declare it.
from confluent_kafka.cimpl import NewTopic

BROKER_HINT: Final = "Is the broker running? Try `lakehouse up`, or check the bootstrap servers."


class SimulatorKafkaError(RuntimeError):
    """Talking to Kafka went wrong in a way the user has to act on."""


class BrokerUnavailableError(SimulatorKafkaError):
    """The broker could not be reached."""


class _HasMetadata(Protocol):
    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any: ...


_LIBRDKAFKA_LOGGER: Final = logging.getLogger("lakehouse.simulator.librdkafka")
# Without logging configured, librdkafka's reconnect chatter would reach stderr through
# logging's last-resort handler; our exceptions already say what went wrong.
_LIBRDKAFKA_LOGGER.addHandler(logging.NullHandler())


def kafka_logger() -> logging.Logger:
    """The logger librdkafka's own messages go to, so the application decides what shows."""
    return _LIBRDKAFKA_LOGGER


def cluster_topics(client: _HasMetadata, bootstrap_servers: str, timeout_s: float) -> set[str]:
    """Names of the topics that exist on the cluster; raise if the broker cannot be reached."""
    return existing_topics(cluster_metadata(client, bootstrap_servers, timeout_s))


def existing_topics(metadata: Any) -> set[str]:
    """Names of the topics a metadata answer lists without an error."""
    return {name for name, topic in metadata.topics.items() if topic.error is None}


def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    partitions: int,
    replication_factor: int = 1,
    timeout_s: float = 30.0,
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    wanted = sorted(set(topics))
    admin = AdminClient(client_config(bootstrap_servers))
    existing = cluster_topics(admin, bootstrap_servers, timeout_s)
    missing = [name for name in wanted if name not in existing]
    if missing:
        new_topics = [NewTopic(name, partitions, replication_factor) for name in missing]
        futures = admin.create_topics(new_topics, operation_timeout=timeout_s)
        for name, future in futures.items():
            try:
                future.result(timeout=timeout_s)
            except KafkaException as exc:
                error = exc.args[0]
                # Someone else created it between our look and our request: that is fine too.
                if not (
                    isinstance(error, KafkaError)
                    and error.code() == KafkaError.TOPIC_ALREADY_EXISTS
                ):
                    raise SimulatorKafkaError(
                        f"Could not create topic {name!r} on {bootstrap_servers}: {describe(exc)}"
                    ) from exc
    _wait_for_leaders(admin, bootstrap_servers, wanted, timeout_s)


def _wait_for_leaders(
    admin: AdminClient, bootstrap_servers: str, topics: list[str], timeout_s: float
) -> None:
    # A topic just created takes a moment before every partition has a leader to write to.
    deadline = time.monotonic() + timeout_s
    while True:
        metadata = cluster_metadata(admin, bootstrap_servers, timeout_s)
        pending = [
            name
            for name in topics
            if name not in metadata.topics
            or metadata.topics[name].error is not None
            or any(p.leader < 0 for p in metadata.topics[name].partitions.values())
        ]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise SimulatorKafkaError(
                f"Topics {pending} on {bootstrap_servers} have no leader after {timeout_s:g}s."
            )
        time.sleep(0.2)


def describe(exc: KafkaException) -> str:
    """The readable part of a Kafka exception."""
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, KafkaError) else str(exc)


def client_config(bootstrap_servers: str) -> dict[str, Any]:
    """Settings every client of these helpers shares: the brokers, and librdkafka's logger."""
    return {"bootstrap.servers": bootstrap_servers, "logger": kafka_logger()}


def cluster_metadata(client: _HasMetadata, bootstrap_servers: str, timeout_s: float) -> Any:
    """The cluster's topic metadata (one request); raise if the broker cannot be reached."""
    try:
        return client.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise BrokerUnavailableError(
            f"Cannot reach the Kafka broker at {bootstrap_servers} ({describe(exc)}). {BROKER_HINT}"
        ) from exc
