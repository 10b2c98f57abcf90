"""Celery tasks. Thin: each calls a service function."""

from ..records import indexer
from . import erase, expire, purge, purge_audit
from .celery import celery


@celery.task(name="rero_ils_users.index_queue")
def index_queue():
    """Retry the index writes that could not land at write time."""
    return indexer.process_queue()


@celery.task(name="rero_ils_users.ping")
def ping(value):
    """Round trip through the broker (health checks and tests)."""
    return value


@celery.task(name="rero_ils_users.expire_patrons")
def expire_patrons(as_of=None):
    """Nightly: expiry notices, reminders and expired accounts (``as_of``: YYYY-MM-DD)."""
    return expire.run(as_of)


@celery.task(name="rero_ils_users.purge_history")
def purge_history(as_of=None):
    """Nightly: delete circulation history past its maximum age."""
    return purge.run(as_of)


@celery.task(name="rero_ils_users.purge_audit")
def purge_audit_entries(as_of=None):
    """Nightly: delete audit entries of personal data past their maximum age."""
    return purge_audit.run(as_of)


@celery.task(name="rero_ils_users.erase_orphans")
def erase_orphans(as_of=None):
    """Nightly: erase personal data of people with no patron record left, after the delay."""
    return erase.run(as_of)
