"""Patrons: one person's management data in one organisation."""

from datetime import date

from flask import current_app
from invenio_db import db

from .. import clock
from ..errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationError
from ..libraries.api import Library
from ..permissions import policy
from ..permissions.needs import person_of
from ..permissions.policy import Target
from ..permissions.roles import PATRON, PRO_FULL, SUPERUSER, assignable_by, is_professional
from ..records.refs import dump_ref
from ..records.service import check_revision, conflicts_as_409, envelope
from ..records.uow import unit_of_work
from ..users.api import UserRecord
from . import signals
from .api import Patron, PatronBarcode
from .validation import load_patron

_SAME_ORG = ("user_id", "This person already has a patron record in this organisation.")
_ONE_PRO = ("roles", "This person already has a professional record in another organisation.")
_BARCODE = ("patron.barcode", "This barcode is already used in the organisation.")
# PostgreSQL names the constraint; SQLite (quick local run) lists its columns: longest first
CONFLICTS = {
    "uq_patrons_user_organisation": _SAME_ORG,
    "patrons_metadata.user_id, patrons_metadata.organisation_pid": _SAME_ORG,
    "uq_patrons_one_professional": _ONE_PRO,
    "patrons_metadata.user_id": _ONE_PRO,
    "pk_patron_barcodes": _BARCODE,
    "patron_barcodes.organisation_pid": _BARCODE,
}


def target(record):
    return Target(
        organisation_pid=record["organisation"]["pid"],
        library_pids=frozenset(lib["pid"] for lib in record.get("libraries", [])),
        owner_user_id=record["user_id"],
        professional=is_professional(record["roles"]),
    )


def _barcodes(record):
    return record.get("patron", {}).get("barcode", [])


