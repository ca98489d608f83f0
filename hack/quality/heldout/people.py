"""Names, companies and small facts the carriers are filled with (hand-picked, varied by region)."""

from __future__ import annotations

import random

FIRST = (
    "Maria", "James", "Aiko", "Oluwaseun", "Priya", "Lukas", "Sofia", "Mateo", "Chen", "Fatima", "Noah",
    "Ingrid", "Rahul", "Camille", "Dmitri", "Amara", "Tomás", "Hannah", "Kenji", "Leila", "Owen", "Yuki",
    "Carlos", "Elif", "Samuel", "Nadia", "Ravi", "Greta", "Kwame", "Isabel",
)  # fmt: skip
LAST = (
    "Garcia", "Okafor", "Tanaka", "Schmidt", "Patel", "Nguyen", "Rossi", "Kowalski", "Haddad", "Johansson",
    "Silva", "Murphy", "Dubois", "Ivanova", "Mensah", "Kim", "Fernández", "Weber", "Abbott", "Yilmaz",
)  # fmt: skip
COMPANIES = (
    "Northwind Logistics", "Brightline Health", "Kestrel Analytics", "Lumen Foods", "Harbor & Vale LLP",
    "Quantica Labs", "Redfern Builders", "Solace Insurance", "Tidewater Energy", "Orchid Retail",
    "Pinecrest Capital", "Vertex Robotics", "Bluebird Travel", "Granite Software", "Meridian Bank",
)  # fmt: skip
PRODUCTS = (
    "standing desk", "noise-cancelling headphones", "espresso machine", "trail running shoes",
    "4K monitor", "robot vacuum", "ergonomic chair", "mechanical keyboard", "air purifier", "e-reader",
)  # fmt: skip
CITIES = ("Lisbon", "Osaka", "Toronto", "Nairobi", "Munich", "Austin", "Lyon", "Melbourne", "Seoul", "Bogotá")


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def email_of(name: str, company: str) -> str:
    first, _, last = name.partition(" ")
    domain = company.split(" ")[0].lower().replace("&", "") + ".example"
    return f"{first[0].lower()}.{last.lower()}@{domain}".replace("á", "a").replace("é", "e")


def date(rng: random.Random) -> str:
    return f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def time_(rng: random.Random) -> str:
    return f"{rng.randrange(7, 19):02d}:{rng.choice(('00', '15', '30', '45'))}"
