"""The little library network the UI tests act in, made with tests.helpers builders."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rero_ils_users.history.service import history
from rero_ils_users.permissions.needs import system_identity
from tests.helpers import PASSWORD, make_library, make_org, make_patron_type, make_person, ref


@dataclass
class World:
    org: str
    lib: str
    adult: str
    child: str
    librarian: int
    librarian_pid: str
    alice: int
    alice_pid: str
    bruno_pid: str
    carla_pid: str


def make_world():
    """One organisation, a librarian (pro_full_permissions) and three patrons:
    Alice (Fribourg, keeps her history), Bruno (Bern, blocked), Carla (Bern, expired)."""
    org = make_org()
    lib = make_library(org)
    adult = make_patron_type(org, "Adult")
    child = make_patron_type(org, "Child")
    librarian, librarian_pid = make_person(
        org, ["pro_full_permissions"], libraries=[lib],
        user={"username": "librarian", "email": "librarian@example.org", "first_name": "Lena", "last_name": "Libris"},
    )
    alice, alice_pid = make_person(
        org, ["patron"], ptype=adult, barcode="2050000111",
        user={"username": "alice", "email": "alice@example.org", "first_name": "Alice", "last_name": "Aebischer",
              "birth_date": "1990-02-03", "city": "Fribourg", "keep_history": True},
    )
    _, bruno_pid = make_person(
        org, ["patron"], ptype=child, barcode="2050000222", blocked=True, blocked_note="Lost three books",
        user={"username": "bruno", "email": "bruno@example.org", "first_name": "Bruno", "last_name": "Bernasconi",
              "birth_date": "2012-07-08", "city": "Bern"},
    )
    _, carla_pid = make_person(
        org, ["patron"], ptype=adult, barcode="2050000333", expiration_date=(date.today() - timedelta(days=3)).isoformat(),
        user={"username": "carla", "email": "carla@example.org", "first_name": "Carla", "last_name": "Cattaneo",
              "birth_date": "1975-11-30", "city": "Bern"},
    )
    return World(org, lib, adult, child, librarian, librarian_pid, alice, alice_pid, bruno_pid, carla_pid)


def add_history(world, title, days_ago):
    when = (datetime.now() - timedelta(days=days_ago)).replace(microsecond=0).isoformat()
    data = {"action": "checkout", "date": when, "item": {"barcode": f"I-{title[:4]}", "title": title},
            "library": ref("libraries", world.lib)}
    assert history.create(system_identity(), world.alice_pid, data) is not None


def log_in(page, login, password=PASSWORD, landed=True):
    """Log in through the form; with ``landed``, wait for the home page to open."""
    page.goto("/")
    page.get_by_label("Username or e-mail").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    if landed:
        page.wait_for_url(re.compile(r"/(staff/patrons|account)$"))


def look_up(page, query):
    """The register page's first step: is ``query`` (an e-mail or username) known?"""
    page.goto("/staff/register")
    page.get_by_label("E-mail or username").fill(query)
    page.get_by_role("button", name="Look up").click()


def register_adult_patron(page, barcode):
    """The register page's management step: the patron role, a card, type Adult, then register."""
    management = page.locator("#management-form")
    management.get_by_label("patron", exact=True).check()
    management.get_by_label("Barcode or card number").fill(barcode)
    management.get_by_label("Patron type").select_option(label="Adult")
    management.get_by_role("button", name="Register the patron").click()
