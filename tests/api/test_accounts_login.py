"""POST /api/login and /api/logout, and the lockout (API.md section 6), against
the real PostgreSQL and Redis; time travel with time-machine, never sleeps."""

import logging
from datetime import UTC, datetime, timedelta

import time_machine
from invenio_db import db

from rero_ils_users.accounts import lockout
from rero_ils_users.accounts.models import User
from tests.helpers import PASSWORD, make_account, post_login


def account(username="alice", email="Alice.Smith@example.org"):
    return make_account(username=username, email=email)


def test_login_with_username_then_email_any_case(client):
    user_id = account()
    for login in ("alice", "ALICE", "alice.smith@example.org", "ALICE.Smith@EXAMPLE.ORG"):
        res = post_login(client, login)
        assert res.status_code == 200, res.get_json()
        body = res.get_json()
        assert body["user"]["id"] == user_id
        assert body["user"]["username"] == "alice"
        assert body["user"]["email"] == "Alice.Smith@example.org"
        assert "authenticated_user" in body["user"]["roles"]
        assert body["csrf_token"]
        assert client.get_cookie("session") is not None
        assert client.get("/api/login").get_json()["user"]["id"] == user_id
        assert client.post("/api/logout").status_code == 200
        assert client.get("/api/login").status_code == 401


def test_wrong_password_unknown_user_and_inactive_answer_alike(client):
    account()
    inactive = account("bob", "bob@example.org")
    db.session.get(User, inactive).active = False
    db.session.commit()
    answers = [
        post_login(client, "alice", "Wrong1234"),
        post_login(client, "nobody", PASSWORD),
        post_login(client, "nobody@example.org", PASSWORD),
        post_login(client, "bob", PASSWORD),
    ]
    for res in answers:
        assert res.status_code == 400
        assert res.get_json() == {"status": 400, "message": "INVALID_USER_OR_PASSWORD"}
    assert client.get("/api/login").status_code == 401


def test_malformed_login_body_is_a_400_naming_the_field(client):
    assert client.post("/api/login", data="x", content_type="text/plain").status_code == 400
    res = client.post("/api/login", json={"login": "alice"})
    assert res.status_code == 400
    assert res.get_json()["errors"] == [
        {"field": "password", "message": "A string of 1 to 1024 characters is required.", "code": "string_required"}
    ]


def test_five_failures_lock_the_name_for_fifteen_minutes_even_with_the_right_password(client, caplog):
    user_id = account()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        with caplog.at_level(logging.WARNING, logger="rero_ils_users.accounts.lockout"):
            for _ in range(5):
                assert post_login(client, "Alice", "Wrong1234").status_code == 400
        assert "login locked out for alice" in caplog.text
        for login in ("alice", "ALICE"):
            res = post_login(client, login)
            assert res.status_code == 429
            assert res.get_json()["message"] == "TOO_MANY_ATTEMPTS"
        # the email is another login name: counted on its own
        assert post_login(client, "alice.smith@example.org").status_code == 200
        client.post("/api/logout")
        traveller.shift(timedelta(minutes=14, seconds=59))
        assert post_login(client, "alice").status_code == 429
        traveller.shift(timedelta(seconds=2))
        res = post_login(client, "alice")
        assert res.status_code == 200
        assert res.get_json()["user"]["id"] == user_id


def test_failures_older_than_the_window_do_not_count_and_success_resets(client):
    account()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(4):
            post_login(client, "alice", "Wrong1234")
        traveller.shift(timedelta(minutes=16))
        for _ in range(4):  # the first four have aged out of the 15 minutes
            assert post_login(client, "alice", "Wrong1234").status_code == 400
        assert post_login(client, "alice").status_code == 200  # resets the count
        for _ in range(4):
            assert post_login(client, "alice", "Wrong1234").status_code == 400
        assert post_login(client, "alice").status_code == 200
        for _ in range(5):
            post_login(client, "alice", "Wrong1234")
        assert post_login(client, "alice").status_code == 429


def test_unknown_names_are_locked_too_and_the_count_lives_in_redis(client, app, no_lockouts):
    for _ in range(5):
        assert post_login(client, "Ghost", "Whatever1").status_code == 400
    assert post_login(client, "ghost", "Whatever1").status_code == 429
    # shared by every worker: the lockout is a Redis value holding its end time
    until = float(no_lockouts.get(lockout.keys("ghost")[1]))
    assert 14 * 60 < until - datetime.now(UTC).timestamp() <= 15 * 60
    # another name is not affected (never per client address)
    account("carol", "carol@example.org")
    assert post_login(client, "carol").status_code == 200


def test_lockout_is_shared_with_another_app_instance(client, create_app, app_config, app):
    """A second application (another worker) sees the same lockout through Redis."""
    account()
    for _ in range(5):
        post_login(client, "alice", "Wrong1234")
    other = create_app(**app_config)
    assert post_login(other.test_client(), "alice").status_code == 429
