"""One import row (the format of docs/import.md) -> the data the user and patron
services take. Reference records are named by code, name or pid."""

from ..errors import FieldError
from ..libraries.api import Library
from ..organisations.api import Organisation
from ..patron_types.api import PatronType

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
# the columns of a CSV file, in the order the export writes them
COLUMNS = (
    *USER_FIELDS, *RECORD_FIELDS[:4], *PATRON_FIELDS, *RECORD_FIELDS[4:7], *(f"second_address.{f}" for f in SECOND_ADDRESS)
)


def from_csv(row):
    """A CSV row (text cells) as an import row: empty cells dropped, ``;`` lists split."""
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
