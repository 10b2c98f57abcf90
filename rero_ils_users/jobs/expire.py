"""The ``expire-patrons`` job: what an expiration date alone cannot do.

- a reminder ``PATRON_EXPIRY_REMINDER_DAYS`` before the date, and an expiry
  notice once it passed (however long ago), once per record and date;
- the account mark (``User.expired_at``) the login rule of the accounts module
  needs, set when every patron record of the person is expired and they hold
  no professional or account-level role, and lifted when that no longer holds.
"""

import logging
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from invenio_db import db
from sqlalchemy import type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from .. import clock
from ..accounts.models import User
from ..patrons.api import Patron, PatronMetadata
from ..permissions.roles import PATRON
from . import notices
from .lock import locked_run

log = logging.getLogger(__name__)

NAME = "expire-patrons"


def _expiration(record):
    return date.fromisoformat(record["patron"]["expiration_date"])


def _patrons_expiring_by(last_day, batch):
    """Patron-role records whose expiration date is ``last_day`` or earlier, in
    batches (keyset pagination on the primary key: bounded memory)."""
    document = type_coerce(PatronMetadata.json, JSONB)
    expiration = document[("patron", "expiration_date")].astext
    last_id = None
    while True:
        query = db.session.query(PatronMetadata).filter(
            document["roles"].contains([PATRON]),
            expiration <= last_day.isoformat(),
        )
        if last_id is not None:
            query = query.filter(PatronMetadata.id > last_id)
        models = query.order_by(PatronMetadata.id).limit(batch).all()
        if not models:
            return
        last_id = models[-1].id
        yield [Patron(m.json, model=m) for m in models]


def account_expires(user_id, today):
    """The login rule's condition, as of ``today``."""
    account = db.session.get(User, user_id)
    if account is None or account.roles:
        return False
    records = Patron.of_user(user_id)
    patron_records = [r for r in records if PATRON in r.roles]
    if not patron_records or any(r.professional for r in records):
        return False
    return all(r.expired(today) for r in patron_records)


def _mark_accounts(user_ids, today, counts):
    unmarked = db.session.query(User).filter(User.id.in_(user_ids), User.expired_at.is_(None)).order_by(User.id)
    for account in unmarked.all() if user_ids else []:
        if account_expires(account.id, today):
            account.expired_at = datetime.now(timezone.utc).replace(tzinfo=None)
            counts["accounts_expired"] += 1
    db.session.commit()


def _lift_stale_marks(today, batch, counts):
    """Marks whose person got a new date, a professional role or lost their records."""
    last_id = 0
    while True:
        accounts = (
            db.session.query(User)
            .filter(User.expired_at.isnot(None), User.id > last_id)
            .order_by(User.id)
            .limit(batch)
            .all()
        )
        if not accounts:
            return
        last_id = accounts[-1].id
        for account in accounts:
            if not account_expires(account.id, today):
                account.expired_at = None
                counts["accounts_reactivated"] += 1
        db.session.commit()


def expire(as_of=None, renew=lambda: None):
    """Run once as of ``as_of`` (a date, ``YYYY-MM-DD`` or None for today)."""
    config = current_app.config
    today = clock.today(as_of)
    batch = config["JOBS_BATCH_SIZE"]
    reminder_days = config["PATRON_EXPIRY_REMINDER_DAYS"]
    counts = Counter({"expired_records": 0, "expiry_sent": 0, "reminder_sent": 0, "accounts_expired": 0})
    with notices.Outbox() as outbox:
        for records in _patrons_expiring_by(today + timedelta(days=reminder_days), batch):
            due = [(r, "expiry" if _expiration(r) <= today else "reminder") for r in records]
            sent = notices.sent_among({(r.pid, kind, _expiration(r)) for r, kind in due})
            expired_users = set()
            for record, kind in due:
                expiration = _expiration(record)
                if kind == "expiry":
                    counts["expired_records"] += 1
                    expired_users.add(record.user_id)
                if (record.pid, kind, expiration) in sent:
                    outcome = "already_sent"
                else:
                    outcome = notices.send_once(outbox, record, kind, expiration)
                counts[f"{kind}_{outcome}"] += 1
            _mark_accounts(expired_users, today, counts)
            db.session.expunge_all()
            renew()
    _lift_stale_marks(today, batch, counts)
    counts = dict(counts)
    log.info("%s as of %s: %s", NAME, today.isoformat(), counts)
    return counts


def run(as_of=None):
    """The job as the scheduler, a worker or the CLI runs it: one run at a time."""
    return locked_run(NAME, expire, as_of=as_of)
