"""Passwords of import rows: none (no usable password, no hash made), a plain
password (checked by the policy of every path, then hashed on every core), or a
hash that a login can verify (RERO ILS's ``$pbkdf2-sha512$...``, our ``$argon2...``),
stored as it is."""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app
from flask_security.utils import hash_password

from ..accounts.passwords import hash_scheme, policy_errors
from ..errors import FieldError

NONE, PLAIN, HASH = "none", "plain", "hash"
HASH_PREFIXES = ("$pbkdf2", "$argon2")


@dataclass(frozen=True)
class RowPassword:
    kind: str
    value: str | None = None


def classify(value):
    """``(RowPassword, [FieldError])`` of a row's ``password`` field."""
    if value is None or value == "":
        return RowPassword(NONE), []
    if not isinstance(value, str):
        return RowPassword(NONE), [FieldError("password", "The password must be a string.")]
    if hash_scheme(value):
        return RowPassword(HASH, value), []
    if value.startswith(HASH_PREFIXES):
        return RowPassword(NONE), [FieldError("password", "Not a valid $pbkdf2-sha512$ or $argon2 password hash.")]
    problems = policy_errors(value)
    return RowPassword(PLAIN, value), [FieldError("password", p) for p in problems]


class Hasher:
    """Hashes plain passwords on every core: argon2 releases the GIL, so threads run
    in parallel (each in the application's context, for Flask-Security's settings)."""

    def __init__(self, workers=None):
        self.app = current_app._get_current_object()
        self.pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1)

    def _hash(self, password):
        with self.app.app_context():
            return hash_password(password)

    def stored(self, passwords):
        """What to store for each ``RowPassword``: a new hash, the given hash, or None."""
        plain = [p.value for p in passwords if p.kind == PLAIN]
        hashes = iter(self.pool.map(self._hash, plain))
        return [next(hashes) if p.kind == PLAIN else p.value for p in passwords]

    def close(self):
        self.pool.shutdown()
