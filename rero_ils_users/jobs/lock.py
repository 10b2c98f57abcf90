"""One run of a job at a time across every worker: a Redis lock with a timeout
(a crashed worker's lock expires), renewed between batches."""

import logging
from contextlib import contextmanager

import redis
from flask import current_app

from ..records import audit

log = logging.getLogger(__name__)


class JobLocked(Exception):
    """Another worker is running this job right now."""


def _client():
    return redis.Redis.from_url(current_app.config["JOBS_LOCK_REDIS_URL"])


@contextmanager
def job_lock(name):
    """Hold ``rero-ils-users:job:<name>`` for the duration of the block.

    Yields a ``renew()`` callable that a long job calls between batches. Waits
    ``JOBS_LOCK_WAIT`` seconds at most, then raises ``JobLocked``.
    """
    config = current_app.config
    lock = _client().lock(
        f"rero-ils-users:job:{name}",
        timeout=config["JOBS_LOCK_TIMEOUT"],
        blocking_timeout=config["JOBS_LOCK_WAIT"],
        thread_local=False,
    )
    if not lock.acquire():
        raise JobLocked(name)
    try:
        yield lock.reacquire
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:  # expired meanwhile: another run may hold it now
            log.warning("job %s outlived its lock (JOBS_LOCK_TIMEOUT)", name)


def locked_run(name, job, **kwargs):
    """``job(renew=..., **kwargs)`` under the lock; ``{"skipped": "locked"}`` when
    another worker holds it (that run does the work)."""
    try:
        with job_lock(name) as renew, audit.acting({"job": name}):
            return job(renew=renew, **kwargs)
    except JobLocked:
        log.info("job %s is running elsewhere; this run is skipped", name)
        return {"skipped": "locked"}
