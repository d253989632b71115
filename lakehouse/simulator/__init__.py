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
    "Catalog",
    "DeliveryError",
    "EventType",
    "ListeningEvent",
    "ProduceReport",
    "Track",
    "User",
    "build_catalog",
    "generate_events",
    "produce_events",
    "producer_config",
    "write_reference_data",
]
