"""Failed-login counting per login name, shared by every worker through Redis.

Failure times and the lockout's end are stored as values (epoch seconds taken
from this process's clock), never only as Redis TTLs: the decision is made in
Python, so it is the same in every worker and follows time travel in tests.
TTLs are set only so that abandoned keys disappear.

Keys start with the installation's prefix (``REDIS_KEY_PREFIX``, by default
derived from ``SERVICE_NAME`` and ``SEARCH_INDEX_PREFIX``): installations sharing
one Redis never lock each other's users.
"""

import logging
import time
import uuid

import redis
from flask import current_app

from ..errors import TooManyAttempts
from ..settings import integer, seconds

log = logging.getLogger(__name__)
_clients = {}


def _redis():
    url = current_app.config["LOGIN_REDIS_URL"]
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url)
    return _clients[url]


def window():
    """``LOGIN_LOCKOUT`` in seconds: how long failures count, and a lockout lasts."""
    return seconds("LOGIN_LOCKOUT")


def max_attempts():
    """``LOGIN_MAX_ATTEMPTS``: the failures within the window that lock a name."""
    return integer("LOGIN_MAX_ATTEMPTS", minimum=1)


def normalize(login):
    """Login names are compared case-insensitively (username or email)."""
    return login.strip().lower()


def key_prefix():
    """This installation's namespace in Redis: ``REDIS_KEY_PREFIX``, else
    ``<SERVICE_NAME>:<SEARCH_INDEX_PREFIX>`` (just the service name without an index
    prefix: the keys of a lone installation stay where they were)."""
    config = current_app.config
    if config.get("REDIS_KEY_PREFIX"):
        return config["REDIS_KEY_PREFIX"]
    index_prefix = (config.get("SEARCH_INDEX_PREFIX") or "").rstrip("-_:.")
    return ":".join(part for part in (config["SERVICE_NAME"], index_prefix) if part)


def keys(login):
    """The Redis keys of ``login``: ``(failure times, lockout end)``."""
    name = normalize(login)
    prefix = f"{key_prefix()}:login"
    return f"{prefix}:failures:{name}", f"{prefix}:locked:{name}"


def locked_until(login):
    """The epoch time the lockout of ``login`` ends, or None when it is not locked."""
    _, locked_key = keys(login)
    value = _redis().get(locked_key)
    if value is None:
        return None
    until = float(value)
    return until if time.time() < until else None


def check(login):
    """Raise ``TooManyAttempts`` while ``login`` is locked out."""
    if locked_until(login) is not None:
        raise TooManyAttempts()


def fail(login):
    """Count a failed attempt; lock the name once the limit is reached.

    Returns True when this failure started a lockout."""
    failures_key, locked_key = keys(login)
    now = time.time()
    window_seconds = window()
    limit = max_attempts()
    pipe = _redis().pipeline(transaction=True)
    pipe.zadd(failures_key, {f"{now}:{uuid.uuid4().hex}": now})
    pipe.zremrangebyscore(failures_key, "-inf", now - window_seconds)
    pipe.zcard(failures_key)
    pipe.expire(failures_key, int(window_seconds) + 60)
    count = pipe.execute()[2]
    if count < limit:
        return False
    pipe = _redis().pipeline(transaction=True)
    pipe.set(locked_key, repr(now + window_seconds), ex=int(window_seconds) + 60)
    pipe.delete(failures_key)
    pipe.execute()
    log.warning("login locked out for %s after %d failed attempts", normalize(login), count)
    return True


def reset(login):
    """A successful login clears the failures of its name."""
    _redis().delete(*keys(login))
