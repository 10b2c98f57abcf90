"""The password policy of every path a password enters (API, CLI, reset, UI)."""

import base64
import hashlib
import hmac
import secrets
import string

from flask import current_app
from flask_babel import force_locale
from flask_security import PasswordUtil
from flask_security import utils as security_utils
from flask_security.utils import hash_password, verify_and_update_password, verify_password

from ..errors import FieldError, ValidationError
from ..settings import flag, integer

MAX_LENGTH = 255
SPECIALS = "!#$%&()*+,-./:;<=>?@[]^_{|}~"


def min_length():
    """``PASSWORD_MIN_LENGTH`` (Flask-Security's ``SECURITY_PASSWORD_LENGTH_MIN`` follows it)."""
    return integer("PASSWORD_MIN_LENGTH", minimum=1, maximum=MAX_LENGTH)


def require_special():
    """``PASSWORD_REQUIRE_SPECIAL``: also a character that is neither letter nor digit."""
    return flag("PASSWORD_REQUIRE_SPECIAL")


def policy_errors(password):
    """The rules ``password`` breaks, as sentences (empty when it is valid)."""
    minimum = min_length()
    if not isinstance(password, str):
        return ["The password must be a string."]
    problems = []
    if len(password) < minimum:
        problems.append(f"The password must be at least {minimum} characters long.")
    if len(password) > MAX_LENGTH:
        problems.append(f"The password must be at most {MAX_LENGTH} characters long.")
    if not any(c.islower() for c in password):
        problems.append("The password must contain a lower case character.")
    if not any(c.isupper() for c in password):
        problems.append("The password must contain an upper case character.")
    if not any(c.isdigit() for c in password):
        problems.append("The password must contain a number.")
    if require_special() and all(c.isalnum() for c in password):
        problems.append("The password must contain a special character.")
    return problems


def validate_password(password, field="password"):
    """Raise ``ValidationError`` on ``field`` naming the first rule broken."""
    problems = policy_errors(password)
    if problems:
        raise ValidationError.on(field, problems[0])


def generate_password(length=12):
    """A random password that satisfies the policy."""
    minimum = min_length()
    if length < minimum:
        raise ValidationError.on("length", f"Must be at least {minimum}.")
    if length > MAX_LENGTH:
        raise ValidationError.on("length", f"Must be at most {MAX_LENGTH}.")
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits]
    if require_special():
        pools.append(SPECIALS)
    alphabet = "".join(pools)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if not policy_errors(password):
            return password


# Flask-Security's checks beyond ours, when configured (SECURITY_PASSWORD_CHECK_BREACHED,
# SECURITY_PASSWORD_COMPLEXITY_CHECKER), said in our words: the API's table
# (i18n/messages.py) gives them their codes and translations
BREACHED_MESSAGE = "This password is on a list of leaked passwords: choose another one."
BREACH_CHECK_MESSAGE = "The list of leaked passwords cannot be checked just now; try again in a moment."
TOO_SIMPLE_MESSAGE = "The password is too easy to guess: choose a longer or less common one."


class PolicyPasswordUtil(PasswordUtil):
    """Our policy, then Flask-Security's breached-list and complexity checks, so every
    Flask-Security path (its reset and change forms included) enforces the same rules.

    Not Flask-Security's length check: ours replaces it (``PASSWORD_MIN_LENGTH`` is its
    ``SECURITY_PASSWORD_LENGTH_MIN``), and its fixed maximum of 128 answered a longer
    password (within our ``MAX_LENGTH``) that it "must be at least 8 characters". Its
    messages come translated by its own catalogue (no code could be found for them, and
    zxcvbn's hints are English only): each is said with one English sentence of ours."""

    def validate(self, password, is_register, **kwargs):
        normalized = self.normalize(password)
        ours = policy_errors(normalized)
        if ours:
            return ours, normalized
        with force_locale("en"):
            breached = security_utils.password_breached_validator(normalized)
            if breached:
                unreachable = breached[0] == security_utils.get_message("PASSWORD_BREACHED_SITE_ERROR")[0]
                return [BREACH_CHECK_MESSAGE if unreachable else BREACHED_MESSAGE], normalized
        if not is_register and kwargs.get("user") is None:  # a new account: no user data to compare with
            is_register, kwargs = True, {}
        if security_utils.password_complexity_validator(normalized, is_register, **kwargs):
            return [TOO_SIMPLE_MESSAGE], normalized
        return None, normalized


def checked_password(password, field="password", user=None):
    """``password`` normalised, after the policy and Flask-Security's own checks
    (through the configured ``PasswordUtil``); ``ValidationError`` naming the rule."""
    if not isinstance(password, str):
        raise ValidationError.on(field, "The password must be a string.")
    problems, normalized = current_app.extensions["security"]._password_util.validate(password, False, user=user)
    if problems:
        raise ValidationError(problems[0], errors=[FieldError(field, p) for p in problems])
    return normalized


# --- stored hashes: ours, and those an import keeps as they are ---------------------------
STORABLE_SCHEMES = ("argon2", "pbkdf2_sha512")  # SECURITY_PASSWORD_SCHEMES (config.py)
LEGACY_SCHEME = "pbkdf2_sha512"  # RERO ILS / invenio-accounts (Flask-Security's SECURITY_PASSWORD_HASH there)


def _context():
    return current_app.extensions["security"].pwd_context


def hash_scheme(value):
    """The scheme of ``value`` when it is a well-formed hash a login can verify
    (``$argon2...``, ``$pbkdf2-sha512$...``), else None."""
    if not isinstance(value, str) or not value.startswith("$"):
        return None
    context = _context()
    scheme = context.identify(value, required=False)
    if scheme not in STORABLE_SCHEMES:
        return None
    try:
        context.handler(scheme).from_string(value)
    except ValueError:
        return None
    return scheme


def _legacy_salt(password_hash):
    """``LEGACY_PASSWORD_SALT`` when ``password_hash`` is an imported pbkdf2-sha512 hash and
    that setting is given (the hashes were salted by another installation), else None."""
    salt = current_app.config.get("LEGACY_PASSWORD_SALT")
    if not salt or not password_hash or _context().identify(password_hash, required=False) != LEGACY_SCHEME:
        return None
    return salt


def _legacy_hmac(password, salt):
    """What Flask-Security's ``get_hmac`` makes with the other installation's salt."""
    return base64.b64encode(hmac.new(salt.encode("utf-8"), password.encode("utf-8"), hashlib.sha512).digest())


def verify(password, password_hash):
    """Does ``password`` match ``password_hash`` (ours or an imported one)?"""
    salt = _legacy_salt(password_hash)
    if salt is not None:
        return _context().verify(_legacy_hmac(password, salt), password_hash)
    return verify_password(password, password_hash)


def verify_and_update(password, user):
    """Flask-Security's ``verify_and_update_password``, also for imported hashes salted by
    another installation: a match with a deprecated scheme (pbkdf2-sha512) is rehashed
    with ours (argon2); the caller commits."""
    salt = _legacy_salt(user.password)
    if salt is None:
        return verify_and_update_password(password, user)
    if not _context().verify(_legacy_hmac(password, salt), user.password):
        return False
    user.password = hash_password(password)
    return True
