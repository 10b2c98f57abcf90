"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

import email
import socket
import threading
from email.policy import default as default_policy

from aiosmtpd.controller import Controller


class Sink:
    """Every received message as ``{"to": [...], "message": EmailMessage}``."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()
        self.port = None

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


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink():
    """``(sink, controller)``; call ``controller.stop()`` when done."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    return sink, controller
