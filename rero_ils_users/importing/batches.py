"""Import rows written through the user and patron services, a batch at a time.

A batch is one transaction: its rows are written, committed together, then their
index queue rows are sent to the index in one bulk request. When any row of a batch
fails, the batch is rolled back and written again row by row, each row its own
transaction: a bad row never stops the others and never leaves half a person.
Uniqueness (usernames, emails, barcodes, one record per organisation) is decided by
the database's constraints, as for the API.

A row whose username (any case), else email, names an existing person updates that
person (personal data, and their record in the row's organisation, or a new record
there); a row whose personal data says it is someone else is rejected.
"""

from dataclasses import dataclass

from invenio_db import db
from sqlalchemy import func

from ..accounts.models import User
from ..errors import DomainError, FieldError, NotFound, ValidationError
from ..patrons.api import Patron
from ..patrons.service import patrons
from ..permissions.needs import system_identity
from ..records import indexer
from ..records.models import IndexQueue
from ..records.refs import load_ref
from ..records.uow import UnitOfWork
from ..users.api import UserRecord
from ..users.service import KEEP, users
from . import bulk, matching
from .passwords import PLAIN, Hasher, RowPassword, classify
from .readers import BadRow
from .report import CREATED, UNCHANGED, UPDATED
from .rows import Lookups, to_service_data


@dataclass
class Prepared:
    """A row that passed the checks made without the database."""

    number: int
    row: object  # as read, for the rejects file
    user: dict  # personal data, without the password
    record: dict  # patron record data, without user_id
    password: RowPassword
    stored_password: str | None = None


class ImportUnitOfWork(UnitOfWork):
    """Collects the index queue rows; the importer commits and indexes in bulk."""

    def __init__(self):
        super().__init__()
        self.ids = []

    def settle(self):
        """Flush one row's writes and let go of its objects: the version tracker
        (SQLAlchemy-Continuum) scans every versioned object of the session at each
        flush, which made a batch quadratic in its size."""
        db.session.flush()
        self.ids += [row.id for row in self._queued]
        self._queued = []
        db.session.expunge_all()

    def take_ids(self):
        self.settle()
        ids, self.ids = self.ids, []
        return ids

    def forget(self):
        self._queued, self.ids = [], []

    def forget_row(self):
        """Drop the queue rows of the row whose savepoint was rolled back (the batch's stay)."""
        self._queued = []


def find_account(user):
    """``(column, account)`` whose username, else email, is the row's (any case)."""
    for column in ("username", "email"):
        value = user.get(column)
        if isinstance(value, str) and value:
            account = db.session.query(User).filter(func.lower(getattr(User, column)) == value.lower()).first()
            if account is not None:
                return column, account
    return None, None


def _problems(exc):
    if isinstance(exc, DomainError):
        return bulk.problems(exc)
    return [FieldError(None, f"{type(exc).__name__}: {exc}")]


def index_queued(ids, known=None):
    """Send the documents of these index queue rows to the index, in bulk (``known``:
    records just written, by ``(resource, pid)``, not read back)."""
    if ids:
        rows = db.session.query(IndexQueue).filter(IndexQueue.id.in_(ids)).order_by(IndexQueue.id).all()
        indexer.process(rows, known=known)


