import json
import re
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.simulator import (
    DEFAULT_TOPICS,
    DEVICES,
    Catalog,
    ListeningEvent,
    build_catalog,
    generate_events,
)
from lakehouse.simulator.events import format_event_at, format_uuid4

END = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CONTRACT_FIELDS = {
    "event_id": str,
    "event_type": str,
    "event_at": str,
    "user_id": str,
    "track_id": str,
    "artist_id": str,
    "session_id": str,
    "device": str,
    "country": str,
    "track_duration_ms": int,
    "ms_played": int,
    "schema_version": int,
}
EVENT_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(7, users=500, artists=60, tracks=1500)


@pytest.fixture(scope="module")
def events(catalog: Catalog) -> list[ListeningEvent]:
    return list(generate_events(catalog, count=20_000, seed=42, end=END, window_hours=24))


def test_same_seed_gives_identical_events(catalog: Catalog) -> None:
    first = [e.to_json() for e in generate_events(catalog, count=500, seed=1, end=END)]
    second = [e.to_json() for e in generate_events(catalog, count=500, seed=1, end=END)]
    assert first == second


def test_different_seeds_give_different_events(catalog: Catalog) -> None:
    first = list(generate_events(catalog, count=500, seed=1, end=END))
    second = list(generate_events(catalog, count=500, seed=2, end=END))
    assert {e.event_id for e in first}.isdisjoint(e.event_id for e in second)
    assert [e.user_id for e in first] != [e.user_id for e in second]


@pytest.mark.parametrize("count", [0, 1, 2, 999])
def test_yields_exactly_count_events(catalog: Catalog, count: int) -> None:
    assert len(list(generate_events(catalog, count=count, seed=5, end=END))) == count


def test_every_contract_field_is_present_and_typed(events: list[ListeningEvent]) -> None:
    for event in events[:2000]:
        payload = json.loads(event.to_json())
        assert list(payload) == list(CONTRACT_FIELDS)
        assert {name: type(value) for name, value in payload.items()} == CONTRACT_FIELDS
        assert payload["event_type"] in {"play", "skip", "like"}
        assert payload["device"] in DEVICES
        assert payload["schema_version"] == 1
        assert EVENT_AT.fullmatch(payload["event_at"])
        assert uuid.UUID(payload["event_id"]).version == 4
        assert uuid.UUID(payload["session_id"]).version == 4


def test_ms_played_stays_within_the_track(events: list[ListeningEvent]) -> None:
    assert all(0 <= e.ms_played <= e.track_duration_ms for e in events)


