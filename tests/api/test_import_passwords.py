"""Passwords of imported people (issue 12): none (no hash at all: login fails, the
reset link still works), plain (hashed at import), or RERO ILS's own
``$pbkdf2-sha512$`` hash, salted with that installation's SECURITY_PASSWORD_SALT:
stored as it is, accepted at login and rehashed to argon2 then."""

import base64
import hashlib
import hmac
import json
import os

import pytest
from passlib.hash import pbkdf2_sha512

from rero_ils_users.accounts.models import User
from rero_ils_users.importing import cli as importing_cli
from rero_ils_users.importing.passwords import PLAIN, Hasher, RowPassword
from tests.helpers import make_library, make_org, make_patron_type, post_login

RERO_SALT = "the-salt-of-a-rero-ils-installation"


def rero_ils_hash(password, salt=RERO_SALT):
    """A password hash as RERO ILS (invenio-accounts, Flask-Security with
    SECURITY_PASSWORD_HASH = "pbkdf2_sha512") stores it: pbkdf2-sha512 of the
    base64 HMAC-SHA512 of the password keyed by SECURITY_PASSWORD_SALT."""
    signed = base64.b64encode(hmac.new(salt.encode(), password.encode(), hashlib.sha512).digest())
    return pbkdf2_sha512.hash(signed)


@pytest.fixture(scope="module")
def app_config(app_config, smtp):
    return {**app_config, "LEGACY_PASSWORD_SALT": RERO_SALT, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port}


@pytest.fixture()
def outbox(smtp):
    smtp.clear()
    return smtp.messages


def row(username, **fields):
    data = {
        "username": username, "email": f"{username}@example.org", "first_name": "Pia", "last_name": "Muster",
        "birth_date": "1980-04-01", "organisation": "lakes", "barcode": f"BC-{username}", "patron_type": "Adult",
        "expiration_date": "2030-12-31", "communication_language": "ger",
    }
    data.update(fields)
    return data


@pytest.fixture()
def imported(app, tmp_path):
    org = make_org(code="lakes")
    make_library(org, code="LAKES-MAIN")
    make_patron_type(org, name="Adult")
    rows = [
        row("p-none"),
        row("p-plain", password="Plain-Pass-1"),
        row("p-rero", password=rero_ils_hash("Rero-Pass-1")),
        row("p-weak", password="short"),
        row("p-badhash", password="$pbkdf2-sha512$not-a-hash"),
    ]
    path = tmp_path / "people.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return app.test_cli_runner().invoke(importing_cli.import_people, [str(path)])


def refused(res):
    return res.status_code == 400 and res.get_json()["message"] == "INVALID_USER_OR_PASSWORD"


def password_of(username):
    return User.query.filter_by(username=username).one().password


def test_rows_are_checked_by_the_password_policy(imported):
    assert imported.output.splitlines()[-1] == "3 of 5 row(s) imported, 2 rejected", imported.output
    assert "4\tpassword\tThe password must be at least 8 characters long." in imported.output
    assert "5\tpassword\tNot a valid $pbkdf2-sha512$ or $argon2 password hash." in imported.output


def test_no_password_means_no_hash_and_no_login_but_the_reset_link_works(imported, client, outbox):
    assert password_of("p-none") is None
    assert post_login(client, "p-none", "").status_code == 400  # an empty password is not even tried
    assert refused(post_login(client, "p-none", "anything-1A"))
    assert client.post("/api/password/forgot", json={"email": "p-none@example.org"}).status_code == 200
    [mail] = outbox
    token = mail["message"].get_payload(decode=True).decode().split("/reset/")[1].split()[0]
    res = client.post("/api/password/reset", json={"token": token, "password": "Chosen-Pass-7"})
    assert res.status_code == 200, res.get_json()
    assert post_login(client, "p-none", "Chosen-Pass-7").status_code == 200


def test_a_plain_password_is_hashed_with_argon2(imported, client):
    assert password_of("p-plain").startswith("$argon2")
    assert post_login(client, "p-plain", "Plain-Pass-1").status_code == 200


def test_a_rero_ils_hash_is_kept_verified_with_its_salt_and_rehashed_at_login(imported, client):
    kept = password_of("p-rero")
    assert kept.startswith("$pbkdf2-sha512$")
    assert refused(post_login(client, "p-rero", "Wrong-Pass-1"))
    assert password_of("p-rero") == kept, "a failed login changes nothing"
    res = post_login(client, "p-rero", "Rero-Pass-1")
    assert res.status_code == 200, res.get_json()
    assert password_of("p-rero").startswith("$argon2"), "rehashed with ours at the first successful login"
    client.post("/api/logout")
    assert post_login(client, "p-rero", "Rero-Pass-1").status_code == 200


def test_a_hash_salted_by_another_installation_does_not_verify(app, client, tmp_path):
    make_patron_type(make_org(code="hills"), name="Adult")
    path = tmp_path / "people.jsonl"
    path.write_text(json.dumps(row("p-other", organisation="hills", password=rero_ils_hash("Rero-Pass-1", "another-salt"))) + "\n")
    assert app.test_cli_runner().invoke(importing_cli.import_people, [str(path)]).exit_code == 0
    assert refused(post_login(client, "p-other", "Rero-Pass-1"))
    assert password_of("p-other").startswith("$pbkdf2-sha512$")


def test_a_re_import_keeps_the_password_people_have(imported, app, client, tmp_path):
    path = tmp_path / "again.jsonl"
    path.write_text(json.dumps(row("p-plain", password="Other-Pass-2")) + "\n" + json.dumps(row("p-none", password="Given-Pass-3")) + "\n")
    result = app.test_cli_runner().invoke(importing_cli.import_people, [str(path)])
    assert "created 0, updated 1, unchanged 1" in result.output, result.output
    assert post_login(client, "p-plain", "Plain-Pass-1").status_code == 200
    client.post("/api/logout")
    assert post_login(client, "p-none", "Given-Pass-3").status_code == 200, "someone without a password gets the row's"


def test_plain_passwords_are_hashed_on_every_core(app):
    with app.app_context():
        hasher = Hasher()
        try:
            assert hasher.pool._max_workers == (os.cpu_count() or 1)
            hashes = hasher.stored([RowPassword(PLAIN, f"Pass-{i}-Aa") for i in range(6)])
        finally:
            hasher.close()
    assert len(set(hashes)) == 6 and all(h.startswith("$argon2") for h in hashes)
