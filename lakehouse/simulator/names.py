"""Made-up but plausible names: people, artists, tracks and albums."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

from lakehouse.simulator import vocabulary as words


def person_name(rng: random.Random, country: str) -> tuple[str, str]:
    """A first and last name typical of the country."""
    names_from = words.NAME_LIST_FOR_COUNTRY.get(country, country)
    if names_from not in words.FIRST_NAMES:
        names_from = "US"
    return rng.choice(words.FIRST_NAMES[names_from]), rng.choice(words.LAST_NAMES[names_from])


def artist_name(rng: random.Random, genre: str, country: str) -> str:
    """A solo artist, band or DJ name."""
    style = rng.random()
    if style < 0.4:
        return " ".join(person_name(rng, country))
    if style < 0.75:
        article = "The " if rng.random() < 0.5 else ""
        return f"{article}{rng.choice(words.ADJECTIVES)} {plural(rng.choice(words.NOUNS))}"
    if style < 0.9:
        if genre == "electronic":
            return f"DJ {rng.choice(words.NOUNS)}"
        if genre == "hip-hop":
            return f"Lil {rng.choice(words.NOUNS)}"
        return person_name(rng, country)[0]
    return f"{person_name(rng, country)[0]} & the {plural(rng.choice(words.NOUNS))}"


def track_title(rng: random.Random) -> str:
    """A song title."""
    pattern = rng.randrange(5)
    if pattern == 0:
        return f"{rng.choice(words.ADJECTIVES)} {rng.choice(words.NOUNS)}"
    if pattern == 1:
        return f"{rng.choice(words.VERBS)} {rng.choice(words.TITLE_WORDS)}"
    if pattern == 2:
        return f"{rng.choice(words.NOUNS)} {rng.choice(words.TITLE_WORDS)}"
    if pattern == 3:
        return f"{rng.choice(words.NOUNS)} of {rng.choice(words.NOUNS)}"
    return f"{rng.choice(words.VERBS)} in the {rng.choice(words.NOUNS)}"


def album_title(rng: random.Random, artist_name: str) -> str:
    """An album title; now and then the artist's own name."""
    pattern = rng.randrange(5)
    if pattern == 0:
        return artist_name
    if pattern == 1:
        return f"{rng.choice(words.ADJECTIVES)} {plural(rng.choice(words.NOUNS))}"
    if pattern == 2:
        return f"Songs from the {rng.choice(words.NOUNS)}"
    if pattern == 3:
        return rng.choice(words.VERBS)
    return rng.choice(words.NOUNS)


def unique(rng: random.Random, taken: set[str], make: Callable[[], str]) -> str:
    """A name from `make` not yet in `taken` (a number is added when names run out)."""
    name = make()
    attempts = 1
    while name in taken:
        name = make() if attempts < 10 else f"{make()} {rng.randint(2, 99)}"
        attempts += 1
    taken.add(name)
    return name


def plural(noun: str) -> str:
    """The English plural of a noun from the word lists."""
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return f"{noun[:-1]}ies"
    return f"{noun}es" if noun.endswith(("s", "sh", "ch", "x")) else f"{noun}s"


def ascii_only(text: str) -> str:
    """The text without accents, for user handles."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
