"""The ``purge-audit`` job: audit entries of personal data are kept
``AUDIT_MAX_AGE_MONTHS`` calendar months (default 12)."""

from flask import current_app

from .. import clock
from ..records import audit
from .lock import locked_run
from .purge import purge_before

NAME = "purge-audit"


def cutoff(as_of=None):
    """Start of the oldest day still kept: today minus the maximum age in calendar months."""
    return clock.months_before(current_app.config["AUDIT_MAX_AGE_MONTHS"], as_of)


def purge(as_of=None, renew=lambda: None):
    return purge_before(NAME, cutoff(as_of), audit.delete_batch_before, as_of, renew)


def run(as_of=None):
    return locked_run(NAME, purge, as_of=as_of)
