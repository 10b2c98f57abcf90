"""The OpenAPI tests: the app as in production (CSRF checked), served on a loopback
port with the real services, one small network in it, and three callers: a
librarian with an API token, a patron with a session cookie (and its CSRF
token), anonymous."""

import pytest
import requests
from flask import current_app
from invenio_db import db

from rero_ils_users.accounts import tokens
from rero_ils_users.accounts.models import User
from rero_ils_users.history.service import history
from rero_ils_users.permissions.needs import system_identity
from tests.helpers import PASSWORD, make_library, make_org, make_patron_type, make_person, ref
from tests.live import served


@pytest.fixture(scope="module")
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True, "MAIL_SUPPRESS_SEND": True}


@pytest.fixture(scope="module")
def world(app, clean_module):
    """Trois-Lacs-like: two libraries, a patron type, a system librarian (the only
    one: their record cannot be deleted), a librarian, two patrons (one keeps their
    history, with entries), and the librarian's API token."""
    org = make_org("fuzz")
    main, branch = make_library(org, "FZ-MAIN"), make_library(org, "FZ-BRANCH")
    ptype = make_patron_type(org)
    librarian, librarian_pid = make_person(org, ["pro_full_permissions"], libraries=[main], user={"username": "fuzz-librarian"})
    make_person(org, ["pro_user_manager", "pro_circulation_manager", "patron"], libraries=[branch], ptype=ptype)
    patron, patron_pid = make_person(org, ["patron"], ptype=ptype, user={"username": "fuzz-patron", "keep_history": True})
    make_person(org, ["patron"], ptype=ptype, blocked=True, blocked_note="Lost items.")
    for n in range(3):
        history.create(
            system_identity(),
            patron_pid,
            {"action": "checkout", "date": f"2026-01-0{n + 1}T10:00:00+01:00", "item": {"barcode": f"IT{n:06d}", "title": "A book"}, "library": ref("libraries", main)},
        )
    token = tokens.create(db.session.get(User, librarian), "fuzz")
    db.session.commit()
    return {"org": org, "librarian": librarian, "librarian_pid": librarian_pid, "patron": patron, "patron_pid": patron_pid, "token": token}


@pytest.fixture(scope="module")
def live_url(app, world):
    with served(app) as url:
        yield url


class Caller:
    """A ``requests`` session for one kind of caller; ``renew()`` after a call that
    may have ended its session (login, logout)."""

    def __init__(self, name, base_url, username=None, token=None):
        self.name, self.base_url, self.username, self.token = name, base_url, username, token
        self.session = None
        self.renew()

    def renew(self):
        if self.session is not None:
            self.session.close()
        self.session = requests.Session()
        if self.token:
            self.session.headers["Authorization"] = f"Bearer {self.token}"
        if self.username:
            answer = self.session.post(f"{self.base_url}/api/login", json={"login": self.username, "password": PASSWORD}, timeout=10)
            answer.raise_for_status()
            self.session.headers[current_app.config["SECURITY_CSRF_HEADER"]] = answer.json()["csrf_token"]

    def close(self):
        self.session.close()


@pytest.fixture(scope="module")
def callers(live_url, world):
    """``{"anonymous", "patron", "librarian"}`` -> Caller."""
    result = {
        "anonymous": Caller("anonymous", live_url),
        "patron": Caller("patron", live_url, username="fuzz-patron"),
        "librarian": Caller("librarian", live_url, token=world["token"]),
    }
    yield result
    for caller in result.values():
        caller.close()
