"""SQLite for the quick local run: make savepoints real.

pysqlite starts transactions lazily and releases a SAVEPOINT as a commit, so a
rolled-back unit of work could leave half its rows behind. SQLAlchemy's
documented recipe: let the driver do nothing and emit BEGIN ourselves.
"""

from sqlalchemy import event


def make_transactional(engine):
    if engine.dialect.name != "sqlite" or getattr(engine, "_rero_transactional", False):
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    engine._rero_transactional = True
