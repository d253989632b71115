"""User profiles change over time, deterministically, and only forward."""

from __future__ import annotations

from datetime import UTC, datetime

from lakehouse.simulator import build_catalog
from lakehouse.simulator.catalog import PROFILES_AS_OF
from lakehouse.simulator.profiles import profiles_as_of

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
LATER = datetime(2026, 11, 23, tzinfo=UTC)


def test_profiles_are_deterministic_under_the_seed() -> None:
    users = build_catalog(3, users=200, artists=5, tracks=20).users

    assert profiles_as_of(users, 3, NOVEMBER) == profiles_as_of(users, 3, NOVEMBER)
    assert profiles_as_of(users, 3, NOVEMBER) != profiles_as_of(users, 4, NOVEMBER)


def test_profiles_only_move_forward_in_time() -> None:
    users = build_catalog(3, users=200, artists=5, tracks=20).users
    before = profiles_as_of(users, 3, NOVEMBER)
    after = profiles_as_of(users, 3, LATER)

    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed, "some users should change plan or country within three weeks"
    for old, new in changed:
        assert NOVEMBER < new.updated_at <= LATER
        assert (old.subscription_tier, old.country) != (new.subscription_tier, new.country)
    unchanged = [old for old, new in zip(before, after, strict=True) if old == new]
    assert all(PROFILES_AS_OF <= user.updated_at <= NOVEMBER for user in unchanged)


def test_before_any_change_the_catalog_profile_is_kept() -> None:
    users = build_catalog(3, users=50, artists=5, tracks=20).users

    assert profiles_as_of(users, 3, PROFILES_AS_OF) == users
