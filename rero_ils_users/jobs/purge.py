"""The ``purge-history`` job: circulation history is kept at most
``HISTORY_MAX_AGE_MONTHS`` calendar months (the seed: "a maximum of six months")."""

import logging

from flask import current_app
from invenio_db import db

from .. import clock
from ..history.service import cutoff, history
from .lock import locked_run

log = logging.getLogger(__name__)

NAME = "purge-history"


def purge_before(name, before, delete_batch, as_of=None, renew=lambda: None):
    """Delete with ``delete_batch(before, size)`` until a batch comes back short, one
    committed batch at a time (``renew`` keeps the job lock); the counts, logged."""
    batch = current_app.config["JOBS_BATCH_SIZE"]
    deleted = 0
    while True:
        count = delete_batch(before, batch)
        db.session.commit()
        deleted += count
        renew()
        if count < batch:
            break
    counts = {"deleted": deleted, "before": before.isoformat()}
    log.info("%s as of %s: %s", name, clock.today(as_of).isoformat(), counts)
    return counts


def purge(as_of=None, renew=lambda: None):
    """Delete every entry dated before ``cutoff(as_of)``."""
    return purge_before(NAME, cutoff(as_of), history.delete_batch_before, as_of, renew)


def run(as_of=None):
    """The job as the scheduler, a worker or the CLI runs it: one run at a time."""
    return locked_run(NAME, purge, as_of=as_of)
