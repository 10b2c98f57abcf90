"""Bulk import of people: each row makes one patron record, and the user too
unless the row's username names the same person already (a person registered
in a second organisation keeps one account).

Every row is its own unit of work: the user and the patron record are created
in one transaction, so a rejected row leaves nothing behind and never stops the
others. Rows are committed one by one and indexed in bulk at the end (their
index queue rows are durable meanwhile). The row format is in docs/import.md.
"""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from invenio_db import db

from .errors import DomainError, FieldError
from .libraries.api import Library
from .organisations.api import Organisation
from .patron_types.api import PatronType
from .patrons.service import patrons
from .permissions.needs import system_identity
from .records import indexer
from .records.models import IndexQueue
from .records.uow import UnitOfWork
from .users.api import UserRecord
from .users.service import users

USER_FIELDS = (
    "username", "email", "password", "first_name", "last_name", "birth_date", "gender", "street",
    "postal_code", "city", "country", "home_phone", "business_phone", "mobile_phone", "other_phone", "keep_history",
)
PATRON_FIELDS = (
    "barcode", "communication_channel", "additional_communication_email", "communication_language",
    "expiration_date", "blocked", "blocked_note",
)
RECORD_FIELDS = ("organisation", "roles", "libraries", "patron_type", "local_codes", "public_note", "staff_note", "second_address")
SECOND_ADDRESS = ("street", "postal_code", "city", "country")
LISTS = ("roles", "libraries", "barcode", "local_codes")
KNOWN = set(USER_FIELDS + PATRON_FIELDS + RECORD_FIELDS) | {f"second_address.{f}" for f in SECOND_ADDRESS}
TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}



@dataclass
class Report:
    total: int = 0
    created: list = field(default_factory=list)  # (row, username, user id, patron pid)
    rejected: list = field(default_factory=list)  # (row, field, message)

    @property
    def rejected_rows(self):
        return sorted({row for row, _, _ in self.rejected})


# --- reading files ------------------------------------------------------------------------
def read_rows(path):
    """The rows of a ``.json`` (a list of objects) or ``.csv`` (``,`` between cells,
    ``;`` between list items) file, as dicts with CSV cells converted."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise ValueError("A JSON import file holds a list of objects.")
        return rows
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [_from_csv(row) for row in csv.DictReader(handle)]
    raise ValueError("The file name must end in .json or .csv.")


def _from_csv(row):
    data = {}
    for key, value in row.items():
        if key is None:  # more cells than headers
            data["_extra_cells"] = value
            continue
        key, value = key.strip(), (value or "").strip()
        if value == "":
            continue
        if key in LISTS:
            value = [item.strip() for item in value.split(";") if item.strip()]
        data[key] = value
    return data


# --- one row -> service data ----------------------------------------------------------------
def _boolean(row, name, errors):
    value = row.get(name)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    errors.append(FieldError(name, "true or false expected."))
    return None


class Lookups:
    """Codes and names of the reference records, read once per import (the
    services check the references again when they write)."""

    def __init__(self):
        self.orgs = {m.code: m.pid for m in Organisation.model_cls.query if m.json is not None}
        self.org_pids = set(self.orgs.values())
        self.libraries, self.types = {}, {}
        for m in Library.model_cls.query:
            if m.json is not None:
                self.libraries.setdefault(m.organisation_pid, {})[m.code] = m.pid
        for m in PatronType.model_cls.query:
            if m.json is not None:
                self.types.setdefault(m.organisation_pid, []).append((m.pid, m.json["name"].casefold()))

    def organisation(self, value, errors):
        if not isinstance(value, (str, int)) or not str(value).strip():
            errors.append(FieldError("organisation", "An organisation code or pid is required."))
            return None
        value = str(value).strip()
        pid = self.orgs.get(value) or (value if value in self.org_pids else None)
        if pid is None:
            errors.append(FieldError("organisation", f"No organisation with code or pid {value}."))
        return pid

    def library_pids(self, org_pid, values, errors):
        by_code, pids = self.libraries.get(org_pid, {}), []
        for value in _as_list(values):
            value = str(value).strip()
            pid = by_code.get(value) or (value if value in by_code.values() else None)
            if pid is None:
                errors.append(FieldError("libraries", f"No library {value} in the organisation."))
            else:
                pids.append(pid)
        return pids

    def patron_type(self, org_pid, value, errors):
        value = str(value).strip()
        for pid, name in self.types.get(org_pid, []):
            if value == pid or value.casefold() == name:
                return pid
        errors.append(FieldError("patron_type", f"No patron type {value} in the organisation."))
        return None


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ref(resource, pid):
    return {"$ref": f"https://import.local/api/{resource}/{pid}"}


def to_service_data(row, lookups):
    """``(user data, patron data without user_id, errors)`` of one row."""
    errors = [FieldError(key, "Unknown field.") for key in row if key not in KNOWN]
    user = {k: row[k] for k in USER_FIELDS if row.get(k) is not None}
    keep = _boolean(row, "keep_history", errors)
    if keep is not None:
        user["keep_history"] = keep
    org_pid = lookups.organisation(row.get("organisation"), errors)
    roles = _as_list(row.get("roles")) or ["patron"]
    record = {"roles": roles}
    if org_pid is not None:
        record["organisation"] = _ref("organisations", org_pid)
        if row.get("libraries"):
            record["libraries"] = [_ref("libraries", p) for p in lookups.library_pids(org_pid, row["libraries"], errors)]
    if "patron" in roles:
        patron = {k: row[k] for k in PATRON_FIELDS if row.get(k) is not None}
        if "barcode" in patron:
            patron["barcode"] = _as_list(patron["barcode"])
        blocked = _boolean(row, "blocked", errors)
        if blocked is not None:
            patron["blocked"] = blocked
        if "communication_channel" not in patron:
            patron["communication_channel"] = "email" if row.get("email") or row.get("additional_communication_email") else "mail"
        if row.get("patron_type") is None:
            errors.append(FieldError("patron_type", "A patron type is required with the patron role."))
        elif org_pid is not None:
            ptype = lookups.patron_type(org_pid, row["patron_type"], errors)
            if ptype:
                patron["type"] = _ref("patron_types", ptype)
        record["patron"] = patron
    if row.get("local_codes"):
        record["local_codes"] = _as_list(row["local_codes"])
    notes = [{"type": kind, "content": row[kind]} for kind in ("public_note", "staff_note") if row.get(kind)]
    if notes:
        record["notes"] = notes
    second = dict(row.get("second_address") or {})
    second.update({f: row[f"second_address.{f}"] for f in SECOND_ADDRESS if row.get(f"second_address.{f}")})
    if second:
        record["second_address"] = second
    return user, record, errors


def row_field(path):
    """A service's field path -> the import column it comes from."""
    if path is None:
        return None
    if path == "patron.type":
        return "patron_type"
    if path.startswith("patron."):
        return path.split(".")[1]
    if path.startswith(("libraries.", "local_codes.", "roles.")):
        return path.split(".")[0]
    if path.startswith("notes."):
        return "notes"
    return path


