"""The identity cached per token and per session (``accounts/caller.py``, issue 13) as
an attacker would probe it: each change that takes a right away acts on the very next
request of a caller whose identity is cached (every test warms the cache first and
checks the warm request still had the right), whether the change came through the
API, the service, the CLI or raw SQL on a connection of its own. And the cache is
really used: a warm request asks the database one query."""

from datetime import date, timedelta

import pytest
import time_machine
from flask import request_finished
from invenio_db import db
from sqlalchemy import event, text

from rero_ils_users.accounts import cli as accounts_cli
from rero_ils_users.accounts import service as accounts
from rero_ils_users.accounts import tokens
from rero_ils_users.accounts.models import User
from tests.helpers import login, logout, make_account, make_desk, make_library, make_person, ref
from tests.security.world import record_body


@pytest.fixture(autouse=True)
def fresh(clean, no_lockouts):
    """Empty tables and indexes, the default matrix (as tests/api has it)."""


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def token_of(user_id, name="cache"):
    token = tokens.create(db.session.get(User, user_id), name)
    db.session.commit()
    return token


def outside(sql, **params):
    """Raw SQL on a connection of its own, committed: nothing of the app sees it happen."""
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def actions(client, **kwargs):
    res = client.get("/api/permissions/me", **kwargs)
    assert res.status_code == 200, res.get_json()
    return set(res.get_json()["actions"])


class Statements:
    """The SQL statements the app sends while counting."""

    def __init__(self):
        self.seen = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args):
        self.seen.append(statement)


def warm(client, url, **kwargs):
    """Three requests: the first builds the identity, the second adds the libraries of
    a full librarian's organisation to its stamp; from the third on it is cached."""
    for _ in range(3):
        res = client.get(url, **kwargs)
    return res


# --- the cache is used -----------------------------------------------------------------------
def test_warm_token_request_is_one_query(app, client):
    desk = make_desk()
    token = token_of(desk.librarian)
    assert warm(client, "/api/", headers=bearer(token)).status_code == 200
    db.session.remove()
    db.engine.dispose()  # one new connection: the caller's query is prepared on it (accounts/caller.py)
    with Statements() as first:
        assert client.get("/api/", headers=bearer(token)).status_code == 200
    prepare = [s for s in first.seen if s.startswith("PREPARE rero_caller_token")]
    assert len(prepare) == 1 and "accounts_api_token" in prepare[0] and "permission_matrix_version" in prepare[0], first.seen
    with Statements() as sql:
        assert client.get("/api/", headers=bearer(token)).status_code == 200
    assert len(sql.seen) == 1, sql.seen
    assert sql.seen[0].startswith("EXECUTE rero_caller_token("), sql.seen


def test_a_request_that_reads_nothing_else_leaves_the_session_unused(app, client):
    """The caller's query runs in autocommit on a connection it returns at once: no BEGIN,
    no ROLLBACK at the request's end, no connection held while the answer is made."""
    desk = make_desk()
    token = token_of(desk.librarian)
    assert warm(client, "/api/", headers=bearer(token)).status_code == 200
    held = []

    def finished(sender, response, **extra):
        held.append(db.engine.pool.checkedout())

    with request_finished.connected_to(finished, app):
        for auth, status in ((token, 200), ("not-a-token", 401)):
            db.session.remove()  # the test client shares the test's session: as a new request has it
            assert client.get("/api/", headers=bearer(auth)).status_code == status
    assert held == [0, 0], held


def test_the_plain_statement_when_prepared_statements_are_off(app, client):
    """DB_PREPARED_STATEMENTS = False (a pooler in transaction mode): the same one query,
    planned each time, with the same answers."""
    desk = make_desk()
    token = token_of(desk.librarian)
    app.config["DB_PREPARED_STATEMENTS"] = False
    try:
        assert warm(client, "/api/", headers=bearer(token)).status_code == 200
        with Statements() as sql:
            assert "ptrn-search" in actions(client, headers=bearer(token))
        assert len(sql.seen) == 1 and "accounts_api_token" in sql.seen[0], sql.seen
        assert client.get("/api/", headers=bearer("not-a-token")).status_code == 401
    finally:
        app.config["DB_PREPARED_STATEMENTS"] = True


