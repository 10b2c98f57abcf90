"""The set-based path of the import (PostgreSQL): the new people of a batch written
with one INSERT per table.

A row goes this way when nothing the database holds or an earlier row of its batch
names its username, email or barcodes: a new person with one patron record. It is
checked by the services' own rules (``users.load_new``, ``patrons.load_new``, with
the reference data the import read at its start instead of once per row), then the batch's
accounts, user records, patron records, barcodes, revisions, audit entries and
index queue rows go in with one statement per table, in the batch's transaction.
Every other row (a known person, a duplicate within the batch) goes through the
services, row by row. The unique indexes still decide: a violation (a concurrent
writer) fails the batch, which the importer then writes again row by row."""

import uuid

from invenio_db import db
from sqlalchemy import func, insert

from ..accounts.models import User, utcnow
from ..errors import DomainError, FieldError
from ..patrons.api import Patron, PatronBarcode
from ..patrons.service import patrons
from ..permissions import policy
from ..records import audit, bulk, indexer
from ..records.refs import load_ref
from ..users.api import UserRecord
from ..users.service import users
from . import matching
from .rows import row_field


class ImportReferences:
    """The reference checks of ``load_patron`` (patrons.validation), answered from the
    organisations, libraries and patron types the import read once (``rows.Lookups``)."""

    def __init__(self, lookups):
        self.organisations = set(lookups.org_pids)
        self.libraries = {org: set(by_code.values()) for org, by_code in lookups.libraries.items()}
        self.types = {pid: org for org, types in lookups.types.items() for pid, _ in types}

    def organisation_exists(self, pid):
        return pid in self.organisations

    def library_pids(self, organisation_pid):
        return self.libraries.get(organisation_pid, set())

    def patron_type_organisation(self, pid):
        return self.types.get(pid)


def _lower(value):
    return value.lower() if isinstance(value, str) and value else None


def _barcode_keys(record):
    org = load_ref(record.get("organisation"), "organisations", "organisation")
    barcodes = (record.get("patron") or {}).get("barcode") or []
    if isinstance(org, FieldError) or not isinstance(barcodes, list):
        return []
    return [(org["pid"], b.strip()) for b in barcodes if isinstance(b, str)]


def row_keys(p):
    """What names a person in a prepared row: its username, email and barcodes (any case
    for the first two, as the matching), e.g. ``("email", "a@b.ch")``."""
    keys = {(column, value) for column in ("username", "email") if (value := _lower(p.user.get(column)))}
    return keys | {("barcode", *key) for key in _barcode_keys(p.record)}


def problems(exc):
    """A service's refusal as the import's field errors (columns of the row)."""
    return [FieldError(row_field(e.field), e.message) for e in (exc.errors or [FieldError(None, exc.message)])]


