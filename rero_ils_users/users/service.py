"""Users: personal data + account, one per person, shared by every organisation."""

from flask import current_app
from flask_security.utils import hash_password, verify_password
from invenio_db import db
from sqlalchemy import func

from .. import clock
from ..accounts.models import User
from ..accounts.passwords import generate_password, validate_password
from ..errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationError
from ..permissions import policy
from ..permissions.needs import person_of, records_of
from ..permissions.policy import Target
from ..permissions.roles import ADMIN, SUPERUSER, assignable_by, is_professional
from ..records.service import check_revision, conflicts_as_409, envelope
from ..records.uow import unit_of_work
from . import signals
from .api import LOCKED_FOR_SELF, UserRecord
from .validation import personal_data_errors

CONFLICTS = {
    "uq_accounts_user_username_lower": ("username", "This username is already taken."),
    "uq_accounts_user_email_lower": ("email", "This email is already used by another user."),
}
WRITE_ONLY = ("password", "current_password")
IGNORED = ("id", "pid", "$schema", "revision", "patrons", "generated_password", "created", "updated", "links")


def _split(data):
    """``(personal data to store, password, current_password)`` of a client body."""
    stored = {k: v for k, v in data.items() if k not in IGNORED + WRITE_ONLY}
    stored.setdefault("keep_history", False)
    return stored, data.get("password"), data.get("current_password")


def _network_role(identity):
    return bool(person_of(identity).account_roles & {SUPERUSER, ADMIN})


def _record_target(user_id, record_roles):
    return Target(
        organisation_pid=record_roles.organisation_pid,
        library_pids=record_roles.library_pids,
        owner_user_id=user_id,
        professional=is_professional(record_roles.roles),
    )