class PatronService:
    # --- access --------------------------------------------------------------------
    def _check_roles(self, identity, before, after):
        """Each role added or removed must be one the caller may manage (400 otherwise)."""
        person = person_of(identity)
        if SUPERUSER in person.roles:
            return
        changed = set(before) ^ set(after)
        refused = sorted(changed - assignable_by(person.pro_roles))
        if refused:
            raise ValidationError.on("roles", f"Unable to manage role(s): {', '.join(refused)}")

    def _keep_a_full_librarian(self, record, roles_after):
        """An organisation always keeps one pro_full_permissions record."""
        if PRO_FULL not in record["roles"] or PRO_FULL in roles_after:
            return
        others = (
            db.session.query(Patron.model_cls)
            .filter(Patron.model_cls.organisation_pid == record["organisation"]["pid"])
            .filter(Patron.model_cls.pid != record["pid"])
            .with_for_update()
            .all()
        )
        if not any(PRO_FULL in (m.json or {}).get("roles", []) for m in others):
            raise Conflict.on("roles", "The organisation must keep at least one pro_full_permissions patron.")

    def get(self, identity, pid, action="ptrn-read", for_update=False):
        record = Patron.get_by_pid(pid, for_update=for_update)
        policy.require(identity, action, target(record))
        return record

    # --- write ---------------------------------------------------------------------------
    def _columns(self, record):
        return {"professional": is_professional(record["roles"])}

    def _write_barcodes(self, record):
        db.session.query(PatronBarcode).filter_by(patron_pid=record["pid"]).delete()
        db.session.flush()
        for barcode in _barcodes(record):
            db.session.add(PatronBarcode(organisation_pid=record["organisation"]["pid"], barcode=barcode, patron_pid=record["pid"]))

    @unit_of_work
    def create(self, identity, data, uow=None):
        policy.require(identity, "ptrn-create")
        stored = load_patron(data)
        policy.require(identity, "ptrn-create", target(stored))
        self._check_roles(identity, [], stored["roles"])
        with conflicts_as_409(CONFLICTS):
            record = Patron.create(
                stored, user_id=stored["user_id"], organisation_pid=stored["organisation"]["pid"], **self._columns(stored)
            )
            self._write_barcodes(record)
        uow.index(record)
        return record

    @unit_of_work
    def update(self, identity, pid, data, revision=None, uow=None):
        record = self.get(identity, pid, "ptrn-update", for_update=True)
        check_revision(record, revision)
        stored = load_patron(data, record)
        policy.require(identity, "ptrn-update", target(stored))
        self._check_roles(identity, record["roles"], stored["roles"])
        self._keep_a_full_librarian(record, stored["roles"])
        stored["pid"], stored["$schema"] = record["pid"], record["$schema"]
        record.clear()
        record.update(stored)
        with conflicts_as_409(CONFLICTS):
            record.commit(professional=is_professional(stored["roles"]))
            self._write_barcodes(record)
        uow.index(record)
        return record

    @unit_of_work
    def delete(self, identity, pid, revision=None, uow=None):
        record = self.get(identity, pid, "ptrn-delete", for_update=True)
        check_revision(record, revision)
        person = person_of(identity)
        if SUPERUSER not in person.roles:
            refused = sorted(set(record["roles"]) - assignable_by(person.pro_roles))
            if refused:
                raise PermissionDenied(f"Unable to manage role(s): {', '.join(refused)}")
        self._keep_a_full_librarian(record, [])
        signals.patron_deleted.send(current_app._get_current_object(), record=record, uow=uow)
        db.session.query(PatronBarcode).filter_by(patron_pid=record.pid).delete()
        uow.unindex(record)
        record.delete()

    @unit_of_work
    def sync_channels(self, user_id, had_email, has_email, uow=None):
        """The user's email appeared or vanished: switch their records' channel."""
        for record in Patron.of_user(user_id):
            patron = record.get("patron")
            if not patron:
                continue
            if has_email and not had_email and patron["communication_channel"] == "mail":
                patron["communication_channel"] = "email"
            elif had_email and not has_email and not patron.get("additional_communication_email"):
                patron["communication_channel"] = "mail"
            else:
                continue
            record.commit()
            uow.index(record)

    # --- read ------------------------------------------------------------------------------
    def dump(self, identity, record, user=None):
        data = {k: v for k, v in record.items() if k != "$schema"}
        data["organisation"] = dump_ref("organisations", record["organisation"])
        if "libraries" in record:
            data["libraries"] = [dump_ref("libraries", lib) for lib in record["libraries"]]
        if "patron" in record:
            patron = dict(record["patron"])
            patron["type"] = dump_ref("patron_types", patron["type"])
            patron["expired"] = clock.today() >= _date(patron["expiration_date"])
            data["patron"] = patron
        if user is None:
            user = _user_data(record["user_id"])
        data["user"] = user
        return data

    def envelope(self, identity, record):
        return envelope("patrons", record.pid, self.dump(identity, record), record.revision, record.created, record.updated)

    def read(self, identity, pid):
        return self.envelope(identity, self.get(identity, pid))

    def circulation(self, identity, pid, action):
        if action not in ("checkout", "renew", "request"):
            raise ValidationError.on("action", "Must be one of: checkout, renew, request.")
        record = self.get(identity, pid)
        reasons, messages = [], []
        patron = record.get("patron") or {}
        if PATRON not in record["roles"]:
            reasons.append("not_patron")
            messages.append("This person is not a patron of the organisation.")
        if patron.get("blocked"):
            reasons.append("blocked")
            messages.append(f"The patron is blocked: {patron.get('blocked_note', '')}")
        if patron.get("expiration_date") and clock.today() >= _date(patron["expiration_date"]):
            reasons.append("expired")
            messages.append(f"The patron's account expired on {patron['expiration_date']}.")
        return {"allowed": not reasons, "reasons": reasons, "messages": messages}

    def notification_recipients(self, identity, pid):
        return self.recipients(self.get(identity, pid))

    def recipients(self, record):
        """Where a notification for this patron goes (API.md section 3)."""
        patron = record.get("patron")
        if PATRON not in record["roles"] or not patron:
            return {"channel": None, "recipients": [], "language": None}
        channel = patron["communication_channel"]
        if channel == "email":
            user = UserRecord.get_by_pid(record["user_id"])
            addresses = [a for a in (user.get("email"), patron.get("additional_communication_email")) if a]
            recipients = list(dict.fromkeys(addresses))
        else:
            recipients = [email] if (email := self._printing_address(record)) else []
        return {"channel": channel, "recipients": recipients, "language": patron["communication_language"]}

    def _printing_address(self, record):
        pids = [lib["pid"] for lib in record.get("libraries", [])]
        if not pids:
            org_libs = sorted(Library.pids_of_organisation(record["organisation"]["pid"]), key=int)
            pids = org_libs[:1]
        for pid in pids:
            try:
                return Library.get_by_pid(pid).get("email")
            except NotFound:
                continue
        return None


def _date(value):
    return date.fromisoformat(value)


def _user_data(user_id):
    try:
        user = UserRecord.get_by_pid(user_id)
    except NotFound:
        return {}
    data = {k: v for k, v in user.items() if k not in ("$schema", "pid")}
    data["id"] = user.user_id
    return data


patrons = PatronService()


def me(identity):
    """The logged-in person's patron accounts (records with the patron role)."""
    person = person_of(identity)
    if not person.authenticated:
        raise NotAuthenticated()
    policy.require(identity, "ptrn-account")  # the patron role grants it; a per-user deny withdraws it
    records = [r for r in Patron.of_user(person.user_id) if PATRON in r["roles"]]
    if not records:
        raise PermissionDenied("You have no patron account.")
    return records
