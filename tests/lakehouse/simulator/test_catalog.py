import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from lakehouse.simulator import REFERENCE_COLUMNS, build_catalog, write_reference_data
from lakehouse.simulator.catalog import (
    MAX_DURATION_MS,
    MIN_DURATION_MS,
    SUBSCRIPTION_TIERS,
    Catalog,
)

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(11, users=2000, artists=300, tracks=6000, as_of=AS_OF)


def small_catalog(seed: int = 3) -> Catalog:
    return build_catalog(seed, users=40, artists=6, tracks=30, as_of=AS_OF)


def test_same_seed_builds_the_same_catalog() -> None:
    assert small_catalog(3) == small_catalog(3)


def test_different_seeds_build_different_catalogs() -> None:
    first, second = small_catalog(3), small_catalog(4)
    assert first.users != second.users
    assert first.tracks != second.tracks


def test_counts_and_id_formats(catalog: Catalog) -> None:
    assert len(catalog.users) == 2000
    assert len(catalog.artists) == 300
    assert len(catalog.tracks) == 6000
    assert catalog.users[41].user_id == "u-000042"
    assert catalog.tracks[122].track_id == "t-000123"
    assert catalog.artists[11].artist_id == "a-00012"
    assert all(re.fullmatch(r"u-\d{6}", user.user_id) for user in catalog.users)
    assert all(re.fullmatch(r"t-\d{6}", track.track_id) for track in catalog.tracks)
    assert all(re.fullmatch(r"a-\d{5}", artist.artist_id) for artist in catalog.artists)
    assert len({artist.artist_name for artist in catalog.artists}) == len(catalog.artists)


def test_every_artist_has_a_track_and_every_track_an_artist(catalog: Catalog) -> None:
    artist_ids = {artist.artist_id for artist in catalog.artists}
    assert {track.artist_id for track in catalog.tracks} == artist_ids


def test_track_shapes(catalog: Catalog) -> None:
    durations = [track.duration_ms for track in catalog.tracks]
    assert min(durations) >= MIN_DURATION_MS
    assert max(durations) <= MAX_DURATION_MS
    assert 180_000 < sum(durations) / len(durations) < 270_000
    assert all(1960 <= track.release_year <= AS_OF.year for track in catalog.tracks)
    explicit_share = sum(track.is_explicit for track in catalog.tracks) / len(catalog.tracks)
    assert 0.05 < explicit_share < 0.4


def test_popularity_is_concentrated_in_a_few_tracks(catalog: Catalog) -> None:
    popularity = sorted((track.popularity for track in catalog.tracks), reverse=True)
    top_one_percent = sum(popularity[: len(popularity) // 100])
    assert top_one_percent / sum(popularity) > 0.2


def test_user_shapes(catalog: Catalog) -> None:
    tiers = {user.subscription_tier for user in catalog.users}
    assert tiers == set(SUBSCRIPTION_TIERS)
    countries = [user.country for user in catalog.users]
    assert countries.count("US") == max(countries.count(code) for code in set(countries))
    assert {"GB", "DE", "BR", "IN", "SE"} <= set(countries)
    assert all(date(2009, 1, 1) <= user.signup_date <= AS_OF for user in catalog.users)
    assert all(13 <= AS_OF.year - user.birth_year <= 80 for user in catalog.users)
    students = [user for user in catalog.users if user.subscription_tier == "student"]
    assert all(AS_OF.year - user.birth_year <= 25 for user in students)


def test_catalog_rejects_ids_that_would_break_event_json() -> None:
    catalog = small_catalog()
    bad_user = replace(catalog.users[0], user_id='u-"1')
    with pytest.raises(ValueError, match="must match"):
        Catalog(catalog.seed, catalog.artists, catalog.tracks, (bad_user, *catalog.users[1:]))


def test_catalog_rejects_tracks_of_unknown_artists() -> None:
    catalog = small_catalog()
    orphan = replace(catalog.tracks[0], artist_id="a-99999")
    with pytest.raises(ValueError, match="unknown artists"):
        Catalog(catalog.seed, catalog.artists, (orphan, *catalog.tracks[1:]), catalog.users)


def parquet_schema(path: Path) -> list[tuple[str, str]]:
    rows = duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()
    return [(name, column_type) for name, column_type, *_ in rows]


def test_reference_files_have_exactly_the_contract_columns(tmp_path: Path) -> None:
    written = write_reference_data(small_catalog(), tmp_path)

    assert written == {
        name: tmp_path / f"{name}.parquet" for name in ("users", "tracks", "artists")
    }
    assert parquet_schema(written["users"]) == [
        ("user_id", "VARCHAR"),
        ("user_name", "VARCHAR"),
        ("country", "VARCHAR"),
        ("subscription_tier", "VARCHAR"),
        ("signup_date", "DATE"),
        ("birth_year", "INTEGER"),
        ("updated_at", "TIMESTAMP"),
    ]
    assert parquet_schema(written["artists"]) == [
        ("artist_id", "VARCHAR"),
        ("artist_name", "VARCHAR"),
        ("genre", "VARCHAR"),
        ("country", "VARCHAR"),
    ]
    assert parquet_schema(written["tracks"]) == [
        ("track_id", "VARCHAR"),
        ("track_title", "VARCHAR"),
        ("artist_id", "VARCHAR"),
        ("album_title", "VARCHAR"),
        ("genre", "VARCHAR"),
        ("duration_ms", "BIGINT"),
        ("release_year", "INTEGER"),
        ("is_explicit", "BOOLEAN"),
    ]
    assert {name: list(columns.items()) for name, columns in REFERENCE_COLUMNS.items()} == {
        name: parquet_schema(path) for name, path in written.items()
    }


def test_reference_files_hold_the_catalog_rows(tmp_path: Path) -> None:
    catalog = small_catalog()
    written = write_reference_data(catalog, tmp_path)

    def read(table: str) -> list[tuple[object, ...]]:
        return duckdb.sql(f"select * from read_parquet('{written[table]}')").fetchall()

    assert read("users") == [
        (
            u.user_id,
            u.user_name,
            u.country,
            u.subscription_tier,
            u.signup_date,
            u.birth_year,
            u.updated_at.replace(tzinfo=None),
        )
        for u in catalog.users
    ]
    assert read("artists") == [
        (a.artist_id, a.artist_name, a.genre, a.country) for a in catalog.artists
    ]
    assert read("tracks") == [
        (
            t.track_id,
            t.track_title,
            t.artist_id,
            t.album_title,
            t.genre,
            t.duration_ms,
            t.release_year,
            t.is_explicit,
        )
        for t in catalog.tracks
    ]


def test_writing_twice_gives_the_same_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    catalog = small_catalog()
    first = {
        name: path.read_bytes() for name, path in write_reference_data(catalog, tmp_path).items()
    }
    second = {
        name: path.read_bytes() for name, path in write_reference_data(catalog, tmp_path).items()
    }

    assert first == second
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "artists.parquet",
        "tracks.parquet",
        "users.parquet",
    ]


def test_writing_replaces_older_reference_data(tmp_path: Path) -> None:
    write_reference_data(build_catalog(1, users=50, artists=5, tracks=20), tmp_path)
    written = write_reference_data(small_catalog(), tmp_path)

    user_count = duckdb.sql(f"select count(*) from read_parquet('{written['users']}')").fetchone()
    assert user_count == (40,)


def test_writing_creates_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "lake" / "reference"
    written = write_reference_data(small_catalog(), target)
    assert all(path.parent == target and path.exists() for path in written.values())
