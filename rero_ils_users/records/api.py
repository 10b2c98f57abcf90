"""The record base every resource builds on (invenio-records with pids)."""

from invenio_db import db
from invenio_records.api import Record
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy_continuum import version_class, versioning_manager
from sqlalchemy_continuum.exc import ClassNotVersioned

from ..errors import NotFound
from . import schemas


class BaseRecord(Record):
    """A stored JSON document with a pid, a schema, revisions and an index document.

    Subclasses set ``resource`` (URL and index name), ``schema`` (path under
    ``jsonschemas/``), ``model_cls`` and ``pid_model``.
    """

    resource = None
    schema = None
    pid_model = None
    send_signals = False
    enable_jsonref = False

    registry = {}  # resource -> record class, for the index queue and reindex

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.resource:
            BaseRecord.registry[cls.resource] = cls

    # --- lifecycle -------------------------------------------------------------
    @classmethod
    def mint_pid(cls):
        row = cls.pid_model()
        db.session.add(row)
        db.session.flush()
        return str(row.id)

    @classmethod
    def create(cls, data, pid=None, **columns):
        """Validate and add a new record (the caller's unit of work commits)."""
        data = {**data, "pid": pid or cls.mint_pid(), "$schema": schemas.schema_url(cls.schema)}
        with db.session.begin_nested():
            record = cls(data, model=cls.model_cls(data=data, pid=data["pid"], **columns))
            record._validate(use_model=True)
            db.session.add(record.model)
        return record

    def _validate(self, format_checker=None, validator=None, use_model=False):
        json = self.model.json if use_model else self.model_cls.encode(dict(self))
        schemas.validate(self.schema, json)
        return json

    def commit(self, **columns):
        """Validate and store the changes, with ``columns`` of the model, as ONE
        update (one revision)."""
        with db.session.begin_nested():
            json = self._validate()
            self.model.json = json
            flag_modified(self.model, "json")
            for name, value in columns.items():
                setattr(self.model, name, value)
            db.session.merge(self.model)
        return self

    def delete(self, force=True):
        """Hard delete: the revisions table keeps the history."""
        return super().delete(force=force)

    # --- lookup ----------------------------------------------------------------
    @classmethod
    def get_by_pid(cls, pid, for_update=False):
        query = db.session.query(cls.model_cls).filter_by(pid=str(pid))
        if for_update:
            query = query.with_for_update()
        model = query.one_or_none()
        if model is None or model.json is None:
            raise NotFound()
        return cls(model.json, model=model)

    @classmethod
    def exists(cls, pid):
        return db.session.query(cls.model_cls.id).filter_by(pid=str(pid)).first() is not None

    @classmethod
    def iter_all(cls, batch=500):
        """Every record, in pid order, loading ``batch`` at a time (bounded memory)."""
        last = None
        while True:
            query = db.session.query(cls.model_cls).order_by(cls.model_cls.id)
            if last is not None:
                query = query.filter(cls.model_cls.id > last)
            models = query.limit(batch).all()
            if not models:
                return
            for model in models:
                yield cls(model.json, model=model)
            last = models[-1].id

    @classmethod
    def changed_since(cls, since):
        """Pids created, updated or deleted since ``since`` (naive UTC): the
        record's ``updated`` time, and its revisions' transactions (deletions)."""
        model = cls.model_cls
        pids = {pid for (pid,) in db.session.query(model.pid).filter(model.updated >= since)}
        tx = versioning_manager.transaction_cls
        try:
            version = version_class(model)
        except ClassNotVersioned:
            version = None
        if tx is None or version is None:  # DB_VERSIONING off: no trace of deletions
            return pids
        query = db.session.query(version.pid).join(tx, tx.id == version.transaction_id).filter(tx.issued_at >= since)
        return pids | {pid for (pid,) in query.distinct()}

    # --- views of the record ---------------------------------------------------
    @property
    def pid(self):
        return self["pid"]

    @property
    def revision(self):
        return self.model.version_id

    def index_document(self):
        """What goes into the search index (subclasses enrich it)."""
        doc = {k: v for k, v in self.items() if k != "$schema"}
        doc["_created"] = self.created.isoformat() if self.created else None
        doc["_updated"] = self.updated.isoformat() if self.updated else None
        doc["_revision"] = self.revision
        return doc

    @classmethod
    def index_documents(cls, records, known=None):
        """``index_document()`` of several records (a subclass may load what they share at
        once; ``known``: records by ``(resource, pid)`` it need not load)."""
        return [record.index_document() for record in records]
