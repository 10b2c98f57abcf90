"""A patron record and its person's data saved together, in one transaction: the edit
page's one Save and a registration that also updates a person known elsewhere.

Each part goes through its own service (``users.update``, ``patrons.update`` /
``patrons.create``), so it needs exactly the rights, revision and checks of its own
endpoint; nothing here decides who may. A refusal of either part leaves nothing
written: the caller's unit of work is rolled back (``unit_of_work``)."""

from invenio_db import db

from ..errors import Conflict, DomainError, FieldError, NotFound, ValidationError
from ..records.uow import unit_of_work
from ..users.service import users
from .service import patrons

PARTS = ("user", "patron")
# refusals about the input: the other part is still checked, so every problem shows at once
INPUT_ERRORS = (ValidationError, Conflict)


def parse(data):
    """``(user part, user revision, patron part)`` of a body
    ``{"user": {...}, "user_revision": 3, "patron": {...}}`` (``user_revision`` optional)."""
    errors = [FieldError(key, "Unknown field.") for key in data if key not in PARTS + ("user_revision",)]
    for part in PARTS:
        if part not in data:
            errors.append(FieldError(part, "Missing data for required field."))
        elif not isinstance(data[part], dict):
            errors.append(FieldError(part, "A JSON object is required."))
    revision = data.get("user_revision")
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int) or revision < 0):
        errors.append(FieldError("user_revision", 'Must be a revision number such as "3".'))
    if errors:
        raise ValidationError(errors=errors)
    return data["user"], revision, data["patron"]


def in_part(part, exc):
    """``exc`` with its field paths under ``part`` (``patron.barcode`` -> ``patron.patron.barcode``).
    A refusal of the part as a whole (403, 412) names the part; a 404 stays as its
    endpoint answers it (an unknown record and an inaccessible one alike)."""
    entries = [FieldError(f"{part}.{e.field}" if e.field else part, e.message, e.code) for e in exc.errors]
    if not entries and not isinstance(exc, NotFound):
        entries = [FieldError(part, exc.message)]
    exc.errors = entries
    return exc


def _attempt(part, write):
    """``write()`` in a savepoint: its result, or the refusal of ``part`` (raised
    unless it is about the input, then returned to be answered with the other part's)."""
    try:
        with db.session.begin_nested():
            return write(), None
    except INPUT_ERRORS as exc:
        return None, in_part(part, exc)
    except DomainError as exc:
        raise in_part(part, exc) from None


def _also(first, part, write):
    """After ``first`` refused, ``write()`` only to add its input problems to ``first``'s."""
    try:
        with db.session.begin_nested():
            write()
    except INPUT_ERRORS as exc:
        first.errors += in_part(part, exc).errors
    except DomainError:
        pass  # the first refusal decides the answer; this part is judged once that one is fixed
    raise first


@unit_of_work
def update(identity, pid, data, revision=None, uow=None):
    """``PUT /api/patrons/<pid>/with_user``: the person's data (``users.update``), then the
    record (``patrons.update``), in ``uow``. The record's access and revision are checked
    first, as its own PUT does; the person is the record's. Personal data first, so
    what they change in the record (the channel when the email goes, API.md) is
    applied before the record's own data, which win where the page sent them.
    Returns ``(user record, patron record)``."""
    user_data, user_revision, patron_data = parse(data)
    try:
        record = patrons.get_for_update(identity, pid, revision)
    except DomainError as exc:
        raise in_part("patron", exc) from None
    user_id = record["user_id"]
    person, refused = _attempt("user", lambda: users.update(identity, user_id, user_data, revision=user_revision, uow=uow))

    def write_record():  # the record is locked and its revision checked above
        return patrons.update(identity, pid, patron_data, uow=uow)

    if refused:
        _also(refused, "patron", write_record)
    record, refused = _attempt("patron", write_record)
    if refused:
        raise refused
    return person, record


@unit_of_work
def create(identity, data, uow=None):
    """``POST /api/patrons/with_user``: the record (``patrons.create``, a reused person's
    ``registration_token`` included), then its person's data (``users.update``, allowed
    once the record exists as for ``PUT /api/users/<id>`` after the registration), in ``uow``.
    Returns ``(user record, patron record)``."""
    user_data, user_revision, patron_data = parse(data)
    record, refused = _attempt("patron", lambda: patrons.create(identity, patron_data, uow=uow))
    if refused:
        raise refused  # the person is judged once the record may exist
    user_id = record["user_id"]
    person, refused = _attempt("user", lambda: users.update(identity, user_id, user_data, revision=user_revision, uow=uow))
    if refused:
        raise refused
    return person, record
