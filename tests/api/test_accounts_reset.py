"""Forgotten password: the link goes out over real SMTP (an aiosmtpd sink on
loopback), is followed, sets a new password once, and expires."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from invenio_db import db

from rero_ils_users.accounts import service
from rero_ils_users.accounts.models import User
from tests.helpers import make_account, make_org, make_person, post_login

NEW_PASSWORD = "Brand-New-42"


@pytest.fixture(scope="module")
def app_config(app_config, smtp):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


@pytest.fixture()
def outbox(smtp):
    smtp.clear()
    return smtp.messages


def account(username="alice", email="alice@example.org"):
    return make_account(username=username, email=email)


def token_of(message):
    body = message.get_payload(decode=True).decode()
    link = re.search(r"https://ils\.example\.org/reset/(\S+)", body)
    assert link, body
    return link.group(1)


def forgot(client, email):
    return client.post("/api/password/forgot", json={"email": email})


def mailed_token(client, outbox, email="alice@example.org"):
    """Ask for a reset link for ``email``: the token in the first mail sent."""
    forgot(client, email)
    return token_of(outbox[0]["message"])


def test_full_reset_round_trip(client, outbox):
    user_id = account()
    res = forgot(client, "ALICE@example.org")
    assert res.status_code == 200
    [mail] = outbox
    recipients, message = mail["to"], mail["message"]
    assert recipients == ["alice@example.org"]
    assert message["To"] == "alice@example.org"
    token = token_of(message)
    res = client.post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert res.status_code == 200, res.get_json()
    res = post_login(client, "alice")
    assert res.status_code == 400
    res = post_login(client, "alice@example.org", NEW_PASSWORD)
    assert res.status_code == 200
    assert res.get_json()["user"]["id"] == user_id


def test_same_answer_whether_or_not_the_address_exists(client, outbox):
    account()
    known, unknown = forgot(client, "alice@example.org"), forgot(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.get_json() == unknown.get_json()
    assert len(outbox) == 1
    bad = forgot(client, "not an address")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "email"
    assert bad.get_json()["errors"][0]["code"] == "email_invalid"


def test_never_sent_to_an_additional_communication_email(client, outbox):
    """Only the user email (accounts) is looked up, never patron contact addresses."""
    org = make_org()
    user_id, _ = make_person(
        org, ["patron"], user={"email": "own@example.org"}, additional_communication_email="extra@example.org"
    )
    assert forgot(client, "extra@example.org").status_code == 200
    assert outbox == []
    assert forgot(client, "own@example.org").status_code == 200
    assert [mail["to"] for mail in outbox] == [["own@example.org"]]
    assert db.session.get(User, user_id).email == "own@example.org"


def test_a_token_works_once(client, outbox):
    account()
    token = mailed_token(client, outbox)
    assert client.post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD}).status_code == 200
    res = client.post("/api/password/reset", json={"token": token, "password": "Another-Pass-7"})
    assert res.status_code == 400
    assert res.get_json()["errors"] == [
        {"field": "token", "code": "reset_link_invalid", "message": "The reset link is invalid, expired or already used."}
    ]
    assert post_login(client, "alice", NEW_PASSWORD).status_code == 200


def test_a_token_dies_when_the_password_changes_another_way(client, outbox):
    account()
    token = mailed_token(client, outbox)
    user = User.query.filter_by(username="alice").one()
    service.set_password(user, "Changed-By-Staff-1")
    db.session.commit()
    res = client.post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert res.status_code == 400


def test_a_token_expires(client, outbox, app):
    account()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        token = mailed_token(client, outbox)
        traveller.shift(timedelta(days=1, minutes=1))  # SECURITY_RESET_PASSWORD_WITHIN = 1 day
        res = client.post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD})
        assert res.status_code == 400 and res.get_json()["errors"][0]["code"] == "reset_link_invalid"
    assert post_login(client, "alice").status_code == 200


def test_reset_applies_the_password_policy_and_keeps_the_token(client, outbox):
    account()
    token = mailed_token(client, outbox)
    for weak, rule in (("short1A", "at least 8"), ("alllowercase1", "upper case"), ("NoDigitsHere", "number")):
        res = client.post("/api/password/reset", json={"token": token, "password": weak})
        assert res.status_code == 400
        body = res.get_json()
        assert rule in body["message"] and body["errors"][0]["field"] == "password"
    garbage = client.post("/api/password/reset", json={"token": "garbage", "password": NEW_PASSWORD})
    assert garbage.status_code == 400 and garbage.get_json()["errors"][0]["code"] == "reset_link_invalid"
    missing = client.post("/api/password/reset", json={"token": token})
    assert missing.get_json()["errors"][0]["code"] == "password_required"
    assert client.post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD}).status_code == 200
