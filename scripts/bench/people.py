"""Realistic generated people for the import benchmark (rows of docs/import.md).

Four parts of the network: German, French and Italian Switzerland and English
speakers; names, streets and cities from Faker's locales (Italian-speaking
Switzerland takes ``it_IT`` names and streets: ``it_CH`` has none), phones and
emails in the formats the schemas accept, unique usernames and barcodes.
"""

import random
import unicodedata
from datetime import date, timedelta

from faker import Faker

# locale of names and streets, country, phone prefix, communication language, share
PARTS = [
    ("de_CH", "ch", "+417", "ger", 45),
    ("fr_CH", "ch", "+417", "fre", 35),
    ("it_IT", "ch", "+419", "ita", 10),
    ("en_GB", "gb", "+447", "eng", 10),
]
DOMAINS = ("example.ch", "example.org", "example.com", "mail.example.net")
GENDERS = (("female", 48), ("male", 48), ("other", 1), ("no_information", 3))

# reference data the rows name, created first by the benchmark
ORGANISATIONS = [
    {"code": "benchlakes", "name": "Réseau des bibliothèques du bord des lacs", "libraries": ["BL-MAIN", "BL-PORT"], "share": 70},
    {"code": "benchalps", "name": "Biblioteche delle valli alpine", "libraries": ["BA-CIVICA"], "share": 30},
]
PATRON_TYPES = ("Adult", "Child")


def ascii_slug(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "x"


def people(count, seed=7):
    """Yield ``count`` import rows (dicts), the same for the same ``seed``."""
    rnd = random.Random(seed)
    fakers = {}
    for locale, *_ in PARTS:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(seed)
    parts, weights = PARTS, [p[-1] for p in PARTS]
    orgs, org_weights = ORGANISATIONS, [o["share"] for o in ORGANISATIONS]
    today = date.today()
    for n in range(count):
        locale, country, mobile, language, _ = rnd.choices(parts, weights)[0]
        fake, org = fakers[locale], rnd.choices(orgs, org_weights)[0]
        gender = rnd.choices([g for g, _ in GENDERS], [w for _, w in GENDERS])[0]
        first = fake.first_name_female() if gender == "female" else fake.first_name_male() if gender == "male" else fake.first_name()
        last = fake.last_name()
        born = fake.date_of_birth(minimum_age=4, maximum_age=95)
        child = (today - born).days < 16 * 365
        slug = f"{ascii_slug(first)}.{ascii_slug(last)}"
        row = {
            "username": f"{slug.replace('.', '-')}-{n}"[:255],
            "first_name": first, "last_name": last, "birth_date": born.isoformat(), "gender": gender,
            "street": fake.street_address().replace("\n", ", "), "postal_code": fake.postcode(), "city": fake.city(),
            "country": country, "mobile_phone": f"{mobile}{rnd.randrange(10**7, 10**8)}",
            "keep_history": rnd.random() < 0.6,
            "organisation": org["code"], "patron_type": PATRON_TYPES[1] if child else PATRON_TYPES[0],
            "barcode": [f"{org['code'][5:].upper()}{n:09d}"],
            "expiration_date": (today + timedelta(days=rnd.randrange(-60, 3 * 365))).isoformat(),
            "communication_language": language,
        }
        if rnd.random() < 0.3:
            row["home_phone"] = f"+41{rnd.randrange(21, 92)}{rnd.randrange(10**6, 10**7)}"
        if child:
            row["additional_communication_email"] = f"parent.{ascii_slug(last)}.{n}@{rnd.choice(DOMAINS)}"
        elif rnd.random() < 0.85:
            row["email"] = f"{slug}.{n}@{rnd.choice(DOMAINS)}"
        if rnd.random() < 0.02:
            row.update(blocked=True, blocked_note="Card reported lost")
        if rnd.random() < 0.01 and not child:
            row.update(roles=["patron", "pro_read_only", "pro_circulation_manager"], libraries=[rnd.choice(org["libraries"])])
        if rnd.random() < 0.1:
            row["local_codes"] = [rnd.choice(["newsletter", "school", "home-delivery", "staff"])]
        if rnd.random() < 0.05:
            row["public_note"] = "Prefers large print."
        if rnd.random() < 0.05:
            row["second_address"] = {"street": fake.street_address().replace("\n", ", "), "city": fake.city(), "country": country}
        yield row
