"""The ``expire-patrons`` job: what an expiration date alone cannot do.

- a reminder ``PATRON_EXPIRY_REMINDER_DAYS`` before the date, and an expiry
  notice once it passed (however long ago), once per record and date;
- the account mark (``User.expired_at``) the login rule of the accounts module
  needs, set when every patron record of the person is expired and they hold
  no professional or account-level role, and lifted when that no longer holds.
"""

import logging
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from invenio_db import db
from sqlalchemy import type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from .. import clock
from ..accounts.expiry import all_patron_records_expired
from ..accounts.models import User, user_roles
from ..patrons.api import Patron, PatronMetadata
from ..permissions.roles import PATRON
from ..records import audit
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
        # plain rows, not ORM objects: nothing for the session (and its versioning
        # hooks) to track while the batch is processed
        query = db.session.query(PatronMetadata.id, PatronMetadata.json).filter(
            document["roles"].contains([PATRON]),
            expiration <= last_day.isoformat(),
        )
        if last_id is not None:
            query = query.filter(PatronMetadata.id > last_id)
        rows = query.order_by(PatronMetadata.id).limit(batch).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield [Patron(row.json) for row in rows]


def expiring_accounts(user_ids, today):
    """Of ``user_ids``, those the login rule refuses as of ``today``: a patron
    record somewhere, every one expired, no professional or account-level role.
    Two queries for a whole batch."""
    if not user_ids:
        return set()
    with_roles = {uid for (uid,) in db.session.query(user_roles.c.user_id).filter(user_roles.c.user_id.in_(user_ids))}
    records = defaultdict(list)
    rows = db.session.query(PatronMetadata.user_id, PatronMetadata.json).filter(PatronMetadata.user_id.in_(user_ids))
    for user_id, document in rows:
        if document is not None:
            records[user_id].append(Patron(document))
    return {
        user_id
        for user_id in user_ids
        if all_patron_records_expired(user_id in with_roles, ((r.roles, r.expired(today)) for r in records[user_id]))
    }


def _now():
    return datetime.now(UTC).replace(tzinfo=None)


def _set_marks(user_ids, value):
    """One UPDATE for a batch (no ORM objects: cheap flushes), audited in the same
    transaction (a bulk UPDATE bypasses the ORM's audit hook)."""
    if user_ids:
        db.session.query(User).filter(User.id.in_(user_ids)).update({User.expired_at: value}, synchronize_session=False)
        change = {"account_expired": {"before": value is None, "after": value is not None}}
        for user_id in user_ids:
            audit.record("users", user_id, "update", changes=change, user_id=user_id)
    db.session.commit()
    db.session.expunge_all()


def _mark_accounts(user_ids, today, counts):
    unmarked = db.session.query(User.id).filter(User.id.in_(user_ids), User.expired_at.is_(None)) if user_ids else []
    marked = sorted(expiring_accounts([user_id for (user_id,) in unmarked], today))
    _set_marks(marked, _now())
    counts["accounts_expired"] += len(marked)


def _lift_stale_marks(today, batch, counts):
    """Marks whose person got a new date, a professional role or lost their records."""
    last_id = 0
    while True:
        query = db.session.query(User.id).filter(User.expired_at.isnot(None), User.id > last_id)
        user_ids = [user_id for (user_id,) in query.order_by(User.id).limit(batch)]
        if not user_ids:
            return
        last_id = user_ids[-1]
        lifted = sorted(set(user_ids) - expiring_accounts(user_ids, today))
        _set_marks(lifted, None)
        counts["accounts_reactivated"] += len(lifted)


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
            renew()
    _lift_stale_marks(today, batch, counts)
    counts = dict(counts)
    log.info("%s as of %s: %s", NAME, today.isoformat(), counts)
    return counts


def run(as_of=None):
    """The job as the scheduler, a worker or the CLI runs it: one run at a time."""
    return locked_run(NAME, expire, as_of=as_of)
