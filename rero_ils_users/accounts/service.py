"""Accounts: password login with lockout, logout, password reset by email and
accounts made from the command line. Flask-Security does the hashing, the
session and the reset tokens; the rules of API.md section 6 live here."""

import logging
import re
import smtplib
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_mail import Message
from flask_security import login_user, logout_user
from flask_security.recoverable import generate_reset_password_token, reset_password_token_status
from flask_security.utils import hash_password, verify_hash, verify_password
from invenio_db import db
from sqlalchemy import func, or_

from .. import i18n
from ..errors import AccountExpired, Conflict, InvalidCredentials, ValidationError
from ..permissions import needs
from ..permissions.roles import ACCOUNT_ROLES, DOCUMENT_IMPORTER
from ..records import audit
from ..records.refs import base_url
from . import auth, lockout
from .expiry import all_patron_records_expired
from .models import Role, User
from .passwords import checked_password

log = logging.getLogger(__name__)

USERNAME = re.compile(r"[A-Za-z0-9_-]{3,255}")  # fullmatch: "$" would let a final newline in
FORGOT_MESSAGE = "If this address belongs to an account, a link to reset its password has been sent."
RESET_INVALID = "The reset link is invalid, expired or already used."


# --- finding accounts ----------------------------------------------------------------
def find_by_login(login):
    """The account whose username or email is ``login`` (case-insensitive), or None."""
    name = lockout.normalize(login)
    users = User.query.filter(or_(func.lower(User.username) == name, func.lower(User.email) == name)).all()
    by_username = [u for u in users if u.username.lower() == name]
    return (by_username or users or [None])[0]


def find_by_email(email):
    return User.query.filter(func.lower(User.email) == email.strip().lower()).one_or_none()


@lru_cache(maxsize=1)
def _dummy_hash():
    return hash_password("dummy-Password-1")


def _string(data, field, maximum=320):
    value = data.get(field)
    if not isinstance(value, str) or not value or len(value) > maximum:
        raise ValidationError.on(field, f"A string of 1 to {maximum} characters is required.")
    return value


# --- the expired-account rule --------------------------------------------------------
def is_expired(user, person):
    """Refuse login: marked by the expire-patrons job, a patron somewhere, every
    patron record expired (as of now, so a new date re-allows at once), and no
    professional or account-level role."""
    if user.expired_at is None:
        return False
    return all_patron_records_expired(bool(person.account_roles), ((r.roles, r.expired) for r in person.records))


def check_not_expired(user):
    if is_expired(user, needs.load_person(user.id, user.role_names)):
        raise AccountExpired()


# --- login and logout ----------------------------------------------------------------
def login(data):
    """Log the caller in from ``{"login", "password"}``; returns the account.

    Unknown names, wrong passwords and inactive accounts answer alike (and take
    about as long: a hash is verified in every case); failures count per name."""
    name = _string(data, "login")
    password = _string(data, "password", maximum=1024)
    lockout.check(name)
    user = find_by_login(name)
    if user is None or not user.password:
        verify_password(password, _dummy_hash())
        user = None
    else:
        with audit.secrets_unchanged():  # a rehash at login (new hashing parameters) is no password change
            verified = user.verify_and_update_password(password)
            db.session.flush()
        if not verified:
            user = None
    if user is None or not user.active or DOCUMENT_IMPORTER in user.role_names:  # importers: API token only
        lockout.fail(name)
        raise InvalidCredentials()
    check_not_expired(user)
    lockout.reset(name)
    chosen = i18n.chosen_language()  # on the login page, before the account was known: the latest choice
    if chosen:
        user.language = chosen
    login_user(user, authn_via=["password"])
    auth.new_session_id()  # no fixation: the id the caller had before is not logged in
    db.session.commit()  # a rehashed password (new hashing parameters)
    return user


def logout():
    """End the caller's session: its stored data goes, so a copy of the cookie is anonymous."""
    logout_user()
    auth.end_session()


def user_dump(user, person=None):
    person = person or needs.load_person(user.id, user.role_names)
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "roles": sorted(person.roles),
        "language": user.language,
    }


