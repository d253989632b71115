"""User profiles that change over time: subscription tier moves and country moves.

Each user's history is a function of the catalog seed, the user id and time alone: changes
arrive at random intervals (mean PROFILE_CHANGE_MEAN_DAYS) after the catalog date. The
profile as of a moment is the last state before it, stamped with the time of the last change
(`updated_at`). So a later run sees the earlier run's history plus what happened since, the
way a real user table evolves, and a dbt snapshot can build a type-2 dimension from it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Final

from lakehouse.simulator import vocabulary as words
from lakehouse.simulator.catalog import SUBSCRIPTION_TIERS, User

PROFILE_CHANGE_MEAN_DAYS: Final = 120.0
# Most changes are plan changes; a few users move country.
TIER_CHANGE_SHARE: Final = 0.8


def profile_as_of(user: User, seed: int, moment: datetime) -> User:
    """The user's profile at `moment` (UTC), with updated_at the time of its last change."""
    rng = random.Random(f"{seed}:{user.user_id}")
    countries = sorted(words.USER_COUNTRIES)
    profile = user
    change_at = user.updated_at
    while True:
        change_at += timedelta(seconds=round(rng.expovariate(1 / PROFILE_CHANGE_MEAN_DAYS) * 86400))
        if change_at > moment:
            return profile
        if rng.random() < TIER_CHANGE_SHARE:
            tiers = [tier for tier in SUBSCRIPTION_TIERS if tier != profile.subscription_tier]
            profile = replace(profile, subscription_tier=rng.choice(tiers), updated_at=change_at)
        else:
            moves = [country for country in countries if country != profile.country]
            profile = replace(profile, country=rng.choice(moves), updated_at=change_at)


def profiles_as_of(users: Iterable[User], seed: int, moment: datetime) -> tuple[User, ...]:
    """Every user's profile at `moment`; the same seed and moment give the same profiles."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return tuple(profile_as_of(user, seed, moment) for user in users)
