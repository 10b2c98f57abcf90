"""API tokens made with the CLI: ``Authorization: Bearer``, no CSRF token needed,
revocation, and the document importer's narrow identity."""

import hashlib

import pytest
from flask import g
from invenio_db import db

from rero_ils_users.accounts import cli as accounts_cli
from rero_ils_users.accounts.models import ApiToken, User
from rero_ils_users.permissions import policy
from rero_ils_users.permissions.needs import person_of
from tests.helpers import post_login

PASSWORD = "Strong-Pass1"


@pytest.fixture(scope="module")
def app_config(app_config):
    """CSRF on, as in production: Bearer calls must pass without a CSRF token."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def cli(app, group, *args):
    result = app.test_cli_runner().invoke(group, list(args))
    assert result.exit_code == 0, result.output
    return result.output.strip()


def user_with_token(app, username, role, name="main"):
    cli(app, accounts_cli.users, "create", "--username", username, "--password", PASSWORD, "--role", role)
    return cli(app, accounts_cli.tokens_group, "create", "--user", username, "--name", name)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def identity_of(app, token):
    """The identity a request with this token gets (all before_request hooks run)."""
    with app.test_request_context("/api/", headers=bearer(token)):
        app.preprocess_request()
        return g.identity


def test_token_is_printed_once_and_stored_hashed(app):
    token = user_with_token(app, "robot", "superuser")
    assert "\n" not in token and len(token) >= 40
    row = ApiToken.query.one()
    assert row.name == "main" and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash


def test_bearer_call_changes_data_without_csrf_token(client, app):
    token = user_with_token(app, "robot", "superuser")
    res = client.post("/api/organisations/", json={"name": "Network A", "code": "neta"}, headers=bearer(token))
    assert res.status_code == 201, res.get_json()
    assert client.get("/api/login", headers=bearer(token)).get_json()["user"]["username"] == "robot"
    # nothing of the token call leaks into a session
    assert client.get("/api/login").status_code == 401


def test_revoked_or_unknown_token_is_401(client, app):
    token = user_with_token(app, "robot", "superuser")
    second = cli(app, accounts_cli.tokens_group, "create", "--user", "robot", "--name", "spare")
    assert client.get("/api/", headers=bearer(token)).status_code == 200
    out = cli(app, accounts_cli.tokens_group, "revoke", "--user", "robot", "--name", "main")
    assert out == "1 token(s) revoked"
    for headers in (bearer(token), bearer("not-a-token")):
        res = client.get("/api/", headers=headers)
        assert res.status_code == 401
        assert res.get_json()["message"] == "Invalid or revoked API token."
    res = client.post("/api/organisations/", json={"name": "Network B", "code": "netb"}, headers=bearer(token))
    assert res.status_code == 401
    assert client.get("/api/", headers=bearer(second)).status_code == 200
    spare = ApiToken.query.filter_by(name="spare").one()
    cli(app, accounts_cli.tokens_group, "revoke", "--user", "robot", "--id", str(spare.id))
    assert client.get("/api/", headers=bearer(second)).status_code == 401


def test_token_of_an_inactive_account_is_refused(client, app):
    token = user_with_token(app, "robot", "superuser")
    User.query.filter_by(username="robot").one().active = False
    db.session.commit()
    assert client.get("/api/", headers=bearer(token)).status_code == 401


def test_document_importer_identity_has_only_its_role(app):
    token = user_with_token(app, "importer", "document_importer")
    identity = identity_of(app, token)
    person = person_of(identity)
    assert person.token_only
    assert person.roles == {"any_user", "document_importer"}
    assert policy.can(identity, "doc-create")
    assert policy.can(identity, "doc-read")  # what anyone may do
    assert not policy.can(identity, "ptrn-search")
    assert not policy.can(identity, "notif-read")  # authenticated_user only
    # API token only: the importer's password opens no session
    assert post_login(app.test_client(), "importer", PASSWORD).status_code == 400
    superuser = identity_of(app, user_with_token(app, "robot", "superuser"))
    assert "authenticated_user" in person_of(superuser).roles and not person_of(superuser).token_only


def test_cli_errors(app):
    runner = app.test_cli_runner()
    result = runner.invoke(accounts_cli.tokens_group, ["create", "--user", "nobody", "--name", "x"])
    assert result.exit_code != 0 and "No user named nobody" in result.output
    user_with_token(app, "robot", "superuser")
    result = runner.invoke(accounts_cli.tokens_group, ["create", "--user", "robot", "--name", "main"])
    assert result.exit_code != 0 and "already has an active token" in result.output
    result = runner.invoke(accounts_cli.tokens_group, ["revoke", "--user", "robot", "--name", "nope"])
    assert result.exit_code != 0
    listed = cli(app, accounts_cli.tokens_group, "list", "--user", "ROBOT")
    assert "\tmain\t" in listed
