"""No orphaned personal data. A person with no patron record anywhere (created at a
desk and never registered, or whose last record was deleted) is erased
``ORPHAN_RETENTION_DAYS`` later by the ``erase-orphans`` job, unless an
organisation registers them meanwhile; a person with an account-level role keeps
the account without personal fields. Erasing removes the user record and the
account, their revisions (SQLAlchemy-Continuum version rows), their patron records'
revisions, history and notice log, the index document, and the values in the audit
entries about them (who, when, which fields stay)."""

import logging
from datetime import datetime, timedelta

from babel.dates import format_date
from flask import current_app
from flask_mail import Message
from invenio_db import db
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import delete, exists, select
from sqlalchemy_continuum import version_class

from .. import clock
from ..accounts.models import User, user_roles
from ..errors import NotFound
from ..history.api import HistoryEntry
from ..organisations.api import Organisation
from ..patrons import signals as patron_signals
from ..patrons.api import PatronMetadata
from ..permissions.needs import system_identity
from ..records import audit
from ..records.uow import unit_of_work
from ..users import signals as user_signals
from ..users.api import PERSONAL_FIELDS, UserMetadata, UserRecord
from ..users.service import users
from .models import ScheduledErasure

log = logging.getLogger(__name__)

LOCALES = {"eng": "en_GB", "fre": "fr_CH", "ger": "de_CH", "ita": "it_CH"}
_templates = Environment(
    loader=PackageLoader("rero_ils_users.privacy", "templates"), undefined=StrictUndefined, autoescape=False, trim_blocks=True
)


def retention():
    return timedelta(days=current_app.config["ORPHAN_RETENTION_DAYS"])


# --- the last patron record of a person is deleted ------------------------------------------
def _on_patron_deleted(sender, record, uow=None, **kwargs):
    others = db.session.query(PatronMetadata.id).filter(
        PatronMetadata.user_id == record.user_id, PatronMetadata.pid != record.pid
    )
    if db.session.query(others.exists()).scalar():
        return
    try:
        user = UserRecord.get_by_user_id(record.user_id)
    except NotFound:
        return
    patron = record.get("patron") or {}
    recipients = list(dict.fromkeys(a for a in (user.get("email"), patron.get("additional_communication_email")) if a))
    row = db.session.get(ScheduledErasure, record.user_id) or ScheduledErasure(user_id=record.user_id)
    row.due = clock.today() + retention()
    row.scheduled_at = clock.now()
    row.organisation_pid = record.organisation_pid
    row.language = patron.get("communication_language") or "eng"
    row.recipients = recipients
    row.notified_at = None
    db.session.add(row)
    if uow is not None and recipients:
        uow.on_commit(lambda: send_notice(record.user_id))


def send_notice(user_id):
    """Tell the person the date of the erasure (commits); False when it could not go out."""
    row = db.session.get(ScheduledErasure, user_id)
    if row is None or row.notified_at is not None or not row.recipients:
        return False
    language = row.language if row.language in LOCALES else "eng"
    try:
        user = UserRecord.get_by_user_id(user_id)
        name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or user.get("username", "")
        organisation = Organisation.get_by_pid(row.organisation_pid)["name"] if row.organisation_pid else ""
    except NotFound:
        name, organisation = "", ""
    text = _templates.get_template(f"erasure.{language}.txt").render(
        name=name, organisation=organisation, date=format_date(row.due, format="long", locale=LOCALES[language])
    )
    subject, _, body = text.partition("\n")
    message = Message(subject=subject.strip(), recipients=row.recipients, body=body.strip() + "\n",
                      extra_headers={"Auto-Submitted": "auto-generated"})
    try:
        current_app.extensions["mail"].send(message)
    except Exception:  # SMTP down: the erase-orphans job tries again, and erases only once it went out
        log.exception("could not send the erasure notice of user %s", user_id)
        db.session.rollback()
        return False
    row.notified_at = clock.now()
    db.session.commit()
    return True


# --- erasing ---------------------------------------------------------------------------------
def _versions(model_cls):
    return version_class(model_cls).__table__


