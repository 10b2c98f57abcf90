"""Account tables (Flask-Security-Too user model of our own: nullable email,
case-insensitive unique username and email enforced by the database)."""

import uuid
from datetime import UTC, datetime

from flask_security import RoleMixin, UserMixin
from invenio_db import db
from sqlalchemy import func

from . import passwords


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


user_roles = db.Table(
    "accounts_user_role",
    db.Column("user_id", db.Integer, db.ForeignKey("accounts_user.id", ondelete="CASCADE"), primary_key=True),
    db.Column("role_id", db.Integer, db.ForeignKey("accounts_role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(db.Model, RoleMixin):
    """An account-level role (superuser, admin, monitoring, document_importer)."""

    __tablename__ = "accounts_role"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), unique=True, nullable=False)
    description = db.Column(db.String(255))
    permissions = db.Column(db.UnicodeText, nullable=True)  # Flask-Security field, unused


class User(db.Model, UserMixin):
    """A person's login account; ``id`` is the user id of the public API."""

    __tablename__ = "accounts_user"
    __table_args__ = (
        db.Index("uq_accounts_user_username_lower", func.lower(db.text("username")), unique=True),
        db.Index("uq_accounts_user_email_lower", func.lower(db.text("email")), unique=True),
    )

    id = db.Column(db.Integer, primary_key=True, autoincrement=True)
    username = db.Column(db.String(255), nullable=False)
    email = db.Column(db.String(255), nullable=True)
    password = db.Column(db.String(255), nullable=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    fs_uniquifier = db.Column(db.String(64), unique=True, nullable=False, default=lambda: uuid.uuid4().hex)
    confirmed_at = db.Column(db.DateTime, nullable=True)
    # set by the expire-patrons job: login answers ACCOUNT_EXPIRED (API.md section 6)
    expired_at = db.Column(db.DateTime, nullable=True)
    # the organisation that created the person or last held a patron record of them:
    # while they have no record, only its staff see them (API.md section 2)
    steward_organisation_pid = db.Column(db.String(64), nullable=True)
    created = db.Column(db.DateTime, nullable=False, default=utcnow)
    # the language of the person's pages (en, fr, de, it); None: the browser's (i18n/)
    language = db.Column(db.String(8), nullable=True)
    roles = db.relationship(Role, secondary=user_roles, lazy="selectin")

    @property
    def role_names(self):
        return {role.name for role in self.roles}

    def verify_and_update_password(self, password):
        """Imported hashes too (``passwords.verify_and_update``); no password: never."""
        return self.password is not None and passwords.verify_and_update(password, self)


class ApiToken(db.Model):
    """A named, revocable API token; only its SHA-256 is stored."""

    __tablename__ = "accounts_api_token"
    id = db.Column(db.Integer, primary_key=True, autoincrement=True)
    user_id = db.Column(db.Integer, db.ForeignKey("accounts_user.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(255), nullable=False)
    token_hash = db.Column(db.String(64), unique=True, nullable=False)
    created = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_used = db.Column(db.DateTime, nullable=True)
    revoked_at = db.Column(db.DateTime, nullable=True)
    user = db.relationship(User)
