"""The matrix as data: grants, the defaults already applied, per-user denies, audit."""

from datetime import UTC, datetime

from invenio_db import db


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


class RoleGrant(db.Model):
    """``role`` is granted ``action`` (network-wide)."""

    __tablename__ = "permission_role_grant"
    role = db.Column(db.String(64), primary_key=True)
    action = db.Column(db.String(64), primary_key=True)


class SeededGrant(db.Model):
    """A default grant that ``init`` already applied once: never re-added after a revoke."""

    __tablename__ = "permission_seeded_grant"
    role = db.Column(db.String(64), primary_key=True)
    action = db.Column(db.String(64), primary_key=True)


class MatrixVersion(db.Model):
    """One row, bumped on every matrix change: processes drop their cached matrix."""

    __tablename__ = "permission_matrix_version"
    id = db.Column(db.Integer, primary_key=True)
    version = db.Column(db.Integer, nullable=False, default=0)


class UserDeny(db.Model):
    """``action`` is denied to user ``user_id`` whatever their roles grant: when acting
    in ``organisation_pid`` (set by its staff), or everywhere (``""``: set by admin or
    superuser)."""

    __tablename__ = "permission_user_deny"
    user_id = db.Column(db.Integer, primary_key=True)
    action = db.Column(db.String(64), primary_key=True)
    organisation_pid = db.Column(db.String(64), primary_key=True, default="")
    by_user_id = db.Column(db.Integer, nullable=True)
    created = db.Column(db.DateTime, nullable=False, default=utcnow)


class PermissionAudit(db.Model):
    """Who changed which grant or deny, when, with the state before and after."""

    __tablename__ = "permission_audit"
    id = db.Column(db.Integer, primary_key=True, autoincrement=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    by_user_id = db.Column(db.Integer, nullable=True)
    operation = db.Column(db.String(16), nullable=False)  # grant, revoke, deny, lift
    role = db.Column(db.String(64), nullable=True)
    action = db.Column(db.String(64), nullable=False)
    user_id = db.Column(db.Integer, nullable=True)
    organisation_pid = db.Column(db.String(64), nullable=True, index=True)
    before = db.Column(db.JSON, nullable=True)
    after = db.Column(db.JSON, nullable=True)


class PermissionAuditOrganisation(db.Model):
    """The organisations where the person of a per-user entry had a record at the
    time: their ``pro_full_permissions`` staff see the entry."""

    __tablename__ = "permission_audit_organisation"
    audit_id = db.Column(db.Integer, db.ForeignKey("permission_audit.id", ondelete="CASCADE"), primary_key=True)
    organisation_pid = db.Column(db.String(64), primary_key=True, index=True)
