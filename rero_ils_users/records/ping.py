"""Pooled PostgreSQL connections checked before use only after they sat idle.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` at every checkout: one more round
trip on every request (about 10% of a small read). A database restart or failover
takes longer than ``DB_PING_IDLE_SECONDS``, so a connection that was back in the pool
for less than that is used as it is; one idle for longer is pinged, and a dead one is
replaced before anything uses it (``DisconnectionError``: the pool connects anew).
A connection killed within the window fails its first statement; the caller's query,
the first of every authenticated request, then retries once (``accounts.caller``).
"""

import time

from sqlalchemy import event, exc

IDLE_SINCE = "rero_idle_since"  # connection record info: when it went back to the pool
LIMITS = {}  # engine: seconds of idleness after which a connection is pinged


def ping_when_idle(engine, seconds):
    """``seconds``: a ``timedelta`` (None: no ping of this kind)."""
    if seconds is None or engine.dialect.name == "sqlite" or getattr(engine, "_rero_ping", False):
        return
    LIMITS[engine] = seconds.total_seconds()

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        if record is not None:
            record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.get(IDLE_SINCE)
        if since is None or time.monotonic() - since < LIMITS[engine]:
            return  # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(str(error)) from error
            raise

    engine._rero_ping = True
