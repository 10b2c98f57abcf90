"""Patrons: one person's management data in one organisation."""

from datetime import date

from flask import current_app
from invenio_db import db

from .. import clock
from ..errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationError
from ..libraries.api import Library
from ..organisations.api import Organisation
from ..patron_types.api import PatronType
from ..permissions import policy
from ..permissions.needs import person_of
from ..permissions.policy import Target
from ..permissions.roles import PATRON, PRO_FULL, is_professional
from ..records.refs import dump_ref
from ..records.service import RecordService, envelope
from ..records.uow import unit_of_work
from ..users.api import UserRecord
from ..users.service import users
from . import search, signals
from .api import Patron, PatronBarcode
from .validation import STORED, load_patron

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


def _library_pids(record):
    return [lib["pid"] for lib in record.get("libraries", [])]


class PatronService(RecordService):
    """Patron records: the record base's create/read/update/delete/search, plus the
    rules of API.md section 3 (roles a caller may manage, barcodes, one full librarian)."""

    record_cls = Patron
    action = "ptrn"
    conflicts = CONFLICTS

    # --- hooks of the record base --------------------------------------------------
    def target(self, record):
        return target(record)

    def load(self, identity, data, record=None, refs=STORED, user=None):
        """``refs``, ``user``: see ``load_patron`` (the import's check of a re-run)."""
        data = dict(data)
        token = data.pop("registration_token", None)
        if record is not None:
            return load_patron(data, record, refs=refs, user=user)

        def registrable(user_id, organisation_pid):
            # an invalid organisation is judged as the caller's own (the only one they may register in)
            organisation_pid = organisation_pid or person_of(identity).organisation_pid
            return users.registration_allowed(identity, user_id, organisation_pid, token)

        return load_patron(data, registrable=registrable)

    def load_new(self, identity, data, user, refs):
        """``create``'s checks of a record whose person is written in the same batch (the
        bulk import: ``user`` their personal data, ``refs`` the reference data read once):
        the stored form; raises as ``create`` does."""
        data = {k: v for k, v in data.items() if k != "registration_token"}
        stored = load_patron(data, refs=refs, user=user)
        policy.require(identity, "ptrn-create", target(stored))
        self.check_create(identity, stored)
        return stored

    def columns(self, stored):
        return {
            "user_id": stored["user_id"],
            "organisation_pid": stored["organisation"]["pid"],
            "professional": is_professional(stored["roles"]),
        }

    def check_create(self, identity, stored):
        self._check_scope(identity, target(stored), {"roles": [], "libraries": []}, stored)

    def check_update(self, identity, record, stored):
        self._check_scope(identity, target(record), record, stored)
        self._keep_a_full_librarian(record, stored["roles"])

    def after_write(self, record):
        self._write_barcodes(record)
        users.hold(record["user_id"], record["organisation"]["pid"])

    def before_delete(self, identity, record, uow):
        refused = policy.refused_on_delete(identity, record["roles"])
        if refused:
            raise PermissionDenied(f"Unable to manage role(s): {', '.join(refused)}")
        self._keep_a_full_librarian(record, [])
        signals.patron_deleted.send(current_app._get_current_object(), record=record, uow=uow)
        db.session.query(PatronBarcode).filter_by(patron_pid=record.pid).delete()
        users.hold(record["user_id"], record["organisation"]["pid"])

    def search_filters(self, identity):
        return []  # patron filters come from the request's parameters (search.filters)

    # --- access --------------------------------------------------------------------
    def _check_scope(self, identity, scope, before, after):
        """Roles and libraries added or removed must be ones the caller may manage (400)."""
        refused = policy.refused_roles(identity, scope, before["roles"], after["roles"])
        if refused:
            raise ValidationError.on("roles", f"Unable to manage role(s): {', '.join(refused)}")
        libraries = policy.refused_libraries(identity, _library_pids(before), _library_pids(after))
        if libraries:
            raise ValidationError.on(
                "libraries",
                f"Unable to add library(ies): {', '.join(libraries)}; only their own staff or pro_full_permissions may.",
            )

    def last_full_librarian(self, record, lock=False):
        """Why ``record`` may not lose pro_full_permissions (the organisation's last), or None."""
        if PRO_FULL not in record["roles"]:
            return None
        others = (
            db.session.query(Patron.model_cls)
            .filter(Patron.model_cls.organisation_pid == record["organisation"]["pid"])
            .filter(Patron.model_cls.pid != record["pid"])
        )
        if lock:
            others = others.with_for_update()
        if any(PRO_FULL in (m.json or {}).get("roles", []) for m in others.all()):
            return None
        return "The organisation must keep at least one pro_full_permissions patron."

    def _keep_a_full_librarian(self, record, roles_after):
        """An organisation always keeps one pro_full_permissions record (rows locked)."""
        if PRO_FULL in roles_after:
            return
        message = self.last_full_librarian(record, lock=True)
        if message:
            raise Conflict.on("roles", message)

    def get(self, identity, pid, for_update=False, action="ptrn-read"):
        record = Patron.get_by_pid(pid, for_update=for_update)
        policy.require(identity, action, target(record))
        return record

    # --- write ---------------------------------------------------------------------------
    def _write_barcodes(self, record):
        db.session.query(PatronBarcode).filter_by(patron_pid=record["pid"]).delete()
        db.session.flush()
        for barcode in _barcodes(record):
            db.session.add(PatronBarcode(organisation_pid=record["organisation"]["pid"], barcode=barcode, patron_pid=record["pid"]))

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

    # --- search ----------------------------------------------------------------------
    def search(self, identity, args, page=1, size=10):
        """``GET /api/patrons/``: ``args`` are the request's parameters (API.md section 3)."""
        policy.require(identity, "ptrn-search")
        q = (args.get("q") or "").strip()
        query = search.text_query(q) if q else {"match_all": {}}
        sort = search.sort(args.get("sort"))
        return self.run_search(identity, query, search.filters(identity, args), page, size, sort, search.aggregations())

    def duplicates(self, identity, args, page=1, size=10):
        """``GET /api/users/duplicates``: likely duplicates among the caller's patron records."""
        policy.require(identity, "ptrn-search")
        birth_date = args.get("birth_date") or None
        if birth_date:
            try:
                date.fromisoformat(birth_date)
            except ValueError:
                raise ValidationError.on("birth_date", "A real date written YYYY-MM-DD.") from None
        first, last = args.get("first_name", "").strip(), args.get("last_name", "").strip()
        if not (first or last):
            raise ValidationError.on("last_name", "Give at least a first or a last name.")
        query = search.duplicates_query(first, last, birth_date)
        return self.run_search(identity, query, search.filters(identity, args), page, size)

    def normalise(self, response):
        return search.normalise_aggregations(response)

    def dump_hit(self, identity, source):
        stored = {k: v for k, v in source.items() if k not in ("user", "sort_name")}
        user = dict(source.get("user") or {})
        user.pop("birth_year", None)
        user.pop("pid", None)
        user["id"] = source.get("user_id")
        return self.dump(identity, stored, user=user)

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

    def account(self, identity):
        """``GET /api/patrons/me``: the caller's patron accounts, as the patron sees them
        (no staff notes; organisation and patron type named)."""
        hits = []
        for record in me(identity):
            data = self.dump(identity, record)
            data["notes"] = [n for n in data.get("notes", []) if n["type"] != "staff_note"]
            data["organisation"]["name"] = Organisation.get_by_pid(record["organisation"]["pid"])["name"]
            data["patron"]["type"]["name"] = PatronType.get_by_pid(record["patron"]["type"]["pid"])["name"]
            hits.append(envelope("patrons", record.pid, data, record.revision, record.created, record.updated))
        return hits

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
    records = [
        r for r in Patron.of_user(person.user_id) if PATRON in r["roles"] and policy.can(identity, "ptrn-account", target(r))
    ]
    if not records:
        raise PermissionDenied("You have no patron account.")
    return records
