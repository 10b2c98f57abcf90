"""Ending the request's database session, or a connection, when its connection may be dead."""

from invenio_db import db
from sqlalchemy.exc import PendingRollbackError


def rollback_session():
    """``db.session.rollback()``, also when its connection died (the database restarting).
    SQLAlchemy-Continuum's rollback listener then compares the dead connection with every
    other connection holding a write in flight (its units of work are the process's, shared
    by threads), and reading a dead connection raises PendingRollbackError. The session's
    transaction is closed all the same, and the connection goes back to the pool to be
    replaced: without this, the error of the write being undone became a 500."""
    try:
        db.session.rollback()
    except PendingRollbackError:
        if db.session().in_transaction():
            raise


def close_connection(connection):
    """``connection.close()``, also when it died. The same listener raises while the
    connection's transaction is being ended; a second close then gives the connection back
    to the pool (to be replaced) instead of leaving it to the garbage collector."""
    try:
        connection.close()
    except PendingRollbackError:
        connection.close()
