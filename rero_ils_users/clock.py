""""Today" and "now" in the service's time zone (``TIME_ZONE``)."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
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


def months_before(months, as_of=None):
    """Start of the oldest day kept for ``months`` calendar months: today (or ``as_of``)
    minus that many months (2026-08-31 -> 2026-02-28 for six), in the service's zone."""
    oldest = today(as_of) - relativedelta(months=months)
    return datetime.combine(oldest, time.min, tzinfo=zone())
