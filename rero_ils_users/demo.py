"""Demo data: three library networks, their libraries and patron types, and about
fifty people covering every role and the special cases (blocked, expired, postal
mail, a child reached through a parent's address, people in two organisations).

People are made with ``faker`` (seeded: every run gives the same people) through
the real services, in one unit of work: the demo loads completely or not at all.
Every demo person logs in with ``DEMO_PASSWORD``.
"""

import unicodedata
from datetime import date, timedelta

from faker import Faker

from . import clock
from .accounts import service as accounts
from .accounts.models import User
from .libraries.service import libraries
from .organisations.api import Organisation
from .organisations.service import organisations
from .patron_types.service import patron_types
from .patrons.service import patrons
from .permissions.needs import system_identity
from .permissions.roles import (
    ADMIN,
    PATRON,
    PRO_ACQUISITION,
    PRO_CATALOG,
    PRO_CIRCULATION,
    PRO_ENTITY,
    PRO_FULL,
    PRO_LIBRARY_ADMIN,
    PRO_READ_ONLY,
    PRO_STATISTICS,
    PRO_USER_MANAGER,
)
from .records.uow import UnitOfWork
from .users.service import users

DEMO_PASSWORD = "Demo-1234"  # letters, digits and a special character: fits every policy setting
SEED = 2026
LIBRARIAN = [PRO_READ_ONLY, PRO_CATALOG, PRO_CIRCULATION, PRO_USER_MANAGER]
LANGUAGE = {"fr_CH": "fre", "de_CH": "ger", "it_CH": "ita", "en_GB": "eng"}
NAMES = {"it_CH": "it_IT"}  # faker's it_CH has no Italian names or streets
TOWNS = {
    "fr_CH": [("1700", "Fribourg"), ("2000", "Neuchâtel"), ("1950", "Sion"), ("1400", "Yverdon-les-Bains"), ("2800", "Delémont")],
    "de_CH": [("3011", "Bern"), ("8400", "Winterthur"), ("4500", "Solothurn"), ("6003", "Luzern"), ("2502", "Biel/Bienne")],
    "it_CH": [("6500", "Bellinzona"), ("6900", "Lugano"), ("6600", "Locarno"), ("6850", "Mendrisio"), ("6710", "Biasca")],
    "en_GB": [("EH1 1YZ", "Edinburgh"), ("YO1 7HH", "York"), ("BA1 1LZ", "Bath"), ("OX1 3BG", "Oxford")],
}
COUNTRY = {"en_GB": "gb"}

ORGANISATIONS = [
    {
        "code": "troislacs", "barcode": "TL", "locales": ["fr_CH", "de_CH"],
        "name": "Réseau des bibliothèques du Canton des Trois-Lacs",
        "address": "Place de la Bibliothèque 1, 2000 Neuchâtel",
        "libraries": [
            ("TL-CANT", "Bibliothèque cantonale des Trois-Lacs"),
            ("TL-PORT", "Médiathèque de Port-Neuf"),
            ("TL-JEUN", "Bibliothèque des jeunes du Vieux-Bourg"),
        ],
        "patron_types": [
            ("Adulte", "Lecteur adulte: 20 prêts, 4 semaines."),
            ("Enfant", "Lecteur de moins de 16 ans: 10 prêts, gratuit."),
            ("Collectivité", "Écoles et institutions: 60 prêts, 8 semaines."),
        ],
        "patrons": 10,
    },
    {
        "code": "alpenstadt", "barcode": "UA", "locales": ["de_CH", "en_GB", "it_CH"],
        "name": "University of Alpenstadt Library Network",
        "address": "Universitätsstrasse 4, 3011 Bern",
        "libraries": [
            ("UA-MAIN", "Main Library"),
            ("UA-LAW", "Law Library"),
            ("UA-MED", "Medical Library"),
        ],
        "patron_types": [
            ("Student", "Enrolled students: 30 loans, 4 weeks."),
            ("Staff", "Academic and administrative staff: 60 loans, 3 months."),
            ("External reader", "Registered members of the public: 10 loans, annual fee."),
        ],
        "patrons": 8,
        "staff_type": 1,
    },
    {
        "code": "sassoverde", "barcode": "SV", "locales": ["it_CH", "de_CH"],
        "name": "Biblioteche comunali di Sassoverde",
        "address": "Piazza del Municipio 3, 6500 Bellinzona",
        "libraries": [
            ("SV-CIVICA", "Biblioteca civica di Sassoverde"),
            ("SV-RAGAZZI", "Biblioteca dei ragazzi"),
        ],
        "patron_types": [
            ("Adulti", "Lettori adulti: 15 prestiti."),
            ("Ragazzi", "Lettori sotto i 14 anni: 8 prestiti, gratuito."),
        ],
        "patrons": 5,
    },
]

