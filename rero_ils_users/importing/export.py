"""The people of one organisation as import rows (JSON Lines or CSV), streamed: a
batch of records at a time, written as they are read."""

import csv
import json

from invenio_db import db
from sqlalchemy import Integer, cast

from ..libraries.api import Library
from ..organisations.api import Organisation
from ..patron_types.api import PatronType
from ..patrons.api import Patron
from ..users.api import UserRecord
from .report import flat
from .rows import COLUMNS, PATRON_FIELDS, USER_FIELDS


def organisation_pid(code):
    model = Organisation.model_cls.query.filter_by(code=code).first()
    return model.pid if model is not None and model.json is not None else None


class _Names:
    """Codes of the organisation's libraries, names of its patron types."""

    def __init__(self, org_pid):
        self.libraries = {m.pid: m.code for m in Library.model_cls.query.filter_by(organisation_pid=org_pid)}
        self.types = {m.pid: m.json["name"] for m in PatronType.model_cls.query.filter_by(organisation_pid=org_pid) if m.json}


def _row(record, user, code, names):
    row = {k: user[k] for k in USER_FIELDS if k in user and k != "password"}
    row["organisation"] = code
    row["roles"] = list(record["roles"])
    if record.get("libraries"):
        row["libraries"] = [names.libraries.get(lib["pid"], lib["pid"]) for lib in record["libraries"]]
    patron = record.get("patron")
    if patron:
        row["patron_type"] = names.types.get(patron["type"]["pid"], patron["type"]["pid"])
        row.update({k: patron[k] for k in PATRON_FIELDS if k in patron})
    if record.get("local_codes"):
        row["local_codes"] = list(record["local_codes"])
    for note in record.get("notes", []):
        row[note["type"]] = note["content"]
    if record.get("second_address"):
        row["second_address"] = dict(record["second_address"])
    return row


def rows(org_pid, batch=500):
    """The import rows of every patron record of the organisation, in pid order (the order
    they were created in, so a re-import keeps it)."""
    code = Organisation.get_by_pid(org_pid)["code"]
    names = _Names(org_pid)
    model = Patron.model_cls
    number = cast(model.pid, Integer)
    last = 0
    while True:
        models = (
            db.session.query(model).filter(model.organisation_pid == org_pid, number > last).order_by(number).limit(batch).all()
        )
        if not models:
            return
        users = {m.pid: m.json for m in UserRecord.model_cls.query.filter(
            UserRecord.model_cls.pid.in_([str(m.user_id) for m in models]))}
        for m in models:
            yield _row(m.json, users.get(str(m.user_id), {}), code, names)
        last = int(models[-1].pid)
        db.session.expunge_all()


def write(out, row_iter, fmt):
    """Write rows to the text stream ``out``; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, [c for c in COLUMNS if c != "password"], extrasaction="ignore")
        writer.writeheader()
        for row in row_iter:
            writer.writerow(flat(row))
            count += 1
        return count
    for row in row_iter:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
