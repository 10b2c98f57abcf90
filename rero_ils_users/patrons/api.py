"""The patron record and the side table that makes barcodes unique per organisation."""

from datetime import date

from invenio_db import db

from ..errors import NotFound
from ..permissions.roles import is_professional
from ..records import audit
from ..records.api import BaseRecord
from ..records.models import pid_counter, record_model
from ..users.api import UserRecord

PatronMetadata = record_model(
    "patrons",
    user_id=db.Column(db.Integer, db.ForeignKey("accounts_user.id"), nullable=False, index=True),
    organisation_pid=db.Column(db.String(64), nullable=False, index=True),
    professional=db.Column(db.Boolean, nullable=False, default=False),
    __table_args__=(
        db.UniqueConstraint("user_id", "organisation_pid", name="uq_patrons_user_organisation"),
        # at most one record with professional roles per person
        db.Index(
            "uq_patrons_one_professional",
            "user_id",
            unique=True,
            postgresql_where=db.text("professional"),
            sqlite_where=db.text("professional"),
        ),
    ),
)
PatronPid = pid_counter("patrons")
audit.watch(PatronMetadata, "patrons", organisation=lambda model: model.organisation_pid)


class PatronBarcode(db.Model):
    """One barcode of one patron: the primary key makes it unique per organisation."""

    __tablename__ = "patron_barcodes"
    organisation_pid = db.Column(db.String(64), primary_key=True)
    barcode = db.Column(db.String(64), primary_key=True)
    patron_pid = db.Column(db.String(64), nullable=False, index=True)


class Patron(BaseRecord):
    resource = "patrons"
    schema = "patrons/patron-v1.0.0.json"
    model_cls = PatronMetadata
    pid_model = PatronPid

    @property
    def organisation_pid(self):
        return self["organisation"]["pid"]

    @property
    def user_id(self):
        return self["user_id"]

    @property
    def roles(self):
        return self.get("roles", [])

    @property
    def library_pids(self):
        return [lib["pid"] for lib in self.get("libraries", [])]

    @property
    def professional(self):
        return is_professional(self.roles)

    def expired(self, today):
        expiration = self.get("patron", {}).get("expiration_date")
        return expiration is not None and today >= date.fromisoformat(expiration)

    @classmethod
    def of_user(cls, user_id):
        models = db.session.query(cls.model_cls).filter_by(user_id=user_id).order_by(cls.model_cls.id)
        return [cls(m.json, model=m) for m in models]

    def index_document(self, user=None):
        """The patron document embeds the person's personal data (searchable together).

        ``user``: their ``UserRecord`` when the caller loaded it already."""
        doc = super().index_document()
        try:
            user = (user or UserRecord.get_by_user_id(self.user_id)).index_document()
        except NotFound:  # the user is being erased in the same transaction
            user = {}
        for key in ("_created", "_updated", "_revision", "keep_history"):
            user.pop(key, None)
        doc["user"] = user
        if "patron" in doc:
            doc["patron"] = {"blocked": False, **doc["patron"]}  # a facet bucket for "not blocked"
        doc["sort_name"] = f"{user.get('last_name', '')}\u0000{user.get('first_name', '')}"
        return doc

    @classmethod
    def index_documents(cls, records, known=None):
        """Their users in one query (a reindex of many patrons), but those ``known``."""
        model, known = UserRecord.model_cls, known or {}
        users = {r.user_id: known[key] for r in records if (key := (UserRecord.resource, str(r.user_id))) in known}
        ids = {record.user_id for record in records} - set(users)
        found = db.session.query(model).filter(model.user_id.in_(ids), model.json.isnot(None)) if ids else []
        users.update({m.user_id: UserRecord(m.json, model=m) for m in found})
        return [record.index_document(users.get(record.user_id)) for record in records]

    @classmethod
    def changed_since(cls, since):
        """Also the records of people whose personal data changed (their documents embed it)."""
        users = UserRecord.changed_since(since)
        model = cls.model_cls
        query = db.session.query(model.pid).filter(model.user_id.in_([int(pid) for pid in users])) if users else []
        return super().changed_since(since) | {pid for (pid,) in query}
