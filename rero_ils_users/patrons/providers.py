"""How patrons plug into the rest without being imported by it: the identity
provider for permissions, reactions to user changes, reference checks."""

from invenio_db import db
from sqlalchemy import Text, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from .. import clock
from ..errors import counted
from ..libraries.api import Library
from ..libraries.service import library_reference_checks
from ..organisations.service import organisation_reference_checks
from ..patron_types.service import patron_type_reference_checks
from ..permissions import needs
from ..permissions.roles import PATRON
from ..users import signals as user_signals
from .api import Patron
from .service import patrons


def records_of(user_id):
    today = clock.today()
    return [
        needs.RecordRoles(
            pid=r.pid,
            organisation_pid=r.organisation_pid,
            roles=frozenset(r.roles),
            library_pids=frozenset(r.library_pids),
            expired=PATRON in r.roles and r.expired(today),
        )
        for r in Patron.of_user(user_id)
    ]


def records_stamp(user_id):
    """One SQL value that changes whenever ``records_of(user_id)`` could (PostgreSQL):
    each record's id, version and row version (``xmin``, the transaction that wrote the
    row: any UPDATE, even by raw SQL, writes a new one; cheaper than a digest of the
    JSON, which cost a quarter of the caller's query; not ``updated``: invenio's date
    type would keep SQLAlchemy from caching the compiled query)."""
    table = Patron.model_cls.__table__
    each = (
        cast(table.c.id, Text) + ":" + cast(table.c.version_id, Text) + ":"
        + literal_column(f"{table.name}.xmin::text", Text)
    )
    return select(func.string_agg(each, aggregate_order_by(literal(","), table.c.id))).where(table.c.user_id == user_id).scalar_subquery()


def libraries_stamp(organisation_pid):
    """What ``Library.pids_of_organisation(organisation_pid)`` returns, as one SQL value."""
    table = Library.model_cls.__table__
    return (
        select(func.string_agg(table.c.pid, aggregate_order_by(literal(","), table.c.pid)))
        .where(table.c.organisation_pid == organisation_pid)
        .scalar_subquery()
    )


def on_user_updated(sender, user_id, before, after, uow):
    """Reindex the person's patron documents; switch channels when the email comes or goes."""
    had, has = bool(before.get("email")), bool(after.get("email"))
    if had != has:
        patrons.sync_channels(user_id, had, has, uow=uow)
    for record in Patron.of_user(user_id):
        uow.index(record)


def _count(column, value):
    count = Patron.model_cls.query.filter(column == value).count()
    return counted(count, "patron record", "patron records") if count else None


def _referencing(fragment):
    """How many patron records contain ``fragment`` (JSONB containment on PostgreSQL)."""
    model = Patron.model_cls
    if db.engine.name == "postgresql":
        count = model.query.filter(cast(model.json, JSONB).contains(fragment)).count()
    else:  # the quick local run on SQLite
        count = sum(1 for m in model.query.all() if _contains(m.json or {}, fragment))
    return counted(count, "patron record", "patron records") if count else None


def _contains(doc, fragment):
    if isinstance(fragment, dict):
        return isinstance(doc, dict) and all(_contains(doc.get(k), v) for k, v in fragment.items())
    if isinstance(fragment, list):
        return isinstance(doc, list) and all(any(_contains(d, f) for d in doc) for f in fragment)
    return doc == fragment


def _patrons_of_library(pid):
    return _referencing({"libraries": [{"pid": pid}]})


def _patrons_of_type(pid):
    return _referencing({"patron": {"type": {"pid": pid}}})


def _patrons_of_organisation(pid):
    return _count(Patron.model_cls.organisation_pid, pid)


def register(app):
    needs.register_record_provider(records_of, Library.pids_of_organisation, records_stamp, libraries_stamp)
    user_signals.user_updated.connect(on_user_updated, sender=app)
    for checks, check in (
        (library_reference_checks, _patrons_of_library),
        (patron_type_reference_checks, _patrons_of_type),
        (organisation_reference_checks, _patrons_of_organisation),
    ):
        if check not in checks:
            checks.append(check)
