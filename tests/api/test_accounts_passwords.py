"""The password policy on every path: the validate and generate endpoints, the
CLI, the reset (test_accounts_reset.py) and Flask-Security's own PasswordUtil."""

import pytest
from flask_security import utils as security_utils

from rero_ils_users.accounts import cli as accounts_cli
from rero_ils_users.accounts.models import User
from rero_ils_users.accounts.passwords import policy_errors
from tests.helpers import login, make_library, make_org, make_person


def validate(client, password):
    return client.post("/api/user/password/validate", json={"password": password})


def test_validate_accepts_a_good_password_and_names_the_broken_rule(client):
    res = validate(client, "Secret123")
    assert res.status_code == 200 and res.get_json() == {"message": "Valid password"}
    for password, rule in (
        ("Sh0rt", "at least 8 characters"),
        ("secret123", "upper case"),
        ("SECRET123", "lower case"),
        ("SecretSecret", "number"),
        ("A1" + "a" * 254, "at most 255"),
    ):
        res = validate(client, password)
        assert res.status_code == 400, password
        body = res.get_json()
        assert rule in body["message"]
        assert {e["field"] for e in body["errors"]} == {"password"}
    assert validate(client, None).status_code == 400
    assert client.post("/api/user/password/validate", json=[]).status_code == 400


def test_require_special_option(client, app, monkeypatch):
    assert validate(client, "Secret123").status_code == 200
    monkeypatch.setitem(app.config, "PASSWORD_REQUIRE_SPECIAL", True)
    res = validate(client, "Secret123")
    assert res.status_code == 400 and "special character" in res.get_json()["message"]
    assert validate(client, "Secret-123").status_code == 200


def test_generate_needs_a_professional_role(client, app, monkeypatch):
    assert client.get("/api/user/password/generate").status_code == 401
    org = make_org()
    lib = make_library(org)
    patron, _ = make_person(org, ["patron"])
    login(client, patron)
    assert client.get("/api/user/password/generate").status_code == 403
    librarian, _ = make_person(org, ["pro_read_only"], libraries=[lib])
    login(client, librarian)
    res = client.get("/api/user/password/generate")
    assert res.status_code == 200
    password = res.get_json()["password"]
    assert len(password) == 12 and policy_errors(password) == []
    assert len(client.get("/api/user/password/generate?length=30").get_json()["password"]) == 30
    res = client.get("/api/user/password/generate?length=7")
    assert res.status_code == 400 and res.get_json()["errors"][0]["field"] == "length"
    assert client.get("/api/user/password/generate?length=abc").status_code == 400
    monkeypatch.setitem(app.config, "PASSWORD_REQUIRE_SPECIAL", True)
    password = client.get("/api/user/password/generate").get_json()["password"]
    assert any(not c.isalnum() for c in password) and policy_errors(password) == []


def test_flask_security_password_util_enforces_the_policy(app):
    util = app.extensions["security"]._password_util
    problems, _ = util.validate("alllowercase1", False, user=None)
    assert problems == ["The password must contain an upper case character."]
    assert util.validate("Secret123", False, user=None)[0] is None


def test_cli_users_create_applies_the_policy(app):
    runner = app.test_cli_runner()
    result = runner.invoke(accounts_cli.users, ["create", "--username", "root", "--password", "weakpass"])
    assert result.exit_code != 0 and "upper case" in result.output
    assert User.query.filter_by(username="root").first() is None
    result = runner.invoke(
        accounts_cli.users,
        ["create", "--username", "root", "--email", "root@example.org", "--password", "Strong-Pass1", "--role", "superuser"],
    )
    assert result.exit_code == 0, result.output
    user = User.query.filter_by(username="root").one()
    assert result.output.strip() == str(user.id)
    assert user.role_names == {"superuser"}
    assert user.verify_and_update_password("Strong-Pass1")
    assert user.password != "Strong-Pass1" and user.password.startswith("$argon2")
    # case-insensitive uniqueness, account-level roles only
    result = runner.invoke(accounts_cli.users, ["create", "--username", "ROOT", "--password", "Strong-Pass1"])
    assert result.exit_code != 0 and "already taken" in result.output
    result = runner.invoke(accounts_cli.users, ["create", "--username", "x2", "--password", "Strong-Pass1", "--role", "patron"])
    assert result.exit_code != 0


@pytest.mark.parametrize(
    "password, code",
    [
        ("Sh0rt", "password_too_short"),
        ("A1" + "a" * 254, "password_too_long"),
        ("SECRET123", "password_no_lowercase"),
        ("secret123", "password_no_uppercase"),
        ("SecretSecret", "password_no_digit"),
        (12345678, "password_not_string"),
    ],
)
def test_each_refusal_of_a_password_has_its_code(client, password, code):
    body = client.post("/api/user/password/validate", json={"password": password}, headers={"Accept-Language": "fr"}).get_json()
    assert [e["code"] for e in body["errors"]] == [code]
    assert body["status"] == 400 and not body["message"].startswith("The password")  # in French


def test_a_long_password_within_the_policy_is_valid(client):
    """Flask-Security's own maximum (128) answered "must be at least 8 characters"."""
    assert validate(client, "Aa1" + "x" * 197).status_code == 200


def test_the_breached_list_check_has_its_codes(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SECURITY_PASSWORD_CHECK_BREACHED", "strict")
    monkeypatch.setattr(security_utils, "pwned", lambda password: 42)  # the pwnedpasswords service, stood in for
    res = client.post("/api/user/password/validate", json={"password": "Secret123"}, headers={"Accept-Language": "de"})
    assert res.status_code == 400
    [entry] = res.get_json()["errors"]
    assert entry["code"] == "password_breached" and entry["field"] == "password"
    assert "Liste" in entry["message"]

    def unreachable(password):
        raise OSError("no network")

    monkeypatch.setattr(security_utils, "pwned", unreachable)
    res = validate(client, "Secret123")
    assert [e["code"] for e in res.get_json()["errors"]] == ["password_check_unavailable"]
    monkeypatch.setitem(app.config, "SECURITY_PASSWORD_CHECK_BREACHED", "best-effort")
    assert validate(client, "Secret123").status_code == 200
    monkeypatch.setattr(security_utils, "pwned", lambda password: 0)
    monkeypatch.setitem(app.config, "SECURITY_PASSWORD_CHECK_BREACHED", "strict")
    assert validate(client, "Secret123").status_code == 200


def test_the_complexity_check_has_its_code(client, monkeypatch):
    """zxcvbn (SECURITY_PASSWORD_COMPLEXITY_CHECKER) hints in English only: one sentence of ours."""
    monkeypatch.setattr(security_utils, "password_complexity_validator", lambda *a, **k: ["Sequences like abc are easy to guess"])
    res = client.post("/api/user/password/validate", json={"password": "Secret123"}, headers={"Accept-Language": "it"})
    [entry] = res.get_json()["errors"]
    assert entry["code"] == "password_too_simple" and "abc" not in entry["message"]
