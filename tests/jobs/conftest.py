"""Job tests: a real SMTP sink (aiosmtpd) and, where asked, a real Celery worker
on the Redis broker. Time travel is by ``as_of``: a worker thread does not see
time-machine, and the jobs take the date explicitly anyway."""

import email
import socket
import threading
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller


class Sink:
    """Collects every message the SMTP server receives, parsed."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append({"to": sorted(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"

    def clear(self):
        with self._lock:
            self.messages.clear()

    def subjects(self):
        return [m["message"]["Subject"] for m in self.messages]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


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
