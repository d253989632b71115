"""Deterministic reference data (artists, tracks, users) and its Parquet export."""

from __future__ import annotations

import json
import math
import os
import random
import re
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Final

import duckdb

from lakehouse.simulator import names
from lakehouse.simulator import vocabulary as words

DEFAULT_AS_OF: Final = date(2026, 1, 1)
# When the catalog's profiles were last updated, before any change the simulator makes.
PROFILES_AS_OF: Final = datetime.combine(DEFAULT_AS_OF, time(), tzinfo=UTC)
SUBSCRIPTION_TIERS: Final = ("free", "premium", "family", "student")
MIN_DURATION_MS: Final = 120_000
MAX_DURATION_MS: Final = 420_000
_OLDEST_RELEASE_YEAR: Final = 1960
_SERVICE_LAUNCH: Final = date(2009, 1, 1)
# Ids and country codes are embedded in event JSON without escaping, so they must stay plain.
_PLAIN_TEXT: Final = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Artist:
    """An artist; `popularity` is a relative weight that is not part of the Parquet contract."""

    artist_id: str
    artist_name: str
    genre: str
    country: str
    popularity: float


@dataclass(frozen=True, slots=True)
class Track:
    """A track; `popularity` is a relative weight that is not part of the Parquet contract."""

    track_id: str
    track_title: str
    artist_id: str
    album_title: str
    genre: str
    duration_ms: int
    release_year: int
    is_explicit: bool
    popularity: float


@dataclass(frozen=True, slots=True)
class User:
    """A listener; device and listening weight drive the events, not the Parquet contract."""

    user_id: str
    user_name: str
    country: str
    subscription_tier: str
    signup_date: date
    birth_year: int
    primary_device: str
    listening_weight: float
    # When the profile last changed (UTC); lakehouse.simulator.profiles moves it forward.
    updated_at: datetime = PROFILES_AS_OF


@dataclass(frozen=True)
class Catalog:
    """Everything events refer to; built by `build_catalog`."""

    seed: int
    artists: tuple[Artist, ...]
    tracks: tuple[Track, ...]
    users: tuple[User, ...]

    def __post_init__(self) -> None:
        if not self.tracks or not self.users:
            raise ValueError("a catalog needs at least one track and one user")
        artist_ids = {artist.artist_id for artist in self.artists}
        unsafe = [
            value
            for value in (
                *artist_ids,
                *(track.track_id for track in self.tracks),
                *(user.user_id for user in self.users),
                *(user.country for user in self.users),
            )
            if not _PLAIN_TEXT.fullmatch(value)
        ]
        if unsafe:
            raise ValueError(f"ids and countries must match {_PLAIN_TEXT.pattern}: {unsafe[:5]}")
        orphans = [track.track_id for track in self.tracks if track.artist_id not in artist_ids]
        if orphans:
            raise ValueError(f"tracks refer to unknown artists: {orphans[:5]}")


def build_catalog(
    seed: int = 7,
    *,
    users: int = 5000,
    artists: int = 800,
    tracks: int = 20000,
    as_of: date = DEFAULT_AS_OF,
) -> Catalog:
    """Build a catalog; the same arguments always give the same catalog."""
    if min(users, artists, tracks) < 1:
        raise ValueError("users, artists and tracks must each be at least 1")
    rng = random.Random(seed)
    artist_rows = _build_artists(rng, artists)
    track_rows = _build_tracks(rng, artist_rows, tracks, as_of)
    user_rows = _build_users(rng, users, as_of)
    return Catalog(seed=seed, artists=artist_rows, tracks=track_rows, users=user_rows)


def _build_artists(rng: random.Random, count: int) -> tuple[Artist, ...]:
    # A shuffled Zipf rank keeps popularity independent of the id order.
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    genres, genre_weights = _weights({g: p.weight for g, p in words.GENRES.items()})
    countries, country_weights = _weights(words.ARTIST_COUNTRIES)
    taken: set[str] = set()
    artists = []
    for number, rank in enumerate(ranks, start=1):
        genre = rng.choices(genres, genre_weights)[0]
        country = rng.choices(countries, country_weights)[0]
        name = names.unique(rng, taken, partial(names.artist_name, rng, genre, country))
        popularity = 1.0 / rank**1.1
        artists.append(Artist(f"a-{number:05d}", name, genre, country, popularity))
    return tuple(artists)


def _build_tracks(
    rng: random.Random, artists: Sequence[Artist], count: int, as_of: date
) -> tuple[Track, ...]:
    per_artist = _tracks_per_artist(rng, artists, count)
    genres = list(words.GENRES)
    drafts: list[Track] = []
    for artist, track_count in zip(artists, per_artist, strict=True):
        hit_ranks = list(range(1, track_count + 1))
        rng.shuffle(hit_ranks)
        remaining = track_count
        while remaining:
            album_size = min(remaining, 1 if rng.random() < 0.3 else rng.randint(6, 14))
            remaining -= album_size
            titles = [names.track_title(rng) for _ in range(album_size)]
            album_title = (
                titles[0] if album_size == 1 else names.album_title(rng, artist.artist_name)
            )
            mean_age_days = words.GENRES[artist.genre].mean_age_years * 365
            released = as_of - timedelta(days=int(rng.expovariate(1 / mean_age_days)))
            for title in titles:
                # A little crossover: not every track shares its artist's main genre.
                genre = artist.genre if rng.random() < 0.9 else rng.choice(genres)
                track_profile = words.GENRES[genre]
                seconds = rng.lognormvariate(math.log(track_profile.median_duration_s), 0.25)
                duration_ms = round(seconds * 1000)
                popularity = artist.popularity / hit_ranks.pop() ** 0.8
                drafts.append(
                    Track(
                        track_id="",
                        track_title=title,
                        artist_id=artist.artist_id,
                        album_title=album_title,
                        genre=genre,
                        duration_ms=min(max(duration_ms, MIN_DURATION_MS), MAX_DURATION_MS),
                        release_year=max(released.year, _OLDEST_RELEASE_YEAR),
                        is_explicit=rng.random() < track_profile.explicit_rate,
                        popularity=popularity * rng.lognormvariate(0, 0.6),
                    )
                )
    # Shuffled so that consecutive track ids do not all belong to one artist.
    rng.shuffle(drafts)
    return tuple(
        replace(draft, track_id=f"t-{number:06d}") for number, draft in enumerate(drafts, start=1)
    )


