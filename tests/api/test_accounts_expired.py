"""ACCOUNT_EXPIRED (API.md section 6): refused once the expire-patrons job marked
the account while every patron record is expired, allowed again as soon as a
librarian moves an expiration date forward (no job run needed)."""

from datetime import date, datetime, timedelta

from invenio_db import db

from rero_ils_users.accounts.models import User
from tests.helpers import login, logout, make_desk, make_library, make_org, make_person, post_login, promote

PAST = (date.today() - timedelta(days=3)).isoformat()
FUTURE = (date.today() + timedelta(days=300)).isoformat()


def mark_expired(user_id):
    """What the expire-patrons job does."""
    db.session.get(User, user_id).expired_at = datetime.utcnow()
    db.session.commit()


def test_expired_patron_is_refused_until_a_librarian_extends_the_date(client):
    desk = make_desk()
    user_id, pid = make_person(desk.org, ["patron"], user={"username": "pat"}, expiration_date=PAST)
    assert post_login(client, "pat").status_code == 200  # the job has not seen it yet
    client.post("/api/logout")
    mark_expired(user_id)
    res = post_login(client, "pat")
    assert res.status_code == 403 and res.get_json()["message"] == "ACCOUNT_EXPIRED"
    assert client.get("/api/login").status_code == 401
    # a wrong password says nothing about the account's state
    assert post_login(client, "pat", "Wrong1234").get_json()["message"] == "INVALID_USER_OR_PASSWORD"

    login(client, desk.librarian)
    record = client.get(f"/api/patrons/{pid}").get_json()
    metadata = record["metadata"]
    metadata["patron"]["expiration_date"] = FUTURE
    res = client.put(f"/api/patrons/{pid}", json=metadata)
    assert res.status_code == 200, res.get_json()
    logout(client)
    assert db.session.get(User, user_id).expired_at is not None  # no job has run
    res = post_login(client, "pat")
    assert res.status_code == 200 and res.get_json()["user"]["id"] == user_id


def test_one_valid_patron_record_or_a_staff_role_keeps_the_account_open(client):
    first, second = make_org(), make_org()
    lib = make_library(second)
    user_id, _ = make_person(first, ["patron"], user={"username": "pat"}, expiration_date=PAST)
    make_person(second, ["patron"], user_id=user_id, expiration_date=FUTURE)
    mark_expired(user_id)
    assert post_login(client, "pat").status_code == 200
    client.post("/api/logout")

    staff_id, _ = make_person(first, ["patron"], user={"username": "staff"}, expiration_date=PAST)
    make_person(second, ["pro_read_only"], libraries=[lib], user_id=staff_id)
    mark_expired(staff_id)
    assert post_login(client, "staff").status_code == 200
    client.post("/api/logout")

    admin_id, _ = make_person(first, ["patron"], user={"username": "netadmin"}, expiration_date=PAST)
    promote(admin_id, "admin")
    mark_expired(admin_id)
    assert post_login(client, "netadmin").status_code == 200