def test_warm_session_request_is_one_query(app, client):
    make_desk(client)
    assert warm(client, "/api/").status_code == 200
    with Statements() as sql:
        assert "ptrn-search" in actions(client)
    assert len(sql.seen) == 1, sql.seen  # the matrix version of the stamp serves the whole request


# --- tokens and accounts ------------------------------------------------------------------------
def test_revoked_token_is_refused_at_once(app, client):
    desk = make_desk()
    token = token_of(desk.librarian)
    warm(client, "/api/", headers=bearer(token))
    assert "ptrn-search" in actions(client, headers=bearer(token))
    username = db.session.get(User, desk.librarian).username
    result = app.test_cli_runner().invoke(accounts_cli.tokens_group, ["revoke", "--user", username, "--name", "cache"])
    assert result.exit_code == 0, result.output
    res = client.get("/api/permissions/me", headers=bearer(token))
    assert res.status_code == 401 and "revoked" in res.get_json()["message"]


def test_token_revoked_by_raw_sql_is_refused_at_once(app, client):
    desk = make_desk()
    token = token_of(desk.librarian)
    assert warm(client, "/api/", headers=bearer(token)).status_code == 200
    outside("UPDATE accounts_api_token SET revoked_at = now() WHERE user_id = :u", u=desk.librarian)
    assert client.get("/api/", headers=bearer(token)).status_code == 401


def test_deactivated_account_loses_token_and_session_at_once(app, client):
    desk = make_desk()
    token = token_of(desk.librarian)
    other = app.test_client()
    login(other, desk.librarian)
    for caller, kwargs in ((client, {"headers": bearer(token)}), (other, {})):
        warm(caller, "/api/", **kwargs)
        assert "ptrn-search" in actions(caller, **kwargs)
    account = db.session.get(User, desk.librarian)
    account.active = False
    db.session.commit()
    assert client.get("/api/permissions/me", headers=bearer(token)).status_code == 401
    assert other.get("/api/permissions/me").status_code == 401


def test_password_change_ends_the_cached_session(app, client):
    desk = make_desk(client)
    warm(client, "/api/")
    assert "ptrn-search" in actions(client)
    accounts.set_password(db.session.get(User, desk.librarian), "Another-Strong-Pass2")
    db.session.commit()
    assert client.get("/api/permissions/me").status_code == 401


def test_removed_account_role_acts_at_once(app, client):
    admin = make_account("admin")
    token = token_of(admin)
    assert warm(client, "/api/permissions/matrix", headers=bearer(token)).status_code == 200
    outside("DELETE FROM accounts_user_role WHERE user_id = :u", u=admin)
    assert client.get("/api/permissions/matrix", headers=bearer(token)).status_code == 403


# --- patron records, denies, the matrix, libraries -----------------------------------------------------
def test_removed_record_role_acts_at_once(app, client):
    desk = make_desk()
    staff_id, staff_pid = make_person(desk.org, ["pro_user_manager"], libraries=[desk.lib])
    token = token_of(staff_id)
    warm(client, "/api/", headers=bearer(token))
    assert "ptrn-search" in actions(client, headers=bearer(token))
    boss = token_of(desk.librarian)
    body = record_body(staff_pid)
    body["roles"] = ["pro_read_only"]
    res = client.put(f"/api/patrons/{staff_pid}", json=body, headers=bearer(boss))
    assert res.status_code == 200, res.get_json()
    now = actions(client, headers=bearer(token))
    assert "ptrn-update" not in now and "ptrn-search" in now  # pro_read_only: reads only
    assert client.delete(f"/api/patrons/{staff_pid}", headers=bearer(boss)).status_code == 204
    assert "ptrn-search" not in actions(client, headers=bearer(token))


def test_record_changed_by_raw_sql_acts_at_once(app, client):
    desk = make_desk(client)
    assert client.get("/api/patrons/?q=*").status_code == 200
    warm(client, "/api/")
    outside(
        "UPDATE patrons_metadata SET json = jsonb_set(json::jsonb, '{roles}', '[\"patron\"]')::json WHERE pid = :p",
        p=desk.librarian_pid,
    )
    assert client.get("/api/patrons/?q=*").status_code == 403


