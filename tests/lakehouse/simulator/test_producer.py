import socket
import time
from dataclasses import dataclass

import pytest
from confluent_kafka import KafkaError

from lakehouse.kafka.topics import BrokerUnavailableError, ensure_topics
from lakehouse.kafka.watermarks import count_messages
from lakehouse.simulator import ProduceReport, produce_events, producer_config
from lakehouse.simulator.producer import _DeliveryTracker, _TokenBucket


@dataclass
class FakeMessage:
    topic_name: str

    def topic(self) -> str:
        return self.topic_name


class SleepingProducer:
    """Stands in for Producer.poll, which blocks for up to its timeout."""

    def __init__(self) -> None:
        self.polls = 0

    def poll(self, timeout: float = -1) -> int:
        self.polls += 1
        time.sleep(timeout)
        return 0


@pytest.fixture
def closed_port_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


def test_report_totals_and_speed() -> None:
    report = ProduceReport({"plays": 70, "skips": 25, "likes": 5}, {"likes": 2}, 0.5)
    assert report.total_delivered == 100
    assert report.total_failed == 2
    assert report.events_per_second == 200.0
    assert ProduceReport({}, {}, 0.0).events_per_second == 0.0


def test_producer_config_is_idempotent_and_batched() -> None:
    config = producer_config("broker:9092", {"linger.ms": 5, "client.id": "test"})
    assert config["bootstrap.servers"] == "broker:9092"
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["compression.type"] in {"lz4", "zstd"}
    assert config["linger.ms"] == 5
    assert config["client.id"] == "test"


def test_tracker_counts_deliveries_per_topic() -> None:
    tracker = _DeliveryTracker()
    for topic in ["plays", "plays", "skips"]:
        tracker.on_delivery(None, FakeMessage(topic))  # type: ignore[arg-type]

    report = tracker.report(1.0)
    assert report.delivered_by_topic == {"plays": 2, "skips": 1}
    assert report.failed_by_topic == {}
    assert not tracker.should_stop


def test_tracker_stops_on_the_first_failure_and_names_it() -> None:
    tracker = _DeliveryTracker()
    tracker.on_delivery(KafkaError(KafkaError._MSG_TIMED_OUT), FakeMessage("likes"))  # type: ignore[arg-type]

    assert tracker.report(1.0).failed_by_topic == {"likes": 1}
    assert tracker.should_stop
    assert tracker.broker_unreachable
    assert tracker.first_error is not None


def test_tracker_stops_on_a_fatal_error() -> None:
    tracker = _DeliveryTracker()
    tracker.on_error(KafkaError(KafkaError._FENCED, fatal=True))
    assert tracker.should_stop
    assert tracker.fatal_error is not None


class ClockedProducer:
    """Producer.poll on a clock of the test's own: a poll of t seconds moves it t forward."""

    def __init__(self) -> None:
        self.now = 100.0
        self.polls = 0

    def clock(self) -> float:
        return self.now

    def poll(self, timeout: float = -1) -> int:
        self.polls += 1
        self.now += timeout
        return 0


def test_token_bucket_paces_to_the_rate() -> None:
    producer = ClockedProducer()
    bucket = _TokenBucket(rate=500, clock=producer.clock)
    for _ in range(150):
        bucket.take(producer)  # type: ignore[arg-type]

    # The first event uses the token the bucket starts with; the other 149 wait 1/500 s
    # each, inside Producer.poll (which keeps delivery callbacks flowing).
    assert producer.now - 100.0 == pytest.approx(149 / 500)
    assert producer.polls >= 149


def test_token_bucket_lets_a_burst_through_without_waiting() -> None:
    producer = SleepingProducer()
    bucket = _TokenBucket(rate=1_000_000)
    time.sleep(0.01)
    for _ in range(1000):
        bucket.take(producer)  # type: ignore[arg-type]
    assert producer.polls == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"topics": {"play": "plays", "skip": "skips"}}, "like"),
        ({"rate": 0}, "rate"),
    ],
)
def test_produce_rejects_bad_arguments(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        produce_events([], bootstrap_servers="localhost:1", **arguments)  # type: ignore[arg-type]


def test_unreachable_broker_is_named_with_a_hint(closed_port_address: str) -> None:
    with pytest.raises(BrokerUnavailableError) as raised:
        produce_events([], bootstrap_servers=closed_port_address, connect_timeout_s=1)
    assert closed_port_address in str(raised.value)
    assert "lakehouse up" in str(raised.value)


def test_topic_helpers_name_an_unreachable_broker(closed_port_address: str) -> None:
    with pytest.raises(BrokerUnavailableError, match=closed_port_address):
        ensure_topics(closed_port_address, ["plays"], partitions=1, timeout_s=1)
    with pytest.raises(BrokerUnavailableError, match=closed_port_address):
        count_messages(closed_port_address, ["plays"], timeout_s=1)
