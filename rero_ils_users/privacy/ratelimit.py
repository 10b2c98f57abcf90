"""Per-person rate limits (``limits`` on Redis), keyed under the installation's prefix."""

import time

from flask import current_app
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from ..accounts.lockout import key_prefix
from ..errors import RateLimited

_limiters = {}


def _limiter():
    url, prefix = current_app.config["RATE_LIMIT_REDIS_URL"], f"{key_prefix()}:ratelimit"
    if (url, prefix) not in _limiters:
        _limiters[(url, prefix)] = MovingWindowRateLimiter(RedisStorage(url, key_prefix=prefix))
    return _limiters[(url, prefix)]


def hit(setting, *identifiers):
    """Count one request against the limit ``setting`` names ("5 per hour"); 429 beyond."""
    item = parse(current_app.config[setting])
    limiter = _limiter()
    if not limiter.hit(item, *identifiers):
        reset = limiter.get_window_stats(item, *identifiers).reset_time
        raise RateLimited("Too many exports of your data; try again later.", retry_after=max(1, reset - time.time()))


def clear(setting, *identifiers):
    _limiter().clear(parse(current_app.config[setting]), *identifiers)