# (username pattern, roles, affiliation library indexes); ``{org}`` is the organisation code
STAFF = [
    ("sysadmin-{org}", [PRO_FULL], [0]),
    ("libadmin-{org}", [PRO_LIBRARY_ADMIN], [0]),
    ("libadmin-{org}-2", [PRO_LIBRARY_ADMIN], [1]),
    ("librarian-{org}", LIBRARIAN + [PATRON], [0, 1]),
    ("librarian-{org}-2", LIBRARIAN, [1]),
    ("acquisition-{org}", [PRO_READ_ONLY, PRO_ACQUISITION], [0]),
    ("statistics-{org}", [PRO_READ_ONLY, PRO_STATISTICS], [0]),
    ("entities-{org}", [PRO_READ_ONLY, PRO_CATALOG, PRO_ENTITY], [0]),
]
SKIP_STAFF = {"libadmin-sassoverde-2"}  # a small network needs only one

# the special cases; "also" = a second organisation where the person is a patron
SPECIAL = [
    {"username": "patron-troislacs-blocked", "org": "troislacs",
     "blocked": "Three books overdue since the summer; please return them before borrowing again."},
    {"username": "patron-alpenstadt-blocked", "org": "alpenstadt", "blocked": "Unpaid annual fee."},
    {"username": "patron-troislacs-expired", "org": "troislacs", "expired_days": 45},
    {"username": "patron-alpenstadt-expired", "org": "alpenstadt", "expired_days": 400},
    {"username": "patron-troislacs-mail", "org": "troislacs", "mail": True},
    {"username": "patron-sassoverde-mail", "org": "sassoverde", "mail": True},
    {"username": "patron-troislacs-child", "org": "troislacs", "child": True},
    {"username": "patron-two-orgs", "org": "troislacs", "also": "sassoverde"},
    {"username": "patron-alpenstadt-two-orgs", "org": "alpenstadt", "also": "troislacs"},
]
ALSO_PATRON = {"librarian-alpenstadt": "troislacs"}  # a librarian here, a patron there


