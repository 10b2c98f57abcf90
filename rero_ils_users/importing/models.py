"""Where an imported record came from: another system's pid -> ours."""

from invenio_db import db


class ImportedPid(db.Model):
    """A record of ``resource`` known as ``source_pid`` in ``source`` (e.g. ``rero-ils``):
    a later import naming the same pid resolves to the same record."""

    __tablename__ = "import_pids"
    source = db.Column(db.String(64), primary_key=True)
    resource = db.Column(db.String(32), primary_key=True)
    source_pid = db.Column(db.String(64), primary_key=True)
    pid = db.Column(db.String(64), nullable=False)
