"""Users: personal data + account, one per person, shared by every organisation."""

from flask import current_app
from flask_security.utils import hash_password
from invenio_db import db
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from .. import clock
from ..accounts import passwords
from ..accounts.models import User
from ..accounts.passwords import generate_password, validate_password
from ..accounts.service import set_password
from ..errors import Conflict, FieldError, NotFound, ValidationError
from ..permissions import policy
from ..permissions.needs import person_of, records_of
from ..permissions.policy import Subject
from ..permissions.roles import SUPERUSER
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
# ``password_hash`` of create/update (the import): hash the body's password (or a generated one) / keep it
GENERATE, KEEP = object(), object()
IGNORED = ("id", "pid", "$schema", "revision", "patrons", "generated_password", "created", "updated", "links")


def _split(data):
    """``(personal data to store, password, current_password)`` of a client body."""
    stored = {k: v for k, v in data.items() if k not in IGNORED + WRITE_ONLY}
    stored.setdefault("keep_history", False)
    return stored, data.get("password"), data.get("current_password")


class UserService:
    """Create, read, update and erase people; the registration lookup."""

    # --- access ------------------------------------------------------------------
    def subject(self, user_id):
        """What the policy knows of a person (``policy.Subject``); NotFound when unknown."""
        account = db.session.get(User, _user_id(user_id))
        if account is None:
            raise NotFound()
        return Subject(
            user_id=account.id,
            account_roles=frozenset(account.role_names),
            records=tuple(records_of(account.id)),
            steward_organisation_pid=account.steward_organisation_pid,
        )

    def decide(self, identity, user_id, verb):
        """The endpoints' decision on ``verb`` (read, update, delete) of a person, also
        the UI's buttons (``/api/permissions/users/<id>``)."""
        subject = self.subject(user_id)
        if verb == "delete":
            if not policy.is_network_admin(identity):
                return policy.decide(identity, "usr-delete")  # nobody else holds it: 401/403
            if subject.records:
                return policy.Decision(False, Conflict, "The person still has patron records; delete them first.")
            return policy.ALLOWED
        return policy.decide_user(identity, subject, verb)

    def registration_token(self, identity, user_id):
        """A short-lived proof that the caller found this person by the identifier
        they gave (the lookup): bound to the caller and the person."""
        return _token_serializer().dumps({"by": person_of(identity).user_id, "user": user_id})

    def registration_allowed(self, identity, user_id, organisation_pid, token):
        """May the caller register ``user_id`` in ``organisation_pid``? Unknown and
        inaccessible people answer alike (False)."""
        try:
            subject = self.subject(user_id)
        except NotFound:
            return False
        if policy.registers_without_token(identity, subject, organisation_pid):
            return True
        if not isinstance(token, str) or not token:
            return False
        try:
            claims = _token_serializer().loads(token, max_age=current_app.config["REGISTRATION_TOKEN_MAX_AGE"])
        except BadData:
            return False
        return claims == {"by": person_of(identity).user_id, "user": subject.user_id}

    def hold(self, user_id, organisation_pid):
        """``organisation_pid`` now holds (or last held) a patron record of the person."""
        account = db.session.get(User, int(user_id))
        if account is not None and account.steward_organisation_pid != organisation_pid:
            account.steward_organisation_pid = organisation_pid

    # --- operations ----------------------------------------------------------------
    @unit_of_work
    def create(self, identity, data, uow=None, password_hash=GENERATE):
        """Returns ``(record, generated password or None)``.

        ``password_hash`` (the import, which checks and hashes passwords in bulk): the hash
        to store as it is, None for no usable password; the body's password is then ignored."""
        policy.require(identity, "ptrn-create")
        stored, errors = self.load_new(data)
        password = data.get("password")
        generated = None
        if password_hash is GENERATE and password is None:
            generated = password = generate_password()
        elif password_hash is GENERATE:
            errors += self._password_errors(password)
        if errors:
            raise ValidationError(errors=errors)
        account = User(
            username=stored["username"],
            email=stored.get("email"),
            password=hash_password(password) if password_hash is GENERATE else password_hash,
            steward_organisation_pid=person_of(identity).organisation_pid,
        )
        with conflicts_as_409(CONFLICTS):
            db.session.add(account)
        record = UserRecord.create(stored, user_id=account.id)
        uow.index(record)
        return record, generated

    def load_new(self, data):
        """``create``'s checks of a new person's personal data, without the password
        (the bulk import checks and hashes passwords apart): ``(stored form, errors)``."""
        stored, _, _ = _split(data)
        return stored, personal_data_errors(stored, clock.today())

    def get(self, identity, user_id):
        record = self._get(user_id)
        policy.require_decision(self.decide(identity, user_id, "read"))
        return record

    def read(self, identity, user_id):
        return self.envelope(self.get(identity, user_id))

    @unit_of_work
    def update(self, identity, user_id, data, revision=None, uow=None, password_hash=KEEP):
        """``password_hash`` (the import): a hash to store as it is instead of the body's password."""
        record = self._get(user_id, for_update=True)
        subject = self.subject(user_id)
        policy.require_decision(policy.decide_user(identity, subject, "update"))
        check_revision(record, revision)
        stored, password, current = _split(data)
        before = dict(record)
        account = db.session.get(User, user_id)
        changes_login = _changes_login(account, stored, password)
        errors = personal_data_errors(stored, clock.today(), require_personal=self._had_personal(before))
        errors += self._self_service_errors(identity, account, before, stored, changes_login, current)
        if password is not None:
            errors += self._password_errors(password)
        if errors:
            raise ValidationError(errors=errors)
        if changes_login:
            policy.require_decision(policy.decide_account_change(identity, subject))
        account.username, account.email = stored["username"], stored.get("email")
        if password is not None:
            set_password(account, password)  # ends the person's other sessions
        if password_hash is not KEEP:
            account.password = password_hash
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
        if not policy.is_network_admin(identity):
            policy.require(identity, "usr-delete")  # nobody else holds it: 401/403
        record = self._get(user_id, for_update=True)
        check_revision(record, revision)
        policy.require_decision(self.decide(identity, user_id, "delete"))
        uow.unindex(record)
        record.delete()
        db.session.delete(db.session.get(User, user_id))
        signals.user_erased.send(current_app._get_current_object(), user_id=user_id, uow=uow)

    def lookup(self, identity, q):
        """The "already registered?" lookup: exact, case-insensitive, from the database:
        the person's ``policy.Subject``, or None."""
        policy.require(identity, "ptrn-create")
        q = (q or "").strip()
        if not q:
            return None
        kind, _, value = q.partition(":")
        if kind in ("email", "username") and value:
            accounts = self._find(kind, value.strip())
        else:
            accounts = self._find("email", q) or self._find("username", q)
        if not accounts:
            return None
        subject = self.subject(accounts[0].id)
        return subject if policy.found_by_lookup(subject) else None

    def registration_lookup(self, identity, q):
        """``GET /api/users/?q=``: 0 or 1 envelope, with the person's patron records."""
        subject = self.lookup(identity, q)
        if subject is None:
            return []
        patrons = [
            {"pid": r.pid, "organisation": {"pid": r.organisation_pid}, "roles": sorted(r.roles)}
            for r in subject.records
        ]
        extra = {"patrons": patrons, "registration_token": self.registration_token(identity, subject.user_id)}
        return [self.envelope(UserRecord.get_by_user_id(subject.user_id), extra)]

    # --- helpers -------------------------------------------------------------------
    def _find(self, column, value):
        field = getattr(User, column)
        # the roles in the same query (the relationship's selectin load would be one more)
        query = db.session.query(User).options(joinedload(User.roles)).filter(func.lower(field) == value.lower())
        return query.limit(1).all()

    def _get(self, user_id, for_update=False):
        return UserRecord.get_by_pid(_user_id(user_id), for_update=for_update)

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

    def _self_service_errors(self, identity, account, before, stored, changes_login, current):
        person = person_of(identity)
        if person.user_id != account.id or SUPERUSER in person.roles:
            return []
        errors = [
            FieldError(f, "You cannot change this field yourself; ask your library.")
            for f in LOCKED_FOR_SELF
            if stored.get(f) != before.get(f)
        ]
        if changes_login:
            if not current:
                errors.append(
                    FieldError("current_password", "Your current password is required to change your password, email or username.")
                )
            elif not account.password or not passwords.verify(current, account.password):
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


def _user_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _changes_login(account, stored, password):
    """The body sets a password, or changes the email or the username (case aside for neither)."""
    return (
        password is not None
        or (stored.get("email") or None) != (account.email or None)
        or stored.get("username") != account.username
    )


def _token_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="rero-ils-users.registration")
