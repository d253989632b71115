"""A pure, deterministic generator of listening sessions and the events they emit."""

from __future__ import annotations

import heapq
import json
import math
import random
from bisect import bisect
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple

from lakehouse.simulator import vocabulary as words
from lakehouse.simulator.catalog import Catalog, Track, User

EventType = Literal["play", "skip", "like"]
EVENT_TYPES: Final[tuple[EventType, ...]] = ("play", "skip", "like")
SCHEMA_VERSION: Final = 1
DEFAULT_TOPICS: Final[Mapping[str, str]] = MappingProxyType(
    {"play": "plays", "skip": "skips", "like": "likes"}
)
DEVICES: Final[tuple[str, ...]] = tuple(words.DEVICES)

_DAY_MS: Final = 86_400_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

# Listening behaviour. Long sessions on desktops and speakers, few skips where skipping is
# awkward (speakers, cars), likes on roughly one played track in fifteen.
_MEAN_TRACKS_PER_SESSION: Final = {
    "mobile": 10.0, "desktop": 16.0, "web": 12.0, "tablet": 10.0,
    "smart_speaker": 14.0, "tv": 12.0, "car": 9.0,
}  # fmt: skip
_SKIP_RATE: Final = {
    "mobile": 0.28, "desktop": 0.22, "web": 0.24, "tablet": 0.25,
    "smart_speaker": 0.10, "tv": 0.15, "car": 0.18,
}  # fmt: skip
_LIKE_RATE: Final = 0.07
_SAME_ARTIST_RATE: Final = 0.25
_SAME_GENRE_RATE: Final = 0.25
_PRIMARY_DEVICE_RATE: Final = 0.75
_PARTIAL_LAST_TRACK_RATE: Final = 0.6
_LONG_PAUSE_RATE: Final = 0.02
_MEAN_SKIP_MS: Final = 9_000
_MAX_SKIP_MS: Final = 30_000
# Activity peaks in the European evening / American afternoon; the early-morning trough
# (UTC) is a third of the peak.
_DAILY_SWING: Final = 0.5
_PEAK_HOUR_UTC: Final = 19
# Until enough sessions have been planned, steer as if they had this many events.
_PRIOR_EVENTS_PER_SESSION: Final = 11.0
_PRIOR_WEIGHT: Final = 20
# Sessions start this long before the window so that it opens mid-activity, not from silence.
_WARM_UP_MS: Final = 3_600_000
_UUID_VERSION_MASK: Final = ~(0xF000 << 64) & ~(0xC000 << 48)
_UUID_VERSION_4_BITS: Final = (0x4000 << 64) | (0x8000 << 48)


class ListeningEvent(NamedTuple):
    """One event as it travels through Kafka; the field order is the JSON field order."""

    event_id: str
    event_type: EventType
    event_at: str
    user_id: str
    track_id: str
    artist_id: str
    session_id: str
    device: str
    country: str
    track_duration_ms: int
    ms_played: int
    schema_version: int = SCHEMA_VERSION

    @property
    def key(self) -> bytes:
        """The Kafka key: the user id, so one user's events keep their order in a partition."""
        return self.user_id.encode()

    def topic(self, topics: Mapping[str, str] = DEFAULT_TOPICS) -> str:
        """The topic this event belongs to."""
        return topics[self.event_type]

    def occurred_at(self) -> datetime:
        """`event_at` as a timezone-aware datetime."""
        return datetime.fromisoformat(self.event_at)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object as a dict."""
        return self._asdict()

    def to_json(self) -> bytes:
        """The Kafka value: compact JSON."""
        # A template is about seven times faster than json.dumps, and safe because every string
        # is an id, uuid, code or timestamp from a plain alphabet (the catalog checks its ids).
        return (
            f'{{"event_id":"{self.event_id}","event_type":"{self.event_type}",'
            f'"event_at":"{self.event_at}","user_id":"{self.user_id}",'
            f'"track_id":"{self.track_id}","artist_id":"{self.artist_id}",'
            f'"session_id":"{self.session_id}","device":"{self.device}",'
            f'"country":"{self.country}","track_duration_ms":{self.track_duration_ms},'
            f'"ms_played":{self.ms_played},"schema_version":{self.schema_version}}}'
        ).encode()

    @classmethod
    def from_json(cls, value: bytes | str) -> ListeningEvent:
        """Parse a Kafka value written by `to_json`."""
        return cls(**json.loads(value))


def generate_events(
    catalog: Catalog,
    *,
    count: int,
    seed: int,
    end: datetime,
    window_hours: float = 48.0,
) -> Iterator[ListeningEvent]:
    """Yield `count` events in time order within the window ending at `end`; pure given seed."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    if not window_hours > 0:
        raise ValueError(f"window_hours must be positive, got {window_hours}")
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware (UTC), got a naive datetime")
    end_ms = (end - _EPOCH) // timedelta(milliseconds=1)
    start_ms = end_ms - round(window_hours * 3_600_000)
    return _merge_sessions(_SessionPlanner(catalog, random.Random(seed)), count, start_ms, end_ms)