def _tracks_per_artist(rng: random.Random, artists: Sequence[Artist], count: int) -> list[int]:
    # Every artist gets one track while there are enough; popular artists get more of the rest.
    per_artist = [1 if index < count else 0 for index in range(len(artists))]
    extra = count - sum(per_artist)
    weights = [artist.popularity**0.35 for artist in artists]
    for index in rng.choices(range(len(artists)), weights, k=extra):
        per_artist[index] += 1
    return per_artist


def _build_users(rng: random.Random, count: int, as_of: date) -> tuple[User, ...]:
    countries, country_weights = _weights(words.USER_COUNTRIES)
    devices, device_weights = _weights(words.DEVICES)
    users = []
    for number in range(1, count + 1):
        country = rng.choices(countries, country_weights)[0]
        first, last = names.person_name(rng, country)
        handle = names.ascii_only(f"{first}{rng.choice(('.', '_', ''))}{last}").lower()
        age = _age(rng)
        birth_year = as_of.year - age
        earliest_signup = max(_SERVICE_LAUNCH, date(birth_year + 13, 1, 1))
        signup_days_ago = min(int(rng.expovariate(1 / 900)), (as_of - earliest_signup).days)
        users.append(
            User(
                user_id=f"u-{number:06d}",
                user_name=f"{handle}{rng.randint(1, 99)}",
                country=country,
                subscription_tier=_subscription_tier(rng, age),
                signup_date=as_of - timedelta(days=max(signup_days_ago, 0)),
                birth_year=birth_year,
                primary_device=rng.choices(devices, device_weights)[0],
                # Heavy-tailed: a few users listen far more than the rest.
                listening_weight=rng.lognormvariate(0, 1.0),
            )
        )
    return tuple(users)


def _age(rng: random.Random) -> int:
    bands = ((13, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 80))
    low, high = rng.choices(bands, (5, 27, 30, 18, 11, 6, 3))[0]
    return rng.randint(low, high)


def _subscription_tier(rng: random.Random, age: int) -> str:
    if age < 18:
        weights = (60, 0, 40, 0)
    elif age <= 25:
        weights = (45, 25, 8, 22)
    else:
        weights = (45, 40, 15, 0)
    return rng.choices(SUBSCRIPTION_TIERS, weights)[0]


def _weights(weighted: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(weighted), list(weighted.values())


# Column order and DuckDB types are the contract the dbt sources are declared against.
REFERENCE_COLUMNS: Final[dict[str, dict[str, str]]] = {
    "users": {
        "user_id": "VARCHAR",
        "user_name": "VARCHAR",
        "country": "VARCHAR",
        "subscription_tier": "VARCHAR",
        "signup_date": "DATE",
        "birth_year": "INTEGER",
        "updated_at": "TIMESTAMP",
    },
    "tracks": {
        "track_id": "VARCHAR",
        "track_title": "VARCHAR",
        "artist_id": "VARCHAR",
        "album_title": "VARCHAR",
        "genre": "VARCHAR",
        "duration_ms": "BIGINT",
        "release_year": "INTEGER",
        "is_explicit": "BOOLEAN",
    },
    "artists": {
        "artist_id": "VARCHAR",
        "artist_name": "VARCHAR",
        "genre": "VARCHAR",
        "country": "VARCHAR",
    },
}


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        # Naive UTC wall-clock time: the TIMESTAMP column of the contract.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {value!r} to reference data")


def write_reference_data(
    catalog: Catalog, directory: Path, users: Sequence[User] | None = None
) -> dict[str, Path]:
    """Write users (the catalog's, or the given profiles), tracks and artists as Parquet."""
    directory.mkdir(parents=True, exist_ok=True)
    rows: dict[str, Sequence[Artist | Track | User]] = {
        "users": catalog.users if users is None else users,
        "tracks": catalog.tracks,
        "artists": catalog.artists,
    }
    written = {}
    # DuckDB converts Python values one by one (slow); a JSON-lines file is read in bulk.
    with tempfile.TemporaryDirectory(prefix="lakehouse-reference-") as staging:
        connection = duckdb.connect()
        try:
            for table, columns in REFERENCE_COLUMNS.items():
                lines = Path(staging) / f"{table}.jsonl"
                with lines.open("w", encoding="utf-8") as handle:
                    for row in rows[table]:
                        record = {name: getattr(row, name) for name in columns}
                        handle.write(json.dumps(record, default=_json_value) + "\n")
                target = directory / f"{table}.parquet"
                partial = directory / f".{table}.parquet.{uuid.uuid4().hex}.tmp"
                try:
                    relation = connection.read_json(
                        str(lines), columns=columns, format="newline_delimited"
                    )
                    relation.select(*columns).write_parquet(str(partial))
                    # Readers see either the old file or the new one, never half of one.
                    os.replace(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
                written[table] = target
        finally:
            connection.close()
    return written