# --- import -------------------------------------------------------------------------------
class RowUnitOfWork(UnitOfWork):
    """Commits one row; its index queue rows are processed later, in bulk."""

    def __init__(self, queued_ids):
        super().__init__()
        self.queued_ids = queued_ids

    def before_commit(self, rows):
        self.queued_ids.extend(row.id for row in rows)

    def after_commit(self, rows):
        """Nothing now: the import indexes its queue rows in bulk at the end."""


SAME_PERSON = ("first_name", "last_name", "birth_date", "email")


def existing_person(identity, user_data):
    """``(user id, None)`` when the row's username names this same person already,
    ``(None, FieldError)`` when it names someone else, ``(None, None)`` when new."""
    username = user_data.get("username")
    account = users.lookup(identity, f"username:{username}") if username else None
    if account is None:
        return None, None
    known = UserRecord.get_by_user_id(account.id)
    differs = [f for f in SAME_PERSON if f in user_data and str(user_data[f]).casefold() != str(known.get(f, "")).casefold()]
    if differs:
        return None, FieldError("username", f"This username belongs to someone else ({', '.join(differs)} differ).")
    return account.id, None


def import_row(number, row, report, queued_ids, identity, lookups):
    if not isinstance(row, dict):
        report.rejected.append((number, None, "A row is an object of fields."))
        return
    user_data, record, errors = to_service_data(row, lookups)
    if errors:
        report.rejected.extend((number, e.field, e.message) for e in errors)
        return
    user_id, clash = existing_person(identity, user_data)
    if clash:
        report.rejected.append((number, clash.field, clash.message))
        return
    uow = RowUnitOfWork(queued_ids)
    try:
        if user_id is None:
            user, _ = users.create(identity, user_data, uow=uow)
            user_id = user.user_id
        patron = patrons.create(identity, {**record, "user_id": user_id}, uow=uow)
        uow.commit()
    except DomainError as exc:
        uow.rollback()
        problems = exc.errors or [FieldError(None, exc.message)]
        report.rejected.extend((number, row_field(e.field), e.message) for e in problems)
    except Exception as exc:  # a bad row never stops the others
        uow.rollback()
        report.rejected.append((number, None, f"{type(exc).__name__}: {exc}"))
    else:
        report.created.append((number, user_data.get("username"), user_id, patron.pid))


def run(rows, progress=None, batch=500):
    """Import ``rows`` (dicts); returns a ``Report``. Rows are numbered from 1."""
    identity, report, queued_ids, lookups = system_identity(), Report(total=len(rows)), [], Lookups()
    for number, row in enumerate(rows, start=1):
        import_row(number, row, report, queued_ids, identity, lookups)
        if progress:
            progress(1)
    for start in range(0, len(queued_ids), batch):
        ids = queued_ids[start:start + batch]
        indexer.process(db.session.query(IndexQueue).filter(IndexQueue.id.in_(ids)).all())
    return report