def test_per_user_deny_acts_at_once(app, client):
    desk = make_desk(client)
    assert warm(client, "/api/patrons/?q=*").status_code == 200
    admin = token_of(make_account("admin"))
    res = app.test_client().put(f"/api/permissions/users/{desk.librarian}/actions/ptrn-search", headers=bearer(admin))
    assert res.status_code in (200, 201), res.get_json()
    assert client.get("/api/patrons/?q=*").status_code == 403
    res = app.test_client().delete(f"/api/permissions/users/{desk.librarian}/actions/ptrn-search", headers=bearer(admin))
    assert res.status_code in (200, 204), res.get_data(as_text=True)
    assert client.get("/api/patrons/?q=*").status_code == 200


def test_matrix_change_acts_at_once(app, client):
    desk = make_desk()
    patron, _ = make_person(desk.org, ["patron"])
    login(client, patron)
    warm(client, "/api/")
    assert "loan-request" in actions(client)
    superuser = token_of(make_account("superuser"))
    res = app.test_client().delete("/api/permissions/roles/patron/actions/loan-request", headers=bearer(superuser))
    assert res.status_code in (200, 204), res.get_data(as_text=True)
    assert "loan-request" not in actions(client)
    check = client.get("/api/permissions/check?action=loan-request").get_json()
    assert check["can"] is False
    logout(client)


def test_new_library_of_the_organisation_acts_at_once(app, client):
    """A full librarian may attach any library of their organisation: one created after
    their identity was cached too, at the next request."""
    desk = make_desk(client, ptype=True)
    _, patron_pid = make_person(desk.org, ["patron"], ptype=desk.ptype)
    warm(client, "/api/")
    new_library = make_library(desk.org)
    body = record_body(patron_pid)
    body["libraries"] = [ref("libraries", new_library)]
    res = client.put(f"/api/patrons/{patron_pid}", json=body)
    assert res.status_code == 200, res.get_json()


def test_a_new_day_rebuilds_the_identity(app, client):
    """A patron record expires at midnight: the stamp carries the date."""
    desk = make_desk()
    token = token_of(desk.librarian)
    warm(client, "/api/", headers=bearer(token))
    with Statements() as sql:
        client.get("/api/", headers=bearer(token))
    assert len(sql.seen) == 1
    with time_machine.travel(date.today() + timedelta(days=1, hours=12)):
        with Statements() as sql:
            assert client.get("/api/", headers=bearer(token)).status_code == 200
        assert len(sql.seen) > 1, sql.seen  # rebuilt: records, denies, libraries read again


# --- several processes: gunicorn as in production ---------------------------------------------
def test_changes_act_at_once_in_every_gunicorn_worker(app):
    """Each worker caches identities of its own: a revoked token and a per-user deny
    made in another process are refused by both workers at their next request."""
    import os
    import signal
    import subprocess

    import requests

    from tests.api.test_run_server import COMMAND, free_port, wait_for

    desk = make_desk()
    token, admin = token_of(desk.librarian), token_of(make_account("admin"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([COMMAND, "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(f"{url}/api/")
        get = lambda path, who=token: requests.get(f"{url}{path}", headers=bearer(who), timeout=30)  # noqa: E731
        # gunicorn's sync workers close each connection: the requests spread over both
        assert {get("/api/patrons/?q=*").status_code for _ in range(30)} == {200}
        res = requests.put(f"{url}/api/permissions/users/{desk.librarian}/actions/ptrn-search", headers=bearer(admin), timeout=30)
        assert res.status_code in (200, 201), res.text
        assert {get("/api/patrons/?q=*").status_code for _ in range(30)} == {403}
        assert {get("/api/").status_code for _ in range(10)} == {200}
        tokens.revoke(db.session.get(User, desk.librarian), name="cache")
        db.session.commit()
        assert {get("/api/").status_code for _ in range(30)} == {401}
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert output.count("Booting worker") == 2, output