def format_event_at(epoch_ms: int) -> str:
    """Milliseconds since the epoch as ISO-8601 UTC with milliseconds, e.g. ...T10:15:30.123Z."""
    minute, millisecond_of_minute = divmod(epoch_ms, 60_000)
    seconds, milliseconds = divmod(millisecond_of_minute, 1000)
    return f"{_minute_prefix(minute)}{seconds:02d}.{milliseconds:03d}Z"


# Events come in time order, so consecutive ones nearly always share their minute.
@lru_cache(maxsize=4096)
def _minute_prefix(minute: int) -> str:
    return f"{_EPOCH + timedelta(minutes=minute):%Y-%m-%dT%H:%M:}"


def format_uuid4(bits: int) -> str:
    """The canonical string of a version-4 UUID made from 128 random bits."""
    # Same result as str(uuid.UUID(int=bits, version=4)) at half the cost.
    text = f"{bits & _UUID_VERSION_MASK | _UUID_VERSION_4_BITS:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


Session = list[tuple[int, ListeningEvent]]


def _merge_sessions(
    planner: _SessionPlanner, count: int, start_ms: int, end_ms: int
) -> Iterator[ListeningEvent]:
    # Sessions overlap; a heap keyed by each session's next event time yields the union in
    # time order, the way a broker would receive it.
    heap: list[tuple[int, int, int, Session]] = []
    first_arrival_ms = start_ms - min(_WARM_UP_MS, end_ms - start_ms)
    arrivals = _SessionArrivals(planner.rng, count, first_arrival_ms, start_ms, end_ms)
    planned = 0
    next_arrival = arrivals.next_after(first_arrival_ms, planned)
    sequence = 0
    while planned < count or heap:
        if planned < count and (not heap or next_arrival <= heap[0][0]):
            session, full_length = planner.plan(next_arrival, start_ms, end_ms, count - planned)
            planned += len(session)
            arrivals.record_session(full_length)
            if session:
                heapq.heappush(heap, (session[0][0], sequence, 0, session))
                sequence += 1
            next_arrival = arrivals.next_after(next_arrival, planned)
            continue
        _, order, index, session = heap[0]
        yield session[index][1]
        index += 1
        if index < len(session):
            heapq.heapreplace(heap, (session[index][0], order, index, session))
        else:
            heapq.heappop(heap)


class _SessionArrivals:
    """When sessions start: a daily rhythm, steered so that `count` events fill the window.

    Sessions cut by the window edges are counted at full length: the tails that fall outside
    the window at the end are, on average, replaced by those of warm-up sessions at the start.
    Steering on full lengths keeps the rate even instead of rushing at either edge.
    """

    def __init__(
        self, rng: random.Random, count: int, first_ms: int, start_ms: int, end_ms: int
    ) -> None:
        self.rng = rng
        self.count = count
        self.end_ms = end_ms
        self.activity_until_end = _cumulative_activity(end_ms)
        window_activity = self.activity_until_end - _cumulative_activity(start_ms)
        arrival_activity = self.activity_until_end - _cumulative_activity(first_ms)
        self.full_length_target = count * arrival_activity / window_activity
        self.sessions = 0
        self.full_length_planned = 0

    def record_session(self, full_length: int) -> None:
        self.sessions += 1
        self.full_length_planned += full_length

    def next_after(self, now_ms: int, planned: int) -> int:
        events_per_session = (
            _PRIOR_EVENTS_PER_SESSION * _PRIOR_WEIGHT + self.full_length_planned
        ) / (_PRIOR_WEIGHT + self.sessions)
        # The second term takes over only when chance left the window short near its end.
        sessions_needed = max(
            (self.full_length_target - self.full_length_planned) / events_per_session,
            (self.count - planned) / events_per_session,
            1.0,
        )
        remaining_activity = self.activity_until_end - _cumulative_activity(now_ms)
        if remaining_activity > 0:
            rate_per_ms = sessions_needed * _activity(now_ms) / remaining_activity
            candidate = now_ms + self.rng.expovariate(rate_per_ms)
            if candidate <= self.end_ms:
                return int(candidate)
        # Behind schedule at the very end: squeeze the rest in, every session still fits.
        return now_ms + int((self.end_ms - now_ms) * self.rng.random())


def _activity(epoch_ms: float) -> float:
    phase = 2 * math.pi * (epoch_ms / 3_600_000 - _PEAK_HOUR_UTC) / 24
    return 1 + _DAILY_SWING * math.cos(phase)