class Importer:
    """Feed it rows (``run``); it fills ``summary`` and the optional rejects file.

    ``convert(row) -> (row, errors)`` turns another format's row into an import row
    (RERO ILS). ``dry_run``: everything is checked and written in one transaction,
    which is rolled back at the end."""

    def __init__(self, summary, rejects=None, batch=500, dry_run=False, convert=None):
        self.summary, self.rejects, self.batch_size, self.dry_run = summary, rejects, max(1, batch), dry_run
        self.convert = convert
        self.identity = system_identity()
        self.lookups = Lookups()
        self.uow = ImportUnitOfWork()
        # the set-based path needs PostgreSQL's sequences; the quick local run (SQLite) writes row by row
        self.bulk = bulk.BulkWriter(self.identity, self.lookups) if db.engine.dialect.name == "postgresql" else None

    def run(self, rows, progress=None):
        batch = []
        try:
            try:
                for number, row in enumerate(rows, start=1):
                    self.summary.total += 1
                    prepared = self.prepare(number, row)
                    if prepared is not None:
                        batch.append(prepared)
                    if len(batch) >= self.batch_size:
                        full, batch = batch, []
                        self.submit(full)
                    if progress:
                        progress(1)
            finally:  # also when the file cannot be read further: the rows before are written
                if batch:
                    self.submit(batch)
                self.finish()
        finally:
            self.close()
            if self.dry_run:
                db.session.rollback()
        self.summary.problems.sort(key=lambda problem: problem[0])
        return self.summary

    # --- how batches are written: here, one after the other (``parallel`` writes several at once)
    hasher = None

    def submit(self, batch):
        self.hasher = self.hasher or Hasher()
        self.write_batch(batch, self.hasher)

    def finish(self):
        """Wait for the batches submitted (all written here already)."""

    def close(self):
        if self.hasher is not None:
            self.hasher.close()
            self.hasher = None

    # --- checks without the database -------------------------------------------------------
    def reject(self, number, errors, row):
        self.summary.reject(number, errors)
        if self.rejects is not None:
            self.rejects.write(number, errors, row)

    def prepare(self, number, row):
        original = row
        if isinstance(row, BadRow):
            return self.reject(number, [FieldError(None, row.message)], original)
        if not isinstance(row, dict):
            return self.reject(number, [FieldError(None, "A row is an object of fields.")], original)
        if self.convert is not None:
            row, errors = self.convert(row)
            if errors:  # references that do not resolve: nothing more to say of the row
                return self.reject(number, errors, original)
        user, record, errors = to_service_data(row, self.lookups)
        password, password_errors = classify(user.pop("password", None))
        errors += password_errors
        if errors:
            return self.reject(number, errors, original)
        return Prepared(number, original, user, record, password)

    # --- writing -----------------------------------------------------------------------------
    def _hash(self, batch, hasher, new=()):
        """Hash, on every core, the plain passwords that will be stored: new people's, and
        those of people who have no password yet (a person's own password is kept)."""
        new, needed = {id(p) for p in new}, []
        for p in batch:
            if p.password.kind == PLAIN and id(p) not in new:
                _, account = find_account(p.user)
                needed.append(p.password if account is None or account.password is None else RowPassword("none"))
            else:
                needed.append(p.password)
        for p, stored in zip(batch, hasher.stored(needed), strict=True):
            p.stored_password = stored

    def write_batch(self, batch, hasher):
        """New people with one INSERT per table (``bulk``), the others through the
        services, each in a savepoint: a refused row is rejected alone. Anything else
        going wrong (a unique index violated by a concurrent writer) writes the batch
        again, row by row."""
        new, rest, accounts = self.bulk.split(batch) if self.bulk else ([], batch, {})
        self._hash(batch, hasher, new)
        same, rest = self.bulk.unchanged(rest, accounts) if self.bulk else ([], rest)
        savepoint = db.session.begin_nested()
        try:
            written, refused, queued, known = self.bulk.write(new) if new else ([], [], [], {})
            outcomes = [CREATED] * len(written) + [UNCHANGED] * len(same)
            for p in rest:
                outcome, problems = self.write_in_savepoint(p)
                if problems:
                    refused.append((p, problems))
                else:
                    outcomes.append(outcome)
            savepoint.commit()
        except Exception:  # noqa: BLE001 (any failure: the batch again, row by row)
            savepoint.rollback()
            self.uow.forget()
            self.row_by_row(batch)
            return
        self.index(self.commit(queued), known)
        for p, problems in sorted(refused, key=lambda item: item[0].number):
            self.reject(p.number, problems, p.row)
        for outcome in outcomes:
            self.summary.count(outcome)

    def write_in_savepoint(self, p):
        """``(outcome, None)``, or ``(None, problems)`` with the row's writes undone."""
        savepoint = db.session.begin_nested()
        try:
            outcome = self.write_row(p)
            self.uow.settle()
            savepoint.commit()
        except DomainError as exc:
            savepoint.rollback()
            self.uow.forget_row()
            return None, _problems(exc)
        return outcome, None

    def row_by_row(self, batch):
        queued = []
        for p in batch:
            savepoint = db.session.begin_nested()
            try:
                outcome = self.write_row(p)
                savepoint.commit()
            except Exception as exc:  # noqa: BLE001 (a bad row never stops the others)
                savepoint.rollback()
                self.uow.forget()
                self.reject(p.number, _problems(exc), p.row)
                continue
            queued += self.commit()
            self.summary.count(outcome)
        self.index(queued)

    def commit(self, queued=()):
        """End the transaction (not in a dry run); the ids of its index queue rows
        (``queued``: those the set-based path added)."""
        ids = [*queued, *self.uow.take_ids()]
        if self.dry_run:
            return []
        db.session.commit()
        return ids

    def index(self, ids, known=None):
        index_queued(ids, known)

    def write_row(self, p):
        """Create or update the person of one row; ``CREATED``, ``UPDATED`` or ``UNCHANGED``."""
        column, account = find_account(p.user)
        if account is None:
            user, _ = users.create(self.identity, p.user, uow=self.uow, password_hash=p.stored_password)
            patrons.create(self.identity, {**p.record, "user_id": user.user_id}, uow=self.uow)
            return CREATED
        try:
            known = UserRecord.get_by_user_id(account.id)
        except NotFound:
            raise ValidationError.on(column, f"This {column} belongs to an account without personal data.") from None
        matching.check_same_person(column, known, p.user)
        changed = self._update_user(account, known, p)
        organisation_pid = load_ref(p.record.get("organisation"), "organisations", "organisation")["pid"]
        record = next((r for r in Patron.of_user(account.id) if r.organisation_pid == organisation_pid), None)
        data = {**p.record, "user_id": account.id}
        if record is None:
            patrons.create(self.identity, data, uow=self.uow)
            return CREATED
        if patrons.load(self.identity, data, record) != matching.plain(record):
            patrons.update(self.identity, record.pid, data, uow=self.uow)
            changed = True
        return UPDATED if changed else UNCHANGED

    def _update_user(self, account, known, p):
        """Apply the row's personal data (fields it lacks are kept); a password only to
        someone who has none. True when something changed."""
        merged = matching.merged_personal_data(known, p.user)
        new_password = matching.gets_a_password(account, p.stored_password)
        if merged == matching.plain(known) and not new_password:
            return False
        users.update(self.identity, account.id, merged, uow=self.uow, password_hash=p.stored_password if new_password else KEEP)
        return True
