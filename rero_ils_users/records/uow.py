"""Unit of work: one transaction, then the work that must follow a commit
(indexing, mail). Services take ``uow`` and never commit by themselves."""

import logging
from functools import wraps

from invenio_db import db

from . import indexer

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(self):
        self._queued = []
        self._after_commit = []

    def index(self, record):
        self._queued.append(indexer.enqueue(record))

    def unindex(self, record):
        self._queued.append(indexer.enqueue(record, deleted=True))

    def on_commit(self, callback):
        """Run ``callback()`` once the transaction is committed."""
        self._after_commit.append(callback)

    def commit(self):
        db.session.commit()
        rows, self._queued = self._queued, []
        indexer.process(rows)
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # the data is committed; a failed follow-up is logged
                log.exception("after-commit callback failed")

    def rollback(self):
        db.session.rollback()
        self._queued, self._after_commit = [], []


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
