"""Patron notices: written from per-language templates, sent once per patron
record, kind and expiration date (``notice_log``), by SMTP with Flask-Mail."""

import logging
from datetime import UTC, datetime

from babel.dates import format_date
from flask import current_app
from flask_mail import Message
from invenio_db import db
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.dialects.postgresql import insert

from ..errors import NotFound
from ..libraries.api import Library
from ..organisations.api import Organisation
from ..patrons.service import patrons
from ..users.api import UserRecord
from .models import NoticeLog

log = logging.getLogger(__name__)

# communication language -> (Babel locale for dates, Content-Language)
LOCALES = {"eng": ("en_GB", "en"), "fre": ("fr_CH", "fr"), "ger": ("de_CH", "de"), "ita": ("it_CH", "it")}

_templates = Environment(
    loader=PackageLoader("rero_ils_users.jobs", "templates/notices"),
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    trim_blocks=True,
)


def render(kind, language, context):
    """``(subject, body)``: the template's first line is the subject."""
    text = _templates.get_template(f"{kind}.{language}.txt").render(**context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def _name(user):
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or user.get("username", "")


def _address(user):
    """The postal address block a library prints for the ``mail`` channel."""
    town = " ".join(p for p in (user.get("postal_code"), user.get("city")) if p)
    lines = [_name(user), user.get("street"), town, (user.get("country") or "").upper()]
    return "\n".join(line for line in lines if line)


def _signature(record):
    """The patron's first affiliation library, else their organisation."""
    for ref in record.get("libraries", []):
        try:
            return Library.get_by_pid(ref["pid"])["name"]
        except NotFound:
            continue
    try:
        return Organisation.get_by_pid(record["organisation"]["pid"])["name"]
    except NotFound:
        return ""


def context(record, expiration_date, channel, language):
    try:
        user = dict(UserRecord.get_by_user_id(record["user_id"]))
    except NotFound:
        user = {}
    return {
        "name": _name(user),
        "date": format_date(expiration_date, format="long", locale=LOCALES[language][0]),
        "library": _signature(record),
        "address": _address(user) if channel == "mail" else "",
    }


def message(kind, record, expiration_date):
    """The notice for ``record`` (None when it has nowhere to go) and its routing."""
    route = patrons.recipients(record)
    language = route["language"] if route["language"] in LOCALES else "eng"
    if not route["recipients"]:
        return None, route
    subject, body = render(kind, language, context(record, expiration_date, route["channel"], language))
    msg = Message(
        subject=subject,
        recipients=route["recipients"],
        body=body,
        extra_headers={"Content-Language": LOCALES[language][1], "Auto-Submitted": "auto-generated"},
    )
    return msg, route


def claim(record, kind, expiration_date, route):
    """Insert the ``notice_log`` row; False when this notice was already sent.

    A concurrent insert of the same row waits for the other transaction: if it
    commits, this one inserts nothing; if it rolls back (mail failed), this one
    goes on."""
    statement = (
        insert(NoticeLog)
        .values(
            patron_pid=record["pid"],
            kind=kind,
            expiration_date=expiration_date,
            sent_at=datetime.now(UTC),
            channel=route["channel"],
            language=route["language"],
            recipients=route["recipients"],
        )
        .on_conflict_do_nothing(constraint="uq_notice_log_patron_kind_date")
        .returning(NoticeLog.id)
    )
    return db.session.execute(statement).scalar_one_or_none() is not None


def sent_among(keys):
    """Which of ``keys`` (``(patron_pid, kind, expiration_date)``) are logged: one query a batch."""
    pids = {pid for pid, _, _ in keys}
    if not pids:
        return set()
    rows = db.session.query(NoticeLog.patron_pid, NoticeLog.kind, NoticeLog.expiration_date).filter(
        NoticeLog.patron_pid.in_(pids)
    )
    return set(rows) & set(keys)


def already_sent(record, kind, expiration_date):
    query = db.session.query(NoticeLog.id).filter_by(
        patron_pid=record["pid"], kind=kind, expiration_date=expiration_date
    )
    return db.session.query(query.exists()).scalar()


def send_once(outbox, record, kind, expiration_date):
    """Send the notice unless it went out already; commits. Returns the outcome:
    ``"sent"``, ``"already_sent"``, ``"no_recipient"`` or ``"failed"``."""
    if already_sent(record, kind, expiration_date):  # cheap check, no lock taken
        return "already_sent"
    msg, route = message(kind, record, expiration_date)
    if not claim(record, kind, expiration_date, route):
        db.session.rollback()
        return "already_sent"
    if msg is None:
        log.warning("patron %s has no %s recipient for its %s notice", record["pid"], route["channel"], kind)
        db.session.commit()
        return "no_recipient"
    try:
        outbox.send(msg)
    except Exception:
        db.session.rollback()  # not logged as sent: the next run tries again
        log.exception("could not send the %s notice of patron %s", kind, record["pid"])
        return "failed"
    db.session.commit()
    return "sent"


class Outbox:
    """One SMTP connection for a run, opened at the first notice (a run with
    nothing to send needs no mail server) and reopened after a failure."""

    def __init__(self):
        self._connection = None

    def send(self, msg):
        if self._connection is None:
            self._connection = current_app.extensions["mail"].connect().__enter__()
        try:
            self._connection.send(msg)
        except Exception:
            self.close()
            raise

    def close(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.__exit__(None, None, None)
            except Exception:  # the server went away: nothing left to close
                log.debug("SMTP connection closed uncleanly", exc_info=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
