"""A database connection that dies after the answer is made, while the request ends
(the server restarting between the view and the session's rollback): the answer stays
the one made, and the next request works. Before the fix the failed rollback in
Flask-SQLAlchemy's teardown turned a 200 into a 500 (CI, test_fault_postgresql).

Pooled connections killed while idle in the pool (records/ping.py): a token request
made at once retries the caller's query on a new connection; a connection idle for
longer than the ping's limit is pinged and replaced before an anonymous request uses it."""

import time

import psycopg2
import pytest
import requests
from flask import request_finished
from invenio_db import db
from sqlalchemy import event, exc, text
from sqlalchemy.orm import Session
from sqlalchemy_continuum import versioning_manager

from rero_ils_users.accounts.models import User
from rero_ils_users.patron_types.api import PatronType
from rero_ils_users.records import ping
from tests.helpers import PASSWORD, make_desk, ref

from .conftest import bearer


def _terminate_connection_of(session):
    """Kill the session's connection from another one, as a restart would."""
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    with db.engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        other.execute(text("SELECT pg_sleep(0.1)"))  # the backend is gone before the rollback


def _terminate_own_connection(sender, response, **extra):
    """The request's connection dies after its answer was made."""
    _terminate_connection_of(db.session)


def test_connection_killed_after_the_answer(app, live):
    """Served live: only a real server's request ends its app context (the test client
    shares the test's, so its teardown would not run)."""
    desk = make_desk(ptype=True)
    client = bearer(desk.librarian, "lost")
    with request_finished.connected_to(_terminate_own_connection, app):
        res = client.get(f"{live}/api/patron_types/{desk.ptype}", timeout=30)
    assert res.status_code == 200, res.text
    assert res.json()["metadata"]["pid"] == desk.ptype
    again = client.get(f"{live}/api/patron_types/{desk.ptype}", timeout=30)
    assert again.status_code == 200, again.text


def _kill_every_other_connection(app):
    """From a connection outside the pool: terminate every other client of the database."""
    dsn = str(db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        killed = cursor.fetchone()[0]
    conn.close()
    time.sleep(0.1)  # the backends are gone
    return killed


@pytest.fixture()
def idle_limit(monkeypatch):
    """``idle_limit(seconds)``: the ping's limit for this test; the pool is emptied after it
    (its dead connections must not meet the next test)."""
    yield lambda seconds: monkeypatch.setitem(ping.LIMITS, db.engine, seconds)
    db.session.remove()
    db.engine.dispose()


def test_a_token_request_right_after_its_connection_died_retries_once(app, live, idle_limit):
    desk = make_desk(ptype=True)
    client = bearer(desk.librarian, "retry")
    assert client.get(f"{live}/api/patron_types/{desk.ptype}", timeout=30).status_code == 200
    idle_limit(3600)  # no ping: only the caller's retry can save the request
    db.session.remove()
    assert _kill_every_other_connection(app) >= 1
    res = client.get(f"{live}/api/patron_types/{desk.ptype}", timeout=30)
    assert res.status_code == 200, res.text


@pytest.fixture()
def write_in_flight():
    """``write_in_flight(ptype)``: the patron type renamed "In flight" on the test's own
    connection, flushed and not committed (a unit of work of SQLAlchemy-Continuum), until
    the test ends; then rolled back (its connection may have been killed meanwhile)."""

    def start(ptype):
        record = PatronType.get_by_pid(ptype)
        record["name"] = "In flight"
        record.commit()
        db.session.flush()
        assert versioning_manager.units_of_work

    yield start
    _end_write_in_flight()


def _end_write_in_flight():
    try:
        db.session.rollback()
    except exc.SQLAlchemyError:
        db.session.registry.clear()


def test_the_retry_survives_a_write_in_flight_elsewhere(app, live, idle_limit, write_in_flight):
    """SQLAlchemy-Continuum's rollback listener compares the dead connection with every
    connection that has a write in flight (its units of work, shared by the process's
    threads), and that comparison raises on a dead connection: the retry's rollback must
    not turn it into a 500 (CI, test_postgresql_restarted_under_load)."""
    desk = make_desk(ptype=True)
    client = bearer(desk.librarian, "retry-write")
    idle_limit(3600)
    db.session.remove()
    write_in_flight(desk.ptype)
    # the server's connection, back in the pool after this request
    assert client.get(f"{live}/api/patron_types/{desk.ptype}", timeout=30).status_code == 200
    assert _kill_every_other_connection(app) >= 2
    res = client.get(f"{live}/api/patron_types/{desk.ptype}", timeout=30)
    assert res.status_code == 200, res.text
    assert res.json()["metadata"]["name"] != "In flight"


def _terminate_after_flush(session, flush_context):
    """The write's connection dies between its flush and its commit."""
    _terminate_connection_of(session)


def test_a_write_whose_connection_dies_beside_a_write_in_flight_is_a_503(app, live, idle_limit, write_in_flight):
    """Undoing the write meets the same listener as the retry above: a 503, not a 500,
    and nothing of the write is kept."""
    desk = make_desk(ptype=True)
    client = bearer(desk.librarian, "write-lost")
    write_in_flight(desk.ptype)
    body = {"name": "Lost write", "organisation": ref("organisations", desk.org)}
    event.listen(Session, "after_flush", _terminate_after_flush, once=True)
    try:
        res = client.post(f"{live}/api/patron_types/", json=body, timeout=30)
    finally:
        if event.contains(Session, "after_flush", _terminate_after_flush):
            event.remove(Session, "after_flush", _terminate_after_flush)
    assert res.status_code == 503, res.text
    assert res.json()["status"] == 503
    _end_write_in_flight()  # the test's own write: undone before the database is read
    names = [model.json["name"] for model in db.session.query(PatronType.model_cls)]
    assert "Lost write" not in names and "Standard" in names, names


def test_a_connection_idle_longer_than_the_limit_is_pinged_and_replaced(app, live, idle_limit):
    desk = make_desk(ptype=True)
    username = db.session.get(User, desk.librarian).username
    login = {"login": username, "password": PASSWORD + "-wrong"}
    refused = requests.post(f"{live}/api/login", json=login, timeout=30)
    assert refused.status_code == 400, refused.text  # the ordinary refusal of a wrong password
    idle_limit(0.2)
    db.session.remove()
    assert _kill_every_other_connection(app) >= 1
    time.sleep(0.3)
    res = requests.post(f"{live}/api/login", json=login, timeout=30)  # anonymous: no retry
    assert res.status_code == 400 and res.json()["message"] == refused.json()["message"], res.text
