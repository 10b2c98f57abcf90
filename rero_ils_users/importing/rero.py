"""RERO ILS's own files, as they stand: organisations, libraries and patron types
(created here when missing) and people (one object per patron record), turned
into import rows.

Each RERO ILS pid is kept (``ImportedPid``), so a second run, or a later file that
names the same pids, resolves to the same records. Without a mapping yet, an
organisation is matched by code, a library by code within its organisation, a
patron type by name within its organisation.
"""

from invenio_db import db

from ..errors import FieldError, ValidationError
from ..libraries.api import Library
from ..libraries.service import libraries
from ..organisations.api import Organisation
from ..organisations.service import organisations
from ..patron_types.api import PatronType
from ..patron_types.service import patron_types
from ..permissions.needs import system_identity
from ..records.refs import load_ref
from .batches import ImportUnitOfWork
from .models import ImportedPid

PERSONAL = (
    "username", "email", "password", "first_name", "last_name", "birth_date", "gender", "street", "postal_code",
    "city", "country", "home_phone", "business_phone", "mobile_phone", "other_phone", "keep_history",
)
PATRON = (
    "barcode", "expiration_date", "communication_channel", "communication_language",
    "additional_communication_email", "blocked", "blocked_note",
)
IGNORED = ("pid", "$schema", "user_id", "organisation")  # ours are given by the libraries or the patron type
RECORD_CLASSES = {"organisations": Organisation, "libraries": Library, "patron_types": PatronType}


def _ref_pid(value, resource, field, errors):
    ref = load_ref(value, resource, field)
    if isinstance(ref, FieldError):
        errors.append(ref)
        return None
    return ref["pid"]


def _ref(resource, pid):
    return {"$ref": f"https://import.local/api/{resource}/{pid}"}