def _cumulative_activity(epoch_ms: float) -> float:
    phase = 2 * math.pi * (epoch_ms / 3_600_000 - _PEAK_HOUR_UTC) / 24
    return epoch_ms + _DAILY_SWING * _DAY_MS / (2 * math.pi) * math.sin(phase)


class _SessionPlanner:
    """Plans one user's session: which tracks, how far each is played, what gets liked."""

    def __init__(self, catalog: Catalog, rng: random.Random) -> None:
        self.rng = rng
        self.users: Sequence[User] = catalog.users
        self.user_weights = list(accumulate(user.listening_weight for user in catalog.users))
        self.tracks: Sequence[Track] = catalog.tracks
        self.track_weights = list(accumulate(track.popularity for track in catalog.tracks))
        self.device_weights = list(accumulate(words.DEVICES.values()))
        by_artist: dict[str, list[int]] = {}
        by_genre: dict[str, list[int]] = {}
        for index, track in enumerate(catalog.tracks):
            by_artist.setdefault(track.artist_id, []).append(index)
            by_genre.setdefault(track.genre, []).append(index)
        self.by_artist = {key: self._weighted(indexes) for key, indexes in by_artist.items()}
        self.by_genre = {key: self._weighted(indexes) for key, indexes in by_genre.items()}

    def _weighted(self, indexes: list[int]) -> tuple[list[int], list[float]]:
        return indexes, list(accumulate(self.tracks[index].popularity for index in indexes))

    def plan(
        self, first_event_ms: int, start_ms: int, end_ms: int, max_events: int
    ) -> tuple[Session, int]:
        """The session's events in the window and how many it has in all."""
        rng = self.rng
        random_ = rng.random
        user = self.users[_draw(self.user_weights, random_())]
        device = user.primary_device
        if random_() >= _PRIMARY_DEVICE_RATE:
            device = DEVICES[_draw(self.device_weights, random_())]
        skip_rate = _SKIP_RATE[device]
        track_count = 1 + int(rng.expovariate(1 / (_MEAN_TRACKS_PER_SESSION[device] - 1)))
        session_id = format_uuid4(rng.getrandbits(128))
        # A play or skip happens when playback stops (ms_played is known then), a like while
        # the track plays. Times are relative to the session start until the first event's
        # time is known.
        timeline: list[tuple[int, EventType, Track, int]] = []
        started_ms = 0
        track = self._pick(None)
        for position in range(track_count):
            if position:
                track = self._pick(track)
            duration = track.duration_ms
            if random_() < skip_rate:
                skip_ms = 500 + int(rng.expovariate(1 / _MEAN_SKIP_MS))
                played = min(skip_ms, _MAX_SKIP_MS, duration // 4)
                timeline.append((started_ms + played, "skip", track, played))
            else:
                played = duration
                if position == track_count - 1 and random_() < _PARTIAL_LAST_TRACK_RATE:
                    played = int(duration * rng.uniform(0.25, 1.0))
                if random_() < _LIKE_RATE:
                    liked_at = int(played * rng.uniform(0.15, 0.95))
                    timeline.append((started_ms + liked_at, "like", track, liked_at))
                timeline.append((started_ms + played, "play", track, played))
            started_ms += played + int(random_() * 1500)
            if random_() < _LONG_PAUSE_RATE:
                started_ms += 60_000 + int(random_() * 840_000)
        shift = first_event_ms - timeline[0][0]
        session: Session = []
        for relative_ms, event_type, played_track, ms_played in timeline:
            at_ms = relative_ms + shift
            if at_ms < start_ms:
                continue
            if at_ms > end_ms or len(session) == max_events:
                break
            event = ListeningEvent(
                format_uuid4(rng.getrandbits(128)),
                event_type,
                format_event_at(at_ms),
                user.user_id,
                played_track.track_id,
                played_track.artist_id,
                session_id,
                device,
                user.country,
                played_track.duration_ms,
                ms_played,
            )
            session.append((at_ms, event))
        return session, len(timeline)

    def _pick(self, previous: Track | None) -> Track:
        draw = self.rng.random()
        if previous is not None and draw < _SAME_ARTIST_RATE + _SAME_GENRE_RATE:
            key_map = self.by_artist if draw < _SAME_ARTIST_RATE else self.by_genre
            key = previous.artist_id if draw < _SAME_ARTIST_RATE else previous.genre
            indexes, weights = key_map[key]
            return self.tracks[indexes[_draw(weights, self.rng.random())]]
        return self.tracks[_draw(self.track_weights, self.rng.random())]


def _draw(cumulative_weights: list[float], uniform: float) -> int:
    # Like random.choices: the upper bound guards against uniform * total rounding up to total.
    last = len(cumulative_weights) - 1
    return bisect(cumulative_weights, uniform * cumulative_weights[-1], 0, last)
