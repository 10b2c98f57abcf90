""""Today" and "now" in the service's time zone (``TIME_ZONE``)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def zone():
    return ZoneInfo(current_app.config["TIME_ZONE"])


def now():
    return datetime.now(zone())


def today(as_of=None):
    """The service's date today, or ``as_of`` (a date or ``YYYY-MM-DD``) when given."""
    if as_of is None:
        return now().date()
    return as_of if isinstance(as_of, date) else date.fromisoformat(as_of)


def iso(value):
    """A stored UTC timestamp (naive or aware) as ISO 8601 with its offset, or None."""
    if value is None:
        return None
    return value.isoformat() if value.tzinfo else value.isoformat() + "+00:00"