class BulkWriter:
    """``split`` a batch into new people and the rest; ``write`` the new people."""

    def __init__(self, identity, lookups):
        self.identity, self.refs = identity, ImportReferences(lookups)

    def split(self, batch):
        """``(new, rest, accounts)``: the rows that can go the set-based way, the others, and
        the accounts the batch's usernames and emails name (``_accounts``, for ``unchanged``)."""
        accounts = self._accounts(batch)
        codes = {key for p in batch for key in _barcode_keys(p.record)}
        taken_names = {value for column, value in accounts if column == "username"}
        taken_emails = {value for column, value in accounts if column == "email"}
        taken_codes = set()
        if codes:
            query = db.session.query(PatronBarcode.organisation_pid, PatronBarcode.barcode)
            taken_codes = {tuple(row) for row in query.filter(PatronBarcode.barcode.in_({b for _, b in codes}))} & codes
        new, rest = [], []
        for p in batch:
            name, email, keys = _lower(p.user.get("username")), _lower(p.user.get("email")), _barcode_keys(p.record)
            if (name and name in taken_names) or (email and email in taken_emails) or taken_codes.intersection(keys) or len(set(keys)) < len(keys):
                rest.append(p)
                continue
            new.append(p)
            taken_names.add(name)
            taken_emails.add(email)
            taken_codes.update(keys)
        return new, rest, accounts

    def unchanged(self, rest, accounts):
        """``(unchanged, others)``: the rows of ``rest`` that name a known person (as
        ``write_row`` finds them) and say nothing new of them or of their record in the
        row's organisation, decided with one query per table instead of ten per row (a
        re-run of a file). Anything else, or a person two rows of the batch name, is
        left to the services. ``accounts``: those ``split`` found."""
        matches = [(p, self._match(p, accounts)) for p in rest]
        named = [account.id for _, (_, account) in matches if account is not None]
        twice = {user_id for user_id in named if named.count(user_id) > 1} if len(set(named)) < len(named) else set()
        ids = set(named) - twice
        known = {m.user_id: UserRecord(m.json, model=m) for m in self._rows(UserRecord.model_cls, ids)}
        records = {(m.user_id, m.organisation_pid): Patron(m.json, model=m) for m in self._rows(Patron.model_cls, ids)}
        same, others = [], []
        for p, (column, account) in matches:
            if account is not None and account.id in ids and self._says_nothing_new(p, column, account, known, records):
                same.append(p)
            else:
                others.append(p)
        return same, others

    def _says_nothing_new(self, p, column, account, known, records):
        person = known.get(account.id)
        if person is None:
            return False
        try:
            matching.check_same_person(column, person, p.user)
        except DomainError:
            return False
        if matching.merged_personal_data(person, p.user) != matching.plain(person) or matching.gets_a_password(account, p.stored_password):
            return False
        org = load_ref(p.record.get("organisation"), "organisations", "organisation")
        record = None if isinstance(org, FieldError) else records.get((account.id, org["pid"]))
        if record is None:
            return False
        try:
            loaded = patrons.load(self.identity, {**p.record, "user_id": account.id}, record, refs=self.refs, user=person)
        except DomainError:
            return False
        return loaded == matching.plain(record)

    @staticmethod
    def _accounts(rows):
        """The accounts the rows' usernames and emails name: ``{(column, lower value): account}``."""
        found = {}
        for column in ("username", "email"):
            values = {v for p in rows if (v := _lower(p.user.get(column)))}
            attribute = func.lower(getattr(User, column))
            for account in db.session.query(User).filter(attribute.in_(values)) if values else ():
                found[(column, getattr(account, column).lower())] = account
        return found

    @staticmethod
    def _match(p, accounts):
        """``(column, account)`` as ``batches.find_account``: username first, then email."""
        for column in ("username", "email"):
            account = accounts.get((column, _lower(p.user.get(column))))
            if account is not None:
                return column, account
        return None, None

    @staticmethod
    def _rows(model, user_ids):
        if not user_ids:
            return []
        return db.session.query(model).filter(model.user_id.in_(user_ids), model.json.isnot(None)).all()

    def write(self, new):
        """Check and insert the new people; ``(written rows, refused [(row, errors)], queue ids,
        records)``: ``records`` by ``(resource, pid)``, to index without reading them back."""
        if not new:
            return [], [], [], {}
        policy.require(self.identity, "ptrn-create")
        user_ids = bulk.next_ids(User.__tablename__, len(new))
        checked, refused = [], []
        for p, user_id in zip(new, user_ids, strict=True):
            stored, errors = users.load_new(p.user)
            if errors:
                refused.append((p, problems(DomainError(errors=errors))))
                continue
            try:
                record = patrons.load_new(self.identity, {**p.record, "user_id": user_id}, stored, self.refs)
            except DomainError as exc:
                refused.append((p, problems(exc)))
                continue
            checked.append((p, user_id, stored, record))
        return [p for p, *_ in checked], refused, *self._insert(checked)

    def _insert(self, checked):
        if not checked:
            return [], {}
        now = utcnow()
        db.session.execute(insert(User.__table__), [
            {"id": user_id, "username": stored["username"], "email": stored.get("email"), "password": p.stored_password,
             "active": True, "fs_uniquifier": uuid.uuid4().hex, "created": now,
             "steward_organisation_pid": record["organisation"]["pid"]}
            for p, user_id, stored, record in checked
        ])
        users_written = bulk.insert_records(UserRecord, [(str(user_id), stored, {"user_id": user_id}) for _, user_id, stored, _ in checked])
        pids = bulk.mint_pids(Patron, len(checked))
        patrons_written = bulk.insert_records(Patron, [
            (pid, record, patrons.columns(record)) for pid, (_, _, _, record) in zip(pids, checked, strict=True)
        ])
        barcodes = [
            {"organisation_pid": record["organisation"]["pid"], "barcode": barcode, "patron_pid": pid}
            for pid, (_, _, _, record) in zip(pids, checked, strict=True)
            for barcode in record.get("patron", {}).get("barcode", [])
        ]
        if barcodes:
            db.session.execute(insert(PatronBarcode.__table__), barcodes)
        audit.record_created(
            [("users", r.pid, r, r.user_id, None) for r in users_written]
            + [("patrons", r.pid, r, r["user_id"], r["organisation"]["pid"]) for r in patrons_written]
        )
        ids = indexer.enqueue_many("users", [r.pid for r in users_written]) + indexer.enqueue_many("patrons", pids)
        return ids, {(r.resource, r.pid): r for r in users_written + patrons_written}
