"""A database connection that dies after the answer is made, while the request ends
(the server restarting between the view and the session's rollback): the answer stays
the one made, and the next request works. Before the fix the failed rollback in
Flask-SQLAlchemy's teardown turned a 200 into a 500 (CI, test_fault_postgresql)."""

from flask import request_finished
from invenio_db import db
from sqlalchemy import text

from tests.helpers import make_desk

from .conftest import bearer


def _terminate_own_connection(sender, response, **extra):
    """Kill the request's connection from another one, as a restart would."""
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
    with db.engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        other.execute(text("SELECT pg_sleep(0.1)"))  # the backend is gone before the rollback


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
