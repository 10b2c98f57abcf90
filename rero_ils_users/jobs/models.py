"""What the scheduled jobs remember between runs."""

from datetime import UTC, datetime

from invenio_db import db
from sqlalchemy.dialects import postgresql


class NoticeLog(db.Model):
    """One notice sent to one patron record for one expiration date.

    The unique constraint decides races: of two workers inserting the same row,
    one waits for the other's commit and then inserts nothing, so the notice
    goes out once. A new expiration date is a new row: nothing to clear.
    """

    __tablename__ = "notice_log"
    __table_args__ = (
        db.UniqueConstraint("patron_pid", "kind", "expiration_date", name="uq_notice_log_patron_kind_date"),
    )

    id = db.Column(db.BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True, autoincrement=True)
    patron_pid = db.Column(db.String(64), nullable=False, index=True)
    kind = db.Column(db.String(32), nullable=False)  # "expiry" or "reminder"
    expiration_date = db.Column(db.Date, nullable=False)
    sent_at = db.Column(db.DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC))
    channel = db.Column(db.String(16), nullable=True)
    language = db.Column(db.String(8), nullable=True)
    recipients = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False, default=list)
