"""Celery tasks. Thin: each calls a service function."""

from ..records import indexer
from .celery import celery


@celery.task(name="rero_ils_users.index_queue")
def index_queue():
    """Retry the index writes that could not land at write time."""
    return indexer.process_queue()


@celery.task(name="rero_ils_users.ping")
def ping(value):
    """Round trip through the broker (health checks and tests)."""
    return value