def _erase_traces(user_id, keep_current_user_version=False):
    """What stays of a person once their records are gone: revisions, history, notice log,
    the audit's values. Runs in the caller's transaction, after a flush."""
    db.session.flush()
    patron_versions, user_versions = _versions(PatronMetadata), _versions(UserMetadata)
    pids = [pid for (pid,) in db.session.execute(select(patron_versions.c.pid).where(patron_versions.c.user_id == user_id).distinct())]
    db.session.execute(delete(patron_versions).where(patron_versions.c.user_id == user_id))
    stale = delete(user_versions).where(user_versions.c.user_id == user_id)
    if keep_current_user_version:
        stale = stale.where(user_versions.c.end_transaction_id.isnot(None))
    db.session.execute(stale)
    HistoryEntry.delete_where(HistoryEntry.user_id == user_id)
    notice_log = db.metadata.tables["notice_log"]  # the jobs' table (jobs import this package)
    if pids:
        db.session.execute(delete(notice_log).where(notice_log.c.patron_pid.in_(pids)))
    db.session.query(ScheduledErasure).filter_by(user_id=user_id).delete()
    audit.scrub_person(user_id)


def _on_user_erased(sender, user_id, uow=None, **kwargs):
    _erase_traces(user_id)


@unit_of_work
def strip_person(user_id, uow=None):
    """An account-level account keeps its login, not the personal fields (True if any went)."""
    record = UserRecord.get_by_user_id(user_id)
    if not any(field in record for field in PERSONAL_FIELDS):
        db.session.query(ScheduledErasure).filter_by(user_id=user_id).delete()
        return False
    for field in PERSONAL_FIELDS:
        record.pop(field, None)
    record.commit()
    uow.index(record)
    _erase_traces(user_id, keep_current_user_version=True)
    return True


def _orphans(last_id, batch):
    """``(user id, account created, due of a scheduled erasure, has account roles)`` of people
    with a user record and no patron record, by user id."""
    no_record = ~exists().where(PatronMetadata.user_id == UserMetadata.user_id)
    roles = exists().where(user_roles.c.user_id == UserMetadata.user_id)
    query = (
        select(UserMetadata.user_id, User.created, ScheduledErasure.due, roles)
        .join(User, User.id == UserMetadata.user_id)
        .outerjoin(ScheduledErasure, ScheduledErasure.user_id == UserMetadata.user_id)
        .where(no_record, UserMetadata.user_id > last_id)
        .order_by(UserMetadata.user_id)
        .limit(batch)
    )
    return db.session.execute(query).all()


def _created_day(created):
    return clock.iso(created) and datetime.fromisoformat(clock.iso(created)).astimezone(clock.zone()).date()


def erase_orphans(as_of=None, renew=lambda: None):
    """Erase (or strip) every person with no patron record whose delay ran out as of ``as_of``."""
    today = clock.today(as_of)
    counts = {"erased": 0, "stripped": 0, "kept": 0, "waiting_notice": 0, "cancelled": 0, "notices_sent": 0, "failed": 0}
    for (user_id,) in db.session.query(ScheduledErasure.user_id).filter(ScheduledErasure.notified_at.is_(None)).all():
        counts["notices_sent"] += int(send_notice(user_id))
    registered = exists().where(PatronMetadata.user_id == ScheduledErasure.user_id)
    counts["cancelled"] = db.session.query(ScheduledErasure).filter(registered).delete(synchronize_session=False)
    db.session.commit()
    batch, last_id = current_app.config["JOBS_BATCH_SIZE"], 0
    identity = system_identity()
    while rows := _orphans(last_id, batch):
        last_id = rows[-1][0]
        for user_id, created, due, has_roles in rows:
            due = due or (_created_day(created) + retention())
            if due > today:
                counts["kept"] += 1
                continue
            row = db.session.get(ScheduledErasure, user_id)
            if row is not None and row.recipients and row.notified_at is None:
                counts["waiting_notice"] += 1  # told first: the notice could not go out yet
                continue
            try:
                if has_roles:
                    counts["stripped"] += int(strip_person(user_id))
                else:
                    users.delete(identity, user_id)
                    counts["erased"] += 1
            except Exception:  # registered meanwhile (the delete is refused), or the database refused
                db.session.rollback()
                log.exception("could not erase user %s", user_id)
                counts["failed"] += 1
        renew()
    log.info("erase-orphans as of %s: %s", today.isoformat(), counts)
    return counts


def pending_erasure(user_id):
    """The date a person's data will be erased (their last record was deleted), or None."""
    row = db.session.get(ScheduledErasure, user_id)
    return row.due if row is not None else None


patron_signals.patron_deleted.connect(_on_patron_deleted)
user_signals.user_erased.connect(_on_user_erased)