class UserService:
    """Create, read, update and erase people; the registration lookup."""

    # --- access ------------------------------------------------------------------
    def _require(self, identity, user_id, verb):
        """Self, network roles, staff over one of the person's records, or anyone
        allowed to create patrons when the person has no record yet."""
        person = person_of(identity)
        if _network_role(identity) or person.user_id == user_id:
            return
        records = records_of(user_id)
        if not records:
            policy.require(identity, "ptrn-create")
            return
        for record in records:
            if policy.can(identity, f"ptrn-{verb}", _record_target(user_id, record)):
                return
        policy.require(identity, f"ptrn-{verb}")  # 401/403 when the action is missing altogether
        raise NotFound()

    def _may_take_over(self, identity, user_id):
        """Setting a password or email needs the right to manage every role the person holds."""
        person = person_of(identity)
        if SUPERUSER in person.roles or person.user_id == user_id:
            return True
        account = db.session.get(User, user_id)
        held = set(account.role_names) if account else set()
        for record in records_of(user_id):
            held |= set(record.roles)
        return held <= assignable_by(person.pro_roles)

    # --- operations ----------------------------------------------------------------
    @unit_of_work
    def create(self, identity, data, uow=None):
        """Returns ``(record, generated password or None)``."""
        policy.require(identity, "ptrn-create")
        stored, password, _ = _split(data)
        errors = personal_data_errors(stored, clock.today())
        generated = None
        if password is None:
            generated = password = generate_password()
        else:
            errors += self._password_errors(password)
        if errors:
            raise ValidationError(errors=errors)
        account = User(username=stored["username"], email=stored.get("email"), password=hash_password(password))
        with conflicts_as_409(CONFLICTS):
            db.session.add(account)
        record = UserRecord.create(stored, user_id=account.id)
        uow.index(record)
        return record, generated

    def get(self, identity, user_id):
        record = self._get(user_id)
        self._require(identity, user_id, "read")
        return record

    def read(self, identity, user_id):
        return self.envelope(self.get(identity, user_id))

    @unit_of_work
    def update(self, identity, user_id, data, revision=None, uow=None):
        record = self._get(user_id, for_update=True)
        self._require(identity, user_id, "update")
        check_revision(record, revision)
        stored, password, current = _split(data)
        before = dict(record)
        errors = personal_data_errors(stored, clock.today(), require_personal=self._had_personal(before))
        errors += self._self_service_errors(identity, user_id, before, stored, password, current)
        if password is not None:
            errors += self._password_errors(password)
        if errors:
            raise ValidationError(errors=errors)
        changes_login = password is not None or (stored.get("email") or None) != (before.get("email") or None)
        if changes_login and not self._may_take_over(identity, user_id):
            raise PermissionDenied("You may not change the password or email of someone whose roles you cannot manage.")
        account = db.session.get(User, user_id)
        account.username, account.email = stored["username"], stored.get("email")
        if password is not None:
            account.password = hash_password(password)
        stored["pid"], stored["$schema"] = record["pid"], record["$schema"]
        record.clear()
        record.update(stored)
        with conflicts_as_409(CONFLICTS):
            record.commit()
        uow.index(record)
        app = current_app._get_current_object()
        signals.user_updated.send(app, user_id=user_id, before=before, after=dict(record), uow=uow)
        if before.get("keep_history") and not record.get("keep_history"):
            signals.keep_history_disabled.send(app, user_id=user_id, uow=uow)
        return record

    @unit_of_work
    def delete(self, identity, user_id, revision=None, uow=None):
        if not _network_role(identity):
            policy.require(identity, "usr-delete")  # nobody else holds it: 401/403
        record = self._get(user_id, for_update=True)
        check_revision(record, revision)
        if records_of(user_id):
            raise Conflict("The person still has patron records; delete them first.")
        uow.unindex(record)
        record.delete()
        db.session.delete(db.session.get(User, user_id))

    def lookup(self, identity, q):
        """The "already registered?" lookup: exact, case-insensitive, from the database."""
        policy.require(identity, "ptrn-create")
        q = (q or "").strip()
        if not q:
            return None
        kind, _, value = q.partition(":")
        if kind in ("email", "username") and value:
            accounts = self._find(kind, value.strip())
        else:
            accounts = self._find("email", q) or self._find("username", q)
        return accounts[0] if accounts else None

    def registration_lookup(self, identity, q):
        """``GET /api/users/?q=``: 0 or 1 envelope, with the person's patron records."""
        account = self.lookup(identity, q)
        if account is None:
            return []
        patrons = [
            {"pid": r.pid, "organisation": {"pid": r.organisation_pid}, "roles": sorted(r.roles)}
            for r in records_of(account.id)
        ]
        return [self.envelope(UserRecord.get_by_user_id(account.id), {"patrons": patrons})]

    # --- helpers -------------------------------------------------------------------
    def _find(self, column, value):
        field = getattr(User, column)
        return db.session.query(User).filter(func.lower(field) == value.lower()).limit(1).all()

    def _get(self, user_id, for_update=False):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            raise NotFound() from None
        return UserRecord.get_by_pid(user_id, for_update=for_update)

    @staticmethod
    def _had_personal(before):
        """Accounts made with the CLI may lack personal fields; keep them optional until set."""
        return any(before.get(f) for f in ("first_name", "last_name", "birth_date"))

    @staticmethod
    def _password_errors(password):
        try:
            validate_password(password)
        except ValidationError as exc:
            return exc.errors
        return []

    def _self_service_errors(self, identity, user_id, before, stored, password, current):
        person = person_of(identity)
        if person.user_id != user_id or SUPERUSER in person.roles:
            return []
        errors = [
            FieldError(f, "You cannot change this field yourself; ask your library.")
            for f in LOCKED_FOR_SELF
            if stored.get(f) != before.get(f)
        ]
        if password is not None:
            account = db.session.get(User, user_id)
            if not current:
                errors.append(FieldError("current_password", "Your current password is required to change it."))
            elif not verify_password(current, account.password):
                errors.append(FieldError("current_password", "The current password is wrong."))
        return errors

    def envelope(self, record, extra=None):
        metadata = {k: v for k, v in record.items() if k not in ("$schema", "pid")}
        metadata["id"] = record.user_id
        metadata.update(extra or {})
        result = envelope("users", record.pid, metadata, record.revision, record.created, record.updated)
        result["id"] = record.user_id
        return result


users = UserService()
