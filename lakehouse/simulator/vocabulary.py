"""Word lists and weights the catalog draws from, kept apart so catalog.py stays readable."""

from __future__ import annotations

from typing import Final, NamedTuple


class GenreProfile(NamedTuple):
    """How a genre shapes its tracks."""

    weight: float
    median_duration_s: float
    explicit_rate: float
    mean_age_years: float


GENRES: Final[dict[str, GenreProfile]] = {
    "pop": GenreProfile(0.22, 205, 0.15, 5),
    "hip-hop": GenreProfile(0.16, 195, 0.60, 5),
    "rock": GenreProfile(0.12, 240, 0.10, 16),
    "electronic": GenreProfile(0.09, 255, 0.05, 6),
    "indie": GenreProfile(0.08, 225, 0.08, 8),
    "r&b": GenreProfile(0.07, 215, 0.35, 7),
    "latin": GenreProfile(0.07, 210, 0.20, 5),
    "country": GenreProfile(0.04, 200, 0.03, 8),
    "k-pop": GenreProfile(0.03, 200, 0.05, 4),
    "metal": GenreProfile(0.03, 290, 0.25, 14),
    "jazz": GenreProfile(0.03, 320, 0.00, 25),
    "folk": GenreProfile(0.03, 230, 0.02, 12),
    "classical": GenreProfile(0.02, 360, 0.00, 20),
}

# Listener countries roughly follow where streaming services have their subscribers.
USER_COUNTRIES: Final[dict[str, float]] = {
    "US": 0.25,
    "BR": 0.09,
    "GB": 0.08,
    "DE": 0.07,
    "IN": 0.07,
    "MX": 0.06,
    "FR": 0.05,
    "JP": 0.04,
    "CA": 0.04,
    "SE": 0.03,
    "ES": 0.03,
    "IT": 0.03,
    "AU": 0.03,
    "NL": 0.02,
    "PL": 0.02,
    "KR": 0.02,
    "AR": 0.02,
    "ID": 0.02,
    "NG": 0.01,
    "PH": 0.01,
}

# Artists come disproportionately from a few music-exporting countries.
ARTIST_COUNTRIES: Final[dict[str, float]] = {
    "US": 0.38,
    "GB": 0.14,
    "SE": 0.06,
    "DE": 0.05,
    "BR": 0.05,
    "KR": 0.05,
    "CA": 0.05,
    "FR": 0.04,
    "MX": 0.04,
    "JP": 0.03,
    "AU": 0.03,
    "ES": 0.02,
    "IN": 0.02,
    "NL": 0.02,
    "NG": 0.02,
}

SUBSCRIPTION_TIERS: Final[dict[str, float]] = {
    "free": 0.45,
    "premium": 0.35,
    "family": 0.12,
    "student": 0.08,
}

# Where listening happens; mobile dominates.
DEVICES: Final[dict[str, float]] = {
    "mobile": 0.60,
    "desktop": 0.14,
    "web": 0.06,
    "tablet": 0.05,
    "smart_speaker": 0.07,
    "tv": 0.03,
    "car": 0.05,
}

FIRST_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "US": ("James", "Olivia", "Noah", "Emma", "Liam", "Ava", "Mason", "Harper", "Tyler", "Maya"),
    "GB": ("Oliver", "Amelia", "Harry", "Isla", "George", "Freya", "Alfie", "Poppy", "Jack"),
    "DE": ("Lukas", "Lena", "Jonas", "Mia", "Felix", "Hannah", "Jürgen", "Sophie", "Käthe"),
    "BR": ("João", "Ana", "Pedro", "Beatriz", "Lucas", "Júlia", "Gabriel", "Larissa"),
    "IN": ("Aarav", "Diya", "Vihaan", "Ananya", "Arjun", "Priya", "Rohan", "Isha"),
    "SE": ("Björn", "Elsa", "Erik", "Saga", "Linnéa", "Oskar", "Astrid", "Måns"),
    "MX": ("Santiago", "Valentina", "Mateo", "Ximena", "Diego", "Camila", "Sofía"),
    "FR": ("Louis", "Chloé", "Hugo", "Léa", "Jules", "Manon", "Théo", "Zoé"),
    "JP": ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuto", "Sakura"),
    "KR": ("Minjun", "Seoyeon", "Jiho", "Jiwoo", "Hyun", "Soyeon", "Taeyang"),
    "NG": ("Chinedu", "Amara", "Tunde", "Ngozi", "Emeka", "Zainab", "Femi"),
}

LAST_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "US": ("Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Lopez"),
    "GB": ("Taylor", "Evans", "Walker", "Wright", "Hughes", "Clarke", "Turner", "Hall"),
    "DE": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker"),
    "BR": ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Conceição"),
    "IN": ("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair"),
    "SE": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Lindqvist", "Åberg"),
    "MX": ("Hernández", "García", "Martínez", "López", "González", "Ramírez"),
    "FR": ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard"),
    "JP": ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto"),
    "KR": ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Yoon"),
    "NG": ("Okafor", "Adeyemi", "Balogun", "Eze", "Okonkwo", "Abubakar", "Nwosu"),
}

# Countries without their own list borrow the closest one.
NAME_LIST_FOR_COUNTRY: Final[dict[str, str]] = {
    "CA": "US",
    "AU": "GB",
    "NL": "DE",
    "PL": "DE",
    "ES": "MX",
    "IT": "FR",
    "AR": "MX",
    "ID": "IN",
    "PH": "US",
}

ADJECTIVES: Final[tuple[str, ...]] = (
    "Golden", "Electric", "Silent", "Velvet", "Neon", "Broken", "Endless", "Midnight",
    "Crimson", "Hollow", "Wild", "Paper", "Quiet", "Burning", "Frozen", "Lucky", "Lonely",
    "Northern", "Sweet", "Violet", "Distant", "Restless", "Silver", "Tender", "Cosmic",
)  # fmt: skip

NOUNS: Final[tuple[str, ...]] = (
    "Heart", "River", "Summer", "Echo", "Garden", "Highway", "Ocean", "Fire", "Mirror",
    "Parade", "Signal", "Harbor", "Satellite", "Storm", "Dream", "Shadow", "City", "Horizon",
    "Wolf", "Rain", "Mountain", "Letter", "Machine", "Island", "Light", "Tide", "Ghost",
)  # fmt: skip

VERBS: Final[tuple[str, ...]] = (
    "Running", "Falling", "Dancing", "Waiting", "Chasing", "Drifting", "Burning", "Holding",
    "Calling", "Breaking", "Fading", "Shining", "Dreaming", "Leaving",
)  # fmt: skip

TITLE_WORDS: Final[tuple[str, ...]] = (
    "Tonight", "Forever", "Again", "Slowly", "Home", "Away", "Together", "Alone", "Now",
    "Tomorrow", "Yesterday", "Somewhere", "Nowhere", "Closer",
)  # fmt: skip