def test_skips_stop_early_and_plays_mostly_finish(events: list[ListeningEvent]) -> None:
    skips = [e for e in events if e.event_type == "skip"]
    plays = [e for e in events if e.event_type == "play"]
    assert all(e.ms_played <= e.track_duration_ms // 4 for e in skips)
    finished = sum(e.ms_played == e.track_duration_ms for e in plays)
    assert finished / len(plays) > 0.8


def test_events_agree_with_the_catalog(catalog: Catalog, events: list[ListeningEvent]) -> None:
    tracks = {track.track_id: track for track in catalog.tracks}
    users = {user.user_id: user for user in catalog.users}
    for event in events:
        track = tracks[event.track_id]
        assert event.artist_id == track.artist_id
        assert event.track_duration_ms == track.duration_ms
        assert event.country == users[event.user_id].country


def test_event_types_are_mostly_plays(events: list[ListeningEvent]) -> None:
    shares = {kind: n / len(events) for kind, n in Counter(e.event_type for e in events).items()}
    assert shares["play"] > shares["skip"] > shares["like"]
    assert 0.55 < shares["play"] < 0.85
    assert 0.1 < shares["skip"] < 0.4
    assert 0.02 < shares["like"] < 0.12


def test_popular_tracks_and_heavy_listeners_dominate(events: list[ListeningEvent]) -> None:
    plays_per_track = sorted(Counter(e.track_id for e in events).values(), reverse=True)
    assert sum(plays_per_track[:15]) / len(events) > 0.1
    events_per_user = sorted(Counter(e.user_id for e in events).values(), reverse=True)
    assert events_per_user[0] > 5 * events_per_user[len(events_per_user) // 2]


def test_events_fill_the_window_in_time_order(events: list[ListeningEvent]) -> None:
    times = [e.occurred_at() for e in events]
    assert times == sorted(times)
    assert END - timedelta(hours=24) <= times[0] < END - timedelta(hours=23)
    assert END - timedelta(hours=1) < times[-1] <= END
    per_hour = Counter(t.replace(minute=0, second=0, microsecond=0) for t in times)
    assert len(per_hour) == 24


def test_sessions_belong_to_one_user_on_one_device(events: list[ListeningEvent]) -> None:
    sessions: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for event in events:
        sessions[event.session_id].add((event.user_id, event.device))
    assert all(len(owners) == 1 for owners in sessions.values())
    assert len(events) / len(sessions) > 3


def test_a_like_comes_before_the_play_of_the_same_track(events: list[ListeningEvent]) -> None:
    by_session: dict[str, list[ListeningEvent]] = defaultdict(list)
    for event in events:
        by_session[event.session_id].append(event)
    likes = 0
    for session in by_session.values():
        for index, event in enumerate(session[:-1]):
            if event.event_type == "like":
                likes += 1
                following = session[index + 1]
                assert following.event_type == "play"
                assert following.track_id == event.track_id
                assert following.event_at >= event.event_at
                assert following.ms_played >= event.ms_played
    assert likes > 0


def test_event_ids_are_unique_across_100k_events() -> None:
    catalog = build_catalog(7, users=200, artists=20, tracks=300)
    event_ids = [e.event_id for e in generate_events(catalog, count=100_000, seed=9, end=END)]
    assert len(set(event_ids)) == 100_000


def test_topic_follows_the_event_type(events: list[ListeningEvent]) -> None:
    custom = {"play": "dev.plays", "skip": "dev.skips", "like": "dev.likes"}
    for event in events[:300]:
        assert event.topic() == DEFAULT_TOPICS[event.event_type]
        assert event.topic(custom) == f"dev.{event.event_type}s"
    assert dict(DEFAULT_TOPICS) == {"play": "plays", "skip": "skips", "like": "likes"}


def test_key_is_the_user_id(events: list[ListeningEvent]) -> None:
    assert all(e.key == e.user_id.encode() for e in events[:300])


def test_json_round_trip(events: list[ListeningEvent]) -> None:
    for event in events[:2000]:
        assert ListeningEvent.from_json(event.to_json()) == event
        assert json.loads(event.to_json()) == event.to_dict()


def test_json_is_compact() -> None:
    event = ListeningEvent(
        event_id="00000000-0000-4000-8000-000000000000",
        event_type="skip",
        event_at="2026-11-23T10:15:30.123Z",
        user_id="u-000042",
        track_id="t-000123",
        artist_id="a-00012",
        session_id="00000000-0000-4000-8000-000000000001",
        device="car",
        country="SE",
        track_duration_ms=200_000,
        ms_played=4_321,
    )
    assert event.to_json() == json.dumps(event.to_dict(), separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"count": -1, "end": END}, "count"),
        ({"count": 1, "end": END, "window_hours": 0}, "window_hours"),
        ({"count": 1, "end": END.replace(tzinfo=None)}, "timezone-aware"),
    ],
)
def test_rejects_bad_arguments(
    catalog: Catalog, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate_events(catalog, seed=1, **arguments)  # type: ignore[arg-type]


def test_end_may_be_in_any_timezone(catalog: Catalog) -> None:
    in_utc = list(generate_events(catalog, count=50, seed=1, end=END))
    elsewhere = END.astimezone(timezone(timedelta(hours=-5)))
    assert list(generate_events(catalog, count=50, seed=1, end=elsewhere)) == in_utc


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_format_uuid4_matches_the_standard_library(bits: int) -> None:
    assert format_uuid4(bits) == str(uuid.UUID(int=bits, version=4))


# From 1900 to the last millisecond of 9999, before the epoch included.
@given(st.integers(min_value=-2_208_988_800_000, max_value=253_402_300_799_999))
def test_format_event_at_matches_datetime(epoch_ms: int) -> None:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)
    expected = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert format_event_at(epoch_ms) == expected


TINY_CATALOG = build_catalog(1, users=30, artists=4, tracks=25)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    count=st.integers(min_value=0, max_value=400),
    window_hours=st.floats(min_value=0.05, max_value=24 * 14),
)
def test_any_run_keeps_the_invariants(seed: int, count: int, window_hours: float) -> None:
    events = list(
        generate_events(TINY_CATALOG, count=count, seed=seed, end=END, window_hours=window_hours)
    )

    assert len(events) == count
    start = END - timedelta(hours=window_hours)
    times = [e.occurred_at() for e in events]
    assert times == sorted(times)
    assert all(start - timedelta(milliseconds=1) <= t <= END for t in times)
    assert all(0 <= e.ms_played <= e.track_duration_ms for e in events)
    assert len({e.event_id for e in events}) == count
