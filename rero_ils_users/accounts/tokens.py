"""Named, revocable API tokens (``Authorization: Bearer``); only a SHA-256 is stored,
so a database dump gives no usable token."""

import hashlib
import secrets

from invenio_db import db

from ..errors import Conflict, NotFound, ValidationError
from .models import ApiToken, User, utcnow


def digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(user, name):
    """A new token for ``user``; the clear value is returned once, never stored."""
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise ValidationError.on("name", "A token name of 1 to 255 characters is required.")
    if ApiToken.query.filter_by(user_id=user.id, name=name, revoked_at=None).first():
        raise Conflict.on("name", f"User {user.username} already has an active token named {name!r}.")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, token_hash=digest(token)))
    db.session.flush()
    return token


def revoke(user, name=None, token_id=None):
    """Revoke the active token(s) of ``user`` with that name or id; how many were revoked."""
    query = ApiToken.query.filter_by(user_id=user.id, revoked_at=None)
    if token_id is not None:
        query = query.filter_by(id=token_id)
    elif name is not None:
        query = query.filter_by(name=name)
    else:
        raise ValidationError.on("name", "Give the token's name or id.")
    tokens = query.all()
    if not tokens:
        raise NotFound("No such active token.")
    for token in tokens:
        token.revoked_at = utcnow()
    db.session.flush()
    return len(tokens)


def active(user):
    return ApiToken.query.filter_by(user_id=user.id, revoked_at=None).order_by(ApiToken.id).all()


def user_of(token):
    """The active account a clear token belongs to, or None (unknown or revoked)."""
    if not token:
        return None
    row = (
        db.session.query(ApiToken, User)
        .join(User, ApiToken.user_id == User.id)
        .filter(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
        .one_or_none()
    )
    if row is None or not row[1].active:
        return None
    return row[1]
