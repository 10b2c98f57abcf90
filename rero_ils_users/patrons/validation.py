"""Client JSON of a patron record -> stored form, with every rule of API.md section 3."""

from ..errors import FieldError, ValidationError
from ..libraries.api import Library
from ..organisations.api import Organisation
from ..patron_types.api import PatronType
from ..permissions.roles import PATRON, is_professional
from ..records import schemas
from ..records.refs import load_ref
from ..users.api import UserRecord
from ..users.validation import email_error
from .api import Patron

READ_ONLY = ("pid", "$schema", "user", "id", "revision", "created", "updated", "links")


def _strip(data):
    """Drop read-only fields and trim barcodes (they are compared after trimming)."""
    stored = {k: v for k, v in data.items() if k not in READ_ONLY}
    patron = stored.get("patron")
    if isinstance(patron, dict):
        patron = {k: v for k, v in patron.items() if k != "expired"}
        if isinstance(patron.get("barcode"), list):
            patron["barcode"] = [b.strip() if isinstance(b, str) else b for b in patron["barcode"]]
        stored["patron"] = patron
    return stored


def _ref(value, resource, field, errors):
    ref = load_ref(value, resource, field)
    if isinstance(ref, FieldError):
        errors.append(ref)
        return None
    return ref


class StoredReferences:
    """The reference checks of ``load_patron``, answered by the database."""

    def organisation_exists(self, pid):
        return Organisation.exists(pid)

    def library_pids(self, organisation_pid):
        return Library.pids_of_organisation(organisation_pid)

    def patron_type_organisation(self, pid):
        """The organisation pid of a patron type, None when there is no such type."""
        if not PatronType.exists(pid):
            return None
        return PatronType.get_by_pid(pid)["organisation"]["pid"]


STORED = StoredReferences()


def load_patron(data, record=None, registrable=None, refs=STORED, user=None):
    """Validate ``data`` and return the stored form (references as ``{"pid"}``).

    ``registrable(user_id, organisation_pid) -> bool`` (new records): may the caller
    register this person there? A person they may not is "No such user.", exactly
    as an unknown one. ``refs`` answers the reference checks (the bulk import gives
    one read once); ``user``: the person's personal data when they are
    written in the same batch (not yet readable), instead of looking them up."""
    stored = _strip(data)
    errors = schemas.field_errors(Patron.schema, stored)
    if errors:
        raise ValidationError(errors=errors)
    org = _ref(stored["organisation"], "organisations", "organisation", errors)
    if org and not refs.organisation_exists(org["pid"]):
        errors.append(FieldError("organisation", "No such organisation."))
    if record is not None:
        if stored["user_id"] != record["user_id"]:
            errors.append(FieldError("user_id", "The user of a patron record never changes."))
        if org and org["pid"] != record["organisation"]["pid"]:
            errors.append(FieldError("organisation", "The organisation of a patron record never changes."))
    if user is None:
        visible = registrable is None or registrable(stored["user_id"], org["pid"] if org else None)
        if visible and UserRecord.exists(stored["user_id"]):
            user = UserRecord.get_by_pid(stored["user_id"])
        else:
            errors.append(FieldError("user_id", "No such user."))
    if errors:
        raise ValidationError(errors=errors)
    stored["organisation"] = org
    roles = stored["roles"]
    _libraries(stored, roles, org["pid"], refs, errors)
    _patron_data(stored, roles, org["pid"], user, refs, errors)
    _notes(stored, errors)
    if errors:
        raise ValidationError(errors=errors)
    return stored


def _libraries(stored, roles, org_pid, refs, errors):
    found, values = [], stored.get("libraries", [])
    of_organisation = refs.library_pids(org_pid) if values else set()
    for i, value in enumerate(values):
        ref = _ref(value, "libraries", f"libraries.{i}", errors)
        if ref is None:
            continue
        if ref["pid"] not in of_organisation:
            errors.append(FieldError(f"libraries.{i}", "Not a library of the patron's organisation."))
        found.append(ref)
    if "libraries" in stored:
        stored["libraries"] = found
    if is_professional(roles) and not found:
        errors.append(FieldError("libraries", "Professional roles require at least one affiliation library."))


def _patron_data(stored, roles, org_pid, user, refs, errors):
    patron = stored.get("patron")
    if PATRON in roles and patron is None:
        errors.append(FieldError("patron", "Patron data is required with the patron role."))
        return
    if patron is None:
        return
    ptype = _ref(patron["type"], "patron_types", "patron.type", errors)
    if ptype is not None:
        if refs.patron_type_organisation(ptype["pid"]) != org_pid:
            errors.append(FieldError("patron.type", "Not a patron type of the patron's organisation."))
        patron["type"] = ptype
    extra = patron.get("additional_communication_email")
    if extra is not None:
        problem = email_error(extra, "patron.additional_communication_email")
        if problem:
            errors.append(problem)
    if patron["communication_channel"] == "mail" and extra is not None:
        errors.append(
            FieldError("patron.additional_communication_email", "Only allowed with the email communication channel.")
        )
    if patron["communication_channel"] == "email" and not (user.get("email") or extra):
        errors.append(
            FieldError(
                "patron.communication_channel",
                "The email channel needs a user email or an additional communication email.",
            )
        )
    if patron.get("blocked") and not patron.get("blocked_note"):
        errors.append(FieldError("patron.blocked_note", "A note is required when the patron is blocked."))


def _notes(stored, errors):
    seen = set()
    for i, note in enumerate(stored.get("notes", [])):
        if note["type"] in seen:
            errors.append(FieldError(f"notes.{i}.type", "At most one note of each type."))
        seen.add(note["type"])