class References:
    """RERO ILS pids -> ours, for one ``source`` (an installation)."""

    def __init__(self, source="rero-ils"):
        self.source = source
        self.identity = system_identity()
        self.uow = ImportUnitOfWork()
        self.pids = {(m.resource, m.source_pid): m.pid for m in ImportedPid.query.filter_by(source=source)}

    def resolve(self, resource, source_pid):
        """Our pid of a RERO ILS record, or None (unknown, or deleted since)."""
        pid = self.pids.get((resource, str(source_pid)))
        if pid is not None and not RECORD_CLASSES[resource].exists(pid):
            return None
        return pid

    def _keep(self, resource, source_pid, pid):
        mapping = db.session.get(ImportedPid, (self.source, resource, str(source_pid)))
        if mapping is None:
            db.session.add(ImportedPid(source=self.source, resource=resource, source_pid=str(source_pid), pid=pid))
        else:
            mapping.pid = pid
        self.pids[(resource, str(source_pid))] = pid

    # --- reference files -------------------------------------------------------------------
    def load(self, orgs=(), libs=(), types=()):
        """Find or create the records of RERO ILS's reference rows; returns how many
        were created. ``ValidationError`` naming the file's row when one cannot be."""
        created = 0
        for resource, rows, find, make in (
            ("organisations", orgs, self._find_org, self._org_data),
            ("libraries", libs, self._find_library, self._library_data),
            ("patron_types", types, self._find_type, self._type_data),
        ):
            service = {"organisations": organisations, "libraries": libraries, "patron_types": patron_types}[resource]
            for number, row in enumerate(rows, start=1):
                errors = []
                if not isinstance(row, dict) or not row.get("pid"):
                    raise ValidationError(f"{resource} row {number}: an object with a pid is required.")
                data = make(row, errors)
                if errors:
                    raise ValidationError(f"{resource} row {number} (pid {row['pid']}): cannot be imported.", errors=errors)
                pid = self.resolve(resource, row["pid"]) or find(data)
                if pid is None:
                    try:
                        pid = service.create(self.identity, data, uow=self.uow).pid
                    except ValidationError as exc:
                        raise ValidationError(
                            f"{resource} row {number} (pid {row['pid']}): cannot be imported.", errors=exc.errors
                        ) from None
                    created += 1
                self._keep(resource, row["pid"], pid)
        return created

    def _org_data(self, row, errors):
        return {k: row[k] for k in ("name", "code", "address") if k in row}

    def _scoped(self, row, errors, fields):
        data = {k: row[k] for k in fields if k in row}
        org = _ref_pid(row.get("organisation"), "organisations", "organisation", errors)
        pid = self.resolve("organisations", org) if org else None
        if org and pid is None:
            errors.append(FieldError("organisation", f"Organisation {org} is not in the organisations file."))
        data["organisation"] = _ref("organisations", pid)
        return data

    def _library_data(self, row, errors):
        return self._scoped(row, errors, ("name", "code", "email", "address"))

    def _type_data(self, row, errors):
        return self._scoped(row, errors, ("name", "description"))

    @staticmethod
    def _org_pid(data):
        return load_ref(data["organisation"], "organisations", "organisation")["pid"]

    def _find_org(self, data):
        model = Organisation.model_cls.query.filter_by(code=data.get("code")).first()
        return model.pid if model is not None else None

    def _find_library(self, data):
        model = Library.model_cls.query.filter_by(organisation_pid=self._org_pid(data), code=data.get("code")).first()
        return model.pid if model is not None else None

    def _find_type(self, data):
        name = str(data.get("name", "")).casefold()
        models = PatronType.model_cls.query.filter_by(organisation_pid=self._org_pid(data))
        return next((m.pid for m in models if m.json and m.json.get("name", "").casefold() == name), None)

    def organisation_of(self, resource, pid):
        """The organisation (our pid) of one of our libraries or patron types."""
        model = RECORD_CLASSES[resource].model_cls.query.filter_by(pid=pid).first()
        return model.organisation_pid if model is not None else None

    # --- people ------------------------------------------------------------------------------
    def convert(self, row):
        """A RERO ILS person (a patron record with the user's data) -> ``(import row, errors)``."""
        errors = []
        out = {k: row[k] for k in PERSONAL if k in row}
        out["roles"] = row.get("roles")
        unknown = [k for k in row if k not in PERSONAL + IGNORED + ("roles", "libraries", "patron", "notes", "second_address", "local_codes")]
        out.update({k: row[k] for k in unknown})  # refused by the import's own check, by name
        orgs = set()
        libs = []
        for i, value in enumerate(row.get("libraries") or []):
            source = _ref_pid(value, "libraries", f"libraries.{i}", errors)
            pid = self.resolve("libraries", source) if source else None
            if source and pid is None:
                errors.append(FieldError("libraries", f"Library {source} is not known (give --libraries)."))
            elif pid:
                libs.append(pid)
                orgs.add(self.organisation_of("libraries", pid))
        if libs:
            out["libraries"] = libs
        patron = row.get("patron")
        if isinstance(patron, dict):
            out.update({k: patron[k] for k in PATRON if k in patron})
            out.update({f"patron.{k}": patron[k] for k in patron if k not in PATRON + ("type",)})
            source = _ref_pid(patron.get("type"), "patron_types", "patron.type", errors) if "type" in patron else None
            pid = self.resolve("patron_types", source) if source else None
            if source and pid is None:
                errors.append(FieldError("patron_type", f"Patron type {source} is not known (give --patron-types)."))
            elif pid:
                out["patron_type"] = pid
                orgs.add(self.organisation_of("patron_types", pid))
        elif patron is not None:
            errors.append(FieldError("patron", "An object is expected."))
        orgs.discard(None)
        if len(orgs) > 1:
            errors.append(FieldError("organisation", "The libraries and the patron type belong to different organisations."))
        elif orgs:
            out["organisation"] = orgs.pop()
        elif not errors:
            errors.append(FieldError("organisation", "Neither libraries nor a patron type tell the organisation."))
        self._notes(row.get("notes"), out, errors)
        for name in ("second_address", "local_codes"):
            if row.get(name):
                out[name] = row[name]
        return {k: v for k, v in out.items() if v is not None}, errors

    @staticmethod
    def _notes(notes, out, errors):
        for i, note in enumerate(notes or []):
            kind = note.get("type") if isinstance(note, dict) else None
            if kind not in ("public_note", "staff_note") or not isinstance(note.get("content"), str):
                errors.append(FieldError(f"notes.{i}", "A note has a type (public_note or staff_note) and a content."))
            elif kind in out:
                errors.append(FieldError(f"notes.{i}.type", "At most one note of each type."))
            else:
                out[kind] = note["content"]

