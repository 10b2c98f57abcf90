"""Builders for test data, through the real services (with the system identity)."""

from dataclasses import dataclass
from datetime import date, timedelta

from invenio_db import db

from rero_ils_users.accounts import service as accounts
from rero_ils_users.accounts.models import User
from rero_ils_users.libraries.service import libraries
from rero_ils_users.organisations.service import organisations
from rero_ils_users.patron_types.service import patron_types
from rero_ils_users.patrons.service import patrons
from rero_ils_users.permissions.needs import system_identity
from rero_ils_users.users.service import users

PASSWORD = "Secret123"
BASE = "https://ils.example.org/api"
_counter = {"n": 0}


def _next():
    _counter["n"] += 1
    return _counter["n"]


def ref(resource, pid):
    return {"$ref": f"https://elsewhere.example.org/api/{resource}/{pid}"}


def make_org(code=None, name=None):
    code = code or f"org{_next()}"
    return organisations.create(system_identity(), {"name": name or f"Network {code}", "code": code}).pid


def make_library(org, code=None, email=None):
    code = code or f"lib{_next()}"
    data = {"name": f"Library {code}", "code": code, "email": email or f"{code}@library.example.org", "organisation": ref("organisations", org)}
    return libraries.create(system_identity(), data).pid


def make_patron_type(org, name="Standard"):
    return patron_types.create(system_identity(), {"name": name, "organisation": ref("organisations", org)}).pid


def user_data(**fields):
    n = _next()
    data = {
        "username": f"user{n}",
        "email": f"user{n}@example.org",
        "first_name": "Anna",
        "last_name": f"Muster{n}",
        "birth_date": "1980-05-17",
        "city": "Fribourg",
        "password": PASSWORD,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def make_user(steward=None, **fields):
    """A person made by the system; ``steward``: the organisation that made them (whose
    staff may then register them without a lookup token, API.md section 2)."""
    record, _ = users.create(system_identity(), user_data(**fields))
    if steward is not None:
        db.session.get(User, record.user_id).steward_organisation_pid = steward
        db.session.commit()
    return record.user_id


def patron_data(org, ptype, barcode=None, **fields):
    data = {
        "barcode": [barcode or f"B{_next():08d}"],
        "type": ref("patron_types", ptype),
        "communication_channel": "email",
        "communication_language": "eng",
        "expiration_date": (date.today() + timedelta(days=365)).isoformat(),
    }
    data.update(fields)
    return data


def record_data(user_id, org, roles, libraries=(), ptype=None, **patron_fields):
    data = {"user_id": user_id, "organisation": ref("organisations", org), "roles": list(roles)}
    if libraries:
        data["libraries"] = [ref("libraries", lib) for lib in libraries]
    if "patron" in roles:
        data["patron"] = patron_data(org, ptype, **patron_fields)
    return data


def make_person(org, roles=("patron",), libraries=(), ptype=None, user_id=None, user=None, **patron_fields):
    """A user (new unless ``user_id``) with a patron record in ``org``: ``(user_id, patron_pid)``."""
    if user_id is None:
        user_id = make_user(**(user or {}))
    if "patron" in roles and ptype is None:
        ptype = make_patron_type(org)
    record = patrons.create(system_identity(), record_data(user_id, org, roles, libraries, ptype, **patron_fields))
    return user_id, record.pid


def make_account(*roles, username=None, email=None, password=PASSWORD):
    """An account with account-level roles only, no personal data (as the CLI's
    ``users create`` makes it): its user id."""
    account = accounts.create_account(username or f"account{_next()}", password, email=email, roles=roles)
    db.session.commit()
    return account.id


def promote(user_id, *roles):
    """Give a person (user record and account) account-level roles too."""
    account = db.session.get(User, user_id)
    account.roles = list(account.roles) + [accounts.role_named(role) for role in roles]
    db.session.commit()
    return user_id


@dataclass
class Desk:
    org: str
    lib: str
    ptype: str | None
    librarian: int  # user id
    librarian_pid: str


def make_desk(client=None, roles=("pro_full_permissions",), ptype=False, email=None):
    """An organisation, one library (``email``: its address) and a librarian with
    ``roles`` there, logged into ``client`` when given; with ``ptype``, a patron type too."""
    org = make_org()
    lib = make_library(org, email=email)
    ptype = make_patron_type(org) if ptype else None
    librarian, librarian_pid = make_person(org, roles, libraries=[lib])
    if client is not None:
        login(client, librarian)
    return Desk(org, lib, ptype, librarian, librarian_pid)


def post_login(client, username, password=PASSWORD):
    """A login through the API (``POST /api/login``), password and all."""
    return client.post("/api/login", json={"login": username, "password": password})


def login(client, user_id):
    """Log ``user_id`` into the test client's session (as Flask-Security does)."""
    account = db.session.get(User, user_id)
    with client.session_transaction() as session:
        session["_user_id"] = account.fs_uniquifier
        session["_fresh"] = True
    return account


def logout(client):
    with client.session_transaction() as session:
        session.clear()


def registration_token(client, user_id):
    """The ``registration_token`` the lookup gives the client's caller for this person."""
    username = db.session.get(User, user_id).username
    hits = client.get(f"/api/users/?q=username:{username}").get_json()["hits"]["hits"]
    return hits[0]["metadata"]["registration_token"]
