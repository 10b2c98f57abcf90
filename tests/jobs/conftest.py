"""Job tests: a real SMTP sink (aiosmtpd) and, where asked, a real Celery worker
on the Redis broker. Time travel is by ``as_of``: a worker thread does not see
time-machine, and the jobs take the date explicitly anyway."""

import pytest


@pytest.fixture(scope="module")
def app_config(app_config, smtp):
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "MAIL_SUPPRESS_SEND": False,
        "PATRON_EXPIRY_REMINDER_DAYS": 30,
        "HISTORY_MAX_AGE_MONTHS": 6,
    }


@pytest.fixture(autouse=True)
def fresh(clean):
    """Every job test starts from empty tables and indexes (test_worker_cli.py,
    which stores nothing, overrides it)."""


@pytest.fixture()
def mails(smtp, clean):
    """The SMTP sink, emptied, after the database was."""
    smtp.clear()
    return smtp


@pytest.fixture(scope="module")
def worker(app):
    """A real Celery worker thread consuming the Redis broker."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(app.extensions["celery"], perform_ping_check=False, pool="solo", loglevel="WARNING") as w:
        yield w
