"""A music-listening event simulator: reference data, event sessions, and a Kafka producer."""

from lakehouse.simulator.catalog import (
    REFERENCE_COLUMNS,
    Artist,
    Catalog,
    Track,
    User,
    build_catalog,
    write_reference_data,
)
from lakehouse.simulator.events import (
    DEFAULT_TOPICS,
    DEVICES,
    EVENT_TYPES,
    SCHEMA_VERSION,
    EventType,
    ListeningEvent,
    generate_events,
)
from lakehouse.simulator.kafka_topics import (
    BrokerUnavailableError,
    SimulatorKafkaError,
    count_messages,
    ensure_topics,
    topic_end_offsets,
)
from lakehouse.simulator.producer import (
    DeliveryError,
    ProduceReport,
    produce_events,
    producer_config,
)

__all__ = [
    "DEFAULT_TOPICS",
    "DEVICES",
    "EVENT_TYPES",
    "REFERENCE_COLUMNS",
    "SCHEMA_VERSION",
    "Artist",
    "BrokerUnavailableError",
    "Catalog",
    "DeliveryError",
    "EventType",
    "ListeningEvent",
    "ProduceReport",
    "SimulatorKafkaError",
    "Track",
    "User",
    "build_catalog",
    "count_messages",
    "ensure_topics",
    "generate_events",
    "produce_events",
    "producer_config",
    "topic_end_offsets",
    "write_reference_data",
]