def slug(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def demo_loaded():
    return Organisation.model_cls.query.filter_by(code=ORGANISATIONS[0]["code"]).first() is not None


def ref(resource, pid):
    return {"$ref": f"https://demo.example.org/api/{resource}/{pid}"}


class DemoLoader:
    """Builds the demo in one unit of work; ``logins`` lists what to print."""

    def __init__(self, today=None):
        self.today = today or clock.today()
        self.fake = Faker(list(LANGUAGE) + list(NAMES.values()))
        self.fake.seed_instance(SEED)
        self.identity = system_identity()
        self.uow = UnitOfWork()
        self.orgs = {}
        self.emails = set()
        self.people = {}  # user id -> (faker locale, has an email)
        self.logins = []  # (username, roles, organisation code)

    def load(self):
        try:
            for spec in ORGANISATIONS:
                self._organisation(spec)
            for spec in ORGANISATIONS:
                self._people_of(spec)
            if User.query.filter_by(username="admin").first() is None:
                accounts.create_account("admin", DEMO_PASSWORD, email="admin@example.org", roles=[ADMIN])
                self.logins.append(("admin", [ADMIN], "(network)"))
        except BaseException:
            self.uow.rollback()
            raise
        self.uow.commit()
        return self.logins

    # --- reference data -------------------------------------------------------------------
    def _organisation(self, spec):
        code = spec["code"]
        org = organisations.create(self.identity, {"name": spec["name"], "code": code, "address": spec["address"]}, uow=self.uow)
        libs = []
        for lib_code, name in spec["libraries"]:
            data = {"name": name, "code": lib_code, "email": f"{lib_code.lower()}@example.org",
                    "address": spec["address"], "organisation": ref("organisations", org.pid)}
            libs.append(libraries.create(self.identity, data, uow=self.uow).pid)
        types = []
        for name, description in spec["patron_types"]:
            data = {"name": name, "description": description, "organisation": ref("organisations", org.pid)}
            types.append(patron_types.create(self.identity, data, uow=self.uow).pid)
        self.orgs[code] = {"pid": org.pid, "libraries": libs, "types": types, "spec": spec, "barcodes": 0}

    # --- people ------------------------------------------------------------------------------
    def _people_of(self, spec):
        code, locales = spec["code"], spec["locales"]
        for i, (pattern, roles, lib_indexes) in enumerate(STAFF):
            username = pattern.format(org=code)
            if username in SKIP_STAFF:
                continue
            user_id = self._user(username, locales[i % len(locales)], keep_history=PATRON in roles)
            self._record(user_id, username, code, roles, lib_indexes, patron_type=spec.get("staff_type", 0))
            if username in ALSO_PATRON:
                self._record(user_id, username, ALSO_PATRON[username], [PATRON])
        for n in range(1, spec["patrons"] + 1):
            username = f"patron-{code}-{n:02d}"
            locale = locales[n % len(locales)]
            user_id = self._user(username, locale, keep_history=n % 3 == 0)
            self._record(user_id, username, code, [PATRON], patron_type=n % len(self.orgs[code]["types"]), index=n)
        for special in (s for s in SPECIAL if s["org"] == code):
            self._special(special)

    def _special(self, special):
        username, code = special["username"], special["org"]
        locale = self.orgs[code]["spec"]["locales"][0]
        no_email = special.get("mail") or special.get("child")
        user_id = self._user(username, locale, with_email=not no_email, child=special.get("child"))
        fields = {}
        if special.get("blocked"):
            fields.update(blocked=True, blocked_note=special["blocked"])
        if special.get("expired_days"):
            fields["expiration_date"] = (self.today - timedelta(days=special["expired_days"])).isoformat()
        if special.get("mail"):
            fields["communication_channel"] = "mail"
        if special.get("child"):
            fields["communication_channel"] = "email"  # to the parent's address only
            fields["additional_communication_email"] = self._email("parent", self.fake.last_name())
        self._record(user_id, username, code, [PATRON], patron_type=1 if special.get("child") else 0, **fields)
        if special.get("also"):
            self._record(user_id, username, special["also"], [PATRON])

    def _email(self, first, last):
        base = f"{slug(first)}.{slug(last)}".replace("-", ".")
        email, n = f"{base}@example.org", 1
        while email in self.emails:
            n += 1
            email = f"{base}{n}@example.org"
        self.emails.add(email)
        return email

    def _user(self, username, locale, with_email=True, keep_history=False, child=False):
        fake = self.fake[NAMES.get(locale, locale)]
        gender = self.fake.random_element(["female", "male", "female", "male", "other", "no_information"])
        first = fake.first_name_female() if gender == "female" else fake.first_name_male() if gender == "male" else fake.first_name()
        last = fake.last_name()
        postal_code, city = self.fake.random_element(TOWNS[locale])
        country = COUNTRY.get(locale, "ch")
        born = (date(2014, 1, 1), date(2018, 12, 31)) if child else (date(1945, 1, 1), date(2006, 12, 31))
        data = {
            "username": username,
            "password": DEMO_PASSWORD,
            "first_name": first,
            "last_name": last,
            "birth_date": self.fake.date_between(*born).isoformat(),
            "gender": gender,
            "street": f"{fake.street_name()} {self.fake.random_int(1, 120)}",
            "postal_code": postal_code,
            "city": city,
            "country": country,
            "mobile_phone": ("+417" if country == "ch" else "+447") + self.fake.numerify("########"),
            "keep_history": keep_history,
        }
        if with_email:
            data["email"] = self._email(first, last)
        if self.fake.random_int(0, 3) == 0:
            data["home_phone"] = ("+4132" if country == "ch" else "+44131") + self.fake.numerify("#######")
        record, _ = users.create(self.identity, data, uow=self.uow)
        self.people[record.user_id] = (locale, bool(with_email))
        return record.user_id

    def _record(self, user_id, username, code, roles, lib_indexes=(), patron_type=0, index=0, **fields):
        org = self.orgs[code]
        data = {"user_id": user_id, "organisation": ref("organisations", org["pid"]), "roles": list(roles)}
        if lib_indexes:
            data["libraries"] = [ref("libraries", org["libraries"][i]) for i in lib_indexes]
        if PATRON in roles:
            data["patron"] = self._patron(user_id, org, roles, patron_type, **fields)
            if index % 4 == 1:
                data["local_codes"] = [self.fake.random_element(["newsletter", "reading-club", "home-delivery"])]
            if index % 5 == 2:
                data["notes"] = [{"type": "public_note", "content": "Your new card is ready at the loan desk."},
                                 {"type": "staff_note", "content": "Prefers to be called rather than emailed."}]
            if index % 6 == 3:
                town = self.fake.random_element(TOWNS["de_CH"])
                data["second_address"] = {"street": f"Bahnhofstrasse {index}", "postal_code": town[0], "city": town[1], "country": "ch"}
        patrons.create(self.identity, data, uow=self.uow)
        self.logins.append((username, list(roles), code))

    def _patron(self, user_id, org, roles, patron_type, **fields):
        locale, has_email = self.people[user_id]
        org["barcodes"] += 1
        professional = any(r.startswith("pro_") for r in roles)
        days = 3 * 365 if professional else self.fake.random_int(60, 900)
        patron = {
            "barcode": [f"{org['spec']['barcode']}{org['barcodes']:06d}"],
            "type": ref("patron_types", org["types"][patron_type % len(org["types"])]),
            "communication_channel": "email" if has_email else "mail",
            "communication_language": LANGUAGE[locale],
            "expiration_date": (self.today + timedelta(days=days)).isoformat(),
        }
        patron.update(fields)
        return patron


def load(today=None):
    """Load the demo; returns ``[(username, roles, organisation code)]`` (one line per record)."""
    return DemoLoader(today).load()
