"""Batches written by several processes at once (``rero-ils-users import --jobs N``).

This process reads and checks the rows (``Importer.prepare``) and hands each batch to
a pool of worker processes (forked from it, each with its own database connection and
search client), which write it exactly as the sequential import does
(``Importer.write_batch``: one transaction, the set-based path, the row-by-row
fallback, the bulk index request). The database still decides uniqueness: a person
two workers create at once is written by one, and the other's batch falls back to row
by row and finds them.

Results are taken in the file's order, so the summary and the rejects file read as
the sequential import's. At most ``2 * jobs`` batches are in flight (memory stays
flat), and a batch naming a username, email or barcode of a batch still in flight waits
for it: rows naming the same person are written in the file's order.

PostgreSQL only, and not for ``--dry-run`` (one transaction, rolled back): those
write one batch after the other."""

from collections import deque
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from flask import current_app
from invenio_db import db

from ..errors import FieldError
from ..records.search import renew_client
from . import bulk
from .batches import Importer
from .report import Summary

_worker = None  # the Importer of a worker process


class Collected:
    """A worker's rejects, sent back to the reading process (which writes the file)."""

    def __init__(self):
        self.items = []

    def write(self, number, errors, row):
        self.items.append((number, [FieldError(e.field, str(e.message), e.code) for e in errors], row))


def _start(app, batch_size):
    """A worker process begins: its own app context, connections and ``Importer``."""
    global _worker
    app.app_context().push()
    db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    renew_client()
    _worker = Importer(Summary(), rejects=Collected(), batch=batch_size)


def _write(batch):
    """Write one batch in a worker: ``((created, updated, unchanged), rejects)``."""
    worker = _worker
    worker.summary, worker.rejects.items = Summary(), []
    worker.submit(batch)
    summary = worker.summary
    return (summary.created, summary.updated, summary.unchanged), worker.rejects.items


class ParallelImporter(Importer):
    """``Importer`` whose batches are written by ``jobs`` worker processes."""

    def __init__(self, summary, jobs, **options):
        super().__init__(summary, **options)
        self.jobs, self.pool, self.pending = jobs, None, deque()

    def submit(self, batch):
        keys = set().union(*(bulk.row_keys(p) for p in batch))
        while self.pending and (len(self.pending) >= 2 * self.jobs or any(keys & named for _, named in self.pending)):
            self._collect()
        if self.pool is None:
            db.session.close()  # nothing of this process's session is inherited in use
            self.pool = ProcessPoolExecutor(
                self.jobs, mp_context=get_context("fork"), initializer=_start,
                initargs=(current_app._get_current_object(), self.batch_size),
            )
        self.pending.append((self.pool.submit(_write, batch), keys))

    def _collect(self):
        future, _ = self.pending.popleft()
        (created, updated, unchanged), rejected = future.result()
        self.summary.created += created
        self.summary.updated += updated
        self.summary.unchanged += unchanged
        for number, errors, row in rejected:
            self.reject(number, errors, row)

    def finish(self):
        while self.pending:
            self._collect()

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
