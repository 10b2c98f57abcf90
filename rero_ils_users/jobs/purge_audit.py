"""The ``purge-audit`` job: audit entries of personal data are kept
``AUDIT_MAX_AGE_MONTHS`` calendar months (default 12)."""

import logging
from datetime import datetime, time

from dateutil.relativedelta import relativedelta
from flask import current_app
from invenio_db import db

from .. import clock
from ..records import audit
from .lock import locked_run

log = logging.getLogger(__name__)

NAME = "purge-audit"


def cutoff(as_of=None):
    """Start of the oldest day still kept: today minus the maximum age in calendar months."""
    oldest = clock.today(as_of) - relativedelta(months=current_app.config["AUDIT_MAX_AGE_MONTHS"])
    return datetime.combine(oldest, time.min, tzinfo=clock.zone())


def purge(as_of=None, renew=lambda: None):
    before = cutoff(as_of)
    batch = current_app.config["JOBS_BATCH_SIZE"]
    deleted = 0
    while True:
        count = audit.delete_batch_before(before, batch)
        db.session.commit()
        deleted += count
        renew()
        if count < batch:
            break
    counts = {"deleted": deleted, "before": before.isoformat()}
    log.info("%s as of %s: %s", NAME, clock.today(as_of).isoformat(), counts)
    return counts


def run(as_of=None):
    return locked_run(NAME, purge, as_of=as_of)