# --- the language of the person's pages -----------------------------------------------
def set_language(user, data):
    """Remember ``{"language": "fr"}`` (or null: the browser's) for ``user``, or for the
    anonymous caller's session when ``user`` is None; returns the language kept."""
    if "language" not in data:
        raise ValidationError.on("language", "Missing data for required field.")
    language = data["language"]
    if language is not None and not i18n.supported(language):
        raise ValidationError.on("language", f"Must be one of: {', '.join(i18n.languages())}.")
    if user is None:
        i18n.remember_anonymous(language)
        return language
    user.language = language
    db.session.commit()
    return language


# --- forgotten password --------------------------------------------------------------
def forgot(data):
    """Mail a reset link to the account whose user email is ``email``.

    Only ``accounts_user.email`` is looked at (never an additional
    communication email); the answer is the same whether or not it exists."""
    email = _string(data, "email")
    try:
        validate_email(email, **current_app.config["SECURITY_EMAIL_VALIDATOR_ARGS"])
    except EmailNotValidError as exc:
        raise ValidationError.on("email", f"Not a valid email address: {exc}")
    user = find_by_email(email)
    if user is not None and user.active:
        _send_reset_link(user)
    return FORGOT_MESSAGE


def reset_link(token):
    return f"{base_url()}/reset/{token}"


def _send_reset_link(user):
    token = generate_reset_password_token(user)
    within = current_app.config["SECURITY_RESET_PASSWORD_WITHIN"]
    message = Message(
        subject="Reset your password",
        recipients=[user.email],
        body=(
            f"Hello {user.username},\n\n"
            "Someone asked to reset the password of your library account.\n"
            f"To choose a new password, open this link (valid {within}):\n\n"
            f"{reset_link(token)}\n\n"
            "If you did not ask for it, ignore this message: your password is unchanged.\n"
        ),
    )
    try:
        current_app.extensions["mail"].send(message)
    except (smtplib.SMTPException, OSError):
        log.exception("could not send the password reset mail of user %s", user.id)


def reset(data):
    """Set a new password from a reset token; the token dies with the old password."""
    token = _string(data, "token", maximum=4096)
    if "password" not in data:
        raise ValidationError.on("password", "A new password is required.")
    expired, invalid, user = reset_password_token_status(token)
    if expired or invalid or user is None or not user.active or not _token_matches_password(token, user):
        raise ValidationError.on("token", RESET_INVALID)
    password = checked_password(data["password"], user=user)
    set_password(user, password)
    db.session.commit()
    return user


def _token_matches_password(token, user):
    """Reset tokens carry a hash of the password they were made for."""
    _, payload = current_app.extensions["security"].reset_serializer.loads_unsafe(token)
    password_hash = payload[1] if isinstance(payload, list) and len(payload) > 1 else None
    if user.password is None:
        return password_hash is None
    return password_hash is not None and verify_hash(password_hash, user.password)


def set_password(user, password):
    """Store a new (already checked) password and end every session of the account (a
    new ``fs_uniquifier``; ``auth.follow_own_password_change`` keeps the changer's own)."""
    user.password = hash_password(password)
    current_app.extensions["security"].datastore.set_uniquifier(user)


# --- accounts made from the command line ---------------------------------------------
def create_account(username, password, email=None, roles=()):
    """An account with account-level roles only (the CLI; e.g. the first superuser)."""
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise ValidationError.on("username", "3 to 255 characters among A-Z, a-z, 0-9, _ and -.")
    if User.query.filter(func.lower(User.username) == username.lower()).first():
        raise Conflict.on("username", f"The username {username} is already taken.")
    if email is not None:
        try:
            email = validate_email(email, **current_app.config["SECURITY_EMAIL_VALIDATOR_ARGS"]).normalized
        except EmailNotValidError as exc:
            raise ValidationError.on("email", f"Not a valid email address: {exc}")
        if find_by_email(email):
            raise Conflict.on("email", f"The email {email} is already used.")
    unknown = sorted(set(roles) - set(ACCOUNT_ROLES))
    if unknown:
        raise ValidationError.on("role", f"Not account-level role(s): {', '.join(unknown)}.")
    password = checked_password(password)
    user = User(username=username, email=email, password=hash_password(password), active=True)
    user.roles = [role_named(name) for name in sorted(set(roles))]
    db.session.add(user)
    db.session.flush()
    return user


def role_named(name):
    """The Role row of ``name``, created on first use."""
    role = Role.query.filter_by(name=name).one_or_none()
    if role is None:
        role = Role(name=name)
        db.session.add(role)
        db.session.flush()
    return role
