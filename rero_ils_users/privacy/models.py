"""The erasures announced to a person whose last patron record was deleted."""

from datetime import UTC, datetime

from invenio_db import db
from sqlalchemy.dialects import postgresql


class ScheduledErasure(db.Model):
    """The person's personal data is erased on ``due`` unless an organisation registers
    them meanwhile; ``notified_at``: the mail that told them (None: to be sent)."""

    __tablename__ = "privacy_scheduled_erasure"

    user_id = db.Column(db.Integer, primary_key=True)
    due = db.Column(db.Date, nullable=False, index=True)
    scheduled_at = db.Column(db.DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC))
    organisation_pid = db.Column(db.String(64), nullable=True)  # that deleted the last record
    language = db.Column(db.String(8), nullable=True)
    recipients = db.Column(db.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False, default=list)
    notified_at = db.Column(db.DateTime(timezone=True), nullable=True)
