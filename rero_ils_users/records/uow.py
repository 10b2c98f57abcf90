"""Unit of work: one transaction, then the indexing that must follow a commit.
Services take ``uow`` and never commit by themselves."""

from functools import wraps

from invenio_db import db

from . import indexer
from .sessions import rollback_session


class UnitOfWork:
    def __init__(self):
        self._queued = []
        self._on_commit = []

    def on_commit(self, callback):
        """Call ``callback()`` once this transaction committed (mail about what it did)."""
        self._on_commit.append(callback)

    def index(self, record):
        self._queued.append(indexer.enqueue(record))

    def unindex(self, record):
        self._queued.append(indexer.enqueue(record, deleted=True))

    def commit(self):
        db.session.flush()
        rows, self._queued = self._queued, []
        self.before_commit(rows)
        self._ids = [row.id for row in rows]  # known after the flush; rows expire at the commit
        db.session.commit()
        self.after_commit(rows)
        callbacks, self._on_commit = self._on_commit, []
        for callback in callbacks:
            callback()

    def before_commit(self, rows):
        """Hook: the queue rows of this transaction, flushed (their ids are known)."""

    def after_commit(self, rows):
        """Index what this transaction wrote (the rows stay queued when the index is
        down), then a batch of what earlier writes left queued."""
        indexer.after_write(self._ids)

    def rollback(self):
        rollback_session()
        self._queued = []
        self._on_commit = []


def unit_of_work(func):
    """Give ``func`` a ``uow`` (the caller's one, or a new one committed on success)."""

    @wraps(func)
    def wrapper(*args, uow=None, **kwargs):
        if uow is not None:
            return func(*args, uow=uow, **kwargs)
        uow = UnitOfWork()
        try:
            result = func(*args, uow=uow, **kwargs)
        except BaseException:
            uow.rollback()
            raise
        uow.commit()
        return result

    return wrapper
